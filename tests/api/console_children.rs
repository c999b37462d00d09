//! One child, one record in the console (issue 12), over real HTTP on both stores: intake
//! searches before it opens anything and asks what to do with each child that may already have
//! a case; the duplicates worklist links cases as one child or tells them apart, and the case
//! page undoes a link.

use crate::both_stores;
use crate::console::{page, submit, version_of};
use crate::helpers::*;
use aggregates::codes::Role;
use reqwest::StatusCode;
use serde_json::Value;

/// The intake form's fields for one child, received an hour ago.
fn intake_fields(form_id: &str, name: &str) -> Vec<(String, String)> {
    let received = chrono::DateTime::parse_from_rfc3339(&hours_ago(1))
        .unwrap()
        .with_timezone(&aggregates::deadlines::calendar::vietnam_offset())
        .format("%d/%m/%Y %H:%M")
        .to_string();
    [
        ("form_id", form_id),
        ("child_count", "1"),
        ("received_at", received.as_str()),
        ("intake_point", "hotline_111"),
        ("channel", "phone"),
        ("target_group", "abused"),
        ("abuse_types", "violence"),
        ("incident_unit", COMMUNE),
        ("children[0].full_name", name),
        ("children[0].estimated_age", "9"),
        ("children[0].sex", "female"),
        ("children[0].residence_unit", COMMUNE),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

async fn send(
    app: &TestApp,
    user: &TestUser,
    fields: &[(String, String)],
) -> (StatusCode, String, String) {
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (status, headers, html) = submit(app, user, "/intake", &borrowed, true, &app.address).await;
    let location = headers
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, html)
}

async fn case_count(app: &TestApp, supervisor: &TestUser) -> usize {
    let (_, list) = app.get(supervisor, "/cases?limit=100").await;
    list["items"].as_array().unwrap().len()
}

async fn intake_searches_before_it_opens_anything(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let first = app.report(&cast.hotline, &hours_ago(6)).await;
    let (_, doc) = app.get(&cast.supervisor, &format!("/cases/{first}")).await;
    let number = doc["case_number"].as_str().unwrap().to_owned();

    // The same child typed without marks: the form comes back with the case, nothing opened.
    let fields = intake_fields("f1111111111111111111111111111111", "Lo Thi Mai");
    let (status, _, html) = send(&app, &cast.hotline, &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("data-testid=\"matches-0\""), "{html}");
    assert!(html.contains(&number));
    assert!(
        html.contains("Lò Thị Mai"),
        "the operator may read its own case"
    );
    assert!(
        html.contains("href=\"#matches-0\""),
        "the error summary links to the choice"
    );
    assert_eq!(case_count(&app, &cast.supervisor).await, 1);
    // "Check" shows the same without an error.
    let mut check = fields.clone();
    check.push(("find_matches".into(), "1".into()));
    let (status, _, html) = send(&app, &cast.hotline, &check).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&number) && !html.contains("error-summary"));

    // A choice made against other candidates than those now found is asked again.
    let mut stale = fields.clone();
    stale.push(("children[0].match".into(), "new".into()));
    stale.push(("children[0].shown".into(), "12-2026-999999".into()));
    let (status, _, _) = send(&app, &cast.hotline, &stale).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(case_count(&app, &cast.supervisor).await, 1);

    // Attached to the open case: no parallel case, the report recorded on it.
    let mut attach = fields.clone();
    attach.push(("children[0].match".into(), format!("attach:{number}")));
    attach.push(("children[0].shown".into(), number.clone()));
    let (status, location, html) = send(&app, &cast.hotline, &attach).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    assert_eq!(location, format!("/cases/{first}?done=intake"));
    assert_eq!(case_count(&app, &cast.supervisor).await, 1);
    let (_, doc) = app.get(&cast.supervisor, &format!("/cases/{first}")).await;
    assert_eq!(
        doc["attached_reports"].as_array().unwrap().len(),
        1,
        "{doc}"
    );
    // Sent twice: the first sending stands, nothing more.
    let (status, _, _) = send(&app, &cast.hotline, &attach).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, doc) = app.get(&cast.supervisor, &format!("/cases/{first}")).await;
    assert_eq!(
        doc["attached_reports"].as_array().unwrap().len(),
        1,
        "{doc}"
    );

    // Another operator, who may not read the case, sees that it exists and where, not the
    // child; it says "a different child", which is kept so the pair is not asked again.
    let other = app
        .user("tongdai.dem", &[(Role::HotlineOperator, "VN")])
        .await;
    let fields = intake_fields("f2222222222222222222222222222222", "Lò Thị Mai");
    let (status, _, html) = send(&app, &other, &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains(&number));
    assert!(
        !html.contains("Lò Thị Mai</p>") && !html.contains("Lò Thị Mai,"),
        "no child's data outside the jurisdiction: {html}"
    );
    let mut different = fields.clone();
    different.push(("children[0].match".into(), "new".into()));
    different.push(("children[0].shown".into(), number.clone()));
    let (status, location, html) = send(&app, &other, &different).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let second = location
        .trim_start_matches("/cases/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let (_, doc) = app.get(&cast.supervisor, &format!("/cases/{second}")).await;
    let linked: Vec<&Value> = doc["linked_cases"].as_array().unwrap().iter().collect();
    assert!(
        linked
            .iter()
            .any(|l| l["case_id"] == first.as_str() && l["relation"] == "not_same_child"),
        "{doc}"
    );
    assert_eq!(case_count(&app, &cast.supervisor).await, 2);
}
both_stores!(intake_searches_before_it_opens_anything);

async fn the_worklist_links_and_tells_apart_and_the_case_page_unlinks(store: Store) {
    let app = TestApp::spawn(store).await;
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
    let (_, doc_a) = app.get(&cast.supervisor, &format!("/cases/{a}")).await;
    let (_, doc_b) = app.get(&cast.supervisor, &format!("/cases/{b}")).await;
    // Wait for the matcher through the API (a strong read), then the page.
    let (_, list) = app.get(&cast.worker, "/children/duplicates").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    let (status, _, html) = page(&app, Some(&cast.worker), "/duplicates").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(doc_a["case_number"].as_str().unwrap()));
    assert!(
        html.contains("LO THI MAI") && html.contains("Lò Thị Mai"),
        "{html}"
    );
    // The other commune's chair has nothing to resolve here, and cannot resolve it blindly.
    let (_, _, html) = page(&app, Some(&cast.other_approver), "/duplicates").await;
    assert!(html.contains("data-testid=\"no-duplicates\""), "{html}");
    let (first, second) = if a < b { (&a, &b) } else { (&b, &a) };
    let pair = [
        ("case_id", first.as_str()),
        ("other_case_id", second.as_str()),
    ];
    let mut same: Vec<(&str, &str)> = pair.to_vec();
    same.push(("decision", "same"));
    let (status, _, _) = submit(
        &app,
        &cast.other_approver,
        "/duplicates",
        &same,
        true,
        &app.address,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Without the CSRF token nothing is written.
    let (status, _, _) = submit(
        &app,
        &cast.worker,
        "/duplicates",
        &same,
        false,
        &app.address,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, now_b) = app.get(&cast.supervisor, &format!("/cases/{b}")).await;
    assert_eq!(now_b["child_id"], doc_b["child_id"]);

    // The same child: the later case points to the earlier child's identity.
    let (status, headers, _) =
        submit(&app, &cast.worker, "/duplicates", &same, true, &app.address).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers["location"].to_str().unwrap(),
        "/duplicates?done=same"
    );
    let (_, later) = app.get(&cast.supervisor, &format!("/cases/{second}")).await;
    let (_, earlier) = app.get(&cast.supervisor, &format!("/cases/{first}")).await;
    assert_eq!(later["child_id"], earlier["child_id"]);
    let (_, _, html) = page(&app, Some(&cast.worker), "/duplicates?done=same").await;
    assert!(
        html.contains("data-testid=\"done\"") && html.contains("data-testid=\"no-duplicates\""),
        "{html}"
    );

    // The case page offers to undo the link; undoing restores the identity it had.
    let (_, _, html) = page(&app, Some(&cast.worker), &format!("/cases/{second}")).await;
    assert!(
        html.contains(&format!("/cases/{second}/steps/child-unlink")),
        "{html}"
    );
    let version = version_of(&app, &cast.worker, second).await;
    let (status, _, html) = submit(
        &app,
        &cast.worker,
        &format!("/cases/{second}/steps/child-unlink"),
        &[("version", version.as_str())],
        true,
        &app.address,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let original = if second == &b { &doc_b } else { &doc_a };
    let (_, later) = app.get(&cast.supervisor, &format!("/cases/{second}")).await;
    assert_eq!(later["child_id"], original["child_id"]);

    // Back on the list; now told apart, for good.
    let (_, list) = app.get(&cast.worker, "/children/duplicates").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    let mut different: Vec<(&str, &str)> = pair.to_vec();
    different.push(("decision", "different"));
    let (status, headers, _) = submit(
        &app,
        &cast.worker,
        "/duplicates",
        &different,
        true,
        &app.address,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers["location"].to_str().unwrap(),
        "/duplicates?done=different"
    );
    let (_, list) = app.get(&cast.worker, "/children/duplicates").await;
    assert_eq!(list["items"], serde_json::json!([]));
}
both_stores!(the_worklist_links_and_tells_apart_and_the_case_page_unlinks);
