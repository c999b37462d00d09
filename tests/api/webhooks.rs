//! Webhook delivery, on both stores, against a receiver on 127.0.0.1: signed requests with an
//! idempotency key, routed by kind, retried with backoff against a failing receiver, dead after
//! the last attempt, visible to admins (API, `/metrics`) and sent again on an admin's retry.

use crate::alerts::*;
use crate::both_stores;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

async fn a_webhook_is_signed_keyed_and_routed(store: Store) {
    set_secret();
    let all = Receiver::start().await;
    let returns = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = webhooks_file(
        dir.path(),
        json!({}),
        &[
            json!({"name": "province-12", "url": all.url, "units": [PROVINCE]}),
            json!({"name": "returns-only", "url": returns.url, "kinds": ["plan_returned"]}),
        ],
    );
    let app = TestApp::spawn_with(store, |s| s.webhooks = Some(file)).await;
    let cast = app.cast().await;
    let id = app.report(&cast.hotline, &hours_ago(2)).await;
    let got = all.wait(Duration::from_secs(20), |r| !r.is_empty()).await;
    assert_eq!(got.len(), 1, "one message, one request");
    let r = &got[0];
    let body = r.json();
    assert!(r.signature_verifies(), "signature {}", r.signature);
    assert_eq!(
        r.key,
        body["id"].as_str().unwrap(),
        "Idempotency-Key = message id"
    );
    assert_eq!(r.kind, "rapid_report");
    assert_eq!(body["kind"], "rapid_report");
    assert_eq!(body["case_id"], json!(id));
    assert_eq!(body["unit_code"], json!(COMMUNE));
    assert_eq!(
        body["link"],
        json!(format!("https://casebook.example.vn/cases/{id}")),
        "absolute with public_url"
    );
    let text = String::from_utf8_lossy(&r.body);
    for secret in ["Lò Thị Mai", "Nguyễn Văn An", "0912345678", "vết bầm"] {
        assert!(!text.contains(secret), "`{secret}` sent");
    }
    // A tampered body or another secret does not verify.
    let mut forged = r.clone();
    forged.body = text.replace("rapid_report", "plan_returned").into_bytes();
    assert!(!forged.signature_verifies());
    // The other endpoint takes returned plans only.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(returns.received().is_empty(), "routed by kind");
    let (status, list) = app
        .get(&cast.admin, "/webhook-deliveries?status=delivered")
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["endpoint"], "province-12");
    assert_eq!(items[0]["message_id"], body["id"]);
    assert_eq!(items[0]["attempts"], 1);
    // An admin sees delivery metadata, never the case.
    assert!(items[0].get("case_number").is_none() && items[0].get("case_id").is_none());
    let (status, problem) = app
        .post(
            &cast.admin,
            &format!(
                "/webhook-deliveries/{}/retry",
                items[0]["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "delivery_already_delivered");
    all.stop().await;
    returns.stop().await;
}
both_stores!(a_webhook_is_signed_keyed_and_routed);

async fn a_failing_receiver_gets_retries_then_the_delivery_is_dead(store: Store) {
    set_secret();
    let receiver = Receiver::start().await;
    receiver.answer(500);
    let dir = tempfile::tempdir().unwrap();
    let file = webhooks_file(
        dir.path(),
        json!({"max_attempts": 3, "retry_base_ms": 100, "retry_max_ms": 400}),
        &[json!({"name": "flaky", "url": receiver.url, "kinds": ["rapid_report"]})],
    );
    let app = TestApp::spawn_with(store, |s| s.webhooks = Some(file)).await;
    let cast = app.cast().await;
    app.report(&cast.hotline, &hours_ago(2)).await;
    let got = receiver
        .wait(Duration::from_secs(20), |r| r.len() >= 3)
        .await;
    // The same message three times, with the same key, each signed.
    assert!(got
        .iter()
        .all(|r| r.key == got[0].key && r.signature_verifies()));
    assert!(
        got.iter().all(|r| r.body == got[0].body),
        "same body every time"
    );
    // Dead after the third: no fourth.
    let dead = {
        let started = std::time::Instant::now();
        loop {
            let (_, list) = app
                .get(&cast.admin, "/webhook-deliveries?status=dead")
                .await;
            if list["items"].as_array().is_some_and(|i| i.len() == 1) {
                break list["items"][0].clone();
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "never dead: {list}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    assert_eq!(dead["attempts"], 3);
    assert_eq!(dead["last_status"], 500);
    assert_eq!(dead["last_error"], "answered 500");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.received().len(), 3, "no attempt after the last");
    let (_, _, metrics) = app
        .request(Method::GET, Some(&cast.admin.token), "/metrics", None, &[])
        .await;
    let metrics = metrics.as_str().unwrap().to_owned();
    assert!(
        metrics.contains("casebook_webhook_deliveries{status=\"dead\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("casebook_webhook_attempts_total{outcome=\"dead\"} 1"));
    assert!(metrics.contains("casebook_webhook_attempts_total{outcome=\"failed\"} 2"));
    assert!(metrics.contains("casebook_webhook_deliveries{status=\"pending\"} 0"));
    // Admins only.
    let (status, _) = app.get(&cast.supervisor, "/webhook-deliveries").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let retry = format!("/webhook-deliveries/{}/retry", dead["id"].as_str().unwrap());
    let (status, _) = app.post(&cast.worker, &retry, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The receiver is fixed; an admin sends the dead letter again: the same key once more.
    receiver.answer(200);
    let (status, queued) = app.post(&cast.admin, &retry, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{queued}");
    assert_eq!(queued["status"], "pending");
    assert_eq!(queued["attempts"], 0);
    let got = receiver
        .wait(Duration::from_secs(20), |r| r.len() >= 4)
        .await;
    assert_eq!(got[3].key, got[0].key);
    let started = std::time::Instant::now();
    loop {
        let (_, list) = app
            .get(&cast.admin, "/webhook-deliveries?status=delivered")
            .await;
        if list["items"].as_array().is_some_and(|i| i.len() == 1) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "never delivered: {list}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, _) = app
        .get(&cast.admin, "/webhook-deliveries?status=lost")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = format!("/webhook-deliveries/{}/retry", uuid::Uuid::now_v7());
    let (status, _) = app.post(&cast.admin, &unknown, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    println!(
        "ALERTS webhook_retries store={store:?} attempts_before_dead=3 same_key=4 after_admin_retry=delivered"
    );
    receiver.stop().await;
}
both_stores!(a_failing_receiver_gets_retries_then_the_delivery_is_dead);
