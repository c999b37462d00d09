//! Linking cases as the same child, undoing a link, and saying two cases are different
//! children (issue 12). Each is an event on the case named in the path; nothing is merged.
//! The other case must be one the caller may read: a link is a claim about both children.

use super::cases::{command, exec_error};
use super::errors::{ApiError, Bilingual, FieldError};
use super::extract::{ApiJson, Fields};
use super::session::Caller;
use super::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use aggregates::case::commands::{CaseAction, DistinguishChild, LinkChild};
use aggregates::policy::{authorize_on_case, Action};
use projections::record::{fold, CaseDocument};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

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

/// The case in the path must be one the caller may link (as the command will check again):
/// so that a caller outside it learns nothing from how the other case is answered.
async fn may_link(state: &AppState, caller: &Caller, id: &str) -> Result<(), ApiError> {
    let case_id = super::extract::path_uuid(id)?;
    let events = state.commands.load(case_id).await.map_err(exec_error)?;
    let scope_case = fold(&events);
    let scope = scope_case.scope().ok_or_else(ApiError::case_not_found)?;
    authorize_on_case(&caller.actor(), Action::LinkChild, &scope)
        .map(|_| ())
        .map_err(|e| ApiError::from(aggregates::CaseError::from(e)))
}

/// The other case's current child identity, if the caller may read that case.
async fn readable_child(
    state: &AppState,
    caller: &Caller,
    field: &str,
    raw: &str,
) -> Result<(Uuid, Uuid), ApiError> {
    let mut f = Fields::default();
    let other = f.uuid(field, raw);
    f.finish()?;
    let other = other.unwrap_or_default();
    let events = state.commands.load(other).await.map_err(exec_error)?;
    let case = fold(&events);
    let actor = caller.actor();
    let visible = case
        .scope()
        .is_some_and(|s| authorize_on_case(&actor, Action::ReadCase, &s).is_ok());
    match case.child_id().filter(|_| visible) {
        Some(child) => Ok((other, child)),
        None => Err(ApiError::validation(vec![FieldError::new(
            field,
            "case_not_found",
            Bilingual::new("Không tìm thấy hồ sơ", "No such case"),
        )])),
    }
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
    may_link(&state, &caller, &id).await?;
    let (same_as_case_id, child_id) = readable_child(
        &state,
        &caller,
        "same_as_case_id",
        &body.value.same_as_case_id,
    )
    .await?;
    let hash = body.body_hash.clone();
    command(state, caller, req, id, &hash, move |_| {
        Ok(CaseAction::LinkChild(LinkChild {
            same_as_case_id,
            child_id,
        }))
    })
    .await
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
    may_link(&state, &caller, &id).await?;
    let (other_case_id, _) =
        readable_child(&state, &caller, "other_case_id", &body.value.other_case_id).await?;
    let hash = body.body_hash.clone();
    command(state, caller, req, id, &hash, move |_| {
        Ok(CaseAction::DistinguishChild(DistinguishChild {
            other_case_id,
        }))
    })
    .await
}
