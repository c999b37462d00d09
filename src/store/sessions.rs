//! Sessions: opaque bearer tokens, stored only as their SHA-256 hash, with an expiry.

use chrono::{DateTime, Utc};
use projections::{with_db, Db};
use uuid::Uuid;

pub async fn create(
    db: &Db,
    token_hash: &str,
    user_id: Uuid,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    const SQL: &str =
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)";
    with_db!(db, pool => sqlx::query(SQL)
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(pool)
        .await
        .map(|_| ()))
}

/// The user of a live session: unexpired, and the user not disabled.
pub async fn user_of(
    db: &Db,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, sqlx::Error> {
    const SQL: &str = "SELECT s.user_id FROM sessions s JOIN users u ON u.id = s.user_id \
        WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = $3";
    with_db!(db, pool => sqlx::query_scalar(SQL)
        .bind(token_hash)
        .bind(now)
        .bind(false)
        .fetch_optional(pool)
        .await)
}

pub async fn delete(db: &Db, token_hash: &str) -> Result<(), sqlx::Error> {
    with_db!(db, pool => sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(pool)
        .await
        .map(|_| ()))
}

pub async fn delete_for_user(db: &Db, user_id: Uuid) -> Result<(), sqlx::Error> {
    with_db!(db, pool => sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(pool)
        .await
        .map(|_| ()))
}

pub async fn purge_expired(db: &Db, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    with_db!(db, pool => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
}
