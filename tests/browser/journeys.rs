//! The journeys of console.md, each role in its own browser session.

use crate::console::*;
use crate::driver::Browser;
use crate::helpers::*;
use serde_json::{json, Value};

/// The cases a report opened, newest first, as the supervisor's API sees them.
async fn case_ids(app: &TestApp, cast: &Cast) -> Vec<(String, String)> {
    let (_, list) = app.get(&cast.supervisor, "/cases?limit=50").await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["child_name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_111_call_with_two_children_is_walked_to_closure_in_the_browser() {
    let app = TestApp::spawn(Store::Sqlite).await;
    let cast = app.cast().await;

    // The login page, in Vietnamese.
    let hotline = Browser::open(&app.address).await;
    hotline.goto("/login").await;
    assert_eq!(
        hotline.js("return document.documentElement.lang").await,
        "vi"
    );
    hotline.screenshot("login").await;
    login(&hotline, &cast.hotline.username).await;

    // The operator types the call: two children, commune found by name without diacritics.
    hotline.goto("/intake").await;
    fill_form(
        &hotline,
        &[
            ("received_at", &typed_time(30)),
            ("intake_point", "hotline_111"),
            ("channel", "phone"),
            ("target_group", "abused"),
            ("abuse_types", "violence"),
            ("abuse_environment", "family"),
            ("perpetrator_relationship", "relative"),
            ("description", "Hàng xóm báo hai anh em bị đánh"),
            ("children[0].full_name", "Lò Thị Mai"),
            ("children[0].estimated_age", "9"),
            ("children[0].sex", "female"),
        ],
    )
    .await;
    hotline.fill("commune_query", "doan ket").await;
    hotline.click("#find-commune").await;
    hotline.wait_text("Đoàn Kết").await;
    hotline.select("incident_unit", COMMUNE).await;
    hotline.click("#add-child").await;
    hotline
        .find("[name=\"children[1].full_name\"]")
        .await
        .expect("a second child block");
    fill_form(
        &hotline,
        &[
            ("children[1].full_name", "Lò Văn Páo"),
            ("children[1].estimated_age", "7"),
            ("children[1].sex", "male"),
        ],
    )
    .await;
    hotline.click("#intake-submit").await;
    wait_path(&hotline, |p| !p.starts_with("/intake")).await;
    let cases = case_ids(&app, &cast).await;
    assert_eq!(cases.len(), 2, "one case per child: {cases:?}");
    hotline.close().await;
    let mai = cases
        .iter()
        .find(|(_, name)| name == "Lò Thị Mai")
        .map(|(id, _)| id.clone())
        .expect("Mai's case");

    // The chair assigns the worker.
    let chair = logged_in(&app, &cast.approver.username).await;
    step(
        &chair,
        &mai,
        "assignment",
        &[("worker_id", &cast.worker.id.to_string())],
    )
    .await;

    // The worker: assessment, urgent measures, detailed assessment.
    let worker = logged_in(&app, &cast.worker.username).await;
    worker.goto("/").await;
    worker.screenshot("my-work").await;
    step(
        &worker,
        &mai,
        "initial-assessment",
        &[
            ("assessed_at", &typed_time(29)),
            ("outcome", "emergency"),
            ("grounds", "serious_harm_or_threat"),
            ("findings", "Vết bầm ở tay"),
        ],
    )
    .await;
    step(
        &worker,
        &mai,
        "urgent-measures",
        &[
            ("applied_at", &typed_time(28)),
            ("measures", "stop_the_act"),
            ("measures", "first_aid"),
        ],
    )
    .await;
    step(
        &worker,
        &mai,
        "detailed-assessment",
        &[
            ("assessed_at", &typed_time(26)),
            ("physical_psychological", "Bầm tím"),
            ("family", "Bố mẹ đi làm xa"),
            ("risk_factors", "Rượu"),
            ("schooling", "Đi học đều"),
            ("community", "Hàng xóm hỗ trợ"),
            ("needs", "health"),
        ],
    )
    .await;
    // The chair holds the needs meeting; the worker drafts the plan; the chair approves it.
    step(
        &chair,
        &mai,
        "needs-meeting",
        &[
            ("held_at", &typed_time(25)),
            ("chaired_by", "Chủ tịch UBND phường"),
            ("attendees", "Mẹ\nTrưởng bản"),
            ("decisions", "Khám sức khỏe"),
        ],
    )
    .await;
    step(
        &worker,
        &mai,
        "plan",
        &[
            ("submitted_at", &typed_time(24)),
            ("items[0].measure", "medical_care_and_therapy"),
            ("items[0].service_type", "health"),
            ("items[0].responsible", "Trạm y tế phường"),
            ("items[0].starts_on", &typed_date(-1)),
            ("items[0].ends_on", &typed_date(-1)),
        ],
    )
    .await;
    step(
        &chair,
        &mai,
        "plan-decision",
        &[("decided_at", &typed_time(23)), ("decision", "approve")],
    )
    .await;
    worker.goto(&format!("/cases/{mai}")).await;
    worker.screenshot("case").await;
    // Services, review, closure.
    let (_, doc) = app.get(&cast.worker, &format!("/cases/{mai}")).await;
    let item = doc["plan"]["items"][0]["id"].as_str().unwrap().to_owned();
    step(
        &worker,
        &mai,
        "services",
        &[
            ("item_id", &item),
            ("delivered_at", &typed_time(20)),
            ("completed", "true"),
        ],
    )
    .await;
    step(
        &worker,
        &mai,
        "review",
        &[
            ("reviewed_at", &typed_time(2)),
            ("ratings.harm_severity", "low"),
            ("ratings.abuser_access", "low"),
            ("ratings.care_environment_obstacles", "low"),
            ("ratings.child_self_protection_recovery", "high"),
            ("outcome", "close"),
        ],
    )
    .await;
    step(
        &chair,
        &mai,
        "closure",
        &[("decided_at", &typed_time(1)), ("decision", "approve")],
    )
    .await;
    let (_, doc) = app.get(&cast.supervisor, &format!("/cases/{mai}")).await;
    assert_eq!(doc["status"], Value::from("closed"), "{doc}");
    chair.goto(&format!("/cases/{mai}")).await;
    chair.wait_text("Đã đóng").await;
    chair.close().await;
    worker.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supervisor_reads_the_board_the_audit_and_the_statistics() {
    let app = TestApp::spawn(Store::Sqlite).await;
    let cast = app.cast().await;
    // A report 20 hours old and not assessed: its 12-hour clock is overdue.
    let late = app.report(&cast.hotline, &hours_ago(20)).await;
    app.ok(
        &cast.approver,
        &format!("/cases/{late}/notes"),
        json!({"text": "Chủ tịch đã gọi cho gia đình"}),
    )
    .await;
    let lan = logged_in(&app, &cast.supervisor.username).await;
    lan.goto("/board").await;
    let board = lan
        .find("[data-testid=board]")
        .await
        .expect("the deadline board");
    let text = lan.text_of(&board).await;
    assert!(text.contains("Phường Đoàn Kết"), "{text}");
    // The audit: who did what, who saw it, the case as it stood.
    lan.goto(&format!("/cases/{late}/audit")).await;
    let history = lan.find("[data-testid=history]").await.expect("history");
    let history = lan.text_of(&history).await;
    assert!(
        history.contains("tongdai111") || history.contains("hotline"),
        "{history}"
    );
    assert!(
        history.contains("hung.chair"),
        "the chair's note: {history}"
    );
    let seen = lan
        .find("[data-testid=access-log]")
        .await
        .expect("access log");
    assert!(
        lan.text_of(&seen).await.contains("lan.supervisor"),
        "this very read is logged"
    );
    // As it stood a minute from now (events are recorded on the test clock, minutes ago).
    let soon = (test_now() + chrono::Duration::minutes(2))
        .with_timezone(&aggregates::deadlines::calendar::vietnam_offset())
        .format("%d/%m/%Y %H:%M")
        .to_string();
    lan.fill("as_of", &soon).await;
    lan.click("#as-of-submit").await;
    lan.wait_text("Lò Thị Mai").await;
    // The statistics: SVG charts drawn by the server, a table beside each, a CSV.
    lan.goto("/statistics").await;
    assert!(
        !lan.find_all("[data-testid^=chart-] svg").await.is_empty(),
        "a chart"
    );
    assert!(
        !lan.find_all("[data-testid^=chart-] table").await.is_empty(),
        "its table"
    );
    assert!(lan.find("#statistics-csv").await.is_some());
    lan.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_manages_accounts_and_sees_no_case() {
    let app = TestApp::spawn(Store::Sqlite).await;
    let cast = app.cast().await;
    let case = app.report(&cast.hotline, &hours_ago(2)).await;
    let admin = logged_in(&app, &cast.admin.username).await;
    admin.goto("/accounts").await;
    let table = admin
        .find("[data-testid=accounts]")
        .await
        .expect("the accounts");
    assert!(admin.text_of(&table).await.contains("mai.worker"));
    fill_form(
        &admin,
        &[
            ("username", "thu.worker"),
            ("display_name", "Đèo Thị Thu"),
            ("password", "một mật khẩu tạm thời dài"),
            ("grants[0].role", "social_worker"),
            ("grants[0].unit_code", COMMUNE),
        ],
    )
    .await;
    admin.click("#new-account-submit").await;
    wait_path(&admin, |p| p.starts_with("/accounts/")).await;
    admin.wait_text("thu.worker").await;
    // No case content for the admin: the case is not found.
    admin.goto(&format!("/cases/{case}")).await;
    let text = admin.text().await;
    assert!(
        text.contains("Không tìm thấy") && !text.contains("Lò Thị Mai"),
        "{text}"
    );
    admin.close().await;
    // The new worker logs in with the one-time password and must replace it.
    let thu = Browser::open(&app.address).await;
    thu.goto("/login").await;
    thu.fill("username", "thu.worker").await;
    thu.fill("password", "một mật khẩu tạm thời dài").await;
    thu.click("#login-submit").await;
    wait_path(&thu, |p| p.starts_with("/password")).await;
    thu.close().await;
}
