//! My work and the case list, and the helpers the case page and intake share.

use super::format::{self, label, options, pick, Opt};
use super::pages::Chrome;
use super::session::{field, form_pairs, Staff};
use super::steps::{self};
use super::{html, see_other, WebError};
use crate::app::lists::{self, BoardParams, CaseListParams};
use crate::http::errors::Lang;
use crate::http::AppState;
use crate::store::users;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use aggregates::codes::*;
use askama::Template;
use chrono::{DateTime, Utc};
use projections::record::DeadlineView;
use std::collections::HashMap;
use uuid::Uuid;

/// The step that meets a deadline rule.
pub fn rule_step(rule_id: &str) -> Option<&'static str> {
    Some(match rule_id {
        "initial_assessment" => "initial-assessment",
        "urgent_measures" => "urgent-measures",
        "separation_end" => "separation-end",
        "plan_submission" | "plan_resubmission" => "plan",
        "plan_approval" => "plan-decision",
        "plan_item_end" => "services",
        "review" => "review",
        "closure_decision" => "closure",
        "detailed_assessment" => "detailed-assessment",
        "needs_meeting" => "needs-meeting",
        _ => return None,
    })
}

/// A deadline rule in words.
pub fn rule_words(rule_id: &str, lang: Lang) -> String {
    let (vi, en) = match rule_id {
        "initial_assessment" => ("Đánh giá ban đầu", "Initial assessment"),
        "urgent_measures" => ("Áp dụng biện pháp khẩn cấp", "Urgent measures"),
        "separation_end" => ("Kết thúc tạm thời cách ly", "End of the separation"),
        "plan_submission" => ("Trình kế hoạch", "Plan submission"),
        "plan_resubmission" => ("Trình lại kế hoạch", "Plan resubmission"),
        "plan_approval" => ("Phê duyệt kế hoạch", "Plan approval"),
        "plan_item_end" => ("Hoàn thành mục kế hoạch", "Plan item completion"),
        "review" => ("Rà soát, đánh giá", "Review"),
        "closure_decision" => ("Quyết định đóng hồ sơ", "Closure decision"),
        "detailed_assessment" => ("Đánh giá chi tiết", "Detailed assessment"),
        "needs_meeting" => ("Họp xác định nhu cầu", "Needs meeting"),
        other => (other, other),
    };
    pick(lang, vi, en)
}

pub(super) fn state_words(state: &str, lang: Lang) -> String {
    let (vi, en) = match state {
        "overdue" => ("Quá hạn", "Overdue"),
        "due_soon" => ("Sắp đến hạn", "Due soon"),
        "pending" => ("Trong hạn", "Pending"),
        "met" => ("Đã đáp ứng", "Met"),
        "met_late" => ("Đáp ứng muộn", "Met late"),
        other => (other, other),
    };
    pick(lang, vi, en)
}

/// "Đánh giá ban đầu — hạn 14:30 05/03/2026 — quá hạn 2 giờ".
pub fn deadline_words(d: &DeadlineView, lang: Lang, now: DateTime<Utc>) -> String {
    let due = DateTime::parse_from_rfc3339(&d.due_at).map(|t| t.with_timezone(&Utc));
    let when = due.map_or_else(|_| d.due_at.clone(), format::time);
    let left = due.map_or(String::new(), |due| format::due_in_words(due, now, lang));
    format!(
        "{} — {} {when} — {left}",
        rule_words(&d.rule_id, lang),
        pick(lang, "hạn", "due")
    )
}

pub(super) async fn worker_names(state: &AppState, ids: &[Uuid]) -> HashMap<Uuid, String> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    users::names(&state.db, &ids)
        .await
        .map(|m| m.into_iter().map(|(k, v)| (k, v.1)).collect())
        .unwrap_or_default()
}

pub(super) fn unit_name(state: &AppState, code: &str) -> String {
    state
        .units
        .get(code)
        .map_or_else(|| code.to_owned(), |u| u.name)
}

#[derive(Debug, Clone)]
pub struct WorkRow {
    pub case_href: String,
    pub step_href: String,
    pub case_number: String,
    pub child: String,
    pub rule: String,
    pub due: String,
    pub left: String,
    pub state: String,
    pub state_code: String,
    pub worker: String,
    pub commune: String,
}

#[derive(Template)]
#[template(path = "my_work.html")]
pub struct MyWorkPage {
    pub page: Chrome,
    pub rows: Vec<WorkRow>,
    pub next: Option<String>,
    pub t: Texts,
}

/// The fixed texts of a page in its language.
#[derive(Debug, Clone, Default)]
pub struct Texts(HashMap<&'static str, String>);

impl Texts {
    pub fn get(&self, key: &str) -> &str {
        self.0.get(key).map_or("", String::as_str)
    }
}

pub fn texts(lang: Lang, pairs: &[(&'static str, &str, &str)]) -> Texts {
    Texts(
        pairs
            .iter()
            .map(|(k, vi, en)| (*k, pick(lang, vi, en)))
            .collect(),
    )
}

#[derive(serde::Deserialize)]
pub struct CursorQuery {
    cursor: Option<String>,
}

/// `GET /`: the open deadlines of my cases (worker) or my commune (chair), overdue first.
pub async fn my_work(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<CursorQuery>,
) -> Result<HttpResponse, WebError> {
    let lang = staff.lang;
    if !staff.has_role(Role::SocialWorker) && !staff.has_role(Role::Approver) {
        let to = if staff.has_role(Role::Admin) {
            "/accounts"
        } else if staff.has_role(Role::HotlineOperator) {
            "/intake"
        } else {
            "/cases"
        };
        return Ok(see_other(to));
    }
    let params = BoardParams {
        cursor: query.cursor.clone(),
        ..BoardParams::default()
    };
    let (items, next) = lists::deadlines(&state, &staff.caller, false, &params)
        .await
        .map_err(|e| WebError::api(lang, e))?;
    let names = worker_names(
        &state,
        &items
            .iter()
            .filter_map(|i| i.assigned_to)
            .collect::<Vec<_>>(),
    )
    .await;
    let mut case_ids: Vec<Uuid> = items.iter().map(|i| i.case_id).collect();
    case_ids.sort();
    case_ids.dedup();
    let children = projections::views::console::child_names(&state.db, &case_ids)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let now = state.clock.now();
    let rows = items
        .iter()
        .map(|i| WorkRow {
            child: children
                .get(&i.case_id)
                .cloned()
                .unwrap_or_else(|| "—".into()),
            case_href: format!("/cases/{}", i.case_id),
            step_href: rule_step(&i.rule_id).map_or_else(
                || format!("/cases/{}", i.case_id),
                |s| format!("/cases/{}/steps/{s}", i.case_id),
            ),
            case_number: i.case_number.clone(),
            rule: rule_words(&i.rule_id, lang),
            due: format::time(i.due_at),
            left: format::due_in_words(i.due_at, now, lang),
            state: state_words(&i.state, lang),
            state_code: i.state.clone(),
            worker: i
                .assigned_to
                .and_then(|w| names.get(&w).cloned())
                .unwrap_or_else(|| pick(lang, "Chưa phân công", "Unassigned")),
            commune: unit_name(&state, &i.acting_unit),
        })
        .collect();
    html(&MyWorkPage {
        page: staff.chrome(&pick(lang, "Việc cần làm", "My work")),
        rows,
        next: next.map(|c| format!("/?cursor={c}")),
        t: texts(
            lang,
            &[
                ("heading", "Việc cần làm", "My work"),
                ("case", "Hồ sơ", "Case"),
                ("child", "Trẻ", "Child"),
                ("rule", "Việc", "Task"),
                ("due", "Hạn", "Due"),
                ("state", "Tình trạng", "State"),
                ("worker", "Cán bộ", "Worker"),
                ("commune", "Xã", "Commune"),
                ("open", "Thực hiện", "Do it"),
                ("empty", "Không có việc nào đến hạn.", "Nothing is due."),
                ("more", "Trang sau", "Next page"),
            ],
        ),
    })
}

#[derive(Debug, Clone)]
pub struct CaseRow {
    pub href: String,
    pub case_number: String,
    pub child: String,
    pub status: String,
    pub commune: String,
    pub worker: String,
    pub received: String,
    pub next_deadline: String,
}

#[derive(Template)]
#[template(path = "case_list.html")]
pub struct CaseListPage {
    pub page: Chrome,
    pub rows: Vec<CaseRow>,
    pub next: Option<String>,
    pub statuses: Vec<steps::OptView>,
    pub communes: Vec<steps::OptView>,
    pub deadline_states: Vec<steps::OptView>,
    pub mine: bool,
    pub q: String,
    pub error: Option<String>,
    pub t: Texts,
}

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    status: Option<String>,
    unit: Option<String>,
    assigned: Option<String>,
    deadline_state: Option<String>,
    cursor: Option<String>,
}

pub(super) fn opt_views(opts: Vec<Opt>, chosen: Option<&str>) -> Vec<steps::OptView> {
    opts.into_iter()
        .map(|o| steps::OptView {
            selected: chosen == Some(o.code.as_str()),
            code: o.code,
            label: o.label,
            id: String::new(),
        })
        .collect()
}

/// The communes under the caller's grants (for filters and intake).
pub(super) fn communes_in_scope(state: &AppState, staff: &Staff) -> Vec<Opt> {
    let mut out: Vec<Opt> = state
        .units
        .all()
        .into_iter()
        .filter(|u| u.kind != "country" && u.kind != "province" && u.valid_to.is_none())
        .filter(|u| {
            state.units.path(&u.code).is_some_and(|p| {
                staff
                    .caller
                    .user
                    .grants
                    .iter()
                    .any(|g| g.role != Role::HotlineOperator && p.is_within(&g.unit))
            })
        })
        .map(|u| Opt {
            code: u.code,
            label: u.name,
        })
        .collect();
    out.sort_by(|a, b| a.label.cmp(&b.label));
    out
}

pub(super) async fn render_list(
    state: &AppState,
    staff: &Staff,
    query: &ListQuery,
    q: Option<String>,
) -> Result<HttpResponse, WebError> {
    let lang = staff.lang;
    let mine = query.assigned.as_deref() == Some("me");
    let params = CaseListParams {
        status: query.status.clone().filter(|s| !s.is_empty()),
        unit: query.unit.clone().filter(|s| !s.is_empty()),
        assigned_to: mine.then(|| staff.caller.id().to_string()),
        deadline_state: query.deadline_state.clone().filter(|s| !s.is_empty()),
        q: q.clone(),
        limit: Some("50".into()),
        cursor: query.cursor.clone().filter(|s| !s.is_empty()),
    };
    let (rows, next, error) = match lists::cases(state, &staff.caller, false, &params).await {
        Ok((items, next)) => {
            let names = worker_names(
                state,
                &items
                    .iter()
                    .filter_map(|i| i.assigned_to)
                    .collect::<Vec<_>>(),
            )
            .await;
            let now = state.clock.now();
            let rows = items
                .iter()
                .map(|c| CaseRow {
                    href: format!("/cases/{}", c.id),
                    case_number: c.case_number.clone(),
                    child: c.child_name.clone().unwrap_or_else(|| "—".into()),
                    status: label::<CaseStatus>(&c.status, lang),
                    commune: unit_name(state, &c.acting_unit),
                    worker: c
                        .assigned_to
                        .and_then(|w| names.get(&w).cloned())
                        .unwrap_or_else(|| pick(lang, "Chưa phân công", "Unassigned")),
                    received: format::time(c.received_at),
                    next_deadline: c.next_deadline.as_ref().map_or(String::new(), |d| {
                        format!(
                            "{} — {}",
                            rule_words(&d.rule_id, lang),
                            format::due_in_words(d.due_at, now, lang)
                        )
                    }),
                })
                .collect();
            // The next page keeps the filters (never a name: searches are posted).
            let next = next.filter(|_| q.is_none()).map(|c| {
                let mut url = format!("/cases?cursor={c}");
                for (k, v) in [
                    ("status", &query.status),
                    ("unit", &query.unit),
                    ("assigned", &query.assigned),
                    ("deadline_state", &query.deadline_state),
                ] {
                    if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                        url.push_str(&format!("&{k}={v}"));
                    }
                }
                url
            });
            (rows, next, None)
        }
        Err(e) if e.status == StatusCode::FORBIDDEN && e.code == "forbidden" => {
            return Err(WebError::Forbidden(lang))
        }
        Err(e) => (
            Vec::new(),
            None,
            Some(e.errors.first().map_or_else(
                || e.title.get(lang).to_owned(),
                |f| f.message.get(lang).to_owned(),
            )),
        ),
    };
    let deadline_states = vec![
        Opt {
            code: "overdue".into(),
            label: state_words("overdue", lang),
        },
        Opt {
            code: "due_soon".into(),
            label: state_words("due_soon", lang),
        },
        Opt {
            code: "pending".into(),
            label: state_words("pending", lang),
        },
    ];
    let page = CaseListPage {
        page: staff.chrome(&pick(lang, "Hồ sơ", "Cases")).at("/cases"),
        rows,
        next,
        statuses: opt_views(options::<CaseStatus>(lang), query.status.as_deref()),
        communes: opt_views(communes_in_scope(state, staff), query.unit.as_deref()),
        deadline_states: opt_views(deadline_states, query.deadline_state.as_deref()),
        mine,
        q: q.unwrap_or_default(),
        error,
        t: texts(
            lang,
            &[
                ("heading", "Hồ sơ", "Cases"),
                ("filters", "Lọc", "Filters"),
                ("status", "Trạng thái", "Status"),
                ("commune", "Xã", "Commune"),
                ("assigned", "Cán bộ phụ trách", "Assigned to"),
                ("me", "Tôi", "Me"),
                ("anyone", "Bất kỳ", "Anyone"),
                ("deadline_state", "Tình trạng hạn", "Deadline state"),
                ("all", "Tất cả", "All"),
                ("apply", "Lọc", "Apply"),
                (
                    "search",
                    "Tìm theo số hồ sơ hoặc tên trẻ",
                    "Search by case number or child's name",
                ),
                ("find", "Tìm", "Search"),
                ("case", "Số hồ sơ", "Case number"),
                ("child", "Trẻ", "Child"),
                ("worker", "Cán bộ", "Worker"),
                ("received", "Tiếp nhận", "Received"),
                ("next_deadline", "Hạn gần nhất", "Next deadline"),
                ("empty", "Không có hồ sơ nào.", "No cases."),
                ("more", "Trang sau", "Next page"),
            ],
        ),
    };
    html(&page)
}

/// `GET /cases?status=&unit=&assigned=me|any&deadline_state=&cursor=`.
pub async fn case_list(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    render_list(&state, &staff, &query, None).await
}

/// `POST /cases/search` (`q`, `csrf_token`): a search by number or name, posted so that no
/// name is in a URL.
pub async fn case_search(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let pairs = form_pairs(body).await?;
    staff.check(&req, &pairs)?;
    let q = field(&pairs, "q").trim().to_owned();
    render_list(
        &state,
        &staff,
        &ListQuery::default(),
        Some(q).filter(|q| !q.is_empty()),
    )
    .await
}
