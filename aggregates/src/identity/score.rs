//! Scoring a pair of children: points for and against, each with its reason in Vietnamese and
//! English, summed and compared with the thresholds of the rules.

use super::person::Keys;
use super::rules::MatchRules;
use crate::codes::Sex;
use serde::Serialize;

/// How strongly a candidate matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Possible,
    Likely,
}

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// The weight's name in the rules file: stable, for machines.
    pub code: &'static str,
    pub points: f64,
    pub vi: String,
    pub en: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub score: f64,
    /// `None` below the `possible_at` threshold.
    pub level: Option<Level>,
    pub reasons: Vec<Reason>,
}

impl Comparison {
    /// The reasons joined, as shown beside a candidate: "same given name, same commune, age ±1".
    pub fn summary(&self, english: bool) -> String {
        let parts: Vec<&str> = self
            .reasons
            .iter()
            .filter(|r| r.points != 0.0 || r.code.starts_with("age"))
            .map(|r| {
                if english {
                    r.en.as_str()
                } else {
                    r.vi.as_str()
                }
            })
            .collect();
        parts.join(", ")
    }
}

struct Tally<'r> {
    rules: &'r MatchRules,
    reasons: Vec<Reason>,
}

impl Tally<'_> {
    fn add(&mut self, code: &'static str, vi: impl Into<String>, en: impl Into<String>) {
        self.reasons.push(Reason {
            code,
            points: self.rules.weight(code),
            vi: vi.into(),
            en: en.into(),
        });
    }
}

fn similar(a: &str, b: &str, rules: &MatchRules) -> bool {
    strsim::jaro_winkler(a, b) >= rules.name_similar_at
}

/// Whether two name words are one word mistyped rather than two names. Jaro-Winkler rates a
/// prefix highly, but a Vietnamese syllable extended by a final is another name (`Thu`/`Thuý`,
/// `Hoa`/`Hoài`, `An`/`Anh`); only a doubled last letter (`Maii`, `Hânn`) is taken as a slip.
fn similar_word(a: &str, b: &str, rules: &MatchRules) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.len() < long.len() && long.starts_with(short) {
        let extra = &long[short.len()..];
        let last = short.chars().last();
        return extra.chars().all(|c| Some(c) == last);
    }
    similar(a, b, rules)
}

fn sorted(words: &[String]) -> Vec<&str> {
    let mut words: Vec<&str> = words.iter().map(String::as_str).collect();
    words.sort_unstable();
    words
}

/// Compares two children. Symmetric up to floating-point rounding.
pub fn compare(a: &Keys, b: &Keys, rules: &MatchRules) -> Comparison {
    let mut tally = Tally {
        rules,
        reasons: Vec::new(),
    };
    names(a, b, &mut tally);
    sex(a, b, &mut tally);
    age(a, b, &mut tally);
    places(a, b, &mut tally);
    let score: f64 = tally.reasons.iter().map(|r| r.points).sum();
    let unnamed = a.name.is_empty() || b.name.is_empty();
    let level = if unnamed && rules.require_names {
        None
    } else if score >= rules.likely_at {
        Some(Level::Likely)
    } else if score >= rules.possible_at {
        Some(Level::Possible)
    } else {
        None
    };
    tally.reasons.sort_by(|x, y| y.points.total_cmp(&x.points));
    Comparison {
        score,
        level,
        reasons: tally.reasons,
    }
}

fn names(a: &Keys, b: &Keys, t: &mut Tally<'_>) {
    if a.name.is_empty() || b.name.is_empty() {
        return;
    }
    if a.name == b.name && a.name.len() >= 2 {
        t.add("same_full_name", "trùng họ tên", "same full name");
        return;
    }
    if a.name.len() >= 2 && sorted(&a.name) == sorted(&b.name) {
        t.add(
            "same_name_other_order",
            "trùng họ tên, khác thứ tự",
            "same name, parts in another order",
        );
        return;
    }
    // A name written given-name first (`Mai Lò`) against `Lò Thị Mai`: both parts present,
    // crossed over.
    if let (Some(fa), Some(ga), Some(fb), Some(gb)) = (a.family(), a.given(), b.family(), b.given())
    {
        if similar_word(fa, gb, t.rules) && similar_word(ga, fb, t.rules) && fa != ga {
            t.add(
                "same_name_other_order",
                "trùng họ tên, khác thứ tự",
                "same name, parts in another order",
            );
            return;
        }
    }
    let (ga, gb) = (a.given().unwrap_or_default(), b.given().unwrap_or_default());
    if ga == gb {
        t.add("same_given_name", "trùng tên", "same given name");
    } else if similar_word(ga, gb, t.rules) {
        t.add("similar_given_name", "tên gần giống", "similar given name");
    } else {
        // Siblings share family and middle names: a different given name is strong evidence
        // of a different child.
        t.add("different_given_name", "khác tên", "different given name");
    }
    if let (Some(fa), Some(fb)) = (a.family(), b.family()) {
        if fa == fb {
            t.add("same_family_name", "trùng họ", "same family name");
        } else if similar_word(fa, fb, t.rules) {
            t.add("similar_family_name", "họ gần giống", "similar family name");
        } else {
            t.add("different_family_name", "khác họ", "different family name");
        }
    }
    let (ma, mb) = (a.middle(), b.middle());
    // A middle name is often left out: only two recorded middles are compared.
    if !ma.is_empty() && !mb.is_empty() {
        if ma == mb {
            t.add("same_middle_name", "trùng tên đệm", "same middle name");
        } else if !ma
            .iter()
            .any(|m| mb.iter().any(|n| similar_word(m, n, t.rules)))
        {
            t.add(
                "different_middle_name",
                "khác tên đệm",
                "different middle name",
            );
        }
    }
}

/// The sex a middle marker suggests (*Thị* a girl, *Văn* a boy): weak, names vary.
fn marker_sex(keys: &Keys, rules: &MatchRules) -> Option<Sex> {
    let markers = &rules.middle_markers;
    keys.middle().iter().find_map(|m| {
        if markers.female.contains(m) {
            Some(Sex::Female)
        } else if markers.male.contains(m) {
            Some(Sex::Male)
        } else {
            None
        }
    })
}

fn sex(a: &Keys, b: &Keys, t: &mut Tally<'_>) {
    let known = |s: Sex| s != Sex::Unknown;
    if known(a.sex) && known(b.sex) {
        if a.sex == b.sex {
            t.add("same_sex", "cùng giới tính", "same sex");
        } else {
            t.add("different_sex", "khác giới tính", "different sex");
        }
        return;
    }
    // One sex unknown: the other's middle marker checked against the known one.
    let against =
        |x: &Keys, y: &Keys| known(y.sex) && marker_sex(x, t.rules).is_some_and(|m| m != y.sex);
    if against(a, b) || against(b, a) {
        t.add(
            "middle_marker_against_sex",
            "tên đệm không hợp giới tính",
            "middle name suggests the other sex",
        );
    }
}

fn age(a: &Keys, b: &Keys, t: &mut Tally<'_>) {
    let (Some(x), Some(y)) = (a.birth, b.birth) else {
        return;
    };
    if let (Some(dx), Some(dy)) = (x.date, y.date) {
        if dx == dy {
            t.add(
                "same_date_of_birth",
                "trùng ngày sinh",
                "same date of birth",
            );
            return;
        }
    }
    let diff = (x.year - y.year).abs();
    let tolerance = x.uncertainty + y.uncertainty + t.rules.age.slack;
    let years = diff.round() as i64;
    if diff <= tolerance {
        if years == 0 {
            t.add("age_within_tolerance", "cùng tuổi", "same age");
        } else {
            t.add(
                "age_within_tolerance",
                format!("tuổi ±{years}"),
                format!("age ±{years}"),
            );
        }
    } else if diff <= 2.0 * tolerance {
        t.add(
            "age_near_tolerance",
            format!("tuổi lệch {years} năm"),
            format!("age {years} years apart"),
        );
    } else {
        t.add(
            "age_far",
            format!("tuổi lệch {years} năm"),
            format!("age {years} years apart"),
        );
    }
}

fn places(a: &Keys, b: &Keys, t: &mut Tally<'_>) {
    if let (Some(x), Some(y)) = (&a.ethnicity, &b.ethnicity) {
        if x == y {
            t.add("same_ethnicity", "cùng dân tộc", "same ethnicity");
        } else {
            t.add("different_ethnicity", "khác dân tộc", "different ethnicity");
        }
    }
    if let (Some(x), Some(y)) = (&a.residence_unit, &b.residence_unit) {
        if x == y {
            t.add("same_residence", "cùng xã cư trú", "same commune");
        } else {
            t.add("different_residence", "khác xã cư trú", "different commune");
        }
    }
    if let (Some(x), Some(y)) = (&a.school, &b.school) {
        if x == y || similar(x, y, t.rules) {
            t.add("same_school", "cùng trường", "same school");
        }
    }
    if let (Some(x), Some(y)) = (&a.parent_name, &b.parent_name) {
        if x == y {
            t.add("same_parent_name", "trùng tên cha/mẹ", "same parent's name");
        }
    }
    if let (Some(x), Some(y)) = (&a.parent_phone, &b.parent_phone) {
        if x == y && x.len() >= 8 {
            t.add(
                "same_parent_phone",
                "trùng số điện thoại cha/mẹ",
                "same parent's phone",
            );
        }
    }
}
