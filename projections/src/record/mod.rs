//! A case's events as stored (with who recorded them and when) and the case document the API
//! returns: the case folded from its events, filtered by what the reader may see.

use aggregates::case::{Case, CaseEvent, Recorded};
use aggregates::codes::{Code, Role};
use aggregates::deadlines::{Deadline, DeadlineOutcome};
use aggregates::policy::FieldAccess;
use aggregates::units::UnitCode;
use chrono::{DateTime, SecondsFormat, Utc};
use std::collections::HashMap;
use uuid::Uuid;

mod document;

pub use document::*;

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
    if let Some(link) = case.child_links.last() {
        linked_cases.push(LinkedCase {
            case_id: link.same_as_case_id,
            relation: "same_child".into(),
        });
    }
    for other in r.not_same_as.iter().chain(&case.distinct_from) {
        linked_cases.push(LinkedCase {
            case_id: *other,
            relation: "not_same_child".into(),
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
        child_id: case.child_id().unwrap_or(r.child_id),
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
        attached_reports: case
            .attached_reports
            .iter()
            .map(|a| AttachedReportView {
                sequence: a.sequence,
                report_id: a.fact.report_id,
                received_at: ts(a.fact.received_at),
                received_by: a.fact.received_by,
                intake_point: a.fact.intake_point.code().to_owned(),
                channel: a.fact.channel.code().to_owned(),
                abuse_types: codes(&a.fact.abuse_types),
            })
            .collect(),
    })
}
