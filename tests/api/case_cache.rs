//! The case cache (issue 14): a server keeps the streams of the cases it commanded, yet a
//! stream changed meanwhile through another instance is never acted on as it was — on both
//! stores, two servers on one store.

use crate::both_stores;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn a_case_changed_elsewhere_is_decided_on_as_it_is_now(store: Store) {
    let a = TestApp::spawn(store).await;
    let b = TestApp::spawn_on(store, a.database_url.clone(), None).await;
    let cast = a.cast().await;
    let case = a.report(&cast.worker, &hours_ago(3)).await;
    let note = format!("/cases/{case}/notes");
    // A commands the case: its stream is in A's cache now.
    let on_a = a
        .ok(&cast.worker, &note, json!({"text": "Ghi chú trên A"}))
        .await;
    let cached_version = on_a["version"].as_u64().unwrap();

    // B changes it (a note and the initial assessment).
    b.ok(&cast.worker, &note, json!({"text": "Ghi chú trên B"}))
        .await;
    let assessed = b
        .ok(
            &cast.worker,
            &format!("/cases/{case}/initial-assessment"),
            json!({"assessed_at": hours_ago(2), "outcome": "support_needed", "findings": "Ổn định"}),
        )
        .await;
    let now_version = assessed["version"].as_u64().unwrap();
    assert!(now_version > cached_version);

    // A command on A: decided on the stream as it is now, not as A last saw it.
    let after = a
        .ok(
            &cast.worker,
            &note,
            json!({"text": "Ghi chú thứ hai trên A"}),
        )
        .await;
    assert!(after["version"].as_u64().unwrap() > now_version, "{after}");
    assert_eq!(after["notes"].as_array().unwrap().len(), 3, "{after}");
    assert_eq!(after["initial_assessment"]["outcome"], "support_needed");

    // A step that B's change made impossible is refused on A, with the reason of now.
    b.ok(&cast.worker, &note, json!({"text": "B lần nữa"}))
        .await;
    let (status, problem) = a
        .post(
            &cast.worker,
            &format!("/cases/{case}/initial-assessment"),
            json!({"assessed_at": hours_ago(1), "outcome": "emergency", "grounds": ["serious_harm_or_threat"], "findings": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "initial_assessment_already_recorded");

    // If-Match with the version of now (read through B) passes on A, whose cache is behind.
    b.ok(&cast.worker, &note, json!({"text": "B lần ba"})).await;
    let (_, current) = b.get(&cast.worker, &format!("/cases/{case}")).await;
    let version = current["version"].as_u64().unwrap().to_string();
    let etag = format!("\"{version}\"");
    let (status, _, answer) = a
        .request(
            Method::POST,
            Some(&cast.worker.token),
            &note,
            Some(&json!({"text": "Theo phiên bản mới nhất"})),
            &[("if-match", etag.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    // And a stale If-Match is still refused.
    let (status, _, _) = a
        .request(
            Method::POST,
            Some(&cast.worker.token),
            &note,
            Some(&json!({"text": "Cũ"})),
            &[("if-match", etag.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);

    // The stream is whole and gap-free.
    let (_, history) = a
        .get(&cast.supervisor, &format!("/cases/{case}/history"))
        .await;
    let sequences: Vec<u64> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["sequence"].as_u64().unwrap())
        .collect();
    assert_eq!(sequences, (1..=sequences.len() as u64).collect::<Vec<_>>());
    b.stop().await;
}
both_stores!(a_case_changed_elsewhere_is_decided_on_as_it_is_now);
