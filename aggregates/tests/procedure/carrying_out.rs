//! Step 8, the plan carried out (ND56 art. 29): services delivered per item, referrals to
//! agencies or providers, a court petition when the parents are the abusers or refuse the plan
//! (LTE art. 52(3)), and the court's orders.

use crate::support::*;
use aggregates::case::*;
use aggregates::codes::*;
use uuid::Uuid;

#[tokio::test]
async fn a_service_completing_an_item_meets_the_items_clock() {
    given(&in_progress())
        .when_async(cmd(&worker(), service(ITEM_A, delivered(), true)))
        .await
        .then_expect_events(vec![
            CaseEvent::ServiceDelivered(ServiceDelivered {
                item_id: ITEM_A,
                delivered_at: delivered(),
                notes: Some(long("Counselling session")),
                completed: true,
            }),
            met(&format!("plan_item_end/{ITEM_A}"), delivered(), false),
        ]);
}

#[tokio::test]
async fn a_service_that_does_not_complete_the_item_leaves_its_clock_running() {
    given(&in_progress())
        .when_async(cmd(&worker(), service(ITEM_A, delivered(), false)))
        .await
        .then_expect_events(vec![CaseEvent::ServiceDelivered(ServiceDelivered {
            item_id: ITEM_A,
            delivered_at: delivered(),
            notes: Some(long("Counselling session")),
            completed: false,
        })]);
}

#[tokio::test]
async fn services_are_delivered_only_under_an_approved_plan() {
    given(&awaiting_approval())
        .when_async(cmd(&worker(), service(ITEM_A, delivered(), true)))
        .await
        .then_expect_error(CaseError::PlanNotApproved);
}

#[tokio::test]
async fn a_service_is_for_an_item_of_the_approved_plan() {
    given(&in_progress())
        .when_async(cmd(
            &worker(),
            service(Uuid::from_u128(0xDEAD), delivered(), true),
        ))
        .await
        .then_expect_error(CaseError::PlanItemUnknown);
}

#[tokio::test]
async fn a_completed_item_takes_no_more_services() {
    let story = in_progress().by(&worker(), service(ITEM_A, delivered(), true));
    given(&story)
        .when_async(cmd(
            &worker(),
            service(ITEM_A, at("2026-03-21T10:00:00+07:00"), false),
        ))
        .await
        .then_expect_error(CaseError::PlanItemCompleted);
}

#[tokio::test]
async fn a_service_follows_the_approval_and_does_not_lie_in_the_future() {
    given(&in_progress())
        .when_async(cmd(
            &worker(),
            service(ITEM_A, plus_minutes(approved(), -1), false),
        ))
        .await
        .then_expect_error(CaseError::TimeBeforeStep {
            field: "delivered_at",
            step: "plan approval",
        });
    given(&in_progress())
        .when_async(cmd(
            &worker(),
            service(ITEM_A, plus_minutes(now(), 6), false),
        ))
        .await
        .then_expect_error(CaseError::TimeInFuture {
            field: "delivered_at",
        });
}

#[tokio::test]
async fn the_worker_records_services_not_the_approver() {
    given(&in_progress())
        .when_async(cmd(&approver(), service(ITEM_A, delivered(), true)))
        .await
        .then_expect_error(CaseError::RoleNotAllowed);
}

#[tokio::test]
async fn a_service_after_the_items_end_date_meets_its_clock_late() {
    // Item A ends on 10 April: its clock runs to 24:00 that day.
    let late = at("2026-04-11T00:00:01+07:00");
    let events = given(&in_progress())
        .when_async(cmd(&worker(), service(ITEM_A, late, true)))
        .await
        .inspect_result()
        .expect("accepted");
    assert_eq!(
        met_ids(&events),
        [(format!("plan_item_end/{ITEM_A}"), true)]
    );
}

#[tokio::test]
async fn the_worker_refers_the_child_to_an_agency() {
    given(&assessment())
        .when_async(cmd(&worker(), referral(measured())))
        .await
        .then_expect_events(vec![CaseEvent::ReferralMade(ReferralMade {
            referred_at: measured(),
            to: short("District police"),
            to_kind: None,
            service_type: Some(ServiceType::Protection),
            notes: None,
        })]);
}

#[tokio::test]
async fn a_referral_to_the_police_carries_its_coded_kind() {
    // Referrals to police are an indicator of their own (procedure.md §7): the kind is a code,
    // the free-text `to` names the office.
    given(&assessment())
        .when_async(cmd(
            &worker(),
            referral_to(measured(), ReferralKind::Police),
        ))
        .await
        .then_expect_events(vec![CaseEvent::ReferralMade(ReferralMade {
            referred_at: measured(),
            to: short("District police"),
            to_kind: Some(ReferralKind::Police),
            service_type: Some(ServiceType::Protection),
            notes: None,
        })]);
}

#[test]
fn a_referral_recorded_before_the_kind_existed_still_reads() {
    let old = serde_json::json!({"ReferralMade": {"referred_at": "2026-06-16T02:00:00Z", "to": "Công an huyện"}});
    let event: CaseEvent = serde_json::from_value(old).unwrap();
    let CaseEvent::ReferralMade(r) = event else {
        panic!()
    };
    assert_eq!(r.to_kind, None);
}

#[tokio::test]
async fn the_hotline_operator_refers_the_cases_it_took() {
    // A crime is referred to the police at once (ND56 art. 25(3)); the case goes on in parallel.
    let result = given(&reported())
        .when_async(cmd(&operator(), referral(received())))
        .await
        .inspect_result();
    assert!(result.is_ok());
}

#[tokio::test]
async fn approvers_and_supervisors_do_not_record_referrals() {
    for actor in [approver(), supervisor()] {
        given(&assessment())
            .when_async(cmd(&actor, referral(measured())))
            .await
            .then_expect_error(CaseError::RoleNotAllowed);
    }
}

#[tokio::test]
async fn a_referral_follows_the_report_and_does_not_lie_in_the_future() {
    given(&reported())
        .when_async(cmd(&worker(), referral(plus_minutes(received(), -1))))
        .await
        .then_expect_error(CaseError::TimeBeforeStep {
            field: "referred_at",
            step: "report",
        });
    given(&reported())
        .when_async(cmd(&worker(), referral(plus_minutes(now(), 6))))
        .await
        .then_expect_error(CaseError::TimeInFuture {
            field: "referred_at",
        });
}

#[tokio::test]
async fn the_worker_or_the_approver_petitions_the_court() {
    given(&in_progress())
        .when_async(cmd(&worker(), petition(delivered())))
        .await
        .then_expect_events(vec![CaseEvent::CourtPetitionFiled(CourtPetitionFiled {
            filed_at: delivered(),
            court: short("Tòa án nhân dân khu vực"),
            ground: CourtPetitionGround::ParentsAreAbusers,
            notes: None,
        })]);
    let result = given(&in_progress())
        .when_async(cmd(&approver(), petition(delivered())))
        .await
        .inspect_result();
    assert!(result.is_ok());
}

#[tokio::test]
async fn the_hotline_operator_does_not_petition_the_court() {
    given(&in_progress())
        .when_async(cmd(&operator(), petition(delivered())))
        .await
        .then_expect_error(CaseError::RoleNotAllowed);
}

#[tokio::test]
async fn a_petition_follows_the_report_and_does_not_lie_in_the_future() {
    given(&reported())
        .when_async(cmd(&worker(), petition(plus_minutes(received(), -1))))
        .await
        .then_expect_error(CaseError::TimeBeforeStep {
            field: "filed_at",
            step: "report",
        });
    given(&reported())
        .when_async(cmd(&worker(), petition(plus_minutes(now(), 6))))
        .await
        .then_expect_error(CaseError::TimeInFuture { field: "filed_at" });
}

#[tokio::test]
async fn a_court_order_is_recorded_without_touching_any_clock() {
    given(&in_progress())
        .when_async(cmd(&approver(), court_order(delivered(), None)))
        .await
        .then_expect_events(vec![CaseEvent::CourtOrderRecorded(CourtOrderRecorded {
            ordered_at: delivered(),
            court_order_ref: short("12/2026/QĐ-TA"),
            separation_until: None,
            notes: None,
        })]);
}

#[tokio::test]
async fn a_court_order_continues_only_a_separation_in_force() {
    given(&in_progress())
        .when_async(cmd(
            &approver(),
            court_order(delivered(), Some(at("2026-04-20T10:00:00+07:00"))),
        ))
        .await
        .then_expect_error(CaseError::NoActiveSeparation);
}

#[tokio::test]
async fn a_court_ordered_separation_ends_after_the_order() {
    let ordered = at("2026-03-10T10:00:00+07:00");
    given(&separated_story())
        .when_async(cmd(&approver(), court_order(ordered, Some(ordered))))
        .await
        .then_expect_error(CaseError::SeparationUntilInvalid);
}

#[tokio::test]
async fn an_order_continuing_a_separation_does_not_predate_the_separation() {
    given(&separated_story())
        .when_async(cmd(
            &approver(),
            court_order(
                plus_minutes(separated(), -30),
                Some(at("2026-04-20T10:00:00+07:00")),
            ),
        ))
        .await
        .then_expect_error(CaseError::TimeBeforeStep {
            field: "ordered_at",
            step: "separation decision",
        });
}

#[tokio::test]
async fn a_court_order_follows_the_report_and_does_not_lie_in_the_future() {
    given(&reported())
        .when_async(cmd(
            &approver(),
            court_order(plus_minutes(received(), -1), None),
        ))
        .await
        .then_expect_error(CaseError::TimeBeforeStep {
            field: "ordered_at",
            step: "report",
        });
    given(&reported())
        .when_async(cmd(&approver(), court_order(plus_minutes(now(), 6), None)))
        .await
        .then_expect_error(CaseError::TimeInFuture {
            field: "ordered_at",
        });
}

#[tokio::test]
async fn supervisors_do_not_record_court_actions() {
    given(&in_progress())
        .when_async(cmd(&supervisor(), court_order(delivered(), None)))
        .await
        .then_expect_error(CaseError::RoleNotAllowed);
}
