//! The plan, its decision, services, referrals and the court steps.

use super::*;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanItemDto {
    pub measure: String,
    pub service_type: String,
    pub responsible: String,
    pub provider: Option<String>,
    pub starts_on: String,
    pub ends_on: String,
    pub cost_estimate_vnd: Option<u64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanDto {
    pub submitted_at: String,
    pub items: Vec<PlanItemDto>,
}

impl PlanDto {
    pub fn parse(self) -> Result<CaseAction, ApiError> {
        let mut f = Fields::default();
        let submitted_at = f.time("submitted_at", &self.submitted_at);
        f.max_items("items", &self.items, MAX_ITEMS);
        let mut items = Vec::new();
        for (i, item) in self.items.iter().enumerate() {
            let p = |name: &str| format!("items[{i}].{name}");
            let measure = f.code::<PlanMeasure>(&p("measure"), &item.measure);
            let service_type = f.code::<ServiceType>(&p("service_type"), &item.service_type);
            let responsible = f.text::<200>(&p("responsible"), &item.responsible);
            let provider = f.opt_text::<200>(&p("provider"), item.provider.as_deref());
            let starts_on = f.date(&p("starts_on"), &item.starts_on);
            let ends_on = f.date(&p("ends_on"), &item.ends_on);
            if let (
                Some(measure),
                Some(service_type),
                Some(responsible),
                Some(provider),
                Some(starts_on),
                Some(ends_on),
            ) = (
                measure,
                service_type,
                responsible,
                provider,
                starts_on,
                ends_on,
            ) {
                items.push(PlanItemInput {
                    item_id: Uuid::now_v7(),
                    measure,
                    service_type,
                    responsible,
                    provider,
                    starts_on,
                    ends_on,
                    cost_estimate_vnd: item.cost_estimate_vnd,
                });
            }
        }
        let (submitted_at,) = all!(f, submitted_at);
        Ok(CaseAction::SubmitPlan(SubmitPlan {
            submitted_at,
            items,
        }))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanDecisionDto {
    pub decided_at: String,
    /// `approve` or `return`.
    pub decision: String,
    /// The plan version the decision is about.
    pub plan_version: u32,
    pub comment: Option<String>,
}

impl PlanDecisionDto {
    pub fn parse(self) -> Result<CaseAction, ApiError> {
        let mut f = Fields::default();
        let decided_at = f.time("decided_at", &self.decided_at);
        let decision = f.code::<PlanDecision>("decision", &self.decision);
        let comment = f.opt_text::<20_000>("comment", self.comment.as_deref());
        let (decided_at, decision, comment) = all!(f, decided_at, decision, comment);
        Ok(CaseAction::DecidePlan(DecidePlan {
            decided_at,
            decision,
            plan_version: self.plan_version,
            comment,
        }))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceDto {
    pub item_id: String,
    pub delivered_at: String,
    pub notes: Option<String>,
    /// The item is complete with this delivery.
    #[serde(default)]
    pub completed: bool,
}

impl ServiceDto {
    pub fn parse(self) -> Result<CaseAction, ApiError> {
        let mut f = Fields::default();
        let item_id = f.uuid("item_id", &self.item_id);
        let delivered_at = f.time("delivered_at", &self.delivered_at);
        let notes = f.opt_text::<20_000>("notes", self.notes.as_deref());
        let (item_id, delivered_at, notes) = all!(f, item_id, delivered_at, notes);
        Ok(CaseAction::RecordServiceDelivery(RecordServiceDelivery {
            item_id,
            delivered_at,
            notes,
            completed: self.completed,
        }))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferralDto {
    pub referred_at: String,
    /// The agency or provider.
    pub to: String,
    /// The kind of agency (`referral_kind` code: `police`, `health`, …).
    pub to_kind: Option<String>,
    pub service_type: Option<String>,
    pub notes: Option<String>,
}

impl ReferralDto {
    pub fn parse(self) -> Result<CaseAction, ApiError> {
        let mut f = Fields::default();
        let referred_at = f.time("referred_at", &self.referred_at);
        let to = f.text::<200>("to", &self.to);
        let to_kind = f.opt_code::<ReferralKind>("to_kind", self.to_kind.as_deref());
        let service_type = f.opt_code::<ServiceType>("service_type", self.service_type.as_deref());
        let notes = f.opt_text::<20_000>("notes", self.notes.as_deref());
        let (referred_at, to, to_kind, service_type, notes) =
            all!(f, referred_at, to, to_kind, service_type, notes);
        Ok(CaseAction::RecordReferral(RecordReferral {
            referred_at,
            to,
            to_kind,
            service_type,
            notes,
        }))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourtPetitionDto {
    pub filed_at: String,
    pub court: String,
    /// `parents_are_abusers` or `parents_refuse_plan`.
    pub ground: String,
    pub notes: Option<String>,
}

impl CourtPetitionDto {
    pub fn parse(self) -> Result<CaseAction, ApiError> {
        let mut f = Fields::default();
        let filed_at = f.time("filed_at", &self.filed_at);
        let court = f.text::<200>("court", &self.court);
        let ground = f.code::<CourtPetitionGround>("ground", &self.ground);
        let notes = f.opt_text::<20_000>("notes", self.notes.as_deref());
        let (filed_at, court, ground, notes) = all!(f, filed_at, court, ground, notes);
        Ok(CaseAction::FileCourtPetition(FileCourtPetition {
            filed_at,
            court,
            ground,
            notes,
        }))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourtOrderDto {
    pub ordered_at: String,
    pub court_order_ref: String,
    /// The separation continues until then by order of the court.
    pub separation_until: Option<String>,
    pub notes: Option<String>,
}

impl CourtOrderDto {
    pub fn parse(self) -> Result<CaseAction, ApiError> {
        let mut f = Fields::default();
        let ordered_at = f.time("ordered_at", &self.ordered_at);
        let reference = f.text::<200>("court_order_ref", &self.court_order_ref);
        let until = f.opt_time("separation_until", self.separation_until.as_deref());
        let notes = f.opt_text::<20_000>("notes", self.notes.as_deref());
        let (ordered_at, reference, until, notes) = all!(f, ordered_at, reference, until, notes);
        Ok(CaseAction::RecordCourtOrder(RecordCourtOrder {
            ordered_at,
            court_order_ref: reference,
            separation_until: until,
            notes,
        }))
    }
}
