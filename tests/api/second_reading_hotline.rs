//! Asking the hotline for support (ND56 art. 31(3), 22(6)), the hotline operator's own list,
//! and the review and closure cycles of the second reading, over HTTP on both stores.

use crate::both_stores;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

async fn the_hotline_reaches_a_case_it_was_asked_to_support(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    // The commune opened the case: the hotline does not see it.
    let id = app.report(&cast.worker, &hours_ago(6)).await;
    let (status, _) = app.get(&cast.hotline, &format!("/cases/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let doc = app
        .ok(
            &cast.worker,
            &format!("/cases/{id}/hotline-support"),
            json!({"reason": "Gia đình chuyển đi; Tổng đài giữ liên lạc"}),
        )
        .await;
    assert!(doc["hotline_support"]["requested_at"].is_string(), "{doc}");
    let (status, _) = app.get(&cast.hotline, &format!("/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    app.ok(
        &cast.hotline,
        &format!("/cases/{id}/notes"),
        json!({"text": "Đã gọi cho mẹ trẻ"}),
    )
    .await;
    let (status, list) = app.get(&cast.hotline, "/cases").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id.as_str()),
        "{list}"
    );
    // Hotline operators never take the worker's steps.
    let (status, _) = app
        .post(
            &cast.hotline,
            &format!("/cases/{id}/initial-assessment"),
            json!({"assessed_at": hours_ago(5), "outcome": "support_needed", "findings": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.ok(
        &cast.approver,
        &format!("/cases/{id}/hotline-support/withdrawal"),
        json!({}),
    )
    .await;
    let (status, _) = app.get(&cast.hotline, &format!("/cases/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = app.get(&cast.hotline, "/cases").await;
    assert!(!list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == id.as_str()));
}
both_stores!(the_hotline_reaches_a_case_it_was_asked_to_support);

async fn the_hotline_sees_its_report_at_once_and_filters_by_commune(store: Store) {
    // Read-your-writes for the intake officer, and `?unit=` within its national grant.
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let id = app.report(&cast.hotline, &hours_ago(1)).await;
    let (status, list) = app.get(&cast.hotline, "/cases").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id.as_str()),
        "{list}"
    );
    let (status, list) = app
        .get(&cast.hotline, &format!("/cases?unit={COMMUNE}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (status, list) = app
        .get(&cast.hotline, &format!("/cases?unit={OTHER_COMMUNE}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert!(list["items"].as_array().unwrap().is_empty());
}
both_stores!(the_hotline_sees_its_report_at_once_and_filters_by_commune);

/// A case whose approved plan was reviewed with outcome `close`: closure proposed.
async fn reviewed(app: &TestApp, cast: &Cast) -> String {
    reviewed_with(app, cast, "close").await
}

/// A case with an approved plan, reviewed with `outcome` (none when empty).
async fn reviewed_with(app: &TestApp, cast: &Cast, outcome: &str) -> String {
    let id = app.report(&cast.hotline, &hours_ago(100)).await;
    let case = |p: &str| format!("/cases/{id}{p}");
    app.ok(
        &cast.worker,
        &case("/initial-assessment"),
        json!({"assessed_at": hours_ago(99),
        "outcome": "support_needed", "findings": "Cần hỗ trợ"}),
    )
    .await;
    app.ok(&cast.worker, &case("/detailed-assessment"), json!({"assessed_at": hours_ago(98),
        "physical_psychological": "Lo âu", "family": "Mẹ", "risk_factors": "Rượu", "schooling": "Đi học",
        "community": "Tốt", "needs": ["psychological"]}))
        .await;
    app.ok(
        &cast.approver,
        &case("/needs-meeting"),
        json!({"held_at": hours_ago(97),
        "chaired_by": "Chủ tịch UBND xã", "attendees": ["Mẹ"], "decisions": "Tư vấn"}),
    )
    .await;
    let today = test_today();
    app.ok(&cast.worker, &case("/plan"), json!({"submitted_at": hours_ago(96), "items": [{
        "measure": "counselling_parents", "service_type": "psychological", "responsible": "Cán bộ xã",
        "starts_on": (today - chrono::Days::new(4)).to_string(), "ends_on": today.to_string()}]}))
        .await;
    app.ok(
        &cast.approver,
        &case("/plan/decision"),
        json!({"decided_at": hours_ago(95), "decision": "approve", "plan_version": 1}),
    )
    .await;
    if !outcome.is_empty() {
        app.ok(&cast.worker, &case("/review"), json!({"reviewed_at": hours_ago(3), "outcome": outcome,
            "ratings": {"harm_severity": "low", "abuser_access": "low", "care_environment_obstacles": "low",
                        "child_self_protection_recovery": "high"}}))
            .await;
    }
    id
}

async fn a_rejected_close_review_sends_the_case_back_to_planning(store: Store) {
    // [policy] ND56 art. 30: the chair rejects → planning, the plan clock starts; the reviewed
    // plan is not reviewed again.
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let id = reviewed(&app, &cast).await;
    let doc = app
        .ok(
            &cast.approver,
            &format!("/cases/{id}/closure"),
            json!({"decided_at": hours_ago(2), "decision": "reject", "comment": "Theo dõi thêm"}),
        )
        .await;
    assert_eq!(doc["status"], "planning");
    assert!(
        doc["deadlines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["rule_id"] == "plan_submission"
                && ["pending", "due_soon"].contains(&d["state"].as_str().unwrap())),
        "{doc}"
    );
    let (status, problem) = app
        .post(
            &cast.worker,
            &format!("/cases/{id}/review"),
            json!({"reviewed_at": hours_ago(1),
            "outcome": "close", "ratings": {"harm_severity": "low", "abuser_access": "low",
            "care_environment_obstacles": "low", "child_self_protection_recovery": "high"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
}
both_stores!(a_rejected_close_review_sends_the_case_back_to_planning);

async fn resolved_needs_a_close_review(store: Store) {
    // [policy]: the chair may not turn another proposal into `resolved`.
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let id = app.report(&cast.hotline, &hours_ago(10)).await;
    app.ok(
        &cast.worker,
        &format!("/cases/{id}/closure/proposal"),
        json!({"proposed_at": hours_ago(5), "reason": "turned_16"}),
    )
    .await;
    let (status, problem) = app
        .post(
            &cast.approver,
            &format!("/cases/{id}/closure"),
            json!({"decided_at": hours_ago(4), "decision": "approve", "reason": "resolved"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["code"], "resolved_needs_close_review");
    let doc = app
        .ok(
            &cast.approver,
            &format!("/cases/{id}/closure"),
            json!({"decided_at": hours_ago(4), "decision": "approve"}),
        )
        .await;
    assert_eq!(doc["closure"]["reason"], "turned_16");
}
both_stores!(resolved_needs_a_close_review);

async fn who_may_ask_the_hotline_for_support(store: Store) {
    // ND56 art. 31(3): the commune's worker or chair asks; nobody else, and outside the
    // jurisdiction the case does not exist. (Not in the matrix: a standing request changes who
    // reaches the case.)
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let id = app.report(&cast.worker, &hours_ago(6)).await;
    let support = format!("/cases/{id}/hotline-support");
    let withdrawal = format!("/cases/{id}/hotline-support/withdrawal");
    for (who, path, expected) in [
        (&cast.hotline, &support, StatusCode::NOT_FOUND),
        (&cast.supervisor, &support, StatusCode::FORBIDDEN),
        (&cast.other_worker, &support, StatusCode::NOT_FOUND),
        (&cast.other_approver, &withdrawal, StatusCode::NOT_FOUND),
        (&cast.admin, &support, StatusCode::NOT_FOUND),
        (&cast.approver, &withdrawal, StatusCode::CONFLICT),
        (&cast.worker, &support, StatusCode::OK),
        (&cast.approver, &support, StatusCode::CONFLICT),
        (&cast.supervisor, &withdrawal, StatusCode::FORBIDDEN),
        (&cast.approver, &withdrawal, StatusCode::OK),
    ] {
        let (status, answer) = app.post(who, path, json!({})).await;
        assert_eq!(status, expected, "{} {path}: {answer}", who.username);
    }
}
both_stores!(who_may_ask_the_hotline_for_support);

async fn a_plan_returned_in_a_continue_cycle_keeps_planning_and_an_adjustment_keeps_its_plan(
    store: Store,
) {
    // [policy] ND56 art. 30: after a `continue` review a new cycle needs its own meeting and
    // plan; that plan returned keeps the case in planning with a resubmission clock. A returned
    // adjustment of a plan in force starts no clock and leaves the case in progress.
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let today = test_today();
    let item = |days: u64| {
        json!([{"measure": "counselling_parents", "service_type": "psychological",
            "responsible": "Cán bộ xã", "starts_on": today.to_string(),
            "ends_on": (today + chrono::Days::new(days)).to_string()}])
    };
    // An approved plan reviewed with `continue`.
    let id = reviewed_with(&app, &cast, "continue").await;
    let case = |p: &str| format!("/cases/{id}{p}");
    let (status, problem) = app
        .post(
            &cast.worker,
            &case("/plan"),
            json!({"submitted_at": hours_ago(2), "items": item(20)}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "needs_meeting_missing");
    app.ok(
        &cast.approver,
        &case("/needs-meeting"),
        json!({"held_at": hours_ago(2),
        "chaired_by": "Chủ tịch UBND xã", "attendees": ["Mẹ"], "decisions": "Kế hoạch mới"}),
    )
    .await;
    app.ok(
        &cast.worker,
        &case("/plan"),
        json!({"submitted_at": hours_ago(2), "items": item(20)}),
    )
    .await;
    let doc = app
        .ok(
            &cast.approver,
            &case("/plan/decision"),
            json!({"decided_at": hours_ago(1),
            "decision": "return", "plan_version": 2, "comment": "Bổ sung hoạt động"}),
        )
        .await;
    assert_eq!(doc["status"], "planning", "{doc}");
    assert!(doc["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["rule_id"] == "plan_resubmission"));

    // An adjustment of a plan in force, returned.
    let id = reviewed_with(&app, &cast, "").await;
    let case = |p: &str| format!("/cases/{id}{p}");
    app.ok(
        &cast.worker,
        &case("/plan"),
        json!({"submitted_at": hours_ago(2), "items": item(25)}),
    )
    .await;
    let doc = app
        .ok(
            &cast.approver,
            &case("/plan/decision"),
            json!({"decided_at": hours_ago(1),
            "decision": "return", "plan_version": 2, "comment": "Giữ kế hoạch cũ"}),
        )
        .await;
    assert_eq!(doc["status"], "in_progress", "{doc}");
    assert!(!doc["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["rule_id"] == "plan_resubmission"));
}
both_stores!(a_plan_returned_in_a_continue_cycle_keeps_planning_and_an_adjustment_keeps_its_plan);
