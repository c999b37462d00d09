//! Route coverage. The authorization matrix must list every route the server serves: the routes
//! are read from the router itself (`src/http/mod.rs`) and from the served OpenAPI document, so
//! a new route fails `every_served_route_is_in_the_matrix` until it is listed here and tried.
//! The routes outside a single case are tried as every role and as an anonymous caller; the
//! case routes are in `matrix.rs` (every role × jurisdiction × case state).

use crate::both_stores;
use crate::helpers::*;
use aggregates::codes::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Who may use a route outside a single case, per api.md.
#[derive(Debug, Clone, Copy)]
pub enum Gate {
    /// No session needed.
    Public,
    /// Any logged-in user.
    AnyUser,
    /// These roles only.
    Roles(&'static [Role]),
    /// `POST /reports`: a hotline operator or worker whose grant covers the incident unit.
    Reporters,
}

const CASE_ROLES: &[Role] = &[
    Role::HotlineOperator,
    Role::SocialWorker,
    Role::Approver,
    Role::Supervisor,
];
const BOARD_ROLES: &[Role] = &[Role::SocialWorker, Role::Approver, Role::Supervisor];

/// Every route that is not about one case: (method, pattern under /api/v1, gate).
pub const OTHER_ROUTES: &[(&str, &str, Gate)] = &[
    ("GET", "/openapi.json", Gate::Public),
    ("GET", "/health", Gate::Public),
    ("GET", "/ready", Gate::Public),
    ("GET", "/metrics", Gate::Roles(&[Role::Admin])),
    ("POST", "/auth/login", Gate::Public),
    ("POST", "/auth/logout", Gate::AnyUser),
    ("GET", "/me", Gate::AnyUser),
    ("POST", "/users", Gate::Roles(&[Role::Admin])),
    ("GET", "/users", Gate::Roles(&[Role::Admin])),
    ("GET", "/users/{id}", Gate::Roles(&[Role::Admin])),
    ("PATCH", "/users/{id}", Gate::Roles(&[Role::Admin])),
    ("GET", "/units", Gate::AnyUser),
    ("GET", "/units/{code}", Gate::AnyUser),
    ("GET", "/rules", Gate::AnyUser),
    ("POST", "/reports", Gate::Reporters),
    // Searching is intake's: any hotline operator or worker, whatever the case's commune (what
    // a match shows depends on the case, `children.rs`).
    (
        "POST",
        "/children/matches",
        Gate::Roles(&[Role::HotlineOperator, Role::SocialWorker]),
    ),
    (
        "GET",
        "/children/duplicates",
        Gate::Roles(&[Role::SocialWorker, Role::Approver]),
    ),
    ("GET", "/cases", Gate::Roles(CASE_ROLES)),
    ("GET", "/caseload", Gate::Roles(BOARD_ROLES)),
    ("GET", "/deadlines", Gate::Roles(BOARD_ROLES)),
    ("GET", "/statistics", Gate::Roles(&[Role::Supervisor])),
    ("GET", "/report-templates", Gate::Roles(&[Role::Supervisor])),
    (
        "GET",
        "/periodic-reports/preview",
        Gate::Roles(&[Role::Supervisor]),
    ),
    (
        "POST",
        "/periodic-reports",
        Gate::Roles(&[Role::Supervisor]),
    ),
    ("GET", "/periodic-reports", Gate::Roles(&[Role::Supervisor])),
    (
        "GET",
        "/periodic-reports/{id}",
        Gate::Roles(&[Role::Supervisor]),
    ),
    (
        "GET",
        "/periodic-reports/{id}/file",
        Gate::Roles(&[Role::Supervisor]),
    ),
    (
        "GET",
        "/accounts/history",
        Gate::Roles(&[Role::Admin, Role::Supervisor]),
    ),
    (
        "DELETE",
        "/users/{id}/sessions",
        Gate::Roles(&[Role::Admin]),
    ),
    // Alerts: the caller's own inbox (case roles; an admin has none), and for admins the
    // webhook deliveries.
    ("GET", "/inbox", Gate::Roles(CASE_ROLES)),
    ("POST", "/inbox/read-all", Gate::Roles(CASE_ROLES)),
    ("POST", "/inbox/{id}/read", Gate::Roles(CASE_ROLES)),
    ("GET", "/webhook-deliveries", Gate::Roles(&[Role::Admin])),
    (
        "POST",
        "/webhook-deliveries/{id}/retry",
        Gate::Roles(&[Role::Admin]),
    ),
    // Last: it replaces the caller's password (its own session stays).
    ("POST", "/auth/password", Gate::AnyUser),
];

/// Case routes whose authorization is tried in `second_reading_hotline` rather than in the
/// matrix, whose requests must not change who reaches the case (a standing request for the
/// hotline's support lets every hotline operator in).
pub const HOTLINE_SUPPORT_ROUTES: &[&str] = &["/hotline-support", "/hotline-support/withdrawal"];

/// Every route the matrix lists: the routes above, `by-number` and the case routes of
/// `matrix.rs`.
pub fn matrix_routes() -> BTreeSet<(String, String)> {
    let mut all: BTreeSet<(String, String)> = OTHER_ROUTES
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    all.insert(("GET".into(), "/cases/by-number/{number}".into()));
    for path in HOTLINE_SUPPORT_ROUTES {
        all.insert(("POST".into(), format!("/cases/{{id}}{path}")));
    }
    for (method, path) in crate::matrix::case_routes() {
        all.insert((method.to_string(), format!("/cases/{{id}}{path}")));
    }
    all
}

/// The routes `src/http/mod.rs` registers, read from its source: `.route("<path>",
/// web::<method>()`, prefixed with the path of the `web::scope("<prefix>")` they are chained
/// on inside `/api/v1` (a scope ends where the parenthesis it was opened in closes).
fn router_routes() -> BTreeSet<(String, String)> {
    let source = include_str!("../../src/http/mod.rs");
    let source = &source[source.find("pub fn routes(").expect("the routes function")..];
    let mut routes = BTreeSet::new();
    // (prefix, parenthesis depth at which the scope was opened)
    let mut scopes: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let bytes = source.as_bytes();
    let quoted = |from: usize| -> (String, usize) {
        let open = from + source[from..].find('"').expect("a quoted path");
        let close = open + 1 + source[open + 1..].find('"').expect("a closed path");
        (source[open + 1..close].to_owned(), close + 1)
    };
    while i < bytes.len() {
        let rest = &source[i..];
        if rest.starts_with("web::scope(") {
            let (prefix, end) = quoted(i);
            if prefix != "/api/v1" {
                scopes.push((prefix, depth));
            }
            depth += 1;
            i = end;
            continue;
        }
        if rest.starts_with(".route(") {
            let (path, end) = quoted(i);
            let after = &source[end..];
            let web = after.find("web::").expect("a route method");
            let method: String = after[web + 5..]
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            let prefix: String = scopes.iter().map(|(p, _)| p.as_str()).collect();
            routes.insert((method.to_uppercase(), normalise(&format!("{prefix}{path}"))));
            depth += 1;
            i = end;
            continue;
        }
        match bytes[i] {
            b'(' => depth += 1,
            b')' => {
                depth = depth.saturating_sub(1);
                while scopes.last().is_some_and(|(_, d)| *d > depth) {
                    scopes.pop();
                }
            }
            b'"' => {
                // Skip string contents (a path may hold parentheses in a comment-free string).
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    routes
}

/// Parameter names differ between the router and the document (`{n}`, `{case_number}`).
fn normalise(pattern: &str) -> String {
    pattern.replace("{case_number}", "{number}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_served_route_is_in_the_matrix() {
    let app = TestApp::spawn(Store::Sqlite).await;
    let router = router_routes();
    assert!(router.len() >= 40, "the router was read: {router:?}");
    let (status, _, doc) = app
        .request(Method::GET, None, "/openapi.json", None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let path = path.trim_start_matches("/api/v1");
            documented.insert((method.to_uppercase(), normalise(path)));
        }
    }
    let matrix = matrix_routes();
    let unlisted: Vec<_> = router
        .union(&documented)
        .filter(|r| !matrix.contains(*r))
        .collect();
    assert!(
        unlisted.is_empty(),
        "routes the authorization matrix does not list: {unlisted:?}"
    );
    let stale: Vec<_> = matrix.iter().filter(|r| !router.contains(*r)).collect();
    assert!(
        stale.is_empty(),
        "the matrix lists routes not served: {stale:?}"
    );
    println!("ROUTES served={} listed={}", router.len(), matrix.len());
}

struct Caller {
    name: &'static str,
    token: Option<String>,
    role: Option<Role>,
    /// Whether its grant covers `COMMUNE` (for reports).
    covers_commune: bool,
}

async fn routes_outside_a_case_as_every_role(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let target = app
        .user("dich.patch", &[(Role::SocialWorker, COMMUNE)])
        .await;
    let callers = vec![
        ("anonymous", None, false, None),
        ("admin", Some(Role::Admin), false, Some(&cast.admin)),
        (
            "hotline",
            Some(Role::HotlineOperator),
            true,
            Some(&cast.hotline),
        ),
        ("worker", Some(Role::SocialWorker), true, Some(&cast.worker)),
        (
            "other_worker",
            Some(Role::SocialWorker),
            false,
            Some(&cast.other_worker),
        ),
        ("approver", Some(Role::Approver), true, Some(&cast.approver)),
        (
            "supervisor",
            Some(Role::Supervisor),
            true,
            Some(&cast.supervisor),
        ),
    ]
    .into_iter()
    .map(|(name, role, covers_commune, user)| Caller {
        name,
        token: user.map(|u: &TestUser| u.token.clone()),
        role,
        covers_commune,
    })
    .collect::<Vec<_>>();
    // An issued report for the routes that read one.
    let (_, issued) = app
        .post(
            &cast.supervisor,
            "/periodic-reports",
            json!({"template": "monthly_0101", "unit": PROVINCE, "period": "2026-06"}),
        )
        .await;
    let issued = issued["id"].as_str().expect("issued").to_owned();
    // A message in each caller's inbox and a dead webhook delivery, for the routes acting on one.
    let mut seeds = Seeds {
        messages: std::collections::HashMap::new(),
        delivery: crate::alerts::seed_dead_delivery(&app.db, cast.approver.id)
            .await
            .to_string(),
    };
    for (name, user) in [
        ("admin", &cast.admin),
        ("hotline", &cast.hotline),
        ("worker", &cast.worker),
        ("other_worker", &cast.other_worker),
        ("approver", &cast.approver),
        ("supervisor", &cast.supervisor),
    ] {
        let id = crate::alerts::seed_message(&app.db, user.id).await;
        seeds.messages.insert(name, id.to_string());
    }
    let mut wrong = Vec::new();
    let mut checks = 0;
    for caller in &callers {
        for (method, pattern, gate) in OTHER_ROUTES {
            let expected = match (gate, caller.role) {
                (Gate::Public, _) => true,
                (_, None) => false,
                (Gate::AnyUser, Some(_)) => true,
                (Gate::Roles(roles), Some(role)) => roles.contains(&role),
                (Gate::Reporters, Some(role)) => {
                    matches!(role, Role::HotlineOperator | Role::SocialWorker)
                        && caller.covers_commune
                }
            };
            let (path, body) = request_for(method, pattern, caller.name, &target, &issued, &seeds);
            let mut token = caller.token.clone();
            if *pattern == "/auth/logout" && token.is_some() {
                // A session of its own, so that the caller's stays usable.
                let username = match caller.name {
                    "admin" => &cast.admin.username,
                    "hotline" => &cast.hotline.username,
                    "worker" => &cast.worker.username,
                    "other_worker" => &cast.other_worker.username,
                    "approver" => &cast.approver.username,
                    _ => &cast.supervisor.username,
                };
                token = Some(app.login(username, PASSWORD).await);
            }
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let (status, _, answer) = app
                .request(method.clone(), token.as_deref(), &path, body.as_ref(), &[])
                .await;
            checks += 1;
            let refused = match status.as_u16() {
                401 => caller.role.is_none(),
                403 => caller.role.is_some(),
                _ => false,
            };
            let allowed = status.is_success();
            assert!(
                allowed || refused,
                "{method} {path} by {}: {status} {answer}",
                caller.name
            );
            if allowed != expected {
                wrong.push(format!(
                    "{method} {path} by {}: expected {}, got {status} {answer}",
                    caller.name,
                    if expected { "allowed" } else { "refused" }
                ));
            }
        }
    }
    println!(
        "RELIABILITY authorization_matrix_outside_cases store={store:?} checks={checks} wrong={}",
        wrong.len()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
both_stores!(routes_outside_a_case_as_every_role);

/// Rows the routes acting on an alert need: each caller's message, a dead delivery.
struct Seeds {
    messages: std::collections::HashMap<&'static str, String>,
    delivery: String,
}

/// A concrete path and a well-formed body for `pattern`, distinct per caller.
fn request_for(
    method: &str,
    pattern: &str,
    caller: &str,
    target: &TestUser,
    issued: &str,
    seeds: &Seeds,
) -> (String, Option<Value>) {
    match pattern {
        "/inbox/{id}/read" => (
            format!(
                "/inbox/{}/read",
                seeds
                    .messages
                    .get(caller)
                    .cloned()
                    .unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
            ),
            None,
        ),
        "/webhook-deliveries/{id}/retry" => (
            format!("/webhook-deliveries/{}/retry", seeds.delivery),
            None,
        ),
        "/auth/login" => (
            pattern.into(),
            Some(json!({"username": target.username, "password": PASSWORD})),
        ),
        "/users" => (
            pattern.into(),
            Some(
                json!({"username": format!("moi.{}", caller.replace('_', ".")),
                "display_name": "Cán bộ mới", "password": "mật khẩu đủ dài 2026",
                "grants": [{"role": "social_worker", "unit_code": COMMUNE}]}),
            ),
        ),
        "/users/{id}" if method == "PATCH" => (
            format!("/users/{}", target.id),
            Some(json!({"display_name": format!("Cán bộ sửa bởi {caller}")})),
        ),
        "/users/{id}" => (format!("/users/{}", target.id), None),
        "/users/{id}/sessions" => (format!("/users/{}/sessions", target.id), None),
        "/auth/password" => (
            pattern.into(),
            Some(json!({"current_password": PASSWORD,
                "new_password": format!("một mật khẩu mới cho {caller} 2026")})),
        ),
        "/units/{code}" => (format!("/units/{COMMUNE}"), None),
        "/children/matches" => (
            pattern.into(),
            Some(json!({"child": {"full_name": "Lò Thị Mai", "estimated_age": 9}})),
        ),
        "/reports" => (
            pattern.into(),
            Some(report_body(&hours_ago(1), COMMUNE, &["Lò Thị Mai"])),
        ),
        "/periodic-reports/preview" => (crate::reports::SIX_MONTH.into(), None),
        "/periodic-reports" if method == "POST" => (
            pattern.into(),
            Some(json!({"template": "monthly_0101", "unit": PROVINCE, "period": "2026-06"})),
        ),
        "/periodic-reports/{id}" => (format!("/periodic-reports/{issued}"), None),
        "/periodic-reports/{id}/file" => {
            (format!("/periodic-reports/{issued}/file?format=csv"), None)
        }
        _ => (pattern.into(), None),
    }
}
