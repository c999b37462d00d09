//! Issuing freezes a report: reproduced byte for byte after a later correction, which shows as
//! a difference; the XLSX opened and read back; bad requests write nothing.

use crate::both_stores;
use crate::helpers::*;
use crate::indicators::fixture;
use crate::reports::{column, row, SIX_MONTH};
use calamine::{Data, Reader, Xlsx};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The raw bytes of a download and its announced hash.
async fn download(app: &TestApp, user: &TestUser, path: &str) -> (StatusCode, Vec<u8>, String) {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let hash = response
        .headers()
        .get("x-content-sha256")
        .map(|h| h.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, response.bytes().await.unwrap().to_vec(), hash)
}

async fn an_issued_report_is_frozen(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let f = fixture(&app, &cast, true).await;
    let body = json!({"template": "six_month", "unit": PROVINCE, "period": "2026-H1"});
    let (status, issued) = app.post(&cast.supervisor, "/periodic-reports", body).await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    assert_eq!(issued["issued_by"], cast.supervisor.id.to_string());
    assert_eq!(issued["issued_by_unit"], PROVINCE);
    assert!(issued["position"].as_str().unwrap().contains('.'));
    let id = issued["id"].as_str().unwrap().to_owned();
    let mut before = Vec::new();
    for format in ["json", "csv", "xlsx"] {
        let (status, bytes, hash) = download(
            &app,
            &cast.supervisor,
            &format!("/periodic-reports/{id}/file?format={format}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(hex(&bytes), issued["sha256"][format], "{format}");
        assert_eq!(hash, hex(&bytes));
        before.push(bytes);
    }

    // A correction after issue: the emergency girl was 16, not 9.
    app.ok(&cast.worker, &format!("/cases/{}/corrections", f.emergency),
        json!({"corrects_event": 1, "field": "child.estimated_age", "value": 16, "reason": "Giấy khai sinh"}))
        .await;
    // The issued files are the same bytes; the log read again at the issued position gives
    // them again; the correction shows as differences.
    for (i, format) in ["json", "csv", "xlsx"].into_iter().enumerate() {
        let (_, bytes, _) = download(
            &app,
            &cast.supervisor,
            &format!("/periodic-reports/{id}/file?format={format}"),
        )
        .await;
        assert_eq!(bytes, before[i], "{format} byte for byte");
    }
    let (status, detail) = app
        .get(&cast.supervisor, &format!("/periodic-reports/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["reproduced"], true, "{detail}");
    let diffs = detail["differences"].as_array().unwrap();
    let total = diffs
        .iter()
        .find(|d| d["table"] == "abused_by_commune" && d["row"] == COMMUNE && d["column"] == 0)
        .unwrap_or_else(|| panic!("{detail}"));
    assert_eq!(
        (total["issued"].clone(), total["now"].clone()),
        (json!(2), json!(1))
    );
    let (_, now) = app.get(&cast.supervisor, SIX_MONTH).await;
    assert_eq!(
        row(&now, "abused_by_commune", COMMUNE)[column(&now, "abused_by_commune", "Total")],
        1
    );

    // The XLSX opens and reads back: Vietnamese headers, the groups merged, A4 landscape.
    let issued_json: Value = serde_json::from_slice(&before[0]).unwrap();
    let mut book = Xlsx::new(std::io::Cursor::new(before[2].clone())).unwrap();
    let sheets = book.sheet_names();
    assert_eq!(sheets.len(), 5, "{sheets:?}");
    let range = book.worksheet_range(&sheets[0]).unwrap();
    let text = |r: u32, c: u32| {
        range
            .get_value((r, c))
            .map(|d| d.to_string())
            .unwrap_or_default()
    };
    assert_eq!(text(0, 0), "Báo cáo 6 tháng về công tác bảo vệ trẻ em");
    assert!(text(1, 0).starts_with("MẬT"));
    assert_eq!(text(5, 2), "Nữ");
    assert_eq!(text(6, 3), "6–10 tuổi");
    let label = issued_json["tables"][0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == COMMUNE)
        .unwrap()["vi"]
        .as_str()
        .unwrap()
        .to_owned();
    let at = (7..range.height() as u32)
        .find(|r| text(*r, 0) == label)
        .expect("the commune's row");
    assert_eq!(range.get_value((at, 1)), Some(&Data::Float(2.0)));
    book.load_merged_regions().unwrap();
    let merged = book.merged_regions_by_sheet(&sheets[0]);
    assert!(
        merged
            .iter()
            .any(|(_, _, d)| d.start == (5, 2) && d.end == (5, 4)),
        "{merged:?}"
    );
    let sheet = zip_entry(&before[2], "xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains("orientation=\"landscape\"") && sheet.contains("paperSize=\"9\""),
        "{sheet}"
    );
    assert!(
        !zip_entry(&before[2], "xl/sharedStrings.xml").contains("Lò"),
        "no child's name"
    );

    // Listed for the supervisor; bad requests refused, nothing written.
    let (_, list) = app.get(&cast.supervisor, "/periodic-reports").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    for bad in [
        json!({"template": "six_month", "unit": PROVINCE, "period": "2026-H1", "extra": 1}),
        json!({"template": "six_month", "unit": PROVINCE, "period": "2026-Q1"}),
        json!({"template": "six_month", "unit": "99999", "period": "2026-H1"}),
    ] {
        let (status, body) = app.post(&cast.supervisor, "/periodic-reports", bad).await;
        assert!(status.is_client_error(), "{status} {body}");
    }
    let good = json!({"template": "six_month", "unit": PROVINCE, "period": "2026-H1"});
    for who in [&cast.approver, &cast.admin] {
        let (status, _) = app.post(who, "/periodic-reports", good.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (_, list) = app.get(&cast.supervisor, "/periodic-reports").await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "nothing written"
    );
    let (status, _) = app
        .get(
            &cast.supervisor,
            &format!("/periodic-reports/{}", uuid::Uuid::now_v7()),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = app
        .request(
            Method::GET,
            Some(&cast.supervisor.token),
            &format!("/periodic-reports/{id}/file?format=pdf"),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Append-only, for everyone.
    let changed = match &app.db {
        projections::Db::Postgres(p) => sqlx::query("UPDATE issued_reports SET period_id = 'x'")
            .execute(p)
            .await
            .is_ok(),
        projections::Db::Sqlite(pools) => sqlx::query("UPDATE issued_reports SET period_id = 'x'")
            .execute(&pools.writer)
            .await
            .is_ok(),
    };
    assert!(!changed, "an issued report cannot be changed");
}
both_stores!(an_issued_report_is_frozen);

/// One entry of the XLSX archive, as text.
fn zip_entry(bytes: &[u8], name: &str) -> String {
    // The page set-up is checked on the raw XML, which calamine does not expose.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut entry = zip.by_name(name).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
    text
}
