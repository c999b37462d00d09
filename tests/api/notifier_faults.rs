//! Alerts under `kill -9`: the real binary, a webhook receiver on 127.0.0.1 in this process,
//! reports (each one a rapid report, so one message and one webhook) sent while the server is
//! killed again and again — between commands, their commit, the notifier's batch and the
//! deliveries. After the last restart every report has exactly one message, the receiver got
//! every message, nothing it was not sent, and a message twice only as a resend of a delivery
//! whose outcome the kill kept from being written (same idempotency key, counted). Short here;
//! `scripts/reliability.sh` raises the rounds.

use crate::alerts::*;
use crate::both_stores;
use crate::faults::{login, prepared_store, real_hours_ago, Server};
use crate::helpers::*;
use projections::with_db;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Deliveries one process sends at once per endpoint (`src/notify/deliver.rs`): at most this
/// many can be between the receiver's answer and its mark when the process dies.
const IN_FLIGHT: usize = 1;

/// How the reports come while the server is killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Load {
    /// Two clients as fast as the server answers: the webhooks always have a backlog, so a
    /// kill almost always finds a delivery in flight.
    Burst,
    /// A report every 250 ms, as alerts come in practice: between two, nothing is in flight.
    Sparse,
}

async fn kill_9_under_a_burst(store: Store) {
    kill_9_loses_no_alert_and_resends_only_what_was_unmarked(store, Load::Burst).await;
}
both_stores!(kill_9_under_a_burst);

async fn kill_9_between_sparse_alerts(store: Store) {
    kill_9_loses_no_alert_and_resends_only_what_was_unmarked(store, Load::Sparse).await;
}
both_stores!(kill_9_between_sparse_alerts);

async fn kill_9_loses_no_alert_and_resends_only_what_was_unmarked(store: Store, load: Load) {
    let (url, _dir) = prepared_store(store).await;
    let receiver = Receiver::start().await;
    // A receiver that takes a little while, so that kills also land while it is answering.
    receiver.delay(3);
    let conf = tempfile::tempdir().unwrap();
    let file = webhooks_file(
        conf.path(),
        json!({"max_attempts": 50, "retry_base_ms": 100, "retry_max_ms": 1000, "timeout_ms": 1000}),
        &[json!({"name": "all", "url": receiver.url})],
    );
    let file = file.display().to_string();
    let env = [("CASEBOOK_WEBHOOKS", file.as_str()), (SECRET_ENV, SECRET)];
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let acknowledged: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let rounds = knob("NOTIFIER_KILL_ROUNDS", 3);
    let mut received_before_kill = Vec::new();
    for round in 0..rounds {
        let server = Server::start_with(&url, &env).await;
        let token = login(&client, &server.base, "tongdai111").await;
        let stop = Arc::new(AtomicBool::new(false));
        let before = acknowledged.lock().unwrap().len();
        let clients: Vec<_> = (0..if load == Load::Burst { 2 } else { 1 })
            .map(|_| {
                let (client, base, token, stop, acknowledged) = (
                    client.clone(),
                    server.base.clone(),
                    token.clone(),
                    stop.clone(),
                    acknowledged.clone(),
                );
                tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        if load == Load::Sparse {
                            tokio::time::sleep(Duration::from_millis(250)).await;
                        }
                        let answer = client
                            .post(format!("{base}/reports"))
                            .bearer_auth(&token)
                            .json(&report_body(&real_hours_ago(1), COMMUNE, &["Lò Thị Mai"]))
                            .send()
                            .await;
                        match answer {
                            Ok(r) if r.status().is_success() => {
                                if let Ok(v) = r.json::<Value>().await {
                                    if let Some(id) = v["cases"][0]["id"].as_str() {
                                        acknowledged.lock().unwrap().insert(id.to_owned());
                                    }
                                }
                            }
                            _ => tokio::time::sleep(Duration::from_millis(20)).await,
                        }
                    }
                })
            })
            .collect();
        // A kill at a moment unrelated to the deliveries' rhythm.
        let pause = 400 + 150 * (round as u64 % 4) + rand::random::<u64>() % 250;
        tokio::time::sleep(Duration::from_millis(pause)).await;
        // However slow the machine: reports acknowledged and webhooks arriving before the kill.
        let started = Instant::now();
        let seen = receiver.received().len();
        while acknowledged.lock().unwrap().len() == before || receiver.received().len() == seen {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "round {round}: no work before the kill"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Not right after a delivery arrived (that would aim at the window between the
        // receiver's answer and the mark): a moment later, unrelated to the deliveries.
        tokio::time::sleep(Duration::from_millis(rand::random::<u64>() % 250)).await;
        server.kill_9();
        stop.store(true, Ordering::Relaxed);
        for c in clients {
            c.await.unwrap();
        }
        received_before_kill.push(receiver.received().len());
    }
    // The last start: the deliveries left pending or claimed by a killed process (their
    // leases run out) are sent.
    let server = Server::start_with(&url, &env).await;
    let db = casebook::store::connect(&url, 2).await.unwrap();
    let started = Instant::now();
    let (reports, messages) = loop {
        let (reports, messages, undelivered): (i64, i64, i64) = with_db!(&db, pool => {
            let reports: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM events WHERE event_type = 'CaseReported'")
                .fetch_one(pool).await.unwrap();
            let messages: i64 = sqlx::query_scalar("SELECT count(*) FROM notifications")
                .fetch_one(pool).await.unwrap();
            let undelivered: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM webhook_deliveries WHERE status <> 'delivered'")
                .fetch_one(pool).await.unwrap();
            (reports, messages, undelivered)
        });
        if reports == messages && undelivered == 0 {
            break (reports, messages);
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "not settled: reports={reports} messages={messages} undelivered={undelivered}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Let a resend of the last claims (if any) arrive before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;

    // One message per report, none twice (the follower's checkpoint and its messages commit
    // together), each with one delivery.
    let per_case: Vec<(String, i64)> = with_db!(&db, pool => sqlx::query_as(
        "SELECT case_number, count(*) FROM notifications WHERE kind = 'rapid_report' GROUP BY case_number")
        .fetch_all(pool).await.unwrap());
    assert_eq!(
        per_case.len() as i64,
        reports,
        "a report without its message"
    );
    assert!(
        per_case.iter().all(|(_, n)| *n == 1),
        "a report with two messages"
    );
    let ids: BTreeSet<String> = with_db!(&db, pool => sqlx::query_scalar::<_, uuid::Uuid>(
        "SELECT id FROM notifications").fetch_all(pool).await.unwrap())
    .into_iter()
    .map(|id| id.to_string())
    .collect();
    let notified: BTreeSet<String> = with_db!(&db, pool => sqlx::query_scalar::<_, uuid::Uuid>(
        "SELECT case_id FROM notifications").fetch_all(pool).await.unwrap())
    .into_iter()
    .map(|id| id.to_string())
    .collect();
    let acknowledged = acknowledged.lock().unwrap().clone();
    let unnotified: Vec<_> = acknowledged.difference(&notified).collect();
    assert!(
        unnotified.is_empty(),
        "acknowledged reports without a message: {unnotified:?}"
    );

    // What the receiver got: every message, nothing else, each signed; a key twice only as a
    // resend of the same body.
    let got = receiver.received();
    let mut by_key: BTreeMap<String, Vec<&Received>> = BTreeMap::new();
    for r in &got {
        assert!(r.signature_verifies(), "an unsigned request");
        by_key.entry(r.key.clone()).or_default().push(r);
    }
    let keys: BTreeSet<String> = by_key.keys().cloned().collect();
    let lost: Vec<_> = ids.difference(&keys).collect();
    let invented: Vec<_> = keys.difference(&ids).collect();
    assert!(lost.is_empty(), "messages the receiver never got: {lost:?}");
    assert!(invented.is_empty(), "requests for no message: {invented:?}");
    for (key, requests) in &by_key {
        assert!(
            requests.iter().all(|r| r.json()["id"] == json!(key)),
            "a key on another message"
        );
        assert!(
            requests.iter().all(|r| r.json() == requests[0].json()),
            "a resend that differs"
        );
    }
    let resent = got.len() - keys.len();
    let keys_twice = by_key.values().filter(|r| r.len() > 1).count();
    println!("notifier kill_9 rounds={rounds} received_before_each_kill={received_before_kill:?}");
    assert!(
        resent <= rounds * IN_FLIGHT,
        "{resent} resends for {rounds} kills: more than the deliveries in flight at the kills"
    );
    println!(
        "RELIABILITY notifier_kill_9 store={store:?} load={load:?} kills={rounds} acknowledged_reports={} reports_in_log={reports} messages={messages} \
         lost_messages=0 double_messages=0 webhook_requests={} distinct_keys={} lost_webhooks=0 invented=0 \
         resent_same_key={resent} keys_received_twice={keys_twice}",
        acknowledged.len(),
        got.len(),
        keys.len()
    );
    db.close().await;
    server.kill_9();
    receiver.stop().await;
}
