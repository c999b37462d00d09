//! Periodic reports: a province's six-month report filed from the fixture of `indicators`,
//! checked by hand; CSV with a BOM; bad requests refused with nothing written.

use crate::both_stores;
use crate::helpers::*;
use crate::indicators::fixture;
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub const SIX_MONTH: &str = "/periodic-reports/preview?template=six_month&unit=12&period=2026-H1";

/// The cells of the row `key` of table `id`.
pub fn row(report: &Value, id: &str, key: &str) -> Vec<Value> {
    let table = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("table {id}"));
    table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("row {key} of {id}"))["cells"]
        .as_array()
        .unwrap()
        .clone()
}

/// The index of the column headed `en` in table `id` (the first such).
pub fn column(report: &Value, id: &str, en: &str) -> usize {
    let table = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap();
    table["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["en"] == en)
        .unwrap_or_else(|| panic!("column {en} of {id}"))
}

async fn a_province_files_its_six_month_report(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    fixture(&app, &cast, true).await;
    let (status, r) = app.get(&cast.supervisor, SIX_MONTH).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["confidential"], true);
    assert_eq!(r["period"]["first_day"], "2026-01-01");
    assert_eq!(r["period"]["last_day"], "2026-06-30");

    // Abused children by commune × sex × age group: the emergency girl (9) and the May girl
    // (12), both of COMMUNE, where the incidents were (the transfer does not move them); the
    // duplicate is no abused child; the 16-year-old is apart, in OTHER_COMMUNE.
    let t = "abused_by_commune";
    let (total, f6, f11, m6, j) = (
        column(&r, t, "Total"),
        column(&r, t, "6–10"),
        column(&r, t, "11–15"),
        column(&r, t, "6–10") + 3,
        column(&r, t, "Total") + 7,
    );
    let commune = row(&r, t, COMMUNE);
    assert_eq!(
        (
            commune[total].clone(),
            commune[f6].clone(),
            commune[f11].clone()
        ),
        (2.into(), 1.into(), 1.into())
    );
    assert_eq!(commune[m6], 0);
    assert_eq!(commune[j], 0);
    let other = row(&r, t, OTHER_COMMUNE);
    assert_eq!(other[total], 0);
    assert_eq!(other[j], 1, "{other:?}");
    let all = row(&r, t, "total");
    assert_eq!((all[total].clone(), all[j].clone()), (2.into(), 1.into()));

    // Responses: the urgent measure and the police referral stay with COMMUNE, which acted
    // then; the duplicate's closure too; at the end of June COMMUNE has the emergency case
    // open, OTHER_COMMUNE the 16-year-old and the transferred one.
    let t = "responses";
    let commune = row(&r, t, COMMUNE);
    assert_eq!(commune[column(&r, t, "Emergencies")], 1);
    assert_eq!(commune[column(&r, t, "Urgent measures")], 1);
    assert_eq!(commune[column(&r, t, "Children supported")], 1);
    assert_eq!(commune[column(&r, t, "To police")], 1);
    assert_eq!(commune[column(&r, t, "Duplicate")], 1);
    assert_eq!(commune[column(&r, t, "Open")], 1);
    let other = row(&r, t, OTHER_COMMUNE);
    assert_eq!(other[column(&r, t, "To police")], 0);
    assert_eq!(other[column(&r, t, "Open")], 2);
    assert_eq!(row(&r, t, "total")[column(&r, t, "Open")], 3);

    // Deadline compliance: the emergency's initial assessment (1 h) and urgent measures (2 h)
    // met; share on time 100 %, median 60 and 120 minutes.
    let t = "deadline_compliance";
    let ia = row(&r, t, "initial_assessment");
    assert!(ia[column(&r, t, "Met")].as_i64().unwrap() >= 1, "{ia:?}");
    let um = row(&r, t, "urgent_measures");
    assert_eq!(um[column(&r, t, "Met")], 1);
    assert_eq!(um[column(&r, t, "Share on time (%)")], 100);
    assert_eq!(um[column(&r, t, "Median (minutes)")], 120);

    // CSV: UTF-8 with a BOM, Vietnamese headers, confidential.
    let (status, headers, csv) = app
        .request(
            Method::GET,
            Some(&cast.supervisor.token),
            &format!("{SIX_MONTH}&format=csv"),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = csv.as_str().unwrap();
    assert!(csv.starts_with('\u{feff}'), "a BOM for Excel");
    assert!(csv.contains("Trẻ em bị xâm hại theo xã"), "{csv}");
    assert!(csv.contains("MẬT"));
    assert!(
        !csv.contains("Lò") && !r.to_string().contains("Lò"),
        "no child's name"
    );
}
both_stores!(a_province_files_its_six_month_report);

async fn bad_report_requests_are_refused(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    for (path, code) in [
        (
            "/periodic-reports/preview?template=six_month&unit=12&period=2026-H3",
            "report_period_invalid",
        ),
        (
            "/periodic-reports/preview?template=six_month&unit=12&period=2026-06",
            "report_period_invalid",
        ),
        (
            "/periodic-reports/preview?template=nope&unit=12&period=2026-H1",
            "report_template_unknown",
        ),
        (
            "/periodic-reports/preview?template=six_month&unit=12&period=2026-H1&format=pdf",
            "report_format_unknown",
        ),
        (
            "/periodic-reports/preview?template=six_month&unit=12&period=2026-H1&audience=press",
            "report_audience_unknown",
        ),
    ] {
        let (status, body) = app.get(&cast.supervisor, path).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        assert!(body.to_string().contains(code), "{path}: {body}");
    }
    let (status, _) = app
        .get(
            &cast.supervisor,
            "/periodic-reports/preview?template=six_month&unit=01&period=2026-H1",
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another province");
    for who in [&cast.approver, &cast.admin, &cast.worker] {
        let (status, _) = app.get(who, SIX_MONTH).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, t) = app.get(&cast.supervisor, "/report-templates").await;
    assert_eq!(status, StatusCode::OK);
    assert!(t["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == "six_month_cutoff_10"));
}
both_stores!(bad_report_requests_are_refused);

async fn outputs_leaving_the_unit_withhold_small_and_complementary_cells(store: Store) {
    let app = TestApp::spawn(store).await; // CASEBOOK_STATS_MIN_CELL = 5
    let cast = app.cast().await;
    fixture(&app, &cast, true).await;
    let path = format!("{SIX_MONTH}&audience=public");
    let (status, r) = app.get(&cast.supervisor, &path).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["confidential"], false);
    assert_eq!(r["suppressed_below"], 5);
    // COMMUNE's 2 abused children are a small cell; alone withheld, the total row (2) minus the
    // other communes (0) would give it back: the total is withheld with it.
    let t = "abused_by_commune";
    let commune = row(&r, t, COMMUNE);
    assert_eq!(commune[0], Value::Null);
    assert_eq!(row(&r, t, "total")[0], Value::Null);
    // Every row and every column holds no withheld cell or at least two.
    for table in r["tables"].as_array().unwrap() {
        let hidden: Vec<(u64, u64)> = table["suppressed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_u64().unwrap(), p[1].as_u64().unwrap()))
            .collect();
        let derived: Vec<u64> = table["derived_columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_u64().unwrap())
            .collect();
        for (r0, c0) in &hidden {
            if derived.contains(c0) {
                continue;
            }
            let in_row = hidden
                .iter()
                .filter(|(r, c)| r == r0 && !derived.contains(c))
                .count();
            let in_col = hidden.iter().filter(|(_, c)| c == c0).count();
            assert!(
                in_row >= 2 && in_col >= 2,
                "{} ({r0},{c0}): {hidden:?}",
                table["id"]
            );
        }
        for row in table["rows"].as_array().unwrap() {
            for v in row["cells"].as_array().unwrap() {
                assert!(
                    v.is_null() || v.as_i64().unwrap() == 0 || v.as_i64().unwrap() >= 5,
                    "{table}"
                );
            }
        }
    }
    let (_, headers, csv) = app
        .request(
            Method::GET,
            Some(&cast.supervisor.token),
            &format!("{path}&format=csv"),
            None,
            &[],
        )
        .await;
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(csv.as_str().unwrap().contains("<5") && !csv.as_str().unwrap().contains("MẬT"));
    // The official report keeps every figure, marked confidential.
    let (_, official) = app.get(&cast.supervisor, SIX_MONTH).await;
    assert_eq!(row(&official, t, COMMUNE)[0], 2);
    assert_eq!(official["confidential"], true);

    // Statistics: only fixed grids; the adjacent-window trick is refused.
    for bad in [
        "from=2026-06-01&to=2026-06-15",
        "from=2026-06-02&to=2026-06-30",
        "period=2026-H3",
        "from=2026-06-16T01:00:00%2B07:00&to=2026-06-30",
    ] {
        let (status, body) = app
            .get(
                &cast.supervisor,
                &format!("/statistics?unit={PROVINCE}&{bad}"),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert!(body.to_string().contains("period_not_on_grid"), "{body}");
    }
    let (status, s) = app
        .get(
            &cast.supervisor,
            &format!("/statistics?unit={PROVINCE}&period=2026-06"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    // June: the 3 cases received are under 5, withheld.
    assert_eq!(s["cases"]["opened"], Value::Null);
}
both_stores!(outputs_leaving_the_unit_withhold_small_and_complementary_cells);
