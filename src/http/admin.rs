//! Administration (accounts), the unit registry and the rules in force. Admins manage accounts
//! but never reach case content.

use super::errors::ApiError;
use super::extract::{path_uuid, ApiJson, Fields};
use super::session::{require_role, Caller, UserView};
use super::AppState;
use crate::auth;
use crate::store::units::Unit;
use crate::store::users::{self, NewUser, UserChanges, UserStoreError};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use aggregates::codes::Role;
use aggregates::policy::Grant;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantDto {
    /// `hotline_operator`, `social_worker`, `approver`, `supervisor` or `admin`.
    pub role: String,
    pub unit_code: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserDto {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub grants: Vec<GrantDto>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatchDto {
    pub display_name: Option<String>,
    pub password: Option<String>,
    /// Disabling ends the user's sessions at once.
    pub disabled: Option<bool>,
    /// Replaces all grants.
    pub grants: Option<Vec<GrantDto>>,
}

/// A username: 3 to 64 of `a-z 0-9 . _ -`.
pub fn valid_username(name: &str) -> bool {
    (3..=64).contains(&name.len())
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

pub fn password_problem(password: &str) -> Option<(&'static str, &'static str)> {
    let n = password.chars().count();
    if n < auth::MIN_PASSWORD_LEN {
        Some((
            "Mật khẩu cần ít nhất 12 ký tự",
            "The password needs at least 12 characters",
        ))
    } else if password.len() > 1024 {
        Some(("Mật khẩu quá dài", "The password is too long"))
    } else {
        None
    }
}

fn parse_grants(f: &mut Fields, state: &AppState, grants: &[GrantDto]) -> Vec<Grant> {
    if grants.is_empty() {
        f.push(
            "grants",
            "required",
            "Cần ít nhất một quyền",
            "Give at least one grant",
        );
    }
    f.max_items("grants", grants, 100);
    grants
        .iter()
        .enumerate()
        .filter_map(|(i, g)| {
            let role = f.code::<Role>(&format!("grants[{i}].role"), &g.role);
            let unit = f.unit_code(&format!("grants[{i}].unit_code"), &g.unit_code);
            if unit.is_some() && state.units.get(&g.unit_code).is_none() {
                f.push(
                    &format!("grants[{i}].unit_code"),
                    "unknown_unit",
                    "Không có đơn vị hành chính này",
                    "No such administrative unit",
                );
                return None;
            }
            Some(Grant {
                role: role?,
                unit: unit?,
            })
        })
        .collect()
}

/// Separation of duties: `admin` never together with a case role.
fn mixes_admin_and_case_roles(grants: &[Grant]) -> bool {
    grants.iter().any(|g| g.role == Role::Admin) && grants.iter().any(|g| g.role != Role::Admin)
}

/// Create a user (admins). The password is one-time: the user must replace it at its first
/// login. An account is an admin or a case worker, never both (422 `admin_with_case_role`).
#[utoipa::path(post, path = "/api/v1/users", tag = "administration", security(("bearer" = [])),
    request_body = NewUserDto, responses((status = 201, body = UserView), (status = 403), (status = 409), (status = 422)))]
pub async fn create_user(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<NewUserDto>,
) -> Result<HttpResponse, ApiError> {
    let user = create_user_for(&state, &caller, body.value).await?;
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/api/v1/users/{}", user.id)))
        .json(UserView::from(&user)))
}

/// Creates a user with a one-time password (admins; both adapters).
pub async fn create_user_for(
    state: &AppState,
    caller: &Caller,
    dto: NewUserDto,
) -> Result<users::User, ApiError> {
    require_role(caller, Role::Admin)?;
    let mut f = Fields::default();
    if !valid_username(&dto.username) {
        f.push(
            "username",
            "invalid_username",
            "Tên đăng nhập gồm 3–64 ký tự a-z, 0-9, . _ -",
            "A username has 3 to 64 of a-z, 0-9, . _ -",
        );
    }
    let display_name = f.text::<200>("display_name", &dto.display_name);
    if let Some((vi, en)) = password_problem(&dto.password) {
        f.push("password", "weak_password", vi, en);
    }
    let grants = parse_grants(&mut f, state, &dto.grants);
    f.finish()?;
    if mixes_admin_and_case_roles(&grants) {
        return Err(ApiError::admin_with_case_role());
    }
    let hash = auth::hash_password_async(dto.password)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let id = Uuid::now_v7();
    let display_name = display_name.map(|d| d.to_string()).unwrap_or_default();
    let created = users::create_audited(
        &state.db,
        &NewUser {
            id,
            username: &dto.username,
            display_name: &display_name,
            password_hash: &hash,
            grants: &grants,
            now: Utc::now(),
        },
        true,
        &caller.audit(),
    )
    .await;
    match created {
        Ok(()) => {}
        Err(UserStoreError::UsernameTaken) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "username_taken",
                "Tên đăng nhập đã có người dùng",
                "This username is taken",
            ))
        }
        Err(UserStoreError::Db(e)) => return Err(e.into()),
    }
    tracing::info!(user_id = %id, by = %caller.id(), "user created");
    users::get(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("user_not_found"))
}

#[derive(Debug, Deserialize)]
pub struct UsersQuery {
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserView>,
    pub next_cursor: Option<String>,
}

/// List users (admins), by username.
#[utoipa::path(get, path = "/api/v1/users", tag = "administration", security(("bearer" = [])),
    responses((status = 200, body = UserList), (status = 403)))]
pub async fn list_users(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<UsersQuery>,
) -> Result<HttpResponse, ApiError> {
    require_role(&caller, Role::Admin)?;
    let (limit, cursor) = super::reads::page(query.limit.as_deref(), query.cursor.as_deref())?;
    let mut found = users::list(&state.db, cursor.as_deref().unwrap_or(""), limit + 1).await?;
    let has_more = found.len() as i64 > limit;
    found.truncate(limit as usize);
    let next_cursor = if has_more {
        found.last().map(|u| u.username.clone())
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(UserList {
        items: found.iter().map(UserView::from).collect(),
        next_cursor,
    }))
}

/// One user (admins).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "administration", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = UserView), (status = 403), (status = 404)))]
pub async fn get_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    require_role(&caller, Role::Admin)?;
    let id = path_uuid(&id)?;
    let user = users::get(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("user_not_found"))?;
    Ok(HttpResponse::Ok().json(UserView::from(&user)))
}

/// Change a user (admins): display name, password, disabled, grants. Disabling, a new password
/// or new grants end the user's sessions at once. A password set here is one-time. An admin
/// changes neither its own grants (403 `cannot_change_own_grants`) nor its own password here
/// (`POST /auth/password`); grants never mix admin with a case role.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "administration", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = UserPatchDto,
    responses((status = 200, body = UserView), (status = 403), (status = 404), (status = 422)))]
pub async fn update_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ApiJson<UserPatchDto>,
) -> Result<HttpResponse, ApiError> {
    require_role(&caller, Role::Admin)?;
    let id = path_uuid(&id)?;
    let user = update_user_for(&state, &caller, id, body.value).await?;
    Ok(HttpResponse::Ok().json(UserView::from(&user)))
}

/// Changes a user: display name, a one-time password, disabled (ends its sessions at once),
/// grants (admins; both adapters).
pub async fn update_user_for(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    dto: UserPatchDto,
) -> Result<users::User, ApiError> {
    require_role(caller, Role::Admin)?;
    let mut f = Fields::default();
    let display_name = dto
        .display_name
        .as_deref()
        .and_then(|d| f.text::<200>("display_name", d));
    if let Some((vi, en)) = dto.password.as_deref().and_then(password_problem) {
        f.push("password", "weak_password", vi, en);
    }
    let grants = dto.grants.as_ref().map(|g| parse_grants(&mut f, state, g));
    if dto.password.is_some() && id == caller.id() {
        f.push(
            "password",
            "use_password_change",
            "Hãy đổi mật khẩu của chính mình bằng POST /auth/password",
            "Change your own password with POST /auth/password",
        );
    }
    if dto.disabled == Some(true) && id == caller.id() {
        f.push(
            "disabled",
            "cannot_disable_self",
            "Không thể tự khóa tài khoản của mình",
            "You cannot disable your own account",
        );
    }
    if grants.is_some() && id == caller.id() {
        return Err(ApiError::own_grants());
    }
    f.finish()?;
    if let Some(new) = grants.as_deref() {
        if mixes_admin_and_case_roles(new) {
            return Err(ApiError::admin_with_case_role());
        }
        // Nor does an admin account turn into a case worker: one admin could otherwise hand
        // another admin (or itself, through a second admin account) the case roles. A person
        // who moves from administration to casework gets a new account, with its own trail.
        let gives_case_role = new.iter().any(|g| g.role != Role::Admin);
        if gives_case_role {
            let current = users::get(&state.db, id)
                .await?
                .ok_or_else(|| ApiError::not_found("user_not_found"))?;
            if current.grants.iter().any(|g| g.role == Role::Admin) {
                return Err(ApiError::admin_with_case_role());
            }
        }
    }
    let hash = match dto.password {
        Some(password) => Some(
            auth::hash_password_async(password)
                .await
                .map_err(|e| ApiError::internal(&e))?,
        ),
        None => None,
    };
    let display_name = display_name.map(|d| d.to_string());
    let found = users::update(
        &state.db,
        &state.sessions,
        id,
        &UserChanges {
            display_name: display_name.as_deref(),
            password_hash: hash.as_deref(),
            disabled: dto.disabled,
            grants: grants.as_deref(),
            now: Utc::now(),
        },
        &caller.audit(),
    )
    .await?;
    if !found {
        return Err(ApiError::not_found("user_not_found"));
    }
    tracing::info!(user_id = %id, by = %caller.id(), "user changed");
    users::get(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("user_not_found"))
}

#[derive(Debug, Deserialize)]
pub struct UnitsQuery {
    /// Only the children of this unit.
    pub parent: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitList {
    pub items: Vec<Unit>,
}

/// The administrative-unit tree (`VN` at the root).
#[utoipa::path(get, path = "/api/v1/units", tag = "registry", security(("bearer" = [])),
    responses((status = 200, body = UnitList), (status = 401)))]
pub async fn list_units(
    state: web::Data<AppState>,
    _caller: Caller,
    query: web::Query<UnitsQuery>,
) -> Result<HttpResponse, ApiError> {
    let items: Vec<Unit> = state
        .units
        .all()
        .into_iter()
        .filter(|u| {
            query
                .parent
                .as_ref()
                .is_none_or(|p| u.parent_code.as_ref() == Some(p))
        })
        .collect();
    Ok(HttpResponse::Ok().json(UnitList { items }))
}

/// One unit.
#[utoipa::path(get, path = "/api/v1/units/{code}", tag = "registry", security(("bearer" = [])),
    params(("code" = String, Path)), responses((status = 200, body = Unit), (status = 404)))]
pub async fn get_unit(
    state: web::Data<AppState>,
    _caller: Caller,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let unit = state
        .units
        .get(&code)
        .ok_or_else(|| ApiError::not_found("unit_not_found"))?;
    Ok(HttpResponse::Ok().json(unit))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TriggerView {
    pub event: String,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub when: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    pub id: String,
    pub label_vi: String,
    pub label_en: String,
    pub starts_at: Vec<TriggerView>,
    pub met_by: Vec<TriggerView>,
    /// E.g. `12 hours`, `5 working days`.
    pub limit: String,
    /// `law` or `policy`.
    pub mark: String,
    pub basis: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleList {
    pub items: Vec<RuleView>,
}

/// The deadline rules in force.
#[utoipa::path(get, path = "/api/v1/rules", tag = "registry", security(("bearer" = [])),
    responses((status = 200, body = RuleList), (status = 401)))]
pub async fn rules(state: web::Data<AppState>, _caller: Caller) -> HttpResponse {
    let triggers = |t: &[aggregates::deadlines::rules::Trigger]| {
        t.iter()
            .map(|t| TriggerView {
                event: t.event.clone(),
                when: t.when.clone(),
            })
            .collect()
    };
    let items = state
        .commands
        .services()
        .rules
        .rules()
        .iter()
        .map(|r| RuleView {
            id: r.id.clone(),
            label_vi: r.label.vi.clone(),
            label_en: r.label.en.clone(),
            starts_at: triggers(&r.starts_on),
            met_by: triggers(&r.met_by),
            limit: r.limit.describe(),
            mark: r.mark.code().to_owned(),
            basis: r.basis.clone(),
        })
        .collect();
    HttpResponse::Ok().json(RuleList { items })
}

/// Used by `casebook user add`: the same separation of duties as `POST /users`.
pub fn check_grants(grants: &[Grant]) -> Result<(), String> {
    if mixes_admin_and_case_roles(grants) {
        return Err("an admin account may not hold a case role".into());
    }
    Ok(())
}

/// Used by `casebook user add`: the same checks as `POST /users`.
pub fn check_new_user(username: &str, password: &str) -> Result<(), String> {
    if !valid_username(username) {
        return Err("a username has 3 to 64 of a-z, 0-9, . _ -".into());
    }
    if let Some((_, en)) = password_problem(password) {
        return Err(en.to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aggregates::units::UnitCode;

    fn grant(role: Role, unit: &str) -> Grant {
        Grant {
            role,
            unit: UnitCode::parse(unit).unwrap(),
        }
    }

    #[test]
    fn an_admin_never_holds_a_case_role() {
        let admin = grant(Role::Admin, "VN");
        assert!(check_grants(std::slice::from_ref(&admin)).is_ok());
        assert!(check_grants(&[grant(Role::Supervisor, "12")]).is_ok());
        for role in [
            Role::Supervisor,
            Role::SocialWorker,
            Role::Approver,
            Role::HotlineOperator,
        ] {
            assert!(
                check_grants(&[admin.clone(), grant(role, "VN")]).is_err(),
                "{role:?}"
            );
        }
    }
}
