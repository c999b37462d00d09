//! One child, one record (issue 12) over HTTP: search before create and the possible-duplicates
//! worklist. The use cases are `crate::app::children`; this adapter parses and renders.

use super::dto::unit_path;
use super::errors::ApiError;
use super::extract::{ApiJson, Fields};
use super::reads::strong;
use super::session::Caller;
use super::AppState;
use crate::app::children::{self as app, MatchCandidate, PossibleDuplicate};
use actix_web::{web, HttpRequest, HttpResponse};
use aggregates::codes::Sex;
use aggregates::deadlines::calendar::local_date;
use aggregates::identity::Person;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The child block of a report, as typed so far.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildSearchDto {
    pub full_name: Option<String>,
    pub date_of_birth: Option<String>,
    pub estimated_age: Option<u8>,
    pub sex: Option<String>,
    pub ethnicity: Option<String>,
    pub residence_unit: Option<String>,
    pub school: Option<String>,
    pub parent_name: Option<String>,
    pub parent_phone: Option<String>,
}

/// `POST /children/matches`: POST so that no child's name goes in a URL.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchQueryDto {
    /// When the report was received (an estimated age is an age on that day); default now.
    pub received_at: Option<String>,
    /// Where the incident happened: stands for the child's commune when that is not known
    /// (as it does for the reported children the search is compared with).
    pub incident_unit: Option<String>,
    pub child: ChildSearchDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchAnswer {
    pub candidates: Vec<MatchCandidate>,
}

impl MatchQueryDto {
    /// The searched child, checked field by field (a 422 names every bad field).
    pub fn parse(self, state: &AppState) -> Result<Person, ApiError> {
        let mut f = Fields::default();
        let c = self.child;
        let received = match self.received_at.as_deref() {
            Some(raw) => f.time("received_at", raw),
            None => Some(state.clock.now()),
        };
        let name = f.opt_text::<200>("child.full_name", c.full_name.as_deref());
        if matches!(name, Some(None)) {
            f.push(
                "child.full_name",
                "required",
                "Cần tên trẻ để tìm hồ sơ trùng",
                "A search needs the child's name",
            );
        }
        let date_of_birth = match c.date_of_birth.as_deref() {
            Some(raw) => f.date("child.date_of_birth", raw).map(Some),
            None => Some(None),
        };
        if c.estimated_age.is_some_and(|a| a > 17) {
            f.push(
                "child.estimated_age",
                "out_of_range",
                "Tuổi ước tính từ 0 đến 17",
                "An estimated age is 0 to 17",
            );
        }
        let sex = match c.sex.as_deref() {
            Some(raw) => f.code::<Sex>("child.sex", raw),
            None => Some(Sex::Unknown),
        };
        let ethnicity = f.opt_text::<200>("child.ethnicity", c.ethnicity.as_deref());
        let incident = match self.incident_unit.as_deref() {
            Some(raw) => unit_path(&mut f, &state.units, "incident_unit", raw)
                .map(|p| Some(p.unit().to_string())),
            None => Some(None),
        };
        let residence = match c.residence_unit.as_deref() {
            Some(raw) => unit_path(&mut f, &state.units, "child.residence_unit", raw)
                .map(|p| Some(p.unit().to_string())),
            None => Some(None),
        };
        let school = f.opt_text::<200>("child.school", c.school.as_deref());
        let parent_name = f.opt_text::<200>("child.parent_name", c.parent_name.as_deref());
        let parent_phone = f.opt_text::<200>("child.parent_phone", c.parent_phone.as_deref());
        f.finish()?;
        let text =
            |v: Option<Option<aggregates::text::ShortText>>| v.flatten().map(|t| t.to_string());
        Ok(Person {
            full_name: text(name),
            date_of_birth: date_of_birth.flatten(),
            estimated_age: c.estimated_age,
            age_as_of: received.map(local_date),
            sex: sex.unwrap_or_default(),
            ethnicity: text(ethnicity),
            residence_unit: residence.flatten().or(incident.flatten()),
            school: text(school),
            parent_name: text(parent_name),
            parent_phone: text(parent_phone),
        })
    }
}

/// Search before create: the cases that may be about the child of a report being taken.
#[utoipa::path(post, path = "/api/v1/children/matches", tag = "children", security(("bearer" = [])),
    request_body = MatchQueryDto,
    responses((status = 200, body = MatchAnswer), (status = 403), (status = 422)))]
pub async fn matches(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: ApiJson<MatchQueryDto>,
) -> Result<HttpResponse, ApiError> {
    // Who may search is checked before the body is (a 403 says nothing about the fields).
    aggregates::policy::authorize_scoped(&caller.actor(), aggregates::policy::Action::OpenCase)
        .map_err(|_| ApiError::forbidden())?;
    let person = body.value.parse(&state)?;
    let candidates = app::find_matches(&state, &caller, &person, strong(&req)).await?;
    Ok(HttpResponse::Ok().json(MatchAnswer { candidates }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicatesAnswer {
    pub items: Vec<PossibleDuplicate>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DuplicatesQuery {
    /// A commune among the caller's; default all of them.
    pub unit: Option<String>,
}

/// Possible duplicates among the open cases of the caller's communes, for the commune to
/// resolve: link them as one child, or say they are different children.
#[utoipa::path(get, path = "/api/v1/children/duplicates", tag = "children", security(("bearer" = [])),
    params(DuplicatesQuery),
    responses((status = 200, body = DuplicatesAnswer), (status = 403), (status = 422)))]
pub async fn duplicates(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: web::Query<DuplicatesQuery>,
) -> Result<HttpResponse, ApiError> {
    let items = app::worklist(&state, &caller, query.unit.as_deref(), strong(&req))
        .await?
        .into_iter()
        .map(PossibleDuplicate::of)
        .collect();
    Ok(HttpResponse::Ok().json(DuplicatesAnswer { items }))
}
