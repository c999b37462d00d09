//! Due times: across midnight, over weekends, Tết and other holidays, make-up Saturdays, and the
//! years the calendar does not hold.

use crate::support::*;
use aggregates::case::*;
use aggregates::codes::*;
use aggregates::deadlines::{CalendarError, CancelReason, DeadlineState};
use chrono::{DateTime, Utc};

/// A case reported at `received_at` and found to need support at `assessed_at`; the server's
/// clock is a day after the assessment.
fn support_needed_at(received_at: &str, assessed_at: &str) -> Result<Vec<CaseEvent>, CaseError> {
    let (received_at, assessed_at) = (at(received_at), at(assessed_at));
    let later = assessed_at + chrono::Duration::days(1);
    let mut story = Story::new();
    story.run(cmd_at(&operator(), later, report_at(received_at)));
    story.try_run(cmd_at(
        &worker(),
        later,
        initial(InitialOutcome::SupportNeeded, assessed_at),
    ))
}

fn plan_due(received_at: &str, assessed_at: &str) -> DateTime<Utc> {
    let events = support_needed_at(received_at, assessed_at).expect("accepted");
    started_for(&events, "plan_submission").due_at
}

#[test]
fn the_12_hour_clock_runs_from_the_exact_instant_of_the_call_across_midnight() {
    // The call came in at 23:30 on Sunday 1 March (16:30 UTC): the assessment is due at 11:30 on
    // Monday, due soon from 09:30.
    let story = Story::new().by(&operator(), report_at(at("2026-03-01T23:30:00+07:00")));
    let clock = story.deadline("initial_assessment/1");
    assert_eq!(clock.started_at, at("2026-03-01T16:30:00Z"));
    assert_eq!(clock.due_at, at("2026-03-02T11:30:00+07:00"));
    assert_eq!(clock.due_soon_at, at("2026-03-02T09:30:00+07:00"));
}

#[test]
fn an_hour_clock_runs_through_weekends_and_holidays() {
    // Monday 16 February 2026, 20:00, in the Tết holiday: due at 08:00 the next morning.
    let story = Story::new().by(&operator(), report_at(at("2026-02-16T20:00:00+07:00")));
    assert_eq!(
        story.deadline("initial_assessment/1").due_at,
        at("2026-02-17T08:00:00+07:00")
    );
}

#[test]
fn working_days_count_from_the_local_day_of_the_trigger_not_the_utc_day() {
    // Both assessments fall on Thursday 5 March in UTC. 23:30 on Thursday local time counts from
    // Thursday: Fri 6, Mon 9 .. Thu 12, due at 24:00 on the 12th. 00:30 on Friday local time
    // counts from Friday: Mon 9 .. Fri 13.
    assert_eq!(
        plan_due("2026-03-05T20:00:00+07:00", "2026-03-05T23:30:00+07:00"),
        at("2026-03-13T00:00:00+07:00")
    );
    assert_eq!(
        plan_due("2026-03-05T20:00:00+07:00", "2026-03-06T00:30:00+07:00"),
        at("2026-03-14T00:00:00+07:00")
    );
}

#[test]
fn weekends_do_not_count() {
    // Friday 6 March 10:00 and Saturday 7 March 10:00 both give Mon 9 .. Fri 13 March.
    for assessed_at in ["2026-03-06T10:00:00+07:00", "2026-03-07T10:00:00+07:00"] {
        assert_eq!(
            plan_due("2026-03-06T08:00:00+07:00", assessed_at),
            at("2026-03-14T00:00:00+07:00"),
            "{assessed_at}"
        );
    }
}

#[test]
fn the_tet_2026_holiday_block_does_not_count() {
    // Friday 13 February 2026, 10:00; 16–20 February are Tết: Mon 23 .. Fri 27 February. Due soon
    // a quarter of the span (350 h) before 24:00 on the 27th.
    let events = support_needed_at("2026-02-13T08:00:00+07:00", "2026-02-13T10:00:00+07:00")
        .expect("accepted");
    let clock = started_for(&events, "plan_submission");
    assert_eq!(clock.due_at, at("2026-02-28T00:00:00+07:00"));
    assert_eq!(clock.due_soon_at, at("2026-02-24T08:30:00+07:00"));
    assert!(!clock.provisional);
}

#[test]
fn a_working_day_period_whose_last_day_would_be_a_holiday_ends_on_the_next_working_day() {
    // Plan submitted Thursday 23 April 2026: day 1 is Friday 24, day 2 would be Monday 27 April,
    // Hùng Kings' day; it is Tuesday 28 April.
    let mut story = Story::new()
        .by(&operator(), report_at(at("2026-04-20T08:00:00+07:00")))
        .by(
            &worker(),
            initial(
                InitialOutcome::SupportNeeded,
                at("2026-04-20T09:00:00+07:00"),
            ),
        )
        .by(&worker(), detailed(at("2026-04-21T10:00:00+07:00")))
        .by(&approver(), meeting(at("2026-04-22T10:00:00+07:00")));
    let events = story.run(cmd(
        &worker(),
        plan(at("2026-04-23T10:00:00+07:00"), story_items()),
    ));
    assert_eq!(
        started_for(&events, "plan_approval").due_at,
        at("2026-04-29T00:00:00+07:00")
    );
}

#[test]
fn a_calendar_day_period_whose_last_day_is_a_holiday_moves_to_the_next_working_day() {
    // A province adds its own rule: the needs meeting within 15 calendar days of the detailed
    // assessment. From Monday 2 February 2026, day 15 is Tuesday 17 February, in Tết: the
    // period ends on Monday 23 February. (The separation cap does not move: see `separation`.)
    let services = services_with_rules(
        r#"{"rules":[{"id":"needs_meeting","label":{"vi":"Họp xác định nhu cầu","en":"Needs meeting"},
            "starts_on":[{"event":"detailed_assessment_recorded"}],"met_by":[{"event":"needs_meeting_held"}],
            "limit":{"unit":"calendar_days","value":15},"mark":"policy","basis":"Lai Châu coordination rule"}]}"#,
    );
    let mut story = Story::with_services(services)
        .by(&operator(), report_at(at("2026-02-02T08:00:00+07:00")))
        .by(
            &worker(),
            initial(
                InitialOutcome::SupportNeeded,
                at("2026-02-02T09:00:00+07:00"),
            ),
        );
    let events = story.run(cmd(&worker(), detailed(at("2026-02-02T10:00:00+07:00"))));
    let clock = started_for(&events, "needs_meeting");
    assert_eq!(clock.deadline_id, "needs_meeting/1");
    assert_eq!(clock.due_at, at("2026-02-24T00:00:00+07:00"));
    let events = story.run(cmd(&approver(), meeting(at("2026-02-23T10:00:00+07:00"))));
    assert_eq!(met_ids(&events), [("needs_meeting/1".to_owned(), false)]);
}

#[test]
fn a_make_up_saturday_counts_as_a_working_day() {
    // 1–2 January 2026 are off; Saturday 10 January is a make-up working day.
    // Support needed on Monday 5 January: Tue 6, Wed 7, Thu 8, Fri 9, Sat 10.
    // Plan submitted on Thursday 8 January: Fri 9, Sat 10.
    let mut story = Story::new().by(&operator(), report_at(at("2026-01-05T08:00:00+07:00")));
    let events = story.run(cmd(
        &worker(),
        initial(
            InitialOutcome::SupportNeeded,
            at("2026-01-05T09:00:00+07:00"),
        ),
    ));
    assert_eq!(
        started_for(&events, "plan_submission").due_at,
        at("2026-01-11T00:00:00+07:00")
    );
    story.run(cmd(&worker(), detailed(at("2026-01-06T10:00:00+07:00"))));
    story.run(cmd(&approver(), meeting(at("2026-01-07T10:00:00+07:00"))));
    let events = story.run(cmd(
        &worker(),
        plan(at("2026-01-08T10:00:00+07:00"), story_items()),
    ));
    assert_eq!(
        started_for(&events, "plan_approval").due_at,
        at("2026-01-11T00:00:00+07:00")
    );
}

#[test]
fn in_an_emergency_the_urgent_measures_are_due_12_hours_after_the_call_not_the_assessment() {
    // Call at 09:00; the assessment finds an emergency at 20:00: the measures are due at 21:00,
    // and the clock is already due soon when it starts. No plan clock yet.
    let mut story = reported();
    let assessed_late = at("2026-03-02T20:00:00+07:00");
    let events = story.run(cmd(
        &worker(),
        initial(InitialOutcome::Emergency, assessed_late),
    ));
    assert_eq!(started_ids(&events), ["urgent_measures/1"]);
    let clock = story.deadline("urgent_measures/1");
    assert_eq!(clock.started_at, received());
    assert_eq!(clock.due_at, at("2026-03-02T21:00:00+07:00"));
    assert_eq!(clock.state_at(assessed_late), DeadlineState::DueSoon);
}

#[test]
fn in_an_emergency_the_plan_is_due_5_working_days_after_the_first_urgent_measure() {
    // First measure Monday 2 March 20:30: Tue 3 .. Mon 9 March. Later measures start nothing.
    let mut story = reported().by(
        &worker(),
        initial(InitialOutcome::Emergency, at("2026-03-02T20:00:00+07:00")),
    );
    let first = at("2026-03-02T20:30:00+07:00");
    let events = story.run(cmd(&worker(), urgent(first)));
    let clock = started_for(&events, "plan_submission");
    assert_eq!(clock.started_at, first);
    assert_eq!(clock.due_at, at("2026-03-10T00:00:00+07:00"));
    let events = story.run(cmd(
        &worker(),
        urgent_with(
            vec![UrgentMeasure::SafeShelter],
            at("2026-03-04T10:00:00+07:00"),
        ),
    ));
    assert!(clocks(&events).is_empty());
    let events = story.run(cmd(
        &approver(),
        separation(
            at("2026-03-04T11:00:00+07:00"),
            at("2026-03-10T11:00:00+07:00"),
        ),
    ));
    assert_eq!(started_ids(&events), ["separation_end/1"]);
}

#[test]
fn outside_an_emergency_the_plan_is_due_5_working_days_after_the_assessment_and_no_urgent_clock_runs(
) {
    let story = support_needed();
    let clock = story.deadline("plan_submission/1");
    assert_eq!(clock.started_at, assessed());
    assert_eq!(clock.due_at, at("2026-03-10T00:00:00+07:00"));
    assert!(story
        .case
        .deadlines
        .iter()
        .all(|d| d.rule_id != "urgent_measures"));
}

#[test]
fn each_plan_item_has_its_own_clock_and_the_review_is_due_at_the_plans_last_end_date() {
    // Items end on 15 May and 1 April 2026, in that order.
    let mut story = planning();
    story.run(cmd(
        &worker(),
        plan(
            submitted(),
            vec![
                item(ITEM_A, "2026-03-10", "2026-05-15"),
                item(ITEM_B, "2026-03-10", "2026-04-01"),
            ],
        ),
    ));
    story.run(cmd(&approver(), approve(1, approved())));
    assert_eq!(
        story.deadline(&format!("plan_item_end/{ITEM_A}")).due_at,
        at("2026-05-16T00:00:00+07:00")
    );
    assert_eq!(
        story.deadline(&format!("plan_item_end/{ITEM_B}")).due_at,
        at("2026-04-02T00:00:00+07:00")
    );
    assert_eq!(
        story.deadline("review/1").due_at,
        at("2026-05-16T00:00:00+07:00")
    );
    assert_eq!(story.deadline("review/1").item_id, None);
    assert_eq!(
        story.deadline(&format!("plan_item_end/{ITEM_B}")).item_id,
        Some(ITEM_B)
    );
}

#[test]
fn the_plan_approval_is_due_2_working_days_after_the_submission() {
    let story = awaiting_approval();
    let clock = story.deadline("plan_approval/1");
    assert_eq!(clock.started_at, submitted());
    // Friday 6 March: Mon 9, Tue 10.
    assert_eq!(clock.due_at, at("2026-03-11T00:00:00+07:00"));
}

#[test]
fn the_closure_decision_is_due_2_working_days_after_the_proposal() {
    // Proposed Tuesday 28 April: Wed 29 April, then Thu 30 April and Fri 1 May are holidays:
    // Mon 4 May.
    let story = closure_proposed();
    let clock = story.deadline("closure_decision/1");
    assert_eq!(clock.started_at, reviewed());
    assert_eq!(clock.due_at, at("2026-05-05T00:00:00+07:00"));
}

#[test]
fn a_review_continuing_the_intervention_restarts_the_plan_clock_as_a_new_instance() {
    let story = in_progress()
        .by(&worker(), service(ITEM_A, delivered(), true))
        .by(&worker(), review(ReviewOutcome::Continue, reviewed()));
    let first = story.deadline("plan_submission/1");
    assert_eq!(first.state_at(now()), DeadlineState::Met);
    let second = story.deadline("plan_submission/2");
    assert!(second.is_open());
    assert_eq!(second.started_at, reviewed());
    // Tuesday 28 April: Wed 29 April, Mon 4 .. Thu 7 May.
    assert_eq!(second.due_at, at("2026-05-08T00:00:00+07:00"));
}

#[test]
fn a_step_at_the_due_instant_is_on_time_and_a_second_later_is_late() {
    let due = at("2026-03-02T21:00:00+07:00");
    let on_time = reported().by(&worker(), initial(InitialOutcome::SupportNeeded, due));
    assert_eq!(
        on_time.deadline("initial_assessment/1").state_at(now()),
        DeadlineState::Met
    );
    let late = reported().by(
        &worker(),
        initial(
            InitialOutcome::SupportNeeded,
            due + chrono::Duration::seconds(1),
        ),
    );
    assert_eq!(
        late.deadline("initial_assessment/1").state_at(now()),
        DeadlineState::MetLate
    );
}

#[test]
fn a_step_typed_in_late_is_judged_on_its_business_time() {
    // The urgent measures were taken at 20:00 and typed in the next morning: on time.
    let story = emergency();
    let events = story
        .decide(cmd_at(
            &worker(),
            at("2026-03-03T08:00:00+07:00"),
            urgent(at("2026-03-02T20:00:00+07:00")),
        ))
        .expect("accepted");
    assert_eq!(met_ids(&events), [("urgent_measures/1".to_owned(), false)]);
}

#[test]
fn closing_the_case_cancels_every_clock_still_running() {
    // An emergency closed as a duplicate before any measure: the urgent clock stops.
    let story = emergency()
        .by(&worker(), propose(ClosureReason::Duplicate, measured()))
        .by(&approver(), close(detailed_at()));
    assert_eq!(
        cancelled_ids(&story.events),
        [("urgent_measures/1".to_owned(), CancelReason::CaseClosed)]
    );
    assert_eq!(
        story.deadline("urgent_measures/1").state_at(now()),
        DeadlineState::Cancelled
    );
    assert_eq!(story.case.open_deadlines().count(), 0);
}

#[test]
fn a_plan_adjustment_supersedes_the_item_clocks_and_the_review_of_the_plan_it_replaces() {
    let mut story = in_progress().by(
        &worker(),
        plan(
            at("2026-03-12T10:00:00+07:00"),
            vec![item(ITEM_C, "2026-03-16", "2026-05-29")],
        ),
    );
    let approved_again = at("2026-03-16T10:00:00+07:00");
    let events = story.run(cmd(&approver(), approve(2, approved_again)));
    assert_eq!(met_ids(&events), [("plan_approval/2".to_owned(), false)]);
    assert_eq!(
        cancelled_ids(&events),
        [
            (format!("plan_item_end/{ITEM_A}"), CancelReason::Superseded),
            (format!("plan_item_end/{ITEM_B}"), CancelReason::Superseded),
            ("review/1".to_owned(), CancelReason::Superseded),
        ]
    );
    assert_eq!(
        started_ids(&events),
        [format!("plan_item_end/{ITEM_C}"), "review/2".to_owned()]
    );
    assert_eq!(
        story.deadline("review/2").due_at,
        at("2026-05-30T00:00:00+07:00")
    );
}

#[test]
fn an_item_kept_in_an_adjusted_plan_gets_a_new_clock_with_a_new_id() {
    let mut story = in_progress().by(
        &worker(),
        plan(
            at("2026-03-12T10:00:00+07:00"),
            vec![item(ITEM_A, "2026-03-10", "2026-04-20")],
        ),
    );
    let events = story.run(cmd(
        &approver(),
        approve(2, at("2026-03-16T10:00:00+07:00")),
    ));
    let renewed = format!("plan_item_end/{ITEM_A}/2");
    assert_eq!(
        started_ids(&events),
        [renewed.clone(), "review/2".to_owned()]
    );
    let events = story.run(cmd(
        &worker(),
        service(ITEM_A, at("2026-04-01T10:00:00+07:00"), true),
    ));
    assert_eq!(met_ids(&events), [(renewed.clone(), false)]);
    assert_eq!(
        story
            .deadline(&format!("plan_item_end/{ITEM_A}"))
            .state_at(now()),
        DeadlineState::Cancelled
    );
    assert_eq!(story.deadline(&renewed).state_at(now()), DeadlineState::Met);
}

#[tokio::test]
async fn a_year_missing_from_the_holiday_calendar_is_an_error_not_a_guess() {
    // 2028 is not in the shipped calendar: a working-day clock cannot be computed.
    let in_2028 = at("2028-03-02T12:00:00+07:00");
    let mut story = Story::new();
    story.run(cmd_at(
        &operator(),
        in_2028,
        report_at(at("2028-03-01T09:00:00+07:00")),
    ));
    let error = given(&story)
        .when_async(cmd_at(
            &worker(),
            in_2028,
            initial(
                InitialOutcome::SupportNeeded,
                at("2028-03-01T15:00:00+07:00"),
            ),
        ))
        .await
        .inspect_result()
        .expect_err("no 2028 calendar");
    assert_eq!(error, CaseError::Calendar(CalendarError::YearMissing(2028)));
    assert_eq!(error.code(), "calendar_year_missing");
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    // Hour clocks need no calendar.
    assert_eq!(
        story.deadline("initial_assessment/1").due_at,
        at("2028-03-01T21:00:00+07:00")
    );
}

#[test]
fn a_period_running_into_a_missing_year_is_an_error_too() {
    // Thursday 30 December 2027: the fifth working day would be in January 2028.
    let error = support_needed_at("2027-12-30T08:00:00+07:00", "2027-12-30T10:00:00+07:00")
        .expect_err("no 2028 calendar");
    assert_eq!(error, CaseError::Calendar(CalendarError::YearMissing(2028)));
}

#[test]
fn a_period_running_into_a_provisional_year_is_marked_provisional() {
    // Wednesday 30 December 2026: Thu 31 December, (1 January off), Mon 4 .. Thu 7 January 2027.
    let events = support_needed_at("2026-12-30T08:00:00+07:00", "2026-12-30T10:00:00+07:00")
        .expect("accepted");
    let clock = started_for(&events, "plan_submission");
    assert_eq!(clock.due_at, at("2027-01-08T00:00:00+07:00"));
    assert!(clock.provisional);
    // A period inside confirmed 2026 is not.
    let events = support_needed_at("2026-12-21T08:00:00+07:00", "2026-12-21T10:00:00+07:00")
        .expect("accepted");
    assert!(!started_for(&events, "plan_submission").provisional);
}
