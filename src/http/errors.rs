//! One API error type: every refusal is an RFC 9457 problem document with a stable `code`, its
//! title and messages in Vietnamese (default) or English by `Accept-Language`. A 500 never
//! carries internal text; the cause is logged once, here, where it is turned into a response.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use aggregates::case::{CaseError, ErrorKind};
use serde::Serialize;
use std::fmt;

/// The language of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

tokio::task_local! {
    /// The language of the request being served (set by the request middleware).
    pub static LANG: Lang;
}

impl Lang {
    /// From an `Accept-Language` header: the first of `vi` or `en` by quality; Vietnamese when
    /// neither is asked for.
    pub fn from_header(value: Option<&str>) -> Self {
        let Some(value) = value else { return Lang::Vi };
        let mut best: Option<(f32, Lang)> = None;
        for part in value.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            let q = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let lang = if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else if tag == "vi" || tag.starts_with("vi-") {
                Lang::Vi
            } else {
                continue;
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Vi, |(_, l)| l)
    }

    pub fn current() -> Self {
        LANG.try_with(|l| *l).unwrap_or(Lang::Vi)
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }
}

/// Text in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bilingual {
    pub vi: String,
    pub en: String,
}

impl Bilingual {
    pub fn new(vi: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            vi: vi.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Vi => &self.vi,
            Lang::En => &self.en,
        }
    }
}

/// A problem with one field of the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: Bilingual,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: impl Into<String>, message: Bilingual) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message,
        }
    }
}

/// What a problem document says.
#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    pub code: String,
    pub title: Bilingual,
    pub detail: Option<Bilingual>,
    pub errors: Vec<FieldError>,
    pub retry_after: Option<u64>,
}

/// The one API error type (boxed: it travels through every `Result` of the handlers).
#[derive(Debug)]
pub struct ApiError(Box<Problem>);

impl std::ops::Deref for ApiError {
    type Target = Problem;
    fn deref(&self) -> &Problem {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut Problem {
        &mut self.0
    }
}

impl From<Problem> for ApiError {
    fn from(p: Problem) -> Self {
        Self(Box::new(p))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.code)
    }
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, vi: &str, en: &str) -> Self {
        Problem {
            status,
            code: code.to_owned(),
            title: Bilingual::new(vi, en),
            detail: None,
            errors: Vec::new(),
            retry_after: None,
        }
        .into()
    }

    pub fn with_detail(mut self, detail: Bilingual) -> Self {
        self.detail = Some(detail);
        self
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Cần đăng nhập",
            "Authentication required",
        )
    }

    pub fn invalid_credentials() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "Tên đăng nhập hoặc mật khẩu không đúng",
            "Wrong username or password",
        )
    }

    pub fn throttled(retry_after_secs: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "login_throttled",
            "Đăng nhập sai quá nhiều lần, hãy thử lại sau",
            "Too many failed logins; try again later",
        );
        e.retry_after = Some(retry_after_secs.max(1));
        e
    }

    /// An account with a one-time password tried anything but replacing it.
    pub fn password_change_required() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "password_change_required",
            "Mật khẩu do quản trị viên đặt chỉ dùng một lần: hãy đổi mật khẩu trước (POST /auth/password)",
            "The password an admin set is for one use only: change it first (POST /auth/password)",
        )
    }

    pub fn wrong_password() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "wrong_password",
            "Mật khẩu hiện tại không đúng",
            "The current password is wrong",
        )
    }

    /// Separation of duties: an account is either an admin or a case worker, never both.
    pub fn admin_with_case_role() -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "admin_with_case_role",
            "Tài khoản quản trị không được giữ vai trò nghiệp vụ hồ sơ",
            "An admin account may not hold a case role",
        )
        .with_errors(vec![FieldError::new(
            "grants",
            "admin_with_case_role",
            Bilingual::new(
                "Quyền admin không đi cùng vai trò nghiệp vụ hồ sơ",
                "admin cannot be combined with a case role",
            ),
        )])
    }

    /// Separation of duties: an admin does not change its own grants.
    pub fn own_grants() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "cannot_change_own_grants",
            "Không thể tự thay đổi quyền của chính mình",
            "You cannot change your own grants",
        )
    }

    /// A field with control characters (NUL, the C0 set), refused at the edge.
    pub fn control_characters(fields: Vec<String>) -> Self {
        Self::validation(
            fields
                .into_iter()
                .map(|field| {
                    FieldError::new(
                        field,
                        "control_characters",
                        Bilingual::new(
                            "Không được chứa ký tự điều khiển",
                            "Must not contain control characters",
                        ),
                    )
                })
                .collect(),
        )
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Vai trò của bạn không được thực hiện thao tác này",
            "Your role does not allow this",
        )
    }

    pub fn case_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "case_not_found",
            "Không tìm thấy hồ sơ",
            "No such case",
        )
    }

    pub fn not_found(code: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, "Không tìm thấy", "Not found")
    }

    /// 422 with field problems.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "Dữ liệu gửi lên không hợp lệ",
            "The request has invalid fields",
        )
        .with_errors(errors)
    }

    pub fn malformed(detail: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed_request",
            "Yêu cầu không đúng định dạng",
            "The request is malformed",
        )
        .with_detail(Bilingual::new(detail, detail))
    }

    pub fn version_conflict() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "version_conflict",
            "Hồ sơ vừa được người khác cập nhật; hãy tải lại và thử lại",
            "Someone else changed the case at the same time; reload and retry",
        )
    }

    pub fn unavailable(code: &str, vi: &str, en: &str, retry_after_secs: u64) -> Self {
        let mut e = Self::new(StatusCode::SERVICE_UNAVAILABLE, code, vi, en);
        e.retry_after = Some(retry_after_secs);
        e
    }

    /// An unexpected failure: logged once here with its cause, answered without it.
    pub fn internal(cause: &dyn fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Lỗi hệ thống; sự cố đã được ghi lại",
            "Internal error; it has been logged",
        )
    }
}

/// The problem of an `Idempotency-Key` that did not run its request (or the request's own).
impl From<crate::store::idempotency::OnceError<ApiError>> for ApiError {
    fn from(e: crate::store::idempotency::OnceError<ApiError>) -> Self {
        use crate::store::idempotency::OnceError;
        match e {
            OnceError::Mismatch => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "Idempotency-Key này đã được dùng cho một yêu cầu khác",
                "This Idempotency-Key was used for a different request",
            ),
            OnceError::InProgress => ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_in_progress",
                "Yêu cầu với Idempotency-Key này đang được xử lý",
                "A request with this Idempotency-Key is still being processed",
            ),
            OnceError::Store(e) => e.into(),
            OnceError::Failed(e) => e,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        Self::internal(&e)
    }
}

impl From<projections::log::LogError> for ApiError {
    fn from(e: projections::log::LogError) -> Self {
        Self::internal(&e)
    }
}

impl From<CaseError> for ApiError {
    fn from(e: CaseError) -> Self {
        let status = match e.kind() {
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        };
        if e.kind() == ErrorKind::Unavailable {
            tracing::error!(code = e.code(), error = %e, "command refused for want of configuration");
        }
        let message = Bilingual::new(e.message_vi(), e.to_string());
        let errors = e
            .field()
            .map(|field| vec![FieldError::new(field, e.code(), message.clone())])
            .unwrap_or_default();
        let mut api: Self = Problem {
            status,
            code: e.code().to_owned(),
            title: message.clone(),
            detail: None,
            errors,
            retry_after: None,
        }
        .into();
        if e.kind() == ErrorKind::NotFound {
            // Same answer for "no such case" and "not yours to see".
            api = Self::case_not_found();
        } else if e.kind() == ErrorKind::Forbidden && e.code() == "forbidden" {
            api.title = Self::forbidden().title.clone();
        }
        api
    }
}

#[derive(Serialize)]
struct ProblemBody<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    code: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<ProblemField<'a>>,
}

#[derive(Serialize)]
struct ProblemField<'a> {
    field: &'a str,
    code: &'a str,
    message: &'a str,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let lang = Lang::current();
        let body = ProblemBody {
            kind: format!("urn:casebook:problem:{}", self.code),
            title: self.title.get(lang),
            status: self.status.as_u16(),
            detail: self.detail.as_ref().map(|d| d.get(lang)),
            code: &self.code,
            errors: self
                .errors
                .iter()
                .map(|f| ProblemField {
                    field: &f.field,
                    code: &f.code,
                    message: f.message.get(lang),
                })
                .collect(),
        };
        let mut response = HttpResponse::build(self.status);
        response
            .content_type("application/problem+json")
            .insert_header((header::CONTENT_LANGUAGE, lang.code()));
        if let Some(secs) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from(secs)));
        }
        response.body(serde_json::to_vec(&body).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_is_the_default_and_english_is_chosen_by_quality() {
        assert_eq!(Lang::from_header(None), Lang::Vi);
        assert_eq!(Lang::from_header(Some("en")), Lang::En);
        assert_eq!(Lang::from_header(Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::from_header(Some("vi;q=0.5, en;q=0.9")), Lang::En);
        assert_eq!(Lang::from_header(Some("en;q=0.4, vi")), Lang::Vi);
        assert_eq!(Lang::from_header(Some("fr, de")), Lang::Vi);
        assert_eq!(Lang::from_header(Some("garbage;;;q=x")), Lang::Vi);
    }

    #[test]
    fn a_case_out_of_jurisdiction_reads_as_not_found() {
        let hidden = ApiError::from(CaseError::OutOfJurisdiction);
        let missing = ApiError::from(CaseError::CaseNotFound);
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
        assert_eq!(hidden.code, missing.code);
        assert_eq!(hidden.title, missing.title);
    }

    #[test]
    fn domain_errors_keep_their_code_and_field() {
        let e = ApiError::from(CaseError::TimeInFuture {
            field: "assessed_at",
        });
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.code, "time_in_future");
        assert_eq!(e.errors[0].field, "assessed_at");
        let stale = ApiError::from(CaseError::VersionMismatch {
            expected: 1,
            actual: 2,
        });
        assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    }
}
