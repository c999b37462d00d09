//! Request bodies of the case commands, and their conversion into domain commands. Codes, times
//! and texts arrive as strings and are parsed here, so that every field problem is reported at
//! once as a 422 and no domain enum is deserialized straight off the wire.

use super::errors::ApiError;
use super::extract::Fields;
use crate::units::UnitDirectory;
use aggregates::case::commands::*;
use aggregates::case::{Child, Reporter};
use aggregates::codes::*;
use aggregates::text::{LongText, ShortText};
use aggregates::units::UnitPath;
use serde::Deserialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// Most children one report may name (a class).
pub const MAX_CHILDREN: usize = 60;
const MAX_ITEMS: usize = 100;

/// A unit where a case may act: commune level (*xã, phường, đặc khu*), never a province or the
/// country (ND56 art. 26(1), LTE art. 52(2)).
fn commune_path(f: &mut Fields, units: &UnitDirectory, field: &str, raw: &str) -> Option<UnitPath> {
    let path = unit_path(f, units, field, raw)?;
    if units.get(raw).is_some_and(|u| u.kind == "commune") {
        Some(path)
    } else {
        f.push(
            field,
            "unit_not_commune",
            "Phải là đơn vị hành chính cấp xã (xã, phường, đặc khu)",
            "Must be a commune-level unit (xã, phường, đặc khu)",
        );
        None
    }
}

pub(crate) fn unit_path(
    f: &mut Fields,
    units: &UnitDirectory,
    field: &str,
    raw: &str,
) -> Option<UnitPath> {
    f.unit_code(field, raw)?;
    match units.path(raw) {
        Some(path) => Some(path),
        None => {
            f.push(
                field,
                "unknown_unit",
                "Không có đơn vị hành chính này",
                "No such administrative unit",
            );
            None
        }
    }
}

/// Unwraps parsed values once `Fields` reported no problem.
macro_rules! all {
    ($f:expr, $($v:ident),+ $(,)?) => {{
        $f.finish()?;
        match ($($v,)+) {
            ($(Some($v),)+) => ($($v,)+),
            _ => return Err(ApiError::validation(Vec::new())),
        }
    }};
}

fn ratings(
    f: &mut Fields,
    field: &str,
    raw: &BTreeMap<String, String>,
) -> BTreeMap<ReviewCriterion, Rating> {
    raw.iter()
        .filter_map(|(k, v)| {
            let key = f.code::<ReviewCriterion>(&format!("{field}.{k}"), k);
            let value = f.code::<Rating>(&format!("{field}.{k}"), v);
            Some((key?, value?))
        })
        .collect()
}

mod closure;
mod plan;
mod report;
mod steps;

pub use closure::*;
pub use plan::*;
pub use report::*;
pub use steps::*;
