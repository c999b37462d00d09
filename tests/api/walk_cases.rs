//! The case part of `walks`: case A goes from an emergency with a separation, a court order,
//! a plan, a service, a review to a resolved closure; case B is transferred to the other commune,
//! whose lists and boards then show it, and closed there on a worker's proposal.

use crate::helpers::*;
use crate::walker::{ids, Walker};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Case A; returns its id.
pub async fn case_a(w: &mut Walker<'_>, cast: &Cast) -> String {
    let g = Method::GET;
    let p = Method::POST;
    let s = &cast.supervisor;
    // Case A: an emergency with a separation, a court order, a plan, a review, a closure.
    let report = report_body(&hours_ago(40), COMMUNE, &["Lò Thị Mai"]);
    w.refused(
        p.clone(),
        "/reports",
        "/reports",
        Some(&cast.approver),
        Some(report.clone()),
        StatusCode::FORBIDDEN,
    )
    .await;
    let opened = w
        .ok(
            p.clone(),
            "/reports",
            "/reports",
            &cast.hotline,
            Some(report),
        )
        .await;
    let a = opened["cases"][0]["id"].as_str().unwrap().to_owned();
    let number = opened["cases"][0]["case_number"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_number = format!("/cases/by-number/{number}");
    let doc = w
        .ok(
            g.clone(),
            "/cases/by-number/{number}",
            &by_number,
            &cast.worker,
            None,
        )
        .await;
    assert_eq!(doc["id"], a.as_str());
    w.refused(
        g.clone(),
        "/cases/by-number/{number}",
        &by_number,
        Some(&cast.other_worker),
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    let doc = w
        .command(
            &a,
            "/assignment",
            &cast.approver,
            &cast.hotline,
            json!({"worker_id": cast.worker.id}),
        )
        .await;
    assert_eq!(doc["assigned_to"], json!(cast.worker.id));
    let doc = w.command(&a, "/initial-assessment", &cast.worker, s, json!({"assessed_at": hours_ago(39),
        "outcome": "emergency", "grounds": ["caregiver_is_perpetrator"], "findings": "Vết bầm ở tay"})).await;
    assert_eq!(doc["status"], "emergency");
    w.command(
        &a,
        "/urgent-measures",
        &cast.worker,
        &cast.approver,
        json!({"applied_at": hours_ago(38), "measures": ["stop_the_act"]}),
    )
    .await;
    let until = vn(test_now() + chrono::Duration::days(3));
    let doc = w
        .command(
            &a,
            "/separation",
            &cast.approver,
            &cast.worker,
            json!({"decided_at": hours_ago(37), "until": until, "placement": "Nhà bà ngoại"}),
        )
        .await;
    assert_eq!(doc["separation"]["placement"], "Nhà bà ngoại");
    let later = vn(test_now() + chrono::Duration::days(6));
    let doc = w
        .command(
            &a,
            "/separation/extension",
            &cast.approver,
            &cast.worker,
            extension_body(&later),
        )
        .await;
    let extended: chrono::DateTime<chrono::Utc> = doc["separation"]["until"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(extended, test_now() + chrono::Duration::days(6), "{doc}");
    w.command(
        &a,
        "/court-petitions",
        &cast.worker,
        &cast.hotline,
        json!({"filed_at": hours_ago(36),
        "court": "Tòa án nhân dân tỉnh Lai Châu", "ground": "parents_refuse_plan"}),
    )
    .await;
    w.command(
        &a,
        "/court-orders",
        &cast.approver,
        s,
        json!({"ordered_at": hours_ago(35), "court_order_ref": "12/2026/QĐ-TA"}),
    )
    .await;
    let doc = w
        .command(
            &a,
            "/separation/end",
            &cast.approver,
            &cast.worker,
            json!({"ended_at": hours_ago(34),
        "reason": "court_order", "court_order_ref": "12/2026/QĐ-TA"}),
        )
        .await;
    assert_eq!(doc["separation"]["end_reason"], "court_order", "{doc}");
    w.command(
        &a,
        "/detailed-assessment",
        &cast.worker,
        &cast.approver,
        json!({"assessed_at": hours_ago(33),
        "physical_psychological": "Bầm tím", "family": "Mẹ và cha dượng", "risk_factors": "Rượu",
        "schooling": "Đi học đều", "community": "Hàng xóm hỗ trợ", "needs": ["health"]}),
    )
    .await;
    w.command(
        &a,
        "/needs-meeting",
        &cast.approver,
        &cast.hotline,
        json!({"held_at": hours_ago(32),
        "chaired_by": "Chủ tịch UBND xã", "attendees": ["Mẹ"], "decisions": "Khám sức khỏe"}),
    )
    .await;
    let today = test_today();
    let doc = w.command(&a, "/plan", &cast.worker, &cast.approver, json!({"submitted_at": hours_ago(31),
        "items": [{"measure": "medical_care_and_therapy", "service_type": "health", "responsible": "Trạm y tế xã",
        "starts_on": today.to_string(), "ends_on": (today + chrono::Days::new(10)).to_string()}]})).await;
    let item = doc["plan"]["items"][0]["id"].as_str().unwrap().to_owned();
    let doc = w
        .command(
            &a,
            "/plan/decision",
            &cast.approver,
            &cast.worker,
            json!({"decided_at": hours_ago(30), "decision": "approve", "plan_version": 1}),
        )
        .await;
    assert_eq!(doc["plan"]["status"], "approved");
    w.command(
        &a,
        "/services",
        &cast.worker,
        &cast.approver,
        json!({"item_id": item, "delivered_at": hours_ago(29), "completed": true}),
    )
    .await;
    w.command(
        &a,
        "/referrals",
        &cast.worker,
        &cast.approver,
        json!({"referred_at": hours_ago(28), "to": "Công an xã"}),
    )
    .await;
    // An admin is no case role: the case is hidden from it.
    let notes = format!("/cases/{a}/notes");
    let note = json!({"text": "Đã gọi điện cho mẹ"});
    w.refused(
        p.clone(),
        "/cases/{id}/notes",
        &notes,
        Some(&cast.admin),
        Some(note.clone()),
        StatusCode::NOT_FOUND,
    )
    .await;
    let doc = w
        .ok(
            p.clone(),
            "/cases/{id}/notes",
            &notes,
            &cast.worker,
            Some(note),
        )
        .await;
    assert_eq!(doc["notes"][0]["text"], "Đã gọi điện cho mẹ", "{doc}");
    let history = w
        .ok(
            g.clone(),
            "/cases/{id}/history",
            &format!("/cases/{a}/history"),
            s,
            None,
        )
        .await;
    w.refused(
        g.clone(),
        "/cases/{id}/history",
        &format!("/cases/{a}/history"),
        Some(&cast.worker),
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
    let assessed = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "InitialAssessmentRecorded")
        .map(|e| e["sequence"].clone())
        .expect("the assessment in the history");
    w.command(
        &a,
        "/corrections",
        &cast.worker,
        &cast.hotline,
        json!({"corrects_event": assessed,
        "field": "findings", "value": "Vết bầm ở tay và lưng", "reason": "Gõ thiếu"}),
    )
    .await;
    let ratings = json!({"harm_severity": "low", "abuser_access": "low",
        "care_environment_obstacles": "low", "child_self_protection_recovery": "high"});
    let doc = w
        .command(
            &a,
            "/review",
            &cast.worker,
            &cast.approver,
            json!({"reviewed_at": hours_ago(27), "ratings": ratings, "outcome": "close"}),
        )
        .await;
    assert_eq!(doc["status"], "closure_proposed", "{doc}");
    let doc = w
        .command(
            &a,
            "/closure",
            &cast.approver,
            &cast.worker,
            json!({"decided_at": hours_ago(26), "decision": "approve", "reason": "resolved"}),
        )
        .await;
    assert_eq!(doc["status"], "closed");
    assert_eq!(doc["closure"]["reason"], "resolved");
    w.ok(
        g.clone(),
        "/cases/{id}",
        &format!("/cases/{a}"),
        &cast.worker,
        None,
    )
    .await;
    w.refused(
        g.clone(),
        "/cases/{id}",
        &format!("/cases/{a}"),
        Some(&cast.other_worker),
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    w.ok(
        g.clone(),
        "/cases/{id}/access-log",
        &format!("/cases/{a}/access-log"),
        s,
        None,
    )
    .await;
    w.refused(
        g.clone(),
        "/cases/{id}/access-log",
        &format!("/cases/{a}/access-log"),
        Some(&cast.approver),
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
    // The dossier of the closed case: every form of it, or one; another commune's is not found.
    let dossier = w
        .ok(
            g.clone(),
            "/cases/{id}/dossier",
            &format!("/cases/{a}/dossier"),
            &cast.worker,
            None,
        )
        .await;
    assert_eq!(
        dossier["forms"].as_array().map(Vec::len),
        Some(7),
        "{dossier}"
    );
    w.ok(
        g.clone(),
        "/cases/{id}/dossier",
        &format!("/cases/{a}/dossier?form=06"),
        s,
        None,
    )
    .await;
    w.refused(
        g.clone(),
        "/cases/{id}/dossier",
        &format!("/cases/{a}/dossier"),
        Some(&cast.other_worker),
        None,
        StatusCode::NOT_FOUND,
    )
    .await;

    a
}

/// Case B, transferred and closed as a duplicate of `a`.
pub async fn case_b(w: &mut Walker<'_>, cast: &Cast, a: &str) {
    let g = Method::GET;
    let p = Method::POST;
    // Case B: transferred to the other commune, which proposes and decides its closure.
    let b = w.app.report(&cast.hotline, &hours_ago(10)).await;
    let doc = w
        .command(
            &b,
            "/transfer",
            &cast.worker,
            &cast.hotline,
            json!({"to_unit": OTHER_COMMUNE, "reason": "Gia đình chuyển về xã bên"}),
        )
        .await;
    assert_eq!(doc["acting_unit"], OTHER_COMMUNE, "{doc}");
    // The lists and boards follow the transfer (the projector's CaseTransferred).
    let list = w
        .ok(g.clone(), "/cases", "/cases", &cast.other_worker, None)
        .await;
    assert!(ids(&list).contains(&b), "the new commune lists it: {list}");
    let list = w
        .ok(g.clone(), "/cases", "/cases", &cast.worker, None)
        .await;
    assert!(
        !ids(&list).contains(&b),
        "the old commune no longer lists it: {list}"
    );
    w.refused(
        g.clone(),
        "/cases",
        "/cases",
        Some(&cast.admin),
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
    let board = w
        .ok(
            g.clone(),
            "/deadlines",
            "/deadlines",
            &cast.other_approver,
            None,
        )
        .await;
    assert!(ids(&board).contains(&b), "the new commune's board: {board}");
    let board = w
        .ok(g.clone(), "/deadlines", "/deadlines", &cast.approver, None)
        .await;
    assert!(
        !ids(&board).contains(&b),
        "the old commune's board: {board}"
    );
    w.refused(
        g.clone(),
        "/deadlines",
        "/deadlines",
        Some(&cast.hotline),
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
    let load = w
        .ok(
            g.clone(),
            "/caseload",
            &format!("/caseload?unit={OTHER_COMMUNE}"),
            &cast.other_approver,
            None,
        )
        .await;
    assert!(
        load.to_string().contains(&b),
        "the new commune's caseload: {load}"
    );
    w.refused(
        g.clone(),
        "/caseload",
        "/caseload",
        Some(&cast.hotline),
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
    w.refused(
        g.clone(),
        "/cases/{id}",
        &format!("/cases/{b}"),
        Some(&cast.worker),
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    let doc = w
        .command(
            &b,
            "/closure/proposal",
            &cast.other_worker,
            &cast.other_approver,
            json!({"proposed_at": hours_ago(9), "reason": "duplicate", "linked_case_id": a}),
        )
        .await;
    assert_eq!(doc["status"], "closure_proposed", "{doc}");
    let doc = w
        .ok(
            p.clone(),
            "/cases/{id}/closure",
            &format!("/cases/{b}/closure"),
            &cast.other_approver,
            Some(json!({"decided_at": hours_ago(8), "decision": "approve"})),
        )
        .await;
    assert_eq!(doc["closure"]["reason"], "duplicate", "{doc}");
}
