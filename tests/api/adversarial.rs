//! The adversarial suite of issue 9: one table-driven test per category, on both stores.
//! Separation of duties and impersonation live in `accounts.rs`, replays after a transfer and
//! request ids in `disclosure.rs`; here: the throttle race, control characters, and paging to
//! the end of every list.
//! RELIABILITY.md counts the cases of each table.

use crate::both_stores;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::HashSet;

async fn event_count(app: &TestApp) -> i64 {
    projections::with_db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT count(*) FROM events")
        .fetch_one(pool).await.unwrap())
}

async fn raw_login(app: &TestApp, username: &str, password: &str) -> StatusCode {
    app.client
        .post(app.url("/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
}

/// 40 parallel logins: the attempts are reserved before the slow hash, so at most the
/// threshold of them is ever checked, whatever the interleaving.
async fn parallel_logins_are_throttled_before_the_hash(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    // (account, how many parallel attempts, whether one of them has the right password)
    let table = [("mai.worker", 40, false), ("hung.chair", 40, true)];
    for (account, n, with_right_one) in table {
        let attempts = (0..n).map(|i| {
            let password = if with_right_one && i == n - 1 {
                PASSWORD
            } else {
                "a wrong password!"
            };
            raw_login(&app, account, password)
        });
        let statuses = futures_util::future::join_all(attempts).await;
        let checked = statuses
            .iter()
            .filter(|s| **s != StatusCode::TOO_MANY_REQUESTS)
            .count();
        let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
        if ok == 0 {
            assert_eq!(checked, 5, "{account}: {statuses:?}");
        } else {
            // A success starts the account's count over; at most another threshold follows.
            assert!(checked <= 10, "{account}: {statuses:?}");
        }
        assert!(
            statuses.iter().all(|s| matches!(
                *s,
                StatusCode::OK | StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS
            )),
            "{statuses:?}"
        );
        // Whatever got through, the right password now waits for the window (or it was one
        // of the checked five and logged in).
        let after = raw_login(&app, account, PASSWORD).await;
        if ok == 0 {
            assert_eq!(after, StatusCode::TOO_MANY_REQUESTS, "{account}");
        }
    }
    // The failures that reached the threshold are in the account trail, once per account.
    let (_, trail) = app
        .get(
            &cast.admin,
            &format!("/accounts/history?user={}", cast.worker.id),
        )
        .await;
    let over: Vec<&Value> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "login_failures_over_threshold")
        .collect();
    assert_eq!(over.len(), 1, "{trail}");
    assert_eq!(over[0]["details"]["failures"], 5);
    // Two instances on one store count together: 40 attempts split between them still check 5.
    let second = TestApp::spawn_on(store, app.database_url.clone(), None).await;
    let attempts = (0..40).map(|i| {
        let instance = if i % 2 == 0 { &app } else { &second };
        raw_login(instance, &cast.other_approver.username, "a wrong password!")
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let checked = statuses
        .iter()
        .filter(|s| **s != StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(checked, 5, "two instances: {statuses:?}");
    assert_eq!(
        raw_login(&second, &cast.other_approver.username, PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Per address: a spray over many accounts from one address stops at 30 checked (a fresh
    // store, so that the failures above do not count).
    let app = TestApp::spawn(store).await;
    let spray = (0..45).map(|i| {
        let app = &app;
        async move { raw_login(app, &format!("nobody{i}"), "a wrong password!").await }
    });
    let statuses = futures_util::future::join_all(spray).await;
    let checked = statuses
        .iter()
        .filter(|s| **s != StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(checked, 30, "{statuses:?}");
    println!(
        "RELIABILITY adversarial_throttle_race store={store:?} parallel_logins=120 checked_per_account_without_success=5 two_instances_checked=5 address_spray=45 address_checked=30"
    );
}
both_stores!(parallel_logins_are_throttled_before_the_hash);

/// Control characters anywhere a text enters: a 4xx naming the field, never a 5xx, nothing
/// written, the same on both stores (PostgreSQL cannot even store a NUL).
async fn control_characters_are_refused_at_the_edge(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let id = app.report(&cast.hotline, &hours_ago(2)).await;
    let mut report = report_body(&hours_ago(1), COMMUNE, &["Lò Thị\u{0}Mai"]);
    report["description"] = json!("Trẻ bị đánh\u{7}");
    let admin = &cast.admin;
    let worker = &cast.worker;
    let sup = &cast.supervisor;
    // (who, method, path, body, expected status, field named)
    type Row<'a> = (
        Option<&'a TestUser>,
        Method,
        String,
        Option<Value>,
        u16,
        &'a str,
    );
    let table: Vec<Row<'_>> = vec![
        (
            None,
            Method::POST,
            "/auth/login".into(),
            Some(json!({"username": "mai.worker\u{0}", "password": PASSWORD})),
            422,
            "username",
        ),
        (
            None,
            Method::POST,
            "/auth/login".into(),
            Some(json!({"username": "mai.worker", "password": "x\u{0}y"})),
            422,
            "password",
        ),
        (
            Some(worker),
            Method::GET,
            "/cases?q=L%C3%B2%00".into(),
            None,
            422,
            "q",
        ),
        (
            Some(worker),
            Method::GET,
            "/cases?cursor=%00".into(),
            None,
            422,
            "cursor",
        ),
        (
            Some(worker),
            Method::GET,
            "/cases?status=open%1B".into(),
            None,
            422,
            "status",
        ),
        (
            Some(worker),
            Method::GET,
            "/cases/by-number/12-2026-0%00".into(),
            None,
            422,
            "path",
        ),
        (
            Some(worker),
            Method::GET,
            format!("/cases/{id}%00"),
            None,
            422,
            "path",
        ),
        (
            Some(sup),
            Method::GET,
            "/deadlines?cursor=1_%00".into(),
            None,
            422,
            "cursor",
        ),
        (
            Some(sup),
            Method::GET,
            "/caseload?unit=%0A12".into(),
            None,
            422,
            "unit",
        ),
        (
            Some(admin),
            Method::GET,
            "/users?cursor=a%00".into(),
            None,
            422,
            "cursor",
        ),
        (
            Some(admin),
            Method::GET,
            "/accounts/history?user=%00".into(),
            None,
            422,
            "user",
        ),
        (
            Some(&cast.hotline),
            Method::POST,
            "/reports".into(),
            Some(report),
            422,
            "children[0].full_name",
        ),
        (
            Some(worker),
            Method::POST,
            format!("/cases/{id}/notes"),
            Some(json!({"text": "ghi chú\u{0}"})),
            422,
            "text",
        ),
        (
            Some(admin),
            Method::POST,
            "/users".into(),
            Some(
                json!({"username": "x\u{0}y", "display_name": "A", "password": "long enough passphrase",
                     "grants": [{"role": "social_worker", "unit_code": COMMUNE}]}),
            ),
            422,
            "username",
        ),
        (
            Some(admin),
            Method::PATCH,
            format!("/users/{}", worker.id),
            Some(json!({"display_name": "Mai\u{1b}[31m"})),
            422,
            "display_name",
        ),
    ];
    let before = event_count(&app).await;
    for (who, method, path, body, status, field) in &table {
        let (got, _, problem) = app
            .request(
                method.clone(),
                who.map(|u| u.token.as_str()),
                path,
                body.as_ref(),
                &[],
            )
            .await;
        assert_eq!(got.as_u16(), *status, "{method} {path}: {problem}");
        let named = problem["errors"].as_array().is_some_and(|e| {
            e.iter()
                .any(|e| e["field"] == *field && e["code"] == "control_characters")
        });
        assert!(named, "{method} {path}: {problem}");
    }
    assert_eq!(event_count(&app).await, before);
    println!(
        "RELIABILITY adversarial_control_characters store={store:?} requests={} refused_4xx_with_field={} server_errors=0 events_written=0",
        table.len(),
        table.len()
    );
    let (_, worker_now) = app.get(admin, &format!("/users/{}", worker.id)).await;
    assert_eq!(worker_now["display_name"], "Cán bộ mai.worker");
    // Line breaks and tabs stay allowed where a text has several lines.
    let (status, _) = app
        .post(
            worker,
            &format!("/cases/{id}/notes"),
            json!({"text": "dòng 1\n\tdòng 2"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // And NUL logins did not touch the throttle: the right password still logs in.
    assert_eq!(
        raw_login(&app, "mai.worker", PASSWORD).await,
        StatusCode::OK
    );
}
both_stores!(control_characters_are_refused_at_the_edge);

/// Follows `next_cursor` from `path` (which has a `?`) to the end, `limit` per page.
async fn all_pages(
    app: &TestApp,
    user: &TestUser,
    path: &str,
    limit: usize,
) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for page_number in 1..=200 {
        let mut url = format!("{path}&limit={limit}");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = app.get(user, &url).await;
        assert_eq!(status, StatusCode::OK, "{url}: {page}");
        let got = page["items"].as_array().unwrap();
        assert!(got.len() <= limit, "{url}");
        items.extend(got.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return (items, page_number),
        }
    }
    panic!("{path}: no end after 200 pages");
}

/// Every list, paged to the end with more rows than one page: nothing missed, nothing twice.
async fn every_list_pages_to_the_end(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(app.report(&cast.hotline, &hours_ago(20 - i)).await);
    }
    for _ in 0..3 {
        app.get(&cast.supervisor, &format!("/cases/{}", ids[0]))
            .await;
    }
    let key = |field: &'static str| move |v: &Value| v[field].to_string();
    let board_key = |v: &Value| format!("{}{}", v["case_id"], v["deadline_id"]);
    type Key = Box<dyn Fn(&Value) -> String>;
    // (who, list, key of an item, rows expected at least)
    let table: Vec<(&TestUser, String, Key, usize)> = vec![
        (&cast.supervisor, "/cases?".into(), Box::new(key("id")), 5),
        (
            &cast.worker,
            "/cases?q=L%C3%B2".into(),
            Box::new(key("id")),
            5,
        ),
        (&cast.approver, "/caseload?".into(), Box::new(key("id")), 5),
        (
            &cast.supervisor,
            "/deadlines?".into(),
            Box::new(board_key),
            5,
        ),
        (
            &cast.approver,
            "/deadlines?state=overdue".into(),
            Box::new(board_key),
            5,
        ),
        (&cast.admin, "/users?".into(), Box::new(key("id")), 7),
        (
            &cast.admin,
            "/accounts/history?".into(),
            Box::new(key("id")),
            7,
        ),
        (
            &cast.supervisor,
            format!("/cases/{}/access-log?", ids[0]),
            Box::new(key("at")),
            3,
        ),
    ];
    let mut pages_read = 0;
    for (user, path, key, at_least) in &table {
        let (_, whole) = app.get(user, &format!("{path}&limit=500")).await;
        let whole = whole["items"].as_array().unwrap().len();
        // The access log grows by one row per page read: a page of one would never end.
        let limits: &[usize] = if path.contains("access-log") {
            &[2, 3]
        } else {
            &[1, 2, 3]
        };
        for &limit in limits {
            let (items, pages) = all_pages(&app, user, path, limit).await;
            pages_read += pages;
            let keys: Vec<String> = items.iter().map(key).collect();
            let distinct: HashSet<&String> = keys.iter().collect();
            if path.contains("access-log") {
                // Each page read is itself audited: the log grows while it is paged.
                let ats: Vec<&str> = items.iter().map(|v| v["at"].as_str().unwrap()).collect();
                assert!(ats.windows(2).all(|w| w[0] <= w[1]), "{path}");
                assert!(items.len() > *at_least, "{path}");
                continue;
            }
            assert_eq!(distinct.len(), keys.len(), "{path} limit {limit}: repeats");
            assert_eq!(items.len(), whole, "{path} limit {limit}");
            assert!(items.len() >= *at_least, "{path}: {}", items.len());
        }
    }
    println!(
        "RELIABILITY adversarial_paging store={store:?} lists={} pages_read={pages_read} repeats=0 missed=0 server_errors=0",
        table.len()
    );
}
both_stores!(every_list_pages_to_the_end);
