//! The indicators of procedure.md §7 for a unit and period (both adapters): counts only, small
//! cells suppressed.

use super::lists::{scope_for, unit_filter, wait_for_views};
use crate::http::errors::ApiError;
use crate::http::extract::Fields;
use crate::http::session::Caller;
use crate::http::AppState;
use aggregates::codes::Role;
use aggregates::deadlines::calendar::{end_of_local_day, local_date, vietnam_offset};
use aggregates::policy::Action;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use projections::projector::{CASES, DEADLINES};
use projections::views::queries;
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

fn period_bound(f: &mut Fields, field: &str, raw: &str, end: bool) -> Option<DateTime<Utc>> {
    if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Some(if end {
            end_of_local_day(day)
        } else {
            end_of_local_day(day.pred_opt().unwrap_or(day))
        });
    }
    f.time(field, raw)
}

/// The statistics of `unit` (default: the supervisor's) from `from` (a local date or an
/// instant; default 1 January) to `to` (default now).
pub async fn statistics(
    state: &AppState,
    caller: &Caller,
    strong: bool,
    unit: Option<&str>,
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
    let mut f = Fields::default();
    let from_raw = from;
    let from = match from_raw {
        Some(raw) => period_bound(&mut f, "from", raw, false),
        None => {
            let year = local_date(now).year();
            vietnam_offset()
                .with_ymd_and_hms(year, 1, 1, 0, 0, 0)
                .single()
                .map(|t| t.with_timezone(&Utc))
        }
    };
    let to = match to_raw {
        Some(raw) => period_bound(&mut f, "to", raw, true),
        None => Some(now),
    };
    if let (Some(from), Some(to)) = (from, to) {
        if from >= to {
            f.push(
                "to",
                "period_empty",
                "`to` phải sau `from`",
                "`to` must be after `from`",
            );
        }
    }
    f.finish()?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(ApiError::validation(Vec::new()));
    };
    wait_for_views(state, caller, strong, &[CASES, DEADLINES]).await?;
    let counts = queries::statistics(&state.db, &unit_scope, from, to, now).await?;
    let min = i64::from(state.settings.stats_min_cell);
    let cell = |n: i64| -> Cell { (n == 0 || n >= min).then_some(n) };
    let cells = |m: &BTreeMap<String, i64>| {
        m.iter()
            .map(|(k, v)| (k.clone(), cell(*v)))
            .collect::<BTreeMap<_, _>>()
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
