//! Issuing a periodic report and reading issued ones: `POST /periodic-reports` freezes a report
//! at the newest committed event; `GET /periodic-reports/{id}` checks that the log still gives
//! the same bytes at that position and lists what a computation now would show differently;
//! `GET /periodic-reports/{id}/file` serves the stored file. Supervisors, in their jurisdiction.

use super::errors::ApiError;
use super::extract::Fields;
use super::reads::scope_for;
use super::reports::{compute, file_response, format_of, resolve, Resolved};
use super::session::Caller;
use super::AppState;
use crate::reports::issued::{self, Difference, Issued, Issuer};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use aggregates::codes::Role;
use aggregates::policy::Action;
use projections::indicators::engine::Snapshot;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueDto {
    pub template: String,
    pub unit: String,
    pub period: String,
}

/// Issue the official report: computed at the newest committed event, every figure, marked
/// confidential; frozen with its position and the SHA-256 of each rendered file.
#[utoipa::path(post, path = "/api/v1/periodic-reports", tag = "reports", security(("bearer" = [])),
    request_body = IssueDto,
    responses((status = 201, body = Issued), (status = 403), (status = 422)))]
pub async fn issue(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<IssueDto>,
) -> Result<HttpResponse, ApiError> {
    let resolved = resolve(&state, &caller, &body.template, &body.unit, &body.period)?;
    // Microseconds: what both stores keep of an instant, so that the stored computing instant
    // gives the same report again.
    let now = chrono::SubsecRound::trunc_subsecs(state.clock.now(), 6);
    let snapshot = Snapshot::load(&state.db, None, now).await?;
    let report = compute(&state, &resolved, &snapshot);
    // The issuing unit: the supervisor grant whose unit covers the report's.
    let unit = caller
        .user
        .grants
        .iter()
        .filter(|g| g.role == Role::Supervisor)
        .filter_map(|g| state.units.path(g.unit.as_str()).map(|p| (g, p)))
        .find(|(_, p)| {
            resolved
                .unit
                .key
                .starts_with(&projections::views::unit_path_key(p))
        })
        .map(|(g, _)| g.unit.to_string())
        .unwrap_or_default();
    let by = Issuer {
        user_id: caller.id(),
        username: &caller.user.username,
        unit: &unit,
    };
    let issued = issued::issue(
        &state.db,
        &report,
        snapshot.position,
        &resolved.unit.key,
        &by,
        now,
    )
    .await
    .map_err(|e| ApiError::internal(&e))?;
    tracing::info!(report = %issued.id, template = %issued.template, unit = %issued.unit,
        period = %issued.period, position = %issued.position, "periodic report issued");
    Ok(HttpResponse::Created().json(issued))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct IssuedQuery {
    /// Only reports of units under this one.
    pub unit: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedList {
    pub items: Vec<Issued>,
}

/// The issued reports of the caller's units, newest first.
#[utoipa::path(get, path = "/api/v1/periodic-reports", tag = "reports", security(("bearer" = [])),
    params(IssuedQuery), responses((status = 200, body = IssuedList), (status = 403), (status = 422)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<IssuedQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = scope_for(&state, &caller, Action::ReadStatistics, None)?;
    let keys: Vec<String> = match &query.unit {
        Some(u) => vec![super::reads::unit_filter(&state, &scope, Some(u))?
            .map(|u| u.key)
            .unwrap_or_default()],
        None => scope.units.iter().map(|u| u.key.clone()).collect(),
    };
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        let mut f = Fields::default();
        f.push(
            "limit",
            "limit_out_of_range",
            "limit từ 1 đến 500",
            "limit is 1 to 500",
        );
        f.finish()?;
    }
    let items = issued::list(&state.db, &keys, limit).await?;
    Ok(HttpResponse::Ok().json(IssuedList { items }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedDetail {
    #[serde(flatten)]
    pub issued: Issued,
    /// Whether the log, read again at the issued position, gives the same bytes for every
    /// file (it must; `false` is an incident to investigate).
    pub reproduced: bool,
    /// Cells the same report computed now shows differently (corrections, late records,
    /// deadlines fallen due since).
    pub differences: Vec<Difference>,
}

/// An issued report of the caller's jurisdiction; 404 for another's (no existence leak).
async fn find(state: &AppState, caller: &Caller, id: Uuid) -> Result<(Issued, Resolved), ApiError> {
    let scope = scope_for(state, caller, Action::ReadStatistics, None)?;
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "periodic_report_not_found",
            "Không có báo cáo này",
            "No such report",
        )
    };
    let (issued, key) = issued::get(&state.db, id).await?.ok_or_else(not_found)?;
    if !scope.units.iter().any(|u| key.starts_with(&u.key)) {
        return Err(not_found());
    }
    let resolved = resolve(
        state,
        caller,
        &issued.template,
        &issued.unit,
        &issued.period,
    )?;
    Ok((issued, resolved))
}

/// An issued report: what was issued, whether it reproduces, and what has changed since.
#[utoipa::path(get, path = "/api/v1/periodic-reports/{id}", tag = "reports", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = IssuedDetail), (status = 403), (status = 404)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (issued, resolved) = find(&state, &caller, *id).await?;
    let frozen = Snapshot::load(&state.db, Some(issued.at), issued.computed_at).await?;
    let again = compute(&state, &resolved, &frozen);
    let rendered = issued::render_all(&again).map_err(|e| ApiError::internal(&e))?;
    let reproduced = rendered.hashes() == issued.sha256;
    if !reproduced {
        tracing::error!(report = %issued.id, "an issued report no longer reproduces from the log");
    }
    let current = Snapshot::load(&state.db, None, state.clock.now()).await?;
    let differences = issued::differences(&again, &compute(&state, &resolved, &current));
    Ok(HttpResponse::Ok().json(IssuedDetail {
        issued,
        reproduced,
        differences,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct FileQuery {
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

/// The issued file, byte for byte as issued; its SHA-256 in `x-content-sha256`.
#[utoipa::path(get, path = "/api/v1/periodic-reports/{id}/file", tag = "reports", security(("bearer" = [])),
    params(("id" = Uuid, Path), FileQuery),
    responses((status = 200, description = "the file"), (status = 403), (status = 404), (status = 422)))]
pub async fn file(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<FileQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = format_of(query.format.as_deref())?;
    let (issued, _) = find(&state, &caller, *id).await?;
    let bytes = issued::file(&state.db, issued.id, format)
        .await?
        .ok_or_else(|| ApiError::internal(&"issued report without its file"))?;
    let name = (
        issued.template.as_str(),
        issued.unit.as_str(),
        issued.period.as_str(),
    );
    let mut response = file_response(name, format, bytes);
    if let Some(hash) = issued.sha256.get(format.code()) {
        if let Ok(v) = actix_web::http::header::HeaderValue::from_str(hash) {
            response.headers_mut().insert(
                actix_web::http::header::HeaderName::from_static("x-content-sha256"),
                v,
            );
        }
    }
    Ok(response)
}
