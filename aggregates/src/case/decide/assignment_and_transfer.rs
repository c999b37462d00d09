//! Assignment (*phân công*) and transfer to another commune (LTE art. 52(2), ND56 art. 26(1)).

use crate::case::aggregate::Case;
use crate::case::commands::{AssignWorker, TransferCase};
use crate::case::errors::CaseError;
use crate::case::events::{CaseEvent, CaseTransferred, WorkerAssigned};
use crate::codes::Role;
use crate::policy::{Actor, Grant};
use chrono::{DateTime, Utc};

impl Case {
    pub(super) fn assign_worker(
        &self,
        c: AssignWorker,
        actor: &Actor,
        grant: &Grant,
        now: DateTime<Utc>,
    ) -> super::Steps {
        if grant.role == Role::SocialWorker
            && (c.worker_id != actor.user_id || self.assigned_to.is_some())
        {
            return Err(CaseError::MayOnlyTakeUnassignedCase);
        }
        let unit = self.acting_unit.as_ref().ok_or(CaseError::CaseNotFound)?;
        if !c.worker_units.iter().any(|u| unit.is_within(u)) {
            return Err(CaseError::WorkerNotEligible);
        }
        if self.assigned_to == Some(c.worker_id) {
            return Err(CaseError::AlreadyAssigned);
        }
        Ok(vec![CaseEvent::WorkerAssigned(WorkerAssigned {
            worker_id: c.worker_id,
            assigned_at: now,
        })])
    }

    /// The server checks against the registry that `to_unit` is a commune-level unit (never a
    /// province or the country); the case checks what it knows itself.
    pub(super) fn transfer(&self, c: TransferCase, now: DateTime<Utc>) -> super::Steps {
        let from = self.acting_unit.clone().ok_or(CaseError::CaseNotFound)?;
        if c.to_unit.is_root() {
            return Err(CaseError::UnitIsRoot { field: "to_unit" });
        }
        if c.to_unit == from {
            return Err(CaseError::TransferToSameUnit);
        }
        Ok(vec![CaseEvent::CaseTransferred(CaseTransferred {
            transferred_at: now,
            from_unit: from,
            to_unit: c.to_unit,
            reason: c.reason,
        })])
    }
}
