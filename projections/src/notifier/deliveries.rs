//! Webhook deliveries: claimed with a lease (so that two instances never send the same one at
//! once), marked delivered, retried later, or dead after the last attempt; listed and retried
//! by admins (metadata only: an admin sees no case).

use super::{exec, fetch, Message, MESSAGE_COLS, MESSAGE_COLUMNS};
use crate::args;
use crate::db::Db;
use crate::sql::{Arg, Col};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Writes an outcome as soon as the store lets it: the time between the receiver's answer and
/// this commit is the only window in which a kill makes a message be sent twice. (On SQLite the
/// writes queue for the one writer connection in order, never in SQLite's busy handler.)
async fn exec_outcome(db: &Db, sql: &str, args: Vec<Arg>) -> Result<u64, sqlx::Error> {
    exec(db, sql, args).await
}

/// A delivery this process holds the lease of.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: Uuid,
    /// Proves the lease is still this process's when the outcome is written.
    pub lease_id: Uuid,
    pub endpoint: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
    pub message: Message,
}

/// Claims up to `limit` deliveries to `endpoint` due at `now` (real time) for `lease` — pending,
/// due, and not leased by anyone whose lease still runs — oldest first. The attempt is counted
/// at the claim, so that a process that dies while sending still uses up an attempt.
pub async fn claim(
    db: &Db,
    endpoint: &str,
    now: DateTime<Utc>,
    lease: chrono::Duration,
    limit: i64,
) -> Result<Vec<Claimed>, sqlx::Error> {
    let lease_id = Uuid::now_v7();
    let due = "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND endpoint = $5 \
        AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3) \
        ORDER BY next_attempt_at, id LIMIT $4";
    let sql = match db {
        Db::Postgres(_) => format!(
            "UPDATE webhook_deliveries w SET lease_id = $1, lease_until = $2, attempts = w.attempts + 1, \
             updated_at = $3 FROM ({due} FOR UPDATE SKIP LOCKED) due WHERE w.id = due.id \
             RETURNING w.id, w.notification_id, w.endpoint, w.attempts"
        ),
        Db::Sqlite(_) => format!(
            "UPDATE webhook_deliveries SET lease_id = $1, lease_until = $2, attempts = attempts + 1, \
             updated_at = $3 WHERE id IN ({due}) RETURNING id, notification_id, endpoint, attempts"
        ),
    };
    let rows = fetch(
        db,
        &sql,
        args![lease_id, now + lease, now, limit, endpoint],
        &[Col::Uuid, Col::Uuid, Col::Text, Col::Int],
    )
    .await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for r in rows {
        let (Some(id), Some(message), Some(endpoint)) = (r[0].uuid(), r[1].uuid(), r[2].text())
        else {
            continue;
        };
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM notifications n WHERE n.id = $1");
        let found = fetch(db, &sql, args![message], MESSAGE_COLS).await?;
        let Some(message) = found.first().and_then(|m| Message::from_row(m)) else {
            continue;
        };
        claimed.push(Claimed {
            id,
            lease_id,
            endpoint: endpoint.to_owned(),
            attempts: r[3].int().unwrap_or(1),
            message,
        });
    }
    Ok(claimed)
}

/// The receiver took it. `false` when the lease was lost meanwhile (another process may have
/// sent it again: the receiver's idempotency key is what holds then).
pub async fn mark_delivered(
    db: &Db,
    c: &Claimed,
    status: u16,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let n = exec_outcome(
        db,
        "UPDATE webhook_deliveries SET status = 'delivered', delivered_at = $1, last_status = $2, \
         last_error = NULL, lease_id = NULL, lease_until = NULL, updated_at = $1 \
         WHERE id = $3 AND lease_id = $4",
        args![now, i64::from(status), c.id, c.lease_id],
    )
    .await?;
    Ok(n == 1)
}

/// The attempt failed: tried again at `retry_at`, or dead (`None`).
pub async fn mark_failed(
    db: &Db,
    c: &Claimed,
    status: Option<u16>,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let (state, next) = match retry_at {
        Some(at) => ("pending", at),
        None => ("dead", now),
    };
    let n = exec_outcome(
        db,
        "UPDATE webhook_deliveries SET status = $1, next_attempt_at = $2, last_status = $3, \
         last_error = $4, lease_id = NULL, lease_until = NULL, updated_at = $5 \
         WHERE id = $6 AND lease_id = $7",
        args![
            state,
            next,
            status.map(i64::from),
            error,
            now,
            c.id,
            c.lease_id
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Pending deliveries to endpoints the configuration no longer has are dead: nothing would send
/// them (an admin retries them once the endpoint is back). Returns how many.
pub async fn retire_unconfigured(
    db: &Db,
    configured: &[String],
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let mut args = args![now];
    let mut sql =
        "UPDATE webhook_deliveries SET status = 'dead', last_error = 'endpoint not configured', \
        lease_id = NULL, lease_until = NULL, updated_at = $1 WHERE status = 'pending'"
            .to_owned();
    if !configured.is_empty() {
        let placeholders: Vec<String> = (0..configured.len())
            .map(|i| format!("${}", i + 2))
            .collect();
        sql.push_str(&format!(
            " AND endpoint NOT IN ({})",
            placeholders.join(", ")
        ));
        args.extend(configured.iter().map(|e| Arg::from(e.clone())));
    }
    exec(db, &sql, args).await
}

/// A delivery as an admin sees it: metadata only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    /// The message, and the receiver's `Idempotency-Key`.
    pub message_id: Uuid,
    pub kind: String,
    pub endpoint: String,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_status: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<DateTime<Utc>>,
}

const VIEW: &str = "SELECT w.id, w.notification_id, n.kind, w.endpoint, w.status, w.attempts, \
    w.next_attempt_at, w.last_status, w.last_error, w.created_at, w.updated_at, w.delivered_at \
    FROM webhook_deliveries w JOIN notifications n ON n.id = w.notification_id";

const VIEW_COLS: &[Col] = &[
    Col::Uuid,
    Col::Uuid,
    Col::Text,
    Col::Text,
    Col::Text,
    Col::Int,
    Col::Time,
    Col::Int,
    Col::Text,
    Col::Time,
    Col::Time,
    Col::Time,
];

fn view(r: &[Arg]) -> Option<DeliveryView> {
    Some(DeliveryView {
        id: r[0].uuid()?,
        message_id: r[1].uuid()?,
        kind: r[2].text()?.to_owned(),
        endpoint: r[3].text()?.to_owned(),
        status: r[4].text()?.to_owned(),
        attempts: r[5].int()?,
        next_attempt_at: r[6].time()?,
        last_status: r[7].int(),
        last_error: r[8].text().map(str::to_owned),
        created_at: r[9].time()?,
        updated_at: r[10].time()?,
        delivered_at: r[11].time(),
    })
}

/// Deliveries, newest first, optionally of one status, before the cursor (a delivery id).
pub async fn list(
    db: &Db,
    status: Option<&str>,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<DeliveryView>, sqlx::Error> {
    let mut sql = format!("{VIEW} WHERE 1 = 1");
    let mut args: Vec<Arg> = Vec::new();
    if let Some(status) = status {
        args.push(Arg::from(status));
        sql.push_str(&format!(" AND w.status = ${}", args.len()));
    }
    if let Some(before) = before {
        args.push(Arg::from(before));
        sql.push_str(&format!(" AND w.id < ${}", args.len()));
    }
    args.push(Arg::from(limit));
    sql.push_str(&format!(" ORDER BY w.id DESC LIMIT ${}", args.len()));
    let rows = fetch(db, &sql, args, VIEW_COLS).await?;
    Ok(rows.iter().filter_map(|r| view(r)).collect())
}

pub async fn get(db: &Db, id: Uuid) -> Result<Option<DeliveryView>, sqlx::Error> {
    let sql = format!("{VIEW} WHERE w.id = $1");
    let rows = fetch(db, &sql, args![id], VIEW_COLS).await?;
    Ok(rows.first().and_then(|r| view(r)))
}

/// What asking for a delivery to be tried again did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retry {
    /// Pending again, due now, with a fresh count of attempts.
    Queued(DeliveryView),
    NotFound,
    /// Delivered already: sending it again would send it twice.
    Delivered,
    /// Being sent right now (its lease runs).
    InFlight,
}

/// Puts a dead (or waiting) delivery back in the queue, due at `now` (real time).
pub async fn retry(db: &Db, id: Uuid, now: DateTime<Utc>) -> Result<Retry, sqlx::Error> {
    let n = exec(
        db,
        "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $1, \
         updated_at = $1 WHERE id = $2 AND (status = 'dead' OR (status = 'pending' AND \
         (lease_until IS NULL OR lease_until < $1)))",
        args![now, id],
    )
    .await?;
    let found = get(db, id).await?;
    Ok(match (n, found) {
        (1, Some(view)) => Retry::Queued(view),
        (_, None) => Retry::NotFound,
        (_, Some(view)) if view.status == "delivered" => Retry::Delivered,
        (_, Some(_)) => Retry::InFlight,
    })
}

/// Deliveries by status, for `/metrics`.
pub async fn counts(db: &Db) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows = fetch(
        db,
        "SELECT status, count(*) FROM webhook_deliveries GROUP BY status ORDER BY status",
        Vec::new(),
        &[Col::Text, Col::Int],
    )
    .await?;
    Ok(rows
        .iter()
        .filter_map(|r| Some((r[0].text()?.to_owned(), r[1].int()?)))
        .collect())
}
