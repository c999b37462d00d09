//! The chair's and supervisor's screens: approvals, caseload and assignment, the deadline
//! board (statistics are in `statistics.rs`).

use super::cases::unit_name;
use super::cases::{rule_step, rule_words, texts, Texts};
use super::format::{self, label, pick};
use super::pages::Chrome;
use super::session::Staff;
use super::{html, WebError};
use crate::app::lists::{self, BoardParams, CaseListParams};
use crate::http::errors::Lang;
use crate::http::AppState;
use crate::store::users;
use actix_web::{web, HttpResponse};
use aggregates::codes::*;
use askama::Template;
use projections::views::queries::CaseSummary;
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Line {
    pub href: String,
    pub case_number: String,
    pub child: String,
    pub detail: String,
    pub action_href: String,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub id: &'static str,
    pub title: String,
    pub action: String,
    pub lines: Vec<Line>,
}

#[derive(Template)]
#[template(path = "approvals.html")]
pub struct ApprovalsPage {
    pub page: Chrome,
    pub groups: Vec<Group>,
    pub t: Texts,
}

fn line(state: &AppState, c: &CaseSummary, step: &str, lang: Lang) -> Line {
    Line {
        href: format!("/cases/{}", c.id),
        case_number: c.case_number.clone(),
        child: c.child_name.clone().unwrap_or_else(|| "—".into()),
        detail: format!(
            "{} · {} · {}",
            label::<CaseStatus>(&c.status, lang),
            unit_name(state, &c.acting_unit),
            format::time(c.received_at)
        ),
        action_href: format!("/cases/{}/steps/{step}", c.id),
    }
}

async fn by_status(
    state: &AppState,
    staff: &Staff,
    status: CaseStatus,
) -> Result<Vec<CaseSummary>, WebError> {
    let params = CaseListParams {
        status: Some(status.code().to_owned()),
        limit: Some("200".into()),
        ..CaseListParams::default()
    };
    lists::cases(state, &staff.caller, false, &params)
        .await
        .map(|(items, _)| items)
        .map_err(|e| WebError::api(staff.lang, e))
}

/// `GET /approvals` (chairs): plans awaiting approval, closure proposals, emergencies where a
/// separation may be decided, unassigned cases; each opens its step form.
pub async fn approvals(state: web::Data<AppState>, staff: Staff) -> Result<HttpResponse, WebError> {
    let lang = staff.lang;
    if !staff.has_role(Role::Approver) {
        return Err(WebError::Forbidden(lang));
    }
    let plans = by_status(&state, &staff, CaseStatus::AwaitingApproval).await?;
    let closures = by_status(&state, &staff, CaseStatus::ClosureProposed).await?;
    let emergencies = by_status(&state, &staff, CaseStatus::Emergency).await?;
    let (open, _, _) = lists::caseload(&state, &staff.caller, false, None, None, Some("500"), None)
        .await
        .map_err(|e| WebError::api(lang, e))?;
    let unassigned: Vec<_> = open
        .into_iter()
        .filter(|c| c.assigned_to.is_none())
        .collect();
    let group = |id, vi, en, avi, aen, items: &[CaseSummary], step| Group {
        id,
        title: pick(lang, vi, en),
        action: pick(lang, avi, aen),
        lines: items.iter().map(|c| line(&state, c, step, lang)).collect(),
    };
    let groups = vec![
        group(
            "plans",
            "Kế hoạch chờ phê duyệt",
            "Plans awaiting approval",
            "Phê duyệt / trả lại",
            "Approve / return",
            &plans,
            "plan-decision",
        ),
        group(
            "closures",
            "Đề xuất đóng hồ sơ",
            "Closure proposals",
            "Quyết định",
            "Decide",
            &closures,
            "closure",
        ),
        group(
            "separations",
            "Khẩn cấp: có thể cần tạm thời cách ly",
            "Emergencies: a separation may be needed",
            "Quyết định cách ly",
            "Decide a separation",
            &emergencies,
            "separation",
        ),
        group(
            "unassigned",
            "Chưa phân công",
            "Unassigned",
            "Phân công",
            "Assign",
            &unassigned,
            "assignment",
        ),
    ];
    html(&ApprovalsPage {
        page: staff
            .chrome(&pick(lang, "Phê duyệt", "Approvals"))
            .at("/approvals"),
        groups,
        t: texts(
            lang,
            &[
                ("heading", "Phê duyệt", "Approvals"),
                ("none", "Không có.", "None."),
                ("case", "Hồ sơ", "Case"),
                ("child", "Trẻ", "Child"),
                ("detail", "Chi tiết", "Details"),
            ],
        ),
    })
}

#[derive(Debug, Clone)]
pub struct WorkerLoad {
    pub name: String,
    pub total: String,
    pub by_status: String,
    pub next: String,
    pub cases: Vec<Line>,
}

#[derive(Template)]
#[template(path = "caseload.html")]
pub struct CaseloadPage {
    pub page: Chrome,
    pub counts: Vec<(String, String)>,
    pub workers: Vec<WorkerLoad>,
    pub t: Texts,
}

/// `GET /caseload` (chairs, supervisors): open cases per worker with counts by status and the
/// next deadline; each case opens its assignment or transfer.
pub async fn caseload(state: web::Data<AppState>, staff: Staff) -> Result<HttpResponse, WebError> {
    let lang = staff.lang;
    if !staff.has_role(Role::Approver) && !staff.has_role(Role::Supervisor) {
        return Err(WebError::Forbidden(lang));
    }
    let (items, _, counts) =
        lists::caseload(&state, &staff.caller, false, None, None, Some("500"), None)
            .await
            .map_err(|e| WebError::api(lang, e))?;
    let mut ids: Vec<Uuid> = items.iter().filter_map(|c| c.assigned_to).collect();
    ids.sort();
    ids.dedup();
    let names = users::names(&state.db, &ids).await.unwrap_or_default();
    let mut groups: BTreeMap<Option<Uuid>, Vec<&CaseSummary>> = BTreeMap::new();
    for c in &items {
        groups.entry(c.assigned_to).or_default().push(c);
    }
    let now = state.clock.now();
    let workers = groups
        .into_iter()
        .map(|(worker, cases)| {
            let mut statuses: BTreeMap<String, i64> = BTreeMap::new();
            for c in &cases {
                *statuses
                    .entry(label::<CaseStatus>(&c.status, lang))
                    .or_default() += 1;
            }
            let next = cases
                .iter()
                .filter_map(|c| c.next_deadline.as_ref())
                .min_by_key(|d| d.due_at)
                .map_or(String::new(), |d| {
                    format!(
                        "{} — {}",
                        rule_words(&d.rule_id, lang),
                        format::due_in_words(d.due_at, now, lang)
                    )
                });
            WorkerLoad {
                name: worker
                    .and_then(|w| names.get(&w).map(|n| n.1.clone()))
                    .unwrap_or_else(|| pick(lang, "Chưa phân công", "Unassigned")),
                total: format::number(cases.len() as i64),
                by_status: statuses
                    .iter()
                    .map(|(s, n)| format!("{s}: {}", format::number(*n)))
                    .collect::<Vec<_>>()
                    .join(", "),
                next,
                cases: cases
                    .iter()
                    .map(|c| line(&state, c, "assignment", lang))
                    .collect(),
            }
        })
        .collect();
    html(&CaseloadPage {
        page: staff
            .chrome(&pick(lang, "Phân công", "Caseload"))
            .at("/caseload"),
        counts: counts
            .iter()
            .map(|(s, n)| (label::<CaseStatus>(s, lang), format::number(*n)))
            .collect(),
        workers,
        t: texts(
            lang,
            &[
                ("heading", "Phân công", "Caseload"),
                (
                    "counts",
                    "Hồ sơ đang mở theo trạng thái",
                    "Open cases by status",
                ),
                ("worker", "Cán bộ", "Worker"),
                ("total", "Số hồ sơ", "Cases"),
                ("by_status", "Theo trạng thái", "By status"),
                ("next", "Hạn gần nhất", "Next deadline"),
                ("assign", "Phân công lại", "Reassign"),
                ("transfer", "Chuyển hồ sơ", "Transfer"),
                ("none", "Không có hồ sơ đang mở.", "No open cases."),
            ],
        ),
    })
}

#[derive(Debug, Clone)]
pub struct BoardRow {
    pub commune: String,
    pub rule: String,
    pub overdue: String,
    pub due_soon: String,
    pub drill: String,
}

#[derive(Debug, Clone)]
pub struct BoardLine {
    pub href: String,
    pub case_number: String,
    pub rule: String,
    pub due: String,
    pub state: String,
}

#[derive(Template)]
#[template(path = "board.html")]
pub struct BoardPage {
    pub page: Chrome,
    pub rows: Vec<BoardRow>,
    pub lines: Vec<BoardLine>,
    pub drilled: Option<String>,
    pub t: Texts,
}

#[derive(serde::Deserialize)]
pub struct BoardQuery {
    unit: Option<String>,
    rule: Option<String>,
}

/// `GET /board` (supervisors, chairs): overdue and due-soon obligations per commune and rule;
/// `?unit=&rule=` drills down to the cases.
pub async fn board(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<BoardQuery>,
) -> Result<HttpResponse, WebError> {
    let lang = staff.lang;
    if !staff.has_role(Role::Approver) && !staff.has_role(Role::Supervisor) {
        return Err(WebError::Forbidden(lang));
    }
    let mut entries = Vec::new();
    for st in ["overdue", "due_soon"] {
        let params = BoardParams {
            state: Some(st.into()),
            limit: Some("500".into()),
            ..BoardParams::default()
        };
        let (items, _) = lists::deadlines(&state, &staff.caller, false, &params)
            .await
            .map_err(|e| WebError::api(lang, e))?;
        entries.extend(items);
    }
    let mut table: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for e in &entries {
        let cell = table
            .entry((e.acting_unit.clone(), e.rule_id.clone()))
            .or_default();
        if e.state == "overdue" {
            cell.0 += 1;
        } else {
            cell.1 += 1;
        }
    }
    let rows = table
        .iter()
        .map(|((unit, rule), (overdue, soon))| BoardRow {
            commune: unit_name(&state, unit),
            rule: rule_words(rule, lang),
            overdue: format::number(*overdue),
            due_soon: format::number(*soon),
            drill: format!("/board?unit={unit}&rule={rule}"),
        })
        .collect();
    let drilled = match (&query.unit, &query.rule) {
        (Some(u), Some(r)) => Some(format!(
            "{} — {}",
            unit_name(&state, u),
            rule_words(r, lang)
        )),
        _ => None,
    };
    let now = state.clock.now();
    let lines = entries
        .iter()
        .filter(|e| query.unit.as_deref().is_none_or(|u| u == e.acting_unit))
        .filter(|e| query.rule.as_deref().is_none_or(|r| r == e.rule_id))
        .filter(|_| drilled.is_some())
        .map(|e| BoardLine {
            href: rule_step(&e.rule_id).map_or_else(
                || format!("/cases/{}", e.case_id),
                |_| format!("/cases/{}", e.case_id),
            ),
            case_number: e.case_number.clone(),
            rule: rule_words(&e.rule_id, lang),
            due: format::time(e.due_at),
            state: format!(
                "{} ({})",
                if e.state == "overdue" {
                    pick(lang, "Quá hạn", "Overdue")
                } else {
                    pick(lang, "Sắp đến hạn", "Due soon")
                },
                format::due_in_words(e.due_at, now, lang)
            ),
        })
        .collect();
    html(&BoardPage {
        page: staff
            .chrome(&pick(lang, "Bảng hạn", "Deadline board"))
            .at("/board"),
        rows,
        lines,
        drilled,
        t: texts(
            lang,
            &[
                ("heading", "Bảng hạn", "Deadline board"),
                ("commune", "Xã", "Commune"),
                ("rule", "Việc", "Task"),
                ("overdue", "Quá hạn", "Overdue"),
                ("due_soon", "Sắp đến hạn", "Due soon"),
                ("cases", "Xem hồ sơ", "See the cases"),
                ("case", "Hồ sơ", "Case"),
                ("due", "Hạn", "Due"),
                ("state", "Tình trạng", "State"),
                (
                    "none",
                    "Không có việc quá hạn hay sắp đến hạn.",
                    "Nothing overdue or due soon.",
                ),
            ],
        ),
    })
}
