//! The read models: their tables (owned here, versioned, rebuilt from the log when their
//! version changes) and how each event changes them.

pub mod cases;
pub mod console;
pub mod deadlines;
pub mod duplicates;
pub mod identities;
pub mod identity_queries;
pub mod queries;

use aggregates::units::UnitPath;
use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Sqlite,
}

/// Table and index names of one generation of a projection's tables: the live tables, or the
/// ones a rebuild fills before it swaps them in.
#[derive(Debug, Clone)]
pub struct Names {
    suffix: &'static str,
    generation: u64,
}

impl Names {
    pub fn live() -> Self {
        Self {
            suffix: "",
            generation: 0,
        }
    }

    /// Names for a rebuild; `generation` keeps index names unique after the swap.
    pub fn rebuild(generation: u64) -> Self {
        Self {
            suffix: "__rebuild",
            generation,
        }
    }

    pub fn table(&self, base: &str) -> String {
        format!("{base}{}", self.suffix)
    }

    pub fn index(&self, base: &str, what: &str) -> String {
        format!("{base}_{what}_g{}", self.generation)
    }
}

/// A unit path as stored for prefix search: `/VN/12/03388/`. A unit's subtree is every path that
/// starts with the unit's own key.
pub fn unit_path_key(path: &UnitPath) -> String {
    let mut key = String::from("/");
    for code in path.codes() {
        key.push_str(code.as_str());
        key.push('/');
    }
    key
}

/// A name folded for search: lower case, Vietnamese diacritics removed (`Lò Thị Mai` → `lo thi mai`).
pub fn normalize(text: &str) -> String {
    text.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_names_fold_to_plain_lower_case() {
        assert_eq!(normalize("Lò Thị Mai"), "lo thi mai");
        assert_eq!(normalize("  ĐẶNG   Văn Hùng "), "dang van hung");
        assert_eq!(normalize("Nguyễn Thị Ánh Tuyết"), "nguyen thi anh tuyet");
    }

    #[test]
    fn unit_paths_are_prefix_keys() {
        let path = UnitPath::from_codes(&["VN", "12", "03388"]).unwrap();
        assert_eq!(unit_path_key(&path), "/VN/12/03388/");
        assert!(unit_path_key(&path).starts_with("/VN/12/"));
    }

    #[test]
    fn rebuild_tables_and_indexes_have_their_own_names() {
        let live = Names::live();
        let next = Names::rebuild(7);
        assert_eq!(live.table("case_summaries"), "case_summaries");
        assert_eq!(next.table("case_summaries"), "case_summaries__rebuild");
        assert_ne!(
            live.index("case_summaries", "path"),
            next.index("case_summaries", "path")
        );
    }
}
