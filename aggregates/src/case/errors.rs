//! Why a case refused a command. Every variant has a stable machine `code()` (part of the API),
//! a kind that tells the server which HTTP status it is, and a Vietnamese and English message.

use crate::deadlines::CalendarError;
use crate::policy::AccessDenied;
use chrono::{DateTime, Utc};

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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    #[error("no such case")]
    CaseNotFound,
    #[error("this case already exists")]
    CaseAlreadyExists,
    #[error("no such case")]
    OutOfJurisdiction,
    #[error("your role does not allow this step on this case")]
    RoleNotAllowed,
    #[error("the case has changed since you read it (version {actual}, you sent {expected})")]
    VersionMismatch { expected: u64, actual: u64 },
    #[error("the case is closed and accepts no new step")]
    CaseClosed,
    #[error("`{field}` lies in the future")]
    TimeInFuture { field: &'static str },
    #[error("`{field}` is before the {step} it follows")]
    TimeBeforeStep {
        field: &'static str,
        step: &'static str,
    },
    #[error("`{field}` must be a province or commune, not the whole country")]
    UnitIsRoot { field: &'static str },
    #[error("give the child's date of birth or an estimated age, not both")]
    ChildAgeAmbiguous,
    #[error("the child is 18 or older: casebook is for children")]
    ChildNotAMinor,
    #[error("the reporter's name, phone and address may be recorded only with their consent")]
    ReporterIdentityWithoutConsent,
    #[error("`{field}` needs the matching abuse type")]
    SubtypeWithoutType { field: &'static str },
    #[error("the assigned worker must be a social worker of the case's commune")]
    WorkerNotEligible,
    #[error("a social worker may only take an unassigned case for itself")]
    MayOnlyTakeUnassignedCase,
    #[error("the case is already assigned to this worker")]
    AlreadyAssigned,
    #[error("the case is already in this unit")]
    TransferToSameUnit,
    #[error("the initial assessment is already recorded; correct it instead")]
    InitialAssessmentAlreadyRecorded,
    #[error("the initial assessment must be recorded first")]
    InitialAssessmentMissing,
    #[error("an emergency needs at least one ground")]
    EmergencyGroundsRequired,
    #[error("grounds are given only for an emergency")]
    GroundsOnlyForEmergency,
    #[error("the initial assessment did not find an emergency")]
    NotAnEmergency,
    #[error("name at least one measure")]
    MeasuresRequired,
    #[error(
        "temporary separation is decided by the approver (/separation), not recorded as a measure"
    )]
    SeparationNeedsDecision,
    #[error("a separation is already in force")]
    SeparationAlreadyActive,
    #[error("no separation is in force")]
    NoActiveSeparation,
    #[error("`until` must be after the separation starts")]
    SeparationUntilInvalid,
    #[error("a temporary separation lasts at most 15 days including extensions (until {cap}) unless a court orders more")]
    SeparationExceeds15Days { cap: DateTime<Utc> },
    #[error("an extension must end later than the separation does now")]
    ExtensionNotLater,
    #[error("an end by court order needs the order's reference")]
    CourtOrderRefRequired,
    #[error("the parents' view is not taken when they caused the harm (ND56 art. 27(1)(h))")]
    ParentViewNotApplicable,
    #[error("the detailed assessment must be recorded first")]
    DetailedAssessmentMissing,
    #[error("urgent measures are due first")]
    UrgentMeasuresPending,
    #[error("a plan needs at least one item")]
    PlanItemsRequired,
    #[error("plan item {index} ends before it starts")]
    PlanItemDatesInverted { index: usize },
    #[error("a plan is already awaiting approval")]
    PlanAwaitingApproval,
    #[error("no plan is awaiting a decision")]
    PlanNotSubmitted,
    #[error("the decision is for plan version {sent}, but version {submitted} is the one awaiting approval")]
    PlanVersionMismatch { sent: u32, submitted: u32 },
    #[error("returning a plan needs a comment saying what to change")]
    ReturnCommentRequired,
    #[error("no plan has been approved")]
    PlanNotApproved,
    #[error("the approved plan has no such item")]
    PlanItemUnknown,
    #[error("this plan item is already completed")]
    PlanItemCompleted,
    #[error("a review rates all four criteria")]
    ReviewRatingsIncomplete,
    #[error("a closure proposal awaits the approver's decision")]
    ClosurePending,
    #[error("closure is already proposed")]
    ClosureAlreadyProposed,
    #[error("closure has not been proposed")]
    ClosureNotProposed,
    #[error("closure as `{reason}` is proposed by its step (review or initial assessment), not directly")]
    ClosureReasonNeedsStep { reason: &'static str },
    #[error("a duplicate names the case it duplicates")]
    LinkedCaseRequired,
    #[error("a case cannot be linked to itself")]
    LinkedCaseIsSelf,
    #[error("closing for another reason needs a comment")]
    ClosureCommentRequired,
    #[error("rejecting a closure needs a comment")]
    RejectCommentRequired,
    #[error("no event with that sequence records a correctable fact")]
    CorrectionTargetUnknown,
    #[error("`{field}` cannot be corrected on that event")]
    FieldNotCorrectable { field: String },
    #[error("the new value for `{field}` is not valid: {problem}")]
    CorrectionValueInvalid { field: String, problem: String },
    #[error("`{field}` is before {earliest}, the earliest business time casebook accepts")]
    TimeTooEarly {
        field: &'static str,
        earliest: DateTime<Utc>,
    },
    #[error("the child is 16 or older, and this province does not accept juvenile cases")]
    JuvenileCasesNotAccepted,
    #[error("name the condition of ND56 art. 32(1) the separation rests on (`grounds`)")]
    SeparationGroundsRequired,
    #[error("the view of the parent or carer who caused the harm is not taken (ND56 art. 27(1)(h)); if another carer gave it, name the perpetrator exactly")]
    ParentViewFromPerpetrator,
    #[error("`parent_view_by` says whose view `parent_view` is; give the view too")]
    ParentViewByWithoutView,
    #[error(
        "the plan needs the needs meeting of this plan cycle first (ND56 art. 27(2), 28(2)(b))"
    )]
    NeedsMeetingMissing,
    #[error("a case is closed as resolved only on a review with outcome `close`")]
    ResolvedNeedsCloseReview,
    #[error("the hotline's support is already requested")]
    HotlineSupportAlreadyRequested,
    #[error("the hotline's support has not been requested")]
    HotlineSupportNotRequested,
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

impl From<AccessDenied> for CaseError {
    fn from(denied: AccessDenied) -> Self {
        match denied {
            AccessDenied::RoleNotAllowed => Self::RoleNotAllowed,
            AccessDenied::OutOfJurisdiction => Self::OutOfJurisdiction,
        }
    }
}

impl CaseError {
    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        use CaseError::*;
        match self {
            CaseNotFound | OutOfJurisdiction => "case_not_found",
            CaseAlreadyExists => "case_already_exists",
            RoleNotAllowed => "forbidden",
            VersionMismatch { .. } => "version_mismatch",
            CaseClosed => "case_closed",
            TimeInFuture { .. } => "time_in_future",
            TimeBeforeStep { .. } => "time_before_previous_step",
            UnitIsRoot { .. } => "unit_not_allowed",
            ChildAgeAmbiguous => "child_age_ambiguous",
            ChildNotAMinor => "child_not_a_minor",
            ReporterIdentityWithoutConsent => "reporter_consent_required",
            SubtypeWithoutType { .. } => "abuse_subtype_without_type",
            WorkerNotEligible => "worker_not_eligible",
            MayOnlyTakeUnassignedCase => "may_only_take_unassigned_case",
            AlreadyAssigned => "already_assigned",
            TransferToSameUnit => "transfer_to_same_unit",
            InitialAssessmentAlreadyRecorded => "initial_assessment_already_recorded",
            InitialAssessmentMissing => "initial_assessment_missing",
            EmergencyGroundsRequired => "emergency_grounds_required",
            GroundsOnlyForEmergency => "grounds_only_for_emergency",
            NotAnEmergency => "not_an_emergency",
            MeasuresRequired => "measures_required",
            SeparationNeedsDecision => "separation_needs_decision",
            SeparationAlreadyActive => "separation_already_active",
            NoActiveSeparation => "no_active_separation",
            SeparationUntilInvalid => "separation_until_invalid",
            SeparationExceeds15Days { .. } => "separation_exceeds_15_days",
            ExtensionNotLater => "extension_not_later",
            CourtOrderRefRequired => "court_order_ref_required",
            ParentViewNotApplicable => "parent_view_not_applicable",
            DetailedAssessmentMissing => "detailed_assessment_missing",
            UrgentMeasuresPending => "urgent_measures_pending",
            PlanItemsRequired => "plan_items_required",
            PlanItemDatesInverted { .. } => "plan_item_dates_invalid",
            PlanAwaitingApproval => "plan_awaiting_approval",
            PlanNotSubmitted => "plan_not_submitted",
            PlanVersionMismatch { .. } => "plan_version_mismatch",
            ReturnCommentRequired => "return_comment_required",
            PlanNotApproved => "plan_not_approved",
            PlanItemUnknown => "plan_item_unknown",
            PlanItemCompleted => "plan_item_completed",
            ReviewRatingsIncomplete => "review_ratings_incomplete",
            ClosurePending => "closure_pending",
            ClosureAlreadyProposed => "closure_already_proposed",
            ClosureNotProposed => "closure_not_proposed",
            ClosureReasonNeedsStep { .. } => "closure_reason_needs_step",
            LinkedCaseRequired => "linked_case_required",
            LinkedCaseIsSelf => "linked_case_invalid",
            ClosureCommentRequired => "closure_comment_required",
            RejectCommentRequired => "reject_comment_required",
            CorrectionTargetUnknown => "correction_target_unknown",
            FieldNotCorrectable { .. } => "field_not_correctable",
            CorrectionValueInvalid { .. } => "correction_value_invalid",
            TimeTooEarly { .. } => "time_too_early",
            JuvenileCasesNotAccepted => "juvenile_cases_not_accepted",
            SeparationGroundsRequired => "separation_grounds_required",
            ParentViewFromPerpetrator => "parent_view_from_perpetrator",
            ParentViewByWithoutView => "parent_view_missing",
            NeedsMeetingMissing => "needs_meeting_missing",
            ResolvedNeedsCloseReview => "resolved_needs_close_review",
            HotlineSupportAlreadyRequested => "hotline_support_already_requested",
            HotlineSupportNotRequested => "hotline_support_not_requested",
            Calendar(e) => e.code(),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        use CaseError::*;
        match self {
            CaseNotFound | OutOfJurisdiction => ErrorKind::NotFound,
            RoleNotAllowed | MayOnlyTakeUnassignedCase => ErrorKind::Forbidden,
            VersionMismatch { .. } => ErrorKind::PreconditionFailed,
            CaseAlreadyExists
            | CaseClosed
            | AlreadyAssigned
            | InitialAssessmentAlreadyRecorded
            | InitialAssessmentMissing
            | NotAnEmergency
            | SeparationAlreadyActive
            | NoActiveSeparation
            | DetailedAssessmentMissing
            | UrgentMeasuresPending
            | PlanAwaitingApproval
            | PlanNotSubmitted
            | PlanVersionMismatch { .. }
            | PlanNotApproved
            | PlanItemCompleted
            | ClosurePending
            | ClosureAlreadyProposed
            | ClosureNotProposed
            | NeedsMeetingMissing
            | HotlineSupportAlreadyRequested
            | HotlineSupportNotRequested => ErrorKind::Conflict,
            Calendar(_) => ErrorKind::Unavailable,
            _ => ErrorKind::Invalid,
        }
    }

    /// The field the error is about, for the problem document's `errors` list.
    pub fn field(&self) -> Option<&str> {
        use CaseError::*;
        match self {
            TimeInFuture { field }
            | TimeBeforeStep { field, .. }
            | UnitIsRoot { field }
            | TimeTooEarly { field, .. } => Some(field),
            JuvenileCasesNotAccepted => Some("child"),
            SeparationGroundsRequired => Some("grounds"),
            ParentViewFromPerpetrator => Some("parent_view_by"),
            ParentViewByWithoutView => Some("parent_view"),
            ResolvedNeedsCloseReview => Some("reason"),
            SubtypeWithoutType { field } => Some(field),
            ChildAgeAmbiguous | ChildNotAMinor => Some("child"),
            ReporterIdentityWithoutConsent => Some("reporter"),
            WorkerNotEligible | MayOnlyTakeUnassignedCase | AlreadyAssigned => Some("worker_id"),
            TransferToSameUnit => Some("to_unit"),
            EmergencyGroundsRequired | GroundsOnlyForEmergency => Some("grounds"),
            MeasuresRequired | SeparationNeedsDecision => Some("measures"),
            SeparationUntilInvalid | SeparationExceeds15Days { .. } | ExtensionNotLater => {
                Some("until")
            }
            CourtOrderRefRequired => Some("court_order_ref"),
            ParentViewNotApplicable => Some("parent_view"),
            PlanItemsRequired | PlanItemDatesInverted { .. } => Some("items"),
            PlanVersionMismatch { .. } => Some("plan_version"),
            ReturnCommentRequired | ClosureCommentRequired | RejectCommentRequired => {
                Some("comment")
            }
            PlanItemUnknown | PlanItemCompleted => Some("item_id"),
            ReviewRatingsIncomplete => Some("ratings"),
            ClosureReasonNeedsStep { .. } => Some("reason"),
            LinkedCaseRequired | LinkedCaseIsSelf => Some("linked_case_id"),
            CorrectionTargetUnknown => Some("corrects_event"),
            FieldNotCorrectable { .. } => Some("field"),
            CorrectionValueInvalid { .. } => Some("value"),
            _ => None,
        }
    }

    /// The message in Vietnamese (the default language of the API).
    pub fn message_vi(&self) -> String {
        use CaseError::*;
        match self {
            CaseNotFound | OutOfJurisdiction => "Không tìm thấy hồ sơ".into(),
            CaseAlreadyExists => "Hồ sơ này đã tồn tại".into(),
            RoleNotAllowed => "Vai trò của bạn không được thực hiện bước này".into(),
            VersionMismatch { expected, actual } => format!(
                "Hồ sơ đã thay đổi kể từ khi bạn xem (phiên bản {actual}, bạn gửi {expected})"
            ),
            CaseClosed => "Hồ sơ đã đóng, không nhận thêm bước mới".into(),
            TimeInFuture { field } => format!("`{field}` là thời điểm trong tương lai"),
            TimeBeforeStep { field, step } => {
                format!("`{field}` sớm hơn bước trước đó ({step})")
            }
            UnitIsRoot { field } => format!("`{field}` phải là tỉnh hoặc xã, không phải cả nước"),
            ChildAgeAmbiguous => "Chỉ ghi ngày sinh hoặc tuổi ước tính của trẻ, không ghi cả hai".into(),
            ChildNotAMinor => "Người này đã đủ 18 tuổi".into(),
            ReporterIdentityWithoutConsent => {
                "Chỉ ghi họ tên, điện thoại, địa chỉ người báo tin khi họ đồng ý".into()
            }
            SubtypeWithoutType { field } => format!("`{field}` cần hình thức xâm hại tương ứng"),
            WorkerNotEligible => "Người được phân công phải là người làm công tác bảo vệ trẻ em của xã".into(),
            MayOnlyTakeUnassignedCase => "Người làm công tác bảo vệ trẻ em chỉ nhận hồ sơ chưa được phân công".into(),
            AlreadyAssigned => "Hồ sơ đã được phân công cho người này".into(),
            TransferToSameUnit => "Hồ sơ đã thuộc đơn vị này".into(),
            InitialAssessmentAlreadyRecorded => "Đánh giá ban đầu đã được ghi; hãy đính chính nếu cần".into(),
            InitialAssessmentMissing => "Cần ghi đánh giá nguy cơ ban đầu trước".into(),
            EmergencyGroundsRequired => "Trường hợp khẩn cấp cần ít nhất một căn cứ".into(),
            GroundsOnlyForEmergency => "Chỉ ghi căn cứ khi kết luận khẩn cấp".into(),
            NotAnEmergency => "Đánh giá ban đầu không kết luận khẩn cấp".into(),
            MeasuresRequired => "Cần ghi ít nhất một biện pháp".into(),
            SeparationNeedsDecision => "Tạm thời cách ly do Chủ tịch UBND xã quyết định (/separation)".into(),
            SeparationAlreadyActive => "Đang có quyết định tạm thời cách ly".into(),
            NoActiveSeparation => "Không có quyết định tạm thời cách ly đang thi hành".into(),
            SeparationUntilInvalid => "Thời hạn cách ly phải sau thời điểm bắt đầu".into(),
            SeparationExceeds15Days { cap } => format!(
                "Tạm thời cách ly không quá 15 ngày kể cả gia hạn (đến {cap}) trừ khi Tòa án quyết định"
            ),
            ExtensionNotLater => "Gia hạn phải kéo dài hơn thời hạn hiện tại".into(),
            CourtOrderRefRequired => "Cần số quyết định của Tòa án".into(),
            ParentViewNotApplicable => "Không lấy ý kiến cha mẹ khi họ là người gây hại (ND56 điều 27(1)(h))".into(),
            DetailedAssessmentMissing => "Cần ghi đánh giá nguy cơ cụ thể trước".into(),
            UrgentMeasuresPending => "Cần thực hiện biện pháp can thiệp khẩn cấp trước".into(),
            PlanItemsRequired => "Kế hoạch cần ít nhất một hoạt động".into(),
            PlanItemDatesInverted { index } => format!("Hoạt động {index} kết thúc trước khi bắt đầu"),
            PlanAwaitingApproval => "Đang có kế hoạch chờ phê duyệt".into(),
            PlanNotSubmitted => "Không có kế hoạch chờ quyết định".into(),
            PlanVersionMismatch { sent, submitted } => format!(
                "Quyết định cho kế hoạch phiên bản {sent}, nhưng phiên bản chờ phê duyệt là {submitted}"
            ),
            ReturnCommentRequired => "Trả lại kế hoạch cần ghi ý kiến cần sửa".into(),
            PlanNotApproved => "Chưa có kế hoạch được phê duyệt".into(),
            PlanItemUnknown => "Kế hoạch đã phê duyệt không có hoạt động này".into(),
            PlanItemCompleted => "Hoạt động này đã hoàn thành".into(),
            ReviewRatingsIncomplete => "Rà soát cần đánh giá đủ bốn tiêu chí".into(),
            ClosurePending => "Đề xuất đóng hồ sơ đang chờ quyết định".into(),
            ClosureAlreadyProposed => "Đã đề xuất đóng hồ sơ".into(),
            ClosureNotProposed => "Chưa có đề xuất đóng hồ sơ".into(),
            ClosureReasonNeedsStep { reason } => format!(
                "Đóng hồ sơ với lý do `{reason}` phải được đề xuất qua bước rà soát hoặc đánh giá ban đầu"
            ),
            LinkedCaseRequired => "Hồ sơ trùng cần ghi hồ sơ được giữ lại".into(),
            LinkedCaseIsSelf => "Không liên kết hồ sơ với chính nó".into(),
            ClosureCommentRequired => "Lý do khác cần ghi rõ".into(),
            RejectCommentRequired => "Không đồng ý đóng hồ sơ cần ghi ý kiến".into(),
            CorrectionTargetUnknown => "Không có sự kiện nào với số thứ tự này để đính chính".into(),
            FieldNotCorrectable { field } => format!("Không đính chính được `{field}` trên sự kiện này"),
            CorrectionValueInvalid { field, problem } => {
                format!("Giá trị mới của `{field}` không hợp lệ: {problem}")
            }
            TimeTooEarly { field, earliest } => format!(
                "`{field}` sớm hơn {earliest}, thời điểm sớm nhất casebook chấp nhận"
            ),
            JuvenileCasesNotAccepted => "Người này đã đủ 16 tuổi; tỉnh không tiếp nhận hồ sơ người chưa thành niên".into(),
            SeparationGroundsRequired => "Cần ghi căn cứ tạm thời cách ly theo khoản 1 điều 32 ND56 (`grounds`)".into(),
            ParentViewFromPerpetrator => "Không lấy ý kiến của cha, mẹ, người chăm sóc là người gây hại (ND56 điều 27(1)(h)); nếu ý kiến của người khác, hãy ghi rõ người gây hại".into(),
            ParentViewByWithoutView => "`parent_view_by` ghi ý kiến của ai; cần ghi cả ý kiến".into(),
            NeedsMeetingMissing => "Cần họp xác định nhu cầu của chu kỳ kế hoạch này trước (ND56 điều 27(2), 28(2)(b))".into(),
            ResolvedNeedsCloseReview => "Chỉ đóng hồ sơ với lý do đã an toàn, ổn định khi rà soát kết luận đóng hồ sơ".into(),
            HotlineSupportAlreadyRequested => "Đã đề nghị Tổng đài 111 hỗ trợ".into(),
            HotlineSupportNotRequested => "Chưa đề nghị Tổng đài 111 hỗ trợ".into(),
            Calendar(crate::deadlines::CalendarError::YearMissing(year)) => format!(
                "Lịch nghỉ lễ chưa có năm {year}: cần nạp lịch chính thức (CASEBOOK_CALENDAR)"
            ),
            Calendar(_) => "Lịch nghỉ lễ không hợp lệ".into(),
        }
    }
}
