//! Corrections of recorded facts (*đính chính*). A correction names the event (by sequence) and
//! the field; the old event stays untouched and the case shows the corrected value. Only
//! descriptive facts can be corrected: business times and outcomes steer the legal procedure, so
//! a wrong one is dealt with by the procedure itself (a new assessment, a review), never
//! rewritten.
//!
//! [`TABLE`] is the one list of what may be corrected: the event that records the fact, its
//! name on the wire and how its value is bounded. Validation, the case file ([`Fact::apply`])
//! and the views ([`Fact::of`]) all go through it, as a typed [`Fact`].

use super::aggregate::Case;
use super::errors::CaseError;
use super::events::FactCorrected;
use crate::codes::*;
use crate::text::{LongText, ShortText, Text};
use chrono::NaiveDate;
use serde_json::Value;

/// A corrected fact, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    ChildFullName(Option<ShortText>),
    ChildDateOfBirth(Option<NaiveDate>),
    ChildEstimatedAge(Option<u8>),
    ChildSex(Sex),
    ChildEthnicity(Option<ShortText>),
    ChildSchool(Option<ShortText>),
    ChildCondition(Option<LongText>),
    Description(Option<LongText>),
    AbuseTypes(Vec<AbuseType>),
    AbuseEnvironment(Option<AbuseEnvironment>),
    PerpetratorRelationship(Option<PerpetratorRelationship>),
    ImmediateDanger(Option<bool>),
    TargetGroup(TargetGroup),
    SpecialCircumstances(Vec<SpecialCircumstance>),
    Findings(LongText),
    PhysicalPsychological(LongText),
    Family(LongText),
    RiskFactors(LongText),
    Schooling(LongText),
    Community(LongText),
    Needs(Vec<ServiceType>),
    ChildView(Option<LongText>),
    ParentView(Option<LongText>),
    MeetingDecisions(LongText),
    /// The notes of urgent measures, a service, a referral or a review.
    Notes(Option<LongText>),
}

type Parse = fn(&Value) -> Result<Fact, String>;

/// One correctable field: the event type that records it, its name, and its parser (which
/// bounds the value: required or not, text length, code list).
pub struct Row {
    pub event: &'static str,
    pub field: &'static str,
    parse: Parse,
}

const REPORT: &str = "CaseReported";
const DETAILED: &str = "DetailedAssessmentRecorded";

/// Every correctable field.
#[rustfmt::skip]
pub const TABLE: &[Row] = &[
    Row { event: REPORT, field: "child.full_name", parse: |v| Ok(Fact::ChildFullName(text(v)?)) },
    Row { event: REPORT, field: "child.date_of_birth", parse: |v| Ok(Fact::ChildDateOfBirth(date(v)?)) },
    Row { event: REPORT, field: "child.estimated_age", parse: |v| Ok(Fact::ChildEstimatedAge(age(v)?)) },
    Row { event: REPORT, field: "child.sex", parse: |v| Ok(Fact::ChildSex(code(v)?)) },
    Row { event: REPORT, field: "child.ethnicity", parse: |v| Ok(Fact::ChildEthnicity(text(v)?)) },
    Row { event: REPORT, field: "child.school", parse: |v| Ok(Fact::ChildSchool(text(v)?)) },
    Row { event: REPORT, field: "child.condition", parse: |v| Ok(Fact::ChildCondition(text(v)?)) },
    Row { event: REPORT, field: "description", parse: |v| Ok(Fact::Description(text(v)?)) },
    Row { event: REPORT, field: "abuse_types", parse: |v| Ok(Fact::AbuseTypes(codes(v)?)) },
    Row { event: REPORT, field: "abuse_environment", parse: |v| Ok(Fact::AbuseEnvironment(opt_code(v)?)) },
    Row { event: REPORT, field: "perpetrator_relationship", parse: |v| Ok(Fact::PerpetratorRelationship(opt_code(v)?)) },
    Row { event: REPORT, field: "immediate_danger", parse: |v| Ok(Fact::ImmediateDanger(flag(v)?)) },
    Row { event: REPORT, field: "target_group", parse: |v| Ok(Fact::TargetGroup(code(v)?)) },
    Row { event: REPORT, field: "special_circumstances", parse: |v| Ok(Fact::SpecialCircumstances(codes(v)?)) },
    Row { event: "InitialAssessmentRecorded", field: "findings", parse: |v| Ok(Fact::Findings(required(v)?)) },
    Row { event: DETAILED, field: "physical_psychological", parse: |v| Ok(Fact::PhysicalPsychological(required(v)?)) },
    Row { event: DETAILED, field: "family", parse: |v| Ok(Fact::Family(required(v)?)) },
    Row { event: DETAILED, field: "risk_factors", parse: |v| Ok(Fact::RiskFactors(required(v)?)) },
    Row { event: DETAILED, field: "schooling", parse: |v| Ok(Fact::Schooling(required(v)?)) },
    Row { event: DETAILED, field: "community", parse: |v| Ok(Fact::Community(required(v)?)) },
    Row { event: DETAILED, field: "needs", parse: |v| Ok(Fact::Needs(codes(v)?)) },
    Row { event: DETAILED, field: "child_view", parse: |v| Ok(Fact::ChildView(text(v)?)) },
    Row { event: DETAILED, field: "parent_view", parse: |v| Ok(Fact::ParentView(text(v)?)) },
    Row { event: "NeedsMeetingHeld", field: "decisions", parse: |v| Ok(Fact::MeetingDecisions(required(v)?)) },
    Row { event: "UrgentMeasuresApplied", field: "notes", parse: |v| Ok(Fact::Notes(text(v)?)) },
    Row { event: "ServiceDelivered", field: "notes", parse: |v| Ok(Fact::Notes(text(v)?)) },
    Row { event: "ReferralMade", field: "notes", parse: |v| Ok(Fact::Notes(text(v)?)) },
    Row { event: "ReviewRecorded", field: "notes", parse: |v| Ok(Fact::Notes(text(v)?)) },
];

/// The fields a correction may name on an event type (for documentation and errors).
pub fn correctable(event: &str) -> Vec<&'static str> {
    TABLE
        .iter()
        .filter(|r| r.event == event)
        .map(|r| r.field)
        .collect()
}

fn row(event: &str, field: &str) -> Option<&'static Row> {
    TABLE.iter().find(|r| r.event == event && r.field == field)
}

// Parsers: `Option` results allow null (the fact is removed); text lengths follow the field's
// class (names one line, the rest long text).

fn text<const MAX: usize>(value: &Value) -> Result<Option<Text<MAX>>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Text::<MAX>::parse(s).map(Some).map_err(|e| e.to_string()),
        _ => Err("expected text".into()),
    }
}

fn required(value: &Value) -> Result<LongText, String> {
    text(value)?.ok_or_else(|| "must not be empty".into())
}

fn opt_code<C: Code>(value: &Value) -> Result<Option<C>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => C::parse(s).map(Some).map_err(|e| e.to_string()),
        _ => Err("expected a code".into()),
    }
}

fn code<C: Code>(value: &Value) -> Result<C, String> {
    opt_code(value)?.ok_or_else(|| "a code is required".into())
}

fn codes<C: Code + Ord>(value: &Value) -> Result<Vec<C>, String> {
    let Value::Array(items) = value else {
        return Err("expected a list of codes".into());
    };
    let mut parsed = items
        .iter()
        .map(|v| match v {
            Value::String(s) => C::parse(s).map_err(|e| e.to_string()),
            _ => Err("expected a code".into()),
        })
        .collect::<Result<Vec<C>, _>>()?;
    parsed.sort();
    parsed.dedup();
    Ok(parsed)
}

fn flag(value: &Value) -> Result<Option<bool>, String> {
    match value {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        _ => Err("expected true, false or null".into()),
    }
}

fn age(value: &Value) -> Result<Option<u8>, String> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_u64()
            .filter(|a| *a < 18)
            .and_then(|a| u8::try_from(a).ok())
            .map(Some)
            .ok_or_else(|| "expected an age from 0 to 17, or null".into()),
        _ => Err("expected an age from 0 to 17, or null".into()),
    }
}

fn date(value: &Value) -> Result<Option<NaiveDate>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => s
            .parse()
            .map(Some)
            .map_err(|_| "expected YYYY-MM-DD".into()),
        _ => Err("expected YYYY-MM-DD".into()),
    }
}

fn json_text<const MAX: usize>(t: &Option<Text<MAX>>) -> Value {
    t.as_ref()
        .map_or(Value::Null, |t| Value::String(t.as_str().to_owned()))
}

fn json_codes<C: Code>(values: &[C]) -> Value {
    Value::Array(
        values
            .iter()
            .map(|c| Value::String(c.code().to_owned()))
            .collect(),
    )
}

impl Fact {
    /// The typed fact a stored correction carries, when the corrected event is of type
    /// `event` (the views know the type of sequence 1, the case knows every type).
    pub fn of(event: &str, correction: &FactCorrected) -> Option<Fact> {
        (row(event, &correction.field)?.parse)(&correction.value).ok()
    }

    /// The value as stored in the event: normalised (trimmed, codes sorted and deduplicated).
    pub fn to_json(&self) -> Value {
        use Fact::*;
        match self {
            ChildFullName(t) | ChildEthnicity(t) | ChildSchool(t) => json_text(t),
            ChildCondition(t) | Description(t) | ChildView(t) | ParentView(t) | Notes(t) => {
                json_text(t)
            }
            Findings(t)
            | PhysicalPsychological(t)
            | Family(t)
            | RiskFactors(t)
            | Schooling(t)
            | Community(t)
            | MeetingDecisions(t) => Value::String(t.as_str().to_owned()),
            ChildDateOfBirth(d) => d.map_or(Value::Null, |d| Value::String(d.to_string())),
            ChildEstimatedAge(a) => a.map_or(Value::Null, Value::from),
            ChildSex(s) => Value::String(s.code().to_owned()),
            TargetGroup(t) => Value::String(t.code().to_owned()),
            AbuseTypes(c) => json_codes(c),
            SpecialCircumstances(c) => json_codes(c),
            Needs(c) => json_codes(c),
            AbuseEnvironment(c) => c.map_or(Value::Null, |c| Value::String(c.code().to_owned())),
            PerpetratorRelationship(c) => {
                c.map_or(Value::Null, |c| Value::String(c.code().to_owned()))
            }
            ImmediateDanger(b) => b.map_or(Value::Null, Value::Bool),
        }
    }

    /// Sets the fact in the case file, on the event `sequence` recorded.
    pub(crate) fn apply(self, case: &mut Case, sequence: u64) {
        use Fact::*;
        if let Some(report) = case.report.as_mut().filter(|r| r.sequence == sequence) {
            let r = &mut report.fact;
            match self {
                ChildFullName(v) => r.child.full_name = v,
                ChildDateOfBirth(v) => r.child.date_of_birth = v,
                ChildEstimatedAge(v) => r.child.estimated_age = v,
                ChildSex(v) => r.child.sex = v,
                ChildEthnicity(v) => r.child.ethnicity = v,
                ChildSchool(v) => r.child.school = v,
                ChildCondition(v) => r.child.condition = v,
                Description(v) => r.description = v,
                AbuseTypes(v) => r.abuse_types = v,
                AbuseEnvironment(v) => r.abuse_environment = v,
                PerpetratorRelationship(v) => r.perpetrator_relationship = v,
                ImmediateDanger(v) => r.immediate_danger = v,
                TargetGroup(v) => r.target_group = v,
                SpecialCircumstances(v) => r.special_circumstances = v,
                _ => {}
            }
            return;
        }
        if let (Some(a), Findings(v)) = (
            case.initial_assessment
                .as_mut()
                .filter(|a| a.sequence == sequence),
            &self,
        ) {
            a.fact.findings = v.clone();
            return;
        }
        if let Some(d) = case
            .detailed_assessment
            .as_mut()
            .filter(|d| d.sequence == sequence)
        {
            let d = &mut d.fact;
            match self {
                PhysicalPsychological(v) => d.physical_psychological = v,
                Family(v) => d.family = v,
                RiskFactors(v) => d.risk_factors = v,
                Schooling(v) => d.schooling = v,
                Community(v) => d.community = v,
                Needs(v) => d.needs = v,
                ChildView(v) => d.child_view = v,
                ParentView(v) => d.parent_view = v,
                _ => {}
            }
            return;
        }
        match self {
            MeetingDecisions(v) => {
                if let Some(m) = case
                    .needs_meetings
                    .iter_mut()
                    .find(|m| m.sequence == sequence)
                {
                    m.fact.decisions = v;
                }
            }
            Notes(v) => {
                if let Some(u) = case
                    .urgent_measures
                    .iter_mut()
                    .find(|u| u.sequence == sequence)
                {
                    u.fact.notes = v;
                } else if let Some(s) = case.services.iter_mut().find(|s| s.sequence == sequence) {
                    s.fact.notes = v;
                } else if let Some(r) = case.referrals.iter_mut().find(|r| r.sequence == sequence) {
                    r.fact.notes = v;
                } else if let Some(r) = case.reviews.iter_mut().find(|r| r.sequence == sequence) {
                    r.fact.notes = v;
                }
            }
            _ => {}
        }
    }
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
        .filter(|kind| TABLE.iter().any(|r| r.event == kind.as_str()))
        .ok_or(CaseError::CorrectionTargetUnknown)?;
    // Only the latest detailed assessment is part of the case file; earlier ones are history.
    if kind == DETAILED && case.detailed_assessment.as_ref().map(|d| d.sequence) != Some(sequence) {
        return Err(CaseError::CorrectionTargetUnknown);
    }
    let row = row(kind, field).ok_or_else(|| CaseError::FieldNotCorrectable {
        field: field.chars().take(64).collect(),
    })?;
    let fact = (row.parse)(value).map_err(|problem| CaseError::CorrectionValueInvalid {
        field: field.to_owned(),
        problem,
    })?;
    check_against_case(case, &fact)?;
    Ok(fact.to_json())
}

/// The rules a corrected fact keeps with the rest of the case, as at intake.
fn check_against_case(case: &Case, fact: &Fact) -> Result<(), CaseError> {
    let Some(report) = &case.report else {
        return Ok(());
    };
    let r = &report.fact;
    match fact {
        Fact::ChildDateOfBirth(Some(born)) => {
            let received = crate::deadlines::calendar::local_date(r.received_at);
            if *born > received || super::business_time::age_on(*born, received) >= 18 {
                return Err(CaseError::CorrectionValueInvalid {
                    field: "child.date_of_birth".into(),
                    problem: "not the birth date of a child".into(),
                });
            }
            if r.child.estimated_age.is_some() {
                return Err(CaseError::ChildAgeAmbiguous);
            }
        }
        Fact::ChildEstimatedAge(Some(_)) if r.child.date_of_birth.is_some() => {
            return Err(CaseError::ChildAgeAmbiguous);
        }
        Fact::AbuseTypes(types) => {
            if !r.sexual_abuse_subtypes.is_empty() && !types.contains(&AbuseType::SexualAbuse) {
                return Err(CaseError::SubtypeWithoutType {
                    field: "sexual_abuse_subtypes",
                });
            }
            if !r.exploitation_subtypes.is_empty() && !types.contains(&AbuseType::Exploitation) {
                return Err(CaseError::SubtypeWithoutType {
                    field: "exploitation_subtypes",
                });
            }
        }
        Fact::ParentView(Some(_)) => {
            let by = case
                .detailed_assessment
                .as_ref()
                .and_then(|d| d.fact.parent_view_by);
            if let Some(refusal) = case.parent_view_refusal(by) {
                return Err(refusal);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Applies a (validated) correction to the case file.
pub(crate) fn apply(case: &mut Case, c: &FactCorrected) {
    let target = usize::try_from(c.corrects_sequence)
        .ok()
        .and_then(|s| s.checked_sub(1))
        .and_then(|i| case.event_kinds.get(i))
        .cloned();
    if let Some(fact) = target.and_then(|kind| Fact::of(&kind, c)) {
        fact.apply(case, c.corrects_sequence);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_unique_and_round_trips_its_value() {
        let mut seen = std::collections::BTreeSet::new();
        for row in TABLE {
            assert!(seen.insert((row.event, row.field)), "{} twice", row.field);
        }
        let correction = |field: &str, value: Value| FactCorrected {
            corrected_at: chrono::Utc::now(),
            corrects_sequence: 1,
            field: field.to_owned(),
            value,
            reason: LongText::parse("typo").unwrap(),
        };
        let fact = Fact::of(
            REPORT,
            &correction(
                "abuse_types",
                serde_json::json!(["violence", "neglect", "violence"]),
            ),
        )
        .expect("a list of codes");
        assert_eq!(fact.to_json(), serde_json::json!(["violence", "neglect"]));
        assert_eq!(Fact::of(REPORT, &correction("findings", Value::Null)), None);
        assert_eq!(correctable("ReviewRecorded"), ["notes"]);
    }
}
