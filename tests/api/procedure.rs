//! The whole procedure over HTTP, from a hotline report to closure, as the users walk it.

use crate::both_stores;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

async fn report_to_closure(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;

    // 02:10 a call to 111; typed in at once.
    let received_at = hours_ago(30);
    let (status, opened) = app
        .post(
            &cast.hotline,
            "/reports",
            report_body(&received_at, COMMUNE, &["Lò Thị Mai", "Lò Văn Nam"]),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let cases = opened["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2, "one case per child");
    let id = cases[0]["id"].as_str().unwrap().to_owned();
    let number = cases[0]["case_number"].as_str().unwrap().to_owned();
    assert!(
        number.starts_with("12-"),
        "case numbers are per province: {number}"
    );
    assert_ne!(cases[1]["case_number"], cases[0]["case_number"]);
    let case = |path: &str| format!("/cases/{id}{path}");

    // The commune chair assigns the worker.
    let doc = app
        .ok(
            &cast.approver,
            &case("/assignment"),
            json!({"worker_id": cast.worker.id}),
        )
        .await;
    assert_eq!(doc["assigned_to"], json!(cast.worker.id));
    assert_eq!(doc["status"], "reported");

    // Initial assessment: emergency (the step-father hits the child).
    let doc = app
        .ok(
            &cast.worker,
            &case("/initial-assessment"),
            json!({"assessed_at": hours_ago(28), "outcome": "emergency",
                   "grounds": ["caregiver_is_perpetrator", "serious_harm_or_threat"],
                   "findings": "Vết bầm ở tay và lưng; trẻ sợ về nhà."}),
        )
        .await;
    assert_eq!(doc["status"], "emergency");
    let rules: Vec<&str> = doc["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule_id"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"urgent_measures"), "{rules:?}");
    // The worker may not see who reported.
    assert!(
        doc.get("reporter").is_none(),
        "reporter identity leaked to the worker"
    );

    // Urgent measures and a temporary separation decided by the chair.
    let doc = app
        .ok(
            &cast.worker,
            &case("/urgent-measures"),
            json!({"applied_at": hours_ago(27), "measures": ["stop_the_act", "first_aid"]}),
        )
        .await;
    assert_eq!(doc["status"], "assessment");
    let until = (app.clock.now() + chrono::Duration::days(5)).to_rfc3339();
    app.ok(&cast.approver, &case("/separation"),
        json!({"decided_at": hours_ago(26), "until": until, "placement": "Nhà bà ngoại, thôn Bản Giang"}))
        .await;

    // Detailed assessment, needs meeting, plan.
    let doc = app
        .ok(&cast.worker, &case("/detailed-assessment"), json!({
            "assessed_at": hours_ago(24),
            "physical_psychological": "Bầm tím, lo âu", "family": "Mẹ và cha dượng; cha dượng nghiện rượu",
            "risk_factors": "Cha dượng uống rượu", "schooling": "Đi học đều", "community": "Hàng xóm hỗ trợ",
            "needs": ["health", "psychological"], "child_view": "Muốn ở với bà"}))
        .await;
    assert_eq!(doc["status"], "planning");
    app.ok(&cast.approver, &case("/needs-meeting"), json!({
        "held_at": hours_ago(23), "chaired_by": "Chủ tịch UBND phường", "attendees": ["Mẹ", "Trưởng bản"],
        "decisions": "Khám sức khỏe, tư vấn tâm lý"}))
        .await;
    let today = test_today();
    let doc = app
        .ok(&cast.worker, &case("/plan"), json!({
            "submitted_at": hours_ago(22),
            "items": [
                {"measure": "medical_care_and_therapy", "service_type": "health", "responsible": "Trạm y tế phường",
                 "starts_on": today.to_string(), "ends_on": (today + chrono::Days::new(10)).to_string(), "cost_estimate_vnd": 500000},
                {"measure": "risk_warning_and_counselling", "service_type": "psychological", "responsible": "Cán bộ LĐTBXH",
                 "starts_on": today.to_string(), "ends_on": (today + chrono::Days::new(30)).to_string()}
            ]}))
        .await;
    assert_eq!(doc["status"], "awaiting_approval");
    assert_eq!(doc["plan"]["version"], 1);

    // A decision bound to another version is refused.
    let (status, problem) = app
        .post(
            &cast.approver,
            &case("/plan/decision"),
            json!({"decided_at": hours_ago(21), "decision": "approve", "plan_version": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "plan_version_mismatch");

    let doc = app
        .ok(
            &cast.approver,
            &case("/plan/decision"),
            json!({"decided_at": hours_ago(21), "decision": "approve", "plan_version": 1}),
        )
        .await;
    assert_eq!(doc["status"], "in_progress");
    let item = doc["plan"]["items"][0]["id"].as_str().unwrap().to_owned();

    // Services, a referral, a review that closes.
    app.ok(&cast.worker, &case("/services"),
        json!({"item_id": item, "delivered_at": hours_ago(20), "completed": true, "notes": "Đã khám"}))
        .await;
    app.ok(&cast.worker, &case("/referrals"),
        json!({"referred_at": hours_ago(19), "to": "Công an phường Đoàn Kết", "notes": "Hành vi bạo lực"}))
        .await;
    app.ok(
        &cast.approver,
        &case("/separation/end"),
        json!({"ended_at": hours_ago(10), "reason": "returned_home"}),
    )
    .await;
    let doc = app
        .ok(&cast.worker, &case("/review"), json!({
            "reviewed_at": hours_ago(2), "outcome": "close",
            "ratings": {"harm_severity": "low", "abuser_access": "low",
                        "care_environment_obstacles": "low", "child_self_protection_recovery": "high"}}))
        .await;
    assert_eq!(doc["status"], "closure_proposed");

    // Only the chair closes.
    let (status, problem) = app
        .post(
            &cast.worker,
            &case("/closure"),
            json!({"decided_at": hours_ago(1), "decision": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let doc = app
        .ok(
            &cast.approver,
            &case("/closure"),
            json!({"decided_at": hours_ago(1), "decision": "approve"}),
        )
        .await;
    assert_eq!(doc["status"], "closed");
    assert_eq!(doc["closure"]["reason"], "resolved");

    // A closed case accepts nothing more.
    let (status, problem) = app
        .post(&cast.worker, &case("/notes"), json!({"text": "thêm"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "case_closed");

    // The supervisor reads it whole, by number too; the reporter is visible to supervisors.
    let (status, doc) = app
        .get(&cast.supervisor, &format!("/cases/by-number/{number}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    assert_eq!(doc["id"], json!(id));
    assert_eq!(doc["reporter"]["name"], "Nguyễn Văn An");
    let (status, history) = app.get(&cast.supervisor, &case("/history")).await;
    assert_eq!(status, StatusCode::OK);
    let types: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types[0], "CaseReported");
    assert!(types.contains(&"CaseClosed"));
    assert!(history["items"][0]["actor"]["username"] == "tongdai111");
}

both_stores!(report_to_closure);
