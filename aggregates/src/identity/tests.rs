//! The matcher's behaviour, one case per rule of a Vietnamese name.

use super::evaluate::{evaluate, parse_fixture};
use super::*;
use crate::codes::Sex;
use chrono::NaiveDate;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn child(name: &str, sex: Sex) -> Person {
    Person {
        full_name: Some(name.into()),
        sex,
        ..Person::default()
    }
}

fn score(a: &Person, b: &Person) -> Comparison {
    let rules = MatchRules::shipped();
    compare(&Keys::of(a, &rules), &Keys::of(b, &rules), &rules)
}

fn codes(c: &Comparison) -> Vec<&'static str> {
    c.reasons.iter().map(|r| r.code).collect()
}

#[test]
fn a_name_with_and_without_marks_is_the_same_child() {
    let mut a = child("Lò Thị Mai", Sex::Female);
    a.date_of_birth = Some(day("2015-04-12"));
    a.residence_unit = Some("03388".into());
    let mut b = child("Lo Thi Mai", Sex::Female);
    b.estimated_age = Some(11);
    b.age_as_of = Some(day("2026-03-01"));
    b.residence_unit = Some("03388".into());
    let c = score(&a, &b);
    assert_eq!(c.level, Some(Level::Likely), "{c:?}");
    assert_eq!(
        codes(&c),
        [
            "same_full_name",
            "same_residence",
            "age_within_tolerance",
            "same_sex"
        ]
    );
    assert_eq!(
        c.summary(true),
        "same full name, same commune, age ±1, same sex"
    );
    assert_eq!(
        c.summary(false),
        "trùng họ tên, cùng xã cư trú, tuổi ±1, cùng giới tính"
    );
}

#[test]
fn siblings_sharing_family_and_middle_names_do_not_match() {
    // Twins: the same birth, commune and school; only the given name differs.
    let mut an = child("Nguyễn Văn An", Sex::Male);
    an.date_of_birth = Some(day("2014-09-01"));
    an.residence_unit = Some("00004".into());
    an.school = Some("THCS Ba Đình".into());
    an.parent_phone = Some("0912345678".into());
    let mut binh = an.clone();
    binh.full_name = Some("Nguyễn Văn Bình".into());
    let c = score(&an, &binh);
    assert_eq!(c.level, None, "{c:?}");
    assert!(codes(&c).contains(&"different_given_name"));
}

#[test]
fn unconverted_telex_and_a_doubled_letter_still_match() {
    let a = child("Nguyễn Văn An", Sex::Male);
    let b = child("Nguyeenx Vawn An", Sex::Male);
    assert_eq!(score(&a, &b).level, Some(Level::Possible));
    assert!(codes(&score(&a, &b)).contains(&"same_full_name"));
    let c = score(
        &child("Lò Thị Mai", Sex::Female),
        &child("Lo Thi Maii", Sex::Female),
    );
    assert!(codes(&c).contains(&"similar_given_name"), "{c:?}");
    // But a syllable that extends another is another name: Thu and Thuý, Hoa and Hoài are sisters.
    for (a, b) in [
        ("Trần Thị Thu", "Trần Thị Thuý"),
        ("Lò Thị Hoa", "Lò Thị Hoài"),
        ("Lê An", "Lê Anh"),
    ] {
        let c = score(&child(a, Sex::Female), &child(b, Sex::Female));
        assert!(
            codes(&c).contains(&"different_given_name"),
            "{a} / {b}: {c:?}"
        );
    }
}

#[test]
fn swapped_name_parts_are_recognised() {
    let c = score(
        &child("Phạm Quốc Bảo", Sex::Male),
        &child("Bảo Phạm Quốc", Sex::Male),
    );
    assert_eq!(codes(&c)[0], "same_name_other_order");
    let c = score(
        &child("Lò Thị Mai", Sex::Female),
        &child("Mai Lò", Sex::Female),
    );
    assert_eq!(codes(&c)[0], "same_name_other_order");
}

#[test]
fn a_left_out_middle_name_is_no_evidence_against() {
    let c = score(
        &child("Đỗ Văn Tùng", Sex::Male),
        &child("Đỗ Tùng", Sex::Male),
    );
    assert_eq!(
        codes(&c),
        ["same_given_name", "same_family_name", "same_sex"]
    );
}

#[test]
fn a_middle_marker_is_checked_against_the_sex() {
    let c = score(
        &child("Lê Thị Anh", Sex::Unknown),
        &child("Lê Anh", Sex::Male),
    );
    assert!(codes(&c).contains(&"middle_marker_against_sex"), "{c:?}");
    let c = score(
        &child("Lê Thị Anh", Sex::Female),
        &child("Lê Anh", Sex::Male),
    );
    assert!(codes(&c).contains(&"different_sex"));
}

#[test]
fn the_age_tolerance_grows_with_the_estimated_age() {
    let rules = MatchRules::shipped();
    let aged = |age: u8| {
        let mut p = child("Hà Văn Nam", Sex::Male);
        p.estimated_age = Some(age);
        p.age_as_of = Some(day("2026-01-01"));
        Keys::of(&p, &rules)
    };
    let young = aged(3).birth.unwrap().uncertainty;
    let old = aged(14).birth.unwrap().uncertainty;
    assert!(old > young);
    // 2 years apart: within tolerance for two estimates, far for two dates of birth.
    let c = compare(&aged(12), &aged(14), &rules);
    assert!(codes(&c).contains(&"age_within_tolerance"), "{c:?}");
    let mut a = child("Hà Văn Nam", Sex::Male);
    a.date_of_birth = Some(day("2012-01-01"));
    let mut b = a.clone();
    b.date_of_birth = Some(day("2014-01-01"));
    assert!(codes(&score(&a, &b)).contains(&"age_far"));
}

#[test]
fn the_weights_are_data() {
    let mut value: serde_json::Value = serde_json::from_str(rules::DEFAULT_MATCHING_JSON).unwrap();
    value["possible_at"] = 100.0.into();
    value["likely_at"] = 100.0.into();
    let rules = MatchRules::from_json(&value.to_string()).unwrap();
    let a = Keys::of(&child("Lò Thị Mai", Sex::Female), &rules);
    assert_eq!(compare(&a, &a, &rules).level, None);
}

#[test]
fn the_shipped_fixture_is_matched_with_high_precision_and_recall() {
    let fixture = parse_fixture(SHIPPED_FIXTURE_JSON).unwrap();
    let result = evaluate(&fixture, &MatchRules::shipped());
    assert!(result.pairs > 1000);
    assert!(
        result.precision() >= 0.95 && result.recall() >= 0.9,
        "precision {:.3} recall {:.3}, mistakes {:#?}",
        result.precision(),
        result.recall(),
        result.mistakes
    );
}

#[test]
fn the_held_out_fixture_stays_above_its_floor() {
    // Written after the weights were set and never used to set them: its floor is lower than
    // the shipped fixture's, and a change of weights that drops below it is a regression.
    let fixture = parse_fixture(include_str!("../../data/matching-holdout.json")).unwrap();
    let result = evaluate(&fixture, &MatchRules::shipped());
    assert!(
        result.precision() >= 0.8 && result.recall() >= 0.9,
        "precision {:.3} recall {:.3}, mistakes {:#?}",
        result.precision(),
        result.recall(),
        result.mistakes
    );
}
