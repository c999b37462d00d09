//! Property tests of the Case aggregate: random command sequences, from random actors at random
//! times around the case's steps, never reach a state the procedure forbids, and folding the
//! emitted events reproduces exactly the state `handle` left the aggregate in.
//!
//! Commands are generated as abstract steps (which kind, which actor, how far from which earlier
//! step, a few choices) and made concrete against the case as it stands, so that most of them are
//! plausible and the sequences reach deep into the procedure. `PROPTEST_CASES` raises the number
//! of sequences (default 64).

mod support;
#[path = "properties/who_may.rs"]
mod who_may;

use aggregates::case::*;
use aggregates::codes::*;
use aggregates::deadlines::DeadlineState;
use aggregates::policy::Actor;
use aggregates::units::UnitCode;
use chrono::{DateTime, Days, Duration, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{TestCaseError, TestRunner};
use std::collections::{BTreeMap, BTreeSet};
use support::*;
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Abstract steps

/// The kinds of command, with how often the generator picks them.
const KINDS: &[(&str, u32)] = &[
    ("report", 1),
    ("assign_worker", 2),
    ("transfer", 1),
    ("record_initial_assessment", 4),
    ("apply_urgent_measures", 3),
    ("decide_separation", 3),
    ("extend_separation", 2),
    ("end_separation", 2),
    ("record_detailed_assessment", 4),
    ("record_needs_meeting", 1),
    ("submit_plan", 5),
    ("decide_plan", 5),
    ("record_service_delivery", 5),
    ("record_referral", 1),
    ("file_court_petition", 1),
    ("record_court_order", 2),
    ("record_review", 4),
    ("propose_closure", 2),
    ("decide_closure", 4),
    ("add_note", 1),
    ("correct_fact", 2),
];

#[derive(Debug, Clone)]
struct Step {
    /// `None`: the next step of the procedure for the case as it stands; else one of `KINDS`.
    kind: Option<usize>,
    /// `None`: the person whose job the step is in the case's commune; else one of `people()`.
    actor: Option<usize>,
    /// Which earlier time the business time counts from: the latest step (mostly), the report,
    /// or the latest step plus some days.
    anchor: u8,
    /// Minutes after the anchor (negative: before it).
    offset: i64,
    /// Minutes between the business time and the server's clock (negative: a time in the future).
    skew: i64,
    /// 0: no If-Match; 1: the current version; 2: a stale one.
    if_match: u8,
    pick: u8,
    pick2: u8,
    flag: bool,
    days: u8,
}

fn kind_strategy() -> impl Strategy<Value = usize> {
    let weighted: Vec<_> = KINDS
        .iter()
        .enumerate()
        .map(|(i, (_, w))| (*w, Just(i).boxed()))
        .collect();
    proptest::strategy::Union::new_weighted(weighted)
}

fn step_strategy() -> impl Strategy<Value = Step> {
    (
        prop_oneof![3 => Just(None), 2 => kind_strategy().prop_map(Some)],
        prop_oneof![4 => Just(None), 1 => (0..people().len()).prop_map(Some)],
        prop_oneof![8 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
        -240i64..4_320,
        prop_oneof![1 => -60i64..0, 12 => 0i64..2_880],
        prop_oneof![10 => Just(0u8), 6 => Just(1u8), 1 => Just(2u8)],
        any::<u8>(),
        any::<u8>(),
        any::<bool>(),
        0u8..25,
    )
        .prop_map(
            |(kind, actor, anchor, offset, skew, if_match, pick, pick2, flag, days)| Step {
                kind,
                actor,
                anchor,
                offset,
                skew,
                if_match,
                pick,
                pick2,
                flag,
                days,
            },
        )
}

/// The first report: when, and whether the parents are the alleged abusers.
#[derive(Debug, Clone)]
struct Opening {
    minutes: i64,
    by_worker: bool,
    caregiver: bool,
}

fn opening_strategy() -> impl Strategy<Value = Opening> {
    (0i64..60 * 24 * 30, any::<bool>(), any::<bool>()).prop_map(
        |(minutes, by_worker, caregiver)| Opening {
            minutes,
            by_worker,
            caregiver,
        },
    )
}

fn sequence_strategy() -> impl Strategy<Value = (Opening, Vec<Step>)> {
    (
        opening_strategy(),
        proptest::collection::vec(step_strategy(), 1..60),
    )
}

fn people() -> Vec<Actor> {
    vec![
        operator(),
        other_operator(),
        worker(),
        second_worker(),
        other_worker(),
        approver(),
        other_approver(),
        supervisor(),
        admin(),
    ]
}

// ---------------------------------------------------------------------------------------------
// Making steps concrete

/// The step a worker or approver would usually take next, so that sequences get deep into the
/// procedure.
fn next_step(case: &Case, pick: u8) -> &'static str {
    let choose = |options: &[&'static str]| options[usize::from(pick) % options.len()];
    if case.active_separation().is_some() && pick % 7 == 0 {
        return choose(&["extend_separation", "end_separation", "record_court_order"]);
    }
    match case.status {
        CaseStatus::Reported => "record_initial_assessment",
        CaseStatus::Emergency => choose(&["apply_urgent_measures", "decide_separation"]),
        CaseStatus::Assessment => choose(&[
            "record_detailed_assessment",
            "record_detailed_assessment",
            "record_needs_meeting",
        ]),
        CaseStatus::Planning => choose(&["submit_plan", "submit_plan", "record_needs_meeting"]),
        CaseStatus::AwaitingApproval => "decide_plan",
        CaseStatus::InProgress => choose(&[
            "record_service_delivery",
            "record_service_delivery",
            "record_service_delivery",
            "record_review",
            "record_review",
            "submit_plan",
        ]),
        CaseStatus::ClosureProposed => "decide_closure",
        CaseStatus::Closed => "add_note",
    }
}

struct Maker {
    next_item: u128,
    /// The server's clock never runs backwards from one command to the next.
    last_now: DateTime<Utc>,
}

fn latest_step_time(events: &[CaseEvent]) -> Option<DateTime<Utc>> {
    events
        .iter()
        .filter(|e| !e.is_deadline())
        .map(CaseEvent::occurred_at)
        .max()
}

impl Maker {
    fn command(&mut self, step: &Step, case: &Case, history: &[CaseEvent]) -> CaseCommand {
        let base = received();
        let latest = latest_step_time(history).unwrap_or(base);
        let anchor = match step.anchor {
            0 => latest,
            1 => case.received_at().unwrap_or(base),
            _ => latest + Duration::days(i64::from(step.days)),
        };
        let t = anchor + Duration::minutes(step.offset);
        let now = (t + Duration::minutes(step.skew)).max(self.last_now);
        self.last_now = now;
        let name = step
            .kind
            .map_or_else(|| next_step(case, step.pick), |k| KINDS[k].0);
        let other_side = case
            .acting_unit
            .as_ref()
            .is_some_and(|u| u.is_within(&UnitCode::parse("03390").expect("code")));
        let (local_worker, local_approver) = if other_side {
            (other_worker(), other_approver())
        } else {
            (worker(), approver())
        };
        let preferred = match name {
            "report" => operator(),
            "assign_worker" | "decide_separation" | "extend_separation" | "end_separation"
            | "decide_plan" | "record_court_order" | "decide_closure" => local_approver.clone(),
            "record_needs_meeting" if step.flag => local_approver.clone(),
            _ => local_worker.clone(),
        };
        let actor = step.actor.map_or(preferred, |i| people()[i].clone());
        let action = self.action(name, step, case, t, &local_worker, &actor);
        let expected_version = match step.if_match {
            0 => None,
            1 => Some(case.version),
            _ => Some(case.version.saturating_sub(1 + u64::from(step.pick % 3))),
        };
        CaseCommand {
            actor,
            now,
            expected_version,
            action,
        }
    }

    fn fresh_item(&mut self) -> Uuid {
        self.next_item += 1;
        Uuid::from_u128(0x1_7E30_0000 + self.next_item)
    }

    fn action(
        &mut self,
        name: &str,
        s: &Step,
        case: &Case,
        t: DateTime<Utc>,
        local_worker: &Actor,
        actor: &Actor,
    ) -> CaseAction {
        let days = |n: u8| Duration::days(i64::from(n));
        match name {
            "report" => report_at(t),
            "assign_worker" => {
                let who = match s.pick % 4 {
                    0 => local_worker.clone(),
                    1 => second_worker(),
                    2 => other_worker(),
                    _ => actor.clone(),
                };
                assign(&who)
            }
            "transfer" => match s.pick % 5 {
                0 => transfer(country()),
                1 | 2 => transfer(other_commune()),
                _ => transfer(commune()),
            },
            "record_initial_assessment" => {
                let outcome = match s.pick2 % 9 {
                    0..=3 => InitialOutcome::Emergency,
                    4..=7 => InitialOutcome::SupportNeeded,
                    _ => InitialOutcome::NoConcern,
                };
                let mut grounds = match outcome {
                    InitialOutcome::Emergency if s.flag => {
                        vec![EmergencyGround::CaregiverIsPerpetrator]
                    }
                    InitialOutcome::Emergency => vec![EmergencyGround::SeriousHarmOrThreat],
                    _ => vec![],
                };
                if s.pick2 % 11 == 0 {
                    // The wrong grounds for the outcome, now and then.
                    grounds = if grounds.is_empty() {
                        vec![EmergencyGround::SeriousHarmOrThreat]
                    } else {
                        vec![]
                    };
                }
                initial_with(outcome, grounds, t)
            }
            "apply_urgent_measures" => {
                let all = UrgentMeasure::ALL;
                let measures = match s.pick2 % 13 {
                    0 => vec![],
                    1 => vec![UrgentMeasure::TemporarySeparation],
                    _ => vec![
                        all[usize::from(s.pick) % 5],
                        all[usize::from(s.pick / 5) % 5],
                    ],
                };
                urgent_with(measures, t)
            }
            "decide_separation" => separation(t, t + days(s.days.max(1))),
            "extend_separation" => {
                let until = case.active_separation().map_or(t, |sep| sep.until) + days(s.days % 12);
                extend(until)
            }
            "end_separation" => {
                let reason = if s.flag {
                    SeparationEndReason::ReturnedHome
                } else {
                    SeparationEndReason::CourtOrder
                };
                let mut action = end_separation(t, reason);
                if let CaseAction::EndSeparation(e) = &mut action {
                    if s.pick2 % 9 == 0 {
                        e.court_order_ref = None;
                    }
                }
                action
            }
            "record_detailed_assessment" => {
                let mut d = detailed_assessment(t);
                if s.pick % 4 == 0 {
                    d.parent_view = Some(long("The parents want the child home"));
                }
                CaseAction::RecordDetailedAssessment(d)
            }
            "record_needs_meeting" => meeting(t),
            "submit_plan" => {
                let count = 1 + usize::from(s.pick % 3);
                let start = aggregates::deadlines::calendar::local_date(t);
                let items = (0..count)
                    .map(|i| {
                        let length = u64::from(s.pick2 / 4) + 7 * i as u64;
                        let end = start.checked_add_days(Days::new(length)).expect("in range");
                        // Now and then an adjustment keeps the ids of the previous version's
                        // items (the aggregate takes whatever ids it is given).
                        let kept = case
                            .plans
                            .last()
                            .filter(|_| s.days % 4 == 0)
                            .and_then(|p| p.submission.fact.items.get(i))
                            .map(|i| i.item_id);
                        let id = kept.unwrap_or_else(|| self.fresh_item());
                        let mut input = item(id, "2026-01-01", "2026-01-01");
                        input.starts_on = start;
                        input.ends_on = end;
                        if s.flag && s.pick % 17 == 0 {
                            // Inverted dates, now and then.
                            input.starts_on = end.succ_opt().expect("in range");
                        }
                        input
                    })
                    .collect();
                plan(t, items)
            }
            "decide_plan" => {
                let latest = u32::try_from(case.plans.len()).expect("few plans");
                let version = match s.pick % 10 {
                    0 => latest.saturating_sub(1),
                    1 => latest + 1,
                    _ => latest,
                };
                let mut action = if s.pick2 < 180 {
                    approve(version, t)
                } else {
                    return_plan(version, t)
                };
                if let CaseAction::DecidePlan(d) = &mut action {
                    if s.pick2 % 13 == 0 {
                        d.comment = None;
                    }
                }
                action
            }
            "record_service_delivery" => {
                let items: Vec<Uuid> = match (s.pick % 8, case.approved_plan()) {
                    (0, _) | (_, None) => case
                        .plans
                        .iter()
                        .flat_map(|p| p.submission.fact.items.iter().map(|i| i.item_id))
                        .chain([Uuid::from_u128(0xDEAD)])
                        .collect(),
                    (_, Some(p)) => p.submission.fact.items.iter().map(|i| i.item_id).collect(),
                };
                let item = items[usize::from(s.pick2) % items.len()];
                service(item, t, s.flag)
            }
            "record_referral" => referral(t),
            "file_court_petition" => petition(t),
            "record_court_order" => {
                let until = s.flag.then(|| t + days(s.days.max(1) + 10));
                court_order(t, until)
            }
            "record_review" => {
                let outcome = if s.flag {
                    ReviewOutcome::Close
                } else {
                    ReviewOutcome::Continue
                };
                let mut action = review(outcome, t);
                if let CaseAction::RecordReview(r) = &mut action {
                    if s.pick2 % 9 == 0 {
                        r.ratings.remove(&ReviewCriterion::AbuserAccess);
                    }
                }
                action
            }
            "propose_closure" => {
                let reason = ClosureReason::ALL[usize::from(s.pick) % ClosureReason::ALL.len()];
                let mut action = propose(reason, t);
                if let CaseAction::ProposeClosure(p) = &mut action {
                    match s.pick2 % 10 {
                        0 => p.linked_case_id = None,
                        1 => p.linked_case_id = case.id(),
                        2 => p.comment = None,
                        _ => {}
                    }
                }
                action
            }
            "decide_closure" => {
                let mut action = if s.flag { close(t) } else { reject_closure(t) };
                if let CaseAction::DecideClosure(d) = &mut action {
                    match s.pick2 % 12 {
                        0 => d.comment = None,
                        1 => d.reason = Some(ClosureReason::Duplicate),
                        2 => d.reason = Some(ClosureReason::Other),
                        _ => {}
                    }
                }
                action
            }
            "add_note" => note("A phone call with the school"),
            "correct_fact" => {
                let sequence = 1 + u64::from(s.pick) % case.version.max(1);
                let (field, value) = match s.pick2 % 9 {
                    0 => ("child.full_name", serde_json::json!("Lò Thị Mây")),
                    1 => ("description", serde_json::json!("Corrected description")),
                    2 => ("findings", serde_json::json!("Corrected findings")),
                    3 => ("notes", serde_json::json!(null)),
                    4 => ("decisions", serde_json::json!("Corrected decisions")),
                    5 => ("abuse_types", serde_json::json!(["neglect", "violence"])),
                    6 => ("child.estimated_age", serde_json::json!(10)),
                    7 => ("parent_view", serde_json::json!("The parents agree")),
                    _ => ("needs", serde_json::json!(["health", "legal"])),
                };
                correct(sequence, field, value)
            }
            other => unreachable!("unknown kind {other}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What the procedure forbids

/// Where the case stands in the procedure, leaving aside a pending closure proposal.
fn procedure_status(case: &Case) -> CaseStatus {
    match (&case.closure_proposal, case.status) {
        (Some(p), CaseStatus::ClosureProposed) => p.status_before,
        (_, status) => status,
    }
}

/// Checks each event of a decision against the case as it stood just before it.
fn check_events(
    before: &Case,
    command: &CaseCommand,
    events: &[CaseEvent],
    services: &CaseServices,
) -> Result<(), TestCaseError> {
    prop_assert!(!events.is_empty(), "a successful command records something");
    prop_assert!(!events[0].is_derived(), "a decision starts with its step");
    check_status_changes(before, events)?;
    let mut s = before.clone();
    for event in events {
        prop_assert!(
            event.is_deadline() || event.occurred_at() <= command.now + CLOCK_SKEW,
            "{} lies in the future",
            event.kind()
        );
        if !event.is_derived() {
            prop_assert_ne!(
                s.status,
                CaseStatus::Closed,
                "a closed case accepts nothing"
            );
        }
        match event {
            CaseEvent::CaseReported(_) => prop_assert!(!s.exists(), "reported twice"),
            CaseEvent::PlanApproved(PlanApproved { version, .. })
            | CaseEvent::PlanReturned(PlanReturned { version, .. }) => {
                let awaiting = s.submitted_plan().map(|p| p.submission.fact.version);
                prop_assert_eq!(
                    awaiting,
                    Some(*version),
                    "a plan is decided only after a submission of that version"
                );
            }
            CaseEvent::ServiceDelivered(e) => {
                let approved = s.approved_plan().is_some_and(|p| {
                    p.submission
                        .fact
                        .items
                        .iter()
                        .any(|i| i.item_id == e.item_id)
                });
                prop_assert!(approved, "a service is delivered only on an approved item");
                prop_assert!(
                    !s.item_completed(e.item_id),
                    "a completed item gets no service"
                );
            }
            CaseEvent::ClosureProposed(_) => prop_assert_ne!(
                s.status,
                CaseStatus::ClosureProposed,
                "one closure proposal at a time"
            ),
            CaseEvent::CaseClosed(_) | CaseEvent::ClosureRejected(_) => prop_assert_eq!(
                s.status,
                CaseStatus::ClosureProposed,
                "closure is decided on a proposal"
            ),
            CaseEvent::SeparationDecided(_) => {
                prop_assert!(s.active_separation().is_none(), "one separation at a time")
            }
            CaseEvent::SeparationExtended(_) | CaseEvent::SeparationEnded(_) => {
                prop_assert!(s.active_separation().is_some(), "no separation in force")
            }
            CaseEvent::DeadlineStarted(d) => {
                prop_assert!(
                    s.deadlines.iter().all(|x| x.deadline_id != d.deadline_id),
                    "deadline id {} reused",
                    d.deadline_id
                );
                // A clock re-anchored to an earlier first response is started and met in the
                // same decision (history re-judged): it may sit beside the running one.
                let met_at_once = events.iter().any(
                    |e| matches!(e, CaseEvent::DeadlineMet(m) if m.deadline_id == d.deadline_id),
                );
                prop_assert!(
                    met_at_once
                        || !s.deadlines.iter().any(|x| {
                            x.is_open() && x.rule_id == d.rule_id && x.item_id == d.item_id
                        }),
                    "a second open {} clock",
                    d.deadline_id
                );
                prop_assert!(d.due_soon_at <= d.due_at);
                prop_assert!(services.rules.get(&d.rule_id).is_some());
            }
            CaseEvent::DeadlineMet(d) => {
                // A clock already met is met again only by an earlier business time (a step
                // typed later but taken earlier, procedure.md §4).
                let running_or_earlier = s.deadlines.iter().any(|x| {
                    x.deadline_id == d.deadline_id
                        && match &x.outcome {
                            None => true,
                            Some(aggregates::deadlines::DeadlineOutcome::Met { at, .. }) => {
                                d.met_at < *at
                            }
                            Some(_) => false,
                        }
                });
                prop_assert!(
                    running_or_earlier,
                    "met {} that is not running",
                    d.deadline_id
                );
            }
            CaseEvent::DeadlineCancelled(d) => {
                // A met clock is cancelled only when an earlier first response re-anchors it.
                let known = s.deadlines.iter().any(|x| {
                    x.deadline_id == d.deadline_id
                        && !matches!(
                            x.outcome,
                            Some(aggregates::deadlines::DeadlineOutcome::Cancelled { .. })
                        )
                });
                prop_assert!(known, "cancelled {} that is not running", d.deadline_id);
            }
            _ => {}
        }
        s.apply(event.clone());
    }
    Ok(())
}

/// Checks the status changes of a decision, folding its events from the case as it stood before:
/// a step that moves the case's visible status is followed at once by exactly one
/// `CaseStatusChanged` naming the status before the step and the status after it, at the step's
/// business time; a step that leaves the status as it was (and the report that opens the case) is
/// followed by none; and the status after the whole decision is the last change's `to`, or the
/// status before it if there is none.
fn check_status_changes(before: &Case, events: &[CaseEvent]) -> Result<(), TestCaseError> {
    let mut s = before.clone();
    let mut i = 0;
    let mut last_to = None;
    while i < events.len() {
        let step = &events[i];
        prop_assert!(
            !step.is_derived(),
            "{} at {} does not follow a step",
            step.kind(),
            i
        );
        let existed = s.exists();
        let from = s.status;
        s.apply(step.clone());
        let to = s.status;
        i += 1;
        if existed && from != to {
            match events.get(i) {
                Some(CaseEvent::CaseStatusChanged(c)) => {
                    prop_assert_eq!(
                        (c.from, c.to),
                        (from, to),
                        "the change after {} names the status before and after it",
                        step.kind()
                    );
                    prop_assert_eq!(
                        c.changed_at,
                        step.occurred_at(),
                        "a status changes at its step's time"
                    );
                    last_to = Some(c.to);
                }
                other => prop_assert!(
                    false,
                    "{} moved the case from {} to {} but is followed by {:?}",
                    step.kind(),
                    from.code(),
                    to.code(),
                    other.map(CaseEvent::kind)
                ),
            }
            s.apply(events[i].clone());
            i += 1;
        }
        // What the step causes besides: its deadline clocks, never a (further) status change.
        while let Some(derived) = events.get(i).filter(|e| e.is_derived()) {
            prop_assert!(
                derived.is_deadline(),
                "{} left the status at {} and yet is followed by {}",
                step.kind(),
                to.code(),
                derived.kind()
            );
            s.apply(derived.clone());
            i += 1;
        }
        prop_assert_eq!(s.status, to, "only a step moves the status");
    }
    prop_assert_eq!(
        s.status,
        last_to.unwrap_or(before.status),
        "the status after a decision is its last change's, or the one before it"
    );
    Ok(())
}

/// Checks the state a case is in after a decision.
fn check_state(case: &Case, history: &[CaseEvent]) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        case.version,
        history.len() as u64,
        "version = number of events"
    );
    prop_assert_eq!(case.event_kinds.len(), history.len());

    // Status and the facts behind it.
    let pending = case.status == CaseStatus::ClosureProposed;
    prop_assert_eq!(
        pending,
        case.closure_proposal.is_some() && case.status != CaseStatus::Closed,
        "closure_proposed exactly while a proposal awaits the approver"
    );
    prop_assert_eq!(case.status == CaseStatus::Closed, case.closure.is_some());
    let status = procedure_status(case);
    let emergency = case.initial_outcome() == Some(InitialOutcome::Emergency);
    let responded = !case.urgent_measures.is_empty() || !case.separations.is_empty();
    match status {
        CaseStatus::Reported => prop_assert!(case.initial_assessment.is_none()),
        CaseStatus::Emergency => prop_assert!(emergency && !responded),
        CaseStatus::Assessment => {
            prop_assert!(case.initial_assessment.is_some());
            prop_assert!(!emergency || responded, "urgent measures first");
            prop_assert!(
                case.detailed_assessment.is_none(),
                "a recorded detailed assessment moves the case to planning"
            );
        }
        CaseStatus::Planning => {
            prop_assert!(case.detailed_assessment.is_some());
            prop_assert!(case.submitted_plan().is_none());
        }
        CaseStatus::AwaitingApproval => prop_assert!(case.submitted_plan().is_some()),
        CaseStatus::InProgress => {
            prop_assert!(case.approved_plan().is_some());
            prop_assert!(case.submitted_plan().is_none());
        }
        CaseStatus::ClosureProposed => prop_assert!(false, "a proposal on a proposal"),
        CaseStatus::Closed => {}
    }
    if case.submitted_plan().is_some() {
        prop_assert!(matches!(
            status,
            CaseStatus::AwaitingApproval | CaseStatus::Closed
        ));
    }

    // Plans: versions 1..n, at most one in force, each decision bound to its own version.
    for (i, p) in case.plans.iter().enumerate() {
        prop_assert_eq!(p.submission.fact.version as usize, i + 1);
        if let Some(a) = &p.approval {
            prop_assert_eq!(a.fact.version, p.submission.fact.version);
            prop_assert!(a.sequence > p.submission.sequence);
            prop_assert!(a.fact.decided_at >= p.submission.fact.submitted_at);
        }
        if let Some(r) = &p.returned {
            prop_assert_eq!(r.fact.version, p.submission.fact.version);
        }
        match p.status {
            PlanStatus::Submitted => prop_assert_eq!(i + 1, case.plans.len()),
            PlanStatus::Approved | PlanStatus::Superseded => prop_assert!(p.approval.is_some()),
            PlanStatus::Returned => prop_assert!(p.returned.is_some()),
        }
    }
    prop_assert!(
        case.plans
            .iter()
            .filter(|p| p.status == PlanStatus::Approved)
            .count()
            <= 1
    );

    // Separation: one at a time, never beyond 15 days without a court order.
    for (i, sep) in case.separations.iter().enumerate() {
        if sep.is_active() {
            prop_assert_eq!(i + 1, case.separations.len(), "only the last one runs");
        }
        // The cap written by hand, not the engine's own calendar function.
        let cap = who_may::separation_cap(sep.decision.fact.decided_at);
        let allowed = sep.court_until.map_or(cap, |c| c.max(cap));
        prop_assert!(
            sep.until <= allowed,
            "separation until {} beyond {} without a court order",
            sep.until,
            allowed
        );
        prop_assert!(sep.until > sep.decision.fact.decided_at);
    }

    // Deadlines: unique ids, one open instance per (rule, item), none open once closed.
    let mut ids = BTreeSet::new();
    let mut open = BTreeMap::new();
    for d in &case.deadlines {
        prop_assert!(ids.insert(d.deadline_id.clone()), "{} twice", d.deadline_id);
        if d.is_open() {
            let key = (d.rule_id.clone(), d.item_id);
            prop_assert!(open.insert(key, ()).is_none(), "two open {}", d.deadline_id);
        }
        if d.is_open() {
            prop_assert_eq!(d.state_at(d.due_at), DeadlineState::Overdue);
        }
    }
    if case.status == CaseStatus::Closed {
        prop_assert_eq!(
            case.open_deadlines().count(),
            0,
            "a closed case owes nothing"
        );
    }
    // Every clock event refers to a clock started before it.
    let mut started = BTreeSet::new();
    for event in history {
        match event {
            CaseEvent::DeadlineStarted(d) => {
                started.insert(d.deadline_id.clone());
            }
            CaseEvent::DeadlineMet(d) => prop_assert!(started.contains(&d.deadline_id)),
            CaseEvent::DeadlineCancelled(d) => prop_assert!(started.contains(&d.deadline_id)),
            _ => {}
        }
    }

    // A view that follows only the report and the status changes sees the case's status, each
    // change starting where the one before it ended.
    let mut seen = None;
    for event in history {
        match event {
            CaseEvent::CaseReported(_) => seen = Some(CaseStatus::Reported),
            CaseEvent::CaseStatusChanged(c) => {
                prop_assert_eq!(seen, Some(c.from), "a change starts where the last ended");
                prop_assert_ne!(c.from, c.to, "a change changes the status");
                seen = Some(c.to);
            }
            _ => {}
        }
    }
    prop_assert_eq!(
        seen,
        Some(case.status),
        "the status changes lead to the status"
    );

    // Folding the events gives exactly this state.
    prop_assert_eq!(
        &Case::fold(history),
        case,
        "fold differs from the state handle saw"
    );
    Ok(())
}

/// What a run reached, to show the generator is not vacuous.
#[derive(Default)]
struct Reached {
    statuses: BTreeSet<&'static str>,
    accepted: BTreeSet<&'static str>,
    refused: BTreeSet<&'static str>,
    /// Commands from an actor whose role or unit may not issue them (all refused).
    unauthorized: usize,
    sequences: usize,
    /// Sequences that got an approved plan, a review, a closure.
    approved_plan: usize,
    review: usize,
    closure: usize,
}

/// Runs a sequence through `Aggregate::handle` (as cqrs-es does) and checks every step.
fn run_sequence(
    opening: &Opening,
    steps: &[Step],
    reached: &mut Reached,
) -> Result<(), TestCaseError> {
    let services = CaseServices::shipped();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let mut case = Case::default();
    let mut history: Vec<CaseEvent> = Vec::new();
    let mut maker = Maker {
        next_item: 0,
        last_now: received() + Duration::minutes(opening.minutes + 20),
    };

    let received_at = received() + Duration::minutes(opening.minutes);
    let mut first = report_case();
    first.received_at = received_at;
    if opening.caregiver {
        first.perpetrator_relationship = Some(PerpetratorRelationship::Parent);
    }
    let opener = if opening.by_worker {
        worker()
    } else {
        operator()
    };
    let opening_command = cmd_at(&opener, received_at + Duration::minutes(20), report(first));

    let commands = std::iter::once(Ok(opening_command)).chain(steps.iter().map(Err));
    for next in commands {
        let command = match next {
            Ok(command) => command,
            Err(step) => maker.command(step, &case, &history),
        };
        let name = action_name(&command.action);
        let before = case.clone();

        // decide is pure: the same case and command give the same answer.
        let decided = before.decide(command.clone(), &services);
        prop_assert_eq!(&before.decide(command.clone(), &services), &decided);

        // Authorization, from a table written apart from the policy: an actor whose role or
        // unit may not issue the command is refused (and, below, nothing changes).
        if (before.exists() || name == "report")
            && !who_may::may_issue(&command.actor, name, &before)
        {
            prop_assert!(
                decided.is_err(),
                "{} accepted from {:?}, who may not issue it",
                name,
                command.actor.grants
            );
            reached.unauthorized += 1;
        }

        // handle, as cqrs-es calls it: writes and applies every event through the sink.
        let sink = EventSink::<Case>::default();
        let handled = runtime.block_on(case.handle(command.clone(), &services, &sink));
        let written = runtime.block_on(sink.collect());
        match (&decided, handled) {
            (Ok(events), Ok(())) => {
                prop_assert_eq!(events, &written);
                check_events(&before, &command, events, &services)?;
                history.extend(events.iter().cloned());
                reached.accepted.insert(name);
            }
            (Err(expected), Err(error)) => {
                prop_assert_eq!(expected, &error);
                prop_assert!(written.is_empty());
                prop_assert_eq!(&case, &before, "a refused command changes nothing");
                if before.exists() && before.status == CaseStatus::Closed {
                    let why_refused = matches!(
                        error,
                        CaseError::CaseClosed
                            | CaseError::RoleNotAllowed
                            | CaseError::OutOfJurisdiction
                            | CaseError::VersionMismatch { .. }
                            | CaseError::CaseAlreadyExists
                    );
                    prop_assert!(why_refused, "a closed case refused with {}", error.code());
                }
                if !before.exists() && name != "report" {
                    prop_assert_eq!(error, CaseError::CaseNotFound);
                }
                reached.refused.insert(name);
            }
            (decided, handled) => {
                prop_assert!(false, "decide said {decided:?}, handle said {handled:?}");
            }
        }
        if before.exists() && before.status == CaseStatus::Closed {
            prop_assert!(decided.is_err(), "a closed case accepted {}", name);
        }
        if case.exists() {
            check_state(&case, &history)?;
            reached.statuses.insert(case.status.code());
        }
    }
    reached.sequences += 1;
    let had = |f: fn(&CaseEvent) -> bool| usize::from(history.iter().any(f));
    reached.approved_plan += had(|e| matches!(e, CaseEvent::PlanApproved(_)));
    reached.review += had(|e| matches!(e, CaseEvent::ReviewRecorded(_)));
    reached.closure += had(|e| matches!(e, CaseEvent::CaseClosed(_)));
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_command_sequences_never_reach_a_state_the_procedure_forbids(
        (opening, steps) in sequence_strategy()
    ) {
        run_sequence(&opening, &steps, &mut Reached::default())?;
    }
}

/// The status-change invariant is worth something only if it refuses what the aggregate must not
/// emit: a change missing, naming the wrong status or time, placed after the step's clocks,
/// doubled, or following a step that left the status alone.
#[test]
fn the_status_change_check_refuses_a_missing_wrong_late_doubled_or_stray_change() {
    let story = reported();
    let events = story
        .decide(cmd(
            &worker(),
            initial(InitialOutcome::SupportNeeded, assessed()),
        ))
        .expect("accepted");
    let change = status_changed(assessed(), CaseStatus::Reported, CaseStatus::Assessment);
    assert_eq!(events[1], change);
    assert!(check_status_changes(&story.case, &events).is_ok());

    let mut missing = events.clone();
    missing.remove(1);
    let mut wrong_from = events.clone();
    wrong_from[1] = status_changed(assessed(), CaseStatus::Emergency, CaseStatus::Assessment);
    let mut wrong_to = events.clone();
    wrong_to[1] = status_changed(assessed(), CaseStatus::Reported, CaseStatus::Planning);
    let mut wrong_time = events.clone();
    wrong_time[1] = status_changed(now(), CaseStatus::Reported, CaseStatus::Assessment);
    let mut late = events.clone();
    late.swap(1, 2);
    let mut doubled = events.clone();
    doubled.insert(1, change.clone());
    let bad = [
        ("missing", &story.case, missing),
        ("wrong from", &story.case, wrong_from),
        ("wrong to", &story.case, wrong_to),
        ("wrong time", &story.case, wrong_time),
        ("after the clocks", &story.case, late),
        ("doubled", &story.case, doubled),
    ];
    for (what, before, events) in bad {
        assert!(
            check_status_changes(before, &events).is_err(),
            "{what} passed: {events:#?}"
        );
    }

    let planning = planning();
    let mut stray = planning
        .decide(cmd(&worker(), note("Called the school")))
        .expect("accepted");
    assert!(check_status_changes(&planning.case, &stray).is_ok());
    stray.push(status_changed(
        now(),
        CaseStatus::Planning,
        CaseStatus::Planning,
    ));
    assert!(check_status_changes(&planning.case, &stray).is_err());
}

/// The generator is worth something only if its sequences get deep into the procedure: over a
/// fixed set of sequences, every status is reached and every command is accepted at least once
/// (and refused at least once).
#[test]
fn the_random_sequences_reach_every_status_and_every_command() {
    let mut runner = TestRunner::deterministic();
    let strategy = sequence_strategy();
    let mut reached = Reached::default();
    for _ in 0..200 {
        let (opening, steps) = strategy
            .new_tree(&mut runner)
            .expect("a sequence")
            .current();
        run_sequence(&opening, &steps, &mut reached).expect("the sequence keeps the invariants");
    }
    for status in CaseStatus::ALL {
        assert!(
            reached.statuses.contains(status.code()),
            "no sequence reached {}",
            status.code()
        );
    }
    let all: BTreeSet<&str> = KINDS.iter().map(|(k, _)| *k).collect();
    let missing: Vec<_> = all.difference(&reached.accepted).collect();
    // A second report is always refused; every other command is accepted somewhere.
    assert_eq!(missing, Vec::<&&str>::new(), "never accepted");
    let never_refused: Vec<_> = all.difference(&reached.refused).collect();
    assert_eq!(never_refused, Vec::<&&str>::new(), "never refused");
    // How deep the sequences get: a generator that dies early shows here, and fails.
    let share = |n: usize| 100 * n / reached.sequences.max(1);
    println!(
        "PROPERTY depth sequences={} approved_plan={}% review={}% closure={}% unauthorized_commands_refused={}",
        reached.sequences,
        share(reached.approved_plan),
        share(reached.review),
        share(reached.closure),
        reached.unauthorized
    );
    assert!(
        share(reached.approved_plan) >= 10,
        "too few sequences reach an approved plan"
    );
    assert!(
        share(reached.review) >= 5,
        "too few sequences reach a review"
    );
    assert!(
        share(reached.closure) >= 5,
        "too few sequences reach a closure"
    );
    assert!(
        reached.unauthorized >= 20,
        "too few unauthorized commands tried"
    );
}
