//! Review (*rà soát, đánh giá*, ND56 art. 30, Mẫu 06): once per approved plan; `close` proposes
//! closure as resolved, `continue` opens a new plan cycle.

use crate::case::aggregate::Case;
use crate::case::business_time::Bounds;
use crate::case::commands::RecordReview;
use crate::case::errors::CaseError;
use crate::case::events::*;
use crate::codes::*;

impl Case {
    pub(super) fn review(&self, c: RecordReview, t: Bounds) -> super::Steps {
        match self.status {
            CaseStatus::InProgress if self.plan_in_force().is_some() => {}
            CaseStatus::ClosureProposed => return Err(CaseError::ClosurePending),
            CaseStatus::AwaitingApproval if self.plan_in_force().is_some() => {
                return Err(CaseError::PlanAwaitingApproval)
            }
            _ => return Err(CaseError::PlanNotApproved),
        }
        if ReviewCriterion::ALL
            .iter()
            .any(|k| !c.ratings.contains_key(k))
        {
            return Err(CaseError::ReviewRatingsIncomplete);
        }
        let approved_at = self
            .plan_in_force()
            .and_then(|p| p.approval.as_ref())
            .map(|a| a.fact.decided_at);
        t.following(
            "reviewed_at",
            c.reviewed_at,
            &[
                ("plan approval", approved_at),
                ("review", self.reviews.last().map(|r| r.fact.reviewed_at)),
            ],
        )?;
        let mut events = vec![CaseEvent::ReviewRecorded(ReviewRecorded {
            reviewed_at: c.reviewed_at,
            ratings: c.ratings,
            outcome: c.outcome,
            notes: c.notes,
        })];
        if c.outcome == ReviewOutcome::Close {
            events.push(CaseEvent::ClosureProposed(ClosureProposed {
                proposed_at: c.reviewed_at,
                reason: ClosureReason::Resolved,
                origin: ProposalOrigin::Review,
                linked_case_id: None,
                comment: None,
            }));
        }
        Ok(events)
    }
}
