//! One case: read it (with its access-log row), run a command on it, its history and access log.

use crate::commands::{ExecError, MetadataBase};
use crate::http::errors::ApiError;
use crate::http::session::Caller;
use crate::http::AppState;
use crate::store::access_log::{self, AccessRecord, CaseView};
use crate::store::users;
use aggregates::case::commands::{AssignWorker, CaseAction, CaseCommand};
use aggregates::codes::{Code, Role};
use aggregates::policy::{authorize_on_case, field_access, Action, Actor, Grant};
use chrono::{DateTime, Utc};
use projections::record::{case_document, fold, CaseDocument, RecordedEvent};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

pub fn exec_error(e: ExecError) -> ApiError {
    match e {
        ExecError::Refused(e) => ApiError::from(e),
        ExecError::Conflict => ApiError::version_conflict(),
        ExecError::SessionEnded => ApiError::unauthenticated(),
        ExecError::Store(cause) => ApiError::internal(&cause),
    }
}

/// Writes the access-log row of a disclosure; the disclosure is refused when it cannot be
/// written (procedure.md §6).
pub async fn audit(
    state: &AppState,
    caller: &Caller,
    case_id: Uuid,
    grant: &Grant,
    view: CaseView,
) -> Result<(), ApiError> {
    access_log::record(
        &state.db,
        &AccessRecord {
            case_id,
            user_id: caller.id(),
            role: grant.role.code(),
            unit: grant.unit.as_str(),
            view,
            at: Utc::now(),
        },
        session_check(state, caller),
    )
    .await
    .map_err(audit_failed)
}

/// The caller's session, when writes made for it must check that it still exists: on the
/// stores whose sessions are cached (see `store::session_cache`).
pub fn session_check<'a>(state: &AppState, caller: &'a Caller) -> Option<&'a str> {
    state
        .sessions
        .is_enabled()
        .then_some(caller.token_hash.as_str())
}

/// An access-log row that could not be written refuses the disclosure (procedure.md §6); a
/// session that ended meanwhile is a 401.
pub fn audit_failed(e: access_log::AuditError) -> ApiError {
    match e {
        access_log::AuditError::SessionEnded => ApiError::unauthenticated(),
        access_log::AuditError::Db(e) => {
            ApiError::internal(&format!("access log write failed: {e}"))
        }
    }
}

/// What `actor` sees of the case made of `events`, at `now`; `None` when it may not read it.
pub fn document_for(
    actor: &Actor,
    events: &[RecordedEvent],
    now: DateTime<Utc>,
) -> Option<CaseDocument> {
    let current = fold(events);
    let scope = current.scope()?;
    let grant = authorize_on_case(actor, Action::ReadCase, &scope).ok()?;
    let access = field_access(actor, grant, &scope);
    case_document(events, access, now)
}

/// The grant under which `actor` may read the case now, if any.
pub fn read_grant(actor: &Actor, events: &[RecordedEvent]) -> Option<Grant> {
    fold(events).scope().and_then(|scope| {
        authorize_on_case(actor, Action::ReadCase, &scope)
            .ok()
            .cloned()
    })
}

/// The case as the caller may see it, now or (`as_of`, supervisors) as casebook knew it then;
/// its access-log row is written before it is returned. Another jurisdiction's case is
/// `case_not_found`.
pub async fn read(
    state: &AppState,
    caller: &Caller,
    case_id: Uuid,
    as_of: Option<DateTime<Utc>>,
) -> Result<CaseDocument, ApiError> {
    read_with_events(state, caller, case_id, as_of)
        .await
        .map(|(document, _)| document)
}

/// [`read`], with the events the document was folded from (the console decides from them which
/// steps it offers).
pub async fn read_with_events(
    state: &AppState,
    caller: &Caller,
    case_id: Uuid,
    as_of: Option<DateTime<Utc>>,
) -> Result<(CaseDocument, Vec<RecordedEvent>), ApiError> {
    read_as(state, caller, case_id, as_of, CaseView::Record).await
}

/// [`read_with_events`], the access-log row naming `view` for a read of the case now (a
/// print of the dossier is such a read).
pub async fn read_as(
    state: &AppState,
    caller: &Caller,
    case_id: Uuid,
    as_of: Option<DateTime<Utc>>,
    view_now: CaseView,
) -> Result<(CaseDocument, Vec<RecordedEvent>), ApiError> {
    let events = state.commands.load(case_id).await.map_err(exec_error)?;
    let current = fold(&events);
    let scope = current.scope().ok_or_else(ApiError::case_not_found)?;
    let actor = caller.actor();
    let action = if as_of.is_some() {
        Action::ReadCaseAsOf
    } else {
        Action::ReadCase
    };
    let grant = authorize_on_case(&actor, action, &scope)
        .map_err(|e| ApiError::from(aggregates::CaseError::from(e)))?;
    let access = field_access(&actor, grant, &scope);
    let (events, now, view) = match as_of {
        // What casebook knew then: the events recorded up to that instant.
        Some(at) => (
            events
                .into_iter()
                .filter(|e| e.metadata.recorded_at <= at)
                .collect::<Vec<_>>(),
            at,
            CaseView::AsOf,
        ),
        None => (events, state.clock.now(), view_now),
    };
    let document = case_document(&events, access, now).ok_or_else(ApiError::case_not_found)?;
    audit(state, caller, case_id, grant, view).await?;
    Ok((document, events))
}

/// Runs a command on an existing case for the caller: the events after it. When the caller may
/// still read the case, the access-log row of the answer that shows it is written.
pub async fn execute(
    state: &AppState,
    caller: &Caller,
    case_id: Uuid,
    expected_version: Option<u64>,
    action: CaseAction,
    idempotency_key: Option<String>,
) -> Result<Vec<RecordedEvent>, ApiError> {
    let actor = caller.actor();
    let now = state.clock.now();
    let command = CaseCommand {
        actor: actor.clone(),
        now,
        expected_version,
        action,
    };
    let base = MetadataBase {
        actor_id: caller.id(),
        request_id: caller.request_id.clone(),
        client_request_id: caller.client_request_id.clone(),
        recorded_at: now,
        idempotency_key,
        session: session_check(state, caller).map(str::to_owned),
    };
    // The answer shows the case: a disclosure like a read, its access-log row committed with
    // the command's events.
    let executed = state
        .commands
        .execute(case_id, command, &base, Some(CaseView::Command))
        .await
        .map_err(exec_error)?;
    state.metrics.command_accepted();
    state.recent_writers.wrote(&caller.token_hash);
    // Events an Idempotency-Key had produced before: the answer shows them, audited now.
    if !executed.audited {
        if let Some(grant) = read_grant(&actor, &executed.events) {
            audit(state, caller, case_id, &grant, CaseView::Command).await?;
        }
    }
    Ok(executed.events)
}

/// The assignment of `worker_id`: the worker's social-worker units go with it, so that the
/// aggregate checks they cover the case.
pub async fn assignment(state: &AppState, worker_id: Uuid) -> Result<CaseAction, ApiError> {
    let worker = users::get(&state.db, worker_id).await?;
    let worker_units = worker
        .filter(|w| !w.disabled)
        .map(|w| {
            w.grants
                .iter()
                .filter(|g| g.role == Role::SocialWorker)
                .map(|g| g.unit.clone())
                .collect()
        })
        .unwrap_or_default();
    Ok(CaseAction::AssignWorker(AssignWorker {
        worker_id,
        worker_units,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActorView {
    pub user_id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    pub role: String,
    pub unit: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub sequence: u64,
    #[serde(rename = "type")]
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub actor: ActorView,
    pub request_id: String,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// Every event of the case with who recorded it (supervisors), after its access-log row.
pub async fn history(
    state: &AppState,
    caller: &Caller,
    case_id: Uuid,
) -> Result<Vec<HistoryEntry>, ApiError> {
    let events = state.commands.load(case_id).await.map_err(exec_error)?;
    let case = fold(&events);
    let scope = case.scope().ok_or_else(ApiError::case_not_found)?;
    let actor = caller.actor();
    let grant = authorize_on_case(&actor, Action::ReadHistory, &scope)
        .map_err(|e| ApiError::from(aggregates::CaseError::from(e)))?;
    let mut ids: Vec<Uuid> = events.iter().map(|e| e.metadata.actor_id).collect();
    ids.sort();
    ids.dedup();
    let names = users::names(&state.db, &ids).await?;
    let entries: Vec<HistoryEntry> = events
        .iter()
        .map(|e| {
            let data = serde_json::to_value(&e.event)
                .ok()
                .and_then(|v| v.as_object().and_then(|o| o.values().next().cloned()))
                .unwrap_or(serde_json::Value::Null);
            let name = names.get(&e.metadata.actor_id);
            HistoryEntry {
                sequence: e.sequence,
                kind: e.event.kind().to_owned(),
                occurred_at: e.event.occurred_at(),
                recorded_at: e.metadata.recorded_at,
                actor: ActorView {
                    user_id: e.metadata.actor_id,
                    username: name.map(|n| n.0.clone()),
                    display_name: name.map(|n| n.1.clone()),
                    role: e.metadata.role.code().to_owned(),
                    unit: e.metadata.unit.to_string(),
                },
                request_id: e.metadata.request_id.clone(),
                data,
            }
        })
        .collect();
    audit(state, caller, case_id, grant, CaseView::History).await?;
    Ok(entries)
}

/// One page of the case's access log (supervisors), after the row of this read itself:
/// the entries and whether more follow.
pub async fn access_log(
    state: &AppState,
    caller: &Caller,
    case_id: Uuid,
    after: i64,
    limit: i64,
) -> Result<(Vec<access_log::AccessEntry>, bool), ApiError> {
    let events = state.commands.load(case_id).await.map_err(exec_error)?;
    let case = fold(&events);
    let scope = case.scope().ok_or_else(ApiError::case_not_found)?;
    let actor = caller.actor();
    let grant = authorize_on_case(&actor, Action::ReadAccessLog, &scope)
        .map_err(|e| ApiError::from(aggregates::CaseError::from(e)))?;
    audit(state, caller, case_id, grant, CaseView::AccessLog).await?;
    let entries = access_log::list(&state.db, case_id, after, limit + 1).await?;
    let has_more = entries.len() as i64 > limit;
    Ok((entries.into_iter().take(limit as usize).collect(), has_more))
}
