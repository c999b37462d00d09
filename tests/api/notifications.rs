//! Alerts (issue 11, item 6), on both stores: each rule tells the right people and nobody else,
//! messages carry no name and no free text, the deadline sweep writes each message once however
//! often it runs and from however many instances, and the notifier does not alert the past on
//! its first start. Webhooks are in `webhooks`, the kill -9 trials in `notifier_faults`.

use crate::alerts::*;
use crate::both_stores;
use crate::helpers::*;
use aggregates::codes::Role;
use projections::notifier::{sweep, Stamp};
use projections::with_db;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeMap;

type Inbox = Vec<(String, String)>;

fn pairs(items: &[(&str, &str)]) -> Inbox {
    let mut out: Inbox = items
        .iter()
        .map(|(k, c)| (k.to_string(), c.to_string()))
        .collect();
    out.sort();
    out
}

/// A report body about a child in `unit` that is not a rapid report (at risk, no danger).
fn quiet_report(unit: &str) -> Value {
    quiet_report_at(unit, &hours_ago(2))
}

fn quiet_report_at(unit: &str, received_at: &str) -> Value {
    let mut body = report_body(received_at, unit, &["Lò Thị Mai"]);
    body["target_group"] = json!("at_risk");
    body["immediate_danger"] = json!(false);
    body
}

async fn each_rule_tells_its_people_and_nobody_else(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let second_worker = app
        .user("hoa.worker", &[(Role::SocialWorker, COMMUNE)])
        .await;
    // A supervisor of another province, and one of the whole country: neither is told of a
    // commune of Lai Châu.
    let far = app.user("ha.supervisor", &[(Role::Supervisor, "01")]).await;
    let national = app
        .user("quoc.supervisor", &[(Role::Supervisor, "VN")])
        .await;

    // A: abused, in immediate danger — the rapid report; then assigned, an emergency, a plan
    // submitted and returned.
    let (a, a_no) = open(
        &app,
        &cast.hotline,
        report_body(&hours_ago(3), COMMUNE, &["Lò Thị Mai"]),
    )
    .await;
    let case = |p: &str| format!("/cases/{a}{p}");
    app.ok(
        &cast.approver,
        &case("/assignment"),
        json!({"worker_id": cast.worker.id}),
    )
    .await;
    app.ok(
        &cast.worker,
        &case("/initial-assessment"),
        json!({"assessed_at": hours_ago(2), "outcome": "emergency",
               "grounds": ["caregiver_is_perpetrator"], "findings": "Có dấu hiệu bạo lực"}),
    )
    .await;
    app.ok(
        &cast.worker,
        &case("/urgent-measures"),
        json!({"applied_at": hours_ago(2), "measures": ["stop_the_act"]}),
    )
    .await;
    app.ok(
        &cast.worker,
        &case("/detailed-assessment"),
        json!({"assessed_at": hours_ago(1),
        "physical_psychological": "a", "family": "b", "risk_factors": "c", "schooling": "d",
        "community": "e", "needs": ["health"]}),
    )
    .await;
    app.ok(
        &cast.approver,
        &case("/needs-meeting"),
        json!({"held_at": hours_ago(1), "chaired_by": "Chủ tịch UBND xã",
               "attendees": ["Mẹ"], "decisions": "Khám sức khỏe"}),
    )
    .await;
    let today = test_today();
    app.ok(&cast.worker, &case("/plan"), json!({"submitted_at": vn(test_now()), "items": [
        {"measure": "medical_care_and_therapy", "service_type": "health", "responsible": "Trạm y tế",
         "starts_on": today.to_string(), "ends_on": (today + chrono::Days::new(20)).to_string()}]}))
        .await;
    app.ok(
        &cast.approver,
        &case("/plan/decision"),
        json!({"decided_at": vn(test_now()), "decision": "return", "plan_version": 1,
               "comment": "Bổ sung chi phí"}),
    )
    .await;
    // B: at risk, no danger (no rapid report); its worker proposes closing it as a duplicate.
    let (b, b_no) = open(&app, &cast.worker, quiet_report(COMMUNE)).await;
    app.ok(
        &cast.worker,
        &format!("/cases/{b}/closure/proposal"),
        json!({"proposed_at": hours_ago(1), "reason": "duplicate", "linked_case_id": a}),
    )
    .await;
    // C: taken by the second worker (not told of its own step), then transferred to the
    // other commune.
    let (c, c_no) = open(&app, &cast.worker, quiet_report(COMMUNE)).await;
    app.ok(
        &second_worker,
        &format!("/cases/{c}/assignment"),
        json!({"worker_id": second_worker.id}),
    )
    .await;
    app.ok(
        &cast.worker,
        &format!("/cases/{c}/transfer"),
        json!({"to_unit": OTHER_COMMUNE, "reason": "Gia đình chuyển về xã bên"}),
    )
    .await;
    settle(&app).await;

    let expected: BTreeMap<&str, (&TestUser, Inbox)> = BTreeMap::from([
        // The hotline took the report: not told of its own step, and no rule is for it.
        ("hotline", (&cast.hotline, pairs(&[]))),
        (
            "worker",
            (
                &cast.worker,
                pairs(&[("case_assigned", &a_no), ("plan_returned", &a_no)]),
            ),
        ),
        // The plan was returned to the assigned worker, not to every worker of the commune; the
        // second worker took case C itself.
        ("second_worker", (&second_worker, pairs(&[]))),
        (
            "approver",
            (
                &cast.approver,
                pairs(&[
                    ("rapid_report", &a_no),
                    ("emergency_assessment", &a_no),
                    ("plan_awaiting_approval", &a_no),
                    ("closure_proposed", &b_no),
                ]),
            ),
        ),
        (
            "supervisor",
            (
                &cast.supervisor,
                pairs(&[("rapid_report", &a_no), ("emergency_assessment", &a_no)]),
            ),
        ),
        (
            "other_worker",
            (&cast.other_worker, pairs(&[("case_transferred_in", &c_no)])),
        ),
        (
            "other_approver",
            (
                &cast.other_approver,
                pairs(&[("case_transferred_in", &c_no)]),
            ),
        ),
        ("far_supervisor", (&far, pairs(&[]))),
        ("national_supervisor", (&national, pairs(&[]))),
    ]);
    let mut told = 0;
    for (name, (user, want)) in &expected {
        let got = kinds(&app, user).await;
        assert_eq!(&got, want, "{name}'s inbox");
        told += got.len();
    }
    // The admin has no inbox (it sees no case).
    let (status, _) = app.get(&cast.admin, "/inbox").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A message names the case by number, the commune by code and name, and links to it.
    let body = inbox(&app, &cast.approver).await;
    let rapid = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "rapid_report")
        .unwrap()
        .clone();
    assert_eq!(rapid["case_id"], json!(a));
    assert_eq!(rapid["unit_code"], json!(COMMUNE));
    assert!(!rapid["unit_name"].as_str().unwrap().is_empty());
    assert_eq!(rapid["link"], json!(format!("/cases/{a}")));
    assert!(rapid.get("read_at").is_none(), "unread");
    assert_eq!(body["unread"], json!(4));
    let mut keys: Vec<&str> = rapid
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "at",
            "case_id",
            "case_number",
            "created_at",
            "id",
            "kind",
            "link",
            "unit_code",
            "unit_name"
        ],
        "nothing but these"
    );

    // No name, no description, no phone, no free text anywhere in what was written.
    let everything = format!(
        "{}{}{}",
        everything_stored(&app.db).await,
        inbox(&app, &cast.approver).await,
        inbox(&app, &cast.worker).await
    );
    for secret in [
        "Lò Thị Mai",
        "Nguyễn Văn An",
        "0912345678",
        "vết bầm",
        "Bổ sung chi phí",
        "Có dấu hiệu bạo lực",
        "Gia đình chuyển",
    ] {
        assert!(!everything.contains(secret), "`{secret}` in a message");
    }
    println!(
        "ALERTS rules store={store:?} messages_in_inboxes={told} users_checked={} wrong=0",
        expected.len()
    );
}
both_stores!(each_rule_tells_its_people_and_nobody_else);

async fn marking_read_touches_only_the_callers_messages(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    two_rapid_reports(&app, &cast).await;
    let approver = inbox(&app, &cast.approver).await;
    assert_eq!(approver["unread"], json!(2));
    let first = approver["items"][0]["id"].as_str().unwrap().to_owned();
    // The supervisor got its own rows of the same messages; the approver's id is not its.
    let read = format!("/inbox/{first}/read");
    let (status, _) = app.post(&cast.worker, &read, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not the worker's message");
    let (status, item) = app.post(&cast.approver, &read, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{item}");
    let read_at = item["read_at"].clone();
    assert!(read_at.is_string());
    // Read again: the first read time stays.
    let (_, again) = app.post(&cast.approver, &read, json!({})).await;
    assert_eq!(again["read_at"], read_at);
    assert_eq!(inbox(&app, &cast.approver).await["unread"], json!(1));
    let (_, unread) = app.get(&cast.approver, "/inbox?unread=true").await;
    assert_eq!(unread["items"].as_array().unwrap().len(), 1);
    // The supervisor's rows are untouched by the approver's reads.
    assert_eq!(inbox(&app, &cast.supervisor).await["unread"], json!(2));
    let (status, all) = app
        .post(&cast.supervisor, "/inbox/read-all", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all, json!({"marked": 2, "unread": 0}));
    assert_eq!(inbox(&app, &cast.approver).await["unread"], json!(1));
    // Paging: one per page, to the end, newest first.
    let (_, page1) = app.get(&cast.approver, "/inbox?limit=1").await;
    let cursor = page1["next_cursor"].as_str().unwrap().to_owned();
    let (_, page2) = app
        .get(&cast.approver, &format!("/inbox?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(page2["next_cursor"], Value::Null);
    assert_ne!(page1["items"][0]["id"], page2["items"][0]["id"]);
    let (status, _) = app.get(&cast.approver, "/inbox?cursor=nonsense").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}
both_stores!(marking_read_touches_only_the_callers_messages);

/// The number of messages of `kind` about `case`'s deadline of `rule`.
async fn count(app: &TestApp, case: &str, kind: &str, rule: &str) -> i64 {
    let id = uuid::Uuid::parse_str(case).unwrap();
    with_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT count(*) FROM notifications WHERE case_id = $1 AND kind = $2 AND rule_id = $3")
        .bind(id).bind(kind).bind(rule).fetch_one(pool).await.unwrap())
}

async fn the_sweep_writes_each_deadline_message_once(store: Store) {
    let app = TestApp::spawn_with(store, |s| s.notify_sweep_seconds = 1).await;
    let cast = app.cast().await;
    let second_worker = app
        .user("hoa.worker", &[(Role::SocialWorker, COMMUNE)])
        .await;
    // Received at 08:00 on Tuesday 16 June: the initial assessment is due at 20:00, due soon
    // from 18:00 (two hours before an hour-based deadline), escalated a working day after,
    // at 20:00 on Wednesday. Nobody is assigned: the commune's workers are told.
    let (case, number) = open(&app, &cast.worker, quiet_report_at(COMMUNE, &hours_ago(1))).await;
    let rule = "initial_assessment";
    let due_soon = ("deadline_due_soon".to_owned(), number.clone());
    let overdue = ("deadline_overdue".to_owned(), number.clone());
    let escalated = ("deadline_overdue_escalated".to_owned(), number.clone());

    // 17:30: pending, nothing yet (two sweeps at least).
    app.clock.advance(chrono::Duration::minutes(8 * 60 + 30));
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(count(&app, &case, "deadline_due_soon", rule).await, 0);
    // 18:30: due soon.
    app.clock.advance(chrono::Duration::hours(1));
    wait_for_inbox(&app, &cast.approver, |m| m.contains(&due_soon)).await;
    // 20:30: overdue.
    app.clock.advance(chrono::Duration::hours(2));
    wait_for_inbox(&app, &cast.approver, |m| m.contains(&overdue)).await;
    // Wednesday 20:30: still overdue a working day later. Two more "instances" sweep at once
    // at that very instant, racing the server's own sweep for the new message.
    app.clock.advance(chrono::Duration::hours(24));
    let calendar = aggregates::deadlines::WorkingCalendar::shipped();
    let at = Stamp {
        now: app.clock.now(),
        real: chrono::Utc::now(),
    };
    let (one, two) = tokio::join!(
        sweep::sweep(&app.db, &[], &calendar, at),
        sweep::sweep(&app.db, &[], &calendar, at)
    );
    let (one, two) = (one.unwrap(), two.unwrap());
    assert!(one.deadlines >= 1 && two.deadlines >= 1, "{one:?}");
    assert!(
        one.written.messages + two.written.messages <= 1,
        "{one:?} {two:?}"
    );
    wait_for_inbox(&app, &cast.supervisor, |m| m.contains(&escalated)).await;
    // More sweeps write nothing new.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let again = sweep::sweep(&app.db, &[], &calendar, at).await.unwrap();
    assert_eq!(again.written.messages, 0);
    for kind in [
        "deadline_due_soon",
        "deadline_overdue",
        "deadline_overdue_escalated",
    ] {
        assert_eq!(count(&app, &case, kind, rule).await, 1, "{kind} once");
    }
    // Due soon and overdue: the commune's workers (nobody assigned) and its chair; escalated:
    // the province's supervisors only.
    let mine = |m: &Inbox| {
        m.iter()
            .filter(|(_, n)| *n == number)
            .map(|(k, _)| k.clone())
            .collect::<Vec<_>>()
    };
    let both = vec![
        "deadline_due_soon".to_owned(),
        "deadline_overdue".to_owned(),
    ];
    assert_eq!(mine(&kinds(&app, &cast.worker).await), both);
    assert_eq!(mine(&kinds(&app, &second_worker).await), both);
    assert_eq!(mine(&kinds(&app, &cast.approver).await), both);
    assert_eq!(
        mine(&kinds(&app, &cast.supervisor).await),
        vec!["deadline_overdue_escalated".to_owned()]
    );
    for other in [&cast.hotline, &cast.other_worker, &cast.other_approver] {
        assert!(
            mine(&kinds(&app, other).await).is_empty(),
            "{}",
            other.username
        );
    }
    let item = inbox(&app, &cast.approver).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "deadline_overdue")
        .unwrap()
        .clone();
    assert_eq!(item["rule_id"], json!(rule));
    assert!(item["due_at"].is_string());
    println!("ALERTS sweep store={store:?} sweeps_at_least=8 concurrent_sweeps=2 messages_per_state=1 duplicates=0");
}
both_stores!(the_sweep_writes_each_deadline_message_once);

async fn the_first_start_does_not_alert_the_past(store: Store) {
    // Cases reported before the notifier existed on this store: its checkpoint removed, as
    // a store from before this version has none.
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let (old, _) = open(
        &app,
        &cast.hotline,
        report_body(&hours_ago(3), COMMUNE, &["Lò Thị Mai"]),
    )
    .await;
    settle(&app).await;
    let (url, dir) = app.stop().await;
    let db = casebook::store::connect(&url, 2).await.unwrap();
    with_db!(&db, pool => {
        for table in ["webhook_deliveries", "notification_recipients", "notifications",
            "notifier_cases", "notifier_checkpoints"] {
            sqlx::query(&format!("DELETE FROM {table}")).execute(pool).await.unwrap();
        }
    });
    db.close().await;
    // Sessions live in the store: the cast's tokens still work.
    let app = TestApp::spawn_on(store, url, dir).await;
    let (approver, worker) = (&cast.approver, &cast.worker);
    // A new step on the old case is alerted: what the notifier needs of the case (its number,
    // its commune) is folded from the case's earlier events.
    app.ok(
        worker,
        &format!("/cases/{old}/transfer"),
        json!({"to_unit": OTHER_COMMUNE, "reason": "Nơi trẻ cư trú"}),
    )
    .await;
    settle(&app).await;
    assert!(
        kinds(&app, approver).await.is_empty(),
        "the past is not alerted"
    );
    let got = kinds(&app, &cast.other_approver).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "case_transferred_in");
    assert!(got[0].1.starts_with("12-"), "{got:?}");
}
both_stores!(the_first_start_does_not_alert_the_past);
