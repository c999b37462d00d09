//! The `deadlines` projection: every deadline of every case with the due times its rule
//! computed when it started, and how it ended. State (due soon, overdue) is derived at query
//! time from the stored times, so a case becomes overdue without any new event.

use super::{unit_path_key, Dialect, Names};
use crate::args;
use crate::log::LoggedEvent;
use crate::sql::{Arg, Conn, Rows};
use aggregates::case::CaseEvent;
use aggregates::deadlines::CancelReason;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use uuid::Uuid;

pub const NAME: &str = "deadlines";
/// 2: the case's acting unit beside each deadline, so that a commune's board is one ordered
/// index scan.
pub const VERSION: i32 = 2;
pub const TABLES: &[&str] = &["case_deadlines", "deadline_cases"];

pub fn ddl(d: Dialect, n: &Names) -> Vec<String> {
    let (uuid, ts) = match d {
        Dialect::Postgres => ("uuid", "timestamptz"),
        Dialect::Sqlite => ("blob", "text"),
    };
    let path_ops = match d {
        Dialect::Postgres => " text_pattern_ops",
        Dialect::Sqlite => "",
    };
    let t = n.table("case_deadlines");
    let cases = n.table("deadline_cases");
    vec![
        format!(
            "CREATE TABLE {t} (
                case_id {uuid} NOT NULL,
                deadline_id text NOT NULL,
                rule_id text NOT NULL,
                item_id {uuid},
                started_at {ts} NOT NULL,
                due_at {ts} NOT NULL,
                due_soon_at {ts} NOT NULL,
                mark text NOT NULL,
                basis text NOT NULL,
                provisional boolean NOT NULL,
                outcome text,
                ended_at {ts},
                acting_path text NOT NULL,
                acting_unit text NOT NULL,
                PRIMARY KEY (case_id, deadline_id)
            )"
        ),
        // The boards read open deadlines by due time: a commune's directly, wider units by path.
        format!(
            "CREATE INDEX {} ON {t} (acting_unit, due_at) WHERE outcome IS NULL",
            n.index("case_deadlines", "unit_due")
        ),
        format!(
            "CREATE INDEX {} ON {t} (due_at) WHERE outcome IS NULL",
            n.index("case_deadlines", "open_due")
        ),
        format!(
            "CREATE INDEX {} ON {t} (acting_path{path_ops}) WHERE outcome IS NULL",
            n.index("case_deadlines", "open_path")
        ),
        format!("CREATE INDEX {} ON {t} (rule_id, due_at)", n.index("case_deadlines", "rule")),
        // Where each case acts now, as this projection has seen it.
        format!(
            "CREATE TABLE {cases} (case_id {uuid} PRIMARY KEY, acting_path text NOT NULL, acting_unit text NOT NULL)"
        ),
    ]
}

/// Applies a batch of events (in log order): new deadlines in one multi-row insert with the
/// outcomes and units the batch already knows, then one update per deadline started earlier.
pub async fn apply_batch<C: Conn>(
    c: &mut C,
    n: &Names,
    events: &[LoggedEvent],
) -> Result<(), sqlx::Error> {
    let t = n.table("case_deadlines");
    let cases = n.table("deadline_cases");
    // Where each case of the batch acts: reported in the batch, or as stored before.
    let mut units: HashMap<Uuid, (String, String)> = HashMap::new();
    let unknown: Vec<Uuid> = {
        let mut reported = std::collections::HashSet::new();
        let mut unknown = Vec::new();
        for e in events {
            match &e.event.event {
                CaseEvent::CaseReported(_) => {
                    reported.insert(e.case_id);
                }
                CaseEvent::DeadlineStarted(_) | CaseEvent::CaseTransferred(_)
                    if !reported.contains(&e.case_id) && !unknown.contains(&e.case_id) =>
                {
                    unknown.push(e.case_id);
                }
                _ => {}
            }
        }
        unknown
    };
    for chunk in unknown.chunks(500) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let rows = c
            .fetch_id_texts(
                &format!(
                    "SELECT case_id, acting_path, acting_unit FROM {cases} WHERE case_id IN ({})",
                    placeholders.join(", ")
                ),
                chunk.iter().map(|id| Arg::from(*id)).collect(),
            )
            .await?;
        for (id, path, unit) in rows {
            units.insert(id, (path, unit));
        }
    }

    let mut new_cases = Rows::new(&cases, &["case_id", "acting_path", "acting_unit"], "");
    // (case, deadline) → row index in `rows`, for the deadlines this batch starts.
    let mut started: HashMap<(Uuid, String), usize> = HashMap::new();
    let mut rows: Vec<Vec<Arg>> = Vec::new();
    let mut ended: Vec<(Uuid, String, &'static str, DateTime<Utc>)> = Vec::new();
    let mut moved: Vec<(Uuid, String, String)> = Vec::new();
    for e in events {
        let (deadline_id, outcome, at) = match &e.event.event {
            CaseEvent::CaseReported(r) => {
                let unit = (
                    unit_path_key(&r.incident_unit),
                    r.incident_unit.unit().to_string(),
                );
                new_cases.push(args![e.case_id, unit.0.clone(), unit.1.clone()]);
                units.insert(e.case_id, unit);
                continue;
            }
            CaseEvent::CaseTransferred(tr) => {
                let unit = (unit_path_key(&tr.to_unit), tr.to_unit.unit().to_string());
                for (&(case, _), &i) in &started {
                    if case == e.case_id {
                        rows[i][12] = Arg::from(unit.0.clone());
                        rows[i][13] = Arg::from(unit.1.clone());
                    }
                }
                moved.push((e.case_id, unit.0.clone(), unit.1.clone()));
                units.insert(e.case_id, unit);
                continue;
            }
            CaseEvent::DeadlineStarted(d) => {
                let (path, unit) = units.get(&e.case_id).cloned().unwrap_or_default();
                started.insert((e.case_id, d.deadline_id.clone()), rows.len());
                rows.push(args![
                    e.case_id,
                    d.deadline_id.clone(),
                    d.rule_id.clone(),
                    d.item_id,
                    d.started_at,
                    d.due_at,
                    d.due_soon_at,
                    d.mark.code(),
                    d.basis.clone(),
                    d.provisional,
                    Option::<String>::None,
                    Option::<DateTime<Utc>>::None,
                    path,
                    unit
                ]);
                continue;
            }
            CaseEvent::DeadlineMet(m) => (
                &m.deadline_id,
                if m.late { "met_late" } else { "met" },
                m.met_at,
            ),
            CaseEvent::DeadlineCancelled(x) => {
                let outcome = match x.reason {
                    CancelReason::CaseClosed | CancelReason::Superseded => "cancelled",
                };
                (&x.deadline_id, outcome, x.cancelled_at)
            }
            _ => continue,
        };
        match started.get(&(e.case_id, deadline_id.clone())) {
            Some(&i) => {
                rows[i][10] = Arg::Text(Some(outcome.to_owned()));
                rows[i][11] = Arg::Time(Some(at));
            }
            None => ended.push((e.case_id, deadline_id.clone(), outcome, at)),
        }
    }
    new_cases.flush(c).await?;
    // Transfers move the deadlines started before this batch, and the case's own row.
    for (case_id, path, unit) in moved {
        c.exec(
            &format!("UPDATE {cases} SET acting_path = $1, acting_unit = $2 WHERE case_id = $3"),
            args![path.clone(), unit.clone(), case_id],
        )
        .await?;
        c.exec(
            &format!("UPDATE {t} SET acting_path = $1, acting_unit = $2 WHERE case_id = $3"),
            args![path, unit, case_id],
        )
        .await?;
    }
    let mut insert = Rows::new(
        &t,
        &[
            "case_id",
            "deadline_id",
            "rule_id",
            "item_id",
            "started_at",
            "due_at",
            "due_soon_at",
            "mark",
            "basis",
            "provisional",
            "outcome",
            "ended_at",
            "acting_path",
            "acting_unit",
        ],
        "",
    );
    for row in rows {
        insert.push(row);
    }
    insert.flush(c).await?;
    for (case_id, deadline_id, outcome, at) in ended {
        c.exec(
            &format!("UPDATE {t} SET outcome = $1, ended_at = $2 WHERE case_id = $3 AND deadline_id = $4"),
            args![outcome, at, case_id, deadline_id],
        )
        .await?;
    }
    Ok(())
}
