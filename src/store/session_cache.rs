//! The sessions of recent requests, kept in memory on PostgreSQL so that a request does not
//! cost a round trip to learn who sent it (shared/spec/write-path-study.md §4 (b)).
//!
//! Correctness comes first: logout, disabling, new grants and new passwords end sessions, and
//! they must act at once, on every instance.
//! - This instance evicts the user's sessions right after its own change commits (before it
//!   answers), so its next request reads the store.
//! - Every such change sends `NOTIFY casebook_auth` with the user's id inside its transaction;
//!   each instance LISTENs and evicts on it. While the LISTEN connection is down the cache is
//!   bypassed and emptied, so a lost notification never leaves a stale session usable.
//! - Each eviction bumps a generation: a read that began before it does not put what it read
//!   into the cache afterwards.
//! - Expiry is checked on every use.
//!
//! On SQLite the store is in the process (a session query costs no network round trip) and a
//! second process could change the file without telling this one: no cache there.

use super::users::User;
use chrono::{DateTime, Utc};
use projections::Db;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use uuid::Uuid;

/// The channel of session and account changes.
pub const CHANNEL: &str = "casebook_auth";

#[derive(Debug, Clone)]
struct Cached {
    user: User,
    expires_at: DateTime<Utc>,
}

#[derive(Debug)]
pub struct SessionCache {
    enabled: bool,
    /// The LISTEN connection is up: without it nothing is served from memory.
    live: AtomicBool,
    generation: AtomicU64,
    entries: Mutex<HashMap<String, Cached>>,
    capacity: usize,
}

impl SessionCache {
    /// A cache for `db` (disabled on SQLite), holding at most `capacity` sessions.
    pub fn new(db: &Db, capacity: usize) -> Self {
        Self {
            enabled: matches!(db, Db::Postgres(_)) && capacity > 0,
            live: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// A cache that never holds anything (tools and tests that need none).
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            live: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
            capacity: 0,
        }
    }

    /// Whether sessions are served from memory at all (Postgres): then the writes made for a
    /// session check in the store that it still exists.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cached>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn serving(&self) -> bool {
        self.enabled && self.live.load(Ordering::Acquire)
    }

    /// The user of a live session: from memory when it may be, else from the store.
    pub async fn caller(
        &self,
        db: &Db,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<User>, sqlx::Error> {
        if self.serving() {
            let mut entries = self.entries();
            match entries.get(token_hash) {
                Some(c) if c.expires_at > now => return Ok(Some(c.user.clone())),
                Some(_) => {
                    entries.remove(token_hash);
                }
                None => {}
            }
        }
        let generation = self.generation.load(Ordering::Acquire);
        let found = super::sessions::caller_until(db, token_hash, now).await?;
        if let Some((user, expires_at)) = &found {
            if self.serving() {
                let mut entries = self.entries();
                // An eviction since the read began: what was read may be stale.
                if self.generation.load(Ordering::Acquire) == generation {
                    if entries.len() >= self.capacity {
                        // Expired sessions first; else any (the next request reads the store).
                        entries.retain(|_, c| c.expires_at > now);
                        if entries.len() >= self.capacity {
                            if let Some(key) = entries.keys().next().cloned() {
                                entries.remove(&key);
                            }
                        }
                    }
                    entries.insert(
                        token_hash.to_owned(),
                        Cached {
                            user: user.clone(),
                            expires_at: *expires_at,
                        },
                    );
                }
            }
        }
        Ok(found.map(|(user, _)| user))
    }

    /// Forgets every session of `user` (its sessions ended or its account changed).
    pub fn evict_user(&self, user: Uuid) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries().retain(|_, c| c.user.id != user);
    }

    /// Forgets everything (the LISTEN connection was lost or is new).
    fn flush(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries().clear();
    }

    /// How many sessions are held (for tests and metrics).
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Postgres: listens for session and account changes of every instance, evicting what they
    /// end; serves from memory only while listening.
    pub async fn listen(self: std::sync::Arc<Self>, pool: sqlx::PgPool) {
        if !self.enabled {
            return;
        }
        loop {
            match sqlx::postgres::PgListener::connect_with(&pool).await {
                Ok(mut listener) => match listener.listen(CHANNEL).await {
                    Ok(()) => {
                        // Listening from here on: what was read before may be stale.
                        self.flush();
                        self.live.store(true, Ordering::Release);
                        // `try_recv` says when the connection was lost (`recv` would reconnect
                        // silently, losing what was sent meanwhile): then stop serving.
                        while let Ok(Some(message)) = listener.try_recv().await {
                            match Uuid::parse_str(message.payload()) {
                                Ok(user) => self.evict_user(user),
                                Err(_) => self.flush(),
                            }
                        }
                        self.live.store(false, Ordering::Release);
                        tracing::warn!("session cache: LISTEN connection lost; reading sessions from the store");
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "session cache: cannot LISTEN; reading sessions from the store");
                    }
                },
                Err(e) => {
                    tracing::warn!(error = %e, "session cache: cannot LISTEN; reading sessions from the store");
                }
            }
            self.live.store(false, Ordering::Release);
            self.flush();
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }
}

/// Inside a transaction that ends sessions or changes an account: tells every instance, at
/// commit, to forget the user's sessions (Postgres; SQLite has no cache to tell).
pub trait Announce {
    fn announce(
        &mut self,
        user: Uuid,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
}

impl Announce for sqlx::PgConnection {
    async fn announce(&mut self, user: Uuid) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(user.to_string())
            .execute(self)
            .await
            .map(|_| ())
    }
}

impl Announce for sqlx::SqliteConnection {
    async fn announce(&mut self, _user: Uuid) -> Result<(), sqlx::Error> {
        Ok(())
    }
}
