//! What the matcher knows of a child, raw (as typed) and folded into comparison keys.

use super::fold::{fold, phone_key, tokens};
use super::rules::MatchRules;
use crate::codes::Sex;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A child as recorded on a report (or as typed by an operator searching).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Person {
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub date_of_birth: Option<NaiveDate>,
    #[serde(default)]
    pub estimated_age: Option<u8>,
    /// The day the estimated age was given (the report's receipt); ages grow.
    #[serde(default)]
    pub age_as_of: Option<NaiveDate>,
    #[serde(default)]
    pub sex: Sex,
    #[serde(default)]
    pub ethnicity: Option<String>,
    /// The commune code of residence.
    #[serde(default)]
    pub residence_unit: Option<String>,
    #[serde(default)]
    pub school: Option<String>,
    #[serde(default)]
    pub parent_name: Option<String>,
    #[serde(default)]
    pub parent_phone: Option<String>,
}

/// A birth estimate in fractional years with its uncertainty (± years).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Birth {
    pub year: f64,
    pub uncertainty: f64,
    /// The exact date, when recorded.
    #[serde(default)]
    pub date: Option<NaiveDate>,
}

/// A person folded for comparison; what the identities view stores.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Keys {
    /// Name words, folded (marks, case, Telex keystrokes removed), family first.
    pub name: Vec<String>,
    pub birth: Option<Birth>,
    pub sex: Sex,
    pub ethnicity: Option<String>,
    pub residence_unit: Option<String>,
    pub school: Option<String>,
    pub parent_name: Option<String>,
    pub parent_phone: Option<String>,
}

fn fractional_year(date: NaiveDate) -> f64 {
    f64::from(date.year()) + f64::from(date.ordinal0()) / 365.25
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// A person with every text folded, as the identities view stores it: the folding does not
/// depend on the rules, the birth estimate's uncertainty does (it is computed when compared).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Folded {
    /// Name words, space-separated.
    pub name: String,
    pub date_of_birth: Option<NaiveDate>,
    pub estimated_age: Option<u8>,
    pub age_as_of: Option<NaiveDate>,
    pub sex: Sex,
    pub ethnicity: Option<String>,
    pub residence_unit: Option<String>,
    pub school: Option<String>,
    pub parent_name: Option<String>,
    pub parent_phone: Option<String>,
}

impl Folded {
    pub fn of(person: &Person) -> Self {
        Self {
            name: person
                .full_name
                .as_deref()
                .map(tokens)
                .unwrap_or_default()
                .join(" "),
            date_of_birth: person.date_of_birth,
            estimated_age: person.estimated_age,
            age_as_of: person.age_as_of,
            sex: person.sex,
            ethnicity: non_empty(person.ethnicity.as_deref().map(fold)),
            residence_unit: non_empty(person.residence_unit.clone()),
            school: non_empty(person.school.as_deref().map(fold)),
            parent_name: non_empty(person.parent_name.as_deref().map(|n| tokens(n).join(" "))),
            parent_phone: non_empty(person.parent_phone.as_deref().map(phone_key)),
        }
    }

    /// The family name key (first word of two or more), for finding candidates.
    pub fn family_key(&self) -> Option<&str> {
        let mut words = self.name.split(' ').filter(|w| !w.is_empty());
        let first = words.next()?;
        words.next().map(|_| first)
    }

    /// The given name key (last word).
    pub fn given_key(&self) -> Option<&str> {
        self.name.split(' ').rfind(|w| !w.is_empty())
    }
}

impl Keys {
    /// Folds a person. An estimated age without the day it was given has no birth estimate.
    pub fn of(person: &Person, rules: &MatchRules) -> Self {
        Self::from_folded(&Folded::of(person), rules)
    }

    /// Keys from an already folded person (no Unicode work: fast over many stored rows).
    pub fn from_folded(person: &Folded, rules: &MatchRules) -> Self {
        let birth = match (person.date_of_birth, person.estimated_age, person.age_as_of) {
            (Some(date), _, _) => Some(Birth {
                year: fractional_year(date),
                uncertainty: rules.age.date_of_birth,
                date: Some(date),
            }),
            (None, Some(age), Some(as_of)) => Some(Birth {
                // Someone aged `age` was born between age+1 and age years before; the middle.
                year: fractional_year(as_of) - f64::from(age) - 0.5,
                uncertainty: rules.age.estimated_base
                    + rules.age.estimated_per_year * f64::from(age),
                date: None,
            }),
            _ => None,
        };
        Self {
            name: person
                .name
                .split(' ')
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect(),
            birth,
            sex: person.sex,
            ethnicity: person.ethnicity.clone(),
            residence_unit: person.residence_unit.clone(),
            school: person.school.clone(),
            parent_name: person.parent_name.clone(),
            parent_phone: person.parent_phone.clone(),
        }
    }

    /// Family name: the first word of a name of two words or more.
    pub fn family(&self) -> Option<&str> {
        (self.name.len() >= 2).then(|| self.name[0].as_str())
    }

    /// Given name: the last word (a single word is taken to be the given name, what a caller
    /// usually knows).
    pub fn given(&self) -> Option<&str> {
        self.name.last().map(String::as_str)
    }

    /// The middle words (*Thị*, *Văn*, *Ngọc*…).
    pub fn middle(&self) -> &[String] {
        if self.name.len() > 2 {
            &self.name[1..self.name.len() - 1]
        } else {
            &[]
        }
    }
}
