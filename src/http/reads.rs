//! The read endpoints over the views: case lists, caseload, the deadline board, statistics.
//! Every list is scoped by the caller's grants, and waits (bounded) for the views to reflect
//! every command answered before it (read-your-writes).

use super::errors::ApiError;
use super::session::Caller;
use super::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use projections::views::queries::{BoardEntry, CaseSummary};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

use crate::app::lists;
pub use crate::app::lists::{
    audit_list, board_filter, page, paged, query_error, scope_for, unit_filter, DEFAULT_LIMIT,
    MAX_LIMIT,
};

/// Whether the request asks for `Casebook-Consistency: strong`.
pub fn strong(req: &HttpRequest) -> bool {
    req.headers()
        .get("casebook-consistency")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("strong"))
}

/// Read-your-writes for the API's reads (see [`lists::wait_for_views`]).
pub async fn wait_for_views(
    state: &AppState,
    caller: &Caller,
    req: &HttpRequest,
    names: &[&str],
) -> Result<(), ApiError> {
    lists::wait_for_views(state, caller, strong(req), names).await
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

/// Cases in the caller's jurisdiction (summaries only).
#[utoipa::path(get, path = "/api/v1/cases", tag = "views", security(("bearer" = [])), params(CasesQuery),
    responses((status = 200, body = CaseList), (status = 403), (status = 422), (status = 503, description = "views catching up")))]
pub async fn list_cases(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: web::Query<CasesQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let params = lists::CaseListParams {
        status: q.status,
        unit: q.unit,
        assigned_to: q.assigned_to,
        deadline_state: q.deadline_state,
        q: q.q,
        limit: q.limit,
        cursor: q.cursor,
    };
    let (items, next_cursor) = lists::cases(&state, &caller, strong(&req), &params).await?;
    Ok(HttpResponse::Ok().json(CaseList { items, next_cursor }))
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

/// Open cases with their next deadline, and counts by status.
#[utoipa::path(get, path = "/api/v1/caseload", tag = "views", security(("bearer" = [])), params(CaseloadQuery),
    responses((status = 200, body = Caseload), (status = 403), (status = 503)))]
pub async fn caseload(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: web::Query<CaseloadQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let (items, next_cursor, counts) = lists::caseload(
        &state,
        &caller,
        strong(&req),
        q.worker.as_deref(),
        q.unit.as_deref(),
        q.limit.as_deref(),
        q.cursor.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(Caseload {
        items,
        next_cursor,
        counts,
    }))
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
    let q = query.into_inner();
    let params = lists::BoardParams {
        unit: q.unit,
        state: q.state,
        worker: q.worker,
        limit: q.limit,
        cursor: q.cursor,
    };
    let (items, next_cursor) = lists::deadlines(&state, &caller, strong(&req), &params).await?;
    Ok(HttpResponse::Ok().json(Board { items, next_cursor }))
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

pub use crate::app::statistics::{AbusedChildren, CaseCounts, Cell, Intake, Statistics, Support};

/// The indicators of procedure.md §7 for a unit and period. Counts only; small cells suppressed.
#[utoipa::path(get, path = "/api/v1/statistics", tag = "views", security(("bearer" = [])), params(StatisticsQuery),
    responses((status = 200, body = Statistics, description = "JSON, or CSV with Accept: text/csv"), (status = 403), (status = 422)))]
pub async fn statistics(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: web::Query<StatisticsQuery>,
) -> Result<HttpResponse, ApiError> {
    let stats = crate::app::statistics::statistics(
        &state,
        &caller,
        strong(&req),
        query.unit.as_deref(),
        query.period.as_deref(),
        query.from.as_deref(),
        query.to.as_deref(),
    )
    .await?;
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
pub fn statistics_csv(s: &Statistics) -> String {
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
