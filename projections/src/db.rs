//! The two stores behind one code path. Most read-model SQL is written once in a dialect both
//! accept (`$n` placeholders in order, `ON CONFLICT`, `RETURNING`); [`with_db!`] runs the same
//! body against whichever pool is configured, type-checking it for both.

use sqlx::{PgPool, SqlitePool};

/// A connection pool to the configured store.
#[derive(Clone, Debug)]
pub enum Db {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

impl Db {
    pub fn kind(&self) -> &'static str {
        match self {
            Db::Postgres(_) => "postgres",
            Db::Sqlite(_) => "sqlite",
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Postgres(pool) => pool.close().await,
            Db::Sqlite(pool) => pool.close().await,
        }
    }
}

/// Runs `$body` with `$pool` bound to the configured pool (a `&PgPool` or a `&SqlitePool`).
#[macro_export]
macro_rules! with_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Postgres($pool) => $body,
            $crate::db::Db::Sqlite($pool) => $body,
        }
    };
}
