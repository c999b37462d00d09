//! A report as a file: JSON, CSV (UTF-8 with a byte-order mark, so that Excel reads the
//! Vietnamese headers right) and XLSX ([`super::xlsx`]). Rendering is a pure function of the
//! report: the same report always gives the same bytes, which is what lets an issued report's
//! SHA-256 be checked later.

use super::build::{Report, ReportTable};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Xlsx,
}

impl Format {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "json" => Some(Self::Json),
            "csv" => Some(Self::Csv),
            "xlsx" => Some(Self::Xlsx),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    pub const ALL: [Format; 3] = [Format::Json, Format::Csv, Format::Xlsx];
}

#[derive(Debug, thiserror::Error)]
#[error("cannot render the report: {0}")]
pub struct RenderError(pub String);

pub fn render(report: &Report, format: Format) -> Result<Vec<u8>, RenderError> {
    match format {
        Format::Json => serde_json::to_vec_pretty(report).map_err(|e| RenderError(e.to_string())),
        Format::Csv => Ok(csv(report).into_bytes()),
        Format::Xlsx => super::xlsx::xlsx(report),
    }
}

/// The confidentiality line every official copy carries (ND56 art. 24(3)).
pub fn confidential_mark(report: &Report) -> &'static str {
    if report.confidential {
        "MẬT — Báo cáo chính thức, không công bố (NĐ 56/2017/NĐ-CP, Điều 24(3))"
    } else {
        "Số liệu công bố: ô nhỏ đã được ẩn"
    }
}

fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn line(out: &mut String, fields: &[String]) {
    let joined: Vec<String> = fields.iter().map(|f| field(f)).collect();
    out.push_str(&joined.join(","));
    out.push_str("\r\n");
}

/// A cell as text: the count, `<N` when suppressed, empty when not applicable.
pub fn cell_text(report: &Report, t: &ReportTable, r: usize, c: usize) -> String {
    if t.suppressed.contains(&[r, c]) {
        return format!("<{}", report.suppressed_below.unwrap_or(0));
    }
    t.rows[r].cells[c]
        .map(|v| v.to_string())
        .unwrap_or_default()
}

fn csv(report: &Report) -> String {
    let mut out = String::from('\u{feff}');
    line(&mut out, std::slice::from_ref(&report.title_vi));
    line(&mut out, &[confidential_mark(report).to_owned()]);
    line(
        &mut out,
        &[
            "Đơn vị".into(),
            format!("{} ({})", report.unit.name, report.unit.code),
        ],
    );
    let days = format!("{} – {}", report.period.first_day, report.period.last_day);
    line(
        &mut out,
        &[
            "Kỳ báo cáo".into(),
            format!("{} ({days})", report.period.id),
        ],
    );
    line(
        &mut out,
        &["Vị trí nhật ký sự kiện".into(), report.position.clone()],
    );
    line(
        &mut out,
        &["Thời điểm tính".into(), report.computed_at.to_rfc3339()],
    );
    for t in &report.tables {
        out.push_str("\r\n");
        line(&mut out, std::slice::from_ref(&t.title_vi));
        // Two header rows: the merged group over its columns (repeated empty under the span,
        // as CSV has no merged cells), then each column's own header.
        let mut groups = vec![String::new()];
        for g in &t.groups {
            groups.push(g.vi.clone());
            groups.extend(std::iter::repeat_n(String::new(), g.span.saturating_sub(1)));
        }
        line(&mut out, &groups);
        let mut headers = vec![String::new()];
        headers.extend(t.columns.iter().map(|c| c.vi.clone()));
        line(&mut out, &headers);
        for (r, row) in t.rows.iter().enumerate() {
            let mut fields = vec![row.vi.clone()];
            fields.extend((0..row.cells.len()).map(|c| cell_text(report, t, r, c)));
            line(&mut out, &fields);
        }
    }
    out
}
