//! The event store: postgres-es or sqlite-es behind one repository type, chosen at start-up.
//! The repository traits use `impl Future` returns, so the choice is an enum that delegates
//! rather than a trait object.

use aggregates::Case;
use cqrs_es::persist::{
    PersistedEventRepository, PersistedEventStore, PersistenceError, ReplayStream, SerializedEvent,
    SerializedSnapshot,
};
use cqrs_es::Aggregate;
use postgres_es::PostgresEventRepository;
use projections::Db;
use serde_json::Value;
use sqlite_es::SqliteEventRepository;
use std::sync::Arc;

/// postgres-es or sqlite-es.
#[derive(Clone)]
pub enum EventRepository {
    Postgres(Arc<PostgresEventRepository>),
    Sqlite(Arc<SqliteEventRepository>),
}

impl EventRepository {
    pub fn new(db: &Db) -> Self {
        match db {
            Db::Postgres(pool) => {
                Self::Postgres(Arc::new(PostgresEventRepository::new(pool.clone())))
            }
            Db::Sqlite(pool) => Self::Sqlite(Arc::new(SqliteEventRepository::new(pool.clone()))),
        }
    }
}

impl PersistedEventRepository for EventRepository {
    async fn get_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        match self {
            Self::Postgres(r) => r.get_events::<A>(aggregate_id).await,
            Self::Sqlite(r) => r.get_events::<A>(aggregate_id).await,
        }
    }

    async fn get_last_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
        last_sequence: usize,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        match self {
            Self::Postgres(r) => r.get_last_events::<A>(aggregate_id, last_sequence).await,
            Self::Sqlite(r) => r.get_last_events::<A>(aggregate_id, last_sequence).await,
        }
    }

    async fn get_snapshot<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Option<SerializedSnapshot>, PersistenceError> {
        match self {
            Self::Postgres(r) => r.get_snapshot::<A>(aggregate_id).await,
            Self::Sqlite(r) => r.get_snapshot::<A>(aggregate_id).await,
        }
    }

    async fn persist<A: Aggregate>(
        &self,
        events: &[SerializedEvent],
        snapshot_update: Option<(String, Value, usize)>,
    ) -> Result<(), PersistenceError> {
        match self {
            Self::Postgres(r) => r.persist::<A>(events, snapshot_update).await,
            Self::Sqlite(r) => r.persist::<A>(events, snapshot_update).await,
        }
    }

    async fn stream_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<ReplayStream, PersistenceError> {
        match self {
            Self::Postgres(r) => r.stream_events::<A>(aggregate_id).await,
            Self::Sqlite(r) => r.stream_events::<A>(aggregate_id).await,
        }
    }

    async fn stream_all_events<A: Aggregate>(&self) -> Result<ReplayStream, PersistenceError> {
        match self {
            Self::Postgres(r) => r.stream_all_events::<A>().await,
            Self::Sqlite(r) => r.stream_all_events::<A>().await,
        }
    }
}

/// cqrs-es's event store in event-sourcing mode only: the snapshot and aggregate-store modes of
/// 0.5.0 apply new events twice (shared/spec/architecture.md).
pub type CaseEventStore = PersistedEventStore<EventRepository, Case>;

pub fn case_event_store(repo: EventRepository) -> CaseEventStore {
    PersistedEventStore::new_event_store(repo)
}

/// The cases an earlier report by `actor` with this `Idempotency-Key` opened: (case id, case
/// number, report id), in case-number order. Empty when the key opened nothing.
pub async fn reported_with_key(
    db: &projections::Db,
    actor: uuid::Uuid,
    key: &str,
) -> Result<Vec<(uuid::Uuid, String, uuid::Uuid)>, sqlx::Error> {
    let sql = match db {
        projections::Db::Postgres(_) => {
            "SELECT aggregate_id, payload::text FROM events \
             WHERE event_type = 'CaseReported' AND metadata ->> 'idempotency_key' = $1 \
               AND metadata ->> 'actor_id' = $2"
        }
        projections::Db::Sqlite(_) => {
            "SELECT aggregate_id, payload FROM events \
             WHERE event_type = 'CaseReported' AND json_extract(metadata, '$.idempotency_key') = $1 \
               AND json_extract(metadata, '$.actor_id') = $2"
        }
    };
    let rows: Vec<(String, String)> = projections::with_db!(db, pool => sqlx::query_as(sql)
        .bind(key)
        .bind(actor.to_string())
        .fetch_all(pool)
        .await)?;
    let mut cases: Vec<(uuid::Uuid, String, uuid::Uuid)> = rows
        .into_iter()
        .filter_map(|(id, payload)| {
            let payload: serde_json::Value = serde_json::from_str(&payload).ok()?;
            let reported = &payload["CaseReported"];
            Some((
                uuid::Uuid::parse_str(&id).ok()?,
                reported["case_number"].as_str()?.to_owned(),
                uuid::Uuid::parse_str(reported["report_id"].as_str()?).ok()?,
            ))
        })
        .collect();
    cases.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(cases)
}
