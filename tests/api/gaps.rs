//! A Postgres transaction that commits out of order (a lower `global_seq`, committed after a
//! higher one) is still projected, and never skipped.

use crate::helpers::*;
use aggregates::case::{CaseEvent, NoteAdded};
use aggregates::codes::Role;
use aggregates::text::LongText;
use aggregates::units::UnitCode;
use projections::record::EventMetadata;

/// A Postgres transaction that took a lower `global_seq` but commits after a higher one is
/// still projected (the "gap" bug of naive event-store cursors).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_committing_out_of_order_is_still_projected() {
    let app = TestApp::spawn(Store::Postgres).await;
    let cast = app.cast().await;
    let first = app.report(&cast.hotline, &hours_ago(2)).await;
    let second = app.report(&cast.hotline, &hours_ago(2)).await;
    let (_, _) = app.get(&cast.worker, "/cases").await;
    // The server stops (its projectors with it): the passes below are ours, one at a time, so
    // that "the projector looked and did not apply T2" is a fact, not a guess about timing.
    let (url, dir) = app.stop().await;
    let db = casebook::store::connect(&url, 4).await.unwrap();
    let projector = projections::projector::Projections::new(db.clone());
    // Every view caught up with what the server committed (the list read above waited only
    // for the views it reads), so that the passes below see T1 and T2 alone.
    for view in projections::projector::View::ALL {
        while projector.step(view).await.unwrap() > 0 {}
    }
    let projections::Db::Postgres(pool) = &db else {
        unreachable!("a Postgres test")
    };
    let version = |id: &str| {
        let (pool, id) = (pool.clone(), id.to_owned());
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT version FROM case_summaries WHERE case_id = $1::uuid",
            )
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let stream_length = |id: &str| {
        let (pool, id) = (pool.clone(), id.to_owned());
        async move {
            sqlx::query_scalar::<_, i64>("SELECT max(sequence) FROM events WHERE aggregate_id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let note = |id: &str, seq: i64, text: &str| {
        let event = CaseEvent::NoteAdded(NoteAdded {
            written_at: test_now(),
            text: LongText::parse(text).unwrap(),
        });
        let metadata = EventMetadata {
            actor_id: cast.worker.id,
            role: Role::SocialWorker,
            unit: UnitCode::parse(COMMUNE).unwrap(),
            request_id: "gap-test".into(),
            recorded_at: test_now(),
            idempotency_key: None,
        };
        (
            id.to_owned(),
            seq,
            serde_json::to_value(&event).unwrap(),
            serde_json::to_value(metadata.to_map()).unwrap(),
        )
    };
    const INSERT: &str = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
        VALUES ('Case', $1, $2, 'NoteAdded', '1.0', $3, $4)";
    let (v1, v2) = (stream_length(&first).await, stream_length(&second).await);

    // T1 takes the lower global_seq and stays open.
    let mut t1 = pool.begin().await.unwrap();
    let (id, seq, payload, metadata) = note(&first, v1 + 1, "T1, committed last");
    sqlx::query(INSERT)
        .bind(id)
        .bind(seq)
        .bind(payload)
        .bind(metadata)
        .execute(&mut *t1)
        .await
        .unwrap();
    // T2 takes a higher global_seq and commits first.
    let (id, seq, payload, metadata) = note(&second, v2 + 1, "T2, committed first");
    sqlx::query(INSERT)
        .bind(id)
        .bind(seq)
        .bind(payload)
        .bind(metadata)
        .execute(pool)
        .await
        .unwrap();
    // A whole pass of each view after T2 committed: nothing of T2 applied while T1 is open.
    let mut applied = 0;
    for view in projections::projector::View::ALL {
        applied += projector.step(view).await.unwrap();
    }
    assert_eq!(applied, 0, "a pass ran past the open transaction");
    assert_eq!(
        version(&second).await,
        v2,
        "T2 projected while an older transaction was open"
    );
    t1.commit().await.unwrap();
    // The next pass applies both, in log order.
    let mut applied = 0;
    for view in projections::projector::View::ALL {
        applied += projector.step(view).await.unwrap();
    }
    assert!(applied >= 2, "{applied}");
    assert_eq!(version(&first).await, v1 + 1);
    assert_eq!(version(&second).await, v2 + 1);
    db.close().await;
    // And a restarted server answers with both (a strong read waits for its projectors).
    let app = TestApp::spawn_on(Store::Postgres, url, dir).await;
    for (id, v) in [(&first, v1 + 1), (&second, v2 + 1)] {
        let (_, doc) = app.get(&cast.supervisor, &format!("/cases/{id}")).await;
        assert_eq!(doc["version"].as_i64(), Some(v), "{doc}");
    }
}
