//! Human case numbers: `<province>-<year>-<000123>`, sequential per province and year.

use projections::{with_db, Db};

/// Reserves `count` consecutive numbers for `province` in `year`; returns the first.
pub async fn allocate(db: &Db, province: &str, year: i32, count: i64) -> Result<i64, sqlx::Error> {
    const SQL: &str = "INSERT INTO case_numbers (province, year, last) VALUES ($1, $2, $3) \
        ON CONFLICT (province, year) DO UPDATE SET last = case_numbers.last + excluded.last \
        RETURNING last";
    let last: i64 = with_db!(db, pool => sqlx::query_scalar(SQL)
        .bind(province)
        .bind(year)
        .bind(count)
        .fetch_one(pool)
        .await)?;
    Ok(last - count + 1)
}

pub fn format(province: &str, year: i32, n: i64) -> String {
    format!("{province}-{year}-{n:06}")
}
