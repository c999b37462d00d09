//! Thống kê: the indicators as bar charts drawn on the server, each with its table, and CSV.

use super::cases::unit_name;
use super::cases::{texts, Texts};
use super::format::{self, label, pick};
use super::pages::Chrome;
use super::session::Staff;
use super::{html, WebError};
use crate::http::errors::Lang;
use crate::http::AppState;
use actix_web::{web, HttpResponse};
use aggregates::codes::*;
use askama::Template;
use std::collections::BTreeMap;

/// One bar of a chart.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: String,
    pub y: i64,
    pub text_y: i64,
    pub width: i64,
}

#[derive(Debug, Clone)]
pub struct Chart {
    pub id: String,
    pub title: String,
    pub height: i64,
    pub bars: Vec<Bar>,
    pub csv_section: String,
}

#[derive(Template)]
#[template(path = "statistics.html")]
pub struct StatisticsPage {
    pub page: Chrome,
    pub from: String,
    pub to: String,
    pub unit: String,
    pub unit_name: String,
    pub charts: Vec<Chart>,
    pub csv_href: String,
    pub error: Option<String>,
    pub t: Texts,
}

#[derive(serde::Deserialize, Default)]
pub struct StatsQuery {
    from: Option<String>,
    to: Option<String>,
    unit: Option<String>,
}

pub(super) fn chart(
    id: &str,
    title: String,
    cells: Vec<(String, Option<i64>)>,
    below: u32,
) -> Chart {
    let max = cells
        .iter()
        .filter_map(|(_, v)| *v)
        .max()
        .unwrap_or(0)
        .max(1);
    let bars: Vec<Bar> = cells
        .into_iter()
        .enumerate()
        .map(|(i, (label, v))| {
            let y = i as i64 * 28;
            Bar {
                value: v.map_or_else(|| format!("<{below}"), format::number),
                width: v.map_or(0, |v| (v * 300 / max).max(if v > 0 { 2 } else { 0 })),
                y,
                text_y: y + 16,
                label,
            }
        })
        .collect();
    Chart {
        id: id.to_owned(),
        height: (bars.len() as i64 * 28).max(28),
        title,
        bars,
        csv_section: id.to_owned(),
    }
}

pub(super) fn labelled<C: Code>(
    m: &BTreeMap<String, Option<i64>>,
    lang: Lang,
) -> Vec<(String, Option<i64>)> {
    m.iter().map(|(k, v)| (label::<C>(k, lang), *v)).collect()
}

/// `GET /statistics?from=dd/mm/yyyy&to=dd/mm/yyyy&unit=` (supervisors): the indicators as bar
/// charts drawn on the server, each with its table; small cells shown as "<N"; CSV beside.
pub async fn statistics(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, WebError> {
    let lang = staff.lang;
    if !staff.has_role(Role::Supervisor) {
        return Err(WebError::Forbidden(lang));
    }
    let from = query.from.clone().unwrap_or_default();
    let to = query.to.clone().unwrap_or_default();
    let api = |raw: &str| Some(format::parse_input_date(raw)).filter(|s| !s.is_empty());
    let unit = query.unit.clone().filter(|u| !u.is_empty());
    let result = crate::app::statistics::statistics(
        &state,
        &staff.caller,
        false,
        unit.as_deref(),
        None,
        api(&from).as_deref(),
        api(&to).as_deref(),
    )
    .await;
    let mut csv = format!(
        "/statistics.csv?from={}&to={}",
        url_part(&from),
        url_part(&to)
    );
    if let Some(u) = &unit {
        csv.push_str(&format!("&unit={}", url_part(u)));
    }
    let (charts, error, unit_code) = match result {
        Ok(s) => {
            let below = s.suppressed_below;
            let a = &s.abused_children;
            let charts = vec![
                chart(
                    "abused_children",
                    pick(
                        lang,
                        "Trẻ em bị xâm hại (chỉ tiêu 0101)",
                        "Abused children (indicator 0101)",
                    ),
                    vec![
                        (
                            pick(lang, "Trẻ dưới 16 tuổi", "Children under 16"),
                            a.children,
                        ),
                        (
                            pick(lang, "Người chưa thành niên 16–17", "Juveniles 16–17"),
                            a.juveniles,
                        ),
                        (pick(lang, "Số vụ", "Incidents"), a.incidents),
                    ],
                    below,
                ),
                chart(
                    "sex",
                    pick(lang, "Theo giới tính", "By sex"),
                    labelled::<Sex>(&a.by_sex, lang),
                    below,
                ),
                chart(
                    "age_group",
                    pick(lang, "Theo nhóm tuổi", "By age group"),
                    a.by_age_group
                        .iter()
                        .map(|(k, v)| (k.clone(), *v))
                        .collect(),
                    below,
                ),
                chart(
                    "abuse_type",
                    pick(lang, "Theo hình thức xâm hại", "By abuse type"),
                    labelled::<AbuseType>(&a.by_abuse_type, lang),
                    below,
                ),
                chart(
                    "environment",
                    pick(lang, "Theo môi trường", "By environment"),
                    labelled::<AbuseEnvironment>(&a.by_environment, lang),
                    below,
                ),
                chart(
                    "intake_point",
                    pick(lang, "Tiếp nhận theo nơi", "Reports by intake point"),
                    labelled::<IntakePoint>(&s.intake.by_intake_point, lang),
                    below,
                ),
                chart(
                    "channel",
                    pick(lang, "Tiếp nhận theo hình thức", "Reports by channel"),
                    labelled::<Channel>(&s.intake.by_channel, lang),
                    below,
                ),
                chart(
                    "cases",
                    pick(lang, "Hồ sơ", "Cases"),
                    vec![
                        (pick(lang, "Mở", "Opened"), s.cases.opened),
                        (pick(lang, "Đóng", "Closed"), s.cases.closed),
                        (
                            pick(lang, "Đang mở cuối kỳ", "Open at the end"),
                            s.cases.open_at_end,
                        ),
                    ],
                    below,
                ),
                chart(
                    "closed_by_reason",
                    pick(lang, "Đóng theo lý do", "Closed by reason"),
                    labelled::<ClosureReason>(&s.cases.closed_by_reason, lang),
                    below,
                ),
                chart(
                    "measure",
                    pick(
                        lang,
                        "Trẻ được hỗ trợ theo biện pháp",
                        "Children supported by measure",
                    ),
                    labelled::<PlanMeasure>(&s.support.by_measure, lang),
                    below,
                ),
                chart(
                    "service_type",
                    pick(
                        lang,
                        "Trẻ được hỗ trợ theo dịch vụ",
                        "Children supported by service",
                    ),
                    labelled::<ServiceType>(&s.support.by_service_type, lang),
                    below,
                ),
            ];
            (
                charts.into_iter().filter(|c| !c.bars.is_empty()).collect(),
                None,
                s.unit,
            )
        }
        Err(e) => (
            Vec::new(),
            Some(e.errors.first().map_or_else(
                || e.title.get(lang).to_owned(),
                |f| f.message.get(lang).to_owned(),
            )),
            unit.clone().unwrap_or_default(),
        ),
    };
    html(&StatisticsPage {
        page: staff
            .chrome(&pick(lang, "Thống kê", "Statistics"))
            .at("/statistics"),
        unit_name: unit_name(&state, &unit_code),
        unit: unit.unwrap_or_default(),
        from,
        to,
        charts,
        csv_href: csv,
        error,
        t: texts(
            lang,
            &[
                ("heading", "Thống kê", "Statistics"),
                ("from", "Từ ngày (dd/mm/yyyy)", "From (dd/mm/yyyy)"),
                ("to", "Đến ngày (dd/mm/yyyy)", "To (dd/mm/yyyy)"),
                (
                    "unit",
                    "Mã đơn vị (mặc định: đơn vị của bạn)",
                    "Unit code (default: yours)",
                ),
                ("show", "Xem", "Show"),
                ("csv", "Tải CSV", "Download CSV"),
                ("item", "Mục", "Item"),
                ("count", "Số lượng", "Count"),
            ],
        ),
    })
}

pub(super) fn url_part(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `GET /statistics.csv?from=&to=&unit=`: the API's CSV.
pub async fn statistics_csv(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, WebError> {
    let lang = staff.lang;
    let api = |raw: &Option<String>| {
        raw.as_deref()
            .map(format::parse_input_date)
            .filter(|s| !s.is_empty())
    };
    let stats = crate::app::statistics::statistics(
        &state,
        &staff.caller,
        false,
        query.unit.as_deref().filter(|u| !u.is_empty()),
        None,
        api(&query.from).as_deref(),
        api(&query.to).as_deref(),
    )
    .await
    .map_err(|e| WebError::api(lang, e))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "content-disposition",
            "attachment; filename=\"casebook-statistics.csv\"",
        ))
        .body(crate::http::reads::statistics_csv(&stats)))
}
