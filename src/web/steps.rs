//! A form for every command of the API. Field names are the API's JSON field names; the case
//! version travels as the hidden `version` field and is sent as `If-Match`; the posted form is
//! turned into the API's JSON and parsed by the API's own DTOs, so every rule and message is
//! the API's.

use super::format::{self, options, pick, Opt};
use super::pages::Chrome;
use super::session::{field, form_pairs, Staff};
use super::{see_other, WebError};
use crate::http::dto::*;
use crate::http::errors::{ApiError, Lang};
use crate::http::extract::parse_json;
use crate::http::AppState;
use crate::store::users;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use aggregates::case::commands::CaseAction;
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

fn f(name: &str, label: String, input: Input, required: bool) -> FieldSpec {
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
fn offered(step: &StepSpec, doc: &CaseDocument) -> bool {
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

fn ratings_fields(prefix: &str, lang: Lang, required: bool) -> Vec<FieldSpec> {
    ReviewCriterion::ALL
        .iter()
        .map(|c| {
            f(
                &format!("{prefix}.{}", c.code()),
                pick(lang, c.label_vi(), c.label_en()),
                Input::Select(options::<Rating>(lang)),
                required,
            )
        })
        .collect()
}

/// The fields of a step's form.
async fn fields(
    state: &AppState,
    slug: &str,
    lang: Lang,
    doc: &CaseDocument,
    staff: &Staff,
) -> Vec<FieldSpec> {
    let t = |vi: &str, en: &str| pick(lang, vi, en);
    use Input::*;
    match slug {
        "assignment" => {
            let mut workers = Vec::new();
            if let Ok(list) = users::list(&state.db, "", 500).await {
                for u in list.iter().filter(|u| !u.disabled) {
                    let covers = u.grants.iter().any(|g| {
                        g.role == Role::SocialWorker
                            && state
                                .units
                                .path(&doc.acting_unit)
                                .is_some_and(|p| p.is_within(&g.unit))
                    });
                    let self_only = staff.has_role(Role::SocialWorker)
                        && !staff.has_role(Role::Approver)
                        && !staff.has_role(Role::Supervisor);
                    if covers && (!self_only || u.id == staff.caller.id()) {
                        workers.push(Opt {
                            code: u.id.to_string(),
                            label: u.display_name.clone(),
                        });
                    }
                }
            }
            vec![f(
                "worker_id",
                t("Cán bộ phụ trách", "Worker"),
                Select(workers),
                true,
            )]
        }
        "transfer" => vec![
            f(
                "to_unit",
                t("Mã xã nhận hồ sơ", "Receiving commune code"),
                Text,
                true,
            ),
            f("reason", t("Lý do", "Reason"), Area, true),
        ],
        "initial-assessment" => {
            let mut v = vec![
                f(
                    "assessed_at",
                    t("Thời điểm đánh giá", "Assessed at"),
                    Time,
                    true,
                ),
                f(
                    "outcome",
                    t("Kết quả", "Outcome"),
                    Select(options::<InitialOutcome>(lang)),
                    true,
                ),
                f(
                    "grounds",
                    t("Căn cứ khẩn cấp", "Emergency grounds"),
                    Checks(options::<EmergencyGround>(lang)),
                    false,
                ),
            ];
            v.extend(ratings_fields("ratings", lang, false));
            v.push(f("findings", t("Nhận định", "Findings"), Area, true));
            v
        }
        "urgent-measures" => vec![
            f(
                "applied_at",
                t("Thời điểm áp dụng", "Applied at"),
                Time,
                true,
            ),
            f(
                "measures",
                t("Biện pháp", "Measures"),
                Checks(options::<UrgentMeasure>(lang)),
                true,
            ),
            f("notes", t("Ghi chú", "Notes"), Area, false),
        ],
        "separation" => vec![
            f(
                "decided_at",
                t("Thời điểm quyết định", "Decided at"),
                Time,
                true,
            ),
            f("until", t("Cách ly đến", "Until"), Time, true),
            f(
                "grounds",
                t("Điều kiện cách ly", "Grounds"),
                Checks(options::<SeparationGround>(lang)),
                true,
            ),
            f(
                "placement",
                t("Nơi chăm sóc thay thế", "Placement"),
                Text,
                true,
            ),
            f("notes", t("Ghi chú", "Notes"), Area, false),
        ],
        "separation-extension" => vec![
            f(
                "extended_at",
                t("Thời điểm gia hạn", "Extended at"),
                Time,
                false,
            ),
            f("until", t("Gia hạn đến", "Until"), Time, true),
        ],
        "separation-end" => vec![
            f("ended_at", t("Thời điểm chấm dứt", "Ended at"), Time, true),
            f(
                "reason",
                t("Lý do", "Reason"),
                Select(options::<SeparationEndReason>(lang)),
                true,
            ),
            f(
                "court_order_ref",
                t("Số quyết định của Tòa án", "Court order reference"),
                Text,
                false,
            ),
        ],
        "detailed-assessment" => vec![
            f(
                "assessed_at",
                t("Thời điểm đánh giá", "Assessed at"),
                Time,
                true,
            ),
            f(
                "physical_psychological",
                t("Thể chất, tâm lý", "Physical and psychological"),
                Area,
                true,
            ),
            f("family", t("Gia đình", "Family"), Area, true),
            f(
                "risk_factors",
                t("Yếu tố nguy cơ", "Risk factors"),
                Area,
                true,
            ),
            f("schooling", t("Học tập", "Schooling"), Area, true),
            f("community", t("Cộng đồng", "Community"), Area, true),
            f(
                "needs",
                t("Nhu cầu", "Needs"),
                Checks(options::<ServiceType>(lang)),
                false,
            ),
            f(
                "child_view",
                t("Ý kiến của trẻ", "The child's view"),
                Area,
                false,
            ),
            f(
                "parent_view",
                t("Ý kiến của cha, mẹ", "The parent's view"),
                Area,
                false,
            ),
            f(
                "parent_view_by",
                t("Người cho ý kiến", "Whose view"),
                Select(options::<Carer>(lang)),
                false,
            ),
        ],
        "needs-meeting" => vec![
            f("held_at", t("Thời điểm họp", "Held at"), Time, true),
            f("chaired_by", t("Chủ trì", "Chaired by"), Text, true),
            f(
                "attendees",
                t("Thành phần (mỗi dòng một người)", "Attendees (one a line)"),
                Area,
                true,
            ),
            f("decisions", t("Kết luận", "Decisions"), Area, true),
        ],
        "plan" => {
            let mut v = vec![f(
                "submitted_at",
                t("Thời điểm trình", "Submitted at"),
                Time,
                true,
            )];
            for i in 0..3 {
                let n = |name: &str| format!("items[{i}].{name}");
                let k = i + 1;
                v.extend([
                    f(
                        &n("measure"),
                        format!("{} {k}: {}", t("Mục", "Item"), t("biện pháp", "measure")),
                        Select(options::<PlanMeasure>(lang)),
                        i == 0,
                    ),
                    f(
                        &n("service_type"),
                        format!(
                            "{} {k}: {}",
                            t("Mục", "Item"),
                            t("loại dịch vụ", "service type")
                        ),
                        Select(options::<ServiceType>(lang)),
                        i == 0,
                    ),
                    f(
                        &n("responsible"),
                        format!(
                            "{} {k}: {}",
                            t("Mục", "Item"),
                            t("người chịu trách nhiệm", "responsible")
                        ),
                        Text,
                        i == 0,
                    ),
                    f(
                        &n("provider"),
                        format!(
                            "{} {k}: {}",
                            t("Mục", "Item"),
                            t("đơn vị cung cấp", "provider")
                        ),
                        Text,
                        false,
                    ),
                    f(
                        &n("starts_on"),
                        format!("{} {k}: {}", t("Mục", "Item"), t("bắt đầu", "starts on")),
                        Date,
                        i == 0,
                    ),
                    f(
                        &n("ends_on"),
                        format!("{} {k}: {}", t("Mục", "Item"), t("kết thúc", "ends on")),
                        Date,
                        i == 0,
                    ),
                    f(
                        &n("cost_estimate_vnd"),
                        format!(
                            "{} {k}: {}",
                            t("Mục", "Item"),
                            t("dự toán (đồng)", "cost estimate (VND)")
                        ),
                        Number,
                        false,
                    ),
                ]);
            }
            v
        }
        "plan-decision" => vec![
            f(
                "plan_version",
                t("Phiên bản kế hoạch", "Plan version"),
                Hidden(doc.plan.as_ref().map_or(0, |p| p.version).to_string()),
                true,
            ),
            f(
                "decided_at",
                t("Thời điểm quyết định", "Decided at"),
                Time,
                true,
            ),
            f(
                "decision",
                t("Quyết định", "Decision"),
                Select(options::<PlanDecision>(lang)),
                true,
            ),
            f("comment", t("Ý kiến", "Comment"), Area, false),
        ],
        "services" => {
            let items = doc
                .plan
                .as_ref()
                .map(|p| {
                    p.items
                        .iter()
                        .filter(|i| !i.completed)
                        .map(|i| Opt {
                            code: i.id.to_string(),
                            label: format!(
                                "{} — {}",
                                format::label::<PlanMeasure>(&i.measure, lang),
                                i.responsible
                            ),
                        })
                        .collect()
                })
                .unwrap_or_default();
            vec![
                f(
                    "item_id",
                    t("Mục kế hoạch", "Plan item"),
                    Select(items),
                    true,
                ),
                f(
                    "delivered_at",
                    t("Thời điểm thực hiện", "Delivered at"),
                    Time,
                    true,
                ),
                f("notes", t("Ghi chú", "Notes"), Area, false),
                f(
                    "completed",
                    t("Mục này đã hoàn thành", "This item is complete"),
                    Check,
                    false,
                ),
            ]
        }
        "referrals" => vec![
            f(
                "referred_at",
                t("Thời điểm chuyển gửi", "Referred at"),
                Time,
                true,
            ),
            f("to", t("Chuyển đến", "To"), Text, true),
            f(
                "service_type",
                t("Loại dịch vụ", "Service type"),
                Select(options::<ServiceType>(lang)),
                false,
            ),
            f("notes", t("Ghi chú", "Notes"), Area, false),
        ],
        "court-petitions" => vec![
            f("filed_at", t("Thời điểm đề nghị", "Filed at"), Time, true),
            f("court", t("Tòa án", "Court"), Text, true),
            f(
                "ground",
                t("Căn cứ", "Ground"),
                Select(options::<CourtPetitionGround>(lang)),
                true,
            ),
            f("notes", t("Ghi chú", "Notes"), Area, false),
        ],
        "court-orders" => vec![
            f(
                "ordered_at",
                t("Thời điểm quyết định", "Ordered at"),
                Time,
                true,
            ),
            f(
                "court_order_ref",
                t("Số quyết định", "Order reference"),
                Text,
                true,
            ),
            f(
                "separation_until",
                t("Cách ly đến", "Separation until"),
                Time,
                false,
            ),
            f("notes", t("Ghi chú", "Notes"), Area, false),
        ],
        "review" => {
            let mut v = vec![f(
                "reviewed_at",
                t("Thời điểm rà soát", "Reviewed at"),
                Time,
                true,
            )];
            v.extend(ratings_fields("ratings", lang, true));
            v.push(f(
                "outcome",
                t("Kết quả", "Outcome"),
                Select(options::<ReviewOutcome>(lang)),
                true,
            ));
            v.push(f("notes", t("Ghi chú", "Notes"), Area, false));
            v
        }
        "closure-proposal" => vec![
            f(
                "proposed_at",
                t("Thời điểm đề xuất", "Proposed at"),
                Time,
                true,
            ),
            f(
                "reason",
                t("Lý do", "Reason"),
                Select(options::<ClosureReason>(lang)),
                true,
            ),
            f(
                "linked_case_id",
                t("Hồ sơ liên quan (mã)", "Linked case (id)"),
                Text,
                false,
            ),
            f("comment", t("Ý kiến", "Comment"), Area, false),
        ],
        "closure" => vec![
            f(
                "decided_at",
                t("Thời điểm quyết định", "Decided at"),
                Time,
                true,
            ),
            f(
                "decision",
                t("Quyết định", "Decision"),
                Select(options::<ClosureDecision>(lang)),
                true,
            ),
            f(
                "reason",
                t(
                    "Lý do (mặc định: lý do đề xuất)",
                    "Reason (default: the proposal's)",
                ),
                Select(options::<ClosureReason>(lang)),
                false,
            ),
            f(
                "linked_case_id",
                t("Hồ sơ liên quan (mã)", "Linked case (id)"),
                Text,
                false,
            ),
            f("comment", t("Ý kiến", "Comment"), Area, false),
        ],
        "hotline-support" | "hotline-support-withdrawal" => {
            vec![f("reason", t("Lý do", "Reason"), Area, false)]
        }
        "notes" => vec![f("text", t("Ghi chú", "Note"), Area, true)],
        "corrections" => vec![
            f(
                "corrects_event",
                t(
                    "Sự kiện được đính chính (số thứ tự)",
                    "Event corrected (sequence)",
                ),
                Number,
                true,
            ),
            f("field", t("Trường", "Field"), Text, true),
            f("value", t("Giá trị đúng", "Corrected value"), Text, true),
            f("reason", t("Lý do", "Reason"), Area, true),
        ],
        _ => Vec::new(),
    }
}

/// The API command of a step, from the posted form (the API's DTO and its parser).
async fn action(
    state: &AppState,
    slug: &str,
    pairs: &[(String, String)],
) -> Result<CaseAction, ApiError> {
    let json = format::form_to_json(pairs);
    let bytes = serde_json::to_vec(&json).map_err(|e| ApiError::internal(&e))?;
    let b = bytes.as_slice();
    match slug {
        "assignment" => {
            let dto = parse_json::<AssignmentDto>(b)?;
            let mut f = crate::http::extract::Fields::default();
            let worker = f.uuid("worker_id", &dto.worker_id);
            f.finish()?;
            crate::app::cases::assignment(state, worker.unwrap_or_default()).await
        }
        "transfer" => parse_json::<TransferDto>(b)?.parse(&state.units),
        "initial-assessment" => parse_json::<InitialAssessmentDto>(b)?.parse(),
        "urgent-measures" => parse_json::<UrgentMeasuresDto>(b)?.parse(),
        "separation" => parse_json::<SeparationDto>(b)?.parse(),
        "separation-extension" => parse_json::<SeparationExtensionDto>(b)?.parse(),
        "separation-end" => parse_json::<SeparationEndDto>(b)?.parse(),
        "detailed-assessment" => parse_json::<DetailedAssessmentDto>(b)?.parse(),
        "needs-meeting" => parse_json::<NeedsMeetingDto>(b)?.parse(),
        "plan" => parse_json::<PlanDto>(b)?.parse(),
        "plan-decision" => parse_json::<PlanDecisionDto>(b)?.parse(),
        "services" => parse_json::<ServiceDto>(b)?.parse(),
        "referrals" => parse_json::<ReferralDto>(b)?.parse(),
        "court-petitions" => parse_json::<CourtPetitionDto>(b)?.parse(),
        "court-orders" => parse_json::<CourtOrderDto>(b)?.parse(),
        "review" => parse_json::<ReviewDto>(b)?.parse(),
        "closure-proposal" => parse_json::<ClosureProposalDto>(b)?.parse(),
        "closure" => parse_json::<ClosureDto>(b)?.parse(),
        "hotline-support" => parse_json::<HotlineSupportDto>(b)?.parse_request(),
        "hotline-support-withdrawal" => parse_json::<HotlineSupportDto>(b)?.parse_withdrawal(),
        "notes" => parse_json::<NoteDto>(b)?.parse(),
        "corrections" => parse_json::<CorrectionDto>(b)?.parse(),
        _ => Err(ApiError::not_found("not_found")),
    }
}

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
fn console_message(code: &str, lang: Lang) -> Option<String> {
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

fn matches_field(error_field: &str, name: &str) -> bool {
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
    lang: Lang,
) -> String {
    let later: Vec<&RecordedEvent> = events.iter().filter(|e| e.sequence > version).collect();
    let Some(last) = later.last() else {
        return pick(lang, "Hồ sơ đã thay đổi.", "The case has changed.");
    };
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
                let message = changed_by(&state, &events, version.unwrap_or(0), lang).await;
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
