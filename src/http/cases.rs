//! Case commands and case reads. Each command handler is thin: authenticate (extractor), parse
//! the body into a command with the server's "now", execute, answer the case as the caller may
//! see it. Business rules live in the aggregate.

use super::dto::*;
use super::errors::ApiError;
use super::extract::{path_uuid, ApiJson, Fields};
use super::session::Caller;
use super::AppState;
use crate::store::access_log::{self, CaseView};
use crate::store::idempotency;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use aggregates::case::commands::CaseAction;
use aggregates::codes::Code;
use aggregates::policy::{authorize_on_case, Action, Actor};
use chrono::{DateTime, Utc};
use projections::record::{fold, CaseDocument, RecordedEvent};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::future::Future;
use std::time::Duration;
use utoipa::ToSchema;
use uuid::Uuid;

/// A successful command answer, kept as bytes so that an `Idempotency-Key` can replay it.
pub struct Answer {
    pub status: StatusCode,
    pub etag: Option<u64>,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

impl Answer {
    pub(crate) fn json(status: StatusCode, value: &impl Serialize) -> Result<Self, ApiError> {
        Ok(Self {
            status,
            etag: None,
            location: None,
            body: serde_json::to_vec(value).map_err(|e| ApiError::internal(&e))?,
        })
    }

    fn headers(&self) -> Vec<(header::HeaderName, String)> {
        let mut headers = Vec::new();
        if let Some(version) = self.etag {
            headers.push((header::ETAG, format!("\"{version}\"")));
        }
        if let Some(location) = &self.location {
            headers.push((header::LOCATION, location.clone()));
        }
        headers
    }

    fn into_response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.content_type("application/json");
        for (name, value) in self.headers() {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.insert_header((name, value));
            }
        }
        response.body(self.body)
    }
}

fn if_match(req: &HttpRequest) -> Result<Option<u64>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or_default().trim();
    if value == "*" {
        return Ok(None);
    }
    value
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse::<u64>()
        .map(Some)
        .map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_if_match",
                "If-Match phải là phiên bản hồ sơ, ví dụ \"5\"",
                "If-Match must be a case version, e.g. \"5\"",
            )
        })
}

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(key) if (1..=128).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(Some(key.to_owned()))
        }
        _ => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_idempotency_key",
            "Idempotency-Key phải gồm 1–128 ký tự ASCII nhìn thấy được",
            "Idempotency-Key must be 1 to 128 visible ASCII characters",
        )),
    }
}

/// Runs `run` once per `Idempotency-Key`: a repeat of the same request gets the first answer
/// again, without new events; the same key with another request is refused. Only successes are
/// kept: after a refusal the client may fix the request and retry with the same key.
///
/// A replay of a command on `case_id` is a disclosure like a read: the caller is authorized
/// again against the case as it is now (a case transferred away since answers only its
/// receipt), and the replayed case is written to the case's access log.
pub(crate) async fn idempotent<F, Fut>(
    state: &AppState,
    caller: &Caller,
    req: &HttpRequest,
    body_hash: &str,
    case_id: Option<Uuid>,
    run: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(Option<String>) -> Fut,
    Fut: Future<Output = Result<Answer, ApiError>>,
{
    let Some(key) = idempotency_key(req)? else {
        return run(None).await.map(Answer::into_response);
    };
    let request_hash = crate::auth::hex(&Sha256::digest(
        format!("{} {} {}", req.method(), req.path(), body_hash).as_bytes(),
    ));
    let done = idempotency::once(
        &state.db,
        caller.id(),
        &key,
        &request_hash,
        Duration::from_secs(10),
        || run(Some(key.clone())),
        |answer: &Answer| idempotency::StoredResponse {
            status: answer.status.as_u16(),
            headers: answer
                .headers()
                .into_iter()
                .map(|(n, v)| format!("{n}: {v}"))
                .collect::<Vec<_>>()
                .join("\n"),
            body: answer.body.clone(),
        },
    )
    .await;
    match done {
        Ok(idempotency::Once::Ran(answer)) => Ok(answer.into_response()),
        Ok(idempotency::Once::Replayed(mut stored)) => {
            if let Some(case_id) = case_id {
                stored.body = reauthorized_replay(state, caller, case_id, stored.body).await?;
            }
            let mut response =
                HttpResponse::build(StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK));
            response.content_type("application/json");
            response.insert_header(("idempotent-replayed", "true"));
            for line in stored.headers.lines() {
                if let Some((name, value)) = line.split_once(": ") {
                    response.insert_header((name.to_owned(), value.to_owned()));
                }
            }
            Ok(response.body(stored.body))
        }
        Err(e) => Err(e.into()),
    }
}

/// The stored answer of a command on `case_id` if the caller may read the case now (with its
/// access-log row), else only the receipt fields of it.
async fn reauthorized_replay(
    state: &AppState,
    caller: &Caller,
    case_id: Uuid,
    body: Vec<u8>,
) -> Result<Vec<u8>, ApiError> {
    let events = state.commands.load(case_id).await.map_err(exec_error)?;
    let actor = caller.actor();
    let grant = fold(&events).scope().and_then(|scope| {
        authorize_on_case(&actor, Action::ReadCase, &scope)
            .ok()
            .cloned()
    });
    match grant {
        Some(grant) => {
            audit(state, caller, case_id, &grant, CaseView::Replay).await?;
            Ok(body)
        }
        None => {
            let stored: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let receipt: serde_json::Map<String, serde_json::Value> =
                ["id", "case_number", "version", "status", "acting_unit"]
                    .into_iter()
                    .filter_map(|k| stored.get(k).map(|v| (k.to_owned(), v.clone())))
                    .collect();
            serde_json::to_vec(&receipt).map_err(|e| ApiError::internal(&e))
        }
    }
}

pub(super) use crate::app::cases::exec_error;
use crate::app::cases::{audit, document_for};

/// The minimal answer for a caller who may no longer read the case (it transferred it away).
#[derive(Serialize)]
struct CaseReceipt {
    id: Uuid,
    case_number: String,
    version: u64,
    status: String,
    acting_unit: String,
}

fn case_answer(
    actor: &Actor,
    case_id: Uuid,
    events: &[RecordedEvent],
    now: DateTime<Utc>,
) -> Result<Answer, ApiError> {
    let version = events.last().map_or(0, |e| e.sequence);
    let mut answer = match document_for(actor, events, now) {
        Some(document) => Answer::json(StatusCode::OK, &document)?,
        None => {
            let case = fold(events);
            Answer::json(
                StatusCode::OK,
                &CaseReceipt {
                    id: case_id,
                    case_number: case
                        .report
                        .as_ref()
                        .map(|r| r.fact.case_number.clone())
                        .unwrap_or_default(),
                    version,
                    status: case.status.code().to_owned(),
                    acting_unit: case
                        .acting_unit
                        .as_ref()
                        .map(|u| u.unit().to_string())
                        .unwrap_or_default(),
                },
            )?
        }
    };
    answer.etag = Some(version);
    Ok(answer)
}

/// The common path of every command on an existing case.
pub(super) async fn command(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body_hash: &str,
    action: impl FnOnce(&AppState) -> Result<CaseAction, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let case_id = path_uuid(&id)?;
    let expected_version = if_match(&req)?;
    let (st, cl) = (state.clone(), caller.clone());
    idempotent(&st, &cl, &req, body_hash, Some(case_id), |key| async move {
        let action = action(&state)?;
        let events =
            crate::app::cases::execute(&state, &caller, case_id, expected_version, action, key)
                .await?;
        case_answer(&caller.actor(), case_id, &events, state.clock.now())
    })
    .await
}

macro_rules! command_endpoint {
    ($(#[$doc:meta])* $name:ident, $dto:ty, $path:literal, $parse:expr) => {
        $(#[$doc])*
        #[utoipa::path(post, path = $path, tag = "case commands", security(("bearer" = [])),
            request_body = $dto,
            params(("id" = Uuid, Path, description = "case id"),
                   ("If-Match" = Option<String>, Header, description = "the case version the command is based on"),
                   ("Idempotency-Key" = Option<String>, Header, description = "replays the first answer to the same request")),
            responses((status = 200, description = "the case as the caller may see it", body = CaseDocument),
                      (status = 404, description = "no such case in your jurisdiction"),
                      (status = 403), (status = 409), (status = 412), (status = 422)))]
        pub async fn $name(
            state: web::Data<AppState>,
            caller: Caller,
            req: HttpRequest,
            id: web::Path<String>,
            body: ApiJson<$dto>,
        ) -> Result<HttpResponse, ApiError> {
            let ApiJson { value, body_hash } = body;
            #[allow(clippy::redundant_closure_call)]
            command(state, caller, req, id, &body_hash, move |state: &AppState| ($parse)(value, state)).await
        }
    };
}

command_endpoint!(
    /// Transfer the case to another commune.
    transfer, TransferDto, "/api/v1/cases/{id}/transfer",
    |dto: TransferDto, state: &AppState| dto.parse(&state.units));
command_endpoint!(
    /// Initial risk assessment (ND56 art. 26, Mẫu 02).
    initial_assessment, InitialAssessmentDto, "/api/v1/cases/{id}/initial-assessment",
    |dto: InitialAssessmentDto, _: &AppState| dto.parse());
command_endpoint!(
    /// Urgent measures (ND56 art. 31).
    urgent_measures, UrgentMeasuresDto, "/api/v1/cases/{id}/urgent-measures",
    |dto: UrgentMeasuresDto, _: &AppState| dto.parse());
command_endpoint!(
    /// Temporary separation decided by the approver (ND56 art. 32, Mẫu 07).
    separation, SeparationDto, "/api/v1/cases/{id}/separation",
    |dto: SeparationDto, _: &AppState| dto.parse());
command_endpoint!(
    /// Extend the separation within its 15-day cap.
    separation_extension, SeparationExtensionDto, "/api/v1/cases/{id}/separation/extension",
    |dto: SeparationExtensionDto, _: &AppState| dto.parse());
command_endpoint!(
    /// End the separation.
    separation_end, SeparationEndDto, "/api/v1/cases/{id}/separation/end",
    |dto: SeparationEndDto, _: &AppState| dto.parse());
command_endpoint!(
    /// Detailed risk assessment (ND56 art. 27(1), Mẫu 03).
    detailed_assessment, DetailedAssessmentDto, "/api/v1/cases/{id}/detailed-assessment",
    |dto: DetailedAssessmentDto, _: &AppState| dto.parse());
command_endpoint!(
    /// Needs meeting (ND56 art. 27(2)).
    needs_meeting, NeedsMeetingDto, "/api/v1/cases/{id}/needs-meeting",
    |dto: NeedsMeetingDto, _: &AppState| dto.parse());
command_endpoint!(
    /// Submit a plan version (ND56 art. 28(1), Mẫu 04/05).
    plan, PlanDto, "/api/v1/cases/{id}/plan",
    |dto: PlanDto, _: &AppState| dto.parse());
command_endpoint!(
    /// Approve or return the plan version awaiting approval (ND56 art. 28(4)).
    plan_decision, PlanDecisionDto, "/api/v1/cases/{id}/plan/decision",
    |dto: PlanDecisionDto, _: &AppState| dto.parse());
command_endpoint!(
    /// Record a service delivered under the approved plan (ND56 art. 29).
    services, ServiceDto, "/api/v1/cases/{id}/services",
    |dto: ServiceDto, _: &AppState| dto.parse());
command_endpoint!(
    /// Record a referral.
    referrals, ReferralDto, "/api/v1/cases/{id}/referrals",
    |dto: ReferralDto, _: &AppState| dto.parse());
command_endpoint!(
    /// Record a court petition (LTE art. 52(3)).
    court_petition, CourtPetitionDto, "/api/v1/cases/{id}/court-petitions",
    |dto: CourtPetitionDto, _: &AppState| dto.parse());
command_endpoint!(
    /// Record a court order.
    court_order, CourtOrderDto, "/api/v1/cases/{id}/court-orders",
    |dto: CourtOrderDto, _: &AppState| dto.parse());
command_endpoint!(
    /// Review (ND56 art. 30, Mẫu 06).
    review, ReviewDto, "/api/v1/cases/{id}/review",
    |dto: ReviewDto, _: &AppState| dto.parse());
command_endpoint!(
    /// Propose closing the case for a reason no step proposes by itself.
    closure_proposal, ClosureProposalDto, "/api/v1/cases/{id}/closure/proposal",
    |dto: ClosureProposalDto, _: &AppState| dto.parse());
command_endpoint!(
    /// Decide on the closure proposal (ND56 art. 30(1)(b)).
    closure, ClosureDto, "/api/v1/cases/{id}/closure",
    |dto: ClosureDto, _: &AppState| dto.parse());
command_endpoint!(
    /// Add a note.
    notes, NoteDto, "/api/v1/cases/{id}/notes",
    |dto: NoteDto, _: &AppState| dto.parse());
command_endpoint!(
    /// Ask the hotline 111 to support the case (ND56 art. 31(3)): hotline operators may then
    /// read it and add notes and referrals until the request is withdrawn or the case closes.
    hotline_support, HotlineSupportDto, "/api/v1/cases/{id}/hotline-support",
    |dto: HotlineSupportDto, _: &AppState| dto.parse_request());
command_endpoint!(
    /// Withdraw the request for the hotline's support.
    hotline_support_withdrawal, HotlineSupportDto, "/api/v1/cases/{id}/hotline-support/withdrawal",
    |dto: HotlineSupportDto, _: &AppState| dto.parse_withdrawal());
command_endpoint!(
    /// Correct a recorded fact (a new event naming the one it corrects).
    corrections, CorrectionDto, "/api/v1/cases/{id}/corrections",
    |dto: CorrectionDto, _: &AppState| dto.parse());

/// Assign or reassign the responsible worker.
#[utoipa::path(post, path = "/api/v1/cases/{id}/assignment", tag = "case commands", security(("bearer" = [])),
    request_body = AssignmentDto, params(("id" = Uuid, Path, description = "case id")),
    responses((status = 200, body = CaseDocument), (status = 404), (status = 403), (status = 409), (status = 422)))]
pub async fn assignment(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: ApiJson<AssignmentDto>,
) -> Result<HttpResponse, ApiError> {
    let mut f = Fields::default();
    let worker_id = f.uuid("worker_id", &body.value.worker_id);
    f.finish()?;
    let worker_id = worker_id.unwrap_or_default();
    let action = crate::app::cases::assignment(&state, worker_id).await?;
    let hash = body.body_hash.clone();
    command(state, caller, req, id, &hash, move |_| Ok(action)).await
}

pub use crate::app::intake::OpenedCase;

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportResponse {
    pub report_id: Uuid,
    pub cases: Vec<OpenedCase>,
}

/// Receive a report (ND56 art. 25, Mẫu 01): one case per child, all or none.
#[utoipa::path(post, path = "/api/v1/reports", tag = "case commands", security(("bearer" = [])),
    request_body = ReportDto,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays the first answer to the same request")),
    responses((status = 201, body = ReportResponse), (status = 403), (status = 422)))]
pub async fn report(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: ApiJson<ReportDto>,
) -> Result<HttpResponse, ApiError> {
    let ApiJson { value, body_hash } = body;
    let (st, cl) = (state.clone(), caller.clone());
    idempotent(&st, &cl, &req, &body_hash, None, |key| async move {
        let received = crate::app::intake::receive_report(&state, &caller, value, key).await?;
        report_answer(received.report_id, received.cases)
    })
    .await
}

/// 201 with the opened cases; `Location` names the first child's case, since a report about one
/// child (the usual) names its case.
fn report_answer(report_id: Uuid, cases: Vec<OpenedCase>) -> Result<Answer, ApiError> {
    let location = cases.first().map(|c| format!("/api/v1/cases/{}", c.id));
    let mut answer = Answer::json(StatusCode::CREATED, &ReportResponse { report_id, cases })?;
    answer.location = location;
    Ok(answer)
}

#[derive(Debug, Deserialize)]
pub struct CaseQuery {
    pub as_of: Option<String>,
}

async fn read_case(
    state: &AppState,
    caller: &Caller,
    case_id: Uuid,
    as_of: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let as_of = match as_of {
        None => None,
        Some(raw) => {
            let mut f = Fields::default();
            let t = f.time("as_of", raw);
            f.finish()?;
            t
        }
    };
    let document = crate::app::cases::read(state, caller, case_id, as_of).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", document.version)))
        .json(document))
}

/// The case as the caller may see it; `?as_of=` (supervisors) folds it from the events recorded
/// up to that instant, with the deadlines as they stood then.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "case reads", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "case id"),
           ("as_of" = Option<String>, Query, description = "RFC 3339 instant (supervisors)")),
    responses((status = 200, body = CaseDocument), (status = 404), (status = 403)))]
pub async fn get_case(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<CaseQuery>,
) -> Result<HttpResponse, ApiError> {
    let case_id = path_uuid(&id)?;
    read_case(&state, &caller, case_id, query.as_of.as_deref()).await
}

/// The case with this human number.
#[utoipa::path(get, path = "/api/v1/cases/by-number/{case_number}", tag = "case reads", security(("bearer" = [])),
    params(("case_number" = String, Path, description = "e.g. 12-2026-000123")),
    responses((status = 200, body = CaseDocument), (status = 404)))]
pub async fn get_by_number(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    number: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if number.len() > 40 {
        return Err(ApiError::case_not_found());
    }
    super::reads::wait_for_views(&state, &caller, &req, &[projections::projector::CASES]).await?;
    let case_id = projections::views::queries::id_by_number(&state.db, &number)
        .await?
        .ok_or_else(ApiError::case_not_found)?;
    read_case(&state, &caller, case_id, None).await
}

pub use crate::app::cases::{ActorView, HistoryEntry};

/// Every event of the case, with who recorded it (supervisors).
#[utoipa::path(get, path = "/api/v1/cases/{id}/history", tag = "case reads", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "case id")),
    responses((status = 200, body = [HistoryEntry]), (status = 404), (status = 403)))]
pub async fn history(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let case_id = path_uuid(&id)?;
    let entries = crate::app::cases::history(&state, &caller, case_id).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": entries })))
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// Every read of the case: who, when, which view (supervisors).
#[utoipa::path(get, path = "/api/v1/cases/{id}/access-log", tag = "case reads", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "case id"), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = [access_log::AccessEntry]), (status = 404), (status = 403)))]
pub async fn access_log(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let case_id = path_uuid(&id)?;
    let (limit, after) = super::reads::page(query.limit.as_deref(), query.cursor.as_deref())?;
    let after: i64 = after.as_deref().and_then(|c| c.parse().ok()).unwrap_or(0);
    let (items, has_more) =
        crate::app::cases::access_log(&state, &caller, case_id, after, limit).await?;
    let next_cursor = has_more
        .then(|| items.last().map(|e| e.id.to_string()))
        .flatten();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items, "next_cursor": next_cursor })))
}
