//! Alerts (*cảnh báo*): a follower of the event log that turns steps into messages, and a
//! periodic sweep of the deadline view that turns deadlines falling due into messages. Both
//! write an outbox — the message, its inbox rows per recipient and its webhook deliveries — in
//! one transaction, so that a crash neither loses a message nor writes it twice:
//!
//! - the follower ([`follower`]) advances its own checkpoint in the transaction that writes the
//!   batch's messages. Unlike a view it is never rebuilt or replayed (it would resend history):
//!   on its first start it begins at the log head;
//! - the sweep ([`sweep`]) keys every message by (case, deadline, due time, kind) and inserts it
//!   with `ON CONFLICT DO NOTHING`, so repeated sweeps and several instances write it once.
//!
//! Messages name a case by number, a commune by code and name, a rule and a due time, and link
//! to `/cases/{id}`; never a child's or reporter's name, a description or any free text.
//! Delivery (the inbox is read by the server; webhooks are sent by it) is in `src/notify`.

pub mod deliveries;
pub mod follower;
pub mod inbox;
mod outbox;
pub mod rules;
pub mod sweep;

use aggregates::codes::{Code, Role};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

pub use outbox::{Route, Stamp, Written};

/// What a message is about (its rule). The codes are part of the API and of webhook payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A new case of abuse, or a report of immediate danger: the rapid report to the province's
    /// supervisors and the incident commune's chair (*báo cáo nhanh*, ND56 art. 25–26).
    RapidReport,
    /// The initial assessment found an emergency: urgent measures within 12 hours (ND56 art. 26(3)).
    EmergencyAssessment,
    /// A deadline is due soon (*sắp đến hạn*).
    DeadlineDueSoon,
    /// A deadline has passed (*quá hạn*).
    DeadlineOverdue,
    /// A deadline is still overdue a working day after it fell due: told to the supervisors.
    DeadlineEscalated,
    /// A plan awaits the chair's approval (ND56 art. 28(4)).
    PlanAwaitingApproval,
    /// The chair returned a plan for revision.
    PlanReturned,
    /// The worker proposed closing the case: the chair decides (ND56 art. 30(1)(b)).
    ClosureProposed,
    /// The case was transferred to this commune (LTE art. 52(2)).
    CaseTransferredIn,
    /// A worker was assigned the case.
    CaseAssigned,
}

impl Code for Kind {
    const ALL: &'static [Self] = &[
        Self::RapidReport,
        Self::EmergencyAssessment,
        Self::DeadlineDueSoon,
        Self::DeadlineOverdue,
        Self::DeadlineEscalated,
        Self::PlanAwaitingApproval,
        Self::PlanReturned,
        Self::ClosureProposed,
        Self::CaseTransferredIn,
        Self::CaseAssigned,
    ];
    const NAME: &'static str = "notification_kind";

    fn code(self) -> &'static str {
        match self {
            Self::RapidReport => "rapid_report",
            Self::EmergencyAssessment => "emergency_assessment",
            Self::DeadlineDueSoon => "deadline_due_soon",
            Self::DeadlineOverdue => "deadline_overdue",
            Self::DeadlineEscalated => "deadline_overdue_escalated",
            Self::PlanAwaitingApproval => "plan_awaiting_approval",
            Self::PlanReturned => "plan_returned",
            Self::ClosureProposed => "closure_proposed",
            Self::CaseTransferredIn => "case_transferred_in",
            Self::CaseAssigned => "case_assigned",
        }
    }

    fn label_vi(self) -> &'static str {
        match self {
            Self::RapidReport => "Báo cáo nhanh: vụ việc xâm hại hoặc trẻ gặp nguy hiểm",
            Self::EmergencyAssessment => "Đánh giá ban đầu: tình huống khẩn cấp",
            Self::DeadlineDueSoon => "Sắp đến hạn",
            Self::DeadlineOverdue => "Quá hạn",
            Self::DeadlineEscalated => "Vẫn quá hạn sau một ngày làm việc",
            Self::PlanAwaitingApproval => "Kế hoạch chờ phê duyệt",
            Self::PlanReturned => "Kế hoạch bị trả lại",
            Self::ClosureProposed => "Đề nghị đóng hồ sơ",
            Self::CaseTransferredIn => "Hồ sơ được chuyển đến",
            Self::CaseAssigned => "Được phân công hồ sơ",
        }
    }

    fn label_en(self) -> &'static str {
        match self {
            Self::RapidReport => "Rapid report: abuse case or child in immediate danger",
            Self::EmergencyAssessment => "Initial assessment: emergency",
            Self::DeadlineDueSoon => "Deadline due soon",
            Self::DeadlineOverdue => "Deadline overdue",
            Self::DeadlineEscalated => "Still overdue a working day later",
            Self::PlanAwaitingApproval => "Plan awaiting approval",
            Self::PlanReturned => "Plan returned",
            Self::ClosureProposed => "Closure proposed",
            Self::CaseTransferredIn => "Case transferred in",
            Self::CaseAssigned => "Case assigned to you",
        }
    }
}

/// Who receives a message in the inbox, resolved from the grants when it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// The holders of this role with a grant on this very commune (its chairs, its workers).
    Role(Role, String),
    /// The supervisors with a grant on this commune's province (its parent in the registry).
    ProvinceSupervisors(String),
    /// One user.
    User(Uuid),
    /// The assigned worker, or the commune's workers while nobody is assigned.
    AssignedOrWorkers(Option<Uuid>, String),
}

/// A message about to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// Unique per message: a second write of the same key writes nothing.
    pub dedupe_key: String,
    pub kind: Kind,
    pub case_id: Uuid,
    pub case_number: String,
    /// The commune the message is about.
    pub unit: String,
    pub rule_id: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    /// The business instant the message is about.
    pub at: DateTime<Utc>,
    pub audience: Vec<Audience>,
    /// Who took the step: not told of their own action.
    pub actor: Option<Uuid>,
}

/// A message as the inbox, the API and a webhook receiver see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Message {
    /// The message id, also the webhook `Idempotency-Key`.
    pub id: Uuid,
    /// `rapid_report`, `emergency_assessment`, `deadline_due_soon`, `deadline_overdue`,
    /// `deadline_overdue_escalated`, `plan_awaiting_approval`, `plan_returned`,
    /// `closure_proposed`, `case_transferred_in`, `case_assigned`.
    pub kind: String,
    pub case_id: Uuid,
    pub case_number: String,
    pub unit_code: String,
    pub unit_name: String,
    /// The deadline rule, for deadline messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    /// The business instant the message is about.
    pub at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// The case page in the console (`/cases/{id}`).
    pub link: String,
}

/// The columns of `notifications` a [`Message`] is read from, aliased `n`.
pub(crate) const MESSAGE_COLUMNS: &str =
    "n.id, n.kind, n.case_id, n.case_number, n.unit_code, n.unit_name, n.rule_id, n.due_at, n.at, n.created_at";

pub(crate) const MESSAGE_COLS: &[crate::sql::Col] = {
    use crate::sql::Col::*;
    &[Uuid, Text, Uuid, Text, Text, Text, Text, Time, Time, Time]
};

impl Message {
    /// From a row of [`MESSAGE_COLUMNS`] (the first ten values of `row`).
    pub(crate) fn from_row(row: &[crate::sql::Arg]) -> Option<Self> {
        let case_id = row[2].uuid()?;
        Some(Self {
            id: row[0].uuid()?,
            kind: row[1].text()?.to_owned(),
            case_id,
            case_number: row[3].text()?.to_owned(),
            unit_code: row[4].text()?.to_owned(),
            unit_name: row[5].text()?.to_owned(),
            rule_id: row[6].text().map(str::to_owned),
            due_at: row[7].time(),
            at: row[8].time()?,
            created_at: row[9].time()?,
            link: format!("/cases/{case_id}"),
        })
    }
}

/// Rows of a statement on a connection of the pool (the SQL written once for both stores).
pub(crate) async fn fetch(
    db: &crate::db::Db,
    sql: &str,
    args: Vec<crate::sql::Arg>,
    cols: &[crate::sql::Col],
) -> Result<Vec<Vec<crate::sql::Arg>>, sqlx::Error> {
    crate::with_db!(db, pool => {
        let mut conn = pool.acquire().await?;
        crate::sql::Conn::fetch(&mut *conn, sql, args, cols).await
    })
}

/// Runs a statement on a connection of the pool; the rows it changed.
pub(crate) async fn exec(
    db: &crate::db::Db,
    sql: &str,
    args: Vec<crate::sql::Arg>,
) -> Result<u64, sqlx::Error> {
    crate::with_db!(db, pool => {
        let mut conn = pool.acquire().await?;
        crate::sql::Conn::exec(&mut *conn, sql, args).await
    })
}

#[derive(Debug, thiserror::Error)]
pub enum NotifierError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Log(#[from] crate::log::LogError),
    #[error("the notifier has no checkpoint: it must be started (init) first")]
    NotStarted,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_codes_are_unique_snake_case_and_parse_back() {
        let mut seen = std::collections::HashSet::new();
        for kind in Kind::ALL {
            let code = kind.code();
            assert!(seen.insert(code), "{code} twice");
            assert!(code.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
            assert_eq!(Kind::parse(code), Ok(*kind));
            assert!(!kind.label_vi().is_empty() && !kind.label_en().is_empty());
        }
    }
}
