//! Form fields as the templates show them, and problems turned into field errors.

use super::format::pick;
use super::session::field;
use super::steps::*;
use crate::http::errors::{ApiError, Lang};

/// One field as the form template shows it.
#[derive(Debug, Clone)]
pub struct FieldView {
    pub name: String,
    pub id: String,
    pub label: String,
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<OptView>,
    pub error: Option<String>,
    pub required: bool,
    pub hint: String,
}

#[derive(Debug, Clone)]
pub struct OptView {
    pub code: String,
    pub label: String,
    pub selected: bool,
    pub id: String,
}

/// A field id safe in HTML and links: `children[0].full_name` → `f-children-0-full_name`.
pub fn field_id(name: &str) -> String {
    let mut id = String::from("f-");
    for c in name.chars() {
        id.push(if c.is_ascii_alphanumeric() || c == '_' {
            c
        } else {
            '-'
        });
    }
    id.replace("--", "-").trim_end_matches('-').to_owned()
}

/// The views of `specs`, filled from `pairs` (a returned form) or the defaults.
pub fn field_views(
    specs: &[FieldSpec],
    pairs: Option<&[(String, String)]>,
    errors: &[(String, String)],
    now_value: &str,
    lang: Lang,
) -> Vec<FieldView> {
    specs
        .iter()
        .map(|s| {
            let value = match (&s.input, pairs) {
                (Input::Hidden(v), _) => v.clone(),
                (_, Some(p)) => field(p, &s.name).to_owned(),
                (Input::Time, None) if s.required => now_value.to_owned(),
                (_, None) => String::new(),
            };
            let chosen = |code: &str| {
                pairs.is_some_and(|p| p.iter().any(|(k, v)| k == &s.name && v == code))
            };
            let (kind, options, hint) = match &s.input {
                Input::Time => (
                    "time",
                    Vec::new(),
                    pick(
                        lang,
                        "dd/mm/yyyy hh:mm (giờ Việt Nam)",
                        "dd/mm/yyyy hh:mm (Vietnam time)",
                    ),
                ),
                Input::Date => ("date", Vec::new(), "dd/mm/yyyy".to_owned()),
                Input::Text => ("text", Vec::new(), String::new()),
                Input::Area => ("area", Vec::new(), String::new()),
                Input::Number => ("number", Vec::new(), String::new()),
                Input::Check => ("check", Vec::new(), String::new()),
                Input::Hidden(_) => ("hidden", Vec::new(), String::new()),
                Input::YesNo => (
                    "select",
                    vec![
                        OptView {
                            code: "true".into(),
                            label: pick(lang, "Có", "Yes"),
                            selected: value == "true",
                            id: String::new(),
                        },
                        OptView {
                            code: "false".into(),
                            label: pick(lang, "Không", "No"),
                            selected: value == "false",
                            id: String::new(),
                        },
                    ],
                    String::new(),
                ),
                Input::Select(opts) => (
                    "select",
                    opts.iter()
                        .map(|o| OptView {
                            code: o.code.clone(),
                            label: o.label.clone(),
                            selected: value == o.code,
                            id: String::new(),
                        })
                        .collect(),
                    String::new(),
                ),
                Input::Checks(opts) => (
                    "checks",
                    opts.iter()
                        .map(|o| OptView {
                            code: o.code.clone(),
                            label: o.label.clone(),
                            selected: chosen(&o.code),
                            id: format!("{}-{}", field_id(&s.name), o.code),
                        })
                        .collect(),
                    String::new(),
                ),
            };
            let error = errors
                .iter()
                .find(|(name, _)| {
                    name == &s.name
                        || name.starts_with(&format!("{}.", s.name))
                        || name.starts_with(&format!("{}[", s.name))
                })
                .map(|(_, m)| m.clone());
            FieldView {
                name: s.name.clone(),
                id: field_id(&s.name),
                label: s.label.clone(),
                kind,
                value,
                options,
                error,
                required: s.required,
                hint,
            }
        })
        .collect()
}

/// An entry of the error summary, linking to its field.
#[derive(Debug, Clone)]
pub struct SummaryEntry {
    pub href: String,
    pub message: String,
}

/// A problem code's message as a form user needs it (the API's speaks of RFC 3339 and JSON).
pub(super) fn console_message(code: &str, lang: Lang) -> Option<String> {
    let (vi, en) = match code {
        "required" => ("Bắt buộc", "Required"),
        "invalid_time" => (
            "Nhập thời điểm dạng dd/mm/yyyy hh:mm, ví dụ 05/03/2026 14:30",
            "Type a time as dd/mm/yyyy hh:mm, e.g. 05/03/2026 14:30",
        ),
        "invalid_date" => (
            "Nhập ngày dạng dd/mm/yyyy, ví dụ 05/03/2017",
            "Type a date as dd/mm/yyyy, e.g. 05/03/2017",
        ),
        "invalid_type" => ("Giá trị không hợp lệ", "Not a valid value"),
        _ => return None,
    };
    Some(pick(lang, vi, en))
}

pub(super) fn matches_field(error_field: &str, name: &str) -> bool {
    error_field == name
        || error_field.starts_with(&format!("{name}."))
        || error_field.starts_with(&format!("{name}["))
}

/// The field errors of a problem in `lang`, and the summary above the form. The API's parser
/// stops at the first missing field; when it names one, every other required field left
/// empty on the form is named too, so that the user sees them all at once.
pub fn problem_errors(
    e: &ApiError,
    lang: Lang,
    fields: &[FieldSpec],
    pairs: Option<&[(String, String)]>,
) -> (Vec<(String, String)>, Vec<SummaryEntry>) {
    let mut found: Vec<(String, String, String)> = e
        .errors
        .iter()
        .map(|fe| {
            let message =
                console_message(&fe.code, lang).unwrap_or_else(|| fe.message.get(lang).to_owned());
            (fe.field.clone(), fe.code.clone(), message)
        })
        .collect();
    if let Some(pairs) = pairs.filter(|_| found.iter().any(|(_, c, _)| c == "required")) {
        for spec in fields.iter().filter(|s| s.required) {
            let empty = !pairs
                .iter()
                .any(|(k, v)| k == &spec.name && !v.trim().is_empty());
            if empty && !found.iter().any(|(f, _, _)| matches_field(f, &spec.name)) {
                found.push((
                    spec.name.clone(),
                    "required".into(),
                    console_message("required", lang).unwrap_or_default(),
                ));
            }
        }
        // In the order of the form.
        found.sort_by_key(|(f, _, _)| {
            fields
                .iter()
                .position(|s| matches_field(f, &s.name))
                .unwrap_or(usize::MAX)
        });
    }
    let mut errors = Vec::new();
    let mut summary = Vec::new();
    for (field_name, _, message) in found {
        let field = fields.iter().find(|s| matches_field(&field_name, &s.name));
        let label = field.map_or(field_name.clone(), |s| s.label.clone());
        summary.push(SummaryEntry {
            href: format!(
                "#{}",
                field.map_or_else(|| field_id(&field_name), |s| field_id(&s.name))
            ),
            message: format!("{label}: {message}"),
        });
        errors.push((field_name, message));
    }
    if summary.is_empty() {
        let detail = e.detail.as_ref().map(|d| d.get(lang).to_owned());
        summary.push(SummaryEntry {
            href: "#step-form".into(),
            message: detail.map_or_else(
                || e.title.get(lang).to_owned(),
                |d| format!("{}: {d}", e.title.get(lang)),
            ),
        });
    }
    (errors, summary)
}
