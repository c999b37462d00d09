//! Closure (*đóng hồ sơ*, ND56 art. 30(1)(b)): the worker proposes (or a step does), the chair
//! decides. `resolved` needs a `close` review; a rejected `close` review sends the case back to
//! planning (`aggregate.rs`, and the plan clock in the rule table).

use crate::case::aggregate::Case;
use crate::case::business_time::Bounds;
use crate::case::commands::{DecideClosure, ProposeClosure};
use crate::case::errors::CaseError;
use crate::case::events::*;
use crate::codes::*;
use crate::text::LongText;
use uuid::Uuid;

impl Case {
    fn check_closure_links(
        &self,
        reason: ClosureReason,
        linked_case_id: Option<Uuid>,
        comment: Option<&LongText>,
    ) -> Result<(), CaseError> {
        if linked_case_id.is_some() && linked_case_id == self.id() {
            return Err(CaseError::LinkedCaseIsSelf);
        }
        match reason {
            ClosureReason::Duplicate if linked_case_id.is_none() => {
                Err(CaseError::LinkedCaseRequired)
            }
            ClosureReason::Other if comment.is_none() => Err(CaseError::ClosureCommentRequired),
            _ => Ok(()),
        }
    }

    pub(super) fn propose_closure(&self, c: ProposeClosure, t: Bounds) -> super::Steps {
        if self.closure_proposal.is_some() {
            return Err(CaseError::ClosureAlreadyProposed);
        }
        if matches!(c.reason, ClosureReason::Resolved | ClosureReason::Unfounded) {
            return Err(CaseError::ClosureReasonNeedsStep {
                reason: c.reason.code(),
            });
        }
        self.check_closure_links(c.reason, c.linked_case_id, c.comment.as_ref())?;
        t.following(
            "proposed_at",
            c.proposed_at,
            &[("report", self.received_at())],
        )?;
        Ok(vec![CaseEvent::ClosureProposed(ClosureProposed {
            proposed_at: c.proposed_at,
            reason: c.reason,
            origin: ProposalOrigin::Worker,
            linked_case_id: c.linked_case_id,
            comment: c.comment,
        })])
    }

    pub(super) fn decide_closure(&self, c: DecideClosure, t: Bounds) -> super::Steps {
        let proposal = &self
            .closure_proposal
            .as_ref()
            .ok_or(CaseError::ClosureNotProposed)?
            .proposal
            .fact;
        t.following(
            "decided_at",
            c.decided_at,
            &[("closure proposal", Some(proposal.proposed_at))],
        )?;
        match c.decision {
            ClosureDecision::Approve => {
                let reason = c.reason.unwrap_or(proposal.reason);
                // Only a `close` review finds a child safe and stable (ND56 art. 30) [policy].
                if reason == ClosureReason::Resolved && proposal.origin != ProposalOrigin::Review {
                    return Err(CaseError::ResolvedNeedsCloseReview);
                }
                let linked_case_id = c.linked_case_id.or(proposal.linked_case_id);
                let comment = c.comment.or_else(|| proposal.comment.clone());
                self.check_closure_links(reason, linked_case_id, comment.as_ref())?;
                Ok(vec![CaseEvent::CaseClosed(CaseClosed {
                    decided_at: c.decided_at,
                    reason,
                    linked_case_id,
                    comment,
                })])
            }
            ClosureDecision::Reject => Ok(vec![CaseEvent::ClosureRejected(ClosureRejected {
                decided_at: c.decided_at,
                comment: c.comment.ok_or(CaseError::RejectCommentRequired)?,
            })]),
        }
    }
}
