//! Postgres group commit: the commands that queue while the committers are busy go in together,
//! in one statement and one durable commit. A command alone is one statement either way; what a
//! group saves is Postgres's work per statement and per commit, which on a machine it shares
//! with the server is most of what a command costs it (BENCHMARKS.md).
//!
//! Several committer tasks (`CASEBOOK_PG_COMMITTERS`) take turns at the queue: one collects
//! what is waiting while the others' statements run. A group's statement checks each command's session and writes the events and
//! access-log rows of the commands whose session exists; the others are answered
//! `SessionEnded`. Every command is answered only after the statement returned (autocommit: the
//! commit is durable). A command racing another of the same group for a case's sequence waits
//! and goes alone after the group; a race with another instance makes the group's statement fail
//! on the events' key, and then each of its commands goes again alone, so that only the loser is
//! refused. Any other failure answers every command of the group with it: none was written.
//! The tasks are spawned, so a client hanging up cannot cut a group short.

use super::events::{commit_error, commit_postgres, AccessRow, CommitError};
use cqrs_es::persist::{PersistenceError, SerializedEvent};
use sqlx::PgPool;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};

/// Most commands one statement takes.
const MAX_GROUP: usize = 32;
/// Most events one statement takes (eight parameters each, arrays: no parameter limit, but a
/// bound on a group's size when reports open many cases).
const MAX_EVENTS: usize = 512;
/// Commands that may wait before senders wait for room.
const QUEUE: usize = 1024;

struct Job {
    events: Vec<SerializedEvent>,
    access: Option<AccessRow>,
    session: Option<String>,
    reply: oneshot::Sender<Result<(), CommitError>>,
}

/// Counts of what the committers did, for tests and the bench.
#[derive(Debug, Default)]
pub struct PgGroupStats {
    /// Commands handed to the committers.
    pub submitted: AtomicU64,
    /// Statements that carried several commands.
    pub groups: AtomicU64,
    /// Commands those statements carried.
    pub grouped: AtomicU64,
    /// Commands committed alone (a queue of one, a race inside a group, a group's retry).
    pub alone: AtomicU64,
}

/// The handle commits go through; cheap to clone. The tasks end when the last handle is gone.
#[derive(Clone)]
pub struct PgGroupCommitter {
    queue: mpsc::Sender<Job>,
    stats: Arc<PgGroupStats>,
}

impl PgGroupCommitter {
    /// Spawns `committers` tasks (at least one) over `pool`.
    pub fn spawn(pool: PgPool, committers: usize) -> Self {
        let (queue, jobs) = mpsc::channel(QUEUE);
        let jobs = Arc::new(Mutex::new(jobs));
        let stats = Arc::new(PgGroupStats::default());
        for _ in 0..committers.max(1) {
            tokio::spawn(run(pool.clone(), jobs.clone(), stats.clone()));
        }
        Self { queue, stats }
    }

    /// Commits one command's events (and the access-log row of its answer) while `session`
    /// exists, answering once they are durable, or why nothing of them was written.
    pub async fn commit(
        &self,
        events: Vec<SerializedEvent>,
        access: Option<AccessRow>,
        session: Option<String>,
    ) -> Result<(), CommitError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            events,
            access,
            session,
            reply,
        };
        if self.queue.send(job).await.is_err() {
            return Err(stopped());
        }
        self.stats.submitted.fetch_add(1, Ordering::Relaxed);
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }

    pub fn stats(&self) -> &PgGroupStats {
        &self.stats
    }
}

fn stopped() -> CommitError {
    CommitError::store("the Postgres committer has stopped")
}

async fn run(pool: PgPool, jobs: Arc<Mutex<mpsc::Receiver<Job>>>, stats: Arc<PgGroupStats>) {
    loop {
        let (group, later) = {
            let mut jobs = jobs.lock().await;
            let Some(first) = jobs.recv().await else {
                return;
            };
            take_waiting(&mut jobs, first)
        };
        if group.len() == 1 {
            alone(&pool, group, &stats).await;
        } else {
            together(&pool, group, &stats).await;
        }
        alone(&pool, later, &stats).await;
    }
}

/// What is waiting, up to a group's bounds: the group, and the commands that race one of it
/// for a case's sequence (they go alone after it).
fn take_waiting(jobs: &mut mpsc::Receiver<Job>, first: Job) -> (Vec<Job>, Vec<Job>) {
    let mut keys: HashSet<(String, usize)> = HashSet::new();
    let mut events = 0;
    let mut group = Vec::new();
    let mut later = Vec::new();
    let mut next = Some(first);
    while let Some(job) = next.take() {
        let own: Vec<(String, usize)> = job
            .events
            .iter()
            .map(|e| (e.aggregate_id.clone(), e.sequence))
            .collect();
        if own.iter().any(|k| keys.contains(k)) {
            later.push(job);
        } else {
            events += job.events.len();
            keys.extend(own);
            group.push(job);
        }
        if group.len() < MAX_GROUP && events < MAX_EVENTS {
            next = jobs.try_recv().ok();
        }
    }
    (group, later)
}

/// Each command in its own statement, answered with its own result.
async fn alone(pool: &PgPool, jobs: Vec<Job>, stats: &PgGroupStats) {
    for job in jobs {
        stats.alone.fetch_add(1, Ordering::Relaxed);
        let result = commit_postgres(
            pool,
            &job.events,
            job.access.as_ref(),
            job.session.as_deref(),
        )
        .await;
        let _ = job.reply.send(result);
    }
}

async fn together(pool: &PgPool, group: Vec<Job>, stats: &PgGroupStats) {
    stats.groups.fetch_add(1, Ordering::Relaxed);
    stats
        .grouped
        .fetch_add(group.len() as u64, Ordering::Relaxed);
    match write(pool, &group).await {
        Ok(written) => {
            for (i, job) in group.into_iter().enumerate() {
                let result = if written.contains(&(i as i32)) {
                    Ok(())
                } else {
                    Err(CommitError::SessionEnded)
                };
                let _ = job.reply.send(result);
            }
        }
        // A race with a commit outside the group: nothing was written; each goes again alone.
        Err(CommitError::Conflict) => alone(pool, group, stats).await,
        Err(e) => {
            tracing::error!(error = %e, commands = group.len(), "a Postgres group commit failed");
            let message = e.to_string();
            for job in group {
                let _ = job
                    .reply
                    .send(Err(CommitError::Store(PersistenceError::UnknownError(
                        message.clone().into(),
                    ))));
            }
        }
    }
}

/// One statement for the group, with every value in arrays (one text whatever the group's
/// shape, so it is prepared once per connection). The commands whose session exists are
/// decided once, before any write (`ok`); their events go in in the group's order.
const GROUP: &str = "WITH ok AS ( \
        SELECT c.cmd FROM unnest($1::int[], $2::text[]) AS c (cmd, token) \
        WHERE c.token IS NULL OR EXISTS (SELECT 1 FROM sessions s \
            WHERE s.token_hash = c.token AND s.expires_at > now())), \
    allowed AS (SELECT coalesce(array_agg(cmd), '{}') AS cmds FROM ok), \
    written AS ( \
        INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
        SELECT e.t, e.id, e.seq, e.et, e.ev, e.p::jsonb, e.m::jsonb \
        FROM unnest($3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::int[]) \
            AS e (t, id, seq, et, ev, p, m, cmd) \
        WHERE e.cmd = ANY ((SELECT cmds FROM allowed)::int[]) \
        RETURNING 1), \
    logged AS ( \
        INSERT INTO case_access_log (case_id, user_id, role, unit_code, view, at) \
        SELECT a.case_id, a.user_id, a.role, a.unit_code, a.view, a.at \
        FROM unnest($11::uuid[], $12::uuid[], $13::text[], $14::text[], $15::text[], $16::timestamptz[], $17::int[]) \
            AS a (case_id, user_id, role, unit_code, view, at, cmd) \
        WHERE a.cmd = ANY ((SELECT cmds FROM allowed)::int[]) \
        RETURNING 1) \
    SELECT cmd FROM ok";

/// Writes the group; the indexes of the commands written (the others' sessions had ended).
async fn write(pool: &PgPool, group: &[Job]) -> Result<HashSet<i32>, CommitError> {
    let mut cmds = Vec::with_capacity(group.len());
    let mut tokens = Vec::with_capacity(group.len());
    let n: usize = group.iter().map(|j| j.events.len()).sum();
    let (mut t, mut id, mut seq, mut et, mut ev, mut p, mut m, mut of) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut a_case, mut a_user, mut a_role, mut a_unit, mut a_view, mut a_at, mut a_of) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for (i, job) in group.iter().enumerate() {
        let i = i as i32;
        cmds.push(i);
        tokens.push(job.session.clone());
        for e in &job.events {
            t.push(e.aggregate_type.clone());
            id.push(e.aggregate_id.clone());
            seq.push(e.sequence as i64);
            et.push(e.event_type.clone());
            ev.push(e.event_version.clone());
            p.push(e.payload.to_string());
            m.push(e.metadata.to_string());
            of.push(i);
        }
        if let Some(a) = &job.access {
            a_case.push(a.case_id);
            a_user.push(a.user_id);
            a_role.push(a.role.clone());
            a_unit.push(a.unit.clone());
            a_view.push(a.view.code().to_owned());
            a_at.push(a.at);
            a_of.push(i);
        }
    }
    let written: Vec<i32> = sqlx::query_scalar(GROUP)
        .bind(cmds)
        .bind(tokens)
        .bind(t)
        .bind(id)
        .bind(seq)
        .bind(et)
        .bind(ev)
        .bind(p)
        .bind(m)
        .bind(of)
        .bind(a_case)
        .bind(a_user)
        .bind(a_role)
        .bind(a_unit)
        .bind(a_view)
        .bind(a_at)
        .bind(a_of)
        .fetch_all(pool)
        .await
        .map_err(commit_error)?;
    Ok(written.into_iter().collect())
}
