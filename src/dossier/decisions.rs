//! Mẫu 04, 05 and 07: the plan, and the chair's decisions (approving it, separating the child).

use super::forms::{child_name, grounds_of_decision, opt_text, who, who_text, Filled};
use super::sheet::{date, number, time, Fields, SheetTable, Signature, Text};
use super::Names;
use aggregates::codes::*;
use projections::record::{CaseDocument, PlanView};

fn plan_status(status: &str) -> Text {
    match status {
        "submitted" => Text::new("Đã trình, chờ phê duyệt", "Submitted, awaiting approval"),
        "approved" => Text::new("Đã phê duyệt", "Approved"),
        "returned" => Text::new("Trả lại để sửa", "Returned"),
        "superseded" => Text::new("Đã được thay thế", "Superseded"),
        other => Text::same(other),
    }
}

fn plan_items(p: &PlanView) -> SheetTable {
    SheetTable {
        columns: vec![
            Text::new("TT", "No."),
            Text::new("Biện pháp", "Measure"),
            Text::new("Loại dịch vụ", "Service"),
            Text::new("Người, cơ quan chịu trách nhiệm", "Responsible"),
            Text::new("Đơn vị cung cấp dịch vụ", "Provider"),
            Text::new("Bắt đầu", "Starts"),
            Text::new("Kết thúc", "Ends"),
            Text::new("Dự toán (đồng)", "Cost estimate (VND)"),
        ],
        rows: p
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                vec![
                    Text::same((i + 1).to_string()),
                    Text::code::<PlanMeasure>(&item.measure),
                    Text::code::<ServiceType>(&item.service_type),
                    Text::same(&item.responsible),
                    Text::same(item.provider.clone().unwrap_or_default()),
                    date(item.starts_on),
                    date(item.ends_on),
                    item.cost_estimate_vnd
                        .map(number)
                        .unwrap_or_else(|| Text::same("")),
                ]
            })
            .collect(),
    }
}

fn total_cost(p: &PlanView) -> u64 {
    p.items.iter().filter_map(|i| i.cost_estimate_vnd).sum()
}

/// Mẫu 04: the latest plan version, with the needs meeting its dossier includes.
pub(super) fn plan(doc: &CaseDocument, names: &Names<'_>) -> Option<Filled> {
    let p = doc.plan.as_ref()?;
    let mut f = Fields::default();
    f.add(
        "plan.version",
        "Phiên bản",
        "Version",
        Text::same(p.version.to_string()),
    )
    .add(
        "plan.status",
        "Trạng thái",
        "Status",
        plan_status(&p.status),
    )
    .add(
        "plan.submitted_at",
        "Thời điểm trình",
        "Submitted at",
        time(&p.submitted_at),
    )
    .add(
        "plan.submitted_by",
        "Người lập kế hoạch",
        "Drafted by",
        who_text(&p.submitted_by, names),
    )
    .add(
        "plan.cost_estimate_vnd",
        "Tổng dự toán (đồng)",
        "Total cost estimate (VND)",
        number(total_cost(p)),
    );
    let mut sections = vec![f.section("1. Thông tin kế hoạch", "1. The plan")];
    if let Some(m) = &doc.needs_meeting {
        let mut meeting = Fields::default();
        meeting
            .add(
                "needs_meeting.held_at",
                "Thời điểm họp",
                "Held at",
                time(&m.held_at),
            )
            .add(
                "needs_meeting.chaired_by",
                "Chủ trì",
                "Chaired by",
                Text::same(&m.chaired_by),
            )
            .add(
                "needs_meeting.attendees",
                "Thành phần tham dự",
                "Attendees",
                Text::same(m.attendees.join("; ")),
            )
            .add(
                "needs_meeting.decisions",
                "Kết luận",
                "Decisions",
                Text::same(&m.decisions),
            );
        sections.push(meeting.section(
            "2. Họp xác định nhu cầu (biên bản)",
            "2. Needs meeting (minutes)",
        ));
    }
    let mut items = Fields::default().section(
        "3. Các hoạt động hỗ trợ, can thiệp",
        "3. Support and intervention measures",
    );
    items.table = Some(plan_items(p));
    sections.push(items);
    let signatures = vec![Signature {
        role: Text::new("Người lập kế hoạch", "Drafted by"),
        name: who(&p.submitted_by, names),
    }];
    Some((Some(p.submitted_at.clone()), sections, signatures))
}

/// Mẫu 05: the chair's decision approving the latest approved plan version.
pub(super) fn approval(doc: &CaseDocument, names: &Names<'_>) -> Option<Filled> {
    let p = doc.plans.iter().rev().find(|p| p.status == "approved")?;
    let decided_at = p.decided_at.clone()?;
    let child = child_name(doc).map(|n| format!(" {n}")).unwrap_or_default();
    let mut articles = Fields::default();
    articles
        .line(Text::new(
            format!(
                "Điều 1. Phê duyệt kế hoạch hỗ trợ, can thiệp (phiên bản {}) đối với trẻ em{child}, hồ sơ số {}, gồm {} hoạt động, tổng dự toán {} đồng (kèm theo Mẫu số 04).",
                p.version,
                doc.case_number,
                p.items.len(),
                number(total_cost(p)).vi
            ),
            format!(
                "Article 1. The support and intervention plan (version {}) for the child{child}, case {}, is approved: {} measures, cost estimate {} VND in total (Mẫu 04 attached).",
                p.version,
                doc.case_number,
                p.items.len(),
                number(total_cost(p)).en
            ),
        ))
        .line(Text::new(
            "Điều 2. Người làm công tác bảo vệ trẻ em cấp xã và các cơ quan, tổ chức, cá nhân có tên trong kế hoạch chịu trách nhiệm thi hành Quyết định này.",
            "Article 2. The commune child-protection worker and the bodies and people the plan names carry out this decision.",
        ))
        .opt("plan.comment", "Ý kiến", "Comment", opt_text(&p.comment))
        .add("plan.decided_at", "Thời điểm quyết định", "Decided at", time(&decided_at));
    let sections = vec![
        grounds_of_decision(Text::new(
            format!(
                "Xét kế hoạch hỗ trợ, can thiệp trình lúc {};",
                time(&p.submitted_at).vi
            ),
            format!(
                "Having considered the plan submitted at {};",
                time(&p.submitted_at).en
            ),
        )),
        articles.section("Quyết định", "Decision"),
    ];
    let signatures = vec![Signature {
        role: Text::new(
            "Chủ tịch Ủy ban nhân dân",
            "Chair of the People's Committee",
        ),
        name: who(&p.decided_by, names),
    }];
    Some((Some(decided_at), sections, signatures))
}

/// Mẫu 07: the chair's decision on the (latest) temporary separation, its extensions and end.
pub(super) fn separation(doc: &CaseDocument, names: &Names<'_>) -> Option<Filled> {
    let s = doc.separation.as_ref()?;
    let child = child_name(doc).map(|n| format!(" {n}")).unwrap_or_default();
    let mut f = Fields::default();
    f.line(Text::new(
        format!(
            "Điều 1. Tạm thời cách ly trẻ em{child} (hồ sơ số {}) khỏi cha, mẹ, người chăm sóc trẻ em, đến {}.",
            doc.case_number,
            time(&s.until).vi
        ),
        format!(
            "Article 1. The child{child} (case {}) is temporarily separated from the parents or carer until {}.",
            doc.case_number,
            time(&s.until).en
        ),
    ))
    .add(
        "separation.grounds",
        "Lý do (Điều 32 khoản 1)",
        "Grounds (art. 32(1))",
        Text::codes::<SeparationGround>(&s.grounds),
    )
    .add(
        "separation.placement",
        "Nơi tạm trú an toàn, chăm sóc thay thế",
        "Safe placement, alternative care",
        Text::same(&s.placement),
    )
    .add("separation.decided_at", "Thời điểm quyết định", "Decided at", time(&s.decided_at))
    .add("separation.until", "Thời hạn cách ly đến", "Separated until", time(&s.until))
    .add(
        "separation.extensions",
        "Gia hạn đến",
        "Extended to",
        Text::join(&s.extensions.iter().map(|e| time(e)).collect::<Vec<_>>(), "; "),
    )
    .opt(
        "separation.court_until",
        "Theo quyết định của cơ quan có thẩm quyền đến",
        "Ordered by a competent authority until",
        s.court_until.as_deref().map(time),
    )
    .opt("separation.notes", "Ghi chú", "Notes", opt_text(&s.notes))
    .opt("separation.ended_at", "Chấm dứt lúc", "Ended at", s.ended_at.as_deref().map(time))
    .opt(
        "separation.end_reason",
        "Lý do chấm dứt",
        "End reason",
        s.end_reason.as_deref().map(Text::code::<SeparationEndReason>),
    )
    .opt(
        "separation.court_order_ref",
        "Số quyết định của tòa án",
        "Court order",
        opt_text(&s.court_order_ref),
    );
    let sections = vec![
        grounds_of_decision(Text::new(
            "Căn cứ Điều 32 Nghị định số 56/2017/NĐ-CP về tạm thời cách ly trẻ em khỏi cha, mẹ, người chăm sóc;",
            "Having regard to art. 32 of Decree 56/2017/NĐ-CP on temporary separation;",
        )),
        f.section("Quyết định", "Decision"),
    ];
    let signatures = vec![Signature {
        role: Text::new(
            "Chủ tịch Ủy ban nhân dân",
            "Chair of the People's Committee",
        ),
        name: who(&s.decided_by, names),
    }];
    Some((Some(s.decided_at.clone()), sections, signatures))
}
