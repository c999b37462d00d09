//! Báo cáo định kỳ (periodic reports, supervisors): the picker, a preview drawn as HTML tables,
//! issuing (POST + CSRF, then the issued report's page) and the preview's downloads. The issued
//! reports' list and pages are in `issued.rs`. Every figure comes from `crate::app::reports`,
//! the functions the API calls.

use super::cases::{texts, Texts};
use super::form_views::{OptView, SummaryEntry};
use super::format::pick;
use super::pages::Chrome;
pub use super::report_view::*;
use super::session::{field, form_pairs, Staff};
use super::statistics::url_part;
use super::{html, see_other, WebError};
use crate::app::reports::{self as app, Audience};
use crate::http::errors::{ApiError, Lang};
use crate::http::AppState;
use crate::reports::build::Report;
use crate::reports::period;
use crate::reports::render;
use actix_web::{web, HttpRequest, HttpResponse};
use aggregates::codes::Role;
use aggregates::deadlines::calendar::local_date;
use askama::Template;
use uuid::Uuid;

/// What a picker (or a posted issue form) asks for, defaults filled in.
#[derive(Debug, Clone, Default)]
pub struct Chosen {
    pub template: String,
    pub unit: String,
    pub period: String,
    pub audience: String,
}

#[derive(serde::Deserialize, Default)]
pub struct PickQuery {
    template: Option<String>,
    unit: Option<String>,
    period: Option<String>,
    audience: Option<String>,
    format: Option<String>,
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

impl Chosen {
    /// The request's choices; what is missing takes the default: the six-month template, the
    /// supervisor's own unit, the template's last complete period, the official report. With
    /// `fit`, a period off the template's grid also takes the default (the template changed).
    fn of(state: &AppState, staff: &Staff, q: &PickQuery, fit: bool) -> Self {
        let templates = state.templates.all();
        let template = given(&q.template)
            .or_else(|| state.templates.get("six_month").map(|t| t.id.clone()))
            .or_else(|| templates.first().map(|t| t.id.clone()))
            .unwrap_or_default();
        let unit = given(&q.unit)
            .or_else(|| {
                app::report_units(state, &staff.caller)
                    .ok()
                    .and_then(|u| u.first().map(|u| u.code.clone()))
            })
            .unwrap_or_default();
        let today = local_date(state.clock.now());
        let default_period = state.templates.get(&template).and_then(|t| {
            period::last_complete(&t.period, today)
                .or_else(|| period::recent(&t.period, today, 1).pop())
                .map(|p| p.id)
        });
        let period = match given(&q.period) {
            Some(p)
                if !fit
                    || state
                        .templates
                        .get(&template)
                        .is_some_and(|t| period::parse(&t.period, &p).is_some()) =>
            {
                p
            }
            _ => default_period.unwrap_or_default(),
        };
        Self {
            template,
            unit,
            period,
            audience: given(&q.audience).unwrap_or_else(|| "official".into()),
        }
    }

    fn query(&self) -> String {
        format!(
            "template={}&unit={}&period={}&audience={}",
            url_part(&self.template),
            url_part(&self.unit),
            url_part(&self.period),
            url_part(&self.audience)
        )
    }
}

/// The picker's choices, the chosen ones selected.
#[derive(Debug, Clone)]
pub struct Picker {
    pub templates: Vec<OptView>,
    pub units: Vec<OptView>,
    pub periods: Vec<OptView>,
    pub audiences: Vec<OptView>,
}

fn opt(code: &str, label: String, chosen: &str, id: String) -> OptView {
    OptView {
        selected: code == chosen,
        code: code.to_owned(),
        label,
        id,
    }
}

fn picker(state: &AppState, staff: &Staff, chosen: &Chosen) -> Picker {
    let lang = staff.lang;
    let templates = state
        .templates
        .all()
        .iter()
        .map(|t| {
            opt(
                &t.id,
                pick(lang, &t.name.vi, &t.name.en),
                &chosen.template,
                String::new(),
            )
        })
        .collect();
    let units = app::report_units(state, &staff.caller)
        .unwrap_or_default()
        .into_iter()
        .map(|u| {
            let label = if u.depth == 0 {
                format!("{} ({})", u.name, u.code)
            } else {
                format!("— {} ({})", u.name, u.code)
            };
            opt(&u.code, label, &chosen.unit, String::new())
        })
        .collect();
    let today = local_date(state.clock.now());
    let mut periods: Vec<OptView> = state
        .templates
        .get(&chosen.template)
        .map(|t| {
            period::recent(&t.period, today, 12)
                .into_iter()
                .map(|p| {
                    let mut label = period_words(&p);
                    if p.last_day >= today {
                        label.push_str(&pick(lang, " — đang diễn ra", " — in progress"));
                    }
                    opt(&p.id, label, &chosen.period, String::new())
                })
                .collect()
        })
        .unwrap_or_default();
    // A period typed into the address that the list does not offer stays visible as chosen.
    if !chosen.period.is_empty() && !periods.iter().any(|p| p.selected) {
        periods.push(opt(
            &chosen.period,
            chosen.period.clone(),
            &chosen.period,
            String::new(),
        ));
    }
    let audiences = [
        (
            "official",
            pick(
                lang,
                "Chính thức (gửi cấp trên: đủ số liệu, MẬT)",
                "Official (to the level above: every figure, confidential)",
            ),
        ),
        (
            "public",
            pick(
                lang,
                "Công bố (ô nhỏ được ẩn)",
                "Public (small cells withheld)",
            ),
        ),
    ]
    .into_iter()
    .map(|(code, label)| opt(code, label, &chosen.audience, format!("f-audience-{code}")))
    .collect();
    Picker {
        templates,
        units,
        periods,
        audiences,
    }
}

#[derive(Template)]
#[template(path = "reports.html")]
pub struct ReportsPage {
    pub page: Chrome,
    pub picker: Picker,
    pub chosen: Chosen,
    pub summary: Vec<SummaryEntry>,
    pub summary_heading: String,
    pub report: Option<ReportView>,
    /// The period has not ended: its figures will still change.
    pub in_progress: bool,
    /// `?…` of the downloads (the chosen report).
    pub query: String,
    /// The issuing form's one-time key: submitting it twice issues once.
    pub issue_key: Uuid,
    pub t: Texts,
}

pub(super) fn report_texts(lang: Lang) -> Texts {
    texts(
        lang,
        &[
            ("heading", "Báo cáo định kỳ", "Periodic reports"),
            ("template", "Mẫu báo cáo", "Report template"),
            ("unit", "Đơn vị báo cáo", "Reporting unit"),
            ("period", "Kỳ báo cáo", "Period"),
            ("audience", "Đối tượng nhận", "Audience"),
            ("show", "Xem trước", "Preview"),
            ("change", "Cập nhật danh sách kỳ theo mẫu", "List this template's periods"),
            ("issued", "Các báo cáo đã lập", "Issued reports"),
            ("preview", "Xem trước (chưa lập)", "Preview (not issued)"),
            ("downloads", "Tải về bản xem trước", "Download the preview"),
            ("issue_heading", "Lập báo cáo chính thức", "Issue the official report"),
            (
                "issue_hint",
                "Số liệu được cố định tại vị trí hiện tại của nhật ký sự kiện; mỗi tệp (JSON, CSV, XLSX) được lưu kèm mã SHA-256 và tải về đúng từng byte về sau.",
                "The figures are frozen at the event log's current position; each file (JSON, CSV, XLSX) is stored with its SHA-256 and downloads byte for byte later.",
            ),
            ("issue", "Lập báo cáo", "Issue the report"),
            (
                "public_no_issue",
                "Bản công bố không được lập: chọn đối tượng \"Chính thức\" để lập báo cáo.",
                "A public copy is not issued: choose the official audience to issue the report.",
            ),
            (
                "in_progress",
                "Kỳ báo cáo này chưa kết thúc: số liệu còn thay đổi. Báo cáo định kỳ thường được lập sau ngày cuối kỳ.",
                "This period has not ended: its figures will still change. A periodic report is usually issued after the period's last day.",
            ),
            ("unit_label", "Đơn vị", "Unit"),
            ("period_label", "Kỳ", "Period"),
            ("position", "Vị trí nhật ký sự kiện", "Event-log position"),
            ("computed", "Thời điểm tính", "Computed at"),
            ("print_hint", "In trang này: Ctrl+P (khổ A4 ngang).", "Print this page: Ctrl+P (A4 landscape)."),
        ],
    )
}

fn chrome(staff: &Staff, title: &str, here: &str) -> Chrome {
    staff.chrome(title).at(&url_part(here))
}

/// The page of a picker with, when computed, its report; `errors` shown in the summary.
fn page(
    state: &AppState,
    staff: &Staff,
    chosen: Chosen,
    report: Option<&Report>,
    errors: Vec<SummaryEntry>,
    here: &str,
) -> ReportsPage {
    let lang = staff.lang;
    ReportsPage {
        page: chrome(
            staff,
            &pick(lang, "Báo cáo định kỳ", "Periodic reports"),
            here,
        ),
        picker: picker(state, staff, &chosen),
        query: chosen.query(),
        issue_key: Uuid::now_v7(),
        chosen,
        summary: errors,
        summary_heading: pick(lang, "Cần sửa", "Please correct"),
        report: report.map(|r| report_view(r, lang)),
        in_progress: report.is_some_and(|r| r.period.last_day >= local_date(state.clock.now())),
        t: report_texts(lang),
    }
}

/// The error summary of a refused report request, each entry linking to its field.
fn summary(e: &ApiError, lang: Lang) -> Vec<SummaryEntry> {
    if e.errors.is_empty() {
        let field = if e.code.contains("unit") {
            "unit"
        } else {
            "template"
        };
        return vec![SummaryEntry {
            href: format!("#f-{field}"),
            message: e.title.get(lang).to_owned(),
        }];
    }
    e.errors
        .iter()
        .map(|f| SummaryEntry {
            href: format!(
                "#f-{}",
                if f.field == "audience" {
                    "audience-official"
                } else {
                    f.field.as_str()
                }
            ),
            message: f.message.get(lang).to_owned(),
        })
        .collect()
}

/// The chosen report computed now (the API's preview).
async fn compute(state: &AppState, staff: &Staff, chosen: &Chosen) -> Result<Report, ApiError> {
    let audience = Audience::parse(Some(chosen.audience.as_str()))?;
    app::preview(
        state,
        &staff.caller,
        &chosen.template,
        &chosen.unit,
        &chosen.period,
        audience,
    )
    .await
}

/// Reports are the supervisors' (the statistics' rule); other roles get the forbidden page.
pub(super) fn supervisor(staff: &Staff) -> Result<(), WebError> {
    if staff.has_role(Role::Supervisor) {
        Ok(())
    } else {
        Err(WebError::Forbidden(staff.lang))
    }
}

/// A refused report request: the picker with its errors, with the refusal's status (a server
/// failure is the error page).
fn refused(
    state: &AppState,
    staff: &Staff,
    chosen: Chosen,
    e: ApiError,
    here: &str,
) -> Result<HttpResponse, WebError> {
    if e.status.is_server_error() {
        return Err(WebError::api(staff.lang, e));
    }
    let errors = summary(&e, staff.lang);
    let page = page(state, staff, chosen, None, errors, here);
    Ok(HttpResponse::build(e.status)
        .content_type("text/html; charset=utf-8")
        .body(page.render()?))
}

/// `GET /reports?template=&unit=&period=&audience=`: the picker, defaults filled in.
pub async fn reports(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<PickQuery>,
) -> Result<HttpResponse, WebError> {
    supervisor(&staff)?;
    let chosen = Chosen::of(&state, &staff, &query, true);
    html(&page(&state, &staff, chosen, None, Vec::new(), "/reports"))
}

/// `GET /reports/preview?template=&unit=&period=&audience=`: the report computed now, as
/// tables, with its downloads and (official) the issue form; a refused request is the picker
/// with its errors.
pub async fn preview(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<PickQuery>,
) -> Result<HttpResponse, WebError> {
    supervisor(&staff)?;
    let chosen = Chosen::of(&state, &staff, &query, false);
    let here = format!("/reports/preview?{}", chosen.query());
    match compute(&state, &staff, &chosen).await {
        Ok(report) => html(&page(
            &state,
            &staff,
            chosen,
            Some(&report),
            Vec::new(),
            &here,
        )),
        Err(e) => refused(&state, &staff, chosen, e, &here),
    }
}

/// `GET /reports/download?template=&unit=&period=&audience=&format=json|csv|xlsx`: the preview
/// as a file, the same bytes the API's preview gives.
pub async fn download(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<PickQuery>,
) -> Result<HttpResponse, WebError> {
    supervisor(&staff)?;
    let lang = staff.lang;
    let chosen = Chosen::of(&state, &staff, &query, false);
    let format = app::format_of(query.format.as_deref()).map_err(|e| WebError::api(lang, e))?;
    let report = compute(&state, &staff, &chosen)
        .await
        .map_err(|e| WebError::api(lang, e))?;
    let bytes = render::render(&report, format).map_err(|e| WebError::Internal(e.to_string()))?;
    let disposition = attachment(
        &report.title_vi,
        &report.unit.name,
        &report.period.id,
        format,
    );
    Ok(file_answer(disposition, format, bytes))
}

/// `POST /reports/issued` (`csrf_token`, `template`, `unit`, `period`, `issue_key`): issues the
/// official report and goes to its page; without the CSRF token nothing is issued, and the
/// same form submitted again goes to the report it issued.
pub async fn issue(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let pairs = form_pairs(body).await?;
    staff.check(&req, &pairs)?;
    supervisor(&staff)?;
    let chosen = Chosen {
        template: field(&pairs, "template").trim().to_owned(),
        unit: field(&pairs, "unit").trim().to_owned(),
        period: field(&pairs, "period").trim().to_owned(),
        audience: "official".into(),
    };
    let issue_key = field(&pairs, "issue_key").trim().to_owned();
    let issued = if issue_key.is_empty() {
        app::issue(
            &state,
            &staff.caller,
            &chosen.template,
            &chosen.unit,
            &chosen.period,
        )
        .await
        .map(|issued| issued.id)
    } else {
        app::issue_once(
            &state,
            &staff.caller,
            &issue_key,
            &chosen.template,
            &chosen.unit,
            &chosen.period,
        )
        .await
    };
    match issued {
        Ok(id) => Ok(see_other(&format!("/reports/issued/{id}"))),
        Err(e) => {
            let here = format!("/reports/preview?{}", chosen.query());
            refused(&state, &staff, chosen, e, &here)
        }
    }
}
