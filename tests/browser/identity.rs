//! One child, one record in a real browser (issue 12): the operator's intake finds the child's
//! open case before anything is opened and attaches the report to it; the commune worker
//! resolves a possible duplicate from the worklist.

use crate::console::*;
use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_finds_the_childs_open_case_and_attaches_the_report() {
    let app = TestApp::spawn(Store::Sqlite).await;
    let cast = app.cast().await;
    let first = app.report(&cast.hotline, &hours_ago(6)).await;
    let (_, doc) = app.get(&cast.supervisor, &format!("/cases/{first}")).await;
    let number = doc["case_number"].as_str().unwrap().to_owned();

    let hotline = logged_in(&app, &cast.hotline.username).await;
    hotline.goto("/intake").await;
    fill_form(
        &hotline,
        &[
            ("received_at", &typed_time(1)),
            ("intake_point", "hotline_111"),
            ("channel", "phone"),
            ("target_group", "abused"),
            ("abuse_types", "violence"),
            // Typed without marks, as a hurried operator does.
            ("children[0].full_name", "Lo Thi Mai"),
            ("children[0].estimated_age", "9"),
            ("children[0].sex", "female"),
        ],
    )
    .await;
    hotline.fill("commune_query", "doan ket").await;
    hotline.click("#find-commune").await;
    hotline.wait_text("Đoàn Kết").await;
    hotline.select("incident_unit", COMMUNE).await;
    hotline.click("#intake-submit").await;
    // The case is shown before anything is opened, with the choice to make.
    hotline.wait_text(&number).await;
    assert!(hotline.find("[data-testid=\"matches-0\"]").await.is_some());
    assert!(hotline.text().await.contains("Lò Thị Mai"));
    let (_, list) = app.get(&cast.supervisor, "/cases").await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "nothing opened yet"
    );
    hotline
        .check("children[0].match", &format!("attach:{number}"))
        .await;
    hotline.click("#intake-submit").await;
    let path = wait_path(&hotline, |p| !p.starts_with("/intake")).await;
    assert!(path.starts_with(&format!("/cases/{first}")), "{path}");
    let (_, list) = app.get(&cast.supervisor, "/cases").await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "no parallel case"
    );
    let (_, doc) = app.get(&cast.supervisor, &format!("/cases/{first}")).await;
    assert_eq!(doc["attached_reports"].as_array().unwrap().len(), 1);
    hotline.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_resolves_a_possible_duplicate_from_the_worklist() {
    let app = TestApp::spawn(Store::Sqlite).await;
    let cast = app.cast().await;
    let a = app.report(&cast.hotline, &hours_ago(6)).await;
    let b = app
        .ok(
            &cast.hotline,
            "/reports",
            report_body(&hours_ago(3), COMMUNE, &["LO THI MAI"]),
        )
        .await["cases"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, list) = app.get(&cast.worker, "/children/duplicates").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");

    let worker = logged_in(&app, &cast.worker.username).await;
    worker.click("#nav-duplicates").await;
    worker.wait_text("LO THI MAI").await;
    worker.click("#same-0").await;
    worker.wait_text("cùng một trẻ").await;
    assert!(worker
        .find("[data-testid=\"no-duplicates\"]")
        .await
        .is_some());
    let (_, doc_a) = app.get(&cast.supervisor, &format!("/cases/{a}")).await;
    let (_, doc_b) = app.get(&cast.supervisor, &format!("/cases/{b}")).await;
    assert_eq!(doc_a["child_id"], doc_b["child_id"]);
    worker.close().await;
}
