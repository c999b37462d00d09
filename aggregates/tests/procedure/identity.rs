//! One child, one record: a new report about the child of an open case is attached to it
//! (*tiếp nhận thông tin* again, ND56 art. 25), and restarts the initial assessment's 12 hours
//! from its own receipt while the assessment is still due (ND56 art. 26(1): the assessment
//! follows the receipt of the information); links between cases about the same child are
//! events, and an unlink restores what the link replaced.

use crate::support::*;
use aggregates::case::*;
use aggregates::deadlines::CancelReason;

/// The second call: Monday 2 March 2026, 14:00 (five hours after the first).
fn second_call() -> chrono::DateTime<chrono::Utc> {
    at("2026-03-02T14:00:00+07:00")
}

#[tokio::test]
async fn a_report_attached_before_the_initial_assessment_restarts_its_12_hours_nd56_art_26() {
    let events = given(&reported())
        .when_async(cmd(&other_operator(), attach_at(second_call())))
        .await
        .inspect_result()
        .expect("attached");
    let CaseEvent::ReportAttached(attached) = &events[0] else {
        panic!("first event is the attached report: {events:?}");
    };
    assert_eq!(attached.received_at, second_call());
    assert_eq!(attached.received_by, other_operator().user_id);
    // The first report's clock gives way to one from the new receipt: due 02:00 the next day.
    assert_eq!(
        cancelled_ids(&events),
        vec![("initial_assessment/1".to_owned(), CancelReason::Superseded)]
    );
    let restarted = started_for(&events, "initial_assessment");
    assert_eq!(restarted.started_at, second_call());
    assert_eq!(restarted.due_at, at("2026-03-03T02:00:00+07:00"));
    // The case's first report stays as it was.
    let story = reported().by(&other_operator(), attach_at(second_call()));
    assert_eq!(story.case.received_at(), Some(received()));
    assert_eq!(story.case.attached_reports.len(), 1);
}

#[tokio::test]
async fn a_report_attached_after_the_initial_assessment_starts_no_clock() {
    let events = given(&support_needed())
        .when_async(cmd(
            &operator(),
            attach_at(assessed() + chrono::Duration::hours(1)),
        ))
        .await
        .inspect_result()
        .expect("attached");
    assert!(matches!(events[0], CaseEvent::ReportAttached(_)));
    assert!(started_ids(&events).is_empty(), "{events:?}");
    assert!(cancelled_ids(&events).is_empty());
}

#[tokio::test]
async fn a_closed_case_takes_no_attached_report_a_new_episode_is_opened_instead() {
    given(&closed())
        .when_async(cmd(&operator(), attach_at(now())))
        .await
        .then_expect_error(CaseError::CaseClosed);
}

#[tokio::test]
async fn attaching_is_intake_the_hotline_anywhere_a_commune_worker_in_its_commune() {
    given(&reported())
        .when_async(cmd(&other_worker(), attach_at(second_call())))
        .await
        .then_expect_error(CaseError::OutOfJurisdiction);
    given(&reported())
        .when_async(cmd(&approver(), attach_at(second_call())))
        .await
        .then_expect_error(CaseError::RoleNotAllowed);
    given(&reported())
        .when_async(cmd(&admin(), attach_at(second_call())))
        .await
        .then_expect_error(CaseError::RoleNotAllowed);
    let result = given(&reported())
        .when_async(cmd(&worker(), attach_at(second_call())))
        .await
        .inspect_result();
    assert!(result.is_ok());
}

#[tokio::test]
async fn an_attached_report_may_not_precede_the_case_or_lie_in_the_future() {
    let error = given(&reported())
        .when_async(cmd(
            &operator(),
            attach_at(received() - chrono::Duration::hours(1)),
        ))
        .await
        .inspect_result()
        .expect_err("before the case's receipt");
    assert_eq!(error.code(), "time_before_previous_step");
    let error = given(&reported())
        .when_async(cmd(
            &operator(),
            attach_at(now() + chrono::Duration::hours(1)),
        ))
        .await
        .inspect_result()
        .expect_err("in the future");
    assert_eq!(error.code(), "time_in_future");
}

#[tokio::test]
async fn an_attached_report_checks_the_version_the_operator_saw() {
    given(&reported())
        .when_async(cmd_if(&operator(), 1, attach_at(second_call())))
        .await
        .then_expect_error(CaseError::VersionMismatch {
            expected: 1,
            actual: 2,
        });
}

#[tokio::test]
async fn linking_points_the_case_to_the_other_childs_identity_and_unlinking_restores_it() {
    given(&reported())
        .when_async(cmd(&worker(), link_child()))
        .await
        .then_expect_events(vec![CaseEvent::ChildLinked(ChildLinked {
            linked_at: now(),
            child_id: OTHER_CHILD_ID,
            previous_child_id: CHILD_ID,
            same_as_case_id: OTHER_CASE_ID,
        })]);
    let linked = reported().by(&worker(), link_child());
    assert_eq!(linked.case.child_id(), Some(OTHER_CHILD_ID));
    // The report keeps the identity it was taken with: nothing is overwritten.
    assert_eq!(linked.case.report.as_ref().unwrap().fact.child_id, CHILD_ID);
    given(&linked)
        .when_async(cmd(&approver(), CaseAction::UnlinkChild))
        .await
        .then_expect_events(vec![CaseEvent::ChildUnlinked(ChildUnlinked {
            unlinked_at: now(),
            child_id: CHILD_ID,
            previous_child_id: OTHER_CHILD_ID,
        })]);
    let unlinked = linked.by(&approver(), CaseAction::UnlinkChild);
    assert_eq!(unlinked.case.child_id(), Some(CHILD_ID));
}

#[tokio::test]
async fn an_unlink_needs_a_link_and_a_link_needs_another_child() {
    given(&reported())
        .when_async(cmd(&worker(), CaseAction::UnlinkChild))
        .await
        .then_expect_error(CaseError::ChildNotLinked);
    given(&reported().by(&worker(), link_child()))
        .when_async(cmd(&worker(), link_child()))
        .await
        .then_expect_error(CaseError::ChildAlreadyLinked);
    given(&reported())
        .when_async(cmd(
            &worker(),
            CaseAction::LinkChild(LinkChild {
                same_as_case_id: CASE_ID,
                child_id: OTHER_CHILD_ID,
            }),
        ))
        .await
        .then_expect_error(CaseError::LinkedCaseIsSelf);
}

#[tokio::test]
async fn a_different_child_is_said_once() {
    given(&reported())
        .when_async(cmd(&worker(), distinguish_child()))
        .await
        .then_expect_events(vec![CaseEvent::ChildDistinguished(ChildDistinguished {
            decided_at: now(),
            other_case_id: OTHER_CASE_ID,
        })]);
    let story = reported().by(&worker(), distinguish_child());
    assert_eq!(story.case.distinct_from, vec![OTHER_CASE_ID]);
    given(&story)
        .when_async(cmd(&worker(), distinguish_child()))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn cases_said_at_intake_to_be_another_child_are_kept_on_the_report() {
    let events = given_no_case()
        .when_async(cmd(
            &operator(),
            report(ReportCase {
                not_same_as: vec![OTHER_CASE_ID, OTHER_CASE_ID],
                ..report_case()
            }),
        ))
        .await
        .inspect_result()
        .expect("reported");
    let CaseEvent::CaseReported(r) = &events[0] else {
        panic!("reported first");
    };
    assert_eq!(r.not_same_as, vec![OTHER_CASE_ID]);
}
