//! One child, one record (issue 12), the use cases both adapters call: search before create,
//! the possible-duplicates worklist, and the checks of linking two cases as one child. The
//! matching itself is pure (`aggregates::identity`); this module finds the candidates in the
//! identities view, decides what the caller may see of each, and audits it.
//!
//! A candidate in the caller's jurisdiction (`ReadCase` on the case, as `GET /cases/{id}`
//! would allow) shows the case and the child as that read would; outside it, only that a case
//! exists, its number and its commune. Every search writes a `child_searches` row (no data of
//! the searched child) and a `child_match` row in the access log of every case it showed.

use super::cases::exec_error;
use super::lists::wait_for_views;
use crate::http::errors::{ApiError, Bilingual, FieldError, Lang};
use crate::http::extract::Fields;
use crate::http::session::Caller;
use crate::http::AppState;
use crate::store::access_log::{self, CaseView};
use crate::store::child_searches;
use aggregates::codes::{Code, Role};
use aggregates::identity::{compare, Comparison, Keys, Level, Person};
use aggregates::policy::{authorize_on_case, authorize_scoped, field_access, Action};
use projections::projector::{DUPLICATES, IDENTITIES};
use projections::record::{case_document, fold, ChildView};
use projections::views::duplicates;
use projections::views::identity_queries::{self, IdentityRow};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Candidates a search answers, best first.
pub const MAX_CANDIDATES: usize = 10;
/// Rows of the identities view a search scores at most.
const MAX_SCANNED: i64 = 20_000;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReasonView {
    /// The weight's name in the matching rules (stable).
    pub code: String,
    pub points: f64,
    /// In the language of the request.
    pub text: String,
}

/// A case that may be about the searched child.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchCandidate {
    /// The case, whether or not the caller may know it (never serialized: the console uses it
    /// server-side to record "a different child" against a case outside the caller's reach).
    #[serde(skip)]
    pub case: Uuid,
    /// `likely` or `possible`.
    pub level: String,
    pub case_number: String,
    /// The case's acting commune.
    pub commune: String,
    /// Whether the caller may read the case; when false nothing else is shown.
    pub in_jurisdiction: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub child_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// "same given name, same commune, age ±1".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasons: Option<Vec<ReasonView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub child: Option<ChildView>,
}

pub fn reasons(c: &Comparison) -> (String, Vec<ReasonView>) {
    let english = Lang::current() == Lang::En;
    let list = c
        .reasons
        .iter()
        .map(|r| ReasonView {
            code: r.code.to_owned(),
            points: r.points,
            text: if english { r.en.clone() } else { r.vi.clone() },
        })
        .collect();
    (c.summary(english), list)
}

pub fn level_code(level: Level) -> &'static str {
    match level {
        Level::Likely => "likely",
        Level::Possible => "possible",
    }
}

/// The cases of the identities view that may be about the child with `keys`, scored and best
/// first, at most [`MAX_CANDIDATES`]: the rows sharing a name word, born near enough, reaching
/// the `possible` threshold. What grows with the number of children (the benchmark measures it).
pub async fn scored_candidates(
    db: &projections::Db,
    rules: &aggregates::identity::MatchRules,
    keys: &Keys,
) -> Result<Vec<(IdentityRow, Comparison)>, sqlx::Error> {
    let years = keys.birth.map(|b| {
        let year = b.year.floor() as i64;
        let spread = (2.0 * (b.uncertainty + 1.0)).ceil() as i64 + 1;
        (year - spread, year + spread)
    });
    let rows = identity_queries::candidates(db, &keys.name, years, MAX_SCANNED).await?;
    let mut scored: Vec<(IdentityRow, Comparison)> = rows
        .into_iter()
        .filter_map(|row| {
            let c = compare(keys, &Keys::from_folded(&row.folded, rules), rules);
            c.level.is_some().then_some((row, c))
        })
        .collect();
    scored.sort_by(|a, b| b.1.score.total_cmp(&a.1.score));
    scored.truncate(MAX_CANDIDATES);
    Ok(scored)
}

/// Search before create: the cases that may be about `person`, best first, as the caller may
/// see each; the search and every case it showed are audited before the answer.
pub async fn find_matches(
    state: &AppState,
    caller: &Caller,
    person: &Person,
    strong: bool,
) -> Result<Vec<MatchCandidate>, ApiError> {
    let actor = caller.actor();
    let grants = authorize_scoped(&actor, Action::OpenCase).map_err(|_| ApiError::forbidden())?;
    let grant = grants[0].clone();
    wait_for_views(state, caller, strong, &[IDENTITIES]).await?;
    let keys = Keys::of(person, &state.matching);
    let scored = scored_candidates(&state.db, &state.matching, &keys)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let now = state.clock.now();
    let mut candidates = Vec::new();
    let mut shown = Vec::new();
    for (row, comparison) in scored {
        let events = state
            .commands
            .load(row.case_id)
            .await
            .map_err(|e| ApiError::internal(&e))?;
        let case = fold(&events);
        let Some(scope) = case.scope() else { continue };
        let level = comparison
            .level
            .map(level_code)
            .unwrap_or("possible")
            .to_owned();
        let reader = authorize_on_case(&actor, Action::ReadCase, &scope).ok();
        let Some(reader) = reader else {
            candidates.push(MatchCandidate {
                case: row.case_id,
                level,
                case_number: row.case_number,
                commune: row.acting_unit,
                in_jurisdiction: false,
                case_id: None,
                child_id: None,
                status: None,
                score: None,
                summary: None,
                reasons: None,
                child: None,
            });
            continue;
        };
        let access = field_access(&actor, reader, &scope);
        let document = case_document(&events, access, now);
        let (summary, reasons) = reasons(&comparison);
        shown.push(row.case_id);
        candidates.push(MatchCandidate {
            case: row.case_id,
            level,
            case_number: row.case_number,
            commune: row.acting_unit,
            in_jurisdiction: true,
            case_id: Some(row.case_id),
            child_id: case.child_id(),
            status: Some(case.status.code().to_owned()),
            score: Some(comparison.score),
            summary: Some(summary),
            reasons: Some(reasons),
            child: document.and_then(|d| d.child),
        });
    }
    // The search is refused when its audit cannot be written (procedure.md §6).
    child_searches::record(
        &state.db,
        &child_searches::Search {
            user_id: caller.id(),
            role: grant.role.code(),
            unit: grant.unit.as_str(),
            request_id: &caller.request_id,
            found: candidates.len(),
            shown: shown.len(),
            at: chrono::Utc::now(),
        },
    )
    .await
    .map_err(|e| ApiError::internal(&format!("search audit write failed: {e}")))?;
    if !shown.is_empty() {
        access_log::record_list(
            &state.db,
            &shown,
            caller.id(),
            grant.role.code(),
            grant.unit.as_str(),
            CaseView::ChildMatch,
            chrono::Utc::now(),
            super::cases::session_check(state, caller),
        )
        .await
        .map_err(super::cases::audit_failed)?;
    }
    tracing::info!(
        found = candidates.len(),
        shown = shown.len(),
        "child search"
    );
    Ok(candidates)
}

/// One side of a possible duplicate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DuplicateCase {
    pub case_id: Uuid,
    pub case_number: String,
    pub child_id: Uuid,
    pub status: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PossibleDuplicate {
    pub level: String,
    pub score: f64,
    pub summary: String,
    pub reasons: Vec<ReasonView>,
    pub commune: String,
    pub cases: [DuplicateCase; 2],
}

impl PossibleDuplicate {
    /// A pair of the worklist as the API shows it (no child's data: the case numbers say which).
    pub fn of(p: duplicates::PairRow) -> Self {
        let english = Lang::current() == Lang::En;
        Self {
            level: p.level,
            score: p.score,
            summary: if english { p.summary_en } else { p.summary_vi },
            reasons: p
                .reasons
                .into_iter()
                .map(|r| ReasonView {
                    code: r.code,
                    points: r.points,
                    text: if english { r.en } else { r.vi },
                })
                .collect(),
            commune: p.unit,
            cases: p.cases.map(|c| DuplicateCase {
                case_id: c.case_id,
                case_number: c.case_number,
                child_id: c.child_id,
                status: c.status,
            }),
        }
    }
}

/// Possible duplicates among the open cases of the caller's communes (or of `unit`, one of
/// them), as the background matcher found them, for the commune to resolve: link them as one
/// child, or say they are different children. Every case listed gets a `duplicates` row in its
/// access log.
pub async fn worklist(
    state: &AppState,
    caller: &Caller,
    unit: Option<&str>,
    strong: bool,
) -> Result<Vec<duplicates::PairRow>, ApiError> {
    let actor = caller.actor();
    let grants = authorize_scoped(&actor, Action::LinkChild).map_err(|_| ApiError::forbidden())?;
    let mut units: Vec<String> = grants
        .iter()
        .filter(|g| matches!(g.role, Role::SocialWorker | Role::Approver))
        .map(|g| g.unit.to_string())
        .collect();
    units.dedup();
    if let Some(unit) = unit {
        if !units.iter().any(|u| u == unit) {
            let mut f = Fields::default();
            f.push(
                "unit",
                "unit_not_in_scope",
                "Không phải xã của bạn",
                "Not one of your communes",
            );
            f.finish()?;
        }
        units = vec![unit.to_owned()];
    }
    wait_for_views(state, caller, strong, &[IDENTITIES, DUPLICATES]).await?;
    let items = duplicates::worklist(&state.db, &units)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let mut shown: Vec<Uuid> = Vec::new();
    for item in &items {
        for c in &item.cases {
            if !shown.contains(&c.case_id) {
                shown.push(c.case_id);
            }
        }
    }
    if !shown.is_empty() {
        let grant = grants[0];
        access_log::record_list(
            &state.db,
            &shown,
            caller.id(),
            grant.role.code(),
            grant.unit.as_str(),
            CaseView::Duplicates,
            chrono::Utc::now(),
            super::cases::session_check(state, caller),
        )
        .await
        .map_err(super::cases::audit_failed)?;
    }
    Ok(items)
}

/// The case in the path must be one the caller may link (as the command will check again):
/// so that a caller outside it learns nothing from how the other case is answered.
async fn may_link(state: &AppState, caller: &Caller, case_id: Uuid) -> Result<(), ApiError> {
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

/// The command linking case `case_id`'s child to the child of `raw_other` (a case id as typed),
/// after the checks both adapters make: the caller may link this case, and may read the other.
pub async fn link_action(
    state: &AppState,
    caller: &Caller,
    case_id: Uuid,
    field: &str,
    raw_other: &str,
) -> Result<aggregates::case::commands::CaseAction, ApiError> {
    may_link(state, caller, case_id).await?;
    let (same_as_case_id, child_id) = readable_child(state, caller, field, raw_other).await?;
    Ok(aggregates::case::commands::CaseAction::LinkChild(
        aggregates::case::commands::LinkChild {
            same_as_case_id,
            child_id,
        },
    ))
}

/// The command saying case `case_id` and `raw_other` are about different children, after the
/// same checks as [`link_action`].
pub async fn distinct_action(
    state: &AppState,
    caller: &Caller,
    case_id: Uuid,
    field: &str,
    raw_other: &str,
) -> Result<aggregates::case::commands::CaseAction, ApiError> {
    may_link(state, caller, case_id).await?;
    let (other_case_id, _) = readable_child(state, caller, field, raw_other).await?;
    Ok(aggregates::case::commands::CaseAction::DistinguishChild(
        aggregates::case::commands::DistinguishChild { other_case_id },
    ))
}
