//! Hộp thư (the alerts inbox) for case roles, and the webhook deliveries with their dead letters
//! for admins: plain pages and forms (POST-redirect-GET, CSRF-checked) over `app::inbox`.

use super::cases::{rule_words, texts, Texts};
use super::format::{self, label, pick};
use super::pages::Chrome;
use super::session::{field, form_pairs, Staff};
use super::{html, see_other, WebError};
use crate::app::inbox;
use crate::http::errors::Lang;
use crate::http::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use projections::notifier::Kind;
use serde::Deserialize;
use uuid::Uuid;

/// One message as the page shows it.
#[derive(Debug, Clone)]
pub struct MessageRow {
    pub id: String,
    pub kind_code: String,
    pub kind: String,
    /// The rule and the due time, for deadline messages.
    pub deadline: String,
    pub case_href: String,
    pub case_number: String,
    pub commune: String,
    pub at: String,
    pub unread: bool,
}

#[derive(Template)]
#[template(path = "inbox.html")]
pub struct InboxPage {
    pub page: Chrome,
    pub rows: Vec<MessageRow>,
    pub unread: i64,
    /// "3 tin chưa đọc".
    pub count: String,
    pub unread_only: bool,
    /// `unread` when the page shows the unread messages only (the forms come back to it).
    pub view: &'static str,
    pub next: Option<String>,
    pub t: Texts,
}

fn inbox_texts(lang: Lang) -> Texts {
    texts(
        lang,
        &[
            ("heading", "Hộp thư cảnh báo", "Alerts"),
            ("all", "Tất cả", "All"),
            ("unread_only", "Chưa đọc", "Unread"),
            ("when", "Thời gian", "When"),
            ("what", "Nội dung", "What"),
            ("case", "Số hồ sơ", "Case number"),
            ("commune", "Xã", "Commune"),
            ("state", "Tình trạng", "State"),
            ("unread", "Chưa đọc", "Unread"),
            ("read", "Đã đọc", "Read"),
            ("mark_read", "Đánh dấu đã đọc", "Mark read"),
            ("mark_all", "Đánh dấu tất cả đã đọc", "Mark all read"),
            ("empty", "Không có tin báo nào.", "No messages."),
            ("more", "Trang sau", "Next page"),
            (
                "note",
                "Tin báo chỉ ghi số hồ sơ, xã và việc cần làm; mở hồ sơ để xem chi tiết.",
                "Messages name the case number, the commune and what is due; open the case for the details.",
            ),
        ],
    )
}

/// "3 tin chưa đọc" / "3 unread".
pub fn unread_words(unread: i64, lang: Lang) -> String {
    let n = format::number(unread);
    pick(lang, &format!("{n} tin chưa đọc"), &format!("{n} unread"))
}

#[derive(Debug, Deserialize)]
pub struct InboxQuery {
    unread: Option<String>,
    cursor: Option<String>,
}

fn row(item: &projections::notifier::inbox::InboxItem, lang: Lang) -> MessageRow {
    let m = &item.message;
    let deadline = match (&m.rule_id, m.due_at) {
        (Some(rule), Some(due)) => format!(
            "{} — {} {}",
            rule_words(rule, lang),
            pick(lang, "hạn", "due"),
            format::time(due)
        ),
        _ => String::new(),
    };
    MessageRow {
        id: m.id.to_string(),
        kind_code: m.kind.clone(),
        kind: label::<Kind>(&m.kind, lang),
        deadline,
        case_href: m.link.clone(),
        case_number: m.case_number.clone(),
        commune: format!("{} ({})", m.unit_name, m.unit_code),
        at: format::time(m.at),
        unread: item.read_at.is_none(),
    }
}

/// `GET /inbox?unread=1&cursor=`: the user's messages, newest first.
pub async fn inbox_page(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<InboxQuery>,
) -> Result<HttpResponse, WebError> {
    let lang = staff.lang;
    let unread_only = query.unread.as_deref() == Some("1");
    let page = inbox::list(
        &state,
        &staff.caller,
        unread_only,
        None,
        query.cursor.as_deref(),
    )
    .await
    .map_err(|e| WebError::api(lang, e))?;
    let view = if unread_only { "unread" } else { "all" };
    let base = if unread_only {
        "/inbox?unread=1&"
    } else {
        "/inbox?"
    };
    let title = pick(lang, "Hộp thư cảnh báo", "Alerts");
    html(&InboxPage {
        page: staff.chrome(&title).at(if unread_only {
            "/inbox?unread=1"
        } else {
            "/inbox"
        }),
        rows: page.items.iter().map(|i| row(i, lang)).collect(),
        unread: page.unread,
        count: unread_words(page.unread, lang),
        unread_only,
        view,
        next: page.next_cursor.map(|c| format!("{base}cursor={c}")),
        t: inbox_texts(lang),
    })
}

/// Where a form of the inbox page comes back to.
fn back(pairs: &[(String, String)]) -> &'static str {
    if field(pairs, "view") == "unread" {
        "/inbox?unread=1"
    } else {
        "/inbox"
    }
}

/// A form posted about the row `id`: its pairs once the CSRF check passed, and the id (an id
/// that is none is a page not found).
async fn posted_about(
    req: &HttpRequest,
    staff: &Staff,
    id: &str,
    body: web::Bytes,
) -> Result<(Vec<(String, String)>, Uuid), WebError> {
    let pairs = form_pairs(body).await?;
    staff.check(req, &pairs)?;
    let id = Uuid::parse_str(id).map_err(|_| WebError::NotFound(staff.lang))?;
    Ok((pairs, id))
}

/// `POST /inbox/{id}/read` (`csrf_token`, `view`): one message read.
pub async fn read(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: Staff,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let (pairs, id) = posted_about(&req, &staff, &id, body).await?;
    inbox::mark_read(&state, &staff.caller, id)
        .await
        .map_err(|e| WebError::api(staff.lang, e))?;
    Ok(see_other(back(&pairs)))
}

/// `POST /inbox/read-all` (`csrf_token`, `view`): every message read.
pub async fn read_all(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: Staff,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let pairs = form_pairs(body).await?;
    staff.check(&req, &pairs)?;
    inbox::mark_all_read(&state, &staff.caller)
        .await
        .map_err(|e| WebError::api(staff.lang, e))?;
    Ok(see_other(back(&pairs)))
}

/// One delivery as the admin's page shows it: metadata only.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub id: String,
    pub created: String,
    pub endpoint: String,
    pub kind: String,
    pub status_code: String,
    pub status: String,
    pub attempts: i64,
    pub last: String,
    pub next: String,
    pub retry: bool,
}

#[derive(Template)]
#[template(path = "deliveries.html")]
pub struct DeliveriesPage {
    pub page: Chrome,
    pub rows: Vec<DeliveryRow>,
    /// The status shown (`dead` by default), and the others to switch to.
    pub status: String,
    pub filters: Vec<(String, String)>,
    pub next: Option<String>,
    pub t: Texts,
}

fn status_words(status: &str, lang: Lang) -> String {
    let (vi, en) = match status {
        "pending" => ("Đang chờ gửi", "Pending"),
        "delivered" => ("Đã gửi", "Delivered"),
        "dead" => ("Gửi thất bại (đã dừng)", "Dead"),
        other => (other, other),
    };
    pick(lang, vi, en)
}

#[derive(Debug, Deserialize)]
pub struct DeliveriesQuery {
    status: Option<String>,
    cursor: Option<String>,
}

/// `GET /deliveries?status=dead|pending|delivered&cursor=` (admins).
pub async fn deliveries_page(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<DeliveriesQuery>,
) -> Result<HttpResponse, WebError> {
    let lang = staff.lang;
    let status = query.status.clone().unwrap_or_else(|| "dead".to_owned());
    let page = inbox::deliveries(
        &state,
        &staff.caller,
        Some(&status),
        None,
        query.cursor.as_deref(),
    )
    .await
    .map_err(|e| WebError::api(lang, e))?;
    let rows = page
        .items
        .iter()
        .map(|d| DeliveryRow {
            id: d.id.to_string(),
            created: format::time(d.created_at),
            endpoint: d.endpoint.clone(),
            kind: label::<Kind>(&d.kind, lang),
            status_code: d.status.clone(),
            status: status_words(&d.status, lang),
            attempts: d.attempts,
            last: match (&d.last_status, &d.last_error) {
                (_, Some(e)) => e.clone(),
                (Some(s), None) => s.to_string(),
                (None, None) => String::new(),
            },
            next: if d.status == "pending" {
                format::time(d.next_attempt_at)
            } else {
                String::new()
            },
            retry: d.status != "delivered",
        })
        .collect();
    let title = pick(lang, "Gửi cảnh báo qua webhook", "Webhook deliveries");
    html(&DeliveriesPage {
        page: staff
            .chrome(&title)
            .at(&format!("/deliveries?status={status}")),
        rows,
        filters: ["dead", "pending", "delivered"]
            .iter()
            .map(|s| (s.to_string(), status_words(s, lang)))
            .collect(),
        next: page
            .next_cursor
            .map(|c| format!("/deliveries?status={status}&cursor={c}")),
        status,
        t: texts(
            lang,
            &[
                ("heading", "Gửi cảnh báo qua webhook", "Webhook deliveries"),
                ("created", "Tạo lúc", "Created"),
                ("endpoint", "Điểm nhận", "Endpoint"),
                ("kind", "Loại tin", "Kind"),
                ("status", "Tình trạng", "Status"),
                ("attempts", "Số lần gửi", "Attempts"),
                ("last", "Kết quả gần nhất", "Last result"),
                ("next", "Gửi lại lúc", "Next attempt"),
                ("retry", "Gửi lại ngay", "Retry now"),
                ("empty", "Không có lượt gửi nào.", "No deliveries."),
                ("more", "Trang sau", "Next page"),
                (
                    "note",
                    "Chỉ hiện thông tin gửi; quản trị viên không xem nội dung hồ sơ.",
                    "Delivery metadata only: administrators see no case content.",
                ),
            ],
        ),
    })
}

/// `POST /deliveries/{id}/retry` (`csrf_token`): queue a delivery again (admins).
pub async fn retry(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: Staff,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let (_, id) = posted_about(&req, &staff, &id, body).await?;
    inbox::retry_delivery(&state, &staff.caller, id)
        .await
        .map_err(|e| WebError::api(staff.lang, e))?;
    Ok(see_other("/deliveries?status=pending"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVIL: &str = "<script>alert(1)</script>";

    fn chrome(lang: Lang) -> Chrome {
        let mut c = Chrome::anonymous(lang, "Hộp thư");
        c.user = Some(EVIL.to_owned());
        c.csrf = "token".into();
        c
    }

    fn check(html: &str, lang: Lang) {
        assert!(html.starts_with("<!doctype html>"));
        assert!(html.contains(&format!("<html lang=\"{}\">", lang.code())));
        assert!(!html.contains("<script"), "unescaped: {html}");
        assert!(!html.contains("style=\""), "no inline style (CSP)");
        assert!(html.contains("name=\"csrf_token\" value=\"token\""));
    }

    #[test]
    fn the_inbox_renders_in_both_languages_with_its_forms() {
        for lang in [Lang::Vi, Lang::En] {
            let page = InboxPage {
                page: chrome(lang),
                rows: vec![MessageRow {
                    id: "m1".into(),
                    kind_code: "deadline_overdue".into(),
                    kind: label::<Kind>("deadline_overdue", lang),
                    deadline: EVIL.into(),
                    case_href: "/cases/c1".into(),
                    case_number: "12-2026-000001".into(),
                    commune: EVIL.into(),
                    at: "09:00 16/06/2026".into(),
                    unread: true,
                }],
                unread: 1,
                count: unread_words(1, lang),
                unread_only: false,
                view: "all",
                next: Some("/inbox?cursor=x".into()),
                t: inbox_texts(lang),
            };
            let html = page.render().unwrap();
            check(&html, lang);
            assert!(html.contains("action=\"/inbox/m1/read\""));
            assert!(html.contains("id=\"read-all\""));
            assert!(html.contains(&unread_words(1, lang)));
            assert!(html.contains(&pick(lang, "Quá hạn", "Deadline overdue")));
        }
    }

    #[test]
    fn the_deliveries_page_renders_its_retry_forms() {
        for lang in [Lang::Vi, Lang::En] {
            let page = DeliveriesPage {
                page: chrome(lang),
                rows: vec![DeliveryRow {
                    id: "d1".into(),
                    created: "09:00 16/06/2026".into(),
                    endpoint: EVIL.into(),
                    kind: label::<Kind>("rapid_report", lang),
                    status_code: "dead".into(),
                    status: status_words("dead", lang),
                    attempts: 10,
                    last: "answered 500".into(),
                    next: String::new(),
                    retry: true,
                }],
                status: "dead".into(),
                filters: vec![("pending".into(), status_words("pending", lang))],
                next: None,
                t: texts(lang, &[("heading", "Gửi cảnh báo", "Deliveries")]),
            };
            let html = page.render().unwrap();
            check(&html, lang);
            assert!(html.contains("action=\"/deliveries/d1/retry\""));
        }
    }
}
