//! Administrative units as the domain sees them: a code, and the path from the root (`VN`) down
//! to a unit. The tree itself is data the server keeps (units change with re-organisations); the
//! domain only needs to know whether one unit lies under another.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The code of the country, root of the unit tree; national roles hold their grants on it.
pub const ROOT_UNIT: &str = "VN";

/// An official administrative-unit code (`VN`, `12` for Lai Châu, `03388` for a commune).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnitCode(String);

/// A unit code that cannot be one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an administrative-unit code (1 to 16 ASCII letters or digits)")]
pub struct InvalidUnitCode(pub String);

impl UnitCode {
    pub fn parse(code: &str) -> Result<Self, InvalidUnitCode> {
        let ok = (1..=16).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric());
        if ok {
            Ok(Self(code.to_owned()))
        } else {
            Err(InvalidUnitCode(code.chars().take(32).collect()))
        }
    }

    pub fn root() -> Self {
        Self(ROOT_UNIT.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0 == ROOT_UNIT
    }
}

impl fmt::Display for UnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A unit with all its ancestors, root first: `[VN, 12, 03388]`. The server resolves it from
/// the registry; events store it so that jurisdiction is a pure check and views can filter by
/// province without the registry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<UnitCode>", into = "Vec<UnitCode>")]
pub struct UnitPath(Vec<UnitCode>);

/// A path that does not start at the root or is empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a unit path must start at `VN`")]
pub struct InvalidUnitPath;

impl UnitPath {
    pub fn new(path: Vec<UnitCode>) -> Result<Self, InvalidUnitPath> {
        match path.first() {
            Some(root) if root.is_root() => Ok(Self(path)),
            _ => Err(InvalidUnitPath),
        }
    }

    /// Parses codes root first, for tests and fixtures.
    pub fn from_codes(codes: &[&str]) -> Result<Self, InvalidUnitPath> {
        let codes = codes
            .iter()
            .map(|c| UnitCode::parse(c).map_err(|_| InvalidUnitPath))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(codes)
    }

    /// The unit itself (the last element).
    pub fn unit(&self) -> &UnitCode {
        self.0.last().expect("a unit path is never empty")
    }

    /// The province the unit lies in (the second element), if it is below the country.
    pub fn province(&self) -> Option<&UnitCode> {
        self.0.get(1)
    }

    pub fn is_root(&self) -> bool {
        self.0.len() == 1
    }

    /// Whether `unit` is this unit or one of its ancestors: a grant on `unit` covers this one.
    pub fn is_within(&self, unit: &UnitCode) -> bool {
        self.0.iter().any(|u| u == unit)
    }

    pub fn codes(&self) -> &[UnitCode] {
        &self.0
    }
}

impl TryFrom<Vec<UnitCode>> for UnitPath {
    type Error = InvalidUnitPath;
    fn try_from(value: Vec<UnitCode>) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<UnitPath> for Vec<UnitCode> {
    fn from(value: UnitPath) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_codes_are_short_ascii_alphanumerics() {
        assert!(UnitCode::parse("03388").is_ok());
        assert!(UnitCode::parse("VN").is_ok());
        assert!(UnitCode::parse("").is_err());
        assert!(UnitCode::parse("12; DROP").is_err());
        assert!(UnitCode::parse("Lai Châu").is_err());
        assert!(UnitCode::parse(&"1".repeat(17)).is_err());
    }

    #[test]
    fn a_path_covers_itself_and_its_ancestors_only() {
        let commune = UnitPath::from_codes(&["VN", "12", "03388"]).unwrap();
        assert!(commune.is_within(&UnitCode::parse("VN").unwrap()));
        assert!(commune.is_within(&UnitCode::parse("12").unwrap()));
        assert!(commune.is_within(&UnitCode::parse("03388").unwrap()));
        assert!(!commune.is_within(&UnitCode::parse("03390").unwrap()));
        assert!(!commune.is_within(&UnitCode::parse("01").unwrap()));
        assert_eq!(commune.province().map(UnitCode::as_str), Some("12"));
        assert_eq!(commune.unit().as_str(), "03388");
    }

    #[test]
    fn a_path_must_start_at_the_root() {
        assert_eq!(UnitPath::from_codes(&["12", "03388"]), Err(InvalidUnitPath));
        assert_eq!(UnitPath::from_codes(&[]), Err(InvalidUnitPath));
        let stored = serde_json::json!(["12"]);
        assert!(serde_json::from_value::<UnitPath>(stored).is_err());
    }
}
