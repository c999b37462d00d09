//! User accounts and their (role, unit) grants.

use super::account_events::{insert_account_event, unit_trail, Audit, Change};
use super::session_cache::{Announce, SessionCache};
use aggregates::codes::{Code, Role};
use aggregates::policy::Grant;
use aggregates::units::UnitCode;
use chrono::{DateTime, Utc};
use projections::{with_db, with_read_db, Db};
use sqlx::Row;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
    /// The password was set by an admin: the account may only replace it.
    pub must_change_password: bool,
    pub grants: Vec<Grant>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum UserStoreError {
    #[error("username taken")]
    UsernameTaken,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

const USER_COLUMNS: &str =
    "id, username, display_name, disabled, must_change_password, created_at, updated_at";

async fn grants_of(db: &Db, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<Grant>>, sqlx::Error> {
    let mut by_user: HashMap<Uuid, Vec<Grant>> = HashMap::new();
    if ids.is_empty() {
        return Ok(by_user);
    }
    // One query per user keeps the SQL portable; lists are paged, so this stays small.
    for id in ids {
        let rows: Vec<(String, String)> = with_read_db!(db, pool => sqlx::query_as(
            "SELECT role, unit_code FROM user_grants WHERE user_id = $1 ORDER BY role, unit_code")
            .bind(id)
            .fetch_all(pool)
            .await)?;
        let grants = rows
            .into_iter()
            .filter_map(|(role, unit)| {
                Some(Grant {
                    role: Role::parse(&role).ok()?,
                    unit: UnitCode::parse(&unit).ok()?,
                })
            })
            .collect();
        by_user.insert(*id, grants);
    }
    Ok(by_user)
}

macro_rules! user_from_row {
    ($r:expr) => {
        User {
            id: $r.try_get("id")?,
            username: $r.try_get("username")?,
            display_name: $r.try_get("display_name")?,
            disabled: $r.try_get("disabled")?,
            must_change_password: $r.try_get("must_change_password")?,
            grants: Vec::new(),
            created_at: $r.try_get("created_at")?,
            updated_at: $r.try_get("updated_at")?,
        }
    };
}

async fn with_grants(db: &Db, mut users: Vec<User>) -> Result<Vec<User>, sqlx::Error> {
    let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
    let mut grants = grants_of(db, &ids).await?;
    for user in &mut users {
        user.grants = grants.remove(&user.id).unwrap_or_default();
    }
    Ok(users)
}

pub async fn get(db: &Db, id: Uuid) -> Result<Option<User>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    let user: Option<User> = with_read_db!(db, pool => {
        match sqlx::query(&sql).bind(id).fetch_optional(pool).await? {
            Some(r) => Some(user_from_row!(r)),
            None => None,
        }
    });
    match user {
        Some(user) => Ok(with_grants(db, vec![user]).await?.pop()),
        None => Ok(None),
    }
}

/// The user and its password hash, for login.
pub async fn credentials(db: &Db, username: &str) -> Result<Option<(User, String)>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = $1");
    let found: Option<(User, String)> = with_read_db!(db, pool => {
        match sqlx::query(&sql).bind(username).fetch_optional(pool).await? {
            Some(r) => Some((user_from_row!(r), r.try_get("password_hash")?)),
            None => None,
        }
    });
    match found {
        Some((user, hash)) => Ok(with_grants(db, vec![user]).await?.pop().map(|u| (u, hash))),
        None => Ok(None),
    }
}

/// Users after `after` (by username), at most `limit`.
pub async fn list(db: &Db, after: &str, limit: i64) -> Result<Vec<User>, sqlx::Error> {
    let sql =
        format!("SELECT {USER_COLUMNS} FROM users WHERE username > $1 ORDER BY username LIMIT $2");
    let users: Vec<User> = with_read_db!(db, pool => {
        let rows = sqlx::query(&sql).bind(after).bind(limit).fetch_all(pool).await?;
        rows.iter().map(|r| Ok::<_, sqlx::Error>(user_from_row!(r))).collect::<Result<_, _>>()?
    });
    with_grants(db, users).await
}

/// Display names of users, for the history view.
pub async fn names(db: &Db, ids: &[Uuid]) -> Result<HashMap<Uuid, (String, String)>, sqlx::Error> {
    let mut names = HashMap::new();
    for id in ids {
        let row: Option<(String, String)> = with_read_db!(db, pool => sqlx::query_as(
            "SELECT username, display_name FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        if let Some(row) = row {
            names.insert(*id, row);
        }
    }
    Ok(names)
}

pub struct NewUser<'a> {
    pub id: Uuid,
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub grants: &'a [Grant],
    pub now: DateTime<Utc>,
}

fn grants_json(grants: &[Grant]) -> serde_json::Value {
    grants
        .iter()
        .map(|g| serde_json::json!({"role": g.role.code(), "unit_code": g.unit.as_str()}))
        .collect()
}

/// Creates a user from the command line (or a test): a normal password, recorded in the
/// account trail as made by the command line.
pub async fn create(db: &Db, user: &NewUser<'_>) -> Result<(), UserStoreError> {
    create_audited(db, user, false, &Audit::command_line()).await
}

/// Creates a user and its trail entry in one transaction. `one_time`: the password was chosen
/// by an admin and must be replaced at the first login.
pub async fn create_audited(
    db: &Db,
    user: &NewUser<'_>,
    one_time: bool,
    audit: &Audit,
) -> Result<(), UserStoreError> {
    const INSERT_USER: &str =
        "INSERT INTO users (id, username, display_name, password_hash, disabled, \
        must_change_password, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    const INSERT_GRANT: &str =
        "INSERT INTO user_grants (user_id, role, unit_code) VALUES ($1, $2, $3)";
    let units = unit_trail(db, user.grants.iter().map(|g| g.unit.as_str())).await?;
    let change = Change::new(
        "created",
        serde_json::json!({
            "display_name": user.display_name,
            "grants": grants_json(user.grants),
            "one_time_password": one_time,
        }),
    );
    // An async block, so that `?` stops here and the unique violation can be recognised.
    let result: Result<(), sqlx::Error> = async {
        with_db!(db, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(INSERT_USER)
                .bind(user.id)
                .bind(user.username)
                .bind(user.display_name)
                .bind(user.password_hash)
                .bind(false)
                .bind(one_time)
                .bind(user.now)
                .bind(user.now)
                .execute(&mut *tx)
                .await?;
            for grant in user.grants {
                sqlx::query(INSERT_GRANT)
                    .bind(user.id)
                    .bind(grant.role.code())
                    .bind(grant.unit.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            insert_account_event!(&mut *tx, audit, user.now, user.id, user.username, &units, change)?;
            tx.commit().await
        })
    }
    .await;
    result.map_err(|e| {
        if is_unique_violation(&e) {
            UserStoreError::UsernameTaken
        } else {
            UserStoreError::Db(e)
        }
    })
}

pub struct UserChanges<'a> {
    pub display_name: Option<&'a str>,
    /// A new password hash, set by an admin: always a one-time password.
    pub password_hash: Option<&'a str>,
    pub disabled: Option<bool>,
    pub grants: Option<&'a [Grant]>,
    pub now: DateTime<Utc>,
}

/// What `c` changes of `before`, as trail entries (before the sessions it ends).
fn changes_of(before: &User, c: &UserChanges<'_>) -> Vec<Change> {
    let mut changes = Vec::new();
    if let Some(name) = c.display_name.filter(|n| *n != before.display_name) {
        changes.push(Change::new(
            "display_name_changed",
            serde_json::json!({"before": before.display_name, "after": name}),
        ));
    }
    if let Some(grants) = c.grants {
        let mut old = before.grants.clone();
        let mut new = grants.to_vec();
        old.sort_by(|a, b| (a.role.code(), a.unit.as_str()).cmp(&(b.role.code(), b.unit.as_str())));
        new.sort_by(|a, b| (a.role.code(), a.unit.as_str()).cmp(&(b.role.code(), b.unit.as_str())));
        new.dedup();
        if old != new {
            changes.push(Change::new(
                "grants_changed",
                serde_json::json!({"before": grants_json(&old), "after": grants_json(&new)}),
            ));
        }
    }
    match c.disabled {
        Some(true) if !before.disabled => {
            changes.push(Change::new("disabled", serde_json::json!({})))
        }
        Some(false) if before.disabled => {
            changes.push(Change::new("enabled", serde_json::json!({})))
        }
        _ => {}
    }
    if c.password_hash.is_some() {
        changes.push(Change::new(
            "password_set",
            serde_json::json!({"one_time_password": true}),
        ));
    }
    changes
}

/// Applies an admin's changes in one transaction, with their trail entries; disabling or
/// changing the password or grants ends the user's sessions in the same transaction (itself an
/// entry). A new password is one-time. `Ok(false)` when there is no such user.
pub async fn update(
    db: &Db,
    cache: &SessionCache,
    id: Uuid,
    c: &UserChanges<'_>,
    audit: &Audit,
) -> Result<bool, sqlx::Error> {
    let Some(before) = get(db, id).await? else {
        return Ok(false);
    };
    let changes = changes_of(&before, c);
    let units = unit_trail(
        db,
        before
            .grants
            .iter()
            .chain(c.grants.unwrap_or_default())
            .map(|g| g.unit.as_str()),
    )
    .await?;
    let ends_sessions = c.disabled == Some(true) || c.password_hash.is_some() || c.grants.is_some();
    with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let found = sqlx::query("UPDATE users SET updated_at = $1 WHERE id = $2")
            .bind(c.now)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if !found {
            return Ok(false);
        }
        if let Some(name) = c.display_name {
            sqlx::query("UPDATE users SET display_name = $1 WHERE id = $2")
                .bind(name).bind(id).execute(&mut *tx).await?;
        }
        if let Some(hash) = c.password_hash {
            sqlx::query("UPDATE users SET password_hash = $1, must_change_password = $2 WHERE id = $3")
                .bind(hash).bind(true).bind(id).execute(&mut *tx).await?;
        }
        if let Some(disabled) = c.disabled {
            sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
                .bind(disabled).bind(id).execute(&mut *tx).await?;
        }
        if let Some(grants) = c.grants {
            sqlx::query("DELETE FROM user_grants WHERE user_id = $1")
                .bind(id).execute(&mut *tx).await?;
            let mut seen: Vec<&Grant> = Vec::new();
            for grant in grants {
                if seen.contains(&grant) {
                    continue;
                }
                seen.push(grant);
                sqlx::query("INSERT INTO user_grants (user_id, role, unit_code) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(grant.role.code())
                    .bind(grant.unit.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        for change in &changes {
            insert_account_event!(&mut *tx, audit, c.now, id, before.username.as_str(), &units, change)?;
        }
        if ends_sessions {
            let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id).execute(&mut *tx).await?.rows_affected();
            if ended > 0 {
                let change = Change::new("sessions_ended", serde_json::json!({"count": ended}));
                insert_account_event!(&mut *tx, audit, c.now, id, before.username.as_str(), &units, change)?;
            }
        }
        // Every instance forgets the user's cached sessions (grants, name, state changed).
        tx.announce(id).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(())
    })?;
    cache.evict_user(id);
    Ok(true)
}

/// The user replaces its own password: the one-time flag goes, every other session of the
/// account ends, and the trail says so.
pub async fn change_own_password(
    db: &Db,
    cache: &SessionCache,
    user: &User,
    hash: &str,
    keep_session: &str,
    audit: &Audit,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let units = unit_trail(db, user.grants.iter().map(|g| g.unit.as_str())).await?;
    let was_one_time = user.must_change_password;
    with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query("UPDATE users SET password_hash = $1, must_change_password = $2, updated_at = $3 WHERE id = $4")
            .bind(hash).bind(false).bind(now).bind(user.id).execute(&mut *tx).await?;
        let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user.id).bind(keep_session).execute(&mut *tx).await?.rows_affected();
        let change = Change::new(
            "password_changed",
            serde_json::json!({"replaced_one_time_password": was_one_time, "other_sessions_ended": ended}),
        );
        insert_account_event!(&mut *tx, audit, now, user.id, user.username.as_str(), &units, change)?;
        tx.announce(user.id).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(())
    })?;
    cache.evict_user(user.id);
    Ok(())
}

/// The units of a user's grants with their ancestors, for a trail entry written on its own.
pub async fn trail_units(db: &Db, user: &User) -> Result<String, sqlx::Error> {
    unit_trail(db, user.grants.iter().map(|g| g.unit.as_str())).await
}

/// An admin ends every session of a user (a lost phone, a suspicion), recorded in the trail
/// even when there was none to end. `Ok(None)` when there is no such user.
pub async fn end_sessions(
    db: &Db,
    cache: &SessionCache,
    id: Uuid,
    audit: &Audit,
    now: DateTime<Utc>,
) -> Result<Option<u64>, sqlx::Error> {
    let Some(user) = get(db, id).await? else {
        return Ok(None);
    };
    let units = trail_units(db, &user).await?;
    let ended = with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id).execute(&mut *tx).await?.rows_affected();
        let change = Change::new("sessions_ended", serde_json::json!({"count": ended, "requested": true}));
        insert_account_event!(&mut *tx, audit, now, id, user.username.as_str(), &units, change)?;
        tx.announce(id).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(ended)
    })?;
    cache.evict_user(id);
    Ok(Some(ended))
}
