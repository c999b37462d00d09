//! The two stores behind one code path. Most read-model SQL is written once in a dialect both
//! accept (`$n` placeholders in order, `ON CONFLICT`, `RETURNING`); [`with_db!`] runs the same
//! body against whichever pool is configured, type-checking it for both.

use sqlx::{PgPool, SqlitePool};

/// A connection pool to the configured store.
#[derive(Clone, Debug)]
pub enum Db {
    Postgres(PgPool),
    Sqlite(SqlitePools),
}

/// SQLite has one writer at a time. Every write goes through one connection (`writer`, a pool
/// of one): writers queue for it in order instead of busy-waiting on SQLite's lock with
/// sleeps of up to 100 ms (shared/spec/write-path-study.md §5). Reads that take time or come
/// often go to `reader` (read-only connections; in WAL mode they never wait for the writer).
#[derive(Clone, Debug)]
pub struct SqlitePools {
    pub writer: SqlitePool,
    pub reader: SqlitePool,
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
            Db::Sqlite(pools) => {
                pools.reader.close().await;
                pools.writer.close().await;
            }
        }
    }
}

/// Runs `$body` with `$pool` bound to the configured pool (a `&PgPool`, or SQLite's writer
/// `&SqlitePool`): for writes, and for reads that must see this process's latest writes on the
/// same connection.
#[macro_export]
macro_rules! with_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Postgres($pool) => $body,
            $crate::db::Db::Sqlite(pools) => {
                let $pool = &pools.writer;
                $body
            }
        }
    };
}

/// Like [`with_db!`] for a read only: SQLite's read-only connections, which do not queue
/// behind the writer (a committed write is visible to every read that begins after it).
#[macro_export]
macro_rules! with_read_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Postgres($pool) => $body,
            $crate::db::Db::Sqlite(pools) => {
                let $pool = &pools.reader;
                $body
            }
        }
    };
}

/// One follower of the event log at a time across instances (a projector, the duplicates
/// matcher, the notifier), for the length of its transaction.
///
/// Postgres: an advisory transaction lock on a key derived from the follower's name. Unlike
/// a row lock (`SELECT … FOR UPDATE` on the checkpoint), it takes no transaction id, so the
/// follower's transaction does not hold back the horizon below which every projector reads
/// the log (`pg_snapshot_xmin`) until it writes, at the end of its batch: the followers do not
/// make one another lag. SQLite: the transaction began `IMMEDIATE` and holds the write lock.
pub trait FollowerLock {
    /// Takes the lock if it is free: `false` when another instance holds it.
    fn try_lock_follower(
        &mut self,
        name: &str,
    ) -> impl std::future::Future<Output = Result<bool, sqlx::Error>> + Send;

    /// Waits for the lock (a rebuild swapping its tables in, a matcher restarting).
    fn lock_follower(
        &mut self,
        name: &str,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;

    /// This transaction writes only what the log determines, with the follower's checkpoint:
    /// it need not wait for its WAL flush (Postgres `synchronous_commit = off`, for this
    /// transaction only). Lost in a crash, it is lost whole, checkpoint included, and done again
    /// from the log; every command, access-log row and account change stays durable before it
    /// is answered. SQLite: nothing (its writer connection serves the durable writes too).
    fn derived_only(&mut self)
        -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
}

/// A stable 64-bit key for a follower's name (FNV-1a).
pub fn follower_key(name: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in b"casebook follower ".iter().chain(name.as_bytes()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}

impl FollowerLock for sqlx::PgConnection {
    async fn try_lock_follower(&mut self, name: &str) -> Result<bool, sqlx::Error> {
        sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
            .bind(follower_key(name))
            .fetch_one(self)
            .await
    }

    async fn lock_follower(&mut self, name: &str) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(follower_key(name))
            .execute(self)
            .await
            .map(|_| ())
    }

    async fn derived_only(&mut self) -> Result<(), sqlx::Error> {
        sqlx::query("SET LOCAL synchronous_commit = off")
            .execute(self)
            .await
            .map(|_| ())
    }
}

impl FollowerLock for sqlx::SqliteConnection {
    async fn try_lock_follower(&mut self, _name: &str) -> Result<bool, sqlx::Error> {
        Ok(true)
    }

    async fn lock_follower(&mut self, _name: &str) -> Result<(), sqlx::Error> {
        Ok(())
    }

    async fn derived_only(&mut self) -> Result<(), sqlx::Error> {
        Ok(())
    }
}
