//! One child, one record (issue 12) over HTTP on both stores: search before create with the
//! jurisdiction rules and the audit of every search, attaching a report to the open case, a new
//! episode of a closed case, "different child", the duplicates worklist, link and unlink.

use crate::both_stores;
use crate::helpers::*;
use aggregates::codes::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn search(name: &str, age: u8) -> Value {
    json!({"received_at": hours_ago(1),
           "child": {"full_name": name, "estimated_age": age, "sex": "female", "residence_unit": COMMUNE}})
}

async fn candidates(app: &TestApp, user: &TestUser, body: Value) -> Vec<Value> {
    let (status, answer) = app.post(user, "/children/matches", body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer["candidates"].as_array().unwrap().clone()
}

async fn abused_children(app: &TestApp, supervisor: &TestUser) -> Value {
    let (status, stats) = app
        .get(supervisor, &format!("/statistics?unit={PROVINCE}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    stats["abused_children"]["children"].clone()
}

async fn views_of(app: &TestApp, supervisor: &TestUser, case: &str) -> Vec<(String, String)> {
    let (_, log) = app
        .get(supervisor, &format!("/cases/{case}/access-log"))
        .await;
    log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["user_id"].as_str().unwrap().to_owned(),
                e["view"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn a_child_reported_twice_through_the_hotline_is_found_attached_and_counted_once(
    store: Store,
) {
    let app = TestApp::spawn_with(store, |s| s.stats_min_cell = 1).await;
    let cast = app.cast().await;
    let second_operator = app
        .user("tongdai.dem", &[(Role::HotlineOperator, "VN")])
        .await;
    let first = app.report(&cast.hotline, &hours_ago(6)).await;
    let (_, doc) = app.get(&cast.supervisor, &format!("/cases/{first}")).await;
    let number = doc["case_number"].as_str().unwrap().to_owned();

    // The second call, typed without marks by another operator, who may not read the case:
    // it learns that a case exists, its number and its commune, nothing of the child.
    let found = candidates(&app, &second_operator, search("Lo Thi Mai", 9)).await;
    assert_eq!(found.len(), 1, "{found:?}");
    let outside = found[0].as_object().unwrap();
    assert_eq!(outside["in_jurisdiction"], false);
    assert_eq!(outside["case_number"], number.as_str());
    assert_eq!(outside["commune"], COMMUNE);
    assert_eq!(outside["level"], "likely");
    let mut keys: Vec<&str> = outside.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["case_number", "commune", "in_jurisdiction", "level"]);

    // The operator who took the first report may read it: the case and the child, with reasons.
    let found = candidates(&app, &cast.hotline, search("Lo Thi Mai", 9)).await;
    assert_eq!(found[0]["case_id"], first.as_str());
    assert_eq!(found[0]["child"]["full_name"], "Lò Thị Mai");
    assert_eq!(found[0]["status"], "reported");
    let summary = found[0]["summary"].as_str().unwrap();
    assert!(summary.starts_with("trùng họ tên"), "{summary}");
    // Every search is audited; only the one that showed the child is in the case's log.
    let views = views_of(&app, &cast.supervisor, &first).await;
    assert!(views.contains(&(cast.hotline.id.to_string(), "child_match".into())));
    assert!(!views
        .iter()
        .any(|(u, _)| *u == second_operator.id.to_string()));
    assert_eq!(
        casebook::store::child_searches::count_for(&app.db, second_operator.id)
            .await
            .unwrap(),
        1
    );

    // Attaching the second report by the number it was shown: no parallel case.
    let mut body = report_body(&hours_ago(1), COMMUNE, &["Lo Thi Mai"]);
    body["children"][0]["attach_to_case_number"] = json!(number);
    let (status, answer) = app.post(&second_operator, "/reports", body).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["cases"][0]["id"], first.as_str());
    assert_eq!(answer["cases"][0]["attached"], true);
    let (_, doc) = app.get(&cast.supervisor, &format!("/cases/{first}")).await;
    assert_eq!(
        doc["attached_reports"].as_array().unwrap().len(),
        1,
        "{doc}"
    );
    // The 12 hours run again from the new receipt (ND56 art. 26).
    let clocks: Vec<&Value> = doc["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule_id"] == "initial_assessment")
        .collect();
    assert_eq!(clocks.len(), 2, "{clocks:?}");
    assert_eq!(
        clocks[1]["started_at"]
            .as_str()
            .map(|t| t.parse::<chrono::DateTime<chrono::Utc>>().unwrap()),
        Some(
            hours_ago(1)
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap()
        )
    );
    // One child in indicator 0101.
    assert_eq!(abused_children(&app, &cast.supervisor).await, 1);
}
both_stores!(a_child_reported_twice_through_the_hotline_is_found_attached_and_counted_once);

async fn a_worker_sees_the_children_of_its_commune_and_only_existence_elsewhere(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let here = app.report(&cast.hotline, &hours_ago(6)).await;
    let there = app
        .ok(
            &cast.hotline,
            "/reports",
            report_body(&hours_ago(5), OTHER_COMMUNE, &["Lò Thị Mai"]),
        )
        .await["cases"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let found = candidates(&app, &cast.worker, search("Lò Thị Mai", 9)).await;
    assert_eq!(found.len(), 2, "{found:?}");
    let mine = found.iter().find(|c| c["in_jurisdiction"] == true).unwrap();
    assert_eq!(mine["case_id"], here.as_str());
    assert_eq!(mine["child"]["school"], "Trường Tiểu học Đoàn Kết");
    let other = found
        .iter()
        .find(|c| c["in_jurisdiction"] == false)
        .unwrap();
    assert_eq!(other["commune"], OTHER_COMMUNE);
    assert!(other.get("case_id").is_none() && other.get("child").is_none());
    assert!(!views_of(&app, &cast.supervisor, &there)
        .await
        .iter()
        .any(|(_, v)| v == "child_match"));
    // The incident commune of the report being taken stands for an unknown residence.
    let found = candidates(
        &app,
        &cast.worker,
        json!({"incident_unit": COMMUNE, "child": {"full_name": "Lo Thi Mai", "estimated_age": 9}}),
    )
    .await;
    let mine = found
        .iter()
        .find(|c| c["case_id"] == here.as_str())
        .unwrap();
    let codes: Vec<&str> = mine["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"same_residence"), "{codes:?}");
}
both_stores!(a_worker_sees_the_children_of_its_commune_and_only_existence_elsewhere);

async fn siblings_sharing_family_and_middle_names_are_not_offered(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    app.ok(
        &cast.hotline,
        "/reports",
        report_body(&hours_ago(6), COMMUNE, &["Lò Thị Hoa"]),
    )
    .await;
    let found = candidates(&app, &cast.hotline, search("Lò Thị Mai", 9)).await;
    assert!(found.is_empty(), "{found:?}");
    // An English caller gets the reasons in English.
    app.report(&cast.hotline, &hours_ago(5)).await;
    let (_, _, answer) = app
        .request(
            reqwest::Method::POST,
            Some(&cast.hotline.token),
            "/children/matches",
            Some(&search("Lo Thi Mai", 10)),
            &[("accept-language", "en")],
        )
        .await;
    let summary = answer["candidates"][0]["summary"].as_str().unwrap();
    assert!(summary.starts_with("same full name"), "{summary}");
}
both_stores!(siblings_sharing_family_and_middle_names_are_not_offered);

async fn a_new_episode_keeps_the_child_and_a_different_child_is_not_asked_again(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let old = app.report(&cast.hotline, &hours_ago(30)).await;
    app.ok(
        &cast.worker,
        &format!("/cases/{old}/initial-assessment"),
        json!({"assessed_at": hours_ago(29), "outcome": "no_concern", "findings": "x"}),
    )
    .await;
    app.ok(
        &cast.approver,
        &format!("/cases/{old}/closure"),
        json!({"decided_at": hours_ago(28), "decision": "approve"}),
    )
    .await;
    // A closed case takes no attached report: a new episode is opened instead.
    let mut body = report_body(&hours_ago(2), COMMUNE, &["Lò Thị Mai"]);
    body["children"][0]["attach_to_case_id"] = json!(old);
    let (status, answer) = app.post(&cast.hotline, "/reports", body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["code"], "case_closed");
    let mut body = report_body(&hours_ago(2), COMMUNE, &["Lò Thị Mai"]);
    body["children"][0]["previous_case_id"] = json!(old);
    let new = app.ok(&cast.hotline, "/reports", body).await["cases"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, old_doc) = app.get(&cast.supervisor, &format!("/cases/{old}")).await;
    let (_, new_doc) = app.get(&cast.supervisor, &format!("/cases/{new}")).await;
    assert_eq!(new_doc["child_id"], old_doc["child_id"]);
    assert_eq!(new_doc["linked_cases"][0]["relation"], "previous_episode");

    // Another girl of the same name in the commune: the operator says "different child".
    let mut body = report_body(&hours_ago(1), COMMUNE, &["Lò Thị Mai"]);
    body["children"][0]["not_same_as"] = json!([new]);
    let third = app.ok(&cast.hotline, "/reports", body).await["cases"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, doc) = app.get(&cast.supervisor, &format!("/cases/{third}")).await;
    assert_eq!(
        doc["linked_cases"],
        json!([{"case_id": new, "relation": "not_same_child"}])
    );
    assert_ne!(doc["child_id"], new_doc["child_id"]);
    // The worklist does not pair them again.
    let (status, list) = app.get(&cast.worker, "/children/duplicates").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["items"], json!([]), "{list}");
}
both_stores!(a_new_episode_keeps_the_child_and_a_different_child_is_not_asked_again);

async fn possible_duplicates_are_linked_and_unlinked_as_events(store: Store) {
    let app = TestApp::spawn_with(store, |s| s.stats_min_cell = 1).await;
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
    assert_eq!(abused_children(&app, &cast.supervisor).await, 2);
    let (status, list) = app.get(&cast.worker, "/children/duplicates").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    let pair: Vec<&str> = items[0]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["case_id"].as_str().unwrap())
        .collect();
    assert!(pair.contains(&a.as_str()) && pair.contains(&b.as_str()));
    assert!(views_of(&app, &cast.supervisor, &a)
        .await
        .contains(&(cast.worker.id.to_string(), "duplicates".into())));
    // The chair of another commune has none of them.
    let (_, list) = app.get(&cast.other_approver, "/children/duplicates").await;
    assert_eq!(list["items"], json!([]));

    let (_, doc_a) = app.get(&cast.supervisor, &format!("/cases/{a}")).await;
    let (_, doc_b) = app.get(&cast.supervisor, &format!("/cases/{b}")).await;
    let linked = app
        .ok(
            &cast.worker,
            &format!("/cases/{b}/child-link"),
            json!({"same_as_case_id": a}),
        )
        .await;
    assert_eq!(linked["child_id"], doc_a["child_id"]);
    assert_eq!(abused_children(&app, &cast.supervisor).await, 1);
    let (_, list) = app.get(&cast.worker, "/children/duplicates").await;
    assert_eq!(list["items"], json!([]));
    // Linking again is refused; unlinking restores the identity B had.
    let (status, answer) = app
        .post(
            &cast.worker,
            &format!("/cases/{b}/child-link"),
            json!({"same_as_case_id": a}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    let unlinked = app
        .ok(
            &cast.approver,
            &format!("/cases/{b}/child-unlink"),
            json!({}),
        )
        .await;
    assert_eq!(unlinked["child_id"], doc_b["child_id"]);
    assert_eq!(abused_children(&app, &cast.supervisor).await, 2);
    let (_, history) = app
        .get(&cast.supervisor, &format!("/cases/{b}/history"))
        .await;
    let kinds: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"ChildLinked") && kinds.contains(&"ChildUnlinked"),
        "{kinds:?}"
    );
    // Back on the worklist until the commune says they are different children.
    let (_, list) = app.get(&cast.worker, "/children/duplicates").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    app.ok(
        &cast.worker,
        &format!("/cases/{b}/child-distinct"),
        json!({"other_case_id": a}),
    )
    .await;
    let (_, list) = app.get(&cast.worker, "/children/duplicates").await;
    assert_eq!(list["items"], json!([]));
    // A case the caller may not read cannot be named as the same child.
    let elsewhere = app
        .ok(
            &cast.hotline,
            "/reports",
            report_body(&hours_ago(2), OTHER_COMMUNE, &["Lò Thị Mai"]),
        )
        .await["cases"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, answer) = app
        .post(
            &cast.worker,
            &format!("/cases/{b}/child-link"),
            json!({"same_as_case_id": elsewhere}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["errors"][0]["code"], "case_not_found");
}
both_stores!(possible_duplicates_are_linked_and_unlinked_as_events);

async fn bad_searches_and_reports_are_refused_and_write_nothing(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let case = app.report(&cast.hotline, &hours_ago(6)).await;
    for body in [
        json!({"child": {"estimated_age": 9}}),
        json!({"child": {"full_name": "Mai", "estimated_age": 30}}),
        json!({"child": {"full_name": "Mai", "sex": "girl"}}),
        json!({"child": {"full_name": "Mai", "residence_unit": "99999"}}),
        json!({"child": {"full_name": "Mai"}, "received_at": "yesterday"}),
    ] {
        let (status, answer) = app
            .post(&cast.hotline, "/children/matches", body.clone())
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
    }
    let (status, _) = app
        .post(
            &cast.hotline,
            "/children/matches",
            json!({"child": {"full_name": "Mai"}, "name": "x"}),
        )
        .await;
    assert!(status.is_client_error());
    let (status, _) = app
        .post(&cast.approver, "/children/matches", search("Mai", 9))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        casebook::store::child_searches::count_for(&app.db, cast.hotline.id)
            .await
            .unwrap(),
        0
    );
    // Attach and new episode at once, an unknown case, a malformed "different child".
    let unknown = uuid::Uuid::now_v7().to_string();
    for (field, value) in [
        ("attach_to_case_id", json!(unknown)),
        ("not_same_as", json!(["not-an-id"])),
    ] {
        let mut body = report_body(&hours_ago(1), COMMUNE, &["Lò Thị Mai"]);
        body["children"][0][field] = value;
        let (status, answer) = app.post(&cast.hotline, "/reports", body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {answer}"
        );
    }
    let mut body = report_body(&hours_ago(1), COMMUNE, &["Lò Thị Mai"]);
    body["children"][0]["attach_to_case_id"] = json!(case);
    body["children"][0]["previous_case_id"] = json!(case);
    let (status, answer) = app.post(&cast.hotline, "/reports", body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    // Nothing was written: one case, no attached report.
    let (_, list) = app.get(&cast.supervisor, "/cases").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (_, doc) = app.get(&cast.supervisor, &format!("/cases/{case}")).await;
    assert_eq!(doc["attached_reports"], json!([]));
    assert_eq!(doc["version"], 2);
}
both_stores!(bad_searches_and_reports_are_refused_and_write_nothing);
