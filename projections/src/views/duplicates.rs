//! Possible duplicates among open cases (issue 12, "one child, one record"): pairs of open cases
//! of one commune whose children the matcher scores as the same child, for the commune to
//! resolve. Kept by the duplicates matcher (`crate::matcher`) behind the identities view: when a
//! case's child, commune, openness or links change, its pairs are looked for again.
//!
//! Candidates are blocked on name keys in a way that is symmetric (if A finds B, B finds A), so
//! that looking again from either side, or from every case in a full pass, finds the same pairs:
//! same given name, a given name that is the other's family name (parts swapped), or the same
//! family name with a given name of the same first letter (a mistyped given name usually keeps
//! it). The pair is then scored by the pure matcher with the rules in force.

use super::Dialect;
use crate::args;
use crate::sql::{Arg, Col, Conn, Rows};
use aggregates::identity::{compare, Folded, Keys, Level, MatchRules, Person};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

pub const NAME: &str = "duplicates";
/// The version of the tables and of the pairing; a new version looks for every pair again.
pub const VERSION: i32 = 1;
pub const TABLES: &[&str] = &["possible_duplicates", "duplicate_matcher"];

/// A case's candidates scored at most: the open cases of its commune sharing a name key. Real
/// communes have tens of open cases; a cap keeps a pathological one (hundreds of open cases of
/// children with one name) from making the matcher's transaction long, which would hold back
/// every projection behind it (Postgres projects only below the oldest open transaction).
const MAX_CANDIDATES: i64 = 200;

pub fn ddl(d: Dialect) -> Vec<String> {
    let (uuid, ts, real) = match d {
        Dialect::Postgres => ("uuid", "timestamptz", "double precision"),
        Dialect::Sqlite => ("blob", "text", "real"),
    };
    vec![
        format!(
            "CREATE TABLE possible_duplicates (
                case_a {uuid} NOT NULL,
                case_b {uuid} NOT NULL,
                unit text NOT NULL,
                level text NOT NULL,
                score {real} NOT NULL,
                summary_vi text NOT NULL,
                summary_en text NOT NULL,
                reasons text NOT NULL,
                found_at {ts} NOT NULL,
                PRIMARY KEY (case_a, case_b)
            )"
        ),
        "CREATE INDEX possible_duplicates_b ON possible_duplicates (case_b)".to_owned(),
        "CREATE INDEX possible_duplicates_unit ON possible_duplicates (unit, score)".to_owned(),
        // The rules the pairs were found with, and a full pass's progress (the last case done,
        // and the identities view's position when it began).
        "CREATE TABLE duplicate_matcher (
                id integer PRIMARY KEY,
                rules text NOT NULL,
                pass_cursor text,
                pass_tx bigint NOT NULL,
                pass_seq bigint NOT NULL
            )"
        .to_owned(),
    ]
}

/// One reason of a pair's score, in both languages.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredReason {
    pub code: String,
    pub points: f64,
    pub vi: String,
    pub en: String,
}

/// Looks for the pairs of several cases again: removes those they had, and for each open one
/// scores it against the open cases of its commune that share a name key. Pairs with a case
/// of the same child, or with a case said to be about another child, are not kept. Every
/// lookup comes first (three statements for all the cases) and the writes last (two): the
/// transaction takes its id, and holds back the projectors' view of the log, only for those.
pub async fn recompute_all<C: Conn>(
    c: &mut C,
    rules: &MatchRules,
    cases: &[Uuid],
    at: chrono::DateTime<chrono::Utc>,
) -> Result<usize, sqlx::Error> {
    let mut found: HashMap<(Uuid, Uuid), Vec<Arg>> = HashMap::new();
    for chunk in cases.chunks(LOOKUP_CHUNK) {
        pairs_of(c, rules, chunk, at, &mut found).await?;
    }
    for chunk in cases.chunks(500) {
        let list = (1..=chunk.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        c.exec_once(
            &format!(
                "DELETE FROM possible_duplicates WHERE case_a IN ({list}) OR case_b IN ({list})"
            ),
            chunk.iter().map(|id| Arg::from(*id)).collect(),
        )
        .await?;
    }
    let mut pairs = Rows::new(
        "possible_duplicates",
        &[
            "case_a",
            "case_b",
            "unit",
            "level",
            "score",
            "summary_vi",
            "summary_en",
            "reasons",
            "found_at",
        ],
        "",
    );
    let n = found.len();
    for (_, row) in found {
        pairs.push(row);
    }
    pairs.flush(c).await?;
    Ok(n)
}

/// Cases whose lookups go in one statement each: the matcher's step and a full pass's chunk
/// (25 each), so that a full chunk is not padded.
const LOOKUP_CHUNK: usize = 25;

/// The lookups' case lists are padded (repeating the last case) to one of a few lengths, so
/// that each statement's text, and its prepared plan, is one of a few.
fn padded(cases: &[Uuid]) -> Vec<Uuid> {
    let len = cases.len().next_power_of_two().min(LOOKUP_CHUNK);
    let mut out = cases.to_vec();
    if let Some(last) = cases.last() {
        out.resize(len.max(cases.len()), *last);
    }
    out
}

fn list(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One open case's row, as the matcher reads it.
struct Own {
    case_id: Uuid,
    child_id: Uuid,
    unit: String,
    folded: Folded,
}

/// The pairs `cases` are in now (reads only), into `found`, keyed by (case_a, case_b), the
/// lower id first.
async fn pairs_of<C: Conn>(
    c: &mut C,
    rules: &MatchRules,
    cases: &[Uuid],
    at: chrono::DateTime<chrono::Utc>,
    found: &mut HashMap<(Uuid, Uuid), Vec<Arg>>,
) -> Result<(), sqlx::Error> {
    let ids = padded(cases);
    let own_rows = c
        .fetch(
            &format!(
                "SELECT case_id, child_id, acting_unit, folded FROM child_identities \
                 WHERE open = 1 AND case_id IN ({})",
                list(1, ids.len())
            ),
            ids.iter().map(|id| Arg::from(*id)).collect(),
            &[Col::Uuid, Col::Uuid, Col::Text, Col::Text],
        )
        .await?;
    let mut own: Vec<Own> = Vec::new();
    for row in own_rows {
        let (Some(case_id), Some(child_id), Some(unit), Some(folded)) =
            (row[0].uuid(), row[1].uuid(), row[2].text(), row[3].text())
        else {
            continue;
        };
        if own.iter().any(|o| o.case_id == case_id) {
            continue;
        }
        let folded: Folded = serde_json::from_str(folded).unwrap_or_default();
        if folded.given_key().is_none() {
            continue;
        }
        own.push(Own {
            case_id,
            child_id,
            unit: unit.to_owned(),
            folded,
        });
    }
    if own.is_empty() {
        return Ok(());
    }
    // The candidates of every case in one statement: one limited select per case. A case
    // without a family name asks with it NULL, which matches nothing.
    let probed = padded(&own.iter().map(|o| o.case_id).collect::<Vec<_>>());
    let mut probes: Vec<&Own> = own.iter().collect();
    if let Some(last) = own.last() {
        probes.resize(probed.len(), last);
    }
    let mut selects = Vec::with_capacity(probes.len());
    let mut args: Vec<Arg> = Vec::with_capacity(probes.len() * 7);
    for (i, o) in probes.iter().enumerate() {
        let k = args.len();
        selects.push(format!(
            "SELECT * FROM (SELECT ${} AS probe, case_id, child_id, folded FROM child_identities \
               WHERE acting_unit = ${} AND open = 1 AND case_id <> ${} AND child_id <> ${} \
                 AND (given_key = ${} OR family_key = ${} OR given_key = ${} \
                      OR (family_key = ${} AND substr(given_key, 1, 1) = ${})) \
               LIMIT ${}) AS q{i}",
            k + 1,
            k + 2,
            k + 1,
            k + 3,
            k + 4,
            k + 4,
            k + 5,
            k + 5,
            k + 6,
            k + 7
        ));
        let given = o.folded.given_key().map(str::to_owned).unwrap_or_default();
        let initial: String = given.chars().take(1).collect();
        args.extend(args![
            o.case_id,
            o.unit.clone(),
            o.child_id,
            given,
            o.folded.family_key().map(str::to_owned),
            initial,
            Arg::Int(Some(MAX_CANDIDATES))
        ]);
    }
    let candidates = c
        .fetch(
            &selects.join(" UNION ALL "),
            args,
            &[Col::Uuid, Col::Uuid, Col::Uuid, Col::Text],
        )
        .await?;
    if candidates.is_empty() {
        return Ok(());
    }
    let distinct: std::collections::HashSet<(Uuid, Uuid)> = c
        .fetch(
            &format!(
                "SELECT case_id, other_case_id FROM child_distinct WHERE case_id IN ({})",
                list(1, probed.len())
            ),
            probed.iter().map(|id| Arg::from(*id)).collect(),
            &[Col::Uuid, Col::Uuid],
        )
        .await?
        .into_iter()
        .filter_map(|r| Some((r[0].uuid()?, r[1].uuid()?)))
        .collect();
    let keys: HashMap<Uuid, (&Own, Keys)> = own
        .iter()
        .map(|o| (o.case_id, (o, Keys::from_folded(&o.folded, rules))))
        .collect();
    for row in candidates {
        let (Some(probe), Some(other), Some(other_folded)) =
            (row[0].uuid(), row[1].uuid(), row[3].text())
        else {
            continue;
        };
        let Some((o, own_keys)) = keys.get(&probe) else {
            continue;
        };
        if distinct.contains(&(probe, other)) || found.contains_key(&key_of(probe, other)) {
            continue;
        }
        let other_folded: Folded = serde_json::from_str(other_folded).unwrap_or_default();
        let other_keys = Keys::from_folded(&other_folded, rules);
        // Scored in one order whichever side looks, so that a pair is the same from both.
        let (a, b, comparison) = if probe < other {
            (probe, other, compare(own_keys, &other_keys, rules))
        } else {
            (other, probe, compare(&other_keys, own_keys, rules))
        };
        let Some(level) = comparison.level else {
            continue;
        };
        let reasons: Vec<StoredReason> = comparison
            .reasons
            .iter()
            .map(|r| StoredReason {
                code: r.code.to_owned(),
                points: r.points,
                vi: r.vi.clone(),
                en: r.en.clone(),
            })
            .collect();
        found.insert(
            (a, b),
            args![
                a,
                b,
                o.unit.clone(),
                level_code(level),
                Arg::Real(comparison.score),
                comparison.summary(false),
                comparison.summary(true),
                serde_json::to_string(&reasons).unwrap_or_default(),
                at
            ],
        );
    }
    Ok(())
}

fn key_of(a: Uuid, b: Uuid) -> (Uuid, Uuid) {
    if a < b {
        (a, b)
    } else {
        (b, a)
    }
}

pub fn level_code(level: Level) -> &'static str {
    match level {
        Level::Likely => "likely",
        Level::Possible => "possible",
    }
}

/// One pair of the worklist, with both cases as the identities view holds them now.
#[derive(Debug, Clone)]
pub struct PairRow {
    pub unit: String,
    pub level: String,
    pub score: f64,
    pub summary_vi: String,
    pub summary_en: String,
    pub reasons: Vec<StoredReason>,
    pub cases: [PairCase; 2],
}

#[derive(Debug, Clone)]
pub struct PairCase {
    pub case_id: Uuid,
    pub case_number: String,
    pub child_id: Uuid,
    pub status: String,
    /// The child's name as recorded (for the console of the commune; the API leaves it out).
    pub child_name: Option<String>,
}

/// The possible duplicates of `units`, best first. Pairs the identities view has already
/// resolved (a case closed, moved to another commune, linked to the same child, or said to be
/// another child) are left out even before the matcher has looked again.
pub async fn worklist(db: &crate::Db, units: &[String]) -> Result<Vec<PairRow>, sqlx::Error> {
    use sqlx::Row;
    if units.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = (1..=units.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT p.unit, p.level, p.score, p.summary_vi, p.summary_en, p.reasons, \
                a.case_id AS a_id, a.case_number AS a_number, a.child_id AS a_child, a.status AS a_status, a.person AS a_person, \
                b.case_id AS b_id, b.case_number AS b_number, b.child_id AS b_child, b.status AS b_status, b.person AS b_person \
         FROM possible_duplicates p \
         JOIN child_identities a ON a.case_id = p.case_a \
         JOIN child_identities b ON b.case_id = p.case_b \
         WHERE p.unit IN ({placeholders}) \
           AND a.open = 1 AND b.open = 1 AND a.acting_unit = p.unit AND b.acting_unit = p.unit \
           AND a.child_id <> b.child_id \
           AND NOT EXISTS (SELECT 1 FROM child_distinct d \
                           WHERE d.case_id = p.case_a AND d.other_case_id = p.case_b) \
         ORDER BY p.score DESC, a.case_number, b.case_number \
         LIMIT 1000"
    );
    let rows = crate::with_read_db!(db, pool => {
        let mut q = sqlx::query(&sql).persistent(false);
        for unit in units {
            q = q.bind(unit);
        }
        q.fetch_all(pool).await?
            .iter()
            .map(|r| {
                let reasons: String = r.try_get("reasons")?;
                let side = |p: &str| -> Result<PairCase, sqlx::Error> {
                    Ok(PairCase {
                        case_id: r.try_get(format!("{p}_id").as_str())?,
                        case_number: r.try_get(format!("{p}_number").as_str())?,
                        child_id: r.try_get(format!("{p}_child").as_str())?,
                        status: r.try_get(format!("{p}_status").as_str())?,
                        child_name: r
                            .try_get::<String, _>(format!("{p}_person").as_str())
                            .ok()
                            .and_then(|p| serde_json::from_str::<Person>(&p).ok())
                            .and_then(|p| p.full_name),
                    })
                };
                Ok(PairRow {
                    unit: r.try_get("unit")?,
                    level: r.try_get("level")?,
                    score: r.try_get("score")?,
                    summary_vi: r.try_get("summary_vi")?,
                    summary_en: r.try_get("summary_en")?,
                    reasons: serde_json::from_str(&reasons).unwrap_or_default(),
                    cases: [side("a")?, side("b")?],
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?
    });
    Ok(rows)
}
