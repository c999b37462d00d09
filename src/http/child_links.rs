//! Linking cases as the same child, undoing a link, and saying two cases are different
//! children (issue 12). Each is an event on the case named in the path; nothing is merged.
//! The other case must be one the caller may read: a link is a claim about both children.

use super::cases::command;
use super::errors::ApiError;
use super::extract::ApiJson;
use super::session::Caller;
use super::AppState;
use crate::app::children::{distinct_action, link_action};
use actix_web::{web, HttpRequest, HttpResponse};
use aggregates::case::commands::CaseAction;
use projections::record::CaseDocument;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildLinkDto {
    /// The case whose child this case's child is.
    pub same_as_case_id: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildUnlinkDto {}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildDistinctDto {
    /// A case about another child.
    pub other_case_id: String,
}

/// This case's child is the child of another case: the case points to that child's identity
/// from now on (statistics count them once). Undone by `child-unlink`.
#[utoipa::path(post, path = "/api/v1/cases/{id}/child-link", tag = "children", security(("bearer" = [])),
    request_body = ChildLinkDto, params(("id" = Uuid, Path, description = "case id")),
    responses((status = 200, body = CaseDocument), (status = 404), (status = 403), (status = 409), (status = 422)))]
pub async fn link(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: ApiJson<ChildLinkDto>,
) -> Result<HttpResponse, ApiError> {
    let case_id = super::extract::path_uuid(&id)?;
    let action = link_action(
        &state,
        &caller,
        case_id,
        "same_as_case_id",
        &body.value.same_as_case_id,
    )
    .await?;
    let hash = body.body_hash.clone();
    command(state, caller, req, id, &hash, move |_| Ok(action)).await
}

/// Undo the latest link: the case points again to the child identity it had before.
#[utoipa::path(post, path = "/api/v1/cases/{id}/child-unlink", tag = "children", security(("bearer" = [])),
    request_body = ChildUnlinkDto, params(("id" = Uuid, Path, description = "case id")),
    responses((status = 200, body = CaseDocument), (status = 404), (status = 403), (status = 409)))]
pub async fn unlink(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: ApiJson<ChildUnlinkDto>,
) -> Result<HttpResponse, ApiError> {
    let hash = body.body_hash.clone();
    command(state, caller, req, id, &hash, |_| {
        Ok(CaseAction::UnlinkChild)
    })
    .await
}

/// The two cases are about different children: the duplicates worklist no longer pairs them.
#[utoipa::path(post, path = "/api/v1/cases/{id}/child-distinct", tag = "children", security(("bearer" = [])),
    request_body = ChildDistinctDto, params(("id" = Uuid, Path, description = "case id")),
    responses((status = 200, body = CaseDocument), (status = 404), (status = 403), (status = 409), (status = 422)))]
pub async fn distinct(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: ApiJson<ChildDistinctDto>,
) -> Result<HttpResponse, ApiError> {
    let case_id = super::extract::path_uuid(&id)?;
    let action = distinct_action(
        &state,
        &caller,
        case_id,
        "other_case_id",
        &body.value.other_case_id,
    )
    .await?;
    let hash = body.body_hash.clone();
    command(state, caller, req, id, &hash, move |_| Ok(action)).await
}
