//! The alerts inbox in a real browser: a rapid report reaches the chair's header as an unread
//! count, the inbox lists it by case number (no name), marking it read clears the count, and
//! its link opens the case.

use crate::console::*;
use crate::helpers::*;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rapid_report_reaches_the_chairs_inbox_and_is_marked_read() {
    let app = TestApp::spawn(Store::Sqlite).await;
    let cast = app.cast().await;
    let case = app.report(&cast.hotline, &hours_ago(1)).await;
    // The notifier writes the message just after the report's commit.
    let started = Instant::now();
    let number = loop {
        let (_, inbox) = app.get(&cast.approver, "/inbox").await;
        if let Some(n) = inbox["items"][0]["case_number"].as_str() {
            break n.to_owned();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no message: {inbox}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let chair = logged_in(&app, &cast.approver.username).await;
    chair.goto("/cases").await;
    let nav = chair
        .find("#nav-inbox")
        .await
        .expect("the inbox in the header");
    assert_eq!(chair.text_of(&nav).await, "Hộp thư (1 tin chưa đọc)");
    chair.click("#nav-inbox").await;
    wait_path(&chair, |p| p.starts_with("/inbox")).await;
    chair.wait_text(&number).await;
    let text = chair.text().await;
    assert!(text.contains("Báo cáo nhanh"), "{text}");
    assert!(!text.contains("Lò Thị Mai"), "no child's name in the inbox");
    let row = chair
        .find("tr[data-unread=\"true\"]")
        .await
        .expect("an unread row");
    let id = chair.property(&row, "id").await;
    let id = id
        .as_str()
        .unwrap()
        .trim_start_matches("message-")
        .to_owned();
    chair.click(&format!("#read-{id}")).await;
    chair.wait_text("0 tin chưa đọc").await;
    assert!(chair.find("tr[data-unread=\"true\"]").await.is_none());
    let nav = chair.find("#nav-inbox").await.unwrap();
    assert_eq!(chair.text_of(&nav).await, "Hộp thư");
    // The message's link opens the case page (a case read, audited there).
    chair.click(&format!("a[href=\"/cases/{case}\"]")).await;
    wait_path(&chair, |p| p == format!("/cases/{case}")).await;
    chair.wait_text(&number).await;
    chair.close().await;
}
