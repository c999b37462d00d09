//! A case's events as stored (with who recorded them and when) and the case document the API
//! returns: the case folded from its events, filtered by what the reader may see.

use aggregates::case::{Case, CaseEvent, Recorded};
use aggregates::codes::{Code, Role};
use aggregates::deadlines::{Deadline, DeadlineOutcome};
use aggregates::policy::FieldAccess;
use aggregates::units::UnitCode;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;
use uuid::Uuid;

/// Who recorded an event, and when: carried beside the event in the store's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventMetadata {
    pub actor_id: Uuid,
    pub role: Role,
    pub unit: UnitCode,
    pub request_id: String,
    /// The server's clock when the command was accepted.
    pub recorded_at: DateTime<Utc>,
    pub idempotency_key: Option<String>,
}

impl EventMetadata {
    pub fn to_map(&self) -> HashMap<String, String> {
        let mut map = HashMap::from([
            ("actor_id".to_owned(), self.actor_id.to_string()),
            ("actor_role".to_owned(), self.role.code().to_owned()),
            ("actor_unit".to_owned(), self.unit.to_string()),
            ("request_id".to_owned(), self.request_id.clone()),
            (
                "recorded_at".to_owned(),
                self.recorded_at
                    .to_rfc3339_opts(SecondsFormat::Micros, true),
            ),
        ]);
        if let Some(key) = &self.idempotency_key {
            map.insert("idempotency_key".to_owned(), key.clone());
        }
        map
    }

    pub fn from_map(map: &HashMap<String, String>) -> Option<Self> {
        Some(Self {
            actor_id: map.get("actor_id")?.parse().ok()?,
            role: Role::parse(map.get("actor_role")?).ok()?,
            unit: UnitCode::parse(map.get("actor_unit")?).ok()?,
            request_id: map.get("request_id")?.clone(),
            recorded_at: DateTime::parse_from_rfc3339(map.get("recorded_at")?)
                .ok()?
                .with_timezone(&Utc),
            idempotency_key: map.get("idempotency_key").cloned(),
        })
    }
}

/// One stored event of a case.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    pub sequence: u64,
    pub event: CaseEvent,
    pub metadata: EventMetadata,
}

/// Folds a case from its recorded events.
pub fn fold(events: &[RecordedEvent]) -> Case {
    Case::fold(events.iter().map(|e| &e.event))
}

fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

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
    /// `previous_episode` (an earlier case of the same child) or `duplicate_of`.
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
}

fn opt_str<T: std::fmt::Display>(value: &Option<T>) -> Option<String> {
    value.as_ref().map(ToString::to_string)
}

fn codes<C: Code>(values: &[C]) -> Vec<String> {
    values.iter().map(|c| c.code().to_owned()).collect()
}

/// The deadline as shown at `now`.
pub fn deadline_view(d: &Deadline, now: DateTime<Utc>) -> DeadlineView {
    DeadlineView {
        deadline_id: d.deadline_id.clone(),
        rule_id: d.rule_id.clone(),
        item_id: d.item_id,
        started_at: ts(d.started_at),
        due_at: ts(d.due_at),
        state: d.state_at(now).code().to_owned(),
        met_at: match &d.outcome {
            Some(DeadlineOutcome::Met { at, .. }) => Some(ts(*at)),
            _ => None,
        },
        mark: d.mark.code().to_owned(),
        basis: d.basis.clone(),
        provisional: d.provisional,
    }
}

/// Renders the case folded from `events`, as `access` allows, with deadline states at `now`.
/// `None` when the events do not open a case.
pub fn case_document(
    events: &[RecordedEvent],
    access: FieldAccess,
    now: DateTime<Utc>,
) -> Option<CaseDocument> {
    let case = fold(events);
    let report = case.report.as_ref()?;
    let r = &report.fact;
    let by_sequence: HashMap<u64, &EventMetadata> =
        events.iter().map(|e| (e.sequence, &e.metadata)).collect();
    let by = |sequence: u64| {
        by_sequence.get(&sequence).map(|m| RecordedBy {
            user_id: m.actor_id,
            role: m.role.code().to_owned(),
            unit: m.unit.to_string(),
        })
    };
    let deliveries = |item_id: Uuid| -> Vec<DeliveryView> {
        case.services
            .iter()
            .filter(|s| s.fact.item_id == item_id)
            .map(|s| DeliveryView {
                sequence: s.sequence,
                delivered_at: ts(s.fact.delivered_at),
                notes: opt_str(&s.fact.notes),
                completed: s.fact.completed,
            })
            .collect()
    };
    let plans: Vec<PlanView> = case
        .plans
        .iter()
        .map(|p| {
            let decision = p
                .approval
                .as_ref()
                .map(|a| (a.sequence, a.fact.decided_at, a.fact.comment.as_ref()))
                .or(p
                    .returned
                    .as_ref()
                    .map(|r| (r.sequence, r.fact.decided_at, Some(&r.fact.comment))));
            PlanView {
                version: p.submission.fact.version,
                status: p.status.code().to_owned(),
                submitted_at: ts(p.submission.fact.submitted_at),
                submitted_by: by(p.submission.sequence),
                decided_at: decision.map(|(_, at, _)| ts(at)),
                decided_by: decision.and_then(|(seq, _, _)| by(seq)),
                comment: decision.and_then(|(_, _, c)| c.map(ToString::to_string)),
                items: p
                    .submission
                    .fact
                    .items
                    .iter()
                    .map(|i| PlanItemView {
                        id: i.item_id,
                        measure: i.measure.code().to_owned(),
                        service_type: i.service_type.code().to_owned(),
                        responsible: i.responsible.to_string(),
                        provider: opt_str(&i.provider),
                        starts_on: i.starts_on,
                        ends_on: i.ends_on,
                        cost_estimate_vnd: i.cost_estimate_vnd,
                        deliveries: deliveries(i.item_id),
                        completed: case.item_completed(i.item_id),
                    })
                    .collect(),
            }
        })
        .collect();
    let mut linked_cases = Vec::new();
    if let Some(previous) = r.previous_case_id {
        linked_cases.push(LinkedCase {
            case_id: previous,
            relation: "previous_episode".into(),
        });
    }
    if let Some(linked) = case.closure.as_ref().and_then(|c| c.fact.linked_case_id) {
        linked_cases.push(LinkedCase {
            case_id: linked,
            relation: "duplicate_of".into(),
        });
    }
    let review_view = |rv: &Recorded<aggregates::case::ReviewRecorded>| ReviewView {
        sequence: rv.sequence,
        reviewed_at: ts(rv.fact.reviewed_at),
        ratings: rv
            .fact
            .ratings
            .iter()
            .map(|(k, v)| (k.code().to_owned(), v.code().to_owned()))
            .collect(),
        outcome: rv.fact.outcome.code().to_owned(),
        notes: opt_str(&rv.fact.notes),
        by: by(rv.sequence),
    };
    let mut court_actions: Vec<CourtActionView> = case
        .court_petitions
        .iter()
        .map(|p| CourtActionView {
            sequence: p.sequence,
            kind: "petition".into(),
            at: ts(p.fact.filed_at),
            reference: p.fact.court.to_string(),
            ground: Some(p.fact.ground.code().to_owned()),
            separation_until: None,
            notes: opt_str(&p.fact.notes),
            by: by(p.sequence),
        })
        .chain(case.court_orders.iter().map(|o| CourtActionView {
            sequence: o.sequence,
            kind: "order".into(),
            at: ts(o.fact.ordered_at),
            reference: o.fact.court_order_ref.to_string(),
            ground: None,
            separation_until: o.fact.separation_until.map(ts),
            notes: opt_str(&o.fact.notes),
            by: by(o.sequence),
        }))
        .collect();
    court_actions.sort_by_key(|c| c.sequence);

    Some(CaseDocument {
        id: r.case_id,
        case_number: r.case_number.clone(),
        report_id: r.report_id,
        child_id: r.child_id,
        status: case.status.code().to_owned(),
        version: case.version,
        acting_unit: case
            .acting_unit
            .as_ref()
            .map(|u| u.unit().to_string())
            .unwrap_or_default(),
        incident_unit: r.incident_unit.unit().to_string(),
        assigned_to: case.assigned_to,
        received_at: ts(r.received_at),
        received_by: r.received_by,
        juvenile: r.juvenile,
        hotline_support: case.hotline_support.as_ref().map(|h| HotlineSupportView {
            requested_at: ts(h.fact.requested_at),
            reason: opt_str(&h.fact.reason),
            by: by(h.sequence),
        }),
        intake_point: r.intake_point.code().to_owned(),
        channel: r.channel.code().to_owned(),
        target_group: r.target_group.code().to_owned(),
        abuse_types: codes(&r.abuse_types),
        sexual_abuse_subtypes: codes(&r.sexual_abuse_subtypes),
        exploitation_subtypes: codes(&r.exploitation_subtypes),
        abuse_environment: r.abuse_environment.map(|c| c.code().to_owned()),
        perpetrator_relationship: r.perpetrator_relationship.map(|c| c.code().to_owned()),
        immediate_danger: r.immediate_danger,
        special_circumstances: codes(&r.special_circumstances),
        description: opt_str(&r.description),
        child: access.child.then(|| ChildView {
            full_name: opt_str(&r.child.full_name),
            date_of_birth: r.child.date_of_birth,
            estimated_age: r.child.estimated_age,
            sex: r.child.sex.code().to_owned(),
            ethnicity: opt_str(&r.child.ethnicity),
            residence_unit: opt_str(&r.child.residence_unit),
            school: opt_str(&r.child.school),
            condition: opt_str(&r.child.condition),
        }),
        reporter: r
            .reporter
            .as_ref()
            .filter(|_| access.reporter)
            .map(|p| ReporterView {
                name: opt_str(&p.name),
                phone: opt_str(&p.phone),
                address: opt_str(&p.address),
                relationship: opt_str(&p.relationship),
                consent: p.consent,
            }),
        initial_assessment: case
            .initial_assessment
            .as_ref()
            .map(|a| InitialAssessmentView {
                assessed_at: ts(a.fact.assessed_at),
                outcome: a.fact.outcome.code().to_owned(),
                grounds: codes(&a.fact.grounds),
                ratings: a
                    .fact
                    .ratings
                    .iter()
                    .map(|(k, v)| (k.code().to_owned(), v.code().to_owned()))
                    .collect(),
                findings: a.fact.findings.to_string(),
                by: by(a.sequence),
            }),
        urgent_measures: case
            .urgent_measures
            .iter()
            .map(|u| UrgentMeasuresView {
                sequence: u.sequence,
                applied_at: ts(u.fact.applied_at),
                measures: codes(&u.fact.measures),
                notes: opt_str(&u.fact.notes),
                by: by(u.sequence),
            })
            .collect(),
        separation: case.separations.last().map(|s| SeparationView {
            decided_at: ts(s.decision.fact.decided_at),
            until: ts(s.until),
            grounds: codes(&s.decision.fact.grounds),
            placement: s.decision.fact.placement.to_string(),
            notes: opt_str(&s.decision.fact.notes),
            extensions: s.extensions.iter().map(|e| ts(e.fact.until)).collect(),
            court_until: s.court_until.map(ts),
            ended_at: s.end.as_ref().map(|e| ts(e.fact.ended_at)),
            end_reason: s.end.as_ref().map(|e| e.fact.reason.code().to_owned()),
            court_order_ref: s
                .end
                .as_ref()
                .and_then(|e| opt_str(&e.fact.court_order_ref)),
            decided_by: by(s.decision.sequence),
        }),
        detailed_assessment: case
            .detailed_assessment
            .as_ref()
            .map(|d| DetailedAssessmentView {
                sequence: d.sequence,
                assessed_at: ts(d.fact.assessed_at),
                physical_psychological: d.fact.physical_psychological.to_string(),
                family: d.fact.family.to_string(),
                risk_factors: d.fact.risk_factors.to_string(),
                schooling: d.fact.schooling.to_string(),
                community: d.fact.community.to_string(),
                needs: codes(&d.fact.needs),
                child_view: opt_str(&d.fact.child_view),
                parent_view: opt_str(&d.fact.parent_view),
                parent_view_by: d.fact.parent_view_by.map(|c| c.code().to_owned()),
                by: by(d.sequence),
            }),
        needs_meeting: case.needs_meetings.last().map(|m| NeedsMeetingView {
            sequence: m.sequence,
            held_at: ts(m.fact.held_at),
            chaired_by: m.fact.chaired_by.to_string(),
            attendees: m.fact.attendees.iter().map(ToString::to_string).collect(),
            decisions: m.fact.decisions.to_string(),
            by: by(m.sequence),
        }),
        plan: plans.last().cloned(),
        plans,
        referrals: case
            .referrals
            .iter()
            .map(|rf| ReferralView {
                sequence: rf.sequence,
                referred_at: ts(rf.fact.referred_at),
                to: rf.fact.to.to_string(),
                to_kind: rf.fact.to_kind.map(|k| k.code().to_owned()),
                service_type: rf.fact.service_type.map(|s| s.code().to_owned()),
                notes: opt_str(&rf.fact.notes),
                by: by(rf.sequence),
            })
            .collect(),
        court_actions,
        reviews: case.reviews.iter().map(review_view).collect(),
        closure_proposal: case.closure_proposal.as_ref().map(|p| ClosureProposalView {
            proposed_at: ts(p.proposal.fact.proposed_at),
            reason: p.proposal.fact.reason.code().to_owned(),
            origin: p.proposal.fact.origin.code().to_owned(),
            linked_case_id: p.proposal.fact.linked_case_id,
            comment: opt_str(&p.proposal.fact.comment),
            by: by(p.proposal.sequence),
        }),
        closure: case.closure.as_ref().map(|c| ClosureView {
            decided_at: ts(c.fact.decided_at),
            reason: c.fact.reason.code().to_owned(),
            linked_case_id: c.fact.linked_case_id,
            comment: opt_str(&c.fact.comment),
            by: by(c.sequence),
        }),
        notes: case
            .notes
            .iter()
            .map(|n| NoteView {
                sequence: n.sequence,
                written_at: ts(n.fact.written_at),
                text: n.fact.text.to_string(),
                by: by(n.sequence),
            })
            .collect(),
        corrections: case
            .corrections
            .iter()
            .map(|c| CorrectionView {
                sequence: c.sequence,
                corrected_at: ts(c.fact.corrected_at),
                corrects_sequence: c.fact.corrects_sequence,
                field: c.fact.field.clone(),
                reason: c.fact.reason.to_string(),
                by: by(c.sequence),
            })
            .collect(),
        deadlines: case
            .deadlines
            .iter()
            .map(|d| deadline_view(d, now))
            .collect(),
        linked_cases,
    })
}
