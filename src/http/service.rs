//! `/health`, `/ready` and `/metrics`.

use super::errors::ApiError;
use super::session::{require_role, Caller};
use super::AppState;
use actix_web::{web, HttpResponse};
use aggregates::codes::Role;
use chrono::Datelike;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The process is up.
#[utoipa::path(get, path = "/api/v1/health", tag = "service", responses((status = 200)))]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectionReadiness {
    pub position: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    pub ready: bool,
    pub store: String,
    pub store_reachable: bool,
    /// Events the slowest projection has not applied yet.
    pub projection_lag_events: Option<i64>,
    pub projections: BTreeMap<String, ProjectionReadiness>,
    /// The last year the holiday calendar covers.
    pub calendar_covers_until: i32,
    pub calendar_ok: bool,
}

/// Ready when the store answers, migrations are applied (they run before the server starts),
/// the projections lag by at most 1000 events without error, and the holiday calendar covers
/// the current year and the next 60 days.
#[utoipa::path(get, path = "/api/v1/ready", tag = "service",
    responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let reachable = crate::store::ping(&state.db).await;
    let lag = if reachable {
        state.projections.lag().await.ok()
    } else {
        None
    };
    let status = state.projections.status();
    let projections: BTreeMap<String, ProjectionReadiness> = status
        .iter()
        .map(|(name, s)| {
            (
                (*name).to_owned(),
                ProjectionReadiness {
                    position: s.position.to_string(),
                    last_error: s.last_error.clone(),
                },
            )
        })
        .collect();
    let calendar_until = state.commands.services().calendar.last_year();
    let horizon = state.clock.now() + chrono::Duration::days(60);
    let calendar_ok = calendar_until >= aggregates::deadlines::calendar::local_date(horizon).year();
    let healthy_views = status.values().all(|s| s.last_error.is_none());
    let ready = reachable && lag.is_some_and(|l| l <= 1000) && healthy_views && calendar_ok;
    let body = Readiness {
        ready,
        store: state.db.kind().to_owned(),
        store_reachable: reachable,
        projection_lag_events: lag,
        projections,
        calendar_covers_until: calendar_until,
        calendar_ok,
    };
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Prometheus metrics (admins).
#[utoipa::path(get, path = "/api/v1/metrics", tag = "service", security(("bearer" = [])),
    responses((status = 200, description = "Prometheus text"), (status = 403)))]
pub async fn metrics(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    require_role(&caller, Role::Admin)?;
    let mut text = state.metrics.render();
    text.push_str("# TYPE casebook_projection_events_applied_total counter\n");
    text.push_str("# TYPE casebook_projection_errors_total counter\n");
    for (name, s) in state.projections.status() {
        text.push_str(&format!(
            "casebook_projection_events_applied_total{{projection=\"{name}\"}} {}\n",
            s.applied
        ));
        text.push_str(&format!(
            "casebook_projection_errors_total{{projection=\"{name}\"}} {}\n",
            s.errors
        ));
    }
    if let Ok(lag) = state.projections.lag().await {
        text.push_str("# TYPE casebook_projection_lag_events gauge\n");
        text.push_str(&format!("casebook_projection_lag_events {lag}\n"));
    }
    text.push_str(&crate::notify::store_metrics(&state).await);
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(text))
}
