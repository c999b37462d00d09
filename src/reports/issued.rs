//! Issued reports: frozen at issue (who, unit, period, event-log position, computing instant,
//! each rendered file and its SHA-256), stored append-only (`issued_reports`), reproduced from
//! the log at that position on demand, and compared with the same report computed now.

use super::build::Report;
use super::render::{render, Format, RenderError};
use chrono::{DateTime, Utc};
use projections::log::Position;
use projections::{with_db, with_read_db, Db};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A report rendered in every format, with each file's SHA-256.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub files: BTreeMap<&'static str, (String, Vec<u8>)>,
}

pub fn render_all(report: &Report) -> Result<Rendered, RenderError> {
    let mut files = BTreeMap::new();
    for f in Format::ALL {
        let bytes = render(report, f)?;
        files.insert(f.code(), (sha256_hex(&bytes), bytes));
    }
    Ok(Rendered { files })
}

impl Rendered {
    pub fn hashes(&self) -> BTreeMap<String, String> {
        self.files
            .iter()
            .map(|(k, (h, _))| ((*k).to_owned(), h.clone()))
            .collect()
    }
}

/// An issued report as listed: what was issued, by whom, and the files' hashes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Issued {
    pub id: Uuid,
    pub template: String,
    pub unit: String,
    pub period: String,
    pub period_from: DateTime<Utc>,
    pub period_to: DateTime<Utc>,
    /// The event-log position the figures were computed at (`tx.seq`).
    pub position: String,
    pub computed_at: DateTime<Utc>,
    pub issued_by: Uuid,
    pub issued_by_username: String,
    pub issued_by_unit: String,
    pub issued_at: DateTime<Utc>,
    /// SHA-256 (hex) of each rendered file: `json`, `csv`, `xlsx`.
    pub sha256: BTreeMap<String, String>,
    #[serde(skip)]
    pub at: Position,
}

/// Who issues a report.
pub struct Issuer<'a> {
    pub user_id: Uuid,
    pub username: &'a str,
    pub unit: &'a str,
}

/// Freezes `report` (computed at `at`) as issued. The files are stored as rendered now, so a
/// download is always these bytes.
pub async fn issue(
    db: &Db,
    report: &Report,
    at: Position,
    unit_key: &str,
    by: &Issuer<'_>,
    issued_at: DateTime<Utc>,
) -> Result<Issued, IssueError> {
    let rendered = render_all(report)?;
    let id = Uuid::now_v7();
    let file = |f: &str| rendered.files[f].clone();
    let ((jh, jb), (ch, cb), (xh, xb)) = (file("json"), file("csv"), file("xlsx"));
    const SQL: &str = "INSERT INTO issued_reports (id, template_id, unit_code, unit_key, period_id, \
        period_from, period_to, position_tx, position_seq, computed_at, issued_by, issued_by_username, \
        issued_by_unit, issued_at, json_sha256, csv_sha256, xlsx_sha256, json_file, csv_file, xlsx_file) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)";
    with_db!(db, pool => sqlx::query(SQL)
        .bind(id).bind(&report.template).bind(&report.unit.code).bind(unit_key)
        .bind(&report.period.id).bind(report.period.from).bind(report.period.to)
        .bind(at.tx).bind(at.seq).bind(report.computed_at)
        .bind(by.user_id).bind(by.username).bind(by.unit).bind(issued_at)
        .bind(&jh).bind(&ch).bind(&xh).bind(jb).bind(cb).bind(xb)
        .execute(pool).await.map(|_| ()))?;
    Ok(Issued {
        id,
        template: report.template.clone(),
        unit: report.unit.code.clone(),
        period: report.period.id.clone(),
        period_from: report.period.from,
        period_to: report.period.to,
        position: at.to_string(),
        computed_at: report.computed_at,
        issued_by: by.user_id,
        issued_by_username: by.username.to_owned(),
        issued_by_unit: by.unit.to_owned(),
        issued_at,
        sha256: rendered.hashes(),
        at,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

const COLUMNS: &str =
    "id, template_id, unit_code, period_id, period_from, period_to, position_tx, \
    position_seq, computed_at, issued_by, issued_by_username, issued_by_unit, issued_at, \
    json_sha256, csv_sha256, xlsx_sha256";

fn decode<R: Row>(r: &R) -> Result<Issued, sqlx::Error>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> Uuid: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> DateTime<Utc>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let at = Position {
        tx: r.try_get("position_tx")?,
        seq: r.try_get("position_seq")?,
    };
    let mut sha256 = BTreeMap::new();
    for f in ["json", "csv", "xlsx"] {
        sha256.insert(
            f.to_owned(),
            r.try_get::<String, _>(format!("{f}_sha256").as_str())?,
        );
    }
    Ok(Issued {
        id: r.try_get("id")?,
        template: r.try_get("template_id")?,
        unit: r.try_get("unit_code")?,
        period: r.try_get("period_id")?,
        period_from: r.try_get("period_from")?,
        period_to: r.try_get("period_to")?,
        position: at.to_string(),
        computed_at: r.try_get("computed_at")?,
        issued_by: r.try_get("issued_by")?,
        issued_by_username: r.try_get("issued_by_username")?,
        issued_by_unit: r.try_get("issued_by_unit")?,
        issued_at: r.try_get("issued_at")?,
        sha256,
        at,
    })
}

/// The issued reports of units under any of `keys` (path keys), newest first.
pub async fn list(db: &Db, keys: &[String], limit: i64) -> Result<Vec<Issued>, sqlx::Error> {
    let mut out = Vec::new();
    for key in keys {
        let sql = format!(
            "SELECT {COLUMNS} FROM issued_reports WHERE unit_key LIKE $1 ORDER BY issued_at DESC LIMIT $2"
        );
        let found: Vec<Issued> = with_read_db!(db, pool => {
            let rows = sqlx::query(&sql).bind(format!("{key}%")).bind(limit).fetch_all(pool).await?;
            rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?
        });
        out.extend(found);
    }
    out.sort_by(|a, b| b.issued_at.cmp(&a.issued_at).then(b.id.cmp(&a.id)));
    out.dedup_by_key(|i| i.id);
    out.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(out)
}

/// One issued report, with its unit's path key (for the caller's jurisdiction).
pub async fn get(db: &Db, id: Uuid) -> Result<Option<(Issued, String)>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS}, unit_key FROM issued_reports WHERE id = $1");
    with_read_db!(db, pool => {
        let row = sqlx::query(&sql).bind(id).fetch_optional(pool).await?;
        row.map(|r| Ok((decode(&r)?, r.try_get::<String, _>("unit_key")?))).transpose()
    })
}

/// The stored file of an issued report.
pub async fn file(db: &Db, id: Uuid, format: Format) -> Result<Option<Vec<u8>>, sqlx::Error> {
    let sql = format!(
        "SELECT {}_file FROM issued_reports WHERE id = $1",
        format.code()
    );
    with_read_db!(db, pool => sqlx::query_scalar(&sql).bind(id).fetch_optional(pool).await)
}

/// A cell whose figure differs between the issued report and the same report computed now (a
/// correction, a late record, a deadline that has since fallen due).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Difference {
    pub table: String,
    pub row: String,
    pub column: usize,
    pub column_vi: String,
    pub issued: Option<i64>,
    pub now: Option<i64>,
}

pub fn differences(issued: &Report, now: &Report) -> Vec<Difference> {
    let mut out = Vec::new();
    for (a, b) in issued.tables.iter().zip(&now.tables) {
        for (ra, rb) in a.rows.iter().zip(&b.rows) {
            for (c, (x, y)) in ra.cells.iter().zip(&rb.cells).enumerate() {
                if x != y {
                    out.push(Difference {
                        table: a.id.clone(),
                        row: ra.key.clone(),
                        column: c,
                        column_vi: a.columns.get(c).map(|h| h.vi.clone()).unwrap_or_default(),
                        issued: *x,
                        now: *y,
                    });
                }
            }
        }
    }
    out
}
