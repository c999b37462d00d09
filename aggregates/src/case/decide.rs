//! How a case decides on a command: existence, jurisdiction and role, the client's version, then
//! the rules of the step; then the deadline engine adds the clocks the new steps start and stop.
//! Pure: the same case, command and services always give the same events.

use super::aggregate::{Case, CaseServices};
use super::commands::*;
use super::errors::CaseError;
use super::events::*;
use crate::codes::*;
use crate::deadlines::engine::DeadlineChange;
use crate::deadlines::{ItemDue, Limit, Signal};
use crate::policy::{authorize_intake, authorize_on_case, Actor, Grant};
use chrono::{DateTime, Datelike, Duration, Utc};

/// How far in the future a business time may lie (clock skew between devices).
pub const CLOCK_SKEW: Duration = Duration::minutes(5);

/// The 15-day cap of a temporary separation (ND56 art. 32(3)) when the rule table does not say.
const SEPARATION_CAP_DAYS: u32 = 15;

type Decision = Result<Vec<CaseEvent>, CaseError>;

fn not_future(field: &'static str, at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), CaseError> {
    if at > now + CLOCK_SKEW {
        Err(CaseError::TimeInFuture { field })
    } else {
        Ok(())
    }
}

fn not_before(
    field: &'static str,
    at: DateTime<Utc>,
    step: &'static str,
    previous: DateTime<Utc>,
) -> Result<(), CaseError> {
    if at < previous {
        Err(CaseError::TimeBeforeStep { field, step })
    } else {
        Ok(())
    }
}

/// A business time checked against the clock and the latest of the steps it follows.
fn business_time(
    field: &'static str,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    follows: &[(&'static str, Option<DateTime<Utc>>)],
) -> Result<(), CaseError> {
    not_future(field, at, now)?;
    if let Some((step, previous)) = follows
        .iter()
        .filter_map(|(step, t)| t.map(|t| (*step, t)))
        .max_by_key(|(_, t)| *t)
    {
        not_before(field, at, step, previous)?;
    }
    Ok(())
}

fn dedup<T: Ord>(mut values: Vec<T>) -> Vec<T> {
    values.sort();
    values.dedup();
    values
}

impl Case {
    /// Decides the events a command causes, or why it is refused.
    pub fn decide(&self, command: CaseCommand, services: &CaseServices) -> Decision {
        let CaseCommand {
            actor,
            now,
            expected_version,
            action,
        } = command;

        if let CaseAction::Report(report) = action {
            if self.exists() {
                return Err(CaseError::CaseAlreadyExists);
            }
            authorize_intake(&actor, &report.incident_unit)?;
            let reported = validate_report(*report, &actor, now)?;
            return self
                .with_deadlines(vec![CaseEvent::CaseReported(Box::new(reported))], services);
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
            CaseAction::Report(_) => unreachable!("handled above"),
            CaseAction::AssignWorker(c) => self.assign_worker(c, &actor, &grant, now)?,
            CaseAction::Transfer(c) => self.transfer(c, now)?,
            CaseAction::RecordInitialAssessment(c) => self.initial_assessment(c, now)?,
            CaseAction::ApplyUrgentMeasures(c) => self.urgent_measures(c, now)?,
            CaseAction::DecideSeparation(c) => self.decide_separation(c, now, services)?,
            CaseAction::ExtendSeparation(c) => self.extend_separation(c, now, services)?,
            CaseAction::EndSeparation(c) => self.end_separation(c, now)?,
            CaseAction::RecordDetailedAssessment(c) => self.detailed_assessment(c, now)?,
            CaseAction::RecordNeedsMeeting(c) => self.needs_meeting(c, now)?,
            CaseAction::SubmitPlan(c) => self.submit_plan(c, now)?,
            CaseAction::DecidePlan(c) => self.decide_plan(c, now)?,
            CaseAction::RecordServiceDelivery(c) => self.service_delivery(c, now)?,
            CaseAction::RecordReferral(c) => {
                business_time(
                    "referred_at",
                    c.referred_at,
                    now,
                    &[("report", self.received_at())],
                )?;
                vec![CaseEvent::ReferralMade(ReferralMade {
                    referred_at: c.referred_at,
                    to: c.to,
                    service_type: c.service_type,
                    notes: c.notes,
                })]
            }
            CaseAction::FileCourtPetition(c) => {
                business_time(
                    "filed_at",
                    c.filed_at,
                    now,
                    &[("report", self.received_at())],
                )?;
                vec![CaseEvent::CourtPetitionFiled(CourtPetitionFiled {
                    filed_at: c.filed_at,
                    court: c.court,
                    ground: c.ground,
                    notes: c.notes,
                })]
            }
            CaseAction::RecordCourtOrder(c) => self.court_order(c, now)?,
            CaseAction::RecordReview(c) => self.review(c, now)?,
            CaseAction::ProposeClosure(c) => self.propose_closure(c, now)?,
            CaseAction::DecideClosure(c) => self.decide_closure(c, now)?,
            CaseAction::AddNote(c) => vec![CaseEvent::NoteAdded(NoteAdded {
                written_at: now,
                text: c.text,
            })],
            CaseAction::CorrectFact(c) => {
                let value =
                    super::corrections::validate(self, c.corrects_sequence, &c.field, &c.value)?;
                vec![CaseEvent::FactCorrected(FactCorrected {
                    corrected_at: now,
                    corrects_sequence: c.corrects_sequence,
                    field: c.field,
                    value,
                    reason: c.reason,
                })]
            }
        };
        self.with_deadlines(steps, services)
    }

    fn assign_worker(
        &self,
        c: AssignWorker,
        actor: &Actor,
        grant: &Grant,
        now: DateTime<Utc>,
    ) -> Result<Vec<CaseEvent>, CaseError> {
        if grant.role == Role::SocialWorker
            && (c.worker_id != actor.user_id || self.assigned_to.is_some())
        {
            return Err(CaseError::MayOnlyTakeUnassignedCase);
        }
        let unit = self.acting_unit.as_ref().ok_or(CaseError::CaseNotFound)?;
        if !c.worker_units.iter().any(|u| unit.is_within(u)) {
            return Err(CaseError::WorkerNotEligible);
        }
        if self.assigned_to == Some(c.worker_id) {
            return Err(CaseError::AlreadyAssigned);
        }
        Ok(vec![CaseEvent::WorkerAssigned(WorkerAssigned {
            worker_id: c.worker_id,
            assigned_at: now,
        })])
    }

    fn transfer(&self, c: TransferCase, now: DateTime<Utc>) -> Result<Vec<CaseEvent>, CaseError> {
        let from = self.acting_unit.clone().ok_or(CaseError::CaseNotFound)?;
        if c.to_unit.is_root() {
            return Err(CaseError::UnitIsRoot { field: "to_unit" });
        }
        if c.to_unit == from {
            return Err(CaseError::TransferToSameUnit);
        }
        Ok(vec![CaseEvent::CaseTransferred(CaseTransferred {
            transferred_at: now,
            from_unit: from,
            to_unit: c.to_unit,
            reason: c.reason,
        })])
    }

    fn initial_assessment(
        &self,
        c: RecordInitialAssessment,
        now: DateTime<Utc>,
    ) -> Result<Vec<CaseEvent>, CaseError> {
        if self.initial_assessment.is_some() {
            return Err(CaseError::InitialAssessmentAlreadyRecorded);
        }
        business_time(
            "assessed_at",
            c.assessed_at,
            now,
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

    fn require_emergency(&self) -> Result<(), CaseError> {
        match self.initial_outcome() {
            None => Err(CaseError::InitialAssessmentMissing),
            Some(InitialOutcome::Emergency) => Ok(()),
            Some(_) => Err(CaseError::NotAnEmergency),
        }
    }

    fn urgent_measures(
        &self,
        c: ApplyUrgentMeasures,
        now: DateTime<Utc>,
    ) -> Result<Vec<CaseEvent>, CaseError> {
        self.require_emergency()?;
        if c.measures.is_empty() {
            return Err(CaseError::MeasuresRequired);
        }
        if c.measures.contains(&UrgentMeasure::TemporarySeparation) {
            return Err(CaseError::SeparationNeedsDecision);
        }
        // Measures taken on the spot may precede the assessment form, never the report.
        business_time(
            "applied_at",
            c.applied_at,
            now,
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

    /// The latest end a separation decided at `decided_at` may have without a court order.
    fn separation_cap(
        decided_at: DateTime<Utc>,
        services: &CaseServices,
    ) -> Result<DateTime<Utc>, CaseError> {
        let (days, roll) = match services.rules.get("separation_end").map(|r| r.limit) {
            Some(Limit::CalendarDays {
                value,
                roll_to_working_day,
            }) => (value, roll_to_working_day),
            _ => (SEPARATION_CAP_DAYS, false),
        };
        Ok(services
            .calendar
            .calendar_days_after(decided_at, days, roll)?
            .ends_at)
    }

    fn decide_separation(
        &self,
        c: DecideSeparation,
        now: DateTime<Utc>,
        services: &CaseServices,
    ) -> Result<Vec<CaseEvent>, CaseError> {
        self.require_emergency()?;
        if self.active_separation().is_some() {
            return Err(CaseError::SeparationAlreadyActive);
        }
        business_time(
            "decided_at",
            c.decided_at,
            now,
            &[("report", self.received_at())],
        )?;
        if c.until <= c.decided_at {
            return Err(CaseError::SeparationUntilInvalid);
        }
        let cap = Self::separation_cap(c.decided_at, services)?;
        if c.until > cap {
            return Err(CaseError::SeparationExceeds15Days { cap });
        }
        Ok(vec![CaseEvent::SeparationDecided(SeparationDecided {
            decided_at: c.decided_at,
            until: c.until,
            placement: c.placement,
            notes: c.notes,
        })])
    }

    fn extend_separation(
        &self,
        c: ExtendSeparation,
        now: DateTime<Utc>,
        services: &CaseServices,
    ) -> Result<Vec<CaseEvent>, CaseError> {
        let separation = self
            .active_separation()
            .ok_or(CaseError::NoActiveSeparation)?;
        if c.until <= separation.until {
            return Err(CaseError::ExtensionNotLater);
        }
        // The approver may extend up to the 15-day cap, or up to the end a court ordered; going
        // beyond the court's term needs a new court order.
        let statutory = Self::separation_cap(separation.decision.fact.decided_at, services)?;
        let cap = separation
            .court_until
            .map_or(statutory, |court| court.max(statutory));
        if c.until > cap {
            return Err(CaseError::SeparationExceeds15Days { cap });
        }
        Ok(vec![CaseEvent::SeparationExtended(SeparationExtended {
            extended_at: now,
            until: c.until,
        })])
    }

    fn end_separation(
        &self,
        c: EndSeparation,
        now: DateTime<Utc>,
    ) -> Result<Vec<CaseEvent>, CaseError> {
        let separation = self
            .active_separation()
            .ok_or(CaseError::NoActiveSeparation)?;
        business_time(
            "ended_at",
            c.ended_at,
            now,
            &[(
                "separation decision",
                Some(separation.decision.fact.decided_at),
            )],
        )?;
        if c.reason == SeparationEndReason::CourtOrder && c.court_order_ref.is_none() {
            return Err(CaseError::CourtOrderRefRequired);
        }
        Ok(vec![CaseEvent::SeparationEnded(SeparationEnded {
            ended_at: c.ended_at,
            reason: c.reason,
            court_order_ref: c.court_order_ref,
        })])
    }

    fn initial_assessed_at(&self) -> Result<DateTime<Utc>, CaseError> {
        self.initial_assessment
            .as_ref()
            .map(|a| a.fact.assessed_at)
            .ok_or(CaseError::InitialAssessmentMissing)
    }

    fn detailed_assessment(
        &self,
        c: RecordDetailedAssessment,
        now: DateTime<Utc>,
    ) -> Result<Vec<CaseEvent>, CaseError> {
        let initial = self.initial_assessed_at()?;
        if self.status == CaseStatus::ClosureProposed {
            return Err(CaseError::ClosurePending);
        }
        business_time(
            "assessed_at",
            c.assessed_at,
            now,
            &[("initial assessment", Some(initial))],
        )?;
        if c.parent_view.is_some() && self.caregiver_is_perpetrator() {
            return Err(CaseError::ParentViewNotApplicable);
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
            },
        )])
    }

    fn needs_meeting(
        &self,
        c: RecordNeedsMeeting,
        now: DateTime<Utc>,
    ) -> Result<Vec<CaseEvent>, CaseError> {
        let initial = self.initial_assessed_at()?;
        business_time(
            "held_at",
            c.held_at,
            now,
            &[("initial assessment", Some(initial))],
        )?;
        Ok(vec![CaseEvent::NeedsMeetingHeld(NeedsMeetingHeld {
            held_at: c.held_at,
            chaired_by: c.chaired_by,
            attendees: c.attendees,
            decisions: c.decisions,
        })])
    }

    fn submit_plan(&self, c: SubmitPlan, now: DateTime<Utc>) -> Result<Vec<CaseEvent>, CaseError> {
        match self.status {
            CaseStatus::Planning | CaseStatus::InProgress => {}
            CaseStatus::Reported => return Err(CaseError::InitialAssessmentMissing),
            CaseStatus::Emergency => return Err(CaseError::UrgentMeasuresPending),
            CaseStatus::Assessment => return Err(CaseError::DetailedAssessmentMissing),
            CaseStatus::AwaitingApproval => return Err(CaseError::PlanAwaitingApproval),
            CaseStatus::ClosureProposed => return Err(CaseError::ClosurePending),
            CaseStatus::Closed => return Err(CaseError::CaseClosed),
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
        business_time(
            "submitted_at",
            c.submitted_at,
            now,
            &[
                (
                    "detailed assessment",
                    self.detailed_assessment
                        .as_ref()
                        .map(|d| d.fact.assessed_at),
                ),
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

    fn decide_plan(&self, c: DecidePlan, now: DateTime<Utc>) -> Result<Vec<CaseEvent>, CaseError> {
        let plan = self.submitted_plan().ok_or(CaseError::PlanNotSubmitted)?;
        let submitted = plan.submission.fact.version;
        if c.plan_version != submitted {
            return Err(CaseError::PlanVersionMismatch {
                sent: c.plan_version,
                submitted,
            });
        }
        business_time(
            "decided_at",
            c.decided_at,
            now,
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

    fn service_delivery(
        &self,
        c: RecordServiceDelivery,
        now: DateTime<Utc>,
    ) -> Result<Vec<CaseEvent>, CaseError> {
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
        business_time(
            "delivered_at",
            c.delivered_at,
            now,
            &[("plan approval", approved_at)],
        )?;
        Ok(vec![CaseEvent::ServiceDelivered(ServiceDelivered {
            item_id: c.item_id,
            delivered_at: c.delivered_at,
            notes: c.notes,
            completed: c.completed,
        })])
    }

    fn court_order(
        &self,
        c: RecordCourtOrder,
        now: DateTime<Utc>,
    ) -> Result<Vec<CaseEvent>, CaseError> {
        business_time(
            "ordered_at",
            c.ordered_at,
            now,
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

    fn review(&self, c: RecordReview, now: DateTime<Utc>) -> Result<Vec<CaseEvent>, CaseError> {
        match self.status {
            CaseStatus::InProgress => {}
            CaseStatus::ClosureProposed => return Err(CaseError::ClosurePending),
            CaseStatus::AwaitingApproval if self.approved_plan().is_some() => {
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
            .approved_plan()
            .and_then(|p| p.approval.as_ref())
            .map(|a| a.fact.decided_at);
        business_time(
            "reviewed_at",
            c.reviewed_at,
            now,
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

    fn check_closure_links(
        &self,
        reason: ClosureReason,
        linked_case_id: Option<uuid::Uuid>,
        comment: Option<&crate::text::LongText>,
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

    fn propose_closure(
        &self,
        c: ProposeClosure,
        now: DateTime<Utc>,
    ) -> Result<Vec<CaseEvent>, CaseError> {
        if self.closure_proposal.is_some() {
            return Err(CaseError::ClosureAlreadyProposed);
        }
        if matches!(c.reason, ClosureReason::Resolved | ClosureReason::Unfounded) {
            return Err(CaseError::ClosureReasonNeedsStep {
                reason: c.reason.code(),
            });
        }
        self.check_closure_links(c.reason, c.linked_case_id, c.comment.as_ref())?;
        business_time(
            "proposed_at",
            c.proposed_at,
            now,
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

    fn decide_closure(
        &self,
        c: DecideClosure,
        now: DateTime<Utc>,
    ) -> Result<Vec<CaseEvent>, CaseError> {
        let proposal = &self
            .closure_proposal
            .as_ref()
            .ok_or(CaseError::ClosureNotProposed)?
            .proposal
            .fact;
        business_time(
            "decided_at",
            c.decided_at,
            now,
            &[("closure proposal", Some(proposal.proposed_at))],
        )?;
        match c.decision {
            ClosureDecision::Approve => {
                let reason = c.reason.unwrap_or(proposal.reason);
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

    /// The signal a step gives the deadline engine, computed against the case before the step.
    fn signal_for(&self, event: &CaseEvent) -> Option<Signal> {
        let at = event.occurred_at();
        let first_response = self.urgent_measures.is_empty() && self.separations.is_empty();
        let signal = match event {
            CaseEvent::CaseReported(e) => Signal::new("case_reported", at).with(
                "immediate_danger",
                e.immediate_danger
                    .map_or("unknown".to_owned(), |d| d.to_string()),
            ),
            CaseEvent::WorkerAssigned(_) => Signal::new("worker_assigned", at),
            CaseEvent::CaseTransferred(_) => Signal::new("case_transferred", at),
            CaseEvent::InitialAssessmentRecorded(e) => {
                Signal::new("initial_assessment_recorded", at).with("outcome", e.outcome)
            }
            CaseEvent::UrgentMeasuresApplied(_) => Signal::new("urgent_measures_applied", at)
                .with("first_emergency_response", first_response),
            CaseEvent::SeparationDecided(_) => Signal::new("separation_decided", at)
                .with("first_emergency_response", first_response),
            CaseEvent::SeparationExtended(_) => Signal::new("separation_extended", at),
            CaseEvent::SeparationEnded(e) => {
                Signal::new("separation_ended", at).with("reason", e.reason)
            }
            CaseEvent::DetailedAssessmentRecorded(_) => {
                Signal::new("detailed_assessment_recorded", at)
            }
            CaseEvent::NeedsMeetingHeld(_) => Signal::new("needs_meeting_held", at),
            CaseEvent::PlanSubmitted(_) => {
                Signal::new("plan_submitted", at).with("adjustment", self.approved_plan().is_some())
            }
            CaseEvent::PlanApproved(e) => {
                let mut signal = Signal::new("plan_approved", at)
                    .with("adjustment", self.approved_plan().is_some());
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
            CaseEvent::PlanReturned(_) => Signal::new("plan_returned", at),
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
            CaseEvent::CaseStatusChanged(_)
            | CaseEvent::DeadlineStarted(_)
            | CaseEvent::DeadlineMet(_)
            | CaseEvent::DeadlineCancelled(_) => return None,
        };
        Some(signal)
    }

    /// Appends to each step the deadline events it causes, in order.
    fn with_deadlines(&self, steps: Vec<CaseEvent>, services: &CaseServices) -> Decision {
        let mut scratch = self.clone();
        let mut events = Vec::with_capacity(steps.len() * 2);
        for step in steps {
            let signal = scratch.signal_for(&step);
            let before = (scratch.exists(), scratch.status);
            let at = step.occurred_at();
            scratch.apply_step(step.clone());
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
            let (Some(signal), Some(received_at)) = (signal, scratch.received_at()) else {
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
        Ok(events)
    }

    fn apply_step(&mut self, event: CaseEvent) {
        cqrs_es::Aggregate::apply(self, event);
    }
}

/// Checks the facts of a report and makes the event.
fn validate_report(
    r: ReportCase,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<CaseReported, CaseError> {
    not_future("received_at", r.received_at, now)?;
    if r.incident_unit.is_root() {
        return Err(CaseError::UnitIsRoot {
            field: "incident_unit",
        });
    }
    let child = &r.child;
    if child.date_of_birth.is_some() && child.estimated_age.is_some() {
        return Err(CaseError::ChildAgeAmbiguous);
    }
    if child.estimated_age.is_some_and(|age| age >= 18) {
        return Err(CaseError::ChildNotAMinor);
    }
    if let Some(born) = child.date_of_birth {
        let received = crate::deadlines::calendar::local_date(r.received_at);
        if born > received {
            return Err(CaseError::TimeInFuture {
                field: "child.date_of_birth",
            });
        }
        if age_on(born, received) >= 18 {
            return Err(CaseError::ChildNotAMinor);
        }
    }
    if let Some(reporter) = &r.reporter {
        let identified =
            reporter.name.is_some() || reporter.phone.is_some() || reporter.address.is_some();
        if identified && !reporter.consent {
            return Err(CaseError::ReporterIdentityWithoutConsent);
        }
    }
    if !r.sexual_abuse_subtypes.is_empty() && !r.abuse_types.contains(&AbuseType::SexualAbuse) {
        return Err(CaseError::SubtypeWithoutType {
            field: "sexual_abuse_subtypes",
        });
    }
    if !r.exploitation_subtypes.is_empty() && !r.abuse_types.contains(&AbuseType::Exploitation) {
        return Err(CaseError::SubtypeWithoutType {
            field: "exploitation_subtypes",
        });
    }
    if r.previous_case_id == Some(r.case_id) {
        return Err(CaseError::LinkedCaseIsSelf);
    }
    Ok(CaseReported {
        case_id: r.case_id,
        case_number: r.case_number,
        report_id: r.report_id,
        child_id: r.child_id,
        received_at: r.received_at,
        received_by: actor.user_id,
        intake_point: r.intake_point,
        channel: r.channel,
        target_group: r.target_group,
        incident_unit: r.incident_unit,
        description: r.description,
        abuse_types: dedup(r.abuse_types),
        sexual_abuse_subtypes: dedup(r.sexual_abuse_subtypes),
        exploitation_subtypes: dedup(r.exploitation_subtypes),
        abuse_environment: r.abuse_environment,
        perpetrator_relationship: r.perpetrator_relationship,
        immediate_danger: r.immediate_danger,
        special_circumstances: dedup(r.special_circumstances),
        child: r.child,
        reporter: r.reporter,
        previous_case_id: r.previous_case_id,
    })
}

/// Age in whole years on `day`.
pub fn age_on(born: chrono::NaiveDate, day: chrono::NaiveDate) -> i32 {
    let mut age = day.year() - born.year();
    if (day.month(), day.day()) < (born.month(), born.day()) {
        age -= 1;
    }
    age
}
