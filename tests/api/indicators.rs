//! The indicator engine, checked by hand on a fixture of known cases: a transferred case, a
//! duplicate, a 16-year-old, and a case spanning two periods (May and June 2026; the test clock
//! stands at 16 June 2026).

use crate::both_stores;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The fixture's cases (ids, for the tests that act on them further).
#[allow(dead_code)]
pub struct Fixture {
    /// A girl of 9 in COMMUNE, received 2 June: emergency, urgent measures.
    pub emergency: String,
    /// A boy in COMMUNE received 10 June, closed as a duplicate of `emergency`.
    pub duplicate: String,
    /// A boy of 16 in OTHER_COMMUNE, received 12 June.
    pub juvenile: String,
    /// A girl of 12 in COMMUNE received 20 May, referred to the police on 3 June, then
    /// transferred to OTHER_COMMUNE.
    pub spanning: String,
}

/// `days` days before the test clock, at the same hour.
pub fn days_ago(days: i64) -> String {
    hours_ago(days * 24)
}

async fn case_of(app: &TestApp, by: &TestUser, body: Value) -> String {
    let (status, r) = app.post(by, "/reports", body).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    r["cases"][0]["id"].as_str().unwrap().to_owned()
}

/// Records the fixture; `transfer` false stops before the transfer (to compare before/after).
pub async fn fixture(app: &TestApp, cast: &Cast, transfer: bool) -> Fixture {
    let emergency = case_of(
        app,
        &cast.hotline,
        report_body(&days_ago(14), COMMUNE, &["Lò Thị Mai"]),
    )
    .await;
    let e = |p: &str| format!("/cases/{emergency}{p}");
    app.ok(
        &cast.worker,
        &e("/initial-assessment"),
        json!({"assessed_at": hours_ago(14 * 24 - 1),
        "outcome": "emergency", "grounds": ["serious_harm_or_threat"], "findings": "x"}),
    )
    .await;
    app.ok(
        &cast.worker,
        &e("/urgent-measures"),
        json!({"applied_at": hours_ago(14 * 24 - 2), "measures": ["stop_the_act"]}),
    )
    .await;

    let mut dup = report_body(&days_ago(6), COMMUNE, &["Lò Văn Nam"]);
    dup["children"][0]["sex"] = json!("male");
    let duplicate = case_of(app, &cast.hotline, dup).await;
    app.ok(
        &cast.worker,
        &format!("/cases/{duplicate}/closure/proposal"),
        json!({"proposed_at": days_ago(5), "reason": "duplicate", "linked_case_id": emergency}),
    )
    .await;
    app.ok(
        &cast.approver,
        &format!("/cases/{duplicate}/closure"),
        json!({"decided_at": days_ago(5), "decision": "approve"}),
    )
    .await;

    let mut older = report_body(&days_ago(4), OTHER_COMMUNE, &["Vàng A Páo"]);
    older["children"][0]["sex"] = json!("male");
    older["children"][0]["estimated_age"] = json!(16);
    let juvenile = case_of(app, &cast.hotline, older).await;

    let mut may = report_body(&days_ago(27), COMMUNE, &["Đặng Thị Hoà"]);
    may["children"][0]["estimated_age"] = json!(12);
    let spanning = case_of(app, &cast.hotline, may).await;
    app.ok(
        &cast.worker,
        &format!("/cases/{spanning}/referrals"),
        json!({"referred_at": days_ago(13), "to": "Công an xã", "to_kind": "police"}),
    )
    .await;
    if transfer {
        app.ok(
            &cast.worker,
            &format!("/cases/{spanning}/transfer"),
            json!({"to_unit": OTHER_COMMUNE, "reason": "Gia đình chuyển về xã bên"}),
        )
        .await;
    }
    Fixture {
        emergency,
        duplicate,
        juvenile,
        spanning,
    }
}

pub async fn stats(app: &TestApp, cast: &Cast, unit: &str, from: &str, to: &str) -> Value {
    let (status, s) = app
        .get(
            &cast.supervisor,
            &format!("/statistics?unit={unit}&from={from}&to={to}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    s
}

async fn figures_follow_the_incident_and_the_acting_commune_at_the_time(store: Store) {
    let app = TestApp::spawn_with(store, |s| s.stats_min_cell = 1).await;
    let cast = app.cast().await;
    fixture(&app, &cast, false).await;
    let may_before = stats(&app, &cast, COMMUNE, "2026-05-01", "2026-05-31").await;
    let june_before = stats(&app, &cast, COMMUNE, "2026-06-01", "2026-06-30").await;
    // The transfer of the May case.
    let (_, list) = app.get(&cast.supervisor, "/cases?q=Hoà").await;
    let spanning = list["items"][0]["id"].as_str().unwrap().to_owned();
    app.ok(
        &cast.worker,
        &format!("/cases/{spanning}/transfer"),
        json!({"to_unit": OTHER_COMMUNE, "reason": "Gia đình chuyển về xã bên"}),
    )
    .await;

    // May, province: the spanning case alone — a girl of 12, open at the end of May.
    let may = stats(&app, &cast, PROVINCE, "2026-05-01", "2026-05-31").await;
    assert_eq!(may["abused_children"]["children"], 1, "{may}");
    assert_eq!(may["abused_children"]["by_age_group"], json!({"11_15": 1}));
    assert_eq!(may["cases"]["opened"], 1);
    assert_eq!(may["cases"]["open_at_end"], 1);
    // The transfer rewrote nothing of May in COMMUNE: the case was COMMUNE's then.
    let may_after = stats(&app, &cast, COMMUNE, "2026-05-01", "2026-05-31").await;
    assert_eq!(may_after, may_before);
    assert_eq!(may_after["cases"]["open_at_end"], 1);

    // June, province: received A, B, C; 0101 counts A only (B is a duplicate, C is 16, the
    // spanning case was received in May); the 16-year-old apart.
    let june = stats(&app, &cast, PROVINCE, "2026-06-01", "2026-06-30").await;
    let a = &june["abused_children"];
    assert_eq!(a["children"], 1, "{june}");
    assert_eq!(a["juveniles"], 1);
    assert_eq!(a["incidents"], 1);
    assert_eq!(a["by_sex"], json!({"female": 1}));
    assert_eq!(a["by_age_group"], json!({"6_10": 1}));
    assert_eq!(june["cases"]["opened"], 3);
    assert_eq!(june["cases"]["closed_by_reason"], json!({"duplicate": 1}));
    // Open on 30 June: the emergency, the juvenile and the spanning case.
    assert_eq!(june["cases"]["open_at_end"], 3);
    assert_eq!(june["support"]["by_measure"], json!({"stop_the_act": 1}));

    // June by commune: the urgent measure and the referral stay in COMMUNE, which acted then;
    // the spanning case is open at the end of June in OTHER_COMMUNE, where it now is.
    let june_commune = stats(&app, &cast, COMMUNE, "2026-06-01", "2026-06-30").await;
    assert_eq!(
        june_commune["abused_children"],
        june_before["abused_children"]
    );
    assert_eq!(june_commune["support"], june_before["support"]);
    assert_eq!(june_commune["cases"]["opened"], 2);
    assert_eq!(june_commune["cases"]["open_at_end"], 1, "{june_commune}");
    assert_eq!(june_before["cases"]["open_at_end"], 2);
    let june_other = stats(&app, &cast, OTHER_COMMUNE, "2026-06-01", "2026-06-30").await;
    assert_eq!(june_other["abused_children"]["children"], 0);
    assert_eq!(june_other["abused_children"]["juveniles"], 1);
    assert_eq!(june_other["support"]["by_measure"], json!({}));
    assert_eq!(june_other["cases"]["open_at_end"], 2);
}
both_stores!(figures_follow_the_incident_and_the_acting_commune_at_the_time);
