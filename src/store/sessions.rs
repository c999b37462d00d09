//! Sessions: opaque bearer tokens, stored only as their SHA-256 hash, with an expiry.

use super::session_cache::{Announce, SessionCache};
use chrono::{DateTime, Utc};
use projections::{with_db, with_read_db, Db};
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

/// The user of a live session, with its grants, and when the session expires, in one round
/// trip: unexpired, and the user not disabled. Every authenticated request needs it (through
/// [`super::session_cache::SessionCache::caller`]).
pub async fn caller_until(
    db: &Db,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(super::users::User, DateTime<Utc>)>, sqlx::Error> {
    use aggregates::codes::{Code, Role};
    use aggregates::policy::Grant;
    use aggregates::units::UnitCode;
    use sqlx::Row;
    const SQL: &str = "SELECT u.id, u.username, u.display_name, u.must_change_password, u.created_at, u.updated_at, g.role, g.unit_code, s.expires_at \
        FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN user_grants g ON g.user_id = u.id \
        WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = $3";
    with_read_db!(db, pool => {
        let rows = sqlx::query(SQL).bind(token_hash).bind(now).bind(false).fetch_all(pool).await?;
        let Some(first) = rows.first() else { return Ok(None) };
        let expires_at: DateTime<Utc> = first.try_get("expires_at")?;
        let mut user = super::users::User {
            id: first.try_get("id")?,
            username: first.try_get("username")?,
            display_name: first.try_get("display_name")?,
            disabled: false,
            must_change_password: first.try_get("must_change_password")?,
            grants: Vec::new(),
            created_at: first.try_get("created_at")?,
            updated_at: first.try_get("updated_at")?,
        };
        for row in &rows {
            let role: Option<String> = row.try_get("role")?;
            let unit: Option<String> = row.try_get("unit_code")?;
            if let (Some(role), Some(unit)) = (role, unit) {
                if let (Ok(role), Ok(unit)) = (Role::parse(&role), UnitCode::parse(&unit)) {
                    user.grants.push(Grant { role, unit });
                }
            }
        }
        Ok(Some((user, expires_at)))
    })
}

/// Logout: the session ends, on every instance at once (see `session_cache`).
pub async fn delete(db: &Db, cache: &SessionCache, token_hash: &str) -> Result<(), sqlx::Error> {
    let ended: Option<Uuid> = with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let user: Option<Uuid> = sqlx::query_scalar(
            "DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id")
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(user) = user {
            tx.announce(user).await?;
        }
        tx.commit().await?;
        user
    });
    if let Some(user) = ended {
        cache.evict_user(user);
    }
    Ok(())
}

pub async fn purge_expired(db: &Db, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    with_db!(db, pool => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
}
