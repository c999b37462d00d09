//! The audit of child searches (issue 12): who searched, when, what it found. Never what was
//! searched for: the child's name and dates stay out of this table and out of the logs.

use chrono::{DateTime, Utc};
use projections::{with_db, Db};
use uuid::Uuid;

pub struct Search<'a> {
    pub user_id: Uuid,
    pub role: &'a str,
    pub unit: &'a str,
    pub request_id: &'a str,
    pub found: usize,
    pub shown: usize,
    pub at: DateTime<Utc>,
}

pub async fn record(db: &Db, s: &Search<'_>) -> Result<(), sqlx::Error> {
    const SQL: &str =
        "INSERT INTO child_searches (at, user_id, role, unit_code, request_id, found, shown) \
        VALUES ($1, $2, $3, $4, $5, $6, $7)";
    let found = i32::try_from(s.found).unwrap_or(i32::MAX);
    let shown = i32::try_from(s.shown).unwrap_or(i32::MAX);
    with_db!(db, pool => sqlx::query(SQL)
        .bind(s.at)
        .bind(s.user_id)
        .bind(s.role)
        .bind(s.unit)
        .bind(s.request_id)
        .bind(found)
        .bind(shown)
        .execute(pool)
        .await
        .map(|_| ()))
}

/// How many searches a user made, for tests and the audit.
pub async fn count_for(db: &Db, user_id: Uuid) -> Result<i64, sqlx::Error> {
    const SQL: &str = "SELECT count(*) FROM child_searches WHERE user_id = $1";
    with_db!(db, pool => sqlx::query_scalar(SQL).bind(user_id).fetch_one(pool).await)
}
