//! The engine: (indicators, unit, period, log position) → counts. One definition of each
//! indicator serves `GET /statistics` and the periodic reports alike.

use super::facts::{fold_log, CaseFacts, Fact, Place};
use super::{Counts, Indicator, PeriodDate, Source, UnitRule};
use crate::db::Db;
use crate::log::{LogError, Position};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;
use uuid::Uuid;

/// A half-open period `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Period {
    fn holds(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && at < self.to
    }
}

/// The log as counted: every case's facts up to `position`, and the instant deadline states
/// are taken at. The same snapshot (position, instant) always gives the same figures.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub cases: Vec<CaseFacts>,
    pub position: Position,
    pub now: DateTime<Utc>,
}

/// A breakdown's cells: a key (one value per dimension) → count.
pub type Cells = BTreeMap<Vec<String>, i64>;

/// What one fact is counted as: the thing the indicator counts distinct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Identity {
    Id(Uuid),
    Event(Uuid, usize),
}

const UNKNOWN: &str = "unknown";

impl Snapshot {
    /// Folds the log up to `upto` (the newest committed event when `None`).
    pub async fn load(
        db: &Db,
        upto: Option<Position>,
        now: DateTime<Utc>,
    ) -> Result<Self, LogError> {
        let (cases, position) = fold_log(db, upto).await?;
        Ok(Self {
            cases,
            position,
            now,
        })
    }

    /// The indicator's count under the unit whose path key is `unit_key` (`/VN/12/`), in the
    /// period, broken down by `dims` (none: one cell with an empty key, the total).
    pub fn count(
        &self,
        ind: &Indicator,
        unit_key: &str,
        period: &Period,
        dims: &[String],
    ) -> Cells {
        let mut sets: BTreeMap<Vec<String>, BTreeSet<Identity>> = BTreeMap::new();
        self.each(ind, unit_key, period, |case, n, fact, place| {
            let identity = match ind.counts {
                Counts::Children => Identity::Id(case.child_id),
                Counts::Incidents => Identity::Id(case.report_id),
                Counts::Cases => Identity::Id(case.case_id),
                Counts::Events => Identity::Event(case.case_id, n),
            };
            for key in keys(dims, |d| self.values(case, fact, place, d)) {
                sets.entry(key).or_default().insert(identity);
            }
        });
        sets.into_iter()
            .map(|(k, v)| (k, i64::try_from(v.len()).unwrap_or(i64::MAX)))
            .collect()
    }

    /// The total of an indicator.
    pub fn total(&self, ind: &Indicator, unit_key: &str, period: &Period) -> i64 {
        self.count(ind, unit_key, period, &[])
            .get(&Vec::new())
            .copied()
            .unwrap_or(0)
    }

    /// For a deadline indicator: per rule, the median minutes from a clock's start to the step
    /// that met it (met deadlines only).
    pub fn median_minutes(
        &self,
        ind: &Indicator,
        unit_key: &str,
        period: &Period,
    ) -> BTreeMap<String, i64> {
        let mut by_rule: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        self.each(ind, unit_key, period, |_, _, fact, _| {
            if let (Some((met, _)), Some(start), Some(rule)) = (
                fact.met,
                fact.started_at,
                fact.dims.get("rule").and_then(|r| r.first()),
            ) {
                by_rule
                    .entry(rule.clone())
                    .or_default()
                    .push((met - start).num_minutes());
            }
        });
        by_rule
            .into_iter()
            .map(|(rule, mut v)| {
                v.sort_unstable();
                // The lower median: a whole number of minutes, the same on every run.
                (rule, v[(v.len() - 1) / 2])
            })
            .collect()
    }

    /// Calls `f` for every fact the indicator counts under the unit in the period.
    fn each<'a>(
        &'a self,
        ind: &Indicator,
        unit_key: &str,
        period: &Period,
        mut f: impl FnMut(&'a CaseFacts, usize, &'a Fact, &'a Place),
    ) {
        for case in &self.cases {
            for (n, fact) in case.facts.iter().enumerate() {
                if fact.source != ind.source || !self.in_period(ind, fact, period) {
                    continue;
                }
                let place = match ind.unit {
                    UnitRule::Incident => &case.incident,
                    UnitRule::ActingAtEvent => case.acting_at(fact.at),
                    UnitRule::ActingAtEnd => case.acting_at(period.to),
                };
                if !place.key.starts_with(unit_key) {
                    continue;
                }
                let matches = |filter: &BTreeMap<String, Vec<String>>, all: bool| {
                    filter.iter().all(|(d, allowed)| {
                        let hit = self
                            .values(case, fact, place, d)
                            .iter()
                            .any(|v| allowed.contains(v));
                        hit == all
                    })
                };
                if matches(&ind.only, true) && matches(&ind.except, false) {
                    f(case, n, fact, place);
                }
            }
        }
    }

    fn in_period(&self, ind: &Indicator, fact: &Fact, period: &Period) -> bool {
        match ind.period {
            PeriodDate::OpenAtEnd => {
                fact.at < period.to && fact.until.is_none_or(|u| u >= period.to)
            }
            // A deadline is due in the period once its time has come: one still ahead is not
            // yet due (and not yet a compliance figure).
            PeriodDate::Due => period.holds(fact.at) && fact.at <= self.now,
            _ => period.holds(fact.at),
        }
    }

    /// A dimension's values for a fact: the fact's own, then the derived ones, then the case's.
    fn values(&self, case: &CaseFacts, fact: &Fact, place: &Place, dim: &str) -> Vec<String> {
        let values = match dim {
            "commune" => vec![place.code.clone()],
            "state" if fact.source == Source::Deadline => {
                vec![deadline_state(fact, self.now).to_owned()]
            }
            _ => fact
                .dims
                .get(dim)
                .or_else(|| case.dims.get(dim))
                .cloned()
                .unwrap_or_default(),
        };
        if values.is_empty() {
            vec![UNKNOWN.to_owned()]
        } else {
            values
        }
    }
}

/// Where a deadline stood at `now`: met, met late, cancelled, overdue or pending.
fn deadline_state(fact: &Fact, now: DateTime<Utc>) -> &'static str {
    match fact.met {
        Some((_, false)) => "met",
        Some((_, true)) => "met_late",
        None if fact.cancelled => "cancelled",
        None if fact.at <= now => "overdue",
        None => "pending",
    }
}

/// Every key a fact falls under: the cross product of its values on each dimension.
fn keys(dims: &[String], values: impl Fn(&str) -> Vec<String>) -> Vec<Vec<String>> {
    let mut keys = vec![Vec::new()];
    for d in dims {
        let vs = values(d);
        keys = keys
            .into_iter()
            .flat_map(|k| {
                vs.iter().map(move |v| {
                    let mut k = k.clone();
                    k.push(v.clone());
                    k
                })
            })
            .collect();
    }
    keys
}

/// An indicator's figures: total and breakdowns, for reports and the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct IndicatorFigures {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub total: i64,
    pub breakdowns: Vec<BreakdownFigures>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BreakdownFigures {
    pub dimensions: Vec<String>,
    pub cells: Vec<CellFigure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CellFigure {
    pub key: Vec<String>,
    pub count: i64,
}

/// An indicator's total and each of its registered breakdowns.
pub fn figures(s: &Snapshot, ind: &Indicator, unit_key: &str, period: &Period) -> IndicatorFigures {
    IndicatorFigures {
        code: ind.code.clone(),
        name_vi: ind.name.vi.clone(),
        name_en: ind.name.en.clone(),
        total: s.total(ind, unit_key, period),
        breakdowns: ind
            .breakdowns
            .iter()
            .map(|dims| BreakdownFigures {
                dimensions: dims.clone(),
                cells: s
                    .count(ind, unit_key, period, dims)
                    .into_iter()
                    .map(|(key, count)| CellFigure { key, count })
                    .collect(),
            })
            .collect(),
    }
}
