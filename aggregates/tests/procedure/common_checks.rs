//! The checks every command goes through, in this order: the case exists, the actor reaches it
//! (jurisdiction) and its role may take the step, the client's `If-Match` is current, the case is
//! not closed; then the step's own rules, where business time may neither lie more than 5
//! minutes in the future nor before the step it follows.

use crate::support::*;
use aggregates::case::*;
use aggregates::codes::*;
use aggregates::policy::{Actor, Grant};
use uuid::Uuid;

/// Every `CaseAction`, by name (`action_name` is an exhaustive match, so a new command fails to
/// compile there until it is named here and given a place in `every_action`).
const ALL_ACTIONS: &[&str] = &[
    "report",
    "attach_report",
    "assign_worker",
    "transfer",
    "record_initial_assessment",
    "apply_urgent_measures",
    "decide_separation",
    "extend_separation",
    "end_separation",
    "record_detailed_assessment",
    "record_needs_meeting",
    "submit_plan",
    "decide_plan",
    "record_service_delivery",
    "record_referral",
    "file_court_petition",
    "record_court_order",
    "record_review",
    "propose_closure",
    "decide_closure",
    "add_note",
    "correct_fact",
    "request_hotline_support",
    "withdraw_hotline_support",
    "link_child",
    "unlink_child",
    "distinguish_child",
];

/// Who may take each step (procedure.md §1), written out here rather than read from the policy
/// module, so that the policy is checked against the procedure.
fn who_may(action: &str) -> &'static [Role] {
    use Role::*;
    match action {
        "assign_worker" => &[SocialWorker, Approver, Supervisor],
        "transfer" => &[SocialWorker, Approver, Supervisor],
        "record_initial_assessment"
        | "apply_urgent_measures"
        | "record_detailed_assessment"
        | "submit_plan"
        | "record_service_delivery"
        | "record_review"
        | "propose_closure"
        | "correct_fact" => &[SocialWorker],
        "decide_separation" | "extend_separation" | "end_separation" | "decide_plan"
        | "decide_closure" => &[Approver],
        // ND56 art. 31(3): the worker or the chair asks the hotline for support.
        "record_needs_meeting"
        | "file_court_petition"
        | "record_court_order"
        | "request_hotline_support"
        | "withdraw_hotline_support"
        | "link_child"
        | "unlink_child"
        | "distinguish_child" => &[SocialWorker, Approver],
        "record_referral" => &[HotlineOperator, SocialWorker],
        "add_note" => &[HotlineOperator, SocialWorker, Approver, Supervisor],
        other => panic!("no row for {other}"),
    }
}

fn person(role: Role) -> Actor {
    match role {
        Role::HotlineOperator => operator(),
        Role::SocialWorker => worker(),
        Role::Approver => approver(),
        Role::Supervisor => supervisor(),
        Role::Admin => admin(),
    }
}

/// The same role, in another commune (or another province, for a supervisor).
fn elsewhere(role: Role) -> Actor {
    match role {
        Role::HotlineOperator => other_operator(),
        Role::SocialWorker => other_worker(),
        Role::Approver => other_approver(),
        Role::Supervisor => Actor::new(
            Uuid::from_u128(0x5000_0002),
            vec![Grant {
                role: Role::Supervisor,
                unit: unit("01"),
            }],
        ),
        Role::Admin => admin(),
    }
}

#[test]
fn every_command_has_a_row_in_these_checks() {
    let mut named: Vec<&str> = every_action()
        .iter()
        .map(|(name, _, action)| {
            assert_eq!(*name, action_name(action));
            *name
        })
        .collect();
    named.insert(0, action_name(&report(report_case())));
    // Attaching is intake, checked with intake in `identity.rs`.
    named.insert(1, action_name(&attach_at(received())));
    assert_eq!(named, ALL_ACTIONS);
}

#[tokio::test]
async fn a_command_on_a_case_that_does_not_exist_is_case_not_found() {
    for (name, actor, action) in every_action() {
        let result = given_no_case()
            .when_async(cmd(&actor, action))
            .await
            .inspect_result();
        assert_eq!(result, Err(CaseError::CaseNotFound), "{name}");
    }
    given_no_case()
        .when_async(cmd(&admin(), note("anything")))
        .await
        .then_expect_error(CaseError::CaseNotFound);
}

#[tokio::test]
async fn a_case_is_reported_only_once() {
    given(&reported())
        .when_async(cmd(&operator(), report(report_case())))
        .await
        .then_expect_error(CaseError::CaseAlreadyExists);
    given(&closed())
        .when_async(cmd(&worker(), report(report_case())))
        .await
        .then_expect_error(CaseError::CaseAlreadyExists);
}

#[tokio::test]
async fn a_case_outside_the_actors_jurisdiction_answers_as_if_it_did_not_exist() {
    let story = in_progress();
    for (name, actor, action) in every_action() {
        let role = actor.grants[0].role;
        let error = given(&story)
            .when_async(cmd(&elsewhere(role), action))
            .await
            .inspect_result()
            .expect_err(name);
        assert_eq!(error, CaseError::OutOfJurisdiction, "{name} by {role:?}");
        assert_eq!(
            error.code(),
            "case_not_found",
            "the existence does not leak"
        );
        assert_eq!(error.kind(), ErrorKind::NotFound);
    }
    // A supervisor of another province does not see the case either.
    given(&story)
        .when_async(cmd(&elsewhere(Role::Supervisor), note("Audit remark")))
        .await
        .then_expect_error(CaseError::OutOfJurisdiction);
}

#[tokio::test]
async fn an_admin_reaches_no_case_content() {
    let story = in_progress();
    for (name, _, action) in every_action() {
        let result = given(&story)
            .when_async(cmd(&admin(), action))
            .await
            .inspect_result();
        assert_eq!(result, Err(CaseError::OutOfJurisdiction), "{name}");
    }
}

#[tokio::test]
async fn a_hotline_operator_reaches_only_the_cases_it_opened() {
    given(&reported())
        .when_async(cmd(&other_operator(), note("Called back")))
        .await
        .then_expect_error(CaseError::OutOfJurisdiction);
    let result = given(&reported())
        .when_async(cmd(&operator(), note("Called back")))
        .await
        .inspect_result();
    assert!(result.is_ok());
}

#[tokio::test]
async fn each_step_is_taken_only_by_the_roles_the_procedure_gives_it() {
    // The operator opened the story's case, so every role below reaches it.
    let story = in_progress();
    let roles = [
        Role::HotlineOperator,
        Role::SocialWorker,
        Role::Approver,
        Role::Supervisor,
    ];
    for (name, _, action) in every_action() {
        for role in roles {
            let result = given(&story)
                .when_async(cmd(&person(role), action.clone()))
                .await
                .inspect_result();
            if who_may(name).contains(&role) {
                assert_ne!(
                    result,
                    Err(CaseError::RoleNotAllowed),
                    "{role:?} may {name}"
                );
            } else {
                assert_eq!(
                    result,
                    Err(CaseError::RoleNotAllowed),
                    "{role:?} may not {name}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_worker_deciding_a_plan_is_refused_as_forbidden() {
    let error = given(&awaiting_approval())
        .when_async(cmd(&worker(), approve(1, approved())))
        .await
        .inspect_result()
        .expect_err("a worker does not approve");
    assert_eq!(error, CaseError::RoleNotAllowed);
    assert_eq!(error.code(), "forbidden");
    assert_eq!(error.kind(), ErrorKind::Forbidden);
}

#[tokio::test]
async fn a_stale_if_match_is_refused_with_the_current_version() {
    let story = in_progress();
    let current = story.version();
    for (name, actor, action) in every_action() {
        let result = given(&story)
            .when_async(cmd_if(&actor, current - 1, action))
            .await
            .inspect_result();
        assert_eq!(
            result,
            Err(CaseError::VersionMismatch {
                expected: current - 1,
                actual: current
            }),
            "{name}"
        );
    }
    // The current version passes.
    given(&story)
        .when_async(cmd_if(&worker(), current, note("Seen")))
        .await
        .then_expect_events(vec![CaseEvent::NoteAdded(NoteAdded {
            written_at: now(),
            text: long("Seen"),
        })]);
}

#[tokio::test]
async fn a_closed_case_accepts_no_new_step() {
    let story = closed();
    for (name, actor, action) in every_action() {
        let error = given(&story)
            .when_async(cmd(&actor, action))
            .await
            .inspect_result()
            .expect_err(name);
        assert_eq!(error, CaseError::CaseClosed, "{name}");
        assert_eq!(error.code(), "case_closed");
    }
}

#[tokio::test]
async fn jurisdiction_comes_before_role_before_version_before_closure() {
    let story = closed();
    let stale = story.version() - 1;
    given(&story)
        .when_async(cmd_if(&other_worker(), stale, note("x")))
        .await
        .then_expect_error(CaseError::OutOfJurisdiction);
    given(&story)
        .when_async(cmd_if(&worker(), stale, approve(1, approved())))
        .await
        .then_expect_error(CaseError::RoleNotAllowed);
    given(&story)
        .when_async(cmd_if(&worker(), stale, note("x")))
        .await
        .then_expect_error(CaseError::VersionMismatch {
            expected: stale,
            actual: story.version(),
        });
    given(&story)
        .when_async(cmd_if(&worker(), story.version(), note("x")))
        .await
        .then_expect_error(CaseError::CaseClosed);
}

#[tokio::test]
async fn a_business_time_may_lie_at_most_5_minutes_ahead_of_the_server_clock() {
    // The worker's tablet runs 5 minutes fast: accepted. A second more: refused.
    let five_minutes_before = plus_minutes(assessed(), -5);
    let result = given(&reported())
        .when_async(cmd_at(
            &worker(),
            five_minutes_before,
            initial(InitialOutcome::SupportNeeded, assessed()),
        ))
        .await
        .inspect_result();
    assert!(result.is_ok());
    assert_eq!(CLOCK_SKEW, chrono::Duration::minutes(5));
    let error = given(&reported())
        .when_async(cmd_at(
            &worker(),
            five_minutes_before - chrono::Duration::seconds(1),
            initial(InitialOutcome::SupportNeeded, assessed()),
        ))
        .await
        .inspect_result()
        .expect_err("more than 5 minutes ahead");
    assert_eq!(
        error,
        CaseError::TimeInFuture {
            field: "assessed_at"
        }
    );
    assert_eq!(error.code(), "time_in_future");
    assert_eq!(error.field(), Some("assessed_at"));
}

#[tokio::test]
async fn a_business_time_may_not_precede_the_step_it_follows() {
    let error = given(&reported())
        .when_async(cmd(
            &worker(),
            initial(InitialOutcome::SupportNeeded, plus_minutes(received(), -1)),
        ))
        .await
        .inspect_result()
        .expect_err("before the report");
    assert_eq!(
        error,
        CaseError::TimeBeforeStep {
            field: "assessed_at",
            step: "report"
        }
    );
    assert_eq!(error.code(), "time_before_previous_step");
}

#[tokio::test]
async fn a_step_typed_in_late_keeps_its_business_time() {
    // The call was taken at 02:10 and typed in at 02:40: the report says 02:10.
    let taken = at("2026-03-02T02:10:00+07:00");
    let typed = at("2026-03-02T02:40:00+07:00");
    let events = given_no_case()
        .when_async(cmd_at(&operator(), typed, report_at(taken)))
        .await
        .inspect_result()
        .expect("accepted");
    match &events[0] {
        CaseEvent::CaseReported(r) => assert_eq!(r.received_at, taken),
        other => panic!("{other:?}"),
    }
    assert_eq!(events[0].occurred_at(), taken);
}
