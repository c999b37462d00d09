//! The delivery loop: claim due deliveries (with a lease), send them, write each outcome as
//! soon as it is known — delivered, tried again later (exponential backoff with jitter), or dead
//! after the last attempt.

use super::config::{RetryPolicy, Webhooks};
use super::sender::{Outcome, Sender, Webhook};
use crate::http::AppState;
use projections::notifier::deliveries::{self, Claimed};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// Deliveries sent at once by one process.
const CONCURRENCY: i64 = 4;

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

/// How long a claim holds a delivery: longer than any attempt can take.
fn lease(policy: &RetryPolicy) -> chrono::Duration {
    chrono::Duration::from_std(policy.timeout * 3 + Duration::from_secs(5))
        .unwrap_or(chrono::Duration::seconds(60))
}

pub(super) async fn run(
    state: Arc<AppState>,
    senders: Senders,
    policy: RetryPolicy,
    wake: Arc<Notify>,
    mut stopping: watch::Receiver<bool>,
) {
    let mut failing = false;
    loop {
        if *stopping.borrow() {
            return;
        }
        let claimed =
            match deliveries::claim(&state.db, chrono::Utc::now(), lease(&policy), CONCURRENCY)
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
        // The sends in flight finish even when the server stops: their outcomes are written.
        futures_util::future::join_all(
            claimed
                .iter()
                .map(|c| attempt(&state, &senders, &policy, c)),
        )
        .await;
    }
}

async fn attempt(state: &AppState, senders: &Senders, policy: &RetryPolicy, c: &Claimed) {
    let outcome = match senders.get(&c.endpoint) {
        Some(sender) => sender.send(&c.message).await,
        None => Outcome::Failed {
            status: None,
            error: "endpoint not configured".to_owned(),
        },
    };
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
