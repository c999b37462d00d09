//! A report as the console shows it: its tables with merged group headers, counts as
//! `1.234`, withheld cells as `<N`; the download names of its files.

use super::format::{self, pick};
use super::statistics::url_part;
use crate::http::errors::Lang;
use crate::reports::build::Report;
use crate::reports::period;
use crate::reports::render::{self, confidential_mark, Format};
use actix_web::HttpResponse;
/// One cell of a report table as shown.
#[derive(Debug, Clone)]
pub struct CellView {
    /// `table/row/column`, for tests and tools reading the page.
    pub key: String,
    pub text: String,
    pub withheld: bool,
}

#[derive(Debug, Clone)]
pub struct RowView {
    pub label: String,
    pub total: bool,
    pub cells: Vec<CellView>,
}

#[derive(Debug, Clone)]
pub struct HeaderView {
    pub label: String,
    pub span: usize,
}

#[derive(Debug, Clone)]
pub struct TableView {
    pub id: String,
    pub title: String,
    /// The header over the row labels (what the rows are).
    pub corner: String,
    pub groups: Vec<HeaderView>,
    pub columns: Vec<String>,
    pub rows: Vec<RowView>,
}

/// A report as the console shows it.
#[derive(Debug, Clone)]
pub struct ReportView {
    pub title: String,
    pub unit: String,
    pub period: String,
    pub position: String,
    pub computed_at: String,
    /// The confidentiality line (official) or the public copy's note.
    pub mark: String,
    pub confidential: bool,
    /// "<5: …" when cells are withheld.
    pub withheld_note: Option<String>,
    pub tables: Vec<TableView>,
}

fn corner(dimension: &str, lang: Lang) -> String {
    let (vi, en) = match dimension {
        "commune" => ("Xã, phường, đặc khu", "Commune"),
        "rule" => ("Thời hạn", "Deadline"),
        "age_group" => ("Nhóm tuổi", "Age group"),
        "abuse_type" => ("Hình thức xâm hại", "Abuse type"),
        "environment" => ("Môi trường", "Environment"),
        "sex" => ("Giới tính", "Sex"),
        "intake_point" => ("Nơi tiếp nhận", "Intake point"),
        "channel" => ("Hình thức tiếp nhận", "Channel"),
        "measure" => ("Biện pháp", "Measure"),
        "service_type" => ("Dịch vụ", "Service"),
        "closure_reason" | "reason" => ("Lý do đóng hồ sơ", "Closure reason"),
        _ => ("", ""),
    };
    pick(lang, vi, en)
}

/// "2026-H1 (01/01/2026 – 30/06/2026)".
pub fn period_words(p: &period::ReportPeriod) -> String {
    format!(
        "{} ({} – {})",
        p.id,
        p.first_day.format("%d/%m/%Y"),
        p.last_day.format("%d/%m/%Y")
    )
}

/// The report's tables and heading in the user's language; counts as `1.234`, withheld cells
/// as `<N`, cells that do not apply as `—`.
pub fn report_view(report: &Report, lang: Lang) -> ReportView {
    let tables = report
        .tables
        .iter()
        .map(|t| TableView {
            id: t.id.clone(),
            title: pick(lang, &t.title_vi, &t.title_en),
            corner: corner(&t.row_dimension, lang),
            groups: t
                .groups
                .iter()
                .map(|g| HeaderView {
                    label: pick(lang, &g.vi, &g.en),
                    span: g.span,
                })
                .collect(),
            columns: t.columns.iter().map(|c| pick(lang, &c.vi, &c.en)).collect(),
            rows: t
                .rows
                .iter()
                .enumerate()
                .map(|(r, row)| RowView {
                    label: pick(lang, &row.vi, &row.en),
                    total: row.key == "total",
                    cells: row
                        .cells
                        .iter()
                        .enumerate()
                        .map(|(c, v)| {
                            let withheld = t.suppressed.contains(&[r, c]);
                            CellView {
                                key: format!("{}/{}/{c}", t.id, row.key),
                                text: if withheld {
                                    render::cell_text(report, t, r, c)
                                } else {
                                    v.map_or_else(|| "—".to_owned(), format::number)
                                },
                                withheld,
                            }
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let below = report.suppressed_below.unwrap_or(0);
    ReportView {
        title: pick(lang, &report.title_vi, &report.title_en),
        unit: format!("{} ({})", report.unit.name, report.unit.code),
        period: period_words(&report.period),
        position: report.position.clone(),
        computed_at: format::time(report.computed_at),
        mark: confidential_mark(report).to_owned(),
        confidential: report.confidential,
        withheld_note: report.suppressed_below.map(|_| {
            format!(
                "<{below}: {}",
                pick(
                    lang,
                    &format!("ô có từ 1 đến {} và ô bổ sung được ẩn để không nhận diện được trẻ", below.saturating_sub(1)),
                    &format!("cells of 1 to {} and complementary cells are withheld so that no child can be identified", below.saturating_sub(1)),
                )
            )
        }),
        tables,
    }
}

/// `Content-Disposition` of a report file: an ASCII name, and the Vietnamese one (RFC 6266).
pub fn attachment(title: &str, unit_name: &str, period: &str, format: Format) -> String {
    let base = format!("{title} - {unit_name} - {period}");
    let mut ascii = String::new();
    for c in format::fold(&base).chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            ascii.push(c);
        } else if !ascii.ends_with('-') {
            ascii.push('-');
        }
    }
    let ext = format.code();
    format!(
        "attachment; filename=\"{}.{ext}\"; filename*=UTF-8''{}.{ext}",
        ascii.trim_matches('-'),
        url_part(&base)
    )
}

/// A file answer of the console.
pub fn file_answer(disposition: String, format: Format, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header(("content-disposition", disposition))
        .body(bytes)
}

/// The name of a unit for headings.
pub fn unit_words(state: &crate::http::AppState, code: &str) -> String {
    format!("{} ({code})", super::cases::unit_name(state, code))
}
