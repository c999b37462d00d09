//! Step 9, the review (*rà soát, đánh giá*, ND56 art. 30, Mẫu 06): four criteria rated high /
//! medium / low; the outcome closes the case (safe and stable) or starts a new plan cycle.

use crate::support::*;
use aggregates::case::*;
use aggregates::codes::*;

/// The plan in force and item A completed.
fn served() -> Story {
    in_progress().by(&worker(), service(ITEM_A, delivered(), true))
}

fn review_recorded(outcome: ReviewOutcome) -> CaseEvent {
    CaseEvent::ReviewRecorded(ReviewRecorded {
        reviewed_at: reviewed(),
        ratings: all_ratings(Rating::Low),
        outcome,
        notes: Some(long("The child is safe and attends school")),
    })
}

#[tokio::test]
async fn a_review_finding_the_child_safe_proposes_closure() {
    // Reviewed Tuesday 28 April 10:00. The approver's 2 working days skip Thursday 30 April and
    // Friday 1 May (holidays) and the weekend: Wednesday 29 April and Monday 4 May.
    given(&served())
        .when_async(cmd(&worker(), review(ReviewOutcome::Close, reviewed())))
        .await
        .then_expect_events(vec![
            review_recorded(ReviewOutcome::Close),
            met("review/1", reviewed(), false),
            CaseEvent::ClosureProposed(ClosureProposed {
                proposed_at: reviewed(),
                reason: ClosureReason::Resolved,
                origin: ProposalOrigin::Review,
                linked_case_id: None,
                comment: None,
            }),
            status_changed(
                reviewed(),
                CaseStatus::InProgress,
                CaseStatus::ClosureProposed,
            ),
            started(
                "closure_decision/1",
                reviewed(),
                at("2026-05-05T00:00:00+07:00"),
                at("2026-05-03T08:30:00+07:00"),
            ),
        ]);
    assert_eq!(closure_proposed().case.status, CaseStatus::ClosureProposed);
}

#[tokio::test]
async fn a_review_continuing_the_intervention_starts_a_new_plan_cycle() {
    // Back to step 6: a new plan within 5 working days (29 April, 4–7 May).
    given(&served())
        .when_async(cmd(&worker(), review(ReviewOutcome::Continue, reviewed())))
        .await
        .then_expect_events(vec![
            review_recorded(ReviewOutcome::Continue),
            status_changed(reviewed(), CaseStatus::InProgress, CaseStatus::Planning),
            met("review/1", reviewed(), false),
            started(
                "plan_submission/2",
                reviewed(),
                at("2026-05-08T00:00:00+07:00"),
                at("2026-05-05T14:30:00+07:00"),
            ),
        ]);
    let story = served().by(&worker(), review(ReviewOutcome::Continue, reviewed()));
    assert_eq!(story.case.status, CaseStatus::Planning);
    // The new cycle's plan needs the new cycle's needs meeting (ND56 art. 27(2), 28(2)(b)).
    assert_eq!(
        story.decide(cmd(
            &worker(),
            plan(
                at("2026-04-30T10:00:00+07:00"),
                vec![item(ITEM_C, "2026-05-04", "2026-06-30")],
            ),
        )),
        Err(CaseError::NeedsMeetingMissing)
    );
    let story = story.by(&approver(), meeting(at("2026-04-29T10:00:00+07:00")));
    let next = story.decide(cmd(
        &worker(),
        plan(
            at("2026-04-30T10:00:00+07:00"),
            vec![item(ITEM_C, "2026-05-04", "2026-06-30")],
        ),
    ));
    let events = next.expect("a new plan is accepted");
    assert_eq!(met_ids(&events), [("plan_submission/2".to_owned(), false)]);
}

#[tokio::test]
async fn a_review_needs_an_approved_plan_in_force() {
    let cases = [
        (planning(), CaseError::PlanNotApproved),
        (awaiting_approval(), CaseError::PlanNotApproved),
        (
            served().by(&worker(), review(ReviewOutcome::Continue, reviewed())),
            CaseError::PlanNotApproved,
        ),
        (
            served().by(
                &worker(),
                plan(
                    at("2026-04-20T10:00:00+07:00"),
                    vec![item(ITEM_C, "2026-04-21", "2026-05-30")],
                ),
            ),
            CaseError::PlanAwaitingApproval,
        ),
        (
            served().by(
                &worker(),
                propose(ClosureReason::ReachedAdulthood, delivered()),
            ),
            CaseError::ClosurePending,
        ),
    ];
    for (story, error) in cases {
        given(&story)
            .when_async(cmd(&worker(), review(ReviewOutcome::Close, reviewed())))
            .await
            .then_expect_error(error);
    }
}

#[tokio::test]
async fn a_review_rates_all_four_criteria() {
    let mut action = review(ReviewOutcome::Close, reviewed());
    if let CaseAction::RecordReview(r) = &mut action {
        r.ratings
            .remove(&ReviewCriterion::ChildSelfProtectionRecovery);
    }
    given(&served())
        .when_async(cmd(&worker(), action))
        .await
        .then_expect_error(CaseError::ReviewRatingsIncomplete);
}

#[tokio::test]
async fn a_review_follows_the_approval_and_does_not_lie_in_the_future() {
    given(&served())
        .when_async(cmd(
            &worker(),
            review(ReviewOutcome::Close, plus_minutes(approved(), -1)),
        ))
        .await
        .then_expect_error(CaseError::TimeBeforeStep {
            field: "reviewed_at",
            step: "plan approval",
        });
    given(&served())
        .when_async(cmd(
            &worker(),
            review(ReviewOutcome::Close, plus_minutes(now(), 6)),
        ))
        .await
        .then_expect_error(CaseError::TimeInFuture {
            field: "reviewed_at",
        });
}

#[tokio::test]
async fn the_worker_reviews_not_the_approver() {
    given(&served())
        .when_async(cmd(&approver(), review(ReviewOutcome::Close, reviewed())))
        .await
        .then_expect_error(CaseError::RoleNotAllowed);
}

#[tokio::test]
async fn a_review_after_the_plans_last_end_date_is_met_late() {
    let late = at("2026-04-29T00:00:01+07:00");
    let events = given(&served())
        .when_async(cmd(&worker(), review(ReviewOutcome::Close, late)))
        .await
        .inspect_result()
        .expect("accepted");
    assert_eq!(met_ids(&events)[0], ("review/1".to_owned(), true));
}
