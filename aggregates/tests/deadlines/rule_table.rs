//! The shipped rule table (`data/deadline-rules.json`), row by row: each rule starts on the
//! events its row says and is met (or cancelled) by the events its row says, and by no others.

use crate::support::*;
use aggregates::codes::*;
use aggregates::deadlines::{CancelReason, Limit, Mark, RuleSet};
use std::collections::BTreeSet;

/// A trigger of a rule: (rule, column, event, conditions on the event's attributes).
type TableTrigger = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// Every trigger of the shipped table. Each one is exercised by the test of its rule below; a
/// row added to the table fails `every_trigger_of_the_shipped_table_is_exercised_here` until it
/// is tested here.
#[rustfmt::skip]
const EXERCISED: &[TableTrigger] = &[
    ("initial_assessment", "starts_on", "case_reported", &[]),
    ("initial_assessment", "starts_on", "report_attached", &[("awaiting_assessment", "true")]),
    ("initial_assessment", "met_by", "initial_assessment_recorded", &[]),
    ("urgent_measures", "starts_on", "initial_assessment_recorded", &[("outcome", "emergency")]),
    ("urgent_measures", "met_by", "urgent_measures_applied", &[]),
    ("urgent_measures", "met_by", "separation_decided", &[]),
    ("separation_end", "starts_on", "separation_decided", &[]),
    ("separation_end", "starts_on", "separation_extended", &[]),
    ("separation_end", "met_by", "separation_ended", &[]),
    ("separation_end", "met_by", "court_order_recorded", &[("extends_separation", "true")]),
    ("plan_submission", "starts_on", "initial_assessment_recorded", &[("outcome", "support_needed")]),
    ("plan_submission", "starts_on", "urgent_measures_applied", &[("first_emergency_response", "true")]),
    ("plan_submission", "starts_on", "separation_decided", &[("first_emergency_response", "true")]),
    ("plan_submission", "starts_on", "review_recorded", &[("outcome", "continue")]),
    ("plan_submission", "starts_on", "closure_rejected", &[("proposal_origin", "initial_assessment")]),
    ("plan_submission", "starts_on", "closure_rejected", &[("proposal_origin", "review")]),
    ("plan_submission", "met_by", "plan_submitted", &[]),
    ("plan_resubmission", "starts_on", "plan_returned", &[("adjustment", "false")]),
    ("plan_resubmission", "met_by", "plan_submitted", &[]),
    ("plan_approval", "starts_on", "plan_submitted", &[]),
    ("plan_approval", "met_by", "plan_approved", &[]),
    ("plan_approval", "met_by", "plan_returned", &[]),
    ("plan_item_end", "starts_on", "plan_approved", &[]),
    ("plan_item_end", "cancelled_by", "plan_approved", &[]),
    ("plan_item_end", "met_by", "service_delivered", &[("completed", "true")]),
    ("review", "starts_on", "plan_approved", &[]),
    ("review", "cancelled_by", "plan_approved", &[]),
    ("review", "met_by", "review_recorded", &[]),
    ("closure_decision", "starts_on", "closure_proposed", &[]),
    ("closure_decision", "met_by", "case_closed", &[]),
    ("closure_decision", "met_by", "closure_rejected", &[]),
];

type Row = (String, &'static str, String, Vec<(String, String)>);

fn row(rule: &str, column: &'static str, event: &str, when: &[(&str, &str)]) -> Row {
    (
        rule.to_owned(),
        column,
        event.to_owned(),
        when.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

#[test]
fn every_trigger_of_the_shipped_table_is_exercised_here() {
    let shipped: BTreeSet<Row> = RuleSet::shipped()
        .rules()
        .iter()
        .flat_map(|r| {
            let column =
                |name: &'static str, triggers: &[aggregates::deadlines::rules::Trigger]| {
                    triggers
                        .iter()
                        .map(|t| {
                            let when: Vec<(&str, &str)> = t
                                .when
                                .iter()
                                .map(|(k, v)| (k.as_str(), v.as_str()))
                                .collect();
                            row(&r.id, name, &t.event, &when)
                        })
                        .collect::<Vec<_>>()
                };
            let mut rows = column("starts_on", &r.starts_on);
            rows.extend(column("met_by", &r.met_by));
            rows.extend(column("cancelled_by", &r.cancelled_by));
            rows
        })
        .collect();
    let exercised: BTreeSet<Row> = EXERCISED
        .iter()
        .map(|(rule, column, event, when)| row(rule, column, event, when))
        .collect();
    assert_eq!(shipped, exercised);
}

#[test]
fn the_rule_table_gives_the_limits_marks_and_bases_of_procedure_section_4() {
    let rules = RuleSet::shipped();
    let expected = [
        (
            "initial_assessment",
            Limit::Hours { value: 12 },
            Mark::Policy,
            "ND56 art. 26",
        ),
        (
            "urgent_measures",
            Limit::Hours { value: 12 },
            Mark::Law,
            "ND56 art. 26(3), 31(2), 32(2)",
        ),
        (
            "separation_end",
            // ND56 art. 32(3): due at the decided end, capped at 15 days in total.
            Limit::DecidedEnd {
                max_calendar_days: 15,
            },
            Mark::Law,
            "ND56 art. 32(3)",
        ),
        (
            "plan_submission",
            Limit::WorkingDays { value: 5 },
            Mark::Law,
            "ND56 art. 28(1)",
        ),
        (
            "plan_resubmission",
            Limit::WorkingDays { value: 5 },
            Mark::Policy,
            "ND56 art. 28(1)",
        ),
        (
            "plan_approval",
            Limit::WorkingDays { value: 2 },
            Mark::Law,
            "ND56 art. 28(4)",
        ),
        (
            "plan_item_end",
            Limit::ItemEndDate,
            Mark::Law,
            "ND56 art. 28(3)(a)",
        ),
        ("review", Limit::PlanEndDate, Mark::Policy, "ND56 art. 30"),
        (
            "closure_decision",
            Limit::WorkingDays { value: 2 },
            Mark::Policy,
            "ND56 art. 30(1)(b)",
        ),
    ];
    let ids: Vec<_> = rules.rules().iter().map(|r| r.id.as_str()).collect();
    let expected_ids: Vec<_> = expected.iter().map(|(id, ..)| *id).collect();
    assert_eq!(ids, expected_ids);
    for (id, limit, mark, basis) in expected {
        let rule = rules.get(id).expect("shipped");
        assert_eq!(rule.limit, limit, "{id}");
        assert_eq!(rule.mark, mark, "{id}");
        assert!(rule.basis.starts_with(basis), "{id}: {}", rule.basis);
    }
}

#[test]
fn initial_assessment_starts_when_the_case_is_reported_and_is_met_by_the_initial_assessment() {
    let mut story = Story::new();
    let events = story.run(cmd(&operator(), report(report_case())));
    assert_eq!(started_ids(&events), ["initial_assessment/1"]);
    for outcome in InitialOutcome::ALL {
        let events = story
            .decide(cmd(&worker(), initial(*outcome, assessed())))
            .expect("accepted");
        assert_eq!(
            met_ids(&events)[0],
            ("initial_assessment/1".to_owned(), false)
        );
    }
}

#[test]
fn initial_assessment_restarts_on_a_report_attached_before_the_assessment_only() {
    let second = at("2026-03-02T14:00:00+07:00");
    let events = reported()
        .decide(cmd(&operator(), attach_at(second)))
        .expect("accepted");
    assert_eq!(started_ids(&events), ["initial_assessment/2"]);
    assert_eq!(
        started_for(&events, "initial_assessment").started_at,
        second
    );
    let events = support_needed()
        .decide(cmd(&operator(), attach_at(second)))
        .expect("accepted");
    assert!(started_ids(&events).is_empty());
}

#[test]
fn urgent_measures_starts_only_on_an_emergency_and_is_met_by_urgent_measures_or_a_separation() {
    for outcome in [InitialOutcome::SupportNeeded, InitialOutcome::NoConcern] {
        let events = reported()
            .decide(cmd(&worker(), initial(outcome, assessed())))
            .expect("accepted");
        assert!(!started_ids(&events).contains(&"urgent_measures/1".to_owned()));
    }
    let story = emergency();
    assert!(story.deadline("urgent_measures/1").is_open());
    let by_measures = story
        .decide(cmd(&worker(), urgent(measured())))
        .expect("accepted");
    assert_eq!(
        met_ids(&by_measures),
        [("urgent_measures/1".to_owned(), false)]
    );
    let by_separation = story
        .decide(cmd(
            &approver(),
            separation(separated(), at("2026-03-10T17:00:00+07:00")),
        ))
        .expect("accepted");
    assert_eq!(
        met_ids(&by_separation),
        [("urgent_measures/1".to_owned(), false)]
    );
}

#[test]
fn separation_end_starts_with_the_separation_and_is_met_by_its_end_or_a_court_order_continuing_it()
{
    let story = separated_story();
    let tenth = at("2026-03-10T10:00:00+07:00");
    assert!(story.deadline("separation_end/1").is_open());
    let ended = story
        .decide(cmd(
            &approver(),
            end_separation(tenth, SeparationEndReason::ReturnedHome),
        ))
        .expect("accepted");
    assert_eq!(met_ids(&ended), [("separation_end/1".to_owned(), false)]);
    let by_court = story
        .decide(cmd(
            &approver(),
            end_separation(tenth, SeparationEndReason::CourtOrder),
        ))
        .expect("accepted");
    assert_eq!(met_ids(&by_court), [("separation_end/1".to_owned(), false)]);
    let continued = story
        .decide(cmd(
            &approver(),
            court_order(tenth, Some(at("2026-04-20T10:00:00+07:00"))),
        ))
        .expect("accepted");
    assert_eq!(
        met_ids(&continued),
        [("separation_end/1".to_owned(), false)]
    );
    // An order that says nothing about the separation does not meet it.
    let other_order = story
        .decide(cmd(&approver(), court_order(tenth, None)))
        .expect("accepted");
    assert!(clocks(&other_order).is_empty());
    // An extension moves the clock to the new decided end (ND56 art. 32(3)): the running clock
    // is replaced, nothing is met.
    let extended = story
        .decide(cmd(&approver(), extend(at("2026-03-16T17:00:00+07:00"))))
        .expect("accepted");
    assert!(met_ids(&extended).is_empty());
    let restarted: Vec<_> = extended
        .iter()
        .filter_map(|e| match e {
            aggregates::CaseEvent::DeadlineStarted(d) => Some((d.deadline_id.clone(), d.due_at)),
            _ => None,
        })
        .collect();
    assert_eq!(
        restarted,
        [(
            "separation_end/2".to_owned(),
            at("2026-03-16T17:00:00+07:00")
        )]
    );
}

#[test]
fn plan_submission_starts_on_each_of_its_five_triggers_and_is_met_by_a_submitted_plan() {
    // 1. An initial assessment finding support needed.
    assert!(support_needed().deadline("plan_submission/1").is_open());
    // 2. The first urgent measure.
    assert!(assessment().deadline("plan_submission/1").is_open());
    // 3. A separation as the first emergency response (not after urgent measures).
    assert!(separated_story().deadline("plan_submission/1").is_open());
    let after_measures = assessment()
        .decide(cmd(
            &approver(),
            separation(detailed_at(), at("2026-03-10T17:00:00+07:00")),
        ))
        .expect("accepted");
    assert_eq!(started_ids(&after_measures), ["separation_end/1"]);
    // 4. A review continuing the intervention.
    let continued = in_progress()
        .decide(cmd(&worker(), review(ReviewOutcome::Continue, reviewed())))
        .expect("accepted");
    assert_eq!(started_ids(&continued), ["plan_submission/2"]);
    let closing = in_progress()
        .decide(cmd(&worker(), review(ReviewOutcome::Close, reviewed())))
        .expect("accepted");
    assert!(!started_ids(&closing)
        .iter()
        .any(|id| id.starts_with("plan_submission")));
    // 5. A rejected closure of a report the assessment found unfounded (not any other).
    let unfounded = reported()
        .by(&worker(), initial(InitialOutcome::NoConcern, assessed()))
        .decide(cmd(&approver(), reject_closure(measured())))
        .expect("accepted");
    assert_eq!(started_ids(&unfounded), ["plan_submission/1"]);
    let duplicate = planning()
        .by(&worker(), propose(ClosureReason::Duplicate, met_at()))
        .decide(cmd(&approver(), reject_closure(submitted())))
        .expect("accepted");
    assert!(started_ids(&duplicate).is_empty());
    // Met by the plan.
    let submitted_plan = planning()
        .decide(cmd(&worker(), plan(submitted(), story_items())))
        .expect("accepted");
    assert_eq!(
        met_ids(&submitted_plan),
        [("plan_submission/1".to_owned(), false)]
    );
}

#[test]
fn plan_resubmission_starts_when_a_plan_is_returned_and_is_met_by_the_next_submission() {
    let returned = awaiting_approval().by(&approver(), return_plan(1, approved()));
    assert!(returned.deadline("plan_resubmission/1").is_open());
    let events = returned
        .decide(cmd(
            &worker(),
            plan(at("2026-03-10T10:00:00+07:00"), story_items()),
        ))
        .expect("accepted");
    assert_eq!(
        met_ids(&events),
        [("plan_resubmission/1".to_owned(), false)]
    );
}

#[test]
fn plan_approval_starts_with_each_submission_and_is_met_by_approval_or_return() {
    let story = awaiting_approval();
    assert!(story.deadline("plan_approval/1").is_open());
    for action in [approve(1, approved()), return_plan(1, approved())] {
        let events = story.decide(cmd(&approver(), action)).expect("accepted");
        assert_eq!(met_ids(&events), [("plan_approval/1".to_owned(), false)]);
    }
}

#[test]
fn plan_item_end_starts_per_item_on_approval_is_met_only_by_completing_the_item_and_is_cancelled_by_the_next_approval(
) {
    let story = in_progress();
    let a = format!("plan_item_end/{ITEM_A}");
    assert!(story.deadline(&a).is_open());
    assert_eq!(story.deadline(&a).item_id, Some(ITEM_A));
    let partial = story
        .decide(cmd(&worker(), service(ITEM_A, delivered(), false)))
        .expect("accepted");
    assert!(clocks(&partial).is_empty());
    let complete = story
        .decide(cmd(&worker(), service(ITEM_A, delivered(), true)))
        .expect("accepted");
    assert_eq!(met_ids(&complete), [(a.clone(), false)]);
    let adjusted = story
        .by(
            &worker(),
            plan(
                at("2026-03-12T10:00:00+07:00"),
                vec![item(ITEM_C, "2026-03-16", "2026-05-29")],
            ),
        )
        .decide(cmd(
            &approver(),
            approve(2, at("2026-03-13T10:00:00+07:00")),
        ))
        .expect("accepted");
    assert!(cancelled_ids(&adjusted).contains(&(a, CancelReason::Superseded)));
}

#[test]
fn review_starts_on_approval_is_met_by_the_review_and_is_cancelled_by_the_next_approval() {
    let story = in_progress();
    assert!(story.deadline("review/1").is_open());
    for outcome in ReviewOutcome::ALL {
        let events = story
            .decide(cmd(&worker(), review(*outcome, reviewed())))
            .expect("accepted");
        assert_eq!(met_ids(&events), [("review/1".to_owned(), false)]);
    }
    let adjusted = story
        .by(
            &worker(),
            plan(
                at("2026-03-12T10:00:00+07:00"),
                vec![item(ITEM_C, "2026-03-16", "2026-05-29")],
            ),
        )
        .decide(cmd(
            &approver(),
            approve(2, at("2026-03-13T10:00:00+07:00")),
        ))
        .expect("accepted");
    assert!(cancelled_ids(&adjusted).contains(&("review/1".to_owned(), CancelReason::Superseded)));
    assert!(started_ids(&adjusted).contains(&"review/2".to_owned()));
}

#[test]
fn closure_decision_starts_on_every_proposal_and_is_met_by_closing_or_rejecting() {
    let proposals = [
        reported().by(&worker(), initial(InitialOutcome::NoConcern, assessed())),
        closure_proposed(),
        assessment().by(
            &worker(),
            propose(ClosureReason::TransferredOut, detailed_at()),
        ),
    ];
    for story in proposals {
        assert!(story.deadline("closure_decision/1").is_open());
        let proposed = story
            .case
            .closure_proposal
            .as_ref()
            .expect("proposed")
            .proposal
            .fact
            .proposed_at;
        let decided = proposed + chrono::Duration::hours(1);
        for action in [close(decided), reject_closure(decided)] {
            let events = story.decide(cmd(&approver(), action)).expect("accepted");
            assert_eq!(met_ids(&events), [("closure_decision/1".to_owned(), false)]);
        }
    }
}
