//! The event store: casebook's own repository over the schema postgres-es and sqlite-es use
//! (the same seven columns and composite primary key, the same conflict semantics: a race on a
//! case's next sequence is `OptimisticLockError`), implementing cqrs-es's
//! `PersistedEventRepository`. It exists for the write path's cost: postgres-es and sqlite-es
//! write one `INSERT` per event inside `BEGIN`/`COMMIT`; here a command's events go in one
//! multi-row statement, and the access-log row of the answer that shows the case goes in the
//! same statement (Postgres, a data-modifying CTE) or transaction (SQLite), so a command is one
//! round trip and one durable commit. Events are never updated (the tables' triggers refuse it).

use super::access_log::CaseView;
use super::group_commit::GroupCommitter;
use super::pg_group_commit::PgGroupCommitter;
use aggregates::Case;
use chrono::{DateTime, Utc};
use cqrs_es::persist::{
    PersistedEventRepository, PersistedEventStore, PersistenceError, ReplayStream, SerializedEvent,
    SerializedSnapshot,
};
use cqrs_es::Aggregate;
use projections::Db;
use serde_json::Value;
use uuid::Uuid;

/// The access-log row of a command's answer (it shows the case), written with its events.
#[derive(Debug, Clone)]
pub struct AccessRow {
    pub case_id: Uuid,
    pub user_id: Uuid,
    pub role: String,
    pub unit: String,
    pub view: CaseView,
    pub at: DateTime<Utc>,
}

/// Postgres committer tasks when the configuration does not say (`CASEBOOK_PG_COMMITTERS`):
/// none, each command commits on its own (Postgres shares WAL flushes between concurrent
/// commits anyway; grouping in the server measured slower at 100,000 cases, BENCHMARKS.md).
pub const DEFAULT_PG_COMMITTERS: usize = 0;

#[derive(Clone)]
pub struct EventRepository {
    db: Db,
    /// SQLite: the commits queue for the one writer and go in by groups.
    group: Option<GroupCommitter>,
    /// Postgres: the commits that queue go in by groups.
    pg_group: Option<PgGroupCommitter>,
}

const SELECT: &str = "SELECT aggregate_type, aggregate_id, sequence, event_type, event_version, \
    payload, metadata FROM events WHERE aggregate_type = $1 AND aggregate_id = $2";

const COLUMNS: &str =
    "aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata";

/// The casts of an event row's seven parameters: none (SQLite), JSON columns only (a Postgres
/// `INSERT … VALUES`), or every column (a `VALUES` list read by a `SELECT`, where Postgres
/// cannot infer parameter types).
const SQLITE: [&str; 7] = ["", "", "", "", "", "", ""];
const PG_INSERT: [&str; 7] = ["", "", "", "", "", "::jsonb", "::jsonb"];
const PG_TYPED: [&str; 7] = [
    "::text", "::text", "::bigint", "::text", "::text", "::jsonb", "::jsonb",
];

/// `($1, …, $7), ($8, …, $14), …` for `rows` events, each parameter with its cast.
fn values(rows: usize, casts: &[&str; 7]) -> String {
    (0..rows)
        .map(|r| {
            let row: Vec<String> = casts
                .iter()
                .enumerate()
                .map(|(i, cast)| format!("${}{cast}", r * 7 + i + 1))
                .collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a commit wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// Another commit took one of the cases' next sequences first.
    #[error("concurrent change")]
    Conflict,
    /// The session the command came with has ended (logout, disabled, new grants).
    #[error("the session has ended")]
    SessionEnded,
    #[error(transparent)]
    Store(PersistenceError),
}

impl CommitError {
    pub(super) fn store(message: &str) -> Self {
        Self::Store(PersistenceError::UnknownError(message.into()))
    }
}

pub(super) fn commit_error(e: sqlx::Error) -> CommitError {
    match conflict_or(e) {
        PersistenceError::OptimisticLockError => CommitError::Conflict,
        other => CommitError::Store(other),
    }
}

/// Binds the seven columns of each event, in [`values`]' order.
fn bind_events<'q, DB: sqlx::Database>(
    mut q: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>,
    events: &'q [SerializedEvent],
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
where
    &'q String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    for e in events {
        q = q
            .bind(&e.aggregate_type)
            .bind(&e.aggregate_id)
            .bind(e.sequence as i64)
            .bind(&e.event_type)
            .bind(&e.event_version)
            .bind(e.payload.to_string())
            .bind(e.metadata.to_string());
    }
    q
}

/// One multi-row `INSERT` of `events` on SQLite (inside the caller's transaction).
pub(super) async fn insert_sqlite(
    conn: &mut sqlx::SqliteConnection,
    events: &[SerializedEvent],
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO events ({COLUMNS}) VALUES {}",
        values(events.len(), &SQLITE)
    );
    bind_events(sqlx::query(&sql), events)
        .execute(conn)
        .await
        .map(|_| ())
}

/// One command's commit on Postgres: its events and the access-log row of its answer in one
/// autocommitted statement, written only while `session` exists.
pub(super) async fn commit_postgres(
    pool: &sqlx::PgPool,
    events: &[SerializedEvent],
    access: Option<&AccessRow>,
    session: Option<&str>,
) -> Result<(), CommitError> {
    let n = events.len() * 7;
    let insert = match session {
            None => format!(
                "INSERT INTO events ({COLUMNS}) VALUES {}",
                values(events.len(), &PG_INSERT)
            ),
            Some(_) => format!(
                "INSERT INTO events ({COLUMNS}) SELECT * FROM (VALUES {}) AS v \
                 WHERE EXISTS (SELECT 1 FROM sessions WHERE token_hash = ${} AND expires_at > now())",
                values(events.len(), &PG_TYPED),
                n + 1
            ),
        };
    let after = n + usize::from(session.is_some());
    let sql = match access {
        None => insert,
        Some(_) => format!(
            "WITH written AS ({insert} RETURNING 1) INSERT INTO case_access_log \
                 (case_id, user_id, role, unit_code, view, at) \
                 SELECT ${}, ${}, ${}, ${}, ${}, ${} WHERE EXISTS (SELECT 1 FROM written)",
            after + 1,
            after + 2,
            after + 3,
            after + 4,
            after + 5,
            after + 6
        ),
    };
    let mut q = bind_events(sqlx::query(&sql), events);
    if let Some(token_hash) = session {
        q = q.bind(token_hash);
    }
    if let Some(a) = access {
        q = q
            .bind(a.case_id)
            .bind(a.user_id)
            .bind(&a.role)
            .bind(&a.unit)
            .bind(a.view.code())
            .bind(a.at);
    }
    // Autocommit: the statement is its own transaction, one durable commit.
    let written = q.execute(pool).await.map_err(commit_error)?.rows_affected();
    if session.is_some() && written == 0 {
        return Err(CommitError::SessionEnded);
    }
    Ok(())
}

fn conflict_or(e: sqlx::Error) -> PersistenceError {
    if let sqlx::Error::Database(d) = &e {
        let code = d.code();
        let code = code.as_deref();
        // Postgres: a unique violation of the events' primary key; SQLite: extended code 1555
        // (SQLITE_CONSTRAINT_PRIMARYKEY), as sqlite-es maps it.
        let events_key = d.constraint().is_none_or(|c| c == "events_pkey");
        if (code == Some("23505") && events_key) || code == Some("1555") {
            return PersistenceError::OptimisticLockError;
        }
    }
    match e {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut => {
            PersistenceError::ConnectionError(Box::new(e))
        }
        other => PersistenceError::UnknownError(Box::new(other)),
    }
}

impl EventRepository {
    /// The repository over `db`; on SQLite it spawns the group committer (call it inside the
    /// runtime, once per store, and share clones).
    pub fn new(db: &Db) -> Self {
        Self::with_committers(db, DEFAULT_PG_COMMITTERS)
    }

    /// The repository with `pg_committers` Postgres group committers (0: none, each command
    /// commits on its own; SQLite has its one writer's committer whatever this says).
    pub fn with_committers(db: &Db, pg_committers: usize) -> Self {
        let (group, pg_group) = match db {
            Db::Sqlite(pools) => (Some(GroupCommitter::spawn(pools.writer.clone())), None),
            Db::Postgres(pool) => (
                None,
                (pg_committers > 0).then(|| PgGroupCommitter::spawn(pool.clone(), pg_committers)),
            ),
        };
        Self {
            db: db.clone(),
            group,
            pg_group,
        }
    }

    /// The SQLite group committer, when the store is SQLite.
    pub fn group_committer(&self) -> Option<&GroupCommitter> {
        self.group.as_ref()
    }

    /// The Postgres group committer, when the store is Postgres.
    pub fn pg_group_committer(&self) -> Option<&PgGroupCommitter> {
        self.pg_group.as_ref()
    }

    /// Writes `events` (of one or several cases) and, when given, the access-log row of the
    /// answer, atomically: one statement on Postgres, one transaction on SQLite. A race on any
    /// case's sequence writes nothing and answers `Conflict`. With `session` (a token hash,
    /// Postgres), the statement writes only while that session exists: a session ended on
    /// another instance a moment ago cannot act through a cached copy of it here.
    pub async fn commit(
        &self,
        events: &[SerializedEvent],
        access: Option<&AccessRow>,
        session: Option<&str>,
    ) -> Result<(), CommitError> {
        if events.is_empty() {
            return Ok(());
        }
        match &self.db {
            Db::Postgres(pool) => match &self.pg_group {
                Some(group) => {
                    group
                        .commit(events.to_vec(), access.cloned(), session.map(str::to_owned))
                        .await?
                }
                None => commit_postgres(pool, events, access, session).await?,
            },
            Db::Sqlite(_) => {
                let group = self
                    .group
                    .as_ref()
                    .ok_or_else(|| CommitError::store("the SQLite repository has no committer"))?;
                group.commit(events.to_vec(), access.cloned()).await?;
            }
        }
        Ok(())
    }

    async fn select(
        &self,
        sql: &str,
        aggregate_type: &str,
        aggregate_id: &str,
        after: i64,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        let rows: Vec<(String, String, i64, String, String, String, String)> = match &self.db {
            Db::Postgres(pool) => {
                sqlx::query_as(&sql.replace("payload, metadata", "payload::text, metadata::text"))
                    .bind(aggregate_type)
                    .bind(aggregate_id)
                    .bind(after)
                    .fetch_all(pool)
                    .await
            }
            Db::Sqlite(pools) => {
                sqlx::query_as(sql)
                    .bind(aggregate_type)
                    .bind(aggregate_id)
                    .bind(after)
                    .fetch_all(&pools.reader)
                    .await
            }
        }
        .map_err(conflict_or)?;
        rows.into_iter()
            .map(
                |(
                    aggregate_type,
                    aggregate_id,
                    sequence,
                    event_type,
                    event_version,
                    payload,
                    metadata,
                )| {
                    let parse = |s: &str| {
                        serde_json::from_str::<Value>(s)
                            .map_err(|e| PersistenceError::DeserializationError(Box::new(e)))
                    };
                    Ok(SerializedEvent::new(
                        aggregate_id,
                        sequence as usize,
                        aggregate_type,
                        event_type,
                        event_version,
                        parse(&payload)?,
                        parse(&metadata)?,
                    ))
                },
            )
            .collect()
    }
}

impl PersistedEventRepository for EventRepository {
    async fn get_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        self.select(
            &format!("{SELECT} AND sequence > $3 ORDER BY sequence"),
            A::TYPE,
            aggregate_id,
            0,
        )
        .await
    }

    async fn get_last_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
        last_sequence: usize,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        self.select(
            &format!("{SELECT} AND sequence > $3 ORDER BY sequence"),
            A::TYPE,
            aggregate_id,
            last_sequence as i64,
        )
        .await
    }

    /// casebook never keeps snapshots (cqrs-es 0.5's snapshot modes apply events twice).
    async fn get_snapshot<A: Aggregate>(
        &self,
        _aggregate_id: &str,
    ) -> Result<Option<SerializedSnapshot>, PersistenceError> {
        Ok(None)
    }

    async fn persist<A: Aggregate>(
        &self,
        events: &[SerializedEvent],
        snapshot_update: Option<(String, Value, usize)>,
    ) -> Result<(), PersistenceError> {
        if snapshot_update.is_some() {
            return Err(PersistenceError::UnknownError(
                "casebook keeps no snapshots".into(),
            ));
        }
        self.commit(events, None, None).await.map_err(|e| match e {
            CommitError::Conflict => PersistenceError::OptimisticLockError,
            CommitError::SessionEnded => PersistenceError::UnknownError(e.into()),
            CommitError::Store(e) => e,
        })
    }

    async fn stream_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<ReplayStream, PersistenceError> {
        let events = self.get_events::<A>(aggregate_id).await?;
        let (mut feed, stream) = ReplayStream::new(events.len().max(1));
        for event in events {
            if feed.push(Ok(event)).await.is_err() {
                break;
            }
        }
        Ok(stream)
    }

    /// Not used by casebook (its projector follows the log in commit order, see
    /// `projections::log`); the whole log of a type in sequence order is no replay order.
    async fn stream_all_events<A: Aggregate>(&self) -> Result<ReplayStream, PersistenceError> {
        Err(PersistenceError::UnknownError(
            "replay the log with projections::log, in commit order".into(),
        ))
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
