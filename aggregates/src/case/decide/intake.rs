//! Intake (*tiếp nhận thông tin*, ND56 art. 25, Mẫu 01): the facts of a report, and who is a
//! child (LTE art. 1: under 16; 16- and 17-year-olds as juvenile cases [policy]).

use super::dedup;
use crate::case::business_time::{age_on, Bounds};
use crate::case::commands::ReportCase;
use crate::case::errors::CaseError;
use crate::case::events::CaseReported;
use crate::codes::AbuseType;
use crate::deadlines::calendar::local_date;
use crate::policy::Actor;

/// The age from which a person is no longer a child (LTE art. 1).
const CHILD_UNTIL: i32 = 16;
/// The age of majority: casebook is for minors.
const MINOR_UNTIL: i32 = 18;

/// Checks the facts of a report and makes the event.
pub(super) fn validate_report(
    r: ReportCase,
    actor: &Actor,
    t: Bounds,
    juvenile_cases: bool,
) -> Result<CaseReported, CaseError> {
    t.check("received_at", r.received_at)?;
    if r.incident_unit.is_root() {
        return Err(CaseError::UnitIsRoot {
            field: "incident_unit",
        });
    }
    let child = &r.child;
    if child.date_of_birth.is_some() && child.estimated_age.is_some() {
        return Err(CaseError::ChildAgeAmbiguous);
    }
    let received = local_date(r.received_at);
    if let Some(born) = child.date_of_birth {
        if born > received {
            return Err(CaseError::TimeInFuture {
                field: "child.date_of_birth",
            });
        }
    }
    let age = child
        .date_of_birth
        .map(|born| age_on(born, received))
        .or(child.estimated_age.map(i32::from));
    if age.is_some_and(|a| a >= MINOR_UNTIL) {
        return Err(CaseError::ChildNotAMinor);
    }
    let juvenile = age.is_some_and(|a| a >= CHILD_UNTIL);
    if juvenile && !juvenile_cases {
        return Err(CaseError::JuvenileCasesNotAccepted);
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
    if r.previous_case_id == Some(r.case_id) || r.not_same_as.contains(&r.case_id) {
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
        not_same_as: dedup(r.not_same_as),
        juvenile,
    })
}
