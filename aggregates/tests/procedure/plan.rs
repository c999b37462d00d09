//! Steps 6 and 7: the support and intervention plan (*xây dựng kế hoạch*, ND56 art. 28(1), Mẫu
//! 04/05), approved by the approver (ND56 art. 28(4)) or returned for revision ([policy]). An
//! approval is bound to the plan version it approved; changing the plan needs a new approval.

use crate::support::*;
use aggregates::case::*;
use aggregates::codes::*;
use uuid::Uuid;

fn items_of(inputs: Vec<PlanItemInput>) -> Vec<PlanItem> {
    inputs
        .into_iter()
        .map(|i| PlanItem {
            item_id: i.item_id,
            measure: i.measure,
            service_type: i.service_type,
            responsible: i.responsible,
            provider: i.provider,
            starts_on: i.starts_on,
            ends_on: i.ends_on,
            cost_estimate_vnd: i.cost_estimate_vnd,
        })
        .collect()
}

fn returned_at() -> chrono::DateTime<chrono::Utc> {
    approved()
}

/// Version 1 returned on Monday 9 March, version 2 submitted on Tuesday 10 March.
fn resubmitted() -> Story {
    awaiting_approval()
        .by(&approver(), return_plan(1, returned_at()))
        .by(
            &worker(),
            plan(at("2026-03-10T10:00:00+07:00"), story_items()),
        )
}

#[tokio::test]
async fn the_first_plan_meets_the_plan_clock_and_starts_the_2_working_day_approval_clock() {
    // Submitted Friday 6 March 10:00: approval due by 24:00 on Tuesday 10 March (Mon 9, Tue 10).
    given(&planning())
        .when_async(cmd(&worker(), plan(submitted(), story_items())))
        .await
        .then_expect_events(vec![
            CaseEvent::PlanSubmitted(PlanSubmitted {
                submitted_at: submitted(),
                version: 1,
                items: items_of(story_items()),
            }),
            status_changed(
                submitted(),
                CaseStatus::Planning,
                CaseStatus::AwaitingApproval,
            ),
            met("plan_submission/1", submitted(), false),
            started(
                "plan_approval/1",
                submitted(),
                at("2026-03-11T00:00:00+07:00"),
                at("2026-03-09T20:30:00+07:00"),
            ),
        ]);
    let story = awaiting_approval();
    assert_eq!(story.case.status, CaseStatus::AwaitingApproval);
    assert_eq!(
        story.case.submitted_plan().map(|p| p.status),
        Some(PlanStatus::Submitted)
    );
}

#[tokio::test]
async fn a_plan_follows_the_assessments_and_urgent_measures() {
    let cases = [
        (reported(), CaseError::InitialAssessmentMissing),
        (emergency(), CaseError::UrgentMeasuresPending),
        (assessment(), CaseError::DetailedAssessmentMissing),
        (awaiting_approval(), CaseError::PlanAwaitingApproval),
        (
            planning().by(&worker(), propose(ClosureReason::Duplicate, met_at())),
            CaseError::ClosurePending,
        ),
    ];
    for (story, error) in cases {
        given(&story)
            .when_async(cmd(&worker(), plan(submitted(), story_items())))
            .await
            .then_expect_error(error);
    }
}

#[tokio::test]
async fn a_plan_has_at_least_one_item() {
    given(&planning())
        .when_async(cmd(&worker(), plan(submitted(), vec![])))
        .await
        .then_expect_error(CaseError::PlanItemsRequired);
}

#[tokio::test]
async fn an_item_does_not_end_before_it_starts() {
    let items = vec![
        item(ITEM_A, "2026-03-10", "2026-03-10"),
        item(ITEM_B, "2026-03-10", "2026-03-09"),
    ];
    given(&planning())
        .when_async(cmd(&worker(), plan(submitted(), items)))
        .await
        .then_expect_error(CaseError::PlanItemDatesInverted { index: 2 });
}

#[tokio::test]
async fn a_plan_is_submitted_after_the_detailed_assessment_the_last_decision_and_the_last_review() {
    // The needs meeting (after the detailed assessment) is now the latest step it follows.
    given(&planning())
        .when_async(cmd(
            &worker(),
            plan(plus_minutes(detailed_at(), -1), story_items()),
        ))
        .await
        .then_expect_error(CaseError::TimeBeforeStep {
            field: "submitted_at",
            step: "needs meeting",
        });
    let returned = awaiting_approval().by(&approver(), return_plan(1, returned_at()));
    given(&returned)
        .when_async(cmd(
            &worker(),
            plan(plus_minutes(returned_at(), -1), story_items()),
        ))
        .await
        .then_expect_error(CaseError::TimeBeforeStep {
            field: "submitted_at",
            step: "plan decision",
        });
    let continued = in_progress()
        .by(&worker(), review(ReviewOutcome::Continue, reviewed()))
        .by(&approver(), meeting(reviewed()));
    given(&continued)
        .when_async(cmd(
            &worker(),
            plan(plus_minutes(reviewed(), -1), story_items()),
        ))
        .await
        .then_expect_error(CaseError::TimeBeforeStep {
            field: "submitted_at",
            step: "review",
        });
}

#[tokio::test]
async fn a_plan_is_not_submitted_in_the_future() {
    given(&planning())
        .when_async(cmd(&worker(), plan(plus_minutes(now(), 6), story_items())))
        .await
        .then_expect_error(CaseError::TimeInFuture {
            field: "submitted_at",
        });
}

#[tokio::test]
async fn the_worker_drafts_the_plan_not_the_approver() {
    given(&planning())
        .when_async(cmd(&approver(), plan(submitted(), story_items())))
        .await
        .then_expect_error(CaseError::RoleNotAllowed);
}

#[tokio::test]
async fn the_approver_approves_and_each_item_and_the_review_get_their_clock() {
    // Item A is due at the end of 10 April, item B and the review at the end of 28 April.
    given(&awaiting_approval())
        .when_async(cmd(&approver(), approve(1, approved())))
        .await
        .then_expect_events(vec![
            CaseEvent::PlanApproved(PlanApproved {
                decided_at: approved(),
                version: 1,
                comment: None,
            }),
            status_changed(
                approved(),
                CaseStatus::AwaitingApproval,
                CaseStatus::InProgress,
            ),
            met("plan_approval/1", approved(), false),
            started(
                &format!("plan_item_end/{ITEM_A}"),
                approved(),
                at("2026-04-11T00:00:00+07:00"),
                at("2026-04-02T20:30:00+07:00"),
            ),
            started(
                &format!("plan_item_end/{ITEM_B}"),
                approved(),
                at("2026-04-29T00:00:00+07:00"),
                at("2026-04-16T08:30:00+07:00"),
            ),
            started(
                "review/1",
                approved(),
                at("2026-04-29T00:00:00+07:00"),
                at("2026-04-16T08:30:00+07:00"),
            ),
        ]);
    let story = in_progress();
    assert_eq!(story.case.status, CaseStatus::InProgress);
    assert_eq!(
        story
            .case
            .approved_plan()
            .map(|p| p.submission.fact.version),
        Some(1)
    );
}

#[tokio::test]
async fn the_approver_returns_a_plan_with_reasons_and_the_worker_has_5_working_days_to_resubmit() {
    // Returned Monday 9 March 10:00: Tue 10 .. Mon 16 March.
    given(&awaiting_approval())
        .when_async(cmd(&approver(), return_plan(1, returned_at())))
        .await
        .then_expect_events(vec![
            CaseEvent::PlanReturned(PlanReturned {
                decided_at: returned_at(),
                version: 1,
                comment: long("Add a measure for the parents"),
            }),
            status_changed(
                returned_at(),
                CaseStatus::AwaitingApproval,
                CaseStatus::Planning,
            ),
            met("plan_approval/1", returned_at(), false),
            started(
                "plan_resubmission/1",
                returned_at(),
                at("2026-03-17T00:00:00+07:00"),
                at("2026-03-15T02:30:00+07:00"),
            ),
        ]);
    let story = awaiting_approval().by(&approver(), return_plan(1, returned_at()));
    assert_eq!(story.case.status, CaseStatus::Planning);
}

#[tokio::test]
async fn a_returned_plan_is_resubmitted_as_the_next_version() {
    let resubmission = at("2026-03-10T10:00:00+07:00");
    let returned = awaiting_approval().by(&approver(), return_plan(1, returned_at()));
    given(&returned)
        .when_async(cmd(&worker(), plan(resubmission, story_items())))
        .await
        .then_expect_events(vec![
            CaseEvent::PlanSubmitted(PlanSubmitted {
                submitted_at: resubmission,
                version: 2,
                items: items_of(story_items()),
            }),
            status_changed(
                resubmission,
                CaseStatus::Planning,
                CaseStatus::AwaitingApproval,
            ),
            met("plan_resubmission/1", resubmission, false),
            started(
                "plan_approval/2",
                resubmission,
                at("2026-03-13T00:00:00+07:00"),
                at("2026-03-12T08:30:00+07:00"),
            ),
        ]);
}

#[tokio::test]
async fn an_approval_is_bound_to_the_plan_version_it_decides_on() {
    let story = resubmitted();
    let error = given(&story)
        .when_async(cmd(
            &approver(),
            approve(1, at("2026-03-11T10:00:00+07:00")),
        ))
        .await
        .inspect_result()
        .expect_err("version 1 was returned");
    assert_eq!(
        error,
        CaseError::PlanVersionMismatch {
            sent: 1,
            submitted: 2
        }
    );
    assert_eq!(error.code(), "plan_version_mismatch");
    let events = given(&story)
        .when_async(cmd(
            &approver(),
            approve(2, at("2026-03-11T10:00:00+07:00")),
        ))
        .await
        .inspect_result()
        .expect("version 2 awaits");
    assert_eq!(
        steps(&events),
        [
            CaseEvent::PlanApproved(PlanApproved {
                decided_at: at("2026-03-11T10:00:00+07:00"),
                version: 2,
                comment: None
            }),
            status_changed(
                at("2026-03-11T10:00:00+07:00"),
                CaseStatus::AwaitingApproval,
                CaseStatus::InProgress,
            ),
        ]
    );
}

#[tokio::test]
async fn there_is_nothing_to_decide_without_a_submitted_plan() {
    given(&planning())
        .when_async(cmd(&approver(), approve(1, approved())))
        .await
        .then_expect_error(CaseError::PlanNotSubmitted);
    given(&in_progress())
        .when_async(cmd(&approver(), approve(1, delivered())))
        .await
        .then_expect_error(CaseError::PlanNotSubmitted);
}

#[tokio::test]
async fn returning_a_plan_says_what_to_change() {
    let mut action = return_plan(1, approved());
    if let CaseAction::DecidePlan(d) = &mut action {
        d.comment = None;
    }
    given(&awaiting_approval())
        .when_async(cmd(&approver(), action))
        .await
        .then_expect_error(CaseError::ReturnCommentRequired);
}

#[tokio::test]
async fn the_decision_follows_the_submission_and_does_not_lie_in_the_future() {
    given(&awaiting_approval())
        .when_async(cmd(&approver(), approve(1, plus_minutes(submitted(), -1))))
        .await
        .then_expect_error(CaseError::TimeBeforeStep {
            field: "decided_at",
            step: "plan submission",
        });
    given(&awaiting_approval())
        .when_async(cmd(&approver(), approve(1, plus_minutes(now(), 6))))
        .await
        .then_expect_error(CaseError::TimeInFuture {
            field: "decided_at",
        });
}

#[tokio::test]
async fn the_worker_does_not_approve_its_own_plan() {
    given(&awaiting_approval())
        .when_async(cmd(&worker(), approve(1, approved())))
        .await
        .then_expect_error(CaseError::RoleNotAllowed);
}

fn adjustment_items() -> Vec<PlanItemInput> {
    vec![item(ITEM_C, "2026-03-12", "2026-05-15")]
}

#[test]
fn an_adjustment_needs_a_new_approval_and_the_approved_plan_stays_in_force_meanwhile() {
    let mut story = in_progress().by(
        &worker(),
        plan(at("2026-03-12T10:00:00+07:00"), adjustment_items()),
    );
    assert_eq!(story.case.status, CaseStatus::AwaitingApproval);
    assert_eq!(
        story
            .case
            .approved_plan()
            .map(|p| p.submission.fact.version),
        Some(1)
    );
    // Services go on under version 1; version 2's item is not approved yet.
    story.run(cmd(
        &worker(),
        service(ITEM_A, at("2026-03-13T10:00:00+07:00"), false),
    ));
    assert_eq!(
        story.try_run(cmd(
            &worker(),
            service(ITEM_C, at("2026-03-13T10:00:00+07:00"), false)
        )),
        Err(CaseError::PlanItemUnknown)
    );
    story.run(cmd(
        &approver(),
        approve(2, at("2026-03-16T10:00:00+07:00")),
    ));
    assert_eq!(story.case.status, CaseStatus::InProgress);
    let statuses: Vec<_> = story.case.plans.iter().map(|p| p.status).collect();
    assert_eq!(statuses, [PlanStatus::Superseded, PlanStatus::Approved]);
    assert_eq!(
        story.try_run(cmd(
            &worker(),
            service(ITEM_A, at("2026-03-17T10:00:00+07:00"), false)
        )),
        Err(CaseError::PlanItemUnknown)
    );
}

#[test]
fn a_returned_adjustment_leaves_the_approved_plan_in_force() {
    let story = in_progress()
        .by(
            &worker(),
            plan(at("2026-03-12T10:00:00+07:00"), adjustment_items()),
        )
        .by(&approver(), return_plan(2, at("2026-03-13T10:00:00+07:00")));
    assert_eq!(story.case.status, CaseStatus::InProgress);
    let statuses: Vec<_> = story.case.plans.iter().map(|p| p.status).collect();
    assert_eq!(statuses, [PlanStatus::Approved, PlanStatus::Returned]);
}

#[test]
fn plan_versions_count_every_submission() {
    let story = resubmitted()
        .by(&approver(), approve(2, at("2026-03-11T10:00:00+07:00")))
        .by(
            &worker(),
            plan(
                at("2026-03-12T10:00:00+07:00"),
                vec![item(Uuid::from_u128(0xD), "2026-03-12", "2026-03-31")],
            ),
        );
    let versions: Vec<_> = story
        .case
        .plans
        .iter()
        .map(|p| p.submission.fact.version)
        .collect();
    assert_eq!(versions, [1, 2, 3]);
}

#[tokio::test]
async fn a_plan_needs_the_needs_meeting_of_its_cycle_first() {
    // ND56 art. 27(2), 28(2)(b): the meeting's minutes are part of the plan dossier.
    let without_meeting = assessment().by(&worker(), detailed(detailed_at()));
    given(&without_meeting)
        .when_async(cmd(&worker(), plan(submitted(), story_items())))
        .await
        .then_expect_error(CaseError::NeedsMeetingMissing);
    // A returned plan of the same cycle is resubmitted without a new meeting.
    let returned = awaiting_approval().by(&approver(), return_plan(1, approved()));
    assert!(returned
        .decide(cmd(
            &worker(),
            plan(plus_minutes(approved(), 60), story_items())
        ))
        .is_ok());
}

#[tokio::test]
async fn a_plan_returned_in_a_continue_cycle_keeps_the_case_in_planning() {
    // [policy] ND56 art. 30: after a `continue` review the old plan is no longer in force, so a
    // returned new plan is not an adjustment: the case stays in planning and the resubmission
    // clock runs.
    let story = in_progress()
        .by(&worker(), service(ITEM_A, delivered(), true))
        .by(&worker(), review(ReviewOutcome::Continue, reviewed()))
        .by(&approver(), meeting(plus_minutes(reviewed(), 60)))
        .by(
            &worker(),
            plan(
                plus_minutes(reviewed(), 120),
                vec![item(ITEM_C, "2026-05-04", "2026-06-30")],
            ),
        );
    let story = story.by(&approver(), return_plan(2, plus_minutes(reviewed(), 180)));
    assert_eq!(story.case.status, CaseStatus::Planning);
    assert!(story.deadline("plan_resubmission/1").is_open());
}

#[tokio::test]
async fn a_returned_adjustment_of_an_approved_plan_starts_no_clock() {
    // [policy]: the approved plan stays in force while its adjustment is returned.
    let story = in_progress()
        .by(
            &worker(),
            plan(
                plus_minutes(approved(), 60),
                vec![item(ITEM_C, "2026-03-10", "2026-04-30")],
            ),
        )
        .by(&approver(), return_plan(2, plus_minutes(approved(), 120)));
    assert_eq!(story.case.status, CaseStatus::InProgress);
    assert!(story
        .case
        .deadlines
        .iter()
        .all(|d| d.rule_id != "plan_resubmission"));
}
