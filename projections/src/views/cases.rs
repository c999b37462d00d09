//! The `cases` projection: one summary row per case (lists, caseload, search, case numbers)
//! with the facts the statistics count (abuse types, measures given).

use super::{normalize, unit_path_key, Dialect, Names};
use crate::args;
use crate::log::LoggedEvent;
use crate::sql::Conn;
use aggregates::case::CaseEvent;
use aggregates::codes::{Code, UrgentMeasure};
use chrono::{DateTime, NaiveDate, Utc};

pub const NAME: &str = "cases";
/// Bump when the tables or what is written into them change: the projection is then rebuilt.
pub const VERSION: i32 = 1;
pub const TABLES: &[&str] = &[
    "case_summaries",
    "case_abuse_types",
    "case_plan_items",
    "case_measures",
];

/// The age groups of indicator 0101.
pub fn age_group(age: Option<i32>) -> &'static str {
    match age {
        Some(0..=5) => "0_5",
        Some(6..=10) => "6_10",
        Some(11..=15) => "11_15",
        Some(16..=17) => "16_17",
        _ => "unknown",
    }
}

fn age_from(
    date_of_birth: Option<NaiveDate>,
    estimated_age: Option<u8>,
    received_at: DateTime<Utc>,
) -> Option<i32> {
    match (date_of_birth, estimated_age) {
        (Some(born), _) => Some(aggregates::case::age_on(
            born,
            aggregates::deadlines::calendar::local_date(received_at),
        )),
        (None, Some(age)) => Some(i32::from(age)),
        (None, None) => None,
    }
}

pub fn ddl(d: Dialect, n: &Names) -> Vec<String> {
    let (uuid, ts, int) = match d {
        Dialect::Postgres => ("uuid", "timestamptz", "bigint"),
        Dialect::Sqlite => ("blob", "text", "integer"),
    };
    let summaries = n.table("case_summaries");
    let abuse = n.table("case_abuse_types");
    let items = n.table("case_plan_items");
    let measures = n.table("case_measures");
    let path_ops = match d {
        Dialect::Postgres => " text_pattern_ops",
        Dialect::Sqlite => "",
    };
    vec![
        format!(
            "CREATE TABLE {summaries} (
                case_id {uuid} PRIMARY KEY,
                case_number text NOT NULL,
                report_id {uuid} NOT NULL,
                child_id {uuid} NOT NULL,
                previous_case_id {uuid},
                status text NOT NULL,
                version {int} NOT NULL,
                acting_path text NOT NULL,
                acting_unit text NOT NULL,
                province text NOT NULL,
                incident_unit text NOT NULL,
                assigned_to {uuid},
                received_at {ts} NOT NULL,
                received_by {uuid} NOT NULL,
                intake_point text NOT NULL,
                channel text NOT NULL,
                target_group text NOT NULL,
                sex text NOT NULL,
                age_group text NOT NULL,
                abuse_environment text,
                child_name text,
                search_key text NOT NULL,
                closed_at {ts},
                closure_reason text,
                updated_at {ts} NOT NULL
            )"
        ),
        format!("CREATE UNIQUE INDEX {} ON {summaries} (case_number)", n.index("case_summaries", "number")),
        format!("CREATE INDEX {} ON {summaries} (acting_path{path_ops})", n.index("case_summaries", "path")),
        format!("CREATE INDEX {} ON {summaries} (assigned_to)", n.index("case_summaries", "worker")),
        format!("CREATE INDEX {} ON {summaries} (received_at, case_id)", n.index("case_summaries", "received")),
        format!("CREATE INDEX {} ON {summaries} (received_by)", n.index("case_summaries", "intake")),
        format!(
            "CREATE TABLE {abuse} (case_id {uuid} NOT NULL, abuse_type text NOT NULL, PRIMARY KEY (case_id, abuse_type))"
        ),
        format!(
            "CREATE TABLE {items} (case_id {uuid} NOT NULL, version {int} NOT NULL, item_id {uuid} NOT NULL,
                measure text NOT NULL, service_type text NOT NULL, PRIMARY KEY (case_id, item_id))"
        ),
        format!(
            "CREATE TABLE {measures} (case_id {uuid} NOT NULL, sequence {int} NOT NULL, kind text NOT NULL,
                code text NOT NULL, service_type text, at {ts} NOT NULL, PRIMARY KEY (case_id, sequence, kind, code))"
        ),
        format!("CREATE INDEX {} ON {measures} (at)", n.index("case_measures", "at")),
    ]
}

/// Applies one event to the tables named by `n`.
pub async fn apply<C: Conn>(c: &mut C, n: &Names, e: &LoggedEvent) -> Result<(), sqlx::Error> {
    let summaries = n.table("case_summaries");
    let id = e.case_id;
    let seq = i64::try_from(e.event.sequence).unwrap_or(i64::MAX);
    let recorded = e.event.metadata.recorded_at;
    match &e.event.event {
        CaseEvent::CaseReported(r) => {
            let child_name = r.child.full_name.as_ref().map(|n| n.to_string());
            let age = age_from(r.child.date_of_birth, r.child.estimated_age, r.received_at);
            c.exec(
                &format!(
                    "INSERT INTO {summaries} (case_id, case_number, report_id, child_id, previous_case_id, status, version,
                        acting_path, acting_unit, province, incident_unit, assigned_to, received_at, received_by,
                        intake_point, channel, target_group, sex, age_group, abuse_environment, child_name, search_key,
                        closed_at, closure_reason, updated_at)
                     VALUES ($1, $2, $3, $4, $5, 'reported', $6, $7, $8, $9, $10, NULL, $11, $12, $13, $14, $15, $16, $17,
                        $18, $19, $20, NULL, NULL, $21)"
                ),
                args![
                    id,
                    r.case_number.clone(),
                    r.report_id,
                    r.child_id,
                    r.previous_case_id,
                    seq,
                    unit_path_key(&r.incident_unit),
                    r.incident_unit.unit().to_string(),
                    r.incident_unit.province().map(ToString::to_string).unwrap_or_default(),
                    r.incident_unit.unit().to_string(),
                    r.received_at,
                    r.received_by,
                    r.intake_point.code(),
                    r.channel.code(),
                    r.target_group.code(),
                    r.child.sex.code(),
                    age_group(age),
                    r.abuse_environment.map(|x| x.code().to_owned()),
                    child_name.clone(),
                    normalize(child_name.as_deref().unwrap_or_default()),
                    recorded,
                ],
            )
            .await?;
            set_abuse_types(c, n, e, r.abuse_types.iter().map(|a| a.code())).await?;
            return Ok(());
        }
        CaseEvent::WorkerAssigned(a) => {
            c.exec(
                &format!("UPDATE {summaries} SET assigned_to = $1 WHERE case_id = $2"),
                args![a.worker_id, id],
            )
            .await?;
        }
        CaseEvent::CaseTransferred(t) => {
            c.exec(
                &format!(
                    "UPDATE {summaries} SET acting_path = $1, acting_unit = $2, province = $3, assigned_to = NULL WHERE case_id = $4"
                ),
                args![
                    unit_path_key(&t.to_unit),
                    t.to_unit.unit().to_string(),
                    t.to_unit.province().map(ToString::to_string).unwrap_or_default(),
                    id
                ],
            )
            .await?;
        }
        CaseEvent::CaseStatusChanged(s) => {
            c.exec(
                &format!("UPDATE {summaries} SET status = $1 WHERE case_id = $2"),
                args![s.to.code(), id],
            )
            .await?;
        }
        CaseEvent::CaseClosed(closed) => {
            c.exec(
                &format!(
                    "UPDATE {summaries} SET closed_at = $1, closure_reason = $2 WHERE case_id = $3"
                ),
                args![closed.decided_at, closed.reason.code(), id],
            )
            .await?;
        }
        CaseEvent::UrgentMeasuresApplied(u) => {
            for m in &u.measures {
                add_measure(c, n, e, "urgent", m.code(), None, u.applied_at).await?;
            }
        }
        CaseEvent::SeparationDecided(s) => {
            add_measure(
                c,
                n,
                e,
                "urgent",
                UrgentMeasure::TemporarySeparation.code(),
                None,
                s.decided_at,
            )
            .await?;
        }
        CaseEvent::PlanSubmitted(p) => {
            let items = n.table("case_plan_items");
            for item in &p.items {
                c.exec(
                    &format!(
                        "INSERT INTO {items} (case_id, version, item_id, measure, service_type) VALUES ($1, $2, $3, $4, $5)"
                    ),
                    args![id, i64::from(p.version), item.item_id, item.measure.code(), item.service_type.code()],
                )
                .await?;
            }
        }
        CaseEvent::PlanApproved(a) => {
            let items = n.table("case_plan_items");
            let measures = n.table("case_measures");
            c.exec(
                &format!(
                    "INSERT INTO {measures} (case_id, sequence, kind, code, service_type, at)
                     SELECT case_id, $1, 'plan', measure, min(service_type), $2 FROM {items}
                     WHERE case_id = $3 AND version = $4 GROUP BY case_id, measure"
                ),
                args![seq, a.decided_at, id, i64::from(a.version)],
            )
            .await?;
        }
        CaseEvent::ServiceDelivered(s) => {
            let items = n.table("case_plan_items");
            let measures = n.table("case_measures");
            c.exec(
                &format!(
                    "INSERT INTO {measures} (case_id, sequence, kind, code, service_type, at)
                     SELECT case_id, $1, 'service', measure, service_type, $2 FROM {items}
                     WHERE case_id = $3 AND item_id = $4"
                ),
                args![seq, s.delivered_at, id, s.item_id],
            )
            .await?;
        }
        // The intake facts are always the first event: a correction naming sequence 1 changes them.
        CaseEvent::FactCorrected(f) if f.corrects_sequence == 1 => {
            correct_report(c, n, e, &f.field, &f.value).await?;
        }
        _ => {}
    }
    c.exec(
        &format!("UPDATE {summaries} SET version = $1, updated_at = $2 WHERE case_id = $3"),
        args![seq, recorded, id],
    )
    .await?;
    Ok(())
}

async fn add_measure<C: Conn>(
    c: &mut C,
    n: &Names,
    e: &LoggedEvent,
    kind: &str,
    code: &str,
    service_type: Option<String>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let measures = n.table("case_measures");
    c.exec(
        &format!(
            "INSERT INTO {measures} (case_id, sequence, kind, code, service_type, at) VALUES ($1, $2, $3, $4, $5, $6)"
        ),
        args![
            e.case_id,
            i64::try_from(e.event.sequence).unwrap_or(i64::MAX),
            kind,
            code,
            service_type,
            at
        ],
    )
    .await?;
    Ok(())
}

async fn set_abuse_types<'a, C: Conn>(
    c: &mut C,
    n: &Names,
    e: &LoggedEvent,
    types: impl Iterator<Item = &'a str>,
) -> Result<(), sqlx::Error> {
    let abuse = n.table("case_abuse_types");
    c.exec(
        &format!("DELETE FROM {abuse} WHERE case_id = $1"),
        args![e.case_id],
    )
    .await?;
    for t in types {
        c.exec(
            &format!("INSERT INTO {abuse} (case_id, abuse_type) VALUES ($1, $2)"),
            args![e.case_id, t],
        )
        .await?;
    }
    Ok(())
}

async fn correct_report<C: Conn>(
    c: &mut C,
    n: &Names,
    e: &LoggedEvent,
    field: &str,
    value: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    let summaries = n.table("case_summaries");
    let id = e.case_id;
    let text = value.as_str().map(str::to_owned);
    match field {
        "child.full_name" => {
            c.exec(
                &format!(
                    "UPDATE {summaries} SET child_name = $1, search_key = $2 WHERE case_id = $3"
                ),
                args![
                    text.clone(),
                    normalize(text.as_deref().unwrap_or_default()),
                    id
                ],
            )
            .await?;
        }
        "child.sex" => {
            c.exec(
                &format!("UPDATE {summaries} SET sex = $1 WHERE case_id = $2"),
                args![text, id],
            )
            .await?;
        }
        "target_group" => {
            c.exec(
                &format!("UPDATE {summaries} SET target_group = $1 WHERE case_id = $2"),
                args![text, id],
            )
            .await?;
        }
        "abuse_environment" => {
            c.exec(
                &format!("UPDATE {summaries} SET abuse_environment = $1 WHERE case_id = $2"),
                args![text, id],
            )
            .await?;
        }
        "abuse_types" => {
            let types: Vec<&str> = value
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
                .unwrap_or_default();
            set_abuse_types(c, n, e, types.into_iter()).await?;
        }
        // Date of birth and estimated age exclude each other (the aggregate checks it), so the
        // corrected one alone gives the age at intake.
        "child.date_of_birth" | "child.estimated_age" => {
            let received = c
                .fetch_time(
                    &format!("SELECT received_at FROM {summaries} WHERE case_id = $1"),
                    args![id],
                )
                .await?;
            if let Some(received) = received {
                let dob = value.as_str().and_then(|s| s.parse::<NaiveDate>().ok());
                let estimated = value.as_u64().and_then(|a| u8::try_from(a).ok());
                let group = age_group(age_from(dob, estimated, received));
                c.exec(
                    &format!("UPDATE {summaries} SET age_group = $1 WHERE case_id = $2"),
                    args![group, id],
                )
                .await?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_groups_follow_indicator_0101() {
        assert_eq!(age_group(Some(0)), "0_5");
        assert_eq!(age_group(Some(5)), "0_5");
        assert_eq!(age_group(Some(6)), "6_10");
        assert_eq!(age_group(Some(15)), "11_15");
        assert_eq!(age_group(Some(17)), "16_17");
        assert_eq!(age_group(None), "unknown");
    }

    #[test]
    fn age_is_taken_on_the_local_day_the_report_was_received() {
        let received = DateTime::parse_from_rfc3339("2026-03-01T23:30:00+07:00")
            .unwrap()
            .with_timezone(&Utc);
        let born: NaiveDate = "2016-03-01".parse().unwrap();
        assert_eq!(age_from(Some(born), None, received), Some(10));
        assert_eq!(age_from(None, Some(7), received), Some(7));
        assert_eq!(age_from(None, None, received), None);
    }
}
