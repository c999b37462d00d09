//! Alerts, the server's side (issue 11, item 6): the tasks that run the notifier of
//! `projections::notifier` — the follower of the event log, the periodic deadline sweep — and
//! the delivery of webhooks through [`sender::Sender`]. The inbox is read by the application
//! layer (`app::inbox`).
//!
//! What can and cannot happen to a webhook message: it is written with the step (or the sweep)
//! that calls for it, in one transaction, so a crash never loses it. It is sent at least once:
//! a delivery is claimed with a lease, sent, and marked delivered as soon as the receiver's
//! status line arrives. A process killed after the receiver answered and before that mark
//! leaves the delivery claimed; when the lease runs out it is sent again, with the same
//! `Idempotency-Key` — the only way a receiver sees a message twice (RELIABILITY.md counts it).

pub mod config;
mod deliver;
pub mod sender;

use crate::http::AppState;
use config::Webhooks;
use projections::notifier::{follower::Follower, sweep, Route, Stamp, Written};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// What the notifier did since the process started, for `/metrics`.
#[derive(Debug, Default)]
pub struct Counters {
    pub messages: AtomicU64,
    pub inbox_rows: AtomicU64,
    pub deliveries_queued: AtomicU64,
    pub sent: AtomicU64,
    pub failed: AtomicU64,
    pub dead: AtomicU64,
    /// A delivery's lease ran out before its outcome was written (it may be sent again).
    pub lost_leases: AtomicU64,
    pub follower_errors: AtomicU64,
    pub sweep_errors: AtomicU64,
}

impl Counters {
    fn wrote(&self, w: Written) {
        self.messages.fetch_add(w.messages, Ordering::Relaxed);
        self.inbox_rows.fetch_add(w.recipients, Ordering::Relaxed);
        self.deliveries_queued
            .fetch_add(w.deliveries, Ordering::Relaxed);
    }

    /// The Prometheus lines of these counters.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let counter = |out: &mut String, name: &str, help: &str, v: &AtomicU64| {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n"));
            out.push_str(&format!("{name} {}\n", v.load(Ordering::Relaxed)));
        };
        counter(
            &mut out,
            "casebook_notifications_total",
            "Messages written by the notifier.",
            &self.messages,
        );
        counter(
            &mut out,
            "casebook_notification_inbox_rows_total",
            "Inbox rows written (one per recipient).",
            &self.inbox_rows,
        );
        counter(
            &mut out,
            "casebook_webhook_deliveries_queued_total",
            "Webhook deliveries written to the outbox.",
            &self.deliveries_queued,
        );
        out.push_str("# HELP casebook_webhook_attempts_total Webhook attempts by outcome.\n");
        out.push_str("# TYPE casebook_webhook_attempts_total counter\n");
        for (outcome, v) in [
            ("delivered", &self.sent),
            ("failed", &self.failed),
            ("dead", &self.dead),
        ] {
            out.push_str(&format!(
                "casebook_webhook_attempts_total{{outcome=\"{outcome}\"}} {}\n",
                v.load(Ordering::Relaxed)
            ));
        }
        counter(
            &mut out,
            "casebook_webhook_lost_leases_total",
            "Outcomes not written because the delivery's lease had run out.",
            &self.lost_leases,
        );
        counter(
            &mut out,
            "casebook_notifier_errors_total",
            "Failed follower steps (retried).",
            &self.follower_errors,
        );
        counter(
            &mut out,
            "casebook_notifier_sweep_errors_total",
            "Failed deadline sweeps (retried).",
            &self.sweep_errors,
        );
        out
    }
}

/// The running notifier's tasks.
pub struct Notifier {
    stopping: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Notifier {
    /// Starts the follower (its checkpoint at the log head on its first start), the sweep every
    /// `sweep_every`, and the delivery of `webhooks`. `wake` is pinged after commits.
    pub async fn start(
        state: Arc<AppState>,
        webhooks: Webhooks,
        wake: Arc<Notify>,
        sweep_every: Duration,
    ) -> Result<Self, String> {
        for e in &webhooks.endpoints {
            for unit in e.route.units.iter().flatten() {
                if state.units.get(unit).is_none() {
                    return Err(format!(
                        "CASEBOOK_WEBHOOKS: endpoint `{}`: unit `{unit}` is not in the registry",
                        e.name
                    ));
                }
            }
        }
        let routes = webhooks.routes();
        let follower = Follower::new(state.db.clone(), routes.clone());
        follower
            .init(state.clock.now())
            .await
            .map_err(|e| format!("notifier: {e}"))?;
        let (stopping, _) = watch::channel(false);
        let deliver_wake = Arc::new(deliver::Wake::default());
        let senders = deliver::senders(&webhooks)?;
        let lanes = deliver::start(
            state.clone(),
            senders,
            webhooks.policy,
            &deliver_wake,
            &stopping,
        )
        .await?;
        let mut tasks = vec![
            tokio::spawn(follow(
                state.clone(),
                follower,
                wake,
                deliver_wake.clone(),
                stopping.subscribe(),
            )),
            tokio::spawn(sweep_periodically(
                state,
                routes,
                sweep_every,
                deliver_wake,
                stopping.subscribe(),
            )),
        ];
        tasks.extend(lanes);
        Ok(Self { stopping, tasks })
    }

    /// Lets the tasks finish what they hold (a batch, a sweep, the sends in flight) and waits
    /// for them, at most `bound`.
    pub async fn stop(self, bound: Duration) {
        self.stopping.send_replace(true);
        for task in self.tasks {
            let _ = tokio::time::timeout(bound, task).await;
        }
    }
}

/// How long the notifier waits after a wake-up before it reads the next batch.
const GATHER: Duration = Duration::from_millis(20);

fn stamp(state: &AppState) -> Stamp {
    Stamp {
        now: state.clock.now(),
        real: chrono::Utc::now(),
    }
}

/// Waits for `wake`, `every`, or the stop; true when stopping.
async fn pause(wake: &Notify, every: Duration, stopping: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = wake.notified() => {}
        _ = tokio::time::sleep(every) => {}
        _ = stopping.changed() => {}
    }
    *stopping.borrow()
}

async fn follow(
    state: Arc<AppState>,
    follower: Follower,
    wake: Arc<Notify>,
    deliver_wake: Arc<deliver::Wake>,
    mut stopping: watch::Receiver<bool>,
) {
    let mut failing = false;
    let mut backoff = Duration::from_millis(100);
    let never = Notify::new();
    loop {
        if *stopping.borrow() {
            return;
        }
        match follower.step(stamp(&state)).await {
            Ok(step) => {
                if failing {
                    tracing::info!("notifier recovered");
                    failing = false;
                    backoff = Duration::from_millis(100);
                }
                state.metrics.notifications.wrote(step.written);
                if step.written.deliveries > 0 {
                    deliver_wake.ping();
                }
                if step.full {
                    continue;
                }
                if pause(&wake, Duration::from_secs(1), &mut stopping).await {
                    return;
                }
                // Let the commits arriving together land in one batch: a transaction (and a
                // durable commit) per batch rather than per command; alerts lose a few
                // milliseconds.
                if pause(&never, GATHER, &mut stopping).await {
                    return;
                }
            }
            Err(e) => {
                state
                    .metrics
                    .notifications
                    .follower_errors
                    .fetch_add(1, Ordering::Relaxed);
                if !failing {
                    tracing::error!(error = %e, "notifier failed; retrying");
                    failing = true;
                }
                if pause(&never, backoff, &mut stopping).await {
                    return;
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

async fn sweep_periodically(
    state: Arc<AppState>,
    routes: Vec<Route>,
    every: Duration,
    deliver_wake: Arc<deliver::Wake>,
    mut stopping: watch::Receiver<bool>,
) {
    let never = Notify::new();
    loop {
        let calendar = &state.commands.services().calendar;
        match sweep::sweep(&state.db, &routes, calendar, stamp(&state)).await {
            Ok(swept) => {
                state.metrics.notifications.wrote(swept.written);
                if swept.written.deliveries > 0 {
                    deliver_wake.ping();
                }
            }
            Err(e) => {
                state
                    .metrics
                    .notifications
                    .sweep_errors
                    .fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, "deadline sweep failed; trying again at the next");
            }
        }
        if pause(&never, every, &mut stopping).await {
            return;
        }
    }
}

/// The notifier's figures read from the store, for `/metrics`: deliveries by status (the
/// outbox backlog is `pending`) and how far the follower is behind the log.
pub async fn store_metrics(state: &AppState) -> String {
    let mut out = String::new();
    if let Ok(counts) = projections::notifier::deliveries::counts(&state.db).await {
        out.push_str("# HELP casebook_webhook_deliveries Webhook deliveries by status (pending: the outbox backlog).\n");
        out.push_str("# TYPE casebook_webhook_deliveries gauge\n");
        for status in ["pending", "delivered", "dead"] {
            let n = counts
                .iter()
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n);
            out.push_str(&format!(
                "casebook_webhook_deliveries{{status=\"{status}\"}} {n}\n"
            ));
        }
    }
    if let Ok(lag) = projections::notifier::follower::lag(&state.db).await {
        out.push_str(
            "# HELP casebook_notifier_lag_events Events the notifier has still to read.\n",
        );
        out.push_str("# TYPE casebook_notifier_lag_events gauge\n");
        out.push_str(&format!("casebook_notifier_lag_events {lag}\n"));
    }
    out
}
