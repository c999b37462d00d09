//! Alerts over the API: the caller's inbox (`/inbox`), and for admins the webhook deliveries
//! with their dead letters (`/webhook-deliveries`).

use super::errors::ApiError;
use super::session::Caller;
use super::AppState;
use crate::app::inbox::{self, DeliveryPage, InboxPage};
use actix_web::{web, HttpResponse};
use projections::notifier::deliveries::DeliveryView;
use projections::notifier::inbox::InboxItem;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
pub struct InboxQuery {
    /// `true`: only the unread messages.
    pub unread: Option<bool>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// The caller's messages, newest first, with the unread count.
#[utoipa::path(get, path = "/api/v1/inbox", tag = "alerts", security(("bearer" = [])),
    params(InboxQuery), responses((status = 200, body = InboxPage), (status = 403), (status = 422)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<InboxQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let page = inbox::list(
        &state,
        &caller,
        q.unread.unwrap_or(false),
        q.limit.as_deref(),
        q.cursor.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Marks one of the caller's messages read (once: the first read time stays).
#[utoipa::path(post, path = "/api/v1/inbox/{id}/read", tag = "alerts", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = InboxItem), (status = 403), (status = 404)))]
pub async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let item = inbox::mark_read(&state, &caller, *id).await?;
    Ok(HttpResponse::Ok().json(item))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadAll {
    /// Messages marked read by this request.
    pub marked: u64,
    pub unread: i64,
}

/// Marks every message of the caller read.
#[utoipa::path(post, path = "/api/v1/inbox/read-all", tag = "alerts", security(("bearer" = [])),
    responses((status = 200, body = ReadAll), (status = 403)))]
pub async fn read_all(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let marked = inbox::mark_all_read(&state, &caller).await?;
    let unread = inbox::unread(&state, &caller).await?;
    Ok(HttpResponse::Ok().json(ReadAll { marked, unread }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DeliveriesQuery {
    /// `pending`, `delivered` or `dead` (the dead letters).
    pub status: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// Webhook deliveries, newest first (admins; metadata only, never case content).
#[utoipa::path(get, path = "/api/v1/webhook-deliveries", tag = "alerts", security(("bearer" = [])),
    params(DeliveriesQuery), responses((status = 200, body = DeliveryPage), (status = 403), (status = 422)))]
pub async fn deliveries(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<DeliveriesQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let page = inbox::deliveries(
        &state,
        &caller,
        q.status.as_deref(),
        q.limit.as_deref(),
        q.cursor.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Queues a dead (or waiting) delivery again, due now, with a fresh count of attempts
/// (admins). A delivered one is refused (409): it would reach the receiver twice.
#[utoipa::path(post, path = "/api/v1/webhook-deliveries/{id}/retry", tag = "alerts", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = DeliveryView), (status = 403), (status = 404), (status = 409)))]
pub async fn retry(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let view = inbox::retry_delivery(&state, &caller, *id).await?;
    Ok(HttpResponse::Ok().json(view))
}
