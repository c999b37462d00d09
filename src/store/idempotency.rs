//! `Idempotency-Key`: the first answer to a (user, key) is stored and replayed for the same
//! request; the same key with another request is refused. A reservation row is written before
//! the command runs, so parallel duplicates wait for the first instead of running twice.

use chrono::{DateTime, Utc};
use projections::{with_db, Db};
use sqlx::Row;
use uuid::Uuid;

/// A stored answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    /// Headers to replay, as `name: value` lines.
    pub headers: String,
    pub body: Vec<u8>,
}

/// What a reservation attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// The key is ours: run the command, then [`complete`] or [`release`].
    Reserved,
    /// The same request was answered before.
    Replay(StoredResponse),
    /// The key was used for another request.
    Mismatch,
    /// The same request is being processed by someone else right now.
    InProgress,
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

pub async fn reserve(
    db: &Db,
    user_id: Uuid,
    key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<Reservation, sqlx::Error> {
    const INSERT: &str = "INSERT INTO idempotency_keys (user_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4)";
    const SELECT: &str = "SELECT request_hash, status, headers, body FROM idempotency_keys WHERE user_id = $1 AND key = $2";
    let inserted = with_db!(db, pool => sqlx::query(INSERT)
        .bind(user_id)
        .bind(key)
        .bind(request_hash)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ()));
    match inserted {
        Ok(_) => return Ok(Reservation::Reserved),
        Err(e) if is_unique_violation(&e) => {}
        Err(e) => return Err(e),
    }
    // (request hash, status, headers, body) of the first request with this key.
    type Stored = (String, Option<i32>, Option<String>, Option<Vec<u8>>);
    let row: Option<Stored> = with_db!(db, pool => {
        match sqlx::query(SELECT).bind(user_id).bind(key).fetch_optional(pool).await? {
            Some(r) => Some((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)),
            None => None,
        }
    });
    Ok(match row {
        // Released between our insert and select: the caller may try again.
        None => Reservation::InProgress,
        Some((hash, _, _, _)) if hash != request_hash => Reservation::Mismatch,
        Some((_, Some(status), headers, body)) => Reservation::Replay(StoredResponse {
            status: u16::try_from(status).unwrap_or(500),
            headers: headers.unwrap_or_default(),
            body: body.unwrap_or_default(),
        }),
        Some(_) => Reservation::InProgress,
    })
}

async fn complete(
    db: &Db,
    user_id: Uuid,
    key: &str,
    response: &StoredResponse,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE idempotency_keys SET status = $1, headers = $2, body = $3 WHERE user_id = $4 AND key = $5";
    with_db!(db, pool => sqlx::query(SQL)
        .bind(i32::from(response.status))
        .bind(&response.headers)
        .bind(&response.body)
        .bind(user_id)
        .bind(key)
        .execute(pool)
        .await
        .map(|_| ()))
}

/// Gives the key up (the command did not complete), so that a retry runs it.
pub async fn release(db: &Db, user_id: Uuid, key: &str) -> Result<(), sqlx::Error> {
    with_db!(db, pool => sqlx::query("DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND status IS NULL")
        .bind(user_id)
        .bind(key)
        .execute(pool)
        .await
        .map(|_| ()))
}

/// Reservations older than `before` that never completed: their process died mid-command.
pub async fn release_stale(db: &Db, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    with_db!(db, pool => sqlx::query("DELETE FROM idempotency_keys WHERE status IS NULL AND created_at < $1")
        .bind(before)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
}

/// What [`once`] did.
#[derive(Debug)]
pub enum Once<T> {
    /// The key was free: the request ran and its answer is stored under the key.
    Ran(T),
    /// The same request was answered before: its stored answer.
    Replayed(StoredResponse),
}

/// Why [`once`] did not run the request.
#[derive(Debug)]
pub enum OnceError<E> {
    /// The key was used for another request.
    Mismatch,
    /// The same request was still being processed elsewhere after waiting for it.
    InProgress,
    Store(sqlx::Error),
    /// The request ran and failed: the key is given up, so that a retry with it runs again.
    Failed(E),
}

/// Runs `run` once per (user, key): reserves the key (waiting up to `wait` while the same
/// request is processed elsewhere), stores the answer `stored` makes of a success, or gives
/// the key up after a failure. A repeat of the same request gets the stored answer.
pub async fn once<T, E, Fut>(
    db: &Db,
    user_id: Uuid,
    key: &str,
    request_hash: &str,
    wait: std::time::Duration,
    run: impl FnOnce() -> Fut,
    stored: impl FnOnce(&T) -> StoredResponse,
) -> Result<Once<T>, OnceError<E>>
where
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let deadline = std::time::Instant::now() + wait;
    loop {
        match reserve(db, user_id, key, request_hash, Utc::now())
            .await
            .map_err(OnceError::Store)?
        {
            Reservation::Reserved => break,
            Reservation::Replay(answer) => return Ok(Once::Replayed(answer)),
            Reservation::Mismatch => return Err(OnceError::Mismatch),
            Reservation::InProgress if std::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Reservation::InProgress => return Err(OnceError::InProgress),
        }
    }
    match run().await {
        Ok(answer) => {
            complete(db, user_id, key, &stored(&answer))
                .await
                .map_err(OnceError::Store)?;
            Ok(Once::Ran(answer))
        }
        Err(e) => {
            release(db, user_id, key).await.map_err(OnceError::Store)?;
            Err(OnceError::Failed(e))
        }
    }
}
