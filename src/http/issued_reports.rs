//! Issuing a periodic report and reading issued ones: `POST /periodic-reports` freezes a report
//! at the newest committed event; `GET /periodic-reports/{id}` checks that the log still gives
//! the same bytes at that position and lists what a computation now would show differently;
//! `GET /periodic-reports/{id}/file` serves the stored file. Supervisors, in their jurisdiction.
//! The use cases are `crate::app::reports`'s.

use super::cases::{idempotent, Answer};
use super::errors::ApiError;
use super::reports::{file_response, format_of};
use super::session::Caller;
use super::AppState;
use crate::app::reports as app;
use crate::reports::issued::Issued;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub use crate::app::reports::IssuedDetail;

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
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry gets the report the first request issued")),
    responses((status = 201, body = Issued), (status = 403), (status = 422)))]
pub async fn issue(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: web::Json<IssueDto>,
) -> Result<HttpResponse, ApiError> {
    // With an `Idempotency-Key`, a retry gets the report the first request issued.
    let request = format!("{}\n{}\n{}", body.template, body.unit, body.period);
    idempotent(&state, &caller, &req, &request, None, |_| async {
        let issued = app::issue(&state, &caller, &body.template, &body.unit, &body.period).await?;
        Answer::json(StatusCode::CREATED, &issued)
    })
    .await
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
    let items = app::list(
        &state,
        &caller,
        query.unit.as_deref(),
        query.limit.unwrap_or(50),
    )
    .await?;
    Ok(HttpResponse::Ok().json(IssuedList { items }))
}

/// An issued report: what was issued, whether it reproduces, and what has changed since.
#[utoipa::path(get, path = "/api/v1/periodic-reports/{id}", tag = "reports", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = IssuedDetail), (status = 403), (status = 404)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(app::detail(&state, &caller, *id).await?))
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
    let (issued, bytes) = app::file(&state, &caller, *id, format).await?;
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
