//! How a case decides on a command: existence, jurisdiction and role, the client's version, then
//! the rules of the step (one file per phase of the procedure, as `tests/procedure/` is split);
//! then the clocks the new steps start and stop (`clocks.rs`). Pure: the same case, command and
//! services always give the same events.

mod assignment_and_transfer;
mod carrying_out;
mod closure;
mod detailed_assessment_and_needs;
mod identity;
mod initial_assessment;
mod intake;
mod notes_and_support;
mod plan;
mod review;
mod separation;
mod urgent_measures;

use super::aggregate::{Case, CaseServices};
use super::business_time::Bounds;
use super::commands::*;
use super::errors::CaseError;
use super::events::*;
use crate::codes::CaseStatus;
use crate::policy::{authorize_intake, authorize_on_case, AccessDenied};

pub(super) type Steps = Result<Vec<CaseEvent>, CaseError>;

pub(super) fn dedup<T: Ord>(mut values: Vec<T>) -> Vec<T> {
    values.sort();
    values.dedup();
    values
}

impl Case {
    /// Decides the events a command causes, or why it is refused.
    pub fn decide(&self, command: CaseCommand, services: &CaseServices) -> Steps {
        let CaseCommand {
            actor,
            now,
            expected_version,
            action,
        } = command;
        let settings = services.rules.procedure();
        let t = Bounds {
            now,
            earliest: settings.earliest_business_time,
        };

        if let CaseAction::Report(report) = action {
            if self.exists() {
                return Err(CaseError::CaseAlreadyExists);
            }
            authorize_intake(&actor, &report.incident_unit)?;
            let reported = intake::validate_report(*report, &actor, t, settings.juvenile_cases)?;
            return self
                .with_deadlines(vec![CaseEvent::CaseReported(Box::new(reported))], services);
        }

        if let CaseAction::AttachReport(report) = action {
            return self.attach(*report, &actor, expected_version, t, services);
        }

        let scope = self.scope().ok_or(CaseError::CaseNotFound)?;
        let grant = authorize_on_case(&actor, action.required_action(), &scope)?.clone();
        if let Some(expected) = expected_version {
            if expected != self.version {
                return Err(CaseError::VersionMismatch {
                    expected,
                    actual: self.version,
                });
            }
        }
        if self.status == CaseStatus::Closed {
            return Err(CaseError::CaseClosed);
        }

        let steps = match action {
            CaseAction::Report(_) | CaseAction::AttachReport(_) => unreachable!("handled above"),
            CaseAction::LinkChild(c) => self.link_child(c, now)?,
            CaseAction::UnlinkChild => self.unlink_child(now)?,
            CaseAction::DistinguishChild(c) => self.distinguish_child(c, now)?,
            CaseAction::AssignWorker(c) => self.assign_worker(c, &actor, &grant, now)?,
            CaseAction::Transfer(c) => self.transfer(c, now)?,
            CaseAction::RecordInitialAssessment(c) => self.initial_assessment(c, t)?,
            CaseAction::ApplyUrgentMeasures(c) => self.urgent_measures(c, t)?,
            CaseAction::DecideSeparation(c) => self.decide_separation(c, t, services)?,
            CaseAction::ExtendSeparation(c) => self.extend_separation(c, t, services)?,
            CaseAction::EndSeparation(c) => self.end_separation(c, t)?,
            CaseAction::RecordDetailedAssessment(c) => self.detailed_assessment(c, t)?,
            CaseAction::RecordNeedsMeeting(c) => self.needs_meeting(c, t)?,
            CaseAction::SubmitPlan(c) => self.submit_plan(c, t)?,
            CaseAction::DecidePlan(c) => self.decide_plan(c, t)?,
            CaseAction::RecordServiceDelivery(c) => self.service_delivery(c, t)?,
            CaseAction::RecordReferral(c) => self.referral(c, t)?,
            CaseAction::FileCourtPetition(c) => self.court_petition(c, t)?,
            CaseAction::RecordCourtOrder(c) => self.court_order(c, t)?,
            CaseAction::RecordReview(c) => self.review(c, t)?,
            CaseAction::ProposeClosure(c) => self.propose_closure(c, t)?,
            CaseAction::DecideClosure(c) => self.decide_closure(c, t)?,
            CaseAction::AddNote(c) => self.note(c, now),
            CaseAction::CorrectFact(c) => self.correction(c, now)?,
            CaseAction::RequestHotlineSupport(c) => self.request_hotline_support(c, now)?,
            CaseAction::WithdrawHotlineSupport(c) => self.withdraw_hotline_support(c, now)?,
        };
        self.with_deadlines(steps, services)
    }

    /// Attaching is intake: the intake roles may attach a report to an open case where they
    /// may take a report (a hotline operator anywhere, ND56 art. 22(6)) without thereby reading
    /// it. The checks come in the usual order: existence, reach and role, version, closure.
    fn attach(
        &self,
        report: ReportCase,
        actor: &crate::policy::Actor,
        expected_version: Option<u64>,
        t: Bounds,
        services: &CaseServices,
    ) -> Steps {
        let acting = self.acting_unit.as_ref().ok_or(CaseError::CaseNotFound)?;
        if authorize_intake(actor, acting).is_err() {
            let intake_role = actor
                .grants
                .iter()
                .any(|g| crate::policy::Action::OpenCase.allows(g.role));
            // An intake officer of another commune learns nothing of the case.
            return Err(if intake_role {
                CaseError::OutOfJurisdiction
            } else {
                AccessDenied::RoleNotAllowed.into()
            });
        }
        if let Some(expected) = expected_version {
            if expected != self.version {
                return Err(CaseError::VersionMismatch {
                    expected,
                    actual: self.version,
                });
            }
        }
        if self.status == CaseStatus::Closed {
            return Err(CaseError::CaseClosed);
        }
        let juvenile = services.rules.procedure().juvenile_cases;
        let steps = self.attach_report(report, actor, t, juvenile)?;
        self.with_deadlines(steps, services)
    }
}
