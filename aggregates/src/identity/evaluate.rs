//! Measuring the matcher on a labelled fixture: records of children, each with the id of the
//! real child it is about. Every pair is compared; a pair about the same child should be found
//! (recall), a pair found should be about the same child (precision).

use super::person::{Keys, Person};
use super::rules::MatchRules;
use super::score::compare;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureRecord {
    /// This record's own label, for the report of mistakes.
    pub id: String,
    /// The real child: records with the same `child` are the same child.
    pub child: String,
    /// Free text saying what the record tests (a Telex typo, a sibling…); not used.
    #[serde(default)]
    pub note: Option<String>,
    #[serde(flatten)]
    pub person: Person,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    #[serde(default, rename = "_comment")]
    _comment: Option<String>,
    pub records: Vec<FixtureRecord>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evaluation {
    pub pairs: usize,
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
    /// `(record, record, score)` of every pair judged wrongly.
    pub mistakes: Vec<(String, String, f64, bool)>,
}

impl Evaluation {
    pub fn precision(&self) -> f64 {
        let found = self.true_positives + self.false_positives;
        if found == 0 {
            1.0
        } else {
            self.true_positives as f64 / found as f64
        }
    }

    pub fn recall(&self) -> f64 {
        let real = self.true_positives + self.false_negatives;
        if real == 0 {
            1.0
        } else {
            self.true_positives as f64 / real as f64
        }
    }
}

pub fn parse_fixture(json: &str) -> Result<Fixture, String> {
    serde_json::from_str(json).map_err(|e| e.to_string())
}

/// Compares every pair of the fixture; a pair is "found" when it reaches `possible_at` (what an
/// operator is shown at intake).
pub fn evaluate(fixture: &Fixture, rules: &MatchRules) -> Evaluation {
    let keys: Vec<Keys> = fixture
        .records
        .iter()
        .map(|r| Keys::of(&r.person, rules))
        .collect();
    let mut result = Evaluation::default();
    for i in 0..keys.len() {
        for j in i + 1..keys.len() {
            let (a, b) = (&fixture.records[i], &fixture.records[j]);
            let same = a.child == b.child;
            let comparison = compare(&keys[i], &keys[j], rules);
            let found = comparison.level.is_some();
            result.pairs += 1;
            match (same, found) {
                (true, true) => result.true_positives += 1,
                (false, true) => result.false_positives += 1,
                (true, false) => result.false_negatives += 1,
                (false, false) => {}
            }
            if same != found {
                result
                    .mistakes
                    .push((a.id.clone(), b.id.clone(), comparison.score, same));
            }
        }
    }
    result
}
