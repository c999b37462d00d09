//! The commands a case accepts. A [`CaseCommand`] carries the actor and the server's "now" beside
//! the action, because the aggregate checks permissions and business times but never reads a
//! clock. Values are already parsed (codes, texts, unit paths): the wire format lives in the
//! server.

use super::events::{Child, Reporter};
use crate::codes::*;
use crate::policy::Actor;
use crate::text::{LongText, ShortText};
use crate::units::{UnitCode, UnitPath};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeMap;
use uuid::Uuid;

/// An action on a case, with who asks, when, and the version the asker saw.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseCommand {
    pub actor: Actor,
    /// The server's clock when the command arrived.
    pub now: DateTime<Utc>,
    /// `If-Match`: the version the client based the command on.
    pub expected_version: Option<u64>,
    pub action: CaseAction,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CaseAction {
    Report(Box<ReportCase>),
    /// A report about the child of this open case (`case_id` names the case).
    AttachReport(Box<ReportCase>),
    LinkChild(LinkChild),
    UnlinkChild,
    DistinguishChild(DistinguishChild),
    AssignWorker(AssignWorker),
    Transfer(TransferCase),
    RecordInitialAssessment(RecordInitialAssessment),
    ApplyUrgentMeasures(ApplyUrgentMeasures),
    DecideSeparation(DecideSeparation),
    ExtendSeparation(ExtendSeparation),
    EndSeparation(EndSeparation),
    RecordDetailedAssessment(RecordDetailedAssessment),
    RecordNeedsMeeting(RecordNeedsMeeting),
    SubmitPlan(SubmitPlan),
    DecidePlan(DecidePlan),
    RecordServiceDelivery(RecordServiceDelivery),
    RecordReferral(RecordReferral),
    FileCourtPetition(FileCourtPetition),
    RecordCourtOrder(RecordCourtOrder),
    RecordReview(RecordReview),
    ProposeClosure(ProposeClosure),
    DecideClosure(DecideClosure),
    AddNote(AddNote),
    CorrectFact(CorrectFact),
    RequestHotlineSupport(RequestHotlineSupport),
    WithdrawHotlineSupport(WithdrawHotlineSupport),
}

/// Open the case of one child named in a report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportCase {
    pub case_id: Uuid,
    pub case_number: String,
    pub report_id: Uuid,
    /// The child's id: new, or the one of `previous_case` for a child known from an earlier case.
    pub child_id: Uuid,
    pub received_at: DateTime<Utc>,
    pub intake_point: IntakePoint,
    pub channel: Channel,
    pub target_group: TargetGroup,
    pub incident_unit: UnitPath,
    pub description: Option<LongText>,
    pub abuse_types: Vec<AbuseType>,
    pub sexual_abuse_subtypes: Vec<SexualAbuseSubtype>,
    pub exploitation_subtypes: Vec<ExploitationSubtype>,
    pub abuse_environment: Option<AbuseEnvironment>,
    pub perpetrator_relationship: Option<PerpetratorRelationship>,
    pub immediate_danger: Option<bool>,
    pub special_circumstances: Vec<SpecialCircumstance>,
    pub child: Child,
    pub reporter: Option<Reporter>,
    pub previous_case_id: Option<Uuid>,
    /// Cases said at intake to be about another child.
    pub not_same_as: Vec<Uuid>,
}

/// This case's child is the child of `same_as_case_id`, whose identity the server looked up.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkChild {
    pub same_as_case_id: Uuid,
    pub child_id: Uuid,
}

/// This case's child is not the child of `other_case_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct DistinguishChild {
    pub other_case_id: Uuid,
}

/// Assign (or reassign) the responsible worker. The server looks the worker up and passes the
/// units where it holds the social-worker role.
#[derive(Debug, Clone, PartialEq)]
pub struct AssignWorker {
    pub worker_id: Uuid,
    pub worker_units: Vec<UnitCode>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TransferCase {
    pub to_unit: UnitPath,
    pub reason: LongText,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordInitialAssessment {
    pub assessed_at: DateTime<Utc>,
    pub outcome: InitialOutcome,
    pub grounds: Vec<EmergencyGround>,
    pub ratings: BTreeMap<ReviewCriterion, Rating>,
    pub findings: LongText,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApplyUrgentMeasures {
    pub applied_at: DateTime<Utc>,
    pub measures: Vec<UrgentMeasure>,
    pub notes: Option<LongText>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecideSeparation {
    pub decided_at: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// The conditions of ND56 art. 32(1); none given means the case's own facts (a parent or
    /// carer causing the harm), which must then show one.
    pub grounds: Vec<SeparationGround>,
    pub placement: LongText,
    pub notes: Option<LongText>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExtendSeparation {
    /// When the extension was decided (business time); the command's "now" when not given.
    pub extended_at: Option<DateTime<Utc>>,
    pub until: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EndSeparation {
    pub ended_at: DateTime<Utc>,
    pub reason: SeparationEndReason,
    pub court_order_ref: Option<ShortText>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordDetailedAssessment {
    pub assessed_at: DateTime<Utc>,
    pub physical_psychological: LongText,
    pub family: LongText,
    pub risk_factors: LongText,
    pub schooling: LongText,
    pub community: LongText,
    pub needs: Vec<ServiceType>,
    pub child_view: Option<LongText>,
    pub parent_view: Option<LongText>,
    pub parent_view_by: Option<Carer>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordNeedsMeeting {
    pub held_at: DateTime<Utc>,
    pub chaired_by: ShortText,
    pub attendees: Vec<ShortText>,
    pub decisions: LongText,
}

/// One item of a plan as submitted; the server gives it its id.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanItemInput {
    pub item_id: Uuid,
    pub measure: PlanMeasure,
    pub service_type: ServiceType,
    pub responsible: ShortText,
    pub provider: Option<ShortText>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub cost_estimate_vnd: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SubmitPlan {
    pub submitted_at: DateTime<Utc>,
    pub items: Vec<PlanItemInput>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecidePlan {
    pub decided_at: DateTime<Utc>,
    pub decision: PlanDecision,
    /// The plan version the approver read; a decision binds to it.
    pub plan_version: u32,
    pub comment: Option<LongText>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordServiceDelivery {
    pub item_id: Uuid,
    pub delivered_at: DateTime<Utc>,
    pub notes: Option<LongText>,
    pub completed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordReferral {
    pub referred_at: DateTime<Utc>,
    pub to: ShortText,
    pub to_kind: Option<ReferralKind>,
    pub service_type: Option<ServiceType>,
    pub notes: Option<LongText>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FileCourtPetition {
    pub filed_at: DateTime<Utc>,
    pub court: ShortText,
    pub ground: CourtPetitionGround,
    pub notes: Option<LongText>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordCourtOrder {
    pub ordered_at: DateTime<Utc>,
    pub court_order_ref: ShortText,
    pub separation_until: Option<DateTime<Utc>>,
    pub notes: Option<LongText>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordReview {
    pub reviewed_at: DateTime<Utc>,
    pub ratings: BTreeMap<ReviewCriterion, Rating>,
    pub outcome: ReviewOutcome,
    pub notes: Option<LongText>,
}

/// A worker's proposal to close for a reason other than a review or an unfounded report.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposeClosure {
    pub proposed_at: DateTime<Utc>,
    pub reason: ClosureReason,
    pub linked_case_id: Option<Uuid>,
    pub comment: Option<LongText>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecideClosure {
    pub decided_at: DateTime<Utc>,
    pub decision: ClosureDecision,
    /// The reason recorded on closure; defaults to the proposal's.
    pub reason: Option<ClosureReason>,
    pub linked_case_id: Option<Uuid>,
    pub comment: Option<LongText>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AddNote {
    pub text: LongText,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CorrectFact {
    /// The sequence number of the event that recorded the fact.
    pub corrects_sequence: u64,
    pub field: String,
    pub value: serde_json::Value,
    pub reason: LongText,
}

/// Ask the hotline 111 to support the case (ND56 art. 31(3)).
#[derive(Debug, Clone, PartialEq)]
pub struct RequestHotlineSupport {
    pub reason: Option<LongText>,
}

/// Withdraw the request for the hotline's support.
#[derive(Debug, Clone, PartialEq)]
pub struct WithdrawHotlineSupport {
    pub reason: Option<LongText>,
}

impl CaseAction {
    /// The permission the action needs.
    pub fn required_action(&self) -> crate::policy::Action {
        use crate::policy::Action as A;
        match self {
            Self::Report(_) | Self::AttachReport(_) => A::OpenCase,
            Self::LinkChild(_) | Self::UnlinkChild | Self::DistinguishChild(_) => A::LinkChild,
            Self::AssignWorker(_) => A::AssignWorker,
            Self::Transfer(_) => A::TransferCase,
            Self::RecordInitialAssessment(_) => A::RecordInitialAssessment,
            Self::ApplyUrgentMeasures(_) => A::ApplyUrgentMeasures,
            Self::DecideSeparation(_) | Self::ExtendSeparation(_) | Self::EndSeparation(_) => {
                A::DecideSeparation
            }
            Self::RecordDetailedAssessment(_) => A::RecordDetailedAssessment,
            Self::RecordNeedsMeeting(_) => A::RecordNeedsMeeting,
            Self::SubmitPlan(_) => A::SubmitPlan,
            Self::DecidePlan(_) => A::DecidePlan,
            Self::RecordServiceDelivery(_) => A::RecordServiceDelivery,
            Self::RecordReferral(_) => A::RecordReferral,
            Self::FileCourtPetition(_) | Self::RecordCourtOrder(_) => A::RecordCourtAction,
            Self::RecordReview(_) => A::RecordReview,
            Self::ProposeClosure(_) => A::ProposeClosure,
            Self::DecideClosure(_) => A::DecideClosure,
            Self::AddNote(_) => A::AddNote,
            Self::CorrectFact(_) => A::CorrectFact,
            Self::RequestHotlineSupport(_) | Self::WithdrawHotlineSupport(_) => {
                A::RequestHotlineSupport
            }
        }
    }
}
