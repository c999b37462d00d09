//! The case dossier (*hồ sơ*, ND56 art. 30(3): the paper dossier the commune keeps): the forms
//! of Decree 56/2017/NĐ-CP's annex filled from a case as its reader may see it — receipt
//! (Mẫu 01), initial assessment (Mẫu 02), detailed assessment (Mẫu 03), plan (Mẫu 04), the
//! approval decision (Mẫu 05), review (Mẫu 06) and the separation decision (Mẫu 07). A pure
//! function of the case document ([`build`]); who may print it and the access-log row of each
//! print are the application layer's (`crate::app::dossier`).

mod assessments;
mod decisions;
mod forms;
mod sheet;

pub use sheet::*;

use chrono::{DateTime, Utc};
use projections::record::CaseDocument;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A form of the annex (*Mẫu số 01…07*).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Mẫu 01: the report received (*tiếp nhận thông tin*, ND56 art. 25).
    Receipt,
    /// Mẫu 02: the initial assessment and the urgent measures (ND56 art. 26, 31).
    InitialAssessment,
    /// Mẫu 03: the detailed assessment (ND56 art. 27(1)).
    DetailedAssessment,
    /// Mẫu 04: the support and intervention plan (ND56 art. 28).
    Plan,
    /// Mẫu 05: the chair's decision approving the plan (ND56 art. 28(4)).
    PlanApproval,
    /// Mẫu 06: the review (*rà soát, đánh giá*, ND56 art. 30).
    Review,
    /// Mẫu 07: the decision on temporary separation (*tạm thời cách ly*, ND56 art. 32).
    Separation,
}

impl Form {
    pub const ALL: [Form; 7] = [
        Form::Receipt,
        Form::InitialAssessment,
        Form::DetailedAssessment,
        Form::Plan,
        Form::PlanApproval,
        Form::Review,
        Form::Separation,
    ];

    /// `01` … `07`, as the annex numbers them.
    pub fn code(self) -> &'static str {
        match self {
            Form::Receipt => "01",
            Form::InitialAssessment => "02",
            Form::DetailedAssessment => "03",
            Form::Plan => "04",
            Form::PlanApproval => "05",
            Form::Review => "06",
            Form::Separation => "07",
        }
    }

    pub fn parse(code: &str) -> Option<Form> {
        Form::ALL.into_iter().find(|f| f.code() == code)
    }

    /// The form's title. Mẫu 01, 02, 06 and 07 carry the wording of the annex (as published by
    /// provincial procedure pages and legal databases); Mẫu 03, 04 and 05 are named plainly after
    /// the articles they serve, their exact annex titles not having been verified.
    pub fn title(self) -> Text {
        let (vi, en) = match self {
            Form::Receipt => (
                "Báo cáo tiếp nhận thông tin trẻ em bị xâm hại hoặc có nguy cơ bị bạo lực, bóc lột, bỏ rơi",
                "Report of information received on a child abused or at risk of violence, exploitation or abandonment",
            ),
            Form::InitialAssessment => (
                "Đánh giá nguy cơ ban đầu, thực hiện các biện pháp bảo đảm an toàn tạm thời cho trẻ em",
                "Initial risk assessment and the measures taken to keep the child safe",
            ),
            Form::DetailedAssessment => (
                "Đánh giá nguy cơ cụ thể và nhu cầu hỗ trợ của trẻ em",
                "Detailed assessment of the child's risks and needs",
            ),
            Form::Plan => ("Kế hoạch hỗ trợ, can thiệp", "Support and intervention plan"),
            Form::PlanApproval => (
                "Quyết định phê duyệt kế hoạch hỗ trợ, can thiệp",
                "Decision approving the support and intervention plan",
            ),
            Form::Review => (
                "Rà soát, đánh giá tình trạng của trẻ em sau khi thực hiện kế hoạch hỗ trợ, can thiệp",
                "Review of the child's situation after the support and intervention plan",
            ),
            Form::Separation => (
                "Quyết định về việc tạm thời cách ly trẻ em khỏi cha, mẹ, người chăm sóc trẻ em",
                "Decision on the temporary separation of the child from the parents or carer",
            ),
        };
        Text::new(vi, en)
    }

    /// The article the form serves.
    pub fn basis(self) -> &'static str {
        match self {
            Form::Receipt => "NĐ 56/2017/NĐ-CP, Điều 25",
            Form::InitialAssessment => "NĐ 56/2017/NĐ-CP, Điều 26, 31",
            Form::DetailedAssessment => "NĐ 56/2017/NĐ-CP, Điều 27",
            Form::Plan => "NĐ 56/2017/NĐ-CP, Điều 28",
            Form::PlanApproval => "NĐ 56/2017/NĐ-CP, Điều 28 khoản 4",
            Form::Review => "NĐ 56/2017/NĐ-CP, Điều 30",
            Form::Separation => "NĐ 56/2017/NĐ-CP, Điều 32",
        }
    }
}

/// Names the dossier shows beside codes: units by code, people by user id.
pub struct Names<'a> {
    pub unit: &'a dyn Fn(&str) -> String,
    pub user: &'a dyn Fn(Uuid) -> Option<String>,
}

/// The dossier of a case: every form, or one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dossier {
    pub case_id: Uuid,
    pub case_number: String,
    /// The commune acting on the case; its People's Committee keeps the paper dossier.
    pub acting_unit: String,
    pub acting_unit_name: String,
    pub printed_at: DateTime<Utc>,
    /// Who printed it (display name).
    pub printed_by: String,
    pub forms: Vec<FormSheet>,
}

/// The dossier of `doc` as its reader may see it (fields absent from the document are absent
/// from the forms), for `which` form or all of them.
pub fn build(
    doc: &CaseDocument,
    which: Option<Form>,
    names: &Names<'_>,
    printed_at: DateTime<Utc>,
    printed_by: &str,
) -> Dossier {
    let forms = Form::ALL
        .into_iter()
        .filter(|f| which.is_none_or(|w| w == *f))
        .map(|f| forms::sheet(doc, f, names))
        .collect();
    Dossier {
        case_id: doc.id,
        case_number: doc.case_number.clone(),
        acting_unit: doc.acting_unit.clone(),
        acting_unit_name: (names.unit)(&doc.acting_unit),
        printed_at,
        printed_by: printed_by.to_owned(),
        forms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_numbered_as_the_annex_and_values_read_as_vietnamese() {
        for form in Form::ALL {
            assert_eq!(Form::parse(form.code()), Some(form));
            assert!(form
                .title()
                .vi
                .chars()
                .next()
                .is_some_and(char::is_uppercase));
        }
        assert_eq!(Form::parse("08"), None);
        assert_eq!(Form::parse("1"), None);
        assert_eq!(number(1_500_000).vi, "1.500.000");
        assert_eq!(number(12).vi, "12");
        assert_eq!(time("2026-03-05T07:30:00Z").vi, "14:30 05/03/2026");
        assert_eq!(
            day_of("2026-03-05T18:30:00Z")
                .map(|d| d.to_string())
                .as_deref(),
            Some("2026-03-06"),
            "the Vietnam day"
        );
        assert_eq!(
            Text::codes::<aggregates::codes::Sex>(&["female".into(), "nonsense".into()]).vi,
            "Nữ; nonsense"
        );
    }
}
