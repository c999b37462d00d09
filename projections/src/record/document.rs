//! The case document's shape: what `GET /cases/{id}` answers, section by section.

use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// Who recorded a step.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordedBy {
    pub user_id: Uuid,
    pub role: String,
    pub unit: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChildView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_age: Option<u8>,
    pub sex: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ethnicity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub residence_unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub school: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReporterView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relationship: Option<String>,
    pub consent: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InitialAssessmentView {
    pub assessed_at: String,
    pub outcome: String,
    pub grounds: Vec<String>,
    pub ratings: BTreeMap<String, String>,
    pub findings: String,
    pub by: Option<RecordedBy>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UrgentMeasuresView {
    pub sequence: u64,
    pub applied_at: String,
    pub measures: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub by: Option<RecordedBy>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeparationView {
    pub decided_at: String,
    pub until: String,
    /// The conditions of ND56 art. 32(1) the decision rests on.
    pub grounds: Vec<String>,
    pub placement: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// The successive `until` of each extension.
    pub extensions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub court_until: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub court_order_ref: Option<String>,
    pub decided_by: Option<RecordedBy>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DetailedAssessmentView {
    pub sequence: u64,
    pub assessed_at: String,
    pub physical_psychological: String,
    pub family: String,
    pub risk_factors: String,
    pub schooling: String,
    pub community: String,
    pub needs: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub child_view: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_view: Option<String>,
    /// Whose view `parent_view` is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_view_by: Option<String>,
    pub by: Option<RecordedBy>,
}

/// The standing request for the hotline's support (ND56 art. 31(3)).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HotlineSupportView {
    pub requested_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub by: Option<RecordedBy>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NeedsMeetingView {
    pub sequence: u64,
    pub held_at: String,
    pub chaired_by: String,
    pub attendees: Vec<String>,
    pub decisions: String,
    pub by: Option<RecordedBy>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryView {
    pub sequence: u64,
    pub delivered_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub completed: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanItemView {
    pub id: Uuid,
    pub measure: String,
    pub service_type: String,
    pub responsible: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_estimate_vnd: Option<u64>,
    pub deliveries: Vec<DeliveryView>,
    pub completed: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanView {
    pub version: u32,
    /// `submitted`, `approved`, `returned` or `superseded`.
    pub status: String,
    pub submitted_at: String,
    pub submitted_by: Option<RecordedBy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<RecordedBy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub items: Vec<PlanItemView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReferralView {
    pub sequence: u64,
    pub referred_at: String,
    pub to: String,
    /// The kind of agency (`referral_kind` code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub by: Option<RecordedBy>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourtActionView {
    pub sequence: u64,
    /// `petition` or `order`.
    pub kind: String,
    pub at: String,
    /// The court (petition) or the order's reference (order).
    pub reference: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ground: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub separation_until: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub by: Option<RecordedBy>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewView {
    pub sequence: u64,
    pub reviewed_at: String,
    pub ratings: BTreeMap<String, String>,
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub by: Option<RecordedBy>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClosureProposalView {
    pub proposed_at: String,
    pub reason: String,
    /// `initial_assessment`, `review` or `worker`.
    pub origin: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linked_case_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub by: Option<RecordedBy>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClosureView {
    pub decided_at: String,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linked_case_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub by: Option<RecordedBy>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoteView {
    pub sequence: u64,
    pub written_at: String,
    pub text: String,
    pub by: Option<RecordedBy>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CorrectionView {
    pub sequence: u64,
    pub corrected_at: String,
    pub corrects_sequence: u64,
    pub field: String,
    pub reason: String,
    pub by: Option<RecordedBy>,
}

/// A deadline of the case, with its state at the instant the document was made.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeadlineView {
    pub deadline_id: String,
    pub rule_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_id: Option<Uuid>,
    pub started_at: String,
    pub due_at: String,
    /// `pending`, `due_soon`, `overdue`, `met`, `met_late` or `cancelled`.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met_at: Option<String>,
    /// `law` or `policy`.
    pub mark: String,
    pub basis: String,
    /// Counted over a year whose holiday schedule is not yet announced.
    pub provisional: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LinkedCase {
    pub case_id: Uuid,
    /// `previous_episode` (an earlier case of the same child), `duplicate_of`, `same_child`
    /// (linked as the same child) or `not_same_child` (found to be another child).
    pub relation: String,
}

/// The case as `GET /cases/{id}` and every command answer return it. Fields the reader may not
/// see are absent, not null.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseDocument {
    pub id: Uuid,
    pub case_number: String,
    pub report_id: Uuid,
    pub child_id: Uuid,
    pub status: String,
    pub version: u64,
    pub acting_unit: String,
    pub incident_unit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<Uuid>,
    pub received_at: String,
    pub received_by: Uuid,
    /// A 16- or 17-year-old (*người chưa thành niên*), counted apart from children.
    pub juvenile: bool,
    /// Hotline operators may read and note the case while this stands.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hotline_support: Option<HotlineSupportView>,
    pub intake_point: String,
    pub channel: String,
    pub target_group: String,
    pub abuse_types: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sexual_abuse_subtypes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exploitation_subtypes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abuse_environment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perpetrator_relationship: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub immediate_danger: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub special_circumstances: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The child's private information: absent for readers without the case in jurisdiction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub child: Option<ChildView>,
    /// The reporter's identity: present only for the intake officer and supervisors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reporter: Option<ReporterView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_assessment: Option<InitialAssessmentView>,
    pub urgent_measures: Vec<UrgentMeasuresView>,
    /// The latest temporary separation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub separation: Option<SeparationView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detailed_assessment: Option<DetailedAssessmentView>,
    /// The latest needs meeting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needs_meeting: Option<NeedsMeetingView>,
    /// The latest plan version; `plans` holds every version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanView>,
    pub plans: Vec<PlanView>,
    pub referrals: Vec<ReferralView>,
    pub court_actions: Vec<CourtActionView>,
    pub reviews: Vec<ReviewView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closure_proposal: Option<ClosureProposalView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closure: Option<ClosureView>,
    pub notes: Vec<NoteView>,
    pub corrections: Vec<CorrectionView>,
    pub deadlines: Vec<DeadlineView>,
    pub linked_cases: Vec<LinkedCase>,
    /// Reports about the child received after the one that opened the case.
    pub attached_reports: Vec<AttachedReportView>,
}

/// A later report attached to the case (no personal data: that is the case's own child block).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttachedReportView {
    pub sequence: u64,
    pub report_id: Uuid,
    pub received_at: String,
    pub received_by: Uuid,
    pub intake_point: String,
    pub channel: String,
    pub abuse_types: Vec<String>,
}
