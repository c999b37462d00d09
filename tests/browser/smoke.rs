//! The harness itself: the browser reaches the in-process server, renders Vietnamese, and a
//! missing browser fails with the command that installs it.

use crate::driver::{self, Browser};
use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_reaches_the_server_started_in_process() {
    let app = TestApp::spawn(Store::Sqlite).await;
    let browser = Browser::open(&app.address).await;
    browser.goto("/api/v1/health").await;
    assert!(browser.text().await.contains("\"ok\""), "health answered");
    // The browser runs with the Vietnamese language first.
    let languages = browser.js("return navigator.languages").await;
    assert_eq!(languages[0], "vi-VN", "{languages}");
    browser.png().await;
    browser.close().await;
}

#[test]
fn a_missing_browser_fails_with_the_install_command() {
    let failure = std::panic::catch_unwind(|| driver::require("/nonexistent/chromium", "CHROMIUM"))
        .expect_err("a missing binary fails");
    let message = failure
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(message.contains(driver::INSTALL), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_harness_types_chooses_clicks_and_reads_vietnamese() {
    let app = TestApp::spawn(Store::Sqlite).await;
    let browser = Browser::open(&app.address).await;
    let page = "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><title>Thử</title>\
        <form onsubmit=\"document.body.textContent='Đã gửi: '+this.full_name.value+' / '+this.sex.value;return false\">\
        <label>Họ và tên <input name=\"full_name\"></label>\
        <select name=\"sex\"><option value=\"male\">Nam</option><option value=\"female\">Nữ</option></select>\
        <button id=\"send\">Gửi</button></form></html>";
    browser
        .goto(&format!("data:text/html;charset=utf-8,{}", urlencode(page)))
        .await;
    browser.fill("full_name", "Lò Thị Mai").await;
    browser.select("sex", "female").await;
    browser.click("#send").await;
    browser.wait_text("Đã gửi: Lò Thị Mai / female").await;
    if let Some(path) = std::env::var_os("HARNESS_PNG") {
        std::fs::write(path, browser.png().await).expect("write");
    }
    assert!(browser.source().await.contains("Lò Thị Mai"));
    browser.close().await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
