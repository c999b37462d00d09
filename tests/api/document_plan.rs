//! The second half of `document`: the plan and its decision, services, referrals, notes, a
//! correction, the review and the closure, each checked in the case document.

use crate::document::check;
use crate::helpers::*;
use serde_json::{json, Value};

pub async fn plan_to_closure(app: &TestApp, cast: &Cast, id: &str) {
    let (worker, approver) = (&cast.worker, &cast.approver);
    let wid = json!(worker.id);
    let aid = json!(approver.id);
    let case = |p: &str| format!("/cases/{id}{p}");
    let today = test_today();
    let ends = today + chrono::Days::new(10);
    let doc = app.ok(worker, &case("/plan"), json!({"submitted_at": hours_ago(21), "items": [
        {"measure": "medical_care_and_therapy", "service_type": "health", "responsible": "Trạm y tế xã",
         "provider": "Bệnh viện huyện", "starts_on": today.to_string(), "ends_on": ends.to_string(),
         "cost_estimate_vnd": 500000}]})).await;
    check(
        &doc,
        "the plan",
        &[
            ("/status", json!("awaiting_approval")),
            ("/plan/version", json!(1)),
            ("/plan/status", json!("submitted")),
            ("/plan/submitted_at", json!(hours_ago(21))),
            ("/plan/submitted_by/user_id", wid.clone()),
            ("/plan/items/0/measure", json!("medical_care_and_therapy")),
            ("/plan/items/0/service_type", json!("health")),
            ("/plan/items/0/responsible", json!("Trạm y tế xã")),
            ("/plan/items/0/provider", json!("Bệnh viện huyện")),
            ("/plan/items/0/starts_on", json!(today.to_string())),
            ("/plan/items/0/ends_on", json!(ends.to_string())),
            ("/plan/items/0/cost_estimate_vnd", json!(500000)),
            ("/plan/items/0/completed", json!(false)),
            ("/plans/0/version", json!(1)),
        ],
    );
    let item = doc["plan"]["items"][0]["id"].as_str().unwrap().to_owned();
    let doc = app
        .ok(
            approver,
            &case("/plan/decision"),
            json!({"decided_at": hours_ago(20),
        "decision": "approve", "plan_version": 1, "comment": "Đồng ý"}),
        )
        .await;
    check(
        &doc,
        "the approval",
        &[
            ("/status", json!("in_progress")),
            ("/plan/status", json!("approved")),
            ("/plan/decided_at", json!(hours_ago(20))),
            ("/plan/decided_by/user_id", aid.clone()),
            ("/plan/comment", json!("Đồng ý")),
        ],
    );
    let doc = app
        .ok(
            worker,
            &case("/services"),
            json!({"item_id": item, "delivered_at": hours_ago(19),
        "notes": "Đã khám", "completed": true}),
        )
        .await;
    check(
        &doc,
        "a service",
        &[
            (
                "/plan/items/0/deliveries/0/delivered_at",
                json!(hours_ago(19)),
            ),
            ("/plan/items/0/deliveries/0/notes", json!("Đã khám")),
            ("/plan/items/0/deliveries/0/completed", json!(true)),
            ("/plan/items/0/completed", json!(true)),
        ],
    );
    let doc = app
        .ok(
            worker,
            &case("/referrals"),
            json!({"referred_at": hours_ago(18),
        "to": "Công an xã", "service_type": "legal", "notes": "Hành vi bạo lực"}),
        )
        .await;
    check(
        &doc,
        "a referral",
        &[
            ("/referrals/0/referred_at", json!(hours_ago(18))),
            ("/referrals/0/to", json!("Công an xã")),
            ("/referrals/0/service_type", json!("legal")),
            ("/referrals/0/notes", json!("Hành vi bạo lực")),
            ("/referrals/0/by/user_id", wid.clone()),
        ],
    );
    let doc = app
        .ok(approver, &case("/notes"), json!({"text": "Đã gọi cho mẹ"}))
        .await;
    check(
        &doc,
        "a note",
        &[
            ("/notes/0/text", json!("Đã gọi cho mẹ")),
            ("/notes/0/by/user_id", aid.clone()),
        ],
    );
    let (_, history) = app.get(&cast.supervisor, &case("/history")).await;
    let assessed = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "InitialAssessmentRecorded")
        .map(|e| e["sequence"].clone())
        .unwrap();
    let doc = app
        .ok(
            worker,
            &case("/corrections"),
            json!({"corrects_event": assessed,
        "field": "findings", "value": "Vết bầm ở tay và lưng", "reason": "Gõ thiếu"}),
        )
        .await;
    check(
        &doc,
        "a correction",
        &[
            (
                "/initial_assessment/findings",
                json!("Vết bầm ở tay và lưng"),
            ),
            ("/corrections/0/corrects_sequence", assessed.clone()),
            ("/corrections/0/field", json!("findings")),
            ("/corrections/0/reason", json!("Gõ thiếu")),
            ("/corrections/0/by/user_id", wid.clone()),
        ],
    );
    let ratings = json!({"harm_severity": "low", "abuser_access": "low",
        "care_environment_obstacles": "medium", "child_self_protection_recovery": "high"});
    let doc = app
        .ok(
            worker,
            &case("/review"),
            json!({"reviewed_at": hours_ago(17),
        "ratings": ratings, "outcome": "close", "notes": "Trẻ đã ổn định"}),
        )
        .await;
    check(
        &doc,
        "the review",
        &[
            ("/status", json!("closure_proposed")),
            ("/reviews/0/reviewed_at", json!(hours_ago(17))),
            ("/reviews/0/ratings", ratings.clone()),
            ("/reviews/0/outcome", json!("close")),
            ("/reviews/0/notes", json!("Trẻ đã ổn định")),
            ("/reviews/0/by/user_id", wid.clone()),
            ("/closure_proposal/proposed_at", json!(hours_ago(17))),
            ("/closure_proposal/reason", json!("resolved")),
            ("/closure_proposal/origin", json!("review")),
        ],
    );
    let doc = app
        .ok(
            approver,
            &case("/closure"),
            json!({"decided_at": hours_ago(16),
        "decision": "approve", "reason": "resolved", "comment": "Kết thúc"}),
        )
        .await;
    check(
        &doc,
        "the closure",
        &[
            ("/status", json!("closed")),
            ("/closure/decided_at", json!(hours_ago(16))),
            ("/closure/reason", json!("resolved")),
            ("/closure/comment", json!("Kết thúc")),
            ("/closure/by/user_id", aid),
        ],
    );
    // What a worker may not see stays absent; the same document again on a plain read.
    assert!(
        doc.get("reporter").is_none(),
        "the worker sees no reporter: {doc}"
    );
    let (_, read) = app.get(approver, &case("")).await;
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("deadlines");
        v
    };
    assert_eq!(
        strip(read),
        strip(doc),
        "a read answers what the command answered"
    );
}
