//! Search before create at intake (issue 12), without script: when the report is sent (or the
//! operator asks with "Kiểm tra trẻ đã có hồ sơ"), every named child is searched for; a child
//! with candidates comes back with them and a choice — attach this report to the open case,
//! open a new episode of the closed case, or a different child (kept, so it is not asked
//! again) — and nothing is opened until every such child has one. A candidate that appears
//! after the choice was shown (the name was changed) is shown again before anything is opened.
//!
//! The console's own fields are `children[i].match` (the choice) and `children[i].shown` (the
//! case numbers the choice was made against); they become the API's `attach_to_case_number`,
//! `previous_case_id` or `not_same_as` before the report goes to the application layer.

use super::format::{label, pick};
use super::session::field;
use crate::app::children::{find_matches, MatchCandidate};
use crate::http::children::{ChildSearchDto, MatchQueryDto};
use crate::http::errors::{ApiError, Lang};
use crate::http::session::Caller;
use crate::http::AppState;
use aggregates::codes::CaseStatus;
use serde_json::Value;

/// One choice offered for a child.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    /// The value as an element id (no `:`, which a CSS selector would read as a pseudo-class).
    pub id: String,
    pub label: String,
    pub checked: bool,
}

/// A candidate as the intake form shows it.
#[derive(Debug, Clone)]
pub struct CandidateView {
    pub case_number: String,
    pub commune: String,
    pub level: String,
    pub in_jurisdiction: bool,
    pub child: String,
    pub status: String,
    pub summary: String,
    pub choices: Vec<Choice>,
}

/// The candidates of one child and what the operator chose.
#[derive(Debug, Clone)]
pub struct MatchPanel {
    pub candidates: Vec<CandidateView>,
    /// The case numbers shown, comma-separated (the hidden `children[i].shown`).
    pub shown: String,
    pub new_choice: Choice,
    /// Set when the report was sent without a choice for this child.
    pub error: Option<String>,
}

/// The candidates found for each child of the form (`None`: no name, or nothing found).
pub struct Found {
    pub per_child: Vec<Vec<MatchCandidate>>,
}

/// The searched child of block `i`, as the API's search body; `None` when the block has no
/// name or its fields do not parse (the report's own checks will say why).
fn query_of(state: &AppState, json: &Value, i: usize) -> Option<aggregates::identity::Person> {
    let child = json.get("children")?.get(i)?;
    let text = |k: &str| child.get(k).and_then(Value::as_str).map(str::to_owned);
    text("full_name")?;
    let dto = MatchQueryDto {
        received_at: json
            .get("received_at")
            .and_then(Value::as_str)
            .map(str::to_owned),
        incident_unit: json
            .get("incident_unit")
            .and_then(Value::as_str)
            .map(str::to_owned),
        child: ChildSearchDto {
            full_name: text("full_name"),
            date_of_birth: text("date_of_birth"),
            estimated_age: child
                .get("estimated_age")
                .and_then(Value::as_u64)
                .and_then(|a| u8::try_from(a).ok()),
            sex: text("sex"),
            ethnicity: text("ethnicity"),
            residence_unit: text("residence_unit"),
            school: text("school"),
            parent_name: None,
            parent_phone: None,
        },
    };
    dto.parse(state).ok()
}

/// Searches for every named child of the form (`json` is the form as the API's JSON).
pub async fn find(
    state: &AppState,
    caller: &Caller,
    json: &Value,
    count: usize,
) -> Result<Found, ApiError> {
    let mut per_child = Vec::with_capacity(count);
    for i in 0..count {
        per_child.push(match query_of(state, json, i) {
            Some(person) => find_matches(state, caller, &person, false).await?,
            None => Vec::new(),
        });
    }
    Ok(Found { per_child })
}

fn shown_numbers(pairs: &[(String, String)], i: usize) -> Vec<String> {
    field(pairs, &format!("children[{i}].shown"))
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn choice_of(pairs: &[(String, String)], i: usize) -> String {
    field(pairs, &format!("children[{i}].match")).to_owned()
}

/// Whether every child with candidates has a choice made against exactly what it was shown.
pub fn decided(found: &Found, pairs: &[(String, String)]) -> bool {
    found.per_child.iter().enumerate().all(|(i, candidates)| {
        if candidates.is_empty() {
            return true;
        }
        let shown = shown_numbers(pairs, i);
        let choice = choice_of(pairs, i);
        !choice.is_empty()
            && candidates.iter().all(|c| shown.contains(&c.case_number))
            && valid_choice(&choice, candidates)
    })
}

fn valid_choice(choice: &str, candidates: &[MatchCandidate]) -> bool {
    match choice.split_once(':') {
        None => choice == "new",
        Some(("attach", number)) => candidates.iter().any(|c| c.case_number == number),
        Some(("episode", id)) => candidates
            .iter()
            .any(|c| c.case_id.is_some_and(|c| c.to_string() == id)),
        _ => false,
    }
}

/// The form's fields as the API's: each child's choice becomes `attach_to_case_number`,
/// `previous_case_id`, or `not_same_as` every candidate shown; the console's own fields go.
pub fn api_fields(found: &Found, pairs: &[(String, String)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| !(k.ends_with("].match") || k.ends_with("].shown")))
        .cloned()
        .collect();
    for (i, candidates) in found.per_child.iter().enumerate() {
        if candidates.is_empty() {
            continue;
        }
        let key = |leaf: &str| format!("children[{i}].{leaf}");
        let choice = choice_of(pairs, i);
        match choice.split_once(':') {
            Some(("attach", number)) => out.push((key("attach_to_case_number"), number.into())),
            Some(("episode", id)) => out.push((key("previous_case_id"), id.into())),
            _ => {
                // A different child: every case shown is recorded as another child's. Cases
                // outside the caller's reach are named by the server, which knows their ids.
                for c in candidates {
                    out.push((key("not_same_as"), c.case.to_string()));
                }
            }
        }
    }
    out
}

/// The panels of the form: each child's candidates with its choices, the choice kept.
pub fn panels(
    state: &AppState,
    found: &Found,
    pairs: &[(String, String)],
    lang: Lang,
    require: bool,
) -> Vec<Option<MatchPanel>> {
    found
        .per_child
        .iter()
        .enumerate()
        .map(|(i, candidates)| {
            if candidates.is_empty() {
                return None;
            }
            let chosen = choice_of(pairs, i);
            let shown = shown_numbers(pairs, i);
            let stale = !candidates.iter().all(|c| shown.contains(&c.case_number));
            // A choice made against other candidates is asked again.
            let chosen = if stale { String::new() } else { chosen };
            let views = candidates
                .iter()
                .map(|c| candidate_view(state, c, &chosen, lang))
                .collect();
            let error = (require && (chosen.is_empty() || !valid_choice(&chosen, candidates)))
                .then(|| {
                    pick(
                        lang,
                        "Trẻ này có thể đã có hồ sơ: hãy chọn một cách xử lý trước khi ghi nhận.",
                        "This child may already have a case: choose what to do before recording.",
                    )
                });
            Some(MatchPanel {
                candidates: views,
                shown: candidates
                    .iter()
                    .map(|c| c.case_number.clone())
                    .collect::<Vec<_>>()
                    .join(","),
                new_choice: Choice {
                    value: "new".into(),
                    id: "new".into(),
                    label: pick(
                        lang,
                        "Trẻ khác: mở hồ sơ mới (không hỏi lại các hồ sơ trên)",
                        "A different child: open a new case (these cases are not offered again)",
                    ),
                    checked: chosen == "new",
                },
                error,
            })
        })
        .collect()
}

fn candidate_view(state: &AppState, c: &MatchCandidate, chosen: &str, lang: Lang) -> CandidateView {
    let closed = c.status.as_deref() == Some("closed");
    let mut choices = Vec::new();
    if !closed {
        let value = format!("attach:{}", c.case_number);
        choices.push(Choice {
            checked: chosen == value,
            id: value.replace(':', "-"),
            label: if c.in_jurisdiction {
                format!(
                    "{} {}",
                    pick(
                        lang,
                        "Cùng trẻ: ghi báo cáo này vào hồ sơ đang mở",
                        "The same child: add this report to the open case"
                    ),
                    c.case_number
                )
            } else {
                format!(
                    "{} {} {}",
                    pick(
                        lang,
                        "Cùng trẻ: ghi báo cáo này vào hồ sơ",
                        "The same child: add this report to case"
                    ),
                    c.case_number,
                    pick(lang, "(nếu hồ sơ còn mở)", "(if it is still open)")
                )
            },
            value,
        });
    }
    if let (true, Some(id)) = (closed, c.case_id) {
        let value = format!("episode:{id}");
        choices.push(Choice {
            checked: chosen == value,
            id: value.replace(':', "-"),
            label: format!(
                "{} {}",
                pick(
                    lang,
                    "Cùng trẻ: mở đợt mới, nối với hồ sơ đã đóng",
                    "The same child: open a new episode linked to the closed case"
                ),
                c.case_number
            ),
            value,
        });
    }
    CandidateView {
        case_number: c.case_number.clone(),
        commune: super::cases::unit_name(state, &c.commune),
        level: match (c.level.as_str(), lang) {
            ("likely", Lang::Vi) => "Nhiều khả năng cùng trẻ".into(),
            ("likely", Lang::En) => "Likely the same child".into(),
            (_, Lang::Vi) => "Có thể cùng trẻ".into(),
            (_, Lang::En) => "Possibly the same child".into(),
        },
        in_jurisdiction: c.in_jurisdiction,
        child: c
            .child
            .as_ref()
            .and_then(|child| {
                let name = child.full_name.clone()?;
                Some(match (child.date_of_birth, child.estimated_age) {
                    (Some(born), _) => format!("{name}, {}", born.format("%d/%m/%Y")),
                    (None, Some(age)) => {
                        format!("{name}, {age} {}", pick(lang, "tuổi", "years old"))
                    }
                    _ => name,
                })
            })
            .unwrap_or_default(),
        status: c
            .status
            .as_deref()
            .map(|s| label::<CaseStatus>(s, lang))
            .unwrap_or_default(),
        summary: c.summary.clone().unwrap_or_default(),
        choices,
    }
}
