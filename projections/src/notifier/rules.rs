//! Which steps are told to whom: one pure function from an event (and what the notifier knows of
//! its case) to the messages it produces. The deadline messages come from the sweep instead.

use super::{Audience, Draft, Kind};
use crate::log::LoggedEvent;
use aggregates::case::CaseEvent;
use aggregates::codes::{Code, InitialOutcome, Role, TargetGroup};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// What the notifier knows of a case: no personal data, only what a message names and what
/// decides its recipients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    pub case_number: String,
    /// The commune where the incident happened (ND56 art. 26(1)).
    pub incident_unit: String,
    /// The commune the case acts in now.
    pub acting_unit: String,
    pub assigned_to: Option<Uuid>,
}

impl CaseFacts {
    /// The facts a case starts with, if `event` opens it.
    pub fn opened_by(event: &CaseEvent) -> Option<Self> {
        match event {
            CaseEvent::CaseReported(r) => {
                let unit = r.incident_unit.unit().to_string();
                Some(Self {
                    case_number: r.case_number.clone(),
                    incident_unit: unit.clone(),
                    acting_unit: unit,
                    assigned_to: None,
                })
            }
            _ => None,
        }
    }

    /// Follows the facts through a later event.
    pub fn apply(&mut self, event: &CaseEvent) {
        match event {
            CaseEvent::CaseTransferred(t) => self.acting_unit = t.to_unit.unit().to_string(),
            CaseEvent::WorkerAssigned(a) => self.assigned_to = Some(a.worker_id),
            _ => {}
        }
    }
}

fn draft(
    kind: Kind,
    e: &LoggedEvent,
    case: &CaseFacts,
    unit: &str,
    at: DateTime<Utc>,
    audience: Vec<Audience>,
) -> Draft {
    Draft {
        // One message per (rule, event): the log position is unique and stable.
        dedupe_key: format!(
            "{}:{}:{}",
            kind.code(),
            e.case_id.simple(),
            e.event.sequence
        ),
        kind,
        case_id: e.case_id,
        case_number: case.case_number.clone(),
        unit: unit.to_owned(),
        rule_id: None,
        due_at: None,
        at,
        audience,
        actor: Some(e.event.metadata.actor_id),
    }
}

/// The messages `e` produces, given the facts of its case *before* it (the caller then applies
/// it with [`CaseFacts::apply`]).
pub fn drafts(e: &LoggedEvent, case: &CaseFacts) -> Vec<Draft> {
    let acting = case.acting_unit.as_str();
    let chairs = |unit: &str| Audience::Role(Role::Approver, unit.to_owned());
    let supervisors = |unit: &str| Audience::ProvinceSupervisors(unit.to_owned());
    match &e.event.event {
        // Báo cáo nhanh: a new case of abuse, or a child in immediate danger, goes at once to
        // the province's supervisors and the incident commune's chair (ND56 art. 25–26).
        CaseEvent::CaseReported(r)
            if r.target_group == TargetGroup::Abused || r.immediate_danger == Some(true) =>
        {
            let incident = case.incident_unit.as_str();
            vec![draft(
                Kind::RapidReport,
                e,
                case,
                incident,
                r.received_at,
                vec![supervisors(incident), chairs(incident)],
            )]
        }
        // A new report of immediate danger about an open case is a rapid report too; the
        // acting commune's chair hears of it as well when the case moved.
        CaseEvent::ReportAttached(r) if r.immediate_danger == Some(true) => {
            let incident = case.incident_unit.as_str();
            let mut audience = vec![supervisors(incident), chairs(incident)];
            if acting != incident {
                audience.push(chairs(acting));
                audience.push(supervisors(acting));
            }
            vec![draft(
                Kind::RapidReport,
                e,
                case,
                incident,
                r.received_at,
                audience,
            )]
        }
        CaseEvent::InitialAssessmentRecorded(a) if a.outcome == InitialOutcome::Emergency => {
            vec![draft(
                Kind::EmergencyAssessment,
                e,
                case,
                acting,
                a.assessed_at,
                vec![chairs(acting), supervisors(acting)],
            )]
        }
        CaseEvent::PlanSubmitted(p) => vec![draft(
            Kind::PlanAwaitingApproval,
            e,
            case,
            acting,
            p.submitted_at,
            vec![chairs(acting)],
        )],
        CaseEvent::PlanReturned(p) => vec![draft(
            Kind::PlanReturned,
            e,
            case,
            acting,
            p.decided_at,
            vec![Audience::AssignedOrWorkers(
                case.assigned_to,
                acting.to_owned(),
            )],
        )],
        CaseEvent::ClosureProposed(p) => vec![draft(
            Kind::ClosureProposed,
            e,
            case,
            acting,
            p.proposed_at,
            vec![chairs(acting)],
        )],
        CaseEvent::CaseTransferred(t) => {
            let to = t.to_unit.unit().to_string();
            vec![draft(
                Kind::CaseTransferredIn,
                e,
                case,
                &to,
                t.transferred_at,
                vec![chairs(&to), Audience::Role(Role::SocialWorker, to.clone())],
            )]
        }
        CaseEvent::WorkerAssigned(a) => vec![draft(
            Kind::CaseAssigned,
            e,
            case,
            acting,
            a.assigned_at,
            vec![Audience::User(a.worker_id)],
        )],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::Position;
    use crate::record::{EventMetadata, RecordedEvent};
    use aggregates::case::events::*;
    use aggregates::codes::*;
    use aggregates::text::LongText;
    use aggregates::units::{UnitCode, UnitPath};

    fn at() -> DateTime<Utc> {
        "2026-06-16T02:00:00Z".parse().unwrap()
    }

    fn logged(sequence: u64, event: CaseEvent) -> LoggedEvent {
        LoggedEvent {
            position: Position {
                tx: 0,
                seq: sequence as i64,
            },
            case_id: Uuid::nil(),
            event: RecordedEvent {
                sequence,
                event,
                metadata: EventMetadata {
                    actor_id: Uuid::from_u128(7),
                    role: Role::SocialWorker,
                    unit: UnitCode::parse("03388").unwrap(),
                    request_id: "r".into(),
                    recorded_at: at(),
                    idempotency_key: None,
                },
            },
        }
    }

    fn facts() -> CaseFacts {
        CaseFacts {
            case_number: "12-2026-000001".into(),
            incident_unit: "03388".into(),
            acting_unit: "03388".into(),
            assigned_to: None,
        }
    }

    fn reported(target_group: TargetGroup, immediate_danger: Option<bool>) -> CaseEvent {
        CaseEvent::CaseReported(Box::new(CaseReported {
            case_id: Uuid::nil(),
            case_number: "12-2026-000001".into(),
            report_id: Uuid::nil(),
            child_id: Uuid::nil(),
            received_at: at(),
            received_by: Uuid::from_u128(7),
            intake_point: IntakePoint::Hotline111,
            channel: Channel::Phone,
            target_group,
            incident_unit: UnitPath::from_codes(&["VN", "12", "03388"]).unwrap(),
            description: None,
            abuse_types: vec![],
            sexual_abuse_subtypes: vec![],
            exploitation_subtypes: vec![],
            abuse_environment: None,
            perpetrator_relationship: None,
            immediate_danger,
            special_circumstances: vec![],
            child: Child::default(),
            reporter: None,
            previous_case_id: None,
            not_same_as: vec![],
            juvenile: false,
        }))
    }

    #[test]
    fn a_new_abuse_case_or_immediate_danger_is_a_rapid_report_to_supervisors_and_chair() {
        let e = logged(1, reported(TargetGroup::Abused, None));
        let case = CaseFacts::opened_by(&e.event.event).unwrap();
        let out = drafts(&e, &case);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].kind, Kind::RapidReport);
        assert_eq!(out[0].unit, "03388");
        assert_eq!(
            out[0].audience,
            vec![
                Audience::ProvinceSupervisors("03388".into()),
                Audience::Role(Role::Approver, "03388".into())
            ]
        );
        let danger = logged(1, reported(TargetGroup::AtRisk, Some(true)));
        assert_eq!(drafts(&danger, &case).len(), 1);
        let neither = logged(1, reported(TargetGroup::AtRisk, Some(false)));
        assert!(drafts(&neither, &case).is_empty());
    }

    #[test]
    fn keys_are_per_rule_and_event() {
        let e = logged(4, reported(TargetGroup::Abused, None));
        let d = &drafts(&e, &facts())[0];
        assert_eq!(
            d.dedupe_key,
            format!("rapid_report:{}:4", Uuid::nil().simple())
        );
        assert_eq!(d.actor, Some(Uuid::from_u128(7)));
    }

    #[test]
    fn a_returned_plan_goes_to_the_assigned_worker_or_the_communes_workers() {
        let returned = logged(
            9,
            CaseEvent::PlanReturned(PlanReturned {
                decided_at: at(),
                version: 1,
                comment: LongText::parse("Bổ sung").unwrap(),
            }),
        );
        let mut case = facts();
        assert_eq!(
            drafts(&returned, &case)[0].audience,
            vec![Audience::AssignedOrWorkers(None, "03388".into())]
        );
        case.apply(&CaseEvent::WorkerAssigned(WorkerAssigned {
            worker_id: Uuid::from_u128(3),
            assigned_at: at(),
        }));
        assert_eq!(
            drafts(&returned, &case)[0].audience,
            vec![Audience::AssignedOrWorkers(
                Some(Uuid::from_u128(3)),
                "03388".into()
            )]
        );
    }

    #[test]
    fn a_transfer_is_told_to_the_receiving_commune() {
        let moved = logged(
            5,
            CaseEvent::CaseTransferred(CaseTransferred {
                transferred_at: at(),
                from_unit: UnitPath::from_codes(&["VN", "12", "03388"]).unwrap(),
                to_unit: UnitPath::from_codes(&["VN", "12", "03390"]).unwrap(),
                reason: LongText::parse("Nơi trẻ cư trú").unwrap(),
            }),
        );
        let mut case = facts();
        let d = &drafts(&moved, &case)[0];
        assert_eq!(d.kind, Kind::CaseTransferredIn);
        assert_eq!(d.unit, "03390");
        assert_eq!(
            d.audience,
            vec![
                Audience::Role(Role::Approver, "03390".into()),
                Audience::Role(Role::SocialWorker, "03390".into())
            ]
        );
        case.apply(&moved.event.event);
        assert_eq!(case.acting_unit, "03390");
        assert_eq!(case.incident_unit, "03388");
    }

    #[test]
    fn notes_and_status_changes_tell_nobody() {
        let note = logged(
            2,
            CaseEvent::NoteAdded(NoteAdded {
                written_at: at(),
                text: LongText::parse("Ghi chú").unwrap(),
            }),
        );
        assert!(drafts(&note, &facts()).is_empty());
    }
}
