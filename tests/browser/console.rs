//! Shared steps of the console journeys: logging in as a role, filling a step form.

use crate::driver::Browser;
use crate::helpers::*;

/// `dd/mm/yyyy hh:mm` in Vietnam, `hours` before the test clock's start.
pub fn typed_time(hours: i64) -> String {
    (test_now() - chrono::Duration::hours(hours))
        .with_timezone(&aggregates::deadlines::calendar::vietnam_offset())
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// `dd/mm/yyyy`, `days` after the test clock's start.
pub fn typed_date(days: i64) -> String {
    (test_today() + chrono::Duration::days(days))
        .format("%d/%m/%Y")
        .to_string()
}

/// A browser session of its own, logged in as `username`.
pub async fn logged_in(app: &TestApp, username: &str) -> Browser {
    let browser = Browser::open(&app.address).await;
    login(&browser, username).await;
    browser
}

pub async fn login(browser: &Browser, username: &str) {
    browser.goto("/login").await;
    browser.fill("username", username).await;
    browser.fill("password", PASSWORD).await;
    browser.click("#login-submit").await;
    wait_path(browser, |p| !p.starts_with("/login")).await;
}

/// Waits until the page's path satisfies `ok`.
pub async fn wait_path(browser: &Browser, ok: impl Fn(&str) -> bool) -> String {
    let started = std::time::Instant::now();
    loop {
        let path = browser.path().await;
        if ok(&path) {
            return path;
        }
        if started.elapsed() > std::time::Duration::from_secs(10) {
            panic!("still on {path}; the page says:\n{}", browser.text().await);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Opens the step `slug` from the case page through its link (only offered when the user may
/// take it), fills `fields` (name, value: a `<select>` is chosen, a checkbox ticked) and sends it;
/// returns on the case page the step redirects to.
pub async fn step(browser: &Browser, case: &str, slug: &str, fields: &[(&str, &str)]) {
    browser.goto(&format!("/cases/{case}")).await;
    let link = format!("a[href=\"/cases/{case}/steps/{slug}\"]");
    if browser.find(&link).await.is_none() {
        panic!(
            "no `{slug}` action on the case page; it says:\n{}",
            browser.text().await
        );
    }
    browser.click(&link).await;
    wait_path(browser, |p| {
        p.starts_with(&format!("/cases/{case}/steps/{slug}"))
    })
    .await;
    fill_form(browser, fields).await;
    browser.click("#step-submit").await;
    let path = wait_path(browser, |p| !p.contains("/steps/")).await;
    assert!(
        path.starts_with(&format!("/cases/{case}")),
        "after {slug}: {path}"
    );
}

/// Fills fields by name: selects, checkboxes (by value) and text alike.
pub async fn fill_form(browser: &Browser, fields: &[(&str, &str)]) {
    for (name, value) in fields {
        let tag = browser
            .js(&format!(
                "var e = document.querySelector('[name=\"{name}\"]'); return e ? (e.tagName + ':' + (e.type || '')) : ''"
            ))
            .await;
        match tag.as_str().unwrap_or_default() {
            "SELECT:select-one" => browser.select(name, value).await,
            "INPUT:checkbox" | "INPUT:radio" => browser.check(name, value).await,
            "" => panic!(
                "no field `{name}` on {}; the page says:\n{}",
                browser.path().await,
                browser.text().await
            ),
            _ => browser.fill(name, value).await,
        }
    }
}
