//! The enumerations of procedure.md §5. Codes are stable ASCII snake_case and part of the API:
//! add codes when the field needs them, never rename one. Every code has a Vietnamese and an
//! English label.
//!
//! The enums derive `Serialize`/`Deserialize` for the event store only; values coming off the wire
//! go through [`Code::parse`] so that an unknown code is a field error, never a panic or a 500.

use std::fmt;

/// A closed set of codes with labels.
pub trait Code: Sized + Copy + 'static {
    /// Every value, in declaration order.
    const ALL: &'static [Self];
    /// Name of the enumeration, as used in field errors and the OpenAPI document.
    const NAME: &'static str;
    /// The stable machine code.
    fn code(self) -> &'static str;
    /// Vietnamese label.
    fn label_vi(self) -> &'static str;
    /// English label.
    fn label_en(self) -> &'static str;

    /// Parses a machine code; unknown codes are an error naming the enumeration.
    fn parse(code: &str) -> Result<Self, UnknownCode> {
        Self::ALL
            .iter()
            .copied()
            .find(|value| value.code() == code)
            .ok_or_else(|| UnknownCode {
                enumeration: Self::NAME,
                code: code.chars().take(64).collect(),
            })
    }

    /// All codes, for documentation and error messages.
    fn codes() -> Vec<&'static str> {
        Self::ALL.iter().map(|value| value.code()).collect()
    }
}

/// A code that is not part of an enumeration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {enumeration} code `{code}`")]
pub struct UnknownCode {
    pub enumeration: &'static str,
    pub code: String,
}

macro_rules! codes {
    (
        $(#[$meta:meta])*
        $name:ident ($label:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, $vi:literal, $en:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $code)] $variant, )+
        }

        impl Code for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            const NAME: &'static str = $label;
            fn code(self) -> &'static str {
                match self { $(Self::$variant => $code,)+ }
            }
            fn label_vi(self) -> &'static str {
                match self { $(Self::$variant => $vi,)+ }
            }
            fn label_en(self) -> &'static str {
                match self { $(Self::$variant => $en,)+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

codes! {
    /// Where the report came in (*nơi tiếp nhận thông tin*).
    IntakePoint("intake_point") {
        Hotline111 = "hotline_111", "Tổng đài 111", "Hotline 111";
        Police = "police", "Công an", "Police";
        SocialAgency = "social_agency", "Cơ quan y tế, xã hội", "Social or health agency";
        CommuneCommittee = "commune_committee", "Ủy ban nhân dân cấp xã", "Commune People's Committee";
        Other = "other", "Khác", "Other";
    }
}

codes! {
    /// How the report reached the intake point (*hình thức tiếp nhận*).
    Channel("channel") {
        Phone = "phone", "Điện thoại", "Phone";
        InPerson = "in_person", "Trực tiếp", "In person";
        ThirdParty = "third_party", "Qua người khác", "Third party";
        Online = "online", "Trực tuyến", "Online";
        Other = "other", "Khác", "Other";
    }
}

codes! {
    /// Target group of Mẫu 01 (*nhóm đối tượng*).
    TargetGroup("target_group") {
        Abused = "abused", "Trẻ em bị xâm hại", "Abused child";
        AtRisk = "at_risk", "Trẻ em có nguy cơ bị xâm hại", "Child at risk";
        SpecialCircumstances = "special_circumstances", "Trẻ em có hoàn cảnh đặc biệt", "Child in special circumstances";
    }
}

codes! {
    /// Sex of the child (*giới tính*); unknown unless recorded.
    #[derive(Default)]
    Sex("sex") {
        Male = "male", "Nam", "Male";
        Female = "female", "Nữ", "Female";
        #[default]
        Unknown = "unknown", "Chưa rõ", "Unknown";
    }
}

codes! {
    /// Forms of abuse, LTE art. 4 and 6 (*hình thức xâm hại*).
    AbuseType("abuse_type") {
        Violence = "violence", "Bạo lực", "Violence";
        Exploitation = "exploitation", "Bóc lột", "Exploitation";
        SexualAbuse = "sexual_abuse", "Xâm hại tình dục", "Sexual abuse";
        Trafficking = "trafficking", "Mua bán", "Trafficking";
        Abandonment = "abandonment", "Bỏ rơi", "Abandonment";
        Neglect = "neglect", "Bỏ mặc", "Neglect";
        Kidnapping = "kidnapping", "Bắt cóc", "Kidnapping";
        ChildMarriage = "child_marriage", "Tảo hôn", "Child marriage";
        OnlineAbuse = "online_abuse", "Xâm hại trên môi trường mạng", "Online abuse";
        Other = "other", "Khác", "Other";
    }
}

codes! {
    /// Sexual-abuse subtypes, ND56 art. 13.
    SexualAbuseSubtype("sexual_abuse_subtype") {
        Rape = "rape", "Hiếp dâm", "Rape";
        ForcedSex = "forced_sex", "Cưỡng dâm", "Forced sex";
        SexualIntercourseWithChild = "sexual_intercourse_with_child", "Giao cấu với trẻ em", "Sexual intercourse with a child";
        LewdActs = "lewd_acts", "Dâm ô", "Lewd acts";
        ProstitutionOrPornography = "prostitution_or_pornography", "Sử dụng trẻ em vào mục đích mại dâm, khiêu dâm", "Prostitution or pornography";
    }
}

codes! {
    /// Exploitation subtypes, ND56 art. 12.
    ExploitationSubtype("exploitation_subtype") {
        ForcedLabour = "forced_labour", "Ép buộc lao động", "Forced labour";
        PornographicPerformance = "pornographic_performance", "Biểu diễn, sản xuất sản phẩm khiêu dâm", "Pornographic performance";
        SexTourismProstitution = "sex_tourism_prostitution", "Du lịch tình dục, mại dâm", "Sex tourism or prostitution";
        DrugOrContrabandTrafficking = "drug_or_contraband_trafficking", "Sản xuất, vận chuyển ma túy, hàng cấm", "Drug or contraband trafficking";
        Other = "other", "Khác", "Other";
    }
}

codes! {
    /// Where the abuse happened (*môi trường xảy ra xâm hại*).
    AbuseEnvironment("abuse_environment") {
        Family = "family", "Gia đình", "Family";
        School = "school", "Trường học", "School";
        Community = "community", "Cộng đồng", "Community";
        Online = "online", "Môi trường mạng", "Online";
        Other = "other", "Khác", "Other";
    }
}

codes! {
    /// Relationship of the alleged perpetrator to the child (*quan hệ của người gây hại*).
    PerpetratorRelationship("perpetrator_relationship") {
        Parent = "parent", "Cha, mẹ", "Parent";
        StepParent = "step_parent", "Cha dượng, mẹ kế", "Step-parent";
        OtherCarer = "other_carer", "Người chăm sóc khác", "Other carer";
        Father = "father", "Cha", "Father";
        Mother = "mother", "Mẹ", "Mother";
        StepFather = "step_father", "Cha dượng", "Step-father";
        StepMother = "step_mother", "Mẹ kế", "Step-mother";
        Relative = "relative", "Người thân", "Relative";
        Teacher = "teacher", "Giáo viên", "Teacher";
        Acquaintance = "acquaintance", "Người quen", "Acquaintance";
        Stranger = "stranger", "Người lạ", "Stranger";
        OtherChild = "other_child", "Trẻ em khác", "Another child";
        Unknown = "unknown", "Chưa rõ", "Unknown";
    }
}

impl PerpetratorRelationship {
    /// Parents and carers: ND56 art. 26(3) makes the case an emergency and art. 27(1)(h)
    /// excludes their view from the detailed assessment.
    pub fn is_caregiver(self) -> bool {
        matches!(
            self,
            Self::Parent
                | Self::StepParent
                | Self::OtherCarer
                | Self::Father
                | Self::Mother
                | Self::StepFather
                | Self::StepMother
        )
    }

    /// Whether `carer` is, or may be, the person this relationship names as the perpetrator. A
    /// general code (`parent`) may be either parent: the view of someone who may have caused
    /// the harm is not taken until the report names the perpetrator exactly.
    pub fn may_be(self, carer: Carer) -> bool {
        use Carer as C;
        match self {
            Self::Father => carer == C::Father,
            Self::Mother => carer == C::Mother,
            Self::StepFather => carer == C::StepFather,
            Self::StepMother => carer == C::StepMother,
            Self::Parent => matches!(carer, C::Father | C::Mother),
            Self::StepParent => matches!(carer, C::StepFather | C::StepMother),
            Self::OtherCarer => matches!(carer, C::Guardian | C::OtherCarer),
            _ => false,
        }
    }
}

codes! {
    /// Whose view the detailed assessment records under ND56 art. 27(1)(h).
    Carer("carer") {
        Father = "father", "Cha", "Father";
        Mother = "mother", "Mẹ", "Mother";
        StepFather = "step_father", "Cha dượng", "Step-father";
        StepMother = "step_mother", "Mẹ kế", "Step-mother";
        Grandparent = "grandparent", "Ông, bà", "Grandparent";
        Guardian = "guardian", "Người giám hộ", "Guardian";
        OtherCarer = "other_carer", "Người chăm sóc khác", "Other carer";
    }
}

codes! {
    /// Conditions for a temporary separation, ND56 art. 32(1).
    SeparationGround("separation_ground") {
        CaregiverIsPerpetrator = "caregiver_is_perpetrator", "Cha mẹ, người chăm sóc là người xâm hại trẻ em", "The abuse or risk comes from a parent or carer";
        CaregiverRefusesPlan = "caregiver_refuses_plan", "Cha mẹ, người chăm sóc không đồng ý hoặc không thực hiện kế hoạch hỗ trợ, can thiệp", "The parent or carer refuses or does not carry out the plan";
        RiskOfFurtherAbuse = "risk_of_further_abuse", "Trẻ em có nguy cơ tiếp tục bị cha mẹ, người chăm sóc xâm hại", "The child risks further abuse by a parent or carer";
    }
}

codes! {
    /// Special circumstances, LTE art. 10(1) a–o (*trẻ em có hoàn cảnh đặc biệt*).
    SpecialCircumstance("special_circumstance") {
        Orphaned = "orphaned", "Mồ côi cả cha và mẹ", "Orphaned";
        Abandoned = "abandoned", "Bị bỏ rơi", "Abandoned";
        WithoutSupport = "without_support", "Không nơi nương tựa", "Without support";
        Disability = "disability", "Khuyết tật", "Disability";
        HivAids = "hiv_aids", "Nhiễm HIV/AIDS", "HIV/AIDS";
        InConflictWithLaw = "in_conflict_with_law", "Vi phạm pháp luật", "In conflict with the law";
        DrugDependent = "drug_dependent", "Nghiện ma túy", "Drug dependent";
        DroppedOutToWork = "dropped_out_to_work", "Bỏ học kiếm sống", "Dropped out to work";
        SeriouslyHarmedByViolence = "seriously_harmed_by_violence", "Bị tổn hại nghiêm trọng do bạo lực", "Seriously harmed by violence";
        Exploited = "exploited", "Bị bóc lột", "Exploited";
        SexuallyAbused = "sexually_abused", "Bị xâm hại tình dục", "Sexually abused";
        Trafficked = "trafficked", "Bị mua bán", "Trafficked";
        SeriousIllnessPoorHousehold = "serious_illness_poor_household", "Mắc bệnh hiểm nghèo, hộ nghèo", "Serious illness in a poor household";
        MigrantOrRefugeeUnaccompanied = "migrant_or_refugee_unaccompanied", "Di cư, lánh nạn chưa xác định cha mẹ", "Unaccompanied migrant or refugee";
    }
}

codes! {
    /// Outcome of the initial risk assessment, ND56 art. 26 (*kết quả đánh giá ban đầu*).
    InitialOutcome("initial_assessment_outcome") {
        Emergency = "emergency", "Khẩn cấp", "Emergency";
        SupportNeeded = "support_needed", "Cần hỗ trợ", "Support needed";
        NoConcern = "no_concern", "Không có nguy cơ", "No concern";
    }
}

codes! {
    /// Grounds for an emergency, ND56 art. 26(3), 31(1).
    EmergencyGround("emergency_ground") {
        SeriousHarmOrThreat = "serious_harm_or_threat", "Tính mạng, sức khỏe, nhân phẩm bị đe dọa hoặc tổn hại nghiêm trọng", "Life, health or dignity seriously threatened or harmed";
        CaregiverIsPerpetrator = "caregiver_is_perpetrator", "Cha mẹ, người chăm sóc là người gây hại", "Parent or carer is causing harm";
    }
}

codes! {
    /// Urgent measures, ND56 art. 31–32 (*biện pháp can thiệp khẩn cấp*).
    UrgentMeasure("urgent_measure") {
        StopTheAct = "stop_the_act", "Chấm dứt hành vi xâm hại", "Stop the act";
        FirstAid = "first_aid", "Sơ cứu, cấp cứu", "First aid or emergency care";
        KeepEvidence = "keep_evidence", "Giữ gìn chứng cứ", "Keep evidence";
        SafeShelter = "safe_shelter", "Bố trí nơi tạm trú an toàn", "Safe temporary shelter";
        TemporaryAlternativeCare = "temporary_alternative_care", "Chăm sóc thay thế tạm thời", "Temporary alternative care";
        /// Only through the separation decision of the approver (ND56 art. 32).
        TemporarySeparation = "temporary_separation", "Tạm thời cách ly trẻ em khỏi cha mẹ, người chăm sóc", "Temporary separation from parents or carer";
    }
}

codes! {
    /// Plan item measures, LTE art. 49(2), 50(2).
    PlanMeasure("plan_measure") {
        RiskWarningAndCounselling = "risk_warning_and_counselling", "Cảnh báo nguy cơ, tư vấn", "Risk warning and counselling";
        RiskAssessmentAndReduction = "risk_assessment_and_reduction", "Đánh giá và giảm thiểu nguy cơ", "Risk assessment and reduction";
        SpecialCircumstancesSupport = "special_circumstances_support", "Hỗ trợ trẻ em có hoàn cảnh đặc biệt", "Support for special circumstances";
        SocialAssistanceAccess = "social_assistance_access", "Tiếp cận chính sách trợ giúp xã hội", "Access to social assistance";
        MedicalCareAndTherapy = "medical_care_and_therapy", "Chăm sóc y tế, trị liệu", "Medical care and therapy";
        SafeShelterAndSeparation = "safe_shelter_and_separation", "Bố trí nơi tạm trú an toàn, cách ly", "Safe shelter and separation";
        AlternativeCare = "alternative_care", "Chăm sóc thay thế", "Alternative care";
        FamilyReunificationAndReintegration = "family_reunification_and_reintegration", "Đoàn tụ gia đình, hòa nhập cộng đồng", "Family reunification and reintegration";
        CounsellingParents = "counselling_parents", "Tư vấn cho cha mẹ, người chăm sóc", "Counselling for parents or carers";
        LegalAid = "legal_aid", "Trợ giúp pháp lý", "Legal aid";
        HealthEducationSocialSupport = "health_education_social_support", "Hỗ trợ y tế, giáo dục, xã hội", "Health, education and social support";
        SafetyMonitoring = "safety_monitoring", "Theo dõi an toàn", "Safety monitoring";
    }
}

codes! {
    /// Service types for needs and plan items.
    ServiceType("service_type") {
        Health = "health", "Y tế", "Health";
        Education = "education", "Giáo dục", "Education";
        Psychological = "psychological", "Tâm lý", "Psychological";
        SocialWelfare = "social_welfare", "Trợ giúp xã hội", "Social welfare";
        Protection = "protection", "Bảo vệ", "Protection";
        Legal = "legal", "Pháp lý", "Legal";
    }
}

codes! {
    /// Review criteria of Mẫu 06 (*tiêu chí rà soát*).
    ReviewCriterion("review_criterion") {
        HarmSeverity = "harm_severity", "Mức độ tổn hại", "Harm severity";
        AbuserAccess = "abuser_access", "Khả năng tiếp cận của người gây hại", "Abuser's access to the child";
        CareEnvironmentObstacles = "care_environment_obstacles", "Trở ngại trong môi trường chăm sóc", "Obstacles in the care environment";
        ChildSelfProtectionRecovery = "child_self_protection_recovery", "Khả năng tự bảo vệ và phục hồi của trẻ", "Child's self-protection and recovery";
    }
}

codes! {
    /// Rating of a criterion (*mức độ*).
    Rating("rating") {
        High = "high", "Cao", "High";
        Medium = "medium", "Trung bình", "Medium";
        Low = "low", "Thấp", "Low";
    }
}

codes! {
    /// Review outcome, ND56 art. 30.
    ReviewOutcome("review_outcome") {
        Close = "close", "Đóng hồ sơ", "Close";
        Continue = "continue", "Tiếp tục can thiệp", "Continue";
    }
}

codes! {
    /// Why a case was closed (*lý do đóng hồ sơ*).
    ClosureReason("closure_reason") {
        Resolved = "resolved", "Trẻ em đã an toàn, ổn định", "Resolved";
        Unfounded = "unfounded", "Thông tin không có cơ sở", "Unfounded";
        Duplicate = "duplicate", "Trùng hồ sơ", "Duplicate";
        TransferredOut = "transferred_out", "Chuyển ra ngoài hệ thống", "Transferred outside the system";
        ReachedAdulthood = "reached_adulthood", "Người chưa thành niên đã đủ 18 tuổi", "Juvenile reached 18";
        TurnedSixteen = "turned_16", "Trẻ em đã đủ 16 tuổi", "Child turned 16";
        Other = "other", "Khác", "Other";
    }
}

codes! {
    /// How a temporary separation ended (Circular 14/2020 art. 14(3)).
    SeparationEndReason("separation_end_reason") {
        ReturnedHome = "returned_home", "Trẻ em trở về gia đình", "Returned home";
        CourtOrder = "court_order", "Theo quyết định của Tòa án", "Court order";
    }
}

codes! {
    /// Decision on a submitted plan (ND56 art. 28(4)); `return` is [policy].
    PlanDecision("plan_decision") {
        Approve = "approve", "Phê duyệt", "Approve";
        Return = "return", "Trả lại để hoàn thiện", "Return for revision";
    }
}

codes! {
    /// Decision on a closure proposal.
    ClosureDecision("closure_decision") {
        Approve = "approve", "Đồng ý đóng hồ sơ", "Approve closure";
        Reject = "reject", "Không đồng ý đóng hồ sơ", "Reject closure";
    }
}

codes! {
    /// Why a court is petitioned (LTE art. 52(3)).
    CourtPetitionGround("court_petition_ground") {
        ParentsAreAbusers = "parents_are_abusers", "Cha mẹ là người xâm hại trẻ em", "Parents are the abusers";
        ParentsRefusePlan = "parents_refuse_plan", "Cha mẹ không hợp tác thực hiện kế hoạch", "Parents refuse the plan";
    }
}

codes! {
    /// Whom a child is referred to (ND56 art. 22, 25(3), 29): the kind of agency, so that
    /// referrals to the police can be counted (procedure.md §7).
    ReferralKind("referral_kind") {
        Police = "police", "Cơ quan công an", "Police";
        Procuracy = "procuracy", "Viện kiểm sát", "Procuracy";
        Court = "court", "Tòa án", "Court";
        Health = "health", "Cơ sở y tế", "Health facility";
        Education = "education", "Cơ sở giáo dục", "School or education authority";
        LegalAid = "legal_aid", "Trợ giúp pháp lý", "Legal aid";
        SocialProtection = "social_protection", "Cơ sở trợ giúp xã hội", "Social protection facility";
        Ngo = "ngo", "Tổ chức xã hội", "Non-governmental organisation";
        Other = "other", "Khác", "Other";
    }
}

codes! {
    /// Case status: where the case stands in the procedure.
    #[derive(Default)]
    CaseStatus("case_status") {
        /// Awaiting the initial assessment.
        #[default]
        Reported = "reported", "Đã tiếp nhận", "Reported";
        /// Urgent measures due.
        Emergency = "emergency", "Can thiệp khẩn cấp", "Emergency";
        /// Detailed assessment and needs.
        Assessment = "assessment", "Đánh giá", "Assessment";
        /// Plan being drafted or returned.
        Planning = "planning", "Xây dựng kế hoạch", "Planning";
        AwaitingApproval = "awaiting_approval", "Chờ phê duyệt", "Awaiting approval";
        /// Plan approved, services under way.
        InProgress = "in_progress", "Đang thực hiện kế hoạch", "In progress";
        ClosureProposed = "closure_proposed", "Đề xuất đóng hồ sơ", "Closure proposed";
        Closed = "closed", "Đã đóng", "Closed";
    }
}

codes! {
    /// The roles casebook knows (procedure.md §1).
    Role("role") {
        HotlineOperator = "hotline_operator", "Điện thoại viên Tổng đài 111", "Hotline operator";
        SocialWorker = "social_worker", "Người làm công tác bảo vệ trẻ em cấp xã", "Commune child-protection worker";
        Approver = "approver", "Chủ tịch, Phó Chủ tịch UBND cấp xã", "Commune chair (approver)";
        Supervisor = "supervisor", "Cán bộ giám sát", "Supervisor";
        Admin = "admin", "Quản trị hệ thống", "System administrator";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_enumeration<C: Code + fmt::Debug + PartialEq + serde::Serialize>() {
        let mut seen = std::collections::BTreeSet::new();
        for value in C::ALL {
            let code = value.code();
            assert!(
                code.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{code} is not ASCII snake_case"
            );
            assert!(seen.insert(code), "{code} appears twice in {}", C::NAME);
            assert_eq!(C::parse(code).as_ref(), Ok(value));
            assert!(!value.label_vi().is_empty() && !value.label_en().is_empty());
            // The stored form is the code itself.
            let json = serde_json::to_string(value).unwrap_or_default();
            assert!(json.contains(code), "{json} does not store {code}");
        }
        let err = C::parse("no_such_code").unwrap_err();
        assert_eq!(err.enumeration, C::NAME);
    }

    #[test]
    fn every_enumeration_has_unique_snake_case_codes_and_both_labels() {
        check_enumeration::<IntakePoint>();
        check_enumeration::<Channel>();
        check_enumeration::<TargetGroup>();
        check_enumeration::<Sex>();
        check_enumeration::<AbuseType>();
        check_enumeration::<SexualAbuseSubtype>();
        check_enumeration::<ExploitationSubtype>();
        check_enumeration::<AbuseEnvironment>();
        check_enumeration::<PerpetratorRelationship>();
        check_enumeration::<Carer>();
        check_enumeration::<SeparationGround>();
        check_enumeration::<SpecialCircumstance>();
        check_enumeration::<InitialOutcome>();
        check_enumeration::<EmergencyGround>();
        check_enumeration::<UrgentMeasure>();
        check_enumeration::<PlanMeasure>();
        check_enumeration::<ServiceType>();
        check_enumeration::<ReviewCriterion>();
        check_enumeration::<Rating>();
        check_enumeration::<ReviewOutcome>();
        check_enumeration::<ClosureReason>();
        check_enumeration::<SeparationEndReason>();
        check_enumeration::<PlanDecision>();
        check_enumeration::<ClosureDecision>();
        check_enumeration::<CourtPetitionGround>();
        check_enumeration::<CaseStatus>();
        check_enumeration::<Role>();
    }

    #[test]
    fn codes_of_the_procedure_are_stable() {
        // These codes are part of the API contract (procedure.md §5); renaming one is a break.
        assert_eq!(IntakePoint::Hotline111.code(), "hotline_111");
        assert_eq!(AbuseType::SexualAbuse.code(), "sexual_abuse");
        assert_eq!(CaseStatus::AwaitingApproval.code(), "awaiting_approval");
        assert_eq!(ClosureReason::ReachedAdulthood.code(), "reached_adulthood");
        assert_eq!(UrgentMeasure::ALL.len(), 6);
        assert_eq!(PlanMeasure::ALL.len(), 12);
        assert_eq!(SpecialCircumstance::ALL.len(), 14);
    }

    #[test]
    fn only_parents_and_carers_are_caregivers() {
        let caregivers: Vec<_> = PerpetratorRelationship::ALL
            .iter()
            .filter(|r| r.is_caregiver())
            .map(|r| r.code())
            .collect();
        // The exact parent codes were added so that the non-offending parent's view can be
        // taken (ND56 art. 27(1)(h)); they are caregivers like the general ones.
        assert_eq!(
            caregivers,
            [
                "parent",
                "step_parent",
                "other_carer",
                "father",
                "mother",
                "step_father",
                "step_mother"
            ]
        );
    }

    #[test]
    fn a_general_parent_code_may_be_either_parent() {
        use Carer as C;
        assert!(PerpetratorRelationship::StepParent.may_be(C::StepFather));
        assert!(!PerpetratorRelationship::StepParent.may_be(C::Mother));
        assert!(PerpetratorRelationship::Parent.may_be(C::Mother));
        assert!(PerpetratorRelationship::Father.may_be(C::Father));
        assert!(!PerpetratorRelationship::Father.may_be(C::Mother));
        assert!(!PerpetratorRelationship::Relative.may_be(C::Grandparent));
    }
}
