//! casebook's own event repository keeps the schema and the semantics of postgres-es and
//! sqlite-es (issue 14): events it writes are read back by them and the other way round, and a
//! race on a case's next sequence is the same `OptimisticLockError` whichever wrote first —
//! on both stores; the group committers of both stores write the commands that queue together.

use crate::both_stores;
use crate::helpers::*;
use casebook::store::access_log::CaseView;
use casebook::store::events::{AccessRow, CommitError, EventRepository};
use cqrs_es::persist::{PersistedEventRepository, PersistenceError, SerializedEvent};
use projections::Db;
use serde_json::json;

fn event(case: &str, sequence: usize, text: &str) -> SerializedEvent {
    SerializedEvent::new(
        case.to_owned(),
        sequence,
        "Case".to_owned(),
        "NoteAdded".to_owned(),
        "1".to_owned(),
        json!({"NoteAdded": {"text": text}}),
        json!({"actor_id": "00000000-0000-0000-0000-000000000001", "request_id": "r"}),
    )
}

async fn crate_repository_read(db: &Db, case: &str) -> Vec<SerializedEvent> {
    match db {
        Db::Postgres(pool) => postgres_es::PostgresEventRepository::new(pool.clone())
            .get_events::<aggregates::Case>(case)
            .await
            .unwrap(),
        Db::Sqlite(pools) => sqlite_es::SqliteEventRepository::new(pools.writer.clone())
            .get_events::<aggregates::Case>(case)
            .await
            .unwrap(),
    }
}

async fn crate_repository_write(
    db: &Db,
    events: &[SerializedEvent],
) -> Result<(), PersistenceError> {
    match db {
        Db::Postgres(pool) => {
            postgres_es::PostgresEventRepository::new(pool.clone())
                .persist::<aggregates::Case>(events, None)
                .await
        }
        Db::Sqlite(pools) => {
            sqlite_es::SqliteEventRepository::new(pools.writer.clone())
                .persist::<aggregates::Case>(events, None)
                .await
        }
    }
}

async fn the_repository_keeps_the_schema_and_conflicts_of_the_crates(store: Store) {
    let app = TestApp::spawn(store).await;
    let db = app.db.clone();
    let ours = EventRepository::new(&db);
    let case = uuid::Uuid::now_v7().to_string();

    // Ours writes three events and an access-log row at once; the crate reads them back.
    let access = AccessRow {
        case_id: uuid::Uuid::parse_str(&case).unwrap(),
        user_id: uuid::Uuid::now_v7(),
        role: "social_worker".into(),
        unit: COMMUNE.into(),
        view: CaseView::Command,
        at: chrono::Utc::now(),
    };
    ours.commit(
        &[
            event(&case, 1, "một"),
            event(&case, 2, "hai"),
            event(&case, 3, "ba"),
        ],
        Some(&access),
        None,
    )
    .await
    .unwrap();
    let read = crate_repository_read(&db, &case).await;
    assert_eq!(read.len(), 3);
    assert_eq!(read[2].payload, json!({"NoteAdded": {"text": "ba"}}));
    assert_eq!(read[1].metadata["request_id"], "r");
    let rows: i64 = projections::with_db!(&db, pool => {
        sqlx::query_scalar("SELECT count(*) FROM case_access_log WHERE case_id = $1")
            .bind(access.case_id)
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert_eq!(rows, 1, "the access-log row went in with the events");

    // The crate writes the next; ours reads all four in order.
    crate_repository_write(&db, &[event(&case, 4, "bốn")])
        .await
        .unwrap();
    let read = ours.get_events::<aggregates::Case>(&case).await.unwrap();
    let sequences: Vec<usize> = read.iter().map(|e| e.sequence).collect();
    assert_eq!(sequences, [1, 2, 3, 4]);
    assert_eq!(read[3].payload, json!({"NoteAdded": {"text": "bốn"}}));

    // A race on sequence 5, whichever wrote first: the loser gets the optimistic-lock error
    // and writes nothing — not its events, not its access-log row.
    ours.commit(&[event(&case, 5, "năm")], None, None)
        .await
        .unwrap();
    assert!(matches!(
        crate_repository_write(&db, &[event(&case, 5, "khác")]).await,
        Err(PersistenceError::OptimisticLockError)
    ));
    crate_repository_write(&db, &[event(&case, 6, "sáu")])
        .await
        .unwrap();
    let lost = ours
        .commit(
            &[event(&case, 6, "khác"), event(&case, 7, "bảy")],
            Some(&access),
            None,
        )
        .await;
    assert!(matches!(lost, Err(CommitError::Conflict)), "{lost:?}");
    let read = ours.get_events::<aggregates::Case>(&case).await.unwrap();
    assert_eq!(read.len(), 6, "nothing of the losing commit");
    assert_eq!(read[5].payload, json!({"NoteAdded": {"text": "sáu"}}));
    let rows: i64 = projections::with_db!(&db, pool => {
        sqlx::query_scalar("SELECT count(*) FROM case_access_log WHERE case_id = $1")
            .bind(access.case_id)
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert_eq!(rows, 1, "no access-log row for a refused commit");
}
both_stores!(the_repository_keeps_the_schema_and_conflicts_of_the_crates);

/// No NOTIFY inside event commits (it serialized them on PostgreSQL's notify lock): other
/// instances are woken after the commit instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_event_commit_sends_a_notification_on_postgres() {
    let app = TestApp::spawn(Store::Postgres).await;
    let Db::Postgres(pool) = &app.db else {
        unreachable!()
    };
    let triggers: Vec<(String,)> = sqlx::query_as(
        "SELECT tgname::text FROM pg_trigger WHERE tgrelid = 'events'::regclass AND NOT tgisinternal",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let names: Vec<&str> = triggers.iter().map(|(n,)| n.as_str()).collect();
    assert_eq!(names, ["events_no_update"], "only the immutability trigger");
}

/// SQLite group commit (issue 14): commands that queue while the writer is busy go in with one
/// transaction; each is answered only after that commit, and a command that loses a race —
/// here four of five on one case's first sequence, inside the same group — is refused alone
/// while the others are written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_sqlite_commands_commit_together_and_a_conflict_is_refused_alone() {
    use std::sync::atomic::Ordering;
    let app = TestApp::spawn(Store::Sqlite).await;
    let Db::Sqlite(pools) = &app.db else {
        unreachable!()
    };
    let repo = EventRepository::new(&app.db);
    let group = repo
        .group_committer()
        .expect("SQLite commits by groups")
        .clone();
    let stats = group.stats();
    let (groups, commands) = (
        stats.groups.load(Ordering::Relaxed),
        stats.commands.load(Ordering::Relaxed),
    );

    // Something else holds the writer: the commands queue.
    let held = pools.writer.acquire().await.unwrap();
    let cases: Vec<String> = (0..10).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let mut jobs = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let access = (i == 1).then(|| AccessRow {
            case_id: uuid::Uuid::parse_str(case).unwrap(),
            user_id: uuid::Uuid::now_v7(),
            role: "social_worker".into(),
            unit: COMMUNE.into(),
            view: CaseView::Command,
            at: chrono::Utc::now(),
        });
        let (repo, event) = (repo.clone(), event(case, 1, &format!("ca {i}")));
        jobs.push(tokio::spawn(async move {
            repo.commit(&[event], access.as_ref(), None).await
        }));
    }
    for rival in 0..4 {
        let (repo, event) = (
            repo.clone(),
            event(&cases[0], 1, &format!("đối thủ {rival}")),
        );
        jobs.push(tokio::spawn(async move {
            repo.commit(&[event], None, None).await
        }));
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while group.stats().submitted.load(Ordering::Relaxed) < 14 {
        assert!(
            std::time::Instant::now() < deadline,
            "the commands never queued"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(
        jobs.iter().all(|j| !j.is_finished()),
        "no command is answered before its commit"
    );
    drop(held);

    let mut results = Vec::new();
    for job in jobs {
        results.push(job.await.unwrap());
    }
    assert!(results[1..10].iter().all(Result::is_ok), "{results:?}");
    let first_case: Vec<_> = [&results[0]].into_iter().chain(&results[10..]).collect();
    assert_eq!(first_case.iter().filter(|r| r.is_ok()).count(), 1);
    assert_eq!(
        first_case
            .iter()
            .filter(|r| matches!(r, Err(CommitError::Conflict)))
            .count(),
        4,
        "{first_case:?}"
    );
    assert_eq!(
        stats.groups.load(Ordering::Relaxed) - groups,
        1,
        "one transaction"
    );
    assert_eq!(stats.commands.load(Ordering::Relaxed) - commands, 14);

    // Durable and whole: one event per case, the winner's on the raced case, the access row.
    for case in &cases {
        let read = crate_repository_read(&app.db, case).await;
        assert_eq!(read.len(), 1, "{case}");
    }
    let winner = crate_repository_read(&app.db, &cases[0]).await;
    let won = [0usize, 10, 11, 12, 13]
        .into_iter()
        .find(|&i| results[i].is_ok())
        .unwrap();
    let text = if won == 0 {
        "ca 0".to_owned()
    } else {
        format!("đối thủ {}", won - 10)
    };
    assert_eq!(winner[0].payload, json!({"NoteAdded": {"text": text}}));
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM case_access_log WHERE case_id = $1")
        .bind(uuid::Uuid::parse_str(&cases[1]).unwrap())
        .fetch_one(&pools.reader)
        .await
        .unwrap();
    assert_eq!(rows, 1);
}

/// Postgres group commit (issue 14, item 7): commands that queue while the committers are busy
/// go in one statement; a command racing another of the group for a case's sequence is refused
/// alone, a command whose session has ended is refused alone, and nothing is answered before
/// the statement that writes it has committed. A command's events keep their order in the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_postgres_commands_commit_together_and_the_refused_are_refused_alone() {
    use std::sync::atomic::Ordering;
    let app = TestApp::spawn(Store::Postgres).await;
    let cast = app.cast().await;
    let Db::Postgres(pool) = &app.db else {
        unreachable!()
    };
    let live: String = sqlx::query_scalar(
        "SELECT token_hash FROM sessions WHERE user_id = $1 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(cast.worker.id)
    .fetch_one(pool)
    .await
    .unwrap();
    let repo = EventRepository::with_committers(&app.db, 2);
    let group = repo
        .pg_group_committer()
        .expect("Postgres commits by groups")
        .clone();
    let stats = group.stats();

    // Something else holds the events table: the committers' first statements wait on it and
    // the other commands queue.
    let mut held = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE events IN EXCLUSIVE MODE")
        .execute(&mut *held)
        .await
        .unwrap();
    let cases: Vec<String> = (0..10).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let mut jobs = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let access = (i == 1).then(|| AccessRow {
            case_id: uuid::Uuid::parse_str(case).unwrap(),
            user_id: cast.worker.id,
            role: "social_worker".into(),
            unit: COMMUNE.into(),
            view: CaseView::Command,
            at: chrono::Utc::now(),
        });
        // Case 2: three events in one command; case 3: a session that has ended.
        let events: Vec<SerializedEvent> = if i == 2 {
            (1..=3)
                .map(|s| event(case, s, &format!("ca 2.{s}")))
                .collect()
        } else {
            vec![event(case, 1, &format!("ca {i}"))]
        };
        let session = match i {
            3 => Some("no-such-session".to_owned()),
            _ => Some(live.clone()),
        };
        let repo = repo.clone();
        jobs.push(tokio::spawn(async move {
            repo.commit(&events, access.as_ref(), session.as_deref())
                .await
        }));
    }
    for rival in 0..4 {
        let (repo, event) = (
            repo.clone(),
            event(&cases[0], 1, &format!("đối thủ {rival}")),
        );
        jobs.push(tokio::spawn(async move {
            repo.commit(&[event], None, None).await
        }));
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while stats.submitted.load(Ordering::Relaxed) < 14 {
        assert!(
            std::time::Instant::now() < deadline,
            "the commands never queued"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(
        jobs.iter().all(|j| !j.is_finished()),
        "no command is answered before its commit"
    );
    held.rollback().await.unwrap();

    let mut results = Vec::new();
    for job in jobs {
        results.push(job.await.unwrap());
    }
    for (i, r) in results.iter().enumerate().take(10).skip(1) {
        if i == 3 {
            assert!(matches!(r, Err(CommitError::SessionEnded)), "{r:?}");
        } else {
            assert!(r.is_ok(), "{i}: {r:?}");
        }
    }
    let first_case: Vec<_> = [&results[0]].into_iter().chain(&results[10..]).collect();
    assert_eq!(first_case.iter().filter(|r| r.is_ok()).count(), 1);
    assert_eq!(
        first_case
            .iter()
            .filter(|r| matches!(r, Err(CommitError::Conflict)))
            .count(),
        4,
        "{first_case:?}"
    );
    assert!(
        stats.groups.load(Ordering::Relaxed) >= 1 && stats.grouped.load(Ordering::Relaxed) >= 6,
        "the queued commands went in together: {stats:?}"
    );

    // Durable and whole; the ended session's command wrote nothing.
    for (i, case) in cases.iter().enumerate() {
        let read = crate_repository_read(&app.db, case).await;
        let expected = match i {
            2 => 3,
            3 => 0,
            _ => 1,
        };
        assert_eq!(read.len(), expected, "case {i}");
    }
    let order: Vec<i64> = sqlx::query_scalar(
        "SELECT sequence FROM events WHERE aggregate_id = $1 ORDER BY tx_id, global_seq",
    )
    .bind(&cases[2])
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(order, [1, 2, 3], "a command's events keep their order");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM case_access_log WHERE case_id = $1")
        .bind(uuid::Uuid::parse_str(&cases[1]).unwrap())
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(rows, 1);
}
