//! Periodic reports over HTTP: the templates, a preview, and (in `issued_reports`) issuing and
//! downloading. The use cases are the application layer's (`crate::app::reports`), which the
//! console calls too; these handlers translate requests and answers.

use super::errors::ApiError;
use super::reads::scope_for;
use super::session::Caller;
use super::AppState;
use crate::app::reports::{self as app, Audience};
use crate::reports::build::Report;
use crate::reports::render::{self, Format};
use crate::reports::Template;
use actix_web::{web, HttpResponse};
use aggregates::policy::Action;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub use crate::app::reports::{compute, labels, resolve, Resolved};

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateList {
    pub items: Vec<Template>,
}

/// The report templates in force (shipped, or overridden by `CASEBOOK_REPORT_TEMPLATES`).
#[utoipa::path(get, path = "/api/v1/report-templates", tag = "reports", security(("bearer" = [])),
    responses((status = 200, body = TemplateList), (status = 403)))]
pub async fn templates(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    scope_for(&state, &caller, Action::ReadStatistics, None)?;
    Ok(HttpResponse::Ok().json(TemplateList {
        items: state.templates.all().to_vec(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PreviewQuery {
    /// A template id (`GET /report-templates`).
    pub template: String,
    /// The unit the report is for (a province or a commune in the caller's jurisdiction).
    pub unit: String,
    /// A period of the template's grid: `2026-06`, `2026-Q2`, `2026-H1`, `2026`, or for a
    /// custom cut-off the month it ends in (`2026-05`).
    pub period: String,
    /// `official` (default: every figure, marked confidential) or `public` (small cells withheld).
    pub audience: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

pub(super) fn format_of(raw: Option<&str>) -> Result<Format, ApiError> {
    app::format_of(raw)
}

/// A file download named after the report (ids and codes only: no personal data).
pub(super) fn file_response(
    (template, unit, period): (&str, &str, &str),
    format: Format,
    bytes: Vec<u8>,
) -> HttpResponse {
    let name = format!("{template}_{unit}_{period}.{}", format.code());
    HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes)
}

/// A report computed now from the newest committed event: official (confidential, every
/// figure) or public (small and complementary cells withheld). Nothing is recorded.
#[utoipa::path(get, path = "/api/v1/periodic-reports/preview", tag = "reports", security(("bearer" = [])),
    params(PreviewQuery),
    responses((status = 200, body = Report, description = "JSON, CSV (UTF-8 with BOM) or XLSX per `format`"),
        (status = 403), (status = 422)))]
pub async fn preview(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<PreviewQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = format_of(query.format.as_deref())?;
    let audience = Audience::parse(query.audience.as_deref())?;
    let report = app::preview(
        &state,
        &caller,
        &query.template,
        &query.unit,
        &query.period,
        audience,
    )
    .await?;
    let bytes = render::render(&report, format).map_err(|e| ApiError::internal(&e))?;
    let name = (
        report.template.as_str(),
        report.unit.code.as_str(),
        report.period.id.as_str(),
    );
    Ok(file_response(name, format, bytes))
}
