//! Step 10, closure (*đóng hồ sơ*, ND56 art. 30(1)(b)): decided by the approver on the worker's
//! proposal. A review or an unfounded report proposes it by itself; the worker proposes it for a
//! duplicate, a transfer out of the system, a child who reached 18, or another stated reason.

use crate::support::*;
use aggregates::case::*;
use aggregates::codes::*;
use aggregates::deadlines::{CancelReason, DeadlineState};

fn proposed_at() -> chrono::DateTime<chrono::Utc> {
    detailed_at()
}

#[tokio::test]
async fn the_worker_proposes_closing_a_duplicate_naming_the_case_kept() {
    // Proposed Wednesday 4 March 10:00: the approver decides by 24:00 on Friday 6 March.
    given(&assessment())
        .when_async(cmd(
            &worker(),
            propose(ClosureReason::Duplicate, proposed_at()),
        ))
        .await
        .then_expect_events(vec![
            CaseEvent::ClosureProposed(ClosureProposed {
                proposed_at: proposed_at(),
                reason: ClosureReason::Duplicate,
                origin: ProposalOrigin::Worker,
                linked_case_id: Some(OTHER_CASE_ID),
                comment: None,
            }),
            status_changed(
                proposed_at(),
                CaseStatus::Assessment,
                CaseStatus::ClosureProposed,
            ),
            started(
                "closure_decision/1",
                proposed_at(),
                at("2026-03-07T00:00:00+07:00"),
                at("2026-03-06T08:30:00+07:00"),
            ),
        ]);
}

#[tokio::test]
async fn resolved_and_unfounded_are_proposed_by_their_step_not_directly() {
    for (reason, code) in [
        (ClosureReason::Resolved, "resolved"),
        (ClosureReason::Unfounded, "unfounded"),
    ] {
        given(&assessment())
            .when_async(cmd(&worker(), propose(reason, proposed_at())))
            .await
            .then_expect_error(CaseError::ClosureReasonNeedsStep { reason: code });
    }
}

#[tokio::test]
async fn a_duplicate_names_another_case() {
    let mut action = propose(ClosureReason::Duplicate, proposed_at());
    if let CaseAction::ProposeClosure(p) = &mut action {
        p.linked_case_id = None;
    }
    given(&assessment())
        .when_async(cmd(&worker(), action.clone()))
        .await
        .then_expect_error(CaseError::LinkedCaseRequired);
    if let CaseAction::ProposeClosure(p) = &mut action {
        p.linked_case_id = Some(CASE_ID);
    }
    given(&assessment())
        .when_async(cmd(&worker(), action))
        .await
        .then_expect_error(CaseError::LinkedCaseIsSelf);
}

#[tokio::test]
async fn another_reason_is_stated() {
    let mut action = propose(ClosureReason::Other, proposed_at());
    if let CaseAction::ProposeClosure(p) = &mut action {
        p.comment = None;
    }
    given(&assessment())
        .when_async(cmd(&worker(), action))
        .await
        .then_expect_error(CaseError::ClosureCommentRequired);
    for reason in [
        ClosureReason::TransferredOut,
        ClosureReason::ReachedAdulthood,
        ClosureReason::Other,
    ] {
        let result = given(&assessment())
            .when_async(cmd(&worker(), propose(reason, proposed_at())))
            .await
            .inspect_result();
        assert!(result.is_ok(), "{reason:?}");
    }
}

#[tokio::test]
async fn one_closure_proposal_at_a_time() {
    given(&closure_proposed())
        .when_async(cmd(
            &worker(),
            propose(ClosureReason::ReachedAdulthood, reviewed()),
        ))
        .await
        .then_expect_error(CaseError::ClosureAlreadyProposed);
}

#[tokio::test]
async fn a_proposal_follows_the_report_and_does_not_lie_in_the_future() {
    given(&reported())
        .when_async(cmd(
            &worker(),
            propose(ClosureReason::Duplicate, plus_minutes(received(), -1)),
        ))
        .await
        .then_expect_error(CaseError::TimeBeforeStep {
            field: "proposed_at",
            step: "report",
        });
    given(&reported())
        .when_async(cmd(
            &worker(),
            propose(ClosureReason::Duplicate, plus_minutes(now(), 6)),
        ))
        .await
        .then_expect_error(CaseError::TimeInFuture {
            field: "proposed_at",
        });
}

#[tokio::test]
async fn the_approver_decides_closure_but_does_not_propose_it() {
    given(&assessment())
        .when_async(cmd(
            &approver(),
            propose(ClosureReason::Duplicate, proposed_at()),
        ))
        .await
        .then_expect_error(CaseError::RoleNotAllowed);
    given(&closure_proposed())
        .when_async(cmd(&worker(), close(closed_at())))
        .await
        .then_expect_error(CaseError::RoleNotAllowed);
}

#[tokio::test]
async fn the_approver_closes_the_case_and_every_clock_still_running_stops() {
    // Item B's clock is still running: closing cancels it.
    given(&closure_proposed())
        .when_async(cmd(&approver(), close(closed_at())))
        .await
        .then_expect_events(vec![
            CaseEvent::CaseClosed(CaseClosed {
                decided_at: closed_at(),
                reason: ClosureReason::Resolved,
                linked_case_id: None,
                comment: None,
            }),
            status_changed(closed_at(), CaseStatus::ClosureProposed, CaseStatus::Closed),
            met("closure_decision/1", closed_at(), false),
            cancelled(
                &format!("plan_item_end/{ITEM_B}"),
                closed_at(),
                CancelReason::CaseClosed,
            ),
        ]);
    let story = closed();
    assert_eq!(story.case.status, CaseStatus::Closed);
    assert_eq!(story.case.open_deadlines().count(), 0);
    assert_eq!(
        story
            .deadline(&format!("plan_item_end/{ITEM_B}"))
            .state_at(now()),
        DeadlineState::Cancelled
    );
}

#[tokio::test]
async fn rejecting_a_closure_that_a_close_review_proposed_returns_the_case_to_planning() {
    // [policy] ND56 art. 30: the reviewed plan is no longer in force; a new plan is due in 5
    // working days from Monday 4 May 10:00, by 24:00 on Monday 11 May.
    given(&closure_proposed())
        .when_async(cmd(&approver(), reject_closure(closed_at())))
        .await
        .then_expect_events(vec![
            CaseEvent::ClosureRejected(ClosureRejected {
                decided_at: closed_at(),
                comment: long("Follow the child until the school year ends"),
            }),
            status_changed(
                closed_at(),
                CaseStatus::ClosureProposed,
                CaseStatus::Planning,
            ),
            met("closure_decision/1", closed_at(), false),
            started(
                "plan_submission/2",
                closed_at(),
                at("2026-05-12T00:00:00+07:00"),
                at("2026-05-10T02:30:00+07:00"),
            ),
        ]);
    let story = closure_proposed().by(&approver(), reject_closure(closed_at()));
    assert_eq!(story.case.status, CaseStatus::Planning);
    assert!(story.case.closure_proposal.is_none());
    // The reviewed plan is reviewed once: no second review of it.
    assert_eq!(
        story.decide(cmd(&worker(), review(ReviewOutcome::Close, closed_at()))),
        Err(CaseError::PlanNotApproved)
    );
}

#[tokio::test]
async fn the_chair_does_not_turn_another_proposal_into_resolved() {
    // [policy] ND56 art. 30: `resolved` needs a review with outcome `close`.
    let proposed = in_progress().by(
        &worker(),
        propose(ClosureReason::TransferredOut, delivered()),
    );
    let as_resolved = CaseAction::DecideClosure(DecideClosure {
        decided_at: closed_at(),
        decision: ClosureDecision::Approve,
        reason: Some(ClosureReason::Resolved),
        linked_case_id: None,
        comment: None,
    });
    given(&proposed)
        .when_async(cmd(&approver(), as_resolved))
        .await
        .then_expect_error(CaseError::ResolvedNeedsCloseReview);
}

#[tokio::test]
async fn a_child_who_turned_16_is_closed_as_such() {
    // LTE art. 1: a child is under 16; `turned_16` is proposed by the worker.
    let proposed = in_progress().by(
        &worker(),
        propose(ClosureReason::TurnedSixteen, delivered()),
    );
    let closed = proposed.by(&approver(), close(closed_at()));
    assert_eq!(
        closed.case.closure.as_ref().map(|c| c.fact.reason),
        Some(ClosureReason::TurnedSixteen)
    );
}

#[tokio::test]
async fn a_report_found_unfounded_but_kept_open_gets_its_plan_clock() {
    // Rejected Tuesday 3 March 10:00: the plan is due by 24:00 on Tuesday 10 March.
    let story = reported().by(&worker(), initial(InitialOutcome::NoConcern, assessed()));
    let rejected = at("2026-03-03T10:00:00+07:00");
    given(&story)
        .when_async(cmd(&approver(), reject_closure(rejected)))
        .await
        .then_expect_events(vec![
            CaseEvent::ClosureRejected(ClosureRejected {
                decided_at: rejected,
                comment: long("Follow the child until the school year ends"),
            }),
            status_changed(
                rejected,
                CaseStatus::ClosureProposed,
                CaseStatus::Assessment,
            ),
            met("closure_decision/1", rejected, false),
            started(
                "plan_submission/1",
                rejected,
                at("2026-03-11T00:00:00+07:00"),
                at("2026-03-09T02:30:00+07:00"),
            ),
        ]);
    let story = story.by(&approver(), reject_closure(rejected));
    assert_eq!(story.case.status, CaseStatus::Assessment);
}

#[tokio::test]
async fn there_is_no_closure_to_decide_without_a_proposal() {
    given(&in_progress())
        .when_async(cmd(&approver(), close(closed_at())))
        .await
        .then_expect_error(CaseError::ClosureNotProposed);
}

#[tokio::test]
async fn rejecting_a_closure_says_why() {
    let mut action = reject_closure(closed_at());
    if let CaseAction::DecideClosure(d) = &mut action {
        d.comment = None;
    }
    given(&closure_proposed())
        .when_async(cmd(&approver(), action))
        .await
        .then_expect_error(CaseError::RejectCommentRequired);
}

#[tokio::test]
async fn the_decision_follows_the_proposal_and_does_not_lie_in_the_future() {
    given(&closure_proposed())
        .when_async(cmd(&approver(), close(plus_minutes(reviewed(), -1))))
        .await
        .then_expect_error(CaseError::TimeBeforeStep {
            field: "decided_at",
            step: "closure proposal",
        });
    given(&closure_proposed())
        .when_async(cmd(&approver(), close(plus_minutes(now(), 6))))
        .await
        .then_expect_error(CaseError::TimeInFuture {
            field: "decided_at",
        });
}

#[tokio::test]
async fn the_approver_may_close_for_another_reason_than_proposed_with_that_reasons_conditions() {
    let decide = |reason, linked_case_id, comment: Option<&str>| {
        CaseAction::DecideClosure(DecideClosure {
            decided_at: closed_at(),
            decision: ClosureDecision::Approve,
            reason: Some(reason),
            linked_case_id,
            comment: comment.map(long),
        })
    };
    given(&closure_proposed())
        .when_async(cmd(
            &approver(),
            decide(ClosureReason::Duplicate, None, None),
        ))
        .await
        .then_expect_error(CaseError::LinkedCaseRequired);
    given(&closure_proposed())
        .when_async(cmd(
            &approver(),
            decide(ClosureReason::Duplicate, Some(CASE_ID), None),
        ))
        .await
        .then_expect_error(CaseError::LinkedCaseIsSelf);
    given(&closure_proposed())
        .when_async(cmd(&approver(), decide(ClosureReason::Other, None, None)))
        .await
        .then_expect_error(CaseError::ClosureCommentRequired);
    let events = given(&closure_proposed())
        .when_async(cmd(
            &approver(),
            decide(ClosureReason::Duplicate, Some(OTHER_CASE_ID), None),
        ))
        .await
        .inspect_result()
        .expect("accepted");
    assert_eq!(
        events[0],
        CaseEvent::CaseClosed(CaseClosed {
            decided_at: closed_at(),
            reason: ClosureReason::Duplicate,
            linked_case_id: Some(OTHER_CASE_ID),
            comment: None,
        })
    );
}

#[tokio::test]
async fn a_closure_keeps_the_proposals_link_and_comment_unless_the_approver_gives_its_own() {
    let story = assessment().by(&worker(), propose(ClosureReason::Other, proposed_at()));
    let events = given(&story)
        .when_async(cmd(&approver(), close(closed_at())))
        .await
        .inspect_result()
        .expect("accepted");
    assert_eq!(
        events[0],
        CaseEvent::CaseClosed(CaseClosed {
            decided_at: closed_at(),
            reason: ClosureReason::Other,
            linked_case_id: None,
            comment: Some(long("The family moved abroad")),
        })
    );
}

#[tokio::test]
async fn a_closure_decided_after_2_working_days_is_met_late() {
    let late = at("2026-05-05T08:00:00+07:00");
    let events = given(&closure_proposed())
        .when_async(cmd(&approver(), close(late)))
        .await
        .inspect_result()
        .expect("accepted");
    assert_eq!(met_ids(&events), [("closure_decision/1".to_owned(), true)]);
}
