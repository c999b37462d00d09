//! User accounts and their (role, unit) grants.

use aggregates::codes::{Code, Role};
use aggregates::policy::Grant;
use aggregates::units::UnitCode;
use chrono::{DateTime, Utc};
use projections::{with_db, Db};
use sqlx::Row;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
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

const USER_COLUMNS: &str = "id, username, display_name, disabled, created_at, updated_at";

async fn grants_of(db: &Db, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<Grant>>, sqlx::Error> {
    let mut by_user: HashMap<Uuid, Vec<Grant>> = HashMap::new();
    if ids.is_empty() {
        return Ok(by_user);
    }
    // One query per user keeps the SQL portable; lists are paged, so this stays small.
    for id in ids {
        let rows: Vec<(String, String)> = with_db!(db, pool => sqlx::query_as(
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
    let user: Option<User> = with_db!(db, pool => {
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
    let found: Option<(User, String)> = with_db!(db, pool => {
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
    let users: Vec<User> = with_db!(db, pool => {
        let rows = sqlx::query(&sql).bind(after).bind(limit).fetch_all(pool).await?;
        rows.iter().map(|r| Ok::<_, sqlx::Error>(user_from_row!(r))).collect::<Result<_, _>>()?
    });
    with_grants(db, users).await
}

/// Display names of users, for the history view.
pub async fn names(db: &Db, ids: &[Uuid]) -> Result<HashMap<Uuid, (String, String)>, sqlx::Error> {
    let mut names = HashMap::new();
    for id in ids {
        let row: Option<(String, String)> = with_db!(db, pool => sqlx::query_as(
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

pub async fn create(db: &Db, user: &NewUser<'_>) -> Result<(), UserStoreError> {
    const INSERT_USER: &str = "INSERT INTO users (id, username, display_name, password_hash, disabled, created_at, updated_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7)";
    const INSERT_GRANT: &str =
        "INSERT INTO user_grants (user_id, role, unit_code) VALUES ($1, $2, $3)";
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
    pub password_hash: Option<&'a str>,
    pub disabled: Option<bool>,
    pub grants: Option<&'a [Grant]>,
    pub now: DateTime<Utc>,
}

/// Applies changes in one transaction; disabling or changing the password or grants ends the
/// user's sessions in the same transaction.
pub async fn update(db: &Db, id: Uuid, c: &UserChanges<'_>) -> Result<bool, sqlx::Error> {
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
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(hash).bind(id).execute(&mut *tx).await?;
        }
        if let Some(disabled) = c.disabled {
            sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
                .bind(disabled).bind(id).execute(&mut *tx).await?;
        }
        if let Some(grants) = c.grants {
            sqlx::query("DELETE FROM user_grants WHERE user_id = $1")
                .bind(id).execute(&mut *tx).await?;
            for grant in grants {
                sqlx::query("INSERT INTO user_grants (user_id, role, unit_code) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(grant.role.code())
                    .bind(grant.unit.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        if ends_sessions {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    })
}
