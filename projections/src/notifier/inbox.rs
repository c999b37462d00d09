//! The in-app inbox: a user's messages, newest first, with the unread count; marking one or all
//! read. A user only ever reaches its own rows.

use super::{fetch, Message, MESSAGE_COLS, MESSAGE_COLUMNS};
use crate::args;
use crate::db::Db;
use crate::sql::{Arg, Col};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A message in a user's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct InboxItem {
    #[serde(flatten)]
    pub message: Message,
    /// When the user marked it read; absent while unread.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_at: Option<DateTime<Utc>>,
}

fn item(row: &[Arg]) -> Option<InboxItem> {
    Some(InboxItem {
        message: Message::from_row(row)?,
        read_at: row[10].time(),
    })
}

/// A page of `user`'s messages, newest first, after `before` (a message id: the cursor).
pub async fn list(
    db: &Db,
    user: Uuid,
    unread_only: bool,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<InboxItem>, sqlx::Error> {
    let mut sql = format!(
        "SELECT {MESSAGE_COLUMNS}, r.read_at FROM notification_recipients r \
         JOIN notifications n ON n.id = r.notification_id WHERE r.user_id = $1"
    );
    let mut args = args![user];
    if unread_only {
        sql.push_str(" AND r.read_at IS NULL");
    }
    if let Some(before) = before {
        args.push(Arg::from(before));
        sql.push_str(&format!(" AND r.notification_id < ${}", args.len()));
    }
    args.push(Arg::from(limit));
    sql.push_str(&format!(
        " ORDER BY r.notification_id DESC LIMIT ${}",
        args.len()
    ));
    let mut cols = MESSAGE_COLS.to_vec();
    cols.push(Col::Time);
    let rows = fetch(db, &sql, args, &cols).await?;
    Ok(rows.iter().filter_map(|r| item(r)).collect())
}

/// How many of `user`'s messages are unread.
pub async fn unread(db: &Db, user: Uuid) -> Result<i64, sqlx::Error> {
    let rows = fetch(
        db,
        "SELECT count(*) FROM notification_recipients WHERE user_id = $1 AND read_at IS NULL",
        args![user],
        &[Col::Int],
    )
    .await?;
    Ok(rows.first().and_then(|r| r[0].int()).unwrap_or(0))
}

/// One of `user`'s messages.
pub async fn get(db: &Db, user: Uuid, id: Uuid) -> Result<Option<InboxItem>, sqlx::Error> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS}, r.read_at FROM notification_recipients r \
         JOIN notifications n ON n.id = r.notification_id WHERE r.user_id = $1 AND r.notification_id = $2"
    );
    let mut cols = MESSAGE_COLS.to_vec();
    cols.push(Col::Time);
    let rows = fetch(db, &sql, args![user, id], &cols).await?;
    Ok(rows.first().and_then(|r| item(r)))
}

/// Marks one of `user`'s messages read (a message read already keeps its first read time).
/// `None` when the user has no such message.
pub async fn mark_read(
    db: &Db,
    user: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<InboxItem>, sqlx::Error> {
    crate::with_db!(db, pool => {
        sqlx::query("UPDATE notification_recipients SET read_at = $1 WHERE user_id = $2 AND notification_id = $3 AND read_at IS NULL")
            .bind(now)
            .bind(user)
            .bind(id)
            .execute(pool)
            .await?;
    });
    get(db, user, id).await
}

/// Marks every unread message of `user` read; returns how many.
pub async fn mark_all_read(db: &Db, user: Uuid, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    crate::with_db!(db, pool => {
        Ok(sqlx::query("UPDATE notification_recipients SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
            .bind(now)
            .bind(user)
            .execute(pool)
            .await?
            .rows_affected())
    })
}
