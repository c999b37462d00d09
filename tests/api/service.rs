//! The service around the API: OpenAPI, health and readiness, the command line.

use crate::both_stores;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};

/// Every endpoint of shared/spec/api.md, with its method.
const API_MD: &[(&str, &str)] = &[
    ("post", "/auth/login"),
    ("post", "/auth/logout"),
    ("get", "/me"),
    ("post", "/users"),
    ("get", "/users"),
    ("get", "/users/{id}"),
    ("patch", "/users/{id}"),
    ("get", "/units"),
    ("get", "/units/{code}"),
    ("get", "/rules"),
    ("post", "/reports"),
    ("post", "/cases/{id}/assignment"),
    ("post", "/cases/{id}/transfer"),
    ("post", "/cases/{id}/initial-assessment"),
    ("post", "/cases/{id}/urgent-measures"),
    ("post", "/cases/{id}/separation"),
    ("post", "/cases/{id}/separation/extension"),
    ("post", "/cases/{id}/separation/end"),
    ("post", "/cases/{id}/detailed-assessment"),
    ("post", "/cases/{id}/needs-meeting"),
    ("post", "/cases/{id}/plan"),
    ("post", "/cases/{id}/plan/decision"),
    ("post", "/cases/{id}/services"),
    ("post", "/cases/{id}/referrals"),
    ("post", "/cases/{id}/review"),
    ("post", "/cases/{id}/closure"),
    ("post", "/cases/{id}/notes"),
    ("post", "/cases/{id}/corrections"),
    ("get", "/cases/{id}"),
    ("get", "/cases/{id}/history"),
    ("get", "/cases/{id}/access-log"),
    ("get", "/cases"),
    ("get", "/cases/by-number/{case_number}"),
    ("get", "/caseload"),
    ("get", "/deadlines"),
    ("get", "/statistics"),
    ("get", "/health"),
    ("get", "/ready"),
    ("get", "/metrics"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_openapi_document_covers_the_api_contract() {
    let app = TestApp::spawn(Store::Sqlite).await;
    let (status, _, doc) = app
        .request(Method::GET, None, "/openapi.json", None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for (method, path) in API_MD {
        let full = format!("/api/v1{path}");
        assert!(
            doc["paths"][&full][method].is_object(),
            "{method} {full} is missing from the OpenAPI document"
        );
    }
    // Every documented path is served (nothing documented that does not exist).
    let cast = app.cast().await;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let concrete = path
                .replace("{id}", &uuid::Uuid::now_v7().to_string())
                .replace("{code}", "VN")
                .replace("{case_number}", "12-2026-000001")
                .trim_start_matches("/api/v1")
                .to_owned();
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (status, _, body) = app
                .request(m, Some(&cast.supervisor.token), &concrete, None, &[])
                .await;
            assert!(
                !(status == StatusCode::NOT_FOUND && body["code"] == "not_found"),
                "{method} {path} is documented but not routed"
            );
            assert!(
                status.as_u16() < 500,
                "{method} {path} answered {status}: {body}"
            );
        }
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

async fn health_and_readiness(store: Store) {
    let app = TestApp::spawn(store).await;
    let (status, _, _) = app.request(Method::GET, None, "/health", None, &[]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, ready) = app.request(Method::GET, None, "/ready", None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    assert_eq!(ready["ready"], true);
    assert_eq!(ready["store_reachable"], true);
    assert_eq!(ready["projection_lag_events"], 0);
    assert!(ready["calendar_covers_until"].as_i64().unwrap() >= 2027);
    // Metrics are for admins.
    let cast = app.cast().await;
    let (status, _, _) = app
        .request(Method::GET, Some(&cast.worker.token), "/metrics", None, &[])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, text) = app
        .request(Method::GET, Some(&cast.admin.token), "/metrics", None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.as_str()
            .unwrap()
            .contains("casebook_projection_lag_events 0"),
        "{text}"
    );
    // The unit registry and the rules are there for every user.
    let (_, units) = app.get(&cast.worker, "/units?parent=12").await;
    assert_eq!(units["items"].as_array().unwrap().len(), 38);
    let (_, unit) = app.get(&cast.worker, "/units/03388").await;
    assert_eq!(unit["parent_code"], "12");
    assert_eq!(unit["kind"], "commune");
    let (_, rules) = app.get(&cast.worker, "/rules").await;
    let approval = rules["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "plan_approval")
        .unwrap();
    assert_eq!(approval["limit"], "2 working days");
    assert_eq!(approval["mark"], "law");
    assert_eq!(approval["basis"], "ND56 art. 28(4)");
}
both_stores!(health_and_readiness);

fn casebook(url: &str, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_casebook"))
        .args(args)
        .env("CASEBOOK_DATABASE_URL", url)
        .env("CASEBOOK_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_creates_the_first_admin_loads_units_and_rebuilds_views() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("casebook.db").display());

    let (code, out, err) = casebook(&url, &["migrate"], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("migrations applied"));

    // No default password: it must come from standard input, and be long enough.
    let (code, _, err) = casebook(&url, &["user", "add", "admin", "--grant", "admin:VN"], None);
    assert_eq!(code, 2, "--password-stdin is required: {err}");
    let (code, _, err) = casebook(
        &url,
        &[
            "user",
            "add",
            "admin",
            "--grant",
            "admin:VN",
            "--password-stdin",
        ],
        Some("short\n"),
    );
    assert_ne!(code, 0);
    assert!(err.contains("12 characters"), "{err}");
    let (code, _, err) = casebook(
        &url,
        &[
            "user",
            "add",
            "admin",
            "--grant",
            "boss:VN",
            "--password-stdin",
        ],
        Some(PASSWORD),
    );
    assert_ne!(code, 0);
    assert!(err.contains("roles are"), "{err}");
    let (code, out, err) = casebook(
        &url,
        &[
            "user",
            "add",
            "admin",
            "--grant",
            "admin:VN",
            "--display-name",
            "Quản trị",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        uuid::Uuid::parse_str(out.trim()).is_ok(),
        "prints the new user's id: {out}"
    );
    let (code, _, err) = casebook(
        &url,
        &[
            "user",
            "add",
            "admin",
            "--grant",
            "admin:VN",
            "--password-stdin",
        ],
        Some(PASSWORD),
    );
    assert_ne!(code, 0);
    assert!(err.contains("taken"), "{err}");

    // A unit file: a new commune under Lai Châu.
    let file = dir.path().join("units.json");
    std::fs::write(
        &file,
        r#"{"valid_from":"2025-07-01","units":[{"code":"03999","name":"Xã Thử Nghiệm","kind":"commune","parent_code":"12"}]}"#,
    )
    .unwrap();
    let (code, out, err) = casebook(&url, &["units", "import", file.to_str().unwrap()], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 units loaded"), "{out}");
    std::fs::write(&file, r#"{"valid_from":"2025-07-01","units":[{"code":"04001","name":"X","kind":"commune","parent_code":"99"}]}"#).unwrap();
    let (code, _, err) = casebook(&url, &["units", "import", file.to_str().unwrap()], None);
    assert_ne!(code, 0);
    assert!(err.contains("parent"), "{err}");

    // The admin logs in to a server on that store and sees the new unit.
    let app = TestApp::spawn_on(Store::Sqlite, url.clone(), None).await;
    let token = app.login("admin", PASSWORD).await;
    let (status, _, unit) = app
        .request(Method::GET, Some(&token), "/units/03999", None, &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{unit}");
    let worker = app
        .user(
            "mai.worker",
            &[(aggregates::codes::Role::SocialWorker, COMMUNE)],
        )
        .await;
    app.report(&worker, &hours_ago(1)).await;
    app.stop().await;

    let (code, out, err) = casebook(&url, &["projections", "rebuild"], None);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("cases:") && out.contains("events replayed"),
        "{out}"
    );
    let (code, _, err) = casebook(&url, &["projections", "rebuild", "nonsense"], None);
    assert_ne!(code, 0);
    assert!(err.contains("no projection"), "{err}");
}

#[test]
fn unknown_or_invalid_settings_stop_start_up() {
    let out = Command::new(env!("CARGO_BIN_EXE_casebook"))
        .arg("migrate")
        .env("CASEBOOK_DATABSE_URL", "sqlite://typo.db")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CASEBOOK_DATABSE_URL"));
    let out = Command::new(env!("CARGO_BIN_EXE_casebook"))
        .arg("migrate")
        .env("CASEBOOK_LISTEN", "not an address")
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let out = Command::new(env!("CARGO_BIN_EXE_casebook"))
        .arg("migrate")
        .env("CASEBOOK_DATABASE_URL", "mysql://x")
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sqlite:// or postgres://"));
    let _ = Value::Null;
}
