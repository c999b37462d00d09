//! Temporary separation from parents or carer (*tạm thời cách ly*, ND56 art. 32, Mẫu 07): the
//! chair of the residence or incident commune decides it at any time while the case is open when
//! a condition of art. 32(1) holds; it names its end and lasts at most 15 days in total,
//! extensions and earlier separations of the same case included, unless a court orders more.

use super::dedup;
use crate::case::aggregate::{Case, CaseServices};
use crate::case::business_time::Bounds;
use crate::case::commands::{DecideSeparation, EndSeparation, ExtendSeparation};
use crate::case::errors::CaseError;
use crate::case::events::*;
use crate::codes::*;
use crate::deadlines::calendar::local_date;
use crate::deadlines::Limit;
use chrono::{DateTime, Utc};

/// The cap of ND56 art. 32(3) when the rule table does not say.
const SEPARATION_CAP_DAYS: u32 = 15;

impl Case {
    fn separation_cap_days(services: &CaseServices) -> u32 {
        match services.rules.get("separation_end").map(|r| r.limit) {
            Some(Limit::DecidedEnd { max_calendar_days }) => max_calendar_days,
            Some(Limit::CalendarDays { value, .. }) => value,
            _ => SEPARATION_CAP_DAYS,
        }
    }

    /// Days the child already spent separated in this case without a court order [policy]:
    /// calendar days from the decision's day to the end's day (or to the court order's, from
    /// which the court's term runs), at least one per separation.
    fn separation_days_used(&self) -> u32 {
        self.separations
            .iter()
            .filter_map(|s| {
                let end = s.end.as_ref()?.fact.ended_at;
                let end = s.court_ordered_at.map_or(end, |c| c.min(end));
                let days = (local_date(end) - local_date(s.decision.fact.decided_at)).num_days();
                Some(u32::try_from(days.max(1)).unwrap_or(u32::MAX))
            })
            .sum()
    }

    /// The latest end a separation decided at `decided_at` may have without a court order.
    fn separation_cap(
        &self,
        decided_at: DateTime<Utc>,
        services: &CaseServices,
    ) -> Result<DateTime<Utc>, CaseError> {
        let left = Self::separation_cap_days(services).saturating_sub(self.separation_days_used());
        if left == 0 {
            return Err(CaseError::SeparationExceeds15Days { cap: decided_at });
        }
        Ok(services
            .calendar
            .calendar_days_after(decided_at, left, false)?
            .ends_at)
    }

    pub(super) fn decide_separation(
        &self,
        c: DecideSeparation,
        t: Bounds,
        services: &CaseServices,
    ) -> super::Steps {
        if self.active_separation().is_some() {
            return Err(CaseError::SeparationAlreadyActive);
        }
        t.following(
            "decided_at",
            c.decided_at,
            &[("report", self.received_at())],
        )?;
        let mut grounds = dedup(c.grounds);
        if grounds.is_empty() {
            // The case's own facts may show the condition of art. 32(1)(a).
            if !self.caregiver_is_perpetrator() {
                return Err(CaseError::SeparationGroundsRequired);
            }
            grounds.push(SeparationGround::CaregiverIsPerpetrator);
        }
        if c.until <= c.decided_at {
            return Err(CaseError::SeparationUntilInvalid);
        }
        let cap = self.separation_cap(c.decided_at, services)?;
        if c.until > cap {
            return Err(CaseError::SeparationExceeds15Days { cap });
        }
        Ok(vec![CaseEvent::SeparationDecided(SeparationDecided {
            decided_at: c.decided_at,
            until: c.until,
            grounds,
            placement: c.placement,
            notes: c.notes,
        })])
    }

    pub(super) fn extend_separation(
        &self,
        c: ExtendSeparation,
        t: Bounds,
        services: &CaseServices,
    ) -> super::Steps {
        let separation = self
            .active_separation()
            .ok_or(CaseError::NoActiveSeparation)?;
        let extended_at = c.extended_at.unwrap_or(t.now);
        t.following(
            "extended_at",
            extended_at,
            &[
                (
                    "separation decision",
                    Some(separation.decision.fact.decided_at),
                ),
                (
                    "extension",
                    separation.extensions.last().map(|e| e.fact.extended_at),
                ),
            ],
        )?;
        if c.until <= separation.until {
            return Err(CaseError::ExtensionNotLater);
        }
        // The chair may extend up to the cap, or up to the end a court ordered; going beyond the
        // court's term needs a new court order.
        let statutory = self.separation_cap(separation.decision.fact.decided_at, services)?;
        let cap = separation
            .court_until
            .map_or(statutory, |court| court.max(statutory));
        if c.until > cap {
            return Err(CaseError::SeparationExceeds15Days { cap });
        }
        Ok(vec![CaseEvent::SeparationExtended(SeparationExtended {
            extended_at,
            until: c.until,
        })])
    }

    pub(super) fn end_separation(&self, c: EndSeparation, t: Bounds) -> super::Steps {
        let separation = self
            .active_separation()
            .ok_or(CaseError::NoActiveSeparation)?;
        // Not checked against extensions: one recorded without its business time took "now".
        t.following(
            "ended_at",
            c.ended_at,
            &[(
                "separation decision",
                Some(separation.decision.fact.decided_at),
            )],
        )?;
        if c.reason == SeparationEndReason::CourtOrder && c.court_order_ref.is_none() {
            return Err(CaseError::CourtOrderRefRequired);
        }
        Ok(vec![CaseEvent::SeparationEnded(SeparationEnded {
            ended_at: c.ended_at,
            reason: c.reason,
            court_order_ref: c.court_order_ref,
        })])
    }
}
