//! Printing the case dossier (both adapters): the same authorization and field classes as a
//! case read (another jurisdiction's case is not found; the admin sees none; the reporter's
//! identity only for the roles that may see it), and each print written to the access log
//! (`print_01` … `print_07`, `print_all`) before the forms are returned.

use super::cases::read_as;
use crate::dossier::{self, Dossier, Form, Names};
use crate::http::errors::ApiError;
use crate::http::session::Caller;
use crate::http::AppState;
use crate::store::access_log::CaseView;
use crate::store::users;
use projections::record::CaseDocument;
use uuid::Uuid;

/// Every user a form names: who received the report and who recorded each step.
fn people(doc: &CaseDocument) -> Vec<Uuid> {
    let json = serde_json::to_value(doc).unwrap_or_default();
    let mut ids = vec![doc.received_by];
    collect_user_ids(&json, &mut ids);
    ids.sort();
    ids.dedup();
    ids
}

fn collect_user_ids(v: &serde_json::Value, out: &mut Vec<Uuid>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                if k == "user_id" {
                    if let Some(id) = v.as_str().and_then(|s| Uuid::parse_str(s).ok()) {
                        out.push(id);
                    }
                }
                collect_user_ids(v, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_user_ids(v, out)),
        _ => {}
    }
}

/// The dossier of a case (one form, or all of them) as the caller may see it; the access-log
/// row of the print is written first.
pub async fn print(
    state: &AppState,
    caller: &Caller,
    case_id: Uuid,
    form: Option<Form>,
) -> Result<Dossier, ApiError> {
    let (doc, _) = read_as(state, caller, case_id, None, CaseView::Print(form)).await?;
    let people = users::names(&state.db, &people(&doc)).await?;
    let unit = |code: &str| {
        state
            .units
            .get(code)
            .map_or_else(|| code.to_owned(), |u| u.name)
    };
    let user = |id: Uuid| people.get(&id).map(|(_, display)| display.clone());
    Ok(dossier::build(
        &doc,
        form,
        &Names {
            unit: &unit,
            user: &user,
        },
        state.clock.now(),
        &caller.user.display_name,
    ))
}
