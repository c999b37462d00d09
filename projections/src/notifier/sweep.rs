//! The periodic sweep of the deadline view: every open deadline that is due soon, overdue, or
//! still overdue a working day after it fell due produces one message per state. Each is keyed
//! by (kind, case, deadline, due time) and inserted with `ON CONFLICT DO NOTHING`, so sweeping
//! again, or from several instances at once, writes it once; a deadline restarted with another
//! due time is a new deadline. Deadline state is derived here from the stored due times and
//! business "now", as the views do.
//!
//! Transitions before the notifier's first start are not alerted (like the follower, it does not
//! alert the past on a store that had cases before it).

use super::outbox::{self, Stamp, Units, Written};
use super::{follower, Audience, Draft, Kind, NotifierError, Route};
use crate::args;
use crate::db::Db;
use crate::sql::{Arg, Col, Conn};
use crate::views::Dialect;
use aggregates::codes::{Code, Role};
use aggregates::deadlines::WorkingCalendar;
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use uuid::Uuid;

/// An open deadline at or past its due-soon instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenDeadline {
    pub case_id: Uuid,
    pub case_number: String,
    pub deadline_id: String,
    pub rule_id: String,
    pub due_at: DateTime<Utc>,
    pub due_soon_at: DateTime<Utc>,
    pub acting_unit: String,
    pub assigned_to: Option<Uuid>,
}

fn deadline_draft(
    d: &OpenDeadline,
    kind: Kind,
    at: DateTime<Utc>,
    audience: Vec<Audience>,
) -> Draft {
    Draft {
        dedupe_key: format!(
            "{}:{}:{}:{}",
            kind.code(),
            d.case_id.simple(),
            d.deadline_id,
            d.due_at.timestamp_micros()
        ),
        kind,
        case_id: d.case_id,
        case_number: d.case_number.clone(),
        unit: d.acting_unit.clone(),
        rule_id: Some(d.rule_id.clone()),
        due_at: Some(d.due_at),
        at,
        audience,
        actor: None,
    }
}

/// The messages an open deadline calls for at `now`: due soon (to the worker and the chair)
/// while it is; overdue (the same) once it is; escalated (to the province's supervisors) once
/// it is still open a working day after it fell due. Transitions before `since` call for none.
pub fn deadline_drafts(
    d: &OpenDeadline,
    now: DateTime<Utc>,
    since: DateTime<Utc>,
    calendar: &WorkingCalendar,
) -> Vec<Draft> {
    let commune = || {
        vec![
            Audience::AssignedOrWorkers(d.assigned_to, d.acting_unit.clone()),
            Audience::Role(Role::Approver, d.acting_unit.clone()),
        ]
    };
    let mut out = Vec::new();
    if now < d.due_at {
        if now >= d.due_soon_at && d.due_soon_at >= since {
            out.push(deadline_draft(
                d,
                Kind::DeadlineDueSoon,
                d.due_soon_at,
                commune(),
            ));
        }
        return out;
    }
    if d.due_at >= since {
        out.push(deadline_draft(
            d,
            Kind::DeadlineOverdue,
            d.due_at,
            commune(),
        ));
    }
    match calendar.one_working_day_after(d.due_at) {
        Ok(escalate_at) if now >= escalate_at && escalate_at >= since => {
            out.push(deadline_draft(
                d,
                Kind::DeadlineEscalated,
                escalate_at,
                vec![Audience::ProvinceSupervisors(d.acting_unit.clone())],
            ));
        }
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(rule = %d.rule_id, error = %e, "cannot tell when an overdue deadline is escalated")
        }
    }
    out
}

/// What a sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Open deadlines at or past their due-soon instant.
    pub deadlines: usize,
    pub written: Written,
}

// Only deadlines that can still give a message: due soon since the notifier started, or due
// recently enough that being overdue, or a working day overdue, falls after it (a working day
// after a due time is never more than 15 calendar days later, Tết included). Older overdue
// deadlines of a large store are not read on every sweep.
const OPEN: &str = "SELECT d.case_id, c.case_number, d.deadline_id, d.rule_id, d.due_at, d.due_soon_at, \
    d.acting_unit, c.assigned_to FROM case_deadlines d JOIN case_summaries c ON c.case_id = d.case_id \
    WHERE d.outcome IS NULL AND d.due_soon_at <= $1 AND (d.due_soon_at >= $2 OR d.due_at >= $3)";

/// Sweeps the deadline view at `at.now` (business time).
pub async fn sweep(
    db: &Db,
    routes: &[Route],
    calendar: &WorkingCalendar,
    at: Stamp,
) -> Result<Swept, NotifierError> {
    let Some((_, since)) = follower::checkpoint(db).await? else {
        return Err(NotifierError::NotStarted);
    };
    let rows = crate::with_read_db!(db, pool => {
        let mut conn = pool.acquire().await?;
        Conn::fetch(&mut *conn, OPEN, args![at.now, since, since - chrono::Duration::days(15)], &[
            Col::Uuid, Col::Text, Col::Text, Col::Text, Col::Time, Col::Time, Col::Text, Col::Uuid,
        ]).await?
    });
    let open: Vec<OpenDeadline> = rows
        .iter()
        .filter_map(|r| {
            Some(OpenDeadline {
                case_id: r[0].uuid()?,
                case_number: r[1].text()?.to_owned(),
                deadline_id: r[2].text()?.to_owned(),
                rule_id: r[3].text()?.to_owned(),
                due_at: r[4].time()?,
                due_soon_at: r[5].time()?,
                acting_unit: r[6].text()?.to_owned(),
                assigned_to: r[7].uuid(),
            })
        })
        .collect();
    let drafts: Vec<Draft> = open
        .iter()
        .flat_map(|d| deadline_drafts(d, at.now, since, calendar))
        .collect();
    let mut swept = Swept {
        deadlines: open.len(),
        ..Swept::default()
    };
    // Most were written by an earlier sweep: skip them before taking the write lock.
    let existing = existing_keys(db, &drafts).await?;
    let new: Vec<&Draft> = drafts
        .iter()
        .filter(|d| !existing.contains(&d.dedupe_key))
        .collect();
    let d = match db {
        Db::Postgres(_) => Dialect::Postgres,
        Db::Sqlite(_) => Dialect::Sqlite,
    };
    for chunk in new.chunks(100) {
        let written = crate::with_db!(db, pool => {
            let mut tx = pool.begin_with(match d {
                Dialect::Postgres => "BEGIN",
                Dialect::Sqlite => "BEGIN IMMEDIATE",
            }).await?;
            let mut units = Units::default();
            let mut resolved = Vec::with_capacity(chunk.len());
            for draft in chunk {
                resolved.push(outbox::resolve(&mut *tx, &mut units, routes, draft).await?);
            }
            let written = outbox::write_all(&mut *tx, &resolved, at).await?;
            tx.commit().await?;
            written
        });
        swept.written += written;
    }
    Ok(swept)
}

async fn existing_keys(db: &Db, drafts: &[Draft]) -> Result<HashSet<String>, sqlx::Error> {
    let mut found = HashSet::new();
    for chunk in drafts.chunks(500) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT dedupe_key FROM notifications WHERE dedupe_key IN ({})",
            placeholders.join(", ")
        );
        let args: Vec<Arg> = chunk
            .iter()
            .map(|d| Arg::from(d.dedupe_key.clone()))
            .collect();
        let rows = crate::with_read_db!(db, pool => {
            let mut conn = pool.acquire().await?;
            Conn::fetch(&mut *conn, &sql, args, &[Col::Text]).await?
        });
        found.extend(rows.iter().filter_map(|r| r[0].text().map(str::to_owned)));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn deadline() -> OpenDeadline {
        OpenDeadline {
            case_id: Uuid::nil(),
            case_number: "12-2026-000001".into(),
            deadline_id: "plan_approval/1".into(),
            rule_id: "plan_approval".into(),
            // Due at the end of Thursday 18 June 2026.
            due_at: t("2026-06-19T00:00:00+07:00"),
            due_soon_at: t("2026-06-18T12:00:00+07:00"),
            acting_unit: "03388".into(),
            assigned_to: Some(Uuid::from_u128(3)),
        }
    }

    fn kinds(drafts: &[Draft]) -> Vec<Kind> {
        drafts.iter().map(|d| d.kind).collect()
    }

    #[test]
    fn each_state_calls_for_its_message_once_it_is_reached() {
        let cal = WorkingCalendar::shipped();
        let d = deadline();
        let since = t("2026-06-01T00:00:00+07:00");
        let at = |s: &str| kinds(&deadline_drafts(&d, t(s), since, &cal));
        assert_eq!(at("2026-06-18T11:00:00+07:00"), vec![]);
        assert_eq!(at("2026-06-18T13:00:00+07:00"), vec![Kind::DeadlineDueSoon]);
        assert_eq!(at("2026-06-19T08:00:00+07:00"), vec![Kind::DeadlineOverdue]);
        // Still overdue at the end of Friday 19 June: escalated.
        assert_eq!(
            at("2026-06-20T00:00:00+07:00"),
            vec![Kind::DeadlineOverdue, Kind::DeadlineEscalated]
        );
        let escalated = deadline_drafts(&d, t("2026-06-21T00:00:00+07:00"), since, &cal);
        assert_eq!(
            escalated[1].audience,
            vec![Audience::ProvinceSupervisors("03388".into())]
        );
        assert_eq!(
            escalated[0].audience,
            vec![
                Audience::AssignedOrWorkers(Some(Uuid::from_u128(3)), "03388".into()),
                Audience::Role(Role::Approver, "03388".into())
            ]
        );
    }

    #[test]
    fn keys_name_the_case_the_deadline_its_due_time_and_the_kind() {
        let cal = WorkingCalendar::shipped();
        let d = deadline();
        let since = t("2026-06-01T00:00:00+07:00");
        let now = t("2026-06-19T08:00:00+07:00");
        let first = deadline_drafts(&d, now, since, &cal);
        assert_eq!(first, deadline_drafts(&d, now, since, &cal), "stable");
        assert_eq!(
            first[0].dedupe_key,
            format!(
                "deadline_overdue:{}:plan_approval/1:{}",
                Uuid::nil().simple(),
                d.due_at.timestamp_micros()
            )
        );
        let mut moved = d.clone();
        moved.due_at += chrono::Duration::days(1);
        assert_ne!(
            deadline_drafts(&moved, now + chrono::Duration::days(1), since, &cal)[0].dedupe_key,
            first[0].dedupe_key
        );
    }

    #[test]
    fn transitions_before_the_first_start_are_not_alerted() {
        let cal = WorkingCalendar::shipped();
        let d = deadline();
        // Started after the deadline fell due, before the escalation.
        let since = t("2026-06-19T09:00:00+07:00");
        let drafts = deadline_drafts(&d, t("2026-06-22T09:00:00+07:00"), since, &cal);
        assert_eq!(kinds(&drafts), vec![Kind::DeadlineEscalated]);
    }
}
