//! Periodic reports (both adapters): resolving a request (template, unit in the caller's
//! jurisdiction, a period of the template's grid), a preview computed now, issuing (frozen at
//! the newest committed event), the issued reports, one issued report checked against the log,
//! and its stored files. Supervisors only, for units in their jurisdiction (the statistics'
//! rule: the figures of a province are a supervisor's; approvers and admins see none).

use super::lists::{scope_for, unit_filter};
use crate::http::errors::{ApiError, FieldError};
use crate::http::extract::Fields;
use crate::http::session::Caller;
use crate::http::AppState;
use crate::reports::build::{build_report, Report, ReportUnit};
use crate::reports::issued::{self, Difference, Issued, Issuer};
use crate::reports::labels::Labels;
use crate::reports::period::{self, ReportPeriod};
use crate::reports::render::Format;
use crate::reports::{suppress, Template};
use actix_web::http::StatusCode;
use aggregates::codes::Role;
use aggregates::policy::Action;
use projections::indicators::engine::Snapshot;
use projections::views::unit_path_key;
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// What a report request names, checked: 422 for what is malformed, 403 out of jurisdiction.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub template: Template,
    pub unit: ReportUnit,
    pub period: ReportPeriod,
}

pub fn resolve(
    state: &AppState,
    caller: &Caller,
    template: &str,
    unit: &str,
    period_id: &str,
) -> Result<Resolved, ApiError> {
    let scope = scope_for(state, caller, Action::ReadStatistics, None)?;
    let mut f = Fields::default();
    let template = state.templates.get(template).cloned();
    if template.is_none() {
        f.push(
            "template",
            "report_template_unknown",
            "Không có mẫu báo cáo này",
            "No such report template",
        );
    }
    let period = template
        .as_ref()
        .and_then(|t| period::parse(&t.period, period_id));
    if template.is_some() && period.is_none() {
        f.push(
            "period",
            "report_period_invalid",
            "Kỳ báo cáo không thuộc lưới kỳ của mẫu",
            "The period is not one of the template's grid",
        );
    }
    f.finish()?;
    let (Some(template), Some(period)) = (template, period) else {
        return Err(ApiError::validation(Vec::new()));
    };
    let wanted = unit_filter(state, &scope, Some(unit))?
        .ok_or_else(|| ApiError::validation(Vec::<FieldError>::new()))?;
    let communes: Vec<(String, String)> = state
        .units
        .all()
        .into_iter()
        .filter(|u| state.units.is_leaf(&u.code))
        .filter(|u| {
            state
                .units
                .path(&u.code)
                .is_some_and(|p| unit_path_key(&p).starts_with(&wanted.key))
        })
        .map(|u| (u.code, u.name))
        .collect();
    let name = state.units.get(unit).map(|u| u.name).unwrap_or_default();
    Ok(Resolved {
        template,
        unit: ReportUnit {
            code: wanted.code.clone(),
            name,
            key: wanted.key,
            communes,
        },
        period,
    })
}

pub fn labels(state: &AppState, unit: &ReportUnit) -> Labels {
    let communes: HashMap<String, String> = unit.communes.iter().cloned().collect();
    Labels::new(communes, &state.commands.services().rules)
}

/// The official report of a resolved request at a snapshot.
pub fn compute(state: &AppState, r: &Resolved, snapshot: &Snapshot) -> Report {
    build_report(
        &r.template,
        &state.indicators,
        &labels(state, &r.unit),
        snapshot,
        r.unit.clone(),
        r.period.clone(),
    )
}

/// Who a report is for: the official report to the level above (every figure, confidential),
/// or a copy meant to leave the unit (small and complementary cells withheld).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Audience {
    #[default]
    Official,
    Public,
}

impl Audience {
    /// `official` (the default) or `public`; anything else is a field error.
    pub fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        match raw {
            None | Some("official") => Ok(Self::Official),
            Some("public") => Ok(Self::Public),
            Some(_) => Err(field_error(
                "audience",
                "report_audience_unknown",
                "Đối tượng: official hoặc public",
                "Audience: official or public",
            )),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Official => "official",
            Self::Public => "public",
        }
    }
}

fn field_error(field: &str, code: &str, vi: &str, en: &str) -> ApiError {
    let mut f = Fields::default();
    f.push(field, code, vi, en);
    f.finish()
        .err()
        .unwrap_or_else(|| ApiError::validation(Vec::new()))
}

/// `json` (the default), `csv` or `xlsx`; anything else is a field error.
pub fn format_of(raw: Option<&str>) -> Result<Format, ApiError> {
    match raw {
        None => Ok(Format::Json),
        Some(s) => Format::parse(s).ok_or_else(|| {
            field_error(
                "format",
                "report_format_unknown",
                "Định dạng: json, csv hoặc xlsx",
                "Format: json, csv or xlsx",
            )
        }),
    }
}

/// A report computed now from the newest committed event, for `audience`. Nothing is recorded.
pub async fn preview(
    state: &AppState,
    caller: &Caller,
    template: &str,
    unit: &str,
    period: &str,
    audience: Audience,
) -> Result<Report, ApiError> {
    let resolved = resolve(state, caller, template, unit, period)?;
    let snapshot = Snapshot::load(&state.db, None, state.clock.now()).await?;
    let report = compute(state, &resolved, &snapshot);
    Ok(match audience {
        Audience::Official => report,
        Audience::Public => suppress::for_public(report, state.settings.stats_min_cell),
    })
}

/// Issues the official report: computed at the newest committed event, every figure, marked
/// confidential; frozen with its position and the SHA-256 of each rendered file.
pub async fn issue(
    state: &AppState,
    caller: &Caller,
    template: &str,
    unit: &str,
    period: &str,
) -> Result<Issued, ApiError> {
    let resolved = resolve(state, caller, template, unit, period)?;
    // Microseconds: what both stores keep of an instant, so that the stored computing instant
    // gives the same report again.
    let now = chrono::SubsecRound::trunc_subsecs(state.clock.now(), 6);
    let snapshot = Snapshot::load(&state.db, None, now).await?;
    let report = compute(state, &resolved, &snapshot);
    // The issuing unit: the supervisor grant whose unit covers the report's.
    let unit = caller
        .user
        .grants
        .iter()
        .filter(|g| g.role == Role::Supervisor)
        .filter_map(|g| state.units.path(g.unit.as_str()).map(|p| (g, p)))
        .find(|(_, p)| resolved.unit.key.starts_with(&unit_path_key(p)))
        .map(|(g, _)| g.unit.to_string())
        .unwrap_or_default();
    let by = Issuer {
        user_id: caller.id(),
        username: &caller.user.username,
        unit: &unit,
    };
    let issued = issued::issue(
        &state.db,
        &report,
        snapshot.position,
        &resolved.unit.key,
        &by,
        now,
    )
    .await
    .map_err(|e| ApiError::internal(&e))?;
    tracing::info!(report = %issued.id, template = %issued.template, unit = %issued.unit,
        period = %issued.period, position = %issued.position, "periodic report issued");
    Ok(issued)
}

/// Issues the official report once per issuing form: a second submit of the same form (a
/// double click, a reload, a retry after a lost answer) gets the report the first one issued
/// instead of freezing a second copy. `form_key` is the form's one-time key (kept with the
/// caller's `Idempotency-Key`s); the same key for another report is refused.
pub async fn issue_once(
    state: &AppState,
    caller: &Caller,
    form_key: &str,
    template: &str,
    unit: &str,
    period: &str,
) -> Result<Uuid, ApiError> {
    use crate::store::idempotency::{self, Once, OnceError, StoredResponse};
    use sha2::{Digest, Sha256};
    let key = format!("console-issue:{form_key}");
    let request = crate::auth::hex(&Sha256::digest(
        format!("{template}\n{unit}\n{period}").as_bytes(),
    ));
    let done = idempotency::once(
        &state.db,
        caller.id(),
        &key,
        &request,
        std::time::Duration::from_secs(10),
        || issue(state, caller, template, unit, period),
        |issued: &Issued| StoredResponse {
            status: StatusCode::SEE_OTHER.as_u16(),
            headers: String::new(),
            body: issued.id.to_string().into_bytes(),
        },
    )
    .await;
    match done {
        Ok(Once::Ran(issued)) => Ok(issued.id),
        Ok(Once::Replayed(stored)) => std::str::from_utf8(&stored.body)
            .ok()
            .and_then(|id| id.parse().ok())
            .ok_or_else(|| ApiError::internal(&"a stored issue answer is not an id")),
        Err(OnceError::Mismatch) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "issue_form_reused",
            "Biểu mẫu ban hành này đã được dùng cho một báo cáo khác; hãy mở lại trang",
            "This issuing form was used for another report; open the page again",
        )),
        Err(e) => Err(e.into()),
    }
}

/// The issued reports of the caller's units (or of units under `unit`), newest first.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    unit: Option<&str>,
    limit: i64,
) -> Result<Vec<Issued>, ApiError> {
    let scope = scope_for(state, caller, Action::ReadStatistics, None)?;
    let keys: Vec<String> = match unit {
        Some(u) => vec![unit_filter(state, &scope, Some(u))?
            .map(|u| u.key)
            .unwrap_or_default()],
        None => scope.units.iter().map(|u| u.key.clone()).collect(),
    };
    if !(1..=500).contains(&limit) {
        return Err(field_error(
            "limit",
            "limit_out_of_range",
            "limit từ 1 đến 500",
            "limit is 1 to 500",
        ));
    }
    Ok(issued::list(&state.db, &keys, limit).await?)
}

/// An issued report, checked against the log.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedDetail {
    #[serde(flatten)]
    pub issued: Issued,
    /// Whether the log, read again at the issued position, gives the same bytes for every
    /// file (it must; `false` is an incident to investigate).
    pub reproduced: bool,
    /// Cells the same report computed now shows differently (corrections, late records,
    /// deadlines fallen due since).
    pub differences: Vec<Difference>,
    /// The report computed again at the issued position (the issued figures when
    /// `reproduced`); the console shows it.
    #[serde(skip)]
    pub frozen: Report,
}

/// An issued report of the caller's jurisdiction; 404 for another's (no existence leak).
async fn find(state: &AppState, caller: &Caller, id: Uuid) -> Result<(Issued, Resolved), ApiError> {
    let scope = scope_for(state, caller, Action::ReadStatistics, None)?;
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "periodic_report_not_found",
            "Không có báo cáo này",
            "No such report",
        )
    };
    let (issued, key) = issued::get(&state.db, id).await?.ok_or_else(not_found)?;
    if !scope.units.iter().any(|u| key.starts_with(&u.key)) {
        return Err(not_found());
    }
    let resolved = resolve(
        state,
        caller,
        &issued.template,
        &issued.unit,
        &issued.period,
    )?;
    Ok((issued, resolved))
}

/// An issued report: what was issued, whether it reproduces, and what has changed since.
pub async fn detail(state: &AppState, caller: &Caller, id: Uuid) -> Result<IssuedDetail, ApiError> {
    let (issued, resolved) = find(state, caller, id).await?;
    let at = Snapshot::load(&state.db, Some(issued.at), issued.computed_at).await?;
    let frozen = compute(state, &resolved, &at);
    let rendered = issued::render_all(&frozen).map_err(|e| ApiError::internal(&e))?;
    let reproduced = rendered.hashes() == issued.sha256;
    if !reproduced {
        tracing::error!(report = %issued.id, "an issued report no longer reproduces from the log");
    }
    let current = Snapshot::load(&state.db, None, state.clock.now()).await?;
    let differences = issued::differences(&frozen, &compute(state, &resolved, &current));
    Ok(IssuedDetail {
        issued,
        reproduced,
        differences,
        frozen,
    })
}

/// The stored file of an issued report, byte for byte as issued.
pub async fn file(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    format: Format,
) -> Result<(Issued, Vec<u8>), ApiError> {
    let (issued, _) = find(state, caller, id).await?;
    let bytes = issued::file(&state.db, issued.id, format)
        .await?
        .ok_or_else(|| ApiError::internal(&"issued report without its file"))?;
    Ok((issued, bytes))
}

/// A unit a report may be for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitChoice {
    pub code: String,
    pub name: String,
    /// Depth under the supervisor's own unit (0: the unit itself).
    pub depth: usize,
}

/// The units a supervisor may report on, for a picker: each supervisor grant's unit and the
/// units directly under it (a province and its communes; the country and its provinces).
pub fn report_units(state: &AppState, caller: &Caller) -> Result<Vec<UnitChoice>, ApiError> {
    scope_for(state, caller, Action::ReadStatistics, None)?;
    let mut out: Vec<UnitChoice> = Vec::new();
    for g in caller
        .user
        .grants
        .iter()
        .filter(|g| g.role == Role::Supervisor)
    {
        let Some(unit) = state.units.get(g.unit.as_str()) else {
            continue;
        };
        out.push(UnitChoice {
            code: unit.code.clone(),
            name: unit.name.clone(),
            depth: 0,
        });
        let mut under: Vec<UnitChoice> = state
            .units
            .all()
            .into_iter()
            .filter(|u| u.parent_code.as_deref() == Some(unit.code.as_str()))
            .map(|u| UnitChoice {
                code: u.code,
                name: u.name,
                depth: 1,
            })
            .collect();
        under.sort_by(|a, b| a.code.cmp(&b.code));
        out.extend(under);
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|u| seen.insert(u.code.clone()));
    Ok(out)
}
