//! Field classes never leak: the reporter's identity and the child's data appear in no response
//! to a role that may not see them and in no log line, even at debug level; expired and forged
//! tokens are refused.

use crate::helpers::*;
use aggregates::codes::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD: &str = "Giàng Thị Sáu";
const REPORTER: &str = "Hoàng Văn Bảy";
const PHONE: &str = "0987654321";
const DESCRIPTION: &str = "Bị cha dượng đánh bằng gậy ở chuồng trâu";

async fn no_personal_data_reaches_the_logs_or_the_wrong_reader(store: Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = match store {
        Store::Sqlite => format!("sqlite://{}", dir.path().join("casebook.db").display()),
        Store::Postgres => crate::pg::fresh_database().await,
    };
    let db = casebook::startup::open_store(&casebook::config::Settings::for_database(&url))
        .await
        .unwrap();
    for (name, role, unit) in [
        ("tongdai111", Role::HotlineOperator, "VN"),
        ("mai.worker", Role::SocialWorker, COMMUNE),
        ("hung.chair", Role::Approver, COMMUNE),
        ("lan.supervisor", Role::Supervisor, PROVINCE),
        ("binh.worker", Role::SocialWorker, OTHER_COMMUNE),
    ] {
        create_user(&db, name, &[(role, unit)]).await;
    }
    db.close().await;

    // The real binary, logging everything at debug level as JSON into a file.
    let log_path = dir.path().join("server.log");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_casebook"))
        .arg("serve")
        .env("CASEBOOK_DATABASE_URL", &url)
        .env("CASEBOOK_LISTEN", format!("127.0.0.1:{port}"))
        .env("CASEBOOK_LOG", "debug")
        .env("CASEBOOK_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(&log_path).unwrap()))
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let client = reqwest::Client::new();
    let started = Instant::now();
    while !client
        .get(format!("{base}/health"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(started.elapsed() < Duration::from_secs(60));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let login = |name: &str| {
        let (client, base) = (client.clone(), base.clone());
        let name = name.to_owned();
        async move {
            let v: Value = client
                .post(format!("{base}/auth/login"))
                .json(&json!({"username": name, "password": PASSWORD}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["token"].as_str().unwrap().to_owned()
        }
    };
    let hotline = login("tongdai111").await;
    let worker = login("mai.worker").await;
    let chair = login("hung.chair").await;
    let supervisor = login("lan.supervisor").await;
    let outsider = login("binh.worker").await;

    let mut body = report_body(&hours_ago(2), COMMUNE, &[CHILD]);
    body["description"] = json!(DESCRIPTION);
    body["reporter"] = json!({"name": REPORTER, "phone": PHONE, "consent": true});
    let opened: Value = client
        .post(format!("{base}/reports"))
        .bearer_auth(&hotline)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = opened["cases"][0]["id"].as_str().unwrap().to_owned();
    // A refused report carrying personal data (its text must not be logged either).
    let mut refused = body.clone();
    refused["received_at"] = json!("not a time");
    let status = client
        .post(format!("{base}/reports"))
        .bearer_auth(&hotline)
        .json(&refused)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let get = |token: &str, path: &str| {
        let (client, url, token) = (client.clone(), format!("{base}{path}"), token.to_owned());
        async move {
            let r = client
                .get(url)
                .bearer_auth(token)
                .header("casebook-consistency", "strong")
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    // Readers who may not see the reporter: the record carries the child, never the reporter.
    for token in [&worker, &chair] {
        let (status, text) = get(token, &format!("/cases/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(text.contains(CHILD));
        assert!(
            !text.contains(PHONE) && !text.contains(REPORTER),
            "reporter leaked: {text}"
        );
    }
    // Searching by the child's name puts it in a query string: not in the logs either.
    let (status, text) = get(&worker, &format!("/cases?q={}", "Giang%20Thi%20Sau")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains(CHILD));
    // Outside the jurisdiction: nothing at all.
    let (status, text) = get(&outsider, &format!("/cases/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!text.contains(CHILD));
    let (_, text) = get(&outsider, "/cases").await;
    assert!(!text.contains(CHILD));
    let (_, text) = get(&outsider, "/deadlines").await;
    assert!(!text.contains(CHILD) && !text.contains(&id));
    // The supervisor's statistics are counts only.
    let (_, text) = get(&supervisor, "/statistics").await;
    assert!(!text.contains(CHILD) && !text.contains(REPORTER));
    let (_, text) = get(&supervisor, &format!("/cases/{id}/history")).await;
    assert!(
        text.contains(PHONE),
        "supervisors see the reporter in the history"
    );

    child.kill().unwrap();
    let _ = child.wait();
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log.lines().count() > 20,
        "the server logged at debug level: {log}"
    );
    // Debug logging was really on: debug lines are there, and the requests' own lines too.
    let debug_lines = log
        .lines()
        .filter(|l| l.contains(r#""level":"DEBUG""#))
        .count();
    assert!(
        debug_lines > 0,
        "no debug line: the test proved nothing about debug logging"
    );
    assert!(
        log.contains("/cases/{id}"),
        "the request lines are in the log (route patterns)"
    );
    println!(
        "RELIABILITY leak_check store={store:?} log_lines={} debug_lines={debug_lines}",
        log.lines().count()
    );
    for secret in [
        CHILD,
        "Giang Thi Sau",
        "Giang%20Thi%20Sau",
        REPORTER,
        PHONE,
        DESCRIPTION,
        "Thái",
        "Trường Tiểu học",
    ] {
        assert!(!log.contains(secret), "`{secret}` appears in the log");
    }
    // Tokens are never logged either.
    assert!(!log.contains(&worker) && !log.contains(&hotline));
}
crate::both_stores!(no_personal_data_reaches_the_logs_or_the_wrong_reader);

/// The stored form of a token is its SHA-256, pinned against a value computed elsewhere
/// (`printf abc | sha256sum`), not against the function itself.
#[test]
fn a_token_is_stored_as_its_sha256() {
    assert_eq!(
        casebook::auth::token_hash("abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let token = casebook::auth::new_token();
    assert_ne!(casebook::auth::token_hash(&token), token);
    assert_eq!(casebook::auth::token_hash(&token).len(), 64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_forged_tokens_are_refused() {
    let app = TestApp::spawn(Store::Sqlite).await;
    let cast = app.cast().await;
    // A session past its expiry, straight in the store.
    let token = casebook::auth::new_token();
    let now = chrono::Utc::now();
    casebook::store::sessions::create(
        &app.db,
        &casebook::auth::token_hash(&token),
        cast.worker.id,
        now - chrono::Duration::hours(9),
        now - chrono::Duration::minutes(1),
    )
    .await
    .unwrap();
    let (status, _, problem) = app
        .request(reqwest::Method::GET, Some(&token), "/me", None, &[])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["code"], "unauthenticated");
    // A token that only looks right, and the stored hash used as a token.
    let forged = cast.worker.token.chars().rev().collect::<String>();
    let (status, _, _) = app
        .request(reqwest::Method::GET, Some(&forged), "/me", None, &[])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let hash = casebook::auth::token_hash(&cast.worker.token);
    let (status, _, _) = app
        .request(reqwest::Method::GET, Some(&hash), "/me", None, &[])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Other schemes.
    let response = app
        .client
        .get(app.url("/me"))
        .header("authorization", format!("Basic {}", cast.worker.token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // The real token works.
    let (status, _) = app.get(&cast.worker, "/me").await;
    assert_eq!(status, StatusCode::OK);
}
