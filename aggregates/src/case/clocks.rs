//! The case's side of the legal clock: the signal each step gives the deadline engine, and the
//! deadline (and status) events that follow each step. Clocks run on business time: a step typed
//! late but taken early meets, and starts, its clocks at the instant it was taken.

use super::aggregate::{Case, CaseServices};
use super::errors::CaseError;
use super::events::*;
use crate::codes::InitialOutcome;
use crate::deadlines::engine::DeadlineChange;
use crate::deadlines::{ItemDue, Signal};
use chrono::{DateTime, Utc};

impl Case {
    /// Whether a response at `at` is the first urgent response in business time, and the
    /// instant of the response it displaces as the first, if any.
    fn urgent_response(&self, at: DateTime<Utc>) -> (bool, Option<DateTime<Utc>>) {
        if self.initial_outcome() != Some(InitialOutcome::Emergency) {
            return (false, None);
        }
        match self.first_urgent_response() {
            None => (true, None),
            Some(first) if at < first => (true, Some(first)),
            Some(_) => (false, None),
        }
    }

    /// The signal a step gives the deadline engine, computed against the case before the step.
    fn signal_for(&self, event: &CaseEvent) -> Option<Signal> {
        let at = event.occurred_at();
        let adjustment = self.plan_in_force().is_some();
        let signal = match event {
            CaseEvent::CaseReported(e) => Signal::new("case_reported", at).with(
                "immediate_danger",
                e.immediate_danger
                    .map_or("unknown".to_owned(), |d| d.to_string()),
            ),
            CaseEvent::ReportAttached(_) => Signal::new("report_attached", at)
                .with("awaiting_assessment", self.initial_assessment.is_none()),
            CaseEvent::ChildLinked(_) => Signal::new("child_linked", at),
            CaseEvent::ChildUnlinked(_) => Signal::new("child_unlinked", at),
            CaseEvent::ChildDistinguished(_) => Signal::new("child_distinguished", at),
            CaseEvent::WorkerAssigned(_) => Signal::new("worker_assigned", at),
            CaseEvent::CaseTransferred(_) => Signal::new("case_transferred", at),
            CaseEvent::InitialAssessmentRecorded(e) => {
                Signal::new("initial_assessment_recorded", at).with("outcome", e.outcome)
            }
            CaseEvent::UrgentMeasuresApplied(_) => {
                let (first, displaced) = self.urgent_response(at);
                let mut signal = Signal::new("urgent_measures_applied", at)
                    .with("first_emergency_response", first);
                signal.reanchors = displaced;
                signal
            }
            CaseEvent::SeparationDecided(e) => {
                let (first, displaced) = self.urgent_response(at);
                let mut signal =
                    Signal::new("separation_decided", at).with("first_emergency_response", first);
                signal.reanchors = displaced;
                signal.until = Some(e.until);
                signal
            }
            CaseEvent::SeparationExtended(e) => {
                let mut signal = Signal::new("separation_extended", at);
                signal.until = Some(e.until);
                signal
            }
            CaseEvent::SeparationEnded(e) => {
                Signal::new("separation_ended", at).with("reason", e.reason)
            }
            CaseEvent::DetailedAssessmentRecorded(_) => {
                Signal::new("detailed_assessment_recorded", at)
            }
            CaseEvent::NeedsMeetingHeld(_) => Signal::new("needs_meeting_held", at),
            CaseEvent::PlanSubmitted(_) => {
                Signal::new("plan_submitted", at).with("adjustment", adjustment)
            }
            CaseEvent::PlanApproved(e) => {
                let mut signal = Signal::new("plan_approved", at).with("adjustment", adjustment);
                signal.plan_items = self
                    .plans
                    .iter()
                    .find(|p| p.submission.fact.version == e.version)
                    .map(|p| {
                        p.submission
                            .fact
                            .items
                            .iter()
                            .map(|i| ItemDue {
                                item_id: i.item_id,
                                ends_on: i.ends_on,
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                signal
            }
            CaseEvent::PlanReturned(_) => {
                Signal::new("plan_returned", at).with("adjustment", adjustment)
            }
            CaseEvent::ServiceDelivered(e) => {
                let mut signal =
                    Signal::new("service_delivered", at).with("completed", e.completed);
                signal.item = Some(e.item_id);
                signal
            }
            CaseEvent::ReferralMade(_) => Signal::new("referral_made", at),
            CaseEvent::CourtPetitionFiled(_) => Signal::new("court_petition_filed", at),
            CaseEvent::CourtOrderRecorded(e) => Signal::new("court_order_recorded", at)
                .with("extends_separation", e.separation_until.is_some()),
            CaseEvent::ReviewRecorded(e) => {
                Signal::new("review_recorded", at).with("outcome", e.outcome)
            }
            CaseEvent::ClosureProposed(e) => Signal::new("closure_proposed", at)
                .with("reason", e.reason)
                .with("proposal_origin", e.origin.code()),
            CaseEvent::ClosureRejected(_) => Signal::new("closure_rejected", at).with(
                "proposal_origin",
                self.closure_proposal
                    .as_ref()
                    .map_or("worker", |p| p.proposal.fact.origin.code()),
            ),
            CaseEvent::CaseClosed(e) => {
                let mut signal = Signal::new("case_closed", at).with("reason", e.reason);
                signal.closes_case = true;
                signal
            }
            CaseEvent::NoteAdded(_) => Signal::new("note_added", at),
            CaseEvent::FactCorrected(_) => Signal::new("fact_corrected", at),
            CaseEvent::HotlineSupportRequested(_) => Signal::new("hotline_support_requested", at),
            CaseEvent::HotlineSupportWithdrawn(_) => Signal::new("hotline_support_withdrawn", at),
            CaseEvent::CaseStatusChanged(_)
            | CaseEvent::DeadlineStarted(_)
            | CaseEvent::DeadlineMet(_)
            | CaseEvent::DeadlineCancelled(_) => return None,
        };
        Some(signal)
    }

    /// A response recorded before the emergency was assessed (a separation may be decided at
    /// any time): once the assessment finds the emergency, the earliest response meets the
    /// clocks it starts, as if it came after.
    fn earlier_response_signal(&self, step: &CaseEvent) -> Option<Signal> {
        let CaseEvent::InitialAssessmentRecorded(e) = step else {
            return None;
        };
        if e.outcome != InitialOutcome::Emergency {
            return None;
        }
        let first = self.first_urgent_response()?;
        Some(Signal::new("urgent_measures_applied", first).with("first_emergency_response", true))
    }

    /// Appends to each step the status change and deadline events it causes, in order.
    pub(super) fn with_deadlines(
        &self,
        steps: Vec<CaseEvent>,
        services: &CaseServices,
    ) -> Result<Vec<CaseEvent>, CaseError> {
        let mut scratch = self.clone();
        let mut events = Vec::with_capacity(steps.len() * 2);
        for step in steps {
            let signal = scratch.signal_for(&step);
            let before = (scratch.exists(), scratch.status);
            let at = step.occurred_at();
            scratch.apply_step(step.clone());
            let replay = scratch.earlier_response_signal(&step);
            events.push(step);
            if before.0 && before.1 != scratch.status {
                let change = CaseEvent::CaseStatusChanged(CaseStatusChanged {
                    changed_at: at,
                    from: before.1,
                    to: scratch.status,
                });
                scratch.apply_step(change.clone());
                events.push(change);
            }
            for signal in signal.into_iter().chain(replay) {
                let Some(received_at) = scratch.received_at() else {
                    continue;
                };
                let changes = services.rules.react(
                    &signal,
                    &scratch.deadlines,
                    received_at,
                    &services.calendar,
                )?;
                for change in changes {
                    let event = match change {
                        DeadlineChange::Started(e) => CaseEvent::DeadlineStarted(e),
                        DeadlineChange::Met(e) => CaseEvent::DeadlineMet(e),
                        DeadlineChange::Cancelled(e) => CaseEvent::DeadlineCancelled(e),
                    };
                    scratch.apply_step(event.clone());
                    events.push(event);
                }
            }
        }
        Ok(events)
    }

    fn apply_step(&mut self, event: CaseEvent) {
        cqrs_es::Aggregate::apply(self, event);
    }
}
