//! Reading the identities view: the candidates of a search, a commune's open cases for the
//! duplicates worklist, and the pairs already found to be different children.

use crate::db::Db;
use crate::sql::Arg;
use crate::{bind_all, with_read_db};
use aggregates::identity::Folded;
use sqlx::Row;
use std::collections::HashSet;
use uuid::Uuid;

/// One case's child as the identities view holds it.
#[derive(Debug, Clone)]
pub struct IdentityRow {
    pub case_id: Uuid,
    pub child_id: Uuid,
    pub case_number: String,
    pub status: String,
    pub open: bool,
    pub acting_unit: String,
    pub folded: Folded,
}

const COLUMNS: &str = "case_id, child_id, case_number, status, open, acting_unit, folded";

macro_rules! rows {
    ($db:expr, $sql:expr, $args:expr) => {
        with_read_db!($db, pool => {
            let rows = bind_all!(sqlx::query($sql).persistent(false), $args)
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|r| {
                    let open: i64 = r.try_get("open")?;
                    let folded: String = r.try_get("folded")?;
                    Ok(IdentityRow {
                        case_id: r.try_get("case_id")?,
                        child_id: r.try_get("child_id")?,
                        case_number: r.try_get("case_number")?,
                        status: r.try_get("status")?,
                        open: open != 0,
                        acting_unit: r.try_get("acting_unit")?,
                        // Written by the projector from the same type; a row that does not
                        // parse is matched as an unnamed child rather than failing the search.
                        folded: serde_json::from_str(&folded).unwrap_or_default(),
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()
        })
    };
}

fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Cases whose child may carry the searched name: the given name is one of the search's
/// words (which also finds names written in another order), or the family name is and the
/// given name starts with the same letter as one of them (a mistyped given name usually keeps
/// its first letter). Born in `years` when both births are known. This keeps a search for a
/// Nguyễn (about 38 % of Vietnamese) to a small part of the view; a name mistyped in every word
/// is left to the duplicates worklist.
pub async fn candidates(
    db: &Db,
    words: &[String],
    years: Option<(i64, i64)>,
    limit: i64,
) -> Result<Vec<IdentityRow>, sqlx::Error> {
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let mut initials: Vec<String> = words
        .iter()
        .filter_map(|w| w.chars().next().map(String::from))
        .collect();
    initials.sort();
    initials.dedup();
    let n = words.len();
    let mut args: Vec<Arg> = Vec::new();
    for w in words.iter().chain(words).chain(&initials) {
        args.push(Arg::from(w.clone()));
    }
    let mut sql = format!(
        "SELECT {COLUMNS} FROM child_identities WHERE (given_key IN ({}) OR (family_key IN ({}) \
         AND substr(given_key, 1, 1) IN ({})))",
        placeholders(1, n),
        placeholders(n + 1, n),
        placeholders(2 * n + 1, initials.len())
    );
    if let Some((from, to)) = years {
        sql.push_str(&format!(
            " AND (birth_year IS NULL OR birth_year BETWEEN ${} AND ${})",
            args.len() + 1,
            args.len() + 2
        ));
        args.push(Arg::Int(Some(from)));
        args.push(Arg::Int(Some(to)));
    }
    sql.push_str(&format!(" LIMIT ${}", args.len() + 1));
    args.push(Arg::Int(Some(limit)));
    rows!(db, &sql, args)
}

/// The open cases acting in one commune.
pub async fn open_in_unit(db: &Db, unit: &str) -> Result<Vec<IdentityRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM child_identities WHERE acting_unit = $1 AND open = 1 ORDER BY case_id"
    );
    rows!(db, &sql, [Arg::from(unit)])
}

/// The rows of the given cases.
pub async fn by_cases(db: &Db, cases: &[Uuid]) -> Result<Vec<IdentityRow>, sqlx::Error> {
    if cases.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM child_identities WHERE case_id IN ({})",
        placeholders(1, cases.len())
    );
    rows!(
        db,
        &sql,
        cases.iter().map(|c| Arg::from(*c)).collect::<Vec<_>>()
    )
}

/// Pairs (both directions) among `cases` found to be different children.
pub async fn distinct_pairs(db: &Db, cases: &[Uuid]) -> Result<HashSet<(Uuid, Uuid)>, sqlx::Error> {
    let mut pairs = HashSet::new();
    for chunk in cases.chunks(500) {
        let sql = format!(
            "SELECT case_id, other_case_id FROM child_distinct WHERE case_id IN ({})",
            placeholders(1, chunk.len())
        );
        let args: Vec<Arg> = chunk.iter().map(|c| Arg::from(*c)).collect();
        let found: Vec<(Uuid, Uuid)> = with_read_db!(db, pool => {
            bind_all!(sqlx::query_as(&sql).persistent(false), args)
                .fetch_all(pool)
                .await?
        });
        pairs.extend(found);
    }
    Ok(pairs)
}
