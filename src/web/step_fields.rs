//! The fields of each step's form, and the API command a posted form becomes.

use super::format::{self, options, pick, Opt};
use super::session::Staff;
use super::steps::*;
use crate::http::dto::*;
use crate::http::errors::{ApiError, Lang};
use crate::http::extract::parse_json;
use crate::http::AppState;
use crate::store::users;
use aggregates::case::commands::CaseAction;
use aggregates::codes::*;
use projections::record::CaseDocument;

pub(super) fn ratings_fields(prefix: &str, lang: Lang, required: bool) -> Vec<FieldSpec> {
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
pub(super) async fn fields(
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
pub(super) async fn action(
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
        // The API's body is `{}`: nothing but the case version travels.
        "child-unlink" => Ok(CaseAction::UnlinkChild),
        "corrections" => parse_json::<CorrectionDto>(b)?.parse(),
        _ => Err(ApiError::not_found("not_found")),
    }
}
