//! The Case aggregate: the case file as folded from its events, and the cqrs-es glue.

use super::commands::CaseCommand;
use super::errors::CaseError;
use super::events::*;
use crate::codes::{CaseStatus, InitialOutcome, ReviewOutcome};
use crate::deadlines::{Deadline, DeadlineOutcome, RuleSet, WorkingCalendar};
use crate::policy::CaseScope;
use crate::units::UnitPath;
use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

/// A fact with the sequence number of the event that recorded it (to find who recorded it in
/// the metadata, and to name it in a correction).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded<T> {
    pub sequence: u64,
    #[serde(flatten)]
    pub fact: T,
}

/// A temporary separation with its extensions and end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeparationRecord {
    pub decision: Recorded<SeparationDecided>,
    pub until: DateTime<Utc>,
    pub extensions: Vec<Recorded<SeparationExtended>>,
    /// A court ordered the separation to continue (beyond the 15-day cap).
    pub court_until: Option<DateTime<Utc>>,
    /// When that court order was made: from then on the days count under the court's term.
    #[serde(default)]
    pub court_ordered_at: Option<DateTime<Utc>>,
    pub end: Option<Recorded<SeparationEnded>>,
}

impl SeparationRecord {
    pub fn is_active(&self) -> bool {
        self.end.is_none()
    }
}

/// Decision state of one plan version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    Submitted,
    Approved,
    Returned,
    /// A later version was approved in its place.
    Superseded,
}

impl PlanStatus {
    pub fn code(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Approved => "approved",
            Self::Returned => "returned",
            Self::Superseded => "superseded",
        }
    }
}

/// One version of the support and intervention plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRecord {
    pub submission: Recorded<PlanSubmitted>,
    pub status: PlanStatus,
    pub approval: Option<Recorded<PlanApproved>>,
    pub returned: Option<Recorded<PlanReturned>>,
}

/// A closure proposal and the status the case had before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosureProposalRecord {
    pub proposal: Recorded<ClosureProposed>,
    pub status_before: CaseStatus,
}

/// The case file (*hồ sơ*), folded from the case's events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// Number of events applied: the sequence of the last one, the case's `version`.
    pub version: u64,
    pub status: CaseStatus,
    /// The intake facts, as corrected since. `None` until the case is reported.
    pub report: Option<Recorded<Box<CaseReported>>>,
    pub acting_unit: Option<UnitPath>,
    pub assigned_to: Option<Uuid>,
    pub assignments: Vec<Recorded<WorkerAssigned>>,
    pub transfers: Vec<Recorded<CaseTransferred>>,
    pub initial_assessment: Option<Recorded<InitialAssessmentRecorded>>,
    pub urgent_measures: Vec<Recorded<UrgentMeasuresApplied>>,
    pub separations: Vec<SeparationRecord>,
    /// The latest detailed assessment; earlier ones stay in the history.
    pub detailed_assessment: Option<Recorded<DetailedAssessmentRecorded>>,
    pub needs_meetings: Vec<Recorded<NeedsMeetingHeld>>,
    pub plans: Vec<PlanRecord>,
    pub services: Vec<Recorded<ServiceDelivered>>,
    pub referrals: Vec<Recorded<ReferralMade>>,
    pub court_petitions: Vec<Recorded<CourtPetitionFiled>>,
    pub court_orders: Vec<Recorded<CourtOrderRecorded>>,
    pub reviews: Vec<Recorded<ReviewRecorded>>,
    pub closure_proposal: Option<ClosureProposalRecord>,
    pub closure_rejections: Vec<Recorded<ClosureRejected>>,
    pub closure: Option<Recorded<CaseClosed>>,
    pub notes: Vec<Recorded<NoteAdded>>,
    pub corrections: Vec<Recorded<FactCorrected>>,
    /// The standing request for the hotline's support, if any (ND56 art. 31(3)).
    #[serde(default)]
    pub hotline_support: Option<Recorded<HotlineSupportRequested>>,
    /// Reports attached to the case after the one that opened it.
    #[serde(default)]
    pub attached_reports: Vec<Recorded<Box<ReportAttached>>>,
    /// The child identities the case pointed to before each standing link, latest last: an
    /// unlink restores the last one.
    #[serde(default)]
    pub child_links: Vec<ChildLinked>,
    /// Cases found to be about another child.
    #[serde(default)]
    pub distinct_from: Vec<Uuid>,
    pub deadlines: Vec<Deadline>,
    /// The stored type of every event, by sequence (index = sequence - 1).
    pub event_kinds: Vec<String>,
}

/// What the aggregate needs from outside: the rules in force and the working-day calendar.
#[derive(Debug, Clone)]
pub struct CaseServices {
    pub rules: Arc<RuleSet>,
    pub calendar: Arc<WorkingCalendar>,
}

impl CaseServices {
    pub fn new(rules: RuleSet, calendar: WorkingCalendar) -> Self {
        Self {
            rules: Arc::new(rules),
            calendar: Arc::new(calendar),
        }
    }

    /// The shipped rules and calendar.
    pub fn shipped() -> Self {
        Self::new(RuleSet::shipped(), WorkingCalendar::shipped())
    }
}

impl Case {
    pub fn exists(&self) -> bool {
        self.report.is_some()
    }

    pub fn id(&self) -> Option<Uuid> {
        self.report.as_ref().map(|r| r.fact.case_id)
    }

    pub fn received_at(&self) -> Option<DateTime<Utc>> {
        self.report.as_ref().map(|r| r.fact.received_at)
    }

    /// What the jurisdiction check needs; `None` before the case exists.
    pub fn scope(&self) -> Option<CaseScope<'_>> {
        match (&self.report, &self.acting_unit) {
            (Some(report), Some(unit)) => Some(CaseScope {
                acting_unit: unit,
                received_by: report.fact.received_by,
                hotline_support: self.hotline_support.is_some()
                    && self.status != CaseStatus::Closed,
                separation_units: [
                    Some(report.fact.incident_unit.unit()),
                    report.fact.child.residence_unit.as_ref(),
                ],
            }),
            _ => None,
        }
    }

    pub fn initial_outcome(&self) -> Option<InitialOutcome> {
        self.initial_assessment.as_ref().map(|a| a.fact.outcome)
    }

    pub fn active_separation(&self) -> Option<&SeparationRecord> {
        self.separations.last().filter(|s| s.is_active())
    }

    /// The plan version in force (approved and not superseded).
    pub fn approved_plan(&self) -> Option<&PlanRecord> {
        self.plans
            .iter()
            .rev()
            .find(|p| p.status == PlanStatus::Approved)
    }

    /// The approved plan while it is in force, i.e. not yet reviewed: an approved plan is
    /// reviewed once (ND56 art. 30); after its review a new plan cycle begins.
    pub fn plan_in_force(&self) -> Option<&PlanRecord> {
        let last_review = self.reviews.last().map(|r| r.sequence);
        self.approved_plan().filter(|p| {
            p.approval
                .as_ref()
                .is_some_and(|a| last_review.is_none_or(|r| a.sequence > r))
        })
    }

    /// Whether the current plan cycle (since the last review) has its needs meeting, whose
    /// minutes belong to the plan dossier (ND56 art. 27(2), 28(2)(b)).
    pub fn cycle_has_needs_meeting(&self) -> bool {
        let last_review = self.reviews.last().map_or(0, |r| r.sequence);
        self.needs_meetings.iter().any(|m| m.sequence > last_review)
    }

    /// The first urgent response in business time (urgent measures or a separation decision).
    pub fn first_urgent_response(&self) -> Option<DateTime<Utc>> {
        self.urgent_measures
            .iter()
            .map(|u| u.fact.applied_at)
            .chain(self.separations.iter().map(|s| s.decision.fact.decided_at))
            .min()
    }

    /// The plan version awaiting a decision.
    pub fn submitted_plan(&self) -> Option<&PlanRecord> {
        self.plans
            .last()
            .filter(|p| p.status == PlanStatus::Submitted)
    }

    /// Whether the parent or carer is the one causing harm (ND56 art. 26(3), 27(1)(h)).
    pub fn caregiver_is_perpetrator(&self) -> bool {
        let by_report = self
            .report
            .as_ref()
            .and_then(|r| r.fact.perpetrator_relationship)
            .is_some_and(|p| p.is_caregiver());
        let by_assessment = self.initial_assessment.as_ref().is_some_and(|a| {
            a.fact
                .grounds
                .contains(&crate::codes::EmergencyGround::CaregiverIsPerpetrator)
        });
        by_report || by_assessment
    }

    pub fn item_completed(&self, item_id: Uuid) -> bool {
        self.services
            .iter()
            .any(|s| s.fact.item_id == item_id && s.fact.completed)
    }

    /// The case's deadlines that are still running.
    pub fn open_deadlines(&self) -> impl Iterator<Item = &Deadline> {
        self.deadlines.iter().filter(|d| d.is_open())
    }

    /// Folds events into a case, as cqrs-es does when it loads one.
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a CaseEvent>) -> Self {
        let mut case = Self::default();
        for event in events {
            case.apply_event(event.clone());
        }
        case
    }

    /// Where the case stands in the procedure, leaving aside a pending closure proposal: the
    /// status a rejection of the proposal returns to.
    fn procedure_status(&self) -> CaseStatus {
        match &self.closure_proposal {
            Some(p) if self.status == CaseStatus::ClosureProposed => p.status_before,
            _ => self.status,
        }
    }

    /// Moves the case along the procedure. While a closure proposal awaits the approver, the
    /// case keeps showing `closure_proposed` and the step moves the status a rejection returns
    /// to, so that a step recorded meanwhile (an urgent measure, a plan decision) is not undone
    /// by the rejection.
    fn advance(&mut self, step: impl FnOnce(CaseStatus) -> CaseStatus) {
        let next = step(self.procedure_status());
        match &mut self.closure_proposal {
            Some(p) if self.status == CaseStatus::ClosureProposed => p.status_before = next,
            _ => self.status = next,
        }
    }

    /// The status once the first urgent response is given: the detailed assessment, or the plan
    /// if the detailed assessment was already recorded during the emergency.
    fn after_emergency(&self, status: CaseStatus) -> CaseStatus {
        match status {
            CaseStatus::Emergency if self.detailed_assessment.is_some() => CaseStatus::Planning,
            CaseStatus::Emergency => CaseStatus::Assessment,
            other => other,
        }
    }

    /// The child identity the case points to now: the one it was reported with, or the one
    /// of the latest standing link.
    pub fn child_id(&self) -> Option<Uuid> {
        match self.child_links.last() {
            Some(link) => Some(link.child_id),
            None => self.report.as_ref().map(|r| r.fact.child_id),
        }
    }

    fn recorded<T>(&self, fact: T) -> Recorded<T> {
        Recorded {
            sequence: self.version,
            fact,
        }
    }

    fn apply_event(&mut self, event: CaseEvent) {
        self.version += 1;
        self.event_kinds.push(event.kind().to_owned());
        match event {
            CaseEvent::CaseReported(e) => {
                self.status = CaseStatus::Reported;
                self.acting_unit = Some(e.incident_unit.clone());
                self.report = Some(self.recorded(e));
            }
            CaseEvent::ReportAttached(e) => {
                let r = self.recorded(e);
                self.attached_reports.push(r);
            }
            CaseEvent::ChildLinked(e) => self.child_links.push(e),
            CaseEvent::ChildUnlinked(_) => {
                self.child_links.pop();
            }
            CaseEvent::ChildDistinguished(e) => {
                if !self.distinct_from.contains(&e.other_case_id) {
                    self.distinct_from.push(e.other_case_id);
                }
            }
            CaseEvent::WorkerAssigned(e) => {
                self.assigned_to = Some(e.worker_id);
                let r = self.recorded(e);
                self.assignments.push(r);
            }
            CaseEvent::CaseTransferred(e) => {
                self.acting_unit = Some(e.to_unit.clone());
                // The receiving commune assigns its own worker.
                self.assigned_to = None;
                let r = self.recorded(e);
                self.transfers.push(r);
            }
            CaseEvent::InitialAssessmentRecorded(e) => {
                let outcome = e.outcome;
                // A separation may be decided before the assessment is typed in: then the
                // emergency already had its response.
                let emergency = if self.first_urgent_response().is_some() {
                    self.after_emergency(CaseStatus::Emergency)
                } else {
                    CaseStatus::Emergency
                };
                self.advance(|_| match outcome {
                    InitialOutcome::Emergency => emergency,
                    // A no-concern outcome is followed by its closure proposal.
                    InitialOutcome::SupportNeeded | InitialOutcome::NoConcern => {
                        CaseStatus::Assessment
                    }
                });
                self.initial_assessment = Some(self.recorded(e));
            }
            CaseEvent::UrgentMeasuresApplied(e) => {
                let next = self.after_emergency(self.procedure_status());
                self.advance(|_| next);
                let r = self.recorded(e);
                self.urgent_measures.push(r);
            }
            CaseEvent::SeparationDecided(e) => {
                let next = self.after_emergency(self.procedure_status());
                self.advance(|_| next);
                let until = e.until;
                let decision = self.recorded(e);
                self.separations.push(SeparationRecord {
                    decision,
                    until,
                    extensions: Vec::new(),
                    court_until: None,
                    court_ordered_at: None,
                    end: None,
                });
            }
            CaseEvent::SeparationExtended(e) => {
                let r = self.recorded(e);
                if let Some(s) = self.separations.last_mut() {
                    s.until = r.fact.until;
                    s.extensions.push(r);
                }
            }
            CaseEvent::SeparationEnded(e) => {
                let r = self.recorded(e);
                if let Some(s) = self.separations.last_mut() {
                    s.end = Some(r);
                }
            }
            CaseEvent::DetailedAssessmentRecorded(e) => {
                self.advance(|s| match s {
                    CaseStatus::Assessment => CaseStatus::Planning,
                    other => other,
                });
                self.detailed_assessment = Some(self.recorded(e));
            }
            CaseEvent::NeedsMeetingHeld(e) => {
                let r = self.recorded(e);
                self.needs_meetings.push(r);
            }
            CaseEvent::PlanSubmitted(e) => {
                self.advance(|_| CaseStatus::AwaitingApproval);
                let submission = self.recorded(e);
                self.plans.push(PlanRecord {
                    submission,
                    status: PlanStatus::Submitted,
                    approval: None,
                    returned: None,
                });
            }
            CaseEvent::PlanApproved(e) => {
                self.advance(|_| CaseStatus::InProgress);
                let r = self.recorded(e);
                for plan in &mut self.plans {
                    if plan.status == PlanStatus::Approved {
                        plan.status = PlanStatus::Superseded;
                    }
                }
                if let Some(plan) = self
                    .plans
                    .iter_mut()
                    .find(|p| p.submission.fact.version == r.fact.version)
                {
                    plan.status = PlanStatus::Approved;
                    plan.approval = Some(r);
                }
            }
            CaseEvent::PlanReturned(e) => {
                let r = self.recorded(e);
                if let Some(plan) = self
                    .plans
                    .iter_mut()
                    .find(|p| p.submission.fact.version == r.fact.version)
                {
                    plan.status = PlanStatus::Returned;
                    plan.returned = Some(r);
                }
                // A returned adjustment leaves the approved plan in force; a plan returned in a
                // new cycle keeps the case in planning.
                let next = if self.plan_in_force().is_some() {
                    CaseStatus::InProgress
                } else {
                    CaseStatus::Planning
                };
                self.advance(|_| next);
            }
            CaseEvent::ServiceDelivered(e) => {
                let r = self.recorded(e);
                self.services.push(r);
            }
            CaseEvent::ReferralMade(e) => {
                let r = self.recorded(e);
                self.referrals.push(r);
            }
            CaseEvent::CourtPetitionFiled(e) => {
                let r = self.recorded(e);
                self.court_petitions.push(r);
            }
            CaseEvent::CourtOrderRecorded(e) => {
                let r = self.recorded(e);
                if let (Some(until), Some(s)) =
                    (r.fact.separation_until, self.separations.last_mut())
                {
                    if s.is_active() {
                        s.court_until = Some(until);
                        s.court_ordered_at = Some(r.fact.ordered_at);
                        s.until = until;
                    }
                }
                self.court_orders.push(r);
            }
            CaseEvent::ReviewRecorded(e) => {
                if e.outcome == ReviewOutcome::Continue {
                    // A new plan cycle (ND56 art. 30): back to step 6.
                    self.advance(|_| CaseStatus::Planning);
                }
                let r = self.recorded(e);
                self.reviews.push(r);
            }
            CaseEvent::ClosureProposed(e) => {
                let status_before = self.procedure_status();
                self.status = CaseStatus::ClosureProposed;
                let proposal = self.recorded(e);
                self.closure_proposal = Some(ClosureProposalRecord {
                    proposal,
                    status_before,
                });
            }
            CaseEvent::ClosureRejected(e) => {
                if let Some(p) = self.closure_proposal.take() {
                    // A rejected `close` review sends the case back to planning [policy]: the
                    // reviewed plan is no longer in force.
                    self.status = match p.proposal.fact.origin {
                        ProposalOrigin::Review => CaseStatus::Planning,
                        _ => p.status_before,
                    };
                }
                let r = self.recorded(e);
                self.closure_rejections.push(r);
            }
            CaseEvent::CaseClosed(e) => {
                self.status = CaseStatus::Closed;
                self.closure = Some(self.recorded(e));
            }
            CaseEvent::NoteAdded(e) => {
                let r = self.recorded(e);
                self.notes.push(r);
            }
            CaseEvent::FactCorrected(e) => {
                super::corrections::apply(self, &e);
                let r = self.recorded(e);
                self.corrections.push(r);
            }
            CaseEvent::HotlineSupportRequested(e) => {
                self.hotline_support = Some(self.recorded(e));
            }
            CaseEvent::HotlineSupportWithdrawn(_) => self.hotline_support = None,
            // The step before it already moved the status; this records it for the views.
            CaseEvent::CaseStatusChanged(e) => self.status = e.to,
            CaseEvent::DeadlineStarted(e) => self.deadlines.push(Deadline::started(&e)),
            CaseEvent::DeadlineMet(e) => {
                if let Some(d) = self
                    .deadlines
                    .iter_mut()
                    .find(|d| d.deadline_id == e.deadline_id)
                {
                    d.outcome = Some(DeadlineOutcome::Met {
                        at: e.met_at,
                        late: e.late,
                    });
                }
            }
            CaseEvent::DeadlineCancelled(e) => {
                if let Some(d) = self
                    .deadlines
                    .iter_mut()
                    .find(|d| d.deadline_id == e.deadline_id)
                {
                    d.outcome = Some(DeadlineOutcome::Cancelled {
                        at: e.cancelled_at,
                        reason: e.reason,
                    });
                }
            }
        }
    }
}

impl Aggregate for Case {
    const TYPE: &'static str = "Case";
    type Command = CaseCommand;
    type Event = CaseEvent;
    type Error = CaseError;
    type Services = CaseServices;

    async fn handle(
        &mut self,
        command: Self::Command,
        services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let events = self.decide(command, services)?;
        for event in events {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        self.apply_event(event);
    }
}
