//! The matcher's weights and thresholds: data (a JSON file), not code, so that a province can
//! tune them against its own records. The shipped file is `aggregates/data/matching-rules.json`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The shipped weights.
pub const DEFAULT_MATCHING_JSON: &str = include_str!("../../data/matching-rules.json");

/// Every weight the matcher uses; a file must give all of them (a missing one is a typo, not a 0).
pub const WEIGHT_NAMES: &[&str] = &[
    "same_full_name",
    "same_name_other_order",
    "same_given_name",
    "similar_given_name",
    "different_given_name",
    "same_family_name",
    "similar_family_name",
    "different_family_name",
    "same_middle_name",
    "different_middle_name",
    "middle_marker_against_sex",
    "same_sex",
    "different_sex",
    "same_date_of_birth",
    "age_within_tolerance",
    "age_near_tolerance",
    "age_far",
    "same_ethnicity",
    "different_ethnicity",
    "same_residence",
    "different_residence",
    "same_school",
    "same_parent_name",
    "same_parent_phone",
];

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AgeTolerance {
    #[serde(default, rename = "_comment")]
    _comment: Option<String>,
    /// Uncertainty in years of any estimated age.
    pub estimated_base: f64,
    /// Extra uncertainty per year of an estimated age.
    pub estimated_per_year: f64,
    /// Uncertainty of a recorded date of birth (a typo in the day).
    pub date_of_birth: f64,
    /// Added to every tolerance.
    pub slack: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MiddleMarkers {
    pub female: Vec<String>,
    pub male: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MatchRules {
    #[serde(default, rename = "_comment")]
    _comment: Option<String>,
    pub likely_at: f64,
    pub possible_at: f64,
    /// Jaro-Winkler similarity from which two name parts count as the same name mistyped.
    pub name_similar_at: f64,
    #[serde(default, rename = "_require_names")]
    _require_names_comment: Option<String>,
    /// Offer a pair only when both children have a name.
    #[serde(default = "yes")]
    pub require_names: bool,
    pub weights: BTreeMap<String, f64>,
    pub age: AgeTolerance,
    pub middle_markers: MiddleMarkers,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatchRulesError {
    #[error("the matching rules are not valid JSON of the expected shape: {0}")]
    Shape(String),
    #[error("the matching rules lack the weight `{0}`")]
    MissingWeight(String),
    #[error("the matching rules name an unknown weight `{0}`")]
    UnknownWeight(String),
    #[error("the matching rules are inconsistent: {0}")]
    Inconsistent(&'static str),
}

impl MatchRules {
    pub fn shipped() -> Self {
        Self::from_json(DEFAULT_MATCHING_JSON).expect("the shipped matching rules are valid")
    }

    pub fn from_json(json: &str) -> Result<Self, MatchRulesError> {
        let rules: Self =
            serde_json::from_str(json).map_err(|e| MatchRulesError::Shape(e.to_string()))?;
        for name in WEIGHT_NAMES {
            if !rules.weights.contains_key(*name) {
                return Err(MatchRulesError::MissingWeight((*name).to_owned()));
            }
        }
        if let Some(unknown) = rules
            .weights
            .keys()
            .find(|k| !WEIGHT_NAMES.contains(&k.as_str()))
        {
            return Err(MatchRulesError::UnknownWeight(unknown.clone()));
        }
        if rules.weights.values().any(|w| !w.is_finite()) {
            return Err(MatchRulesError::Inconsistent(
                "a weight is not a finite number",
            ));
        }
        if !rules.likely_at.is_finite()
            || !rules.possible_at.is_finite()
            || rules.likely_at < rules.possible_at
        {
            return Err(MatchRulesError::Inconsistent(
                "likely_at is below possible_at",
            ));
        }
        if !(0.0..=1.0).contains(&rules.name_similar_at) {
            return Err(MatchRulesError::Inconsistent(
                "name_similar_at is outside 0..1",
            ));
        }
        let age = &rules.age;
        if [
            age.estimated_base,
            age.estimated_per_year,
            age.date_of_birth,
            age.slack,
        ]
        .iter()
        .any(|v| !(v.is_finite() && *v >= 0.0))
        {
            return Err(MatchRulesError::Inconsistent(
                "an age tolerance is negative",
            ));
        }
        Ok(rules)
    }

    /// The rules as canonical JSON (weights in name order, comments left out): what the
    /// possible duplicates found with them were found with, so that a change of rules is
    /// noticed and they are looked for again.
    pub fn canonical(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        strip_comments(&mut value);
        value.to_string()
    }

    /// A weight by name; every name was checked when the rules were loaded.
    pub fn weight(&self, name: &str) -> f64 {
        self.weights.get(name).copied().unwrap_or(0.0)
    }
}

fn strip_comments(value: &mut serde_json::Value) {
    if let serde_json::Value::Object(map) = value {
        map.retain(|k, _| !k.starts_with('_'));
        map.values_mut().for_each(strip_comments);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rules_load() {
        let rules = MatchRules::shipped();
        assert!(rules.likely_at > rules.possible_at);
        assert!(rules.weight("different_given_name") < 0.0);
    }

    #[test]
    fn a_missing_or_unknown_weight_is_refused() {
        let mut value: serde_json::Value = serde_json::from_str(DEFAULT_MATCHING_JSON).unwrap();
        value["weights"]
            .as_object_mut()
            .unwrap()
            .remove("same_school");
        let err = MatchRules::from_json(&value.to_string()).unwrap_err();
        assert_eq!(err, MatchRulesError::MissingWeight("same_school".into()));
        value["weights"]["same_school"] = 1.0.into();
        value["weights"]["same_shoe_size"] = 1.0.into();
        let err = MatchRules::from_json(&value.to_string()).unwrap_err();
        assert_eq!(err, MatchRulesError::UnknownWeight("same_shoe_size".into()));
    }

    #[test]
    fn thresholds_out_of_order_are_refused() {
        let mut value: serde_json::Value = serde_json::from_str(DEFAULT_MATCHING_JSON).unwrap();
        value["likely_at"] = 1.0.into();
        assert!(matches!(
            MatchRules::from_json(&value.to_string()),
            Err(MatchRulesError::Inconsistent(_))
        ));
    }
}
