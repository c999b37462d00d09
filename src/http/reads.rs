//! The read endpoints over the views: case lists, caseload, the deadline board, statistics.
//! Every list is scoped by the caller's grants, and waits (bounded) for the views to reflect
//! every command answered before it (read-your-writes).

use super::errors::{ApiError, Bilingual};
use super::extract::Fields;
use super::session::Caller;
use super::AppState;
use crate::store::access_log::{self, CaseView};
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use aggregates::codes::{CaseStatus, Code, Role};
use aggregates::deadlines::calendar::{end_of_local_day, local_date};
use aggregates::deadlines::DeadlineState;
use aggregates::policy::{authorize_scoped, Action};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use projections::indicators::engine::{Period, Snapshot};
use projections::indicators::statistics;
use projections::projector::{CASES, DEADLINES};
use projections::views::queries::{
    self, BoardEntry, CaseFilter, CaseSummary, QueryError, Scope, ScopeUnit,
};
use projections::views::unit_path_key;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// `?limit=` and `?cursor=`.
pub fn page(limit: Option<&str>, cursor: Option<&str>) -> Result<(i64, Option<String>), ApiError> {
    let mut f = Fields::default();
    let limit = match limit {
        None => DEFAULT_LIMIT,
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                f.push(
                    "limit",
                    "out_of_range",
                    "limit từ 1 đến 500",
                    "limit must be 1 to 500",
                );
                DEFAULT_LIMIT
            }
        },
    };
    if cursor.is_some_and(|c| c.len() > 200) {
        f.push(
            "cursor",
            "invalid_cursor",
            "Con trỏ không hợp lệ",
            "Invalid cursor",
        );
    }
    f.finish()?;
    Ok((limit, cursor.map(str::to_owned)))
}

fn query_error(e: QueryError) -> ApiError {
    match e {
        QueryError::Cursor(_) => ApiError::validation(vec![super::errors::FieldError::new(
            "cursor",
            "invalid_cursor",
            Bilingual::new("Con trỏ không hợp lệ", "Invalid cursor"),
        )]),
        QueryError::Db(e) => ApiError::from(e),
    }
}

/// Read-your-writes: when the caller's session recorded a command lately (or the request asks
/// for `Casebook-Consistency: strong`), waits until the named views include every event
/// committed before this read, at most `CASEBOOK_VIEW_WAIT_MS`. Other reads answer from the
/// views as they stand.
pub async fn wait_for_views(
    state: &AppState,
    caller: &Caller,
    req: &HttpRequest,
    names: &[&str],
) -> Result<(), ApiError> {
    let strong = req
        .headers()
        .get("casebook-consistency")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("strong"));
    if !strong && !state.recent_writers.wrote_lately(&caller.token_hash) {
        return Ok(());
    }
    match state
        .projections
        .wait_for_head(names, state.settings.view_wait())
        .await
    {
        Ok(()) => Ok(()),
        Err(projections::projector::WaitError::Lagging) => Err(ApiError::unavailable(
            "views_catching_up",
            "Dữ liệu tổng hợp đang được cập nhật; hãy thử lại sau giây lát",
            "The views are catching up with recent changes; retry shortly",
            1,
        )),
        Err(projections::projector::WaitError::Db(e)) => Err(ApiError::from(e)),
    }
}

/// The scope of a caller for `action`, using only the grants of `roles` when given.
pub(super) fn scope_for(
    state: &AppState,
    caller: &Caller,
    action: Action,
    roles: Option<&[Role]>,
) -> Result<Scope, ApiError> {
    let actor = caller.actor();
    let grants = authorize_scoped(&actor, action).map_err(|_| ApiError::forbidden())?;
    let mut scope = Scope::default();
    for grant in grants {
        if roles.is_some_and(|r| !r.contains(&grant.role)) {
            continue;
        }
        if grant.role == Role::HotlineOperator {
            scope.opened_by = Some(caller.id());
        } else if let Some(unit) = scope_unit(state, grant.unit.as_str()) {
            scope.units.push(unit);
        }
    }
    Ok(scope)
}

pub(super) fn scope_unit(state: &AppState, code: &str) -> Option<ScopeUnit> {
    let path = state.units.path(code)?;
    Some(ScopeUnit {
        key: unit_path_key(&path),
        code: code.to_owned(),
        leaf: state.units.is_leaf(code),
    })
}

/// A `?unit=` filter, which must lie within the caller's scope.
pub(super) fn unit_filter(
    state: &AppState,
    scope: &Scope,
    unit: Option<&str>,
) -> Result<Option<ScopeUnit>, ApiError> {
    let Some(unit) = unit else { return Ok(None) };
    let wanted = scope_unit(state, unit).ok_or_else(|| {
        ApiError::validation(vec![super::errors::FieldError::new(
            "unit",
            "unknown_unit",
            Bilingual::new(
                "Không có đơn vị hành chính này",
                "No such administrative unit",
            ),
        )])
    })?;
    // A hotline operator's national grant covers every unit: the filter narrows the cases it
    // opened or supports to one commune.
    if scope.opened_by.is_some()
        || scope
            .units
            .iter()
            .any(|u| wanted.key.starts_with(u.key.as_str()))
    {
        Ok(Some(wanted))
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "unit_out_of_scope",
            "Đơn vị này nằm ngoài phạm vi của bạn",
            "This unit is outside your jurisdiction",
        ))
    }
}

fn uuid_param(f: &mut Fields, name: &str, raw: Option<&str>) -> Option<Uuid> {
    raw.and_then(|r| f.uuid(name, r))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CasesQuery {
    /// A case status code.
    pub status: Option<String>,
    /// Cases under this unit.
    pub unit: Option<String>,
    pub assigned_to: Option<String>,
    /// `overdue`, `due_soon` or `pending`.
    pub deadline_state: Option<String>,
    /// A case number, or part of the child's name.
    pub q: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseList {
    pub items: Vec<CaseSummary>,
    pub next_cursor: Option<String>,
}

fn parse_deadline_state(f: &mut Fields, raw: Option<&str>) -> Option<DeadlineState> {
    match raw {
        None => None,
        Some(raw) => match DeadlineState::parse(raw) {
            Some(
                s @ (DeadlineState::Overdue | DeadlineState::DueSoon | DeadlineState::Pending),
            ) => Some(s),
            _ => {
                f.push(
                    "deadline_state",
                    "unknown_code",
                    "Mã không hợp lệ; các mã hợp lệ: overdue, due_soon, pending",
                    "Unknown code; allowed: overdue, due_soon, pending",
                );
                None
            }
        },
    }
}

/// Cases in the caller's jurisdiction (summaries only).
#[utoipa::path(get, path = "/api/v1/cases", tag = "views", security(("bearer" = [])), params(CasesQuery),
    responses((status = 200, body = CaseList), (status = 403), (status = 422), (status = 503, description = "views catching up")))]
pub async fn list_cases(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: web::Query<CasesQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = scope_for(&state, &caller, Action::ListCases, None)?;
    let (limit, cursor) = page(query.limit.as_deref(), query.cursor.as_deref())?;
    let mut f = Fields::default();
    let status = query
        .status
        .as_deref()
        .and_then(|s| f.code::<CaseStatus>("status", s));
    let assigned_to = uuid_param(&mut f, "assigned_to", query.assigned_to.as_deref());
    let deadline_state = parse_deadline_state(&mut f, query.deadline_state.as_deref());
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > 100) {
        f.push(
            "q",
            "too_long",
            "Tối đa 100 ký tự",
            "At most 100 characters",
        );
    }
    f.finish()?;
    let unit = unit_filter(&state, &scope, query.unit.as_deref())?;
    wait_for_views(&state, &caller, &req, &[CASES, DEADLINES]).await?;
    let filter = CaseFilter {
        status: status.map(|s| s.code().to_owned()),
        unit,
        assigned_to,
        deadline_state,
        q: q.map(str::to_owned),
        ..CaseFilter::default()
    };
    let items = queries::list_cases(
        &state.db,
        &scope,
        &filter,
        limit + 1,
        cursor.as_deref(),
        state.clock.now(),
    )
    .await
    .map_err(query_error)?;
    let shown = items.iter().take(limit as usize).map(|c| c.id);
    audit_list(&state, &caller, CaseView::ListCases, shown).await?;
    Ok(HttpResponse::Ok().json(paged(items, limit, |c: &CaseSummary| c.cursor.clone())))
}

/// A list that shows children's cases is a disclosure: one audit write per request, a row for
/// each case shown (in the case's access log, beside its reads). The page is what was shown,
/// so the look-ahead row that only decides `next_cursor` is left out.
async fn audit_list(
    state: &AppState,
    caller: &Caller,
    view: CaseView,
    shown: impl Iterator<Item = Uuid>,
) -> Result<(), ApiError> {
    let mut cases: Vec<Uuid> = Vec::new();
    for id in shown {
        if !cases.contains(&id) {
            cases.push(id);
        }
    }
    if cases.is_empty() {
        return Ok(());
    }
    let Some(grant) = caller.user.grants.first() else {
        return Ok(());
    };
    access_log::record_list(
        &state.db,
        &cases,
        caller.id(),
        grant.role.code(),
        grant.unit.as_str(),
        view,
        Utc::now(),
    )
    .await
    .map_err(|e| ApiError::internal(&format!("list audit write failed: {e}")))
}

fn paged<T: Serialize>(
    mut items: Vec<T>,
    limit: i64,
    cursor: impl Fn(&T) -> String,
) -> serde_json::Value {
    let has_more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next_cursor = if has_more {
        items.last().map(cursor)
    } else {
        None
    };
    serde_json::json!({ "items": items, "next_cursor": next_cursor })
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CaseloadQuery {
    /// Approvers and supervisors: one worker's caseload.
    pub worker: Option<String>,
    /// Approvers and supervisors: cases under this unit.
    pub unit: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Caseload {
    pub items: Vec<CaseSummary>,
    pub next_cursor: Option<String>,
    /// Open cases by status.
    pub counts: BTreeMap<String, i64>,
}

/// Whether the caller reads boards as a worker (its own cases and the unassigned ones of its
/// communes) or as an approver or supervisor (everything in its units).
fn board_roles(caller: &Caller) -> (bool, Option<&'static [Role]>) {
    let manager = caller
        .user
        .grants
        .iter()
        .any(|g| matches!(g.role, Role::Approver | Role::Supervisor));
    if manager {
        (false, Some(&[Role::Approver, Role::Supervisor]))
    } else {
        (true, Some(&[Role::SocialWorker]))
    }
}

fn board_filter(
    state: &AppState,
    caller: &Caller,
    action: Action,
    worker: Option<&str>,
    unit: Option<&str>,
) -> Result<(Scope, CaseFilter), ApiError> {
    let (as_worker, roles) = board_roles(caller);
    let scope = scope_for(state, caller, action, roles)?;
    let mut f = Fields::default();
    let worker = uuid_param(&mut f, "worker", worker);
    f.finish()?;
    let mut filter = CaseFilter {
        open_only: true,
        ..CaseFilter::default()
    };
    if as_worker {
        if worker.is_some_and(|w| w != caller.id()) {
            return Err(ApiError::forbidden());
        }
        filter.assigned_to_or_unassigned = Some(caller.id());
    } else {
        filter.assigned_to = worker;
    }
    filter.unit = unit_filter(state, &scope, unit)?;
    Ok((scope, filter))
}

/// Open cases with their next deadline, and counts by status.
#[utoipa::path(get, path = "/api/v1/caseload", tag = "views", security(("bearer" = [])), params(CaseloadQuery),
    responses((status = 200, body = Caseload), (status = 403), (status = 503)))]
pub async fn caseload(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: web::Query<CaseloadQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, cursor) = page(query.limit.as_deref(), query.cursor.as_deref())?;
    let (scope, filter) = board_filter(
        &state,
        &caller,
        Action::ReadCaseload,
        query.worker.as_deref(),
        query.unit.as_deref(),
    )?;
    wait_for_views(&state, &caller, &req, &[CASES, DEADLINES]).await?;
    let now = state.clock.now();
    let items = queries::list_cases(
        &state.db,
        &scope,
        &filter,
        limit + 1,
        cursor.as_deref(),
        now,
    )
    .await
    .map_err(query_error)?;
    let counts = queries::counts_by_status(&state.db, &scope, &filter, now).await?;
    let shown = items.iter().take(limit as usize).map(|c| c.id);
    audit_list(&state, &caller, CaseView::Caseload, shown).await?;
    let mut body = paged(items, limit, |c: &CaseSummary| c.cursor.clone());
    body["counts"] = serde_json::to_value(counts).unwrap_or_default();
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DeadlinesQuery {
    pub unit: Option<String>,
    /// `overdue`, `due_soon` or `pending`.
    pub state: Option<String>,
    pub worker: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Board {
    pub items: Vec<BoardEntry>,
    pub next_cursor: Option<String>,
}

/// Every open obligation in scope, most urgent first; state derived from the stored due times
/// at the time of the request.
#[utoipa::path(get, path = "/api/v1/deadlines", tag = "views", security(("bearer" = [])), params(DeadlinesQuery),
    responses((status = 200, body = Board), (status = 403), (status = 503)))]
pub async fn deadlines(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: web::Query<DeadlinesQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, cursor) = page(query.limit.as_deref(), query.cursor.as_deref())?;
    let (scope, mut filter) = board_filter(
        &state,
        &caller,
        Action::ReadDeadlines,
        query.worker.as_deref(),
        query.unit.as_deref(),
    )?;
    let mut f = Fields::default();
    filter.deadline_state = parse_deadline_state(&mut f, query.state.as_deref());
    f.finish()?;
    wait_for_views(&state, &caller, &req, &[CASES, DEADLINES]).await?;
    let items = queries::deadline_board(
        &state.db,
        &scope,
        &filter,
        limit + 1,
        cursor.as_deref(),
        state.clock.now(),
    )
    .await
    .map_err(query_error)?;
    let shown = items.iter().take(limit as usize).map(|e| e.case_id);
    audit_list(&state, &caller, CaseView::Deadlines, shown).await?;
    Ok(HttpResponse::Ok().json(paged(items, limit, |e: &BoardEntry| e.cursor.clone())))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct StatisticsQuery {
    /// The unit (default: the supervisor's unit).
    pub unit: Option<String>,
    /// A period of the fixed grid: `2026`, `2026-H1`, `2026-Q2` or `2026-06` (default: this
    /// year). Fixed grids keep two queries from being subtracted into a small cell.
    pub period: Option<String>,
    /// Start, inclusive: the first local day of a month (`2026-05-01`); with `to`, instead of
    /// `period`.
    pub from: Option<String>,
    /// End: the last local day of a month (`2026-05-31`, the whole day included).
    pub to: Option<String>,
}

/// The period of `GET /statistics`, on the month grid: a grid id, or month-aligned days.
fn statistics_period(
    q: &StatisticsQuery,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    use crate::reports::{period, PeriodKind};
    let mut f = Fields::default();
    let off_grid = |f: &mut Fields, field: &str| {
        f.push(
            field,
            "period_not_on_grid",
            "Kỳ phải theo lưới cố định: năm, 6 tháng, quý hoặc tháng (từ ngày đầu đến ngày cuối tháng)",
            "The period must be on the fixed grid: a year, six months, a quarter or months (first to last day)",
        );
    };
    let bounds = match (&q.period, &q.from, &q.to) {
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
    match bounds {
        Some(b) => Ok(b),
        None => {
            off_grid(&mut f, if q.period.is_some() { "period" } else { "to" });
            f.finish()?;
            Err(ApiError::validation(Vec::new()))
        }
    }
}

/// A count, or `null` when it is a small cell that could identify a child.
type Cell = Option<i64>;

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

/// The indicators of procedure.md §7 for a unit and period. Counts only; small cells suppressed.
#[utoipa::path(get, path = "/api/v1/statistics", tag = "views", security(("bearer" = [])), params(StatisticsQuery),
    responses((status = 200, body = Statistics, description = "JSON, or CSV with Accept: text/csv"), (status = 403), (status = 422)))]
pub async fn statistics(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: web::Query<StatisticsQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = scope_for(&state, &caller, Action::ReadStatistics, None)?;
    let unit = match &query.unit {
        Some(u) => u.clone(),
        None => caller
            .user
            .grants
            .iter()
            .find(|g| g.role == Role::Supervisor)
            .map(|g| g.unit.to_string())
            .unwrap_or_default(),
    };
    let unit_scope = unit_filter(&state, &scope, Some(&unit))?
        .ok_or_else(|| ApiError::validation(Vec::new()))?;
    let now = state.clock.now();
    let (from, to) = statistics_period(&query, now)?;
    // The engine folds the event log itself (no view to wait for): the figures are those of
    // the newest committed event.
    let snapshot = Snapshot::load(&state.db, None, now).await?;
    let counts = statistics::statistics(
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
    let wants_csv = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/csv"));
    if wants_csv {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(statistics_csv(&stats)));
    }
    Ok(HttpResponse::Ok().json(stats))
}

/// One row per cell: `section,dimension,key,count` (`<N` for a suppressed cell).
fn statistics_csv(s: &Statistics) -> String {
    let mut out = String::from("section,dimension,key,count\n");
    let threshold = s.suppressed_below;
    let mut row = |section: &str, dimension: &str, key: &str, value: &Cell| {
        let value = value.map_or_else(|| format!("<{threshold}"), |v| v.to_string());
        out.push_str(&format!("{section},{dimension},{key},{value}\n"));
    };
    let a = &s.abused_children;
    row("abused_children", "total", "children", &a.children);
    row("abused_children", "total", "juveniles", &a.juveniles);
    row("abused_children", "total", "incidents", &a.incidents);
    for (k, v) in &a.by_sex {
        row("abused_children", "sex", k, v);
    }
    for (k, v) in &a.by_age_group {
        row("abused_children", "age_group", k, v);
    }
    for (k, v) in &a.by_abuse_type {
        row("abused_children", "abuse_type", k, v);
    }
    for (k, v) in &a.by_environment {
        row("abused_children", "environment", k, v);
    }
    for (k, v) in &s.intake.by_intake_point {
        row("intake", "intake_point", k, v);
    }
    for (k, v) in &s.intake.by_channel {
        row("intake", "channel", k, v);
    }
    row("cases", "total", "opened", &s.cases.opened);
    row("cases", "total", "closed", &s.cases.closed);
    row("cases", "total", "open_at_end", &s.cases.open_at_end);
    for (k, v) in &s.cases.closed_by_reason {
        row("cases", "closed_by_reason", k, v);
    }
    for (k, v) in &s.support.by_measure {
        row("support", "measure", k, v);
    }
    for (k, v) in &s.support.by_service_type {
        row("support", "service_type", k, v);
    }
    for (rule, states) in &s.compliance {
        for (k, v) in states {
            row("compliance", rule, k, v);
        }
    }
    out
}
