//! The server takes business "now" from the clock it is given: commands are recorded at it,
//! deadlines are judged at it when a view is read, `/ready` checks the calendar against it. The
//! suite runs on 2026 days whatever today is; one test checks the real calendar against the
//! real today, as `/ready` does in production.

use crate::both_stores;
use crate::helpers::*;
use aggregates::deadlines::calendar::local_date;
use aggregates::deadlines::WorkingCalendar;
use casebook::clock::Clock;
use chrono::{Datelike, Duration, TimeZone, Utc};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn commands_and_views_take_now_from_the_servers_clock(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    // Received two hours before the server's "now" (16 June 2026), not before today.
    let id = app.report(&cast.hotline, &hours_ago(2)).await;
    let (status, history) = app
        .get(&cast.supervisor, &format!("/cases/{id}/history"))
        .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let recorded: chrono::DateTime<Utc> = history["items"][0]["recorded_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        recorded >= test_now() && recorded - test_now() < Duration::minutes(30),
        "recorded at the server's clock, not the real time: {recorded}"
    );
    // A step dated after the server's "now" is in the future, whatever the real date.
    let (status, problem) = app
        .post(
            &cast.worker,
            &format!("/cases/{id}/initial-assessment"),
            json!({"assessed_at": hours_ago(-1), "outcome": "support_needed", "findings": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem.to_string().contains("time_in_future"), "{problem}");

    // The 12-hour initial assessment: pending now, overdue once the clock has moved 11 hours.
    let state = |doc: &serde_json::Value| {
        doc["deadlines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["rule_id"] == "initial_assessment")
            .map(|d| d["state"].as_str().unwrap().to_owned())
    };
    let (_, doc) = app.get(&cast.worker, &format!("/cases/{id}")).await;
    assert_ne!(state(&doc).as_deref(), Some("overdue"), "{doc}");
    let (_, board) = app.get(&cast.approver, "/deadlines?state=overdue").await;
    assert!(!board.to_string().contains(&id), "{board}");
    app.clock.advance(Duration::hours(11));
    let (_, doc) = app.get(&cast.worker, &format!("/cases/{id}")).await;
    assert_eq!(state(&doc).as_deref(), Some("overdue"), "{doc}");
    let (_, board) = app.get(&cast.approver, "/deadlines?state=overdue").await;
    assert!(
        board.to_string().contains(&id),
        "the board judges at the clock: {board}"
    );
    let (_, cases) = app
        .get(&cast.approver, "/cases?deadline_state=overdue")
        .await;
    assert!(
        cases.to_string().contains(&id),
        "the list judges at the clock: {cases}"
    );
}
both_stores!(commands_and_views_take_now_from_the_servers_clock);

async fn ready_checks_the_calendar_at_the_servers_clock(store: Store) {
    let app = TestApp::spawn(store).await;
    let (status, _, ready) = app.request(Method::GET, None, "/ready", None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    assert_eq!(ready["calendar_ok"], true);
    // Sixty days before the calendar runs out, /ready stops saying ready.
    let last = WorkingCalendar::shipped().last_year();
    app.clock
        .set(Utc.with_ymd_and_hms(last, 11, 15, 2, 0, 0).unwrap());
    let (status, _, ready) = app.request(Method::GET, None, "/ready", None, &[]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
    assert_eq!(ready["calendar_ok"], false, "{ready}");
    assert_eq!(ready["calendar_covers_until"], last);
}
both_stores!(ready_checks_the_calendar_at_the_servers_clock);

/// The one test on the real today: the shipped calendar must cover the next 60 days, or
/// production's `/ready` fails. When this fails, ship the next year's holidays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_calendar_covers_the_next_60_days_from_the_real_today() {
    let horizon = local_date(Utc::now() + Duration::days(60));
    let last = WorkingCalendar::shipped().last_year();
    assert!(
        last >= horizon.year(),
        "the shipped holiday calendar ends with {last}; /ready needs {horizon}"
    );
    let app = TestApp::spawn_with_clock(Store::Sqlite, Clock::system(), |_| {}).await;
    let (status, _, ready) = app.request(Method::GET, None, "/ready", None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    assert_eq!(ready["calendar_ok"], true, "{ready}");
}

/// The plan-submission clock of a case assessed at the server's "now" (Tuesday 16 June 2026).
async fn plan_due(app: &TestApp) -> String {
    let cast = app.cast().await;
    let id = app.report(&cast.hotline, &hours_ago(2)).await;
    let doc = app
        .ok(
            &cast.worker,
            &format!("/cases/{id}/initial-assessment"),
            json!({"assessed_at": hours_ago(1), "outcome": "support_needed", "findings": "x"}),
        )
        .await;
    doc["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule_id"] == "plan_submission")
        .map(|d| d["due_at"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("a plan clock: {doc}"))
}

/// The tests control the calendar too: a calendar file given to the server (`CASEBOOK_CALENDAR`)
/// replaces the shipped one. Five working days from Tuesday 16 June 2026 end on Tuesday 23 June;
/// with Thursday 18 June made a day off, on Wednesday 24 June (end of day in Vietnam).
async fn the_calendar_the_server_is_given_moves_the_due_times(store: Store) {
    let app = TestApp::spawn(store).await;
    assert_eq!(plan_due(&app).await, "2026-06-23T17:00:00.000000Z");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("calendar.json");
    let calendar = json!({"timezone": "Asia/Ho_Chi_Minh", "years": {
        "2026": {"status": "confirmed", "days_off": ["2026-06-18"], "make_up_working_days": []}}});
    std::fs::write(&path, calendar.to_string()).unwrap();
    let app = TestApp::spawn_with(store, |s| s.calendar = Some(path.clone())).await;
    assert_eq!(plan_due(&app).await, "2026-06-24T17:00:00.000000Z");
    let (status, _, ready) = app.request(Method::GET, None, "/ready", None, &[]).await;
    assert_eq!(status, StatusCode::OK, "2026 is covered: {ready}");
    assert_eq!(ready["calendar_covers_until"], 2026);
}
both_stores!(the_calendar_the_server_is_given_moves_the_due_times);
