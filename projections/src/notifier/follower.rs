//! The notifier's follower of the event log. Like a projector it reads the next batch after its
//! checkpoint and, in one transaction, writes what the batch produces (here: messages, inbox rows,
//! webhook deliveries, and what it knows of the batch's cases) and advances the checkpoint: a
//! crash before the commit leaves no message and the old checkpoint; after it, both. One
//! follower runs at a time across instances (an advisory transaction lock, `FollowerLock`, on
//! Postgres; SQLite's single writer).
//!
//! Unlike a view it is never rebuilt: replaying the log would send every alert of the past
//! again. Its first start ([`Follower::init`]) begins at the log head.

use super::outbox::{self, Stamp, Units, Written};
use super::rules::{self, CaseFacts};
use super::{NotifierError, Route};
use crate::args;
use crate::db::{Db, FollowerLock};
use crate::log::{self, LoggedEvent, Position};
use crate::sql::{Arg, Col, Conn, Rows};
use crate::views::Dialect;
use aggregates::case::CaseEvent;
use chrono::{DateTime, Utc};
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use uuid::Uuid;

/// The follower's row in `notifier_checkpoints`.
pub const NAME: &str = "events";

/// What one step did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub events: usize,
    pub written: Written,
    pub position: Option<Position>,
    /// The batch was full: more may be waiting.
    pub full: bool,
}

pub struct Follower {
    db: Db,
    routes: Vec<Route>,
    batch: i64,
}

fn dialect(db: &Db) -> Dialect {
    match db {
        Db::Postgres(_) => Dialect::Postgres,
        Db::Sqlite(_) => Dialect::Sqlite,
    }
}

impl Follower {
    pub fn new(db: Db, routes: Vec<Route>) -> Self {
        Self {
            db,
            routes,
            batch: 200,
        }
    }

    /// Creates the checkpoint at the log head if there is none (the first start of the
    /// notifier on this store: the past is not alerted), with `now` as the instant before
    /// which the sweep alerts no deadline transition. Several instances starting together
    /// create it once. Returns whether this call created it.
    pub async fn init(&self, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
        let created = match &self.db {
            // Every transaction older than the oldest one still running has committed or
            // aborted: that is the past. Those still running, and everything after, are read.
            Db::Postgres(pool) => sqlx::query(
                "INSERT INTO notifier_checkpoints (name, tx, seq, since, updated_at) VALUES \
                 ($1, pg_snapshot_xmin(pg_current_snapshot())::text::bigint - 1, 9223372036854775807, $2, $2) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(NAME)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected(),
            // One writer at a time: the newest position is the head.
            Db::Sqlite(pools) => sqlx::query(
                "INSERT INTO notifier_checkpoints (name, tx, seq, since, updated_at) \
                 SELECT $1, 0, coalesce(max(position), 0), $2, $2 FROM event_log WHERE true \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(NAME)
            .bind(now)
            .execute(&pools.writer)
            .await?
            .rows_affected(),
        };
        if created == 1 {
            tracing::info!(
                "the notifier starts at the head of the event log: earlier events are not alerted"
            );
        }
        Ok(created == 1)
    }

    /// The follower's position and the instant of its first start.
    pub async fn checkpoint(&self) -> Result<Option<(Position, DateTime<Utc>)>, sqlx::Error> {
        checkpoint(&self.db).await
    }

    /// Writes the messages of the next batch and advances the checkpoint, in one transaction.
    /// Nothing to do (or another instance at work): `events == 0`.
    pub async fn step(&self, at: Stamp) -> Result<Step, NotifierError> {
        let d = dialect(&self.db);
        crate::with_db!(&self.db, pool => {
            let mut tx = pool.begin_with(begin_write(d)).await?;
            // One notifier across instances (see `FollowerLock`).
            if !tx.try_lock_follower(NAME).await? {
                return Ok(Step::default());
            }
            // Durable like a command: its messages leave the system (webhooks), and one made
            // again after a lost commit would be another message.
            let row = Conn::fetch(
                &mut *tx,
                "SELECT tx, seq FROM notifier_checkpoints WHERE name = $1",
                args![NAME],
                &[Col::Int, Col::Int],
            )
            .await?;
            let Some(row) = row.first() else {
                return match d {
                    Dialect::Postgres => Ok(Step::default()),
                    Dialect::Sqlite => Err(NotifierError::NotStarted),
                };
            };
            let after = Position {
                tx: row[0].int().unwrap_or(0),
                seq: row[1].int().unwrap_or(0),
            };
            let events = crate::projector::next_batch(&mut *tx, after, self.batch).await?;
            let Some(last) = events.last().map(|e| e.position) else {
                return Ok(Step { position: Some(after), ..Step::default() });
            };
            let written = self.apply(&mut *tx, d, &events, at).await?;
            // A batch that gives no message is done again alike if its commit is lost: it
            // need not wait for the WAL flush (see `FollowerLock::derived_only`).
            if written.messages == 0 {
                tx.derived_only().await?;
            }
            Conn::exec(
                &mut *tx,
                "UPDATE notifier_checkpoints SET tx = $1, seq = $2, updated_at = $3 WHERE name = $4",
                args![last.tx, last.seq, at.real, NAME],
            )
            .await?;
            tx.commit().await?;
            let full = events.len() as i64 >= self.batch;
            Ok(Step { events: events.len(), written, position: Some(last), full })
        })
    }

    async fn apply<C: Conn>(
        &self,
        c: &mut C,
        d: Dialect,
        events: &[LoggedEvent],
        at: Stamp,
    ) -> Result<Written, NotifierError> {
        let mut facts = load_facts(c, events).await?;
        let mut dirty: Vec<Uuid> = Vec::new();
        let mut units = Units::default();
        // Everything is looked up first; the writes come last, together (see `Resolved`).
        let mut resolved = Vec::new();
        for e in events {
            let case = match facts.entry(e.case_id) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(slot) => {
                    let known = match CaseFacts::opened_by(&e.event.event) {
                        Some(opened) => Some(opened),
                        // A case reported before the notifier's first start: what it needs is
                        // folded from the case's earlier events.
                        None => seed(c, d, e).await?,
                    };
                    match known {
                        Some(known) => slot.insert(known),
                        None => {
                            tracing::warn!(case_id = %e.case_id, "notifier: a case without its report; its event is not alerted");
                            continue;
                        }
                    }
                }
            };
            for draft in rules::drafts(e, case) {
                resolved.push(outbox::resolve(c, &mut units, &self.routes, &draft).await?);
            }
            case.apply(&e.event.event);
            if !dirty.contains(&e.case_id) {
                dirty.push(e.case_id);
            }
        }
        let written = outbox::write_all(c, &resolved, at).await?;
        let mut rows = Rows::new(
            "notifier_cases",
            &[
                "case_id",
                "case_number",
                "incident_unit",
                "acting_unit",
                "assigned_to",
            ],
            "ON CONFLICT (case_id) DO UPDATE SET case_number = excluded.case_number, \
             incident_unit = excluded.incident_unit, acting_unit = excluded.acting_unit, \
             assigned_to = excluded.assigned_to",
        );
        for id in dirty {
            let f = &facts[&id];
            rows.push(args![
                id,
                f.case_number.clone(),
                f.incident_unit.clone(),
                f.acting_unit.clone(),
                f.assigned_to
            ]);
        }
        rows.flush(c).await?;
        Ok(written)
    }
}

/// The checkpoint of the follower, if it was started.
pub async fn checkpoint(db: &Db) -> Result<Option<(Position, DateTime<Utc>)>, sqlx::Error> {
    let row: Option<(i64, i64, DateTime<Utc>)> = crate::with_db!(db, pool => sqlx::query_as(
        "SELECT tx, seq, since FROM notifier_checkpoints WHERE name = $1")
        .bind(NAME)
        .fetch_optional(pool)
        .await)?;
    Ok(row.map(|(tx, seq, since)| (Position { tx, seq }, since)))
}

/// How many events the follower has still to read (for `/metrics`).
pub async fn lag(db: &Db) -> Result<i64, sqlx::Error> {
    match checkpoint(db).await? {
        Some((position, _)) => {
            if position >= log::head(db).await? {
                Ok(0)
            } else {
                log::count_after(db, position).await
            }
        }
        None => Ok(0),
    }
}

fn begin_write(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres => "BEGIN",
        Dialect::Sqlite => "BEGIN IMMEDIATE",
    }
}

/// What the notifier already knows of the batch's cases.
async fn load_facts<C: Conn>(
    c: &mut C,
    events: &[LoggedEvent],
) -> Result<HashMap<Uuid, CaseFacts>, sqlx::Error> {
    let mut ids: Vec<Uuid> = events.iter().map(|e| e.case_id).collect();
    ids.sort();
    ids.dedup();
    let mut facts = HashMap::new();
    for chunk in ids.chunks(500) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let rows = c
            .fetch(
                &format!(
                    "SELECT case_id, case_number, incident_unit, acting_unit, assigned_to \
                     FROM notifier_cases WHERE case_id IN ({})",
                    placeholders.join(", ")
                ),
                chunk.iter().map(|id| Arg::from(*id)).collect(),
                &[Col::Uuid, Col::Text, Col::Text, Col::Text, Col::Uuid],
            )
            .await?;
        for r in rows {
            let (Some(id), Some(number), Some(incident), Some(acting)) =
                (r[0].uuid(), r[1].text(), r[2].text(), r[3].text())
            else {
                continue;
            };
            facts.insert(
                id,
                CaseFacts {
                    case_number: number.to_owned(),
                    incident_unit: incident.to_owned(),
                    acting_unit: acting.to_owned(),
                    assigned_to: r[4].uuid(),
                },
            );
        }
    }
    Ok(facts)
}

/// The facts of a case as its events before `e` leave them.
async fn seed<C: Conn>(
    c: &mut C,
    d: Dialect,
    e: &LoggedEvent,
) -> Result<Option<CaseFacts>, NotifierError> {
    let payload = match d {
        Dialect::Postgres => "payload::text",
        Dialect::Sqlite => "payload",
    };
    let rows = c
        .fetch(
            &format!(
                "SELECT sequence, {payload} FROM events WHERE aggregate_type = 'Case' \
                 AND aggregate_id = $1 AND sequence < $2 ORDER BY sequence"
            ),
            args![e.case_id.to_string(), e.event.sequence as i64],
            &[Col::Int, Col::Text],
        )
        .await?;
    let mut facts: Option<CaseFacts> = None;
    for r in rows {
        let sequence = r[0].int().unwrap_or_default();
        let event: CaseEvent =
            serde_json::from_str(r[1].text().unwrap_or_default()).map_err(|err| {
                log::LogError::Corrupt {
                    case_id: e.case_id.to_string(),
                    sequence,
                    problem: err.to_string(),
                }
            })?;
        match &mut facts {
            Some(f) => f.apply(&event),
            None => facts = CaseFacts::opened_by(&event),
        }
    }
    Ok(facts)
}
