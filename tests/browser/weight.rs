//! Page weight of a first visit, measured by Chromium itself (Resource Timing: bytes on the wire,
//! headers included, compressed as served) against console.md's budget of 100 KB and the time it
//! takes on a 256 kbit/s link. `CASEBOOK_SCREENSHOTS=1` also writes the table into
//! BENCHMARKS.md (between its page-weight markers).

use crate::console::*;
use crate::driver::Browser;
use crate::helpers::*;
use serde_json::json;

const BUDGET: u64 = 100 * 1024;
const LINK_BITS_PER_SECOND: f64 = 256_000.0;
pub const BEGIN: &str = "<!-- page-weight:begin -->";
pub const END: &str = "<!-- page-weight:end -->";

/// Bytes of the page just loaded (the document only, or with everything it loaded):
/// (on the wire, decoded).
async fn weigh(browser: &Browser, with_assets: bool) -> (u64, u64) {
    let v = browser
        .js(&format!(
            "var n = performance.getEntriesByType('navigation')[0];
             var wire = n.transferSize, body = n.decodedBodySize;
             if ({with_assets}) performance.getEntriesByType('resource').forEach(function (e) {{
               wire += e.transferSize; body += e.decodedBodySize; }});
             return [wire, body];"
        ))
        .await;
    (v[0].as_u64().unwrap_or(0), v[1].as_u64().unwrap_or(0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_visit_of_each_page_fits_the_budget() {
    let app = TestApp::spawn(Store::Sqlite).await;
    let cast = app.cast().await;
    let case = app.report(&cast.hotline, &hours_ago(20)).await;
    app.ok(
        &cast.approver,
        &format!("/cases/{case}/assignment"),
        json!({"worker_id": cast.worker.id}),
    )
    .await;
    // A browser with an empty cache: the login page with its stylesheet (and any script).
    let browser = Browser::open(&app.address).await;
    browser.goto("/login").await;
    let login_page = weigh(&browser, true).await;
    let document_only = weigh(&browser, false).await;
    let assets = (
        login_page.0 - document_only.0,
        login_page.1 - document_only.1,
    );
    assert!(assets.0 > 0, "the login page loads its stylesheet");
    browser.close().await;
    // The pages after a login: each document, plus the stylesheet as a first visit loads it.
    let mut rows = vec![("login", "/login".to_owned(), login_page.0, login_page.1)];
    let pages: [(&str, &str, String); 3] = [
        ("my work (worker)", &cast.worker.username, "/".to_owned()),
        (
            "case page (worker)",
            &cast.worker.username,
            format!("/cases/{case}"),
        ),
        (
            "deadline board (supervisor)",
            &cast.supervisor.username,
            "/board".to_owned(),
        ),
    ];
    let mut sessions: Vec<(String, Browser)> = Vec::new();
    for (label, user, path) in pages {
        if !sessions.iter().any(|(u, _)| u == user) {
            sessions.push((user.to_owned(), logged_in(&app, user).await));
        }
        let browser = &sessions.iter().find(|(u, _)| u == user).unwrap().1;
        browser.goto(&path).await;
        let (wire, body) = weigh(browser, false).await;
        let shown = if path.starts_with("/cases/") {
            "/cases/{id}".to_owned()
        } else {
            path
        };
        rows.push((label, shown, wire + assets.0, body + assets.1));
    }
    for (_, browser) in sessions {
        browser.close().await;
    }
    let mut table = String::from(
        "| page (first visit, empty cache) | on the wire (HTML + CSS + JS, headers included, as served) | uncompressed bodies | budget 100 KB | at 256 kbit/s |\n|---|---|---|---|---|\n",
    );
    for (label, path, wire, body) in &rows {
        let (wire, body) = (*wire, *body);
        assert!(wire > 0, "{label}: Resource Timing reports bytes");
        assert!(
            wire <= BUDGET,
            "{label} ({path}): {wire} bytes on a first visit, over the 100 KB budget"
        );
        table.push_str(&format!(
            "| {label} `{path}` | {:.1} KB | {:.1} KB | {} | {:.2} s |\n",
            wire as f64 / 1024.0,
            body as f64 / 1024.0,
            if wire <= BUDGET {
                "**holds**"
            } else {
                "**does not hold**"
            },
            wire as f64 * 8.0 / LINK_BITS_PER_SECOND
        ));
    }
    if rows.iter().all(|r| r.2 >= r.3) {
        table.push_str(
            "\nThe bytes on the wire exceed the bodies: the console's answers are sent without \
             compression (headers included).\n",
        );
    }
    eprintln!("{table}");
    if std::env::var("CASEBOOK_SCREENSHOTS").as_deref() == Ok("1") {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("BENCHMARKS.md");
        let text = std::fs::read_to_string(&path).expect("BENCHMARKS.md");
        let section = format!(
            "{BEGIN}\n## Console page weight\n\nMeasured by `tests/browser/weight.rs` in headless Chromium \
             (Resource Timing `transferSize`: bytes on the wire with headers, compressed as the \
             server sends them; each page's document plus the stylesheet as an empty cache loads \
             it with the login page; pages behind a login are for a case and users of the test store; `CASEBOOK_SCREENSHOTS=1 scripts/test.sh --test browser weight` \
             rewrites this table). Time on a 256 kbit/s link = bytes × 8 / 256,000, latency \
             not included.\n\n{table}{END}\n"
        );
        let text = match (text.find(BEGIN), text.find(END)) {
            (Some(a), Some(b)) => format!(
                "{}{section}{}",
                &text[..a],
                &text[b + END.len()..].trim_start_matches('\n')
            ),
            _ => format!("{}\n{section}", text.trim_end()),
        };
        std::fs::write(&path, text).expect("write BENCHMARKS.md");
    }
}
