//! The attacks of console.md, in a real browser: each test one session (or one per role).

use crate::console::*;
use crate::driver::Browser;
use crate::helpers::*;
use serde_json::json;

async fn version(app: &TestApp, cast: &Cast, case: &str) -> u64 {
    let (_, doc) = app.get(&cast.supervisor, &format!("/cases/{case}")).await;
    doc["version"].as_u64().expect("a version")
}

/// Sends the form `form` (by id) the way a person double-clicks its button: two clicks a few
/// milliseconds apart, both sent by the browser (the page's CSP allows no script of its own).
async fn double_click(browser: &Browser, button: &str) {
    browser
        .js(&format!(
            "var b = document.getElementById({button}); b.click(); \
             setTimeout(function () {{ if (b.isConnected) b.click(); }}, 10); return true;",
            button = json!(button)
        ))
        .await;
}

/// Sets (or, with `None`, removes) the hidden CSRF field of the form on the page.
async fn tamper_csrf(browser: &Browser, value: Option<&str>) {
    let script = match value {
        Some(v) => format!(
            "document.querySelector('#step-form [name=csrf_token]').value = {}; return true;",
            json!(v)
        ),
        None => "document.querySelector('#step-form [name=csrf_token]').remove(); return true;"
            .to_owned(),
    };
    browser.js(&script).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_without_the_csrf_token_changes_nothing() {
    let app = TestApp::spawn(Store::Sqlite).await;
    let cast = app.cast().await;
    let case = app.report(&cast.hotline, &hours_ago(3)).await;
    let before = version(&app, &cast, &case).await;
    let worker = logged_in(&app, &cast.worker.username).await;
    worker.goto(&format!("/cases/{case}/steps/notes")).await;
    worker.fill("text", "Ghi chú không có mã CSRF").await;
    for forged in [None, Some("forged")] {
        worker.goto(&format!("/cases/{case}/steps/notes")).await;
        worker.fill("text", "Ghi chú không có mã CSRF").await;
        tamper_csrf(&worker, forged).await;
        worker.click("#step-submit").await;
        worker.wait_text("Không có gì được ghi lại").await;
    }
    assert_eq!(version(&app, &cast, &case).await, before, "nothing written");
    // The same form with its token is accepted: the refusal was the token's.
    worker.goto(&format!("/cases/{case}/steps/notes")).await;
    worker.fill("text", "Ghi chú có mã CSRF").await;
    worker.click("#step-submit").await;
    wait_path(&worker, |p| !p.contains("/steps/")).await;
    assert_eq!(version(&app, &cast, &case).await, before + 1);
    worker.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_in_a_childs_name_is_shown_as_text() {
    let app = TestApp::spawn(Store::Sqlite).await;
    let cast = app.cast().await;
    let name = "<script>document.title='pwned'</script><img src=x onerror=alert(1)>Mai";
    let body = report_body(&hours_ago(3), COMMUNE, &[name]);
    let opened = app.ok(&cast.hotline, "/reports", body).await;
    let case = opened["cases"][0]["id"].as_str().unwrap().to_owned();
    let worker = logged_in(&app, &cast.worker.username).await;
    for page in [format!("/cases/{case}"), "/cases?assigned=any".to_owned()] {
        worker.goto(&page).await;
        let text = worker.text().await;
        assert!(
            text.contains(name),
            "{page} shows the name as typed:\n{text}"
        );
        assert_eq!(
            worker
                .js("return document.querySelectorAll('script, img[src=x]').length")
                .await,
            json!(0),
            "{page}: no element made from the name"
        );
        assert_ne!(worker.js("return document.title").await, json!("pwned"));
    }
    worker.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_communes_case_is_a_not_found_page() {
    let app = TestApp::spawn(Store::Sqlite).await;
    let cast = app.cast().await;
    let case = app.report(&cast.hotline, &hours_ago(3)).await;
    let other = logged_in(&app, &cast.other_worker.username).await;
    for page in [
        format!("/cases/{case}"),
        format!("/cases/{case}/steps/initial-assessment"),
        format!("/cases/{}", uuid::Uuid::now_v7()),
    ] {
        other.goto(&page).await;
        let text = other.text().await;
        assert!(text.contains("Không tìm thấy"), "{page}:\n{text}");
        assert!(
            !text.contains("Lò Thị Mai"),
            "{page} shows nothing of the case"
        );
    }
    // And nothing of it was logged as seen by the other commune.
    let (_, log) = app
        .get(&cast.supervisor, &format!("/cases/{case}/access-log"))
        .await;
    let log = log.to_string();
    assert!(
        !log.contains(&cast.other_worker.id.to_string()) && !log.contains("binh.worker"),
        "{log}"
    );
    other.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_form_says_conflict_and_keeps_what_was_typed() {
    let app = TestApp::spawn(Store::Sqlite).await;
    let cast = app.cast().await;
    let case = app.report(&cast.hotline, &hours_ago(3)).await;
    let worker = logged_in(&app, &cast.worker.username).await;
    worker
        .goto(&format!("/cases/{case}/steps/initial-assessment"))
        .await;
    let typed = "Trẻ có vết bầm, mẹ đi làm xa — nhận định dài đã gõ";
    fill_form(
        &worker,
        &[
            ("assessed_at", &typed_time(1)),
            ("outcome", "support_needed"),
            ("findings", typed),
        ],
    )
    .await;
    // Meanwhile the chair changes the case.
    app.ok(
        &cast.approver,
        &format!("/cases/{case}/notes"),
        json!({"text": "Chủ tịch đã gọi cho gia đình"}),
    )
    .await;
    let before = version(&app, &cast, &case).await;
    worker.click("#step-submit").await;
    let conflict = worker
        .find("#conflict")
        .await
        .unwrap_or_else(|| panic!("no conflict message"));
    let message = worker.text_of(&conflict).await;
    assert!(!message.is_empty());
    let kept = worker
        .find("[name=\"findings\"]")
        .await
        .expect("the form again");
    assert_eq!(
        worker.property(&kept, "value").await,
        json!(typed),
        "typed text kept"
    );
    assert_eq!(version(&app, &cast, &case).await, before, "nothing written");
    // Sent again from the conflict page (it carries the current version), it is recorded.
    worker.click("#step-submit").await;
    wait_path(&worker, |p| !p.contains("/steps/")).await;
    let (_, doc) = app.get(&cast.supervisor, &format!("/cases/{case}")).await;
    assert_eq!(doc["initial_assessment"]["findings"], json!(typed), "{doc}");
    worker.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_submitted_step_writes_one_event() {
    let app = TestApp::spawn(Store::Sqlite).await;
    let cast = app.cast().await;
    let case = app.report(&cast.hotline, &hours_ago(3)).await;
    let worker = logged_in(&app, &cast.worker.username).await;
    // A step form sent twice at once: one note.
    let before = version(&app, &cast, &case).await;
    worker.goto(&format!("/cases/{case}/steps/notes")).await;
    worker.fill("text", "Gửi hai lần").await;
    double_click(&worker, "step-submit").await;
    // The browser shows the answer to the last click: the case, or the form saying the case
    // changed meanwhile (by this very note).
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(version(&app, &cast, &case).await, before + 1, "one note");
    worker.close().await;
}

/// The intake form sent twice (a double click) must open its cases once. It opens them twice
/// today: the console's intake checks its `form_id` against the events before committing, so two
/// posts in flight both pass the check (the API's `Idempotency-Key` reserves the key first).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_submitted_intake_opens_its_cases_once() {
    let app = TestApp::spawn(Store::Sqlite).await;
    let cast = app.cast().await;
    let worker = logged_in(&app, &cast.worker.username).await;
    let (_, list) = app.get(&cast.supervisor, "/cases").await;
    let cases_before = list["items"].as_array().unwrap().len();
    worker.goto("/intake").await;
    fill_form(
        &worker,
        &[
            ("received_at", &typed_time(2)),
            ("intake_point", "commune_committee"),
            ("channel", "in_person"),
            ("target_group", "at_risk"),
            ("abuse_types", "neglect"),
            ("incident_unit", COMMUNE),
            ("children[0].full_name", "Tòng Văn Sáng"),
            ("children[0].estimated_age", "8"),
            ("children[0].sex", "male"),
        ],
    )
    .await;
    double_click(&worker, "intake-submit").await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let (_, list) = app.get(&cast.supervisor, "/cases").await;
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["child_name"].as_str())
        .filter(|n| *n == "Tòng Văn Sáng")
        .collect();
    assert_eq!(names.len(), 1, "one case");
    assert_eq!(list["items"].as_array().unwrap().len(), cases_before + 1);
    worker.close().await;
}
