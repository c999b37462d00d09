//! SQLite group commit: the commands that queue for the one writer while it is busy go in
//! together, in one transaction and one durable commit (with `synchronous = FULL` each commit
//! is a WAL fsync, the embedded store's largest cost per command).
//!
//! One task owns the queue. It takes what is waiting, acquires the writer, takes what arrived
//! meanwhile, and writes each command inside its own savepoint: a command that conflicts (a
//! race on a case's next sequence, also between two commands of the same group) is rolled
//! back to its savepoint and refused alone; the others commit. Every command is answered only
//! after the group's `COMMIT` returned, so an acknowledged command is durable; when the
//! `COMMIT` fails, every command of the group is answered with that error and none is written.
//! The task is spawned, so a caller that goes away (a client hanging up) cannot cut a group
//! short between its `COMMIT` and the other commands' answers.

use super::events::{AccessRow, CommitError};
use cqrs_es::persist::SerializedEvent;
use sqlx::{Sqlite, SqliteConnection, SqlitePool};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Most commands one transaction takes (a bound on a group's latency and statement count).
const MAX_GROUP: usize = 64;
/// Commands that may wait for the writer before senders wait for room.
const QUEUE: usize = 1024;

struct Job {
    events: Vec<SerializedEvent>,
    access: Option<AccessRow>,
    reply: oneshot::Sender<Result<(), CommitError>>,
}

/// Counts of what the group committer did, for tests and the bench.
#[derive(Debug, Default)]
pub struct GroupStats {
    /// Commands handed to the committer.
    pub submitted: AtomicU64,
    /// Transactions committed (or tried).
    pub groups: AtomicU64,
    /// Commands they carried.
    pub commands: AtomicU64,
}

/// The handle commits go through; cheap to clone. The task ends when the last handle is gone.
#[derive(Clone)]
pub struct GroupCommitter {
    queue: mpsc::Sender<Job>,
    stats: Arc<GroupStats>,
}

impl GroupCommitter {
    /// Spawns the committer over `writer` (the pool of one writer connection).
    pub fn spawn(writer: SqlitePool) -> Self {
        let (queue, jobs) = mpsc::channel(QUEUE);
        let stats = Arc::new(GroupStats::default());
        tokio::spawn(run(writer, jobs, stats.clone()));
        Self { queue, stats }
    }

    /// Commits one command's events (and the access-log row of its answer), answering once
    /// they are durable, or why nothing of them was written.
    pub async fn commit(
        &self,
        events: Vec<SerializedEvent>,
        access: Option<AccessRow>,
    ) -> Result<(), CommitError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            events,
            access,
            reply,
        };
        if self.queue.send(job).await.is_err() {
            return Err(stopped());
        }
        self.stats.submitted.fetch_add(1, Ordering::Relaxed);
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }

    pub fn stats(&self) -> &GroupStats {
        &self.stats
    }
}

fn stopped() -> CommitError {
    CommitError::store("the SQLite committer has stopped")
}

async fn run(writer: SqlitePool, mut jobs: mpsc::Receiver<Job>, stats: Arc<GroupStats>) {
    while let Some(first) = jobs.recv().await {
        let mut group = vec![first];
        take_waiting(&mut jobs, &mut group);
        let mut conn = match writer.acquire().await {
            Ok(conn) => conn,
            Err(e) => {
                tracing::error!(error = %e, "the SQLite writer is unavailable");
                let message = e.to_string();
                answer_all(group, |_| Err(CommitError::store(&message)));
                continue;
            }
        };
        // Those that came while the writer was busy with something else join this group.
        take_waiting(&mut jobs, &mut group);
        stats.groups.fetch_add(1, Ordering::Relaxed);
        stats
            .commands
            .fetch_add(group.len() as u64, Ordering::Relaxed);
        match write(&mut conn, &group).await {
            Ok(results) => {
                for (job, result) in group.into_iter().zip(results) {
                    let _ = job.reply.send(result);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, commands = group.len(), "a SQLite group commit failed");
                let message = e.to_string();
                answer_all(group, |_| Err(CommitError::store(&message)));
            }
        }
    }
}

fn take_waiting(jobs: &mut mpsc::Receiver<Job>, group: &mut Vec<Job>) {
    while group.len() < MAX_GROUP {
        match jobs.try_recv() {
            Ok(job) => group.push(job),
            Err(_) => break,
        }
    }
}

fn answer_all(group: Vec<Job>, result: impl Fn(&Job) -> Result<(), CommitError>) {
    for job in group {
        let r = result(&job);
        let _ = job.reply.send(r);
    }
}

/// One transaction for the group; per command its result. `Err` when the transaction itself
/// failed (nothing of the group is written).
async fn write(
    conn: &mut SqliteConnection,
    group: &[Job],
) -> Result<Vec<Result<(), CommitError>>, sqlx::Error> {
    use sqlx::Connection;
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let alone = group.len() == 1;
    let mut results = Vec::with_capacity(group.len());
    for job in group {
        if alone {
            // Nothing else is in the transaction: on an error it rolls back when dropped.
            results.push(
                insert(&mut tx, job)
                    .await
                    .map_err(super::events::commit_error),
            );
            continue;
        }
        sqlx::query("SAVEPOINT command").execute(&mut *tx).await?;
        match insert(&mut tx, job).await {
            Ok(()) => {
                sqlx::query("RELEASE command").execute(&mut *tx).await?;
                results.push(Ok(()));
            }
            Err(e) => {
                sqlx::query("ROLLBACK TO command").execute(&mut *tx).await?;
                sqlx::query("RELEASE command").execute(&mut *tx).await?;
                results.push(Err(super::events::commit_error(e)));
            }
        }
    }
    if results.iter().any(Result::is_ok) {
        tx.commit().await?;
    }
    Ok(results)
}

async fn insert(tx: &mut sqlx::Transaction<'_, Sqlite>, job: &Job) -> Result<(), sqlx::Error> {
    super::events::insert_sqlite(tx, &job.events).await?;
    if let Some(a) = &job.access {
        sqlx::query(
            "INSERT INTO case_access_log (case_id, user_id, role, unit_code, view, at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(a.case_id)
        .bind(a.user_id)
        .bind(&a.role)
        .bind(&a.unit)
        .bind(a.view.code())
        .bind(a.at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
