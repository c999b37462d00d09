//! The support and intervention plan (*kế hoạch hỗ trợ, can thiệp*, ND56 art. 28, Mẫu 04/05):
//! submitted after the cycle's needs meeting, approved or returned by the chair.

use crate::case::aggregate::Case;
use crate::case::business_time::Bounds;
use crate::case::commands::{DecidePlan, SubmitPlan};
use crate::case::errors::CaseError;
use crate::case::events::*;
use crate::codes::*;

impl Case {
    pub(super) fn submit_plan(&self, c: SubmitPlan, t: Bounds) -> super::Steps {
        match self.status {
            CaseStatus::Planning | CaseStatus::InProgress => {}
            CaseStatus::Reported => return Err(CaseError::InitialAssessmentMissing),
            CaseStatus::Emergency => return Err(CaseError::UrgentMeasuresPending),
            CaseStatus::Assessment => return Err(CaseError::DetailedAssessmentMissing),
            CaseStatus::AwaitingApproval => return Err(CaseError::PlanAwaitingApproval),
            CaseStatus::ClosureProposed => return Err(CaseError::ClosurePending),
            CaseStatus::Closed => return Err(CaseError::CaseClosed),
        }
        // The meeting's minutes are part of the plan dossier (ND56 art. 27(2), 28(2)(b)).
        if !self.cycle_has_needs_meeting() {
            return Err(CaseError::NeedsMeetingMissing);
        }
        if c.items.is_empty() {
            return Err(CaseError::PlanItemsRequired);
        }
        if let Some(index) = c.items.iter().position(|i| i.ends_on < i.starts_on) {
            return Err(CaseError::PlanItemDatesInverted { index: index + 1 });
        }
        let last_decision = self.plans.last().and_then(|p| {
            p.approval
                .as_ref()
                .map(|a| a.fact.decided_at)
                .or(p.returned.as_ref().map(|r| r.fact.decided_at))
        });
        let last_review = self.reviews.last().map_or(0, |r| r.sequence);
        let meeting = self
            .needs_meetings
            .iter()
            .filter(|m| m.sequence > last_review)
            .map(|m| m.fact.held_at)
            .min();
        t.following(
            "submitted_at",
            c.submitted_at,
            &[
                (
                    "detailed assessment",
                    self.detailed_assessment
                        .as_ref()
                        .map(|d| d.fact.assessed_at),
                ),
                ("needs meeting", meeting),
                ("plan decision", last_decision),
                ("review", self.reviews.last().map(|r| r.fact.reviewed_at)),
            ],
        )?;
        let version = u32::try_from(self.plans.len()).unwrap_or(u32::MAX - 1) + 1;
        Ok(vec![CaseEvent::PlanSubmitted(PlanSubmitted {
            submitted_at: c.submitted_at,
            version,
            items: c
                .items
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
                .collect(),
        })])
    }

    pub(super) fn decide_plan(&self, c: DecidePlan, t: Bounds) -> super::Steps {
        let plan = self.submitted_plan().ok_or(CaseError::PlanNotSubmitted)?;
        let submitted = plan.submission.fact.version;
        if c.plan_version != submitted {
            return Err(CaseError::PlanVersionMismatch {
                sent: c.plan_version,
                submitted,
            });
        }
        t.following(
            "decided_at",
            c.decided_at,
            &[("plan submission", Some(plan.submission.fact.submitted_at))],
        )?;
        Ok(vec![match c.decision {
            PlanDecision::Approve => CaseEvent::PlanApproved(PlanApproved {
                decided_at: c.decided_at,
                version: submitted,
                comment: c.comment,
            }),
            PlanDecision::Return => CaseEvent::PlanReturned(PlanReturned {
                decided_at: c.decided_at,
                version: submitted,
                comment: c.comment.ok_or(CaseError::ReturnCommentRequired)?,
            }),
        }])
    }
}
