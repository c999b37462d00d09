//! Request extraction: JSON bodies with field-level errors, and the parsers that turn wire
//! values (codes, times, texts, ids) into validated domain values, collecting every field
//! problem before answering 422.

use super::errors::{ApiError, Bilingual, FieldError};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use aggregates::codes::Code;
use aggregates::text::{Text, TextError};
use aggregates::units::UnitCode;
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// A JSON body, parsed with the path of the first type error, plus the hash of its bytes (for
/// `Idempotency-Key`).
pub struct ApiJson<T> {
    pub value: T,
    pub body_hash: String,
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let v = v.to_ascii_lowercase();
                v.starts_with("application/json") || v.starts_with("application/merge-patch+json")
            })
            .unwrap_or(false);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !json {
                return Err(ApiError::new(
                    actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "Nội dung phải là application/json",
                    "The body must be application/json",
                )
                .into());
            }
            let bytes = bytes.await.map_err(|_| too_large())?;
            refuse_control_characters(&bytes)?;
            let value = parse_json(&bytes)?;
            Ok(ApiJson {
                value,
                body_hash: crate::auth::hex(&Sha256::digest(&bytes)),
            })
        })
    }
}

pub fn too_large() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        "Nội dung gửi lên quá lớn",
        "The request body is too large",
    )
}

/// Refuses a JSON body whose strings (or keys) hold control characters other than tab and line
/// breaks, naming each field, before anything reads them: the same answer on both stores
/// (PostgreSQL cannot store a NUL). Raw control bytes are not valid JSON at all, so only a body
/// with a `\u00..` escape needs the walk; the per-field text rules then refuse line breaks
/// where a field is one line.
pub fn refuse_control_characters(bytes: &[u8]) -> Result<(), ApiError> {
    if !bytes.windows(4).any(|w| w == b"\\u00") {
        return Ok(());
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        // Malformed: the typed parse reports it.
        return Ok(());
    };
    fn bad(s: &str) -> bool {
        s.chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    }
    fn walk(value: &serde_json::Value, path: &str, found: &mut Vec<String>) {
        let name = |p: &str| {
            if p.is_empty() {
                "body".to_owned()
            } else {
                p.to_owned()
            }
        };
        match value {
            serde_json::Value::String(s) if bad(s) => found.push(name(path)),
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{path}[{i}]"), found);
                }
            }
            serde_json::Value::Object(map) => {
                for (key, item) in map {
                    if bad(key) {
                        found.push(name(path));
                        continue;
                    }
                    let path = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    walk(item, &path, found);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(&value, "", &mut found);
    found.truncate(50);
    if found.is_empty() {
        Ok(())
    } else {
        Err(ApiError::control_characters(found))
    }
}

/// Parses JSON, reporting a type problem with the path of the offending field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(value) => {
            de.end()
                .map_err(|_| ApiError::malformed("trailing characters after the JSON value"))?;
            Ok(value)
        }
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            match inner.classify() {
                serde_json::error::Category::Data => {
                    let message = inner.to_string();
                    let message = message
                        .split(" at line")
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    let (field, code) = if let Some(rest) = message.strip_prefix("missing field `")
                    {
                        let name = rest.trim_end_matches('`');
                        let field = if path == "." {
                            name.to_owned()
                        } else {
                            format!("{path}.{name}")
                        };
                        (field, "required")
                    } else if let Some(rest) = message.strip_prefix("unknown field `") {
                        let name = rest.split('`').next().unwrap_or_default();
                        let field = if path == "." {
                            name.to_owned()
                        } else {
                            format!("{path}.{name}")
                        };
                        (field, "unknown_field")
                    } else {
                        (path.trim_start_matches('.').to_owned(), "invalid_type")
                    };
                    let (vi, en) = match code {
                        "required" => (
                            "Thiếu trường bắt buộc".to_owned(),
                            "This field is required".to_owned(),
                        ),
                        "unknown_field" => (
                            "Trường không được hỗ trợ".to_owned(),
                            "Unknown field".to_owned(),
                        ),
                        _ => (
                            format!("Sai kiểu dữ liệu: {message}"),
                            format!("Wrong type: {message}"),
                        ),
                    };
                    let field = if field.is_empty() {
                        "body".to_owned()
                    } else {
                        field
                    };
                    Err(ApiError::validation(vec![FieldError::new(
                        field,
                        code,
                        Bilingual::new(vi, en),
                    )]))
                }
                _ => Err(ApiError::malformed(&format!(
                    "not valid JSON: {}",
                    inner
                        .to_string()
                        .split(" at line")
                        .next()
                        .unwrap_or_default()
                ))),
            }
        }
    }
}

/// A path id that must be a UUID.
pub fn path_uuid(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| {
        ApiError::new(
            actix_web::http::StatusCode::NOT_FOUND,
            "invalid_id",
            "Mã định danh không hợp lệ",
            "Not a valid identifier",
        )
    })
}

/// Collects field problems while parsing a DTO.
#[derive(Default)]
pub struct Fields {
    errors: Vec<FieldError>,
}

impl Fields {
    pub fn push(&mut self, field: &str, code: &str, vi: impl Into<String>, en: impl Into<String>) {
        self.errors
            .push(FieldError::new(field, code, Bilingual::new(vi, en)));
    }

    /// `Ok` when no field had a problem.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.errors))
        }
    }

    /// An RFC 3339 time with an offset, kept to the microsecond.
    pub fn time(&mut self, field: &str, raw: &str) -> Option<DateTime<Utc>> {
        match DateTime::parse_from_rfc3339(raw) {
            Ok(t) => Some(t.with_timezone(&Utc).trunc_subsecs(6)),
            Err(_) => {
                self.push(
                    field,
                    "invalid_time",
                    "Thời điểm phải theo RFC 3339 có múi giờ, ví dụ 2026-03-02T09:30:00+07:00",
                    "Expected an RFC 3339 time with offset, e.g. 2026-03-02T09:30:00+07:00",
                );
                None
            }
        }
    }

    pub fn opt_time(&mut self, field: &str, raw: Option<&str>) -> Option<Option<DateTime<Utc>>> {
        match raw {
            None => Some(None),
            Some(raw) => self.time(field, raw).map(Some),
        }
    }

    pub fn date(&mut self, field: &str, raw: &str) -> Option<NaiveDate> {
        match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                self.push(
                    field,
                    "invalid_date",
                    "Ngày phải theo dạng YYYY-MM-DD",
                    "Expected a date YYYY-MM-DD",
                );
                None
            }
        }
    }

    pub fn code<C: Code>(&mut self, field: &str, raw: &str) -> Option<C> {
        match C::parse(raw) {
            Ok(c) => Some(c),
            Err(_) => {
                let allowed = C::codes().join(", ");
                self.push(
                    field,
                    "unknown_code",
                    format!("Mã không hợp lệ; các mã hợp lệ: {allowed}"),
                    format!("Unknown code; allowed: {allowed}"),
                );
                None
            }
        }
    }

    pub fn opt_code<C: Code>(&mut self, field: &str, raw: Option<&str>) -> Option<Option<C>> {
        match raw {
            None => Some(None),
            Some(raw) => self.code(field, raw).map(Some),
        }
    }

    pub fn codes<C: Code>(&mut self, field: &str, raw: &[String]) -> Vec<C> {
        raw.iter()
            .enumerate()
            .filter_map(|(i, r)| self.code(&format!("{field}[{i}]"), r))
            .collect()
    }

    pub fn text<const MAX: usize>(&mut self, field: &str, raw: &str) -> Option<Text<MAX>> {
        match Text::<MAX>::parse(raw) {
            Ok(t) => Some(t),
            Err(e) => {
                let (vi, en) = match e {
                    TextError::Empty => (
                        "Không được để trống".to_owned(),
                        "Must not be empty".to_owned(),
                    ),
                    TextError::TooLong { max } => (
                        format!("Tối đa {max} ký tự"),
                        format!("At most {max} characters"),
                    ),
                    TextError::ControlCharacters => (
                        "Không được chứa ký tự điều khiển".to_owned(),
                        "Must not contain control characters".to_owned(),
                    ),
                };
                self.push(field, e.code(), vi, en);
                None
            }
        }
    }

    /// An optional text: absent, null and blank all mean "not given".
    pub fn opt_text<const MAX: usize>(
        &mut self,
        field: &str,
        raw: Option<&str>,
    ) -> Option<Option<Text<MAX>>> {
        match raw {
            None => Some(None),
            Some(raw) if raw.trim().is_empty() => Some(None),
            Some(raw) => self.text(field, raw).map(Some),
        }
    }

    pub fn uuid(&mut self, field: &str, raw: &str) -> Option<Uuid> {
        match Uuid::parse_str(raw) {
            Ok(id) => Some(id),
            Err(_) => {
                self.push(
                    field,
                    "invalid_id",
                    "Mã định danh không hợp lệ",
                    "Not a valid identifier",
                );
                None
            }
        }
    }

    pub fn opt_uuid(&mut self, field: &str, raw: Option<&str>) -> Option<Option<Uuid>> {
        match raw {
            None => Some(None),
            Some(raw) => self.uuid(field, raw).map(Some),
        }
    }

    pub fn unit_code(&mut self, field: &str, raw: &str) -> Option<UnitCode> {
        match UnitCode::parse(raw) {
            Ok(u) => Some(u),
            Err(_) => {
                self.push(
                    field,
                    "unknown_unit",
                    "Mã đơn vị hành chính không hợp lệ",
                    "Not an administrative-unit code",
                );
                None
            }
        }
    }

    pub fn max_items<T>(&mut self, field: &str, items: &[T], max: usize) -> bool {
        if items.len() > max {
            self.push(
                field,
                "too_many",
                format!("Tối đa {max} mục"),
                format!("At most {max} items"),
            );
            false
        } else {
            true
        }
    }
}
