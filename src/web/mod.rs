//! The staff console at `/`: server-rendered pages over the same application layer as the
//! API (`crate::app`), plain forms with POST-redirect-GET, no script. See `README.md` beside
//! this file for the URLs and form fields.

pub mod accounts;
pub mod audit;
pub mod case_page;
pub mod cases;
pub mod dossier;
pub mod duplicates;
mod form_views;
pub mod format;
pub mod inbox;
pub mod intake;
mod intake_matches;
pub mod issued;
pub mod manage;
pub mod pages;
#[cfg(test)]
mod print_tests;
pub mod report_view;
pub mod reports;
pub mod session;
pub mod statistics;
mod step_fields;
pub mod steps;
#[cfg(test)]
mod tests;

use crate::http::errors::{ApiError, Lang};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse, ResponseError};
use askama::Template;
use std::fmt;

pub use session::{Staff, WebState};

/// The console's stylesheet, served from the binary.
pub const CSS: &str = include_str!("../../static/console.css");

/// Headers of every console answer: a strict CSP (no inline script or style at all), no
/// framing, no referrer, and no caching of pages (they may show case content).
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    let set = |headers: &mut header::HeaderMap, name: &'static str, value: &'static str| {
        headers.insert(
            header::HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    };
    set(
        headers,
        "content-security-policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
    );
    set(headers, "referrer-policy", "no-referrer");
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "x-frame-options", "DENY");
    if !headers.contains_key(header::CACHE_CONTROL) {
        set(headers, "cache-control", "no-store");
    }
    Ok(response)
}

/// A console failure, shown as a page (or a redirect to the login).
#[derive(Debug)]
pub enum WebError {
    /// Not logged in (or the session ended): to the login page.
    Login,
    /// A one-time password must be replaced first.
    PasswordChange,
    /// The POST failed the CSRF check: nothing was done.
    Csrf(Lang),
    NotFound(Lang),
    Forbidden(Lang),
    /// Any other problem, in the user's language.
    Problem(Lang, ApiError),
    Internal(String),
}

impl fmt::Display for WebError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "console error")
    }
}

impl WebError {
    pub fn api(lang: Lang, e: ApiError) -> Self {
        match e.status {
            StatusCode::NOT_FOUND => WebError::NotFound(lang),
            StatusCode::FORBIDDEN => WebError::Forbidden(lang),
            StatusCode::UNAUTHORIZED => WebError::Login,
            _ => WebError::Problem(lang, e),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Internal(e.to_string())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub page: pages::Chrome,
    pub heading: String,
    pub message: String,
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::Login | WebError::PasswordChange => StatusCode::SEE_OTHER,
            WebError::Csrf(_) | WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Problem(_, e) => e.status,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (lang, heading, message) = match self {
            WebError::Login => return see_other("/login"),
            WebError::PasswordChange => return see_other("/password"),
            WebError::Csrf(l) => (
                *l,
                format::pick(*l, "Biểu mẫu đã hết hạn", "The form has expired"),
                format::pick(
                    *l,
                    "Không có gì được ghi lại. Hãy mở lại trang và gửi lại.",
                    "Nothing was recorded. Open the page again and resend it.",
                ),
            ),
            WebError::NotFound(l) => (
                *l,
                format::pick(*l, "Không tìm thấy", "Not found"),
                format::pick(
                    *l,
                    "Không có trang hoặc hồ sơ này trong phạm vi của bạn.",
                    "There is no such page or case in your jurisdiction.",
                ),
            ),
            WebError::Forbidden(l) => (
                *l,
                format::pick(*l, "Không được phép", "Not allowed"),
                format::pick(
                    *l,
                    "Vai trò của bạn không được làm việc này.",
                    "Your role may not do this.",
                ),
            ),
            WebError::Problem(l, e) => (
                *l,
                e.title.get(*l).to_owned(),
                e.detail
                    .as_ref()
                    .map(|d| d.get(*l).to_owned())
                    .unwrap_or_default(),
            ),
            WebError::Internal(cause) => {
                tracing::warn!(%cause, "console page failed");
                (
                    Lang::Vi,
                    "Lỗi máy chủ / Server error".to_owned(),
                    String::new(),
                )
            }
        };
        let page = ErrorPage {
            page: pages::Chrome::anonymous(lang, &heading),
            heading,
            message,
        };
        let body = page.render().unwrap_or_default();
        HttpResponse::build(self.status_code())
            .content_type("text/html; charset=utf-8")
            .body(body)
    }
}

/// An HTML answer.
pub fn html(template: &impl Template) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(template.render()?))
}

/// POST-redirect-GET.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(CSS)
}

/// An unknown console path: the not-found page.
pub async fn not_found(staff: session::MaybeStaff) -> Result<HttpResponse, WebError> {
    Err(WebError::NotFound(staff.lang))
}

/// The console's routes (mounted at `/`, beside `/api/v1`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("")
            .wrap(actix_web::middleware::from_fn(security_headers))
            .route("/static/console.css", web::get().to(stylesheet))
            .route("/login", web::get().to(session::login_form))
            .route("/login", web::post().to(session::login))
            .route("/logout", web::post().to(session::logout))
            .route("/password", web::get().to(session::password_form))
            .route("/password", web::post().to(session::change_password))
            .route("/lang/{lang}", web::get().to(session::switch_language))
            .route("/setup/{token}", web::get().to(session::setup_form))
            .route("/setup/{token}", web::post().to(session::setup))
            .route("/", web::get().to(cases::my_work))
            .route("/intake", web::get().to(intake::intake_form))
            .route("/intake", web::post().to(intake::intake))
            .route("/cases", web::get().to(cases::case_list))
            .route("/cases/search", web::post().to(cases::case_search))
            .route("/cases/{id}", web::get().to(case_page::case_page))
            .route("/cases/{id}/audit", web::get().to(audit::audit))
            .route("/cases/{id}/dossier", web::get().to(dossier::all))
            .route("/cases/{id}/dossier/{form}", web::get().to(dossier::one))
            .route("/approvals", web::get().to(manage::approvals))
            .route("/duplicates", web::get().to(duplicates::worklist))
            .route("/duplicates", web::post().to(duplicates::decide))
            .route("/caseload", web::get().to(manage::caseload))
            .route("/board", web::get().to(manage::board))
            .route("/statistics", web::get().to(statistics::statistics))
            .route("/statistics.csv", web::get().to(statistics::statistics_csv))
            .route("/reports", web::get().to(reports::reports))
            .route("/reports/preview", web::get().to(reports::preview))
            .route("/reports/download", web::get().to(reports::download))
            .route("/reports/issued", web::post().to(reports::issue))
            .route("/reports/issued", web::get().to(issued::issued_list))
            .route("/reports/issued/{id}", web::get().to(issued::issued_page))
            .route("/reports/issued/{id}/file", web::get().to(issued::file))
            .route("/accounts", web::get().to(accounts::accounts))
            .route("/accounts", web::post().to(accounts::create))
            .route("/accounts/{id}", web::get().to(accounts::account))
            .route("/accounts/{id}", web::post().to(accounts::change))
            .route("/inbox", web::get().to(inbox::inbox_page))
            .route("/inbox/read-all", web::post().to(inbox::read_all))
            .route("/inbox/{id}/read", web::post().to(inbox::read))
            .route("/deliveries", web::get().to(inbox::deliveries_page))
            .route("/deliveries/{id}/retry", web::post().to(inbox::retry))
            .route("/cases/{id}/steps/{step}", web::get().to(steps::step_form))
            .route("/cases/{id}/steps/{step}", web::post().to(steps::step))
            .default_service(web::to(not_found)),
    );
}
