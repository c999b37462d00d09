//! Separation of duties, one-time passwords and the account trail (issue 9), on both stores.

use crate::both_stores;
use crate::helpers::*;
use aggregates::codes::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn patch(app: &TestApp, user: &TestUser, path: &str, body: Value) -> (StatusCode, Value) {
    let (status, _, value) = app
        .request(Method::PATCH, Some(&user.token), path, Some(&body), &[])
        .await;
    (status, value)
}

async fn login_body(app: &TestApp, username: &str, password: &str) -> (StatusCode, Value) {
    let (status, _, body) = app
        .request(
            Method::POST,
            None,
            "/auth/login",
            Some(&json!({"username": username, "password": password})),
            &[],
        )
        .await;
    (status, body)
}

/// Every entry of the trail `user` may read, following the cursor to the end.
pub async fn trail(app: &TestApp, user: &TestUser, query: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/accounts/history?limit=3{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = app.get(user, &path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
}

fn kinds(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect()
}

/// The table of refusals: an account is an admin or a case worker, and an admin does not
/// change its own grants or set its own password behind the one-time rule.
async fn separation_of_duties_holds(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let admin = &cast.admin;
    let case_id = app.report(&cast.hotline, &hours_ago(2)).await;
    let own = format!("/users/{}", admin.id);
    let other = format!("/users/{}", cast.worker.id);
    let admin_and = |role: &str, unit: &str| json!([{"role": "admin", "unit_code": "VN"}, {"role": role, "unit_code": unit}]);
    let mut table: Vec<(&str, Method, String, Value, StatusCode, &str)> = vec![
        (
            "admin grants itself supervisor",
            Method::PATCH,
            own.clone(),
            json!({"grants": admin_and("supervisor", "VN")}),
            StatusCode::FORBIDDEN,
            "cannot_change_own_grants",
        ),
        (
            "admin trims its own grants",
            Method::PATCH,
            own.clone(),
            json!({"grants": [{"role": "admin", "unit_code": "VN"}]}),
            StatusCode::FORBIDDEN,
            "cannot_change_own_grants",
        ),
        (
            "admin sets its own password here",
            Method::PATCH,
            own.clone(),
            json!({"password": "a brand new passphrase"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            "admin makes a worker an admin too",
            Method::PATCH,
            other.clone(),
            json!({"grants": admin_and("social_worker", COMMUNE)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "admin_with_case_role",
        ),
        (
            "admin creates an admin-supervisor",
            Method::POST,
            "/users".to_owned(),
            json!({"username": "sneaky", "display_name": "x", "password": "long enough passphrase",
                   "grants": admin_and("supervisor", PROVINCE)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "admin_with_case_role",
        ),
        (
            "admin creates an admin-hotline operator",
            Method::POST,
            "/users".to_owned(),
            json!({"username": "sneaky2", "display_name": "x", "password": "long enough passphrase",
                   "grants": admin_and("hotline_operator", "VN")}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "admin_with_case_role",
        ),
    ];
    // A second admin, to try turning one admin into a case worker through another.
    let second = app.user("second.admin", &[(Role::Admin, "VN")]).await;
    table.push((
        "an admin turns another admin into a supervisor",
        Method::PATCH,
        format!("/users/{}", second.id),
        json!({"grants": [{"role": "supervisor", "unit_code": "VN"}]}),
        StatusCode::UNPROCESSABLE_ENTITY,
        "admin_with_case_role",
    ));
    let before = trail(&app, admin, "").await.len();
    for (name, method, path, body, status, code) in &table {
        let (got, _, problem) = app
            .request(method.clone(), Some(&admin.token), path, Some(body), &[])
            .await;
        assert_eq!(got, *status, "{name}: {problem}");
        assert_eq!(problem["code"], *code, "{name}: {problem}");
    }
    // Nothing changed: the admin is still only an admin, still reads no case, and the trail
    // holds no new entry.
    let (_, me) = app.get(admin, "/me").await;
    assert_eq!(me["grants"], json!([{"role": "admin", "unit_code": "VN"}]));
    let (status, _) = app.get(admin, &format!("/cases/{case_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, worker) = app.get(admin, &other).await;
    assert_eq!(worker["grants"].as_array().unwrap().len(), 1, "{worker}");
    assert_eq!(trail(&app, admin, "").await.len(), before);
    // An account left holding both by an older version acts as an admin only.
    let mixed = app
        .user(
            "old.mixed",
            &[(Role::Admin, "VN"), (Role::Supervisor, "VN")],
        )
        .await;
    let (status, _) = app.get(&mixed, &format!("/cases/{case_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, me) = app.get(&mixed, "/me").await;
    assert_eq!(me["grants"], json!([{"role": "admin", "unit_code": "VN"}]));
    println!(
        "RELIABILITY adversarial_separation_of_duties store={store:?} attacks={} refused={} changes_written=0 mixed_account_case_reads=0",
        table.len() + 1,
        table.len() + 1
    );
}
both_stores!(separation_of_duties_holds);

/// An admin resets a supervisor's password to read as it: the password works once, for one
/// thing only (replacing it), and the supervisor, those above it and the admins see it all.
async fn an_admin_cannot_silently_take_over_a_supervisor(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let national = app
        .user("quoc.supervisor", &[(Role::Supervisor, "VN")])
        .await;
    let elsewhere = app.user("ha.supervisor", &[(Role::Supervisor, "01")]).await;
    let case_id = app.report(&cast.hotline, &hours_ago(2)).await;
    let chosen = "the admin chose this one";
    let (status, headers, body) = app
        .request(
            Method::PATCH,
            Some(&cast.admin.token),
            &format!("/users/{}", cast.supervisor.id),
            Some(&json!({"password": chosen})),
            &[("x-request-id", "client-chosen-id")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["must_change_password"], true);
    let server_request_id = headers["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(server_request_id, "client-chosen-id");
    // The supervisor's own session ended.
    let (status, _) = app.get(&cast.supervisor, "/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Logging in with the admin's password gives a session that can do nothing else.
    let (status, login) = login_body(&app, &cast.supervisor.username, chosen).await;
    assert_eq!(status, StatusCode::OK, "{login}");
    assert_eq!(login["must_change_password"], true);
    let one_time = TestUser {
        token: login["token"].as_str().unwrap().to_owned(),
        ..cast.supervisor.clone()
    };
    let mut refusals = 0;
    for path in [
        format!("/cases/{case_id}"),
        format!("/cases/{case_id}/history"),
        "/cases".to_owned(),
        "/deadlines".to_owned(),
        "/accounts/history".to_owned(),
        "/units".to_owned(),
    ] {
        let (status, problem) = app.get(&one_time, &path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {problem}");
        assert_eq!(problem["code"], "password_change_required", "{path}");
        refusals += 1;
    }
    let (status, problem) = app
        .post(
            &one_time,
            &format!("/cases/{case_id}/notes"),
            json!({"text": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, me) = app.get(&one_time, "/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["must_change_password"], true);
    // Replacing it needs the current one, and a different new one.
    for (body, status, code) in [
        (
            json!({"current_password": "not the right one", "new_password": "my very own passphrase"}),
            StatusCode::FORBIDDEN,
            "wrong_password",
        ),
        (
            json!({"current_password": chosen, "new_password": chosen}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            json!({"current_password": chosen, "new_password": "short"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
    ] {
        let (got, problem) = app.post(&one_time, "/auth/password", body).await;
        assert_eq!(got, status, "{problem}");
        assert_eq!(problem["code"], code);
    }
    let (status, _) = app
        .post(
            &one_time,
            "/auth/password",
            json!({"current_password": chosen, "new_password": "my very own passphrase"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get(&one_time, &format!("/cases/{case_id}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = login_body(&app, &cast.supervisor.username, chosen).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The trail about the supervisor, as the supervisor itself, the national supervisor and
    // the admin see it: the admin set the password, the sessions ended, the user replaced it.
    let about = format!("&user={}", cast.supervisor.id);
    let expected = ["password_set", "sessions_ended", "password_changed"];
    for reader in [&one_time, &national, &cast.admin] {
        let entries = trail(&app, reader, &about).await;
        let after_creation: Vec<Value> = entries
            .into_iter()
            .filter(|e| e["kind"] != "created")
            .collect();
        assert_eq!(kinds(&after_creation), expected, "{}", reader.username);
        let set = &after_creation[0];
        assert_eq!(set["actor"]["user_id"], cast.admin.id.to_string());
        assert_eq!(set["actor"]["username"], cast.admin.username);
        assert_eq!(set["details"]["one_time_password"], true);
        assert_eq!(set["request_id"], server_request_id);
        assert_eq!(set["client_request_id"], "client-chosen-id");
        assert_eq!(
            after_creation[2]["actor"]["user_id"],
            cast.supervisor.id.to_string()
        );
        let text = serde_json::to_string(&after_creation).unwrap();
        assert!(
            !text.contains(chosen) && !text.contains("passphrase") && !text.contains("$argon2")
        );
    }
    // A supervisor of another province does not see it; case roles cannot read the trail.
    let entries = trail(&app, &elsewhere, &about).await;
    assert!(entries.is_empty(), "{entries:?}");
    for user in [&cast.worker, &cast.approver, &cast.hotline] {
        let (status, _) = app.get(user, "/accounts/history").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}", user.username);
    }
    println!(
        "RELIABILITY adversarial_impersonation store={store:?} one_time_session_refusals={} trail_readers_who_see_the_reset=3 other_province_sees=0 password_in_trail=0",
        refusals + 1
    );
}
both_stores!(an_admin_cannot_silently_take_over_a_supervisor);

/// Every account action of an admin is in the trail, in order, and the trail cannot be
/// rewritten in the store.
async fn every_account_change_is_in_the_trail(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let (status, created) = app
        .post(
            &cast.admin,
            "/users",
            json!({"username": "new.worker", "display_name": "Cán bộ mới",
                   "password": "first one-time passphrase",
                   "grants": [{"role": "social_worker", "unit_code": COMMUNE}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["must_change_password"], true);
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/users/{id}");
    // The new worker logs in (one-time), which leaves a session for the disabling to end.
    let (status, _) = login_body(&app, "new.worker", "first one-time passphrase").await;
    assert_eq!(status, StatusCode::OK);
    for body in [
        json!({"grants": [{"role": "social_worker", "unit_code": OTHER_COMMUNE}]}),
        json!({"display_name": "Cán bộ Bình"}),
        json!({"disabled": true}),
        json!({"disabled": false}),
    ] {
        let (status, value) = patch(&app, &cast.admin, &path, body).await;
        assert_eq!(status, StatusCode::OK, "{value}");
    }
    // Ending its sessions on purpose is an admin action too (none left to end here).
    let sessions = format!("/users/{id}/sessions");
    let (status, _, _) = app
        .request(
            Method::DELETE,
            Some(&cast.supervisor.token),
            &sessions,
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = app
        .request(
            Method::DELETE,
            Some(&cast.admin.token),
            &sessions,
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let entries = trail(&app, &cast.admin, &format!("&user={id}")).await;
    assert_eq!(
        kinds(&entries),
        [
            "created",
            "grants_changed",
            "sessions_ended",
            "display_name_changed",
            "disabled",
            "enabled",
            "sessions_ended"
        ]
    );
    assert_eq!(
        entries[6]["details"],
        json!({"count": 0, "requested": true})
    );
    for entry in &entries {
        assert_eq!(entry["actor"]["user_id"], cast.admin.id.to_string());
        assert_eq!(entry["account"]["username"], "new.worker");
    }
    assert_eq!(entries[0]["details"]["one_time_password"], true);
    assert_eq!(
        entries[1]["details"]["after"],
        json!([{"role": "social_worker", "unit_code": OTHER_COMMUNE}])
    );
    // Both communes' province supervisor sees the account (it was in both of its communes).
    let seen = trail(&app, &cast.supervisor, &format!("&user={id}")).await;
    assert_eq!(seen.len(), entries.len());
    // Bad filters are a 422, not a 500.
    for query in ["?user=nope", "?cursor=abc", "?limit=0"] {
        let (status, _) = app
            .get(&cast.admin, &format!("/accounts/history{query}"))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
    }
    // Append-only in the store itself, whoever connects.
    for statement in [
        "UPDATE account_events SET kind = 'x'",
        "DELETE FROM account_events",
    ] {
        let result = projections::with_db!(&app.db, pool => sqlx::query(statement)
            .execute(pool).await.map(|_| ()));
        let err = result.expect_err(statement);
        assert!(err.to_string().contains("immutable"), "{statement}: {err}");
    }
}
both_stores!(every_account_change_is_in_the_trail);
