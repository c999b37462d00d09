//! The views: caseload, the deadline board, history and access log, time travel,
//! read-your-writes. Statistics are in `statistics`, the projector's guarantees in `projectors`.

use crate::both_stores;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

fn items(v: &Value) -> &Vec<Value> {
    v["items"].as_array().expect("a list")
}

async fn overdue_deadlines_appear_without_any_new_event(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    // Received 13 hours ago: the 12-hour initial assessment is already overdue.
    let late = app.report(&cast.hotline, &hours_ago(13)).await;
    // Received 12 hours minus 3 seconds ago: due soon now, overdue in a few seconds.
    let received =
        (app.clock.now() - chrono::Duration::hours(12) + chrono::Duration::seconds(3)).to_rfc3339();
    let soon = app.report(&cast.hotline, &received).await;

    let (status, board) = app.get(&cast.approver, "/deadlines?state=overdue").await;
    assert_eq!(status, StatusCode::OK, "{board}");
    let overdue: Vec<&str> = items(&board)
        .iter()
        .map(|e| e["case_id"].as_str().unwrap())
        .collect();
    assert_eq!(overdue, [late.as_str()], "{board}");
    let entry = &items(&board)[0];
    assert_eq!(entry["rule_id"], "initial_assessment");
    assert_eq!(entry["state"], "overdue");
    assert!(entry["basis"].as_str().unwrap().contains("ND56"));
    assert!(entry["case_number"].as_str().unwrap().starts_with("12-"));
    let (_, board) = app.get(&cast.approver, "/deadlines?state=due_soon").await;
    assert_eq!(items(&board)[0]["case_id"], json!(soon));

    // No event happens; time passes.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (_, board) = app.get(&cast.approver, "/deadlines?state=overdue").await;
    let overdue: Vec<&str> = items(&board)
        .iter()
        .map(|e| e["case_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        overdue.len(),
        2,
        "the second case became overdue without an event: {board}"
    );
    // Most urgent first.
    assert_eq!(overdue[0], late);

    // The case record agrees with the board.
    let (_, doc) = app.get(&cast.worker, &format!("/cases/{soon}")).await;
    assert_eq!(doc["deadlines"][0]["state"], "overdue");

    // Scoped: nothing for another commune; the worker sees unassigned cases of its commune.
    let (_, board) = app.get(&cast.other_approver, "/deadlines").await;
    assert!(items(&board).is_empty(), "{board}");
    let (_, board) = app.get(&cast.worker, "/deadlines").await;
    assert_eq!(items(&board).len(), 2, "{board}");
    // Meeting the deadline takes it off the board.
    app.ok(
        &cast.worker,
        &format!("/cases/{late}/initial-assessment"),
        json!({"assessed_at": hours_ago(1), "outcome": "support_needed", "findings": "Cần hỗ trợ"}),
    )
    .await;
    let (_, board) = app.get(&cast.approver, "/deadlines").await;
    let rules: Vec<(&str, &str)> = items(&board)
        .iter()
        .map(|e| {
            (
                e["case_id"].as_str().unwrap(),
                e["rule_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        !rules.contains(&(late.as_str(), "initial_assessment")),
        "{rules:?}"
    );
    assert!(
        rules.contains(&(late.as_str(), "plan_submission")),
        "{rules:?}"
    );
}
both_stores!(overdue_deadlines_appear_without_any_new_event);

async fn caseload_lists_open_cases_with_their_next_deadline(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let mine = app.report(&cast.hotline, &hours_ago(2)).await;
    let unassigned = app.report(&cast.hotline, &hours_ago(1)).await;
    let theirs = app.report(&cast.hotline, &hours_ago(1)).await;
    let colleague = app
        .user(
            "thu.worker",
            &[(aggregates::codes::Role::SocialWorker, COMMUNE)],
        )
        .await;
    app.ok(
        &cast.approver,
        &format!("/cases/{mine}/assignment"),
        json!({"worker_id": cast.worker.id}),
    )
    .await;
    app.ok(
        &cast.approver,
        &format!("/cases/{theirs}/assignment"),
        json!({"worker_id": colleague.id}),
    )
    .await;
    app.ok(
        &cast.worker,
        &format!("/cases/{mine}/initial-assessment"),
        json!({"assessed_at": hours_ago(1), "outcome": "support_needed", "findings": "Cần hỗ trợ"}),
    )
    .await;

    // The worker's own cases and the unassigned ones of its commune, not a colleague's.
    let (status, load) = app.get(&cast.worker, "/caseload").await;
    assert_eq!(status, StatusCode::OK, "{load}");
    let mut ids: Vec<&str> = items(&load)
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    ids.sort();
    let mut expected = vec![mine.as_str(), unassigned.as_str()];
    expected.sort();
    assert_eq!(ids, expected, "{load}");
    assert_eq!(load["counts"]["assessment"], 1, "{load}");
    assert_eq!(load["counts"]["reported"], 1, "{load}");
    let mine_row = items(&load)
        .iter()
        .find(|c| c["id"] == json!(mine))
        .unwrap();
    assert_eq!(mine_row["status"], "assessment");
    assert_eq!(mine_row["next_deadline"]["rule_id"], "plan_submission");
    assert_eq!(mine_row["child_name"], "Lò Thị Mai");

    // The chair sees the commune, or one worker's cases.
    let (_, load) = app.get(&cast.approver, "/caseload").await;
    assert_eq!(items(&load).len(), 3);
    let (_, load) = app
        .get(
            &cast.approver,
            &format!("/caseload?worker={}", colleague.id),
        )
        .await;
    assert_eq!(items(&load).len(), 1);
    assert_eq!(items(&load)[0]["id"], json!(theirs));
    // A worker cannot read a colleague's caseload.
    let (status, _) = app
        .get(&cast.worker, &format!("/caseload?worker={}", colleague.id))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A unit outside the caller's jurisdiction.
    let (status, problem) = app
        .get(&cast.approver, &format!("/caseload?unit={OTHER_COMMUNE}"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
}
both_stores!(caseload_lists_open_cases_with_their_next_deadline);

async fn lists_page_filter_and_search(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let mut numbers = Vec::new();
    for i in 0..5 {
        let name = if i == 3 {
            "Đặng Thị Hoà"
        } else {
            "Lò Văn Nam"
        };
        let (_, opened) = app
            .post(
                &cast.hotline,
                "/reports",
                report_body(&hours_ago(10 - i), COMMUNE, &[name]),
            )
            .await;
        numbers.push(
            opened["cases"][0]["case_number"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // Pages of two, newest first, the whole set once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/cases?limit=2&cursor={c}"),
            None => "/cases?limit=2".to_owned(),
        };
        let (status, page) = app.get(&cast.approver, &path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(
            items(&page)
                .iter()
                .map(|c| c["case_number"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let mut newest_first = numbers.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);
    // Search by name without diacritics, and by case number.
    let (_, found) = app.get(&cast.approver, "/cases?q=dang%20thi%20hoa").await;
    assert_eq!(items(&found).len(), 1, "{found}");
    assert_eq!(items(&found)[0]["case_number"], json!(numbers[3]));
    let (_, found) = app
        .get(&cast.approver, &format!("/cases?q={}", numbers[1]))
        .await;
    assert_eq!(items(&found)[0]["case_number"], json!(numbers[1]));
    let (_, found) = app.get(&cast.approver, "/cases?status=closed").await;
    assert!(items(&found).is_empty());
    let (status, problem) = app.get(&cast.approver, "/cases?status=lost").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, _) = app.get(&cast.approver, "/cases?limit=501").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, problem) = app.get(&cast.approver, "/cases?cursor=zzz").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    // The hotline operator lists only what it opened.
    let (_, mine) = app.get(&cast.hotline, "/cases").await;
    assert_eq!(items(&mine).len(), 5);
    app.post(
        &cast.worker,
        "/reports",
        report_body(&hours_ago(1), COMMUNE, &["X"]),
    )
    .await;
    let (_, mine) = app.get(&cast.hotline, "/cases").await;
    assert_eq!(items(&mine).len(), 5);
}
both_stores!(lists_page_filter_and_search);

async fn history_and_access_log_tell_who_did_and_saw_what(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let (_, opened) = app
        .post(
            &cast.hotline,
            "/reports",
            report_body(&hours_ago(3), COMMUNE, &["Lò Thị Mai"]),
        )
        .await;
    let id = opened["cases"][0]["id"].as_str().unwrap().to_owned();
    let number = opened["cases"][0]["case_number"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok(
        &cast.worker,
        &format!("/cases/{id}/initial-assessment"),
        json!({"assessed_at": hours_ago(2), "outcome": "support_needed", "findings": "Cần hỗ trợ"}),
    )
    .await;

    // Every read path: record (by id and by number), history, time travel, the access log.
    app.get(&cast.worker, &format!("/cases/{id}")).await;
    app.get(&cast.approver, &format!("/cases/by-number/{number}"))
        .await;
    let (status, history) = app
        .get(&cast.supervisor, &format!("/cases/{id}/history"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let as_of = urlencode(&app.clock.now().to_rfc3339());
    app.get(&cast.supervisor, &format!("/cases/{id}?as_of={as_of}"))
        .await;
    // Refused reads leave no record.
    app.get(&cast.other_worker, &format!("/cases/{id}")).await;
    let (status, log) = app
        .get(&cast.supervisor, &format!("/cases/{id}/access-log"))
        .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let entries: Vec<(String, String, String)> = items(&log)
        .iter()
        .map(|e| {
            (
                e["username"].as_str().unwrap().to_owned(),
                e["role"].as_str().unwrap().to_owned(),
                e["view"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        // The assessment's answer showed the case (issue 9: a command answer is a disclosure).
        ("mai.worker", "social_worker", "command"),
        ("mai.worker", "social_worker", "record"),
        ("hung.chair", "approver", "record"),
        ("lan.supervisor", "supervisor", "history"),
        ("lan.supervisor", "supervisor", "as_of"),
        ("lan.supervisor", "supervisor", "access_log"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(entries, expected);

    // The history names who did what, in order, with business and recorded times.
    let events = items(&history);
    let first = &events[0];
    assert_eq!(first["sequence"], 1);
    assert_eq!(first["type"], "CaseReported");
    assert_eq!(first["actor"]["username"], "tongdai111");
    assert_eq!(first["actor"]["role"], "hotline_operator");
    assert_eq!(first["actor"]["unit"], "VN");
    assert!(first["occurred_at"].as_str().unwrap() < first["recorded_at"].as_str().unwrap());
    let assessment = events
        .iter()
        .find(|e| e["type"] == "InitialAssessmentRecorded")
        .unwrap();
    assert_eq!(assessment["actor"]["display_name"], "Cán bộ mai.worker");
    assert_eq!(assessment["actor"]["unit"], COMMUNE);
    assert_eq!(assessment["data"]["outcome"], "support_needed");
    let sequences: Vec<u64> = events
        .iter()
        .map(|e| e["sequence"].as_u64().unwrap())
        .collect();
    assert_eq!(sequences, (1..=events.len() as u64).collect::<Vec<_>>());
    // Only supervisors read the log.
    let (status, _) = app
        .get(&cast.approver, &format!("/cases/{id}/access-log"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
both_stores!(history_and_access_log_tell_who_did_and_saw_what);

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

async fn time_travel_shows_the_case_as_casebook_knew_it(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let id = app.report(&cast.hotline, &hours_ago(13)).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let then = app.clock.now();
    tokio::time::sleep(Duration::from_millis(50)).await;
    app.ok(
        &cast.worker,
        &format!("/cases/{id}/initial-assessment"),
        // 13 hours after the report: one hour late.
        json!({"assessed_at": hours_ago(0), "outcome": "support_needed", "findings": "Cần hỗ trợ"}),
    )
    .await;

    let (status, past) = app
        .get(
            &cast.supervisor,
            &format!("/cases/{id}?as_of={}", urlencode(&then.to_rfc3339())),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{past}");
    assert_eq!(past["status"], "reported");
    assert!(past.get("initial_assessment").is_none());
    assert_eq!(past["deadlines"].as_array().unwrap().len(), 1);
    // Was it overdue then? Received 13 hours before: yes.
    assert_eq!(past["deadlines"][0]["state"], "overdue");
    let (_, now) = app.get(&cast.supervisor, &format!("/cases/{id}")).await;
    assert_eq!(now["status"], "assessment");
    assert_eq!(now["deadlines"][0]["state"], "met_late", "{now}");
    assert!(past["version"].as_u64() < now["version"].as_u64());
    // Before the case existed, it did not exist.
    let before = (then - chrono::Duration::hours(1)).to_rfc3339();
    let (status, _) = app
        .get(
            &cast.supervisor,
            &format!("/cases/{id}?as_of={}", urlencode(&before)),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Time travel is for supervisors.
    let (status, _) = app
        .get(
            &cast.worker,
            &format!("/cases/{id}?as_of={}", urlencode(&then.to_rfc3339())),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
both_stores!(time_travel_shows_the_case_as_casebook_knew_it);

async fn a_session_reads_its_own_writes_without_asking(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let id = app.report(&cast.worker, &hours_ago(2)).await;
    for i in 0..20 {
        let doc = app
            .ok(
                &cast.worker,
                &format!("/cases/{id}/notes"),
                json!({"text": format!("ghi chú {i}")}),
            )
            .await;
        let version = doc["version"].clone();
        // No consistency header: the session wrote, so its view read waits for the projector.
        let response = app
            .client
            .get(app.url("/cases"))
            .bearer_auth(&cast.worker.token)
            .send()
            .await
            .unwrap();
        let list: Value = response.json().await.unwrap();
        assert_eq!(items(&list)[0]["version"], version, "round {i}: {list}");
    }
}
both_stores!(a_session_reads_its_own_writes_without_asking);
