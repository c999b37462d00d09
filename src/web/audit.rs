//! Kiểm tra (supervisors): a case's history, its access log and the case as it stood at a
//! chosen time; each read writes its own access-log row, as the API's do.

use super::case_page::{sections, Section};
use super::cases::{texts, Texts};
use super::format::{self, label, pick};
use super::pages::Chrome;
use super::session::Staff;
use super::{html, WebError};
use crate::http::AppState;
use actix_web::{web, HttpResponse};
use aggregates::codes::Role;
use askama::Template;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct HistoryRow {
    pub sequence: u64,
    pub kind: String,
    pub occurred: String,
    pub recorded: String,
    pub who: String,
    pub role: String,
    pub unit: String,
}

#[derive(Debug, Clone)]
pub struct AccessRow {
    pub at: String,
    pub who: String,
    pub role: String,
    pub view: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub page: Chrome,
    pub case_id: String,
    pub case_number: String,
    pub history: Vec<HistoryRow>,
    pub access: Vec<AccessRow>,
    pub as_of: String,
    pub as_of_sections: Vec<Section>,
    pub as_of_error: Option<String>,
    pub t: Texts,
}

#[derive(serde::Deserialize)]
pub struct AuditQuery {
    as_of: Option<String>,
}

/// `GET /cases/{id}/audit?as_of=dd/mm/yyyy hh:mm`.
pub async fn audit(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, WebError> {
    let lang = staff.lang;
    let case_id = Uuid::parse_str(&id).map_err(|_| WebError::NotFound(lang))?;
    if !staff.has_role(Role::Supervisor) {
        return Err(WebError::Forbidden(lang));
    }
    let entries = crate::app::cases::history(&state, &staff.caller, case_id)
        .await
        .map_err(|e| WebError::api(lang, e))?;
    let (log, _) = crate::app::cases::access_log(&state, &staff.caller, case_id, 0, 500)
        .await
        .map_err(|e| WebError::api(lang, e))?;
    let unit_name = |code: &str| {
        state
            .units
            .get(code)
            .map_or_else(|| code.to_owned(), |u| u.name)
    };
    let case_number = entries
        .first()
        .and_then(|e| e.data.get("case_number"))
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned();
    let history = entries
        .iter()
        .map(|e| HistoryRow {
            sequence: e.sequence,
            kind: e.kind.clone(),
            occurred: format::time(e.occurred_at),
            recorded: format::time(e.recorded_at),
            who: e
                .actor
                .display_name
                .clone()
                .unwrap_or_else(|| e.actor.user_id.to_string()),
            role: label::<Role>(&e.actor.role, lang),
            unit: unit_name(&e.actor.unit),
        })
        .collect();
    let access = log
        .iter()
        .map(|a| AccessRow {
            at: format::time(a.at),
            who: a
                .display_name
                .clone()
                .unwrap_or_else(|| a.user_id.to_string()),
            role: label::<Role>(&a.role, lang),
            view: view_words(&a.view, lang),
        })
        .collect();
    let as_of_raw = query.as_of.clone().unwrap_or_default();
    let (as_of_sections, as_of_error) = if as_of_raw.trim().is_empty() {
        (Vec::new(), None)
    } else {
        let parsed = chrono::DateTime::parse_from_rfc3339(&format::parse_input_time(&as_of_raw))
            .map(|t| t.with_timezone(&chrono::Utc));
        match parsed {
            Ok(at) => match crate::app::cases::read(&state, &staff.caller, case_id, Some(at)).await
            {
                Ok(doc) => (sections(&doc, lang, &state), None),
                Err(e) => (Vec::new(), Some(e.title.get(lang).to_owned())),
            },
            Err(_) => (
                Vec::new(),
                Some(pick(
                    lang,
                    "Thời điểm phải có dạng dd/mm/yyyy hh:mm",
                    "The time must read dd/mm/yyyy hh:mm",
                )),
            ),
        }
    };
    html(&AuditPage {
        page: staff
            .chrome(&pick(lang, "Kiểm tra hồ sơ", "Case audit"))
            .at(&format!("/cases/{case_id}/audit")),
        case_id: case_id.to_string(),
        case_number,
        history,
        access,
        as_of: as_of_raw,
        as_of_sections,
        as_of_error,
        t: texts(
            lang,
            &[
                ("heading", "Kiểm tra hồ sơ", "Case audit"),
                ("back", "Quay lại hồ sơ", "Back to the case"),
                (
                    "history",
                    "Lịch sử: ai đã làm gì, khi nào, với vai trò nào",
                    "History: who did what, when, in which role",
                ),
                ("seq", "Số", "No."),
                ("kind", "Sự kiện", "Event"),
                ("occurred", "Thời điểm xảy ra", "Occurred"),
                ("recorded", "Thời điểm ghi", "Recorded"),
                ("who", "Người", "Who"),
                ("role", "Vai trò", "Role"),
                ("unit", "Đơn vị", "Unit"),
                (
                    "access",
                    "Nhật ký truy cập: ai đã xem",
                    "Access log: who saw it",
                ),
                ("at", "Lúc", "At"),
                ("view", "Xem gì", "What"),
                (
                    "as_of",
                    "Hồ sơ tại thời điểm (dd/mm/yyyy hh:mm)",
                    "The case as it stood at (dd/mm/yyyy hh:mm)",
                ),
                ("show", "Xem", "Show"),
            ],
        ),
    })
}

/// What an access-log row says was seen, in words.
fn view_words(view: &str, lang: crate::http::errors::Lang) -> String {
    if let Some(form) = view.strip_prefix("print_").filter(|f| *f != "all") {
        return pick(
            lang,
            &format!("In Mẫu {form}"),
            &format!("Printed form {form}"),
        );
    }
    let (vi, en) = match view {
        "print_all" => ("In toàn bộ hồ sơ", "Printed the dossier"),
        "record" => ("Xem hồ sơ", "Read the case"),
        "as_of" => ("Xem hồ sơ tại một thời điểm", "Read the case as of a time"),
        "history" => ("Xem lịch sử", "Read the history"),
        "access_log" => ("Xem nhật ký truy cập", "Read the access log"),
        "command" => ("Ghi một bước", "Recorded a step"),
        "replay" => ("Nhận lại kết quả", "Replayed an answer"),
        "list_cases" => ("Danh sách hồ sơ", "Case list"),
        "caseload" => ("Danh sách phân công", "Caseload"),
        "deadlines" => ("Bảng hạn", "Deadline board"),
        other => (other, other),
    };
    pick(lang, vi, en)
}
