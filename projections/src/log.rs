//! Reading the event log in commit order (shared/spec/architecture.md, read side).
//!
//! Postgres: `(tx_id, global_seq)` order, and only rows of transactions older than the oldest
//! one still running (`pg_snapshot_xmin`), so a transaction that took a lower `global_seq` but
//! commits later is never skipped. SQLite: the trigger-filled `event_log.position`, which is
//! commit order because SQLite has one writer at a time.

use crate::db::Db;
use crate::record::{EventMetadata, RecordedEvent};
use aggregates::CaseEvent;
use serde_json::Value;
use sqlx::Row;
use std::collections::HashMap;
use uuid::Uuid;

/// A place in the log. Postgres: (transaction id, global sequence); SQLite: (0, position).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub tx: i64,
    pub seq: i64,
}

impl Position {
    pub const START: Position = Position { tx: 0, seq: 0 };
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.tx, self.seq)
    }
}

/// An event with its place in the log.
#[derive(Debug, Clone)]
pub struct LoggedEvent {
    pub position: Position,
    pub case_id: Uuid,
    pub event: RecordedEvent,
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("event {case_id}/{sequence} cannot be read: {problem}")]
    Corrupt {
        case_id: String,
        sequence: i64,
        problem: String,
    },
}

// Only the (tx_id, global_seq) index may serve this: an `aggregate_type` condition made the
// planner AND it with the primary key and scan the whole log on every batch. The log holds only
// Case events; anything else fails to decode and stops the projector loudly.
const PG_BATCH: &str = "SELECT tx_id::text::bigint AS tx, global_seq AS seq, aggregate_id, sequence, payload, metadata \
    FROM events \
    WHERE (tx_id, global_seq) > ($1::bigint::text::xid8, $2) \
      AND tx_id < pg_snapshot_xmin(pg_current_snapshot()) \
    ORDER BY tx_id, global_seq \
    LIMIT $3";

const SQLITE_BATCH: &str = "SELECT 0 AS tx, l.position AS seq, e.aggregate_id, e.sequence, e.payload, e.metadata \
    FROM event_log l \
    JOIN events e ON e.aggregate_type = l.aggregate_type AND e.aggregate_id = l.aggregate_id AND e.sequence = l.sequence \
    WHERE l.aggregate_type = 'Case' AND l.position > $1 \
    ORDER BY l.position \
    LIMIT $2";

fn decode(
    tx: i64,
    seq: i64,
    aggregate_id: String,
    sequence: i64,
    payload: Value,
    metadata: Value,
) -> Result<LoggedEvent, LogError> {
    let corrupt = |problem: String| LogError::Corrupt {
        case_id: aggregate_id.clone(),
        sequence,
        problem,
    };
    let case_id = Uuid::parse_str(&aggregate_id).map_err(|e| corrupt(e.to_string()))?;
    let event: CaseEvent = serde_json::from_value(payload).map_err(|e| corrupt(e.to_string()))?;
    let map: HashMap<String, String> =
        serde_json::from_value(metadata).map_err(|e| corrupt(e.to_string()))?;
    let metadata = EventMetadata::from_map(&map).ok_or_else(|| corrupt("metadata".into()))?;
    Ok(LoggedEvent {
        position: Position { tx, seq },
        case_id,
        event: RecordedEvent {
            sequence: u64::try_from(sequence).unwrap_or_default(),
            event,
            metadata,
        },
    })
}

/// The next events after `after`, at most `limit`, in commit order. Runs on `conn`, so that it
/// can share the projector's transaction.
pub async fn next_batch_pg(
    conn: &mut sqlx::PgConnection,
    after: Position,
    limit: i64,
) -> Result<Vec<LoggedEvent>, LogError> {
    let rows = sqlx::query(PG_BATCH)
        .bind(after.tx)
        .bind(after.seq)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    let mut events = Vec::with_capacity(rows.len());
    for r in rows {
        events.push(decode(
            r.try_get("tx")?,
            r.try_get("seq")?,
            r.try_get("aggregate_id")?,
            r.try_get("sequence")?,
            r.try_get("payload")?,
            r.try_get("metadata")?,
        )?);
    }
    Ok(events)
}

pub async fn next_batch_sqlite(
    conn: &mut sqlx::SqliteConnection,
    after: Position,
    limit: i64,
) -> Result<Vec<LoggedEvent>, LogError> {
    let rows = sqlx::query(SQLITE_BATCH)
        .bind(after.seq)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.into_iter()
        .map(|r| {
            let payload: String = r.try_get("payload")?;
            let metadata: String = r.try_get("metadata")?;
            let parse = |s: &str| serde_json::from_str::<Value>(s);
            decode(
                r.try_get("tx")?,
                r.try_get("seq")?,
                r.try_get("aggregate_id")?,
                r.try_get("sequence")?,
                parse(&payload).unwrap_or(Value::Null),
                parse(&metadata).unwrap_or(Value::Null),
            )
        })
        .collect()
}

/// The position of the newest committed event visible now: a view that has reached it
/// reflects every command answered before this call.
pub async fn head(db: &Db) -> Result<Position, sqlx::Error> {
    match db {
        Db::Postgres(pool) => {
            let row: Option<(i64, i64)> = sqlx::query_as(
                "SELECT tx_id::text::bigint, global_seq FROM events \
                 ORDER BY tx_id DESC, global_seq DESC LIMIT 1",
            )
            .fetch_optional(pool)
            .await?;
            Ok(row.map_or(Position::START, |(tx, seq)| Position { tx, seq }))
        }
        Db::Sqlite(pools) => {
            let seq: Option<i64> = sqlx::query_scalar("SELECT max(position) FROM event_log")
                .fetch_one(&pools.reader)
                .await?;
            Ok(Position {
                tx: 0,
                seq: seq.unwrap_or(0),
            })
        }
    }
}

/// How many events lie after `after` (for progress bars and lag).
pub async fn count_after(db: &Db, after: Position) -> Result<i64, sqlx::Error> {
    match db {
        Db::Postgres(pool) => sqlx::query_scalar(
            "SELECT count(*) FROM events WHERE (tx_id, global_seq) > ($1::bigint::text::xid8, $2)",
        )
        // Planned with the position each time (a generic plan would count the whole log).
        .persistent(false)
        .bind(after.tx)
        .bind(after.seq)
        .fetch_one(pool)
        .await,
        Db::Sqlite(pools) => {
            sqlx::query_scalar("SELECT count(*) FROM event_log WHERE position > $1")
                .bind(after.seq)
                .fetch_one(&pools.reader)
                .await
        }
    }
}
