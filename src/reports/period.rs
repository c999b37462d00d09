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
}
