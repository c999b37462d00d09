//! Working days in Asia/Ho_Chi_Minh and Civil Code 2015 art. 147–148 period counting.
//!
//! Vietnam has used UTC+7 without daylight saving since 1975, so a fixed offset is exact for any
//! date a case can carry. Working days are Monday–Friday minus the public holidays and plus the
//! make-up Saturdays the government announces each year; the calendar is data, one entry per year.
//! A year the calendar does not hold is an error, never a silent weekday-only guess.

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, TimeZone, Utc, Weekday};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// The calendar shipped with casebook (a copy of the sourced facts in `shared/data`).
pub const DEFAULT_CALENDAR_JSON: &str = include_str!("../../data/vn-holidays.json");

/// Asia/Ho_Chi_Minh: UTC+7, no daylight saving.
pub fn vietnam_offset() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset")
}

/// The local calendar date of an instant.
pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&vietnam_offset()).date_naive()
}

/// 24:00 local time at the end of `date`, i.e. 00:00 of the next day, as an instant.
pub fn end_of_local_day(date: NaiveDate) -> DateTime<Utc> {
    let next = date.checked_add_days(Days::new(1)).unwrap_or(date);
    let midnight = next.and_hms_opt(0, 0, 0).expect("midnight exists");
    vietnam_offset()
        .from_local_datetime(&midnight)
        .single()
        .expect("a fixed offset has exactly one mapping")
        .with_timezone(&Utc)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("the holiday calendar has no entry for {0}: load the year's official schedule (CASEBOOK_CALENDAR)")]
    YearMissing(i32),
    #[error("the holiday calendar is not valid: {0}")]
    Invalid(String),
}

impl CalendarError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::YearMissing(_) => "calendar_year_missing",
            Self::Invalid(_) => "calendar_invalid",
        }
    }
}

/// Whether a year's schedule is officially announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YearStatus {
    Confirmed,
    /// Only the statutory days are known; deadlines computed in it are marked provisional.
    Provisional,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct CalendarYear {
    status: YearStatus,
    days_off: BTreeSet<NaiveDate>,
    make_up_working_days: BTreeSet<NaiveDate>,
}

/// The working-day calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCalendar {
    years: BTreeMap<i32, CalendarYear>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    #[allow(dead_code)]
    description: Option<String>,
    #[allow(dead_code)]
    sources: Option<Vec<String>>,
    timezone: String,
    years: BTreeMap<String, YearFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    status: String,
    #[allow(dead_code)]
    note: Option<String>,
    days_off: Vec<NaiveDate>,
    make_up_working_days: Vec<NaiveDate>,
}

impl WorkingCalendar {
    /// The calendar shipped with casebook.
    pub fn shipped() -> Self {
        Self::from_json(DEFAULT_CALENDAR_JSON).expect("the shipped calendar is valid")
    }

    /// Parses and checks a calendar file: every date lies in its year, days off are weekdays and
    /// make-up working days are weekend days.
    pub fn from_json(json: &str) -> Result<Self, CalendarError> {
        let file: CalendarFile =
            serde_json::from_str(json).map_err(|e| CalendarError::Invalid(e.to_string()))?;
        if file.timezone != "Asia/Ho_Chi_Minh" {
            return Err(CalendarError::Invalid(format!(
                "timezone must be Asia/Ho_Chi_Minh, not {}",
                file.timezone
            )));
        }
        let mut years = BTreeMap::new();
        for (year, entry) in file.years {
            let year: i32 = year
                .parse()
                .map_err(|_| CalendarError::Invalid(format!("`{year}` is not a year")))?;
            let status = match entry.status.as_str() {
                "confirmed" => YearStatus::Confirmed,
                "provisional" => YearStatus::Provisional,
                other => {
                    return Err(CalendarError::Invalid(format!(
                        "{year}: status must be confirmed or provisional, not {other}"
                    )))
                }
            };
            for day in &entry.days_off {
                if day.year() != year || is_weekend(*day) {
                    return Err(CalendarError::Invalid(format!(
                        "{year}: day off {day} must be a weekday of that year"
                    )));
                }
            }
            for day in &entry.make_up_working_days {
                if day.year() != year || !is_weekend(*day) {
                    return Err(CalendarError::Invalid(format!(
                        "{year}: make-up working day {day} must be a weekend day of that year"
                    )));
                }
            }
            years.insert(
                year,
                CalendarYear {
                    status,
                    days_off: entry.days_off.into_iter().collect(),
                    make_up_working_days: entry.make_up_working_days.into_iter().collect(),
                },
            );
        }
        if years.is_empty() {
            return Err(CalendarError::Invalid("no year".into()));
        }
        Ok(Self { years })
    }

    fn year(&self, year: i32) -> Result<&CalendarYear, CalendarError> {
        self.years
            .get(&year)
            .ok_or(CalendarError::YearMissing(year))
    }

    /// Whether `date` is a working day for state agencies.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        let year = self.year(date.year())?;
        Ok(if year.make_up_working_days.contains(&date) {
            true
        } else {
            !is_weekend(date) && !year.days_off.contains(&date)
        })
    }

    /// Whether `date` falls in a year whose schedule is not yet officially announced.
    pub fn is_provisional(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        Ok(self.year(date.year())?.status == YearStatus::Provisional)
    }

    /// The years held, with their status, for `/ready` and the README.
    pub fn years(&self) -> impl Iterator<Item = (i32, YearStatus)> + '_ {
        self.years.iter().map(|(y, c)| (*y, c.status))
    }

    /// The last year the calendar holds.
    pub fn last_year(&self) -> i32 {
        *self.years.keys().next_back().expect("never empty")
    }

    /// The end (24:00 local) of a period of `n` working days starting at `start`: the start day
    /// does not count (Civil Code art. 147(1)); the period ends at the end of its last day
    /// (art. 148(1)). Counting only working days, the last day is always one.
    pub fn working_days_after(
        &self,
        start: DateTime<Utc>,
        n: u32,
    ) -> Result<Period, CalendarError> {
        let mut day = local_date(start);
        let mut counted = 0;
        let mut provisional = false;
        while counted < n {
            day = next_day(day);
            if self.is_working_day(day)? {
                counted += 1;
            }
            provisional |= self.is_provisional(day)?;
        }
        Ok(Period {
            last_day: day,
            ends_at: end_of_local_day(day),
            provisional,
        })
    }

    /// The end of a period of `n` calendar days starting at `start` (start day not counted). With
    /// `roll_to_working_day`, a last day that is not a working day moves to the next working day
    /// (Civil Code art. 148(2)).
    pub fn calendar_days_after(
        &self,
        start: DateTime<Utc>,
        n: u32,
        roll_to_working_day: bool,
    ) -> Result<Period, CalendarError> {
        let mut day = local_date(start)
            .checked_add_days(Days::new(u64::from(n)))
            .ok_or_else(|| CalendarError::Invalid("date out of range".into()))?;
        let mut provisional = false;
        if roll_to_working_day {
            while !self.is_working_day(day)? {
                provisional |= self.is_provisional(day)?;
                day = next_day(day);
            }
            provisional |= self.is_provisional(day)?;
        }
        Ok(Period {
            last_day: day,
            ends_at: end_of_local_day(day),
            provisional,
        })
    }
}

impl WorkingCalendar {
    /// The same time of day on the next working day after the day `at` falls on: when a
    /// deadline that fell due at `at` is "still overdue a working day later". An instant at
    /// 24:00 (00:00 local) belongs to the day it ends, so a deadline due at the end of Friday is
    /// escalated at the end of Monday, not at the end of Sunday.
    pub fn one_working_day_after(&self, at: DateTime<Utc>) -> Result<DateTime<Utc>, CalendarError> {
        let day = local_date(at - chrono::Duration::nanoseconds(1));
        let mut next = next_day(day);
        while !self.is_working_day(next)? {
            next = next_day(next);
        }
        let days = (next - day).num_days();
        Ok(at + chrono::Duration::days(days))
    }
}

/// The result of counting a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// The last local day of the period.
    pub last_day: NaiveDate,
    /// 24:00 local of the last day.
    pub ends_at: DateTime<Utc>,
    /// Whether the count crossed a year whose schedule is not yet announced.
    pub provisional: bool,
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

fn next_day(date: NaiveDate) -> NaiveDate {
    date.succ_opt()
        .expect("dates handled here are far from the end of time")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(local: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(local)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_working_day_later_skips_weekends_and_holidays() {
        let cal = WorkingCalendar::shipped();
        // Tuesday 21:00 → Wednesday 21:00.
        assert_eq!(
            cal.one_working_day_after(at("2026-06-16T21:00:00+07:00")),
            Ok(at("2026-06-17T21:00:00+07:00"))
        );
        // Due at the end of Friday 19 June: escalated at the end of Monday 22 June.
        assert_eq!(
            cal.one_working_day_after(at("2026-06-20T00:00:00+07:00")),
            Ok(at("2026-06-23T00:00:00+07:00"))
        );
        // Friday 10:00 → Monday 10:00.
        assert_eq!(
            cal.one_working_day_after(at("2026-06-19T10:00:00+07:00")),
            Ok(at("2026-06-22T10:00:00+07:00"))
        );
        // Before National Day (31 Aug – 2 Sep 2026 off in the shipped calendar).
        assert_eq!(
            cal.one_working_day_after(at("2026-08-28T10:00:00+07:00")),
            Ok(at("2026-09-03T10:00:00+07:00"))
        );
    }

    #[test]
    fn end_of_day_is_midnight_local_time() {
        assert_eq!(
            end_of_local_day(day("2026-03-02")),
            at("2026-03-03T00:00:00+07:00")
        );
        assert_eq!(
            end_of_local_day(day("2026-03-02")),
            at("2026-03-02T17:00:00Z")
        );
    }

    #[test]
    fn local_date_crosses_midnight_seven_hours_before_utc() {
        assert_eq!(local_date(at("2026-03-02T16:59:59Z")), day("2026-03-02"));
        assert_eq!(local_date(at("2026-03-02T17:00:00Z")), day("2026-03-03"));
    }

    #[test]
    fn weekends_holidays_and_make_up_saturdays() {
        let cal = WorkingCalendar::shipped();
        assert_eq!(cal.is_working_day(day("2026-03-02")), Ok(true)); // Monday
        assert_eq!(cal.is_working_day(day("2026-03-07")), Ok(false)); // Saturday
        assert_eq!(cal.is_working_day(day("2026-02-17")), Ok(false)); // Tết
        assert_eq!(cal.is_working_day(day("2026-01-10")), Ok(true)); // make-up Saturday
        assert_eq!(cal.is_working_day(day("2026-09-02")), Ok(false)); // National Day
    }

    #[test]
    fn a_year_the_calendar_does_not_hold_is_an_error_not_a_guess() {
        let cal = WorkingCalendar::shipped();
        assert_eq!(
            cal.is_working_day(day("2030-03-04")),
            Err(CalendarError::YearMissing(2030))
        );
        assert_eq!(
            cal.working_days_after(at("2027-12-30T09:00:00+07:00"), 5)
                .unwrap_err(),
            CalendarError::YearMissing(2028)
        );
    }

    #[test]
    fn the_start_day_does_not_count_and_the_period_ends_at_24h_of_the_last_day() {
        let cal = WorkingCalendar::shipped();
        // Monday 2 March 2026, 09:00: five working days are Tue..Fri and Mon 9 March.
        let p = cal
            .working_days_after(at("2026-03-02T09:00:00+07:00"), 5)
            .unwrap();
        assert_eq!(p.last_day, day("2026-03-09"));
        assert_eq!(p.ends_at, at("2026-03-10T00:00:00+07:00"));
        assert!(!p.provisional);
    }

    #[test]
    fn a_trigger_just_before_midnight_utc_counts_from_its_local_day() {
        let cal = WorkingCalendar::shipped();
        // 23:30 local on Friday 6 March is 16:30 UTC the same day; 00:30 local on Saturday 7 March
        // is still Friday in UTC but Saturday here.
        let friday = cal
            .working_days_after(at("2026-03-06T23:30:00+07:00"), 2)
            .unwrap();
        assert_eq!(friday.last_day, day("2026-03-10"));
        let saturday = cal
            .working_days_after(at("2026-03-07T00:30:00+07:00"), 2)
            .unwrap();
        assert_eq!(saturday.last_day, day("2026-03-10"));
        let sunday_evening = cal
            .working_days_after(at("2026-03-08T23:59:00+07:00"), 1)
            .unwrap();
        assert_eq!(sunday_evening.last_day, day("2026-03-09"));
    }

    #[test]
    fn tet_holidays_are_skipped() {
        let cal = WorkingCalendar::shipped();
        // Friday 13 Feb 2026; 16–20 Feb are Tết. Two working days: Mon 23, Tue 24 Feb.
        let p = cal
            .working_days_after(at("2026-02-13T10:00:00+07:00"), 2)
            .unwrap();
        assert_eq!(p.last_day, day("2026-02-24"));
    }

    #[test]
    fn a_make_up_saturday_counts_as_a_working_day() {
        let cal = WorkingCalendar::shipped();
        // Thursday 8 Jan 2026: Fri 9, Sat 10 (make-up day), Mon 12.
        let p = cal
            .working_days_after(at("2026-01-08T10:00:00+07:00"), 2)
            .unwrap();
        assert_eq!(p.last_day, day("2026-01-10"));
    }

    #[test]
    fn a_calendar_period_whose_last_day_is_a_holiday_moves_to_the_next_working_day() {
        let cal = WorkingCalendar::shipped();
        // 2 Feb 2026 + 15 days = Tue 17 Feb (Tết) → Mon 23 Feb.
        let p = cal
            .calendar_days_after(at("2026-02-02T10:00:00+07:00"), 15, true)
            .unwrap();
        assert_eq!(p.last_day, day("2026-02-23"));
        let strict = cal
            .calendar_days_after(at("2026-02-02T10:00:00+07:00"), 15, false)
            .unwrap();
        assert_eq!(strict.last_day, day("2026-02-17"));
    }

    #[test]
    fn periods_in_a_provisional_year_are_marked() {
        let cal = WorkingCalendar::shipped();
        let p = cal
            .working_days_after(at("2026-12-30T10:00:00+07:00"), 5)
            .unwrap();
        assert!(p.provisional);
        assert_eq!(p.last_day, day("2027-01-07")); // 31 Dec, (1 Jan off), 4, 5, 6, 7 Jan
    }

    #[test]
    fn invalid_calendars_are_refused() {
        let weekend_off = r#"{"timezone":"Asia/Ho_Chi_Minh","years":{"2026":{"status":"confirmed","days_off":["2026-03-07"],"make_up_working_days":[]}}}"#;
        assert!(matches!(
            WorkingCalendar::from_json(weekend_off),
            Err(CalendarError::Invalid(_))
        ));
        let wrong_year = r#"{"timezone":"Asia/Ho_Chi_Minh","years":{"2026":{"status":"confirmed","days_off":["2025-03-06"],"make_up_working_days":[]}}}"#;
        assert!(WorkingCalendar::from_json(wrong_year).is_err());
        let other_zone = r#"{"timezone":"UTC","years":{}}"#;
        assert!(WorkingCalendar::from_json(other_zone).is_err());
        assert!(WorkingCalendar::from_json("not json").is_err());
    }
}
