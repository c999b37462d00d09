//! Steps of any time while the case is open: notes, corrections of recorded facts, and asking
//! the hotline 111 for support (ND56 art. 31(3), 22(6)).

use crate::case::aggregate::Case;
use crate::case::commands::{AddNote, CorrectFact, RequestHotlineSupport, WithdrawHotlineSupport};
use crate::case::errors::CaseError;
use crate::case::events::*;
use chrono::{DateTime, Utc};

impl Case {
    pub(super) fn note(&self, c: AddNote, now: DateTime<Utc>) -> Vec<CaseEvent> {
        vec![CaseEvent::NoteAdded(NoteAdded {
            written_at: now,
            text: c.text,
        })]
    }

    pub(super) fn correction(&self, c: CorrectFact, now: DateTime<Utc>) -> super::Steps {
        let value =
            crate::case::corrections::validate(self, c.corrects_sequence, &c.field, &c.value)?;
        Ok(vec![CaseEvent::FactCorrected(FactCorrected {
            corrected_at: now,
            corrects_sequence: c.corrects_sequence,
            field: c.field,
            value,
            reason: c.reason,
        })])
    }

    pub(super) fn request_hotline_support(
        &self,
        c: RequestHotlineSupport,
        now: DateTime<Utc>,
    ) -> super::Steps {
        if self.hotline_support.is_some() {
            return Err(CaseError::HotlineSupportAlreadyRequested);
        }
        Ok(vec![CaseEvent::HotlineSupportRequested(
            HotlineSupportRequested {
                requested_at: now,
                reason: c.reason,
            },
        )])
    }

    pub(super) fn withdraw_hotline_support(
        &self,
        c: WithdrawHotlineSupport,
        now: DateTime<Utc>,
    ) -> super::Steps {
        if self.hotline_support.is_none() {
            return Err(CaseError::HotlineSupportNotRequested);
        }
        Ok(vec![CaseEvent::HotlineSupportWithdrawn(
            HotlineSupportWithdrawn {
                withdrawn_at: now,
                reason: c.reason,
            },
        )])
    }
}
