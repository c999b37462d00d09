//! Fixtures shared by the test suites: the people of one commune of Lai Châu, a fixed "now", valid
//! commands for every step, and case histories at each stage of the procedure.
//!
//! Histories are made by running `Case::decide` on real commands (never by writing events by
//! hand), so they stay true to the aggregate. All times are explicit RFC 3339 instants with the
//! `+07:00` offset of Asia/Ho_Chi_Minh; the comments give the local day.
#![allow(dead_code)]

use aggregates::case::*;
use aggregates::codes::*;
use aggregates::deadlines::{
    CancelReason, DeadlineCancelled, DeadlineMet, DeadlineStarted, RuleSet, WorkingCalendar,
};
use aggregates::policy::{Actor, Grant};
use aggregates::text::{LongText, ShortText};
use aggregates::units::{UnitCode, UnitPath};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use cqrs_es::Aggregate;
use std::collections::BTreeMap;
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Values

/// An instant, from RFC 3339 text.
pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap_or_else(|e| panic!("bad instant {rfc3339}: {e}"))
        .with_timezone(&Utc)
}

/// A local calendar day.
pub fn day(iso: &str) -> NaiveDate {
    iso.parse()
        .unwrap_or_else(|e| panic!("bad date {iso}: {e}"))
}

pub fn short(text: &str) -> ShortText {
    ShortText::parse(text).expect("valid short text")
}

pub fn long(text: &str) -> LongText {
    LongText::parse(text).expect("valid long text")
}

pub fn unit(code: &str) -> UnitCode {
    UnitCode::parse(code).expect("valid unit code")
}

/// The commune of the story: 03388, in Lai Châu (province 12).
pub fn commune() -> UnitPath {
    UnitPath::from_codes(&["VN", "12", "03388"]).expect("valid path")
}

/// A neighbouring commune of the same province.
pub fn other_commune() -> UnitPath {
    UnitPath::from_codes(&["VN", "12", "03390"]).expect("valid path")
}

pub fn country() -> UnitPath {
    UnitPath::from_codes(&["VN"]).expect("valid path")
}

// ---------------------------------------------------------------------------------------------
// People

fn actor(id: u128, grants: &[(Role, &str)]) -> Actor {
    Actor::new(
        Uuid::from_u128(id),
        grants
            .iter()
            .map(|(role, code)| Grant {
                role: *role,
                unit: unit(code),
            })
            .collect(),
    )
}

/// A hotline 111 operator (national grant).
pub fn operator() -> Actor {
    actor(0x111, &[(Role::HotlineOperator, "VN")])
}

/// Another hotline operator, who did not take this report.
pub fn other_operator() -> Actor {
    actor(0x112, &[(Role::HotlineOperator, "VN")])
}

/// The child-protection worker of commune 03388.
pub fn worker() -> Actor {
    actor(0x5001, &[(Role::SocialWorker, "03388")])
}

/// A second worker of commune 03388.
pub fn second_worker() -> Actor {
    actor(0x5002, &[(Role::SocialWorker, "03388")])
}

/// The worker of the neighbouring commune 03390.
pub fn other_worker() -> Actor {
    actor(0x5003, &[(Role::SocialWorker, "03390")])
}

/// The chair of the People's Committee of commune 03388.
pub fn approver() -> Actor {
    actor(0xA001, &[(Role::Approver, "03388")])
}

/// The chair of the People's Committee of commune 03390.
pub fn other_approver() -> Actor {
    actor(0xA002, &[(Role::Approver, "03390")])
}

/// A provincial supervisor of Lai Châu.
pub fn supervisor() -> Actor {
    actor(0x5000_0001, &[(Role::Supervisor, "12")])
}

/// The system administrator.
pub fn admin() -> Actor {
    actor(0xAD, &[(Role::Admin, "VN")])
}

// ---------------------------------------------------------------------------------------------
// Ids and the timeline of the main story (all in March–May 2026, no public holiday in it)

pub const CASE_ID: Uuid = Uuid::from_u128(0xCA5E_0001);
pub const OTHER_CASE_ID: Uuid = Uuid::from_u128(0xCA5E_0002);
pub const REPORT_ID: Uuid = Uuid::from_u128(0x4E90_0001);
pub const CHILD_ID: Uuid = Uuid::from_u128(0xC41D_0001);
pub const ITEM_A: Uuid = Uuid::from_u128(0x17E3_000A);
pub const ITEM_B: Uuid = Uuid::from_u128(0x17E3_000B);
pub const ITEM_C: Uuid = Uuid::from_u128(0x17E3_000C);

/// The server's clock for every command unless a test says otherwise: Monday 1 June 2026, noon.
pub fn now() -> DateTime<Utc> {
    at("2026-06-01T12:00:00+07:00")
}

/// The call to 111 was taken on Monday 2 March 2026, 09:00 local.
pub fn received() -> DateTime<Utc> {
    at("2026-03-02T09:00:00+07:00")
}

/// Initial assessment: Monday 2 March, 15:00.
pub fn assessed() -> DateTime<Utc> {
    at("2026-03-02T15:00:00+07:00")
}

/// Urgent measures: Monday 2 March, 16:00.
pub fn measured() -> DateTime<Utc> {
    at("2026-03-02T16:00:00+07:00")
}

/// Separation decided: Monday 2 March, 17:00.
pub fn separated() -> DateTime<Utc> {
    at("2026-03-02T17:00:00+07:00")
}

/// Detailed assessment: Wednesday 4 March, 10:00.
pub fn detailed_at() -> DateTime<Utc> {
    at("2026-03-04T10:00:00+07:00")
}

/// Needs meeting: Thursday 5 March, 10:00.
pub fn met_at() -> DateTime<Utc> {
    at("2026-03-05T10:00:00+07:00")
}

/// Plan submitted: Friday 6 March, 10:00.
pub fn submitted() -> DateTime<Utc> {
    at("2026-03-06T10:00:00+07:00")
}

/// Plan approved: Monday 9 March, 10:00.
pub fn approved() -> DateTime<Utc> {
    at("2026-03-09T10:00:00+07:00")
}

/// A service delivered: Friday 20 March, 10:00.
pub fn delivered() -> DateTime<Utc> {
    at("2026-03-20T10:00:00+07:00")
}

/// Review: Tuesday 28 April 2026, 10:00, the last item's end date (Monday 27 April is Hùng Kings'
/// day, a holiday).
pub fn reviewed() -> DateTime<Utc> {
    at("2026-04-28T10:00:00+07:00")
}

/// Closure decided: Monday 4 May, 10:00.
pub fn closed_at() -> DateTime<Utc> {
    at("2026-05-04T10:00:00+07:00")
}

// ---------------------------------------------------------------------------------------------
// Commands

/// A command with the fixed "now" and no If-Match.
pub fn cmd(actor: &Actor, action: CaseAction) -> CaseCommand {
    CaseCommand {
        actor: actor.clone(),
        now: now(),
        expected_version: None,
        action,
    }
}

/// A command arriving at another server time.
pub fn cmd_at(actor: &Actor, now: DateTime<Utc>, action: CaseAction) -> CaseCommand {
    CaseCommand {
        actor: actor.clone(),
        now,
        expected_version: None,
        action,
    }
}

/// A command with `If-Match: version`.
pub fn cmd_if(actor: &Actor, version: u64, action: CaseAction) -> CaseCommand {
    CaseCommand {
        actor: actor.clone(),
        now: now(),
        expected_version: Some(version),
        action,
    }
}

/// The report of the story, as a hotline operator takes it: a 9-year-old girl hit by a relative,
/// in commune 03388; the reporter, a neighbour, stays anonymous.
pub fn report_case() -> ReportCase {
    ReportCase {
        case_id: CASE_ID,
        case_number: "12-2026-000123".to_owned(),
        report_id: REPORT_ID,
        child_id: CHILD_ID,
        received_at: received(),
        intake_point: IntakePoint::Hotline111,
        channel: Channel::Phone,
        target_group: TargetGroup::Abused,
        incident_unit: commune(),
        description: Some(long("Neighbour heard the child crying and saw bruises")),
        abuse_types: vec![AbuseType::Violence],
        sexual_abuse_subtypes: vec![],
        exploitation_subtypes: vec![],
        abuse_environment: Some(AbuseEnvironment::Family),
        perpetrator_relationship: Some(PerpetratorRelationship::Relative),
        immediate_danger: Some(true),
        special_circumstances: vec![],
        child: Child {
            full_name: Some(short("Lò Thị Mai")),
            date_of_birth: None,
            estimated_age: Some(9),
            sex: Sex::Female,
            ethnicity: Some(short("Thái")),
            residence_unit: Some(unit("03388")),
            school: None,
            condition: None,
        },
        reporter: Some(Reporter {
            name: None,
            phone: None,
            address: None,
            relationship: Some(short("neighbour")),
            consent: false,
        }),
        previous_case_id: None,
        not_same_as: vec![],
    }
}

pub fn report(r: ReportCase) -> CaseAction {
    CaseAction::Report(Box::new(r))
}

pub fn report_at(received_at: DateTime<Utc>) -> CaseAction {
    report(ReportCase {
        received_at,
        ..report_case()
    })
}

/// The event the story's report records (received by the operator).
pub fn case_reported(by: &Actor) -> CaseReported {
    let r = report_case();
    CaseReported {
        case_id: r.case_id,
        case_number: r.case_number,
        report_id: r.report_id,
        child_id: r.child_id,
        received_at: r.received_at,
        received_by: by.user_id,
        intake_point: r.intake_point,
        channel: r.channel,
        target_group: r.target_group,
        incident_unit: r.incident_unit,
        description: r.description,
        abuse_types: r.abuse_types,
        sexual_abuse_subtypes: r.sexual_abuse_subtypes,
        exploitation_subtypes: r.exploitation_subtypes,
        abuse_environment: r.abuse_environment,
        perpetrator_relationship: r.perpetrator_relationship,
        immediate_danger: r.immediate_danger,
        special_circumstances: r.special_circumstances,
        child: r.child,
        reporter: r.reporter,
        previous_case_id: r.previous_case_id,
        not_same_as: vec![],
        juvenile: false,
    }
}

pub fn assign(worker: &Actor) -> CaseAction {
    CaseAction::AssignWorker(AssignWorker {
        worker_id: worker.user_id,
        worker_units: worker.units_for(Role::SocialWorker).cloned().collect(),
    })
}

pub fn transfer(to: UnitPath) -> CaseAction {
    CaseAction::Transfer(TransferCase {
        to_unit: to,
        reason: long("The child lives in the other commune (LTE art. 52(2))"),
    })
}

pub fn all_ratings(rating: Rating) -> BTreeMap<ReviewCriterion, Rating> {
    ReviewCriterion::ALL.iter().map(|k| (*k, rating)).collect()
}

pub fn initial(outcome: InitialOutcome, assessed_at: DateTime<Utc>) -> CaseAction {
    let grounds = match outcome {
        InitialOutcome::Emergency => vec![EmergencyGround::SeriousHarmOrThreat],
        _ => vec![],
    };
    initial_with(outcome, grounds, assessed_at)
}

pub fn initial_with(
    outcome: InitialOutcome,
    grounds: Vec<EmergencyGround>,
    assessed_at: DateTime<Utc>,
) -> CaseAction {
    CaseAction::RecordInitialAssessment(RecordInitialAssessment {
        assessed_at,
        outcome,
        grounds,
        ratings: all_ratings(Rating::High),
        findings: long("Visible bruises; the child is afraid to go home"),
    })
}

pub fn urgent(applied_at: DateTime<Utc>) -> CaseAction {
    urgent_with(
        vec![UrgentMeasure::StopTheAct, UrgentMeasure::FirstAid],
        applied_at,
    )
}

pub fn urgent_with(measures: Vec<UrgentMeasure>, applied_at: DateTime<Utc>) -> CaseAction {
    CaseAction::ApplyUrgentMeasures(ApplyUrgentMeasures {
        applied_at,
        measures,
        notes: Some(long(
            "Police stopped the act; first aid at the health station",
        )),
    })
}

pub fn separation(decided_at: DateTime<Utc>, until: DateTime<Utc>) -> CaseAction {
    CaseAction::DecideSeparation(DecideSeparation {
        decided_at,
        until,
        grounds: vec![SeparationGround::RiskOfFurtherAbuse],
        placement: long("With the maternal aunt in the same village"),
        notes: None,
    })
}

/// When the chair extends the story's separation: Monday 9 March, 10:00.
pub fn extended() -> DateTime<Utc> {
    at("2026-03-09T10:00:00+07:00")
}

pub fn extend(until: DateTime<Utc>) -> CaseAction {
    CaseAction::ExtendSeparation(ExtendSeparation {
        extended_at: Some(extended()),
        until,
    })
}

pub fn end_separation(ended_at: DateTime<Utc>, reason: SeparationEndReason) -> CaseAction {
    CaseAction::EndSeparation(EndSeparation {
        ended_at,
        reason,
        court_order_ref: match reason {
            SeparationEndReason::CourtOrder => Some(short("12/2026/QĐ-TA")),
            SeparationEndReason::ReturnedHome => None,
        },
    })
}

pub fn detailed(assessed_at: DateTime<Utc>) -> CaseAction {
    CaseAction::RecordDetailedAssessment(detailed_assessment(assessed_at))
}

pub fn detailed_assessment(assessed_at: DateTime<Utc>) -> RecordDetailedAssessment {
    RecordDetailedAssessment {
        assessed_at,
        physical_psychological: long("Bruises healing; anxious"),
        family: long("Lives with parents and an uncle"),
        risk_factors: long("The uncle drinks and lives in the house"),
        schooling: long("Grade 4, attends regularly"),
        community: long("Village head and school teacher are supportive"),
        needs: vec![ServiceType::Psychological, ServiceType::Health],
        child_view: Some(long("Wants to stay with her parents")),
        parent_view: None,
        parent_view_by: None,
    }
}

pub fn meeting(held_at: DateTime<Utc>) -> CaseAction {
    CaseAction::RecordNeedsMeeting(RecordNeedsMeeting {
        held_at,
        chaired_by: short("Chủ tịch UBND xã"),
        attendees: vec![short("Village head"), short("Mother")],
        decisions: long("Counselling for the child; the uncle moves out"),
    })
}

/// A plan item with its own expected end date.
pub fn item(item_id: Uuid, starts_on: &str, ends_on: &str) -> PlanItemInput {
    PlanItemInput {
        item_id,
        measure: PlanMeasure::RiskWarningAndCounselling,
        service_type: ServiceType::Psychological,
        responsible: short("Commune child-protection worker"),
        provider: Some(short("Provincial social work centre")),
        starts_on: day(starts_on),
        ends_on: day(ends_on),
        cost_estimate_vnd: Some(2_000_000),
    }
}

/// The story's plan: item A ends on Friday 10 April, item B on Tuesday 28 April 2026.
pub fn story_items() -> Vec<PlanItemInput> {
    vec![
        item(ITEM_A, "2026-03-10", "2026-04-10"),
        item(ITEM_B, "2026-03-10", "2026-04-28"),
    ]
}

pub fn plan(submitted_at: DateTime<Utc>, items: Vec<PlanItemInput>) -> CaseAction {
    CaseAction::SubmitPlan(SubmitPlan {
        submitted_at,
        items,
    })
}

pub fn approve(version: u32, decided_at: DateTime<Utc>) -> CaseAction {
    CaseAction::DecidePlan(DecidePlan {
        decided_at,
        decision: PlanDecision::Approve,
        plan_version: version,
        comment: None,
    })
}

pub fn return_plan(version: u32, decided_at: DateTime<Utc>) -> CaseAction {
    CaseAction::DecidePlan(DecidePlan {
        decided_at,
        decision: PlanDecision::Return,
        plan_version: version,
        comment: Some(long("Add a measure for the parents")),
    })
}

pub fn service(item_id: Uuid, delivered_at: DateTime<Utc>, completed: bool) -> CaseAction {
    CaseAction::RecordServiceDelivery(RecordServiceDelivery {
        item_id,
        delivered_at,
        notes: Some(long("Counselling session")),
        completed,
    })
}

pub fn referral(referred_at: DateTime<Utc>) -> CaseAction {
    CaseAction::RecordReferral(RecordReferral {
        referred_at,
        to: short("District police"),
        to_kind: None,
        service_type: Some(ServiceType::Protection),
        notes: None,
    })
}

/// A referral naming the kind of agency.
pub fn referral_to(referred_at: DateTime<Utc>, kind: ReferralKind) -> CaseAction {
    let CaseAction::RecordReferral(mut r) = referral(referred_at) else {
        unreachable!()
    };
    r.to_kind = Some(kind);
    CaseAction::RecordReferral(r)
}

pub fn petition(filed_at: DateTime<Utc>) -> CaseAction {
    CaseAction::FileCourtPetition(FileCourtPetition {
        filed_at,
        court: short("Tòa án nhân dân khu vực"),
        ground: CourtPetitionGround::ParentsAreAbusers,
        notes: None,
    })
}

pub fn court_order(
    ordered_at: DateTime<Utc>,
    separation_until: Option<DateTime<Utc>>,
) -> CaseAction {
    CaseAction::RecordCourtOrder(RecordCourtOrder {
        ordered_at,
        court_order_ref: short("12/2026/QĐ-TA"),
        separation_until,
        notes: None,
    })
}

pub fn review(outcome: ReviewOutcome, reviewed_at: DateTime<Utc>) -> CaseAction {
    CaseAction::RecordReview(RecordReview {
        reviewed_at,
        ratings: all_ratings(Rating::Low),
        outcome,
        notes: Some(long("The child is safe and attends school")),
    })
}

pub fn propose(reason: ClosureReason, proposed_at: DateTime<Utc>) -> CaseAction {
    CaseAction::ProposeClosure(ProposeClosure {
        proposed_at,
        reason,
        linked_case_id: (reason == ClosureReason::Duplicate).then_some(OTHER_CASE_ID),
        comment: (reason == ClosureReason::Other).then(|| long("The family moved abroad")),
    })
}

pub fn close(decided_at: DateTime<Utc>) -> CaseAction {
    CaseAction::DecideClosure(DecideClosure {
        decided_at,
        decision: ClosureDecision::Approve,
        reason: None,
        linked_case_id: None,
        comment: None,
    })
}

pub fn reject_closure(decided_at: DateTime<Utc>) -> CaseAction {
    CaseAction::DecideClosure(DecideClosure {
        decided_at,
        decision: ClosureDecision::Reject,
        reason: None,
        linked_case_id: None,
        comment: Some(long("Follow the child until the school year ends")),
    })
}

pub fn ask_hotline() -> CaseAction {
    CaseAction::RequestHotlineSupport(RequestHotlineSupport {
        reason: Some(long(
            "The family moved; the hotline keeps in touch with the child",
        )),
    })
}

pub fn withdraw_hotline() -> CaseAction {
    CaseAction::WithdrawHotlineSupport(WithdrawHotlineSupport { reason: None })
}

pub fn note(text: &str) -> CaseAction {
    CaseAction::AddNote(AddNote { text: long(text) })
}

pub fn correct(sequence: u64, field: &str, value: serde_json::Value) -> CaseAction {
    CaseAction::CorrectFact(CorrectFact {
        corrects_sequence: sequence,
        field: field.to_owned(),
        value,
        reason: long("Checked against the birth certificate"),
    })
}

// ---------------------------------------------------------------------------------------------
// Histories

/// A case history built by running real commands through `Case::decide`.
#[derive(Clone)]
pub struct Story {
    pub case: Case,
    pub events: Vec<CaseEvent>,
    pub services: CaseServices,
}

impl Default for Story {
    fn default() -> Self {
        Self::with_services(CaseServices::shipped())
    }
}

impl Story {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_services(services: CaseServices) -> Self {
        Self {
            case: Case::default(),
            events: Vec::new(),
            services,
        }
    }

    /// Decides a command and applies its events; returns them. Panics if the command is refused.
    pub fn run(&mut self, command: CaseCommand) -> Vec<CaseEvent> {
        let what = format!("{:?}", command.action);
        match self.try_run(command) {
            Ok(events) => events,
            Err(e) => panic!("the story's command was refused ({}): {what}", e.code()),
        }
    }

    pub fn try_run(&mut self, command: CaseCommand) -> Result<Vec<CaseEvent>, CaseError> {
        let events = self.case.decide(command, &self.services)?;
        for event in &events {
            self.case.apply(event.clone());
        }
        self.events.extend(events.iter().cloned());
        Ok(events)
    }

    /// `run` with the fixed now and no If-Match.
    pub fn by(mut self, actor: &Actor, action: CaseAction) -> Self {
        self.run(cmd(actor, action));
        self
    }

    /// What the case would decide, without applying it.
    pub fn decide(&self, command: CaseCommand) -> Result<Vec<CaseEvent>, CaseError> {
        self.case.decide(command, &self.services)
    }

    pub fn version(&self) -> u64 {
        self.case.version
    }

    pub fn deadline(&self, deadline_id: &str) -> &aggregates::deadlines::Deadline {
        self.case
            .deadlines
            .iter()
            .find(|d| d.deadline_id == deadline_id)
            .unwrap_or_else(|| panic!("no deadline {deadline_id} in {:#?}", self.case.deadlines))
    }
}

/// Reported by the hotline operator, Monday 2 March 2026, 09:00.
pub fn reported() -> Story {
    Story::new().by(&operator(), report(report_case()))
}

/// The initial assessment found an emergency; urgent measures are due.
pub fn emergency() -> Story {
    reported().by(&worker(), initial(InitialOutcome::Emergency, assessed()))
}

/// Urgent measures applied: detailed assessment and needs.
pub fn assessment() -> Story {
    emergency().by(&worker(), urgent(measured()))
}

/// The initial assessment found support needed (the non-emergency path).
pub fn support_needed() -> Story {
    reported().by(
        &worker(),
        initial(InitialOutcome::SupportNeeded, assessed()),
    )
}

/// Detailed assessment recorded: the plan is being drafted.
pub fn planning() -> Story {
    assessment()
        .by(&worker(), detailed(detailed_at()))
        .by(&approver(), meeting(met_at()))
}

/// Plan version 1 awaits the approver.
pub fn awaiting_approval() -> Story {
    planning().by(&worker(), plan(submitted(), story_items()))
}

/// Plan version 1 approved: services under way.
pub fn in_progress() -> Story {
    awaiting_approval().by(&approver(), approve(1, approved()))
}

/// The review found the child safe: closure proposed.
pub fn closure_proposed() -> Story {
    in_progress()
        .by(&worker(), service(ITEM_A, delivered(), true))
        .by(&worker(), review(ReviewOutcome::Close, reviewed()))
}

/// The approver closed the case.
pub fn closed() -> Story {
    closure_proposed().by(&approver(), close(closed_at()))
}

/// An emergency with the child separated from the family on Monday 2 March, 17:00, until
/// Friday 13 March 17:00.
pub fn separated_story() -> Story {
    emergency().by(
        &approver(),
        separation(separated(), at("2026-03-13T17:00:00+07:00")),
    )
}

// ---------------------------------------------------------------------------------------------
// cqrs-es and event helpers

/// cqrs-es's given/when/then harness with the shipped rules and calendar.
pub fn framework() -> TestFramework<Case> {
    TestFramework::<Case>::with(CaseServices::shipped())
}

/// Given the events of a story (given/when/then).
pub fn given(story: &Story) -> AggregateTestExecutor<Case> {
    TestFramework::<Case>::with(story.services.clone()).given(story.events.clone())
}

/// Given no case at all.
pub fn given_no_case() -> AggregateTestExecutor<Case> {
    framework().given_no_previous_events()
}

pub fn services_with_rules(override_json: &str) -> CaseServices {
    CaseServices::new(
        RuleSet::shipped()
            .with_override(override_json)
            .expect("valid override"),
        WorkingCalendar::shipped(),
    )
}

/// The deadline a shipped rule starts, with its mark and basis from the rule table.
pub fn started(
    deadline_id: &str,
    started_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    due_soon_at: DateTime<Utc>,
) -> CaseEvent {
    let rule_id = deadline_id.split('/').next().expect("rule id");
    let rule = RuleSet::shipped();
    let rule = rule
        .get(rule_id)
        .unwrap_or_else(|| panic!("no shipped rule {rule_id}"));
    let item_id = deadline_id
        .split('/')
        .nth(1)
        .and_then(|s| s.parse::<Uuid>().ok());
    CaseEvent::DeadlineStarted(DeadlineStarted {
        deadline_id: deadline_id.to_owned(),
        rule_id: rule_id.to_owned(),
        item_id,
        started_at,
        due_at,
        due_soon_at,
        mark: rule.mark,
        basis: rule.basis.clone(),
        provisional: false,
    })
}

pub fn met(deadline_id: &str, met_at: DateTime<Utc>, late: bool) -> CaseEvent {
    CaseEvent::DeadlineMet(DeadlineMet {
        deadline_id: deadline_id.to_owned(),
        met_at,
        late,
    })
}

pub fn cancelled(
    deadline_id: &str,
    cancelled_at: DateTime<Utc>,
    reason: CancelReason,
) -> CaseEvent {
    CaseEvent::DeadlineCancelled(DeadlineCancelled {
        deadline_id: deadline_id.to_owned(),
        cancelled_at,
        reason,
    })
}

/// The status change recorded right after the step that moved the case from `from` to `to`, at
/// that step's business time.
pub fn status_changed(changed_at: DateTime<Utc>, from: CaseStatus, to: CaseStatus) -> CaseEvent {
    CaseEvent::CaseStatusChanged(CaseStatusChanged {
        changed_at,
        from,
        to,
    })
}

/// The status changes of a decision, as `(from, to)`.
pub fn status_changes(events: &[CaseEvent]) -> Vec<(CaseStatus, CaseStatus)> {
    events
        .iter()
        .filter_map(|e| match e {
            CaseEvent::CaseStatusChanged(c) => Some((c.from, c.to)),
            _ => None,
        })
        .collect()
}

/// The step events of a decision with the status changes they record, without the deadline
/// clocks.
pub fn steps(events: &[CaseEvent]) -> Vec<CaseEvent> {
    events
        .iter()
        .filter(|e| !e.is_deadline())
        .cloned()
        .collect()
}

/// The deadline clocks of a decision, without the steps.
pub fn clocks(events: &[CaseEvent]) -> Vec<CaseEvent> {
    events.iter().filter(|e| e.is_deadline()).cloned().collect()
}

/// The clock a decision started for `rule_id`.
pub fn started_for<'a>(events: &'a [CaseEvent], rule_id: &str) -> &'a DeadlineStarted {
    events
        .iter()
        .find_map(|e| match e {
            CaseEvent::DeadlineStarted(s) if s.rule_id == rule_id => Some(s),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no {rule_id} clock started in {events:#?}"))
}

/// The ids of the clocks a decision started.
pub fn started_ids(events: &[CaseEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            CaseEvent::DeadlineStarted(s) => Some(s.deadline_id.clone()),
            _ => None,
        })
        .collect()
}

/// The ids of the clocks a decision met, with whether late.
pub fn met_ids(events: &[CaseEvent]) -> Vec<(String, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            CaseEvent::DeadlineMet(m) => Some((m.deadline_id.clone(), m.late)),
            _ => None,
        })
        .collect()
}

/// The ids of the clocks a decision cancelled, with why.
pub fn cancelled_ids(events: &[CaseEvent]) -> Vec<(String, CancelReason)> {
    events
        .iter()
        .filter_map(|e| match e {
            CaseEvent::DeadlineCancelled(c) => Some((c.deadline_id.clone(), c.reason)),
            _ => None,
        })
        .collect()
}

/// `minutes` after an instant.
pub fn plus_minutes(t: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
    t + Duration::minutes(minutes)
}

/// One action of every kind, each with content that would be valid at some stage of the story,
/// with the role that may take it. Used by the checks common to all commands.
pub fn every_action() -> Vec<(&'static str, Actor, CaseAction)> {
    vec![
        ("assign_worker", approver(), assign(&second_worker())),
        ("transfer", approver(), transfer(other_commune())),
        (
            "record_initial_assessment",
            worker(),
            initial(InitialOutcome::SupportNeeded, assessed()),
        ),
        ("apply_urgent_measures", worker(), urgent(measured())),
        (
            "decide_separation",
            approver(),
            separation(separated(), at("2026-03-13T17:00:00+07:00")),
        ),
        (
            "extend_separation",
            approver(),
            extend(at("2026-03-15T17:00:00+07:00")),
        ),
        (
            "end_separation",
            approver(),
            end_separation(
                at("2026-03-10T10:00:00+07:00"),
                SeparationEndReason::ReturnedHome,
            ),
        ),
        (
            "record_detailed_assessment",
            worker(),
            detailed(detailed_at()),
        ),
        ("record_needs_meeting", approver(), meeting(met_at())),
        ("submit_plan", worker(), plan(submitted(), story_items())),
        ("decide_plan", approver(), approve(1, approved())),
        (
            "record_service_delivery",
            worker(),
            service(ITEM_A, delivered(), true),
        ),
        ("record_referral", worker(), referral(delivered())),
        ("file_court_petition", worker(), petition(delivered())),
        (
            "record_court_order",
            approver(),
            court_order(delivered(), None),
        ),
        (
            "record_review",
            worker(),
            review(ReviewOutcome::Continue, reviewed()),
        ),
        (
            "propose_closure",
            worker(),
            propose(ClosureReason::Duplicate, delivered()),
        ),
        ("decide_closure", approver(), close(closed_at())),
        ("add_note", worker(), note("Called the school")),
        (
            "correct_fact",
            worker(),
            correct(1, "child.full_name", serde_json::json!("Lò Thị Mây")),
        ),
        ("request_hotline_support", worker(), ask_hotline()),
        ("withdraw_hotline_support", worker(), withdraw_hotline()),
        ("link_child", worker(), link_child()),
        ("unlink_child", worker(), CaseAction::UnlinkChild),
        ("distinguish_child", worker(), distinguish_child()),
    ]
}

/// The name of every `CaseAction` variant, to check `every_action` covers them all.
pub fn action_name(action: &CaseAction) -> &'static str {
    match action {
        CaseAction::Report(_) => "report",
        CaseAction::AttachReport(_) => "attach_report",
        CaseAction::LinkChild(_) => "link_child",
        CaseAction::UnlinkChild => "unlink_child",
        CaseAction::DistinguishChild(_) => "distinguish_child",
        CaseAction::AssignWorker(_) => "assign_worker",
        CaseAction::Transfer(_) => "transfer",
        CaseAction::RecordInitialAssessment(_) => "record_initial_assessment",
        CaseAction::ApplyUrgentMeasures(_) => "apply_urgent_measures",
        CaseAction::DecideSeparation(_) => "decide_separation",
        CaseAction::ExtendSeparation(_) => "extend_separation",
        CaseAction::EndSeparation(_) => "end_separation",
        CaseAction::RecordDetailedAssessment(_) => "record_detailed_assessment",
        CaseAction::RecordNeedsMeeting(_) => "record_needs_meeting",
        CaseAction::SubmitPlan(_) => "submit_plan",
        CaseAction::DecidePlan(_) => "decide_plan",
        CaseAction::RecordServiceDelivery(_) => "record_service_delivery",
        CaseAction::RecordReferral(_) => "record_referral",
        CaseAction::FileCourtPetition(_) => "file_court_petition",
        CaseAction::RecordCourtOrder(_) => "record_court_order",
        CaseAction::RecordReview(_) => "record_review",
        CaseAction::ProposeClosure(_) => "propose_closure",
        CaseAction::DecideClosure(_) => "decide_closure",
        CaseAction::AddNote(_) => "add_note",
        CaseAction::CorrectFact(_) => "correct_fact",
        CaseAction::RequestHotlineSupport(_) => "request_hotline_support",
        CaseAction::WithdrawHotlineSupport(_) => "withdraw_hotline_support",
    }
}

/// The identity of another case's child.
pub const OTHER_CHILD_ID: uuid::Uuid = uuid::Uuid::from_u128(0xC41D_0002);

pub fn link_child() -> CaseAction {
    CaseAction::LinkChild(LinkChild {
        same_as_case_id: OTHER_CASE_ID,
        child_id: OTHER_CHILD_ID,
    })
}

pub fn distinguish_child() -> CaseAction {
    CaseAction::DistinguishChild(DistinguishChild {
        other_case_id: OTHER_CASE_ID,
    })
}

/// A second report about the story's child, attached to its case.
pub fn attach_at(received_at: DateTime<Utc>) -> CaseAction {
    CaseAction::AttachReport(Box::new(ReportCase {
        report_id: uuid::Uuid::from_u128(0x4E90_0002),
        received_at,
        description: Some(long("The teacher saw new bruises")),
        ..report_case()
    }))
}
