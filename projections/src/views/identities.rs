//! The `identities` projection: the child of every case, folded for matching (issue 12, "one
//! child, one record"). One row per case, with the child identity the case points to now: a
//! link or an unlink changes only `child_id`, so nothing is merged and an unlink restores.
//! Pairs found to be different children are kept beside it, so that they are not asked again.

use super::{unit_path_key, Dialect, Names};
use crate::args;
use crate::log::LoggedEvent;
use crate::sql::{update_rows, Arg, Conn, Rows};
use aggregates::case::corrections::Fact;
use aggregates::case::{CaseEvent, CaseReported};
use aggregates::deadlines::calendar::local_date;
use aggregates::identity::fold::fold;
use aggregates::identity::{Folded, Person};
use chrono::{DateTime, Datelike, Utc};
use std::collections::HashMap;
use uuid::Uuid;

pub const NAME: &str = "identities";
pub const VERSION: i32 = 1;
pub const TABLES: &[&str] = &["child_identities", "child_distinct"];

pub fn ddl(d: Dialect, n: &Names) -> Vec<String> {
    let (uuid, ts, int) = match d {
        Dialect::Postgres => ("uuid", "timestamptz", "bigint"),
        Dialect::Sqlite => ("blob", "text", "integer"),
    };
    let t = n.table("child_identities");
    let distinct = n.table("child_distinct");
    vec![
        format!(
            "CREATE TABLE {t} (
                case_id {uuid} PRIMARY KEY,
                child_id {uuid} NOT NULL,
                case_number text NOT NULL,
                status text NOT NULL,
                open {int} NOT NULL,
                acting_path text NOT NULL,
                acting_unit text NOT NULL,
                given_key text,
                family_key text,
                birth_year {int},
                folded text NOT NULL,
                person text NOT NULL,
                updated_at {ts} NOT NULL
            )"
        ),
        format!(
            "CREATE INDEX {} ON {t} (child_id)",
            n.index("child_identities", "child")
        ),
        format!(
            "CREATE INDEX {} ON {t} (given_key)",
            n.index("child_identities", "given")
        ),
        format!(
            "CREATE INDEX {} ON {t} (family_key)",
            n.index("child_identities", "family")
        ),
        format!(
            "CREATE INDEX {} ON {t} (acting_unit, open)",
            n.index("child_identities", "unit")
        ),
        format!(
            "CREATE TABLE {distinct} (case_id {uuid} NOT NULL, other_case_id {uuid} NOT NULL,
                PRIMARY KEY (case_id, other_case_id))"
        ),
    ]
}

/// Relationships a reporter may state that make its name and phone a parent's.
const PARENT_WORDS: &[&str] = &[
    "me", "bo", "cha", "ba", "ma", "me de", "bo de", "cha de", "mother", "father", "parent",
];

/// What the matcher compares of a reported child: the child block, the report's day (ages
/// grow), and the reporter's name and phone when the reporter is a parent who consented.
pub fn person_of(r: &CaseReported) -> Person {
    let parent = r.reporter.as_ref().filter(|rep| {
        rep.consent
            && rep
                .relationship
                .as_ref()
                .is_some_and(|rel| PARENT_WORDS.contains(&fold(&rel.to_string()).as_str()))
    });
    Person {
        full_name: r.child.full_name.as_ref().map(ToString::to_string),
        date_of_birth: r.child.date_of_birth,
        estimated_age: r.child.estimated_age,
        age_as_of: Some(local_date(r.received_at)),
        sex: r.child.sex,
        ethnicity: r.child.ethnicity.as_ref().map(ToString::to_string),
        // The incident commune stands for an unknown residence (the search does the same).
        residence_unit: r
            .child
            .residence_unit
            .as_ref()
            .map(ToString::to_string)
            .or_else(|| Some(r.incident_unit.unit().to_string())),
        school: r.child.school.as_ref().map(ToString::to_string),
        parent_name: parent.and_then(|p| p.name.as_ref().map(ToString::to_string)),
        parent_phone: parent.and_then(|p| p.phone.as_ref().map(ToString::to_string)),
    }
}

/// The year a child was born in, roughly: to narrow the candidates of a search.
pub fn birth_year(p: &Folded) -> Option<i64> {
    match (p.date_of_birth, p.estimated_age, p.age_as_of) {
        (Some(born), _, _) => Some(i64::from(born.year())),
        (None, Some(age), Some(as_of)) => Some(i64::from(as_of.year()) - i64::from(age) - 1),
        _ => None,
    }
}

/// The columns that follow from the person.
fn keyed(person: &Person) -> Vec<Arg> {
    let folded = Folded::of(person);
    args![
        folded.given_key().map(str::to_owned),
        folded.family_key().map(str::to_owned),
        Arg::Int(birth_year(&folded)),
        serde_json::to_string(&folded).unwrap_or_default(),
        serde_json::to_string(person).unwrap_or_default()
    ]
}

/// A reported case's row.
pub struct NewIdentity<'a> {
    pub case_id: Uuid,
    pub child_id: Uuid,
    pub case_number: String,
    pub acting: &'a aggregates::units::UnitPath,
    pub person: Person,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// The columns of a reported case's row, in `COLUMNS` order.
const COLUMNS: &[&str] = &[
    "case_id",
    "child_id",
    "case_number",
    "status",
    "open",
    "acting_path",
    "acting_unit",
    "given_key",
    "family_key",
    "birth_year",
    "folded",
    "person",
    "updated_at",
];
const STATUS: usize = 3;
const OPEN: usize = 4;
const UPDATED_AT: usize = 12;

fn row_args(row: &NewIdentity<'_>) -> Vec<Arg> {
    let mut values = args![
        row.case_id,
        row.child_id,
        row.case_number.clone(),
        "reported",
        1i64,
        unit_path_key(row.acting),
        row.acting.unit().to_string()
    ];
    values.extend(keyed(&row.person));
    values.push(row.at.into());
    values
}

/// Inserts the row of a reported case into `table` (the live table, or a benchmark's).
pub async fn insert<C: Conn>(
    c: &mut C,
    table: &str,
    row: &NewIdentity<'_>,
) -> Result<(), sqlx::Error> {
    let mut rows = Rows::new(table, COLUMNS, "");
    rows.push(row_args(row));
    rows.flush(c).await
}

/// The common writes of a batch, held back to go out in multi-row statements: the rows of
/// reported cases and the last status of the others. An event whose write is rare (a transfer,
/// a link, a correction) flushes them first, so that the writes keep the log's order.
struct Pending {
    table: String,
    inserts: Vec<Vec<Arg>>,
    inserted: HashMap<Uuid, usize>,
    statuses: Vec<(Uuid, Vec<Arg>)>,
    updated: HashMap<Uuid, usize>,
}

impl Pending {
    fn new(table: &str) -> Self {
        Self {
            table: table.to_owned(),
            inserts: Vec::new(),
            inserted: HashMap::new(),
            statuses: Vec::new(),
            updated: HashMap::new(),
        }
    }

    fn insert(&mut self, case_id: Uuid, values: Vec<Arg>) {
        self.inserted.insert(case_id, self.inserts.len());
        self.inserts.push(values);
    }

    fn status(&mut self, case_id: Uuid, status: &'static str, open: i64, at: DateTime<Utc>) {
        if let Some(&i) = self.inserted.get(&case_id) {
            let row = &mut self.inserts[i];
            row[STATUS] = status.into();
            row[OPEN] = open.into();
            row[UPDATED_AT] = at.into();
        } else if let Some(&i) = self.updated.get(&case_id) {
            self.statuses[i].1 = args![status, open, at];
        } else {
            self.updated.insert(case_id, self.statuses.len());
            self.statuses.push((case_id, args![status, open, at]));
        }
    }

    async fn flush<C: Conn>(&mut self, c: &mut C) -> Result<(), sqlx::Error> {
        if !self.inserts.is_empty() {
            let mut rows = Rows::new(&self.table, COLUMNS, "");
            for values in self.inserts.drain(..) {
                rows.push(values);
            }
            rows.flush(c).await?;
            self.inserted.clear();
        }
        if !self.statuses.is_empty() {
            let statuses = std::mem::take(&mut self.statuses);
            update_rows(c, &self.table, &["status", "open", "updated_at"], statuses).await?;
            self.updated.clear();
        }
        Ok(())
    }
}

/// Applies a batch of events in log order: the rows of reported cases and the status changes
/// in multi-row statements, the rare others (transfer, links, child corrections) one by one.
pub async fn apply_batch<C: Conn>(
    c: &mut C,
    n: &Names,
    events: &[LoggedEvent],
) -> Result<(), sqlx::Error> {
    let t = n.table("child_identities");
    let distinct = n.table("child_distinct");
    let mut pending = Pending::new(&t);
    for e in events {
        let id = e.case_id;
        let at = e.event.metadata.recorded_at;
        let event = &e.event.event;
        match event {
            CaseEvent::CaseReported(_) | CaseEvent::CaseStatusChanged(_) => {}
            // Not a write of this view: nothing to flush for it.
            CaseEvent::FactCorrected(f) if f.corrects_sequence != 1 => continue,
            CaseEvent::CaseTransferred(_)
            | CaseEvent::ChildLinked(_)
            | CaseEvent::ChildUnlinked(_)
            | CaseEvent::ChildDistinguished(_)
            | CaseEvent::FactCorrected(_) => pending.flush(c).await?,
            _ => continue,
        }
        match event {
            CaseEvent::CaseReported(r) => {
                let row = NewIdentity {
                    case_id: id,
                    child_id: r.child_id,
                    case_number: r.case_number.clone(),
                    acting: &r.incident_unit,
                    person: person_of(r),
                    at,
                };
                pending.insert(id, row_args(&row));
                for other in &r.not_same_as {
                    distinct_pair(c, &distinct, id, *other).await?;
                }
            }
            CaseEvent::ChildDistinguished(d) => {
                distinct_pair(c, &distinct, id, d.other_case_id).await?;
            }
            CaseEvent::CaseStatusChanged(s) => {
                let open = i64::from(s.to != aggregates::codes::CaseStatus::Closed);
                pending.status(id, aggregates::codes::Code::code(s.to), open, at);
            }
            CaseEvent::CaseTransferred(tr) => {
                c.exec(
                    &format!("UPDATE {t} SET acting_path = $1, acting_unit = $2, updated_at = $3 WHERE case_id = $4"),
                    args![unit_path_key(&tr.to_unit), tr.to_unit.unit().to_string(), at, id],
                )
                .await?;
            }
            CaseEvent::ChildLinked(l) => set_child(c, &t, id, l.child_id, at).await?,
            CaseEvent::ChildUnlinked(u) => set_child(c, &t, id, u.child_id, at).await?,
            // Corrections of the intake facts (sequence 1) that change what is matched.
            CaseEvent::FactCorrected(f) if f.corrects_sequence == 1 => {
                let Some(fact) = Fact::of("CaseReported", f) else {
                    continue;
                };
                let rows = c
                    .fetch_id_texts(
                        &format!("SELECT case_id, person, case_number FROM {t} WHERE case_id = $1"),
                        args![id],
                    )
                    .await?;
                let Some((_, stored, _)) = rows.into_iter().next() else {
                    continue;
                };
                let mut person: Person = serde_json::from_str(&stored).unwrap_or_default();
                let text =
                    |v: &Option<aggregates::text::ShortText>| v.as_ref().map(ToString::to_string);
                match fact {
                    Fact::ChildFullName(v) => person.full_name = text(&v),
                    Fact::ChildDateOfBirth(v) => person.date_of_birth = v,
                    Fact::ChildEstimatedAge(v) => person.estimated_age = v,
                    Fact::ChildSex(v) => person.sex = v,
                    Fact::ChildEthnicity(v) => person.ethnicity = text(&v),
                    Fact::ChildSchool(v) => person.school = text(&v),
                    _ => continue,
                }
                let mut values = keyed(&person);
                values.push(at.into());
                values.push(id.into());
                c.exec(
                    &format!(
                        "UPDATE {t} SET given_key = $1, family_key = $2, birth_year = $3, folded = $4,
                            person = $5, updated_at = $6 WHERE case_id = $7"
                    ),
                    values,
                )
                .await?;
            }
            _ => {}
        }
    }
    pending.flush(c).await
}

async fn set_child<C: Conn>(
    c: &mut C,
    t: &str,
    case_id: Uuid,
    child_id: Uuid,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), sqlx::Error> {
    c.exec(
        &format!("UPDATE {t} SET child_id = $1, updated_at = $2 WHERE case_id = $3"),
        args![child_id, at, case_id],
    )
    .await
    .map(|_| ())
}

/// Both directions, so that either case finds the pair by its own id.
async fn distinct_pair<C: Conn>(
    c: &mut C,
    distinct: &str,
    a: Uuid,
    b: Uuid,
) -> Result<(), sqlx::Error> {
    for (x, y) in [(a, b), (b, a)] {
        c.exec(
            &format!(
                "INSERT INTO {distinct} (case_id, other_case_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            ),
            args![x, y],
        )
        .await?;
    }
    Ok(())
}
