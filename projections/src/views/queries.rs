//! The queries behind the read endpoints: case lists, caseload, the deadline board and the
//! statistics. Every query is scoped: the caller's units (by path prefix), or for hotline
//! operators the cases they opened.

use crate::db::Db;
use crate::sql::Arg;
use crate::{bind_all, with_read_db};
use aggregates::deadlines::{state_from_times, DeadlineOutcome, DeadlineState};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;
use uuid::Uuid;

/// A unit a reader's scope (or a filter) covers.
#[derive(Debug, Clone)]
pub struct ScopeUnit {
    /// The unit's path key (`/VN/12/`): cases whose acting unit lies under it.
    pub key: String,
    pub code: String,
    /// A unit without children (a commune): matched by equality, which lets the indexes on
    /// `acting_unit` serve a commune's lists and board in order.
    pub leaf: bool,
}

/// Which cases a reader may see.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub units: Vec<ScopeUnit>,
    /// Cases opened by this user (hotline operators).
    pub opened_by: Option<Uuid>,
}

/// A statement with numbered arguments, built piece by piece.
#[derive(Default)]
struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            args: Vec::new(),
        }
    }

    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `arg`.
    fn arg(&mut self, arg: impl Into<Arg>) -> &mut Self {
        self.args.push(arg.into());
        let n = self.args.len();
        self.text.push_str(&format!("${n}"));
        self
    }

    /// `<alias>.acting_… matches unit`.
    fn unit(&mut self, alias: &str, unit: &ScopeUnit) -> &mut Self {
        if unit.leaf {
            self.push(&format!("{alias}.acting_unit = "))
                .arg(unit.code.clone())
        } else {
            self.push(&format!("{alias}.acting_path LIKE "))
                .arg(format!("{}%", unit.key))
        }
    }

    /// `AND (<scope>)` on the table aliased `alias` (`c` for summaries, `d` for deadlines; the
    /// cases a hotline operator opened are only known to the summaries).
    fn scope(&mut self, alias: &str, scope: &Scope) -> &mut Self {
        self.push(" AND (");
        let mut first = true;
        for unit in &scope.units {
            if !first {
                self.push(" OR ");
            }
            first = false;
            self.unit(alias, unit);
        }
        if let Some(user) = scope.opened_by.filter(|_| alias == "c") {
            if !first {
                self.push(" OR ");
            }
            first = false;
            // The cases a hotline operator opened, and those the hotline was asked to support
            // while they are open (ND56 art. 22(6), 31(3)).
            self.push("(c.received_by = ")
                .arg(user)
                .push(" OR (c.hotline_support = 1 AND c.closed_at IS NULL))");
        }
        if first {
            self.push("1 = 0");
        }
        self.push(")")
    }
}

fn deadline_state(
    due_at: DateTime<Utc>,
    due_soon_at: DateTime<Utc>,
    outcome: Option<&str>,
    ended_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DeadlineState {
    let at = ended_at.unwrap_or(now);
    let outcome = match outcome {
        Some("met") => Some(DeadlineOutcome::Met { at, late: false }),
        Some("met_late") => Some(DeadlineOutcome::Met { at, late: true }),
        Some(_) => Some(DeadlineOutcome::Cancelled {
            at,
            reason: aggregates::deadlines::CancelReason::Superseded,
        }),
        None => None,
    };
    state_from_times(due_at, due_soon_at, outcome.as_ref(), now)
}

/// The next open deadline of a case.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NextDeadline {
    pub rule_id: String,
    pub due_at: DateTime<Utc>,
    /// `pending`, `due_soon` or `overdue`.
    pub state: String,
}

/// A case in a list: identification and where it stands, no case content.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseSummary {
    pub id: Uuid,
    pub case_number: String,
    pub status: String,
    pub version: i64,
    pub acting_unit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<Uuid>,
    pub received_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub child_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_deadline: Option<NextDeadline>,
    #[serde(skip)]
    pub cursor: String,
}

/// Filters of `GET /cases` and `GET /caseload`.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub status: Option<String>,
    /// A unit the cases must lie under (already checked against the scope).
    pub unit: Option<ScopeUnit>,
    pub assigned_to: Option<Uuid>,
    /// Cases assigned to this worker, or unassigned (a worker's own caseload).
    pub assigned_to_or_unassigned: Option<Uuid>,
    pub open_only: bool,
    /// `overdue`, `due_soon` or `pending`: cases with an open deadline in that state.
    pub deadline_state: Option<DeadlineState>,
    /// A case number, or part of the child's name (folded).
    pub q: Option<String>,
}

fn where_filters(sql: &mut Sql, alias: &str, scope: &Scope, f: &CaseFilter, now: DateTime<Utc>) {
    sql.scope(alias, scope);
    if let Some(status) = &f.status {
        sql.push(" AND c.status = ").arg(status.clone());
    }
    if let Some(unit) = &f.unit {
        sql.push(" AND ");
        sql.unit(alias, unit);
    }
    if let Some(worker) = f.assigned_to {
        sql.push(" AND c.assigned_to = ").arg(worker);
    }
    if let Some(worker) = f.assigned_to_or_unassigned {
        sql.push(" AND (c.assigned_to IS NULL OR c.assigned_to = ")
            .arg(worker)
            .push(")");
    }
    if f.open_only {
        sql.push(" AND c.closed_at IS NULL");
    }
    if let Some(state) = f.deadline_state {
        sql.push(" AND EXISTS (SELECT 1 FROM case_deadlines d WHERE d.case_id = c.case_id AND d.outcome IS NULL AND ");
        match state {
            DeadlineState::Overdue => {
                sql.push("d.due_at <= ").arg(now);
            }
            DeadlineState::DueSoon => {
                sql.push("d.due_soon_at <= ")
                    .arg(now)
                    .push(" AND d.due_at > ")
                    .arg(now);
            }
            _ => {
                sql.push("d.due_soon_at > ").arg(now);
            }
        }
        sql.push(")");
    }
    if let Some(q) = &f.q {
        let folded = super::normalize(q);
        sql.push(" AND (c.case_number = ").arg(q.trim().to_owned());
        if !folded.is_empty() {
            sql.push(" OR c.search_key LIKE ")
                .arg(format!("%{}%", escape_like(&folded)));
            sql.push(" ESCAPE '\\'");
        }
        sql.push(")");
    }
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// A keyset cursor: the last row's `received_at` and id.
pub fn case_cursor(received_at: DateTime<Utc>, id: Uuid) -> String {
    format!("{}_{}", received_at.timestamp_micros(), id.simple())
}

fn parse_case_cursor(cursor: &str) -> Option<(DateTime<Utc>, Uuid)> {
    let (micros, id) = cursor.split_once('_')?;
    Some((
        DateTime::from_timestamp_micros(micros.parse().ok()?)?,
        Uuid::parse_str(id).ok()?,
    ))
}

/// A malformed cursor.
#[derive(Debug, thiserror::Error)]
#[error("invalid cursor")]
pub struct BadCursor;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    Cursor(#[from] BadCursor),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Cases in scope, newest first, `limit` per page after `cursor`.
pub async fn list_cases(
    db: &Db,
    scope: &Scope,
    filter: &CaseFilter,
    limit: i64,
    cursor: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<CaseSummary>, QueryError> {
    let mut sql = Sql::new(
        "SELECT c.case_id, c.case_number, c.status, c.version, c.acting_unit, c.assigned_to, c.received_at, c.child_name \
         FROM case_summaries c WHERE 1 = 1",
    );
    where_filters(&mut sql, "c", scope, filter, now);
    if let Some(cursor) = cursor {
        let (at, id) = parse_case_cursor(cursor).ok_or(BadCursor)?;
        sql.push(" AND (c.received_at < ").arg(at);
        sql.push(" OR (c.received_at = ")
            .arg(at)
            .push(" AND c.case_id < ")
            .arg(id)
            .push("))");
    }
    sql.push(" ORDER BY c.received_at DESC, c.case_id DESC LIMIT ")
        .arg(limit);
    let mut items: Vec<CaseSummary> = with_read_db!(db, pool => {
        let rows = bind_all!(sqlx::query(&sql.text), sql.args).fetch_all(pool).await?;
        rows.iter()
            .map(|r| {
                let id: Uuid = r.try_get("case_id")?;
                let received_at: DateTime<Utc> = r.try_get("received_at")?;
                Ok::<_, sqlx::Error>(CaseSummary {
                    id,
                    case_number: r.try_get("case_number")?,
                    status: r.try_get("status")?,
                    version: r.try_get("version")?,
                    acting_unit: r.try_get("acting_unit")?,
                    assigned_to: r.try_get("assigned_to")?,
                    received_at,
                    child_name: r.try_get("child_name")?,
                    next_deadline: None,
                    cursor: case_cursor(received_at, id),
                })
            })
            .collect::<Result<Vec<_>, _>>()?
    });
    let next = next_deadlines(db, &items.iter().map(|c| c.id).collect::<Vec<_>>(), now).await?;
    for item in &mut items {
        item.next_deadline = next.get(&item.id).cloned();
    }
    Ok(items)
}

const NEXT_DEADLINE_SLOTS: usize = 64;

/// The earliest open deadline of each case.
async fn next_deadlines(
    db: &Db,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, NextDeadline>, sqlx::Error> {
    let mut next: HashMap<Uuid, (DateTime<Utc>, NextDeadline)> = HashMap::new();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(
        "SELECT case_id, rule_id, due_at, due_soon_at FROM case_deadlines WHERE outcome IS NULL AND case_id IN (",
    );
    // A fixed number of placeholders (the last id repeated), so that one prepared statement
    // serves every page size.
    let slots = ids.len().div_ceil(NEXT_DEADLINE_SLOTS).max(1) * NEXT_DEADLINE_SLOTS;
    for i in 0..slots {
        if i > 0 {
            sql.push(", ");
        }
        sql.arg(ids[i.min(ids.len() - 1)]);
    }
    sql.push(")");
    let rows: Vec<(Uuid, String, DateTime<Utc>, DateTime<Utc>)> = with_read_db!(db, pool => {
        bind_all!(sqlx::query_as(&sql.text), sql.args).fetch_all(pool).await?
    });
    for (id, rule_id, due_at, due_soon_at) in rows {
        let candidate = NextDeadline {
            rule_id,
            due_at,
            state: deadline_state(due_at, due_soon_at, None, None, now)
                .code()
                .to_owned(),
        };
        match next.get(&id) {
            Some((due, _)) if *due <= due_at => {}
            _ => {
                next.insert(id, (due_at, candidate));
            }
        }
    }
    Ok(next.into_iter().map(|(k, (_, v))| (k, v)).collect())
}

/// Counts of open cases by status, for the caseload.
pub async fn counts_by_status(
    db: &Db,
    scope: &Scope,
    filter: &CaseFilter,
    now: DateTime<Utc>,
) -> Result<BTreeMap<String, i64>, sqlx::Error> {
    let mut sql = Sql::new("SELECT c.status, count(*) FROM case_summaries c WHERE 1 = 1");
    where_filters(&mut sql, "c", scope, filter, now);
    sql.push(" GROUP BY c.status");
    let rows: Vec<(String, i64)> = with_read_db!(db, pool => {
        bind_all!(sqlx::query_as(&sql.text), sql.args).fetch_all(pool).await?
    });
    Ok(rows.into_iter().collect())
}

/// The case with this number, if any.
pub async fn id_by_number(db: &Db, number: &str) -> Result<Option<Uuid>, sqlx::Error> {
    with_read_db!(db, pool => sqlx::query_scalar("SELECT case_id FROM case_summaries WHERE case_number = $1")
        .bind(number)
        .fetch_optional(pool)
        .await)
}

/// One open deadline on the board.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BoardEntry {
    pub case_id: Uuid,
    pub case_number: String,
    pub deadline_id: String,
    pub rule_id: String,
    pub due_at: DateTime<Utc>,
    /// `pending`, `due_soon` or `overdue`, at the time of the request.
    pub state: String,
    pub mark: String,
    pub basis: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<Uuid>,
    pub acting_unit: String,
    #[serde(skip)]
    pub cursor: String,
}

/// Open deadlines in scope, most urgent first.
pub async fn deadline_board(
    db: &Db,
    scope: &Scope,
    filter: &CaseFilter,
    limit: i64,
    cursor: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<BoardEntry>, QueryError> {
    let mut sql = Sql::new(
        "SELECT d.case_id, c.case_number, d.deadline_id, d.rule_id, d.due_at, d.due_soon_at, d.mark, d.basis, \
         c.assigned_to, c.acting_unit FROM case_deadlines d JOIN case_summaries c ON c.case_id = d.case_id \
         WHERE d.outcome IS NULL",
    );
    let board_filter = CaseFilter {
        deadline_state: None,
        ..filter.clone()
    };
    where_filters(&mut sql, "d", scope, &board_filter, now);
    match filter.deadline_state {
        Some(DeadlineState::Overdue) => {
            sql.push(" AND d.due_at <= ").arg(now);
        }
        Some(DeadlineState::DueSoon) => {
            sql.push(" AND d.due_soon_at <= ")
                .arg(now)
                .push(" AND d.due_at > ")
                .arg(now);
        }
        Some(_) => {
            sql.push(" AND d.due_soon_at > ").arg(now);
        }
        None => {}
    }
    if let Some(cursor) = cursor {
        let (micros, rest) = cursor.split_once('_').ok_or(BadCursor)?;
        let (id, deadline_id) = rest.split_once('_').ok_or(BadCursor)?;
        let at = micros
            .parse()
            .ok()
            .and_then(DateTime::from_timestamp_micros)
            .ok_or(BadCursor)?;
        let id = Uuid::parse_str(id).map_err(|_| BadCursor)?;
        // (due_at, case_id, deadline_id) > the cursor's, spelled out (row comparison is not
        // portable to SQLite's blob ids): four parentheses open, four close.
        sql.push(" AND (d.due_at > ").arg(at);
        sql.push(" OR (d.due_at = ")
            .arg(at)
            .push(" AND (d.case_id > ")
            .arg(id);
        sql.push(" OR (d.case_id = ")
            .arg(id)
            .push(" AND d.deadline_id > ")
            .arg(deadline_id.to_owned())
            .push("))))");
    }
    sql.push(" ORDER BY d.due_at, d.case_id, d.deadline_id LIMIT ")
        .arg(limit);
    let rows: Vec<BoardEntry> = with_read_db!(db, pool => {
        let rows = bind_all!(sqlx::query(&sql.text), sql.args).fetch_all(pool).await?;
        rows.iter()
            .map(|r| {
                let case_id: Uuid = r.try_get("case_id")?;
                let due_at: DateTime<Utc> = r.try_get("due_at")?;
                let due_soon_at: DateTime<Utc> = r.try_get("due_soon_at")?;
                let deadline_id: String = r.try_get("deadline_id")?;
                Ok::<_, sqlx::Error>(BoardEntry {
                    cursor: format!("{}_{}_{}", due_at.timestamp_micros(), case_id.simple(), deadline_id),
                    case_id,
                    case_number: r.try_get("case_number")?,
                    deadline_id,
                    rule_id: r.try_get("rule_id")?,
                    due_at,
                    state: deadline_state(due_at, due_soon_at, None, None, now).code().to_owned(),
                    mark: r.try_get("mark")?,
                    basis: r.try_get("basis")?,
                    assigned_to: r.try_get("assigned_to")?,
                    acting_unit: r.try_get("acting_unit")?,
                })
            })
            .collect::<Result<Vec<_>, _>>()?
    });
    Ok(rows)
}

/// Raw counts for the statistics of procedure.md §7, computed by the indicator engine
/// (`indicators::statistics`); suppression is applied by the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StatisticsCounts {
    /// Indicator 0101: distinct abused children (under 16, LTE art. 1) received in the period;
    /// cases closed as duplicate or unfounded are not abused children (procedure.md §7).
    pub abused_children: i64,
    /// The same count for 16- and 17-year-olds (juvenile cases), in a column of its own.
    pub abused_juveniles: i64,
    /// Distinct reports (incidents) about abused children.
    pub abused_incidents: i64,
    pub abused_by_sex: BTreeMap<String, i64>,
    pub abused_by_age_group: BTreeMap<String, i64>,
    pub abused_by_abuse_type: BTreeMap<String, i64>,
    pub abused_by_environment: BTreeMap<String, i64>,
    pub received_by_intake_point: BTreeMap<String, i64>,
    pub received_by_channel: BTreeMap<String, i64>,
    pub opened: i64,
    pub closed: i64,
    pub closed_by_reason: BTreeMap<String, i64>,
    pub open_at_end: i64,
    /// Distinct children given a measure (urgent measure, approved plan item) in the period.
    pub children_by_measure: BTreeMap<String, i64>,
    /// Distinct children who received a service of a type in the period.
    pub children_by_service_type: BTreeMap<String, i64>,
    /// Per rule: deadlines due in the period by outcome (`met`, `met_late`, `overdue`, `pending`).
    pub compliance: BTreeMap<String, BTreeMap<String, i64>>,
}
