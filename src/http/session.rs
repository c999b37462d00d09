//! Login, logout, `GET /me`, and the extractor that authenticates every other request.

use super::errors::ApiError;
use super::extract::ApiJson;
use super::{AppState, RequestId};
use crate::auth;
use crate::store::account_events::{self, Audit, Change};
use crate::store::{sessions, users};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use aggregates::codes::{Code, Role};
use aggregates::policy::{Actor, Grant};
use chrono::{DateTime, Utc};
use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The authenticated user of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: users::User,
    pub token_hash: String,
    /// The server's id of the request (the one recorded in event metadata and the trail).
    pub request_id: String,
    /// What the client sent as `X-Request-Id`, kept beside it and never trusted.
    pub client_request_id: Option<String>,
}

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor::new(self.user.id, self.user.grants.clone())
    }

    pub fn id(&self) -> Uuid {
        self.user.id
    }

    /// Who is acting, for the account trail.
    pub fn audit(&self) -> Audit {
        Audit {
            actor_id: Some(self.user.id),
            actor_username: Some(self.user.username.clone()),
            request_id: self.request_id.clone(),
            client_request_id: self.client_request_id.clone(),
        }
    }
}

/// What an account with a one-time password may still do: replace it, log out, see itself.
const ONE_TIME_PASSWORD_PATHS: &[&str] =
    &["/api/v1/auth/password", "/api/v1/auth/logout", "/api/v1/me"];

/// Separation of duties, held at the door as well as at account changes: an account that
/// holds `admin` acts as an admin only, whatever other grants an older version let it keep.
pub fn admin_only(mut user: users::User) -> users::User {
    if user.grants.iter().any(|g| g.role == Role::Admin) {
        user.grants.retain(|g| g.role == Role::Admin);
    }
    user
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && (16..=256).contains(&token.len()))
        .then(|| token.to_owned())
}

impl FromRequest for Caller {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        let (request_id, client_request_id) = req
            .extensions()
            .get::<RequestId>()
            .map(|r| (r.0.clone(), r.1.clone()))
            .unwrap_or_default();
        let path_allowed_with_one_time = ONE_TIME_PASSWORD_PATHS.contains(&req.path());
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal(&"no application state"))?;
            let token = token.ok_or_else(ApiError::unauthenticated)?;
            let token_hash = auth::token_hash(&token);
            let user = state
                .sessions
                .caller(&state.db, &token_hash, Utc::now())
                .await
                .map_err(ApiError::from)?
                .ok_or_else(ApiError::unauthenticated)?;
            if user.must_change_password && !path_allowed_with_one_time {
                return Err(ApiError::password_change_required().into());
            }
            Ok(Caller {
                user: admin_only(user),
                token_hash,
                request_id,
                client_request_id,
            })
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GrantView {
    pub role: String,
    pub unit_code: String,
}

impl From<&Grant> for GrantView {
    fn from(g: &Grant) -> Self {
        Self {
            role: g.role.code().to_owned(),
            unit_code: g.unit.to_string(),
        }
    }
}

/// A user as `GET /me` and the administration endpoints show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
    /// A one-time password (set by an admin) has not been replaced yet.
    pub must_change_password: bool,
    pub grants: Vec<GrantView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&users::User> for UserView {
    fn from(u: &users::User) -> Self {
        Self {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            disabled: u.disabled,
            must_change_password: u.must_change_password,
            grants: u.grants.iter().map(GrantView::from).collect(),
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    /// The password was set by an admin: until `POST /auth/password` replaces it, every other
    /// request answers 403 `password_change_required`.
    pub must_change_password: bool,
    pub user: UserView,
}

/// `POST /auth/login`. The attempt is counted before the password is checked, so parallel
/// guesses are throttled as surely as sequential ones. An account whose password was set by an
/// admin gets a session that may only replace it (`must_change_password`).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "session", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, description = "bad credentials"),
              (status = 429, description = "throttled; see Retry-After")))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ApiJson<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest { username, password } = body.value;
    let (token, expires_at, user) = authenticate(&state, &req, &username, password).await?;
    Ok(HttpResponse::Ok().json(LoginResponse {
        token,
        expires_at,
        must_change_password: user.must_change_password,
        user: UserView::from(&user),
    }))
}

/// The login both adapters use: throttled (the attempt is counted before the password is
/// checked), a refusal that reaches the threshold noted in the account trail, and on success a
/// new session: its token, when it expires and the user.
pub async fn authenticate(
    state: &AppState,
    req: &HttpRequest,
    username: &str,
    password: String,
) -> Result<(String, DateTime<Utc>, users::User), ApiError> {
    let address = req.peer_addr().map(|a| a.ip());
    if username.len() > 200 || password.len() > 1024 {
        return Err(ApiError::invalid_credentials());
    }
    let attempts = match state.throttle.reserve(&state.db, username, address).await? {
        auth::Attempt::Throttled(wait) => return Err(ApiError::throttled(wait.as_secs() + 1)),
        auth::Attempt::Allowed { account_attempts } => account_attempts,
    };
    let found = users::credentials(&state.db, username).await?;
    let hash = found
        .as_ref()
        .map_or_else(|| auth::dummy_hash().to_owned(), |(_, h)| h.clone());
    // argon2 is deliberately slow: off the async workers, a bounded number at once.
    let verified = auth::verify_password_async(password, hash).await;
    let user = match found {
        Some((user, _)) if verified && !user.disabled => user,
        found => {
            state.metrics.login_failed();
            tracing::info!("login refused");
            if let Some((user, _)) = found {
                if attempts == state.throttle.max_per_account() {
                    over_threshold(state, req, &user, attempts, address).await?;
                }
            }
            return Err(ApiError::invalid_credentials());
        }
    };
    state
        .throttle
        .succeeded(&state.db, username, address)
        .await?;
    let token = auth::new_token();
    let now = Utc::now();
    let expires_at = now + state.settings.session_ttl();
    sessions::create(
        &state.db,
        &auth::token_hash(&token),
        user.id,
        now,
        expires_at,
    )
    .await?;
    tracing::info!(user_id = %user.id, "login");
    Ok((token, expires_at, user))
}

/// The account trail notes the failure that reached the threshold (the next attempts are
/// refused without a check until the window ends).
async fn over_threshold(
    state: &AppState,
    req: &HttpRequest,
    user: &users::User,
    attempts: u32,
    address: Option<std::net::IpAddr>,
) -> Result<(), ApiError> {
    let (request_id, client_request_id) = req
        .extensions()
        .get::<RequestId>()
        .map(|r| (r.0.clone(), r.1.clone()))
        .unwrap_or_default();
    let audit = Audit {
        actor_id: None,
        actor_username: None,
        request_id,
        client_request_id,
    };
    let units = users::trail_units(&state.db, user).await?;
    let change = Change::new(
        "login_failures_over_threshold",
        serde_json::json!({
            "failures": attempts,
            "address": address.map(|a| a.to_string()),
        }),
    );
    account_events::record(
        &state.db,
        &audit,
        user.id,
        &user.username,
        &units,
        &change,
        Utc::now(),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// `POST /auth/password`: the user replaces its password (the only thing an account with a
/// one-time password may do). Every other session of the account ends.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "session", security(("bearer" = [])),
    request_body = PasswordChange,
    responses((status = 204), (status = 401), (status = 403, description = "wrong current password"),
              (status = 422), (status = 429)))]
pub async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    body: ApiJson<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let PasswordChange {
        current_password,
        new_password,
    } = body.value;
    replace_password(&state, &req, &caller, current_password, new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The user replaces its own password (both adapters): the new one checked, the current one
/// verified under the login throttle, every other session of the account ended.
pub async fn replace_password(
    state: &AppState,
    req: &HttpRequest,
    caller: &Caller,
    current_password: String,
    new_password: String,
) -> Result<(), ApiError> {
    let mut f = super::extract::Fields::default();
    if let Some((vi, en)) = super::admin::password_problem(&new_password) {
        f.push("new_password", "weak_password", vi, en);
    } else if new_password == current_password {
        f.push(
            "new_password",
            "password_unchanged",
            "Mật khẩu mới phải khác mật khẩu hiện tại",
            "The new password must differ from the current one",
        );
    }
    f.finish()?;
    if current_password.len() > 1024 {
        return Err(ApiError::wrong_password());
    }
    // The current password is a guess like a login's: throttled the same way.
    let address = req.peer_addr().map(|a| a.ip());
    let username = caller.user.username.clone();
    if let auth::Attempt::Throttled(wait) = state
        .throttle
        .reserve(&state.db, &username, address)
        .await?
    {
        return Err(ApiError::throttled(wait.as_secs() + 1));
    }
    let hash = users::credentials(&state.db, &username)
        .await?
        .map(|(_, h)| h)
        .ok_or_else(ApiError::unauthenticated)?;
    if !auth::verify_password_async(current_password, hash).await {
        return Err(ApiError::wrong_password());
    }
    state
        .throttle
        .succeeded(&state.db, &username, address)
        .await?;
    let new_hash = auth::hash_password_async(new_password)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    users::change_own_password(
        &state.db,
        &state.sessions,
        &caller.user,
        &new_hash,
        &caller.token_hash,
        &caller.audit(),
        Utc::now(),
    )
    .await?;
    tracing::info!(user_id = %caller.id(), "password changed");
    Ok(())
}

/// `POST /auth/logout`: the token stops working at once.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "session", security(("bearer" = [])),
    responses((status = 204), (status = 401)))]
pub async fn logout(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    sessions::delete(&state.db, &state.sessions, &caller.token_hash).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub must_change_password: bool,
    pub grants: Vec<GrantView>,
}

/// `GET /me`
#[utoipa::path(get, path = "/api/v1/me", tag = "session", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401)))]
pub async fn me(caller: Caller) -> HttpResponse {
    HttpResponse::Ok().json(MeResponse {
        id: caller.user.id,
        username: caller.user.username.clone(),
        display_name: caller.user.display_name.clone(),
        must_change_password: caller.user.must_change_password,
        grants: caller.user.grants.iter().map(GrantView::from).collect(),
    })
}

/// Refuses callers without `role` on any unit.
pub fn require_role(caller: &Caller, role: Role) -> Result<(), ApiError> {
    if caller.user.grants.iter().any(|g| g.role == role) {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}
