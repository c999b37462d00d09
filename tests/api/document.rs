//! The case document (`projections/src/record.rs`, api.md "The case as returned"), checked field
//! by field after each step of a walk from a report to closure: a dropped or mis-mapped field
//! fails here. Times are compared as instants (the document writes UTC, the bodies Vietnam time).

use crate::both_stores;
use crate::helpers::*;
use serde_json::{json, Value};

/// Each (JSON pointer, expected value) must hold in `doc`.
#[track_caller]
pub fn check(doc: &Value, step: &str, expected: &[(&str, Value)]) {
    let mut wrong = Vec::new();
    for (pointer, want) in expected {
        let got = doc.pointer(pointer).cloned().unwrap_or(Value::Null);
        if !same(&got, want) {
            wrong.push(format!("{pointer}: expected {want}, got {got}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "after {step}:\n{}\n{doc}",
        wrong.join("\n")
    );
}

fn same(got: &Value, want: &Value) -> bool {
    let instant = |v: &Value| {
        v.as_str()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
    };
    match (instant(got), instant(want)) {
        (Some(a), Some(b)) => a == b,
        _ => got == want,
    }
}

async fn the_case_document_shows_every_step(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let (worker, approver) = (&cast.worker, &cast.approver);
    let wid = json!(worker.id);
    let aid = json!(approver.id);
    let mut body = report_body(&hours_ago(30), COMMUNE, &["Lò Thị Mai"]);
    body["reporter"]["address"] = json!("Bản Giang");
    body["children"][0]["condition"] = json!("Khuyết tật nhẹ");
    let (_, opened) = app.post(&cast.hotline, "/reports", body).await;
    let id = opened["cases"][0]["id"].as_str().unwrap().to_owned();
    let case = |p: &str| format!("/cases/{id}{p}");
    let (_, doc) = app.get(&cast.supervisor, &case("")).await;
    check(
        &doc,
        "the report",
        &[
            ("/id", json!(id)),
            ("/case_number", opened["cases"][0]["case_number"].clone()),
            ("/report_id", opened["report_id"].clone()),
            ("/status", json!("reported")),
            ("/acting_unit", json!(COMMUNE)),
            ("/incident_unit", json!(COMMUNE)),
            ("/received_at", json!(hours_ago(30))),
            ("/received_by", json!(cast.hotline.id)),
            ("/intake_point", json!("hotline_111")),
            ("/channel", json!("phone")),
            ("/target_group", json!("abused")),
            ("/abuse_types", json!(["violence"])),
            ("/abuse_environment", json!("family")),
            ("/perpetrator_relationship", json!("step_parent")),
            ("/immediate_danger", json!(true)),
            (
                "/description",
                json!("Hàng xóm báo trẻ bị đánh nhiều lần, có vết bầm tím."),
            ),
            ("/child/full_name", json!("Lò Thị Mai")),
            ("/child/estimated_age", json!(9)),
            ("/child/sex", json!("female")),
            ("/child/ethnicity", json!("Thái")),
            ("/child/residence_unit", json!(COMMUNE)),
            ("/child/school", json!("Trường Tiểu học Đoàn Kết")),
            ("/child/condition", json!("Khuyết tật nhẹ")),
            ("/reporter/name", json!("Nguyễn Văn An")),
            ("/reporter/phone", json!("0912345678")),
            ("/reporter/address", json!("Bản Giang")),
            ("/reporter/relationship", json!("neighbour")),
            ("/reporter/consent", json!(true)),
            ("/deadlines/0/rule_id", json!("initial_assessment")),
            ("/deadlines/0/started_at", json!(hours_ago(30))),
        ],
    );

    let doc = app
        .ok(
            approver,
            &case("/assignment"),
            json!({"worker_id": worker.id}),
        )
        .await;
    check(&doc, "assignment", &[("/assigned_to", wid.clone())]);

    let doc = app
        .ok(
            worker,
            &case("/initial-assessment"),
            json!({"assessed_at": hours_ago(29),
        "outcome": "emergency", "grounds": ["caregiver_is_perpetrator"],
        "ratings": {"harm_severity": "high"}, "findings": "Vết bầm ở tay"}),
        )
        .await;
    check(
        &doc,
        "the initial assessment",
        &[
            ("/status", json!("emergency")),
            ("/initial_assessment/assessed_at", json!(hours_ago(29))),
            ("/initial_assessment/outcome", json!("emergency")),
            (
                "/initial_assessment/grounds",
                json!(["caregiver_is_perpetrator"]),
            ),
            ("/initial_assessment/ratings/harm_severity", json!("high")),
            ("/initial_assessment/findings", json!("Vết bầm ở tay")),
            ("/initial_assessment/by/user_id", wid.clone()),
            ("/initial_assessment/by/role", json!("social_worker")),
            ("/initial_assessment/by/unit", json!(COMMUNE)),
        ],
    );

    let doc = app
        .ok(
            worker,
            &case("/urgent-measures"),
            json!({"applied_at": hours_ago(28),
        "measures": ["stop_the_act", "first_aid"], "notes": "Đưa trẻ đi khám"}),
        )
        .await;
    check(
        &doc,
        "urgent measures",
        &[
            ("/urgent_measures/0/applied_at", json!(hours_ago(28))),
            (
                "/urgent_measures/0/measures",
                json!(["stop_the_act", "first_aid"]),
            ),
            ("/urgent_measures/0/notes", json!("Đưa trẻ đi khám")),
            ("/urgent_measures/0/by/user_id", wid.clone()),
        ],
    );

    let until = vn(test_now() + chrono::Duration::days(3));
    let doc = app
        .ok(
            approver,
            &case("/separation"),
            json!({"decided_at": hours_ago(27),
        "until": until, "placement": "Nhà bà ngoại", "notes": "Bà đồng ý"}),
        )
        .await;
    check(
        &doc,
        "the separation",
        &[
            ("/separation/decided_at", json!(hours_ago(27))),
            ("/separation/until", json!(until)),
            ("/separation/placement", json!("Nhà bà ngoại")),
            ("/separation/notes", json!("Bà đồng ý")),
            ("/separation/decided_by/user_id", aid.clone()),
            ("/separation/ended_at", Value::Null),
        ],
    );
    let later = vn(test_now() + chrono::Duration::days(5));
    let doc = app
        .ok(
            approver,
            &case("/separation/extension"),
            extension_body(&later),
        )
        .await;
    check(
        &doc,
        "the extension",
        &[("/separation/until", json!(later))],
    );
    assert_eq!(
        doc["separation"]["extensions"].as_array().map(Vec::len),
        Some(1),
        "{doc}"
    );

    let doc = app
        .ok(
            worker,
            &case("/court-petitions"),
            json!({"filed_at": hours_ago(26),
        "court": "TAND tỉnh Lai Châu", "ground": "parents_refuse_plan", "notes": "Hồ sơ kèm"}),
        )
        .await;
    check(
        &doc,
        "the court petition",
        &[
            ("/court_actions/0/kind", json!("petition")),
            ("/court_actions/0/at", json!(hours_ago(26))),
            ("/court_actions/0/reference", json!("TAND tỉnh Lai Châu")),
            ("/court_actions/0/ground", json!("parents_refuse_plan")),
            ("/court_actions/0/notes", json!("Hồ sơ kèm")),
            ("/court_actions/0/by/user_id", wid.clone()),
        ],
    );
    let doc = app
        .ok(
            approver,
            &case("/court-orders"),
            json!({"ordered_at": hours_ago(25),
        "court_order_ref": "12/2026/QĐ-TA"}),
        )
        .await;
    check(
        &doc,
        "the court order",
        &[
            ("/court_actions/1/kind", json!("order")),
            ("/court_actions/1/at", json!(hours_ago(25))),
            ("/court_actions/1/reference", json!("12/2026/QĐ-TA")),
            ("/court_actions/1/by/user_id", aid.clone()),
        ],
    );
    assert_ne!(
        doc["court_actions"][0]["kind"], doc["court_actions"][1]["kind"],
        "{doc}"
    );
    let doc = app
        .ok(
            approver,
            &case("/separation/end"),
            json!({"ended_at": hours_ago(24),
        "reason": "court_order", "court_order_ref": "12/2026/QĐ-TA"}),
        )
        .await;
    check(
        &doc,
        "the end of the separation",
        &[
            ("/separation/ended_at", json!(hours_ago(24))),
            ("/separation/end_reason", json!("court_order")),
            ("/separation/court_order_ref", json!("12/2026/QĐ-TA")),
        ],
    );

    let doc = app.ok(worker, &case("/detailed-assessment"), json!({"assessed_at": hours_ago(23),
        "physical_psychological": "Bầm tím", "family": "Mẹ và cha dượng", "risk_factors": "Rượu",
        "schooling": "Đi học đều", "community": "Hàng xóm hỗ trợ", "needs": ["health", "psychological"],
        "child_view": "Muốn ở với bà"})).await;
    check(
        &doc,
        "the detailed assessment",
        &[
            ("/status", json!("planning")),
            ("/detailed_assessment/assessed_at", json!(hours_ago(23))),
            (
                "/detailed_assessment/physical_psychological",
                json!("Bầm tím"),
            ),
            ("/detailed_assessment/family", json!("Mẹ và cha dượng")),
            ("/detailed_assessment/risk_factors", json!("Rượu")),
            ("/detailed_assessment/schooling", json!("Đi học đều")),
            ("/detailed_assessment/community", json!("Hàng xóm hỗ trợ")),
            (
                "/detailed_assessment/needs",
                json!(["health", "psychological"]),
            ),
            ("/detailed_assessment/child_view", json!("Muốn ở với bà")),
            ("/detailed_assessment/by/user_id", wid.clone()),
        ],
    );
    let doc = app.ok(approver, &case("/needs-meeting"), json!({"held_at": hours_ago(22),
        "chaired_by": "Chủ tịch UBND xã", "attendees": ["Mẹ", "Trưởng bản"], "decisions": "Khám sức khỏe"})).await;
    check(
        &doc,
        "the needs meeting",
        &[
            ("/needs_meeting/held_at", json!(hours_ago(22))),
            ("/needs_meeting/chaired_by", json!("Chủ tịch UBND xã")),
            ("/needs_meeting/attendees", json!(["Mẹ", "Trưởng bản"])),
            ("/needs_meeting/decisions", json!("Khám sức khỏe")),
            ("/needs_meeting/by/user_id", aid.clone()),
        ],
    );
    crate::document_plan::plan_to_closure(&app, &cast, &id).await;
}
both_stores!(the_case_document_shows_every_step);
