//! Login attempts per key (an account or a client address) in a fixed window, in the store, so
//! that parallel requests and several server instances count against the same number. An
//! attempt is counted by one atomic upsert before its password is checked.

use projections::{with_db, Db};

/// Counts one attempt of `key` at `now_ms` (milliseconds since the epoch); a window older than
/// `window_ms` starts over. Answers the attempts in the window, this one included, and the
/// window's start.
pub async fn reserve(
    db: &Db,
    key: &str,
    now_ms: i64,
    window_ms: i64,
) -> Result<(i64, i64), sqlx::Error> {
    // Every expression of SET reads the row as it was (both stores), so the two CASEs agree.
    const SQL: &str = "INSERT INTO login_attempts (key, window_start, attempts) VALUES ($1, $2, 1) \
        ON CONFLICT (key) DO UPDATE SET \
        attempts = CASE WHEN login_attempts.window_start <= $3 THEN 1 ELSE login_attempts.attempts + 1 END, \
        window_start = CASE WHEN login_attempts.window_start <= $3 THEN $2 ELSE login_attempts.window_start END \
        RETURNING attempts, window_start";
    let (attempts, start): (i32, i64) = with_db!(db, pool => sqlx::query_as(SQL)
        .bind(key)
        .bind(now_ms)
        .bind(now_ms - window_ms)
        .fetch_one(pool)
        .await)?;
    Ok((i64::from(attempts), start))
}

/// Gives back one attempt (a login that succeeded does not count against its address).
pub async fn refund(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    with_db!(db, pool => sqlx::query(
        "UPDATE login_attempts SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0")
        .bind(key)
        .execute(pool)
        .await
        .map(|_| ()))
}

/// Forgets a key (an account that logged in).
pub async fn forget(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    with_db!(db, pool => sqlx::query("DELETE FROM login_attempts WHERE key = $1")
        .bind(key)
        .execute(pool)
        .await
        .map(|_| ()))
}

/// Removes windows that started before `before_ms`.
pub async fn purge(db: &Db, before_ms: i64) -> Result<u64, sqlx::Error> {
    with_db!(db, pool => sqlx::query("DELETE FROM login_attempts WHERE window_start <= $1")
        .bind(before_ms)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
}
