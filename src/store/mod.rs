//! The stores: pools we build ourselves (durable settings, clear errors), migrations, the event
//! store, and the SQL of the server-side tables (accounts, sessions, units, case numbers,
//! idempotency, the read audit).

pub mod access_log;
pub mod account_events;
pub mod case_numbers;
pub mod child_searches;
pub mod events;
pub mod group_commit;
pub mod idempotency;
pub mod login_attempts;
pub mod pg_group_commit;
pub mod session_cache;
pub mod sessions;
pub mod units;
pub mod users;

use projections::Db;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("CASEBOOK_DATABASE_URL must start with sqlite:// or postgres:// (got `{0}`)")]
    UnsupportedUrl(String),
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Connect(sqlx::Error),
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Connects to the store the URL names.
pub async fn connect(url: &str, max_connections: u32) -> Result<Db, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let options = PgConnectOptions::from_str(url).map_err(StoreError::Connect)?;
        // No ping before each checkout: a broken connection fails its statement, which the
        // command answers as a 5xx without a partial write, and the pool replaces it (sqlx
        // still tests each connection when it comes back). A ping per checkout was a round
        // trip per statement (shared/spec/write-path-study.md §1).
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(StoreError::Connect)?;
        Ok(Db::Postgres(pool))
    } else if url.starts_with("sqlite:") {
        if url.contains(":memory:") || url.contains("mode=memory") {
            // An in-memory database is per connection: the pool would see several databases.
            return Err(StoreError::UnsupportedUrl(
                "sqlite in-memory databases are not supported; use a file".into(),
            ));
        }
        let options = SqliteConnectOptions::from_str(url)
            .map_err(StoreError::Connect)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Case data must survive a power cut: FULL syncs the WAL on every commit.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        if let Some(parent) = Path::new(options.get_filename()).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|source| StoreError::DataDir {
                    path: parent.display().to_string(),
                    source,
                })?;
            }
        }
        // One writer connection: writers queue for it (see `projections::db::SqlitePools`).
        // Its commits do not checkpoint the WAL into the database file (that fsync would
        // stall the command that happened to commit): a task of its own does, below.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone().pragma("wal_autocheckpoint", "0"))
            .await
            .map_err(StoreError::Connect)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone().read_only(true).create_if_missing(false))
            .await
            .map_err(StoreError::Connect)?;
        tokio::spawn(checkpoint_wal(options, writer.clone()));
        Ok(Db::Sqlite(projections::db::SqlitePools { writer, reader }))
    } else {
        Err(StoreError::UnsupportedUrl(
            url.split("://").next().unwrap_or_default().to_owned(),
        ))
    }
}

/// SQLite: copies the WAL into the database file in the background (a passive checkpoint
/// never waits for, nor blocks, the writer or the readers), every half second while the
/// store is open, so no command pays for it.
async fn checkpoint_wal(options: SqliteConnectOptions, writer: sqlx::SqlitePool) {
    use sqlx::ConnectOptions;
    let Ok(mut conn) = options.connect().await else {
        tracing::warn!("cannot open the WAL checkpointer; SQLite checkpoints when it can");
        return;
    };
    let mut failing = false;
    while !writer.is_closed() {
        tokio::time::sleep(Duration::from_millis(500)).await;
        match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&mut conn)
            .await
        {
            Ok(_) => failing = false,
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "WAL checkpoint failed; trying again");
            }
            Err(_) => {}
        }
    }
}

/// Applies pending migrations of the configured store.
pub async fn migrate(db: &Db) -> Result<(), StoreError> {
    match db {
        Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        Db::Sqlite(pools) => {
            sqlx::migrate!("./migrations/sqlite")
                .run(&pools.writer)
                .await?
        }
    }
    Ok(())
}

/// Whether the store answers (for `/ready`).
pub async fn ping(db: &Db) -> bool {
    projections::with_db!(db, pool => sqlx::query("SELECT 1").execute(pool).await.is_ok())
}
