//! Issued periodic reports (supervisors): the list, an issued report's page (who, when, the
//! event-log position, each file's SHA-256, whether the log still reproduces it, what differs
//! now) and its stored files, byte for byte.

use super::cases::{texts, Texts};
use super::format::{self, pick};
use super::pages::Chrome;
use super::reports::{
    attachment, file_answer, period_words, report_view, supervisor, unit_words, ReportView,
};
use super::session::Staff;
use super::{html, WebError};
use crate::app::reports as app;
use crate::http::errors::Lang;
use crate::http::AppState;
use crate::reports::issued::Issued;
use crate::reports::period;
use crate::reports::render::Format;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{web, HttpResponse};
use askama::Template;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct IssuedRow {
    pub href: String,
    pub template: String,
    pub unit: String,
    pub period: String,
    pub issued_at: String,
    pub by: String,
}

#[derive(Template)]
#[template(path = "issued_list.html")]
pub struct IssuedListPage {
    pub page: Chrome,
    pub rows: Vec<IssuedRow>,
    pub t: Texts,
}

fn template_name(state: &AppState, id: &str, lang: Lang) -> String {
    state
        .templates
        .get(id)
        .map_or_else(|| id.to_owned(), |t| pick(lang, &t.name.vi, &t.name.en))
}

fn period_of(state: &AppState, issued: &Issued) -> String {
    state
        .templates
        .get(&issued.template)
        .and_then(|t| period::parse(&t.period, &issued.period))
        .map_or_else(|| issued.period.clone(), |p| period_words(&p))
}

/// `GET /reports/issued`: the issued reports of the supervisor's units, newest first.
pub async fn issued_list(
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, WebError> {
    supervisor(&staff)?;
    let lang = staff.lang;
    let items = app::list(&state, &staff.caller, None, 200)
        .await
        .map_err(|e| WebError::api(lang, e))?;
    let rows = items
        .iter()
        .map(|i| IssuedRow {
            href: format!("/reports/issued/{}", i.id),
            template: template_name(&state, &i.template, lang),
            unit: unit_words(&state, &i.unit),
            period: period_of(&state, i),
            issued_at: format::time(i.issued_at),
            by: i.issued_by_username.clone(),
        })
        .collect();
    html(&IssuedListPage {
        page: staff
            .chrome(&pick(lang, "Các báo cáo đã lập", "Issued reports"))
            .at("/reports/issued"),
        rows,
        t: texts(
            lang,
            &[
                ("heading", "Các báo cáo đã lập", "Issued reports"),
                ("new", "Lập báo cáo mới", "Prepare a new report"),
                ("template", "Mẫu báo cáo", "Template"),
                ("unit", "Đơn vị", "Unit"),
                ("period", "Kỳ", "Period"),
                ("issued_at", "Thời điểm lập", "Issued at"),
                ("by", "Người lập", "Issued by"),
                ("open", "Xem", "Open"),
                (
                    "none",
                    "Chưa có báo cáo nào được lập.",
                    "No report has been issued yet.",
                ),
            ],
        ),
    })
}

#[derive(Debug, Clone)]
pub struct FileRow {
    pub format: String,
    pub href: String,
    pub sha256: String,
}

#[derive(Debug, Clone)]
pub struct DifferenceRow {
    pub table: String,
    pub row: String,
    pub column: String,
    pub issued: String,
    pub now: String,
}

#[derive(Template)]
#[template(path = "issued.html")]
pub struct IssuedPage {
    pub page: Chrome,
    pub title: String,
    pub unit: String,
    pub period: String,
    pub issued_at: String,
    pub issued_by: String,
    pub issued_by_unit: String,
    pub position: String,
    pub computed_at: String,
    pub reproduced: bool,
    pub reproduced_words: String,
    pub files: Vec<FileRow>,
    pub differences: Vec<DifferenceRow>,
    /// The issued figures (computed again at the issued position) when they reproduce.
    pub report: Option<ReportView>,
    pub t: Texts,
}

fn cell(v: Option<i64>) -> String {
    v.map_or_else(|| "—".to_owned(), format::number)
}

/// `GET /reports/issued/{id}`: an issued report of the supervisor's jurisdiction (another's is
/// the not-found page).
pub async fn issued_page(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    supervisor(&staff)?;
    let lang = staff.lang;
    let id = Uuid::parse_str(&id).map_err(|_| WebError::NotFound(lang))?;
    let d = app::detail(&state, &staff.caller, id)
        .await
        .map_err(|e| WebError::api(lang, e))?;
    let i = &d.issued;
    let differences = d
        .differences
        .iter()
        .map(|x| {
            let table = d.frozen.tables.iter().find(|t| t.id == x.table);
            DifferenceRow {
                table: table
                    .map_or_else(|| x.table.clone(), |t| pick(lang, &t.title_vi, &t.title_en)),
                row: table
                    .and_then(|t| t.rows.iter().find(|r| r.key == x.row))
                    .map_or_else(|| x.row.clone(), |r| pick(lang, &r.vi, &r.en)),
                column: table
                    .and_then(|t| t.columns.get(x.column))
                    .map_or_else(|| x.column_vi.clone(), |c| pick(lang, &c.vi, &c.en)),
                issued: cell(x.issued),
                now: cell(x.now),
            }
        })
        .collect();
    let files = Format::ALL
        .iter()
        .map(|f| FileRow {
            format: f.code().to_uppercase(),
            href: format!("/reports/issued/{}/file?format={}", i.id, f.code()),
            sha256: i.sha256.get(f.code()).cloned().unwrap_or_default(),
        })
        .collect();
    let page = IssuedPage {
        page: staff
            .chrome(&template_name(&state, &i.template, lang))
            .at(&format!("/reports/issued/{}", i.id)),
        title: template_name(&state, &i.template, lang),
        unit: unit_words(&state, &i.unit),
        period: period_of(&state, i),
        issued_at: format::time(i.issued_at),
        issued_by: i.issued_by_username.clone(),
        issued_by_unit: unit_words(&state, &i.issued_by_unit),
        position: i.position.clone(),
        computed_at: format::time(i.computed_at),
        reproduced: d.reproduced,
        reproduced_words: if d.reproduced {
            pick(
                lang,
                "Có: đọc lại nhật ký sự kiện tại vị trí đã lập cho đúng từng byte của mọi tệp.",
                "Yes: the event log read again at the issued position gives every file byte for byte.",
            )
        } else {
            pick(
                lang,
                "Không: nhật ký sự kiện không còn cho lại đúng các tệp đã lập. Cần kiểm tra ngay; các tệp đã lập vẫn tải về được như đã lưu.",
                "No: the event log no longer gives the issued files. Investigate at once; the issued files still download as stored.",
            )
        },
        files,
        differences,
        report: d.reproduced.then(|| report_view(&d.frozen, lang)),
        t: texts(
            lang,
            &[
                ("back", "Các báo cáo đã lập", "Issued reports"),
                ("issued", "Báo cáo đã lập", "Issued report"),
                ("unit", "Đơn vị", "Unit"),
                ("unit_label", "Đơn vị", "Unit"),
                ("period", "Kỳ báo cáo", "Period"),
                ("period_label", "Kỳ", "Period"),
                ("issued_at", "Thời điểm lập", "Issued at"),
                ("by", "Người lập", "Issued by"),
                ("by_unit", "Đơn vị lập", "Issuing unit"),
                ("position", "Vị trí nhật ký sự kiện", "Event-log position"),
                ("computed", "Thời điểm tính", "Computed at"),
                ("reproduced", "Tái lập được từ nhật ký", "Reproduced from the log"),
                ("files", "Các tệp đã lập", "Issued files"),
                ("format", "Định dạng", "Format"),
                ("sha", "SHA-256", "SHA-256"),
                ("download", "Tải về", "Download"),
                ("differences", "Khác biệt so với số liệu hiện nay", "Differences from the figures now"),
                (
                    "differences_hint",
                    "Ô có số liệu khác khi tính lại bây giờ (đính chính, ghi nhận muộn, thời hạn đã đến hạn sau khi lập).",
                    "Cells that differ when computed now (corrections, late records, deadlines fallen due since).",
                ),
                ("no_differences", "Không có khác biệt: số liệu hiện nay giống như khi lập.", "No differences: the figures now are those issued."),
                ("table", "Bảng", "Table"),
                ("row", "Dòng", "Row"),
                ("column", "Cột", "Column"),
                ("was", "Khi lập", "Issued"),
                ("now", "Hiện nay", "Now"),
                ("figures", "Số liệu đã lập", "Issued figures"),
                ("print_hint", "In trang này: Ctrl+P (khổ A4 ngang).", "Print this page: Ctrl+P (A4 landscape)."),
            ],
        ),
    };
    html(&page)
}

#[derive(serde::Deserialize)]
pub struct FileQuery {
    format: Option<String>,
}

/// `GET /reports/issued/{id}/file?format=json|csv|xlsx`: the stored file, byte for byte, its
/// SHA-256 in `x-content-sha256`.
pub async fn file(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    query: web::Query<FileQuery>,
) -> Result<HttpResponse, WebError> {
    supervisor(&staff)?;
    let lang = staff.lang;
    let id = Uuid::parse_str(&id).map_err(|_| WebError::NotFound(lang))?;
    let format = app::format_of(query.format.as_deref()).map_err(|e| WebError::api(lang, e))?;
    let (issued, bytes) = app::file(&state, &staff.caller, id, format)
        .await
        .map_err(|e| WebError::api(lang, e))?;
    let title = state
        .templates
        .get(&issued.template)
        .map_or_else(|| issued.template.clone(), |t| t.name.vi.clone());
    let unit = state
        .units
        .get(&issued.unit)
        .map_or_else(|| issued.unit.clone(), |u| u.name);
    let mut response = file_answer(
        attachment(&title, &unit, &issued.period, format),
        format,
        bytes,
    );
    if let Some(v) = issued
        .sha256
        .get(format.code())
        .and_then(|h| HeaderValue::from_str(h).ok())
    {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-content-sha256"), v);
    }
    Ok(response)
}
