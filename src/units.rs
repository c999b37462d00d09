//! The administrative-unit registry: loaded from the database into memory, resolved into the
//! paths the domain checks jurisdiction with. The shipped registry file is loaded on first start;
//! `casebook units import` loads or updates the full list.

use crate::store::units::{self, Unit};
use aggregates::units::{UnitCode, UnitPath, ROOT_UNIT};
use chrono::NaiveDate;
use projections::Db;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::RwLock;

/// The registry shipped with casebook: the country, its 34 provinces and Lai Châu's communes,
/// in force on 1 July 2025.
pub const SHIPPED_REGISTRY: &str = include_str!("../reference/units-2025-07-01.json");

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("the unit file is not valid JSON of the expected shape: {0}")]
    Format(String),
    #[error("unit `{code}`: {problem}")]
    Unit { code: String, problem: String },
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    #[allow(dead_code)]
    description: Option<String>,
    #[allow(dead_code)]
    sources: Option<Vec<String>>,
    valid_from: NaiveDate,
    units: Vec<UnitEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitEntry {
    code: String,
    name: String,
    kind: String,
    parent_code: Option<String>,
    valid_from: Option<NaiveDate>,
    valid_to: Option<NaiveDate>,
}

const KINDS: &[&str] = &["country", "province", "commune"];

/// Parses a registry file and checks it against the units already known: codes well formed,
/// known kinds, the root alone without a parent, every parent known. Parents come first.
pub fn parse_registry(json: &str, existing: &[Unit]) -> Result<Vec<Unit>, RegistryError> {
    let file: RegistryFile =
        serde_json::from_str(json).map_err(|e| RegistryError::Format(e.to_string()))?;
    let mut known: HashMap<String, ()> = existing.iter().map(|u| (u.code.clone(), ())).collect();
    let mut pending: Vec<Unit> = Vec::new();
    for e in file.units {
        let fail = |problem: &str| RegistryError::Unit {
            code: e.code.chars().take(32).collect(),
            problem: problem.to_owned(),
        };
        if UnitCode::parse(&e.code).is_err() {
            return Err(fail("not a unit code"));
        }
        if e.name.trim().is_empty() {
            return Err(fail("has no name"));
        }
        if !KINDS.contains(&e.kind.as_str()) {
            return Err(fail("kind must be country, province or commune"));
        }
        match (&e.parent_code, e.code == ROOT_UNIT) {
            (None, true) | (Some(_), false) => {}
            (Some(_), true) => return Err(fail("the root VN has no parent")),
            (None, false) => return Err(fail("has no parent")),
        }
        pending.push(Unit {
            code: e.code,
            name: e.name.trim().to_owned(),
            kind: e.kind,
            parent_code: e.parent_code,
            valid_from: e.valid_from.unwrap_or(file.valid_from),
            valid_to: e.valid_to,
        });
    }
    // Order parents before children; refuse units whose parent never appears.
    let mut ordered = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let before = pending.len();
        let mut rest = Vec::new();
        for unit in pending {
            if unit
                .parent_code
                .as_ref()
                .is_none_or(|p| known.contains_key(p))
            {
                known.insert(unit.code.clone(), ());
                ordered.push(unit);
            } else {
                rest.push(unit);
            }
        }
        if rest.len() == before {
            let orphan = &rest[0];
            return Err(RegistryError::Unit {
                code: orphan.code.clone(),
                problem: format!(
                    "parent `{}` is unknown",
                    orphan.parent_code.clone().unwrap_or_default()
                ),
            });
        }
        pending = rest;
    }
    Ok(ordered)
}

/// Loads a registry file into the database; returns how many units it held.
pub async fn import(db: &Db, json: &str) -> Result<usize, RegistryError> {
    let existing = units::load_all(db).await?;
    let parsed = parse_registry(json, &existing)?;
    units::upsert(db, &parsed).await?;
    Ok(parsed.len())
}

/// Loads the shipped registry on first start, and the units a newer shipped registry adds
/// (a store seeded with an older one, e.g. only Lai Châu's communes, gets every commune of the
/// country) without touching units an import changed since.
pub async fn seed(db: &Db) -> Result<(), RegistryError> {
    let existing = units::load_all(db).await?;
    let known: std::collections::HashSet<&str> = existing.iter().map(|u| u.code.as_str()).collect();
    let shipped = parse_registry(SHIPPED_REGISTRY, &[])?;
    let missing: Vec<Unit> = shipped
        .into_iter()
        .filter(|u| !known.contains(u.code.as_str()))
        .collect();
    if !missing.is_empty() {
        units::upsert(db, &missing).await?;
        tracing::info!(
            units = missing.len(),
            "loaded the shipped administrative-unit registry"
        );
    }
    Ok(())
}

/// The units in memory, for path resolution on every command.
#[derive(Default)]
pub struct UnitDirectory {
    units: RwLock<HashMap<String, Unit>>,
}

impl UnitDirectory {
    pub async fn load(db: &Db) -> Result<Self, sqlx::Error> {
        let directory = Self::default();
        directory.reload(db).await?;
        Ok(directory)
    }

    pub async fn reload(&self, db: &Db) -> Result<(), sqlx::Error> {
        let all = units::load_all(db).await?;
        let map = all.into_iter().map(|u| (u.code.clone(), u)).collect();
        *self.units.write().unwrap_or_else(|e| e.into_inner()) = map;
        Ok(())
    }

    pub fn get(&self, code: &str) -> Option<Unit> {
        self.units
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(code)
            .cloned()
    }

    /// The unit and its ancestors, root first.
    pub fn path(&self, code: &str) -> Option<UnitPath> {
        let units = self.units.read().unwrap_or_else(|e| e.into_inner());
        let mut chain = Vec::new();
        let mut current = units.get(code)?;
        loop {
            chain.push(UnitCode::parse(&current.code).ok()?);
            match &current.parent_code {
                Some(parent) if chain.len() < 16 => current = units.get(parent)?,
                Some(_) => return None,
                None => break,
            }
        }
        chain.reverse();
        UnitPath::new(chain).ok()
    }

    /// Whether a unit has no units under it (a commune today).
    pub fn is_leaf(&self, code: &str) -> bool {
        !self
            .units
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .any(|u| u.parent_code.as_deref() == Some(code))
    }

    pub fn all(&self) -> Vec<Unit> {
        let mut all: Vec<Unit> = self
            .units
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        all.sort_by(|a, b| a.code.cmp(&b.code));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_registry_is_the_country_34_provinces_and_all_3321_communes() {
        let units = parse_registry(SHIPPED_REGISTRY, &[]).unwrap();
        assert_eq!(units.len(), 3356);
        assert_eq!(units[0].code, "VN");
        assert_eq!(units.iter().filter(|u| u.kind == "province").count(), 34);
        let communes: Vec<_> = units.iter().filter(|u| u.kind == "commune").collect();
        assert_eq!(communes.len(), 3321);
        // Lai Châu's 38 communes as before; Thái Nguyên (19) absorbed Bắc Kạn.
        let of = |p: &str| {
            communes
                .iter()
                .filter(|u| u.parent_code.as_deref() == Some(p))
                .count()
        };
        assert_eq!(of("12"), 38);
        assert!(of("19") > 0 && of("11") > 0 && of("51") > 0);
        assert!(units
            .iter()
            .all(|u| u.valid_from.to_string() == "2025-07-01"));
    }

    #[test]
    fn orphans_bad_codes_and_a_second_root_are_refused() {
        let orphan = r#"{"valid_from":"2025-07-01","units":[{"code":"99001","name":"X","kind":"commune","parent_code":"99"}]}"#;
        assert!(matches!(
            parse_registry(orphan, &[]),
            Err(RegistryError::Unit { .. })
        ));
        let bad = r#"{"valid_from":"2025-07-01","units":[{"code":"1 2","name":"X","kind":"province","parent_code":"VN"}]}"#;
        assert!(parse_registry(bad, &[]).is_err());
        let root = r#"{"valid_from":"2025-07-01","units":[{"code":"VN","name":"X","kind":"country","parent_code":"01"}]}"#;
        assert!(parse_registry(root, &[]).is_err());
        let kind = r#"{"valid_from":"2025-07-01","units":[{"code":"VN","name":"X","kind":"district","parent_code":null}]}"#;
        assert!(parse_registry(kind, &[]).is_err());
    }

    #[test]
    fn children_may_come_before_their_parents_in_the_file() {
        let json = r#"{"valid_from":"2025-07-01","units":[
            {"code":"12001","name":"Xã A","kind":"commune","parent_code":"12"},
            {"code":"12","name":"Tỉnh","kind":"province","parent_code":"VN"},
            {"code":"VN","name":"Việt Nam","kind":"country","parent_code":null}]}"#;
        let units = parse_registry(json, &[]).unwrap();
        let codes: Vec<_> = units.iter().map(|u| u.code.as_str()).collect();
        assert_eq!(codes, ["VN", "12", "12001"]);
    }
}
