//! Periodic reports through the console, over HTTP on both stores: a supervisor files the
//! province's six-month report from the fixture of `indicators` (picker → preview → issue →
//! the issued page → the XLSX read back), every figure the API's; a public preview withholds
//! small cells; a unit outside the jurisdiction, a bad period or a POST without the CSRF token
//! issues nothing.

use crate::both_stores;
use crate::console::{page, submit};
use crate::helpers::*;
use crate::indicators::fixture;
use aggregates::codes::Role;
use calamine::{Reader, Xlsx};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

const PREVIEW: &str = "/reports/preview?template=six_month&unit=12&period=2026-H1";

/// The cells of a report page: `table/row/column` → the text shown.
pub fn page_cells(html: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = html;
    while let Some(at) = rest.find("data-cell=\"") {
        rest = &rest[at + "data-cell=\"".len()..];
        let key_end = rest.find('"').unwrap();
        let key = rest[..key_end].to_owned();
        let open = rest.find('>').unwrap() + 1;
        let close = rest[open..].find("</td>").unwrap() + open;
        out.insert(key, rest[open..close].replace("&#60;", "<"));
        rest = &rest[close..];
    }
    out
}

/// The cells of an API report as the console must show them.
pub fn api_cells(report: &Value) -> BTreeMap<String, String> {
    let below = report["suppressed_below"].as_u64().unwrap_or(0);
    let mut out = BTreeMap::new();
    for t in report["tables"].as_array().unwrap() {
        let withheld: Vec<(u64, u64)> = t["suppressed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_u64().unwrap(), p[1].as_u64().unwrap()))
            .collect();
        for (r, row) in t["rows"].as_array().unwrap().iter().enumerate() {
            for (c, v) in row["cells"].as_array().unwrap().iter().enumerate() {
                let text = if withheld.contains(&(r as u64, c as u64)) {
                    format!("<{below}")
                } else {
                    v.as_i64()
                        .map_or_else(|| "—".to_owned(), casebook::web::format::number)
                };
                let key = format!(
                    "{}/{}/{c}",
                    t["id"].as_str().unwrap(),
                    row["key"].as_str().unwrap()
                );
                out.insert(key, text);
            }
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A console download: status, headers and the raw bytes.
async fn download(
    app: &TestApp,
    user: &TestUser,
    path: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", app.address))
        .header(
            "cookie",
            format!("{}={}", casebook::web::session::SESSION_COOKIE, user.token),
        )
        .send()
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

async fn issued_count(app: &TestApp, cast: &Cast) -> usize {
    let (status, list) = app.get(&cast.supervisor, "/periodic-reports").await;
    assert_eq!(status, StatusCode::OK);
    list["items"].as_array().unwrap().len()
}

async fn a_supervisor_files_the_six_month_report_in_the_console(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let f = fixture(&app, &cast, true).await;
    let s = &cast.supervisor;

    // The picker: the six-month template, the province and its communes, and the last complete
    // period (16 June 2026: the second half of 2025) chosen by default.
    let (status, _, html) = page(&app, Some(s), "/reports").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<option value=\"six_month\" selected>"),
        "{html}"
    );
    assert!(html.contains("<option value=\"12\" selected>"), "{html}");
    assert!(html.contains(&format!("<option value=\"{COMMUNE}\">")));
    assert!(
        html.contains("<option value=\"2025-H2\" selected>"),
        "{html}"
    );
    assert!(html.contains("<option value=\"2026-H1\">"), "{html}");
    assert!(html.contains("id=\"nav-reports\""));

    // The preview: the API's figures, cell for cell, and the issue form.
    let (status, _, html) = page(&app, Some(s), &format!("{PREVIEW}&audience=official")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (_, api) = app
        .get(
            s,
            "/periodic-reports/preview?template=six_month&unit=12&period=2026-H1",
        )
        .await;
    let shown = page_cells(&html);
    assert!(shown.len() > 100, "{} cells", shown.len());
    assert_eq!(shown, api_cells(&api));
    assert_eq!(shown[&format!("abused_by_commune/{COMMUNE}/0")], "2");
    assert!(
        html.contains("MẬT"),
        "the official report is marked confidential"
    );
    assert!(html.contains("id=\"issue-form\""));
    assert!(!html.contains("Lò"), "no child's name in a report");
    assert!(
        html.contains("id=\"in-progress\""),
        "16 June: the first half-year has not ended"
    );
    let (_, _, ended) = page(
        &app,
        Some(s),
        "/reports/preview?template=six_month&unit=12&period=2025-H2",
    )
    .await;
    assert!(!ended.contains("id=\"in-progress\""));

    // Issuing without the CSRF token issues nothing.
    let fields = [
        ("template", "six_month"),
        ("unit", PROVINCE),
        ("period", "2026-H1"),
    ];
    let (status, _, body) = submit(&app, s, "/reports/issued", &fields, false, &app.address).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(issued_count(&app, &cast).await, 0);

    // Issued: to the issued report's page.
    let (status, headers, body) =
        submit(&app, s, "/reports/issued", &fields, true, &app.address).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let location = headers["location"].to_str().unwrap().to_owned();
    let id = location
        .strip_prefix("/reports/issued/")
        .unwrap()
        .to_owned();
    assert_eq!(issued_count(&app, &cast).await, 1);
    let (_, detail) = app.get(s, &format!("/periodic-reports/{id}")).await;
    assert_eq!(detail["issued_by"], s.id.to_string());

    let (status, _, html) = page(&app, Some(s), &location).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains(&s.username), "who issued it");
    assert!(
        html.contains(detail["position"].as_str().unwrap()),
        "at which position"
    );
    for format in ["json", "csv", "xlsx"] {
        assert!(
            html.contains(detail["sha256"][format].as_str().unwrap()),
            "the SHA-256 of the {format} file"
        );
    }
    assert!(
        html.contains("data-testid=\"reproduced\" class=\"ok\""),
        "{html}"
    );
    assert!(html.contains("Không có khác biệt"), "{html}");
    // The issued figures shown are the issued ones.
    let issued_file: Value = {
        let (_, _, bytes) = download(&app, s, &format!("{location}/file?format=json")).await;
        serde_json::from_slice(&bytes).unwrap()
    };
    assert_eq!(page_cells(&html), api_cells(&issued_file));

    // The list links to it.
    let (status, _, list) = page(&app, Some(s), "/reports/issued").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains(&format!("href=\"{location}\"")), "{list}");

    // The XLSX, byte for byte as issued, named in Vietnamese, read back.
    let (status, headers, bytes) = download(&app, s, &format!("{location}/file?format=xlsx")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"bao-cao-6-thang"),
        "{disposition}"
    );
    assert!(
        disposition.contains("filename*=UTF-8''B%C3%A1o%20c%C3%A1o%206%20th%C3%A1ng"),
        "{disposition}"
    );
    assert_eq!(hex(&bytes), detail["sha256"]["xlsx"]);
    assert_eq!(headers["x-content-sha256"], hex(&bytes).as_str());
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheets = book.sheet_names();
    let range = book.worksheet_range(&sheets[0]).unwrap();
    let text = |r: u32, c: u32| {
        range
            .get_value((r, c))
            .map(|d| d.to_string())
            .unwrap_or_default()
    };
    assert_eq!(text(0, 0), "Báo cáo 6 tháng về công tác bảo vệ trẻ em");
    let commune = api["tables"][0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == COMMUNE)
        .unwrap();
    let row = (0..range.height() as u32)
        .find(|r| text(*r, 0) == commune["vi"].as_str().unwrap())
        .expect("the commune's row in the sheet");
    assert_eq!(text(row, 1), "2", "the commune's abused children");

    // A correction after issue: the issued page shows it as a difference, and still
    // reproduces the issued files.
    app.ok(&cast.worker, &format!("/cases/{}/corrections", f.emergency),
        json!({"corrects_event": 1, "field": "child.estimated_age", "value": 16, "reason": "Giấy khai sinh"}))
        .await;
    let (status, _, html) = page(&app, Some(s), &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("data-testid=\"reproduced\" class=\"ok\""),
        "{html}"
    );
    assert!(!html.contains("Không có khác biệt"));
    let differences = &html[html.find("data-testid=\"differences\"").unwrap()..];
    let differences = &differences[..differences.find("</section>").unwrap()];
    assert!(
        differences.contains(commune["vi"].as_str().unwrap())
            && differences.contains("<td class=\"num\">2</td><td class=\"num\">1</td>"),
        "the commune's abused children, 2 when issued, 1 now: {differences}"
    );

    // The preview downloads too, with the API's figures (those of now).
    let (status, headers, bytes) = download(
        &app,
        s,
        "/reports/download?template=six_month&unit=12&period=2026-H1&format=json",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/json");
    let again: Value = serde_json::from_slice(&bytes).unwrap();
    let (_, now) = app
        .get(
            s,
            "/periodic-reports/preview?template=six_month&unit=12&period=2026-H1",
        )
        .await;
    assert_eq!(api_cells(&again), api_cells(&now));
    assert_ne!(api_cells(&again), api_cells(&api), "the correction shows");
}
both_stores!(a_supervisor_files_the_six_month_report_in_the_console);

async fn a_public_preview_withholds_small_cells(store: Store) {
    let app = TestApp::spawn(store).await; // CASEBOOK_STATS_MIN_CELL = 5
    let cast = app.cast().await;
    fixture(&app, &cast, true).await;
    let s = &cast.supervisor;
    let (status, _, html) = page(&app, Some(s), &format!("{PREVIEW}&audience=public")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let shown = page_cells(&html);
    // COMMUNE's 2 abused children are a small cell, and the total that would give it back.
    assert_eq!(shown[&format!("abused_by_commune/{COMMUNE}/0")], "<5");
    assert_eq!(shown["abused_by_commune/total/0"], "<5");
    assert!(html.contains("class=\"num withheld\""));
    let (_, api) = app
        .get(
            s,
            "/periodic-reports/preview?template=six_month&unit=12&period=2026-H1&audience=public",
        )
        .await;
    assert_eq!(shown, api_cells(&api));
    assert!(
        !html.contains("id=\"issue-form\""),
        "a public copy is not issued"
    );
    assert!(html.contains("id=\"public-no-issue\""));
    assert!(!html.contains("MẬT —"), "{html}");
}
both_stores!(a_public_preview_withholds_small_cells);

async fn bad_report_requests_issue_nothing(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let s = &cast.supervisor;
    // Another province: refused, the error linked to the unit field, no figures.
    let (status, _, html) = page(
        &app,
        Some(s),
        "/reports/preview?template=six_month&unit=01&period=2026-H1",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("data-testid=\"error-summary\""), "{html}");
    assert!(html.contains("href=\"#f-unit\""), "{html}");
    assert!(!html.contains("data-testid=\"report-preview\""));
    // A period off the template's grid: the field error on the period.
    let (status, _, html) = page(
        &app,
        Some(s),
        "/reports/preview?template=six_month&unit=12&period=2026-06",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("href=\"#f-period\""), "{html}");
    // Posted, neither issues anything.
    for fields in [
        [
            ("template", "six_month"),
            ("unit", "01"),
            ("period", "2026-H1"),
        ],
        [
            ("template", "six_month"),
            ("unit", "12"),
            ("period", "2026-H3"),
        ],
    ] {
        let (status, _, _) = submit(&app, s, "/reports/issued", &fields, true, &app.address).await;
        assert!(status.is_client_error(), "{fields:?}: {status}");
    }
    // Other roles see no report page and issue nothing.
    let fields = [
        ("template", "six_month"),
        ("unit", "12"),
        ("period", "2026-H1"),
    ];
    for who in [&cast.approver, &cast.worker, &cast.admin] {
        let (status, _, _) = page(&app, Some(who), PREVIEW).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) =
            submit(&app, who, "/reports/issued", &fields, true, &app.address).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    assert_eq!(issued_count(&app, &cast).await, 0);
    // Another province's issued report is not found here.
    let hanoi = app.user("giamsat.hanoi", &[(Role::Supervisor, "01")]).await;
    let (status, issued) = app
        .post(
            &hanoi,
            "/periodic-reports",
            json!({"template": "six_month", "unit": "01", "period": "2026-H1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    let other = format!("/reports/issued/{}", issued["id"].as_str().unwrap());
    for path in [other.clone(), format!("{other}/file?format=csv")] {
        let (status, _, html) = page(&app, Some(s), &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(html.contains("Không tìm thấy"));
    }
    let (status, _, _) = page(&app, Some(&hanoi), &other).await;
    assert_eq!(status, StatusCode::OK, "its own supervisor sees it");
}
both_stores!(bad_report_requests_issue_nothing);

/// A double click on "issue", a reload of the answer or a client's retry issues once: the
/// console's form carries a one-time key, the API takes an `Idempotency-Key`. A new form (the
/// page opened again) issues a new copy on purpose.
async fn issuing_twice_issues_once(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    fixture(&app, &cast, true).await;
    let s = &cast.supervisor;
    let form_key = |html: &str| {
        let at = html
            .find("name=\"issue_key\" value=\"")
            .expect("the form's key")
            + 24;
        html[at..at + 36].to_owned()
    };
    let (_, _, html) = page(&app, Some(s), &format!("{PREVIEW}&audience=official")).await;
    let key = form_key(&html);
    let fields = [
        ("template", "six_month"),
        ("unit", PROVINCE),
        ("period", "2026-H1"),
        ("issue_key", key.as_str()),
    ];
    // Two submits at once, as a double click sends them.
    let (first, second) = tokio::join!(
        submit(&app, s, "/reports/issued", &fields, true, &app.address),
        submit(&app, s, "/reports/issued", &fields, true, &app.address),
    );
    assert_eq!(first.0, StatusCode::SEE_OTHER, "{}", first.2);
    assert_eq!(second.0, StatusCode::SEE_OTHER, "{}", second.2);
    let location = first.1["location"].to_str().unwrap().to_owned();
    assert_eq!(second.1["location"].to_str().unwrap(), location);
    // Submitted again later (a reload): the same report.
    let (status, headers, _) =
        submit(&app, s, "/reports/issued", &fields, true, &app.address).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"].to_str().unwrap(), location);
    assert_eq!(issued_count(&app, &cast).await, 1);

    // The same form's key for another report is refused, and issues nothing.
    let other = [
        ("template", "six_month"),
        ("unit", PROVINCE),
        ("period", "2025-H2"),
        ("issue_key", key.as_str()),
    ];
    let (status, _, html) = submit(&app, s, "/reports/issued", &other, true, &app.address).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert_eq!(issued_count(&app, &cast).await, 1);

    // The page opened again: a new key, a new copy.
    let (_, _, html) = page(&app, Some(s), &format!("{PREVIEW}&audience=official")).await;
    let again = form_key(&html);
    assert_ne!(again, key);
    let fields = [
        ("template", "six_month"),
        ("unit", PROVINCE),
        ("period", "2026-H1"),
        ("issue_key", again.as_str()),
    ];
    let (status, headers, _) =
        submit(&app, s, "/reports/issued", &fields, true, &app.address).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_ne!(headers["location"].to_str().unwrap(), location);
    assert_eq!(issued_count(&app, &cast).await, 2);

    // The API: the same Idempotency-Key answers the first report again.
    let body = json!({"template": "six_month", "unit": PROVINCE, "period": "2026-H1"});
    let key = [("idempotency-key", "issue-h1-once")];
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (status, headers, issued) = app
            .request(
                reqwest::Method::POST,
                Some(&s.token),
                "/periodic-reports",
                Some(&body),
                &key,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{issued}");
        ids.push((
            issued["id"].clone(),
            headers.contains_key("idempotent-replayed"),
        ));
    }
    assert_eq!(ids[0].0, ids[1].0);
    assert_eq!((ids[0].1, ids[1].1), (false, true));
    assert_eq!(issued_count(&app, &cast).await, 3);
    // Another body with that key: refused, nothing issued.
    let changed = json!({"template": "six_month", "unit": PROVINCE, "period": "2025-H2"});
    let (status, _, problem) = app
        .request(
            reqwest::Method::POST,
            Some(&s.token),
            "/periodic-reports",
            Some(&changed),
            &key,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["code"], "idempotency_key_reused");
    assert_eq!(issued_count(&app, &cast).await, 3);
}
both_stores!(issuing_twice_issues_once);
