//! The projector's guarantees, on an activity that runs every kind of step (transfers,
//! separations, services, reviews, closures, corrections): rebuild = live, catch-up after a
//! crash between commit and projection, two projectors never double-apply.

use crate::activity::realistic_activity;
use crate::both_stores;
use crate::helpers::*;
use projections::projector::{Projections, View};
use projections::with_db;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Row;

fn items(v: &Value) -> &Vec<Value> {
    v["items"].as_array().expect("a list")
}

/// Dumps the view tables, rows sorted, for comparison.
async fn dump_views(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    for (table, order) in [
        ("case_summaries", "case_id"),
        ("case_abuse_types", "case_id, abuse_type"),
        ("case_plan_items", "case_id, item_id"),
        ("case_measures", "case_id, sequence, kind, code"),
        ("case_deadlines", "case_id, deadline_id"),
        ("deadline_cases", "case_id"),
    ] {
        let rows: Vec<String> = with_db!(&app.db, pool => {
            let sql = format!("SELECT * FROM {table} ORDER BY {order}");
            let rows = sqlx::query(&sql).fetch_all(pool).await.unwrap();
            rows.iter()
                .map(|r| {
                    (0..r.len())
                        .map(|i| {
                            r.try_get::<String, _>(i)
                                .or_else(|_| r.try_get::<i64, _>(i).map(|v| v.to_string()))
                                .or_else(|_| r.try_get::<bool, _>(i).map(|v| v.to_string()))
                                .or_else(|_| r.try_get::<uuid::Uuid, _>(i).map(|v| v.to_string()))
                                .or_else(|_| r.try_get::<chrono::DateTime<chrono::Utc>, _>(i).map(|v| v.to_rfc3339()))
                                .or_else(|_| r.try_get::<Option<String>, _>(i).map(|v| format!("{v:?}")))
                                .unwrap_or_else(|_| "NULL".to_owned())
                        })
                        .collect::<Vec<_>>()
                        .join("|")
                })
                .collect()
        });
        out.push(format!("{table}: {}", rows.len()));
        out.extend(rows);
    }
    out
}

async fn rebuilding_gives_exactly_the_live_views(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    realistic_activity(&app, &cast).await;
    // Wait for the live projector, then compare with a rebuild from the log.
    let (status, _) = app.get(&cast.approver, "/cases").await;
    assert_eq!(status, StatusCode::OK);
    let live = dump_views(&app).await;
    assert!(
        live.iter().any(|l| l.contains("lo thi may")),
        "the correction reached the summary"
    );
    // The transfer, the separation and the closures reached the views that are compared.
    let summaries: Vec<&String> = live.iter().filter(|l| l.contains(OTHER_COMMUNE)).collect();
    assert!(!summaries.is_empty(), "the transfer reached the views");
    assert!(
        live.iter().any(|l| l.contains("closed")),
        "the closures reached the views"
    );
    // Side by side, as `casebook projections rebuild` runs them, while the server runs.
    let projections = Projections::new(app.db.clone());
    let rebuilds: Vec<_> = View::ALL
        .into_iter()
        .map(|view| {
            let projections = projections.clone();
            tokio::spawn(async move { projections.rebuild(view, |_, _| {}).await })
        })
        .collect();
    let mut replayed = 0;
    for rebuild in rebuilds {
        replayed += rebuild.await.unwrap().expect("rebuild");
    }
    assert!(replayed > 40, "{replayed}");
    assert_eq!(dump_views(&app).await, live);
    // The live projector goes on after the swap.
    let id = app.report(&cast.hotline, &hours_ago(1)).await;
    let (_, list) = app.get(&cast.approver, "/cases?limit=1").await;
    assert_eq!(items(&list)[0]["id"], json!(id));
}
both_stores!(rebuilding_gives_exactly_the_live_views);

async fn views_catch_up_after_a_crash_between_commit_and_projection(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let id = app.report(&cast.hotline, &hours_ago(3)).await;
    let clock = app.clock.clone();
    let (url, dir) = app.stop().await;

    // Events committed while no projector runs: the state a crash right after the commit leaves.
    let settings = casebook::config::Settings::for_database(&url);
    let db = casebook::store::connect(&url, 2).await.unwrap();
    let repo = casebook::store::events::EventRepository::new(&db);
    let commands = casebook::commands::CaseCommands::new(
        casebook::store::events::case_event_store(repo.clone()),
        repo,
        casebook::startup::case_services(&settings).unwrap(),
        std::sync::Arc::new(projections::projector::Wakeup::default()),
        casebook::case_cache::CaseCache::new(0),
    );
    let actor = aggregates::policy::Actor::new(
        cast.worker.id,
        vec![aggregates::policy::Grant {
            role: aggregates::codes::Role::SocialWorker,
            unit: aggregates::units::UnitCode::parse(COMMUNE).unwrap(),
        }],
    );
    let now = clock.now();
    let command = aggregates::CaseCommand {
        actor,
        now,
        expected_version: None,
        action: aggregates::case::CaseAction::RecordInitialAssessment(
            aggregates::case::RecordInitialAssessment {
                assessed_at: now - chrono::Duration::hours(1),
                outcome: aggregates::codes::InitialOutcome::SupportNeeded,
                grounds: vec![],
                ratings: Default::default(),
                findings: aggregates::text::LongText::parse("Cần hỗ trợ").unwrap(),
            },
        ),
    };
    let base = casebook::commands::MetadataBase {
        actor_id: cast.worker.id,
        request_id: "crash-test".into(),
        client_request_id: None,
        recorded_at: now,
        idempotency_key: None,
        session: None,
    };
    let events = commands
        .execute(uuid::Uuid::parse_str(&id).unwrap(), command, &base, None)
        .await
        .unwrap();
    let version = events.events.last().unwrap().sequence;
    db.close().await;

    // Restarted, the views catch up with what was committed.
    let app = TestApp::spawn_on(store, url, dir).await;
    let (_, list) = app.get(&cast.worker, "/cases").await;
    assert_eq!(items(&list)[0]["version"], version, "{list}");
    assert_eq!(items(&list)[0]["status"], "assessment");
    let (_, board) = app.get(&cast.worker, "/deadlines").await;
    assert_eq!(items(&board)[0]["rule_id"], "plan_submission", "{board}");
}
both_stores!(views_catch_up_after_a_crash_between_commit_and_projection);

async fn two_projectors_never_double_apply(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    // A second projector on the same store, stepping as fast as it can while commands flow.
    let second = Projections::new(app.db.clone());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let runner = {
        let (second, stop) = (second.clone(), stop.clone());
        tokio::spawn(async move {
            let mut applied = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for view in View::ALL {
                    applied += second
                        .step(view)
                        .await
                        .expect("the second projector never fails");
                }
                tokio::task::yield_now().await;
            }
            applied
        })
    };
    realistic_activity(&app, &cast).await;
    let (_, _) = app.get(&cast.approver, "/cases").await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let applied_by_second = runner.await.unwrap();
    let live = dump_views(&app).await;
    // Whoever applied each batch, the views equal one replay of the log.
    let projections = Projections::new(app.db.clone());
    for view in View::ALL {
        projections.rebuild(view, |_, _| {}).await.unwrap();
    }
    assert_eq!(
        dump_views(&app).await,
        live,
        "two projectors gave other views than one replay"
    );
    let (_, ready) = app.get(&cast.admin, "/ready").await;
    assert_eq!(ready["ready"], true, "{ready}");
    assert!(
        ready["projections"]["cases"].get("last_error").is_none(),
        "{ready}"
    );
    // Both instances did work (otherwise the test proves nothing about sharing).
    assert!(
        applied_by_second > 0,
        "the second projector never got a batch"
    );
    println!(
        "RELIABILITY two_projectors store={store:?} events_applied_by_second_instance={applied_by_second} double_applied=0 missed=0"
    );
}
both_stores!(two_projectors_never_double_apply);
