//! The account side of separation of duties: the account trail (`GET /accounts/history`) and
//! an admin ending a user's sessions. Every account change is recorded by the store in the
//! same transaction as the change (src/store/account_events.rs).

use super::errors::ApiError;
use super::extract::{path_uuid, Fields};
use super::session::{require_role, Caller};
use super::AppState;
use crate::store::{account_events, users};
use actix_web::{web, HttpResponse};
use aggregates::codes::Role;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// End every session of a user at once (admins); the account trail records it.
#[utoipa::path(delete, path = "/api/v1/users/{id}/sessions", tag = "administration", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 204), (status = 403), (status = 404)))]
pub async fn end_sessions(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    require_role(&caller, Role::Admin)?;
    let id = path_uuid(&id)?;
    users::end_sessions(&state.db, &state.sessions, id, &caller.audit(), Utc::now())
        .await?
        .ok_or_else(|| ApiError::not_found("user_not_found"))?;
    tracing::info!(user_id = %id, by = %caller.id(), "sessions ended");
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct HistoryQuery {
    /// Only the entries about this account.
    pub user: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrailPage {
    pub items: Vec<account_events::TrailEntry>,
    pub next_cursor: Option<String>,
}

/// The account trail, oldest first: admins and supervisors of the whole country read all of
/// it; another supervisor reads the entries about its own account and about accounts with a
/// grant in its units (so a supervisor sees when an admin reset its password, and so do the
/// supervisors above it). Everyone else: 403.
#[utoipa::path(get, path = "/api/v1/accounts/history", tag = "administration", security(("bearer" = [])),
    params(HistoryQuery), responses((status = 200, body = TrailPage), (status = 403), (status = 422)))]
pub async fn account_history(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let grants = &caller.user.grants;
    let is_admin = grants.iter().any(|g| g.role == Role::Admin);
    let supervised: Vec<String> = grants
        .iter()
        .filter(|g| g.role == Role::Supervisor)
        .map(|g| g.unit.to_string())
        .collect();
    let visibility = if is_admin || supervised.iter().any(|u| u == "VN") {
        account_events::Visibility::All
    } else if !supervised.is_empty() {
        account_events::Visibility::Under {
            own_id: caller.id(),
            units: supervised,
        }
    } else {
        return Err(ApiError::forbidden());
    };
    let (limit, cursor) = super::reads::page(query.limit.as_deref(), query.cursor.as_deref())?;
    let mut f = Fields::default();
    let user = query.user.as_deref().and_then(|u| f.uuid("user", u));
    let after = match cursor.as_deref() {
        None => 0,
        Some(c) => c.parse::<i64>().unwrap_or_else(|_| {
            f.push(
                "cursor",
                "invalid_cursor",
                "Con trỏ không hợp lệ",
                "Invalid cursor",
            );
            0
        }),
    };
    f.finish()?;
    let mut items = account_events::list(&state.db, &visibility, user, after, limit + 1).await?;
    let has_more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next_cursor = if has_more {
        items.last().map(|e| e.id.to_string())
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(TrailPage { items, next_cursor }))
}
