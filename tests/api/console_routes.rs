//! The console's routes in an authorization matrix: every GET page as every role and anonymously
//! on both stores, and a route-coverage check that fails when `src/web/mod.rs` serves a route
//! this file does not list (POST routes are listed with the page whose form posts there; their
//! CSRF and authorization are tried in `console.rs`).

use crate::both_stores;
use crate::helpers::*;
use aggregates::codes::Role;
use casebook::web::session::SESSION_COOKIE;
use reqwest::StatusCode;
use std::collections::BTreeSet;

/// Who may see a page: `None` = public.
type Who = Option<&'static [Role]>;

const CASE_ROLES: &[Role] = &[
    Role::HotlineOperator,
    Role::SocialWorker,
    Role::Approver,
    Role::Supervisor,
];

/// (method, route pattern, who may use it).
const CONSOLE_ROUTES: &[(&str, &str, Who)] = &[
    ("GET", "/static/console.css", None),
    ("GET", "/login", None),
    ("POST", "/login", None),
    (
        "POST",
        "/logout",
        Some(&[
            Role::Admin,
            Role::HotlineOperator,
            Role::SocialWorker,
            Role::Approver,
            Role::Supervisor,
        ]),
    ),
    (
        "GET",
        "/password",
        Some(&[
            Role::Admin,
            Role::HotlineOperator,
            Role::SocialWorker,
            Role::Approver,
            Role::Supervisor,
        ]),
    ),
    (
        "POST",
        "/password",
        Some(&[
            Role::Admin,
            Role::HotlineOperator,
            Role::SocialWorker,
            Role::Approver,
            Role::Supervisor,
        ]),
    ),
    ("GET", "/lang/{lang}", None),
    ("GET", "/setup/{token}", None),
    ("POST", "/setup/{token}", None),
    ("GET", "/", Some(&[Role::SocialWorker, Role::Approver])),
    (
        "GET",
        "/intake",
        Some(&[Role::HotlineOperator, Role::SocialWorker]),
    ),
    (
        "POST",
        "/intake",
        Some(&[Role::HotlineOperator, Role::SocialWorker]),
    ),
    ("GET", "/cases", Some(CASE_ROLES)),
    ("POST", "/cases/search", Some(CASE_ROLES)),
    ("GET", "/cases/{id}", Some(CASE_ROLES)),
    ("GET", "/cases/{id}/audit", Some(&[Role::Supervisor])),
    ("GET", "/cases/{id}/dossier", Some(CASE_ROLES)),
    ("GET", "/cases/{id}/dossier/{form}", Some(CASE_ROLES)),
    (
        "GET",
        "/cases/{id}/steps/{step}",
        Some(&[
            Role::SocialWorker,
            Role::Approver,
            Role::Supervisor,
            Role::HotlineOperator,
        ]),
    ),
    (
        "POST",
        "/cases/{id}/steps/{step}",
        Some(&[
            Role::SocialWorker,
            Role::Approver,
            Role::Supervisor,
            Role::HotlineOperator,
        ]),
    ),
    ("GET", "/approvals", Some(&[Role::Approver])),
    (
        "GET",
        "/duplicates",
        Some(&[Role::SocialWorker, Role::Approver]),
    ),
    (
        "POST",
        "/duplicates",
        Some(&[Role::SocialWorker, Role::Approver]),
    ),
    (
        "GET",
        "/caseload",
        Some(&[Role::Approver, Role::Supervisor]),
    ),
    ("GET", "/board", Some(&[Role::Approver, Role::Supervisor])),
    ("GET", "/statistics", Some(&[Role::Supervisor])),
    ("GET", "/statistics.csv", Some(&[Role::Supervisor])),
    ("GET", "/reports", Some(&[Role::Supervisor])),
    ("GET", "/reports/preview", Some(&[Role::Supervisor])),
    ("GET", "/reports/download", Some(&[Role::Supervisor])),
    ("POST", "/reports/issued", Some(&[Role::Supervisor])),
    ("GET", "/reports/issued", Some(&[Role::Supervisor])),
    ("GET", "/reports/issued/{id}", Some(&[Role::Supervisor])),
    (
        "GET",
        "/reports/issued/{id}/file",
        Some(&[Role::Supervisor]),
    ),
    ("GET", "/accounts", Some(&[Role::Admin])),
    ("POST", "/accounts", Some(&[Role::Admin])),
    ("GET", "/accounts/{id}", Some(&[Role::Admin])),
    ("POST", "/accounts/{id}", Some(&[Role::Admin])),
    ("GET", "/inbox", Some(CASE_ROLES)),
    ("POST", "/inbox/read-all", Some(CASE_ROLES)),
    ("POST", "/inbox/{id}/read", Some(CASE_ROLES)),
    ("GET", "/deliveries", Some(&[Role::Admin])),
    ("POST", "/deliveries/{id}/retry", Some(&[Role::Admin])),
];

/// The routes `src/web/mod.rs` registers: `.route("<path>", web::<method>()`.
fn console_router_routes() -> BTreeSet<(String, String)> {
    let source = include_str!("../../src/web/mod.rs");
    let mut routes = BTreeSet::new();
    let mut rest = source;
    while let Some(at) = rest.find(".route(\"") {
        rest = &rest[at + ".route(\"".len()..];
        let close = rest.find('"').expect("a closed path");
        let path = rest[..close].to_owned();
        let method_at = rest.find("web::").expect("a method") + "web::".len();
        let method: String = rest[method_at..]
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        routes.insert((method.to_uppercase(), path));
    }
    routes
}

#[test]
fn every_console_route_is_in_the_matrix() {
    let listed: BTreeSet<(String, String)> = CONSOLE_ROUTES
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    let served = console_router_routes();
    assert!(served.len() > 20, "the router was read: {served:?}");
    let unlisted: Vec<_> = served.difference(&listed).collect();
    assert!(
        unlisted.is_empty(),
        "console routes the matrix does not list: {unlisted:?}"
    );
    let gone: Vec<_> = listed.difference(&served).collect();
    assert!(
        gone.is_empty(),
        "listed console routes that are not served: {gone:?}"
    );
}

async fn every_console_page_as_every_role(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let case = app.report(&cast.hotline, &hours_ago(2)).await;
    let (_, issued) = app
        .post(
            &cast.supervisor,
            "/periodic-reports",
            serde_json::json!({"template": "six_month", "unit": PROVINCE, "period": "2026-H1"}),
        )
        .await;
    let issued = issued["id"].as_str().expect("an issued report").to_owned();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let people: Vec<(&str, Option<(Role, &TestUser)>)> = vec![
        ("anonymous", None),
        ("admin", Some((Role::Admin, &cast.admin))),
        ("hotline", Some((Role::HotlineOperator, &cast.hotline))),
        ("worker", Some((Role::SocialWorker, &cast.worker))),
        ("approver", Some((Role::Approver, &cast.approver))),
        ("supervisor", Some((Role::Supervisor, &cast.supervisor))),
    ];
    let mut wrong = Vec::new();
    let mut checks = 0;
    for (method, pattern, who) in CONSOLE_ROUTES {
        if *method != "GET" || pattern.starts_with("/setup/") {
            continue;
        }
        let path = pattern
            .replace("{lang}", "en")
            .replace("{form}", "01")
            .replace("{id}/steps/{step}", &format!("{case}/steps/notes"))
            .replace("/cases/{id}", &format!("/cases/{case}"))
            .replace("/accounts/{id}", &format!("/accounts/{}", cast.worker.id))
            .replace("/reports/issued/{id}", &format!("/reports/issued/{issued}"));
        for (name, person) in &people {
            let mut request = client.get(format!("{}{path}", app.address));
            if let Some((_, user)) = person {
                request = request.header("cookie", format!("{SESSION_COOKIE}={}", user.token));
            }
            let response = request.send().await.unwrap();
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            checks += 1;
            assert!(status.as_u16() < 500, "GET {path} as {name}: {status}");
            let shown = status == StatusCode::OK;
            let expected = match (who, person) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(roles), Some((role, _))) => roles.contains(role),
            };
            // A page may send its role elsewhere (my work → the role's start page): that is a
            // redirect, not a disclosure; a refusal is 401/403/404 or the login redirect.
            let redirected = status.is_redirection();
            let ok = if expected {
                shown
                    || (redirected && *pattern == "/")
                    || (redirected && pattern.starts_with("/lang/"))
            } else {
                !shown
            };
            if !ok {
                wrong.push(format!(
                    "GET {path} as {name}: {status} (expected {})",
                    if expected { "shown" } else { "refused" }
                ));
            }
            // The admin never sees case content, whatever answers.
            if *name == "admin" {
                assert!(
                    !body.contains("Lò Thị Mai"),
                    "GET {path} shows a child to the admin"
                );
            }
        }
    }
    println!(
        "RELIABILITY console_matrix store={store:?} checks={checks} wrong={}",
        wrong.len()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
both_stores!(every_console_page_as_every_role);
