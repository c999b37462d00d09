//! Waking the followers of the log: in process after a commit, and (Postgres) the other
//! instances by a `NOTIFY` sent after the commit, never inside it.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// Wakes the projectors (and the other followers of the log) after a commit in this process,
/// and (Postgres) has the other instances woken by a `NOTIFY` sent after the commit.
#[derive(Debug, Default)]
pub struct Wakeup {
    pub(super) notifies: Vec<Arc<Notify>>,
    /// Other followers of the log (the notifier), subscribed after the projectors.
    pub(super) followers: Mutex<Vec<Arc<Notify>>>,
    /// The announcer task's bell (Postgres only).
    pub(super) announce: Arc<Notify>,
}

impl Wakeup {
    pub fn ping(&self) {
        self.wake_local();
        self.announce.notify_one();
    }

    /// Wakes this process's projectors and followers (a commit here, or another instance's).
    fn wake_local(&self) {
        for n in &self.notifies {
            n.notify_one();
        }
        for n in self
            .followers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            n.notify_one();
        }
    }

    /// A wake-up for another follower of the log, pinged with the projectors'.
    pub fn follow(&self) -> Arc<Notify> {
        let notify = Arc::new(Notify::new());
        self.followers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(notify.clone());
        notify
    }
}

/// At most one `NOTIFY` per this interval: the commits of a busy moment share one.
const ANNOUNCE_EVERY: Duration = Duration::from_millis(5);

/// Postgres `LISTEN`: a commit in another instance wakes the projectors here (this
/// instance's own announcements are ignored: its projectors were woken in process).
pub(super) async fn listen(pool: sqlx::PgPool, wakeup: Arc<Wakeup>, instance: String) {
    loop {
        match sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(mut listener) => {
                if let Err(e) = listener.listen("casebook_events").await {
                    tracing::warn!(error = %e, "cannot LISTEN; relying on polling");
                } else {
                    while let Ok(message) = listener.recv().await {
                        if message.payload() != instance {
                            wakeup.wake_local();
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot LISTEN; relying on polling"),
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}

/// Postgres: after commits in this process, one `NOTIFY` (outside every event transaction, so
/// commits keep sharing WAL flushes), at most one per [`ANNOUNCE_EVERY`]. A lost one costs
/// another instance at most its polling interval.
pub(super) async fn announce(pool: sqlx::PgPool, bell: Arc<Notify>, instance: String) {
    let mut failing = false;
    loop {
        bell.notified().await;
        match sqlx::query("SELECT pg_notify('casebook_events', $1)")
            .bind(&instance)
            .execute(&pool)
            .await
        {
            Ok(_) if failing => {
                failing = false;
                tracing::info!("NOTIFY works again");
            }
            Ok(_) => {}
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "cannot NOTIFY other instances; they rely on polling");
            }
            Err(_) => {}
        }
        tokio::time::sleep(ANNOUNCE_EVERY).await;
    }
}
