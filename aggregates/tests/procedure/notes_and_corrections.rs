//! Any time while open: add a note, or correct a recorded fact. A correction is a new event that
//! names what it corrects (by sequence and field); nothing is overwritten. Business times and
//! outcomes steer the procedure and are not corrected.

use crate::support::*;
use aggregates::case::*;
use aggregates::codes::*;
use serde_json::json;

#[tokio::test]
async fn everyone_working_on_the_case_adds_notes_even_a_supervisor() {
    for actor in [operator(), worker(), approver(), supervisor()] {
        given(&assessment())
            .when_async(cmd(&actor, note("Called the school")))
            .await
            .then_expect_events(vec![CaseEvent::NoteAdded(NoteAdded {
                written_at: now(),
                text: long("Called the school"),
            })]);
    }
}

#[tokio::test]
async fn a_correction_names_the_fact_it_corrects_and_leaves_the_event_as_it_was() {
    given(&reported())
        .when_async(cmd(
            &worker(),
            correct(1, "child.full_name", json!("  Lò Thị Mây ")),
        ))
        .await
        .then_expect_events(vec![CaseEvent::FactCorrected(FactCorrected {
            corrected_at: now(),
            corrects_sequence: 1,
            field: "child.full_name".to_owned(),
            value: json!("Lò Thị Mây"),
            reason: long("Checked against the birth certificate"),
        })]);
    let story = reported().by(
        &worker(),
        correct(1, "child.full_name", json!("Lò Thị Mây")),
    );
    let report = story.case.report.as_ref().expect("reported");
    assert_eq!(report.fact.child.full_name, Some(short("Lò Thị Mây")));
    match &story.events[0] {
        CaseEvent::CaseReported(e) => assert_eq!(e.child.full_name, Some(short("Lò Thị Mai"))),
        other => panic!("{other:?}"),
    }
    assert_eq!(story.case.corrections.len(), 1);
}

#[tokio::test]
async fn a_correction_targets_an_event_that_records_a_correctable_fact() {
    // Sequence 2 is the deadline clock the report started.
    for sequence in [0, 2, 99] {
        given(&reported())
            .when_async(cmd(&worker(), correct(sequence, "description", json!("x"))))
            .await
            .then_expect_error(CaseError::CorrectionTargetUnknown);
    }
}

#[tokio::test]
async fn only_the_latest_detailed_assessment_is_corrected() {
    let story = planning().by(&worker(), detailed(submitted()));
    let earlier = story
        .case
        .event_kinds
        .iter()
        .position(|k| k == "DetailedAssessmentRecorded")
        .expect("recorded") as u64
        + 1;
    let latest = story
        .case
        .detailed_assessment
        .as_ref()
        .expect("recorded")
        .sequence;
    assert_ne!(earlier, latest);
    given(&story)
        .when_async(cmd(
            &worker(),
            correct(earlier, "family", json!("Lives with grandparents")),
        ))
        .await
        .then_expect_error(CaseError::CorrectionTargetUnknown);
    let corrected = story.by(
        &worker(),
        correct(latest, "family", json!("Lives with grandparents")),
    );
    let current = corrected
        .case
        .detailed_assessment
        .as_ref()
        .expect("recorded");
    assert_eq!(current.fact.family, long("Lives with grandparents"));
}

#[tokio::test]
async fn times_and_outcomes_are_not_corrected() {
    given(&reported())
        .when_async(cmd(
            &worker(),
            correct(1, "received_at", json!("2026-03-02T08:00:00Z")),
        ))
        .await
        .then_expect_error(CaseError::FieldNotCorrectable {
            field: "received_at".to_owned(),
        });
    given(&emergency())
        .when_async(cmd(&worker(), correct(3, "outcome", json!("no_concern"))))
        .await
        .then_expect_error(CaseError::FieldNotCorrectable {
            field: "outcome".to_owned(),
        });
}

#[tokio::test]
async fn a_corrected_value_is_checked_like_the_original() {
    let cases = [
        (1, "child.estimated_age", json!(18)),
        (1, "child.sex", json!("girl")),
        (1, "child.full_name", json!("   ")),
        (1, "child.date_of_birth", json!("02/03/2018")),
        (1, "abuse_types", json!(["violence", "bullying"])),
        (3, "findings", json!(null)),
    ];
    for (sequence, field, value) in cases {
        let error = given(&emergency())
            .when_async(cmd(&worker(), correct(sequence, field, value)))
            .await
            .inspect_result()
            .expect_err(field);
        assert!(
            matches!(&error, CaseError::CorrectionValueInvalid { field: f, .. } if f == field),
            "{field}: {error:?}"
        );
        assert_eq!(error.code(), "correction_value_invalid");
    }
}

#[tokio::test]
async fn a_corrected_birth_date_is_a_childs_and_replaces_the_estimated_age() {
    // The story's child has an estimated age: a birth date would make the age ambiguous.
    given(&reported())
        .when_async(cmd(
            &worker(),
            correct(1, "child.date_of_birth", json!("2017-01-15")),
        ))
        .await
        .then_expect_error(CaseError::ChildAgeAmbiguous);
    let without_age = reported().by(&worker(), correct(1, "child.estimated_age", json!(null)));
    // Born after the report (received 2 March 2026).
    let error = given(&without_age)
        .when_async(cmd(
            &worker(),
            correct(1, "child.date_of_birth", json!("2026-03-03")),
        ))
        .await
        .inspect_result()
        .expect_err("not a child's birth date");
    assert!(matches!(
        &error,
        CaseError::CorrectionValueInvalid { field, .. } if field == "child.date_of_birth"
    ));
    let dated = without_age.by(
        &worker(),
        correct(1, "child.date_of_birth", json!("2017-01-15")),
    );
    let child = &dated.case.report.as_ref().expect("reported").fact.child;
    assert_eq!(child.date_of_birth, Some(day("2017-01-15")));
    assert_eq!(child.estimated_age, None);
}

#[tokio::test]
async fn the_parents_view_is_not_added_by_correction_when_they_caused_the_harm() {
    let mut r = report_case();
    r.perpetrator_relationship = Some(PerpetratorRelationship::Parent);
    let story = Story::new()
        .by(&operator(), report(r))
        .by(
            &worker(),
            initial(InitialOutcome::SupportNeeded, assessed()),
        )
        .by(&worker(), detailed(detailed_at()));
    let sequence = story
        .case
        .detailed_assessment
        .as_ref()
        .expect("recorded")
        .sequence;
    given(&story)
        .when_async(cmd(
            &worker(),
            correct(sequence, "parent_view", json!("They agree")),
        ))
        .await
        .then_expect_error(CaseError::ParentViewNotApplicable);
    let result = given(&story)
        .when_async(cmd(
            &worker(),
            correct(sequence, "parent_view", json!(null)),
        ))
        .await
        .inspect_result();
    assert!(result.is_ok());
}

#[tokio::test]
async fn a_corrected_abuse_type_list_keeps_the_types_of_the_recorded_subtypes() {
    let mut r = report_case();
    r.abuse_types = vec![AbuseType::SexualAbuse];
    r.sexual_abuse_subtypes = vec![SexualAbuseSubtype::LewdActs];
    let story = Story::new().by(&operator(), report(r));
    given(&story)
        .when_async(cmd(
            &worker(),
            correct(1, "abuse_types", json!(["violence"])),
        ))
        .await
        .then_expect_error(CaseError::SubtypeWithoutType {
            field: "sexual_abuse_subtypes",
        });
    let result = given(&story)
        .when_async(cmd(
            &worker(),
            correct(1, "abuse_types", json!(["violence", "sexual_abuse"])),
        ))
        .await
        .inspect_result();
    assert!(result.is_ok());
}

#[tokio::test]
async fn corrected_code_lists_are_stored_once_each_in_code_order() {
    let events = given(&reported())
        .when_async(cmd(
            &worker(),
            correct(1, "abuse_types", json!(["neglect", "violence", "neglect"])),
        ))
        .await
        .inspect_result()
        .expect("accepted");
    match &events[0] {
        CaseEvent::FactCorrected(e) => assert_eq!(e.value, json!(["violence", "neglect"])),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_correction_reaches_the_step_it_names() {
    // Sequence 7 is the urgent measures of the story (after the report, its clock, the initial
    // assessment, its status change and its two clocks).
    let story = assessment();
    assert_eq!(story.case.event_kinds[6], "UrgentMeasuresApplied");
    let corrected = story.by(&worker(), correct(7, "notes", json!(null)));
    assert_eq!(corrected.case.urgent_measures[0].fact.notes, None);
}

#[tokio::test]
async fn the_worker_corrects_facts_not_the_approver_or_the_supervisor() {
    for actor in [approver(), supervisor(), operator()] {
        given(&reported())
            .when_async(cmd(&actor, correct(1, "description", json!("x"))))
            .await
            .then_expect_error(CaseError::RoleNotAllowed);
    }
}

#[tokio::test]
async fn a_worker_asks_the_hotline_for_support_and_operators_then_reach_the_case() {
    // ND56 art. 31(3), 22(6): from the request on, hotline operators may read the case and add
    // notes and referrals, until the request is withdrawn or the case closes.
    let story = in_progress();
    assert_eq!(
        story.decide(cmd(&other_operator(), note("Called the child"))),
        Err(CaseError::OutOfJurisdiction)
    );
    let asked = story.by(&worker(), ask_hotline());
    assert!(asked.case.scope().is_some_and(|s| s.hotline_support));
    assert!(asked
        .decide(cmd(&other_operator(), note("Called the child")))
        .is_ok());
    assert!(asked
        .decide(cmd(&other_operator(), referral(delivered())))
        .is_ok());
    assert_eq!(
        asked.decide(cmd(&other_operator(), service(ITEM_A, delivered(), true))),
        Err(CaseError::RoleNotAllowed)
    );
    assert_eq!(
        asked.decide(cmd(&worker(), ask_hotline())),
        Err(CaseError::HotlineSupportAlreadyRequested)
    );
    let withdrawn = asked.by(&approver(), withdraw_hotline());
    assert_eq!(
        withdrawn.decide(cmd(&other_operator(), note("Called again"))),
        Err(CaseError::OutOfJurisdiction)
    );
    assert_eq!(
        withdrawn.decide(cmd(&worker(), withdraw_hotline())),
        Err(CaseError::HotlineSupportNotRequested)
    );
}
