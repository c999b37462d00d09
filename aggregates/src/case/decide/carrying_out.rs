//! Carrying out the plan (ND56 art. 29): services per item, referrals, and the court steps
//! (LTE art. 52(3)).

use crate::case::aggregate::Case;
use crate::case::business_time::{not_before, Bounds};
use crate::case::commands::*;
use crate::case::errors::CaseError;
use crate::case::events::*;

impl Case {
    pub(super) fn service_delivery(&self, c: RecordServiceDelivery, t: Bounds) -> super::Steps {
        let plan = self.approved_plan().ok_or(CaseError::PlanNotApproved)?;
        if !plan
            .submission
            .fact
            .items
            .iter()
            .any(|i| i.item_id == c.item_id)
        {
            return Err(CaseError::PlanItemUnknown);
        }
        if self.item_completed(c.item_id) {
            return Err(CaseError::PlanItemCompleted);
        }
        let approved_at = plan.approval.as_ref().map(|a| a.fact.decided_at);
        t.following(
            "delivered_at",
            c.delivered_at,
            &[("plan approval", approved_at)],
        )?;
        Ok(vec![CaseEvent::ServiceDelivered(ServiceDelivered {
            item_id: c.item_id,
            delivered_at: c.delivered_at,
            notes: c.notes,
            completed: c.completed,
        })])
    }

    pub(super) fn referral(&self, c: RecordReferral, t: Bounds) -> super::Steps {
        t.following(
            "referred_at",
            c.referred_at,
            &[("report", self.received_at())],
        )?;
        Ok(vec![CaseEvent::ReferralMade(ReferralMade {
            referred_at: c.referred_at,
            to: c.to,
            to_kind: c.to_kind,
            service_type: c.service_type,
            notes: c.notes,
        })])
    }

    pub(super) fn court_petition(&self, c: FileCourtPetition, t: Bounds) -> super::Steps {
        t.following("filed_at", c.filed_at, &[("report", self.received_at())])?;
        Ok(vec![CaseEvent::CourtPetitionFiled(CourtPetitionFiled {
            filed_at: c.filed_at,
            court: c.court,
            ground: c.ground,
            notes: c.notes,
        })])
    }

    pub(super) fn court_order(&self, c: RecordCourtOrder, t: Bounds) -> super::Steps {
        t.following(
            "ordered_at",
            c.ordered_at,
            &[("report", self.received_at())],
        )?;
        if let Some(until) = c.separation_until {
            let separation = self
                .active_separation()
                .ok_or(CaseError::NoActiveSeparation)?;
            // An order that continues the separation cannot predate its decision.
            not_before(
                "ordered_at",
                c.ordered_at,
                "separation decision",
                separation.decision.fact.decided_at,
            )?;
            if until <= c.ordered_at {
                return Err(CaseError::SeparationUntilInvalid);
            }
        }
        Ok(vec![CaseEvent::CourtOrderRecorded(CourtOrderRecorded {
            ordered_at: c.ordered_at,
            court_order_ref: c.court_order_ref,
            separation_until: c.separation_until,
            notes: c.notes,
        })])
    }
}
