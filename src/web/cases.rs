//! My work, intake, the case list and the case page.

use super::format::{self, label, options, pick, Opt};
use super::pages::Chrome;
use super::session::{field, form_pairs, Staff};
use super::steps::{self, FieldView, SummaryEntry};
use super::{html, see_other, WebError};
use crate::app::lists::{self, BoardParams, CaseListParams};
use crate::http::dto::ReportDto;
use crate::http::errors::{ApiError, Lang};
use crate::http::extract::parse_json;
use crate::http::AppState;
use crate::store::users;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use aggregates::codes::*;
use askama::Template;
use chrono::{DateTime, Utc};
use projections::record::{CaseDocument, DeadlineView};
use serde_json::Value;
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

fn state_words(state: &str, lang: Lang) -> String {
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

async fn worker_names(state: &AppState, ids: &[Uuid]) -> HashMap<Uuid, String> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    users::names(&state.db, &ids)
        .await
        .map(|m| m.into_iter().map(|(k, v)| (k, v.1)).collect())
        .unwrap_or_default()
}

fn unit_name(state: &AppState, code: &str) -> String {
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

fn opt_views(opts: Vec<Opt>, chosen: Option<&str>) -> Vec<steps::OptView> {
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
fn communes_in_scope(state: &AppState, staff: &Staff) -> Vec<Opt> {
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

async fn render_list(
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

#[derive(Debug, Clone)]
pub struct Row {
    pub label: String,
    pub value: String,
}

#[derive(Debug, Clone)]
pub struct Section {
    pub id: String,
    pub title: String,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone)]
pub struct Stage {
    pub label: String,
    pub current: bool,
    pub done: bool,
}

#[derive(Debug, Clone)]
pub struct ActionLink {
    pub href: String,
    pub label: String,
    pub id: String,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub at: String,
    pub what: String,
}

#[derive(Template)]
#[template(path = "case.html")]
pub struct CasePage {
    pub page: Chrome,
    pub case_number: String,
    pub child: String,
    pub age: String,
    pub commune: String,
    pub status: String,
    pub worker: String,
    pub stages: Vec<Stage>,
    pub deadlines: Vec<Row>,
    pub sections: Vec<Section>,
    pub notes: Vec<Row>,
    pub timeline: Vec<Event>,
    pub actions: Vec<ActionLink>,
    pub audit_href: Option<String>,
    pub done: Option<String>,
    pub t: Texts,
}

/// The label of a field of the case document.
fn field_label(key: &str, lang: Lang) -> String {
    let (vi, en) = match key {
        "full_name" => ("Họ tên", "Full name"),
        "date_of_birth" => ("Ngày sinh", "Date of birth"),
        "estimated_age" => ("Tuổi ước tính", "Estimated age"),
        "sex" => ("Giới tính", "Sex"),
        "ethnicity" => ("Dân tộc", "Ethnicity"),
        "residence_unit" => ("Nơi cư trú", "Residence"),
        "school" => ("Trường", "School"),
        "condition" => ("Tình trạng", "Condition"),
        "name" => ("Tên", "Name"),
        "phone" => ("Điện thoại", "Phone"),
        "address" => ("Địa chỉ", "Address"),
        "relationship" => ("Quan hệ", "Relationship"),
        "consent" => ("Đồng ý ghi thông tin", "Consent"),
        "received_at" => ("Thời điểm tiếp nhận", "Received at"),
        "intake_point" => ("Nơi tiếp nhận", "Intake point"),
        "channel" => ("Hình thức", "Channel"),
        "target_group" => ("Nhóm đối tượng", "Target group"),
        "abuse_types" => ("Hình thức xâm hại", "Abuse types"),
        "abuse_environment" => ("Môi trường", "Environment"),
        "perpetrator_relationship" => ("Quan hệ của người gây hại", "Perpetrator"),
        "immediate_danger" => ("Nguy hiểm trước mắt", "Immediate danger"),
        "description" => ("Mô tả", "Description"),
        "assessed_at" => ("Thời điểm đánh giá", "Assessed at"),
        "outcome" => ("Kết quả", "Outcome"),
        "grounds" => ("Căn cứ", "Grounds"),
        "ratings" => ("Mức độ", "Ratings"),
        "findings" => ("Nhận định", "Findings"),
        "applied_at" => ("Thời điểm áp dụng", "Applied at"),
        "measures" => ("Biện pháp", "Measures"),
        "notes" => ("Ghi chú", "Notes"),
        "decided_at" => ("Thời điểm quyết định", "Decided at"),
        "until" => ("Đến", "Until"),
        "placement" => ("Nơi chăm sóc", "Placement"),
        "extensions" => ("Gia hạn", "Extensions"),
        "ended_at" => ("Chấm dứt lúc", "Ended at"),
        "end_reason" => ("Lý do chấm dứt", "End reason"),
        "physical_psychological" => ("Thể chất, tâm lý", "Physical and psychological"),
        "family" => ("Gia đình", "Family"),
        "risk_factors" => ("Yếu tố nguy cơ", "Risk factors"),
        "schooling" => ("Học tập", "Schooling"),
        "community" => ("Cộng đồng", "Community"),
        "needs" => ("Nhu cầu", "Needs"),
        "child_view" => ("Ý kiến của trẻ", "Child's view"),
        "parent_view" => ("Ý kiến của cha, mẹ", "Parent's view"),
        "held_at" => ("Thời điểm họp", "Held at"),
        "chaired_by" => ("Chủ trì", "Chaired by"),
        "attendees" => ("Thành phần", "Attendees"),
        "decisions" => ("Kết luận", "Decisions"),
        "version" => ("Phiên bản", "Version"),
        "status" => ("Trạng thái", "Status"),
        "submitted_at" => ("Thời điểm trình", "Submitted at"),
        "comment" => ("Ý kiến", "Comment"),
        "items" => ("Các mục", "Items"),
        "measure" => ("Biện pháp", "Measure"),
        "service_type" => ("Loại dịch vụ", "Service type"),
        "responsible" => ("Người chịu trách nhiệm", "Responsible"),
        "provider" => ("Đơn vị cung cấp", "Provider"),
        "starts_on" => ("Bắt đầu", "Starts"),
        "ends_on" => ("Kết thúc", "Ends"),
        "cost_estimate_vnd" => ("Dự toán (đồng)", "Cost estimate (VND)"),
        "deliveries" => ("Đã thực hiện", "Deliveries"),
        "completed" => ("Hoàn thành", "Completed"),
        "delivered_at" => ("Thời điểm", "Delivered at"),
        "referred_at" => ("Thời điểm chuyển gửi", "Referred at"),
        "to" => ("Chuyển đến", "To"),
        "reviewed_at" => ("Thời điểm rà soát", "Reviewed at"),
        "proposed_at" => ("Thời điểm đề xuất", "Proposed at"),
        "reason" => ("Lý do", "Reason"),
        "incident_unit" => ("Xã nơi xảy ra", "Commune where it happened"),
        other => (other, other),
    };
    pick(lang, vi, en)
}

/// A code's label when the field holds codes of a known enumeration.
fn code_label(key: &str, code: &str, lang: Lang) -> String {
    match key {
        "sex" => label::<Sex>(code, lang),
        "intake_point" => label::<IntakePoint>(code, lang),
        "channel" => label::<Channel>(code, lang),
        "target_group" => label::<TargetGroup>(code, lang),
        "abuse_types" => label::<AbuseType>(code, lang),
        "abuse_environment" => label::<AbuseEnvironment>(code, lang),
        "perpetrator_relationship" => label::<PerpetratorRelationship>(code, lang),
        "grounds" => label::<EmergencyGround>(code, lang),
        "measures" => label::<UrgentMeasure>(code, lang),
        "measure" => label::<PlanMeasure>(code, lang),
        "service_type" | "needs" => label::<ServiceType>(code, lang),
        "outcome" => InitialOutcome::parse(code)
            .map(|c| pick(lang, c.label_vi(), c.label_en()))
            .unwrap_or_else(|_| label::<ReviewOutcome>(code, lang)),
        "reason" => label::<ClosureReason>(code, lang),
        "end_reason" => label::<SeparationEndReason>(code, lang),
        "harm_severity"
        | "abuser_access"
        | "care_environment_obstacles"
        | "child_self_protection_recovery" => label::<Rating>(code, lang),
        _ => code.to_owned(),
    }
}

/// A value of the case document in words.
fn show(key: &str, value: &Value, lang: Lang, state: &AppState) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(b) => pick(
            lang,
            if *b { "Có" } else { "Không" },
            if *b { "Yes" } else { "No" },
        ),
        Value::Number(n) => n.as_i64().map_or_else(|| n.to_string(), format::number),
        Value::String(s) => {
            if key.ends_with("_unit") {
                unit_name(state, s)
            } else if key.ends_with("_at") || key == "until" {
                format::time_str(s)
            } else if key.ends_with("_on") || key == "date_of_birth" {
                format::date_str(s)
            } else {
                code_label(key, s, lang)
            }
        }
        Value::Array(items) => items
            .iter()
            .map(|v| show(key, v, lang, state))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("; "),
        Value::Object(map) => map
            .iter()
            .filter(|(k, _)| {
                !matches!(k.as_str(), "by" | "id" | "sequence" | "user_id" | "item_id")
            })
            .map(|(k, v)| format!("{}: {}", code_or_field(k, lang), show(k, v, lang, state)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn code_or_field(key: &str, lang: Lang) -> String {
    ReviewCriterion::parse(key)
        .map(|c| pick(lang, c.label_vi(), c.label_en()))
        .unwrap_or_else(|_| field_label(key, lang))
}

fn rows_of(value: &Value, lang: Lang, state: &AppState) -> Vec<Row> {
    let Value::Object(map) = value else {
        return vec![Row {
            label: String::new(),
            value: show("", value, lang, state),
        }];
    };
    map.iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "by" | "id" | "sequence" | "submitted_by" | "decided_by"
            )
        })
        .map(|(k, v)| Row {
            label: code_or_field(k, lang),
            value: show(k, v, lang, state),
        })
        .filter(|r| !r.value.is_empty())
        .collect()
}

pub fn sections(doc: &CaseDocument, lang: Lang, state: &AppState) -> Vec<Section> {
    let json = serde_json::to_value(doc).unwrap_or_default();
    let mut out = Vec::new();
    let report_keys = [
        "received_at",
        "intake_point",
        "channel",
        "target_group",
        "incident_unit",
        "abuse_types",
        "abuse_environment",
        "perpetrator_relationship",
        "immediate_danger",
        "description",
    ];
    let report: serde_json::Map<String, Value> = report_keys
        .iter()
        .filter_map(|k| json.get(*k).map(|v| ((*k).to_owned(), v.clone())))
        .collect();
    out.push(Section {
        id: "report".into(),
        title: pick(lang, "Thông tin tiếp nhận (Mẫu 01)", "The report (Mẫu 01)"),
        rows: rows_of(&Value::Object(report), lang, state),
    });
    let named = [
        ("child", "Thông tin về trẻ", "The child"),
        ("reporter", "Người báo tin", "The reporter"),
        (
            "initial_assessment",
            "Đánh giá ban đầu (Mẫu 02)",
            "Initial assessment (Mẫu 02)",
        ),
        ("separation", "Tạm thời cách ly", "Temporary separation"),
        (
            "detailed_assessment",
            "Đánh giá chi tiết (Mẫu 03)",
            "Detailed assessment (Mẫu 03)",
        ),
        ("needs_meeting", "Họp xác định nhu cầu", "Needs meeting"),
        ("plan", "Kế hoạch hỗ trợ, can thiệp", "Support plan"),
        ("closure_proposal", "Đề xuất đóng hồ sơ", "Closure proposal"),
        ("closure", "Đóng hồ sơ", "Closure"),
    ];
    for (key, vi, en) in named {
        if let Some(v) = json.get(key).filter(|v| !v.is_null()) {
            out.push(Section {
                id: key.replace('_', "-"),
                title: pick(lang, vi, en),
                rows: rows_of(v, lang, state),
            });
        }
    }
    let lists = [
        ("urgent_measures", "Biện pháp khẩn cấp", "Urgent measures"),
        ("referrals", "Chuyển gửi", "Referrals"),
        ("court_actions", "Tòa án", "Court"),
        ("reviews", "Rà soát (Mẫu 06)", "Reviews (Mẫu 06)"),
        ("corrections", "Đính chính", "Corrections"),
    ];
    for (key, vi, en) in lists {
        if let Some(Value::Array(items)) = json.get(key) {
            for (i, item) in items.iter().enumerate() {
                out.push(Section {
                    id: format!("{}-{}", key.replace('_', "-"), i + 1),
                    title: format!("{} {}", pick(lang, vi, en), i + 1),
                    rows: rows_of(item, lang, state),
                });
            }
        }
    }
    out
}

fn timeline(doc: &CaseDocument, lang: Lang) -> Vec<Event> {
    let json = serde_json::to_value(doc).unwrap_or_default();
    let mut events: Vec<(String, String)> =
        vec![(doc.received_at.clone(), pick(lang, "Tiếp nhận", "Received"))];
    let mut add = |v: &Value, key: &str, what: String| {
        if let Some(at) = v.get(key).and_then(Value::as_str) {
            events.push((at.to_owned(), what));
        }
    };
    for (section, key, vi, en) in [
        (
            "initial_assessment",
            "assessed_at",
            "Đánh giá ban đầu",
            "Initial assessment",
        ),
        ("separation", "decided_at", "Tạm thời cách ly", "Separation"),
        (
            "detailed_assessment",
            "assessed_at",
            "Đánh giá chi tiết",
            "Detailed assessment",
        ),
        (
            "needs_meeting",
            "held_at",
            "Họp xác định nhu cầu",
            "Needs meeting",
        ),
        (
            "closure_proposal",
            "proposed_at",
            "Đề xuất đóng hồ sơ",
            "Closure proposed",
        ),
        ("closure", "decided_at", "Đóng hồ sơ", "Closed"),
    ] {
        if let Some(v) = json.get(section) {
            add(v, key, pick(lang, vi, en));
        }
    }
    for (list, key, vi, en) in [
        (
            "urgent_measures",
            "applied_at",
            "Biện pháp khẩn cấp",
            "Urgent measures",
        ),
        ("plans", "submitted_at", "Trình kế hoạch", "Plan submitted"),
        ("referrals", "referred_at", "Chuyển gửi", "Referral"),
        ("reviews", "reviewed_at", "Rà soát", "Review"),
        ("notes", "written_at", "Ghi chú", "Note"),
    ] {
        if let Some(Value::Array(items)) = json.get(list) {
            for item in items {
                add(item, key, pick(lang, vi, en));
            }
        }
    }
    events.sort();
    events
        .into_iter()
        .map(|(at, what)| Event {
            at: format::time_str(&at),
            what,
        })
        .collect()
}

#[derive(serde::Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// `GET /cases/{id}`: the case as this user may see it, after its access-log row; another
/// commune's case is the not-found page.
pub async fn case_page(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, WebError> {
    let lang = staff.lang;
    let case_id = Uuid::parse_str(&id).map_err(|_| WebError::NotFound(lang))?;
    let (doc, events) = crate::app::cases::read_with_events(&state, &staff.caller, case_id, None)
        .await
        .map_err(|e| WebError::api(lang, e))?;
    let now = state.clock.now();
    let names = worker_names(&state, &doc.assigned_to.into_iter().collect::<Vec<_>>()).await;
    let child = doc.child.as_ref();
    let age = child
        .and_then(|c| {
            c.date_of_birth
                .map(|d| {
                    let today = aggregates::deadlines::calendar::local_date(now);
                    today.years_since(d).unwrap_or(0).to_string()
                })
                .or(c.estimated_age.map(|a| format!("~{a}")))
        })
        .unwrap_or_else(|| "—".into());
    let status = CaseStatus::parse(&doc.status).unwrap_or_default();
    let order = CaseStatus::ALL;
    let current = order.iter().position(|s| *s == status).unwrap_or(0);
    let stages = order
        .iter()
        .enumerate()
        .filter(|(_, s)| **s != CaseStatus::Emergency || status == CaseStatus::Emergency)
        .map(|(i, s)| Stage {
            label: pick(lang, s.label_vi(), s.label_en()),
            current: i == current,
            done: i < current,
        })
        .collect();
    let deadlines = doc
        .deadlines
        .iter()
        .filter(|d| d.met_at.is_none())
        .map(|d| Row {
            label: state_words(&d.state, lang),
            value: deadline_words(d, lang, now),
        })
        .collect();
    let notes = doc
        .notes
        .iter()
        .map(|n| Row {
            label: format::time_str(&n.written_at),
            value: n.text.clone(),
        })
        .collect();
    let actions = steps::available(&staff, &doc, &events)
        .into_iter()
        .map(|s| ActionLink {
            href: format!("/cases/{case_id}/steps/{}", s.slug),
            label: pick(lang, s.vi, s.en),
            id: format!("action-{}", s.slug),
        })
        .collect();
    let done = query.done.as_deref().and_then(steps::find_step).map(|s| {
        format!(
            "{}: {}",
            pick(lang, "Đã ghi lại", "Recorded"),
            pick(lang, s.vi, s.en)
        )
    });
    let page = CasePage {
        page: staff
            .chrome(&doc.case_number)
            .at(&format!("/cases/{case_id}")),
        case_number: doc.case_number.clone(),
        child: child
            .and_then(|c| c.full_name.clone())
            .unwrap_or_else(|| "—".into()),
        age,
        commune: unit_name(&state, &doc.acting_unit),
        status: label::<CaseStatus>(&doc.status, lang),
        worker: doc
            .assigned_to
            .and_then(|w| names.get(&w).cloned())
            .unwrap_or_else(|| pick(lang, "Chưa phân công", "Unassigned")),
        stages,
        deadlines,
        sections: sections(&doc, lang, &state),
        notes,
        timeline: timeline(&doc, lang),
        actions,
        audit_href: staff
            .has_role(Role::Supervisor)
            .then(|| format!("/cases/{case_id}/audit")),
        done,
        t: texts(
            lang,
            &[
                ("case", "Hồ sơ", "Case"),
                ("child", "Trẻ", "Child"),
                ("age", "Tuổi", "Age"),
                ("commune", "Xã", "Commune"),
                ("status", "Trạng thái", "Status"),
                ("worker", "Cán bộ phụ trách", "Worker"),
                ("progress", "Tiến trình", "Progress"),
                ("current", "hiện tại", "current"),
                ("done", "đã xong", "done"),
                ("deadlines", "Thời hạn", "Deadlines"),
                (
                    "no_deadlines",
                    "Không có thời hạn đang mở.",
                    "No open deadlines.",
                ),
                ("actions", "Việc có thể làm", "What you can do"),
                (
                    "no_actions",
                    "Bạn không có việc nào trên hồ sơ này lúc này.",
                    "Nothing for you to do on this case now.",
                ),
                ("notes", "Ghi chú", "Notes"),
                ("timeline", "Diễn biến", "Timeline"),
                (
                    "audit",
                    "Kiểm tra: lịch sử, nhật ký truy cập, hồ sơ tại một thời điểm",
                    "Audit: history, access log, the case at a time",
                ),
            ],
        ),
    };
    html(&page)
}

#[derive(Template)]
#[template(path = "intake.html")]
pub struct IntakePage {
    pub page: Chrome,
    pub form_id: String,
    pub report: Vec<FieldView>,
    pub reporter: Vec<FieldView>,
    pub children: Vec<ChildBlock>,
    pub communes: Vec<steps::OptView>,
    pub commune_query: String,
    pub commune_error: Option<String>,
    pub summary: Vec<SummaryEntry>,
    pub child_count: usize,
    pub t: Texts,
}

#[derive(Debug, Clone)]
pub struct ChildBlock {
    pub index: usize,
    pub heading: String,
    pub fields: Vec<FieldView>,
}

fn report_specs(lang: Lang) -> Vec<steps::FieldSpec> {
    use steps::Input::*;
    let t = |vi: &str, en: &str| pick(lang, vi, en);
    let f = |name: &str, label: String, input: steps::Input, required: bool| steps::FieldSpec {
        name: name.into(),
        label,
        input,
        required,
    };
    vec![
        f(
            "received_at",
            t("Thời điểm tiếp nhận", "Received at"),
            Time,
            true,
        ),
        f(
            "intake_point",
            t("Nơi tiếp nhận", "Intake point"),
            Select(options::<IntakePoint>(lang)),
            true,
        ),
        f(
            "channel",
            t("Hình thức tiếp nhận", "Channel"),
            Select(options::<Channel>(lang)),
            true,
        ),
        f(
            "target_group",
            t("Nhóm đối tượng", "Target group"),
            Select(options::<TargetGroup>(lang)),
            true,
        ),
        f(
            "abuse_types",
            t("Hình thức xâm hại", "Abuse types"),
            Checks(options::<AbuseType>(lang)),
            true,
        ),
        f(
            "abuse_environment",
            t("Môi trường xảy ra", "Where it happened"),
            Select(options::<AbuseEnvironment>(lang)),
            false,
        ),
        f(
            "perpetrator_relationship",
            t("Quan hệ của người gây hại", "Perpetrator's relationship"),
            Select(options::<PerpetratorRelationship>(lang)),
            false,
        ),
        f(
            "immediate_danger",
            t(
                "Trẻ đang gặp nguy hiểm trước mắt",
                "The child is in immediate danger",
            ),
            YesNo,
            false,
        ),
        f(
            "description",
            t("Mô tả sự việc", "What happened"),
            Area,
            false,
        ),
    ]
}

fn reporter_specs(lang: Lang) -> Vec<steps::FieldSpec> {
    use steps::Input::*;
    let t = |vi: &str, en: &str| pick(lang, vi, en);
    let f = |name: &str, label: String, input: steps::Input| steps::FieldSpec {
        name: name.into(),
        label,
        input,
        required: false,
    };
    vec![
        f(
            "reporter.consent",
            t(
                "Người báo tin đồng ý ghi lại thông tin cá nhân",
                "The reporter consents to their details being recorded",
            ),
            Check,
        ),
        f(
            "reporter.name",
            t("Họ tên người báo tin", "Reporter's name"),
            Text,
        ),
        f("reporter.phone", t("Điện thoại", "Phone"), Text),
        f("reporter.address", t("Địa chỉ", "Address"), Text),
        f(
            "reporter.relationship",
            t("Quan hệ với trẻ", "Relationship to the child"),
            Text,
        ),
    ]
}

fn child_specs(i: usize, lang: Lang, communes: &[Opt]) -> Vec<steps::FieldSpec> {
    use steps::Input::*;
    let t = |vi: &str, en: &str| pick(lang, vi, en);
    let n = |name: &str| format!("children[{i}].{name}");
    let f = |name: String, label: String, input: steps::Input, required: bool| steps::FieldSpec {
        name,
        label,
        input,
        required,
    };
    vec![
        f(n("full_name"), t("Họ tên", "Full name"), Text, false),
        f(
            n("date_of_birth"),
            t("Ngày sinh", "Date of birth"),
            Date,
            false,
        ),
        f(
            n("estimated_age"),
            t("Hoặc tuổi ước tính", "Or estimated age"),
            Number,
            false,
        ),
        f(
            n("sex"),
            t("Giới tính", "Sex"),
            Select(options::<Sex>(lang)),
            true,
        ),
        f(n("ethnicity"), t("Dân tộc", "Ethnicity"), Text, false),
        f(
            n("residence_unit"),
            t("Nơi cư trú (xã)", "Residence (commune)"),
            Select(communes.to_vec()),
            false,
        ),
        f(n("school"), t("Trường", "School"), Text, false),
        f(
            n("condition"),
            t("Tình trạng của trẻ", "The child's condition"),
            Area,
            false,
        ),
    ]
}

/// The communes whose name matches `query` ignoring diacritics (at most 50).
fn commune_matches(state: &AppState, query: &str) -> Vec<Opt> {
    let folded = format::fold(query.trim());
    if folded.chars().count() < 2 {
        return Vec::new();
    }
    let mut out: Vec<Opt> = state
        .units
        .all()
        .into_iter()
        .filter(|u| u.kind != "country" && u.kind != "province" && u.valid_to.is_none())
        .filter(|u| format::fold(&u.name).contains(&folded))
        .map(|u| {
            let province = u
                .parent_code
                .as_deref()
                .map(|p| unit_name(state, p))
                .unwrap_or_default();
            Opt {
                label: format!("{} — {province}", u.name),
                code: u.code,
            }
        })
        .collect();
    out.sort_by(|a, b| a.label.cmp(&b.label));
    out.truncate(50);
    out
}

#[allow(clippy::too_many_arguments)]
fn intake_page(
    state: &AppState,
    staff: &Staff,
    pairs: Option<&[(String, String)]>,
    problem: Option<&ApiError>,
    child_count: usize,
    form_id: String,
) -> IntakePage {
    let lang = staff.lang;
    let now = format::input_value(state.clock.now());
    let commune_query = pairs.map_or(String::new(), |p| field(p, "commune_query").to_owned());
    let chosen = pairs
        .map(|p| field(p, "incident_unit").to_owned())
        .filter(|c| !c.is_empty());
    let mut communes = if commune_query.trim().is_empty() {
        let mine = communes_in_scope(state, staff);
        if mine.len() <= 50 {
            mine
        } else {
            Vec::new()
        }
    } else {
        commune_matches(state, &commune_query)
    };
    if let Some(code) = &chosen {
        if !communes.iter().any(|c| &c.code == code) {
            if let Some(u) = state.units.get(code) {
                communes.insert(
                    0,
                    Opt {
                        code: u.code,
                        label: u.name,
                    },
                );
            }
        }
    }
    // A residence chosen earlier stays among the choices.
    let mut residences = communes.clone();
    for (k, v) in pairs.unwrap_or_default() {
        if k.ends_with(".residence_unit") && !residences.iter().any(|c| &c.code == v) {
            if let Some(u) = state.units.get(v) {
                residences.push(Opt {
                    code: u.code,
                    label: u.name,
                });
            }
        }
    }
    let mut all_specs = report_specs(lang);
    all_specs.extend(reporter_specs(lang));
    for i in 0..child_count {
        all_specs.extend(child_specs(i, lang, &residences));
    }
    all_specs.push(steps::FieldSpec {
        name: "incident_unit".into(),
        label: pick(lang, "Xã nơi xảy ra", "Commune where it happened"),
        input: steps::Input::Text,
        required: true,
    });
    let (errors, summary) = problem.map_or((Vec::new(), Vec::new()), |e| {
        steps::problem_errors(e, lang, &all_specs, pairs)
    });
    let views = |specs: &[steps::FieldSpec]| steps::field_views(specs, pairs, &errors, &now, lang);
    let selected = chosen.or_else(|| (communes.len() == 1).then(|| communes[0].code.clone()));
    let commune_error = errors
        .iter()
        .find(|(f, _)| f == "incident_unit")
        .map(|(_, m)| m.clone());
    IntakePage {
        page: staff
            .chrome(&pick(lang, "Tiếp nhận thông tin", "Intake"))
            .at("/intake"),
        form_id,
        report: views(&report_specs(lang)),
        reporter: views(&reporter_specs(lang)),
        children: (0..child_count)
            .map(|i| ChildBlock {
                index: i,
                heading: format!("{} {}", pick(lang, "Trẻ", "Child"), i + 1),
                fields: views(&child_specs(i, lang, &residences)),
            })
            .collect(),
        communes: opt_views(communes, selected.as_deref()),
        commune_query,
        commune_error,
        summary,
        child_count,
        t: texts(
            lang,
            &[
                (
                    "heading",
                    "Tiếp nhận thông tin (Mẫu 01)",
                    "Receive a report (Mẫu 01)",
                ),
                ("report", "Sự việc", "The report"),
                ("commune", "Xã nơi xảy ra", "Commune where it happened"),
                (
                    "commune_search",
                    "Tìm xã theo tên (không cần dấu)",
                    "Find the commune by name (accents optional)",
                ),
                ("find", "Tìm xã", "Find commune"),
                ("reporter", "Người báo tin", "The reporter"),
                ("children", "Trẻ em", "Children"),
                ("add_child", "Thêm trẻ", "Add a child"),
                ("remove_child", "Bớt trẻ cuối", "Remove the last child"),
                ("submit", "Ghi nhận tiếp nhận", "Record the report"),
                (
                    "errors",
                    "Cần sửa các mục sau",
                    "Please correct the following",
                ),
                ("required", "bắt buộc", "required"),
                (
                    "no_match",
                    "Chưa có xã nào; hãy tìm theo tên.",
                    "No commune yet: search by name.",
                ),
            ],
        ),
    }
}

/// `GET /intake`: the report form with one child block.
pub async fn intake_form(
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, WebError> {
    if !staff.has_role(Role::HotlineOperator) && !staff.has_role(Role::SocialWorker) {
        return Err(WebError::Forbidden(staff.lang));
    }
    html(&intake_page(
        &state,
        &staff,
        None,
        None,
        1,
        crate::auth::new_token(),
    ))
}

/// `POST /intake`: `find_commune` searches communes, `add_child` / `remove_child` change the
/// child blocks (the form comes back with everything typed); otherwise the report is received
/// through the API's intake, once per `form_id` (a double submit opens nothing twice).
pub async fn intake(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let lang = staff.lang;
    let pairs = form_pairs(body).await?;
    staff.check(&req, &pairs)?;
    let count = field(&pairs, "child_count")
        .parse::<usize>()
        .unwrap_or(1)
        .clamp(1, 20);
    let form_id = Some(field(&pairs, "form_id").to_owned())
        .filter(|f| (16..=128).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_alphanumeric()))
        .unwrap_or_else(crate::auth::new_token);
    let again = |count: usize| {
        html(&intake_page(
            &state,
            &staff,
            Some(&pairs),
            None,
            count,
            form_id.clone(),
        ))
    };
    if pairs.iter().any(|(k, _)| k == "find_commune") {
        return again(count);
    }
    if pairs.iter().any(|(k, _)| k == "add_child") {
        return again((count + 1).min(20));
    }
    if pairs.iter().any(|(k, _)| k == "remove_child") {
        return again(count.saturating_sub(1).max(1));
    }
    let kept: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "commune_query" | "child_count" | "submit"))
        .filter(|(k, _)| {
            // Only the child blocks on the form.
            k.strip_prefix("children[")
                .and_then(|r| r.split(']').next())
                .and_then(|n| n.parse::<usize>().ok())
                .is_none_or(|n| n < count)
        })
        .cloned()
        .collect();
    let mut json = format::form_to_json(&kept);
    if let Value::Object(map) = &mut json {
        map.entry("children")
            .or_insert_with(|| Value::Array(Vec::new()));
    }
    let bytes = serde_json::to_vec(&json).map_err(|e| WebError::Internal(e.to_string()))?;
    let outcome = match parse_json::<ReportDto>(&bytes) {
        Ok(dto) => {
            crate::app::intake::receive_report(&state, &staff.caller, dto, Some(form_id.clone()))
                .await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(received) => {
            let first = received.cases.first().map(|c| c.id);
            Ok(match first {
                Some(id) if received.cases.len() == 1 => {
                    see_other(&format!("/cases/{id}?done=intake"))
                }
                _ => see_other("/cases?assigned=any"),
            })
        }
        Err(e) if e.status == StatusCode::FORBIDDEN => Err(WebError::Forbidden(lang)),
        Err(e) => {
            let page = intake_page(&state, &staff, Some(&pairs), Some(&e), count, form_id);
            Ok(HttpResponse::UnprocessableEntity()
                .content_type("text/html; charset=utf-8")
                .body(page.render()?))
        }
    }
}
