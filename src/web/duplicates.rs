//! Trùng hồ sơ (possible duplicates, issue 12): the commune's worklist of open cases that may be
//! about one child, as the background matcher found them; the worker or chair says "the same
//! child" (the later case is linked to the earlier child's identity) or "different children".
//! Both are events on the case, through the same application layer as the API.

use super::cases::{texts, Texts};
use super::format::{label, pick};
use super::pages::Chrome;
use super::session::{field, form_pairs, Staff};
use super::{see_other, WebError};
use crate::app::children::{self as app, distinct_action, link_action};
use crate::http::errors::{ApiError, Lang};
use crate::http::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use aggregates::codes::*;
use askama::Template;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct SideView {
    pub href: String,
    pub case_number: String,
    pub child: String,
    pub status: String,
}

#[derive(Debug, Clone)]
pub struct PairView {
    pub index: usize,
    pub level: String,
    pub likely: bool,
    pub summary: String,
    pub commune: String,
    pub first: SideView,
    pub second: SideView,
    pub first_id: String,
    pub second_id: String,
}

#[derive(Template)]
#[template(path = "duplicates.html")]
pub struct DuplicatesPage {
    pub page: Chrome,
    pub pairs: Vec<PairView>,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub t: Texts,
}

#[derive(serde::Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

fn may_use(staff: &Staff) -> bool {
    staff.has_role(Role::SocialWorker) || staff.has_role(Role::Approver)
}

async fn page(
    state: &AppState,
    staff: &Staff,
    notice: Option<String>,
    error: Option<String>,
) -> Result<DuplicatesPage, WebError> {
    let lang = staff.lang;
    let rows = app::worklist(state, &staff.caller, None, false)
        .await
        .map_err(|e| WebError::api(lang, e))?;
    let side = |c: &projections::views::duplicates::PairCase| SideView {
        href: format!("/cases/{}", c.case_id),
        case_number: c.case_number.clone(),
        child: c.child_name.clone().unwrap_or_else(|| "—".into()),
        status: label::<CaseStatus>(&c.status, lang),
    };
    let pairs = rows
        .iter()
        .enumerate()
        .map(|(index, p)| PairView {
            index,
            likely: p.level == "likely",
            level: match (p.level.as_str(), lang) {
                ("likely", Lang::Vi) => "Nhiều khả năng trùng".into(),
                ("likely", Lang::En) => "Likely the same child".into(),
                (_, Lang::Vi) => "Có thể trùng".into(),
                (_, Lang::En) => "Possibly the same child".into(),
            },
            summary: if lang == Lang::En {
                p.summary_en.clone()
            } else {
                p.summary_vi.clone()
            },
            commune: super::cases::unit_name(state, &p.unit),
            first: side(&p.cases[0]),
            second: side(&p.cases[1]),
            first_id: p.cases[0].case_id.to_string(),
            second_id: p.cases[1].case_id.to_string(),
        })
        .collect();
    Ok(DuplicatesPage {
        page: staff
            .chrome(&pick(lang, "Hồ sơ có thể trùng", "Possible duplicates"))
            .at("/duplicates"),
        pairs,
        notice,
        error,
        t: texts(
            lang,
            &[
                ("heading", "Hồ sơ có thể trùng một trẻ", "Cases that may be about one child"),
                (
                    "intro",
                    "Các hồ sơ đang mở của xã có thể cùng một trẻ, do hệ thống đối chiếu tên, tuổi, giới tính, nơi ở. Hãy xem hai hồ sơ rồi xác nhận.",
                    "Open cases of your commune that may be about the same child, found by comparing name, age, sex and residence. Look at both cases, then decide.",
                ),
                ("none", "Không có cặp hồ sơ nào cần xem.", "No pair of cases to look at."),
                ("first", "Hồ sơ trước", "Earlier case"),
                ("second", "Hồ sơ sau", "Later case"),
                ("why", "Lý do", "Why"),
                ("commune", "Xã", "Commune"),
                ("same", "Cùng một trẻ", "The same child"),
                ("different", "Hai trẻ khác nhau", "Different children"),
                ("pair", "Cặp", "Pair"),
                ("number", "Số hồ sơ", "Case number"),
                ("child", "Trẻ", "Child"),
                ("status", "Trạng thái", "Status"),
            ],
        ),
    })
}

/// `GET /duplicates` (workers and chairs of a commune).
pub async fn worklist(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, WebError> {
    let lang = staff.lang;
    if !may_use(&staff) {
        return Err(WebError::Forbidden(lang));
    }
    let notice = match query.done.as_deref() {
        Some("same") => Some(pick(
            lang,
            "Đã ghi nhận: hai hồ sơ là cùng một trẻ.",
            "Recorded: the two cases are about the same child.",
        )),
        Some("different") => Some(pick(
            lang,
            "Đã ghi nhận: hai hồ sơ là hai trẻ khác nhau.",
            "Recorded: the two cases are about different children.",
        )),
        _ => None,
    };
    super::html(&page(&state, &staff, notice, None).await?)
}

/// `POST /duplicates`: `decision` = `same` (the later case's child becomes the earlier case's
/// child: `ChildLinked` on the later case) or `different` (`ChildDistinguished`), for the pair
/// `case_id` (earlier) and `other_case_id` (later). CSRF first; a refusal shows the list again
/// with the reason and changes nothing.
pub async fn decide(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let lang = staff.lang;
    let pairs = form_pairs(body).await?;
    staff.check(&req, &pairs)?;
    if !may_use(&staff) {
        return Err(WebError::Forbidden(lang));
    }
    let earlier = field(&pairs, "case_id").to_owned();
    let later =
        Uuid::parse_str(field(&pairs, "other_case_id")).map_err(|_| WebError::NotFound(lang))?;
    let decision = field(&pairs, "decision");
    let outcome = async {
        let action = match decision {
            "same" => link_action(&state, &staff.caller, later, "case_id", &earlier).await?,
            "different" => {
                distinct_action(&state, &staff.caller, later, "case_id", &earlier).await?
            }
            _ => {
                return Err(ApiError::validation(vec![
                    crate::http::errors::FieldError::new(
                        "decision",
                        "unknown_code",
                        crate::http::errors::Bilingual::new(
                            "Hãy chọn một quyết định",
                            "Choose a decision",
                        ),
                    ),
                ]))
            }
        };
        crate::app::cases::execute(&state, &staff.caller, later, None, action, None).await
    }
    .await;
    match outcome {
        Ok(_) => Ok(see_other(&format!("/duplicates?done={decision}"))),
        Err(e) if e.status == StatusCode::NOT_FOUND && e.errors.is_empty() => {
            Err(WebError::NotFound(lang))
        }
        Err(e) if e.status == StatusCode::FORBIDDEN => Err(WebError::Forbidden(lang)),
        Err(e) => {
            let message = e
                .errors
                .first()
                .map(|f| f.message.get(lang).to_owned())
                .unwrap_or_else(|| e.title.get(lang).to_owned());
            let page = page(&state, &staff, None, Some(message)).await?;
            Ok(HttpResponse::build(if e.status.is_client_error() {
                e.status
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            })
            .content_type("text/html; charset=utf-8")
            .body(page.render()?))
        }
    }
}
