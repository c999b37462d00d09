//! The delivery loop, one lane per endpoint: claim the endpoint's oldest due delivery (with a
//! lease), send it, write its outcome as soon as the receiver's status line arrives — delivered,
//! tried again later (exponential backoff with jitter), or dead after the last attempt.
//!
//! One delivery at a time per endpoint: an endpoint receives its messages in the order they were
//! written (retries aside), a slow or
//! dead endpoint holds up no other, and a process that dies holds at most one delivery per
//! endpoint between the receiver's answer and its mark (the only way a message is sent twice).

use super::config::{RetryPolicy, Webhooks};
use super::sender::{Outcome, Sender, Webhook};
use crate::http::AppState;
use projections::notifier::deliveries::{self, Claimed};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

pub(super) type Senders = HashMap<String, Arc<dyn Sender>>;

/// A sender per configured endpoint.
pub(super) fn senders(webhooks: &Webhooks) -> Result<Senders, String> {
    let mut senders: Senders = HashMap::new();
    for endpoint in &webhooks.endpoints {
        let webhook = Webhook::new(
            endpoint.clone(),
            webhooks.policy.timeout,
            webhooks.public_url.clone(),
        )?;
        senders.insert(endpoint.name.clone(), Arc::new(webhook));
    }
    Ok(senders)
}

/// How long a claim holds a delivery: longer than an attempt can take (the request's timeout
/// for connecting and for answering, and the write of its outcome). When a process dies
/// holding it, the delivery waits this long before it is tried again.
fn lease(policy: &RetryPolicy) -> chrono::Duration {
    chrono::Duration::from_std(policy.timeout * 2 + Duration::from_secs(2))
        .unwrap_or(chrono::Duration::seconds(60))
}

/// Wakes every lane (new deliveries were written).
#[derive(Debug, Default)]
pub(super) struct Wake(std::sync::Mutex<Vec<Arc<Notify>>>);

impl Wake {
    pub(super) fn ping(&self) {
        for n in self.0.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            n.notify_one();
        }
    }

    fn lane(&self) -> Arc<Notify> {
        let n = Arc::new(Notify::new());
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(n.clone());
        n
    }
}

/// Starts a lane per endpoint, after retiring the pending deliveries of endpoints no longer
/// configured.
pub(super) async fn start(
    state: Arc<AppState>,
    senders: Senders,
    policy: RetryPolicy,
    wake: &Wake,
    stopping: &watch::Sender<bool>,
) -> Result<Vec<tokio::task::JoinHandle<()>>, String> {
    let names: Vec<String> = senders.keys().cloned().collect();
    let retired = deliveries::retire_unconfigured(&state.db, &names, chrono::Utc::now())
        .await
        .map_err(|e| format!("notifier: {e}"))?;
    if retired > 0 {
        tracing::warn!(
            retired,
            "pending webhook deliveries to endpoints no longer configured are dead"
        );
    }
    Ok(senders
        .into_values()
        .map(|sender| {
            tokio::spawn(run(
                state.clone(),
                sender,
                policy,
                wake.lane(),
                stopping.subscribe(),
            ))
        })
        .collect())
}

async fn run(
    state: Arc<AppState>,
    sender: Arc<dyn Sender>,
    policy: RetryPolicy,
    wake: Arc<Notify>,
    mut stopping: watch::Receiver<bool>,
) {
    let mut failing = false;
    loop {
        if *stopping.borrow() {
            return;
        }
        let claimed = match deliveries::claim(
            &state.db,
            sender.name(),
            chrono::Utc::now(),
            lease(&policy),
            1,
        )
        .await
        {
            Ok(claimed) => {
                failing = false;
                claimed
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "cannot claim webhook deliveries; retrying");
                    failing = true;
                }
                Vec::new()
            }
        };
        if claimed.is_empty() {
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = stopping.changed() => {}
            }
            continue;
        }
        // A send in flight finishes even when the server stops: its outcome is written.
        for c in &claimed {
            attempt(&state, sender.as_ref(), &policy, c).await;
        }
    }
}

async fn attempt(state: &AppState, sender: &dyn Sender, policy: &RetryPolicy, c: &Claimed) {
    let outcome = sender.send(&c.message).await;
    let counters = &state.metrics.notifications;
    let now = chrono::Utc::now();
    let written = match outcome {
        Outcome::Delivered { status } => {
            counters.sent.fetch_add(1, Ordering::Relaxed);
            deliveries::mark_delivered(&state.db, c, status, now).await
        }
        Outcome::Failed { status, error } => {
            let attempts = u32::try_from(c.attempts).unwrap_or(u32::MAX);
            let retry_at = (attempts < policy.max_attempts).then(|| {
                let wait = policy.backoff(attempts, rand::random::<f64>());
                now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
            });
            if retry_at.is_none() {
                counters.dead.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(delivery = %c.id, endpoint = %c.endpoint, attempts, %error,
                    "webhook delivery dead after its last attempt");
            } else {
                counters.failed.fetch_add(1, Ordering::Relaxed);
                tracing::info!(delivery = %c.id, endpoint = %c.endpoint, attempts, %error,
                    "webhook attempt failed; will retry");
            }
            deliveries::mark_failed(&state.db, c, status, &error, retry_at, now).await
        }
    };
    match written {
        Ok(true) => {}
        Ok(false) => {
            counters.lost_leases.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(delivery = %c.id, "a webhook delivery's lease ran out before its outcome was written");
        }
        // The lease runs out and the delivery is tried again (same idempotency key).
        Err(e) => tracing::warn!(delivery = %c.id, error = %e, "cannot write a webhook outcome"),
    }
}
