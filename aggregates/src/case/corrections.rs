//! Corrections of recorded facts. A correction names the event (by sequence) and the field; the
//! old event stays untouched and the case shows the corrected value. Only descriptive facts can be
//! corrected: business times and outcomes steer the legal procedure, so a wrong one is dealt with
//! by the procedure itself (a new assessment, a review), never rewritten.

use super::aggregate::Case;
use super::errors::CaseError;
use super::events::FactCorrected;
use crate::codes::*;
use crate::text::{LongText, Text};
use chrono::NaiveDate;
use serde_json::Value;

/// The fields a correction may name, per event type.
pub const CORRECTABLE: &[(&str, &[&str])] = &[
    (
        "CaseReported",
        &[
            "child.full_name",
            "child.date_of_birth",
            "child.estimated_age",
            "child.sex",
            "child.ethnicity",
            "child.school",
            "child.condition",
            "description",
            "abuse_types",
            "abuse_environment",
            "perpetrator_relationship",
            "immediate_danger",
            "target_group",
            "special_circumstances",
        ],
    ),
    ("InitialAssessmentRecorded", &["findings"]),
    (
        "DetailedAssessmentRecorded",
        &[
            "physical_psychological",
            "family",
            "risk_factors",
            "schooling",
            "community",
            "needs",
            "child_view",
            "parent_view",
        ],
    ),
    ("NeedsMeetingHeld", &["decisions"]),
    ("UrgentMeasuresApplied", &["notes"]),
    ("ServiceDelivered", &["notes"]),
    ("ReferralMade", &["notes"]),
    ("ReviewRecorded", &["notes"]),
];

fn invalid(field: &str, problem: impl ToString) -> CaseError {
    CaseError::CorrectionValueInvalid {
        field: field.to_owned(),
        problem: problem.to_string(),
    }
}

fn text<const MAX: usize>(field: &str, value: &Value, required: bool) -> Result<Value, CaseError> {
    match value {
        Value::Null if !required => Ok(Value::Null),
        Value::String(s) => Text::<MAX>::parse(s)
            .map(|t| Value::String(t.as_str().to_owned()))
            .map_err(|e| invalid(field, e)),
        _ => Err(invalid(field, "expected text")),
    }
}

fn code<C: Code>(field: &str, value: &Value, required: bool) -> Result<Value, CaseError> {
    match value {
        Value::Null if !required => Ok(Value::Null),
        Value::String(s) => C::parse(s)
            .map(|c| Value::String(c.code().to_owned()))
            .map_err(|e| invalid(field, e)),
        _ => Err(invalid(field, "expected a code")),
    }
}

fn codes<C: Code + Ord>(field: &str, value: &Value) -> Result<Value, CaseError> {
    let Value::Array(items) = value else {
        return Err(invalid(field, "expected a list of codes"));
    };
    let mut parsed = items
        .iter()
        .map(|v| match v {
            Value::String(s) => C::parse(s).map_err(|e| invalid(field, e)),
            _ => Err(invalid(field, "expected a code")),
        })
        .collect::<Result<Vec<C>, _>>()?;
    parsed.sort();
    parsed.dedup();
    Ok(Value::Array(
        parsed
            .into_iter()
            .map(|c| Value::String(c.code().to_owned()))
            .collect(),
    ))
}

/// Checks a correction against the case and returns the value to store, normalised.
pub fn validate(
    case: &Case,
    sequence: u64,
    field: &str,
    value: &Value,
) -> Result<Value, CaseError> {
    let kind = usize::try_from(sequence)
        .ok()
        .and_then(|s| s.checked_sub(1))
        .and_then(|i| case.event_kinds.get(i))
        .ok_or(CaseError::CorrectionTargetUnknown)?;
    let fields = CORRECTABLE
        .iter()
        .find(|(k, _)| k == kind)
        .map(|(_, f)| *f)
        .ok_or(CaseError::CorrectionTargetUnknown)?;
    // Only the latest detailed assessment is part of the case file; earlier ones are history.
    if kind == "DetailedAssessmentRecorded"
        && case.detailed_assessment.as_ref().map(|d| d.sequence) != Some(sequence)
    {
        return Err(CaseError::CorrectionTargetUnknown);
    }
    if !fields.contains(&field) {
        return Err(CaseError::FieldNotCorrectable {
            field: field.chars().take(64).collect(),
        });
    }
    let normalised = match field {
        "child.full_name" | "child.ethnicity" | "child.school" => text::<200>(field, value, false)?,
        "child.condition" | "description" | "child_view" | "notes" => {
            text::<20_000>(field, value, false)?
        }
        "parent_view" => {
            let by = case
                .detailed_assessment
                .as_ref()
                .and_then(|d| d.fact.parent_view_by);
            if let Some(refusal) = case.parent_view_refusal(by).filter(|_| !value.is_null()) {
                return Err(refusal);
            }
            text::<20_000>(field, value, false)?
        }
        "findings"
        | "physical_psychological"
        | "family"
        | "risk_factors"
        | "schooling"
        | "community"
        | "decisions" => text::<20_000>(field, value, true)?,
        "child.sex" => code::<Sex>(field, value, true)?,
        "target_group" => code::<TargetGroup>(field, value, true)?,
        "abuse_environment" => code::<AbuseEnvironment>(field, value, false)?,
        "perpetrator_relationship" => code::<PerpetratorRelationship>(field, value, false)?,
        "abuse_types" => codes::<AbuseType>(field, value)?,
        "special_circumstances" => codes::<SpecialCircumstance>(field, value)?,
        "needs" => codes::<ServiceType>(field, value)?,
        "immediate_danger" => match value {
            Value::Null | Value::Bool(_) => value.clone(),
            _ => return Err(invalid(field, "expected true, false or null")),
        },
        "child.estimated_age" => match value {
            Value::Null => Value::Null,
            Value::Number(n) if n.as_u64().is_some_and(|a| a < 18) => value.clone(),
            _ => return Err(invalid(field, "expected an age from 0 to 17, or null")),
        },
        "child.date_of_birth" => match value {
            Value::Null => Value::Null,
            Value::String(s) => {
                let born: NaiveDate = s
                    .parse()
                    .map_err(|_| invalid(field, "expected YYYY-MM-DD"))?;
                if let Some(received) = case.received_at() {
                    let received = crate::deadlines::calendar::local_date(received);
                    if born > received || super::business_time::age_on(born, received) >= 18 {
                        return Err(invalid(field, "not the birth date of a child"));
                    }
                }
                Value::String(born.to_string())
            }
            _ => return Err(invalid(field, "expected YYYY-MM-DD")),
        },
        _ => {
            return Err(CaseError::FieldNotCorrectable {
                field: field.to_owned(),
            })
        }
    };
    // Abuse subtypes keep their abuse type after the correction, as at intake.
    if let (Some(report), "abuse_types") = (&case.report, field) {
        let keeps = |t: AbuseType| {
            normalised
                .as_array()
                .is_some_and(|a| a.iter().any(|v| v.as_str() == Some(t.code())))
        };
        if !report.fact.sexual_abuse_subtypes.is_empty() && !keeps(AbuseType::SexualAbuse) {
            return Err(CaseError::SubtypeWithoutType {
                field: "sexual_abuse_subtypes",
            });
        }
        if !report.fact.exploitation_subtypes.is_empty() && !keeps(AbuseType::Exploitation) {
            return Err(CaseError::SubtypeWithoutType {
                field: "exploitation_subtypes",
            });
        }
    }
    // Date of birth and estimated age stay exclusive after the correction.
    if let Some(report) = &case.report {
        let child = &report.fact.child;
        let ambiguous = match field {
            "child.date_of_birth" => !normalised.is_null() && child.estimated_age.is_some(),
            "child.estimated_age" => !normalised.is_null() && child.date_of_birth.is_some(),
            _ => false,
        };
        if ambiguous {
            return Err(CaseError::ChildAgeAmbiguous);
        }
    }
    Ok(normalised)
}

fn opt_text<const MAX: usize>(value: &Value) -> Option<Text<MAX>> {
    value.as_str().and_then(|s| Text::<MAX>::parse(s).ok())
}

fn opt_code<C: Code>(value: &Value) -> Option<C> {
    value.as_str().and_then(|s| C::parse(s).ok())
}

fn code_list<C: Code>(value: &Value) -> Vec<C> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().and_then(|s| C::parse(s).ok()))
                .collect()
        })
        .unwrap_or_default()
}

/// Applies a (validated) correction to the case file.
pub(crate) fn apply(case: &mut Case, c: &FactCorrected) {
    let v = &c.value;
    let target = c.corrects_sequence;
    if let Some(report) = case.report.as_mut().filter(|r| r.sequence == target) {
        let r = &mut report.fact;
        match c.field.as_str() {
            "child.full_name" => r.child.full_name = opt_text::<200>(v),
            "child.date_of_birth" => {
                r.child.date_of_birth = v.as_str().and_then(|s| s.parse().ok())
            }
            "child.estimated_age" => {
                r.child.estimated_age = v.as_u64().and_then(|a| u8::try_from(a).ok())
            }
            "child.sex" => r.child.sex = opt_code(v).unwrap_or(r.child.sex),
            "child.ethnicity" => r.child.ethnicity = opt_text::<200>(v),
            "child.school" => r.child.school = opt_text::<200>(v),
            "child.condition" => r.child.condition = opt_text::<20_000>(v),
            "description" => r.description = opt_text::<20_000>(v),
            "abuse_types" => r.abuse_types = code_list(v),
            "abuse_environment" => r.abuse_environment = opt_code(v),
            "perpetrator_relationship" => r.perpetrator_relationship = opt_code(v),
            "immediate_danger" => r.immediate_danger = v.as_bool(),
            "target_group" => r.target_group = opt_code(v).unwrap_or(r.target_group),
            "special_circumstances" => r.special_circumstances = code_list(v),
            _ => {}
        }
        return;
    }
    let long = || opt_text::<20_000>(v);
    if let Some(a) = case
        .initial_assessment
        .as_mut()
        .filter(|a| a.sequence == target)
    {
        if let (Some(t), "findings") = (long(), c.field.as_str()) {
            a.fact.findings = t;
        }
        return;
    }
    if let Some(d) = case
        .detailed_assessment
        .as_mut()
        .filter(|d| d.sequence == target)
    {
        let d = &mut d.fact;
        match c.field.as_str() {
            "physical_psychological" => set_required(&mut d.physical_psychological, long()),
            "family" => set_required(&mut d.family, long()),
            "risk_factors" => set_required(&mut d.risk_factors, long()),
            "schooling" => set_required(&mut d.schooling, long()),
            "community" => set_required(&mut d.community, long()),
            "needs" => d.needs = code_list(v),
            "child_view" => d.child_view = long(),
            "parent_view" => d.parent_view = long(),
            _ => {}
        }
        return;
    }
    if let Some(m) = case
        .needs_meetings
        .iter_mut()
        .find(|m| m.sequence == target)
    {
        set_required(&mut m.fact.decisions, long());
    } else if let Some(u) = case
        .urgent_measures
        .iter_mut()
        .find(|u| u.sequence == target)
    {
        u.fact.notes = long();
    } else if let Some(s) = case.services.iter_mut().find(|s| s.sequence == target) {
        s.fact.notes = long();
    } else if let Some(r) = case.referrals.iter_mut().find(|r| r.sequence == target) {
        r.fact.notes = long();
    } else if let Some(r) = case.reviews.iter_mut().find(|r| r.sequence == target) {
        r.fact.notes = long();
    }
}

fn set_required(slot: &mut LongText, value: Option<LongText>) {
    if let Some(value) = value {
        *slot = value;
    }
}
