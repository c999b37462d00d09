//! The HTTP API (shared/spec/api.md): routes, shared state, the request middleware.

pub mod accounts;
pub mod admin;
pub mod attach;
pub mod cases;
pub mod child_links;
pub mod children;
pub mod dossier;
pub mod dto;
pub mod errors;
pub mod extract;
pub mod inbox;
pub mod issued_reports;
pub mod openapi;
pub mod reads;
pub mod reports;
pub mod service;
pub mod session;

use crate::commands::CaseCommands;
use crate::config::Settings;
use crate::metrics::Metrics;
use crate::units::UnitDirectory;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, ResponseError};
use errors::{ApiError, Lang, LANG};
use projections::projector::Projections;
use projections::Db;
use std::sync::Arc;
use std::time::Instant;

/// What every handler may use.
pub struct AppState {
    pub db: Db,
    /// Business "now" (the system clock in production; tests give their own).
    pub clock: crate::clock::Clock,
    pub commands: CaseCommands,
    pub units: UnitDirectory,
    pub throttle: crate::auth::LoginThrottle,
    pub settings: Arc<Settings>,
    pub projections: Arc<Projections>,
    pub metrics: Metrics,
    pub recent_writers: RecentWriters,
    /// The child matcher's weights and thresholds (CASEBOOK_MATCHING).
    pub matching: Arc<aggregates::identity::MatchRules>,
    /// The indicator registry in force (shipped, or overridden by `CASEBOOK_INDICATORS`).
    pub indicators: Arc<projections::indicators::Registry>,
    /// Recent sessions (Postgres), kept exact by eviction and `NOTIFY` (`store::session_cache`).
    pub sessions: Arc<crate::store::session_cache::SessionCache>,
    /// The report templates in force (shipped, or overridden by `CASEBOOK_REPORT_TEMPLATES`).
    pub templates: Arc<crate::reports::Templates>,
}

/// Sessions that recorded a command lately, so that their view reads wait for the projector
/// (read-your-writes). Per instance: behind a load balancer, sessions stick to an instance or
/// clients ask for `Casebook-Consistency: strong`.
#[derive(Default)]
pub struct RecentWriters {
    sessions: std::sync::Mutex<std::collections::HashMap<String, Instant>>,
}

impl RecentWriters {
    /// How long after its last command a session's reads wait for the views.
    pub const WINDOW: std::time::Duration = std::time::Duration::from_secs(60);

    pub fn wrote(&self, session: &str) {
        let now = Instant::now();
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        if sessions.len() > 10_000 {
            sessions.retain(|_, at| now.duration_since(*at) < Self::WINDOW);
        }
        sessions.insert(session.to_owned(), now);
    }

    pub fn wrote_lately(&self, session: &str) -> bool {
        let sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions
            .get(session)
            .is_some_and(|at| at.elapsed() < Self::WINDOW)
    }
}

/// The ids of the request: the server's own (always a fresh UUIDv7: this one goes into event
/// metadata, the account trail and the `X-Request-Id` answer header), and the client's
/// `X-Request-Id` when it sent a well-formed one (echoed in logs and kept beside the server's,
/// never trusted as an identity of the request).
#[derive(Debug, Clone, Default)]
pub struct RequestId(pub String, pub Option<String>);

fn client_request_id(req: &ServiceRequest) -> Option<String> {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned)
}

/// Percent-decoding of a path or query component, bytewise (invalid escapes stay as they are;
/// a query's `+` would be a space, which is no control character, so it is left alone).
fn percent_decode(raw: &str) -> Vec<u8> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn has_control(bytes: &[u8]) -> bool {
    bytes.iter().any(|b| *b < 0x20 || *b == 0x7f)
}

/// The path and query parameters holding control characters (NUL and the rest of C0, DEL):
/// refused before any handler or query sees them, the same on both stores (PostgreSQL cannot
/// store a NUL in text at all).
pub fn control_characters_in(path: &str, query: &str) -> Vec<String> {
    let mut bad = Vec::new();
    if has_control(&percent_decode(path)) {
        bad.push("path".to_owned());
    }
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key_bytes = percent_decode(key);
        if has_control(&key_bytes) || has_control(&percent_decode(value)) {
            let name = String::from_utf8(key_bytes)
                .ok()
                .filter(|k| !has_control(k.as_bytes()) && k.len() <= 64)
                .unwrap_or_else(|| "query".to_owned());
            if !bad.contains(&name) {
                bad.push(name);
            }
        }
    }
    bad
}

/// Request id, language, a span per request and one log line per response. Logs carry the
/// route pattern, never the path or the query string (which may hold a child's name).
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = uuid::Uuid::now_v7().to_string();
    let client_id = client_request_id(&req);
    req.extensions_mut()
        .insert(RequestId(request_id.clone(), client_id.clone()));
    let lang = Lang::from_header(
        req.headers()
            .get(actix_web::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().to_string();
    let metrics = req.app_data::<web::Data<AppState>>().cloned();
    let client_id = client_id.unwrap_or_default();
    let span = tracing::info_span!("request", %method, %route, request_id = %request_id,
        client_request_id = %client_id);
    let refused = control_characters_in(req.path(), req.query_string());
    let result = LANG
        .scope(lang, async {
            if !refused.is_empty() {
                let response = ApiError::control_characters(refused).error_response();
                return Ok(req.into_response(response));
            }
            tracing::Instrument::instrument(next.call(req), span.clone())
                .await
                .map(ServiceResponse::map_into_boxed_body)
        })
        .await;
    let elapsed = started.elapsed();
    match result {
        Ok(mut response) => {
            let status = response.status().as_u16();
            if let Ok(value) = HeaderValue::from_str(&request_id) {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static("x-request-id"), value);
            }
            if let Some(state) = metrics {
                state
                    .metrics
                    .observe_request(&method, &route, status, elapsed);
            }
            span.in_scope(|| {
                if status >= 500 {
                    tracing::warn!(
                        status,
                        latency_ms = elapsed.as_millis() as u64,
                        "request failed"
                    );
                } else {
                    tracing::info!(status, latency_ms = elapsed.as_millis() as u64, "request");
                }
            });
            Ok(response)
        }
        Err(e) => {
            span.in_scope(|| tracing::warn!(error = %e, "request error"));
            Err(e)
        }
    }
}

/// Routes of `/api/v1`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route("/openapi.json", web::get().to(openapi::document))
            .route("/health", web::get().to(service::health))
            .route("/ready", web::get().to(service::ready))
            .route("/metrics", web::get().to(service::metrics))
            .route("/auth/login", web::post().to(session::login))
            .route("/auth/logout", web::post().to(session::logout))
            .route("/auth/password", web::post().to(session::change_password))
            .route(
                "/accounts/history",
                web::get().to(accounts::account_history),
            )
            .route("/me", web::get().to(session::me))
            .route("/users", web::post().to(admin::create_user))
            .route("/users", web::get().to(admin::list_users))
            .route("/users/{id}", web::get().to(admin::get_user))
            .route("/users/{id}", web::patch().to(admin::update_user))
            .route(
                "/users/{id}/sessions",
                web::delete().to(accounts::end_sessions),
            )
            .route("/units", web::get().to(admin::list_units))
            .route("/units/{code}", web::get().to(admin::get_unit))
            .route("/rules", web::get().to(admin::rules))
            .route("/reports", web::post().to(cases::report))
            .route("/children/matches", web::post().to(children::matches))
            .route("/children/duplicates", web::get().to(children::duplicates))
            .route("/cases", web::get().to(reads::list_cases))
            .route("/caseload", web::get().to(reads::caseload))
            .route("/deadlines", web::get().to(reads::deadlines))
            .route("/statistics", web::get().to(reads::statistics))
            .route("/report-templates", web::get().to(reports::templates))
            .route("/periodic-reports/preview", web::get().to(reports::preview))
            .route("/periodic-reports", web::post().to(issued_reports::issue))
            .route("/periodic-reports", web::get().to(issued_reports::list))
            .route("/periodic-reports/{id}", web::get().to(issued_reports::get))
            .route(
                "/periodic-reports/{id}/file",
                web::get().to(issued_reports::file),
            )
            .route("/inbox", web::get().to(inbox::list))
            .route("/inbox/read-all", web::post().to(inbox::read_all))
            .route("/inbox/{id}/read", web::post().to(inbox::read))
            .route("/webhook-deliveries", web::get().to(inbox::deliveries))
            .route(
                "/webhook-deliveries/{id}/retry",
                web::post().to(inbox::retry),
            )
            .route(
                "/cases/by-number/{number}",
                web::get().to(cases::get_by_number),
            )
            // The commands and reads of one case, matched as one scope: the router tries the
            // case's routes only when the path is a case's (after `by-number` above).
            .service(
                web::scope("/cases/{id}")
                    .route("/child-link", web::post().to(child_links::link))
                    .route("/child-unlink", web::post().to(child_links::unlink))
                    .route("/child-distinct", web::post().to(child_links::distinct))
                    .route("", web::get().to(cases::get_case))
                    .route("/history", web::get().to(cases::history))
                    .route("/access-log", web::get().to(cases::access_log))
                    .route("/dossier", web::get().to(dossier::dossier))
                    .route("/assignment", web::post().to(cases::assignment))
                    .route("/transfer", web::post().to(cases::transfer))
                    .route(
                        "/initial-assessment",
                        web::post().to(cases::initial_assessment),
                    )
                    .route("/urgent-measures", web::post().to(cases::urgent_measures))
                    .route("/separation", web::post().to(cases::separation))
                    .route(
                        "/separation/extension",
                        web::post().to(cases::separation_extension),
                    )
                    .route("/separation/end", web::post().to(cases::separation_end))
                    .route(
                        "/detailed-assessment",
                        web::post().to(cases::detailed_assessment),
                    )
                    .route("/needs-meeting", web::post().to(cases::needs_meeting))
                    .route("/plan", web::post().to(cases::plan))
                    .route("/plan/decision", web::post().to(cases::plan_decision))
                    .route("/services", web::post().to(cases::services))
                    .route("/referrals", web::post().to(cases::referrals))
                    .route("/court-petitions", web::post().to(cases::court_petition))
                    .route("/court-orders", web::post().to(cases::court_order))
                    .route("/review", web::post().to(cases::review))
                    .route("/closure/proposal", web::post().to(cases::closure_proposal))
                    .route("/closure", web::post().to(cases::closure))
                    .route("/notes", web::post().to(cases::notes))
                    .route("/hotline-support", web::post().to(cases::hotline_support))
                    .route(
                        "/hotline-support/withdrawal",
                        web::post().to(cases::hotline_support_withdrawal),
                    )
                    .route("/corrections", web::post().to(cases::corrections))
                    .default_service(web::to(not_found)),
            )
            .default_service(web::to(not_found)),
    )
    .default_service(web::to(not_found));
}

async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::not_found("not_found"))
}

#[cfg(test)]
mod tests {
    use super::control_characters_in;

    #[test]
    fn control_characters_are_found_in_paths_and_query_parameters() {
        assert!(control_characters_in("/api/v1/cases", "q=L%C3%B2+Mai&limit=5").is_empty());
        assert_eq!(control_characters_in("/api/v1/cases/a%00", ""), ["path"]);
        assert_eq!(
            control_characters_in("/api/v1/cases", "q=a%00&cursor=%1f&unit=12"),
            ["q", "cursor"]
        );
        assert_eq!(control_characters_in("/x", "%00=1"), ["query"]);
        // An escape cut short is not a NUL.
        assert!(control_characters_in("/x%0", "q=%0").is_empty());
    }
}
