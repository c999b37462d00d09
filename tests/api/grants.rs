//! The production database role may insert events but never update or delete them
//! (deploy/postgres-grants.sql).

use crate::helpers::*;
use std::process::Command;

fn psql(url: &str, args: &[&str]) -> std::process::Output {
    Command::new("psql")
        .arg("-v")
        .arg("ON_ERROR_STOP=1")
        .args(args)
        .arg(url)
        .output()
        .expect("psql runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_role_appends_events_but_cannot_change_or_delete_them() {
    let server = crate::pg::shared();
    let database = format!("g_{}", uuid::Uuid::now_v7().simple());
    // The DBA's part: two roles and a database owned by the schema owner.
    let admin = sqlx::PgPool::connect(&server.url("postgres"))
        .await
        .unwrap();
    for statement in [
        "DO $$ BEGIN CREATE ROLE casebook_owner LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$".to_owned(),
        "DO $$ BEGIN CREATE ROLE casebook_app LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$".to_owned(),
        format!("CREATE DATABASE {database} OWNER casebook_owner"),
    ] {
        sqlx::query(&statement).execute(&admin).await.unwrap();
    }
    admin.close().await;
    let owner_url = format!(
        "postgres://casebook_owner@127.0.0.1:{}/{database}",
        server.port
    );
    let app_url = format!(
        "postgres://casebook_app@127.0.0.1:{}/{database}",
        server.port
    );

    // The owner migrates, then grants.
    let out = Command::new(env!("CARGO_BIN_EXE_casebook"))
        .arg("migrate")
        .env("CASEBOOK_DATABASE_URL", &owner_url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = psql(
        &owner_url,
        &[
            "-q",
            "-f",
            concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/postgres-grants.sql"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The service runs as casebook_app: it starts, builds its views, takes commands.
    let app = TestApp::spawn_on(Store::Postgres, app_url.clone(), None).await;
    let cast = app.cast().await;
    let id = app.report(&cast.hotline, &hours_ago(1)).await;
    app.ok(
        &cast.worker,
        &format!("/cases/{id}/notes"),
        serde_json::json!({"text": "ghi chú"}),
    )
    .await;
    let (status, _) = app.get(&cast.worker, &format!("/cases/{id}")).await;
    assert!(status.is_success());
    // Account changes and logins (the trail, the shared throttle) work as casebook_app.
    let (status, _, _) = app
        .request(
            reqwest::Method::PATCH,
            Some(&cast.admin.token),
            &format!("/users/{}", cast.other_worker.id),
            Some(&serde_json::json!({"disabled": true})),
            &[],
        )
        .await;
    assert!(status.is_success(), "{status}");
    app.login(&cast.worker.username, PASSWORD).await;
    // The notifier works as casebook_app: the report's rapid report reaches the chair's inbox,
    // which it marks read.
    crate::alerts::settle(&app).await;
    let (_, inbox) = app.get(&cast.approver, "/inbox").await;
    let message = inbox["items"][0]["id"]
        .as_str()
        .expect("a message")
        .to_owned();
    let (status, _) = app
        .post(
            &cast.approver,
            &format!("/inbox/{message}/read"),
            serde_json::json!({}),
        )
        .await;
    assert!(status.is_success(), "{status}");

    // … but as casebook_app the log and the audit cannot be changed.
    let as_app = sqlx::PgPool::connect(&app_url).await.unwrap();
    for statement in [
        "UPDATE events SET payload = payload",
        "DELETE FROM events",
        "TRUNCATE events",
        "UPDATE case_access_log SET view = 'x'",
        "DELETE FROM case_access_log",
        "UPDATE account_events SET kind = 'x'",
        "UPDATE notifications SET kind = 'x'",
        "DELETE FROM notifications",
        "DELETE FROM account_events",
        "TRUNCATE account_events",
        "DROP TABLE events",
    ] {
        let err = sqlx::query(statement)
            .execute(&as_app)
            .await
            .expect_err(statement);
        let code = err
            .as_database_error()
            .and_then(|d| d.code())
            .map(|c| c.to_string());
        assert!(
            matches!(code.as_deref(), Some("42501")),
            "{statement}: expected permission denied, got {err}"
        );
    }
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&as_app)
        .await
        .unwrap();
    assert!(events >= 2);
    let trail: i64 =
        sqlx::query_scalar("SELECT count(*) FROM account_events WHERE kind = 'disabled'")
            .fetch_one(&as_app)
            .await
            .unwrap();
    assert_eq!(trail, 1);
    as_app.close().await;
    // Even the owner cannot rewrite history: the trigger refuses.
    let as_owner = sqlx::PgPool::connect(&owner_url).await.unwrap();
    let err = sqlx::query("UPDATE events SET payload = payload")
        .execute(&as_owner)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("immutable"), "{err}");
    as_owner.close().await;
}
