//! Who may do what (procedure.md §1) and who may see which field class (§6), as pure functions
//! shared by the aggregate, the server and the tests.
//!
//! A user holds one or more (role, unit) grants; a grant reaches a case when the case's acting
//! unit lies under the grant's unit. Hotline operators work nationally but only on the cases they
//! opened themselves or were asked to support (ND56 art. 22(6), 31(3)). Admins never reach case
//! content (separation of duties).

use crate::codes::Role;
use crate::units::{UnitCode, UnitPath};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One (role, unit) grant of a user.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    pub unit: UnitCode,
}

/// The authenticated user on whose behalf a command runs or a read is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Uuid,
    pub grants: Vec<Grant>,
}

impl Actor {
    pub fn new(user_id: Uuid, grants: Vec<Grant>) -> Self {
        Self { user_id, grants }
    }

    /// The units on which the actor holds `role`.
    pub fn units_for(&self, role: Role) -> impl Iterator<Item = &UnitCode> {
        self.grants
            .iter()
            .filter(move |g| g.role == role)
            .map(|g| &g.unit)
    }
}

/// What a jurisdiction check needs to know about a case.
#[derive(Debug, Clone, Copy)]
pub struct CaseScope<'a> {
    /// The acting unit with its ancestors.
    pub acting_unit: &'a UnitPath,
    /// The intake officer who opened the case.
    pub received_by: Uuid,
    /// The hotline was asked to support the case and the request stands (ND56 art. 31(3),
    /// 22(6)): hotline operators reach it as if they had opened it.
    pub hotline_support: bool,
    /// Communes whose chair may also decide a temporary separation (and so read the case): the
    /// incident commune and the child's residence (ND56 art. 32(2)).
    pub separation_units: [Option<&'a UnitCode>; 2],
}

/// Everything a user can ask of casebook that needs a permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    // Case commands
    OpenCase,
    AssignWorker,
    TransferCase,
    RecordInitialAssessment,
    ApplyUrgentMeasures,
    DecideSeparation,
    RecordDetailedAssessment,
    RecordNeedsMeeting,
    SubmitPlan,
    DecidePlan,
    RecordServiceDelivery,
    RecordReferral,
    RecordCourtAction,
    RecordReview,
    ProposeClosure,
    DecideClosure,
    AddNote,
    CorrectFact,
    /// Ask the hotline for support, or withdraw the request (ND56 art. 31(3)).
    RequestHotlineSupport,
    /// Say two cases are (or, undoing it, are not) about the same child, or that they are not.
    LinkChild,
    // Case reads
    ReadCase,
    ReadHistory,
    ReadAccessLog,
    ReadCaseAsOf,
    // Lists and boards
    ListCases,
    ReadCaseload,
    ReadDeadlines,
    ReadStatistics,
    // Administration
    ManageUsers,
    ManageUnits,
}

impl Action {
    /// The roles that may take this action (procedure.md §1).
    pub fn allowed_roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Action::OpenCase => &[HotlineOperator, SocialWorker],
            // A social worker may only take an unassigned case for itself (checked by the aggregate).
            Action::AssignWorker => &[Approver, Supervisor, SocialWorker],
            Action::TransferCase => &[SocialWorker, Approver, Supervisor],
            Action::RecordInitialAssessment
            | Action::ApplyUrgentMeasures
            | Action::RecordDetailedAssessment
            | Action::SubmitPlan
            | Action::RecordServiceDelivery
            | Action::RecordReview
            | Action::ProposeClosure
            | Action::CorrectFact => &[SocialWorker],
            Action::DecideSeparation | Action::DecidePlan | Action::DecideClosure => &[Approver],
            Action::RecordNeedsMeeting
            | Action::RecordCourtAction
            | Action::RequestHotlineSupport
            | Action::LinkChild => &[SocialWorker, Approver],
            Action::RecordReferral => &[HotlineOperator, SocialWorker],
            // Supervisors may leave audit remarks; they never edit case facts.
            Action::AddNote => &[HotlineOperator, SocialWorker, Approver, Supervisor],
            Action::ReadCase | Action::ListCases => {
                &[HotlineOperator, SocialWorker, Approver, Supervisor]
            }
            Action::ReadHistory
            | Action::ReadAccessLog
            | Action::ReadCaseAsOf
            | Action::ReadStatistics => &[Supervisor],
            Action::ReadCaseload | Action::ReadDeadlines => &[SocialWorker, Approver, Supervisor],
            Action::ManageUsers | Action::ManageUnits => &[Admin],
        }
    }

    pub fn allows(self, role: Role) -> bool {
        self.allowed_roles().contains(&role)
    }
}

/// Why an action was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccessDenied {
    /// The user may see the case (or no case is involved) but its roles do not allow the action: 403.
    #[error("your role does not allow this action")]
    RoleNotAllowed,
    /// The case lies outside every grant of the user: answered as if it did not exist (404).
    #[error("no such case in your jurisdiction")]
    OutOfJurisdiction,
}

/// Whether a grant reaches a case: the unit check, and for hotline operators authorship.
pub fn grant_reaches(grant: &Grant, actor: &Actor, case: &CaseScope<'_>) -> bool {
    match grant.role {
        Role::Admin => false,
        Role::HotlineOperator => {
            (case.received_by == actor.user_id || case.hotline_support)
                && case.acting_unit.is_within(&grant.unit)
        }
        Role::SocialWorker | Role::Approver | Role::Supervisor => {
            case.acting_unit.is_within(&grant.unit)
        }
    }
}

/// Authorizes `action` on a case. Returns the grant the actor acts under (recorded in the event
/// metadata). A case that no grant of the actor reaches is [`AccessDenied::OutOfJurisdiction`]
/// whatever the action, so its existence does not leak (admins reach no case at all); a case the
/// actor may see but not act on is [`AccessDenied::RoleNotAllowed`].
pub fn authorize_on_case<'a>(
    actor: &'a Actor,
    action: Action,
    case: &CaseScope<'_>,
) -> Result<&'a Grant, AccessDenied> {
    // Roles in the order the action lists them, so that a user holding several acts under the
    // most fitting one (an approver who is also a worker assigns as approver).
    for role in action.allowed_roles() {
        if let Some(grant) = actor
            .grants
            .iter()
            .find(|g| g.role == *role && grant_reaches(g, actor, case))
        {
            return Ok(grant);
        }
    }
    // The chair of the incident or residence commune decides a separation even when the case
    // acts elsewhere (ND56 art. 32(2)), and reads the case it decides on.
    if matches!(action, Action::DecideSeparation | Action::ReadCase) {
        if let Some(grant) = actor
            .grants
            .iter()
            .find(|g| g.role == Role::Approver && case.separation_units.contains(&Some(&g.unit)))
        {
            return Ok(grant);
        }
    }
    if actor.grants.iter().any(|g| grant_reaches(g, actor, case)) {
        Err(AccessDenied::RoleNotAllowed)
    } else {
        // Whatever the action, a case the user cannot see answers as if it did not exist.
        Err(AccessDenied::OutOfJurisdiction)
    }
}

/// Authorizes opening a case whose incident happened in `incident_unit`.
pub fn authorize_intake<'a>(
    actor: &'a Actor,
    incident_unit: &UnitPath,
) -> Result<&'a Grant, AccessDenied> {
    actor
        .grants
        .iter()
        .find(|g| Action::OpenCase.allows(g.role) && incident_unit.is_within(&g.unit))
        .ok_or(AccessDenied::RoleNotAllowed)
}

/// Authorizes an action that involves no single case (lists, boards, statistics, administration),
/// scoped to `unit` when one is asked for. Returns the grants the actor may use for it.
pub fn authorize_scoped(actor: &Actor, action: Action) -> Result<Vec<&Grant>, AccessDenied> {
    let grants: Vec<_> = actor
        .grants
        .iter()
        .filter(|g| action.allows(g.role))
        .collect();
    if grants.is_empty() {
        Err(AccessDenied::RoleNotAllowed)
    } else {
        Ok(grants)
    }
}

/// The field classes of procedure.md §6 a reader may see on a case it can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldAccess {
    /// The reporter's identity: the intake officer who took the report, and supervisors.
    pub reporter: bool,
    /// The child's private information: every role with the case in its jurisdiction.
    pub child: bool,
}

/// What `actor` acting under `grant` may see of a case it has been authorized to read.
pub fn field_access(actor: &Actor, grant: &Grant, case: &CaseScope<'_>) -> FieldAccess {
    let took_the_report = case.received_by == actor.user_id;
    let supervisor = actor
        .grants
        .iter()
        .any(|g| g.role == Role::Supervisor && grant_reaches(g, actor, case));
    FieldAccess {
        reporter: took_the_report || supervisor,
        child: grant.role != Role::Admin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(code: &str) -> UnitCode {
        UnitCode::parse(code).unwrap()
    }

    fn actor(grants: &[(Role, &str)]) -> Actor {
        Actor::new(
            Uuid::now_v7(),
            grants
                .iter()
                .map(|(role, u)| Grant {
                    role: *role,
                    unit: unit(u),
                })
                .collect(),
        )
    }

    fn path() -> UnitPath {
        UnitPath::from_codes(&["VN", "12", "03388"]).unwrap()
    }

    #[test]
    fn a_worker_acts_in_its_commune_and_is_told_nothing_elsewhere() {
        let worker = actor(&[(Role::SocialWorker, "03388")]);
        let here = path();
        let scope = CaseScope {
            acting_unit: &here,
            received_by: Uuid::now_v7(),
            hotline_support: false,
            separation_units: [None, None],
        };
        assert!(authorize_on_case(&worker, Action::SubmitPlan, &scope).is_ok());
        assert_eq!(
            authorize_on_case(&worker, Action::DecidePlan, &scope),
            Err(AccessDenied::RoleNotAllowed)
        );
        let elsewhere = UnitPath::from_codes(&["VN", "12", "03390"]).unwrap();
        let scope = CaseScope {
            acting_unit: &elsewhere,
            received_by: Uuid::now_v7(),
            hotline_support: false,
            separation_units: [None, None],
        };
        assert_eq!(
            authorize_on_case(&worker, Action::SubmitPlan, &scope),
            Err(AccessDenied::OutOfJurisdiction)
        );
        assert_eq!(
            authorize_on_case(&worker, Action::DecidePlan, &scope),
            Err(AccessDenied::OutOfJurisdiction)
        );
    }

    #[test]
    fn a_province_supervisor_reaches_every_commune_of_the_province() {
        let supervisor = actor(&[(Role::Supervisor, "12")]);
        let here = path();
        let scope = CaseScope {
            acting_unit: &here,
            received_by: Uuid::now_v7(),
            hotline_support: false,
            separation_units: [None, None],
        };
        assert!(authorize_on_case(&supervisor, Action::ReadHistory, &scope).is_ok());
        assert_eq!(
            authorize_on_case(&supervisor, Action::SubmitPlan, &scope),
            Err(AccessDenied::RoleNotAllowed)
        );
    }

    #[test]
    fn a_hotline_operator_reaches_only_the_cases_it_opened() {
        let operator = actor(&[(Role::HotlineOperator, "VN")]);
        let here = path();
        let own = CaseScope {
            acting_unit: &here,
            received_by: operator.user_id,
            hotline_support: false,
            separation_units: [None, None],
        };
        let other = CaseScope {
            acting_unit: &here,
            received_by: Uuid::now_v7(),
            hotline_support: false,
            separation_units: [None, None],
        };
        assert!(authorize_on_case(&operator, Action::ReadCase, &own).is_ok());
        assert!(authorize_on_case(&operator, Action::AddNote, &own).is_ok());
        assert_eq!(
            authorize_on_case(&operator, Action::SubmitPlan, &own),
            Err(AccessDenied::RoleNotAllowed)
        );
        assert_eq!(
            authorize_on_case(&operator, Action::ReadCase, &other),
            Err(AccessDenied::OutOfJurisdiction)
        );
        assert!(authorize_intake(&operator, &here).is_ok());
    }

    #[test]
    fn an_admin_never_reaches_case_content() {
        let admin = actor(&[(Role::Admin, "VN")]);
        let here = path();
        let scope = CaseScope {
            acting_unit: &here,
            received_by: admin.user_id,
            hotline_support: false,
            separation_units: [None, None],
        };
        assert_eq!(
            authorize_on_case(&admin, Action::ReadCase, &scope),
            Err(AccessDenied::OutOfJurisdiction)
        );
        assert!(authorize_intake(&admin, &here).is_err());
        assert!(authorize_scoped(&admin, Action::ListCases).is_err());
        assert!(authorize_scoped(&admin, Action::ManageUsers).is_ok());
    }

    #[test]
    fn the_reporter_is_visible_to_its_intake_officer_and_supervisors_only() {
        let operator = actor(&[(Role::HotlineOperator, "VN")]);
        let worker = actor(&[(Role::SocialWorker, "03388")]);
        let supervisor = actor(&[(Role::Supervisor, "12")]);
        let here = path();
        let scope = CaseScope {
            acting_unit: &here,
            received_by: operator.user_id,
            hotline_support: false,
            separation_units: [None, None],
        };
        let access = |a: &Actor| field_access(a, &a.grants[0], &scope);
        assert!(access(&operator).reporter);
        assert!(!access(&worker).reporter);
        assert!(access(&worker).child);
        assert!(access(&supervisor).reporter);
    }

    #[test]
    fn a_social_worker_opens_cases_only_in_its_commune() {
        let worker = actor(&[(Role::SocialWorker, "03388")]);
        assert!(authorize_intake(&worker, &path()).is_ok());
        let elsewhere = UnitPath::from_codes(&["VN", "12", "03390"]).unwrap();
        assert!(authorize_intake(&worker, &elsewhere).is_err());
    }

    #[test]
    fn a_hotline_operator_reaches_a_case_it_was_asked_to_support() {
        let operator = actor(&[(Role::HotlineOperator, "VN")]);
        let here = path();
        let supported = CaseScope {
            acting_unit: &here,
            received_by: Uuid::now_v7(),
            hotline_support: true,
            separation_units: [None, None],
        };
        assert!(authorize_on_case(&operator, Action::ReadCase, &supported).is_ok());
        assert!(authorize_on_case(&operator, Action::AddNote, &supported).is_ok());
        assert!(authorize_on_case(&operator, Action::RecordReferral, &supported).is_ok());
        assert_eq!(
            authorize_on_case(&operator, Action::SubmitPlan, &supported),
            Err(AccessDenied::RoleNotAllowed)
        );
    }

    #[test]
    fn the_residence_chair_decides_a_separation_of_a_case_acting_elsewhere() {
        // ND56 art. 32(2): the chair of the residence or of the incident commune decides.
        let residence_chair = actor(&[(Role::Approver, "03390")]);
        let here = path();
        let residence = unit("03390");
        let scope = CaseScope {
            acting_unit: &here,
            received_by: Uuid::now_v7(),
            hotline_support: false,
            separation_units: [Some(&residence), None],
        };
        assert!(authorize_on_case(&residence_chair, Action::DecideSeparation, &scope).is_ok());
        assert!(authorize_on_case(&residence_chair, Action::ReadCase, &scope).is_ok());
        assert_eq!(
            authorize_on_case(&residence_chair, Action::DecidePlan, &scope),
            Err(AccessDenied::OutOfJurisdiction)
        );
    }
}
