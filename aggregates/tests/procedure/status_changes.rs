//! The case's status as events: a step that moves the case to another status is followed, at
//! once and before the clocks it starts or stops, by one `CaseStatusChanged` naming the status
//! before and after it, at the step's business time. A step that leaves the status as it was
//! records none, and neither does the report that opens the case. Views follow the status from
//! these events without a copy of the procedure's rules.

use crate::support::*;
use aggregates::case::*;
use aggregates::codes::*;
use aggregates::policy::Actor;

/// Decides a command on a story and checks its status changes: exactly `expected`, each right
/// after the step that made it (the event before it is not derived), at that step's time.
fn assert_changes(
    story: &Story,
    actor: &Actor,
    action: CaseAction,
    expected: &[(CaseStatus, CaseStatus)],
) -> Vec<CaseEvent> {
    let what = format!("{action:?}");
    let events = story
        .decide(cmd(actor, action))
        .unwrap_or_else(|e| panic!("refused ({}): {what}", e.code()));
    assert_eq!(status_changes(&events), expected, "{what}: {events:#?}");
    for (i, event) in events.iter().enumerate() {
        if let CaseEvent::CaseStatusChanged(c) = event {
            assert!(i > 0, "{what}: a change opens the decision");
            let step = &events[i - 1];
            assert!(
                !step.is_derived(),
                "{what}: the change at {i} follows {}, not a step",
                step.kind()
            );
            assert_eq!(c.changed_at, step.occurred_at(), "{what}: changed_at");
        }
    }
    events
}

#[test]
fn every_step_of_the_main_story_that_moves_the_status_records_one_change() {
    use CaseStatus::*;
    let table: Vec<(Story, Actor, CaseAction, CaseStatus, CaseStatus)> = vec![
        (
            reported(),
            worker(),
            initial(InitialOutcome::Emergency, assessed()),
            Reported,
            Emergency,
        ),
        (
            reported(),
            worker(),
            initial(InitialOutcome::SupportNeeded, assessed()),
            Reported,
            Assessment,
        ),
        (
            emergency(),
            worker(),
            urgent(measured()),
            Emergency,
            Assessment,
        ),
        (
            emergency(),
            approver(),
            separation(separated(), at("2026-03-13T17:00:00+07:00")),
            Emergency,
            Assessment,
        ),
        (
            assessment(),
            worker(),
            detailed(detailed_at()),
            Assessment,
            Planning,
        ),
        (
            planning(),
            worker(),
            plan(submitted(), story_items()),
            Planning,
            AwaitingApproval,
        ),
        (
            awaiting_approval(),
            approver(),
            approve(1, approved()),
            AwaitingApproval,
            InProgress,
        ),
        (
            awaiting_approval(),
            approver(),
            return_plan(1, approved()),
            AwaitingApproval,
            Planning,
        ),
        (
            in_progress(),
            worker(),
            plan(
                at("2026-03-12T10:00:00+07:00"),
                vec![item(ITEM_C, "2026-03-12", "2026-05-15")],
            ),
            InProgress,
            AwaitingApproval,
        ),
        (
            in_progress(),
            worker(),
            review(ReviewOutcome::Continue, reviewed()),
            InProgress,
            Planning,
        ),
        (
            assessment(),
            worker(),
            propose(ClosureReason::Duplicate, detailed_at()),
            Assessment,
            ClosureProposed,
        ),
        (
            closure_proposed(),
            approver(),
            close(closed_at()),
            ClosureProposed,
            Closed,
        ),
        (
            closure_proposed(),
            approver(),
            reject_closure(closed_at()),
            ClosureProposed,
            // A rejected `close` review returns to planning [policy].
            Planning,
        ),
    ];
    for (story, actor, action, from, to) in table {
        assert_eq!(story.case.status, from);
        let events = assert_changes(&story, &actor, action, &[(from, to)]);
        // Right after the step, before its clocks.
        assert!(matches!(events[1], CaseEvent::CaseStatusChanged(_)));
        assert!(events[2..].iter().all(CaseEvent::is_deadline));
        // The change names where the case really went.
        let mut after = story.case.clone();
        for event in &events[..1] {
            cqrs_es::Aggregate::apply(&mut after, event.clone());
        }
        assert_eq!(after.status, to, "{events:#?}");
    }
}

#[test]
fn steps_that_leave_the_status_as_it_was_record_no_change() {
    let separated_in_assessment = separated_story();
    let cases: Vec<(Story, Actor, CaseAction)> = vec![
        (assessment(), worker(), note("Called the school")),
        (reported(), operator(), referral(received())),
        (assessment(), worker(), referral(detailed_at())),
        (reported(), approver(), assign(&worker())),
        (in_progress(), supervisor(), assign(&second_worker())),
        (reported(), approver(), transfer(other_commune())),
        (planning(), approver(), meeting(submitted())),
        (assessment(), approver(), meeting(met_at())),
        (in_progress(), worker(), service(ITEM_A, delivered(), true)),
        (in_progress(), worker(), service(ITEM_B, delivered(), false)),
        (in_progress(), worker(), petition(delivered())),
        (in_progress(), approver(), court_order(delivered(), None)),
        (
            separated_in_assessment.clone(),
            approver(),
            extend(at("2026-03-16T17:00:00+07:00")),
        ),
        (
            separated_in_assessment,
            approver(),
            end_separation(
                at("2026-03-10T10:00:00+07:00"),
                SeparationEndReason::ReturnedHome,
            ),
        ),
        (
            reported(),
            worker(),
            correct(1, "child.full_name", serde_json::json!("Lò Thị Mây")),
        ),
        // Later urgent measures, a later separation and a later detailed assessment keep the
        // case where it is.
        (
            assessment(),
            worker(),
            urgent_with(vec![UrgentMeasure::SafeShelter], detailed_at()),
        ),
        (
            in_progress(),
            approver(),
            separation(delivered(), at("2026-03-30T10:00:00+07:00")),
        ),
        (in_progress(), worker(), detailed(delivered())),
    ];
    for (story, actor, action) in cases {
        let status = story.case.status;
        let events = assert_changes(&story, &actor, action, &[]);
        let after = story.case.clone();
        let after = events.iter().fold(after, |mut case, e| {
            cqrs_es::Aggregate::apply(&mut case, e.clone());
            case
        });
        assert_eq!(after.status, status, "{events:#?}");
    }
}

/// A returned adjustment leaves the approved plan in force: the case goes back from
/// `awaiting_approval` to `in_progress`, not to `planning`.
#[test]
fn a_returned_adjustment_moves_the_case_back_to_the_plan_in_force() {
    let story = in_progress().by(
        &worker(),
        plan(
            at("2026-03-12T10:00:00+07:00"),
            vec![item(ITEM_C, "2026-03-12", "2026-05-15")],
        ),
    );
    assert_changes(
        &story,
        &approver(),
        return_plan(2, at("2026-03-13T10:00:00+07:00")),
        &[(CaseStatus::AwaitingApproval, CaseStatus::InProgress)],
    );
}

#[tokio::test]
async fn the_report_opens_the_case_without_a_status_change() {
    let events = given_no_case()
        .when_async(cmd(&operator(), report(report_case())))
        .await
        .inspect_result()
        .expect("accepted");
    assert!(status_changes(&events).is_empty(), "{events:#?}");
    assert_eq!(reported().case.status, CaseStatus::Reported);
}

#[tokio::test]
async fn closing_the_case_records_closure_proposed_to_closed() {
    // From a review's proposal and from an unfounded report's.
    let unfounded = reported().by(&worker(), initial(InitialOutcome::NoConcern, assessed()));
    let decided = at("2026-03-03T10:00:00+07:00");
    for (story, decided_at) in [(closure_proposed(), closed_at()), (unfounded, decided)] {
        let events = given(&story)
            .when_async(cmd(&approver(), close(decided_at)))
            .await
            .inspect_result()
            .expect("accepted");
        assert!(matches!(events[0], CaseEvent::CaseClosed(_)));
        assert_eq!(
            events[1],
            status_changed(decided_at, CaseStatus::ClosureProposed, CaseStatus::Closed)
        );
        assert_eq!(status_changes(&events).len(), 1);
    }
}

#[test]
fn a_rejected_closure_records_the_change_back_to_the_status_before_the_proposal() {
    use CaseStatus::*;
    let rejected = at("2026-03-13T10:00:00+07:00");
    let cases = [
        (
            reported().by(&worker(), propose(ClosureReason::Duplicate, received())),
            Reported,
        ),
        (
            emergency().by(&worker(), propose(ClosureReason::Duplicate, assessed())),
            Emergency,
        ),
        (
            assessment().by(&worker(), propose(ClosureReason::Duplicate, measured())),
            Assessment,
        ),
        (
            planning().by(&worker(), propose(ClosureReason::Duplicate, met_at())),
            Planning,
        ),
        (
            awaiting_approval().by(&worker(), propose(ClosureReason::Duplicate, submitted())),
            AwaitingApproval,
        ),
        (
            in_progress().by(&worker(), propose(ClosureReason::Duplicate, approved())),
            InProgress,
        ),
    ];
    for (story, before) in cases {
        assert_eq!(story.case.status, ClosureProposed);
        let events = assert_changes(
            &story,
            &approver(),
            reject_closure(rejected),
            &[(ClosureProposed, before)],
        );
        assert!(matches!(events[0], CaseEvent::ClosureRejected(_)));
        assert_eq!(events[1], status_changed(rejected, ClosureProposed, before));
    }
}

/// While a proposal awaits the approver the case shows `closure_proposed`: steps recorded
/// meanwhile move where the case will return to, not what it shows, and record no change; the
/// rejection then names the status those steps reached.
#[test]
fn steps_recorded_while_closure_is_pending_show_in_the_change_the_rejection_records() {
    use CaseStatus::*;
    let mut story = reported().by(
        &worker(),
        propose(ClosureReason::Duplicate, at("2026-03-02T10:00:00+07:00")),
    );
    let events = story.run(cmd(
        &worker(),
        initial(InitialOutcome::Emergency, assessed()),
    ));
    assert!(status_changes(&events).is_empty(), "{events:#?}");
    let events = story.run(cmd(&worker(), urgent(measured())));
    assert!(status_changes(&events).is_empty(), "{events:#?}");
    assert_eq!(story.case.status, ClosureProposed);
    let rejected = at("2026-03-02T18:00:00+07:00");
    let events = story.run(cmd(&approver(), reject_closure(rejected)));
    assert_eq!(status_changes(&events), [(ClosureProposed, Assessment)]);
    assert_eq!(
        events[1],
        status_changed(rejected, ClosureProposed, Assessment)
    );
    assert_eq!(story.case.status, Assessment);
}

#[test]
fn a_decision_with_two_steps_records_a_change_after_each_that_moves_the_status() {
    use CaseStatus::*;
    // No concern: the assessment moves the case to assessment, its closure proposal then to
    // closure_proposed; each change right after its own step.
    let events = reported()
        .decide(cmd(
            &worker(),
            initial(InitialOutcome::NoConcern, assessed()),
        ))
        .expect("accepted");
    let kinds: Vec<_> = events.iter().map(CaseEvent::kind).collect();
    assert_eq!(
        kinds,
        [
            "InitialAssessmentRecorded",
            "CaseStatusChanged",
            "DeadlineMet",
            "ClosureProposed",
            "CaseStatusChanged",
            "DeadlineStarted",
        ]
    );
    assert_eq!(
        status_changes(&events),
        [(Reported, Assessment), (Assessment, ClosureProposed)]
    );
    // A review finding the child safe: the review itself leaves the case in progress, its
    // proposal moves it.
    let served = in_progress().by(&worker(), service(ITEM_A, delivered(), true));
    let events = served
        .decide(cmd(&worker(), review(ReviewOutcome::Close, reviewed())))
        .expect("accepted");
    let kinds: Vec<_> = events.iter().map(CaseEvent::kind).collect();
    assert_eq!(
        kinds,
        [
            "ReviewRecorded",
            "DeadlineMet",
            "ClosureProposed",
            "CaseStatusChanged",
            "DeadlineStarted",
        ]
    );
    assert_eq!(status_changes(&events), [(InProgress, ClosureProposed)]);
}

#[test]
fn a_change_carries_the_steps_business_time_not_the_servers_clock() {
    // The police stopped the act at 10:00; the measures are typed in at noon on 1 June.
    let on_the_spot = at("2026-03-02T10:00:00+07:00");
    let events = emergency()
        .decide(cmd(&worker(), urgent(on_the_spot)))
        .expect("accepted");
    assert_ne!(on_the_spot, now());
    assert_eq!(
        events[1],
        status_changed(on_the_spot, CaseStatus::Emergency, CaseStatus::Assessment)
    );
}

/// What a view sees that follows only the report and the status changes.
fn followed_status(events: &[CaseEvent]) -> Vec<CaseStatus> {
    let mut seen: Vec<CaseStatus> = Vec::new();
    for event in events {
        match event {
            CaseEvent::CaseReported(_) => seen.push(CaseStatus::Reported),
            CaseEvent::CaseStatusChanged(c) => {
                assert_eq!(
                    seen.last(),
                    Some(&c.from),
                    "a change starts where the view is"
                );
                seen.push(c.to);
            }
            _ => {}
        }
    }
    seen
}

#[test]
fn a_view_following_the_status_changes_walks_the_whole_procedure() {
    use CaseStatus::*;
    let story = closed();
    assert_eq!(
        followed_status(&story.events),
        [
            Reported,
            Emergency,
            Assessment,
            Planning,
            AwaitingApproval,
            InProgress,
            ClosureProposed,
            Closed,
        ]
    );
    // And a detour: a returned plan, a rejected closure, a new plan cycle.
    let story = awaiting_approval()
        .by(&approver(), return_plan(1, approved()))
        .by(
            &worker(),
            plan(at("2026-03-10T10:00:00+07:00"), story_items()),
        )
        .by(&approver(), approve(2, at("2026-03-11T10:00:00+07:00")))
        .by(&worker(), propose(ClosureReason::Other, delivered()))
        .by(&approver(), reject_closure(at("2026-03-23T10:00:00+07:00")))
        .by(&worker(), review(ReviewOutcome::Continue, reviewed()));
    let seen = followed_status(&story.events);
    assert_eq!(
        seen[4..],
        [
            AwaitingApproval,
            Planning,
            AwaitingApproval,
            InProgress,
            ClosureProposed,
            InProgress,
            Planning,
        ]
    );
    assert_eq!(seen.last(), Some(&story.case.status));
}

#[test]
fn a_status_change_is_stored_with_the_codes_of_the_statuses() {
    let event = status_changed(
        at("2026-03-04T10:00:00+07:00"),
        CaseStatus::Assessment,
        CaseStatus::Planning,
    );
    assert_eq!(event.kind(), "CaseStatusChanged");
    assert!(event.is_derived());
    assert!(!event.is_deadline());
    let stored = serde_json::to_value(&event).expect("serializes");
    assert_eq!(
        stored,
        serde_json::json!({
            "CaseStatusChanged": {
                "changed_at": "2026-03-04T03:00:00Z",
                "from": "assessment",
                "to": "planning",
            }
        })
    );
    let back: CaseEvent = serde_json::from_value(stored).expect("deserializes");
    assert_eq!(back, event);
}
