//! The deadline engine: given the deadlines a case has and one recorded step (a [`Signal`]),
//! decide which clocks are met, cancelled and started, with their due times.

use super::calendar::{end_of_local_day, CalendarError, WorkingCalendar};
use super::rules::{Anchor, Limit, OnRestart, Rule, RuleSet, Trigger};
use super::{CancelReason, Deadline, DeadlineCancelled, DeadlineMet, DeadlineStarted};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::collections::BTreeMap;
use uuid::Uuid;

/// A plan item's expected end, for per-item and plan-end rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemDue {
    pub item_id: Uuid,
    pub ends_on: NaiveDate,
}

/// A recorded step as the rules see it: its name (see [`super::rules::SIGNALS`]), business time
/// and attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    pub event: &'static str,
    pub at: DateTime<Utc>,
    pub attributes: BTreeMap<&'static str, String>,
    /// The plan item the step concerns (a service delivery).
    pub item: Option<Uuid>,
    /// The items of the plan the step approves.
    pub plan_items: Vec<ItemDue>,
    /// The step closes the case: every open clock stops.
    pub closes_case: bool,
    /// The end the step decides (a separation's `until`), for [`Limit::DecidedEnd`] rules.
    pub until: Option<DateTime<Utc>>,
    /// This step is earlier in business time than the step that started a clock "from the first"
    /// of several steps (typed later, taken earlier): the clocks that step started at this instant
    /// start again from this one (procedure.md §4, ND56 art. 26(3), 31(2)).
    pub reanchors: Option<DateTime<Utc>>,
}

impl Signal {
    pub fn new(event: &'static str, at: DateTime<Utc>) -> Self {
        Self {
            event,
            at,
            attributes: BTreeMap::new(),
            item: None,
            plan_items: Vec::new(),
            closes_case: false,
            until: None,
            reanchors: None,
        }
    }

    pub fn with(mut self, attribute: &'static str, value: impl ToString) -> Self {
        self.attributes.insert(attribute, value.to_string());
        self
    }

    fn matches(&self, trigger: &Trigger) -> bool {
        trigger.event == self.event
            && trigger
                .when
                .iter()
                .all(|(k, v)| self.attributes.get(k.as_str()) == Some(v))
    }

    fn matches_any(&self, triggers: &[Trigger]) -> bool {
        triggers.iter().any(|t| self.matches(t))
    }
}

/// A change the engine decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeadlineChange {
    Started(DeadlineStarted),
    Met(DeadlineMet),
    Cancelled(DeadlineCancelled),
}

impl RuleSet {
    /// The deadline changes one step causes. `deadlines` are the case's deadlines before the step;
    /// `received_at` is the case's intake time (the anchor of some rules).
    pub fn react(
        &self,
        signal: &Signal,
        deadlines: &[Deadline],
        received_at: DateTime<Utc>,
        calendar: &WorkingCalendar,
    ) -> Result<Vec<DeadlineChange>, CalendarError> {
        let mut changes = Vec::new();
        let mut still_open: Vec<&Deadline> = deadlines.iter().filter(|d| d.is_open()).collect();

        let meets = |d: &Deadline| {
            self.get(&d.rule_id).is_some_and(|rule| {
                signal.matches_any(&rule.met_by)
                    && (d.item_id.is_none() || d.item_id == signal.item)
            })
        };

        // 1a. A clock already met by a step later in business time is met by this earlier one
        // (typed later, done earlier): the earliest business time judges it. The event that
        // met it stays; this one says what changed.
        for d in deadlines {
            if let Some(super::DeadlineOutcome::Met { at, .. }) = d.outcome {
                if signal.at < at && signal.at >= d.started_at && meets(d) {
                    changes.push(DeadlineChange::Met(DeadlineMet {
                        deadline_id: d.deadline_id.clone(),
                        met_at: signal.at,
                        late: signal.at > d.due_at,
                    }));
                }
            }
        }

        // 1b. Clocks this step meets.
        still_open.retain(|d| {
            let meets = meets(d);
            if meets {
                changes.push(DeadlineChange::Met(DeadlineMet {
                    deadline_id: d.deadline_id.clone(),
                    met_at: signal.at,
                    late: signal.at > d.due_at,
                }));
            }
            !meets
        });

        // 2. A closed case owes nothing more.
        if signal.closes_case {
            changes.extend(
                still_open
                    .iter()
                    .map(|d| cancel(d, signal.at, CancelReason::CaseClosed)),
            );
            return Ok(changes);
        }

        // 3. Clocks this step cancels (a new plan version replaces the old items' clocks).
        still_open.retain(|d| {
            let cancelled = self
                .get(&d.rule_id)
                .is_some_and(|rule| signal.matches_any(&rule.cancelled_by));
            if cancelled {
                changes.push(cancel(d, signal.at, CancelReason::Superseded));
            }
            !cancelled
        });

        // 4. Clocks this step starts.
        for rule in self
            .rules()
            .iter()
            .filter(|r| signal.matches_any(&r.starts_on))
        {
            let rule_anchor = match rule.anchor {
                Anchor::Trigger => signal.at,
                Anchor::CaseReceived => received_at,
            };
            let keys: Vec<Option<&ItemDue>> = match rule.limit {
                Limit::ItemEndDate => signal.plan_items.iter().map(Some).collect(),
                Limit::PlanEndDate if signal.plan_items.is_empty() => Vec::new(),
                _ => vec![None],
            };
            for item in keys {
                let mut anchor = rule_anchor;
                let item_id = item.map(|i| i.item_id);
                if let Some(previous_start) = signal.reanchors {
                    // Only the clocks the later step started move; nothing new begins.
                    let Some(old) = deadlines.iter().rev().find(|d| {
                        d.rule_id == rule.id
                            && d.item_id == item_id
                            && d.started_at == previous_start
                            && !matches!(d.outcome, Some(super::DeadlineOutcome::Cancelled { .. }))
                    }) else {
                        continue;
                    };
                    changes.push(cancel(old, signal.at, CancelReason::Superseded));
                    still_open.retain(|d| d.deadline_id != old.deadline_id);
                    let started = start(rule, anchor, item, signal, deadlines, &changes, calendar)?;
                    if let Some(super::DeadlineOutcome::Met { at, .. }) = old.outcome {
                        let met = DeadlineMet {
                            deadline_id: started.deadline_id.clone(),
                            met_at: at,
                            late: at > started.due_at,
                        };
                        changes.push(DeadlineChange::Started(started));
                        changes.push(DeadlineChange::Met(met));
                    } else {
                        changes.push(DeadlineChange::Started(started));
                    }
                    continue;
                }
                if let Some(running) = still_open
                    .iter()
                    .position(|d| d.rule_id == rule.id && d.item_id == item_id)
                {
                    match rule.on_restart {
                        OnRestart::Keep if anchor >= still_open[running].started_at => continue,
                        // Keep means the earliest start wins: an earlier start replaces it.
                        OnRestart::Keep => {
                            changes.push(cancel(
                                still_open[running],
                                signal.at,
                                CancelReason::Superseded,
                            ));
                            still_open.remove(running);
                        }
                        OnRestart::Replace => {
                            // A decided end moved by an extension still counts from the start.
                            if matches!(rule.limit, Limit::DecidedEnd { .. }) {
                                anchor = still_open[running].started_at;
                            }
                            changes.push(cancel(
                                still_open[running],
                                signal.at,
                                CancelReason::Superseded,
                            ));
                            still_open.remove(running);
                        }
                    }
                }
                let started = start(rule, anchor, item, signal, deadlines, &changes, calendar)?;
                changes.push(DeadlineChange::Started(started));
            }
        }
        Ok(changes)
    }
}

fn cancel(deadline: &Deadline, at: DateTime<Utc>, reason: CancelReason) -> DeadlineChange {
    DeadlineChange::Cancelled(DeadlineCancelled {
        deadline_id: deadline.deadline_id.clone(),
        cancelled_at: at,
        reason,
    })
}

fn start(
    rule: &Rule,
    anchor: DateTime<Utc>,
    item: Option<&ItemDue>,
    signal: &Signal,
    existing: &[Deadline],
    changes: &[DeadlineChange],
    calendar: &WorkingCalendar,
) -> Result<DeadlineStarted, CalendarError> {
    let (due_at, provisional) = match rule.limit {
        Limit::Hours { value } => (anchor + Duration::hours(i64::from(value)), false),
        Limit::WorkingDays { value } => {
            let period = calendar.working_days_after(anchor, value)?;
            (period.ends_at, period.provisional)
        }
        Limit::CalendarDays {
            value,
            roll_to_working_day,
        } => {
            let period = calendar.calendar_days_after(anchor, value, roll_to_working_day)?;
            (period.ends_at, period.provisional)
        }
        Limit::ItemEndDate => {
            let ends_on = item.map(|i| i.ends_on).unwrap_or_default();
            (end_of_local_day(ends_on), false)
        }
        Limit::DecidedEnd { max_calendar_days } => {
            let cap = calendar.calendar_days_after(anchor, max_calendar_days, false)?;
            match signal.until {
                Some(until) if until <= cap.ends_at => (until, false),
                _ => (cap.ends_at, cap.provisional),
            }
        }
        Limit::PlanEndDate => {
            let last = signal
                .plan_items
                .iter()
                .map(|i| i.ends_on)
                .max()
                .unwrap_or_default();
            (end_of_local_day(last), false)
        }
    };
    // Hour-based clocks warn in their last 2 hours, the others in the last quarter of their span.
    let warning = match rule.limit {
        Limit::Hours { .. } => Duration::hours(2),
        _ => (due_at - anchor) / 4,
    };
    let due_soon_at = (due_at - warning).max(anchor).min(due_at);
    // Earlier instances of the same rule (and item): the new one is numbered after them, so that
    // an id is never reused, e.g. when a plan adjustment keeps an item of the previous version.
    let item_id = item.map(|i| i.item_id);
    let earlier = existing
        .iter()
        .filter(|d| d.rule_id == rule.id && d.item_id == item_id)
        .count()
        + changes
            .iter()
            .filter(|c| {
                matches!(c, DeadlineChange::Started(s) if s.rule_id == rule.id && s.item_id == item_id)
            })
            .count();
    let deadline_id = match item {
        Some(item) if earlier == 0 => format!("{}/{}", rule.id, item.item_id),
        Some(item) => format!("{}/{}/{}", rule.id, item.item_id, earlier + 1),
        None => format!("{}/{}", rule.id, earlier + 1),
    };
    Ok(DeadlineStarted {
        deadline_id,
        rule_id: rule.id.clone(),
        item_id: item.map(|i| i.item_id),
        started_at: anchor,
        due_at,
        due_soon_at,
        mark: rule.mark,
        basis: rule.basis.clone(),
        provisional,
    })
}
