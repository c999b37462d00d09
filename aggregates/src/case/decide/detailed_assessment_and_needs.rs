//! Detailed assessment (*đánh giá nguy cơ cụ thể*, ND56 art. 27(1), Mẫu 03) and the needs
//! meeting (*họp xác định nhu cầu*, art. 27(2)).

use super::dedup;
use crate::case::aggregate::Case;
use crate::case::business_time::Bounds;
use crate::case::commands::{RecordDetailedAssessment, RecordNeedsMeeting};
use crate::case::errors::CaseError;
use crate::case::events::*;
use crate::codes::*;

impl Case {
    /// Why the parents' view given by `by` may not be recorded, if it may not. ND56 art.
    /// 27(1)(h) refuses only the view of the parent or carer who caused the harm: the
    /// non-offending parent's view (the mother, when the step-father is the abuser) is taken.
    /// When the case does not say exactly who caused it, a carer who may have is not heard.
    pub fn parent_view_refusal(&self, by: Option<Carer>) -> Option<CaseError> {
        if !self.caregiver_is_perpetrator() {
            return None;
        }
        let Some(by) = by else {
            return Some(CaseError::ParentViewNotApplicable);
        };
        let named = self
            .report
            .as_ref()
            .and_then(|r| r.fact.perpetrator_relationship)
            .filter(|p| p.is_caregiver());
        match named {
            Some(perpetrator) if !perpetrator.may_be(by) => None,
            _ => Some(CaseError::ParentViewFromPerpetrator),
        }
    }

    pub(super) fn detailed_assessment(
        &self,
        c: RecordDetailedAssessment,
        t: Bounds,
    ) -> super::Steps {
        let initial = self.initial_assessed_at()?;
        if self.status == CaseStatus::ClosureProposed {
            return Err(CaseError::ClosurePending);
        }
        t.following(
            "assessed_at",
            c.assessed_at,
            &[("initial assessment", Some(initial))],
        )?;
        match (&c.parent_view, c.parent_view_by) {
            (None, Some(_)) => return Err(CaseError::ParentViewByWithoutView),
            (Some(_), by) => {
                if let Some(refusal) = self.parent_view_refusal(by) {
                    return Err(refusal);
                }
            }
            (None, None) => {}
        }
        Ok(vec![CaseEvent::DetailedAssessmentRecorded(
            DetailedAssessmentRecorded {
                assessed_at: c.assessed_at,
                physical_psychological: c.physical_psychological,
                family: c.family,
                risk_factors: c.risk_factors,
                schooling: c.schooling,
                community: c.community,
                needs: dedup(c.needs),
                child_view: c.child_view,
                parent_view: c.parent_view,
                parent_view_by: c.parent_view_by,
            },
        )])
    }

    pub(super) fn needs_meeting(&self, c: RecordNeedsMeeting, t: Bounds) -> super::Steps {
        let initial = self.initial_assessed_at()?;
        // A meeting of a new cycle follows the review that opened it.
        t.following(
            "held_at",
            c.held_at,
            &[
                ("initial assessment", Some(initial)),
                ("review", self.reviews.last().map(|r| r.fact.reviewed_at)),
            ],
        )?;
        Ok(vec![CaseEvent::NeedsMeetingHeld(NeedsMeetingHeld {
            held_at: c.held_at,
            chaired_by: c.chaired_by,
            attendees: c.attendees,
            decisions: c.decisions,
        })])
    }
}
