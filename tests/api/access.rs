//! Jurisdiction, roles and field classes over HTTP.

use crate::both_stores;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn another_communes_worker_gets_404(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let id = app.report(&cast.hotline, &hours_ago(2)).await;

    // Reads and commands from outside the jurisdiction answer as if the case did not exist.
    for user in [&cast.other_worker, &cast.other_approver] {
        let (status, problem) = app.get(user, &format!("/cases/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
        assert_eq!(problem["code"], "case_not_found");
    }
    let (status, problem) = app
        .post(
            &cast.other_worker,
            &format!("/cases/{id}/initial-assessment"),
            json!({"assessed_at": hours_ago(1), "outcome": "support_needed", "findings": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    // Same answer as for a case that does not exist at all.
    let (status, missing) = app
        .get(
            &cast.other_worker,
            &format!("/cases/{}", uuid::Uuid::now_v7()),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(missing["code"], problem["code"]);

    // The commune's own worker and chair, and the province supervisor, see it.
    for user in [
        &cast.worker,
        &cast.approver,
        &cast.supervisor,
        &cast.hotline,
    ] {
        let (status, _) = app.get(user, &format!("/cases/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{}", user.username);
    }
    // Lists are scoped too.
    let (_, list) = app.get(&cast.other_worker, "/cases").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "{list}");
    let (_, list) = app.get(&cast.worker, "/cases").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
}
both_stores!(another_communes_worker_gets_404);

async fn roles_are_refused_where_the_procedure_says(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let id = app.report(&cast.hotline, &hours_ago(3)).await;
    let case = |p: &str| format!("/cases/{id}{p}");

    // A worker cannot decide what the chair decides.
    let (status, problem) = app
        .post(
            &cast.worker,
            &case("/separation"),
            json!({"decided_at": hours_ago(1), "until": hours_ago(-24), "placement": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert_eq!(problem["code"], "forbidden");
    // The hotline operator cannot assess.
    let (status, _) = app
        .post(
            &cast.hotline,
            &case("/initial-assessment"),
            json!({"assessed_at": hours_ago(1), "outcome": "support_needed", "findings": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The supervisor audits but never edits case facts.
    let (status, _) = app
        .post(
            &cast.supervisor,
            &case("/initial-assessment"),
            json!({"assessed_at": hours_ago(1), "outcome": "support_needed", "findings": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // History is for supervisors.
    let (status, _) = app.get(&cast.worker, &case("/history")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get(&cast.supervisor, &case("/history")).await;
    assert_eq!(status, StatusCode::OK);

    // The admin manages accounts and sees no case content at all.
    let (status, _) = app.get(&cast.admin, &case("")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get(&cast.admin, "/cases").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(
            &cast.admin,
            "/reports",
            report_body(&hours_ago(1), COMMUNE, &["A"]),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // … and non-admins do not manage accounts.
    let (status, _) = app.get(&cast.supervisor, "/users").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get(&cast.admin, "/users").await;
    assert_eq!(status, StatusCode::OK);

    // A worker opens cases only in its own commune.
    let (status, _) = app
        .post(
            &cast.worker,
            "/reports",
            report_body(&hours_ago(1), OTHER_COMMUNE, &["B"]),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(
            &cast.worker,
            "/reports",
            report_body(&hours_ago(1), COMMUNE, &["B"]),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
}
both_stores!(roles_are_refused_where_the_procedure_says);

async fn the_reporter_is_absent_for_roles_that_may_not_see_it(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let id = app.report(&cast.hotline, &hours_ago(2)).await;
    let (_, doc) = app.get(&cast.hotline, &format!("/cases/{id}")).await;
    assert_eq!(
        doc["reporter"]["phone"], "0912345678",
        "the intake officer sees the reporter"
    );
    let (_, doc) = app.get(&cast.supervisor, &format!("/cases/{id}")).await;
    assert_eq!(doc["reporter"]["phone"], "0912345678");
    for user in [&cast.worker, &cast.approver] {
        let (_, doc) = app.get(user, &format!("/cases/{id}")).await;
        assert!(
            doc.get("reporter").is_none(),
            "reporter visible to {}: {doc}",
            user.username
        );
        assert!(!doc.to_string().contains("0912345678"));
        assert_eq!(
            doc["child"]["full_name"], "Lò Thị Mai",
            "the child is visible in jurisdiction"
        );
    }
}
both_stores!(the_reporter_is_absent_for_roles_that_may_not_see_it);

async fn sessions_end_at_logout_and_when_the_account_is_disabled(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let (status, me) = app.get(&cast.worker, "/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["grants"][0]["role"], "social_worker");

    // Logout ends the token at once.
    let token = app.login("mai.worker", PASSWORD).await;
    let (status, _, _) = app
        .request(Method::POST, Some(&token), "/auth/logout", None, &[])
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, problem) = app
        .request(Method::GET, Some(&token), "/me", None, &[])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["code"], "unauthenticated");

    // Disabling ends every session of the user.
    let (status, _) = app
        .request(
            Method::PATCH,
            Some(&cast.admin.token),
            &format!("/users/{}", cast.worker.id),
            Some(&json!({"disabled": true})),
            &[],
        )
        .await
        .into_status_and_body();
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.get(&cast.worker, "/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = app
        .request(
            Method::POST,
            None,
            "/auth/login",
            Some(&json!({"username": "mai.worker", "password": PASSWORD})),
            &[],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a disabled user cannot log in"
    );

    // Forged and missing tokens.
    let (status, _, _) = app
        .request(Method::GET, Some("f".repeat(64).as_str()), "/me", None, &[])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = app.request(Method::GET, None, "/me", None, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
both_stores!(sessions_end_at_logout_and_when_the_account_is_disabled);

async fn repeated_bad_logins_are_throttled(store: Store) {
    let app = TestApp::spawn(store).await;
    let _cast = app.cast().await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let (status, headers, _) = app
            .request(
                Method::POST,
                None,
                "/auth/login",
                Some(&json!({"username": "mai.worker", "password": "wrong password!"})),
                &[],
            )
            .await;
        statuses.push((status, headers.get("retry-after").is_some()));
    }
    assert!(
        statuses[..5]
            .iter()
            .all(|(s, _)| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert_eq!(statuses[5], (StatusCode::TOO_MANY_REQUESTS, true));
    // Even the right password waits for the window.
    let (status, _, problem) = app
        .request(
            Method::POST,
            None,
            "/auth/login",
            Some(&json!({"username": "mai.worker", "password": PASSWORD})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(problem["code"], "login_throttled");
}
both_stores!(repeated_bad_logins_are_throttled);

trait IntoStatusAndBody {
    fn into_status_and_body(self) -> (StatusCode, serde_json::Value);
}

impl IntoStatusAndBody for (StatusCode, reqwest::header::HeaderMap, serde_json::Value) {
    fn into_status_and_body(self) -> (StatusCode, serde_json::Value) {
        (self.0, self.2)
    }
}
