//! One child, one record: finding the same child across reports, in Vietnamese.
//!
//! Pure (no IO): names are folded ([`fold`]), a child is reduced to comparison keys ([`Keys`]),
//! a pair is scored with weights that are data ([`MatchRules`], shipped in
//! `aggregates/data/matching-rules.json`), and the reasons are given in Vietnamese and English.
//! The server stores the keys in the identities view and scores candidates against them.

pub mod evaluate;
pub mod fold;
pub mod person;
pub mod rules;
pub mod score;

pub use person::{Birth, Folded, Keys, Person};
pub use rules::{MatchRules, MatchRulesError, DEFAULT_MATCHING_JSON};
pub use score::{compare, Comparison, Level, Reason};

/// The shipped fixture of name variants and siblings the matcher is measured on.
pub const SHIPPED_FIXTURE_JSON: &str = include_str!("../../data/matching-fixture.json");

#[cfg(test)]
mod tests;
