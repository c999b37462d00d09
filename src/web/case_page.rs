//! The case page (Hồ sơ trẻ): header, progress, deadlines, sections, timeline, actions.

use super::format::{self, label, pick};
use super::pages::Chrome;
use super::session::Staff;
use super::steps::{self};
use super::{html, WebError};
use crate::http::errors::Lang;
use crate::http::AppState;
use actix_web::{web, HttpResponse};
use aggregates::codes::*;
use askama::Template;
use projections::record::CaseDocument;
use serde_json::Value;
use uuid::Uuid;

use super::cases::*;

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
    /// The printable dossier (Mẫu 01–07).
    pub dossier_href: String,
    pub done: Option<String>,
    pub t: Texts,
}

/// The label of a field of the case document.
pub(super) fn field_label(key: &str, lang: Lang) -> String {
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
pub(super) fn code_label(key: &str, code: &str, lang: Lang) -> String {
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
pub(super) fn show(key: &str, value: &Value, lang: Lang, state: &AppState) -> String {
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

pub(super) fn code_or_field(key: &str, lang: Lang) -> String {
    ReviewCriterion::parse(key)
        .map(|c| pick(lang, c.label_vi(), c.label_en()))
        .unwrap_or_else(|_| field_label(key, lang))
}

pub(super) fn rows_of(value: &Value, lang: Lang, state: &AppState) -> Vec<Row> {
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

pub(super) fn timeline(doc: &CaseDocument, lang: Lang) -> Vec<Event> {
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
        dossier_href: format!("/cases/{case_id}/dossier"),
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
                (
                    "dossier",
                    "In hồ sơ (Mẫu 01–07)",
                    "Print the dossier (forms 01–07)",
                ),
            ],
        ),
    };
    html(&page)
}
