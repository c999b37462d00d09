//! XLSX with rust_xlsxwriter (MIT OR Apache-2.0, a maintained pure-Rust writer): one sheet per
//! table, Vietnamese headers, the group headers merged over their columns, A4 landscape fitted
//! to the page width, the header rows repeated on every printed page. The workbook's creation
//! time is the report's computing instant, so that the same report gives the same bytes.

use super::build::Report;
use super::render::{cell_text, confidential_mark, RenderError};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook};

/// A4 in Excel's paper-size codes.
const A4: u8 = 9;

fn err(e: impl std::fmt::Display) -> RenderError {
    RenderError(e.to_string())
}

pub fn xlsx(report: &Report) -> Result<Vec<u8>, RenderError> {
    let mut book = Workbook::new();
    let created =
        ExcelDateTime::parse_from_str(&report.computed_at.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .map_err(err)?;
    book.set_properties(
        &DocProperties::new()
            .set_title(&report.title_vi)
            .set_author("casebook")
            .set_creation_datetime(&created),
    );
    let bold = Format::new().set_bold();
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin);
    let cell = Format::new().set_border(FormatBorder::Thin);
    let label = Format::new().set_border(FormatBorder::Thin).set_text_wrap();
    for (n, t) in report.tables.iter().enumerate() {
        let sheet = book.add_worksheet();
        // Sheet names: at most 31 characters, unique; the table's number keeps them so.
        sheet
            .set_name(format!(
                "{} {}",
                n + 1,
                t.id.chars().take(26).collect::<String>()
            ))
            .map_err(err)?;
        sheet
            .set_landscape()
            .set_paper_size(A4)
            .set_print_fit_to_pages(1, 0);
        sheet.set_header(format!(
            "&L{}&R{}",
            report.unit.name,
            confidential_mark(report)
        ));
        sheet.set_footer("&CTrang &P / &N");
        sheet
            .write_string_with_format(0, 0, &report.title_vi, &bold)
            .map_err(err)?;
        sheet
            .write_string(1, 0, confidential_mark(report))
            .map_err(err)?;
        let about = format!(
            "{} ({}) — kỳ {} ({} – {}) — vị trí nhật ký {}",
            report.unit.name,
            report.unit.code,
            report.period.id,
            report.period.first_day,
            report.period.last_day,
            report.position
        );
        sheet.write_string(2, 0, &about).map_err(err)?;
        sheet
            .write_string_with_format(3, 0, &t.title_vi, &bold)
            .map_err(err)?;
        // Two header rows: the row dimension's header merged down both, the groups merged
        // across their columns, then each column's header.
        let (top, sub) = (5u32, 6u32);
        sheet
            .merge_range(top, 0, sub, 0, "", &header)
            .map_err(err)?;
        let mut col: u16 = 1;
        for g in &t.groups {
            let span = u16::try_from(g.span).map_err(err)?;
            if span > 1 {
                sheet
                    .merge_range(top, col, top, col + span - 1, &g.vi, &header)
                    .map_err(err)?;
            } else {
                sheet
                    .write_string_with_format(top, col, &g.vi, &header)
                    .map_err(err)?;
            }
            col += span;
        }
        for (c, h) in t.columns.iter().enumerate() {
            let c = u16::try_from(c + 1).map_err(err)?;
            sheet
                .write_string_with_format(sub, c, &h.vi, &header)
                .map_err(err)?;
            sheet.set_column_width(c, 11).map_err(err)?;
        }
        sheet.set_column_width(0, 32).map_err(err)?;
        sheet.set_repeat_rows(top, sub).map_err(err)?;
        for (r, row) in t.rows.iter().enumerate() {
            let at = sub + 1 + u32::try_from(r).map_err(err)?;
            sheet
                .write_string_with_format(at, 0, &row.vi, &label)
                .map_err(err)?;
            for (c, v) in row.cells.iter().enumerate() {
                let cc = u16::try_from(c + 1).map_err(err)?;
                match v {
                    // Counts are whole numbers far below 2^53: exact as f64.
                    #[allow(clippy::cast_precision_loss)]
                    Some(v) => sheet.write_number_with_format(at, cc, *v as f64, &cell),
                    None => {
                        sheet.write_string_with_format(at, cc, cell_text(report, t, r, c), &cell)
                    }
                }
                .map_err(err)?;
            }
        }
    }
    book.save_to_buffer().map_err(err)
}
