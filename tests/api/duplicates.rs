//! The background duplicates matcher (issue 12) on both stores: the worklist follows intake,
//! corrections, transfers, closures and links as the matcher finds them; new matching rules
//! look for every pair again; a full pass from scratch gives exactly the live pairs.

use crate::both_stores;
use crate::helpers::*;
use projections::projector::Projections;
use projections::views::duplicates;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;

async fn report_of(app: &TestApp, by: &TestUser, unit: &str, name: &str, hours: i64) -> String {
    app.ok(
        by,
        "/reports",
        report_body(&hours_ago(hours), unit, &[name]),
    )
    .await["cases"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The worklist's pairs as sets of two case ids, sorted.
async fn pairs(app: &TestApp, user: &TestUser) -> Vec<[String; 2]> {
    let (status, list) = app.get(user, "/children/duplicates").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let mut out: Vec<[String; 2]> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let ids: Vec<String> = item["cases"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["case_id"].as_str().unwrap().to_owned())
                .collect();
            let mut pair = [ids[0].clone(), ids[1].clone()];
            pair.sort();
            pair
        })
        .collect();
    out.sort();
    out
}

fn pair(a: &str, b: &str) -> [String; 2] {
    let mut p = [a.to_owned(), b.to_owned()];
    p.sort();
    p
}

async fn the_worklist_follows_corrections_transfers_and_closures(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let a = report_of(&app, &cast.hotline, COMMUNE, "Lò Thị Mai", 8).await;
    let b = report_of(&app, &cast.hotline, COMMUNE, "LO THI MAI", 7).await;
    // A sister: same family and middle name, another given name.
    let c = report_of(&app, &cast.hotline, COMMUNE, "Lò Thị Hoa", 6).await;
    assert_eq!(pairs(&app, &cast.worker).await, [pair(&a, &b)]);

    // The sister's name was typed wrong: corrected, she pairs with both.
    app.ok(
        &cast.approver,
        &format!("/cases/{c}/assignment"),
        json!({"worker_id": cast.worker.id}),
    )
    .await;
    app.ok(
        &cast.worker,
        &format!("/cases/{c}/corrections"),
        json!({"corrects_event": 1, "field": "child.full_name", "value": "Lò Thị Mai", "reason": "Ghi nhầm tên"}),
    )
    .await;
    let mut expected = vec![pair(&a, &b), pair(&a, &c), pair(&b, &c)];
    expected.sort();
    assert_eq!(pairs(&app, &cast.worker).await, expected);

    // Transferred to the commune where she lives: the pairs stay in each commune.
    app.ok(
        &cast.approver,
        &format!("/cases/{c}/transfer"),
        json!({"to_unit": OTHER_COMMUNE, "reason": "Trẻ sống ở xã khác"}),
    )
    .await;
    assert_eq!(pairs(&app, &cast.worker).await, [pair(&a, &b)]);
    assert_eq!(
        pairs(&app, &cast.other_approver).await,
        Vec::<[String; 2]>::new()
    );

    // B closed as a duplicate of A: nothing left to resolve.
    app.ok(
        &cast.worker,
        &format!("/cases/{b}/closure/proposal"),
        json!({"proposed_at": hours_ago(2), "reason": "duplicate", "linked_case_id": a}),
    )
    .await;
    app.ok(
        &cast.approver,
        &format!("/cases/{b}/closure"),
        json!({"decided_at": hours_ago(1), "decision": "approve"}),
    )
    .await;
    assert_eq!(pairs(&app, &cast.worker).await, Vec::<[String; 2]>::new());
    // What the matcher keeps, not only what the worklist shows (it hides pairs the identities
    // view has already resolved): no stale pair is left in the table.
    let kept: i64 = projections::with_db!(&app.db, pool => {
        sqlx::query_scalar("SELECT count(*) FROM possible_duplicates")
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert_eq!(kept, 0);
}
both_stores!(the_worklist_follows_corrections_transfers_and_closures);

async fn new_matching_rules_look_for_every_pair_again(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let a = report_of(&app, &cast.hotline, COMMUNE, "Lò Thị Mai", 8).await;
    let b = report_of(&app, &cast.hotline, COMMUNE, "Lo Thi Mai", 7).await;
    assert_eq!(pairs(&app, &cast.worker).await, [pair(&a, &b)]);
    let (url, dir) = app.stop().await;

    // A province raises the thresholds beyond any score: no pair is offered any more.
    let mut rules: Value =
        serde_json::from_str(aggregates::identity::DEFAULT_MATCHING_JSON).unwrap();
    rules["possible_at"] = json!(1000.0);
    rules["likely_at"] = json!(1000.0);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), rules.to_string()).unwrap();
    let path = file.path().to_owned();
    let app = TestApp::spawn_on_with(store, url, dir, |s| s.matching = Some(path)).await;
    let worker = app_user(&app, &cast.worker).await;
    assert_eq!(pairs(&app, &worker).await, Vec::<[String; 2]>::new());
    let (url, dir) = app.stop().await;

    // Back to the shipped rules: found again.
    let app = TestApp::spawn_on(store, url, dir).await;
    let worker = app_user(&app, &cast.worker).await;
    assert_eq!(pairs(&app, &worker).await, [pair(&a, &b)]);
}
both_stores!(new_matching_rules_look_for_every_pair_again);

/// The same user logged in on a restarted server.
async fn app_user(app: &TestApp, user: &TestUser) -> TestUser {
    TestUser {
        id: user.id,
        username: user.username.clone(),
        token: app.login(&user.username, PASSWORD).await,
    }
}

async fn a_full_pass_finds_exactly_the_live_pairs(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let names = [
        "Lò Thị Mai",
        "LO THI MAI",
        "Lò Thị Mây",
        "Mai Lò Thị",
        "Lò Văn Nam",
        "Lo Van Nam",
        "Lò Thị Hoa",
        "Nguyễn Thị Mai",
    ];
    for (i, name) in names.iter().enumerate() {
        report_of(&app, &cast.hotline, COMMUNE, name, 10 - i as i64).await;
    }
    let live = pairs(&app, &cast.worker).await;
    assert!(live.len() >= 2, "{live:?}");
    let units = [COMMUNE.to_owned()];
    let rows = |r: Vec<duplicates::PairRow>| {
        let mut v: Vec<(String, String, String, String)> = r
            .into_iter()
            .map(|p| {
                (
                    p.cases[0].case_id.to_string(),
                    p.cases[1].case_id.to_string(),
                    p.level,
                    format!("{:.6}", p.score),
                )
            })
            .collect();
        v.sort();
        v
    };
    let before = rows(duplicates::worklist(&app.db, &units).await.unwrap());
    let projections = Projections::with_matching(
        app.db.clone(),
        Arc::new(aggregates::identity::MatchRules::shipped()),
    );
    let looked_at = projections.rebuild_duplicates(|_| {}).await.unwrap();
    assert!(looked_at >= names.len() as u64, "{looked_at}");
    let after = rows(duplicates::worklist(&app.db, &units).await.unwrap());
    assert_eq!(before, after);
    println!(
        "store={store:?} open_cases={} pairs={} full_pass_equals_live=true",
        names.len(),
        after.len()
    );
}
both_stores!(a_full_pass_finds_exactly_the_live_pairs);
