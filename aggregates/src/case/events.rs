//! The events of a case: one per step of procedure.md §3, plus the deadline clocks the steps
//! start and stop. Events carry business facts and business time; who recorded them (actor,
//! role, unit, request id) travels beside them in the event metadata.
//!
//! Events are immutable: a stored event is never changed, a correction is a new event.

use crate::codes::*;
use crate::deadlines::{DeadlineCancelled, DeadlineMet, DeadlineStarted};
use crate::text::{LongText, ShortText};
use crate::units::{UnitCode, UnitPath};
use chrono::{DateTime, NaiveDate, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The child the case is about (Mẫu 01). Almost everything is optional: an intake officer records
/// what is known.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Child {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<ShortText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<NaiveDate>,
    /// Age in years when the date of birth is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_age: Option<u8>,
    pub sex: Sex,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ethnicity: Option<ShortText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residence_unit: Option<UnitCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub school: Option<ShortText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<LongText>,
}

/// The person who reported. Identity fields are present only with the reporter's consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reporter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<ShortText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<ShortText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<ShortText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relationship: Option<ShortText>,
    pub consent: bool,
}

/// A report was received and the case opened (*tiếp nhận thông tin*, ND56 art. 25, Mẫu 01).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseReported {
    pub case_id: Uuid,
    /// Human number, unique and sequential per province and year: `12-2026-000123`.
    pub case_number: String,
    /// The report the case came from; siblings named in one report share it.
    pub report_id: Uuid,
    /// The child across episodes: a new report about a child with an earlier case keeps its id.
    pub child_id: Uuid,
    pub received_at: DateTime<Utc>,
    /// The intake officer who took the report (Mẫu 01 *người tiếp nhận*).
    pub received_by: Uuid,
    pub intake_point: IntakePoint,
    pub channel: Channel,
    pub target_group: TargetGroup,
    /// Where the incident happened; the case's acting unit at intake (ND56 art. 26(1)).
    pub incident_unit: UnitPath,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<LongText>,
    #[serde(default)]
    pub abuse_types: Vec<AbuseType>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sexual_abuse_subtypes: Vec<SexualAbuseSubtype>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exploitation_subtypes: Vec<ExploitationSubtype>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abuse_environment: Option<AbuseEnvironment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perpetrator_relationship: Option<PerpetratorRelationship>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub immediate_danger: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub special_circumstances: Vec<SpecialCircumstance>,
    pub child: Child,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter: Option<Reporter>,
    /// An earlier, closed case about the same child ([policy]: a new report opens a new case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_case_id: Option<Uuid>,
    /// Cases the operator, shown them as possible matches at intake, said are about another
    /// child: kept so that the matcher does not ask again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_same_as: Vec<Uuid>,
    /// The child was 16 or 17 when reported (*người chưa thành niên*, not a child under LTE
    /// art. 1): handled alike, counted apart (procedure.md §2) [policy].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub juvenile: bool,
}

/// A new report about the child of an open case, attached to it instead of opening a parallel
/// case: new information is a new report (ND56 art. 25–26), with its own receipt. While the case
/// awaits its initial assessment the 12-hour clock restarts from this receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportAttached {
    pub report_id: Uuid,
    pub received_at: DateTime<Utc>,
    pub received_by: Uuid,
    pub intake_point: IntakePoint,
    pub channel: Channel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<LongText>,
    #[serde(default)]
    pub abuse_types: Vec<AbuseType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub immediate_danger: Option<bool>,
    /// The child as this report describes it (kept apart: the case's intake facts stay).
    pub child: Child,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter: Option<Reporter>,
}

/// The case's child was found to be the child of another case: the case now points to that
/// child's identity. Nothing is merged; [`ChildUnlinked`] restores `previous_child_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildLinked {
    pub linked_at: DateTime<Utc>,
    pub child_id: Uuid,
    pub previous_child_id: Uuid,
    /// The case whose child this is.
    pub same_as_case_id: Uuid,
}

/// A link was undone: the case points again to the identity it had before the link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildUnlinked {
    pub unlinked_at: DateTime<Utc>,
    pub child_id: Uuid,
    pub previous_child_id: Uuid,
}

/// A possible duplicate was looked at and is another child: not to be asked again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildDistinguished {
    pub decided_at: DateTime<Utc>,
    pub other_case_id: Uuid,
}

/// A worker was assigned to the case (*phân công*).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerAssigned {
    pub worker_id: Uuid,
    pub assigned_at: DateTime<Utc>,
}

/// The case moved to another commune, e.g. where the child lives (LTE art. 52(2)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseTransferred {
    pub transferred_at: DateTime<Utc>,
    pub from_unit: UnitPath,
    pub to_unit: UnitPath,
    pub reason: LongText,
}

/// Initial risk assessment (*đánh giá nguy cơ ban đầu*, ND56 art. 26, Mẫu 02).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitialAssessmentRecorded {
    pub assessed_at: DateTime<Utc>,
    pub outcome: InitialOutcome,
    #[serde(default)]
    pub grounds: Vec<EmergencyGround>,
    #[serde(default)]
    pub ratings: BTreeMap<ReviewCriterion, Rating>,
    pub findings: LongText,
}

/// Urgent measures taken (*can thiệp khẩn cấp*, ND56 art. 31).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrgentMeasuresApplied {
    pub applied_at: DateTime<Utc>,
    pub measures: Vec<UrgentMeasure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<LongText>,
}

/// Temporary separation from parents or carer decided by the approver (*tạm thời cách ly*,
/// ND56 art. 32, Mẫu 07).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeparationDecided {
    pub decided_at: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// The conditions of ND56 art. 32(1) the decision rests on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grounds: Vec<SeparationGround>,
    pub placement: LongText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<LongText>,
}

/// The separation was extended, within the 15-day cap unless a court ordered more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeparationExtended {
    pub extended_at: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// The separation ended: the child returned home or a court decided (Circular 14/2020 art. 14(3)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeparationEnded {
    pub ended_at: DateTime<Utc>,
    pub reason: SeparationEndReason,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub court_order_ref: Option<ShortText>,
}

/// Detailed risk assessment (*đánh giá nguy cơ cụ thể*, ND56 art. 27(1), Mẫu 03).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetailedAssessmentRecorded {
    pub assessed_at: DateTime<Utc>,
    /// (a) physical, psychological and emotional state.
    pub physical_psychological: LongText,
    /// (b) family circumstances and protective capacity.
    pub family: LongText,
    /// (c) risk factors.
    pub risk_factors: LongText,
    /// (d) schooling and self-protection.
    pub schooling: LongText,
    /// (đ) community safety and support.
    pub community: LongText,
    /// (e) needs.
    pub needs: Vec<ServiceType>,
    /// (g) the child's own view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_view: Option<LongText>,
    /// (h) the parents' view, unless they caused the harm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_view: Option<LongText>,
    /// Whose view (h) is: the non-offending parent's view is taken, the offender's never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_view_by: Option<Carer>,
}

/// The needs meeting (*họp xác định nhu cầu*, ND56 art. 27(2)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeedsMeetingHeld {
    pub held_at: DateTime<Utc>,
    pub chaired_by: ShortText,
    pub attendees: Vec<ShortText>,
    pub decisions: LongText,
}

/// One measure of a plan (ND56 art. 28(3)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanItem {
    pub item_id: Uuid,
    pub measure: PlanMeasure,
    pub service_type: ServiceType,
    pub responsible: ShortText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<ShortText>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_estimate_vnd: Option<u64>,
}

/// A support and intervention plan was submitted (*xây dựng kế hoạch*, ND56 art. 28(1)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSubmitted {
    pub submitted_at: DateTime<Utc>,
    /// 1 for the first plan, +1 for every resubmission or adjustment.
    pub version: u32,
    pub items: Vec<PlanItem>,
}

/// The approver approved a plan version (*phê duyệt*, ND56 art. 28(4)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanApproved {
    pub decided_at: DateTime<Utc>,
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<LongText>,
}

/// The approver returned a plan version for revision ([policy]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanReturned {
    pub decided_at: DateTime<Utc>,
    pub version: u32,
    pub comment: LongText,
}

/// A service of the approved plan was delivered (ND56 art. 29).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceDelivered {
    pub item_id: Uuid,
    pub delivered_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<LongText>,
    /// The item is complete.
    pub completed: bool,
}

/// The child was referred to an agency or provider (ND56 art. 25(3), 29).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralMade {
    pub referred_at: DateTime<Utc>,
    pub to: ShortText,
    /// The kind of agency (events recorded before the code existed have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_kind: Option<ReferralKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_type: Option<ServiceType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<LongText>,
}

/// A court was petitioned (LTE art. 52(3)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourtPetitionFiled {
    pub filed_at: DateTime<Utc>,
    pub court: ShortText,
    pub ground: CourtPetitionGround,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<LongText>,
}

/// A court or competent authority ordered something about the child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourtOrderRecorded {
    pub ordered_at: DateTime<Utc>,
    pub court_order_ref: ShortText,
    /// The separation continues until then by order of the court (beyond the 15-day cap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub separation_until: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<LongText>,
}

/// Review of the plan's results (*rà soát, đánh giá*, ND56 art. 30, Mẫu 06).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRecorded {
    pub reviewed_at: DateTime<Utc>,
    pub ratings: BTreeMap<ReviewCriterion, Rating>,
    pub outcome: ReviewOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<LongText>,
}

/// Which step proposed the closure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalOrigin {
    /// An initial assessment found no concern.
    InitialAssessment,
    /// A review found the child safe and stable.
    Review,
    /// The worker proposed it (duplicate, transferred out, reached 18, other).
    Worker,
}

impl ProposalOrigin {
    pub fn code(self) -> &'static str {
        match self {
            Self::InitialAssessment => "initial_assessment",
            Self::Review => "review",
            Self::Worker => "worker",
        }
    }
}

/// The worker proposed closing the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosureProposed {
    pub proposed_at: DateTime<Utc>,
    pub reason: ClosureReason,
    pub origin: ProposalOrigin,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_case_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<LongText>,
}

/// The approver refused the closure; the case goes on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosureRejected {
    pub decided_at: DateTime<Utc>,
    pub comment: LongText,
}

/// The approver closed the case (*đóng hồ sơ*, ND56 art. 30(1)(b)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseClosed {
    pub decided_at: DateTime<Utc>,
    pub reason: ClosureReason,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_case_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<LongText>,
}

/// A note on the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteAdded {
    pub written_at: DateTime<Utc>,
    pub text: LongText,
}

/// A recorded fact was corrected. The corrected event stays as it was; this one names it by
/// sequence, the field, the new value and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactCorrected {
    pub corrected_at: DateTime<Utc>,
    pub corrects_sequence: u64,
    pub field: String,
    pub value: serde_json::Value,
    pub reason: LongText,
}

/// A worker or chair asked the hotline 111 to support the case (ND56 art. 31(3), 22(6)): from
/// now on hotline operators may read it and add notes and referrals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HotlineSupportRequested {
    pub requested_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<LongText>,
}

/// The request for the hotline's support was withdrawn: hotline operators no longer reach the
/// case (except the one who took its report).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HotlineSupportWithdrawn {
    pub withdrawn_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<LongText>,
}

/// The case moved to another status of the procedure. Emitted beside the step that moved it,
/// so that views follow the status without a copy of the procedure's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseStatusChanged {
    pub changed_at: DateTime<Utc>,
    pub from: CaseStatus,
    pub to: CaseStatus,
}

/// Everything that can happen to a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CaseEvent {
    CaseReported(Box<CaseReported>),
    ReportAttached(Box<ReportAttached>),
    ChildLinked(ChildLinked),
    ChildUnlinked(ChildUnlinked),
    ChildDistinguished(ChildDistinguished),
    WorkerAssigned(WorkerAssigned),
    CaseTransferred(CaseTransferred),
    InitialAssessmentRecorded(InitialAssessmentRecorded),
    UrgentMeasuresApplied(UrgentMeasuresApplied),
    SeparationDecided(SeparationDecided),
    SeparationExtended(SeparationExtended),
    SeparationEnded(SeparationEnded),
    DetailedAssessmentRecorded(DetailedAssessmentRecorded),
    NeedsMeetingHeld(NeedsMeetingHeld),
    PlanSubmitted(PlanSubmitted),
    PlanApproved(PlanApproved),
    PlanReturned(PlanReturned),
    ServiceDelivered(ServiceDelivered),
    ReferralMade(ReferralMade),
    CourtPetitionFiled(CourtPetitionFiled),
    CourtOrderRecorded(CourtOrderRecorded),
    ReviewRecorded(ReviewRecorded),
    ClosureProposed(ClosureProposed),
    ClosureRejected(ClosureRejected),
    CaseClosed(CaseClosed),
    NoteAdded(NoteAdded),
    FactCorrected(FactCorrected),
    HotlineSupportRequested(HotlineSupportRequested),
    HotlineSupportWithdrawn(HotlineSupportWithdrawn),
    CaseStatusChanged(CaseStatusChanged),
    DeadlineStarted(DeadlineStarted),
    DeadlineMet(DeadlineMet),
    DeadlineCancelled(DeadlineCancelled),
}

impl CaseEvent {
    /// The stored event type (PascalCase, as cqrs-es names them).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::CaseReported(_) => "CaseReported",
            Self::ReportAttached(_) => "ReportAttached",
            Self::ChildLinked(_) => "ChildLinked",
            Self::ChildUnlinked(_) => "ChildUnlinked",
            Self::ChildDistinguished(_) => "ChildDistinguished",
            Self::WorkerAssigned(_) => "WorkerAssigned",
            Self::CaseTransferred(_) => "CaseTransferred",
            Self::InitialAssessmentRecorded(_) => "InitialAssessmentRecorded",
            Self::UrgentMeasuresApplied(_) => "UrgentMeasuresApplied",
            Self::SeparationDecided(_) => "SeparationDecided",
            Self::SeparationExtended(_) => "SeparationExtended",
            Self::SeparationEnded(_) => "SeparationEnded",
            Self::DetailedAssessmentRecorded(_) => "DetailedAssessmentRecorded",
            Self::NeedsMeetingHeld(_) => "NeedsMeetingHeld",
            Self::PlanSubmitted(_) => "PlanSubmitted",
            Self::PlanApproved(_) => "PlanApproved",
            Self::PlanReturned(_) => "PlanReturned",
            Self::ServiceDelivered(_) => "ServiceDelivered",
            Self::ReferralMade(_) => "ReferralMade",
            Self::CourtPetitionFiled(_) => "CourtPetitionFiled",
            Self::CourtOrderRecorded(_) => "CourtOrderRecorded",
            Self::ReviewRecorded(_) => "ReviewRecorded",
            Self::ClosureProposed(_) => "ClosureProposed",
            Self::ClosureRejected(_) => "ClosureRejected",
            Self::CaseClosed(_) => "CaseClosed",
            Self::NoteAdded(_) => "NoteAdded",
            Self::FactCorrected(_) => "FactCorrected",
            Self::HotlineSupportRequested(_) => "HotlineSupportRequested",
            Self::HotlineSupportWithdrawn(_) => "HotlineSupportWithdrawn",
            Self::CaseStatusChanged(_) => "CaseStatusChanged",
            Self::DeadlineStarted(_) => "DeadlineStarted",
            Self::DeadlineMet(_) => "DeadlineMet",
            Self::DeadlineCancelled(_) => "DeadlineCancelled",
        }
    }

    /// The business time the event records (`occurred_at` in the history).
    pub fn occurred_at(&self) -> DateTime<Utc> {
        match self {
            Self::CaseReported(e) => e.received_at,
            Self::ReportAttached(e) => e.received_at,
            Self::ChildLinked(e) => e.linked_at,
            Self::ChildUnlinked(e) => e.unlinked_at,
            Self::ChildDistinguished(e) => e.decided_at,
            Self::WorkerAssigned(e) => e.assigned_at,
            Self::CaseTransferred(e) => e.transferred_at,
            Self::InitialAssessmentRecorded(e) => e.assessed_at,
            Self::UrgentMeasuresApplied(e) => e.applied_at,
            Self::SeparationDecided(e) => e.decided_at,
            Self::SeparationExtended(e) => e.extended_at,
            Self::SeparationEnded(e) => e.ended_at,
            Self::DetailedAssessmentRecorded(e) => e.assessed_at,
            Self::NeedsMeetingHeld(e) => e.held_at,
            Self::PlanSubmitted(e) => e.submitted_at,
            Self::PlanApproved(e) => e.decided_at,
            Self::PlanReturned(e) => e.decided_at,
            Self::ServiceDelivered(e) => e.delivered_at,
            Self::ReferralMade(e) => e.referred_at,
            Self::CourtPetitionFiled(e) => e.filed_at,
            Self::CourtOrderRecorded(e) => e.ordered_at,
            Self::ReviewRecorded(e) => e.reviewed_at,
            Self::ClosureProposed(e) => e.proposed_at,
            Self::ClosureRejected(e) => e.decided_at,
            Self::CaseClosed(e) => e.decided_at,
            Self::NoteAdded(e) => e.written_at,
            Self::FactCorrected(e) => e.corrected_at,
            Self::HotlineSupportRequested(e) => e.requested_at,
            Self::HotlineSupportWithdrawn(e) => e.withdrawn_at,
            Self::CaseStatusChanged(e) => e.changed_at,
            Self::DeadlineStarted(e) => e.started_at,
            Self::DeadlineMet(e) => e.met_at,
            Self::DeadlineCancelled(e) => e.cancelled_at,
        }
    }

    /// Whether the event is a deadline clock rather than a step.
    pub fn is_deadline(&self) -> bool {
        matches!(
            self,
            Self::DeadlineStarted(_) | Self::DeadlineMet(_) | Self::DeadlineCancelled(_)
        )
    }

    /// Whether the event follows from a step (a status change, a deadline clock) rather than
    /// recording one.
    pub fn is_derived(&self) -> bool {
        self.is_deadline() || matches!(self, Self::CaseStatusChanged(_))
    }
}

impl DomainEvent for CaseEvent {
    fn event_type(&self) -> String {
        self.kind().to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
