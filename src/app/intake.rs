//! Receiving a report (ND56 art. 25, Mẫu 01): the earlier-case check, one command per child,
//! the case numbers, all or none. Used by `POST /api/v1/reports` and the console's intake form.

use super::cases::exec_error;
use crate::commands::MetadataBase;
use crate::http::dto::ReportDto;
use crate::http::errors::{ApiError, Bilingual, FieldError};
use crate::http::session::Caller;
use crate::http::AppState;
use crate::store::{case_numbers, idempotency};
use aggregates::case::commands::{CaseAction, CaseCommand};
use aggregates::deadlines::calendar::local_date;
use aggregates::policy::{authorize_on_case, Action};
use chrono::Datelike;
use projections::record::fold;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OpenedCase {
    pub id: Uuid,
    pub case_number: String,
    /// The report was attached to this open case of the child rather than opening one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub attached: bool,
}

/// What a received report opened.
#[derive(Debug, Clone)]
pub struct Received {
    pub report_id: Uuid,
    pub cases: Vec<OpenedCase>,
}

/// Receives `dto` for the caller. With an idempotency key that already opened cases (its
/// answer lost with a process that died after the commit, or a form sent twice), answers with
/// those cases rather than open them again.
pub async fn receive_report(
    state: &AppState,
    caller: &Caller,
    dto: ReportDto,
    key: Option<String>,
) -> Result<Received, ApiError> {
    let Some(key) = key else {
        return receive_once(state, caller, dto, None).await;
    };
    // Two sends of one key at the same instant (a double click) must not both pass the check
    // for cases the key opened: the key is held while the report is received. Its own name, so
    // that the API's Idempotency-Key reservation around this call does not wait for itself.
    let lock = format!("intake:{key}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match idempotency::reserve(&state.db, caller.id(), &lock, "intake", chrono::Utc::now())
            .await?
        {
            idempotency::Reservation::Reserved => break,
            _ if std::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            _ => {
                return Err(ApiError::new(
                    actix_web::http::StatusCode::CONFLICT,
                    "idempotency_in_progress",
                    "Báo cáo này đang được tiếp nhận",
                    "This report is still being received",
                ))
            }
        }
    }
    let received = receive_once(state, caller, dto, Some(key)).await;
    idempotency::release(&state.db, caller.id(), &lock).await?;
    received
}

/// What the report sent with `key` opened, when it was received already (a form sent twice):
/// the console answers with it before searching for the children again.
pub async fn already_received(
    state: &AppState,
    caller: &Caller,
    key: &str,
) -> Result<Option<Received>, ApiError> {
    let earlier = crate::store::events::reported_with_key(&state.db, caller.id(), key).await?;
    Ok(earlier.first().map(|(_, _, report_id)| Received {
        report_id: *report_id,
        cases: earlier
            .iter()
            .map(|(id, number, _)| OpenedCase {
                id: *id,
                case_number: number.clone(),
                attached: false,
            })
            .collect(),
    }))
}

async fn receive_once(
    state: &AppState,
    caller: &Caller,
    dto: ReportDto,
    key: Option<String>,
) -> Result<Received, ApiError> {
    if let Some(key) = &key {
        if let Some(received) = already_received(state, caller, key).await? {
            return Ok(received);
        }
    }
    let parsed = dto.parse(&state.units)?;
    let actor = caller.actor();
    let now = state.clock.now();
    let report_id = Uuid::now_v7();
    let template = parsed.template;
    let province = template
        .incident_unit
        .province()
        .map(ToString::to_string)
        .unwrap_or_default();
    let year = local_date(template.received_at).year();
    // Check every child's case before numbers are taken, so a refusal leaves no gap.
    let mut commands = Vec::new();
    let mut attached = Vec::new();
    for (i, pc) in parsed.children.into_iter().enumerate() {
        let mut report = template.clone();
        report.report_id = report_id;
        report.child = pc.child;
        report.not_same_as = pc.not_same_as;
        if let Some(target) = pc.attach_to {
            // A report about the child of an open case joins that case (issue 12).
            attached.push(
                crate::http::attach::attach_command(state, &actor, now, i, target, report).await?,
            );
            continue;
        }
        report.case_id = Uuid::now_v7();
        let previous_case_id = pc.previous;
        report.previous_case_id = previous_case_id;
        report.child_id = match previous_case_id {
            Some(previous) => {
                let earlier = state.commands.load(previous).await.map_err(exec_error)?;
                let earlier = fold(&earlier);
                // The earlier case must exist and be visible to the caller; the new episode
                // keeps the child's identity (as linked since, if it was).
                let visible = earlier
                    .scope()
                    .is_some_and(|s| authorize_on_case(&actor, Action::ReadCase, &s).is_ok());
                match earlier.child_id().filter(|_| visible) {
                    Some(child_id) => child_id,
                    None => {
                        return Err(ApiError::validation(vec![FieldError::new(
                            format!("children[{i}].previous_case_id"),
                            "case_not_found",
                            Bilingual::new("Không tìm thấy hồ sơ trước", "No such earlier case"),
                        )]))
                    }
                }
            }
            None => Uuid::now_v7(),
        };
        let command = CaseCommand {
            actor: actor.clone(),
            now,
            expected_version: None,
            action: CaseAction::Report(Box::new(report)),
        };
        aggregates::Case::default()
            .decide(command.clone(), state.commands.services())
            .map_err(ApiError::from)?;
        commands.push(command);
    }
    let first = if commands.is_empty() {
        0
    } else {
        case_numbers::allocate(&state.db, &province, year, commands.len() as i64).await?
    };
    let mut cases = Vec::new();
    let mut opened = Vec::new();
    for (i, mut command) in commands.into_iter().enumerate() {
        let number = case_numbers::format(&province, year, first + i as i64);
        let CaseAction::Report(report) = &mut command.action else {
            continue;
        };
        report.case_number = number.clone();
        opened.push(OpenedCase {
            id: report.case_id,
            case_number: number,
            attached: false,
        });
        cases.push((report.case_id, command));
    }
    let base = MetadataBase {
        actor_id: caller.id(),
        request_id: caller.request_id.clone(),
        client_request_id: caller.client_request_id.clone(),
        recorded_at: now,
        idempotency_key: key,
        session: super::cases::session_check(state, caller).map(str::to_owned),
    };
    let mut attach = Vec::new();
    for (case_id, case_number, command) in attached {
        attach.push((case_id, command));
        opened.push(OpenedCase {
            id: case_id,
            case_number,
            attached: true,
        });
    }
    // Attached and opened cases in one transaction: a report is received whole or not at all.
    state
        .commands
        .receive(attach, cases, &base)
        .await
        .map_err(exec_error)?;
    state.metrics.command_accepted();
    // Read-your-writes holds for the intake officer too: its next list read waits.
    state.recent_writers.wrote(&caller.token_hash);
    tracing::info!(report_id = %report_id, cases = opened.len(), "report received");
    Ok(Received {
        report_id,
        cases: opened,
    })
}
