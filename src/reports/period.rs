//! Report periods: fixed grids (month, quarter, six months, year, a custom cut-off), named by a
//! short id (`2026-06`, `2026-Q2`, `2026-H1`, `2026`, custom `2026-05` = the period ending on
//! the cut-off day of May 2026). Fixed grids are what keeps two reports from being subtracted
//! into a small cell (issue 11, small cells).

use super::PeriodKind;
use aggregates::deadlines::calendar::vietnam_offset;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use projections::indicators::engine::Period;
use serde::Serialize;
use utoipa::ToSchema;

/// A period of a template's grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReportPeriod {
    pub id: String,
    /// First local day.
    pub first_day: NaiveDate,
    /// Last local day (inclusive).
    pub last_day: NaiveDate,
    pub from: DateTime<Utc>,
    /// Exclusive.
    pub to: DateTime<Utc>,
}

impl ReportPeriod {
    pub fn bounds(&self) -> Period {
        Period {
            from: self.from,
            to: self.to,
        }
    }
}

fn midnight(day: NaiveDate) -> Option<DateTime<Utc>> {
    vietnam_offset()
        .with_ymd_and_hms(day.year(), day.month(), day.day(), 0, 0, 0)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// The first day of the month `months` after (y, m).
fn month_start(y: i32, m: u32, months: u32) -> Option<NaiveDate> {
    let index = i64::from(y) * 12 + i64::from(m - 1) + i64::from(months);
    ymd(
        i32::try_from(index.div_euclid(12)).ok()?,
        u32::try_from(index.rem_euclid(12)).ok()? + 1,
        1,
    )
}

/// Parses a period id of the grid; `None` when it is not one of the grid's periods.
pub fn parse(kind: &PeriodKind, id: &str) -> Option<ReportPeriod> {
    let (first, next) = match kind {
        PeriodKind::Year => {
            let y: i32 = id.parse().ok().filter(|_| id.len() == 4)?;
            (ymd(y, 1, 1)?, ymd(y + 1, 1, 1)?)
        }
        PeriodKind::Month => {
            let (y, m) = year_and(id, "-")?;
            (ymd(y, m, 1)?, month_start(y, m, 1)?)
        }
        PeriodKind::Quarter => {
            let (y, q) = year_and(id, "-Q")?;
            let m = (q.checked_sub(1)? * 3) + 1;
            (q <= 4).then_some(())?;
            (ymd(y, m, 1)?, month_start(y, m, 3)?)
        }
        PeriodKind::SixMonths => {
            let (y, h) = year_and(id, "-H")?;
            (h == 1 || h == 2).then_some(())?;
            let m = (h - 1) * 6 + 1;
            (ymd(y, m, 1)?, month_start(y, m, 6)?)
        }
        PeriodKind::Custom {
            cut_off_day,
            cut_off_months,
        } => {
            let (y, m) = year_and(id, "-")?;
            let mut months = cut_off_months.clone();
            months.sort_unstable();
            months.dedup();
            let i = months.iter().position(|x| *x == m)?;
            let end = ymd(y, m, *cut_off_day)?;
            let start = if i == 0 {
                ymd(y - 1, *months.last()?, *cut_off_day)?
            } else {
                ymd(y, months[i - 1], *cut_off_day)?
            };
            (start, end)
        }
    };
    Some(ReportPeriod {
        id: id.to_owned(),
        first_day: first,
        last_day: next.pred_opt()?,
        from: midnight(first)?,
        to: midnight(next)?,
    })
}

/// The ids of a grid's periods within `year`, latest first.
fn ids_of_year(kind: &PeriodKind, year: i32) -> Vec<String> {
    match kind {
        PeriodKind::Year => vec![year.to_string()],
        PeriodKind::SixMonths => (1..=2).rev().map(|h| format!("{year}-H{h}")).collect(),
        PeriodKind::Quarter => (1..=4).rev().map(|q| format!("{year}-Q{q}")).collect(),
        PeriodKind::Month => (1..=12).rev().map(|m| format!("{year}-{m:02}")).collect(),
        PeriodKind::Custom { cut_off_months, .. } => {
            let mut months = cut_off_months.clone();
            months.sort_unstable();
            months.dedup();
            months
                .iter()
                .rev()
                .map(|m| format!("{year}-{m:02}"))
                .collect()
        }
    }
}

/// The periods of the grid that have begun by `today` (a local day), latest first, at most
/// `count`: what a report picker offers.
pub fn recent(kind: &PeriodKind, today: NaiveDate, count: usize) -> Vec<ReportPeriod> {
    // A custom period may begin in the year before the one it is named after.
    (today.year() - 10..=today.year() + 1)
        .rev()
        .flat_map(|y| ids_of_year(kind, y))
        .filter_map(|id| parse(kind, &id))
        .filter(|p| p.first_day <= today)
        .take(count)
        .collect()
}

/// The latest period of the grid that ended before `today`: a picker's default (a report is
/// filed for a complete period).
pub fn last_complete(kind: &PeriodKind, today: NaiveDate) -> Option<ReportPeriod> {
    recent(kind, today, 40)
        .into_iter()
        .find(|p| p.last_day < today)
}

fn year_and(id: &str, sep: &str) -> Option<(i32, u32)> {
    let (y, rest) = id.split_once(sep)?;
    if y.len() != 4 || rest.is_empty() || rest.len() > 2 {
        return None;
    }
    Some((y.parse().ok()?, rest.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_cut_local_days() {
        let h1 = parse(&PeriodKind::SixMonths, "2026-H1").unwrap();
        assert_eq!(h1.first_day.to_string(), "2026-01-01");
        assert_eq!(h1.last_day.to_string(), "2026-06-30");
        assert_eq!(h1.from.to_rfc3339(), "2025-12-31T17:00:00+00:00");
        let q4 = parse(&PeriodKind::Quarter, "2026-Q4").unwrap();
        assert_eq!(q4.last_day.to_string(), "2026-12-31");
        assert!(parse(&PeriodKind::Quarter, "2026-Q5").is_none());
        assert!(parse(&PeriodKind::Month, "2026-13").is_none());
        assert!(parse(&PeriodKind::Year, "26").is_none());
        let custom = PeriodKind::Custom {
            cut_off_day: 10,
            cut_off_months: vec![5, 11],
        };
        let may = parse(&custom, "2026-05").unwrap();
        assert_eq!(may.first_day.to_string(), "2025-11-10");
        assert_eq!(may.last_day.to_string(), "2026-05-09");
        let nov = parse(&custom, "2026-11").unwrap();
        assert_eq!(nov.first_day.to_string(), "2026-05-10");
        assert!(parse(&custom, "2026-06").is_none());
    }

    #[test]
    fn pickers_offer_begun_periods_and_default_to_the_last_complete_one() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 16).unwrap();
        let ids = |kind: &PeriodKind| -> Vec<String> {
            recent(kind, today, 3).into_iter().map(|p| p.id).collect()
        };
        assert_eq!(
            ids(&PeriodKind::SixMonths),
            ["2026-H1", "2025-H2", "2025-H1"]
        );
        assert_eq!(ids(&PeriodKind::Month), ["2026-06", "2026-05", "2026-04"]);
        assert_eq!(ids(&PeriodKind::Quarter), ["2026-Q2", "2026-Q1", "2025-Q4"]);
        assert_eq!(ids(&PeriodKind::Year), ["2026", "2025", "2024"]);
        let last = |kind: &PeriodKind| last_complete(kind, today).map(|p| p.id);
        assert_eq!(last(&PeriodKind::SixMonths).as_deref(), Some("2025-H2"));
        assert_eq!(last(&PeriodKind::Month).as_deref(), Some("2026-05"));
        let custom = PeriodKind::Custom {
            cut_off_day: 10,
            cut_off_months: vec![5, 11],
        };
        // 10 May 2026 – 9 November 2026 has begun (named 2026-11); the one before ended.
        assert_eq!(ids(&custom), ["2026-11", "2026-05", "2025-11"]);
        assert_eq!(last(&custom).as_deref(), Some("2026-05"));
        // On the first day of a period the one before it is complete.
        let jul = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        assert_eq!(
            last_complete(&PeriodKind::SixMonths, jul)
                .map(|p| p.id)
                .as_deref(),
            Some("2026-H1")
        );
    }
}
