//! Request bodies of the case commands, and their conversion into domain commands. Codes, times
//! and texts arrive as strings and are parsed here, so that every field problem is reported at
//! once as a 422 and no domain enum is deserialized straight off the wire.

use super::errors::ApiError;
use super::extract::Fields;
use crate::units::UnitDirectory;
use aggregates::case::commands::*;
use aggregates::case::{Child, Reporter};
use aggregates::codes::*;
use aggregates::text::{LongText, ShortText};
use aggregates::units::UnitPath;
use serde::Deserialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// Most children one report may name (a class).
pub const MAX_CHILDREN: usize = 60;
const MAX_ITEMS: usize = 100;

/// A unit where a case may act: commune level (*xã, phường, đặc khu*), never a province or the
/// country (ND56 art. 26(1), LTE art. 52(2)).
fn commune_path(f: &mut Fields, units: &UnitDirectory, field: &str, raw: &str) -> Option<UnitPath> {
    let path = unit_path(f, units, field, raw)?;
    if units.get(raw).is_some_and(|u| u.kind == "commune") {
        Some(path)
    } else {
        f.push(
            field,
            "unit_not_commune",
            "Phải là đơn vị hành chính cấp xã (xã, phường, đặc khu)",
            "Must be a commune-level unit (xã, phường, đặc khu)",
        );
        None
    }
}

fn unit_path(f: &mut Fields, units: &UnitDirectory, field: &str, raw: &str) -> Option<UnitPath> {
    f.unit_code(field, raw)?;
    match units.path(raw) {
        Some(path) => Some(path),
        None => {
            f.push(
                field,
                "unknown_unit",
                "Không có đơn vị hành chính này",
                "No such administrative unit",
            );
            None
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildDto {
    pub full_name: Option<String>,
    /// YYYY-MM-DD; give this or `estimated_age`.
    pub date_of_birth: Option<String>,
    pub estimated_age: Option<u8>,
    /// `male`, `female` or `unknown`.
    pub sex: String,
    pub ethnicity: Option<String>,
    /// Unit code of the place of residence.
    pub residence_unit: Option<String>,
    pub school: Option<String>,
    pub condition: Option<String>,
    /// An earlier case of the same child: the new case is linked to it.
    pub previous_case_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReporterDto {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub relationship: Option<String>,
    /// Name, phone and address may be recorded only with consent.
    pub consent: bool,
}

/// `POST /reports` (Mẫu 01).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportDto {
    pub received_at: String,
    pub intake_point: String,
    pub channel: String,
    pub target_group: String,
    pub incident_unit: String,
    pub description: Option<String>,
    #[serde(default)]
    pub abuse_types: Vec<String>,
    #[serde(default)]
    pub sexual_abuse_subtypes: Vec<String>,
    #[serde(default)]
    pub exploitation_subtypes: Vec<String>,
    pub abuse_environment: Option<String>,
    pub perpetrator_relationship: Option<String>,
    pub immediate_danger: Option<bool>,
    #[serde(default)]
    pub special_circumstances: Vec<String>,
    pub reporter: Option<ReporterDto>,
    pub children: Vec<ChildDto>,
}

/// A report parsed into one command per child (ids, numbers and the child's identity are filled
/// in by the handler).
pub struct ParsedReport {
    pub template: ReportCase,
    pub children: Vec<(Child, Option<Uuid>)>,
}

impl ReportDto {
    pub fn parse(self, units: &UnitDirectory) -> Result<ParsedReport, ApiError> {
        let mut f = Fields::default();
        let received_at = f.time("received_at", &self.received_at);
        let intake_point = f.code::<IntakePoint>("intake_point", &self.intake_point);
        let channel = f.code::<Channel>("channel", &self.channel);
        let target_group = f.code::<TargetGroup>("target_group", &self.target_group);
        let incident_unit = commune_path(&mut f, units, "incident_unit", &self.incident_unit);
        let description = f.opt_text::<20_000>("description", self.description.as_deref());
        f.max_items("abuse_types", &self.abuse_types, 20);
        let abuse_types = f.codes::<AbuseType>("abuse_types", &self.abuse_types);
        let sexual =
            f.codes::<SexualAbuseSubtype>("sexual_abuse_subtypes", &self.sexual_abuse_subtypes);
        let exploitation =
            f.codes::<ExploitationSubtype>("exploitation_subtypes", &self.exploitation_subtypes);
        let environment =
            f.opt_code::<AbuseEnvironment>("abuse_environment", self.abuse_environment.as_deref());
        let relationship = f.opt_code::<PerpetratorRelationship>(
            "perpetrator_relationship",
            self.perpetrator_relationship.as_deref(),
        );
        let special =
            f.codes::<SpecialCircumstance>("special_circumstances", &self.special_circumstances);
        let reporter = self.reporter.map(|r| {
            let name = f.opt_text::<200>("reporter.name", r.name.as_deref());
            let phone = f.opt_text::<200>("reporter.phone", r.phone.as_deref());
            let address = f.opt_text::<200>("reporter.address", r.address.as_deref());
            let relationship =
                f.opt_text::<200>("reporter.relationship", r.relationship.as_deref());
            (name, phone, address, relationship, r.consent)
        });
        if self.children.is_empty() {
            f.push(
                "children",
                "required",
                "Cần ít nhất một trẻ em",
                "Name at least one child",
            );
        }
        f.max_items("children", &self.children, MAX_CHILDREN);
        let mut children = Vec::new();
        for (i, c) in self.children.iter().enumerate() {
            let p = |name: &str| format!("children[{i}].{name}");
            let full_name = f.opt_text::<200>(&p("full_name"), c.full_name.as_deref());
            let date_of_birth = match &c.date_of_birth {
                Some(d) => f.date(&p("date_of_birth"), d).map(Some),
                None => Some(None),
            };
            let sex = f.code::<Sex>(&p("sex"), &c.sex);
            let ethnicity = f.opt_text::<200>(&p("ethnicity"), c.ethnicity.as_deref());
            let residence_unit = match &c.residence_unit {
                Some(u) => unit_path(&mut f, units, &p("residence_unit"), u)
                    .map(|path| Some(path.unit().clone())),
                None => Some(None),
            };
            let school = f.opt_text::<200>(&p("school"), c.school.as_deref());
            let condition = f.opt_text::<20_000>(&p("condition"), c.condition.as_deref());
            let previous = f.opt_uuid(&p("previous_case_id"), c.previous_case_id.as_deref());
            if let (
                Some(full_name),
                Some(date_of_birth),
                Some(sex),
                Some(ethnicity),
                Some(residence_unit),
                Some(school),
                Some(condition),
                Some(previous),
            ) = (
                full_name,
                date_of_birth,
                sex,
                ethnicity,
                residence_unit,
                school,
                condition,
                previous,
            ) {
                children.push((
                    Child {
                        full_name,
                        date_of_birth,
                        estimated_age: c.estimated_age,
                        sex,
                        ethnicity,
                        residence_unit,
                        school,
                        condition,
                    },
                    previous,
                ));
            }
        }
        let reporter = match reporter {
            None => Some(None),
            Some((Some(name), Some(phone), Some(address), Some(relationship), consent)) => {
                Some(Some(Reporter {
                    name,
                    phone,
                    address,
                    relationship,
                    consent,
                }))
            }
            Some(_) => None,
        };
        f.finish()?;
        let (
            Some(received_at),
            Some(intake_point),
            Some(channel),
            Some(target_group),
            Some(incident_unit),
            Some(description),
            Some(abuse_environment),
            Some(perpetrator_relationship),
            Some(reporter),
        ) = (
            received_at,
            intake_point,
            channel,
            target_group,
            incident_unit,
            description,
            environment,
            relationship,
            reporter,
        )
        else {
            return Err(ApiError::validation(Vec::new()));
        };
        Ok(ParsedReport {
            template: ReportCase {
                case_id: Uuid::nil(),
                case_number: String::new(),
                report_id: Uuid::nil(),
                child_id: Uuid::nil(),
                received_at,
                intake_point,
                channel,
                target_group,
                incident_unit,
                description,
                abuse_types,
                sexual_abuse_subtypes: sexual,
                exploitation_subtypes: exploitation,
                abuse_environment,
                perpetrator_relationship,
                immediate_danger: self.immediate_danger,
                special_circumstances: special,
                child: Child::default(),
                reporter,
                previous_case_id: None,
            },
            children,
        })
    }
}

/// Unwraps parsed values once `Fields` reported no problem.
macro_rules! all {
    ($f:expr, $($v:ident),+ $(,)?) => {{
        $f.finish()?;
        match ($($v,)+) {
            ($(Some($v),)+) => ($($v,)+),
            _ => return Err(ApiError::validation(Vec::new())),
        }
    }};
}

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

fn ratings(
    f: &mut Fields,
    field: &str,
    raw: &BTreeMap<String, String>,
) -> BTreeMap<ReviewCriterion, Rating> {
    raw.iter()
        .filter_map(|(k, v)| {
            let key = f.code::<ReviewCriterion>(&format!("{field}.{k}"), k);
            let value = f.code::<Rating>(&format!("{field}.{k}"), v);
            Some((key?, value?))
        })
        .collect()
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
