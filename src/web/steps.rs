//! A form for every command of the API. Field names are the API's JSON field names; the case
//! version travels as the hidden `version` field and is sent as `If-Match`; the posted form is
//! turned into the API's JSON and parsed by the API's own DTOs, so every rule and message is
//! the API's.

use super::format::{self, pick, Opt};
use super::pages::Chrome;
use super::session::{field, form_pairs, Staff};
use super::{see_other, WebError};
use crate::http::errors::{ApiError, Lang};
use crate::http::AppState;
use crate::store::users;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use aggregates::codes::*;
use aggregates::policy::{authorize_on_case, Action};
use askama::Template;
use projections::record::{fold, CaseDocument, RecordedEvent};
use uuid::Uuid;

/// How a field is entered.
#[derive(Debug, Clone)]
pub enum Input {
    Time,
    Date,
    Text,
    Area,
    Number,
    Select(Vec<Opt>),
    Checks(Vec<Opt>),
    YesNo,
    Check,
    /// A value the form carries unchanged (the plan version a decision is about).
    Hidden(String),
}

#[derive(Debug, Clone)]
pub struct FieldSpec {
    pub name: String,
    pub label: String,
    pub input: Input,
    pub required: bool,
}

pub(super) fn f(name: &str, label: String, input: Input, required: bool) -> FieldSpec {
    FieldSpec {
        name: name.to_owned(),
        label,
        input,
        required,
    }
}

/// One step of the procedure, as the console offers it.
pub struct StepSpec {
    pub slug: &'static str,
    pub action: Action,
    pub vi: &'static str,
    pub en: &'static str,
}

/// Every command of the API on an existing case, in the order of the procedure.
pub const STEPS: &[StepSpec] = &[
    StepSpec {
        slug: "assignment",
        action: Action::AssignWorker,
        vi: "Phân công cán bộ",
        en: "Assign a worker",
    },
    StepSpec {
        slug: "initial-assessment",
        action: Action::RecordInitialAssessment,
        vi: "Đánh giá ban đầu",
        en: "Initial assessment",
    },
    StepSpec {
        slug: "urgent-measures",
        action: Action::ApplyUrgentMeasures,
        vi: "Biện pháp khẩn cấp",
        en: "Urgent measures",
    },
    StepSpec {
        slug: "separation",
        action: Action::DecideSeparation,
        vi: "Quyết định tạm thời cách ly",
        en: "Temporary separation",
    },
    StepSpec {
        slug: "separation-extension",
        action: Action::DecideSeparation,
        vi: "Gia hạn cách ly",
        en: "Extend the separation",
    },
    StepSpec {
        slug: "separation-end",
        action: Action::DecideSeparation,
        vi: "Chấm dứt cách ly",
        en: "End the separation",
    },
    StepSpec {
        slug: "detailed-assessment",
        action: Action::RecordDetailedAssessment,
        vi: "Đánh giá chi tiết",
        en: "Detailed assessment",
    },
    StepSpec {
        slug: "needs-meeting",
        action: Action::RecordNeedsMeeting,
        vi: "Họp xác định nhu cầu",
        en: "Needs meeting",
    },
    StepSpec {
        slug: "plan",
        action: Action::SubmitPlan,
        vi: "Kế hoạch hỗ trợ, can thiệp",
        en: "Support plan",
    },
    StepSpec {
        slug: "plan-decision",
        action: Action::DecidePlan,
        vi: "Phê duyệt kế hoạch",
        en: "Decide on the plan",
    },
    StepSpec {
        slug: "services",
        action: Action::RecordServiceDelivery,
        vi: "Ghi nhận dịch vụ",
        en: "Record a service",
    },
    StepSpec {
        slug: "referrals",
        action: Action::RecordReferral,
        vi: "Chuyển gửi",
        en: "Referral",
    },
    StepSpec {
        slug: "court-petitions",
        action: Action::RecordCourtAction,
        vi: "Đề nghị Tòa án",
        en: "Court petition",
    },
    StepSpec {
        slug: "court-orders",
        action: Action::RecordCourtAction,
        vi: "Quyết định của Tòa án",
        en: "Court order",
    },
    StepSpec {
        slug: "review",
        action: Action::RecordReview,
        vi: "Rà soát, đánh giá",
        en: "Review",
    },
    StepSpec {
        slug: "closure-proposal",
        action: Action::ProposeClosure,
        vi: "Đề xuất đóng hồ sơ",
        en: "Propose closure",
    },
    StepSpec {
        slug: "closure",
        action: Action::DecideClosure,
        vi: "Quyết định đóng hồ sơ",
        en: "Decide on closure",
    },
    StepSpec {
        slug: "transfer",
        action: Action::TransferCase,
        vi: "Chuyển hồ sơ",
        en: "Transfer the case",
    },
    StepSpec {
        slug: "hotline-support",
        action: Action::RequestHotlineSupport,
        vi: "Đề nghị Tổng đài 111 hỗ trợ",
        en: "Ask the 111 hotline for support",
    },
    StepSpec {
        slug: "hotline-support-withdrawal",
        action: Action::RequestHotlineSupport,
        vi: "Rút đề nghị hỗ trợ của 111",
        en: "Withdraw the hotline request",
    },
    StepSpec {
        slug: "child-unlink",
        action: Action::LinkChild,
        vi: "Hủy liên kết cùng một trẻ",
        en: "Undo the same-child link",
    },
    StepSpec {
        slug: "notes",
        action: Action::AddNote,
        vi: "Thêm ghi chú",
        en: "Add a note",
    },
    StepSpec {
        slug: "corrections",
        action: Action::CorrectFact,
        vi: "Đính chính",
        en: "Correct a fact",
    },
];

pub fn find_step(slug: &str) -> Option<&'static StepSpec> {
    STEPS.iter().find(|s| s.slug == slug)
}

/// Whether the console offers `step` on the case as it stands. This only chooses which
/// buttons to show: the aggregate decides, and refuses a step out of order whatever is shown.
pub(super) fn offered(step: &StepSpec, doc: &CaseDocument) -> bool {
    let status = CaseStatus::parse(&doc.status).unwrap_or_default();
    use CaseStatus::*;
    let open = status != Closed;
    let separated = doc
        .separation
        .as_ref()
        .is_some_and(|s| s.ended_at.is_none());
    match step.slug {
        "assignment" => open,
        "initial-assessment" => status == Reported,
        "urgent-measures" => status == Emergency,
        "separation" => open && status != Reported && !separated,
        "separation-extension" | "separation-end" => separated,
        "detailed-assessment" => matches!(status, Emergency | Assessment),
        "needs-meeting" => matches!(status, Assessment | Planning),
        "plan" => status == Planning,
        "plan-decision" => status == AwaitingApproval,
        "services" | "review" => status == InProgress,
        "closure-proposal" => open && status != ClosureProposed,
        "closure" => status == ClosureProposed,
        "hotline-support" => open && doc.hotline_support.is_none(),
        "hotline-support-withdrawal" => open && doc.hotline_support.is_some(),
        "referrals" | "court-petitions" | "court-orders" | "transfer" => open,
        "child-unlink" => open && doc.linked_cases.iter().any(|l| l.relation == "same_child"),
        _ => true,
    }
}

/// The steps this user may take on the case now: its role and jurisdiction allow the action
/// (the policy the aggregate applies), and the case stands where the step belongs.
pub fn available(
    staff: &Staff,
    doc: &CaseDocument,
    events: &[RecordedEvent],
) -> Vec<&'static StepSpec> {
    let actor = staff.caller.actor();
    let case = fold(events);
    let Some(scope) = case.scope() else {
        return Vec::new();
    };
    STEPS
        .iter()
        .filter(|s| authorize_on_case(&actor, s.action, &scope).is_ok())
        .filter(|s| offered(s, doc))
        .filter(|s| {
            // A worker may only take an unassigned case for itself.
            s.slug != "assignment"
                || !staff.has_role(Role::SocialWorker)
                || staff.has_role(Role::Approver)
                || staff.has_role(Role::Supervisor)
                || doc.assigned_to.is_none()
        })
        .collect()
}

pub use super::form_views::*;
use super::step_fields::{action, fields};

#[derive(Template)]
#[template(path = "step.html")]
pub struct StepPage {
    pub page: Chrome,
    pub case_id: String,
    pub case_number: String,
    pub slug: String,
    pub heading: String,
    pub version: u64,
    pub fields: Vec<FieldView>,
    pub summary: Vec<SummaryEntry>,
    pub conflict: Option<String>,
    pub deadline: Option<String>,
    pub t_submit: String,
    pub t_back: String,
    pub t_errors: String,
    pub t_required: String,
}

fn parse_case_id(raw: &str, lang: Lang) -> Result<Uuid, WebError> {
    Uuid::parse_str(raw).map_err(|_| WebError::NotFound(lang))
}

/// The deadline the step meets, in words.
fn deadline_met(
    slug: &str,
    doc: &CaseDocument,
    lang: Lang,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<String> {
    doc.deadlines
        .iter()
        .filter(|d| d.met_at.is_none() && super::cases::rule_step(&d.rule_id) == Some(slug))
        .map(|d| super::cases::deadline_words(d, lang, now))
        .next()
}

#[allow(clippy::too_many_arguments)]
async fn render_step(
    state: &AppState,
    staff: &Staff,
    case_id: Uuid,
    spec: &StepSpec,
    doc: &CaseDocument,
    version: u64,
    pairs: Option<&[(String, String)]>,
    problem: Option<&ApiError>,
    conflict: Option<String>,
) -> Result<HttpResponse, WebError> {
    let lang = staff.lang;
    let specs = fields(state, spec.slug, lang, doc, staff).await;
    let (errors, summary) = problem.map_or((Vec::new(), Vec::new()), |e| {
        problem_errors(e, lang, &specs, pairs)
    });
    let now = state.clock.now();
    let heading = pick(lang, spec.vi, spec.en);
    let page = StepPage {
        page: staff
            .chrome(&format!("{heading} — {}", doc.case_number))
            .at(&format!("/cases/{case_id}/steps/{}", spec.slug)),
        case_id: case_id.to_string(),
        case_number: doc.case_number.clone(),
        slug: spec.slug.to_owned(),
        heading,
        version,
        fields: field_views(&specs, pairs, &errors, &format::input_value(now), lang),
        summary,
        conflict,
        deadline: deadline_met(spec.slug, doc, lang, now),
        t_submit: pick(lang, "Ghi lại", "Record"),
        t_back: pick(lang, "Quay lại hồ sơ", "Back to the case"),
        t_errors: pick(lang, "Cần sửa các mục sau", "Please correct the following"),
        t_required: pick(lang, "bắt buộc", "required"),
    };
    let status = match problem {
        Some(e) if e.status.is_client_error() => e.status,
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(page.render()?))
}

/// `GET /cases/{id}/steps/{step}`: the form, if this user may take the step now.
pub async fn step_form(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let lang = staff.lang;
    let (id, slug) = path.into_inner();
    let case_id = parse_case_id(&id, lang)?;
    let spec = find_step(&slug).ok_or(WebError::NotFound(lang))?;
    let (doc, events) = crate::app::cases::read_with_events(&state, &staff.caller, case_id, None)
        .await
        .map_err(|e| WebError::api(lang, e))?;
    if !available(&staff, &doc, &events)
        .iter()
        .any(|s| s.slug == spec.slug)
    {
        return Err(WebError::Forbidden(lang));
    }
    render_step(
        &state,
        &staff,
        case_id,
        spec,
        &doc,
        doc.version,
        None,
        None,
        None,
    )
    .await
}

/// Who changed the case after `version`, in words.
async fn changed_by(
    state: &AppState,
    events: &[RecordedEvent],
    version: u64,
    me: Uuid,
    lang: Lang,
) -> String {
    let later: Vec<&RecordedEvent> = events.iter().filter(|e| e.sequence > version).collect();
    let Some(last) = later.last() else {
        return pick(lang, "Hồ sơ đã thay đổi.", "The case has changed.");
    };
    // A form sent twice: the first one was recorded, the second changes nothing.
    if later.iter().all(|e| e.metadata.actor_id == me) {
        return pick(
            lang,
            "Bạn đã ghi lại hồ sơ này sau khi mở biểu mẫu (có thể biểu mẫu đã được gửi hai lần); lần gửi này không ghi thêm gì. Nội dung bạn đã nhập vẫn còn bên dưới.",
            "You recorded a change to this case after opening the form (perhaps it was sent twice); this sending recorded nothing. What you typed is kept below.",
        );
    }
    let names = users::names(&state.db, &[last.metadata.actor_id])
        .await
        .unwrap_or_default();
    let who = names
        .get(&last.metadata.actor_id)
        .map_or_else(|| last.metadata.actor_id.to_string(), |n| n.1.clone());
    let at = format::time(last.metadata.recorded_at);
    match lang {
        Lang::Vi => format!(
            "{who} đã thay đổi hồ sơ lúc {at} trong khi bạn nhập. Nội dung bạn đã nhập vẫn còn bên dưới; hãy xem lại hồ sơ rồi gửi lại."
        ),
        Lang::En => format!(
            "{who} changed the case at {at} while you were typing. What you typed is kept below; check the case, then send it again."
        ),
    }
}

/// `POST /cases/{id}/steps/{step}`: CSRF check first (a refused POST changes nothing), then the
/// API's command with `If-Match` from the hidden `version`; back to the case page (PRG), or the
/// form again with field errors, or the conflict with what was typed kept.
pub async fn step(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let lang = staff.lang;
    let pairs = form_pairs(body).await?;
    staff.check(&req, &pairs)?;
    let (id, slug) = path.into_inner();
    let case_id = parse_case_id(&id, lang)?;
    let spec = find_step(&slug).ok_or(WebError::NotFound(lang))?;
    let version = field(&pairs, "version").parse::<u64>().ok();
    let outcome = match action(&state, spec.slug, &pairs).await {
        Ok(action) => {
            crate::app::cases::execute(&state, &staff.caller, case_id, version, action, None).await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(_) => Ok(see_other(&format!("/cases/{case_id}?done={}", spec.slug))),
        Err(e) if e.status == StatusCode::NOT_FOUND && e.errors.is_empty() => {
            Err(WebError::NotFound(lang))
        }
        Err(e) if e.status == StatusCode::FORBIDDEN => Err(WebError::Forbidden(lang)),
        Err(e) => {
            let (doc, events) =
                crate::app::cases::read_with_events(&state, &staff.caller, case_id, None)
                    .await
                    .map_err(|e| WebError::api(lang, e))?;
            let conflict = matches!(
                e.status,
                StatusCode::CONFLICT | StatusCode::PRECONDITION_FAILED
            );
            if conflict {
                let message = changed_by(
                    &state,
                    &events,
                    version.unwrap_or(0),
                    staff.caller.id(),
                    lang,
                )
                .await;
                // The form again with the case's current version: sending it again applies it.
                render_step(
                    &state,
                    &staff,
                    case_id,
                    spec,
                    &doc,
                    doc.version,
                    Some(&pairs),
                    None,
                    Some(message),
                )
                .await
                .map(|mut r| {
                    *r.status_mut() = StatusCode::CONFLICT;
                    r
                })
            } else {
                render_step(
                    &state,
                    &staff,
                    case_id,
                    spec,
                    &doc,
                    version.unwrap_or(doc.version),
                    Some(&pairs),
                    Some(&e),
                    None,
                )
                .await
            }
        }
    }
}
