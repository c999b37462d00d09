//! Intake (Tiếp nhận, Mẫu 01): the report form with several children and the commune search.

use super::format::{self, options, pick, Opt};
use super::pages::Chrome;
use super::session::{field, form_pairs, Staff};
use super::steps::{self, FieldView, SummaryEntry};
use super::{html, see_other, WebError};
use crate::http::dto::ReportDto;
use crate::http::errors::{ApiError, Lang};
use crate::http::extract::parse_json;
use crate::http::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use aggregates::codes::*;
use askama::Template;
use serde_json::Value;

use super::cases::*;
use super::intake_matches::{self as matching, MatchPanel};

#[derive(Template)]
#[template(path = "intake.html")]
pub struct IntakePage {
    pub page: Chrome,
    pub form_id: String,
    pub report: Vec<FieldView>,
    pub reporter: Vec<FieldView>,
    pub children: Vec<ChildBlock>,
    pub communes: Vec<steps::OptView>,
    pub commune_query: String,
    pub commune_error: Option<String>,
    pub summary: Vec<SummaryEntry>,
    pub child_count: usize,
    pub t: Texts,
}

#[derive(Debug, Clone)]
pub struct ChildBlock {
    pub index: usize,
    pub heading: String,
    pub fields: Vec<FieldView>,
    /// Cases that may be about this child, with the choice of what to do (search before create).
    pub matches: Option<MatchPanel>,
}

pub(super) fn report_specs(lang: Lang) -> Vec<steps::FieldSpec> {
    use steps::Input::*;
    let t = |vi: &str, en: &str| pick(lang, vi, en);
    let f = |name: &str, label: String, input: steps::Input, required: bool| steps::FieldSpec {
        name: name.into(),
        label,
        input,
        required,
    };
    vec![
        f(
            "received_at",
            t("Thời điểm tiếp nhận", "Received at"),
            Time,
            true,
        ),
        f(
            "intake_point",
            t("Nơi tiếp nhận", "Intake point"),
            Select(options::<IntakePoint>(lang)),
            true,
        ),
        f(
            "channel",
            t("Hình thức tiếp nhận", "Channel"),
            Select(options::<Channel>(lang)),
            true,
        ),
        f(
            "target_group",
            t("Nhóm đối tượng", "Target group"),
            Select(options::<TargetGroup>(lang)),
            true,
        ),
        f(
            "abuse_types",
            t("Hình thức xâm hại", "Abuse types"),
            Checks(options::<AbuseType>(lang)),
            true,
        ),
        f(
            "abuse_environment",
            t("Môi trường xảy ra", "Where it happened"),
            Select(options::<AbuseEnvironment>(lang)),
            false,
        ),
        f(
            "perpetrator_relationship",
            t("Quan hệ của người gây hại", "Perpetrator's relationship"),
            Select(options::<PerpetratorRelationship>(lang)),
            false,
        ),
        f(
            "immediate_danger",
            t(
                "Trẻ đang gặp nguy hiểm trước mắt",
                "The child is in immediate danger",
            ),
            YesNo,
            false,
        ),
        f(
            "description",
            t("Mô tả sự việc", "What happened"),
            Area,
            false,
        ),
    ]
}

pub(super) fn reporter_specs(lang: Lang) -> Vec<steps::FieldSpec> {
    use steps::Input::*;
    let t = |vi: &str, en: &str| pick(lang, vi, en);
    let f = |name: &str, label: String, input: steps::Input| steps::FieldSpec {
        name: name.into(),
        label,
        input,
        required: false,
    };
    vec![
        f(
            "reporter.consent",
            t(
                "Người báo tin đồng ý ghi lại thông tin cá nhân",
                "The reporter consents to their details being recorded",
            ),
            Check,
        ),
        f(
            "reporter.name",
            t("Họ tên người báo tin", "Reporter's name"),
            Text,
        ),
        f("reporter.phone", t("Điện thoại", "Phone"), Text),
        f("reporter.address", t("Địa chỉ", "Address"), Text),
        f(
            "reporter.relationship",
            t("Quan hệ với trẻ", "Relationship to the child"),
            Text,
        ),
    ]
}

pub(super) fn child_specs(i: usize, lang: Lang, communes: &[Opt]) -> Vec<steps::FieldSpec> {
    use steps::Input::*;
    let t = |vi: &str, en: &str| pick(lang, vi, en);
    let n = |name: &str| format!("children[{i}].{name}");
    let f = |name: String, label: String, input: steps::Input, required: bool| steps::FieldSpec {
        name,
        label,
        input,
        required,
    };
    vec![
        f(n("full_name"), t("Họ tên", "Full name"), Text, false),
        f(
            n("date_of_birth"),
            t("Ngày sinh", "Date of birth"),
            Date,
            false,
        ),
        f(
            n("estimated_age"),
            t("Hoặc tuổi ước tính", "Or estimated age"),
            Number,
            false,
        ),
        f(
            n("sex"),
            t("Giới tính", "Sex"),
            Select(options::<Sex>(lang)),
            true,
        ),
        f(n("ethnicity"), t("Dân tộc", "Ethnicity"), Text, false),
        f(
            n("residence_unit"),
            t("Nơi cư trú (xã)", "Residence (commune)"),
            Select(communes.to_vec()),
            false,
        ),
        f(n("school"), t("Trường", "School"), Text, false),
        f(
            n("condition"),
            t("Tình trạng của trẻ", "The child's condition"),
            Area,
            false,
        ),
    ]
}

/// The communes whose name matches `query` ignoring diacritics (at most 50).
pub(super) fn commune_matches(state: &AppState, query: &str) -> Vec<Opt> {
    let folded = format::fold(query.trim());
    if folded.chars().count() < 2 {
        return Vec::new();
    }
    let mut out: Vec<Opt> = state
        .units
        .all()
        .into_iter()
        .filter(|u| u.kind != "country" && u.kind != "province" && u.valid_to.is_none())
        .filter(|u| format::fold(&u.name).contains(&folded))
        .map(|u| {
            let province = u
                .parent_code
                .as_deref()
                .map(|p| unit_name(state, p))
                .unwrap_or_default();
            Opt {
                label: format!("{} — {province}", u.name),
                code: u.code,
            }
        })
        .collect();
    out.sort_by(|a, b| a.label.cmp(&b.label));
    out.truncate(50);
    out
}

#[allow(clippy::too_many_arguments)]
pub(super) fn intake_page(
    state: &AppState,
    staff: &Staff,
    pairs: Option<&[(String, String)]>,
    problem: Option<&ApiError>,
    child_count: usize,
    form_id: String,
) -> IntakePage {
    let lang = staff.lang;
    let now = format::input_value(state.clock.now());
    let commune_query = pairs.map_or(String::new(), |p| field(p, "commune_query").to_owned());
    let chosen = pairs
        .map(|p| field(p, "incident_unit").to_owned())
        .filter(|c| !c.is_empty());
    let mut communes = if commune_query.trim().is_empty() {
        let mine = communes_in_scope(state, staff);
        if mine.len() <= 50 {
            mine
        } else {
            Vec::new()
        }
    } else {
        commune_matches(state, &commune_query)
    };
    if let Some(code) = &chosen {
        if !communes.iter().any(|c| &c.code == code) {
            if let Some(u) = state.units.get(code) {
                communes.insert(
                    0,
                    Opt {
                        code: u.code,
                        label: u.name,
                    },
                );
            }
        }
    }
    // A residence chosen earlier stays among the choices.
    let mut residences = communes.clone();
    for (k, v) in pairs.unwrap_or_default() {
        if k.ends_with(".residence_unit") && !residences.iter().any(|c| &c.code == v) {
            if let Some(u) = state.units.get(v) {
                residences.push(Opt {
                    code: u.code,
                    label: u.name,
                });
            }
        }
    }
    let mut all_specs = report_specs(lang);
    all_specs.extend(reporter_specs(lang));
    for i in 0..child_count {
        all_specs.extend(child_specs(i, lang, &residences));
    }
    all_specs.push(steps::FieldSpec {
        name: "incident_unit".into(),
        label: pick(lang, "Xã nơi xảy ra", "Commune where it happened"),
        input: steps::Input::Text,
        required: true,
    });
    let (errors, summary) = problem.map_or((Vec::new(), Vec::new()), |e| {
        steps::problem_errors(e, lang, &all_specs, pairs)
    });
    let views = |specs: &[steps::FieldSpec]| steps::field_views(specs, pairs, &errors, &now, lang);
    let selected = chosen.or_else(|| (communes.len() == 1).then(|| communes[0].code.clone()));
    let commune_error = errors
        .iter()
        .find(|(f, _)| f == "incident_unit")
        .map(|(_, m)| m.clone());
    IntakePage {
        page: staff
            .chrome(&pick(lang, "Tiếp nhận thông tin", "Intake"))
            .at("/intake"),
        form_id,
        report: views(&report_specs(lang)),
        reporter: views(&reporter_specs(lang)),
        children: (0..child_count)
            .map(|i| ChildBlock {
                index: i,
                heading: format!("{} {}", pick(lang, "Trẻ", "Child"), i + 1),
                fields: views(&child_specs(i, lang, &residences)),
                matches: None,
            })
            .collect(),
        communes: opt_views(communes, selected.as_deref()),
        commune_query,
        commune_error,
        summary,
        child_count,
        t: texts(
            lang,
            &[
                (
                    "heading",
                    "Tiếp nhận thông tin (Mẫu 01)",
                    "Receive a report (Mẫu 01)",
                ),
                ("report", "Sự việc", "The report"),
                ("commune", "Xã nơi xảy ra", "Commune where it happened"),
                (
                    "commune_search",
                    "Tìm xã theo tên (không cần dấu)",
                    "Find the commune by name (accents optional)",
                ),
                ("find", "Tìm xã", "Find commune"),
                ("reporter", "Người báo tin", "The reporter"),
                ("children", "Trẻ em", "Children"),
                ("add_child", "Thêm trẻ", "Add a child"),
                ("remove_child", "Bớt trẻ cuối", "Remove the last child"),
                ("submit", "Ghi nhận tiếp nhận", "Record the report"),
                (
                    "find_matches",
                    "Kiểm tra trẻ đã có hồ sơ chưa",
                    "Check whether the children already have a case",
                ),
                (
                    "matches",
                    "Hồ sơ có thể của trẻ này",
                    "Cases that may be this child's",
                ),
                ("outside", "ngoài địa bàn của bạn", "outside your area"),
                (
                    "errors",
                    "Cần sửa các mục sau",
                    "Please correct the following",
                ),
                ("required", "bắt buộc", "required"),
                (
                    "no_match",
                    "Chưa có xã nào; hãy tìm theo tên.",
                    "No commune yet: search by name.",
                ),
            ],
        ),
    }
}

/// `GET /intake`: the report form with one child block.
pub async fn intake_form(
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, WebError> {
    if !staff.has_role(Role::HotlineOperator) && !staff.has_role(Role::SocialWorker) {
        return Err(WebError::Forbidden(staff.lang));
    }
    html(&intake_page(
        &state,
        &staff,
        None,
        None,
        1,
        crate::auth::new_token(),
    ))
}

/// `POST /intake`: `find_commune` searches communes, `add_child` / `remove_child` change the
/// child blocks (the form comes back with everything typed); otherwise the report is received
/// through the API's intake, once per `form_id` (a double submit opens nothing twice).
pub async fn intake(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let lang = staff.lang;
    let pairs = form_pairs(body).await?;
    staff.check(&req, &pairs)?;
    let count = field(&pairs, "child_count")
        .parse::<usize>()
        .unwrap_or(1)
        .clamp(1, 20);
    let form_id = Some(field(&pairs, "form_id").to_owned())
        .filter(|f| (16..=128).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_alphanumeric()))
        .unwrap_or_else(crate::auth::new_token);
    let again = |count: usize| {
        html(&intake_page(
            &state,
            &staff,
            Some(&pairs),
            None,
            count,
            form_id.clone(),
        ))
    };
    if pairs.iter().any(|(k, _)| k == "find_commune") {
        return again(count);
    }
    if pairs.iter().any(|(k, _)| k == "add_child") {
        return again((count + 1).min(20));
    }
    if pairs.iter().any(|(k, _)| k == "remove_child") {
        return again(count.saturating_sub(1).max(1));
    }
    let kept: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "commune_query" | "child_count" | "submit" | "find_matches"
            )
        })
        .filter(|(k, _)| {
            // Only the child blocks on the form.
            k.strip_prefix("children[")
                .and_then(|r| r.split(']').next())
                .and_then(|n| n.parse::<usize>().ok())
                .is_none_or(|n| n < count)
        })
        .cloned()
        .collect();
    let as_json = |fields: &[(String, String)]| {
        let mut json = format::form_to_json(fields);
        if let Value::Object(map) = &mut json {
            map.entry("children")
                .or_insert_with(|| Value::Array(Vec::new()));
        }
        json
    };
    // A form sent twice: the first sending opened the cases (the children are found now).
    if let Some(received) = crate::app::intake::already_received(&state, &staff.caller, &form_id)
        .await
        .map_err(|e| WebError::api(lang, e))?
    {
        return Ok(opened_page(&received));
    }
    // Search before create: every named child, before anything is opened.
    let found = matching::find(&state, &staff.caller, &as_json(&kept), count)
        .await
        .map_err(|e| WebError::api(lang, e))?;
    let checking = pairs.iter().any(|(k, _)| k == "find_matches");
    if checking || !matching::decided(&found, &kept) {
        // The report's own field errors beside the matches, so both are put right at once.
        let problem = if checking {
            None
        } else {
            serde_json::to_vec(&as_json(&kept)).ok().and_then(|bytes| {
                match parse_json::<ReportDto>(&bytes) {
                    Ok(dto) => dto.parse(&state.units).err(),
                    Err(e) => Some(e),
                }
            })
        };
        let mut page = intake_page(
            &state,
            &staff,
            Some(&pairs),
            problem.as_ref(),
            count,
            form_id,
        );
        let panels = matching::panels(&state, &found, &kept, lang, !checking);
        let undecided = panels
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.as_ref().and_then(|p| p.error.clone().map(|e| (i, e))))
            .collect::<Vec<_>>();
        for (block, panel) in page.children.iter_mut().zip(panels) {
            block.matches = panel;
        }
        for (i, message) in &undecided {
            page.summary.push(SummaryEntry {
                href: format!("#matches-{i}"),
                message: format!("{} {}: {message}", pick(lang, "Trẻ", "Child"), i + 1),
            });
        }
        let status = if undecided.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        return Ok(HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(page.render()?));
    }
    let json = as_json(&matching::api_fields(&found, &kept));
    let bytes = serde_json::to_vec(&json).map_err(|e| WebError::Internal(e.to_string()))?;
    let outcome = match parse_json::<ReportDto>(&bytes) {
        Ok(dto) => {
            crate::app::intake::receive_report(&state, &staff.caller, dto, Some(form_id.clone()))
                .await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(received) => Ok(opened_page(&received)),
        Err(e) if e.status == StatusCode::FORBIDDEN => Err(WebError::Forbidden(lang)),
        Err(e) => {
            let mut page = intake_page(&state, &staff, Some(&pairs), Some(&e), count, form_id);
            // The choices made stay on the form.
            for (block, panel) in page
                .children
                .iter_mut()
                .zip(matching::panels(&state, &found, &kept, lang, false))
            {
                block.matches = panel;
            }
            Ok(HttpResponse::UnprocessableEntity()
                .content_type("text/html; charset=utf-8")
                .body(page.render()?))
        }
    }
}

/// Where the console goes once a report is received: the case, or the list for several.
fn opened_page(received: &crate::app::intake::Received) -> HttpResponse {
    match received.cases.first().map(|c| c.id) {
        Some(id) if received.cases.len() == 1 => see_other(&format!("/cases/{id}?done=intake")),
        _ => see_other("/cases?assigned=any"),
    }
}
