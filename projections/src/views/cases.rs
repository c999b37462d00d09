//! The `cases` projection: one summary row per case (lists, caseload, search, case numbers)
//! with the facts the statistics count (abuse types, measures given).

use super::{normalize, unit_path_key, Dialect, Names};
use crate::args;
use crate::log::LoggedEvent;
use crate::sql::{update_rows, Arg, Conn, Rows};
use aggregates::case::CaseEvent;
use aggregates::codes::{Code, UrgentMeasure};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;
use uuid::Uuid;

pub const NAME: &str = "cases";
/// Bump when the tables or what is written into them change: the projection is then rebuilt.
/// 2: a commune's cases by intake time in one index.
/// 4: `child_id` follows links between cases about the same child (issue 12).
pub const VERSION: i32 = 4;
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

pub(crate) fn age_from(
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
                updated_at {ts} NOT NULL,
                hotline_support {int} NOT NULL DEFAULT 0
            )"
        ),
        format!("CREATE UNIQUE INDEX {} ON {summaries} (case_number)", n.index("case_summaries", "number")),
        format!("CREATE INDEX {} ON {summaries} (acting_path{path_ops})", n.index("case_summaries", "path")),
        format!("CREATE INDEX {} ON {summaries} (assigned_to)", n.index("case_summaries", "worker")),
        format!(
            "CREATE INDEX {} ON {summaries} (acting_unit, received_at, case_id)",
            n.index("case_summaries", "unit_received")
        ),
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

/// The columns of a summary row a batch may change, for cases already in the table.
#[derive(Default)]
struct Patch {
    status: Option<String>,
    version: Option<i64>,
    updated_at: Option<DateTime<Utc>>,
    assigned_to: Option<Option<Uuid>>,
    acting: Option<(String, String, String)>,
    closed: Option<(DateTime<Utc>, String)>,
    child_name: Option<Option<String>>,
    sex: Option<String>,
    target_group: Option<String>,
    abuse_environment: Option<Option<String>>,
    /// A corrected date of birth or age, to turn into an age group with the stored intake time.
    age: Option<(Option<NaiveDate>, Option<u8>)>,
    /// 1 while the hotline's support is requested (ND56 art. 31(3)), else 0.
    hotline_support: Option<i64>,
    /// The child identity, after a link or an unlink.
    child_id: Option<Uuid>,
}

/// A summary row inserted by this batch, changed in memory by the batch's later events.
struct NewRow {
    case_id: Uuid,
    case_number: String,
    report_id: Uuid,
    child_id: Uuid,
    previous_case_id: Option<Uuid>,
    received_at: DateTime<Utc>,
    received_by: Uuid,
    incident_unit: String,
    intake_point: String,
    channel: String,
    patch: Patch,
    /// Age at intake, corrected by the batch if need be.
    age: Option<i32>,
}

const SUMMARY_COLUMNS: &[&str] = &[
    "case_id",
    "case_number",
    "report_id",
    "child_id",
    "previous_case_id",
    "status",
    "version",
    "acting_path",
    "acting_unit",
    "province",
    "incident_unit",
    "assigned_to",
    "received_at",
    "received_by",
    "intake_point",
    "channel",
    "target_group",
    "sex",
    "age_group",
    "abuse_environment",
    "child_name",
    "search_key",
    "closed_at",
    "closure_reason",
    "updated_at",
    "hotline_support",
];

/// What one batch does to the tables: new rows, one patch per existing case, and the side
/// tables' statements in event order.
struct Changes {
    new_rows: Vec<NewRow>,
    new_index: HashMap<Uuid, usize>,
    patches: HashMap<Uuid, Patch>,
    abuse_types: Rows,
    plan_items: Rows,
    measures: Rows,
}

impl Changes {
    fn patch(&mut self, id: Uuid) -> &mut Patch {
        match self.new_index.get(&id) {
            Some(&i) => &mut self.new_rows[i].patch,
            None => self.patches.entry(id).or_default(),
        }
    }
}

/// Applies a batch of events (in log order) to the tables named by `n`: one multi-row insert for
/// new cases, one update per case already known, the side tables in order.
pub async fn apply_batch<C: Conn>(
    c: &mut C,
    n: &Names,
    events: &[LoggedEvent],
) -> Result<(), sqlx::Error> {
    let summaries = n.table("case_summaries");
    let abuse = n.table("case_abuse_types");
    let items_table = n.table("case_plan_items");
    let measures_table = n.table("case_measures");
    let mut ch = Changes {
        new_rows: Vec::new(),
        new_index: HashMap::new(),
        patches: HashMap::new(),
        abuse_types: Rows::new(&abuse, &["case_id", "abuse_type"], ""),
        plan_items: Rows::new(
            &items_table,
            &["case_id", "version", "item_id", "measure", "service_type"],
            "",
        ),
        measures: Rows::new(
            &measures_table,
            &["case_id", "sequence", "kind", "code", "service_type", "at"],
            "",
        ),
    };
    for e in events {
        let id = e.case_id;
        let seq = i64::try_from(e.event.sequence).unwrap_or(i64::MAX);
        let recorded = e.event.metadata.recorded_at;
        match &e.event.event {
            CaseEvent::CaseReported(r) => {
                let child_name = r.child.full_name.as_ref().map(|n| n.to_string());
                ch.new_index.insert(id, ch.new_rows.len());
                ch.new_rows.push(NewRow {
                    case_id: id,
                    case_number: r.case_number.clone(),
                    report_id: r.report_id,
                    child_id: r.child_id,
                    previous_case_id: r.previous_case_id,
                    received_at: r.received_at,
                    received_by: r.received_by,
                    incident_unit: r.incident_unit.unit().to_string(),
                    intake_point: r.intake_point.code().to_owned(),
                    channel: r.channel.code().to_owned(),
                    age: age_from(r.child.date_of_birth, r.child.estimated_age, r.received_at),
                    patch: Patch {
                        status: Some("reported".to_owned()),
                        acting: Some((
                            unit_path_key(&r.incident_unit),
                            r.incident_unit.unit().to_string(),
                            r.incident_unit
                                .province()
                                .map(ToString::to_string)
                                .unwrap_or_default(),
                        )),
                        assigned_to: Some(None),
                        child_name: Some(child_name),
                        sex: Some(r.child.sex.code().to_owned()),
                        target_group: Some(r.target_group.code().to_owned()),
                        abuse_environment: Some(r.abuse_environment.map(|x| x.code().to_owned())),
                        ..Patch::default()
                    },
                });
                for t in &r.abuse_types {
                    ch.abuse_types.push(args![id, t.code()]);
                }
            }
            CaseEvent::WorkerAssigned(a) => ch.patch(id).assigned_to = Some(Some(a.worker_id)),
            CaseEvent::CaseTransferred(t) => {
                let p = ch.patch(id);
                p.acting = Some((
                    unit_path_key(&t.to_unit),
                    t.to_unit.unit().to_string(),
                    t.to_unit
                        .province()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                ));
                p.assigned_to = Some(None);
            }
            CaseEvent::CaseStatusChanged(s) => ch.patch(id).status = Some(s.to.code().to_owned()),
            CaseEvent::ChildLinked(l) => ch.patch(id).child_id = Some(l.child_id),
            CaseEvent::ChildUnlinked(u) => ch.patch(id).child_id = Some(u.child_id),
            CaseEvent::HotlineSupportRequested(_) => ch.patch(id).hotline_support = Some(1),
            CaseEvent::HotlineSupportWithdrawn(_) => ch.patch(id).hotline_support = Some(0),
            CaseEvent::CaseClosed(closed) => {
                ch.patch(id).closed = Some((closed.decided_at, closed.reason.code().to_owned()));
            }
            CaseEvent::UrgentMeasuresApplied(u) => {
                for m in &u.measures {
                    ch.measures.push(args![
                        id,
                        seq,
                        "urgent",
                        m.code(),
                        Option::<String>::None,
                        u.applied_at
                    ]);
                }
            }
            CaseEvent::SeparationDecided(s) => {
                ch.measures.push(args![
                    id,
                    seq,
                    "urgent",
                    UrgentMeasure::TemporarySeparation.code(),
                    Option::<String>::None,
                    s.decided_at
                ]);
            }
            CaseEvent::PlanSubmitted(p) => {
                for item in &p.items {
                    ch.plan_items.push(args![
                        id,
                        i64::from(p.version),
                        item.item_id,
                        item.measure.code(),
                        item.service_type.code()
                    ]);
                }
            }
            CaseEvent::PlanApproved(a) => {
                // Reads the plan items: write what is buffered first.
                ch.plan_items.flush(c).await?;
                ch.measures.flush(c).await?;
                c.exec(
                    &format!(
                        "INSERT INTO {measures_table} (case_id, sequence, kind, code, service_type, at)
                         SELECT case_id, $1, 'plan', measure, min(service_type), $2 FROM {items_table}
                         WHERE case_id = $3 AND version = $4 GROUP BY case_id, measure"
                    ),
                    args![seq, a.decided_at, id, i64::from(a.version)],
                )
                .await?;
            }
            CaseEvent::ServiceDelivered(s) => {
                ch.plan_items.flush(c).await?;
                ch.measures.flush(c).await?;
                c.exec(
                    &format!(
                        "INSERT INTO {measures_table} (case_id, sequence, kind, code, service_type, at)
                         SELECT case_id, $1, 'service', measure, service_type, $2 FROM {items_table}
                         WHERE case_id = $3 AND item_id = $4"
                    ),
                    args![seq, s.delivered_at, id, s.item_id],
                )
                .await?;
            }
            // The intake facts are always the first event: a correction naming sequence 1
            // changes them.
            CaseEvent::FactCorrected(f) if f.corrects_sequence == 1 => {
                use aggregates::case::corrections::Fact;
                use aggregates::codes::Code;
                match Fact::of("CaseReported", f) {
                    Some(Fact::ChildFullName(name)) => {
                        ch.patch(id).child_name = Some(name.map(|n| n.to_string()));
                    }
                    Some(Fact::ChildSex(sex)) => ch.patch(id).sex = Some(sex.code().to_owned()),
                    Some(Fact::TargetGroup(t)) => {
                        ch.patch(id).target_group = Some(t.code().to_owned());
                    }
                    Some(Fact::AbuseEnvironment(e)) => {
                        ch.patch(id).abuse_environment = Some(e.map(|e| e.code().to_owned()));
                    }
                    // Date of birth and estimated age exclude each other (the aggregate checks
                    // it), so the corrected one alone gives the age at intake.
                    Some(Fact::ChildDateOfBirth(born)) => ch.patch(id).age = Some((born, None)),
                    Some(Fact::ChildEstimatedAge(age)) => ch.patch(id).age = Some((None, age)),
                    Some(Fact::AbuseTypes(types)) => {
                        ch.abuse_types.flush(c).await?;
                        c.exec(
                            &format!("DELETE FROM {abuse} WHERE case_id = $1"),
                            args![id],
                        )
                        .await?;
                        for t in types {
                            ch.abuse_types.push(args![id, t.code()]);
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        let p = ch.patch(id);
        p.version = Some(seq);
        p.updated_at = Some(recorded);
    }

    // New cases: one multi-row insert.
    let mut rows = Rows::new(&summaries, SUMMARY_COLUMNS, "");
    for mut r in ch.new_rows {
        if let Some((dob, age)) = r.patch.age {
            r.age = age_from(dob, age, r.received_at);
        }
        let p = r.patch;
        let (path, unit, province) = p.acting.unwrap_or_default();
        let child_name = p.child_name.flatten();
        let (closed_at, closure_reason) = match p.closed {
            Some((at, reason)) => (Some(at), Some(reason)),
            None => (None, None),
        };
        rows.push(args![
            r.case_id,
            r.case_number,
            r.report_id,
            p.child_id.unwrap_or(r.child_id),
            r.previous_case_id,
            p.status.unwrap_or_else(|| "reported".into()),
            p.version.unwrap_or(1),
            path,
            unit,
            province,
            r.incident_unit,
            p.assigned_to.flatten(),
            r.received_at,
            r.received_by,
            r.intake_point,
            r.channel,
            p.target_group.unwrap_or_default(),
            p.sex.unwrap_or_default(),
            age_group(r.age),
            p.abuse_environment.flatten(),
            child_name.clone(),
            normalize(child_name.as_deref().unwrap_or_default()),
            closed_at,
            closure_reason,
            p.updated_at.unwrap_or(r.received_at),
            p.hotline_support.unwrap_or(0),
        ]);
    }
    rows.flush(c).await?;

    // Cases already known: the columns the batch changed, one multi-row update per set of
    // changed columns (most batches: version and updated_at, and a few status changes).
    let mut groups: HashMap<Vec<&'static str>, Vec<(Uuid, Vec<Arg>)>> = HashMap::new();
    for (id, p) in ch.patches {
        let mut columns: Vec<&'static str> = Vec::new();
        let mut values: Vec<Arg> = Vec::new();
        let mut set = |column: &'static str, value: Arg| {
            columns.push(column);
            values.push(value);
        };
        if let Some(v) = p.status {
            set("status", v.into());
        }
        if let Some(v) = p.version {
            set("version", v.into());
        }
        if let Some(v) = p.updated_at {
            set("updated_at", v.into());
        }
        if let Some(v) = p.assigned_to {
            set("assigned_to", v.into());
        }
        if let Some((path, unit, province)) = p.acting {
            set("acting_path", path.into());
            set("acting_unit", unit.into());
            set("province", province.into());
        }
        if let Some((at, reason)) = p.closed {
            set("closed_at", at.into());
            set("closure_reason", reason.into());
        }
        if let Some(name) = p.child_name {
            set(
                "search_key",
                normalize(name.as_deref().unwrap_or_default()).into(),
            );
            set("child_name", name.into());
        }
        if let Some(v) = p.sex {
            set("sex", v.into());
        }
        if let Some(v) = p.target_group {
            set("target_group", v.into());
        }
        if let Some(v) = p.abuse_environment {
            set("abuse_environment", v.into());
        }
        if let Some(v) = p.hotline_support {
            set("hotline_support", v.into());
        }
        if let Some(v) = p.child_id {
            set("child_id", v.into());
        }
        if let Some((dob, age)) = p.age {
            let received = c
                .fetch_time(
                    &format!("SELECT received_at FROM {summaries} WHERE case_id = $1"),
                    args![id],
                )
                .await?;
            if let Some(received) = received {
                set("age_group", age_group(age_from(dob, age, received)).into());
            }
        }
        if !columns.is_empty() {
            groups.entry(columns).or_default().push((id, values));
        }
    }
    for (columns, rows) in groups {
        update_rows(c, &summaries, &columns, rows).await?;
    }
    ch.abuse_types.flush(c).await?;
    ch.plan_items.flush(c).await?;
    ch.measures.flush(c).await?;
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
