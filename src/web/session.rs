//! The console's session: the `__Host-` cookie over the API's session table (same expiry;
//! logout and disabling an account end it at once), the CSRF token of every form, the
//! language cookie, login, logout and the first-run setup of the first admin.

use super::format::pick;
use super::pages::Chrome;
use super::{html, see_other, WebError};
use crate::auth;
use crate::http::errors::Lang;
use crate::http::session::{admin_only, Caller};
use crate::http::{AppState, RequestId};
use crate::store::{sessions, users};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use aggregates::codes::Role;
use aggregates::policy::Grant;
use aggregates::units::UnitCode;
use askama::Template;
use chrono::Utc;
use futures_util::future::LocalBoxFuture;
use sha2::{Digest, Sha256};
use std::sync::Mutex;

/// The session cookie: `__Host-` (Secure, Path=/, no Domain), HttpOnly, SameSite=Lax.
pub const SESSION_COOKIE: &str = "__Host-casebook";
pub const LANG_COOKIE: &str = "casebook_lang";

/// What the console keeps besides the API's state.
#[derive(Debug, Default)]
pub struct WebState {
    /// The hash of the one-time setup token, while no admin exists and it is unused.
    setup: Mutex<Option<String>>,
}

impl WebState {
    /// When no admin exists: a fresh one-time setup token (kept hashed) to print.
    pub async fn prepare(db: &projections::Db) -> Result<(Self, Option<String>), sqlx::Error> {
        if admin_exists(db).await? {
            return Ok((Self::default(), None));
        }
        let token = auth::new_token();
        let state = Self {
            setup: Mutex::new(Some(auth::token_hash(&token))),
        };
        Ok((state, Some(token)))
    }

    fn setup_matches(&self, token: &str) -> bool {
        let guard = self.setup.lock().unwrap_or_else(|e| e.into_inner());
        guard.as_deref() == Some(auth::token_hash(token).as_str())
    }

    /// Takes the setup token if `token` is it: single use.
    fn take_setup(&self, token: &str) -> bool {
        let mut guard = self.setup.lock().unwrap_or_else(|e| e.into_inner());
        if guard.as_deref() == Some(auth::token_hash(token).as_str()) {
            *guard = None;
            true
        } else {
            false
        }
    }

    fn restore_setup(&self, token: &str) {
        let mut guard = self.setup.lock().unwrap_or_else(|e| e.into_inner());
        *guard = Some(auth::token_hash(token));
    }
}

async fn admin_exists(db: &projections::Db) -> Result<bool, sqlx::Error> {
    use sqlx::Row;
    const SQL: &str = "SELECT COUNT(*) AS n FROM user_grants g JOIN users u ON u.id = g.user_id \
        WHERE g.role = $1 AND u.disabled = $2";
    projections::with_read_db!(db, pool => {
        let row = sqlx::query(SQL).bind("admin").bind(false).fetch_one(pool).await?;
        let n: i64 = row.try_get("n")?;
        Ok(n > 0)
    })
}

/// The language of the request: the cookie, else `Accept-Language`.
pub fn lang_of(req: &HttpRequest) -> Lang {
    match req.cookie(LANG_COOKIE).as_ref().map(Cookie::value) {
        Some("en") => Lang::En,
        Some("vi") => Lang::Vi,
        _ => Lang::from_header(
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        ),
    }
}

/// The CSRF token of a session: derived from the session's secret token, so it is per session,
/// unguessable without the cookie, and ends with it.
pub fn csrf_token(session_token: &str) -> String {
    auth::hex(&Sha256::digest(
        format!("casebook-csrf:{session_token}").as_bytes(),
    ))[..32]
        .to_owned()
}

/// A POST comes from a page of this site: `Sec-Fetch-Site` (when sent) is `same-origin` or
/// `none`, `Origin` (when sent) is this host, and at least one of them is sent.
pub fn same_origin(req: &HttpRequest) -> bool {
    let fetch_site = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok());
    if fetch_site.is_some_and(|s| s != "same-origin" && s != "none") {
        return false;
    }
    // Under `Referrer-Policy: no-referrer` a browser sends `Origin: null` on a same-origin form
    // post (Fetch, "serializing a request origin"); `Sec-Fetch-Site` then says where it came from.
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| !(*o == "null" && fetch_site.is_some()));
    if let Some(origin) = origin {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let bare = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"))
            .unwrap_or("");
        if host.is_empty() || bare != host {
            return false;
        }
    }
    fetch_site.is_some() || origin.is_some()
}

/// A logged-in member of staff.
pub struct Staff {
    pub caller: Caller,
    pub lang: Lang,
    pub csrf: String,
    /// When the session ends (shown in the header, so a form is sent in time).
    pub expires_at: Option<chrono::DateTime<Utc>>,
    /// Unread alerts (shown in the header of every page).
    pub unread: i64,
}

async fn session_expiry(
    db: &projections::Db,
    token_hash: &str,
) -> Result<Option<chrono::DateTime<Utc>>, sqlx::Error> {
    use sqlx::Row;
    const SQL: &str = "SELECT expires_at FROM sessions WHERE token_hash = $1";
    projections::with_read_db!(db, pool => {
        let row = sqlx::query(SQL).bind(token_hash).fetch_optional(pool).await?;
        row.map(|r| r.try_get("expires_at")).transpose()
    })
}

impl Staff {
    /// Refuses a POST without this session's CSRF token or from another origin: nothing done.
    pub fn check(&self, req: &HttpRequest, pairs: &[(String, String)]) -> Result<(), WebError> {
        let sent = pairs
            .iter()
            .find(|(k, _)| k == "csrf_token")
            .map(|(_, v)| v.as_str());
        if sent == Some(self.csrf.as_str()) && same_origin(req) {
            Ok(())
        } else {
            tracing::info!("console POST refused: CSRF check failed");
            Err(WebError::Csrf(self.lang))
        }
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.caller.user.grants.iter().any(|g| g.role == role)
    }

    pub fn chrome(&self, title: &str) -> Chrome {
        Chrome::for_staff(self, title)
    }
}

impl FromRequest for Staff {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
        let lang = lang_of(req);
        let path = req.path().to_owned();
        let (request_id, client_request_id) = req
            .extensions()
            .get::<RequestId>()
            .map(|r| (r.0.clone(), r.1.clone()))
            .unwrap_or_default();
        Box::pin(async move {
            let state = state.ok_or_else(|| WebError::Internal("no state".into()))?;
            let token = token
                .filter(|t| (16..=256).contains(&t.len()))
                .ok_or(WebError::Login)?;
            let token_hash = auth::token_hash(&token);
            let user = state
                .sessions
                .caller(&state.db, &token_hash, Utc::now())
                .await
                .map_err(|e| WebError::Internal(e.to_string()))?
                .ok_or(WebError::Login)?;
            // A one-time password (set by an admin) may only be replaced (or the session ended).
            if user.must_change_password && path != "/password" && path != "/logout" {
                return Err(WebError::PasswordChange);
            }
            let expires_at = session_expiry(&state.db, &token_hash)
                .await
                .map_err(|e| WebError::Internal(e.to_string()))?;
            let caller = Caller {
                user: admin_only(user),
                token_hash,
                request_id,
                client_request_id,
            };
            let unread = crate::app::inbox::unread(&state, &caller)
                .await
                .map_err(|e| WebError::Internal(e.to_string()))?;
            Ok(Staff {
                expires_at,
                caller,
                lang,
                csrf: csrf_token(&token),
                unread,
            })
        })
    }
}

/// The language of a request that may come from anyone (login, not-found pages).
pub struct MaybeStaff {
    pub lang: Lang,
}

impl FromRequest for MaybeStaff {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(MaybeStaff { lang: lang_of(req) }))
    }
}

/// The posted pairs of a form (repeated names kept).
pub async fn form_pairs(body: web::Bytes) -> Result<Vec<(String, String)>, WebError> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .map_err(|_| WebError::Problem(Lang::Vi, crate::http::errors::ApiError::malformed("form")))
}

pub fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub page: Chrome,
    pub username: String,
    pub error: Option<String>,
}

pub async fn login_form(who: MaybeStaff) -> Result<HttpResponse, WebError> {
    let lang = who.lang;
    html(&LoginPage {
        page: Chrome::anonymous(lang, &pick(lang, "Đăng nhập", "Log in")),
        username: String::new(),
        error: None,
    })
}

fn session_cookie(token: &str, max_age: chrono::Duration) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token.to_owned())
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(
            max_age.num_seconds().max(0),
        ))
        .finish()
}

/// `POST /login` (`username`, `password`): the API's login (throttle, trail, session row).
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: MaybeStaff,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let lang = who.lang;
    if !same_origin(&req) {
        return Err(WebError::Csrf(lang));
    }
    let pairs = form_pairs(body).await?;
    let username = field(&pairs, "username").trim().to_owned();
    let password = field(&pairs, "password").to_owned();
    match crate::http::session::authenticate(&state, &req, &username, password).await {
        Ok((token, expires_at, _)) => {
            let mut response = see_other("/");
            response
                .add_cookie(&session_cookie(&token, expires_at - Utc::now()))
                .map_err(|e| WebError::Internal(e.to_string()))?;
            Ok(response)
        }
        Err(e) => {
            let page = LoginPage {
                page: Chrome::anonymous(lang, &pick(lang, "Đăng nhập", "Log in")),
                username,
                error: Some(e.title.get(lang).to_owned()),
            };
            Ok(HttpResponse::build(e.status)
                .content_type("text/html; charset=utf-8")
                .body(page.render()?))
        }
    }
}

/// `POST /logout` (`csrf_token`): the session row goes at once; the browser is told to forget
/// everything of this site.
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: Staff,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let pairs = form_pairs(body).await?;
    staff.check(&req, &pairs)?;
    sessions::delete(&state.db, &state.sessions, &staff.caller.token_hash)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let mut gone = session_cookie("", chrono::Duration::zero());
    gone.make_removal();
    let mut response = see_other("/login");
    response
        .add_cookie(&gone)
        .map_err(|e| WebError::Internal(e.to_string()))?;
    response.headers_mut().insert(
        header::HeaderName::from_static("clear-site-data"),
        header::HeaderValue::from_static("\"cache\", \"cookies\", \"storage\""),
    );
    Ok(response)
}

#[derive(serde::Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// `GET /lang/{vi|en}?next=/path`: the language cookie, then back (a local path only).
pub async fn switch_language(
    lang: web::Path<String>,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, WebError> {
    let code = if lang.as_str() == "en" { "en" } else { "vi" };
    let next = query
        .next
        .as_deref()
        .filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or("/");
    let cookie = Cookie::build(LANG_COOKIE, code)
        .path("/")
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish();
    let mut response = see_other(next);
    response
        .add_cookie(&cookie)
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(response)
}

#[derive(Template)]
#[template(path = "setup.html")]
pub struct SetupPage {
    pub page: Chrome,
    pub token: String,
    pub username: String,
    pub display_name: String,
    pub error: Option<String>,
}

/// `GET /setup/{token}`: the form for the first admin, while the one-time token stands.
pub async fn setup_form(
    web_state: web::Data<WebState>,
    token: web::Path<String>,
    who: MaybeStaff,
) -> Result<HttpResponse, WebError> {
    if !web_state.setup_matches(&token) {
        return Err(WebError::NotFound(who.lang));
    }
    let lang = who.lang;
    html(&SetupPage {
        page: Chrome::anonymous(lang, &pick(lang, "Thiết lập lần đầu", "First-run setup")),
        token: token.into_inner(),
        username: String::new(),
        display_name: String::new(),
        error: None,
    })
}

/// `POST /setup/{token}` (`username`, `display_name`, `password`, `password_confirm`): creates
/// the first admin (grant `admin:VN`) with the password typed here, and uses the token up.
pub async fn setup(
    state: web::Data<AppState>,
    web_state: web::Data<WebState>,
    req: HttpRequest,
    token: web::Path<String>,
    who: MaybeStaff,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let lang = who.lang;
    if !same_origin(&req) {
        return Err(WebError::Csrf(lang));
    }
    let pairs = form_pairs(body).await?;
    let username = field(&pairs, "username").trim().to_owned();
    let display_name = field(&pairs, "display_name").trim().to_owned();
    let password = field(&pairs, "password").to_owned();
    let again = field(&pairs, "password_confirm");
    let refuse = |error: String| -> Result<HttpResponse, WebError> {
        let page = SetupPage {
            page: Chrome::anonymous(lang, &pick(lang, "Thiết lập lần đầu", "First-run setup")),
            token: token.to_string(),
            username: username.clone(),
            display_name: display_name.clone(),
            error: Some(error),
        };
        Ok(HttpResponse::UnprocessableEntity()
            .content_type("text/html; charset=utf-8")
            .body(page.render()?))
    };
    if !web_state.setup_matches(&token) {
        return Err(WebError::NotFound(lang));
    }
    if password != again {
        return refuse(pick(
            lang,
            "Hai mật khẩu không khớp",
            "The passwords differ",
        ));
    }
    if let Err(e) = crate::http::admin::check_new_user(&username, &password) {
        return refuse(e);
    }
    if !web_state.take_setup(&token) {
        return Err(WebError::NotFound(lang));
    }
    let hash = match auth::hash_password_async(password).await {
        Ok(h) => h,
        Err(e) => {
            web_state.restore_setup(&token);
            return Err(WebError::Internal(e));
        }
    };
    let grants = [Grant {
        role: Role::Admin,
        unit: UnitCode::parse("VN").map_err(|e| WebError::Internal(e.to_string()))?,
    }];
    let display = if display_name.is_empty() {
        username.clone()
    } else {
        display_name.clone()
    };
    let created = users::create(
        &state.db,
        &users::NewUser {
            id: uuid::Uuid::now_v7(),
            username: &username,
            display_name: &display,
            password_hash: &hash,
            grants: &grants,
            now: Utc::now(),
        },
    )
    .await;
    match created {
        Ok(()) => {
            tracing::info!("first admin created from the setup link");
            Ok(see_other("/login"))
        }
        Err(users::UserStoreError::UsernameTaken) => {
            web_state.restore_setup(&token);
            refuse(pick(lang, "Tên đăng nhập đã có", "The username is taken"))
        }
        Err(users::UserStoreError::Db(e)) => {
            web_state.restore_setup(&token);
            Err(WebError::Internal(e.to_string()))
        }
    }
}

#[derive(Template)]
#[template(path = "password.html")]
pub struct PasswordPage {
    pub page: Chrome,
    pub one_time: bool,
    pub error: Option<String>,
}

/// `GET /password`: replace one's password (required after an admin set a one-time one).
pub async fn password_form(staff: Staff) -> Result<HttpResponse, WebError> {
    let lang = staff.lang;
    html(&PasswordPage {
        page: staff
            .chrome(&pick(lang, "Đổi mật khẩu", "Change password"))
            .at("/password"),
        one_time: staff.caller.user.must_change_password,
        error: None,
    })
}

/// `POST /password` (`current_password`, `new_password`, `csrf_token`): the API's password
/// change; every other session of the account ends.
pub async fn change_password(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let lang = staff.lang;
    let pairs = form_pairs(body).await?;
    staff.check(&req, &pairs)?;
    let current = field(&pairs, "current_password").to_owned();
    let new = field(&pairs, "new_password").to_owned();
    match crate::http::session::replace_password(&state, &req, &staff.caller, current, new).await {
        Ok(()) => Ok(see_other("/")),
        Err(e) => {
            let message = e.errors.first().map_or_else(
                || e.title.get(lang).to_owned(),
                |f| f.message.get(lang).to_owned(),
            );
            let page = PasswordPage {
                page: staff
                    .chrome(&pick(lang, "Đổi mật khẩu", "Change password"))
                    .at("/password"),
                one_time: staff.caller.user.must_change_password,
                error: Some(message),
            };
            Ok(HttpResponse::build(e.status)
                .content_type("text/html; charset=utf-8")
                .body(page.render()?))
        }
    }
}
