//! The indicators of procedure.md §7 for a unit and period (both adapters): counts only, small
//! cells suppressed.

use super::lists::{scope_for, unit_filter};
use crate::http::errors::ApiError;
use crate::http::extract::Fields;
use crate::http::session::Caller;
use crate::http::AppState;
use aggregates::codes::Role;
use aggregates::deadlines::calendar::{end_of_local_day, local_date};
use aggregates::policy::Action;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use projections::indicators::engine::{Period, Snapshot};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A count, or `null` when it is a small cell that could identify a child.
pub type Cell = Option<i64>;

#[derive(Debug, Serialize, ToSchema)]
pub struct Statistics {
    pub unit: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Counts from 1 to this value minus one are suppressed (`null`).
    pub suppressed_below: u32,
    /// Indicator 0101 (Circular 13/2021): abused children received in the period.
    pub abused_children: AbusedChildren,
    pub intake: Intake,
    pub cases: CaseCounts,
    /// Children given support or intervention.
    pub support: Support,
    /// Deadlines due in the period, per rule: met, met late, overdue, pending.
    pub compliance: BTreeMap<String, BTreeMap<String, Cell>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AbusedChildren {
    /// Children under 16 (LTE art. 1); duplicates and unfounded reports excluded.
    pub children: Cell,
    /// 16- and 17-year-olds (juvenile cases), counted apart.
    pub juveniles: Cell,
    pub incidents: Cell,
    pub by_sex: BTreeMap<String, Cell>,
    pub by_age_group: BTreeMap<String, Cell>,
    pub by_abuse_type: BTreeMap<String, Cell>,
    pub by_environment: BTreeMap<String, Cell>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Intake {
    pub by_intake_point: BTreeMap<String, Cell>,
    pub by_channel: BTreeMap<String, Cell>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseCounts {
    pub opened: Cell,
    pub closed: Cell,
    pub closed_by_reason: BTreeMap<String, Cell>,
    pub open_at_end: Cell,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Support {
    pub by_measure: BTreeMap<String, Cell>,
    pub by_service_type: BTreeMap<String, Cell>,
}

/// The period on the month grid: a grid id (`2026`, `2026-H1`, `2026-Q2`, `2026-06`), or
/// month-aligned local days; this year by default. Fixed grids keep two queries from being
/// subtracted into a small cell (issue 11).
fn statistics_period(
    period: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    use crate::reports::{period, PeriodKind};
    let bounds = match (period, from, to) {
        (Some(id), None, None) => {
            let kind = match id.len() {
                4 => PeriodKind::Year,
                7 if id.contains("-H") => PeriodKind::SixMonths,
                7 if id.contains("-Q") => PeriodKind::Quarter,
                _ => PeriodKind::Month,
            };
            period::parse(&kind, id).map(|p| (p.from, p.to))
        }
        (None, None, None) => {
            let year = local_date(now).year().to_string();
            period::parse(&PeriodKind::Year, &year).map(|p| (p.from, p.to))
        }
        (None, Some(from), Some(to)) => {
            let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
            match (day(from), day(to)) {
                (Some(a), Some(b))
                    if a.day() == 1 && b.succ_opt().is_some_and(|n| n.day() == 1) && a <= b =>
                {
                    let start = a.pred_opt().map(end_of_local_day);
                    start.map(|s| (s, end_of_local_day(b)))
                }
                _ => None,
            }
        }
        _ => None,
    };
    bounds.ok_or_else(|| {
        let mut f = Fields::default();
        f.push(
            if period.is_some() { "period" } else { "to" },
            "period_not_on_grid",
            "Kỳ phải theo lưới cố định: năm, 6 tháng, quý hoặc tháng (từ ngày đầu đến ngày cuối tháng)",
            "The period must be on the fixed grid: a year, six months, a quarter or months (first to last day)",
        );
        f.finish().err().unwrap_or_else(|| ApiError::validation(Vec::new()))
    })
}

/// The statistics of `unit` (default: the supervisor's) for a period of the fixed grid.
pub async fn statistics(
    state: &AppState,
    caller: &Caller,
    _strong: bool,
    unit: Option<&str>,
    period: Option<&str>,
    from: Option<&str>,
    to_raw: Option<&str>,
) -> Result<Statistics, ApiError> {
    let scope = scope_for(state, caller, Action::ReadStatistics, None)?;
    let unit = match unit {
        Some(u) => u.to_owned(),
        None => caller
            .user
            .grants
            .iter()
            .find(|g| g.role == Role::Supervisor)
            .map(|g| g.unit.to_string())
            .unwrap_or_default(),
    };
    let unit_scope =
        unit_filter(state, &scope, Some(&unit))?.ok_or_else(|| ApiError::validation(Vec::new()))?;
    let now = state.clock.now();
    let (from, to) = statistics_period(period, from, to_raw, now)?;
    // The engine folds the event log itself (no view to wait for): the figures are those of the
    // newest committed event.
    let snapshot = Snapshot::load(&state.db, None, now).await?;
    let counts = projections::indicators::statistics::statistics(
        &state.indicators,
        &snapshot,
        &unit_scope.key,
        &Period { from, to },
    );
    let min = i64::from(state.settings.stats_min_cell);
    let cell = |n: i64| -> Cell { (n == 0 || n >= min).then_some(n) };
    // A breakdown adds up to its total: a single withheld cell would come back by subtraction,
    // so a second one (the smallest other count) is withheld with it.
    let cells = |m: &BTreeMap<String, i64>| {
        let mut out: BTreeMap<String, Cell> =
            m.iter().map(|(k, v)| (k.clone(), cell(*v))).collect();
        if out.values().filter(|c| c.is_none()).count() == 1 {
            let other = out
                .iter()
                .filter_map(|(k, c)| c.filter(|v| *v > 0).map(|v| (v, k.clone())))
                .min();
            if let Some((_, k)) = other {
                out.insert(k, None);
            }
        }
        out
    };
    let stats = Statistics {
        unit: unit.clone(),
        from,
        to,
        suppressed_below: state.settings.stats_min_cell,
        abused_children: AbusedChildren {
            children: cell(counts.abused_children),
            juveniles: cell(counts.abused_juveniles),
            incidents: cell(counts.abused_incidents),
            by_sex: cells(&counts.abused_by_sex),
            by_age_group: cells(&counts.abused_by_age_group),
            by_abuse_type: cells(&counts.abused_by_abuse_type),
            by_environment: cells(&counts.abused_by_environment),
        },
        intake: Intake {
            by_intake_point: cells(&counts.received_by_intake_point),
            by_channel: cells(&counts.received_by_channel),
        },
        cases: CaseCounts {
            opened: cell(counts.opened),
            closed: cell(counts.closed),
            closed_by_reason: cells(&counts.closed_by_reason),
            open_at_end: cell(counts.open_at_end),
        },
        support: Support {
            by_measure: cells(&counts.children_by_measure),
            by_service_type: cells(&counts.children_by_service_type),
        },
        compliance: counts
            .compliance
            .iter()
            .map(|(rule, m)| (rule.clone(), cells(m)))
            .collect(),
    };
    Ok(stats)
}
