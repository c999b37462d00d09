//! A small bridge so that projection code is written once for both stores: statements take
//! [`Arg`]s, and each connection type binds them with its driver's own types.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A statement argument.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
    Uuid(Option<Uuid>),
    Time(Option<DateTime<Utc>>),
    Real(f64),
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_owned()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}
impl From<Uuid> for Arg {
    fn from(v: Uuid) -> Self {
        Arg::Uuid(Some(v))
    }
}
impl From<Option<Uuid>> for Arg {
    fn from(v: Option<Uuid>) -> Self {
        Arg::Uuid(v)
    }
}
impl From<DateTime<Utc>> for Arg {
    fn from(v: DateTime<Utc>) -> Self {
        Arg::Time(Some(v))
    }
}
impl From<Option<DateTime<Utc>>> for Arg {
    fn from(v: Option<DateTime<Utc>>) -> Self {
        Arg::Time(v)
    }
}

impl Arg {
    pub fn text(&self) -> Option<&str> {
        match self {
            Arg::Text(v) => v.as_deref(),
            _ => None,
        }
    }

    pub fn int(&self) -> Option<i64> {
        match self {
            Arg::Int(v) => *v,
            _ => None,
        }
    }

    pub fn uuid(&self) -> Option<Uuid> {
        match self {
            Arg::Uuid(v) => *v,
            _ => None,
        }
    }

    pub fn time(&self) -> Option<DateTime<Utc>> {
        match self {
            Arg::Time(v) => *v,
            _ => None,
        }
    }
}

/// The type a column of [`Conn::fetch`] is read as (every column may be NULL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Text,
    Int,
    Uuid,
    Time,
}

/// Builds a `Vec<Arg>`.
#[macro_export]
macro_rules! args {
    ($($v:expr),* $(,)?) => { vec![$($crate::sql::Arg::from($v)),*] };
}

/// A connection (inside a transaction) that runs statements with [`Arg`]s.
pub trait Conn: Send {
    fn exec(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
    ) -> impl std::future::Future<Output = Result<u64, sqlx::Error>> + Send;

    /// Like `exec`, for a statement whose text varies (a multi-row insert): not kept as a
    /// prepared statement, so the connections' statement caches do not fill with one-offs.
    fn exec_once(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
    ) -> impl std::future::Future<Output = Result<u64, sqlx::Error>> + Send;

    /// Rows of (case id, text, text).
    fn fetch_id_texts(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
    ) -> impl std::future::Future<Output = Result<Vec<(uuid::Uuid, String, String)>, sqlx::Error>> + Send;

    /// The first column of the first row, as a time.
    fn fetch_time(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
    ) -> impl std::future::Future<Output = Result<Option<DateTime<Utc>>, sqlx::Error>> + Send;

    /// Every row, its columns read as `cols` say (for code written once for both stores).
    fn fetch(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
        cols: &[Col],
    ) -> impl std::future::Future<Output = Result<Vec<Vec<Arg>>, sqlx::Error>> + Send;
}

/// Reads a row's columns as [`Col`]s say.
macro_rules! read_row {
    ($row:expr, $cols:expr) => {{
        use sqlx::Row;
        let mut out = Vec::with_capacity($cols.len());
        for (i, col) in $cols.iter().enumerate() {
            out.push(match col {
                Col::Text => Arg::Text($row.try_get::<Option<String>, _>(i)?),
                Col::Int => Arg::Int($row.try_get::<Option<i64>, _>(i)?),
                Col::Uuid => Arg::Uuid($row.try_get::<Option<Uuid>, _>(i)?),
                Col::Time => Arg::Time($row.try_get::<Option<DateTime<Utc>>, _>(i)?),
            });
        }
        out
    }};
}

/// Binds [`Arg`]s to a query of either driver.
#[macro_export]
macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for arg in $args {
            q = match arg {
                $crate::sql::Arg::Text(v) => q.bind(v),
                $crate::sql::Arg::Int(v) => q.bind(v),
                $crate::sql::Arg::Bool(v) => q.bind(v),
                $crate::sql::Arg::Uuid(v) => q.bind(v),
                $crate::sql::Arg::Time(v) => q.bind(v),
                $crate::sql::Arg::Real(v) => q.bind(v),
            };
        }
        q
    }};
}

impl Conn for sqlx::PgConnection {
    async fn fetch(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
        cols: &[Col],
    ) -> Result<Vec<Vec<Arg>>, sqlx::Error> {
        let q = bind_all!(sqlx::query(sql).persistent(false), args);
        let rows = q.fetch_all(&mut *self).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(read_row!(row, cols));
        }
        Ok(out)
    }

    async fn fetch_id_texts(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<(uuid::Uuid, String, String)>, sqlx::Error> {
        let q = bind_all!(sqlx::query_as(sql).persistent(false), args);
        q.fetch_all(&mut *self).await
    }

    async fn exec(&mut self, sql: &str, args: Vec<Arg>) -> Result<u64, sqlx::Error> {
        let q = bind_all!(sqlx::query(sql), args);
        Ok(q.execute(&mut *self).await?.rows_affected())
    }

    async fn exec_once(&mut self, sql: &str, args: Vec<Arg>) -> Result<u64, sqlx::Error> {
        let q = bind_all!(sqlx::query(sql).persistent(false), args);
        Ok(q.execute(&mut *self).await?.rows_affected())
    }

    async fn fetch_time(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
    ) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        let q = bind_all!(sqlx::query_scalar(sql), args);
        q.fetch_optional(&mut *self).await
    }
}

impl Conn for sqlx::SqliteConnection {
    async fn fetch(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
        cols: &[Col],
    ) -> Result<Vec<Vec<Arg>>, sqlx::Error> {
        let q = bind_all!(sqlx::query(sql).persistent(false), args);
        let rows = q.fetch_all(&mut *self).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(read_row!(row, cols));
        }
        Ok(out)
    }

    async fn fetch_id_texts(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<(uuid::Uuid, String, String)>, sqlx::Error> {
        let q = bind_all!(sqlx::query_as(sql).persistent(false), args);
        q.fetch_all(&mut *self).await
    }

    async fn exec(&mut self, sql: &str, args: Vec<Arg>) -> Result<u64, sqlx::Error> {
        let q = bind_all!(sqlx::query(sql), args);
        Ok(q.execute(&mut *self).await?.rows_affected())
    }

    async fn exec_once(&mut self, sql: &str, args: Vec<Arg>) -> Result<u64, sqlx::Error> {
        let q = bind_all!(sqlx::query(sql).persistent(false), args);
        Ok(q.execute(&mut *self).await?.rows_affected())
    }

    async fn fetch_time(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
    ) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        let q = bind_all!(sqlx::query_scalar(sql), args);
        q.fetch_optional(&mut *self).await
    }
}

/// Rows for one table, written as multi-row `INSERT`s.
#[derive(Debug)]
pub struct Rows {
    /// `INSERT INTO t (a, b, c) VALUES`
    head: String,
    /// Appended after the values, e.g. `ON CONFLICT DO NOTHING`.
    tail: String,
    width: usize,
    rows: Vec<Vec<Arg>>,
}

impl Rows {
    pub fn new(table: &str, columns: &[&str], tail: &str) -> Self {
        Self {
            head: format!("INSERT INTO {table} ({}) VALUES ", columns.join(", ")),
            tail: tail.to_owned(),
            width: columns.len(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Arg>) {
        debug_assert_eq!(row.len(), self.width);
        self.rows.push(row);
    }

    /// Writes the buffered rows, as few statements as the drivers' parameter limits allow.
    pub async fn flush<C: Conn>(&mut self, c: &mut C) -> Result<(), sqlx::Error> {
        // SQLite allows 32766 parameters per statement, Postgres 65535.
        let per_statement = (30_000 / self.width.max(1)).max(1);
        let rows = std::mem::take(&mut self.rows);
        for chunk in rows.chunks(per_statement) {
            let mut sql = self.head.clone();
            let mut args = Vec::with_capacity(chunk.len() * self.width);
            for (i, row) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                for j in 0..self.width {
                    if j > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&format!("${}", args.len() + j + 1));
                }
                sql.push(')');
                args.extend(row.iter().cloned());
            }
            if !self.tail.is_empty() {
                sql.push(' ');
                sql.push_str(&self.tail);
            }
            c.exec_once(&sql, args).await?;
        }
        Ok(())
    }
}

/// `UPDATE table SET columns = …` for many cases in as few statements as the drivers' parameter
/// limits allow: the new values as a `VALUES` list joined on the case id (both stores).
pub async fn update_rows<C: Conn>(
    c: &mut C,
    table: &str,
    columns: &[&'static str],
    rows: Vec<(Uuid, Vec<Arg>)>,
) -> Result<(), sqlx::Error> {
    let width = columns.len() + 1;
    let per_statement = (30_000 / width).max(1);
    let names = std::iter::once("case_id")
        .chain(columns.iter().copied())
        .collect::<Vec<_>>()
        .join(", ");
    let sets = columns
        .iter()
        .map(|col| format!("{col} = v.{col}"))
        .collect::<Vec<_>>()
        .join(", ");
    for chunk in rows.chunks(per_statement) {
        let mut args: Vec<Arg> = Vec::with_capacity(chunk.len() * width);
        let mut tuples: Vec<String> = Vec::with_capacity(chunk.len());
        for (id, values) in chunk {
            let first = args.len() + 1;
            args.push((*id).into());
            args.extend(values.iter().cloned());
            tuples.push(format!(
                "({})",
                (first..first + width)
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let sql = format!(
            "WITH v ({names}) AS (VALUES {}) UPDATE {table} SET {sets} FROM v \
             WHERE {table}.case_id = v.case_id",
            tuples.join(", ")
        );
        c.exec_once(&sql, args).await?;
    }
    Ok(())
}
