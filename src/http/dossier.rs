//! `GET /cases/{id}/dossier`: the case's forms of ND56's annex (Mẫu 01–07) filled from its
//! events, as the console prints them (`crate::app::dossier`); each request is a print in the
//! case's access log.

use super::errors::ApiError;
use super::extract::{path_uuid, Fields};
use super::session::Caller;
use super::AppState;
use crate::dossier::{Dossier, Form};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
pub struct DossierQuery {
    /// One form, `01` … `07`; every form when absent.
    pub form: Option<String>,
}

/// A form's code, or a field error.
pub fn form_of(raw: Option<&str>) -> Result<Option<Form>, ApiError> {
    match raw {
        None => Ok(None),
        Some(code) => match Form::parse(code) {
            Some(form) => Ok(Some(form)),
            None => {
                let mut f = Fields::default();
                f.push(
                    "form",
                    "dossier_form_unknown",
                    "Mẫu: 01 đến 07",
                    "Form: 01 to 07",
                );
                f.finish()?;
                Ok(None)
            }
        },
    }
}

/// The case's dossier: the forms of ND56's annex filled from its events, as the caller may
/// see the case (a form whose step is not recorded says so); written to the access log as a
/// print.
#[utoipa::path(get, path = "/api/v1/cases/{id}/dossier", tag = "case reads", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "case id"), DossierQuery),
    responses((status = 200, body = Dossier), (status = 404), (status = 422)))]
pub async fn dossier(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<DossierQuery>,
) -> Result<HttpResponse, ApiError> {
    let case_id = path_uuid(&id)?;
    let form = form_of(query.form.as_deref())?;
    let dossier = crate::app::dossier::print(&state, &caller, case_id, form).await?;
    Ok(HttpResponse::Ok().json(dossier))
}
