//! Step 2, *đánh giá nguy cơ ban đầu* (ND56 art. 26, Mẫu 02): the commune worker assesses the
//! risk; the outcome is an emergency, support needed, or no concern.

use crate::support::*;
use aggregates::case::*;
use aggregates::codes::*;
use aggregates::deadlines::DeadlineState;

fn recorded(outcome: InitialOutcome, grounds: Vec<EmergencyGround>) -> CaseEvent {
    CaseEvent::InitialAssessmentRecorded(InitialAssessmentRecorded {
        assessed_at: assessed(),
        outcome,
        grounds,
        ratings: all_ratings(Rating::High),
        findings: long("Visible bruises; the child is afraid to go home"),
    })
}

#[tokio::test]
async fn an_emergency_meets_the_assessment_clock_and_starts_the_12_hour_urgent_measures_clock() {
    // Assessed at 15:00; the urgent measures are due 12 hours after the call (09:00), at 21:00.
    given(&reported())
        .when_async(cmd(
            &worker(),
            initial(InitialOutcome::Emergency, assessed()),
        ))
        .await
        .then_expect_events(vec![
            recorded(
                InitialOutcome::Emergency,
                vec![EmergencyGround::SeriousHarmOrThreat],
            ),
            status_changed(assessed(), CaseStatus::Reported, CaseStatus::Emergency),
            met("initial_assessment/1", assessed(), false),
            started(
                "urgent_measures/1",
                received(),
                at("2026-03-02T21:00:00+07:00"),
                at("2026-03-02T19:00:00+07:00"),
            ),
        ]);
    assert_eq!(emergency().case.status, CaseStatus::Emergency);
}

#[tokio::test]
async fn support_needed_starts_the_5_working_day_plan_clock() {
    // Monday 2 March 15:00: Tue 3, Wed 4, Thu 5, Fri 6, Mon 9 March; due at 24:00 on the 9th.
    // A quarter of the span (177 h) before that, the clock is due soon.
    given(&reported())
        .when_async(cmd(
            &worker(),
            initial(InitialOutcome::SupportNeeded, assessed()),
        ))
        .await
        .then_expect_events(vec![
            recorded(InitialOutcome::SupportNeeded, vec![]),
            status_changed(assessed(), CaseStatus::Reported, CaseStatus::Assessment),
            met("initial_assessment/1", assessed(), false),
            started(
                "plan_submission/1",
                assessed(),
                at("2026-03-10T00:00:00+07:00"),
                at("2026-03-08T03:45:00+07:00"),
            ),
        ]);
    assert_eq!(support_needed().case.status, CaseStatus::Assessment);
}

#[tokio::test]
async fn no_concern_proposes_closing_the_report_as_unfounded() {
    // The approver has 2 working days (Tue 3, Wed 4 March) to decide.
    given(&reported())
        .when_async(cmd(
            &worker(),
            initial(InitialOutcome::NoConcern, assessed()),
        ))
        .await
        .then_expect_events(vec![
            recorded(InitialOutcome::NoConcern, vec![]),
            status_changed(assessed(), CaseStatus::Reported, CaseStatus::Assessment),
            met("initial_assessment/1", assessed(), false),
            CaseEvent::ClosureProposed(ClosureProposed {
                proposed_at: assessed(),
                reason: ClosureReason::Unfounded,
                origin: ProposalOrigin::InitialAssessment,
                linked_case_id: None,
                comment: None,
            }),
            status_changed(
                assessed(),
                CaseStatus::Assessment,
                CaseStatus::ClosureProposed,
            ),
            started(
                "closure_decision/1",
                assessed(),
                at("2026-03-05T00:00:00+07:00"),
                at("2026-03-04T09:45:00+07:00"),
            ),
        ]);
    let story = reported().by(&worker(), initial(InitialOutcome::NoConcern, assessed()));
    assert_eq!(story.case.status, CaseStatus::ClosureProposed);
}

#[tokio::test]
async fn an_assessment_after_12_hours_is_met_late() {
    let late = at("2026-03-02T21:00:01+07:00");
    let events = given(&reported())
        .when_async(cmd(&worker(), initial(InitialOutcome::SupportNeeded, late)))
        .await
        .inspect_result()
        .expect("accepted");
    assert_eq!(
        met_ids(&events),
        [("initial_assessment/1".to_owned(), true)]
    );
}

#[tokio::test]
async fn the_initial_assessment_is_recorded_once() {
    given(&emergency())
        .when_async(cmd(
            &worker(),
            initial(InitialOutcome::SupportNeeded, measured()),
        ))
        .await
        .then_expect_error(CaseError::InitialAssessmentAlreadyRecorded);
}

#[tokio::test]
async fn an_emergency_names_its_grounds() {
    given(&reported())
        .when_async(cmd(
            &worker(),
            initial_with(InitialOutcome::Emergency, vec![], assessed()),
        ))
        .await
        .then_expect_error(CaseError::EmergencyGroundsRequired);
}

#[tokio::test]
async fn grounds_are_given_only_for_an_emergency() {
    for outcome in [InitialOutcome::SupportNeeded, InitialOutcome::NoConcern] {
        given(&reported())
            .when_async(cmd(
                &worker(),
                initial_with(
                    outcome,
                    vec![EmergencyGround::SeriousHarmOrThreat],
                    assessed(),
                ),
            ))
            .await
            .then_expect_error(CaseError::GroundsOnlyForEmergency);
    }
}

#[tokio::test]
async fn grounds_are_recorded_once_each() {
    let events = given(&reported())
        .when_async(cmd(
            &worker(),
            initial_with(
                InitialOutcome::Emergency,
                vec![
                    EmergencyGround::CaregiverIsPerpetrator,
                    EmergencyGround::SeriousHarmOrThreat,
                    EmergencyGround::CaregiverIsPerpetrator,
                ],
                assessed(),
            ),
        ))
        .await
        .inspect_result()
        .expect("accepted");
    match &events[0] {
        CaseEvent::InitialAssessmentRecorded(e) => assert_eq!(
            e.grounds,
            [
                EmergencyGround::SeriousHarmOrThreat,
                EmergencyGround::CaregiverIsPerpetrator
            ]
        ),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_assessment_does_not_precede_the_report() {
    given(&reported())
        .when_async(cmd(
            &worker(),
            initial(InitialOutcome::Emergency, plus_minutes(received(), -1)),
        ))
        .await
        .then_expect_error(CaseError::TimeBeforeStep {
            field: "assessed_at",
            step: "report",
        });
}

#[tokio::test]
async fn the_assessment_does_not_lie_in_the_future() {
    given(&reported())
        .when_async(cmd(
            &worker(),
            initial(InitialOutcome::Emergency, plus_minutes(now(), 6)),
        ))
        .await
        .then_expect_error(CaseError::TimeInFuture {
            field: "assessed_at",
        });
}

#[tokio::test]
async fn only_the_commune_worker_assesses() {
    for actor in [approver(), operator(), supervisor()] {
        given(&reported())
            .when_async(cmd(&actor, initial(InitialOutcome::Emergency, assessed())))
            .await
            .then_expect_error(CaseError::RoleNotAllowed);
    }
}

/// The worker proposed closing the report as a duplicate before assessing; the approver rejects
/// the proposal. The assessment recorded meanwhile stands: the case goes on from it.
#[test]
fn an_assessment_recorded_while_closure_is_proposed_survives_the_rejection() {
    let mut story = reported().by(
        &worker(),
        propose(ClosureReason::Duplicate, at("2026-03-02T10:00:00+07:00")),
    );
    story.run(cmd(
        &worker(),
        initial(InitialOutcome::Emergency, assessed()),
    ));
    assert_eq!(story.case.status, CaseStatus::ClosureProposed);
    story.run(cmd(&worker(), urgent(measured())));
    assert_eq!(story.case.status, CaseStatus::ClosureProposed);
    story.run(cmd(
        &approver(),
        reject_closure(at("2026-03-02T18:00:00+07:00")),
    ));
    assert_eq!(story.case.status, CaseStatus::Assessment);
    story.run(cmd(&worker(), detailed(detailed_at())));
    assert_eq!(story.case.status, CaseStatus::Planning);
    story.run(cmd(&approver(), meeting(met_at())));
    let events = story.run(cmd(&worker(), plan(submitted(), story_items())));
    assert_eq!(met_ids(&events), [("plan_submission/1".to_owned(), false)]);
}

#[tokio::test]
async fn a_no_concern_outcome_does_not_propose_closure_while_another_proposal_waits() {
    let story = reported().by(
        &worker(),
        propose(ClosureReason::Duplicate, at("2026-03-02T10:00:00+07:00")),
    );
    given(&story)
        .when_async(cmd(
            &worker(),
            initial(InitialOutcome::NoConcern, assessed()),
        ))
        .await
        .then_expect_error(CaseError::ClosurePending);
}

#[test]
fn the_approver_closes_an_unfounded_report_on_the_assessments_proposal() {
    let story = reported()
        .by(&worker(), initial(InitialOutcome::NoConcern, assessed()))
        .by(&approver(), close(at("2026-03-03T10:00:00+07:00")));
    assert_eq!(story.case.status, CaseStatus::Closed);
    let closure = story.case.closure.as_ref().expect("closed");
    assert_eq!(closure.fact.reason, ClosureReason::Unfounded);
    assert_eq!(
        story.deadline("closure_decision/1").state_at(now()),
        DeadlineState::Met
    );
    assert_eq!(story.case.open_deadlines().count(), 0);
}
