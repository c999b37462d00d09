//! Urgent measures (*can thiệp khẩn cấp*, ND56 art. 31) when the initial assessment found an
//! emergency. Temporary separation is the chair's decision (`separation.rs`).

use super::dedup;
use crate::case::aggregate::Case;
use crate::case::business_time::Bounds;
use crate::case::commands::ApplyUrgentMeasures;
use crate::case::errors::CaseError;
use crate::case::events::*;
use crate::codes::*;

impl Case {
    fn require_emergency(&self) -> Result<(), CaseError> {
        match self.initial_outcome() {
            None => Err(CaseError::InitialAssessmentMissing),
            Some(InitialOutcome::Emergency) => Ok(()),
            Some(_) => Err(CaseError::NotAnEmergency),
        }
    }

    pub(super) fn urgent_measures(&self, c: ApplyUrgentMeasures, t: Bounds) -> super::Steps {
        self.require_emergency()?;
        if c.measures.is_empty() {
            return Err(CaseError::MeasuresRequired);
        }
        if c.measures.contains(&UrgentMeasure::TemporarySeparation) {
            return Err(CaseError::SeparationNeedsDecision);
        }
        // Measures taken on the spot may precede the assessment form, never the report.
        t.following(
            "applied_at",
            c.applied_at,
            &[("report", self.received_at())],
        )?;
        Ok(vec![CaseEvent::UrgentMeasuresApplied(
            UrgentMeasuresApplied {
                applied_at: c.applied_at,
                measures: dedup(c.measures),
                notes: c.notes,
            },
        )])
    }
}
