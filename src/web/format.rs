//! What the console shows and reads: Vietnamese dates and numbers, code labels, the folding of
//! diacritics for name searches, and the translation of a posted form into the API's JSON.

use crate::http::errors::Lang;
use aggregates::codes::Code;
use aggregates::deadlines::calendar::vietnam_offset;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::{Map, Value};

/// `14:30 05/03/2026`, always in Asia/Ho_Chi_Minh.
pub fn time(at: DateTime<Utc>) -> String {
    at.with_timezone(&vietnam_offset())
        .format("%H:%M %d/%m/%Y")
        .to_string()
}

/// A recorded RFC 3339 time as [`time`] shows it (the raw text if it is not one).
pub fn time_str(raw: &str) -> String {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| time(t.with_timezone(&Utc)))
        .unwrap_or_else(|_| raw.to_owned())
}

/// A `YYYY-MM-DD` date as `dd/mm/yyyy`.
pub fn date_str(raw: &str) -> String {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_else(|_| raw.to_owned())
}

/// `dd/mm/yyyy hh:mm` for a form's default value.
pub fn input_value(at: DateTime<Utc>) -> String {
    at.with_timezone(&vietnam_offset())
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// `1.234.567`.
pub fn number(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// "quá hạn 2 giờ" / "còn 3 giờ" (or days beyond 48 hours).
pub fn due_in_words(due: DateTime<Utc>, now: DateTime<Utc>, lang: Lang) -> String {
    let minutes = (due - now).num_minutes();
    let span = minutes.unsigned_abs();
    let (n, vi, en) = if span >= 48 * 60 {
        (span / (24 * 60), "ngày", "days")
    } else if span >= 60 {
        (span / 60, "giờ", "hours")
    } else {
        (span, "phút", "minutes")
    };
    match (lang, minutes < 0) {
        (Lang::Vi, true) => format!("quá hạn {n} {vi}"),
        (Lang::Vi, false) => format!("còn {n} {vi}"),
        (Lang::En, true) => format!("overdue by {n} {en}"),
        (Lang::En, false) => format!("{n} {en} left"),
    }
}

pub fn pick(lang: Lang, vi: &str, en: &str) -> String {
    match lang {
        Lang::Vi => vi.to_owned(),
        Lang::En => en.to_owned(),
    }
}

/// The label of a code of `C` in `lang` (the code itself when it is unknown).
pub fn label<C: Code>(code: &str, lang: Lang) -> String {
    match C::parse(code) {
        Ok(c) => pick(lang, c.label_vi(), c.label_en()),
        Err(_) => code.to_owned(),
    }
}

/// One choice of a select or a set of checkboxes.
#[derive(Debug, Clone)]
pub struct Opt {
    pub code: String,
    pub label: String,
}

pub fn options<C: Code>(lang: Lang) -> Vec<Opt> {
    C::ALL
        .iter()
        .map(|c| Opt {
            code: c.code().to_owned(),
            label: pick(lang, c.label_vi(), c.label_en()),
        })
        .collect()
}

/// Lower case without Vietnamese diacritics: "Tả Lèng" → "ta leng".
pub fn fold(s: &str) -> String {
    const GROUPS: &[(&str, char)] = &[
        ("àáạảãâầấậẩẫăằắặẳẵ", 'a'),
        ("èéẹẻẽêềếệểễ", 'e'),
        ("ìíịỉĩ", 'i'),
        ("òóọỏõôồốộổỗơờớợởỡ", 'o'),
        ("ùúụủũưừứựửữ", 'u'),
        ("ỳýỵỷỹ", 'y'),
        ("đ", 'd'),
    ];
    s.to_lowercase()
        .chars()
        .map(|c| {
            GROUPS
                .iter()
                .find(|(set, _)| set.contains(c))
                .map_or(c, |(_, base)| *base)
        })
        .collect()
}

/// A time typed as `dd/mm/yyyy hh:mm` (Vietnam time) as RFC 3339; anything else unchanged, for
/// the API's parser to judge.
pub fn parse_input_time(raw: &str) -> String {
    let raw = raw.trim();
    for format in ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%H:%M %d/%m/%Y"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(raw, format) {
            if let Some(t) = vietnam_offset().from_local_datetime(&t).single() {
                return t.to_rfc3339();
            }
        }
    }
    raw.to_owned()
}

/// A date typed as `dd/mm/yyyy` as `YYYY-MM-DD`; anything else unchanged.
pub fn parse_input_date(raw: &str) -> String {
    let raw = raw.trim();
    NaiveDate::parse_from_str(raw, "%d/%m/%Y")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|_| raw.to_owned())
}

/// What a form field of the given name holds.
fn leaf_kind(leaf: &str) -> Kind {
    match leaf {
        "until" | "separation_until" => Kind::Time,
        "date_of_birth" => Kind::Date,
        "estimated_age" | "plan_version" | "cost_estimate_vnd" | "corrects_event" => Kind::Number,
        "consent" | "completed" | "immediate_danger" | "disabled" => Kind::Bool,
        "abuse_types"
        | "sexual_abuse_subtypes"
        | "exploitation_subtypes"
        | "special_circumstances"
        | "grounds"
        | "measures"
        | "needs"
        | "attendees"
        | "separation_grounds"
        | "not_same_as" => Kind::List,
        _ if leaf.ends_with("_at") => Kind::Time,
        _ if leaf.ends_with("_on") => Kind::Date,
        _ => Kind::Text,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Time,
    Date,
    Number,
    Bool,
    List,
}

/// The fields of a console form that are not the command's own.
pub const CONTROL_FIELDS: &[&str] = &["csrf_token", "version", "form_id"];

/// A posted form as the JSON body of the API command of the same field names:
/// `children[0].full_name`, `reporter.consent`, `ratings.harm_severity`, repeated names for
/// lists. Empty fields are left out (absent, as the API's optional fields are), so an empty
/// block of a repeated group adds nothing; `attendees` is one name a line.
pub fn form_to_json(pairs: &[(String, String)]) -> Value {
    let mut root = Map::new();
    for (name, value) in pairs {
        if CONTROL_FIELDS.contains(&name.as_str()) {
            continue;
        }
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let segments = parse_name(name);
        let Some(Segment::Key(leaf)) = segments.last().cloned() else {
            continue;
        };
        let kind = leaf_kind(&leaf);
        let json = match kind {
            Kind::Text | Kind::List => Value::String(value.to_owned()),
            Kind::Time => Value::String(parse_input_time(value)),
            Kind::Date => Value::String(parse_input_date(value)),
            Kind::Number => {
                let digits: String = value.chars().filter(|c| *c != '.' && *c != ' ').collect();
                digits
                    .parse::<u64>()
                    .map_or_else(|_| Value::String(value.to_owned()), Value::from)
            }
            Kind::Bool => match value {
                "true" | "on" | "yes" => Value::Bool(true),
                "false" | "no" => Value::Bool(false),
                other => Value::String(other.to_owned()),
            },
        };
        insert(&mut root, &segments, json, kind);
    }
    // A reporter block without its consent box ticked is a reporter without consent.
    if let Some(Value::Object(reporter)) = root.get_mut("reporter") {
        reporter.entry("consent").or_insert(Value::Bool(false));
    }
    let mut value = Value::Object(root);
    compact(&mut value);
    value
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
}

fn parse_name(name: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for part in name.split('.') {
        let (key, rest) = part.split_once('[').unwrap_or((part, ""));
        if !key.is_empty() {
            out.push(Segment::Key(key.to_owned()));
        }
        for index in rest.split('[') {
            if let Ok(n) = index.trim_end_matches(']').parse::<usize>() {
                out.push(Segment::Index(n.min(99)));
            }
        }
    }
    out
}

/// Arrays are built as objects keyed by index first (blocks may be removed in between), then
/// made into arrays in index order by [`compact`].
fn insert(map: &mut Map<String, Value>, segments: &[Segment], value: Value, kind: Kind) {
    let key = match &segments[0] {
        Segment::Key(k) => k.clone(),
        Segment::Index(i) => format!("\u{0}{i:03}"),
    };
    if segments.len() == 1 {
        if kind == Kind::List {
            let entry = map.entry(key).or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = entry {
                if segments[0] == Segment::Key("attendees".into()) {
                    items.extend(
                        value
                            .as_str()
                            .unwrap_or_default()
                            .lines()
                            .map(str::trim)
                            .filter(|l| !l.is_empty())
                            .map(|l| Value::String(l.to_owned())),
                    );
                } else {
                    items.push(value);
                }
            }
        } else {
            map.insert(key, value);
        }
        return;
    }
    let child = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(child) = child {
        insert(child, &segments[1..], value, kind);
    }
}

fn compact(value: &mut Value) {
    if let Value::Object(map) = value {
        for v in map.values_mut() {
            compact(v);
        }
        if !map.is_empty() && map.keys().all(|k| k.starts_with('\u{0}')) {
            let items: Vec<Value> = std::mem::take(map).into_iter().map(|(_, v)| v).collect();
            *value = Value::Array(items);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn forms_become_the_api_json() {
        let json = form_to_json(&pairs(&[
            ("csrf_token", "x"),
            ("received_at", "05/03/2026 14:30"),
            ("abuse_types", "physical_abuse"),
            ("abuse_types", "neglect"),
            ("children[0].full_name", "Lò Thị Mai"),
            ("children[0].estimated_age", "9"),
            ("children[2].sex", "male"),
            ("children[1].full_name", ""),
            ("reporter.name", "A"),
            ("immediate_danger", "false"),
        ]));
        assert_eq!(json["received_at"], "2026-03-05T14:30:00+07:00");
        assert_eq!(json["abuse_types"][1], "neglect");
        assert_eq!(json["children"][0]["estimated_age"], 9);
        assert_eq!(json["children"][1]["sex"], "male");
        assert_eq!(json["children"].as_array().map(Vec::len), Some(2));
        assert_eq!(json["reporter"]["consent"], false);
        assert_eq!(json["immediate_danger"], false);
        assert!(json.get("csrf_token").is_none());
    }

    #[test]
    fn vietnamese_formats() {
        assert_eq!(number(1_234_567), "1.234.567");
        assert_eq!(number(12), "12");
        assert_eq!(fold("Tả Lèng Đồng"), "ta leng dong");
        assert_eq!(date_str("2026-03-05"), "05/03/2026");
        let t = DateTime::parse_from_rfc3339("2026-03-05T07:30:00Z").unwrap();
        assert_eq!(time(t.with_timezone(&Utc)), "14:30 05/03/2026");
    }
}
