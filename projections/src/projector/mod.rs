//! The projector: per projection, in one transaction, read the next batch of events after its
//! checkpoint, apply them to the read tables, advance the checkpoint, commit. Each event is thus
//! applied exactly once, whatever crashes. One projector per projection across instances: the
//! follower's advisory lock is taken (`pg_try_advisory_xact_lock` on Postgres; SQLite's single writer does
//! it there). Commits in this process and Postgres `NOTIFY` wake it; polling is the safety net.

use crate::db::{Db, FollowerLock};
use crate::log::{self, LogError, LoggedEvent, Position};
use crate::matcher::{Matcher, MatcherError};
use crate::sql::Conn;
use crate::views::{cases, deadlines, identities, Dialect, Names};
use aggregates::identity::MatchRules;
use chrono::Utc;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{watch, Notify};

pub const CASES: &str = cases::NAME;
pub const DEADLINES: &str = deadlines::NAME;
pub const IDENTITIES: &str = identities::NAME;
/// The possible duplicates kept by the matcher (`crate::matcher`), behind the identities view.
pub const DUPLICATES: &str = crate::matcher::NAME;

/// The projections casebook keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum View {
    Cases,
    Deadlines,
    Identities,
}

impl View {
    pub const ALL: [View; 3] = [View::Cases, View::Deadlines, View::Identities];

    pub fn name(self) -> &'static str {
        match self {
            View::Cases => cases::NAME,
            View::Deadlines => deadlines::NAME,
            View::Identities => identities::NAME,
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.name() == name)
    }

    pub fn version(self) -> i32 {
        match self {
            View::Cases => cases::VERSION,
            View::Deadlines => deadlines::VERSION,
            View::Identities => identities::VERSION,
        }
    }

    fn tables(self) -> &'static [&'static str] {
        match self {
            View::Cases => cases::TABLES,
            View::Deadlines => deadlines::TABLES,
            View::Identities => identities::TABLES,
        }
    }

    fn ddl(self, d: Dialect, n: &Names) -> Vec<String> {
        match self {
            View::Cases => cases::ddl(d, n),
            View::Deadlines => deadlines::ddl(d, n),
            View::Identities => identities::ddl(d, n),
        }
    }

    /// Applies a batch of events, in log order, to the tables named by `n`.
    async fn apply<C: Conn>(
        self,
        c: &mut C,
        n: &Names,
        events: &[LoggedEvent],
    ) -> Result<(), sqlx::Error> {
        match self {
            View::Cases => cases::apply_batch(c, n, events).await,
            View::Deadlines => deadlines::apply_batch(c, n, events).await,
            View::Identities => identities::apply_batch(c, n, events).await,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectorError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Log(#[from] LogError),
    #[error("projection `{0}` has no checkpoint or an old version: it must be rebuilt")]
    NotReady(&'static str),
    #[error("duplicates matcher: {0}")]
    Matcher(#[from] MatcherError),
}

/// How a projection is doing, for `/ready` and `/metrics`.
#[derive(Debug, Clone, Default)]
pub struct ViewStatus {
    pub position: Position,
    pub last_error: Option<String>,
    pub applied: u64,
    pub errors: u64,
}

/// The views did not reach the log head within the bound.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    #[error("the views have not caught up yet")]
    Lagging,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub struct Projections {
    db: Db,
    batch: i64,
    poll: Duration,
    /// How long the projector waits after a wake-up before it reads the next batch.
    gather: Duration,
    wake: HashMap<View, Arc<Notify>>,
    wakeup: Arc<Wakeup>,
    progress: watch::Sender<u64>,
    status: Mutex<HashMap<&'static str, ViewStatus>>,
    /// Set when the server stops: projectors finish their batch and end.
    stopping: watch::Sender<bool>,
    /// Keeps the possible duplicates behind the identities view.
    matcher: Matcher,
}

/// The statement that opens a transaction that will write.
fn begin_write(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres => "BEGIN",
        Dialect::Sqlite => "BEGIN IMMEDIATE",
    }
}

fn dialect(db: &Db) -> Dialect {
    match db {
        Db::Postgres(_) => Dialect::Postgres,
        Db::Sqlite(_) => Dialect::Sqlite,
    }
}

impl Projections {
    /// The projections, with the shipped child-matching rules for the duplicates matcher.
    pub fn new(db: Db) -> Arc<Self> {
        Self::with_matching(db, Arc::new(MatchRules::shipped()))
    }

    /// The projections, the duplicates matcher using `rules` (those in force).
    pub fn with_matching(db: Db, rules: Arc<MatchRules>) -> Arc<Self> {
        // The views are projected together (`step_all`): one bell for all of them.
        let bell = Arc::new(Notify::new());
        let wake: HashMap<View, Arc<Notify>> =
            View::ALL.iter().map(|v| (*v, bell.clone())).collect();
        let wakeup = Arc::new(Wakeup {
            notifies: vec![bell],
            followers: Mutex::default(),
            announce: Arc::new(Notify::new()),
        });
        let (progress, _) = watch::channel(0);
        let (stopping, _) = watch::channel(false);
        Arc::new(Self {
            db,
            batch: 500,
            poll: Duration::from_millis(1000),
            gather: Duration::from_millis(10),
            wake,
            wakeup,
            progress,
            status: Mutex::new(HashMap::new()),
            stopping,
            matcher: Matcher::new(rules),
        })
    }

    pub fn wakeup(&self) -> Arc<Wakeup> {
        self.wakeup.clone()
    }

    pub fn status(&self) -> HashMap<&'static str, ViewStatus> {
        self.status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn record(&self, view: View, f: impl FnOnce(&mut ViewStatus)) {
        let mut status = self.status.lock().unwrap_or_else(|e| e.into_inner());
        f(status.entry(view.name()).or_default());
    }

    /// The checkpoint of a projection: its version and position, if it has one.
    pub async fn checkpoint(&self, name: &str) -> Result<Option<(i32, Position)>, sqlx::Error> {
        let row: Option<(i32, i64, i64)> = crate::with_read_db!(&self.db, pool => sqlx::query_as(
            "SELECT version, tx, seq FROM projection_checkpoints WHERE name = $1")
            .bind(name)
            .fetch_optional(pool)
            .await)?;
        Ok(row.map(|(v, tx, seq)| (v, Position { tx, seq })))
    }

    /// Makes every projection usable: a projection without a checkpoint or with an older
    /// version is rebuilt from the log. Instances starting together take turns (Postgres lock).
    pub async fn prepare(&self) -> Result<(), ProjectorError> {
        let lock = match &self.db {
            Db::Postgres(pool) => {
                let mut conn = pool.acquire().await?;
                sqlx::query("SELECT pg_advisory_lock(7243000001)")
                    .execute(&mut *conn)
                    .await?;
                Some(conn)
            }
            Db::Sqlite(_) => None,
        };
        let result = async {
            for view in View::ALL {
                match self.checkpoint(view.name()).await? {
                    Some((version, position)) if version == view.version() => {
                        self.record(view, |s| s.position = position);
                    }
                    _ => {
                        tracing::info!(
                            projection = view.name(),
                            "building projection from the event log"
                        );
                        self.rebuild(view, |_, _| {}).await?;
                    }
                }
            }
            self.matcher.prepare(&self.db).await?;
            Ok::<_, ProjectorError>(())
        }
        .await;
        if let Some(mut conn) = lock {
            sqlx::query("SELECT pg_advisory_unlock(7243000001)")
                .execute(&mut *conn)
                .await?;
        }
        result
    }

    /// Applies the next batch to the live tables. Returns how many events it applied; 0 when
    /// there was nothing to do or another instance holds the projection.
    pub async fn step(&self, view: View) -> Result<usize, ProjectorError> {
        let names = Names::live();
        let d = dialect(&self.db);
        let applied = crate::with_db!(&self.db, pool => {
            let mut tx = pool.begin_with(begin_write(d)).await?;
            // One projector per projection across instances; a held lock means another
            // instance is at work (see `FollowerLock`).
            if !tx.try_lock_follower(view.name()).await? {
                return Ok(0);
            }
            tx.derived_only().await?;
            let row: Option<(i32, i64, i64)> = sqlx::query_as(
                "SELECT version, tx, seq FROM projection_checkpoints WHERE name = $1")
                .bind(view.name())
                .fetch_optional(&mut *tx)
                .await?;
            let (version, at) = match row {
                Some((version, tx, seq)) => (version, Position { tx, seq }),
                None if d == Dialect::Postgres => return Ok(0),
                None => return Err(ProjectorError::NotReady(view.name())),
            };
            if version != view.version() {
                return Err(ProjectorError::NotReady(view.name()));
            }
            let events = next_batch(&mut *tx, at, self.batch).await?;
            let Some(last) = events.last().map(|e| e.position) else {
                return Ok(0);
            };
            view.apply(&mut *tx, &names, &events).await?;
            advance(&mut *tx, view.name(), last).await?;
            tx.commit().await?;
            self.record(view, |s| {
                s.position = last;
                s.applied += events.len() as u64;
            });
            events.len()
        });
        self.progress.send_modify(|n| *n = n.wrapping_add(1));
        Ok(applied)
    }

    /// The live projectors as one: the next batch read once and applied to every view in one
    /// transaction (each view from its own checkpoint; a view further on skips what it has),
    /// every checkpoint advanced with it. One read, one decode and one commit per batch instead
    /// of one per view. When it fails, each view steps alone, so that a failing view stalls
    /// only itself. Returns how many events the batch held (0: nothing, or another instance
    /// holds the views).
    pub async fn step_all(&self) -> Result<usize, ProjectorError> {
        match self.step_together().await {
            Ok(n) => Ok(n),
            Err(together) => {
                let mut applied = 0;
                let mut failed = None;
                for view in View::ALL {
                    match self.step(view).await {
                        Ok(n) => applied += n,
                        Err(e) => {
                            let message = e.to_string();
                            self.record(view, |s| {
                                s.errors += 1;
                                s.last_error = Some(message);
                            });
                            failed = Some(e);
                        }
                    }
                }
                match failed {
                    Some(e) => Err(e),
                    // Together failed, alone they worked (a conflict with a rebuild's swap).
                    None => {
                        tracing::debug!(error = %together, "views stepped one by one");
                        Ok(applied)
                    }
                }
            }
        }
    }

    async fn step_together(&self) -> Result<usize, ProjectorError> {
        let names = Names::live();
        let d = dialect(&self.db);
        let applied = crate::with_db!(&self.db, pool => {
            let mut tx = pool.begin_with(begin_write(d)).await?;
            let mut views = Vec::new();
            for view in View::ALL {
                if tx.try_lock_follower(view.name()).await? {
                    views.push(view);
                }
            }
            if views.is_empty() {
                return Ok(0);
            }
            tx.derived_only().await?;
            let mut at = Vec::with_capacity(views.len());
            for view in &views {
                let row: Option<(i32, i64, i64)> = sqlx::query_as(
                    "SELECT version, tx, seq FROM projection_checkpoints WHERE name = $1")
                    .bind(view.name())
                    .fetch_optional(&mut *tx)
                    .await?;
                match row {
                    Some((version, _, _)) if version != view.version() => {
                        return Err(ProjectorError::NotReady(view.name()));
                    }
                    Some((_, t, q)) => at.push((*view, Position { tx: t, seq: q })),
                    None if d == Dialect::Postgres => {}
                    None => return Err(ProjectorError::NotReady(view.name())),
                }
            }
            let Some(from) = at.iter().map(|(_, p)| *p).min() else {
                return Ok(0);
            };
            let events = next_batch(&mut *tx, from, self.batch).await?;
            let Some(last) = events.last().map(|e| e.position) else {
                return Ok(0);
            };
            for (view, position) in &at {
                let start = events.partition_point(|e| e.position <= *position);
                if start < events.len() {
                    view.apply(&mut *tx, &names, &events[start..]).await?;
                    advance(&mut *tx, view.name(), last).await?;
                }
            }
            tx.commit().await?;
            for (view, position) in &at {
                let applied = events.iter().filter(|e| e.position > *position).count();
                if applied > 0 {
                    self.record(*view, |s| {
                        s.position = last;
                        s.applied += applied as u64;
                    });
                }
            }
            events.len()
        });
        self.progress.send_modify(|n| *n = n.wrapping_add(1));
        Ok(applied)
    }

    /// Asks the projector tasks to end after their current batch.
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// Starts one projector task per projection (and the Postgres listener).
    pub fn spawn(self: &Arc<Self>) -> Vec<tokio::task::JoinHandle<()>> {
        let mut tasks = vec![tokio::spawn(self.clone().run())];
        tasks.push(tokio::spawn(self.clone().run_matcher()));
        if let Db::Postgres(pool) = &self.db {
            let instance = uuid::Uuid::now_v7().to_string();
            tasks.push(tokio::spawn(listen(
                pool.clone(),
                self.wakeup.clone(),
                instance.clone(),
            )));
            tasks.push(tokio::spawn(announce(
                pool.clone(),
                self.wakeup.announce.clone(),
                instance,
            )));
        }
        tasks
    }

    /// How many tasks [`Projections::spawn`] starts that end by themselves on [`Projections::stop`]
    /// (the projectors and the matcher; the listener is aborted).
    pub fn task_count() -> usize {
        2
    }

    /// The projectors' task: every view, batch after batch (`step_all`).
    async fn run(self: Arc<Self>) {
        let wake = self.wake[&View::Cases].clone();
        let mut stopping = self.stopping.subscribe();
        let mut failing = false;
        let mut backoff = Duration::from_millis(100);
        // How long to wait before looking again at events committed but not yet safe to read.
        let mut horizon_wait = Duration::from_millis(2);
        loop {
            if *stopping.borrow() {
                return;
            }
            // A batch is never interrupted: its transaction commits or rolls back whole.
            let result = self.step_all().await;
            if *stopping.borrow() {
                return;
            }
            match result {
                Ok(n) => {
                    if failing {
                        tracing::info!("projections recovered");
                        failing = false;
                        backoff = Duration::from_millis(100);
                        for view in View::ALL {
                            self.record(view, |s| s.last_error = None);
                        }
                    }
                    if n as i64 >= self.batch {
                        continue;
                    }
                    // Postgres: events committed behind a transaction still running are not
                    // read until it ends (the log's horizon); their commit's wake-up is spent,
                    // so look again shortly instead of waiting for the next one or the poll.
                    if n == 0 && self.behind_horizon(View::Cases).await {
                        tokio::select! {
                            _ = tokio::time::sleep(horizon_wait) => {}
                            _ = stopping.changed() => {}
                        }
                        horizon_wait = (horizon_wait * 2).min(Duration::from_millis(50));
                        continue;
                    }
                    horizon_wait = Duration::from_millis(2);
                    tokio::select! {
                        _ = wake.notified() => {
                            // Let the commands arriving together land in one batch: one
                            // transaction for many events instead of one per command.
                            tokio::time::sleep(self.gather).await;
                        }
                        _ = tokio::time::sleep(self.poll) => {}
                        _ = stopping.changed() => {}
                    }
                }
                Err(e) => {
                    // Logged once per failure streak, retried until it heals; never swallowed:
                    // /ready shows it meanwhile (each failing view's error is recorded by
                    // `step_all`).
                    if !failing {
                        tracing::error!(error = %e, "projection failed; retrying");
                        failing = true;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = stopping.changed() => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    /// Whether events were committed after the projection's position that the log does not
    /// yet let it read (a transaction begun before them is still running). Postgres only.
    async fn behind_horizon(&self, view: View) -> bool {
        let Db::Postgres(pool) = &self.db else {
            return false;
        };
        // From the stored checkpoint: another instance may be the one projecting. Two
        // statements: with the position as parameters the log's commit-order index serves
        // the second (compared with a joined column, the planner scanned the whole log).
        let Ok(Some((tx, seq))) = sqlx::query_as::<_, (i64, i64)>(
            "SELECT tx, seq FROM projection_checkpoints WHERE name = $1",
        )
        .bind(view.name())
        .fetch_optional(pool)
        .await
        else {
            return false;
        };
        // Not `EXISTS`, whose subquery loses its ORDER BY and LIMIT: that form took 1.4–1.5 s
        // now and then at 100,000 cases (projection-lag spikes under load), the signature of
        // a cached generic plan — it assumes a third of the log lies past any position, so
        // scanning the log from its start looks cheap. Here the ORDER BY makes the
        // commit-order index the plan, and the statement is planned with the position each
        // time.
        sqlx::query_scalar::<_, i32>(
            "SELECT 1 FROM events WHERE (tx_id, global_seq) > ($1::bigint::text::xid8, $2) \
             ORDER BY tx_id, global_seq LIMIT 1",
        )
        .persistent(false)
        .bind(tx)
        .bind(seq)
        .fetch_optional(pool)
        .await
        .is_ok_and(|found| found.is_some())
    }

    /// Waits until the named projections have applied every event committed before this call
    /// (read-your-writes), at most `bound`.
    pub async fn wait_for_head(&self, names: &[&str], bound: Duration) -> Result<(), WaitError> {
        let target = log::head(&self.db).await?;
        let deadline = Instant::now() + bound;
        let mut progress = self.progress.subscribe();
        loop {
            let mut behind = false;
            for name in names {
                let position = self.checkpoint(name).await?.map(|(_, p)| p);
                if position.is_none_or(|p| p < target) {
                    behind = true;
                    if let Some(view) = View::parse(name) {
                        self.wake[&view].notify_one();
                    }
                }
            }
            if !behind {
                return Ok(());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(WaitError::Lagging);
            }
            // Woken by a local batch; a projector in another instance is polled for.
            let _ = tokio::time::timeout(
                (deadline - now).min(Duration::from_millis(20)),
                progress.changed(),
            )
            .await;
        }
    }

    /// How many events the slowest projection has still to apply (capped), for `/ready`.
    pub async fn lag(&self) -> Result<i64, sqlx::Error> {
        let mut slowest: Option<Position> = None;
        for view in View::ALL {
            let p = self
                .checkpoint(view.name())
                .await?
                .map_or(Position::START, |(_, p)| p);
            slowest = Some(slowest.map_or(p, |s| s.min(p)));
        }
        let head = log::head(&self.db).await?;
        let slowest = slowest.unwrap_or(Position::START);
        if slowest >= head {
            return Ok(0);
        }
        log::count_after(&self.db, slowest).await
    }
}

/// The next batch on either store's connection.
pub(crate) trait LogReader {
    fn next_batch(
        &mut self,
        after: Position,
        limit: i64,
    ) -> impl std::future::Future<Output = Result<Vec<LoggedEvent>, LogError>> + Send;
}

impl LogReader for sqlx::PgConnection {
    async fn next_batch(
        &mut self,
        after: Position,
        limit: i64,
    ) -> Result<Vec<LoggedEvent>, LogError> {
        log::next_batch_pg(self, after, limit).await
    }
}

impl LogReader for sqlx::SqliteConnection {
    async fn next_batch(
        &mut self,
        after: Position,
        limit: i64,
    ) -> Result<Vec<LoggedEvent>, LogError> {
        log::next_batch_sqlite(self, after, limit).await
    }
}

pub(crate) async fn next_batch<R: LogReader>(
    conn: &mut R,
    after: Position,
    limit: i64,
) -> Result<Vec<LoggedEvent>, LogError> {
    conn.next_batch(after, limit).await
}

async fn advance<C: Conn>(c: &mut C, name: &str, p: Position) -> Result<(), sqlx::Error> {
    c.exec(
        "UPDATE projection_checkpoints SET tx = $1, seq = $2, updated_at = $3 WHERE name = $4",
        crate::args![p.tx, p.seq, Utc::now(), name],
    )
    .await?;
    Ok(())
}

mod follower_tasks;
mod rebuild;
mod wakeup;
pub use wakeup::Wakeup;
use wakeup::{announce, listen};
