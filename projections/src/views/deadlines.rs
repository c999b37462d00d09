//! The `deadlines` projection: every deadline of every case with the due times its rule
//! computed when it started, and how it ended. State (due soon, overdue) is derived at query
//! time from the stored times, so a case becomes overdue without any new event.

use super::{Dialect, Names};
use crate::args;
use crate::log::LoggedEvent;
use crate::sql::Conn;
use aggregates::case::CaseEvent;
use aggregates::deadlines::CancelReason;

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

pub async fn apply<C: Conn>(c: &mut C, n: &Names, e: &LoggedEvent) -> Result<(), sqlx::Error> {
    let t = n.table("case_deadlines");
    match &e.event.event {
        CaseEvent::DeadlineStarted(d) => {
            c.exec(
                &format!(
                    "INSERT INTO {t} (case_id, deadline_id, rule_id, item_id, started_at, due_at, due_soon_at,
                        mark, basis, provisional, outcome, ended_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL)"
                ),
                args![
                    e.case_id,
                    d.deadline_id.clone(),
                    d.rule_id.clone(),
                    d.item_id,
                    d.started_at,
                    d.due_at,
                    d.due_soon_at,
                    d.mark.code(),
                    d.basis.clone(),
                    d.provisional
                ],
            )
            .await?;
        }
        CaseEvent::DeadlineMet(m) => {
            let outcome = if m.late { "met_late" } else { "met" };
            c.exec(
                &format!("UPDATE {t} SET outcome = $1, ended_at = $2 WHERE case_id = $3 AND deadline_id = $4"),
                args![outcome, m.met_at, e.case_id, m.deadline_id.clone()],
            )
            .await?;
        }
        CaseEvent::DeadlineCancelled(x) => {
            let outcome = match x.reason {
                CancelReason::CaseClosed | CancelReason::Superseded => "cancelled",
            };
            c.exec(
                &format!("UPDATE {t} SET outcome = $1, ended_at = $2 WHERE case_id = $3 AND deadline_id = $4"),
                args![outcome, x.cancelled_at, e.case_id, x.deadline_id.clone()],
            )
            .await?;
        }
        _ => {}
    }
    Ok(())
}
