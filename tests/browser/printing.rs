//! The supervisor files the province's six-month report in the browser (the menu, the picker,
//! the preview, issuing, the issued page and its XLSX), and a worker prints a case's dossier:
//! the stylesheet's A4 page rule in force and Chromium's own print-to-PDF paginating one form
//! per sheet.

use crate::console::*;
use crate::helpers::*;
use serde_json::json;
use sha2::{Digest, Sha256};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supervisor_files_the_six_month_report_in_the_browser() {
    let app = TestApp::spawn(Store::Sqlite).await;
    let cast = app.cast().await;
    // Reports received this half-year: two girls of the commune, a boy of the next one.
    app.report(&cast.hotline, &hours_ago(30 * 24)).await;
    app.report(&cast.hotline, &hours_ago(20)).await;
    let mut boy = report_body(&hours_ago(5), OTHER_COMMUNE, &["Vàng A Páo"]);
    boy["children"][0]["sex"] = json!("male");
    app.ok(&cast.hotline, "/reports", boy).await;
    let (_, api) = app
        .get(
            &cast.supervisor,
            "/periodic-reports/preview?template=six_month&unit=12&period=2026-H1",
        )
        .await;
    let figure = |table: &str, row: &str, column: usize| -> String {
        let t = api["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == table)
            .unwrap();
        let r = t["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == row)
            .unwrap();
        r["cells"][column].as_i64().unwrap().to_string()
    };

    let lan = logged_in(&app, &cast.supervisor.username).await;
    lan.click("#nav-reports").await;
    wait_path(&lan, |p| p.starts_with("/reports")).await;
    fill_form(
        &lan,
        &[
            ("template", "six_month"),
            ("unit", PROVINCE),
            ("period", "2026-H1"),
            ("audience", "official"),
        ],
    )
    .await;
    lan.click("#report-show").await;
    wait_path(&lan, |p| p.starts_with("/reports/preview")).await;
    let preview = lan
        .find("[data-testid=report-preview]")
        .await
        .expect("the preview");
    assert!(lan.text_of(&preview).await.contains("MẬT"));
    for (row, column) in [(COMMUNE, 0), (OTHER_COMMUNE, 0), ("total", 0)] {
        let cell = lan
            .find(&format!("[data-cell=\"abused_by_commune/{row}/{column}\"]"))
            .await
            .expect("the cell");
        assert_eq!(
            lan.text_of(&cell).await,
            figure("abused_by_commune", row, column),
            "{row}"
        );
    }
    lan.screenshot("report-preview").await;

    // Issued: its page says who, when, at which position, and that the log reproduces it.
    lan.click("#issue-submit").await;
    let path = wait_path(&lan, |p| p.starts_with("/reports/issued/")).await;
    let reproduced = lan
        .find("[data-testid=reproduced]")
        .await
        .expect("reproduced");
    assert!(lan.text_of(&reproduced).await.starts_with("Có"));
    let by = lan
        .find("[data-testid=issued-by]")
        .await
        .expect("issued by");
    assert_eq!(lan.text_of(&by).await, cast.supervisor.username);
    lan.screenshot("report-issued").await;

    // The XLSX link of the page gives the file whose SHA-256 the page shows.
    let link = lan.find("#file-XLSX").await.expect("the XLSX link");
    let href = lan.property(&link, "href").await;
    let sha = lan.find("[data-testid=sha-XLSX]").await.expect("its hash");
    let sha = lan.text_of(&sha).await;
    let session = lan
        .cookie(casebook::web::session::SESSION_COOKIE)
        .await
        .expect("the session cookie");
    let response = reqwest::Client::new()
        .get(href.as_str().unwrap())
        .header(
            "cookie",
            format!("{}={session}", casebook::web::session::SESSION_COOKIE),
        )
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let bytes = response.bytes().await.unwrap();
    let hex: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(hex, sha);
    assert!(bytes.starts_with(b"PK"), "an XLSX (zip) file");

    // The list of issued reports links to it.
    lan.goto("/reports/issued").await;
    assert!(lan.find(&format!("a[href=\"{path}\"]")).await.is_some());
    lan.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_prints_the_dossier_on_a4() {
    let app = TestApp::spawn(Store::Sqlite).await;
    let cast = app.cast().await;
    let case = app.report(&cast.hotline, &hours_ago(20)).await;
    app.ok(&cast.worker, &format!("/cases/{case}/initial-assessment"),
        json!({"assessed_at": hours_ago(19), "outcome": "support_needed", "findings": "Vết bầm ở tay"}))
        .await;
    let mai = logged_in(&app, &cast.worker.username).await;
    mai.goto(&format!("/cases/{case}")).await;
    mai.click("#dossier-link").await;
    wait_path(&mai, |p| p.ends_with("/dossier")).await;
    mai.wait_text("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").await;
    let text = mai.text().await;
    assert!(
        text.contains("Lò Thị Mai") && text.contains("Vết bầm ở tay"),
        "{text}"
    );
    assert!(!text.contains("0912345678"), "no reporter for a worker");
    assert_eq!(mai.find_all("article.sheet").await.len(), 7, "Mẫu 01 to 07");
    mai.screenshot("dossier").await;
    // The stylesheet's page rule, as Chromium parsed it.
    let size = mai
        .js("for (var s of document.styleSheets) for (var r of s.cssRules) \
             if (r.type === CSSRule.PAGE_RULE && r.selectorText === '') return r.style.getPropertyValue('size'); \
             return '';")
        .await;
    assert!(
        size.as_str().is_some_and(|s| s.eq_ignore_ascii_case("a4")),
        "{size}"
    );
    // Printed on A4 by Chromium: one sheet per form at least, menus left out.
    let pdf = mai.print_pdf(21.0, 29.7).await;
    if let Ok(path) = std::env::var("CASEBOOK_PRINT_PDF") {
        std::fs::write(path, &pdf).expect("write the printed PDF");
    }
    let pdf_text = String::from_utf8_lossy(&pdf);
    let pages = pdf_text.matches("/Type /Page").count() - pdf_text.matches("/Type /Pages").count();
    assert!(pages >= 7, "{pages} pages");
    // A4 in points (595 × 842).
    assert!(pdf_text.contains("/MediaBox [0 0 595"), "A4 pages");
    // The print is in the case's access log.
    let (_, log) = app
        .get(&cast.supervisor, &format!("/cases/{case}/access-log"))
        .await;
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["view"] == "print_all" && e["username"] == cast.worker.username.as_str()),
        "{log}"
    );
    mai.close().await;
}
