//! The duplicates matcher (issue 12): a background follower that keeps the possible duplicates
//! among open cases (`views::duplicates`) for the communes to resolve.
//!
//! It follows the event log like a projection, but only as far as the identities view has got
//! (it reads that view's rows): per batch, in one transaction, it looks again for the pairs of
//! every case whose child, commune, openness or links the batch changed, and advances its
//! checkpoint. Looking again is idempotent (the pairs of a case are a function of the identity
//! rows and the rules), so whatever is killed when, the pairs converge. A first start, a new
//! version or new matching rules start a *full pass*: every open case is looked at once, in
//! chunks that each commit with the pass's cursor; meanwhile the checkpoint stays at the start,
//! so read-your-writes waits and `/ready` know the worklist is not complete yet.

use crate::db::{Db, FollowerLock};
use crate::log::{LogError, LoggedEvent, Position};
use crate::views::duplicates::{self, recompute_all};
use crate::views::{identities, Dialect};
use aggregates::case::corrections::Fact;
use aggregates::codes::CaseStatus;
use aggregates::identity::MatchRules;
use aggregates::CaseEvent;
use chrono::Utc;
use std::collections::BTreeSet;
use uuid::Uuid;

pub const NAME: &str = duplicates::NAME;

/// Open cases looked at per transaction of a full pass.
const PASS_CHUNK: i64 = 25;
/// Log events read per incremental step.
const BATCH: i64 = 500;
/// Cases looked at again per transaction: the transaction stays short (see `MAX_CANDIDATES`
/// in `views::duplicates`); the rest of the batch goes to the next step.
const CASES_PER_STEP: usize = 25;

#[derive(Debug, thiserror::Error)]
pub enum MatcherError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Log(#[from] LogError),
}

/// Whether an event changes what the matcher pairs: the child's facts, the case's commune, its
/// openness, its links.
pub fn changes_pairs(event: &CaseEvent, sequence_corrected: impl Fn(u64) -> bool) -> bool {
    match event {
        CaseEvent::CaseReported(_)
        | CaseEvent::CaseTransferred(_)
        | CaseEvent::ChildLinked(_)
        | CaseEvent::ChildUnlinked(_)
        | CaseEvent::ChildDistinguished(_) => true,
        CaseEvent::CaseStatusChanged(s) => s.to == CaseStatus::Closed,
        CaseEvent::FactCorrected(f) => {
            sequence_corrected(f.corrects_sequence)
                && Fact::of("CaseReported", f).is_some_and(|fact| {
                    matches!(
                        fact,
                        Fact::ChildFullName(_)
                            | Fact::ChildDateOfBirth(_)
                            | Fact::ChildEstimatedAge(_)
                            | Fact::ChildSex(_)
                            | Fact::ChildEthnicity(_)
                            | Fact::ChildSchool(_)
                    )
                })
        }
        _ => false,
    }
}

/// The cases of the first events of a batch whose pairs must be looked for again, at most
/// `limit` of them, and the position of the last event they cover.
fn touched(events: &[LoggedEvent], limit: usize) -> (BTreeSet<Uuid>, Option<Position>) {
    let mut cases = BTreeSet::new();
    let mut last = None;
    for e in events {
        if changes_pairs(&e.event.event, |s| s == 1) && !cases.contains(&e.case_id) {
            if cases.len() == limit {
                break;
            }
            cases.insert(e.case_id);
        }
        last = Some(e.position);
    }
    (cases, last)
}

#[derive(Debug)]
pub struct Matcher {
    rules: std::sync::Arc<MatchRules>,
    canonical: String,
}

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Nothing to do (or another instance holds the matcher).
    Idle,
    /// Cases looked at again (a chunk of a full pass, or the cases of a log batch).
    Worked(usize),
}

fn dialect(db: &Db) -> Dialect {
    match db {
        Db::Postgres(_) => Dialect::Postgres,
        Db::Sqlite(_) => Dialect::Sqlite,
    }
}

impl Matcher {
    pub fn new(rules: std::sync::Arc<MatchRules>) -> Self {
        let canonical = rules.canonical();
        Self { rules, canonical }
    }

    /// Makes the matcher's tables usable: created on a first start, and a full pass begun when
    /// they are of an older version or were filled with other rules.
    pub async fn prepare(&self, db: &Db) -> Result<(), MatcherError> {
        let d = dialect(db);
        let checkpoint: Option<(i32,)> = crate::with_db!(db, pool => sqlx::query_as(
            "SELECT version FROM projection_checkpoints WHERE name = $1")
            .bind(NAME)
            .fetch_optional(pool)
            .await)?;
        let rules: Option<(String,)> = if checkpoint.is_some() {
            crate::with_db!(db, pool => sqlx::query_as(
                "SELECT rules FROM duplicate_matcher WHERE id = 1")
                .fetch_optional(pool)
                .await)
            .ok()
            .flatten()
        } else {
            None
        };
        let current = checkpoint.is_some_and(|(v,)| v == duplicates::VERSION)
            && rules.is_some_and(|(r,)| r == self.canonical);
        if current {
            return Ok(());
        }
        tracing::info!(
            projection = NAME,
            "looking for possible duplicates among all open cases (new version or rules)"
        );
        self.restart(db, d).await
    }

    /// Recreates the tables empty and begins a full pass from the identities view's position.
    pub async fn restart(&self, db: &Db, d: Dialect) -> Result<(), MatcherError> {
        crate::with_db!(db, pool => {
            let mut tx = pool.begin_with(begin_write(d)).await?;
            if d == Dialect::Postgres {
                // Serialize with a running step of another instance.
                sqlx::query("INSERT INTO projection_checkpoints (name, version, tx, seq, updated_at) \
                    VALUES ($1, 0, 0, 0, $2) ON CONFLICT (name) DO NOTHING")
                    .bind(NAME).bind(Utc::now()).execute(&mut *tx).await?;
                tx.lock_follower(NAME).await?;
            }
            for table in duplicates::TABLES {
                sqlx::query(&format!("DROP TABLE IF EXISTS {table}")).execute(&mut *tx).await?;
            }
            for statement in duplicates::ddl(d) {
                sqlx::query(&statement).execute(&mut *tx).await?;
            }
            let from: Option<(i64, i64)> = sqlx::query_as(
                "SELECT tx, seq FROM projection_checkpoints WHERE name = $1")
                .bind(identities::NAME)
                .fetch_optional(&mut *tx)
                .await?;
            let from = from.unwrap_or((0, 0));
            sqlx::query("INSERT INTO duplicate_matcher (id, rules, pass_cursor, pass_tx, pass_seq) \
                VALUES (1, $1, '', $2, $3)")
                .bind(&self.canonical).bind(from.0).bind(from.1)
                .execute(&mut *tx).await?;
            // At the start until the pass is done: waiters know the worklist is incomplete.
            sqlx::query("INSERT INTO projection_checkpoints (name, version, tx, seq, updated_at) \
                VALUES ($1, $2, 0, 0, $3) ON CONFLICT (name) DO UPDATE SET \
                version = excluded.version, tx = 0, seq = 0, updated_at = excluded.updated_at")
                .bind(NAME).bind(duplicates::VERSION).bind(Utc::now())
                .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// One transaction of work: the next chunk of a full pass, or the cases changed by the next
    /// batch of the log that the identities view has already applied.
    pub async fn step(&self, db: &Db) -> Result<Step, MatcherError> {
        let d = dialect(db);
        // Without a write transaction first (SQLite has one writer): anything to do?
        let positions: Vec<(String, i64, i64)> = crate::with_db!(db, pool => sqlx::query_as(
            "SELECT name, tx, seq FROM projection_checkpoints WHERE name IN ($1, $2)")
            .bind(NAME)
            .bind(identities::NAME)
            .fetch_all(pool)
            .await)?;
        let at = |name: &str| {
            positions
                .iter()
                .find(|(n, _, _)| n == name)
                .map(|(_, tx, seq)| Position { tx: *tx, seq: *seq })
        };
        if let (Some(own), Some(ahead)) = (at(NAME), at(identities::NAME)) {
            // At the start means a full pass may be under way: the transaction tells.
            if own != Position::START && own >= ahead {
                return Ok(Step::Idle);
            }
        }
        crate::with_db!(db, pool => {
            let mut tx = pool.begin_with(begin_write(d)).await?;
            if !tx.try_lock_follower(NAME).await? {
                return Ok(Step::Idle);
            }
            tx.derived_only().await?;
            let row: Option<(i32, i64, i64)> = sqlx::query_as(
                "SELECT version, tx, seq FROM projection_checkpoints WHERE name = $1")
                .bind(NAME)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((version, at_tx, at_seq)) = row else {
                return Ok(Step::Idle);
            };
            if version != duplicates::VERSION {
                return Ok(Step::Idle);
            }
            let state: Option<(String, Option<String>, i64, i64)> = sqlx::query_as(
                "SELECT rules, pass_cursor, pass_tx, pass_seq FROM duplicate_matcher WHERE id = 1")
                .fetch_optional(&mut *tx)
                .await?;
            let Some((rules, cursor, pass_tx, pass_seq)) = state else {
                return Ok(Step::Idle);
            };
            // Another instance restarted it with other rules: its pass, its rules.
            if rules != self.canonical {
                return Ok(Step::Idle);
            }
            let now = Utc::now();
            let worked = if let Some(cursor) = cursor {
                let after = Uuid::parse_str(&cursor).unwrap_or(Uuid::nil());
                let cases: Vec<(Uuid,)> = sqlx::query_as(
                    "SELECT case_id FROM child_identities WHERE open = 1 AND case_id > $1 \
                     ORDER BY case_id LIMIT $2")
                    .bind(after)
                    .bind(PASS_CHUNK)
                    .fetch_all(&mut *tx)
                    .await?;
                let ids: Vec<Uuid> = cases.iter().map(|(case,)| *case).collect();
                recompute_all(&mut *tx, &self.rules, &ids, now).await?;
                if (cases.len() as i64) < PASS_CHUNK {
                    // Done: from here on, the log after the pass's start.
                    sqlx::query("UPDATE duplicate_matcher SET pass_cursor = NULL WHERE id = 1")
                        .execute(&mut *tx).await?;
                    advance(&mut *tx, Position { tx: pass_tx, seq: pass_seq }).await?;
                } else if let Some((last,)) = cases.last() {
                    sqlx::query("UPDATE duplicate_matcher SET pass_cursor = $1 WHERE id = 1")
                        .bind(last.to_string())
                        .execute(&mut *tx).await?;
                }
                cases.len().max(1)
            } else {
                let identities_at: Option<(i64, i64)> = sqlx::query_as(
                    "SELECT tx, seq FROM projection_checkpoints WHERE name = $1")
                    .bind(identities::NAME)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some((id_tx, id_seq)) = identities_at else {
                    return Ok(Step::Idle);
                };
                let limit = Position { tx: id_tx, seq: id_seq };
                let events = crate::projector::next_batch(
                    &mut *tx, Position { tx: at_tx, seq: at_seq }, BATCH).await?;
                let events: Vec<LoggedEvent> =
                    events.into_iter().take_while(|e| e.position <= limit).collect();
                let (cases, last) = touched(&events, CASES_PER_STEP);
                let Some(last) = last else {
                    return Ok(Step::Idle);
                };
                let ids: Vec<Uuid> = cases.iter().copied().collect();
                recompute_all(&mut *tx, &self.rules, &ids, now).await?;
                advance(&mut *tx, last).await?;
                events.iter().take_while(|e| e.position <= last).count()
            };
            tx.commit().await?;
            Ok(Step::Worked(worked))
        })
    }

    /// Runs a whole full pass now (`casebook projections rebuild duplicates`), then catches up
    /// with the log. `progress(done)` after each chunk. Returns the open cases looked at.
    pub async fn rebuild(
        &self,
        db: &Db,
        mut progress: impl FnMut(u64),
    ) -> Result<u64, MatcherError> {
        self.restart(db, dialect(db)).await?;
        let mut done = 0u64;
        while let Step::Worked(n) = self.step(db).await? {
            done += n as u64;
            progress(done);
        }
        Ok(done)
    }
}

fn begin_write(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres => "BEGIN",
        Dialect::Sqlite => "BEGIN IMMEDIATE",
    }
}

async fn advance<C: crate::sql::Conn>(c: &mut C, p: Position) -> Result<(), sqlx::Error> {
    c.exec(
        "UPDATE projection_checkpoints SET tx = $1, seq = $2, updated_at = $3 WHERE name = $4",
        crate::args![p.tx, p.seq, Utc::now(), NAME],
    )
    .await
    .map(|_| ())
}
