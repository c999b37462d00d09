//! Each form of the dossier filled from the case document. A form whose step is not recorded
//! says so and carries no sections.

use super::sheet::{date, day_of, time, Fields, FormSheet, SheetSection, Signature, Text};
use super::{assessments, decisions, Form, Names};
use aggregates::codes::*;
use projections::record::{CaseDocument, RecordedBy};
use std::collections::BTreeMap;

pub(super) fn sheet(doc: &CaseDocument, form: Form, names: &Names<'_>) -> FormSheet {
    let filled = match form {
        Form::Receipt => Some(receipt(doc, names)),
        Form::InitialAssessment => assessments::initial_assessment(doc, names),
        Form::DetailedAssessment => assessments::detailed_assessment(doc, names),
        Form::Plan => decisions::plan(doc, names),
        Form::PlanApproval => decisions::approval(doc, names),
        Form::Review => assessments::review(doc, names),
        Form::Separation => decisions::separation(doc, names),
    };
    let (dated, sections, signatures) = filled.unwrap_or_default();
    FormSheet {
        form: form.code().to_owned(),
        title: form.title(),
        basis: form.basis().to_owned(),
        recorded: !sections.is_empty(),
        dated: dated.as_deref().and_then(day_of),
        sections,
        signatures,
    }
}

/// (the step's time, sections, signatures).
pub(super) type Filled = (Option<String>, Vec<SheetSection>, Vec<Signature>);

pub(super) fn who(by: &Option<RecordedBy>, names: &Names<'_>) -> Option<String> {
    by.as_ref().and_then(|b| (names.user)(b.user_id))
}

pub(super) fn who_text(by: &Option<RecordedBy>, names: &Names<'_>) -> Text {
    Text::same(who(by, names).unwrap_or_default())
}

pub(super) fn opt_text(s: &Option<String>) -> Option<Text> {
    s.as_ref().filter(|s| !s.is_empty()).map(Text::same)
}

pub(super) fn ratings(map: &BTreeMap<String, String>) -> Fields {
    let mut f = Fields::default();
    for (criterion, level) in map {
        let label = Text::code::<ReviewCriterion>(criterion);
        f.add(
            &format!("ratings.{criterion}"),
            &label.vi,
            &label.en,
            Text::code::<Rating>(level),
        );
    }
    f
}

const LAW: &str = "Căn cứ Luật Trẻ em ngày 05 tháng 4 năm 2016;";
const DECREE: &str = "Căn cứ Nghị định số 56/2017/NĐ-CP ngày 09 tháng 5 năm 2017 của Chính phủ quy định chi tiết một số điều của Luật Trẻ em;";

pub(super) fn grounds_of_decision(extra: Text) -> SheetSection {
    let mut f = Fields::default();
    f.line(Text::new(
        LAW,
        "Having regard to the Law on Children of 5 April 2016;",
    ))
    .line(Text::new(
        DECREE,
        "Having regard to Decree 56/2017/NĐ-CP of 9 May 2017 detailing the Law on Children;",
    ))
    .line(extra);
    f.section("Căn cứ", "Grounds")
}

pub(super) fn child_name(doc: &CaseDocument) -> Option<String> {
    doc.child.as_ref().and_then(|c| c.full_name.clone())
}

/// Mẫu 01: the report received, the child, what happened, the reporter (only for the roles
/// that may see the reporter's identity: absent otherwise, not blanked).
fn receipt(doc: &CaseDocument, names: &Names<'_>) -> Filled {
    let mut general = Fields::default();
    // The case number heads every form (`Dossier::case_number`), not repeated here.
    general
        .add(
            "received_at",
            "Thời gian tiếp nhận",
            "Received at",
            time(&doc.received_at),
        )
        .add(
            "intake_point",
            "Nơi tiếp nhận",
            "Intake point",
            Text::code::<IntakePoint>(&doc.intake_point),
        )
        .add(
            "channel",
            "Hình thức tiếp nhận",
            "Channel",
            Text::code::<Channel>(&doc.channel),
        )
        .opt(
            "received_by",
            "Người tiếp nhận",
            "Received by",
            (names.user)(doc.received_by).map(Text::same),
        )
        .add(
            "target_group",
            "Nhóm đối tượng",
            "Target group",
            Text::code::<TargetGroup>(&doc.target_group),
        )
        .add(
            "incident_unit",
            "Nơi xảy ra vụ việc",
            "Where it happened",
            Text::same((names.unit)(&doc.incident_unit)),
        );
    let mut sections = vec![general.section("A. Thông tin chung", "A. General")];

    let mut child = Fields::default();
    match &doc.child {
        Some(c) => {
            child
                .opt(
                    "child.full_name",
                    "Họ và tên",
                    "Full name",
                    opt_text(&c.full_name),
                )
                .opt(
                    "child.date_of_birth",
                    "Ngày, tháng, năm sinh",
                    "Date of birth",
                    c.date_of_birth.map(date),
                )
                .opt(
                    "child.estimated_age",
                    "Tuổi (ước lượng)",
                    "Age (estimated)",
                    c.estimated_age.map(|a| Text::same(a.to_string())),
                )
                .add("child.sex", "Giới tính", "Sex", Text::code::<Sex>(&c.sex))
                .opt(
                    "child.ethnicity",
                    "Dân tộc",
                    "Ethnicity",
                    opt_text(&c.ethnicity),
                )
                .opt(
                    "child.residence_unit",
                    "Nơi cư trú",
                    "Residence",
                    c.residence_unit
                        .as_deref()
                        .map(|u| Text::same((names.unit)(u))),
                )
                .opt("child.school", "Trường học", "School", opt_text(&c.school))
                .opt(
                    "child.condition",
                    "Tình trạng của trẻ",
                    "Condition",
                    opt_text(&c.condition),
                );
        }
        None => {
            child.line(Text::new(
                "Thông tin cá nhân của trẻ em không thuộc phạm vi được xem của người in.",
                "The child's personal information is outside what the printer may see.",
            ));
        }
    }
    child
        .add(
            "special_circumstances",
            "Hoàn cảnh đặc biệt",
            "Special circumstances",
            Text::codes::<SpecialCircumstance>(&doc.special_circumstances),
        )
        .opt(
            "juvenile",
            "Người chưa thành niên (16–17 tuổi)",
            "Juvenile (16–17)",
            doc.juvenile.then(|| Text::yes_no(true)),
        );
    sections.push(child.section("B. Thông tin về trẻ em", "B. The child"));

    let mut what = Fields::default();
    what.add(
        "abuse_types",
        "Hình thức xâm hại",
        "Abuse types",
        Text::codes::<AbuseType>(&doc.abuse_types),
    )
    .add(
        "sexual_abuse_subtypes",
        "Hình thức xâm hại tình dục",
        "Sexual abuse",
        Text::codes::<SexualAbuseSubtype>(&doc.sexual_abuse_subtypes),
    )
    .add(
        "exploitation_subtypes",
        "Hình thức bóc lột",
        "Exploitation",
        Text::codes::<ExploitationSubtype>(&doc.exploitation_subtypes),
    )
    .opt(
        "abuse_environment",
        "Môi trường xảy ra",
        "Environment",
        doc.abuse_environment
            .as_deref()
            .map(Text::code::<AbuseEnvironment>),
    )
    .opt(
        "perpetrator_relationship",
        "Quan hệ của người gây hại với trẻ",
        "Perpetrator's relationship to the child",
        doc.perpetrator_relationship
            .as_deref()
            .map(Text::code::<PerpetratorRelationship>),
    )
    .opt(
        "immediate_danger",
        "Trẻ đang gặp nguy hiểm trước mắt",
        "Child in immediate danger",
        doc.immediate_danger.map(Text::yes_no),
    )
    .opt(
        "description",
        "Mô tả sự việc",
        "What happened",
        opt_text(&doc.description),
    );
    sections.push(what.section("C. Thông tin về sự việc", "C. What happened"));

    if let Some(r) = &doc.reporter {
        let mut reporter = Fields::default();
        reporter
            .opt("reporter.name", "Họ và tên", "Name", opt_text(&r.name))
            .opt("reporter.phone", "Điện thoại", "Phone", opt_text(&r.phone))
            .opt(
                "reporter.address",
                "Địa chỉ",
                "Address",
                opt_text(&r.address),
            )
            .opt(
                "reporter.relationship",
                "Quan hệ với trẻ",
                "Relationship to the child",
                opt_text(&r.relationship),
            )
            .add(
                "reporter.consent",
                "Đồng ý ghi thông tin cá nhân",
                "Consents to being recorded",
                Text::yes_no(r.consent),
            );
        sections.push(reporter.section(
            "D. Người báo tin (thông tin bảo mật)",
            "D. The reporter (confidential)",
        ));
    }
    let signatures = vec![Signature {
        role: Text::new("Người tiếp nhận", "Received by"),
        name: (names.user)(doc.received_by),
    }];
    (Some(doc.received_at.clone()), sections, signatures)
}
