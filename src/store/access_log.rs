//! The read audit (procedure.md §6): who read which case, when, through which view.

use chrono::{DateTime, Utc};
use projections::{with_db, with_read_db, Db};
use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;

/// The views of a case that are audited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseView {
    Record,
    History,
    AsOf,
    AccessLog,
    /// A command's answer: it shows the whole case.
    Command,
    /// An `Idempotency-Key` replay of a command's answer.
    Replay,
    /// The case was listed by `GET /cases`.
    ListCases,
    /// The case was listed by `GET /caseload`.
    Caseload,
    /// The case was listed by `GET /deadlines`.
    Deadlines,
    /// The case's child was shown as a match by `POST /children/matches`.
    ChildMatch,
    /// The case was listed by `GET /children/duplicates`.
    Duplicates,
    /// A form of the dossier was printed (`print_01` … `print_07`), or all of it (`print_all`).
    Print(Option<crate::dossier::Form>),
}

impl CaseView {
    pub fn code(self) -> &'static str {
        match self {
            Self::Record => "record",
            Self::History => "history",
            Self::AsOf => "as_of",
            Self::AccessLog => "access_log",
            Self::Command => "command",
            Self::Replay => "replay",
            Self::ListCases => "list_cases",
            Self::Caseload => "caseload",
            Self::Deadlines => "deadlines",
            Self::ChildMatch => "child_match",
            Self::Duplicates => "duplicates",
            Self::Print(None) => "print_all",
            Self::Print(Some(form)) => {
                use crate::dossier::Form;
                match form {
                    Form::Receipt => "print_01",
                    Form::InitialAssessment => "print_02",
                    Form::DetailedAssessment => "print_03",
                    Form::Plan => "print_04",
                    Form::PlanApproval => "print_05",
                    Form::Review => "print_06",
                    Form::Separation => "print_07",
                }
            }
        }
    }
}

pub struct AccessRecord<'a> {
    pub case_id: Uuid,
    pub user_id: Uuid,
    pub role: &'a str,
    pub unit: &'a str,
    pub view: CaseView,
    pub at: DateTime<Utc>,
}

/// Why an access-log row was not written.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The reader's session ended (see `session_cache`): nothing may be shown.
    #[error("the session has ended")]
    SessionEnded,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The condition that the reader's session still exists, when `session` is given (Postgres:
/// sessions are cached there, and a cached session may have ended on another instance).
fn while_session(session: Option<&str>, n: usize) -> String {
    match session {
        Some(_) => format!(
            " WHERE EXISTS (SELECT 1 FROM sessions WHERE token_hash = ${n} AND expires_at > now())"
        ),
        None => String::new(),
    }
}

/// Writes the row of a disclosure of one case, before it is shown; with `session`, only while
/// that session exists.
pub async fn record(
    db: &Db,
    r: &AccessRecord<'_>,
    session: Option<&str>,
) -> Result<(), AuditError> {
    let sql = format!(
        "INSERT INTO case_access_log (case_id, user_id, role, unit_code, view, at) \
         SELECT $1, $2, $3, $4, $5, $6{}",
        while_session(session, 7)
    );
    let written = with_db!(db, pool => {
        let mut q = sqlx::query(&sql)
            .bind(r.case_id)
            .bind(r.user_id)
            .bind(r.role)
            .bind(r.unit)
            .bind(r.view.code())
            .bind(r.at);
        if let Some(token_hash) = session {
            q = q.bind(token_hash);
        }
        q.execute(pool).await?.rows_affected()
    });
    if written == 0 {
        return Err(AuditError::SessionEnded);
    }
    Ok(())
}

/// One row per case a list showed, in one transaction (one durable commit per list request)
/// of one statement per 100 cases; each row sits in its case's access log. With `session`,
/// only while that session exists.
#[allow(clippy::too_many_arguments)]
pub async fn record_list(
    db: &Db,
    cases: &[Uuid],
    user_id: Uuid,
    role: &str,
    unit: &str,
    view: CaseView,
    at: DateTime<Utc>,
    session: Option<&str>,
) -> Result<(), AuditError> {
    let statements: Vec<(String, &[Uuid])> = cases
        .chunks(100)
        .map(|chunk| {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let n = i * 6;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, ${})",
                        n + 1,
                        n + 2,
                        n + 3,
                        n + 4,
                        n + 5,
                        n + 6
                    )
                })
                .collect();
            let sql = match session {
                None => format!(
                    "INSERT INTO case_access_log (case_id, user_id, role, unit_code, view, at) VALUES {}",
                    values.join(", ")
                ),
                Some(_) => format!(
                    "INSERT INTO case_access_log (case_id, user_id, role, unit_code, view, at) \
                     SELECT * FROM (VALUES {}) AS v{}",
                    values.join(", "),
                    while_session(session, chunk.len() * 6 + 1)
                ),
            };
            (sql, chunk)
        })
        .collect();
    let written = with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let mut written = 0;
        for (sql, chunk) in &statements {
            let mut q = sqlx::query(sql);
            for case_id in *chunk {
                q = q.bind(case_id).bind(user_id).bind(role).bind(unit).bind(view.code()).bind(at);
            }
            if let Some(token_hash) = session {
                q = q.bind(token_hash);
            }
            written += q.persistent(false).execute(&mut *tx).await?.rows_affected();
        }
        if written < cases.len() as u64 {
            // The session ended meanwhile: no row, and nothing is shown.
            tx.rollback().await?;
        } else {
            tx.commit().await?;
        }
        written
    });
    if written < cases.len() as u64 {
        return Err(AuditError::SessionEnded);
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccessEntry {
    #[serde(skip)]
    pub id: i64,
    pub at: DateTime<Utc>,
    pub user_id: Uuid,
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub role: String,
    pub unit: String,
    pub view: String,
}

/// Entries of a case after `after` (an entry id), oldest first.
pub async fn list(
    db: &Db,
    case_id: Uuid,
    after: i64,
    limit: i64,
) -> Result<Vec<AccessEntry>, sqlx::Error> {
    const SQL: &str =
        "SELECT a.id, a.at, a.user_id, u.username, u.display_name, a.role, a.unit_code, a.view \
        FROM case_access_log a LEFT JOIN users u ON u.id = a.user_id \
        WHERE a.case_id = $1 AND a.id > $2 ORDER BY a.id LIMIT $3";
    with_read_db!(db, pool => {
        let rows = sqlx::query(SQL).bind(case_id).bind(after).bind(limit).fetch_all(pool).await?;
        rows.iter()
            .map(|r| {
                Ok(AccessEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    user_id: r.try_get("user_id")?,
                    username: r.try_get("username")?,
                    display_name: r.try_get("display_name")?,
                    role: r.try_get("role")?,
                    unit: r.try_get("unit_code")?,
                    view: r.try_get("view")?,
                })
            })
            .collect()
    })
}
