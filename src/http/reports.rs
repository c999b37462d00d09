//! Periodic reports over HTTP: the templates, a preview, and (in `issued_reports`) issuing and
//! downloading. Supervisors only, for units in their jurisdiction (the statistics' rule: the
//! figures of a province are a supervisor's; approvers and admins see none).

use super::errors::{ApiError, FieldError};
use super::extract::Fields;
use super::reads::{scope_for, unit_filter};
use super::session::Caller;
use super::AppState;
use crate::reports::build::{build_report, Report, ReportUnit};
use crate::reports::labels::Labels;
use crate::reports::period::{self, ReportPeriod};
use crate::reports::render::{self, Format};
use crate::reports::{suppress, Template};
use actix_web::{web, HttpResponse};
use aggregates::policy::Action;
use projections::indicators::engine::Snapshot;
use projections::views::unit_path_key;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

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

/// What a report request names, checked: 422 for what is malformed, 403 out of jurisdiction.
pub struct Resolved {
    pub template: Template,
    pub unit: ReportUnit,
    pub period: ReportPeriod,
}

pub fn resolve(
    state: &AppState,
    caller: &Caller,
    template: &str,
    unit: &str,
    period_id: &str,
) -> Result<Resolved, ApiError> {
    let scope = scope_for(state, caller, Action::ReadStatistics, None)?;
    let mut f = Fields::default();
    let template = state.templates.get(template).cloned();
    if template.is_none() {
        f.push(
            "template",
            "report_template_unknown",
            "Không có mẫu báo cáo này",
            "No such report template",
        );
    }
    let period = template
        .as_ref()
        .and_then(|t| period::parse(&t.period, period_id));
    if template.is_some() && period.is_none() {
        f.push(
            "period",
            "report_period_invalid",
            "Kỳ báo cáo không thuộc lưới kỳ của mẫu",
            "The period is not one of the template's grid",
        );
    }
    f.finish()?;
    let (Some(template), Some(period)) = (template, period) else {
        return Err(ApiError::validation(Vec::new()));
    };
    let wanted = unit_filter(state, &scope, Some(unit))?
        .ok_or_else(|| ApiError::validation(Vec::<FieldError>::new()))?;
    let communes: Vec<(String, String)> = state
        .units
        .all()
        .into_iter()
        .filter(|u| state.units.is_leaf(&u.code))
        .filter(|u| {
            state
                .units
                .path(&u.code)
                .is_some_and(|p| unit_path_key(&p).starts_with(&wanted.key))
        })
        .map(|u| (u.code, u.name))
        .collect();
    let name = state.units.get(unit).map(|u| u.name).unwrap_or_default();
    Ok(Resolved {
        template,
        unit: ReportUnit {
            code: wanted.code.clone(),
            name,
            key: wanted.key,
            communes,
        },
        period,
    })
}

pub fn labels(state: &AppState, unit: &ReportUnit) -> Labels {
    let communes: HashMap<String, String> = unit.communes.iter().cloned().collect();
    Labels::new(communes, &state.commands.services().rules)
}

/// The official report of a resolved request at a snapshot.
pub fn compute(state: &AppState, r: &Resolved, snapshot: &Snapshot) -> Report {
    build_report(
        &r.template,
        &state.indicators,
        &labels(state, &r.unit),
        snapshot,
        r.unit.clone(),
        r.period.clone(),
    )
}

pub(super) fn format_of(raw: Option<&str>) -> Result<Format, ApiError> {
    match raw {
        None => Ok(Format::Json),
        Some(s) => Format::parse(s).ok_or_else(|| {
            let mut f = Fields::default();
            f.push(
                "format",
                "report_format_unknown",
                "Định dạng: json, csv hoặc xlsx",
                "Format: json, csv or xlsx",
            );
            f.finish()
                .err()
                .unwrap_or_else(|| ApiError::validation(Vec::new()))
        }),
    }
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
    let public = match query.audience.as_deref() {
        None | Some("official") => false,
        Some("public") => true,
        Some(_) => {
            let mut f = Fields::default();
            f.push(
                "audience",
                "report_audience_unknown",
                "Đối tượng: official hoặc public",
                "Audience: official or public",
            );
            f.finish()?;
            false
        }
    };
    let resolved = resolve(&state, &caller, &query.template, &query.unit, &query.period)?;
    let snapshot = Snapshot::load(&state.db, None, state.clock.now()).await?;
    let mut report = compute(&state, &resolved, &snapshot);
    if public {
        report = suppress::for_public(report, state.settings.stats_min_cell);
    }
    let bytes = render::render(&report, format).map_err(|e| ApiError::internal(&e))?;
    let name = (
        report.template.as_str(),
        report.unit.code.as_str(),
        report.period.id.as_str(),
    );
    Ok(file_response(name, format, bytes))
}
