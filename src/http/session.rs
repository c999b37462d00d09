//! Login, logout, `GET /me`, and the extractor that authenticates every other request.

use super::errors::ApiError;
use super::extract::ApiJson;
use super::{AppState, RequestId};
use crate::auth;
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
    pub request_id: String,
}

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor::new(self.user.id, self.user.grants.clone())
    }

    pub fn id(&self) -> Uuid {
        self.user.id
    }
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
        let request_id = req
            .extensions()
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal(&"no application state"))?;
            let token = token.ok_or_else(ApiError::unauthenticated)?;
            let token_hash = auth::token_hash(&token);
            let user = sessions::caller(&state.db, &token_hash, Utc::now())
                .await
                .map_err(ApiError::from)?
                .ok_or_else(ApiError::unauthenticated)?;
            Ok(Caller {
                user,
                token_hash,
                request_id,
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
    pub user: UserView,
}

/// `POST /auth/login`
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "session", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, description = "bad credentials"),
              (status = 429, description = "throttled; see Retry-After")))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ApiJson<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest { username, password } = body.value;
    let address = req.peer_addr().map(|a| a.ip());
    if username.len() > 200 || password.len() > 1024 {
        return Err(ApiError::invalid_credentials());
    }
    if let Some(wait) = state.throttle.check(&username, address) {
        return Err(ApiError::throttled(wait.as_secs() + 1));
    }
    let found = users::credentials(&state.db, &username).await?;
    let hash = found
        .as_ref()
        .map_or_else(|| auth::dummy_hash().to_owned(), |(_, h)| h.clone());
    // argon2 is deliberately slow: off the async workers, a bounded number at once.
    let verified = auth::verify_password_async(password, hash).await;
    let user = match found {
        Some((user, _)) if verified && !user.disabled => user,
        _ => {
            state.throttle.record_failure(&username, address);
            state.metrics.login_failed();
            tracing::info!("login refused");
            return Err(ApiError::invalid_credentials());
        }
    };
    state.throttle.record_success(&username);
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
    Ok(HttpResponse::Ok().json(LoginResponse {
        token,
        expires_at,
        user: UserView::from(&user),
    }))
}

/// `POST /auth/logout`: the token stops working at once.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "session", security(("bearer" = [])),
    responses((status = 204), (status = 401)))]
pub async fn logout(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    sessions::delete(&state.db, &caller.token_hash).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
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
