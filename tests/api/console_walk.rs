//! A 111 report walked to closure through the console's forms, each role in its own session:
//! every step's form is offered to the role that takes it, carries the case version, and
//! records through the API's commands; the others' screens show what they should.

use crate::both_stores;
use crate::helpers::{test_now, test_today, Store, TestApp, TestUser, COMMUNE};
use casebook::web::session::{csrf_token, SESSION_COOKIE};
use reqwest::StatusCode;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn get(app: &TestApp, user: &TestUser, path: &str) -> (StatusCode, String) {
    let response = client()
        .get(format!("{}{path}", app.address))
        .header("cookie", format!("{SESSION_COOKIE}={}", user.token))
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn post(
    app: &TestApp,
    user: &TestUser,
    path: &str,
    fields: &[(&str, String)],
) -> (StatusCode, String, String) {
    let mut pairs: Vec<(&str, String)> = fields.to_vec();
    pairs.push(("csrf_token", csrf_token(&user.token)));
    let response = client()
        .post(format!("{}{path}", app.address))
        .header("cookie", format!("{SESSION_COOKIE}={}", user.token))
        .header("origin", &app.address)
        .form(&pairs)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, response.text().await.unwrap())
}

/// `hours` before the test clock's start, as the console's forms take a time.
fn at(hours: i64) -> String {
    (test_now() - chrono::Duration::hours(hours))
        .with_timezone(&aggregates::deadlines::calendar::vietnam_offset())
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

fn value_of(html: &str, marker: &str) -> String {
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// Opens the step's form as `user` (it must be offered), sends it with the form's version.
async fn step(
    app: &TestApp,
    user: &TestUser,
    case: &str,
    slug: &str,
    fields: &[(&str, String)],
) -> String {
    let path = format!("/cases/{case}/steps/{slug}");
    let (status, form) = get(app, user, &path).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{slug} offered to {}",
        user.username
    );
    let mut fields = fields.to_vec();
    fields.push((
        "version",
        value_of(&form, "name=\"version\" id=\"version\" value=\""),
    ));
    if form.contains("name=\"plan_version\"") {
        fields.push((
            "plan_version",
            value_of(&form, "name=\"plan_version\" value=\""),
        ));
    }
    let (status, location, body) = post(app, user, &path, &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{slug}: {body}");
    assert_eq!(location, format!("/cases/{case}?done={slug}"));
    form
}

fn s(v: &str) -> String {
    v.to_owned()
}

async fn a_report_is_walked_to_closure_in_the_console(kind: Store) {
    let app = TestApp::spawn(kind).await;
    let cast = app.cast().await;
    let (w, chair) = (&cast.worker, &cast.approver);
    let fields = [
        ("form_id", s("walk0123456789abcdef0123456789ab")),
        ("child_count", s("1")),
        ("received_at", at(40)),
        ("intake_point", s("hotline_111")),
        ("channel", s("phone")),
        ("target_group", s("abused")),
        ("abuse_types", s("violence")),
        ("incident_unit", s(COMMUNE)),
        ("children[0].full_name", s("Lò Thị Mai")),
        ("children[0].estimated_age", s("9")),
        ("children[0].sex", s("female")),
    ];
    let (status, location, _) = post(&app, &cast.hotline, "/intake", &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let case = location
        .strip_prefix("/cases/")
        .and_then(|r| r.split('?').next())
        .unwrap()
        .to_owned();

    // The worker does not see the chair's decisions among its actions, and vice versa.
    let (_, page) = get(&app, w, &format!("/cases/{case}")).await;
    assert!(page.contains("id=\"action-initial-assessment\""));
    assert!(!page.contains("id=\"action-plan-decision\""));
    let (status, _) = get(
        &app,
        chair,
        &format!("/cases/{case}/steps/initial-assessment"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    step(
        &app,
        chair,
        &case,
        "assignment",
        &[("worker_id", w.id.to_string())],
    )
    .await;
    step(
        &app,
        w,
        &case,
        "initial-assessment",
        &[
            ("assessed_at", at(39)),
            ("outcome", s("emergency")),
            ("grounds", s("caregiver_is_perpetrator")),
            ("findings", s("Vết bầm ở tay")),
        ],
    )
    .await;
    step(
        &app,
        w,
        &case,
        "urgent-measures",
        &[("applied_at", at(38)), ("measures", s("stop_the_act"))],
    )
    .await;
    step(
        &app,
        w,
        &case,
        "detailed-assessment",
        &[
            ("assessed_at", at(33)),
            ("physical_psychological", s("Bầm tím")),
            ("family", s("Mẹ và cha dượng")),
            ("risk_factors", s("Rượu")),
            ("schooling", s("Đi học đều")),
            ("community", s("Hàng xóm hỗ trợ")),
            ("needs", s("health")),
        ],
    )
    .await;
    step(
        &app,
        chair,
        &case,
        "needs-meeting",
        &[
            ("held_at", at(32)),
            ("chaired_by", s("Chủ tịch UBND xã")),
            ("attendees", s("Mẹ\nCán bộ xã")),
            ("decisions", s("Khám sức khỏe")),
        ],
    )
    .await;
    let today = test_today();
    let day = |d: chrono::NaiveDate| d.format("%d/%m/%Y").to_string();
    step(
        &app,
        w,
        &case,
        "plan",
        &[
            ("submitted_at", at(31)),
            ("items[0].measure", s("medical_care_and_therapy")),
            ("items[0].service_type", s("health")),
            ("items[0].responsible", s("Trạm y tế xã")),
            ("items[0].starts_on", day(today)),
            ("items[0].ends_on", day(today + chrono::Days::new(10))),
            ("items[0].cost_estimate_vnd", s("1.500.000")),
        ],
    )
    .await;
    let (_, approvals) = get(&app, chair, "/approvals").await;
    assert!(
        approvals.contains(&format!("/cases/{case}/steps/plan-decision")),
        "{approvals}"
    );
    step(
        &app,
        chair,
        &case,
        "plan-decision",
        &[("decided_at", at(30)), ("decision", s("approve"))],
    )
    .await;
    let (_, form) = get(&app, w, &format!("/cases/{case}/steps/services")).await;
    let item = value_of(&form, "<option value=\"\">—</option>\n    <option value=\"");
    step(
        &app,
        w,
        &case,
        "services",
        &[
            ("item_id", item),
            ("delivered_at", at(29)),
            ("completed", s("true")),
        ],
    )
    .await;
    step(
        &app,
        w,
        &case,
        "notes",
        &[("text", s("Đã gọi điện cho mẹ"))],
    )
    .await;
    step(
        &app,
        w,
        &case,
        "review",
        &[
            ("reviewed_at", at(27)),
            ("ratings.harm_severity", s("low")),
            ("ratings.abuser_access", s("low")),
            ("ratings.care_environment_obstacles", s("low")),
            ("ratings.child_self_protection_recovery", s("high")),
            ("outcome", s("close")),
        ],
    )
    .await;
    step(
        &app,
        chair,
        &case,
        "closure",
        &[
            ("decided_at", at(26)),
            ("decision", s("approve")),
            ("reason", s("resolved")),
        ],
    )
    .await;

    let (_, doc) = app.get(w, &format!("/cases/{case}")).await;
    assert_eq!(doc["status"], "closed", "{doc}");
    assert_eq!(doc["plan"]["items"][0]["cost_estimate_vnd"], 1_500_000);
    assert_eq!(
        doc["needs_meeting"]["attendees"].as_array().map(Vec::len),
        Some(2)
    );
    let (_, page) = get(&app, w, &format!("/cases/{case}")).await;
    assert!(page.contains("Đã đóng (hiện tại)"), "the status in words");
    assert!(page.contains("Đã gọi điện cho mẹ"));
    assert!(page.contains("1.500.000"), "numbers as 1.234.567");

    // The supervisor's audit (the case as of a time: what casebook had recorded by then), board
    // and statistics.
    let sup = &cast.supervisor;
    let (status, audit) = get(&app, sup, &format!("/cases/{case}/audit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(audit.contains("InitialAssessmentRecorded"));
    assert!(audit.contains("Cán bộ mai.worker"));
    let (status, _) = get(&app, w, &format!("/cases/{case}/audit")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, asof) = get(
        &app,
        sup,
        &format!("/cases/{case}/audit?as_of={}", at(-1).replace(' ', "+")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(asof.contains("data-testid=\"as-of-initial-assessment\""));
    assert!(asof.contains("data-testid=\"as-of-plan\""));
    for path in ["/board", "/caseload", "/statistics"] {
        let (status, _) = get(&app, sup, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    let (_, stats) = get(&app, sup, "/statistics").await;
    assert!(stats.contains("<svg role=\"img\""));
    let (status, csv) = get(&app, sup, "/statistics.csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.starts_with("section,dimension,key,count"));
}
both_stores!(a_report_is_walked_to_closure_in_the_console);
