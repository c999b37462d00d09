//! The alerts both adapters show: a user's inbox (its own messages only, the unread count,
//! marking read) and, for admins, the webhook deliveries with the dead letters and their retry.
//! Messages carry a case number, a commune, a rule and a link — no case content — so reading
//! the inbox is not a case read; opening the link is, and is audited there.

use super::lists::page;
use super::AppError;
use crate::http::errors::{Bilingual, FieldError};
use crate::http::session::{require_role, Caller};
use crate::http::AppState;
use actix_web::http::StatusCode;
use aggregates::codes::Role;
use projections::notifier::deliveries::{self, DeliveryView, Retry};
use projections::notifier::inbox::{self, InboxItem};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Who has an inbox: the case roles (an admin receives no alert: it sees no case).
pub fn has_inbox(caller: &Caller) -> bool {
    caller.user.grants.iter().any(|g| g.role != Role::Admin)
}

fn require_inbox(caller: &Caller) -> Result<(), AppError> {
    if has_inbox(caller) {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

fn cursor(raw: Option<&str>) -> Result<Option<Uuid>, AppError> {
    raw.map(|c| {
        Uuid::parse_str(c).map_err(|_| {
            AppError::validation(vec![FieldError::new(
                "cursor",
                "invalid_cursor",
                Bilingual::new("Con trỏ không hợp lệ", "Invalid cursor"),
            )])
        })
    })
    .transpose()
}

/// A page of the inbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxPage {
    pub items: Vec<InboxItem>,
    pub next_cursor: Option<String>,
    /// Unread messages in the whole inbox.
    pub unread: i64,
}

/// The caller's messages, newest first (`unread_only`: the unread ones).
pub async fn list(
    state: &AppState,
    caller: &Caller,
    unread_only: bool,
    limit: Option<&str>,
    cursor_raw: Option<&str>,
) -> Result<InboxPage, AppError> {
    require_inbox(caller)?;
    let (limit, raw) = page(limit, cursor_raw)?;
    let before = cursor(raw.as_deref())?;
    let mut items = inbox::list(&state.db, caller.id(), unread_only, before, limit + 1).await?;
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|i| i.message.id.to_string())
    } else {
        None
    };
    let unread = inbox::unread(&state.db, caller.id()).await?;
    Ok(InboxPage {
        items,
        next_cursor,
        unread,
    })
}

/// The caller's unread count (0 for users without an inbox).
pub async fn unread(state: &AppState, caller: &Caller) -> Result<i64, AppError> {
    if !has_inbox(caller) {
        return Ok(0);
    }
    Ok(inbox::unread(&state.db, caller.id()).await?)
}

fn message_not_found() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "message_not_found",
        "Không có tin báo này",
        "No such message",
    )
}

/// Marks one of the caller's messages read; another user's message is not found.
pub async fn mark_read(state: &AppState, caller: &Caller, id: Uuid) -> Result<InboxItem, AppError> {
    require_inbox(caller)?;
    inbox::mark_read(&state.db, caller.id(), id, state.clock.now())
        .await?
        .ok_or_else(message_not_found)
}

/// Marks all the caller's messages read; returns how many were unread.
pub async fn mark_all_read(state: &AppState, caller: &Caller) -> Result<u64, AppError> {
    require_inbox(caller)?;
    Ok(inbox::mark_all_read(&state.db, caller.id(), state.clock.now()).await?)
}

/// A page of webhook deliveries.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<DeliveryView>,
    pub next_cursor: Option<String>,
}

const STATUSES: &[&str] = &["pending", "delivered", "dead"];

/// Webhook deliveries, newest first, of one status if given (admins).
pub async fn deliveries(
    state: &AppState,
    caller: &Caller,
    status: Option<&str>,
    limit: Option<&str>,
    cursor_raw: Option<&str>,
) -> Result<DeliveryPage, AppError> {
    require_role(caller, Role::Admin)?;
    if let Some(s) = status.filter(|s| !STATUSES.contains(s)) {
        return Err(AppError::validation(vec![FieldError::new(
            "status",
            "unknown_status",
            Bilingual::new(
                format!(
                    "Trạng thái không hợp lệ: {}",
                    s.chars().take(32).collect::<String>()
                ),
                "status is pending, delivered or dead",
            ),
        )]));
    }
    let (limit, raw) = page(limit, cursor_raw)?;
    let before = cursor(raw.as_deref())?;
    let mut items = deliveries::list(&state.db, status, before, limit + 1).await?;
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|i| i.id.to_string())
    } else {
        None
    };
    Ok(DeliveryPage { items, next_cursor })
}

/// Sends a dead (or waiting) delivery again now, with a fresh count of attempts (admins).
pub async fn retry_delivery(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
) -> Result<DeliveryView, AppError> {
    require_role(caller, Role::Admin)?;
    match deliveries::retry(&state.db, id, chrono::Utc::now()).await? {
        Retry::Queued(view) => {
            tracing::info!(delivery = %id, endpoint = %view.endpoint, "webhook delivery queued again by an admin");
            Ok(view)
        }
        Retry::NotFound => Err(AppError::new(
            StatusCode::NOT_FOUND,
            "delivery_not_found",
            "Không có lượt gửi này",
            "No such delivery",
        )),
        Retry::Delivered => Err(AppError::new(
            StatusCode::CONFLICT,
            "delivery_already_delivered",
            "Tin đã được gửi thành công; gửi lại sẽ thành gửi hai lần",
            "Already delivered: sending it again would send it twice",
        )),
        Retry::InFlight => Err(AppError::new(
            StatusCode::CONFLICT,
            "delivery_in_flight",
            "Tin đang được gửi; hãy thử lại sau",
            "The delivery is being sent right now; try again later",
        )),
    }
}
