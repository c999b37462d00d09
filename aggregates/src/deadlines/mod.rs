//! The legal clock (procedure.md §4): a data-driven rule table, a working-day calendar, and an
//! engine that turns each recorded step into deadline events carrying their computed due times,
//! so that no view ever needs the rules. Deadline *state* (due soon, overdue) depends on the
//! clock and is derived from the stored times by [`Deadline::state_at`].

pub mod calendar;
pub mod engine;
pub mod rules;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use calendar::{CalendarError, WorkingCalendar};
pub use engine::{ItemDue, Signal};
pub use rules::{Limit, Mark, ProcedureSettings, Rule, RuleError, RuleSet};

/// A clock started by a rule (*thời hạn*).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineStarted {
    /// `rule_id/n`, or `rule_id/item_id` for per-item rules (`rule_id/item_id/n` for the n-th
    /// instance of the same item, n ≥ 2); unique within the case.
    pub deadline_id: String,
    pub rule_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<Uuid>,
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// From this instant the deadline shows as `due_soon`.
    pub due_soon_at: DateTime<Utc>,
    pub mark: Mark,
    pub basis: String,
    /// The count crossed a year whose holiday schedule is not yet announced.
    #[serde(default)]
    pub provisional: bool,
}

/// A clock stopped by the step that meets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineMet {
    pub deadline_id: String,
    pub met_at: DateTime<Utc>,
    pub late: bool,
}

/// Why a clock stopped without being met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// The case was closed.
    CaseClosed,
    /// A newer clock of the same rule replaced it (a new plan version, a restarted rule).
    Superseded,
}

/// A clock stopped without being met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineCancelled {
    pub deadline_id: String,
    pub cancelled_at: DateTime<Utc>,
    pub reason: CancelReason,
}

/// Where a deadline stands at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineState {
    Pending,
    DueSoon,
    Overdue,
    Met,
    MetLate,
    Cancelled,
}

impl DeadlineState {
    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::DueSoon => "due_soon",
            Self::Overdue => "overdue",
            Self::Met => "met",
            Self::MetLate => "met_late",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::DueSoon,
            Self::Overdue,
            Self::Met,
            Self::MetLate,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    pub fn is_open(self) -> bool {
        matches!(self, Self::Pending | Self::DueSoon | Self::Overdue)
    }
}

/// How a deadline ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum DeadlineOutcome {
    Met {
        at: DateTime<Utc>,
        late: bool,
    },
    Cancelled {
        at: DateTime<Utc>,
        reason: CancelReason,
    },
}

/// A deadline of a case, as folded from its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub deadline_id: String,
    pub rule_id: String,
    pub item_id: Option<Uuid>,
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub due_soon_at: DateTime<Utc>,
    pub mark: Mark,
    pub basis: String,
    pub provisional: bool,
    pub outcome: Option<DeadlineOutcome>,
}

impl Deadline {
    pub fn started(event: &DeadlineStarted) -> Self {
        Self {
            deadline_id: event.deadline_id.clone(),
            rule_id: event.rule_id.clone(),
            item_id: event.item_id,
            started_at: event.started_at,
            due_at: event.due_at,
            due_soon_at: event.due_soon_at,
            mark: event.mark,
            basis: event.basis.clone(),
            provisional: event.provisional,
            outcome: None,
        }
    }

    pub fn is_open(&self) -> bool {
        self.outcome.is_none()
    }

    /// The state at `now`, from the stored times alone.
    pub fn state_at(&self, now: DateTime<Utc>) -> DeadlineState {
        state_from_times(self.due_at, self.due_soon_at, self.outcome.as_ref(), now)
    }
}

/// The one definition of deadline state, shared by the case record and the views' tests.
pub fn state_from_times(
    due_at: DateTime<Utc>,
    due_soon_at: DateTime<Utc>,
    outcome: Option<&DeadlineOutcome>,
    now: DateTime<Utc>,
) -> DeadlineState {
    match outcome {
        Some(DeadlineOutcome::Met { late: false, .. }) => DeadlineState::Met,
        Some(DeadlineOutcome::Met { late: true, .. }) => DeadlineState::MetLate,
        Some(DeadlineOutcome::Cancelled { .. }) => DeadlineState::Cancelled,
        None if now >= due_at => DeadlineState::Overdue,
        None if now >= due_soon_at => DeadlineState::DueSoon,
        None => DeadlineState::Pending,
    }
}
