//! Why a case refused a command. Every refusal is one row of one table: its kind (which tells
//! the server the HTTP status), its stable machine code (part of the API), the field it is about,
//! and its Vietnamese and English text.

use crate::deadlines::CalendarError;
use crate::policy::AccessDenied;
use chrono::{DateTime, Utc};
use std::fmt;

/// What sort of refusal an error is; the server maps it to an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 404: no such case, or one outside the caller's jurisdiction.
    NotFound,
    /// 403: the caller's role may not do this.
    Forbidden,
    /// 412: the client's `If-Match` version is stale.
    PreconditionFailed,
    /// 409: the case is not in a state that allows the step.
    Conflict,
    /// 422: the command's content breaks a rule of the procedure.
    Invalid,
    /// 503: the server cannot decide now (e.g. the holiday calendar lacks a year).
    Unavailable,
}

/// `Variant { fields } => Kind, "code", field, "vi", "en";` — the texts may name the fields.
macro_rules! case_errors {
    ($( $name:ident $({ $($f:ident : $t:ty),* })? => $kind:ident, $code:literal, $field:expr, $vi:literal, $en:literal; )+) => {
        /// A refusal of the case (see the table in `errors.rs`).
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum CaseError {
            $( $name $({ $($f: $t),* })?, )+
            /// The holiday calendar cannot count the period (a year is missing).
            Calendar(CalendarError),
        }

        impl CaseError {
            /// The stable machine code.
            pub fn code(&self) -> &'static str {
                match self {
                    $( Self::$name { .. } => $code, )+
                    Self::Calendar(e) => e.code(),
                }
            }

            pub fn kind(&self) -> ErrorKind {
                match self {
                    $( Self::$name { .. } => ErrorKind::$kind, )+
                    Self::Calendar(_) => ErrorKind::Unavailable,
                }
            }

            /// The field the error is about, for the problem document's `errors` list.
            #[allow(unused_variables)]
            pub fn field(&self) -> Option<&str> {
                match self {
                    $( Self::$name $({ $($f),* })? => $field, )+
                    Self::Calendar(_) => None,
                }
            }

            /// The message in Vietnamese (the default language of the API).
            #[allow(unused_variables)]
            pub fn message_vi(&self) -> String {
                match self {
                    $( Self::$name $({ $($f),* })? => format!($vi), )+
                    Self::Calendar(CalendarError::YearMissing(year)) => format!(
                        "Lịch nghỉ lễ chưa có năm {year}: cần nạp lịch chính thức (CASEBOOK_CALENDAR)"
                    ),
                    Self::Calendar(_) => "Lịch nghỉ lễ không hợp lệ".into(),
                }
            }
        }

        /// The message in English.
        impl fmt::Display for CaseError {
            #[allow(unused_variables)]
            fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $( Self::$name $({ $($f),* })? => write!(out, $en), )+
                    Self::Calendar(e) => write!(out, "{e}"),
                }
            }
        }
    };
}

#[rustfmt::skip]
case_errors! {
    CaseNotFound => NotFound, "case_not_found", None, "Không tìm thấy hồ sơ", "no such case";
    OutOfJurisdiction => NotFound, "case_not_found", None, "Không tìm thấy hồ sơ", "no such case";
    RoleNotAllowed => Forbidden, "forbidden", None, "Vai trò của bạn không được thực hiện bước này", "your role does not allow this step on this case";
    MayOnlyTakeUnassignedCase => Forbidden, "may_only_take_unassigned_case", Some("worker_id"), "Người làm công tác bảo vệ trẻ em chỉ nhận hồ sơ chưa được phân công", "a social worker may only take an unassigned case for itself";
    VersionMismatch { expected: u64, actual: u64 } => PreconditionFailed, "version_mismatch", None, "Hồ sơ đã thay đổi kể từ khi bạn xem (phiên bản {actual}, bạn gửi {expected})", "the case has changed since you read it (version {actual}, you sent {expected})";
    CaseAlreadyExists => Conflict, "case_already_exists", None, "Hồ sơ này đã tồn tại", "this case already exists";
    CaseClosed => Conflict, "case_closed", None, "Hồ sơ đã đóng, không nhận thêm bước mới", "the case is closed and accepts no new step";
    AlreadyAssigned => Conflict, "already_assigned", Some("worker_id"), "Hồ sơ đã được phân công cho người này", "the case is already assigned to this worker";
    InitialAssessmentAlreadyRecorded => Conflict, "initial_assessment_already_recorded", None, "Đánh giá ban đầu đã được ghi; hãy đính chính nếu cần", "the initial assessment is already recorded; correct it instead";
    InitialAssessmentMissing => Conflict, "initial_assessment_missing", None, "Cần ghi đánh giá nguy cơ ban đầu trước", "the initial assessment must be recorded first";
    NotAnEmergency => Conflict, "not_an_emergency", None, "Đánh giá ban đầu không kết luận khẩn cấp", "the initial assessment did not find an emergency";
    SeparationAlreadyActive => Conflict, "separation_already_active", None, "Đang có quyết định tạm thời cách ly", "a separation is already in force";
    NoActiveSeparation => Conflict, "no_active_separation", None, "Không có quyết định tạm thời cách ly đang thi hành", "no separation is in force";
    DetailedAssessmentMissing => Conflict, "detailed_assessment_missing", None, "Cần ghi đánh giá nguy cơ cụ thể trước", "the detailed assessment must be recorded first";
    NeedsMeetingMissing => Conflict, "needs_meeting_missing", None, "Cần họp xác định nhu cầu của chu kỳ kế hoạch này trước (ND56 điều 27(2), 28(2)(b))", "the plan needs the needs meeting of this plan cycle first (ND56 art. 27(2), 28(2)(b))";
    UrgentMeasuresPending => Conflict, "urgent_measures_pending", None, "Cần thực hiện biện pháp can thiệp khẩn cấp trước", "urgent measures are due first";
    PlanAwaitingApproval => Conflict, "plan_awaiting_approval", None, "Đang có kế hoạch chờ phê duyệt", "a plan is already awaiting approval";
    PlanNotSubmitted => Conflict, "plan_not_submitted", None, "Không có kế hoạch chờ quyết định", "no plan is awaiting a decision";
    PlanVersionMismatch { sent: u32, submitted: u32 } => Conflict, "plan_version_mismatch", Some("plan_version"), "Quyết định cho kế hoạch phiên bản {sent}, nhưng phiên bản chờ phê duyệt là {submitted}", "the decision is for plan version {sent}, but version {submitted} is the one awaiting approval";
    PlanNotApproved => Conflict, "plan_not_approved", None, "Chưa có kế hoạch được phê duyệt", "no plan has been approved";
    PlanItemCompleted => Conflict, "plan_item_completed", Some("item_id"), "Hoạt động này đã hoàn thành", "this plan item is already completed";
    ClosurePending => Conflict, "closure_pending", None, "Đề xuất đóng hồ sơ đang chờ quyết định", "a closure proposal awaits the approver's decision";
    ClosureAlreadyProposed => Conflict, "closure_already_proposed", None, "Đã đề xuất đóng hồ sơ", "closure is already proposed";
    ClosureNotProposed => Conflict, "closure_not_proposed", None, "Chưa có đề xuất đóng hồ sơ", "closure has not been proposed";
    HotlineSupportAlreadyRequested => Conflict, "hotline_support_already_requested", None, "Đã đề nghị Tổng đài 111 hỗ trợ", "the hotline's support is already requested";
    HotlineSupportNotRequested => Conflict, "hotline_support_not_requested", None, "Chưa đề nghị Tổng đài 111 hỗ trợ", "the hotline's support has not been requested";
    TimeInFuture { field: &'static str } => Invalid, "time_in_future", Some(field), "`{field}` là thời điểm trong tương lai", "`{field}` lies in the future";
    TimeBeforeStep { field: &'static str, step: &'static str } => Invalid, "time_before_previous_step", Some(field), "`{field}` sớm hơn bước trước đó ({step})", "`{field}` is before the {step} it follows";
    TimeTooEarly { field: &'static str, earliest: DateTime<Utc> } => Invalid, "time_too_early", Some(field), "`{field}` sớm hơn {earliest}, thời điểm sớm nhất casebook chấp nhận", "`{field}` is before {earliest}, the earliest business time casebook accepts";
    UnitIsRoot { field: &'static str } => Invalid, "unit_not_allowed", Some(field), "`{field}` phải là tỉnh hoặc xã, không phải cả nước", "`{field}` must be a province or commune, not the whole country";
    ChildAgeAmbiguous => Invalid, "child_age_ambiguous", Some("child"), "Chỉ ghi ngày sinh hoặc tuổi ước tính của trẻ, không ghi cả hai", "give the child's date of birth or an estimated age, not both";
    ChildNotAMinor => Invalid, "child_not_a_minor", Some("child"), "Người này đã đủ 18 tuổi", "the child is 18 or older: casebook is for children";
    JuvenileCasesNotAccepted => Invalid, "juvenile_cases_not_accepted", Some("child"), "Người này đã đủ 16 tuổi; tỉnh không tiếp nhận hồ sơ người chưa thành niên", "the child is 16 or older, and this province does not accept juvenile cases";
    ReporterIdentityWithoutConsent => Invalid, "reporter_consent_required", Some("reporter"), "Chỉ ghi họ tên, điện thoại, địa chỉ người báo tin khi họ đồng ý", "the reporter's name, phone and address may be recorded only with their consent";
    SubtypeWithoutType { field: &'static str } => Invalid, "abuse_subtype_without_type", Some(field), "`{field}` cần hình thức xâm hại tương ứng", "`{field}` needs the matching abuse type";
    WorkerNotEligible => Invalid, "worker_not_eligible", Some("worker_id"), "Người được phân công phải là người làm công tác bảo vệ trẻ em của xã", "the assigned worker must be a social worker of the case's commune";
    TransferToSameUnit => Invalid, "transfer_to_same_unit", Some("to_unit"), "Hồ sơ đã thuộc đơn vị này", "the case is already in this unit";
    EmergencyGroundsRequired => Invalid, "emergency_grounds_required", Some("grounds"), "Trường hợp khẩn cấp cần ít nhất một căn cứ", "an emergency needs at least one ground";
    GroundsOnlyForEmergency => Invalid, "grounds_only_for_emergency", Some("grounds"), "Chỉ ghi căn cứ khi kết luận khẩn cấp", "grounds are given only for an emergency";
    MeasuresRequired => Invalid, "measures_required", Some("measures"), "Cần ghi ít nhất một biện pháp", "name at least one measure";
    SeparationNeedsDecision => Invalid, "separation_needs_decision", Some("measures"), "Tạm thời cách ly do Chủ tịch UBND xã quyết định (/separation)", "temporary separation is decided by the approver (/separation), not recorded as a measure";
    SeparationGroundsRequired => Invalid, "separation_grounds_required", Some("grounds"), "Cần ghi căn cứ tạm thời cách ly theo khoản 1 điều 32 ND56 (`grounds`)", "name the condition of ND56 art. 32(1) the separation rests on (`grounds`)";
    SeparationUntilInvalid => Invalid, "separation_until_invalid", Some("until"), "Thời hạn cách ly phải sau thời điểm bắt đầu", "`until` must be after the separation starts";
    SeparationExceeds15Days { cap: DateTime<Utc> } => Invalid, "separation_exceeds_15_days", Some("until"), "Tạm thời cách ly không quá 15 ngày kể cả gia hạn và các lần cách ly trước (đến {cap}) trừ khi Tòa án quyết định", "a temporary separation lasts at most 15 days in total, extensions and earlier separations included (until {cap}), unless a court orders more";
    ExtensionNotLater => Invalid, "extension_not_later", Some("until"), "Gia hạn phải kéo dài hơn thời hạn hiện tại", "an extension must end later than the separation does now";
    CourtOrderRefRequired => Invalid, "court_order_ref_required", Some("court_order_ref"), "Cần số quyết định của Tòa án", "an end by court order needs the order's reference";
    ParentViewNotApplicable => Invalid, "parent_view_not_applicable", Some("parent_view"), "Không lấy ý kiến cha mẹ khi họ là người gây hại (ND56 điều 27(1)(h)); ghi rõ ý kiến của ai (`parent_view_by`)", "the parents' view is not taken when they caused the harm (ND56 art. 27(1)(h)); say whose view it is (`parent_view_by`)";
    ParentViewFromPerpetrator => Invalid, "parent_view_from_perpetrator", Some("parent_view_by"), "Không lấy ý kiến của cha, mẹ, người chăm sóc là người gây hại (ND56 điều 27(1)(h)); nếu ý kiến của người khác, hãy ghi rõ người gây hại", "the view of the parent or carer who caused the harm is not taken (ND56 art. 27(1)(h)); if another carer gave it, name the perpetrator exactly";
    ParentViewByWithoutView => Invalid, "parent_view_missing", Some("parent_view"), "`parent_view_by` ghi ý kiến của ai; cần ghi cả ý kiến", "`parent_view_by` says whose view `parent_view` is; give the view too";
    PlanItemsRequired => Invalid, "plan_items_required", Some("items"), "Kế hoạch cần ít nhất một hoạt động", "a plan needs at least one item";
    PlanItemDatesInverted { index: usize } => Invalid, "plan_item_dates_invalid", Some("items"), "Hoạt động {index} kết thúc trước khi bắt đầu", "plan item {index} ends before it starts";
    ReturnCommentRequired => Invalid, "return_comment_required", Some("comment"), "Trả lại kế hoạch cần ghi ý kiến cần sửa", "returning a plan needs a comment saying what to change";
    PlanItemUnknown => Invalid, "plan_item_unknown", Some("item_id"), "Kế hoạch đã phê duyệt không có hoạt động này", "the approved plan has no such item";
    ReviewRatingsIncomplete => Invalid, "review_ratings_incomplete", Some("ratings"), "Rà soát cần đánh giá đủ bốn tiêu chí", "a review rates all four criteria";
    ClosureReasonNeedsStep { reason: &'static str } => Invalid, "closure_reason_needs_step", Some("reason"), "Đóng hồ sơ với lý do `{reason}` phải được đề xuất qua bước rà soát hoặc đánh giá ban đầu", "closure as `{reason}` is proposed by its step (review or initial assessment), not directly";
    ResolvedNeedsCloseReview => Invalid, "resolved_needs_close_review", Some("reason"), "Chỉ đóng hồ sơ với lý do đã an toàn, ổn định khi rà soát kết luận đóng hồ sơ", "a case is closed as resolved only on a review with outcome `close`";
    LinkedCaseRequired => Invalid, "linked_case_required", Some("linked_case_id"), "Hồ sơ trùng cần ghi hồ sơ được giữ lại", "a duplicate names the case it duplicates";
    ChildAlreadyLinked => Conflict, "child_already_linked", Some("same_as_case_id"), "Hai hồ sơ đã là cùng một trẻ", "the two cases are already about the same child";
    ChildNotLinked => Conflict, "child_not_linked", None, "Hồ sơ chưa được liên kết với trẻ của hồ sơ khác", "the case's child has not been linked to another case's child";
    LinkedCaseIsSelf => Invalid, "linked_case_invalid", Some("linked_case_id"), "Không liên kết hồ sơ với chính nó", "a case cannot be linked to itself";
    ClosureCommentRequired => Invalid, "closure_comment_required", Some("comment"), "Lý do khác cần ghi rõ", "closing for another reason needs a comment";
    RejectCommentRequired => Invalid, "reject_comment_required", Some("comment"), "Không đồng ý đóng hồ sơ cần ghi ý kiến", "rejecting a closure needs a comment";
    CorrectionTargetUnknown => Invalid, "correction_target_unknown", Some("corrects_event"), "Không có sự kiện nào với số thứ tự này để đính chính", "no event with that sequence records a correctable fact";
    FieldNotCorrectable { field: String } => Invalid, "field_not_correctable", Some("field"), "Không đính chính được `{field}` trên sự kiện này", "`{field}` cannot be corrected on that event";
    CorrectionValueInvalid { field: String, problem: String } => Invalid, "correction_value_invalid", Some("value"), "Giá trị mới của `{field}` không hợp lệ: {problem}", "the new value for `{field}` is not valid: {problem}";
}

impl std::error::Error for CaseError {}

impl From<CalendarError> for CaseError {
    fn from(e: CalendarError) -> Self {
        Self::Calendar(e)
    }
}

impl From<AccessDenied> for CaseError {
    fn from(denied: AccessDenied) -> Self {
        match denied {
            AccessDenied::RoleNotAllowed => Self::RoleNotAllowed,
            AccessDenied::OutOfJurisdiction => Self::OutOfJurisdiction,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_gives_kind_code_field_and_both_texts() {
        let e = CaseError::TimeBeforeStep {
            field: "submitted_at",
            step: "needs meeting",
        };
        assert_eq!(e.kind(), ErrorKind::Invalid);
        assert_eq!(e.code(), "time_before_previous_step");
        assert_eq!(e.field(), Some("submitted_at"));
        assert_eq!(
            e.to_string(),
            "`submitted_at` is before the needs meeting it follows"
        );
        assert_eq!(
            e.message_vi(),
            "`submitted_at` sớm hơn bước trước đó (needs meeting)"
        );
        assert_eq!(CaseError::NeedsMeetingMissing.kind(), ErrorKind::Conflict);
        assert_eq!(CaseError::OutOfJurisdiction.code(), "case_not_found");
    }
}
