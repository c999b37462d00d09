//! The deadline rule table of procedure.md §4, as data. The defaults ship with casebook
//! (`data/deadline-rules.json`); a province may override them with a file of the same shape.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The rule table shipped with casebook.
pub const DEFAULT_RULES_JSON: &str = include_str!("../../data/deadline-rules.json");

/// Whether the law sets the limit or casebook chose a default a province may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    Law,
    Policy,
}

impl Mark {
    pub fn code(self) -> &'static str {
        match self {
            Self::Law => "law",
            Self::Policy => "policy",
        }
    }
}

/// What a deadline's due time is counted from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// The business time of the event that starts the rule.
    #[default]
    Trigger,
    /// The time the report was received (`received_at`).
    CaseReceived,
}

/// What happens when a rule's start event arrives while an instance is still open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnRestart {
    /// Keep the running clock (the earliest start wins).
    #[default]
    Keep,
    /// Cancel the running clock and start a new one.
    Replace,
}

/// How long a rule gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "unit", rename_all = "snake_case", deny_unknown_fields)]
pub enum Limit {
    /// Hours from the exact start instant.
    Hours { value: u32 },
    /// Working days, Civil Code counting.
    WorkingDays { value: u32 },
    /// Calendar days, Civil Code counting; the last day moves to the next working day unless
    /// `roll_to_working_day` is false (a protective cap must not grow over a holiday).
    CalendarDays {
        value: u32,
        #[serde(default = "default_true")]
        roll_to_working_day: bool,
    },
    /// The end (24:00 local) of each plan item's expected end date; one deadline per item.
    ItemEndDate,
    /// The end of the approved plan's last item end date.
    PlanEndDate,
    /// The end the decision names (a separation's `until`, moved by each extension), which may
    /// lie at most `max_calendar_days` after the start, Civil Code counting, never moved past a
    /// holiday (ND56 art. 32(3): the child's days away from home are days lived).
    DecidedEnd { max_calendar_days: u32 },
}

fn default_true() -> bool {
    true
}

impl Limit {
    /// Whether `self` gives no more time than `other` (same kind of limit).
    fn not_longer_than(self, other: Limit) -> bool {
        match (self, other) {
            (Limit::Hours { value: a }, Limit::Hours { value: b })
            | (Limit::WorkingDays { value: a }, Limit::WorkingDays { value: b }) => a <= b,
            (
                Limit::CalendarDays {
                    value: a,
                    roll_to_working_day: ra,
                },
                Limit::CalendarDays {
                    value: b,
                    roll_to_working_day: rb,
                },
            ) => a <= b && (rb || !ra),
            (Limit::ItemEndDate, Limit::ItemEndDate) | (Limit::PlanEndDate, Limit::PlanEndDate) => {
                true
            }
            (
                Limit::DecidedEnd {
                    max_calendar_days: a,
                },
                Limit::DecidedEnd {
                    max_calendar_days: b,
                },
            ) => a <= b,
            _ => false,
        }
    }

    /// A short human description, for `GET /rules`.
    pub fn describe(self) -> String {
        match self {
            Limit::Hours { value } => format!("{value} hours"),
            Limit::WorkingDays { value } => format!("{value} working days"),
            Limit::CalendarDays {
                value,
                roll_to_working_day,
            } => {
                if roll_to_working_day {
                    format!("{value} calendar days")
                } else {
                    format!("{value} calendar days (not moved past holidays)")
                }
            }
            Limit::ItemEndDate => "the item's expected end date".into(),
            Limit::PlanEndDate => "the approved plan's last end date".into(),
            Limit::DecidedEnd { max_calendar_days } => format!(
                "the decided end, at most {max_calendar_days} calendar days in total (not moved past holidays)"
            ),
        }
    }
}

/// An event (by its signal name) and conditions on its attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    pub event: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub when: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    pub vi: String,
    pub en: String,
}

/// One deadline rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub label: Label,
    pub starts_on: Vec<Trigger>,
    pub met_by: Vec<Trigger>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cancelled_by: Vec<Trigger>,
    #[serde(default)]
    pub anchor: Anchor,
    pub limit: Limit,
    #[serde(default)]
    pub on_restart: OnRestart,
    pub mark: Mark,
    pub basis: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    procedure: ProcedureOverride,
    rules: Vec<Rule>,
}

/// Switches of the procedure that are not clocks, set in the same file as the rules so that a
/// province keeps its whole reading of the procedure in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ProcedureSettings {
    /// Reports about 16- and 17-year-olds (*người chưa thành niên*) are accepted as juvenile
    /// cases, handled with the same steps and clocks and counted apart (procedure.md §2)
    /// [policy]; off, such reports are refused.
    pub juvenile_cases: bool,
    /// No business time may lie before this instant (a mistyped year is refused, not stored).
    pub earliest_business_time: DateTime<Utc>,
}

impl Default for ProcedureSettings {
    fn default() -> Self {
        Self {
            juvenile_cases: true,
            earliest_business_time: DateTime::parse_from_rfc3339("2000-01-01T00:00:00+07:00")
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProcedureOverride {
    juvenile_cases: Option<bool>,
    earliest_business_time: Option<DateTime<Utc>>,
}

impl ProcedureSettings {
    fn with(mut self, o: ProcedureOverride) -> Self {
        if let Some(v) = o.juvenile_cases {
            self.juvenile_cases = v;
        }
        if let Some(v) = o.earliest_business_time {
            self.earliest_business_time = v;
        }
        self
    }
}

/// A rule table that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("the rule file is not valid: {0}")]
    Invalid(String),
    #[error("rule `{rule}`: unknown event `{event}`")]
    UnknownEvent { rule: String, event: String },
    #[error("rule `{rule}`: event `{event}` has no attribute `{attribute}`")]
    UnknownAttribute {
        rule: String,
        event: String,
        attribute: String,
    },
    #[error("rule `{0}` appears twice")]
    Duplicate(String),
    #[error("rule `{0}` is set by law: an override may shorten it but not lengthen it, change its kind of limit or its mark")]
    LawRuleWeakened(String),
}

impl RuleError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "deadline_rules_invalid",
            Self::UnknownEvent { .. } => "deadline_rule_unknown_event",
            Self::UnknownAttribute { .. } => "deadline_rule_unknown_attribute",
            Self::Duplicate(_) => "deadline_rule_duplicate",
            Self::LawRuleWeakened(_) => "deadline_rule_weakens_law",
        }
    }
}

/// The events a rule may name, with the attributes its conditions may test. The aggregate
/// builds a signal with exactly these names for every step it records.
pub const SIGNALS: &[(&str, &[&str])] = &[
    ("case_reported", &["immediate_danger"]),
    ("report_attached", &["awaiting_assessment"]),
    ("child_linked", &[]),
    ("child_unlinked", &[]),
    ("child_distinguished", &[]),
    ("worker_assigned", &[]),
    ("case_transferred", &[]),
    ("initial_assessment_recorded", &["outcome"]),
    ("urgent_measures_applied", &["first_emergency_response"]),
    ("separation_decided", &["first_emergency_response"]),
    ("separation_extended", &[]),
    ("separation_ended", &["reason"]),
    ("detailed_assessment_recorded", &[]),
    ("needs_meeting_held", &[]),
    ("plan_submitted", &["adjustment"]),
    ("plan_approved", &["adjustment"]),
    ("plan_returned", &["adjustment"]),
    ("service_delivered", &["completed"]),
    ("referral_made", &[]),
    ("court_petition_filed", &[]),
    ("court_order_recorded", &["extends_separation"]),
    ("review_recorded", &["outcome"]),
    ("closure_proposed", &["reason", "proposal_origin"]),
    ("closure_rejected", &["proposal_origin"]),
    ("case_closed", &["reason"]),
    ("note_added", &[]),
    ("fact_corrected", &[]),
    ("hotline_support_requested", &[]),
    ("hotline_support_withdrawn", &[]),
];

/// The rules in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSet {
    rules: Vec<Rule>,
    procedure: ProcedureSettings,
}

impl RuleSet {
    /// The rules shipped with casebook.
    pub fn shipped() -> Self {
        Self::from_json(DEFAULT_RULES_JSON).expect("the shipped rules are valid")
    }

    /// Parses and checks a complete rule file.
    pub fn from_json(json: &str) -> Result<Self, RuleError> {
        let file: RuleFile =
            serde_json::from_str(json).map_err(|e| RuleError::Invalid(e.to_string()))?;
        let set = Self {
            rules: file.rules,
            procedure: ProcedureSettings::default().with(file.procedure),
        };
        set.check()?;
        Ok(set)
    }

    /// The shipped rules with a province's override file applied: a rule with an existing id
    /// replaces it, a new id is added. A [law] rule may only be shortened.
    pub fn with_override(self, json: &str) -> Result<Self, RuleError> {
        let file: RuleFile =
            serde_json::from_str(json).map_err(|e| RuleError::Invalid(e.to_string()))?;
        let mut rules = self.rules;
        let mut seen = BTreeSet::new();
        for rule in file.rules {
            if !seen.insert(rule.id.clone()) {
                return Err(RuleError::Duplicate(rule.id));
            }
            match rules.iter_mut().find(|r| r.id == rule.id) {
                Some(existing) => {
                    if existing.mark == Mark::Law
                        && (rule.mark != Mark::Law || !rule.limit.not_longer_than(existing.limit))
                    {
                        return Err(RuleError::LawRuleWeakened(rule.id));
                    }
                    *existing = rule;
                }
                None => rules.push(rule),
            }
        }
        let set = Self {
            rules,
            procedure: self.procedure.with(file.procedure),
        };
        set.check()?;
        Ok(set)
    }

    fn check(&self) -> Result<(), RuleError> {
        let mut ids = BTreeSet::new();
        for rule in &self.rules {
            if !ids.insert(rule.id.as_str()) {
                return Err(RuleError::Duplicate(rule.id.clone()));
            }
            let id_ok = !rule.id.is_empty()
                && rule
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !id_ok {
                return Err(RuleError::Invalid(format!(
                    "rule id `{}` must be snake_case",
                    rule.id
                )));
            }
            if rule.starts_on.is_empty() || rule.met_by.is_empty() {
                return Err(RuleError::Invalid(format!(
                    "rule `{}` needs at least one start and one meeting event",
                    rule.id
                )));
            }
            if rule.basis.trim().is_empty() {
                return Err(RuleError::Invalid(format!(
                    "rule `{}` must name its legal basis",
                    rule.id
                )));
            }
            if matches!(
                rule.limit,
                Limit::Hours { value: 0 }
                    | Limit::WorkingDays { value: 0 }
                    | Limit::CalendarDays { value: 0, .. }
                    | Limit::DecidedEnd {
                        max_calendar_days: 0
                    }
            ) {
                return Err(RuleError::Invalid(format!(
                    "rule `{}` has a zero limit",
                    rule.id
                )));
            }
            for trigger in rule
                .starts_on
                .iter()
                .chain(&rule.met_by)
                .chain(&rule.cancelled_by)
            {
                let Some((_, attributes)) = SIGNALS.iter().find(|(e, _)| *e == trigger.event)
                else {
                    return Err(RuleError::UnknownEvent {
                        rule: rule.id.clone(),
                        event: trigger.event.clone(),
                    });
                };
                if let Some(attribute) = trigger
                    .when
                    .keys()
                    .find(|k| !attributes.contains(&k.as_str()))
                {
                    return Err(RuleError::UnknownAttribute {
                        rule: rule.id.clone(),
                        event: trigger.event.clone(),
                        attribute: attribute.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The procedure's switches in force.
    pub fn procedure(&self) -> ProcedureSettings {
        self.procedure
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_rule_names_its_basis_and_mark() {
        let rules = RuleSet::shipped();
        let ids: Vec<_> = rules.rules().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "initial_assessment",
                "urgent_measures",
                "separation_end",
                "plan_submission",
                "plan_resubmission",
                "plan_approval",
                "plan_item_end",
                "review",
                "closure_decision"
            ]
        );
        for rule in rules.rules() {
            assert!(!rule.basis.is_empty(), "{} has no basis", rule.id);
            assert!(
                rule.basis.contains("ND56"),
                "{} does not cite its article",
                rule.id
            );
        }
        assert_eq!(rules.get("plan_approval").unwrap().mark, Mark::Law);
        assert_eq!(
            rules.get("plan_approval").unwrap().limit,
            Limit::WorkingDays { value: 2 }
        );
    }

    #[test]
    fn a_province_may_shorten_a_law_rule_and_add_its_own() {
        let shorter = r#"{"rules":[
            {"id":"plan_submission","label":{"vi":"x","en":"x"},"starts_on":[{"event":"initial_assessment_recorded"}],
             "met_by":[{"event":"plan_submitted"}],"limit":{"unit":"working_days","value":3},"mark":"law","basis":"ND56 art. 28(1); Lai Châu rule"},
            {"id":"needs_meeting","label":{"vi":"Họp","en":"Meeting"},"starts_on":[{"event":"detailed_assessment_recorded"}],
             "met_by":[{"event":"needs_meeting_held"}],"limit":{"unit":"working_days","value":2},"mark":"policy","basis":"Lai Châu rule"}
        ]}"#;
        let rules = RuleSet::shipped().with_override(shorter).unwrap();
        assert_eq!(
            rules.get("plan_submission").unwrap().limit,
            Limit::WorkingDays { value: 3 }
        );
        assert!(rules.get("needs_meeting").is_some());
        assert_eq!(rules.rules().len(), 10);
    }

    #[test]
    fn a_law_rule_cannot_be_lengthened_or_relabelled_as_policy() {
        let longer = r#"{"rules":[{"id":"plan_approval","label":{"vi":"x","en":"x"},"starts_on":[{"event":"plan_submitted"}],
            "met_by":[{"event":"plan_approved"}],"limit":{"unit":"working_days","value":3},"mark":"law","basis":"x"}]}"#;
        assert_eq!(
            RuleSet::shipped().with_override(longer),
            Err(RuleError::LawRuleWeakened("plan_approval".into()))
        );
        let policy = longer
            .replace("\"value\":3", "\"value\":1")
            .replace("\"law\"", "\"policy\"");
        assert_eq!(
            RuleSet::shipped().with_override(&policy),
            Err(RuleError::LawRuleWeakened("plan_approval".into()))
        );
        let hours = longer.replace(
            r#""unit":"working_days","value":3"#,
            r#""unit":"hours","value":1"#,
        );
        assert!(RuleSet::shipped().with_override(&hours).is_err());
    }

    #[test]
    fn unknown_events_and_attributes_are_refused() {
        let unknown = r#"{"rules":[{"id":"x","label":{"vi":"x","en":"x"},"starts_on":[{"event":"case_opened"}],
            "met_by":[{"event":"plan_submitted"}],"limit":{"unit":"hours","value":3},"mark":"policy","basis":"x"}]}"#;
        assert!(matches!(
            RuleSet::from_json(unknown),
            Err(RuleError::UnknownEvent { .. })
        ));
        let attribute = unknown.replace(
            r#"{"event":"case_opened"}"#,
            r#"{"event":"review_recorded","when":{"colour":"red"}}"#,
        );
        assert!(matches!(
            RuleSet::from_json(&attribute),
            Err(RuleError::UnknownAttribute { .. })
        ));
        let zero = unknown
            .replace("case_opened", "case_reported")
            .replace("\"value\":3", "\"value\":0");
        assert!(matches!(
            RuleSet::from_json(&zero),
            Err(RuleError::Invalid(_))
        ));
        assert!(RuleSet::from_json("{}").is_err());
    }
}
