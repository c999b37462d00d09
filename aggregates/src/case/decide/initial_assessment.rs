//! Initial assessment (*đánh giá nguy cơ ban đầu*, ND56 art. 26, Mẫu 02).

use super::dedup;
use crate::case::aggregate::Case;
use crate::case::business_time::Bounds;
use crate::case::commands::RecordInitialAssessment;
use crate::case::errors::CaseError;
use crate::case::events::*;
use crate::codes::*;

impl Case {
    pub(super) fn initial_assessment(&self, c: RecordInitialAssessment, t: Bounds) -> super::Steps {
        if self.initial_assessment.is_some() {
            return Err(CaseError::InitialAssessmentAlreadyRecorded);
        }
        t.following(
            "assessed_at",
            c.assessed_at,
            &[("report", self.received_at())],
        )?;
        let grounds = dedup(c.grounds);
        match (c.outcome, grounds.is_empty()) {
            (InitialOutcome::Emergency, true) => return Err(CaseError::EmergencyGroundsRequired),
            (InitialOutcome::SupportNeeded | InitialOutcome::NoConcern, false) => {
                return Err(CaseError::GroundsOnlyForEmergency)
            }
            _ => {}
        }
        // A no-concern outcome proposes closure; only one proposal may await the approver.
        if c.outcome == InitialOutcome::NoConcern && self.status == CaseStatus::ClosureProposed {
            return Err(CaseError::ClosurePending);
        }
        let mut events = vec![CaseEvent::InitialAssessmentRecorded(
            InitialAssessmentRecorded {
                assessed_at: c.assessed_at,
                outcome: c.outcome,
                grounds,
                ratings: c.ratings,
                findings: c.findings,
            },
        )];
        if c.outcome == InitialOutcome::NoConcern {
            // [policy] an unfounded report is closed on the approver's decision.
            events.push(CaseEvent::ClosureProposed(ClosureProposed {
                proposed_at: c.assessed_at,
                reason: ClosureReason::Unfounded,
                origin: ProposalOrigin::InitialAssessment,
                linked_case_id: None,
                comment: None,
            }));
        }
        Ok(events)
    }

    pub(super) fn initial_assessed_at(&self) -> Result<chrono::DateTime<chrono::Utc>, CaseError> {
        self.initial_assessment
            .as_ref()
            .map(|a| a.fact.assessed_at)
            .ok_or(CaseError::InitialAssessmentMissing)
    }
}
