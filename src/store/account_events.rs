//! The account trail: every change to an account (created, grants changed, disabled, enabled,
//! password set or changed, sessions ended, login failures over the threshold), append-only
//! like the event log. Rows are written in the same transaction as the change they describe;
//! a trigger refuses UPDATE and DELETE, and the service role has neither grant.

use chrono::{DateTime, Utc};
use projections::{with_db, with_read_db, Db};
use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;

/// Who did it and under which request. `actor_id` is `None` for the command line and for the
/// server itself (login throttling).
#[derive(Debug, Clone, Default)]
pub struct Audit {
    pub actor_id: Option<Uuid>,
    pub actor_username: Option<String>,
    /// The server's own id of the request.
    pub request_id: String,
    /// The id the client sent in `X-Request-Id`, kept beside the server's, never trusted.
    pub client_request_id: Option<String>,
}

impl Audit {
    /// Changes made with `casebook user add` on the server's machine.
    pub fn command_line() -> Self {
        Self {
            request_id: format!("cli-{}", Uuid::now_v7()),
            ..Self::default()
        }
    }
}

/// One change, as recorded: a kind and what changed (never a password or a hash).
#[derive(Debug, Clone)]
pub struct Change {
    pub kind: &'static str,
    pub details: serde_json::Value,
}

impl Change {
    pub fn new(kind: &'static str, details: serde_json::Value) -> Self {
        Self { kind, details }
    }
}

pub const INSERT: &str = "INSERT INTO account_events (at, actor_id, actor_username, request_id, \
    client_request_id, kind, target_id, target_username, target_units, details) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// Inserts one row of the trail on `$executor` (a pool or an open transaction of either store).
macro_rules! insert_account_event {
    ($executor:expr, $audit:expr, $at:expr, $target_id:expr, $target_username:expr, $units:expr, $change:expr) => {
        sqlx::query($crate::store::account_events::INSERT)
            .bind($at)
            .bind($audit.actor_id)
            .bind($audit.actor_username.as_deref())
            .bind($audit.request_id.as_str())
            .bind($audit.client_request_id.as_deref())
            .bind($change.kind)
            .bind($target_id)
            .bind($target_username)
            .bind($units)
            .bind($change.details.to_string())
            .execute($executor)
            .await
    };
}
pub(crate) use insert_account_event;

/// The units `codes` with all their ancestors, space-padded (" 03388 12 VN "), so that "is
/// this account under my unit" is `target_units LIKE '% <unit> %'`. Unit codes are digits or
/// `VN`, so they need no escaping in a LIKE pattern.
pub async fn unit_trail<'a>(
    db: &Db,
    codes: impl IntoIterator<Item = &'a str>,
) -> Result<String, sqlx::Error> {
    let mut all: Vec<String> = Vec::new();
    for code in codes {
        let mut current = Some(code.to_owned());
        // The tree is shallow (country, province, commune); the bound guards a bad registry.
        for _ in 0..16 {
            let Some(code) = current.take() else { break };
            if all.contains(&code) {
                break;
            }
            let parent: Option<Option<String>> = with_read_db!(db, pool => sqlx::query_scalar(
                "SELECT parent_code FROM units WHERE code = $1")
                .bind(&code)
                .fetch_optional(pool)
                .await)?;
            all.push(code);
            current = parent.flatten();
        }
    }
    Ok(format!(" {} ", all.join(" ")))
}

/// Writes one row outside any other change (login throttling).
pub async fn record(
    db: &Db,
    audit: &Audit,
    target_id: Uuid,
    target_username: &str,
    units: &str,
    change: &Change,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    with_db!(db, pool => insert_account_event!(pool, audit, at, target_id, target_username, units, change)
        .map(|_| ()))
}

/// Who may read which part of the trail.
#[derive(Debug, Clone)]
pub enum Visibility {
    /// Admins and supervisors of the whole country.
    All,
    /// A supervisor: its own account and the accounts with a grant under one of its units.
    Under { own_id: Uuid, units: Vec<String> },
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrailActor {
    pub user_id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrailAccount {
    pub id: Uuid,
    pub username: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrailEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Absent for the command line and for the server itself (login throttling).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<TrailActor>,
    /// The server's id of the request that made the change.
    pub request_id: String,
    /// What the client sent as `X-Request-Id`: not checked, only kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_request_id: Option<String>,
    /// `created`, `grants_changed`, `display_name_changed`, `disabled`, `enabled`,
    /// `password_set` (by an admin: one-time), `password_changed` (by the user),
    /// `sessions_ended`, `login_failures_over_threshold`.
    pub kind: String,
    pub account: TrailAccount,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// Entries after `after` (an entry id), oldest first, as `visibility` allows, optionally about
/// one account.
pub async fn list(
    db: &Db,
    visibility: &Visibility,
    user: Option<Uuid>,
    after: i64,
    limit: i64,
) -> Result<Vec<TrailEntry>, sqlx::Error> {
    let mut sql = String::from(
        "SELECT id, at, actor_id, actor_username, request_id, client_request_id, kind, target_id, \
         target_username, details FROM account_events WHERE id > $1",
    );
    let mut n = 1;
    let mut texts: Vec<String> = Vec::new();
    if user.is_some() {
        n += 1;
        sql.push_str(&format!(" AND target_id = ${n}"));
    }
    let own = match visibility {
        Visibility::All => None,
        Visibility::Under { own_id, units } => {
            n += 1;
            let mut clause = format!(" AND (target_id = ${n}");
            for unit in units {
                n += 1;
                clause.push_str(&format!(" OR target_units LIKE ${n}"));
                texts.push(format!("% {unit} %"));
            }
            clause.push(')');
            sql.push_str(&clause);
            Some(*own_id)
        }
    };
    n += 1;
    sql.push_str(&format!(" ORDER BY id LIMIT ${n}"));
    with_read_db!(db, pool => {
        let mut q = sqlx::query(&sql).bind(after);
        if let Some(user) = user {
            q = q.bind(user);
        }
        if let Some(own) = own {
            q = q.bind(own);
        }
        for t in &texts {
            q = q.bind(t);
        }
        let rows = q.bind(limit).fetch_all(pool).await?;
        rows.iter()
            .map(|r| {
                let actor_id: Option<Uuid> = r.try_get("actor_id")?;
                let details: String = r.try_get("details")?;
                Ok(TrailEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: actor_id.map(|user_id| TrailActor {
                        user_id,
                        username: r.try_get("actor_username").ok().flatten(),
                    }),
                    request_id: r.try_get("request_id")?,
                    client_request_id: r.try_get("client_request_id")?,
                    kind: r.try_get("kind")?,
                    account: TrailAccount {
                        id: r.try_get("target_id")?,
                        username: r.try_get("target_username")?,
                    },
                    details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
                })
            })
            .collect()
    })
}
