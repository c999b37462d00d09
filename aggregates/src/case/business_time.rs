//! Business time (*thời điểm nghiệp vụ*): what the user says happened when. It may not lie in the
//! future (beyond the devices' clock skew), before the step it follows, nor before the earliest
//! business time the procedure settings allow (a typo such as year 0001 is refused).

use super::errors::CaseError;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

/// How far in the future a business time may lie (clock skew between devices).
pub const CLOCK_SKEW: Duration = Duration::minutes(5);

/// The bounds every business time must respect.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    pub now: DateTime<Utc>,
    pub earliest: DateTime<Utc>,
}

impl Bounds {
    /// Not in the future and not before the earliest allowed instant.
    pub fn check(&self, field: &'static str, at: DateTime<Utc>) -> Result<(), CaseError> {
        if at > self.now + CLOCK_SKEW {
            return Err(CaseError::TimeInFuture { field });
        }
        if at < self.earliest {
            return Err(CaseError::TimeTooEarly {
                field,
                earliest: self.earliest,
            });
        }
        Ok(())
    }

    /// Within the bounds and not before the latest of the steps it follows.
    pub fn following(
        &self,
        field: &'static str,
        at: DateTime<Utc>,
        follows: &[(&'static str, Option<DateTime<Utc>>)],
    ) -> Result<(), CaseError> {
        self.check(field, at)?;
        if let Some((step, previous)) = follows
            .iter()
            .filter_map(|(step, t)| t.map(|t| (*step, t)))
            .max_by_key(|(_, t)| *t)
        {
            not_before(field, at, step, previous)?;
        }
        Ok(())
    }
}

pub(crate) fn not_before(
    field: &'static str,
    at: DateTime<Utc>,
    step: &'static str,
    previous: DateTime<Utc>,
) -> Result<(), CaseError> {
    if at < previous {
        Err(CaseError::TimeBeforeStep { field, step })
    } else {
        Ok(())
    }
}

/// Age in whole years on `day`.
pub fn age_on(born: NaiveDate, day: NaiveDate) -> i32 {
    let mut age = day.year() - born.year();
    if (day.month(), day.day()) < (born.month(), born.day()) {
        age -= 1;
    }
    age
}
