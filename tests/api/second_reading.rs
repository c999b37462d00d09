//! The procedure's second reading (issue 8) over HTTP on both stores: clocks by business time,
//! separations outside emergencies, the needs meeting before the plan, the non-offending
//! parent's view, transfers to communes only, juvenile cases, review and closure cycles.

use crate::both_stores;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn deadline<'a>(doc: &'a Value, rule: &str) -> Vec<&'a Value> {
    doc["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule_id"] == rule)
        .collect()
}

/// `days` from the server's now, to the second (stores keep microseconds).
fn until_in(app: &TestApp, days: i64) -> String {
    use chrono::{DurationRound, TimeDelta};
    let at = app.clock.now() + chrono::Duration::days(days);
    vn(at.duration_trunc(TimeDelta::seconds(1)).unwrap_or(at))
}

async fn the_chairs_separation_typed_first_does_not_make_the_12_hour_clock_late(store: Store) {
    // ND56 art. 26(3), 31(2), 32(2): received 30 h ago; the urgent response is due 12 h later.
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let id = app.report(&cast.hotline, &hours_ago(30)).await;
    let case = |p: &str| format!("/cases/{id}{p}");
    app.ok(
        &cast.worker,
        &case("/initial-assessment"),
        json!({"assessed_at": hours_ago(29),
        "outcome": "emergency", "grounds": ["caregiver_is_perpetrator"], "findings": "Bầm tím"}),
    )
    .await;
    // The chair's separation, 14 h after the report, typed first: met late.
    let doc = app
        .ok(
            &cast.approver,
            &case("/separation"),
            json!({"decided_at": hours_ago(16),
            "until": until_in(&app, 5), "placement": "Nhà bà ngoại"}),
        )
        .await;
    assert_eq!(
        deadline(&doc, "urgent_measures")[0]["state"],
        "met_late",
        "{doc}"
    );
    // The worker's measures, taken 5 h after the report, typed after: met on time.
    let doc = app
        .ok(
            &cast.worker,
            &case("/urgent-measures"),
            json!({"applied_at": hours_ago(25), "measures": ["stop_the_act"]}),
        )
        .await;
    assert_eq!(
        deadline(&doc, "urgent_measures")[0]["state"],
        "met",
        "{doc}"
    );
    // The plan clock runs from the measures, the earliest first response.
    let plans = deadline(&doc, "plan_submission");
    let open: Vec<_> = plans.iter().filter(|d| d["state"] != "cancelled").collect();
    assert_eq!(open.len(), 1, "{doc}");
    assert_eq!(
        open[0]["started_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        hours_ago(25)
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    );
}
both_stores!(the_chairs_separation_typed_first_does_not_make_the_12_hour_clock_late);

async fn a_separation_is_decided_outside_an_emergency_by_the_residence_chair(store: Store) {
    // ND56 art. 32(1)–(3): the parents do not carry out the plan; the child lives in the other
    // commune, whose chair decides; due at the decided end; one 15-day total per case.
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let mut body = report_body(&hours_ago(48), COMMUNE, &["Lò Thị Mai"]);
    body["children"][0]["residence_unit"] = json!(OTHER_COMMUNE);
    body["perpetrator_relationship"] = json!("relative");
    let opened = app.ok(&cast.hotline, "/reports", body).await;
    let id = opened["cases"][0]["id"].as_str().unwrap().to_owned();
    let case = |p: &str| format!("/cases/{id}{p}");
    app.ok(
        &cast.worker,
        &case("/initial-assessment"),
        json!({"assessed_at": hours_ago(47),
        "outcome": "support_needed", "findings": "Cần hỗ trợ"}),
    )
    .await;
    // Without a ground the case's facts show none (a relative, not a carer).
    let (status, problem) = app
        .post(
            &cast.other_approver,
            &case("/separation"),
            json!({"decided_at": hours_ago(40),
            "until": until_in(&app, 3), "placement": "Nhà bác"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["code"], "separation_grounds_required");
    let until = until_in(&app, 3);
    let doc = app
        .ok(
            &cast.other_approver,
            &case("/separation"),
            json!({"decided_at": hours_ago(40),
            "until": until, "grounds": ["caregiver_refuses_plan"], "placement": "Nhà bác"}),
        )
        .await;
    assert_eq!(
        doc["separation"]["grounds"],
        json!(["caregiver_refuses_plan"])
    );
    let end = deadline(&doc, "separation_end");
    assert_eq!(
        end[0]["due_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        until.parse::<chrono::DateTime<chrono::Utc>>().unwrap()
    );
    // An extension with its own business time moves the clock.
    let later = until_in(&app, 6);
    let doc = app
        .ok(
            &cast.other_approver,
            &case("/separation/extension"),
            json!({"extended_at": hours_ago(20), "until": later}),
        )
        .await;
    let open: Vec<_> = deadline(&doc, "separation_end")
        .into_iter()
        .filter(|d| d["state"] != "cancelled")
        .collect();
    assert_eq!(open.len(), 1, "{doc}");
    assert_eq!(
        open[0]["due_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        later.parse::<chrono::DateTime<chrono::Utc>>().unwrap()
    );
    // Ended after 2 days; a new separation has what is left of the 15 days, no more.
    app.ok(
        &cast.other_approver,
        &case("/separation/end"),
        json!({"ended_at": hours_ago(2), "reason": "returned_home"}),
    )
    .await;
    let (status, problem) = app
        .post(&cast.approver, &case("/separation"), json!({"decided_at": hours_ago(1),
            "until": until_in(&app, 14), "grounds": ["risk_of_further_abuse"], "placement": "Nhà bác"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["code"], "separation_exceeds_15_days");
    app.ok(
        &cast.approver,
        &case("/separation"),
        json!({"decided_at": hours_ago(1),
        "until": until_in(&app, 10), "grounds": ["risk_of_further_abuse"], "placement": "Nhà bác"}),
    )
    .await;
}
both_stores!(a_separation_is_decided_outside_an_emergency_by_the_residence_chair);

/// A case in planning: assessed (support needed) and assessed in detail, with `parent_view`.
async fn planning(app: &TestApp, cast: &Cast, view: Value) -> (String, StatusCode, Value) {
    let id = app.report(&cast.hotline, &hours_ago(60)).await;
    app.ok(
        &cast.worker,
        &format!("/cases/{id}/initial-assessment"),
        json!({
        "assessed_at": hours_ago(59), "outcome": "support_needed", "findings": "Cần hỗ trợ"}),
    )
    .await;
    let mut body = json!({"assessed_at": hours_ago(50), "physical_psychological": "Lo âu",
        "family": "Mẹ và cha dượng", "risk_factors": "Cha dượng uống rượu", "schooling": "Đi học",
        "community": "Hàng xóm hỗ trợ", "needs": ["psychological"]});
    if let (Some(body), Some(view)) = (body.as_object_mut(), view.as_object()) {
        body.extend(view.clone());
    }
    let (status, doc) = app
        .post(
            &cast.worker,
            &format!("/cases/{id}/detailed-assessment"),
            body,
        )
        .await;
    (id, status, doc)
}

async fn only_the_offending_carers_view_is_refused(store: Store) {
    // ND56 art. 27(1)(h): the step-father abused the child (report_body); the mother's view is
    // recorded and says whose it is; his is refused.
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let (_, status, doc) = planning(
        &app,
        &cast,
        json!({"parent_view": "Mẹ muốn cha dượng rời khỏi nhà", "parent_view_by": "mother"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    assert_eq!(doc["detailed_assessment"]["parent_view_by"], "mother");
    let (_, status, problem) = planning(
        &app,
        &cast,
        json!({"parent_view": "Không có gì", "parent_view_by": "step_father"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["code"], "parent_view_from_perpetrator");
    let (_, status, problem) =
        planning(&app, &cast, json!({"parent_view": "Không rõ của ai"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["code"], "parent_view_not_applicable");
}
both_stores!(only_the_offending_carers_view_is_refused);

async fn the_plan_waits_for_the_needs_meeting(store: Store) {
    // ND56 art. 27(2), 28(2)(b).
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let (id, _, _) = planning(&app, &cast, json!({})).await;
    let today = test_today();
    let plan = json!({"submitted_at": hours_ago(20), "items": [{"measure": "counselling_parents",
        "service_type": "psychological", "responsible": "Cán bộ xã", "starts_on": today.to_string(),
        "ends_on": (today + chrono::Days::new(10)).to_string()}]});
    let (status, problem) = app
        .post(&cast.worker, &format!("/cases/{id}/plan"), plan.clone())
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "needs_meeting_missing");
    app.ok(
        &cast.approver,
        &format!("/cases/{id}/needs-meeting"),
        json!({"held_at": hours_ago(30),
        "chaired_by": "Chủ tịch UBND xã", "attendees": ["Mẹ"], "decisions": "Tư vấn"}),
    )
    .await;
    let doc = app
        .ok(&cast.worker, &format!("/cases/{id}/plan"), plan)
        .await;
    assert_eq!(doc["status"], "awaiting_approval");
}
both_stores!(the_plan_waits_for_the_needs_meeting);

async fn cases_act_only_in_communes(store: Store) {
    // LTE art. 52(2), ND56 art. 26(1): intake and transfers name a commune-level unit.
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let (status, problem) = app
        .post(
            &cast.hotline,
            "/reports",
            report_body(&hours_ago(5), PROVINCE, &["Lò Thị Mai"]),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "incident_unit");
    assert_eq!(problem["errors"][0]["code"], "unit_not_commune");
    let id = app.report(&cast.hotline, &hours_ago(5)).await;
    for to in [PROVINCE, "VN", "19"] {
        let (status, problem) = app
            .post(
                &cast.approver,
                &format!("/cases/{id}/transfer"),
                json!({"to_unit": to, "reason": "Trẻ chuyển nơi ở"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{to}: {problem}");
        assert_eq!(problem["errors"][0]["code"], "unit_not_commune", "{to}");
    }
    // Every commune of the country is known: one of Thái Nguyên's (which absorbed Bắc Kạn).
    let (status, units) = app.get(&cast.approver, "/units?parent=19").await;
    assert_eq!(status, StatusCode::OK);
    let far = units["items"][0]["code"].as_str().unwrap().to_owned();
    let doc = app
        .ok(
            &cast.approver,
            &format!("/cases/{id}/transfer"),
            json!({"to_unit": far, "reason": "Trẻ chuyển về nơi cư trú"}),
        )
        .await;
    assert_eq!(doc["acting_unit"], far);
}
both_stores!(cases_act_only_in_communes);

async fn a_16_year_old_is_a_juvenile_case(store: Store) {
    // LTE art. 1: a child is under 16; 16–17 accepted as juvenile cases, marked [policy].
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let mut body = report_body(&hours_ago(5), COMMUNE, &["Lò Văn Nam", "Lò Thị Mai"]);
    body["children"][0]["estimated_age"] = json!(16);
    let opened = app.ok(&cast.hotline, "/reports", body).await;
    let (_, older) = app
        .get(
            &cast.worker,
            &format!("/cases/{}", opened["cases"][0]["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(older["juvenile"], true);
    let (_, younger) = app
        .get(
            &cast.worker,
            &format!("/cases/{}", opened["cases"][1]["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(younger["juvenile"], false);
    let mut adult = report_body(&hours_ago(5), COMMUNE, &["Lò Văn Sáng"]);
    adult["children"][0]["estimated_age"] = json!(18);
    let (status, _) = app.post(&cast.hotline, "/reports", adult).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut typo = report_body("0001-06-16T09:00:00+07:00", COMMUNE, &["Lò Văn Sáng"]);
    typo["children"][0]["estimated_age"] = json!(9);
    let (status, problem) = app.post(&cast.hotline, "/reports", typo).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["code"], "time_too_early");
}
both_stores!(a_16_year_old_is_a_juvenile_case);
