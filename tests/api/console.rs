//! The staff console over real HTTP, on both stores: the security properties of
//! shared/spec/console.md (CSRF, escaping, jurisdiction, the admin's blindness to cases, the
//! headers), intake through the form, a stale form, logout and the first-run setup.

use crate::both_stores;
use crate::helpers::{hours_ago, report_body, Store, TestApp, TestUser, COMMUNE};
use casebook::web::session::{csrf_token, SESSION_COOKIE};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The console's session cookie is the same session as the API token.
pub(crate) fn cookie(user: &TestUser) -> String {
    format!("{SESSION_COOKIE}={}", user.token)
}

pub async fn page(
    app: &TestApp,
    user: Option<&TestUser>,
    path: &str,
) -> (StatusCode, HeaderMap, String) {
    let mut request = client().get(format!("{}{path}", app.address));
    if let Some(user) = user {
        request = request.header("cookie", cookie(user));
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap_or_default())
}

/// A form POST as a browser on this site sends it (`Origin`), with the session's CSRF token
/// unless `csrf` is false.
pub async fn submit(
    app: &TestApp,
    user: &TestUser,
    path: &str,
    fields: &[(&str, &str)],
    csrf: bool,
    origin: &str,
) -> (StatusCode, HeaderMap, String) {
    let token = csrf_token(&user.token);
    let mut pairs: Vec<(&str, &str)> = fields.to_vec();
    if csrf {
        pairs.push(("csrf_token", &token));
    }
    let response = client()
        .post(format!("{}{path}", app.address))
        .header("cookie", cookie(user))
        .header("origin", origin)
        .form(&pairs)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap_or_default())
}

async fn notes_of(app: &TestApp, user: &TestUser, case: &str) -> usize {
    let (status, body) = app.get(user, &format!("/cases/{case}")).await;
    assert_eq!(status, StatusCode::OK);
    body["notes"].as_array().map_or(0, Vec::len)
}

pub(crate) async fn version_of(app: &TestApp, user: &TestUser, case: &str) -> String {
    let (_, body) = app.get(user, &format!("/cases/{case}")).await;
    body["version"].as_u64().unwrap().to_string()
}

async fn a_post_without_the_csrf_token_changes_nothing(kind: Store) {
    let app = TestApp::spawn(kind).await;
    let cast = app.cast().await;
    let case = app.report(&cast.worker, &hours_ago(1)).await;
    let path = format!("/cases/{case}/steps/notes");
    let version = version_of(&app, &cast.worker, &case).await;
    let origin = app.address.clone();
    let fields = [("text", "Ghi chú"), ("version", version.as_str())];

    let (status, _, body) = submit(&app, &cast.worker, &path, &fields, false, &origin).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("Không có gì được ghi lại"), "{body}");
    let (status, _, _) = submit(
        &app,
        &cast.worker,
        &path,
        &fields,
        true,
        "https://evil.example",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another origin");
    assert_eq!(
        notes_of(&app, &cast.worker, &case).await,
        0,
        "nothing written"
    );

    let (status, headers, _) = submit(&app, &cast.worker, &path, &fields, true, &origin).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers["location"].to_str().unwrap(),
        format!("/cases/{case}?done=notes")
    );
    assert_eq!(notes_of(&app, &cast.worker, &case).await, 1);
}
both_stores!(a_post_without_the_csrf_token_changes_nothing);

async fn a_script_in_a_childs_name_is_shown_as_text(kind: Store) {
    let app = TestApp::spawn(kind).await;
    let cast = app.cast().await;
    let name = "<script>alert(1)</script> Mai";
    let body = report_body(&hours_ago(1), COMMUNE, &[name]);
    let opened = app.ok(&cast.worker, "/reports", body).await;
    let case = opened["cases"][0]["id"].as_str().unwrap();
    for path in [format!("/cases/{case}"), "/cases".to_owned()] {
        let (status, _, html) = page(&app, Some(&cast.worker), &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!html.contains("<script"), "{path} carries a script");
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62; Mai"),
            "{path}"
        );
    }
}
both_stores!(a_script_in_a_childs_name_is_shown_as_text);

async fn another_communes_case_is_a_not_found_page(kind: Store) {
    let app = TestApp::spawn(kind).await;
    let cast = app.cast().await;
    let case = app.report(&cast.worker, &hours_ago(1)).await;
    for path in [
        format!("/cases/{case}"),
        format!("/cases/{case}/steps/notes"),
    ] {
        let (status, headers, html) = page(&app, Some(&cast.other_worker), &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert!(html.contains("Không tìm thấy"), "{html}");
        assert!(!html.contains("Lò Thị Mai"));
    }
    // And a POST to it changes nothing.
    let (status, _, _) = submit(
        &app,
        &cast.other_worker,
        &format!("/cases/{case}/steps/notes"),
        &[("text", "x")],
        true,
        &app.address,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(notes_of(&app, &cast.worker, &case).await, 0);
}
both_stores!(another_communes_case_is_a_not_found_page);

async fn the_admin_sees_no_case_content(kind: Store) {
    let app = TestApp::spawn(kind).await;
    let cast = app.cast().await;
    let case = app.report(&cast.worker, &hours_ago(1)).await;
    for path in [
        format!("/cases/{case}"),
        "/cases".to_owned(),
        "/".to_owned(),
    ] {
        let (status, _, html) = page(&app, Some(&cast.admin), &path).await;
        assert!(
            matches!(
                status,
                StatusCode::NOT_FOUND | StatusCode::FORBIDDEN | StatusCode::SEE_OTHER
            ),
            "{path}: {status}"
        );
        assert!(!html.contains("Lò Thị Mai"), "{path}");
        assert!(!html.contains("12-2026-"), "{path}");
    }
}
both_stores!(the_admin_sees_no_case_content);

async fn pages_carry_the_security_headers(kind: Store) {
    let app = TestApp::spawn(kind).await;
    let cast = app.cast().await;
    let case = app.report(&cast.worker, &hours_ago(1)).await;
    for (user, path) in [
        (None, "/login".to_owned()),
        (Some(&cast.worker), format!("/cases/{case}")),
    ] {
        let (status, headers, html) = page(&app, user, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert_eq!(headers["cache-control"], "no-store");
        assert!(html.contains("<html lang=\"vi\">"));
        assert!(!html.contains("<script"), "no script at all");
        assert!(!html.contains("style="), "no inline style");
    }
    let (_, _, html) = page(&app, None, "/static/console.css").await;
    assert!(html.contains(":focus-visible"));
    // The language switch: a cookie, then the page in English.
    let response = client()
        .get(format!("{}/login", app.address))
        .header("cookie", "casebook_lang=en")
        .send()
        .await
        .unwrap();
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("<html lang=\"en\">"));
}
both_stores!(pages_carry_the_security_headers);

async fn intake_opens_one_case_per_child_once(kind: Store) {
    let app = TestApp::spawn(kind).await;
    let cast = app.cast().await;
    let received = chrono::DateTime::parse_from_rfc3339(&hours_ago(1)).unwrap();
    let received = received
        .with_timezone(&aggregates::deadlines::calendar::vietnam_offset())
        .format("%d/%m/%Y %H:%M")
        .to_string();
    let fields = [
        ("form_id", "f0123456789abcdef0123456789abcdef"),
        ("child_count", "2"),
        ("received_at", received.as_str()),
        ("intake_point", "hotline_111"),
        ("channel", "phone"),
        ("target_group", "abused"),
        ("abuse_types", "violence"),
        ("incident_unit", COMMUNE),
        ("children[0].full_name", "Lò Thị Mai"),
        ("children[0].estimated_age", "9"),
        ("children[0].sex", "female"),
        ("children[1].full_name", "Lò Văn Nam"),
        ("children[1].date_of_birth", "05/03/2017"),
        ("children[1].sex", "male"),
    ];
    for _ in 0..2 {
        let (status, headers, body) =
            submit(&app, &cast.hotline, "/intake", &fields, true, &app.address).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        assert!(headers["location"].to_str().unwrap().starts_with("/cases"));
    }
    let (_, list) = app.get(&cast.hotline, "/cases").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2, "{list}");

    // A missing field comes back as a field error, with what was typed.
    let mut bad = fields.to_vec();
    bad.retain(|(k, _)| *k != "channel" && *k != "form_id");
    let (status, _, html) = submit(&app, &cast.hotline, "/intake", &bad, true, &app.address).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("error-summary"));
    assert!(html.contains("href=\"#f-channel\""), "{html}");
    assert!(html.contains("Lò Văn Nam"));
    // The commune is found by name without diacritics.
    let (_, _, html) = submit(
        &app,
        &cast.hotline,
        "/intake",
        &[("commune_query", "doan ket"), ("find_commune", "1")],
        true,
        &app.address,
    )
    .await;
    assert!(
        html.contains(&format!("<option value=\"{COMMUNE}\"")),
        "{html}"
    );
}
both_stores!(intake_opens_one_case_per_child_once);

async fn a_stale_form_is_a_conflict_that_keeps_the_text(kind: Store) {
    let app = TestApp::spawn(kind).await;
    let cast = app.cast().await;
    let case = app.report(&cast.worker, &hours_ago(1)).await;
    let stale = version_of(&app, &cast.worker, &case).await;
    app.ok(
        &cast.approver,
        &format!("/cases/{case}/notes"),
        serde_json::json!({"text": "Chủ tịch ghi"}),
    )
    .await;
    let path = format!("/cases/{case}/steps/notes");
    let fields = [("text", "Điều tôi đã gõ"), ("version", stale.as_str())];
    let (status, _, html) = submit(&app, &cast.worker, &path, &fields, true, &app.address).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("Điều tôi đã gõ"), "the typed text is kept");
    assert!(html.contains("Cán bộ hung.chair"), "who changed it: {html}");
    assert_eq!(notes_of(&app, &cast.worker, &case).await, 1);
}
both_stores!(a_stale_form_is_a_conflict_that_keeps_the_text);

async fn logout_ends_the_session_at_once(kind: Store) {
    let app = TestApp::spawn(kind).await;
    let cast = app.cast().await;
    let (status, headers, _) = submit(&app, &cast.worker, "/logout", &[], true, &app.address).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(headers["clear-site-data"]
        .to_str()
        .unwrap()
        .contains("cookies"));
    let (status, _) = app.get(&cast.worker, "/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, headers, _) = page(&app, Some(&cast.worker), "/cases").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/login");
}
both_stores!(logout_ends_the_session_at_once);

async fn login_sets_a_host_cookie(kind: Store) {
    let app = TestApp::spawn(kind).await;
    let _cast = app.cast().await;
    let response = client()
        .post(format!("{}/login", app.address))
        .header("origin", &app.address)
        .form(&[
            ("username", "mai.worker"),
            ("password", crate::helpers::PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let set = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set.starts_with("__Host-casebook="), "{set}");
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attribute), "{set}");
    }
    assert!(!set.contains("Domain"));
    let response = client()
        .post(format!("{}/login", app.address))
        .header("origin", &app.address)
        .form(&[
            ("username", "mai.worker"),
            ("password", "wrong password here"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().get("set-cookie").is_none());
}
both_stores!(login_sets_a_host_cookie);

async fn the_first_admin_comes_from_a_one_time_link(kind: Store) {
    let (url, _dir) = match kind {
        Store::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("casebook.db").display());
            (url, Some(dir))
        }
        Store::Postgres => (crate::pg::fresh_database().await, None),
    };
    let mut settings = casebook::config::Settings::for_database(&url);
    settings.listen = "127.0.0.1:0".parse().unwrap();
    settings.workers = Some(1);
    let app = casebook::startup::Application::build(settings)
        .await
        .unwrap();
    let token = app
        .setup_token()
        .expect("no admin yet: a setup link")
        .to_owned();
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    let setup = format!("{address}/setup/{token}");
    assert_eq!(
        client().get(&setup).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        client()
            .get(format!("{address}/setup/0000000000000000"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let form = [
        ("username", "first.admin"),
        ("display_name", "Quản trị"),
        ("password", "a long enough password"),
        ("password_confirm", "a long enough password"),
    ];
    let response = client()
        .post(&setup)
        .header("origin", &address)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // Single use.
    assert_eq!(
        client().get(&setup).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let again = client()
        .post(&setup)
        .header("origin", &address)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let login = client()
        .post(format!("{address}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "first.admin", "password": "a long enough password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    handle.stop(true).await;
}
both_stores!(the_first_admin_comes_from_a_one_time_link);

async fn a_step_form_names_every_missing_field_at_once(kind: Store) {
    let app = TestApp::spawn(kind).await;
    let cast = app.cast().await;
    let case = app.report(&cast.worker, &hours_ago(1)).await;
    let version = version_of(&app, &cast.worker, &case).await;
    let path = format!("/cases/{case}/steps/initial-assessment");
    let fields = [("version", version.as_str()), ("assessed_at", "hôm qua")];
    let (status, _, html) = submit(&app, &cast.worker, &path, &fields, true, &app.address).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for id in ["f-outcome", "f-findings"] {
        assert!(
            html.contains(&format!("href=\"#{id}\"")),
            "{id} in the summary: {html}"
        );
        assert!(
            html.contains(&format!("id=\"{id}-error\"")),
            "{id} beside its field"
        );
    }
    assert!(html.contains("value=\"hôm qua\""), "what was typed stays");
    // My work shows the case with the child's name and the session's end.
    let (status, _, html) = page(&app, Some(&cast.worker), "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Lò Thị Mai"), "{html}");
    assert!(html.contains("id=\"session-until\""));
}
both_stores!(a_step_form_names_every_missing_field_at_once);

async fn a_form_sent_twice_records_once(kind: Store) {
    let app = TestApp::spawn(kind).await;
    let cast = app.cast().await;
    let case = app.report(&cast.worker, &hours_ago(1)).await;
    let version = version_of(&app, &cast.worker, &case).await;
    let path = format!("/cases/{case}/steps/notes");
    let fields = [("text", "Một lần thôi"), ("version", version.as_str())];
    let (first, _, _) = submit(&app, &cast.worker, &path, &fields, true, &app.address).await;
    let (second, _, html) = submit(&app, &cast.worker, &path, &fields, true, &app.address).await;
    assert_eq!(first, StatusCode::SEE_OTHER);
    assert_eq!(second, StatusCode::CONFLICT);
    assert!(html.contains("không ghi thêm gì"), "{html}");
    assert_eq!(
        notes_of(&app, &cast.worker, &case).await,
        1,
        "one set of events"
    );
}
both_stores!(a_form_sent_twice_records_once);
