//! Review, closure, notes, the hotline's support and corrections.

use super::*;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewDto {
    pub reviewed_at: String,
    /// `harm_severity`, `abuser_access`, `care_environment_obstacles`,
    /// `child_self_protection_recovery` → `high`, `medium` or `low`.
    pub ratings: BTreeMap<String, String>,
    /// `close` or `continue`.
    pub outcome: String,
    pub notes: Option<String>,
}

impl ReviewDto {
    pub fn parse(self) -> Result<CaseAction, ApiError> {
        let mut f = Fields::default();
        let reviewed_at = f.time("reviewed_at", &self.reviewed_at);
        let ratings = Some(ratings(&mut f, "ratings", &self.ratings));
        let outcome = f.code::<ReviewOutcome>("outcome", &self.outcome);
        let notes = f.opt_text::<20_000>("notes", self.notes.as_deref());
        let (reviewed_at, ratings, outcome, notes) = all!(f, reviewed_at, ratings, outcome, notes);
        Ok(CaseAction::RecordReview(RecordReview {
            reviewed_at,
            ratings,
            outcome,
            notes,
        }))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosureProposalDto {
    pub proposed_at: String,
    /// `duplicate`, `transferred_out`, `reached_adulthood` or `other` (a review or an initial
    /// assessment proposes `resolved` and `unfounded` by itself).
    pub reason: String,
    pub linked_case_id: Option<String>,
    pub comment: Option<String>,
}

impl ClosureProposalDto {
    pub fn parse(self) -> Result<CaseAction, ApiError> {
        let mut f = Fields::default();
        let proposed_at = f.time("proposed_at", &self.proposed_at);
        let reason = f.code::<ClosureReason>("reason", &self.reason);
        let linked = f.opt_uuid("linked_case_id", self.linked_case_id.as_deref());
        let comment = f.opt_text::<20_000>("comment", self.comment.as_deref());
        let (proposed_at, reason, linked, comment) = all!(f, proposed_at, reason, linked, comment);
        Ok(CaseAction::ProposeClosure(ProposeClosure {
            proposed_at,
            reason,
            linked_case_id: linked,
            comment,
        }))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosureDto {
    pub decided_at: String,
    /// `approve` or `reject`.
    pub decision: String,
    /// Defaults to the proposal's reason.
    pub reason: Option<String>,
    pub linked_case_id: Option<String>,
    pub comment: Option<String>,
}

impl ClosureDto {
    pub fn parse(self) -> Result<CaseAction, ApiError> {
        let mut f = Fields::default();
        let decided_at = f.time("decided_at", &self.decided_at);
        let decision = f.code::<ClosureDecision>("decision", &self.decision);
        let reason = f.opt_code::<ClosureReason>("reason", self.reason.as_deref());
        let linked = f.opt_uuid("linked_case_id", self.linked_case_id.as_deref());
        let comment = f.opt_text::<20_000>("comment", self.comment.as_deref());
        let (decided_at, decision, reason, linked, comment) =
            all!(f, decided_at, decision, reason, linked, comment);
        Ok(CaseAction::DecideClosure(DecideClosure {
            decided_at,
            decision,
            reason,
            linked_case_id: linked,
            comment,
        }))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteDto {
    pub text: String,
}

impl NoteDto {
    pub fn parse(self) -> Result<CaseAction, ApiError> {
        let mut f = Fields::default();
        let text: Option<LongText> = f.text::<20_000>("text", &self.text);
        let (text,) = all!(f, text);
        Ok(CaseAction::AddNote(AddNote { text }))
    }
}

/// Asking the hotline 111 for support, or withdrawing the request (ND56 art. 31(3)).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HotlineSupportDto {
    pub reason: Option<String>,
}

impl HotlineSupportDto {
    fn reason(self) -> Result<Option<LongText>, ApiError> {
        let mut f = Fields::default();
        let reason = f.opt_text::<20_000>("reason", self.reason.as_deref());
        let (reason,) = all!(f, reason);
        Ok(reason)
    }

    pub fn parse_request(self) -> Result<CaseAction, ApiError> {
        Ok(CaseAction::RequestHotlineSupport(RequestHotlineSupport {
            reason: self.reason()?,
        }))
    }

    pub fn parse_withdrawal(self) -> Result<CaseAction, ApiError> {
        Ok(CaseAction::WithdrawHotlineSupport(WithdrawHotlineSupport {
            reason: self.reason()?,
        }))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionDto {
    /// The sequence number of the event that recorded the fact (see the history).
    pub corrects_event: u64,
    /// E.g. `child.full_name`, `description`, `findings`.
    pub field: String,
    /// The corrected value (text, code, list of codes, date, number or null).
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
    pub reason: String,
}

impl CorrectionDto {
    pub fn parse(self) -> Result<CaseAction, ApiError> {
        let mut f = Fields::default();
        let field = f.text::<200>("field", &self.field);
        let reason = f.text::<20_000>("reason", &self.reason);
        let (field, reason) = all!(f, field, reason);
        Ok(CaseAction::CorrectFact(CorrectFact {
            corrects_sequence: self.corrects_event,
            field: field.to_string(),
            value: self.value,
            reason,
        }))
    }
}
