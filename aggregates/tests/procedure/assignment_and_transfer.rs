//! Any time while open: assign or reassign the responsible worker, and transfer the case to the
//! commune where the child lives (LTE art. 52(2)).

use crate::support::*;
use aggregates::case::*;
use aggregates::codes::*;

#[tokio::test]
async fn the_approver_assigns_a_worker_of_the_commune() {
    given(&reported())
        .when_async(cmd(&approver(), assign(&worker())))
        .await
        .then_expect_events(vec![CaseEvent::WorkerAssigned(WorkerAssigned {
            worker_id: worker().user_id,
            assigned_at: now(),
        })]);
}

#[tokio::test]
async fn a_supervisor_reassigns_the_case() {
    let story = reported().by(&approver(), assign(&worker()));
    given(&story)
        .when_async(cmd(&supervisor(), assign(&second_worker())))
        .await
        .then_expect_events(vec![CaseEvent::WorkerAssigned(WorkerAssigned {
            worker_id: second_worker().user_id,
            assigned_at: now(),
        })]);
}

#[tokio::test]
async fn a_worker_takes_an_unassigned_case_for_itself() {
    given(&reported())
        .when_async(cmd(&worker(), assign(&worker())))
        .await
        .then_expect_events(vec![CaseEvent::WorkerAssigned(WorkerAssigned {
            worker_id: worker().user_id,
            assigned_at: now(),
        })]);
}

#[tokio::test]
async fn a_worker_does_not_assign_someone_else() {
    given(&reported())
        .when_async(cmd(&worker(), assign(&second_worker())))
        .await
        .then_expect_error(CaseError::MayOnlyTakeUnassignedCase);
}

#[tokio::test]
async fn a_worker_does_not_take_a_case_already_assigned() {
    let story = reported().by(&approver(), assign(&worker()));
    given(&story)
        .when_async(cmd(&second_worker(), assign(&second_worker())))
        .await
        .then_expect_error(CaseError::MayOnlyTakeUnassignedCase);
}

#[tokio::test]
async fn the_assigned_worker_is_a_social_worker_of_the_cases_commune() {
    given(&reported())
        .when_async(cmd(&approver(), assign(&other_worker())))
        .await
        .then_expect_error(CaseError::WorkerNotEligible);
    // The approver is not a social worker: it holds no unit for the role.
    given(&reported())
        .when_async(cmd(&approver(), assign(&approver())))
        .await
        .then_expect_error(CaseError::WorkerNotEligible);
}

#[tokio::test]
async fn assigning_the_worker_already_assigned_is_refused() {
    let story = reported().by(&approver(), assign(&worker()));
    given(&story)
        .when_async(cmd(&approver(), assign(&worker())))
        .await
        .then_expect_error(CaseError::AlreadyAssigned);
}

#[tokio::test]
async fn a_hotline_operator_does_not_assign_workers() {
    given(&reported())
        .when_async(cmd(&operator(), assign(&worker())))
        .await
        .then_expect_error(CaseError::RoleNotAllowed);
}

#[tokio::test]
async fn the_case_is_transferred_to_the_commune_where_the_child_lives() {
    given(&assessment())
        .when_async(cmd(&approver(), transfer(other_commune())))
        .await
        .then_expect_events(vec![CaseEvent::CaseTransferred(CaseTransferred {
            transferred_at: now(),
            from_unit: commune(),
            to_unit: other_commune(),
            reason: long("The child lives in the other commune (LTE art. 52(2))"),
        })]);
}

#[tokio::test]
async fn a_worker_transfers_its_case_too() {
    let result = given(&assessment())
        .when_async(cmd(&worker(), transfer(other_commune())))
        .await
        .inspect_result();
    assert!(result.is_ok());
}

#[tokio::test]
async fn after_a_transfer_the_receiving_commune_acts_and_assigns_its_own_worker() {
    let story = assessment()
        .by(&approver(), assign(&worker()))
        .by(&approver(), transfer(other_commune()));
    assert_eq!(story.case.acting_unit, Some(other_commune()));
    assert_eq!(story.case.assigned_to, None);
    given(&story)
        .when_async(cmd(&worker(), detailed(detailed_at())))
        .await
        .then_expect_error(CaseError::OutOfJurisdiction);
    let result = given(&story)
        .when_async(cmd(&other_worker(), detailed(detailed_at())))
        .await
        .inspect_result();
    assert!(result.is_ok());
    let result = given(&story)
        .when_async(cmd(&other_approver(), assign(&other_worker())))
        .await
        .inspect_result();
    assert!(result.is_ok());
}

#[tokio::test]
async fn a_case_is_not_transferred_to_the_whole_country() {
    given(&reported())
        .when_async(cmd(&approver(), transfer(country())))
        .await
        .then_expect_error(CaseError::UnitIsRoot { field: "to_unit" });
}

#[tokio::test]
async fn a_case_is_not_transferred_to_the_commune_it_is_in() {
    given(&reported())
        .when_async(cmd(&approver(), transfer(commune())))
        .await
        .then_expect_error(CaseError::TransferToSameUnit);
}

#[tokio::test]
async fn a_hotline_operator_does_not_transfer_cases() {
    given(&reported())
        .when_async(cmd(&operator(), transfer(other_commune())))
        .await
        .then_expect_error(CaseError::RoleNotAllowed);
}

#[test]
fn the_acting_commune_is_recorded_with_every_transfer() {
    let story = reported()
        .by(&approver(), transfer(other_commune()))
        .by(&other_approver(), transfer(commune()));
    assert_eq!(story.case.transfers.len(), 2);
    assert_eq!(story.case.transfers[1].fact.from_unit, other_commune());
    assert_eq!(story.case.acting_unit, Some(commune()));
    assert_eq!(story.case.status, CaseStatus::Reported);
}
