//! The service around the API: OpenAPI, health and readiness, the command line.

use crate::both_stores;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
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
    ("post", "/cases/{id}/court-petitions"),
    ("post", "/cases/{id}/court-orders"),
    ("post", "/cases/{id}/review"),
    ("post", "/cases/{id}/closure/proposal"),
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
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

/// Every documented operation, as every role and anonymously, never answers 5xx and is routed.
/// Each request carries a live session: logout is probed with a session of its own, and a 401
/// to a logged-in caller fails the probe (it would mean the probe went blind).
async fn the_openapi_probe_never_sees_a_5xx_as_any_role(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let (_, _, doc) = app
        .request(Method::GET, None, "/openapi.json", None, &[])
        .await;
    let case = app.report(&cast.hotline, &hours_ago(3)).await;
    let (_, shown) = app.get(&cast.supervisor, &format!("/cases/{case}")).await;
    let number = shown["case_number"].as_str().unwrap().to_owned();
    // `/users/{id}` routes act on a bystander, so that ending its sessions blinds no prober.
    let bystander = app
        .user(
            "nguoi.ngoai",
            &[(aggregates::codes::Role::SocialWorker, COMMUNE)],
        )
        .await;
    let people: Vec<(&str, Option<&TestUser>)> = vec![
        ("anonymous", None),
        ("admin", Some(&cast.admin)),
        ("hotline", Some(&cast.hotline)),
        ("worker", Some(&cast.worker)),
        ("approver", Some(&cast.approver)),
        ("supervisor", Some(&cast.supervisor)),
    ];
    let mut answered_by_a_handler = 0;
    let mut probes = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let concrete = path
                .trim_start_matches("/api/v1")
                .replace("/users/{id}", &format!("/users/{}", bystander.id))
                .replace("{id}", &case)
                .replace("{code}", COMMUNE)
                .replace("{case_number}", &number);
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = (m != Method::GET).then(|| serde_json::json!({}));
            for (name, user) in &people {
                let token = match user {
                    Some(u) if concrete == "/auth/logout" => {
                        Some(app.login(&u.username, PASSWORD).await)
                    }
                    Some(u) => Some(u.token.clone()),
                    None => None,
                };
                let (status, _, answer) = app
                    .request(m.clone(), token.as_deref(), &concrete, body.as_ref(), &[])
                    .await;
                probes += 1;
                assert!(
                    status.as_u16() < 500,
                    "{method} {path} as {name}: {status} {answer}"
                );
                assert!(
                    !(status == StatusCode::NOT_FOUND && answer["code"] == "not_found"),
                    "{method} {path} is documented but not routed"
                );
                if user.is_some() {
                    assert_ne!(
                        status,
                        StatusCode::UNAUTHORIZED,
                        "{method} {path} as {name}: the session stopped working ({answer})"
                    );
                }
                if !matches!(status.as_u16(), 401 | 403 | 404) {
                    answered_by_a_handler += 1;
                }
            }
        }
    }
    // The sessions are still alive at the end, and most probes reached a handler.
    for (name, user) in people.iter().filter_map(|(n, u)| u.map(|u| (n, u))) {
        let (status, _) = app.get(user, "/me").await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{name}'s session survived the probe"
        );
    }
    println!("RELIABILITY openapi_probe store={store:?} probes={probes} answered_by_a_handler={answered_by_a_handler}");
    assert!(probes >= 6 * 40, "{probes}");
    assert!(
        answered_by_a_handler > probes / 3,
        "{answered_by_a_handler} of {probes}"
    );
}
both_stores!(the_openapi_probe_never_sees_a_5xx_as_any_role);

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
    // A usage error (2), naming the setting and the value, not any failure at all.
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not an address") && err.contains("listen"),
        "{err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_casebook"))
        .arg("migrate")
        .env("CASEBOOK_DATABASE_URL", "mysql://x")
        .output()
        .unwrap();
    // A configuration error (1) before any connection is tried.
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sqlite:// or postgres://"));
}
