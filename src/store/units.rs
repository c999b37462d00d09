//! The administrative-unit registry table.

use chrono::NaiveDate;
use projections::{with_db, with_read_db, Db};
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// One administrative unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Unit {
    pub code: String,
    pub name: String,
    /// `country`, `province` or `commune` (xã, phường, đặc khu).
    pub kind: String,
    pub parent_code: Option<String>,
    pub valid_from: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<NaiveDate>,
}

pub async fn load_all(db: &Db) -> Result<Vec<Unit>, sqlx::Error> {
    const SQL: &str =
        "SELECT code, name, kind, parent_code, valid_from, valid_to FROM units ORDER BY code";
    with_read_db!(db, pool => {
        let rows = sqlx::query(SQL).fetch_all(pool).await?;
        rows.iter()
            .map(|r| {
                Ok(Unit {
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    kind: r.try_get("kind")?,
                    parent_code: r.try_get("parent_code")?,
                    valid_from: r.try_get("valid_from")?,
                    valid_to: r.try_get("valid_to")?,
                })
            })
            .collect()
    })
}

/// Inserts or updates units, parents before children, in one transaction.
pub async fn upsert(db: &Db, units: &[Unit]) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO units (code, name, kind, parent_code, valid_from, valid_to) \
        VALUES ($1, $2, $3, $4, $5, $6) \
        ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, \
        parent_code = excluded.parent_code, valid_from = excluded.valid_from, valid_to = excluded.valid_to";
    with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        for unit in units {
            sqlx::query(SQL)
                .bind(&unit.code)
                .bind(&unit.name)
                .bind(&unit.kind)
                .bind(&unit.parent_code)
                .bind(unit.valid_from)
                .bind(unit.valid_to)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    })
}

pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    with_read_db!(db, pool => sqlx::query_scalar("SELECT count(*) FROM units").fetch_one(pool).await)
}
