//! Assignment, transfer, the assessments, urgent measures, separation and the needs meeting.

use super::*;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentDto {
    pub worker_id: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferDto {
    pub to_unit: String,
    pub reason: String,
}

impl TransferDto {
    pub fn parse(self, units: &UnitDirectory) -> Result<CaseAction, ApiError> {
        let mut f = Fields::default();
        let to_unit = commune_path(&mut f, units, "to_unit", &self.to_unit);
        let reason = f.text::<20_000>("reason", &self.reason);
        let (to_unit, reason) = all!(f, to_unit, reason);
        Ok(CaseAction::Transfer(TransferCase { to_unit, reason }))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InitialAssessmentDto {
    pub assessed_at: String,
    /// `emergency`, `support_needed` or `no_concern`.
    pub outcome: String,
    #[serde(default)]
    pub grounds: Vec<String>,
    #[serde(default)]
    pub ratings: BTreeMap<String, String>,
    pub findings: String,
}

impl InitialAssessmentDto {
    pub fn parse(self) -> Result<CaseAction, ApiError> {
        let mut f = Fields::default();
        let assessed_at = f.time("assessed_at", &self.assessed_at);
        let outcome = f.code::<InitialOutcome>("outcome", &self.outcome);
        let grounds = Some(f.codes::<EmergencyGround>("grounds", &self.grounds));
        let ratings = Some(ratings(&mut f, "ratings", &self.ratings));
        let findings = f.text::<20_000>("findings", &self.findings);
        let (assessed_at, outcome, grounds, ratings, findings) =
            all!(f, assessed_at, outcome, grounds, ratings, findings);
        Ok(CaseAction::RecordInitialAssessment(
            RecordInitialAssessment {
                assessed_at,
                outcome,
                grounds,
                ratings,
                findings,
            },
        ))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UrgentMeasuresDto {
    pub applied_at: String,
    pub measures: Vec<String>,
    pub notes: Option<String>,
}

impl UrgentMeasuresDto {
    pub fn parse(self) -> Result<CaseAction, ApiError> {
        let mut f = Fields::default();
        let applied_at = f.time("applied_at", &self.applied_at);
        f.max_items("measures", &self.measures, 20);
        let measures = Some(f.codes::<UrgentMeasure>("measures", &self.measures));
        let notes = f.opt_text::<20_000>("notes", self.notes.as_deref());
        let (applied_at, measures, notes) = all!(f, applied_at, measures, notes);
        Ok(CaseAction::ApplyUrgentMeasures(ApplyUrgentMeasures {
            applied_at,
            measures,
            notes,
        }))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeparationDto {
    pub decided_at: String,
    pub until: String,
    /// Conditions of ND56 art. 32(1): `caregiver_is_perpetrator`, `caregiver_refuses_plan`,
    /// `risk_of_further_abuse`; none means the case's own facts (a parent or carer as the
    /// reported perpetrator).
    #[serde(default)]
    pub grounds: Vec<String>,
    pub placement: String,
    pub notes: Option<String>,
}

impl SeparationDto {
    pub fn parse(self) -> Result<CaseAction, ApiError> {
        let mut f = Fields::default();
        let decided_at = f.time("decided_at", &self.decided_at);
        let until = f.time("until", &self.until);
        let grounds = Some(f.codes::<SeparationGround>("grounds", &self.grounds));
        let placement = f.text::<20_000>("placement", &self.placement);
        let notes = f.opt_text::<20_000>("notes", self.notes.as_deref());
        let (decided_at, until, grounds, placement, notes) =
            all!(f, decided_at, until, grounds, placement, notes);
        Ok(CaseAction::DecideSeparation(DecideSeparation {
            decided_at,
            until,
            grounds,
            placement,
            notes,
        }))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeparationExtensionDto {
    /// When the chair decided the extension (business time); now when absent.
    pub extended_at: Option<String>,
    pub until: String,
}

impl SeparationExtensionDto {
    pub fn parse(self) -> Result<CaseAction, ApiError> {
        let mut f = Fields::default();
        let extended_at = Some(
            self.extended_at
                .as_deref()
                .and_then(|t| f.time("extended_at", t)),
        );
        let until = f.time("until", &self.until);
        let (extended_at, until) = all!(f, extended_at, until);
        Ok(CaseAction::ExtendSeparation(ExtendSeparation {
            extended_at,
            until,
        }))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeparationEndDto {
    pub ended_at: String,
    /// `returned_home` or `court_order`.
    pub reason: String,
    pub court_order_ref: Option<String>,
}

impl SeparationEndDto {
    pub fn parse(self) -> Result<CaseAction, ApiError> {
        let mut f = Fields::default();
        let ended_at = f.time("ended_at", &self.ended_at);
        let reason = f.code::<SeparationEndReason>("reason", &self.reason);
        let court_order_ref = f.opt_text::<200>("court_order_ref", self.court_order_ref.as_deref());
        let (ended_at, reason, court_order_ref) = all!(f, ended_at, reason, court_order_ref);
        Ok(CaseAction::EndSeparation(EndSeparation {
            ended_at,
            reason,
            court_order_ref,
        }))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DetailedAssessmentDto {
    pub assessed_at: String,
    pub physical_psychological: String,
    pub family: String,
    pub risk_factors: String,
    pub schooling: String,
    pub community: String,
    #[serde(default)]
    pub needs: Vec<String>,
    pub child_view: Option<String>,
    pub parent_view: Option<String>,
    /// Whose view `parent_view` is (`mother`, `father`, `step_mother`, `step_father`,
    /// `grandparent`, `guardian`, `other_carer`); required when a carer caused the harm, whose
    /// own view is not taken (ND56 art. 27(1)(h)).
    pub parent_view_by: Option<String>,
}

impl DetailedAssessmentDto {
    pub fn parse(self) -> Result<CaseAction, ApiError> {
        let mut f = Fields::default();
        let assessed_at = f.time("assessed_at", &self.assessed_at);
        let physical = f.text::<20_000>("physical_psychological", &self.physical_psychological);
        let family = f.text::<20_000>("family", &self.family);
        let risk = f.text::<20_000>("risk_factors", &self.risk_factors);
        let schooling = f.text::<20_000>("schooling", &self.schooling);
        let community = f.text::<20_000>("community", &self.community);
        let needs = Some(f.codes::<ServiceType>("needs", &self.needs));
        let child_view = f.opt_text::<20_000>("child_view", self.child_view.as_deref());
        let parent_view = f.opt_text::<20_000>("parent_view", self.parent_view.as_deref());
        let parent_view_by = f.opt_code::<Carer>("parent_view_by", self.parent_view_by.as_deref());
        let (
            assessed_at,
            physical,
            family,
            risk,
            schooling,
            community,
            needs,
            child_view,
            parent_view,
            parent_view_by,
        ) = all!(
            f,
            assessed_at,
            physical,
            family,
            risk,
            schooling,
            community,
            needs,
            child_view,
            parent_view,
            parent_view_by
        );
        Ok(CaseAction::RecordDetailedAssessment(
            RecordDetailedAssessment {
                assessed_at,
                physical_psychological: physical,
                family,
                risk_factors: risk,
                schooling,
                community,
                needs,
                child_view,
                parent_view,
                parent_view_by,
            },
        ))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedsMeetingDto {
    pub held_at: String,
    pub chaired_by: String,
    #[serde(default)]
    pub attendees: Vec<String>,
    pub decisions: String,
}

impl NeedsMeetingDto {
    pub fn parse(self) -> Result<CaseAction, ApiError> {
        let mut f = Fields::default();
        let held_at = f.time("held_at", &self.held_at);
        let chaired_by = f.text::<200>("chaired_by", &self.chaired_by);
        f.max_items("attendees", &self.attendees, 50);
        let attendees: Vec<Option<ShortText>> = self
            .attendees
            .iter()
            .enumerate()
            .map(|(i, a)| f.text::<200>(&format!("attendees[{i}]"), a))
            .collect();
        let attendees: Option<Vec<ShortText>> = attendees.into_iter().collect();
        let decisions = f.text::<20_000>("decisions", &self.decisions);
        let (held_at, chaired_by, attendees, decisions) =
            all!(f, held_at, chaired_by, attendees, decisions);
        Ok(CaseAction::RecordNeedsMeeting(RecordNeedsMeeting {
            held_at,
            chaired_by,
            attendees,
            decisions,
        }))
    }
}
