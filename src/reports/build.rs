//! A template, a unit and a period → a report, counted from one snapshot of the log. Each
//! column is its indicator restricted to the column's values (so distinct children stay
//! distinct: a child with two abuse types is one child in the total row), counted once per
//! column with the row dimension as its breakdown.

use super::labels::Labels;
use super::period::ReportPeriod;
use super::{ColumnKind, ColumnSpec, TableSpec, Template};
use projections::indicators::engine::Snapshot;
use projections::indicators::{Indicator, Registry};
use serde::Serialize;
use utoipa::ToSchema;

/// The unit a report is for, and the communes its rows list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReportUnit {
    pub code: String,
    pub name: String,
    /// Path key (`/VN/12/`), for counting; not shown.
    #[serde(skip)]
    pub key: String,
    /// (code, name) of each commune under the unit, in code order (the unit itself if a commune).
    #[serde(skip)]
    pub communes: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Header {
    pub vi: String,
    pub en: String,
    /// How many columns the header spans (merged cells).
    pub span: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReportRow {
    /// The row's value (`03388`, `violence`, `total`).
    pub key: String,
    pub vi: String,
    pub en: String,
    /// One per column; `null` when suppressed or not applicable.
    pub cells: Vec<Option<i64>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReportTable {
    pub id: String,
    pub title_vi: String,
    pub title_en: String,
    pub row_dimension: String,
    pub groups: Vec<Header>,
    pub columns: Vec<Header>,
    pub rows: Vec<ReportRow>,
    /// Cells withheld as small (or as revealing a small one by subtraction): [row, column].
    pub suppressed: Vec<[usize; 2]>,
    /// Columns that are shares or medians rather than counts.
    pub derived_columns: Vec<usize>,
}

/// A report as computed; the same (template, unit, period, position, computed_at) always gives
/// the same report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Report {
    pub template: String,
    pub title_vi: String,
    pub title_en: String,
    pub basis: String,
    pub unit: ReportUnit,
    pub period: ReportPeriod,
    /// The event-log position counted (`tx.seq`).
    pub position: String,
    /// The instant deadline states were taken at.
    pub computed_at: chrono::DateTime<chrono::Utc>,
    /// `official` (unsuppressed, confidential: ND56 art. 24(3)) or `public` (small cells withheld).
    pub audience: String,
    pub confidential: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed_below: Option<u32>,
    pub tables: Vec<ReportTable>,
}

/// One expanded column.
struct Column {
    group: (String, String),
    label: (String, String),
    indicator: Indicator,
    kind: ColumnKind,
}

fn expand(spec: &ColumnSpec, registry: &Registry, labels: &Labels) -> Vec<Column> {
    let Some(base) = registry.get(&spec.indicator) else {
        return Vec::new();
    };
    let mut base = base.clone();
    for (d, v) in &spec.fixed {
        base.only.insert(d.clone(), v.values());
    }
    let group = (spec.group.vi.clone(), spec.group.en.clone());
    match spec.each.iter().next() {
        Some((d, values)) => {
            let values = if values.is_empty() {
                labels.values(d)
            } else {
                values.clone()
            };
            values
                .into_iter()
                .map(|v| {
                    let mut indicator = base.clone();
                    indicator.only.insert(d.clone(), vec![v.clone()]);
                    Column {
                        group: group.clone(),
                        label: labels.label(d, &v),
                        indicator,
                        kind: spec.kind,
                    }
                })
                .collect()
        }
        None => {
            let label = spec
                .label
                .as_ref()
                .map_or_else(Default::default, |l| (l.vi.clone(), l.en.clone()));
            vec![Column {
                group,
                label,
                indicator: base,
                kind: spec.kind,
            }]
        }
    }
}

fn table(
    spec: &TableSpec,
    registry: &Registry,
    labels: &Labels,
    s: &Snapshot,
    unit: &ReportUnit,
    period: &ReportPeriod,
) -> ReportTable {
    let dim = spec.rows.dimension.clone();
    let values: Vec<String> = if !spec.rows.values.is_empty() {
        spec.rows.values.clone()
    } else if dim == "commune" {
        unit.communes.iter().map(|(c, _)| c.clone()).collect()
    } else {
        labels.values(&dim)
    };
    let columns: Vec<Column> = spec
        .columns
        .iter()
        .flat_map(|c| expand(c, registry, labels))
        .collect();
    let bounds = period.bounds();
    let dims = [dim.clone()];
    let mut rows: Vec<ReportRow> = values
        .iter()
        .chain(std::iter::once(&"total".to_owned()))
        .map(|v| {
            let (vi, en) = if v == "total" {
                ("Tổng cộng".to_owned(), "Total".to_owned())
            } else {
                labels.label(&dim, v)
            };
            ReportRow {
                key: v.clone(),
                vi,
                en,
                cells: Vec::with_capacity(columns.len()),
            }
        })
        .collect();
    let total_row = rows.len() - 1;
    for c in &columns {
        let cell_of = |ind: &Indicator| {
            let by_row = s.count(ind, &unit.key, &bounds, &dims);
            let total = s.total(ind, &unit.key, &bounds);
            (by_row, total)
        };
        match c.kind {
            ColumnKind::Count => {
                let (by_row, total) = cell_of(&c.indicator);
                for (i, v) in values.iter().enumerate() {
                    rows[i]
                        .cells
                        .push(Some(by_row.get(&vec![v.clone()]).copied().unwrap_or(0)));
                }
                rows[total_row].cells.push(Some(total));
            }
            ColumnKind::ShareOnTime => {
                let mut met = c.indicator.clone();
                met.only.insert("state".into(), vec!["met".into()]);
                let mut due = c.indicator.clone();
                let states = ["met", "met_late", "overdue"].map(str::to_owned).to_vec();
                due.only.insert("state".into(), states);
                let ((met_rows, met_total), (due_rows, due_total)) = (cell_of(&met), cell_of(&due));
                let share = |m: i64, d: i64| (d > 0).then(|| (m * 100 + d / 2) / d);
                for (i, v) in values.iter().enumerate() {
                    let key = vec![v.clone()];
                    let m = met_rows.get(&key).copied().unwrap_or(0);
                    rows[i]
                        .cells
                        .push(share(m, due_rows.get(&key).copied().unwrap_or(0)));
                }
                rows[total_row].cells.push(share(met_total, due_total));
            }
            ColumnKind::MedianMinutes => {
                let medians = s.median_minutes(&c.indicator, &unit.key, &bounds);
                for (i, v) in values.iter().enumerate() {
                    let m = if dim == "rule" {
                        medians.get(v).copied()
                    } else {
                        None
                    };
                    rows[i].cells.push(m);
                }
                rows[total_row].cells.push(None);
            }
        }
    }
    // Merged headers: consecutive columns of the same group share one.
    let mut groups: Vec<Header> = Vec::new();
    for c in &columns {
        match groups.last_mut() {
            Some(g) if g.vi == c.group.0 && g.en == c.group.1 => g.span += 1,
            _ => groups.push(Header {
                vi: c.group.0.clone(),
                en: c.group.1.clone(),
                span: 1,
            }),
        }
    }
    ReportTable {
        id: spec.id.clone(),
        title_vi: spec.title.vi.clone(),
        title_en: spec.title.en.clone(),
        row_dimension: dim,
        groups,
        columns: columns
            .iter()
            .map(|c| Header {
                vi: c.label.0.clone(),
                en: c.label.1.clone(),
                span: 1,
            })
            .collect(),
        rows,
        suppressed: Vec::new(),
        derived_columns: columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.kind != ColumnKind::Count)
            .map(|(i, _)| i)
            .collect(),
    }
}

/// The official report: every figure, marked confidential (ND56 art. 24(3)). A copy meant to
/// leave the unit goes through [`super::suppress::for_public`].
pub fn build_report(
    template: &Template,
    registry: &Registry,
    labels: &Labels,
    snapshot: &Snapshot,
    unit: ReportUnit,
    period: ReportPeriod,
) -> Report {
    let tables = template
        .tables
        .iter()
        .map(|t| table(t, registry, labels, snapshot, &unit, &period))
        .collect();
    Report {
        template: template.id.clone(),
        title_vi: template.name.vi.clone(),
        title_en: template.name.en.clone(),
        basis: template.basis.clone(),
        unit,
        period,
        position: snapshot.position.to_string(),
        computed_at: snapshot.now,
        audience: "official".into(),
        confidential: true,
        suppressed_below: None,
        tables,
    }
}
