//! A realistic few cases through the API, touching every kind of step the projector handles:
//! reports, assignment, assessments, a needs meeting before each plan, approval, services,
//! corrections, a review that proposes closure and the closure, a transfer to the other
//! commune, an emergency with a separation extended and ended, a worker's closure proposal.

use crate::helpers::*;
use serde_json::json;

/// The activity.
pub async fn realistic_activity(app: &TestApp, cast: &Cast) {
    let today = test_today();
    let mut ids = Vec::new();
    for i in 0..3 {
        let (_, opened) = app
            .post(
                &cast.hotline,
                "/reports",
                report_body(&hours_ago(40 - i), COMMUNE, &["Lò Thị Mai", "Lò Văn Nam"]),
            )
            .await;
        let id = opened["cases"][0]["id"].as_str().unwrap().to_owned();
        let case = |p: &str| format!("/cases/{id}{p}");
        app.ok(
            &cast.approver,
            &case("/assignment"),
            json!({"worker_id": cast.worker.id}),
        )
        .await;
        app.ok(
            &cast.worker,
            &case("/initial-assessment"),
            json!({"assessed_at": hours_ago(39 - i), "outcome": "support_needed", "findings": "x"}),
        )
        .await;
        app.ok(&cast.worker, &case("/detailed-assessment"), json!({"assessed_at": hours_ago(38 - i),
            "physical_psychological": "a", "family": "b", "risk_factors": "c", "schooling": "d", "community": "e",
            "needs": ["health"]}))
            .await;
        app.ok(
            &cast.approver,
            &case("/needs-meeting"),
            json!({"held_at": hours_ago(38 - i),
            "chaired_by": "Chủ tịch UBND xã", "attendees": ["Mẹ"], "decisions": "Khám sức khỏe"}),
        )
        .await;
        let doc = app
            .ok(&cast.worker, &case("/plan"), json!({"submitted_at": hours_ago(37 - i), "items": [
                {"measure": "medical_care_and_therapy", "service_type": "health", "responsible": "Trạm y tế",
                 "starts_on": today.to_string(), "ends_on": (today + chrono::Days::new(20)).to_string()}]}))
            .await;
        assert_eq!(doc["plan"]["version"], 1);
        let item = doc["plan"]["items"][0]["id"].as_str().unwrap().to_owned();
        app.ok(
            &cast.approver,
            &case("/plan/decision"),
            json!({"decided_at": hours_ago(36 - i), "decision": "approve", "plan_version": 1}),
        )
        .await;
        app.ok(&cast.worker, &case("/corrections"),
            json!({"corrects_event": 1, "field": "child.full_name", "value": "Lò Thị Mây", "reason": "Ghi nhầm tên"}))
            .await;
        app.ok(
            &cast.worker,
            &case("/services"),
            json!({"item_id": item, "delivered_at": hours_ago(35 - i), "completed": i == 0}),
        )
        .await;
        ids.push(id);
    }
    // The first: reviewed, closure proposed by the review, closed.
    let first = |p: &str| format!("/cases/{}{p}", ids[0]);
    let ratings = json!({"harm_severity": "low", "abuser_access": "low",
        "care_environment_obstacles": "low", "child_self_protection_recovery": "high"});
    app.ok(
        &cast.worker,
        &first("/review"),
        json!({"reviewed_at": hours_ago(30), "ratings": ratings, "outcome": "close"}),
    )
    .await;
    app.ok(
        &cast.approver,
        &first("/closure"),
        json!({"decided_at": hours_ago(29), "decision": "approve", "reason": "resolved"}),
    )
    .await;
    // The second: transferred to the other commune.
    app.ok(
        &cast.worker,
        &format!("/cases/{}/transfer", ids[1]),
        json!({"to_unit": OTHER_COMMUNE, "reason": "Gia đình chuyển về xã bên"}),
    )
    .await;
    // An emergency: urgent measures, a separation extended and ended.
    let e = app.report(&cast.hotline, &hours_ago(20)).await;
    let em = |p: &str| format!("/cases/{e}{p}");
    app.ok(
        &cast.worker,
        &em("/initial-assessment"),
        json!({"assessed_at": hours_ago(19),
        "outcome": "emergency", "grounds": ["caregiver_is_perpetrator"], "findings": "x"}),
    )
    .await;
    app.ok(
        &cast.worker,
        &em("/urgent-measures"),
        json!({"applied_at": hours_ago(18), "measures": ["stop_the_act"]}),
    )
    .await;
    app.ok(
        &cast.approver,
        &em("/separation"),
        json!({"decided_at": hours_ago(17),
        "until": vn(test_now() + chrono::Duration::days(2)), "placement": "Nhà bà ngoại"}),
    )
    .await;
    app.ok(
        &cast.approver,
        &em("/separation/extension"),
        extension_body(&vn(test_now() + chrono::Duration::days(4))),
    )
    .await;
    app.ok(
        &cast.approver,
        &em("/separation/end"),
        json!({"ended_at": hours_ago(2), "reason": "returned_home"}),
    )
    .await;
    // A duplicate report, closed on the worker's proposal.
    let d = app.report(&cast.hotline, &hours_ago(6)).await;
    app.ok(
        &cast.worker,
        &format!("/cases/{d}/closure/proposal"),
        json!({"proposed_at": hours_ago(5), "reason": "duplicate", "linked_case_id": e}),
    )
    .await;
    app.ok(
        &cast.approver,
        &format!("/cases/{d}/closure"),
        json!({"decided_at": hours_ago(4), "decision": "approve"}),
    )
    .await;
}
