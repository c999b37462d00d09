//! Sessions are cached in memory on PostgreSQL (issue 14), yet logout, disabling and new
//! grants still act at once across instances: two servers on one store, the change made
//! through one, the other refuses at once whatever would show or change a case (the session is
//! checked in the same statement that writes the access-log row or the events), and everything
//! else as soon as the change's notification arrives. The same on SQLite, where nothing is
//! cached.

use crate::both_stores;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::{Duration, Instant};

async fn status(app: &TestApp, token: &str, method: Method, path: &str) -> StatusCode {
    let body = json!({"text": "Ghi chú"});
    let body = (method == Method::POST).then_some(&body);
    app.request(method, Some(token), path, body, &[]).await.0
}

/// The first answer that is not 200 within a bound (the notification's way to the other
/// instance), and how long it took.
async fn refused_within(app: &TestApp, token: &str, path: &str) -> (StatusCode, Duration) {
    let started = Instant::now();
    loop {
        let s = status(app, token, Method::GET, path).await;
        if s != StatusCode::OK || started.elapsed() > Duration::from_secs(5) {
            return (s, started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn ended_sessions_act_at_once_on_another_instance(store: Store) {
    let a = TestApp::spawn(store).await;
    let dir_less_url = a.database_url.clone();
    let b = TestApp::spawn_on(store, dir_less_url, None).await;
    let cast = a.cast().await;
    let case = a.report(&cast.worker, &hours_ago(2)).await;
    let read = format!("/cases/{case}");
    let note = format!("/cases/{case}/notes");

    // Three changes that end a worker's sessions, each made through A while B has the
    // session in memory (it served it a moment ago).
    for change in ["logout", "disable", "grants"] {
        let worker = a
            .user(
                &format!("mai.{change}"),
                &[(aggregates::codes::Role::SocialWorker, COMMUNE)],
            )
            .await;
        assert_eq!(
            status(&b, &worker.token, Method::GET, &read).await,
            StatusCode::OK
        );
        assert_eq!(
            status(&b, &worker.token, Method::GET, "/me").await,
            StatusCode::OK
        );
        match change {
            "logout" => {
                let (s, _, _) = a
                    .request(Method::POST, Some(&worker.token), "/auth/logout", None, &[])
                    .await;
                assert_eq!(s, StatusCode::NO_CONTENT);
            }
            "disable" => {
                let (s, _, body) = a
                    .request(
                        Method::PATCH,
                        Some(&cast.admin.token),
                        &format!("/users/{}", worker.id),
                        Some(&json!({"disabled": true})),
                        &[],
                    )
                    .await;
                assert_eq!(s, StatusCode::OK, "{body}");
            }
            _ => {
                let (s, _, body) = a
                    .request(
                        Method::PATCH,
                        Some(&cast.admin.token),
                        &format!("/users/{}", worker.id),
                        Some(&json!({"grants": [{"role": "social_worker", "unit_code": OTHER_COMMUNE}]})),
                        &[],
                    )
                    .await;
                assert_eq!(s, StatusCode::OK, "{body}");
            }
        }
        // What shows or changes a case: refused by B at once, nothing written.
        let versions_before = a.get(&cast.supervisor, &read).await.1["version"].clone();
        assert_eq!(
            status(&b, &worker.token, Method::POST, &note).await,
            StatusCode::UNAUTHORIZED,
            "{change}: a command through B"
        );
        assert_eq!(
            status(&b, &worker.token, Method::GET, &read).await,
            StatusCode::UNAUTHORIZED,
            "{change}: a case read through B"
        );
        assert_eq!(
            a.get(&cast.supervisor, &read).await.1["version"],
            versions_before
        );
        // Everything else: as soon as the notification has arrived.
        let (s, took) = refused_within(&b, &worker.token, "/me").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{change}: /me through B");
        println!(
            "store={store:?} change={change} other_instance_refused_other_reads_after_ms={}",
            took.as_millis()
        );
    }
    b.stop().await;
}
both_stores!(ended_sessions_act_at_once_on_another_instance);
