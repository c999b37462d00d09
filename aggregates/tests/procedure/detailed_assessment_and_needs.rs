//! Steps 4 and 5: the detailed assessment (*đánh giá nguy cơ cụ thể*, ND56 art. 27(1), Mẫu 03)
//! and the needs meeting chaired by the approver (ND56 art. 27(2)).

use crate::support::*;
use aggregates::case::*;
use aggregates::codes::*;

#[tokio::test]
async fn the_detailed_assessment_moves_the_case_to_planning() {
    given(&assessment())
        .when_async(cmd(&worker(), detailed(detailed_at())))
        .await
        .then_expect_events(vec![
            CaseEvent::DetailedAssessmentRecorded(DetailedAssessmentRecorded {
                assessed_at: detailed_at(),
                physical_psychological: long("Bruises healing; anxious"),
                family: long("Lives with parents and an uncle"),
                risk_factors: long("The uncle drinks and lives in the house"),
                schooling: long("Grade 4, attends regularly"),
                community: long("Village head and school teacher are supportive"),
                // Needs in code order.
                needs: vec![ServiceType::Health, ServiceType::Psychological],
                child_view: Some(long("Wants to stay with her parents")),
                parent_view: None,
                parent_view_by: None,
            }),
            status_changed(detailed_at(), CaseStatus::Assessment, CaseStatus::Planning),
        ]);
    let story = assessment().by(&worker(), detailed(detailed_at()));
    assert_eq!(story.case.status, CaseStatus::Planning);
}

#[tokio::test]
async fn the_detailed_assessment_follows_the_initial_one() {
    given(&reported())
        .when_async(cmd(&worker(), detailed(detailed_at())))
        .await
        .then_expect_error(CaseError::InitialAssessmentMissing);
    given(&assessment())
        .when_async(cmd(&worker(), detailed(plus_minutes(assessed(), -1))))
        .await
        .then_expect_error(CaseError::TimeBeforeStep {
            field: "assessed_at",
            step: "initial assessment",
        });
}

#[tokio::test]
async fn the_detailed_assessment_does_not_lie_in_the_future() {
    given(&assessment())
        .when_async(cmd(&worker(), detailed(plus_minutes(now(), 6))))
        .await
        .then_expect_error(CaseError::TimeInFuture {
            field: "assessed_at",
        });
}

#[tokio::test]
async fn no_detailed_assessment_while_closure_awaits_the_approver() {
    let story = assessment().by(&worker(), propose(ClosureReason::Duplicate, measured()));
    given(&story)
        .when_async(cmd(&worker(), detailed(detailed_at())))
        .await
        .then_expect_error(CaseError::ClosurePending);
}

#[tokio::test]
async fn the_parents_view_is_not_taken_when_they_caused_the_harm() {
    let mut with_parents_view = detailed_assessment(detailed_at());
    with_parents_view.parent_view = Some(long("The father denies everything"));

    // The report names a parent as the alleged perpetrator.
    let mut r = report_case();
    r.perpetrator_relationship = Some(PerpetratorRelationship::StepParent);
    let by_report = Story::new().by(&operator(), report(r)).by(
        &worker(),
        initial(InitialOutcome::SupportNeeded, assessed()),
    );
    given(&by_report)
        .when_async(cmd(
            &worker(),
            CaseAction::RecordDetailedAssessment(with_parents_view.clone()),
        ))
        .await
        .then_expect_error(CaseError::ParentViewNotApplicable);

    // The initial assessment found the carer causing harm.
    let by_assessment = reported()
        .by(
            &worker(),
            initial_with(
                InitialOutcome::Emergency,
                vec![EmergencyGround::CaregiverIsPerpetrator],
                assessed(),
            ),
        )
        .by(&worker(), urgent(measured()));
    given(&by_assessment)
        .when_async(cmd(
            &worker(),
            CaseAction::RecordDetailedAssessment(with_parents_view.clone()),
        ))
        .await
        .then_expect_error(CaseError::ParentViewNotApplicable);

    // Otherwise it is taken.
    let result = given(&assessment())
        .when_async(cmd(
            &worker(),
            CaseAction::RecordDetailedAssessment(with_parents_view),
        ))
        .await
        .inspect_result();
    assert!(result.is_ok());
}

#[tokio::test]
async fn the_worker_assesses_not_the_approver() {
    given(&assessment())
        .when_async(cmd(&approver(), detailed(detailed_at())))
        .await
        .then_expect_error(CaseError::RoleNotAllowed);
}

#[test]
fn a_detailed_assessment_recorded_during_the_emergency_counts_once_the_child_is_safe() {
    // The worker records the detailed assessment before the urgent measures are typed in: once
    // they are, the case is ready for its plan.
    let mut story = emergency().by(&worker(), detailed(at("2026-03-02T15:30:00+07:00")));
    assert_eq!(story.case.status, CaseStatus::Emergency);
    story.run(cmd(&worker(), urgent(measured())));
    assert_eq!(story.case.status, CaseStatus::Planning);
    story.run(cmd(&approver(), meeting(met_at())));
    let events = story.run(cmd(&worker(), plan(submitted(), story_items())));
    assert_eq!(story.case.status, CaseStatus::AwaitingApproval);
    assert_eq!(met_ids(&events), [("plan_submission/1".to_owned(), false)]);
}

#[test]
fn a_later_detailed_assessment_replaces_the_current_one_and_keeps_the_case_where_it_is() {
    let story = in_progress().by(&worker(), detailed(delivered()));
    assert_eq!(story.case.status, CaseStatus::InProgress);
    let current = story.case.detailed_assessment.as_ref().expect("recorded");
    assert_eq!(current.fact.assessed_at, delivered());
    assert_eq!(current.sequence, story.version());
}

#[tokio::test]
async fn the_approver_chairs_the_needs_meeting() {
    given(&planning())
        .when_async(cmd(&approver(), meeting(submitted())))
        .await
        .then_expect_events(vec![CaseEvent::NeedsMeetingHeld(NeedsMeetingHeld {
            held_at: submitted(),
            chaired_by: short("Chủ tịch UBND xã"),
            attendees: vec![short("Village head"), short("Mother")],
            decisions: long("Counselling for the child; the uncle moves out"),
        })]);
}

#[tokio::test]
async fn the_worker_may_record_the_needs_meeting_too() {
    let result = given(&planning())
        .when_async(cmd(&worker(), meeting(submitted())))
        .await
        .inspect_result();
    assert!(result.is_ok());
}

#[tokio::test]
async fn hotline_operators_and_supervisors_do_not_record_meetings() {
    for actor in [operator(), supervisor()] {
        given(&planning())
            .when_async(cmd(&actor, meeting(submitted())))
            .await
            .then_expect_error(CaseError::RoleNotAllowed);
    }
}

#[tokio::test]
async fn the_needs_meeting_follows_the_initial_assessment() {
    given(&reported())
        .when_async(cmd(&approver(), meeting(met_at())))
        .await
        .then_expect_error(CaseError::InitialAssessmentMissing);
    given(&assessment())
        .when_async(cmd(&approver(), meeting(plus_minutes(assessed(), -1))))
        .await
        .then_expect_error(CaseError::TimeBeforeStep {
            field: "held_at",
            step: "initial assessment",
        });
    given(&assessment())
        .when_async(cmd(&approver(), meeting(plus_minutes(now(), 6))))
        .await
        .then_expect_error(CaseError::TimeInFuture { field: "held_at" });
}

fn by_step_father() -> Story {
    Story::new()
        .by(
            &operator(),
            report(ReportCase {
                perpetrator_relationship: Some(PerpetratorRelationship::StepParent),
                ..report_case()
            }),
        )
        .by(
            &worker(),
            initial(InitialOutcome::SupportNeeded, assessed()),
        )
}

fn with_view(by: Option<Carer>) -> CaseAction {
    CaseAction::RecordDetailedAssessment(RecordDetailedAssessment {
        parent_view: Some(long("She wants the step-father to leave the house")),
        parent_view_by: by,
        ..detailed_assessment(detailed_at())
    })
}

#[tokio::test]
async fn the_non_offending_parents_view_is_recorded_and_says_whose_it_is() {
    // ND56 art. 27(1)(h): only the view of the parent or carer who caused the harm is refused.
    // The step-father abused the child; the mother's view is taken.
    let events = given(&by_step_father())
        .when_async(cmd(&worker(), with_view(Some(Carer::Mother))))
        .await
        .inspect_result()
        .expect("accepted");
    assert!(matches!(
        &events[0],
        CaseEvent::DetailedAssessmentRecorded(d) if d.parent_view_by == Some(Carer::Mother)
    ));
}

#[tokio::test]
async fn the_offenders_view_is_refused_and_an_unnamed_view_too() {
    given(&by_step_father())
        .when_async(cmd(&worker(), with_view(Some(Carer::StepFather))))
        .await
        .then_expect_error(CaseError::ParentViewFromPerpetrator);
    // Whose view it is must be said when a carer caused the harm.
    given(&by_step_father())
        .when_async(cmd(&worker(), with_view(None)))
        .await
        .then_expect_error(CaseError::ParentViewNotApplicable);
    // `parent_view_by` alone is not a view.
    given(&by_step_father())
        .when_async(cmd(
            &worker(),
            CaseAction::RecordDetailedAssessment(RecordDetailedAssessment {
                parent_view_by: Some(Carer::Mother),
                ..detailed_assessment(detailed_at())
            }),
        ))
        .await
        .then_expect_error(CaseError::ParentViewByWithoutView);
}
