//! The OpenAPI document, generated from the handlers and types (`GET /api/v1/openapi.json`).

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "casebook",
        description = "Case management for child protection in Vietnam (ND56/2017, LTE 2016). \
            Errors are RFC 9457 problem documents with a stable `code`; titles follow Accept-Language (vi, en).",
        version = env!("CARGO_PKG_VERSION")
    ),
    modifiers(&BearerAuth),
    paths(
        super::service::health,
        super::service::ready,
        super::service::metrics,
        super::session::login,
        super::session::logout,
        super::session::change_password,
        super::accounts::account_history,
        super::session::me,
        super::admin::create_user,
        super::admin::list_users,
        super::admin::get_user,
        super::admin::update_user,
        super::accounts::end_sessions,
        super::admin::list_units,
        super::admin::get_unit,
        super::admin::rules,
        super::cases::report,
        super::cases::assignment,
        super::cases::transfer,
        super::cases::initial_assessment,
        super::cases::urgent_measures,
        super::cases::separation,
        super::cases::separation_extension,
        super::cases::separation_end,
        super::cases::detailed_assessment,
        super::cases::needs_meeting,
        super::cases::plan,
        super::cases::plan_decision,
        super::cases::services,
        super::cases::referrals,
        super::cases::court_petition,
        super::cases::court_order,
        super::cases::review,
        super::cases::closure_proposal,
        super::cases::closure,
        super::cases::notes,
        super::cases::hotline_support,
        super::cases::hotline_support_withdrawal,
        super::cases::corrections,
        super::cases::get_case,
        super::cases::get_by_number,
        super::cases::history,
        super::cases::access_log,
        super::dossier::dossier,
        super::reads::list_cases,
        super::reads::caseload,
        super::reads::deadlines,
        super::reads::statistics,
        super::children::matches,
        super::children::duplicates,
        super::child_links::link,
        super::child_links::unlink,
        super::child_links::distinct,
        super::reports::templates,
        super::reports::preview,
        super::issued_reports::issue,
        super::issued_reports::list,
        super::issued_reports::get,
        super::issued_reports::file,
        super::inbox::list,
        super::inbox::read,
        super::inbox::read_all,
        super::inbox::deliveries,
        super::inbox::retry,
    ),
    tags(
        (name = "session"), (name = "administration"), (name = "registry"),
        (name = "case commands"), (name = "case reads"), (name = "views"), (name = "children"), (name = "reports"), (name = "alerts"), (name = "service")
    )
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
