//! A report that attaches one child to its open case and opens a case for another is received
//! in one transaction (issue 12): all of it or none of it, also while others write on the
//! attached case.

use crate::both_stores;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn types_in_history(app: &TestApp, supervisor: &TestUser, case: &str) -> Vec<String> {
    let (status, history) = app.get(supervisor, &format!("/cases/{case}/history")).await;
    assert_eq!(status, StatusCode::OK, "{history}");
    history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_report_that_attaches_and_opens_is_received_whole_under_racing_notes(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let first = app.report(&cast.hotline, &hours_ago(6)).await;
    let trials = knob("ATTACH_TRIALS", 4);
    let mut opened = Vec::new();
    let mut notes_acknowledged = 0;
    for trial in 0..trials {
        // The sibling is new; the first child is the one of the open case.
        let mut body = report_body(&hours_ago(1), COMMUNE, &["Lò Thị Mai", "Lò Văn Nam"]);
        body["children"][0]["attach_to_case_id"] = json!(first);
        let report = app.post(&cast.hotline, "/reports", body);
        let note_path = format!("/cases/{first}/notes");
        let notes = futures_util::future::join_all((0..6).map(|i| {
            app.post(
                &cast.hotline,
                &note_path,
                json!({"text": format!("Ghi chú {trial}.{i}")}),
            )
        }));
        let ((status, answer), notes) = tokio::join!(report, notes);
        notes_acknowledged += notes.iter().filter(|(s, _)| s.is_success()).count();
        // A note racing the attach is no reason to refuse the report: it is received whole.
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let cases = answer["cases"].as_array().unwrap();
        assert_eq!(cases.len(), 2, "{answer}");
        let attached: Vec<&Value> = cases.iter().filter(|c| c["attached"] == true).collect();
        assert_eq!(attached.len(), 1, "{answer}");
        assert_eq!(attached[0]["id"], first.as_str());
        let new = cases.iter().find(|c| c["attached"] != true).unwrap();
        opened.push(new["id"].as_str().unwrap().to_owned());
    }
    let types = types_in_history(&app, &cast.supervisor, &first).await;
    assert_eq!(
        types.iter().filter(|t| *t == "ReportAttached").count(),
        trials,
        "{types:?}"
    );
    for case in &opened {
        let types = types_in_history(&app, &cast.supervisor, case).await;
        assert_eq!(types.first().map(String::as_str), Some("CaseReported"));
    }
    println!(
        "store={store:?} trials={trials} reports_received_whole={} notes_acknowledged={notes_acknowledged}",
        opened.len()
    );
}
both_stores!(a_report_that_attaches_and_opens_is_received_whole_under_racing_notes);

async fn a_refused_attachment_opens_nothing(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let first = app.report(&cast.hotline, &hours_ago(6)).await;
    // Close nothing, but attach to a case that does not exist beside a valid new child.
    let mut body = report_body(&hours_ago(1), COMMUNE, &["Lò Văn Nam", "Lò Thị Mai"]);
    body["children"][1]["attach_to_case_id"] = json!(uuid::Uuid::now_v7().to_string());
    let (status, answer) = app.post(&cast.hotline, "/reports", body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(
        answer["errors"][0]["field"],
        "children[1].attach_to_case_id"
    );
    let (_, list) = app.get(&cast.supervisor, "/cases?limit=50").await;
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [first.as_str()], "nothing opened: {list}");
}
both_stores!(a_refused_attachment_opens_nothing);
