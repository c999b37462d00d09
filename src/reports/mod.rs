//! Periodic reports (issue 11): templates as data (`projections/data/report-templates.json`,
//! overridable by `CASEBOOK_REPORT_TEMPLATES`), their periods, and the labels of the values
//! their rows and columns show. [`build`] turns a template, a unit and a period into a report
//! from one snapshot of the log; [`render`] writes it as JSON, CSV or XLSX; [`suppress`]
//! prepares a copy meant to leave the unit.

pub mod build;
pub mod issued;
pub mod labels;
pub mod period;
pub mod render;
pub mod suppress;
pub mod xlsx;

use projections::indicators::{Label, Registry};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

pub const DEFAULT_TEMPLATES_JSON: &str =
    include_str!("../../projections/data/report-templates.json");

/// How a template's periods are cut.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PeriodKind {
    Month,
    Quarter,
    SixMonths,
    Year,
    /// Periods ending on `cut_off_day` of each of `cut_off_months`, from the previous cut-off
    /// day (inclusive) to this one (exclusive): "figures before 10 May and 10 November".
    Custom {
        cut_off_day: u32,
        cut_off_months: Vec<u32>,
    },
}

/// The rows of a table: one per value of a dimension, then the total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RowSpec {
    pub dimension: String,
    /// The values, in order; empty or absent: every commune of the unit (`commune`), or the
    /// dimension's code list.
    #[serde(default)]
    pub values: Vec<String>,
}

/// A column, or a group of columns (`each`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ColumnSpec {
    /// The merged header above the column (or the columns `each` makes).
    pub group: Label,
    /// The column's own header; absent with `each` (the values label their columns).
    #[serde(default)]
    pub label: Option<Label>,
    pub indicator: String,
    /// Dimension values the column is restricted to (one value or a list).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fixed: BTreeMap<String, OneOrMany>,
    /// One column per value of a dimension (an empty list: the dimension's code list).
    #[serde(default)]
    pub each: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub kind: ColumnKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn values(&self) -> Vec<String> {
        match self {
            Self::One(v) => vec![v.clone()],
            Self::Many(v) => v.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    #[default]
    Count,
    /// Deadlines met on time as a whole percentage of those due (met, met late, overdue).
    ShareOnTime,
    /// The median minutes from a clock's start to the step that met it (rows by rule).
    MedianMinutes,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TableSpec {
    pub id: String,
    pub title: Label,
    pub rows: RowSpec,
    pub columns: Vec<ColumnSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Template {
    pub id: String,
    pub name: Label,
    pub period: PeriodKind,
    pub tables: Vec<TableSpec>,
    pub basis: String,
}

#[derive(Debug, Deserialize)]
struct File {
    templates: Vec<Template>,
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("not a valid template file: {0}")]
    Json(#[from] serde_json::Error),
    #[error("template `{template}`: {problem}")]
    Invalid { template: String, problem: String },
}

/// The templates in force.
#[derive(Debug, Clone)]
pub struct Templates(Vec<Template>);

impl Templates {
    pub fn shipped(registry: &Registry) -> Self {
        Self::load(DEFAULT_TEMPLATES_JSON, None, registry).expect("the shipped templates are valid")
    }

    /// The shipped templates with an override file applied (same id replaces, new id adds),
    /// checked against the registry: every column names a known indicator and dimension.
    pub fn load(
        shipped: &str,
        over: Option<&str>,
        registry: &Registry,
    ) -> Result<Self, TemplateError> {
        let mut all = serde_json::from_str::<File>(shipped)?.templates;
        if let Some(over) = over {
            for t in serde_json::from_str::<File>(over)?.templates {
                match all.iter_mut().find(|x| x.id == t.id) {
                    Some(x) => *x = t,
                    None => all.push(t),
                }
            }
        }
        for t in &all {
            check(t, registry)?;
        }
        Ok(Self(all))
    }

    pub fn all(&self) -> &[Template] {
        &self.0
    }

    pub fn get(&self, id: &str) -> Option<&Template> {
        self.0.iter().find(|t| t.id == id)
    }
}

fn check(t: &Template, registry: &Registry) -> Result<(), TemplateError> {
    let bad = |problem: String| TemplateError::Invalid {
        template: t.id.clone(),
        problem,
    };
    if let PeriodKind::Custom {
        cut_off_day,
        cut_off_months,
    } = &t.period
    {
        if !(1..=28).contains(cut_off_day)
            || cut_off_months.is_empty()
            || cut_off_months.iter().any(|m| !(1..=12).contains(m))
        {
            return Err(bad(
                "a custom period needs a cut-off day 1–28 and months 1–12".into(),
            ));
        }
    }
    let known = |d: &str| projections::indicators::DIMENSIONS.contains(&d);
    for table in &t.tables {
        if !known(&table.rows.dimension) {
            return Err(bad(format!("unknown dimension `{}`", table.rows.dimension)));
        }
        for c in &table.columns {
            if registry.get(&c.indicator).is_none() {
                return Err(bad(format!("unknown indicator `{}`", c.indicator)));
            }
            if let Some(d) = c.fixed.keys().chain(c.each.keys()).find(|d| !known(d)) {
                return Err(bad(format!("unknown dimension `{d}`")));
            }
            if c.each.len() > 1 || (c.each.is_empty() && c.label.is_none()) {
                return Err(bad(
                    "a column has a label, or `each` over one dimension".into()
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_templates_name_known_indicators() {
        let t = Templates::shipped(&Registry::shipped());
        let six = t.get("six_month").unwrap();
        assert_eq!(six.period, PeriodKind::SixMonths);
        assert_eq!(six.tables.len(), 5);
        let bad = DEFAULT_TEMPLATES_JSON.replace("\"0101.16_17\"", "\"9999\"");
        assert!(Templates::load(&bad, None, &Registry::shipped()).is_err());
    }
}
