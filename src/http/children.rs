//! One child, one record (issue 12): search before create, and the possible-duplicates
//! worklist. The matching itself is pure (`aggregates::identity`); this module finds the
//! candidates in the identities view, decides what the caller may see of each, and audits it.
//!
//! A candidate in the caller's jurisdiction (`ReadCase` on the case, as `GET /cases/{id}`
//! would allow) shows the case and the child as that read would; outside it, only that a case
//! exists, its number and its commune. Every search writes a `child_searches` row (no data of
//! the searched child) and a `child_match` row in the access log of every case it showed.

use super::dto::unit_path;
use super::errors::{ApiError, Lang};
use super::extract::{ApiJson, Fields};
use super::reads::wait_for_views;
use super::session::Caller;
use super::AppState;
use crate::store::access_log::{self, CaseView};
use crate::store::child_searches;
use actix_web::{web, HttpRequest, HttpResponse};
use aggregates::codes::{Code, Role, Sex};
use aggregates::deadlines::calendar::local_date;
use aggregates::identity::{compare, Comparison, Keys, Level, Person};
use aggregates::policy::{authorize_on_case, authorize_scoped, field_access, Action};
use projections::projector::IDENTITIES;
use projections::record::{case_document, fold, ChildView};
use projections::views::identity_queries::{self, IdentityRow};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa::ToSchema;
use uuid::Uuid;

/// Candidates a search answers, best first.
pub const MAX_CANDIDATES: usize = 10;
/// Rows of the identities view a search scores at most.
const MAX_SCANNED: i64 = 20_000;

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

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchAnswer {
    pub candidates: Vec<MatchCandidate>,
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

impl MatchQueryDto {
    fn parse(self, state: &AppState) -> Result<Person, ApiError> {
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
    let actor = caller.actor();
    let grants = authorize_scoped(&actor, Action::OpenCase).map_err(|_| ApiError::forbidden())?;
    let grant = grants[0].clone();
    let person = body.value.parse(&state)?;
    wait_for_views(&state, &caller, &req, &[IDENTITIES]).await?;
    let keys = Keys::of(&person, &state.matching);
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
        )
        .await
        .map_err(|e| ApiError::internal(&format!("search audit write failed: {e}")))?;
    }
    tracing::info!(
        found = candidates.len(),
        shown = shown.len(),
        "child search"
    );
    Ok(HttpResponse::Ok().json(MatchAnswer { candidates }))
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

#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicatesAnswer {
    pub items: Vec<PossibleDuplicate>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DuplicatesQuery {
    /// A commune among the caller's; default all of them.
    pub unit: Option<String>,
}

fn side(row: &IdentityRow) -> DuplicateCase {
    DuplicateCase {
        case_id: row.case_id,
        case_number: row.case_number.clone(),
        child_id: row.child_id,
        status: row.status.clone(),
    }
}

/// The open cases of each commune compared pairwise, without the pairs already linked (one
/// child) or found to be different children.
pub fn duplicates_among(
    rows: &[IdentityRow],
    distinct: &HashSet<(Uuid, Uuid)>,
    rules: &aggregates::identity::MatchRules,
) -> Vec<PossibleDuplicate> {
    let keys: Vec<Keys> = rows
        .iter()
        .map(|r| Keys::from_folded(&r.folded, rules))
        .collect();
    let mut found = Vec::new();
    for i in 0..rows.len() {
        for j in i + 1..rows.len() {
            let (a, b) = (&rows[i], &rows[j]);
            if a.child_id == b.child_id || distinct.contains(&(a.case_id, b.case_id)) {
                continue;
            }
            let c = compare(&keys[i], &keys[j], rules);
            let Some(level) = c.level else { continue };
            let (summary, reasons) = reasons(&c);
            found.push(PossibleDuplicate {
                level: level_code(level).to_owned(),
                score: c.score,
                summary,
                reasons,
                commune: a.acting_unit.clone(),
                cases: [side(a), side(b)],
            });
        }
    }
    found.sort_by(|x, y| y.score.total_cmp(&x.score));
    found
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
    let actor = caller.actor();
    let grants = authorize_scoped(&actor, Action::LinkChild).map_err(|_| ApiError::forbidden())?;
    let mut units: Vec<String> = grants
        .iter()
        .filter(|g| matches!(g.role, Role::SocialWorker | Role::Approver))
        .map(|g| g.unit.to_string())
        .collect();
    units.dedup();
    if let Some(unit) = query.unit.as_deref() {
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
    wait_for_views(&state, &caller, &req, &[IDENTITIES]).await?;
    let mut items = Vec::new();
    for unit in &units {
        let rows = identity_queries::open_in_unit(&state.db, unit)
            .await
            .map_err(|e| ApiError::internal(&e))?;
        let ids: Vec<Uuid> = rows.iter().map(|r| r.case_id).collect();
        let distinct = identity_queries::distinct_pairs(&state.db, &ids)
            .await
            .map_err(|e| ApiError::internal(&e))?;
        items.extend(duplicates_among(&rows, &distinct, &state.matching));
    }
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
        )
        .await
        .map_err(|e| ApiError::internal(&format!("list audit write failed: {e}")))?;
    }
    Ok(HttpResponse::Ok().json(DuplicatesAnswer { items }))
}
