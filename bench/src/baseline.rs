//! The same-run baselines of shared/spec/quality.md: single-row `INSERT … ; COMMIT`
//! transactions into the same store, at the same concurrency, with the same durability
//! settings — the physical limit of one durable commit per command.

use crate::stats::Samples;
use projections::Db;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The baseline's own pool, with sqlx's default pool settings and the store's durability
/// (SQLite: WAL, `synchronous=FULL`, a busy timeout), so that a change of the server's pool
/// settings (`casebook::store::connect`) never moves the baseline it is compared with.
pub async fn pool(url: &str, clients: usize) -> Db {
    use std::str::FromStr;
    if url.starts_with("postgres") {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(clients as u32)
            .connect(url)
            .await
            .expect("baseline pool");
        Db::Postgres(pool)
    } else {
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
            .expect("sqlite url")
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(clients as u32)
            .connect_with(options)
            .await
            .expect("baseline pool");
        // The baseline's inserts run on all its connections, as any SQLite client's would.
        Db::Sqlite(projections::db::SqlitePools {
            writer: pool.clone(),
            reader: pool,
        })
    }
}

/// Runs `clients` loops of autocommitted single-row inserts for `duration`.
pub async fn insert_commit(db: &Db, clients: usize, duration: Duration) -> Samples {
    let create = match db {
        Db::Postgres(_) => "CREATE TABLE IF NOT EXISTS bench_baseline (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload jsonb NOT NULL)",
        Db::Sqlite(_) => "CREATE TABLE IF NOT EXISTS bench_baseline (id integer PRIMARY KEY AUTOINCREMENT, payload text NOT NULL)",
    };
    projections::with_db!(db, pool => sqlx::query(create).execute(pool).await.map(|_| ()).expect("baseline table"));
    // About the size of a stored event.
    let payload = serde_json::json!({
        "NoteAdded": {"written_at": "2026-11-24T10:00:00Z", "text": "Đã gọi điện hỏi thăm gia đình, trẻ đi học đều, không có dấu hiệu mới"},
        "metadata": {"actor_id": uuid::Uuid::now_v7(), "actor_role": "social_worker", "actor_unit": "03388", "request_id": uuid::Uuid::now_v7()}
    });
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut tasks = Vec::new();
    let payload = Arc::new(payload);
    for _ in 0..clients {
        let (db, payload) = (db.clone(), payload.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                projections::with_db!(&db, pool => sqlx::query("INSERT INTO bench_baseline (payload) VALUES ($1)")
                    .bind(sqlx::types::Json(payload.as_ref()))
                    .execute(pool)
                    .await
                    .map(|_| ())
                    .expect("baseline insert"));
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut samples = Samples::default();
    for task in tasks {
        samples.extend(task.await.expect("baseline task"));
    }
    samples.finish(started.elapsed());
    samples
}
