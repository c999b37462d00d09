//! The `deadlines` projection: every deadline of every case with the due times its rule
//! computed when it started, and how it ended. State (due soon, overdue) is derived at query
//! time from the stored times, so a case becomes overdue without any new event.

use super::{Dialect, Names};
use crate::args;
use crate::log::LoggedEvent;
use crate::sql::{Arg, Conn, Rows};
use aggregates::case::CaseEvent;
use aggregates::deadlines::CancelReason;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use uuid::Uuid;

pub const NAME: &str = "deadlines";
pub const VERSION: i32 = 1;
pub const TABLES: &[&str] = &["case_deadlines"];

pub fn ddl(d: Dialect, n: &Names) -> Vec<String> {
    let (uuid, ts) = match d {
        Dialect::Postgres => ("uuid", "timestamptz"),
        Dialect::Sqlite => ("blob", "text"),
    };
    let t = n.table("case_deadlines");
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
                PRIMARY KEY (case_id, deadline_id)
            )"
        ),
        // The board reads open deadlines by due time.
        format!(
            "CREATE INDEX {} ON {t} (due_at) WHERE outcome IS NULL",
            n.index("case_deadlines", "open_due")
        ),
        format!(
            "CREATE INDEX {} ON {t} (rule_id, due_at)",
            n.index("case_deadlines", "rule")
        ),
    ]
}

/// Applies a batch of events (in log order): new deadlines in one multi-row insert with the
/// outcomes the batch already knows, then one update per deadline started earlier.
pub async fn apply_batch<C: Conn>(
    c: &mut C,
    n: &Names,
    events: &[LoggedEvent],
) -> Result<(), sqlx::Error> {
    let t = n.table("case_deadlines");
    // (case, deadline) → row index in `rows`, for the deadlines this batch starts.
    let mut started: HashMap<(Uuid, String), usize> = HashMap::new();
    let mut rows: Vec<Vec<Arg>> = Vec::new();
    let mut ended: Vec<(Uuid, String, &'static str, DateTime<Utc>)> = Vec::new();
    for e in events {
        let (deadline_id, outcome, at) = match &e.event.event {
            CaseEvent::DeadlineStarted(d) => {
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
                    Option::<DateTime<Utc>>::None
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
