//! The indicator registry (procedure.md §7) and the engine that turns (indicators, unit, period,
//! log position) into counts. The registry is data (`data/indicators.json`), like the deadline
//! rules: a province overrides it with a file of the same shape. Statistics and periodic reports
//! both count through [`engine`], so that the same indicator never has two definitions.

pub mod engine;
pub mod facts;
pub mod statistics;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

pub const DEFAULT_INDICATORS_JSON: &str = include_str!("../../data/indicators.json");

/// A label in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Label {
    pub vi: String,
    pub en: String,
}

/// What an indicator counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Counts {
    /// Distinct children (a child reported twice is one child).
    Children,
    /// Distinct reports (one report may be about several children).
    Incidents,
    /// Distinct cases.
    Cases,
    /// Every matching fact (referrals, petitions, deadlines).
    Events,
}

/// Which facts an indicator counts: one kind of fact per indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The case as received (one per case).
    Intake,
    /// The case while open, from its receipt to its closure.
    Open,
    Closure,
    Assessment,
    /// Urgent measures, an approved plan's measures, services delivered (`kind`).
    Measure,
    Separation,
    PlanApproved,
    Referral,
    CourtPetition,
    Deadline,
}

/// Which date puts a fact in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PeriodDate {
    /// The time the report was received (intake).
    Received,
    /// The event's business time (measures, decisions).
    Event,
    /// Counted when open at the period's end (received before it, not closed before it).
    OpenAtEnd,
    /// The deadline's due time.
    Due,
}

/// Which unit a fact belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitRule {
    /// The commune where the incident happened: never changes with a transfer.
    Incident,
    /// The commune acting on the case at the event's business time: a later transfer does not
    /// move an earlier measure.
    ActingAtEvent,
    /// The commune acting on the case at the period's end.
    ActingAtEnd,
}

/// One indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Indicator {
    pub code: String,
    pub name: Label,
    pub counts: Counts,
    pub source: Source,
    pub period: PeriodDate,
    pub unit: UnitRule,
    /// Facts counted only when each named dimension takes one of the listed values.
    #[serde(default, rename = "where")]
    pub only: BTreeMap<String, Vec<String>>,
    /// Facts not counted when a named dimension takes one of the listed values.
    #[serde(default)]
    pub except: BTreeMap<String, Vec<String>>,
    /// Cross-tabulations: each a list of dimensions.
    #[serde(default)]
    pub breakdowns: Vec<Vec<String>>,
    pub basis: String,
}

/// The dimensions a breakdown or a filter may name: the case's own (as known at the log
/// position counted) and the fact's.
pub const DIMENSIONS: &[&str] = &[
    "commune",
    "sex",
    "age_group",
    "abuse_type",
    "environment",
    "perpetrator_relationship",
    "target_group",
    "intake_point",
    "channel",
    "closure_reason",
    "outcome",
    "kind",
    "measure",
    "service_type",
    "to_kind",
    "ground",
    "rule",
    "state",
    "reason",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
struct File {
    #[serde(default)]
    description: String,
    indicators: Vec<Indicator>,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("not a valid indicator file: {0}")]
    Json(#[from] serde_json::Error),
    #[error("indicator `{code}`: {problem}")]
    Invalid { code: String, problem: String },
}

/// The indicators in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    indicators: Vec<Indicator>,
}

impl Registry {
    pub fn shipped() -> Self {
        Self::from_json(DEFAULT_INDICATORS_JSON).expect("the shipped indicator registry is valid")
    }

    pub fn from_json(json: &str) -> Result<Self, RegistryError> {
        let file: File = serde_json::from_str(json)?;
        let registry = Self {
            indicators: file.indicators,
        };
        registry.check()?;
        Ok(registry)
    }

    /// This registry with a province's file applied: an existing code is replaced, a new one
    /// added.
    pub fn with_override(mut self, json: &str) -> Result<Self, RegistryError> {
        let file: File = serde_json::from_str(json)?;
        for indicator in file.indicators {
            match self
                .indicators
                .iter_mut()
                .find(|i| i.code == indicator.code)
            {
                Some(existing) => *existing = indicator,
                None => self.indicators.push(indicator),
            }
        }
        self.check()?;
        Ok(self)
    }

    pub fn all(&self) -> &[Indicator] {
        &self.indicators
    }

    pub fn get(&self, code: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.code == code)
    }

    fn check(&self) -> Result<(), RegistryError> {
        for code in statistics::REQUIRED {
            if self.get(code).is_none() {
                return Err(RegistryError::Invalid {
                    code: (*code).to_owned(),
                    problem: "the statistics need it: it may be redefined, not removed".into(),
                });
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for i in &self.indicators {
            let bad = |problem: String| RegistryError::Invalid {
                code: i.code.clone(),
                problem,
            };
            if i.code.trim().is_empty() || !seen.insert(i.code.as_str()) {
                return Err(bad("empty or repeated code".into()));
            }
            // The date that puts a fact in a period follows from the fact: a registry that said
            // otherwise would silently count something else than it names.
            let expected = match i.source {
                Source::Intake => PeriodDate::Received,
                Source::Open => PeriodDate::OpenAtEnd,
                Source::Deadline => PeriodDate::Due,
                _ => PeriodDate::Event,
            };
            if i.period != expected {
                return Err(bad(format!(
                    "source {:?} is dated by {expected:?}",
                    i.source
                )));
            }
            let dims = i
                .only
                .keys()
                .chain(i.except.keys())
                .chain(i.breakdowns.iter().flatten());
            for d in dims {
                if !DIMENSIONS.contains(&d.as_str()) {
                    return Err(bad(format!("unknown dimension `{d}`")));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_registry_loads_and_0101_excludes_duplicates_and_juveniles() {
        let r = Registry::shipped();
        let i = r.get("0101").unwrap();
        assert_eq!(i.counts, Counts::Children);
        assert_eq!(i.unit, UnitRule::Incident);
        assert!(i.except["closure_reason"].contains(&"duplicate".to_owned()));
        assert!(i.except["closure_reason"].contains(&"unfounded".to_owned()));
        assert_eq!(i.except["age_group"], ["16_17"]);
        assert_eq!(r.get("open_at_end").unwrap().unit, UnitRule::ActingAtEnd);
    }

    #[test]
    fn an_override_replaces_by_code_and_is_checked() {
        let over = r#"{"indicators": [{"code": "0101", "name": {"vi": "x", "en": "x"},
            "counts": "incidents", "source": "intake", "period": "received", "unit": "incident",
            "basis": "local"}]}"#;
        let r = Registry::shipped().with_override(over).unwrap();
        assert_eq!(r.get("0101").unwrap().counts, Counts::Incidents);
        assert_eq!(r.all().len(), Registry::shipped().all().len());
        let bad = over.replace("\"received\"", "\"event\"");
        assert!(Registry::shipped().with_override(&bad).is_err());
        let bad = over.replace("\"basis\"", "\"breakdowns\": [[\"colour\"]], \"basis\"");
        assert!(Registry::shipped().with_override(&bad).is_err());
    }
}
