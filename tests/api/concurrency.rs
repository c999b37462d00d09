//! Racing commands, `If-Match`, `Idempotency-Key`, and a restart.

use crate::both_stores;
use crate::helpers::*;
use projections::with_db;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn stream_sequences(app: &TestApp, id: &str) -> Vec<i64> {
    with_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT sequence FROM events WHERE aggregate_id = $1 ORDER BY sequence")
        .bind(id)
        .fetch_all(pool)
        .await
        .unwrap())
}

/// With `If-Match`: exactly one racer wins; a loser is refused by the `If-Match` check (412,
/// when it loaded the case after the winner) or by the store's lock (409, when it loaded it
/// before).
async fn racing_commands_with_if_match_one_wins_the_others_get_409_or_412(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let trials = knob("RACE_TRIALS", 5);
    let (mut conflicts_seen, mut by_store_lock) = (0, 0);
    for _trial in 0..trials {
        let id = app.report(&cast.hotline, &hours_ago(3)).await;
        let (_, doc) = app.get(&cast.worker, &format!("/cases/{id}")).await;
        let version = doc["version"].as_u64().unwrap().to_string();
        let etag = format!("\"{version}\"");
        // Eight notes on the same version at once: exactly one lands.
        let requests = (0..8).map(|i| {
            let app = &app;
            let etag = etag.clone();
            let token = cast.worker.token.clone();
            let path = format!("/cases/{id}/notes");
            async move {
                let body = json!({"text": format!("note {i}")});
                app.request(
                    Method::POST,
                    Some(&token),
                    &path,
                    Some(&body),
                    &[("if-match", &etag)],
                )
                .await
            }
        });
        let results = futures_util::future::join_all(requests).await;
        let ok = results
            .iter()
            .filter(|(s, _, _)| *s == StatusCode::OK)
            .count();
        let conflicts: Vec<_> = results
            .iter()
            .filter(|(s, _, _)| *s != StatusCode::OK)
            .collect();
        assert_eq!(
            ok, 1,
            "exactly one of the racing commands wins: {results:?}"
        );
        for (status, _, problem) in &conflicts {
            assert!(
                (*status == StatusCode::CONFLICT && problem["code"] == "version_conflict")
                    || (*status == StatusCode::PRECONDITION_FAILED
                        && problem["code"] == "version_mismatch"),
                "a loser gets 409 or 412: {status} {problem}"
            );
        }
        conflicts_seen += conflicts.len();
        by_store_lock += conflicts
            .iter()
            .filter(|(s, _, _)| *s == StatusCode::CONFLICT)
            .count();
        // The stream stays gap-free.
        let sequences = stream_sequences(&app, &id).await;
        assert_eq!(sequences, (1..=sequences.len() as i64).collect::<Vec<_>>());
    }
    println!(
        "RELIABILITY racing_commands store={store:?} trials={trials} racers_per_trial=8 winners_per_trial=1 losers_refused={conflicts_seen} refused_by_if_match={} refused_by_store_lock={by_store_lock} gaps=0",
        conflicts_seen - by_store_lock
    );
}
both_stores!(racing_commands_with_if_match_one_wins_the_others_get_409_or_412);

/// Without `If-Match`, only the store's optimistic lock stands between racers: every loser is a
/// 409 `version_conflict` (never a 412: nobody asked for a version), every winner's note is in
/// the stream exactly once, and over the trials the lock did refuse someone.
async fn racing_commands_without_if_match_meet_the_stores_optimistic_lock(store: Store) {
    race_without_if_match(TestApp::spawn(store).await, &format!("{store:?}")).await;
}
both_stores!(racing_commands_without_if_match_meet_the_stores_optimistic_lock);

/// The same races through Postgres group commit (`CASEBOOK_PG_COMMITTERS`): racers of one case
/// queue together, so the committers must refuse all but one of them alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_commands_through_postgres_group_commit_meet_the_same_lock() {
    let app = TestApp::spawn_with(Store::Postgres, |s| s.pg_committers = 4).await;
    race_without_if_match(app, "Postgres, group commit").await;
}

async fn race_without_if_match(app: TestApp, store: &str) {
    let cast = app.cast().await;
    let trials = knob("RACE_TRIALS", 5);
    let (mut wins, mut conflicts) = (0, 0);
    for _trial in 0..trials {
        let id = app.report(&cast.hotline, &hours_ago(3)).await;
        let before = stream_sequences(&app, &id).await.len();
        let requests = (0..8).map(|i| {
            let (app, token) = (&app, cast.worker.token.clone());
            let path = format!("/cases/{id}/notes");
            async move {
                let body = json!({"text": format!("note {i}")});
                app.request(Method::POST, Some(&token), &path, Some(&body), &[])
                    .await
            }
        });
        let results = futures_util::future::join_all(requests).await;
        let won = results
            .iter()
            .filter(|(s, _, _)| *s == StatusCode::OK)
            .count();
        for (status, _, problem) in results.iter().filter(|(s, _, _)| *s != StatusCode::OK) {
            assert!(
                *status == StatusCode::CONFLICT && problem["code"] == "version_conflict",
                "a loser without If-Match meets the store's lock: {status} {problem}"
            );
        }
        assert!(won >= 1, "someone wins: {results:?}");
        let sequences = stream_sequences(&app, &id).await;
        assert_eq!(
            sequences.len(),
            before + won,
            "one event per acknowledged note"
        );
        assert_eq!(sequences, (1..=sequences.len() as i64).collect::<Vec<_>>());
        wins += won;
        conflicts += 8 - won;
    }
    println!(
        "RELIABILITY racing_without_if_match store={store} trials={trials} racers_per_trial=8 acknowledged={wins} store_conflicts={conflicts}"
    );
    assert!(
        conflicts > 0,
        "the store's optimistic lock never refused a racer"
    );
}

async fn a_stale_if_match_is_refused_with_412(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let id = app.report(&cast.hotline, &hours_ago(3)).await;
    let path = format!("/cases/{id}/notes");
    let (_, headers, doc) = app
        .request(
            Method::GET,
            Some(&cast.worker.token),
            &format!("/cases/{id}"),
            None,
            &[],
        )
        .await;
    let etag = headers.get("etag").unwrap().to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", doc["version"]));
    let (status, headers, _) = app
        .request(
            Method::POST,
            Some(&cast.worker.token),
            &path,
            Some(&json!({"text": "a"})),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(
        headers.get("etag").unwrap().to_str().unwrap(),
        etag,
        "the version moved"
    );
    let (status, _, problem) = app
        .request(
            Method::POST,
            Some(&cast.worker.token),
            &path,
            Some(&json!({"text": "b"})),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(problem["code"], "version_mismatch");
    let (status, _, problem) = app
        .request(
            Method::POST,
            Some(&cast.worker.token),
            &path,
            Some(&json!({"text": "b"})),
            &[("if-match", "yesterday")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["code"], "invalid_if_match");
}
both_stores!(a_stale_if_match_is_refused_with_412);

async fn an_idempotency_key_replays_the_first_answer(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let trials = knob("IDEMPOTENCY_TRIALS", 1);
    for trial in 0..trials {
        idempotent_replays(&app, &cast, trial).await;
    }
    println!(
        "RELIABILITY idempotency store={store:?} trials={trials} sequential_replays={} parallel_replays={} duplicate_events=0 differing_answers=0",
        trials * 3,
        trials * 3
    );
}

async fn idempotent_replays(app: &TestApp, cast: &Cast, trial: usize) {
    let body = report_body(&hours_ago(2), COMMUNE, &["Lò Thị Mai"]);
    let report_key = format!("report-{trial}");
    let key = [("idempotency-key", report_key.as_str())];

    // In sequence: three times the same request, one case.
    let mut answers = Vec::new();
    for _ in 0..3 {
        let (status, _, value) = app
            .request(
                Method::POST,
                Some(&cast.hotline.token),
                "/reports",
                Some(&body),
                &key,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{value}");
        answers.push(value);
    }
    assert!(
        answers.iter().all(|a| *a == answers[0]),
        "identical answers: {answers:?}"
    );
    let (_, list) = app.get(&cast.hotline, "/cases").await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        trial + 1,
        "one case per key: {list}"
    );

    // The same key with another body is refused.
    let other = report_body(&hours_ago(2), COMMUNE, &["Lò Văn Nam"]);
    let (status, _, problem) = app
        .request(
            Method::POST,
            Some(&cast.hotline.token),
            "/reports",
            Some(&other),
            &key,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["code"], "idempotency_key_reused");

    // In parallel, on a case command: one set of events, identical answers.
    let id = answers[0]["cases"][0]["id"].as_str().unwrap().to_owned();
    let before = stream_sequences(app, &id).await.len();
    let path = format!("/cases/{id}/notes");
    let note = json!({"text": "Gọi lại cho mẹ"});
    let note_key = format!("note-{trial}");
    let requests = (0..3).map(|_| {
        let (token, path, note, key) = (
            cast.worker.token.clone(),
            path.clone(),
            note.clone(),
            note_key.clone(),
        );
        async move {
            app.request(
                Method::POST,
                Some(&token),
                &path,
                Some(&note),
                &[("idempotency-key", key.as_str())],
            )
            .await
        }
    });
    let results = futures_util::future::join_all(requests).await;
    for (status, _, value) in &results {
        assert_eq!(*status, StatusCode::OK, "{value}");
        assert_eq!(*value, results[0].2);
    }
    assert_eq!(
        stream_sequences(app, &id).await.len(),
        before + 1,
        "one note event"
    );
}
both_stores!(an_idempotency_key_replays_the_first_answer);

async fn acknowledged_work_survives_a_restart(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let id = app.report(&cast.hotline, &hours_ago(2)).await;
    app.ok(
        &cast.worker,
        &format!("/cases/{id}/notes"),
        json!({"text": "trước khi khởi động lại"}),
    )
    .await;
    let (url, dir) = app.stop().await;

    let app = TestApp::spawn_on(store, url, dir).await;
    // Sessions are in the store: the same tokens still work.
    let (status, doc) = app.get(&cast.worker, &format!("/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    assert_eq!(doc["notes"][0]["text"], "trước khi khởi động lại");
    let (_, list) = app.get(&cast.worker, "/cases").await;
    assert_eq!(list["items"][0]["id"], json!(id));
    // And the case goes on.
    app.ok(
        &cast.worker,
        &format!("/cases/{id}/notes"),
        json!({"text": "sau"}),
    )
    .await;
}
both_stores!(acknowledged_work_survives_a_restart);

/// The process died after a keyed command committed and before its answer was stored: the
/// retry finds the events the key produced and does not run the command again.
async fn a_key_whose_answer_was_lost_does_not_run_twice(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let body = report_body(&hours_ago(2), COMMUNE, &["Lò Thị Mai", "Lò Văn Nam"]);
    let key = [("idempotency-key", "lost-answer-1")];
    let (status, _, first) = app
        .request(
            Method::POST,
            Some(&cast.hotline.token),
            "/reports",
            Some(&body),
            &key,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let id = first["cases"][0]["id"].as_str().unwrap().to_owned();
    let note_key = [("idempotency-key", "lost-answer-2")];
    let path = format!("/cases/{id}/notes");
    let (status, _, _) = app
        .request(
            Method::POST,
            Some(&cast.worker.token),
            &path,
            Some(&json!({"text": "một lần"})),
            &note_key,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let before = stream_sequences(&app, &id).await.len();
    // What a crash between the commit and storing the answer leaves: no stored answer.
    with_db!(&app.db, pool => sqlx::query("DELETE FROM idempotency_keys").execute(pool).await.map(|_| ()).unwrap());

    let (status, _, again) = app
        .request(
            Method::POST,
            Some(&cast.hotline.token),
            "/reports",
            Some(&body),
            &key,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again, first, "the same cases, not new ones");
    let (status, _, _) = app
        .request(
            Method::POST,
            Some(&cast.worker.token),
            &path,
            Some(&json!({"text": "một lần"})),
            &note_key,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        stream_sequences(&app, &id).await.len(),
        before,
        "the note was not recorded twice"
    );
    let (_, list) = app.get(&cast.hotline, "/cases").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
}
both_stores!(a_key_whose_answer_was_lost_does_not_run_twice);
