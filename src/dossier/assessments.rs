//! Mẫu 02, 03 and 06: the assessments and the reviews, as the worker recorded them.

use super::forms::{opt_text, ratings, who, who_text, Filled};
use super::sheet::{time, Fields, SheetTable, Signature, Text};
use super::Names;
use aggregates::codes::*;
use projections::record::CaseDocument;

/// Mẫu 02: the initial assessment and the urgent measures taken.
pub(super) fn initial_assessment(doc: &CaseDocument, names: &Names<'_>) -> Option<Filled> {
    let a = doc.initial_assessment.as_ref()?;
    let mut f = Fields::default();
    f.add(
        "initial_assessment.assessed_at",
        "Thời điểm đánh giá",
        "Assessed at",
        time(&a.assessed_at),
    )
    .add(
        "initial_assessment.by",
        "Người đánh giá",
        "Assessed by",
        who_text(&a.by, names),
    )
    .add(
        "initial_assessment.outcome",
        "Kết luận",
        "Outcome",
        Text::code::<InitialOutcome>(&a.outcome),
    )
    .add(
        "initial_assessment.grounds",
        "Căn cứ xác định khẩn cấp",
        "Emergency grounds",
        Text::codes::<EmergencyGround>(&a.grounds),
    )
    .add(
        "initial_assessment.findings",
        "Nhận định",
        "Findings",
        Text::same(&a.findings),
    );
    let mut sections = vec![f.section("1. Đánh giá nguy cơ ban đầu", "1. Initial risk assessment")];
    let levels = ratings(&a.ratings);
    if !levels.0.is_empty() {
        sections.push(levels.section("2. Mức độ nguy cơ", "2. Risk ratings"));
    }
    let rows: Vec<Vec<Text>> = doc
        .urgent_measures
        .iter()
        .map(|u| {
            vec![
                time(&u.applied_at),
                Text::codes::<UrgentMeasure>(&u.measures),
                Text::same(u.notes.clone().unwrap_or_default()),
                who_text(&u.by, names),
            ]
        })
        .collect();
    let mut measures = Fields::default();
    if rows.is_empty() {
        measures.line(Text::new(
            "Chưa ghi nhận biện pháp can thiệp khẩn cấp nào.",
            "No urgent measure recorded.",
        ));
    }
    let mut section = measures.section(
        "3. Các biện pháp bảo đảm an toàn tạm thời cho trẻ em",
        "3. Measures taken to keep the child safe",
    );
    if !rows.is_empty() {
        section.table = Some(SheetTable {
            columns: vec![
                Text::new("Thời điểm", "At"),
                Text::new("Biện pháp", "Measures"),
                Text::new("Ghi chú", "Notes"),
                Text::new("Người thực hiện", "By"),
            ],
            rows,
        });
    }
    sections.push(section);
    let signatures = vec![Signature {
        role: Text::new("Người đánh giá", "Assessed by"),
        name: who(&a.by, names),
    }];
    Some((Some(a.assessed_at.clone()), sections, signatures))
}

/// Mẫu 03: the detailed assessment, items (a)–(h) of ND56 art. 27(1).
pub(super) fn detailed_assessment(doc: &CaseDocument, names: &Names<'_>) -> Option<Filled> {
    let d = doc.detailed_assessment.as_ref()?;
    let mut f = Fields::default();
    f.add(
        "detailed_assessment.assessed_at",
        "Thời điểm đánh giá",
        "Assessed at",
        time(&d.assessed_at),
    )
    .add(
        "detailed_assessment.by",
        "Người đánh giá",
        "Assessed by",
        who_text(&d.by, names),
    )
    .add(
        "detailed_assessment.physical_psychological",
        "a) Tình trạng thể chất, tâm lý, tình cảm của trẻ em",
        "a) Physical, psychological and emotional state",
        Text::same(&d.physical_psychological),
    )
    .add(
        "detailed_assessment.family",
        "b) Hoàn cảnh gia đình, khả năng bảo vệ của cha, mẹ, người chăm sóc",
        "b) Family circumstances and protective capacity",
        Text::same(&d.family),
    )
    .add(
        "detailed_assessment.risk_factors",
        "c) Các yếu tố nguy cơ",
        "c) Risk factors",
        Text::same(&d.risk_factors),
    )
    .add(
        "detailed_assessment.schooling",
        "d) Học tập, khả năng tự bảo vệ của trẻ em",
        "d) Schooling and self-protection",
        Text::same(&d.schooling),
    )
    .add(
        "detailed_assessment.community",
        "đ) An toàn và sự hỗ trợ của cộng đồng",
        "đ) Community safety and support",
        Text::same(&d.community),
    )
    .add(
        "detailed_assessment.needs",
        "e) Nhu cầu hỗ trợ của trẻ em",
        "e) The child's needs",
        Text::codes::<ServiceType>(&d.needs),
    )
    .opt(
        "detailed_assessment.child_view",
        "g) Ý kiến của trẻ em",
        "g) The child's view",
        opt_text(&d.child_view),
    )
    .opt(
        "detailed_assessment.parent_view",
        "h) Ý kiến của cha, mẹ, người chăm sóc",
        "h) The parents' or carer's view",
        opt_text(&d.parent_view),
    )
    .opt(
        "detailed_assessment.parent_view_by",
        "Ý kiến của",
        "View of",
        d.parent_view_by.as_deref().map(Text::code::<Carer>),
    );
    let signatures = vec![Signature {
        role: Text::new("Người đánh giá", "Assessed by"),
        name: who(&d.by, names),
    }];
    Some((
        Some(d.assessed_at.clone()),
        vec![f.section("Nội dung đánh giá", "The assessment")],
        signatures,
    ))
}

/// Mẫu 06: every review, each with its ratings and outcome.
pub(super) fn review(doc: &CaseDocument, names: &Names<'_>) -> Option<Filled> {
    let last = doc.reviews.last()?;
    let mut sections = Vec::new();
    for (i, r) in doc.reviews.iter().enumerate() {
        let mut f = ratings(&r.ratings);
        f.add(
            "reviews.reviewed_at",
            "Thời điểm rà soát",
            "Reviewed at",
            time(&r.reviewed_at),
        )
        .add(
            "reviews.by",
            "Người rà soát",
            "Reviewed by",
            who_text(&r.by, names),
        )
        .add(
            "reviews.outcome",
            "Kết luận",
            "Outcome",
            Text::code::<ReviewOutcome>(&r.outcome),
        )
        .opt("reviews.notes", "Ghi chú", "Notes", opt_text(&r.notes));
        sections.push(f.section(
            &format!("Lần rà soát {}", i + 1),
            &format!("Review {}", i + 1),
        ));
    }
    let signatures = vec![Signature {
        role: Text::new("Người rà soát", "Reviewed by"),
        name: who(&last.by, names),
    }];
    Some((Some(last.reviewed_at.clone()), sections, signatures))
}
