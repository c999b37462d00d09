//! Where a deadline stands at a given instant (`Deadline::state_at`): pending, due soon (the last
//! 2 hours of an hour clock, the last quarter of the span of the others), overdue, met, met late
//! or cancelled. Computed from the stored times alone, so "was this case overdue on 3 March?" has
//! an exact answer.

use crate::support::*;
use aggregates::case::*;
use aggregates::codes::*;
use aggregates::deadlines::{DeadlineOutcome, DeadlineState};
use chrono::Duration;

#[test]
fn an_hour_clock_is_due_soon_in_its_last_2_hours() {
    // Reported 09:00, initial assessment due 21:00.
    let story = reported();
    let clock = story.deadline("initial_assessment/1");
    let state = |t: &str| clock.state_at(at(t));
    assert_eq!(state("2026-03-02T09:00:00+07:00"), DeadlineState::Pending);
    assert_eq!(state("2026-03-02T18:59:59+07:00"), DeadlineState::Pending);
    assert_eq!(state("2026-03-02T19:00:00+07:00"), DeadlineState::DueSoon);
    assert_eq!(state("2026-03-02T20:59:59+07:00"), DeadlineState::DueSoon);
    assert_eq!(state("2026-03-02T21:00:00+07:00"), DeadlineState::Overdue);
    assert_eq!(state("2026-03-09T00:00:00+07:00"), DeadlineState::Overdue);
}

#[test]
fn a_day_clock_is_due_soon_in_the_last_quarter_of_its_span() {
    // Plan clock from Monday 2 March 16:00 to 24:00 on Monday 9 March: 176 hours, the last 44
    // of which are "due soon", from Sunday 8 March 04:00.
    let story = assessment();
    let clock = story.deadline("plan_submission/1");
    assert_eq!(clock.due_at - clock.started_at, Duration::hours(176));
    assert_eq!(clock.due_at - clock.due_soon_at, Duration::hours(44));
    let state = |t: &str| clock.state_at(at(t));
    assert_eq!(state("2026-03-08T03:59:59+07:00"), DeadlineState::Pending);
    assert_eq!(state("2026-03-08T04:00:00+07:00"), DeadlineState::DueSoon);
    assert_eq!(state("2026-03-09T23:59:59+07:00"), DeadlineState::DueSoon);
    assert_eq!(state("2026-03-10T00:00:00+07:00"), DeadlineState::Overdue);
}

#[test]
fn a_clock_met_in_time_is_met_whenever_it_is_looked_at() {
    let story = emergency();
    let clock = story.deadline("initial_assessment/1");
    assert_eq!(
        clock.outcome,
        Some(DeadlineOutcome::Met {
            at: assessed(),
            late: false
        })
    );
    for t in [received(), assessed(), now()] {
        assert_eq!(clock.state_at(t), DeadlineState::Met);
    }
    assert!(!clock.is_open());
}

#[test]
fn a_clock_met_after_its_due_time_is_met_late() {
    let story = reported().by(
        &worker(),
        initial(
            InitialOutcome::SupportNeeded,
            at("2026-03-03T08:00:00+07:00"),
        ),
    );
    assert_eq!(
        story.deadline("initial_assessment/1").state_at(now()),
        DeadlineState::MetLate
    );
}

#[test]
fn a_clock_stopped_by_closure_is_cancelled() {
    let story = closed();
    assert_eq!(
        story
            .deadline(&format!("plan_item_end/{ITEM_B}"))
            .state_at(now()),
        DeadlineState::Cancelled
    );
}

#[test]
fn the_state_codes_are_the_apis() {
    let codes: Vec<_> = [
        DeadlineState::Pending,
        DeadlineState::DueSoon,
        DeadlineState::Overdue,
        DeadlineState::Met,
        DeadlineState::MetLate,
        DeadlineState::Cancelled,
    ]
    .iter()
    .map(|s| s.code())
    .collect();
    assert_eq!(
        codes,
        [
            "pending",
            "due_soon",
            "overdue",
            "met",
            "met_late",
            "cancelled"
        ]
    );
    for code in codes {
        assert_eq!(DeadlineState::parse(code).map(|s| s.code()), Some(code));
    }
}

#[test]
fn a_case_can_be_asked_whether_it_was_overdue_on_a_past_day() {
    // Support needed on 2 March; the plan was submitted late, on Wednesday 11 March.
    let story = support_needed()
        .by(&worker(), detailed(at("2026-03-06T10:00:00+07:00")))
        .by(&approver(), meeting(at("2026-03-06T14:00:00+07:00")))
        .by(
            &worker(),
            plan(at("2026-03-11T10:00:00+07:00"), story_items()),
        );
    // What casebook knew before the plan was recorded, looked at on 10 March at noon...
    let before_plan = story
        .events
        .iter()
        .position(|e| matches!(e, CaseEvent::PlanSubmitted(_)))
        .expect("submitted");
    let then = Case::fold(&story.events[..before_plan]);
    let clock = then
        .deadlines
        .iter()
        .find(|d| d.deadline_id == "plan_submission/1")
        .expect("started");
    assert_eq!(
        clock.state_at(at("2026-03-10T12:00:00+07:00")),
        DeadlineState::Overdue
    );
    assert_eq!(
        clock.state_at(at("2026-03-05T12:00:00+07:00")),
        DeadlineState::Pending
    );
    // ... and what it knows now.
    assert_eq!(
        story.deadline("plan_submission/1").state_at(now()),
        DeadlineState::MetLate
    );
}

#[test]
fn every_deadline_names_its_rule_and_basis() {
    let story = closed();
    let rules = aggregates::deadlines::RuleSet::shipped();
    assert!(!story.case.deadlines.is_empty());
    for d in &story.case.deadlines {
        let rule = rules.get(&d.rule_id).expect("a shipped rule");
        assert_eq!(d.basis, rule.basis);
        assert_eq!(d.mark, rule.mark);
        assert!(d.deadline_id.starts_with(&format!("{}/", d.rule_id)));
    }
}
