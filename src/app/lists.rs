//! The lists over the views, as both adapters read them: the scope of a caller's grants, the
//! filters, paging, read-your-writes and the audit row of every list that shows cases.

use crate::http::errors::{ApiError, Bilingual};
use crate::http::extract::Fields;
use crate::http::session::Caller;
use crate::http::AppState;
use crate::store::access_log::{self, CaseView};
use actix_web::http::StatusCode;
use aggregates::codes::{CaseStatus, Code, Role};
use aggregates::deadlines::DeadlineState;
use aggregates::policy::{authorize_scoped, Action};
use chrono::Utc;
use projections::projector::{CASES, DEADLINES};
use projections::views::queries::{
    self, BoardEntry, CaseFilter, CaseSummary, QueryError, Scope, ScopeUnit,
};
use projections::views::unit_path_key;
use serde::Serialize;
use uuid::Uuid;

/// Read-your-writes: when the caller's session recorded a command lately (or the request asks
/// for strong consistency), waits until the named views include every event committed before
/// this read, at most `CASEBOOK_VIEW_WAIT_MS`. Other reads answer from the views as they stand.
pub async fn wait_for_views(
    state: &AppState,
    caller: &Caller,
    strong: bool,
    names: &[&str],
) -> Result<(), ApiError> {
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

pub fn query_error(e: QueryError) -> ApiError {
    match e {
        QueryError::Cursor(_) => ApiError::validation(vec![crate::http::errors::FieldError::new(
            "cursor",
            "invalid_cursor",
            Bilingual::new("Con trỏ không hợp lệ", "Invalid cursor"),
        )]),
        QueryError::Db(e) => ApiError::from(e),
    }
}

/// The scope of a caller for `action`, using only the grants of `roles` when given.
pub fn scope_for(
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

pub fn scope_unit(state: &AppState, code: &str) -> Option<ScopeUnit> {
    let path = state.units.path(code)?;
    Some(ScopeUnit {
        key: unit_path_key(&path),
        code: code.to_owned(),
        leaf: state.units.is_leaf(code),
    })
}

/// A `?unit=` filter, which must lie within the caller's scope.
pub fn unit_filter(
    state: &AppState,
    scope: &Scope,
    unit: Option<&str>,
) -> Result<Option<ScopeUnit>, ApiError> {
    let Some(unit) = unit else { return Ok(None) };
    let wanted = scope_unit(state, unit).ok_or_else(|| {
        ApiError::validation(vec![crate::http::errors::FieldError::new(
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

pub fn uuid_param(f: &mut Fields, name: &str, raw: Option<&str>) -> Option<Uuid> {
    raw.and_then(|r| f.uuid(name, r))
}

pub fn parse_deadline_state(f: &mut Fields, raw: Option<&str>) -> Option<DeadlineState> {
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

/// A list that shows children's cases is a disclosure: one audit write per request, a row for
/// each case shown (in the case's access log, beside its reads). The page is what was shown,
/// so the look-ahead row that only decides `next_cursor` is left out.
pub async fn audit_list(
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
        super::cases::session_check(state, caller),
    )
    .await
    .map_err(super::cases::audit_failed)
}

pub fn paged<T: Serialize>(
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

/// Whether the caller reads boards as a worker (its own cases and the unassigned ones of its
/// communes) or as an approver or supervisor (everything in its units).
pub fn board_roles(caller: &Caller) -> (bool, Option<&'static [Role]>) {
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

pub fn board_filter(
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

/// The filters of a case list, as the API's query parameters spell them.
#[derive(Debug, Default, Clone)]
pub struct CaseListParams {
    pub status: Option<String>,
    pub unit: Option<String>,
    pub assigned_to: Option<String>,
    pub deadline_state: Option<String>,
    pub q: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// One page of the cases in the caller's jurisdiction (summaries), after its audit rows.
pub async fn cases(
    state: &AppState,
    caller: &Caller,
    strong: bool,
    query: &CaseListParams,
) -> Result<(Vec<CaseSummary>, Option<String>), ApiError> {
    let scope = scope_for(state, caller, Action::ListCases, None)?;
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
    let unit = unit_filter(state, &scope, query.unit.as_deref())?;
    wait_for_views(state, caller, strong, &[CASES, DEADLINES]).await?;
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
    audit_list(state, caller, CaseView::ListCases, shown).await?;
    Ok(split_page(items, limit, |c| c.cursor.clone()))
}

/// The filters of the deadline board.
#[derive(Debug, Default, Clone)]
pub struct BoardParams {
    pub unit: Option<String>,
    pub state: Option<String>,
    pub worker: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// One page of the open obligations in scope, most urgent first, after its audit rows.
pub async fn deadlines(
    state: &AppState,
    caller: &Caller,
    strong: bool,
    query: &BoardParams,
) -> Result<(Vec<BoardEntry>, Option<String>), ApiError> {
    let (limit, cursor) = page(query.limit.as_deref(), query.cursor.as_deref())?;
    let (scope, mut filter) = board_filter(
        state,
        caller,
        Action::ReadDeadlines,
        query.worker.as_deref(),
        query.unit.as_deref(),
    )?;
    let mut f = Fields::default();
    filter.deadline_state = parse_deadline_state(&mut f, query.state.as_deref());
    f.finish()?;
    wait_for_views(state, caller, strong, &[CASES, DEADLINES]).await?;
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
    audit_list(state, caller, CaseView::Deadlines, shown).await?;
    Ok(split_page(items, limit, |e| e.cursor.clone()))
}

/// The page of `items` (fetched with one look-ahead row) and the cursor of the next page.
pub fn split_page<T>(
    mut items: Vec<T>,
    limit: i64,
    cursor: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    let has_more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next = if has_more {
        items.last().map(cursor)
    } else {
        None
    };
    (items, next)
}

/// One page of the open cases with their next deadline (a worker's own and its communes'
/// unassigned ones; an approver's or supervisor's units, `worker` and `unit` narrowing), the
/// counts by status, after its audit rows.
pub async fn caseload(
    state: &AppState,
    caller: &Caller,
    strong: bool,
    worker: Option<&str>,
    unit: Option<&str>,
    limit: Option<&str>,
    cursor: Option<&str>,
) -> Result<
    (
        Vec<CaseSummary>,
        Option<String>,
        std::collections::BTreeMap<String, i64>,
    ),
    ApiError,
> {
    let (limit, cursor) = page(limit, cursor)?;
    let (scope, filter) = board_filter(state, caller, Action::ReadCaseload, worker, unit)?;
    wait_for_views(state, caller, strong, &[CASES, DEADLINES]).await?;
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
    audit_list(state, caller, CaseView::Caseload, shown).await?;
    let (items, next) = split_page(items, limit, |c| c.cursor.clone());
    Ok((items, next, counts))
}
