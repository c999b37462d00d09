//! Step 3, *can thiệp khẩn cấp* (ND56 art. 31): in an emergency, urgent measures within 12 hours
//! of the report. Temporary separation is the approver's decision (see `separation`).

use crate::support::*;
use aggregates::case::*;
use aggregates::codes::*;

#[tokio::test]
async fn urgent_measures_meet_the_12_hour_clock_and_start_the_plan_clock() {
    // First measure Monday 2 March 16:00: the plan is due 5 working days later, at 24:00 on
    // Monday 9 March, due soon a quarter of the span (176 h) before.
    given(&emergency())
        .when_async(cmd(&worker(), urgent(measured())))
        .await
        .then_expect_events(vec![
            CaseEvent::UrgentMeasuresApplied(UrgentMeasuresApplied {
                applied_at: measured(),
                measures: vec![UrgentMeasure::StopTheAct, UrgentMeasure::FirstAid],
                notes: Some(long(
                    "Police stopped the act; first aid at the health station",
                )),
            }),
            status_changed(measured(), CaseStatus::Emergency, CaseStatus::Assessment),
            met("urgent_measures/1", measured(), false),
            started(
                "plan_submission/1",
                measured(),
                at("2026-03-10T00:00:00+07:00"),
                at("2026-03-08T04:00:00+07:00"),
            ),
        ]);
    assert_eq!(assessment().case.status, CaseStatus::Assessment);
}

#[tokio::test]
async fn later_measures_are_recorded_without_restarting_any_clock() {
    given(&assessment())
        .when_async(cmd(
            &worker(),
            urgent_with(vec![UrgentMeasure::SafeShelter], detailed_at()),
        ))
        .await
        .then_expect_events(vec![CaseEvent::UrgentMeasuresApplied(
            UrgentMeasuresApplied {
                applied_at: detailed_at(),
                measures: vec![UrgentMeasure::SafeShelter],
                notes: Some(long(
                    "Police stopped the act; first aid at the health station",
                )),
            },
        )]);
}

#[tokio::test]
async fn measures_taken_once_the_plan_is_under_way_start_no_new_plan_cycle() {
    // The first plan clock was met by the plan: a new danger calls for measures, not a new
    // plan deadline, whether the first response was a measure or a separation.
    let separated_first = separated_story()
        .by(&worker(), detailed(detailed_at()))
        .by(&approver(), meeting(met_at()))
        .by(&worker(), plan(submitted(), story_items()))
        .by(&approver(), approve(1, approved()));
    for story in [in_progress(), separated_first] {
        given(&story)
            .when_async(cmd(
                &worker(),
                urgent_with(vec![UrgentMeasure::SafeShelter], delivered()),
            ))
            .await
            .then_expect_events(vec![CaseEvent::UrgentMeasuresApplied(
                UrgentMeasuresApplied {
                    applied_at: delivered(),
                    measures: vec![UrgentMeasure::SafeShelter],
                    notes: Some(long(
                        "Police stopped the act; first aid at the health station",
                    )),
                },
            )]);
    }
}

#[tokio::test]
async fn measures_after_12_hours_are_met_late() {
    let late = at("2026-03-02T22:00:00+07:00");
    let events = given(&emergency())
        .when_async(cmd(&worker(), urgent(late)))
        .await
        .inspect_result()
        .expect("accepted");
    assert_eq!(met_ids(&events), [("urgent_measures/1".to_owned(), true)]);
}

#[tokio::test]
async fn urgent_measures_follow_the_initial_assessment() {
    given(&reported())
        .when_async(cmd(&worker(), urgent(measured())))
        .await
        .then_expect_error(CaseError::InitialAssessmentMissing);
}

#[tokio::test]
async fn urgent_measures_are_taken_only_in_an_emergency() {
    given(&support_needed())
        .when_async(cmd(&worker(), urgent(measured())))
        .await
        .then_expect_error(CaseError::NotAnEmergency);
}

#[tokio::test]
async fn at_least_one_measure_is_recorded() {
    given(&emergency())
        .when_async(cmd(&worker(), urgent_with(vec![], measured())))
        .await
        .then_expect_error(CaseError::MeasuresRequired);
}

#[tokio::test]
async fn temporary_separation_is_not_an_urgent_measure_but_the_approvers_decision() {
    given(&emergency())
        .when_async(cmd(
            &worker(),
            urgent_with(
                vec![UrgentMeasure::FirstAid, UrgentMeasure::TemporarySeparation],
                measured(),
            ),
        ))
        .await
        .then_expect_error(CaseError::SeparationNeedsDecision);
}

#[tokio::test]
async fn measures_taken_on_the_spot_may_precede_the_assessment_form_but_not_the_report() {
    // Assessment typed at 15:00; the police stopped the act at 10:00.
    let on_the_spot = at("2026-03-02T10:00:00+07:00");
    let events = given(&emergency())
        .when_async(cmd(&worker(), urgent(on_the_spot)))
        .await
        .inspect_result()
        .expect("accepted");
    assert_eq!(
        started_for(&events, "plan_submission").started_at,
        on_the_spot
    );
    given(&emergency())
        .when_async(cmd(&worker(), urgent(plus_minutes(received(), -1))))
        .await
        .then_expect_error(CaseError::TimeBeforeStep {
            field: "applied_at",
            step: "report",
        });
}

#[tokio::test]
async fn urgent_measures_do_not_lie_in_the_future() {
    given(&emergency())
        .when_async(cmd(&worker(), urgent(plus_minutes(now(), 6))))
        .await
        .then_expect_error(CaseError::TimeInFuture {
            field: "applied_at",
        });
}

#[tokio::test]
async fn the_worker_records_urgent_measures_not_the_approver() {
    given(&emergency())
        .when_async(cmd(&approver(), urgent(measured())))
        .await
        .then_expect_error(CaseError::RoleNotAllowed);
}

#[tokio::test]
async fn measures_are_recorded_once_each() {
    let events = given(&emergency())
        .when_async(cmd(
            &worker(),
            urgent_with(
                vec![
                    UrgentMeasure::FirstAid,
                    UrgentMeasure::StopTheAct,
                    UrgentMeasure::FirstAid,
                ],
                measured(),
            ),
        ))
        .await
        .inspect_result()
        .expect("accepted");
    match &events[0] {
        CaseEvent::UrgentMeasuresApplied(e) => assert_eq!(
            e.measures,
            [UrgentMeasure::StopTheAct, UrgentMeasure::FirstAid]
        ),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_chairs_separation_typed_first_does_not_make_the_12_hour_clock_late() {
    // ND56 art. 26(3), 31(2), 32(2); procedure.md §4: a clock is met by the earliest business
    // time among its meeting steps. Received Monday 2 March 09:00: urgent measures due 21:00. The
    // chair's separation at 22:00 is typed first (met late); the worker's measures taken at
    // 20:00 are typed after: the clock is judged met on time, and the plan clock that started
    // from the separation starts again from the measures. No event is rewritten.
    let late_separation = at("2026-03-02T22:00:00+07:00");
    let story = emergency().by(
        &approver(),
        separation(late_separation, at("2026-03-12T17:00:00+07:00")),
    );
    assert!(matches!(
        story.deadline("urgent_measures/1").outcome,
        Some(aggregates::deadlines::DeadlineOutcome::Met { late: true, .. })
    ));
    let taken = at("2026-03-02T20:00:00+07:00");
    let events = story
        .decide(cmd(&worker(), urgent(taken)))
        .expect("accepted");
    assert_eq!(met_ids(&events), [("urgent_measures/1".to_owned(), false)]);
    assert_eq!(started_ids(&events), ["plan_submission/2"]);
    let story = story.by(&worker(), urgent(taken));
    assert!(matches!(
        story.deadline("urgent_measures/1").outcome,
        Some(aggregates::deadlines::DeadlineOutcome::Met { late: false, at }) if at == taken
    ));
    assert!(matches!(
        story.deadline("plan_submission/1").outcome,
        Some(aggregates::deadlines::DeadlineOutcome::Cancelled { .. })
    ));
    let replanned = story.deadline("plan_submission/2");
    assert_eq!(replanned.started_at, taken);
    assert!(replanned.is_open());
}

#[tokio::test]
async fn measures_typed_before_the_separation_keep_the_first_response_clock() {
    // Typed in business order, nothing is re-judged and no plan clock restarts.
    let story = emergency().by(&worker(), urgent(measured()));
    let events = story
        .decide(cmd(
            &approver(),
            separation(separated(), at("2026-03-12T17:00:00+07:00")),
        ))
        .expect("accepted");
    assert!(met_ids(&events).is_empty());
    assert_eq!(started_ids(&events), ["separation_end/1"]);
}

#[tokio::test]
async fn a_separation_decided_before_the_assessment_was_typed_meets_its_clock() {
    // ND56 art. 32(1): the chair may decide at any time; once the emergency is assessed, the
    // response already given meets the 12-hour clock at its own business time.
    let story = reported().by(
        &approver(),
        separation(
            at("2026-03-02T11:00:00+07:00"),
            at("2026-03-12T17:00:00+07:00"),
        ),
    );
    let story = story.by(&worker(), initial(InitialOutcome::Emergency, assessed()));
    assert_eq!(story.case.status, CaseStatus::Assessment);
    assert!(matches!(
        story.deadline("urgent_measures/1").outcome,
        Some(aggregates::deadlines::DeadlineOutcome::Met { late: false, .. })
    ));
    assert_eq!(
        story.deadline("plan_submission/1").started_at,
        at("2026-03-02T11:00:00+07:00")
    );
}
