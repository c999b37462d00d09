//! Temporary separation from parents or carer (*tạm thời cách ly*, ND56 art. 32, Mẫu 07): decided
//! by the approver, at most 15 days including extensions unless a court orders more; ended by a
//! return home or a court order (Circular 14/2020 art. 14(3)).

use crate::support::*;
use aggregates::case::*;
use aggregates::codes::*;

fn until() -> chrono::DateTime<chrono::Utc> {
    at("2026-03-13T17:00:00+07:00")
}

#[tokio::test]
async fn the_approver_separates_the_child_as_the_first_urgent_response() {
    // Decided Monday 2 March 17:00. The 15-day cap ends at 24:00 on Tuesday 17 March; the plan is
    // due 5 working days after this first response, at 24:00 on Monday 9 March.
    given(&emergency())
        .when_async(cmd(&approver(), separation(separated(), until())))
        .await
        .then_expect_events(vec![
            CaseEvent::SeparationDecided(SeparationDecided {
                decided_at: separated(),
                until: until(),
                grounds: vec![SeparationGround::RiskOfFurtherAbuse],
                placement: long("With the maternal aunt in the same village"),
                notes: None,
            }),
            status_changed(separated(), CaseStatus::Emergency, CaseStatus::Assessment),
            met("urgent_measures/1", separated(), false),
            // Due at the decided end (ND56 art. 32(3)), within the 15-day cap.
            started(
                "separation_end/1",
                separated(),
                until(),
                at("2026-03-10T23:00:00+07:00"),
            ),
            started(
                "plan_submission/1",
                separated(),
                at("2026-03-10T00:00:00+07:00"),
                at("2026-03-08T04:15:00+07:00"),
            ),
        ]);
    let story = separated_story();
    assert_eq!(story.case.status, CaseStatus::Assessment);
    assert!(story.case.active_separation().is_some());
}

#[tokio::test]
async fn a_worker_does_not_decide_extend_or_end_a_separation() {
    given(&emergency())
        .when_async(cmd(&worker(), separation(separated(), until())))
        .await
        .then_expect_error(CaseError::RoleNotAllowed);
    given(&separated_story())
        .when_async(cmd(&worker(), extend(at("2026-03-15T17:00:00+07:00"))))
        .await
        .then_expect_error(CaseError::RoleNotAllowed);
    given(&separated_story())
        .when_async(cmd(
            &worker(),
            end_separation(delivered(), SeparationEndReason::ReturnedHome),
        ))
        .await
        .then_expect_error(CaseError::RoleNotAllowed);
}

#[tokio::test]
async fn separation_is_decided_whenever_a_condition_of_article_32_1_holds() {
    // ND56 art. 32(1): not only after an emergency assessment. The parents refuse the plan in a
    // support-needed case: the chair separates the child, and no plan clock restarts.
    let events = given(&support_needed())
        .when_async(cmd(&approver(), separation(separated(), until())))
        .await
        .inspect_result()
        .expect("accepted");
    assert_eq!(started_ids(&events), ["separation_end/1"]);
    assert!(met_ids(&events).is_empty());
    // Even before the initial assessment is typed in.
    assert!(reported()
        .decide(cmd(&approver(), separation(separated(), until())))
        .is_ok());
    // Without a ground, only the case's own facts can show one: a relative's abuse does not.
    let no_ground = CaseAction::DecideSeparation(DecideSeparation {
        decided_at: separated(),
        until: until(),
        grounds: vec![],
        placement: long("With the maternal aunt"),
        notes: None,
    });
    given(&support_needed())
        .when_async(cmd(&approver(), no_ground.clone()))
        .await
        .then_expect_error(CaseError::SeparationGroundsRequired);
    // When the report names a parent or carer as the perpetrator, that is the ground.
    let by_step_father = Story::new()
        .by(
            &operator(),
            report(ReportCase {
                perpetrator_relationship: Some(PerpetratorRelationship::StepFather),
                ..report_case()
            }),
        )
        .by(
            &worker(),
            initial(InitialOutcome::SupportNeeded, assessed()),
        );
    let events = by_step_father
        .decide(cmd(&approver(), no_ground))
        .expect("accepted");
    assert!(matches!(
        &events[0],
        CaseEvent::SeparationDecided(d) if d.grounds == [SeparationGround::CaregiverIsPerpetrator]
    ));
}

#[tokio::test]
async fn the_chair_of_the_childs_residence_decides_when_the_case_acts_elsewhere() {
    // ND56 art. 32(2): the chair of the residence or of the incident commune. The child lives in
    // 03390; the incident (and the case) is in 03388.
    let story = Story::new()
        .by(
            &operator(),
            report(ReportCase {
                child: Child {
                    residence_unit: Some(unit("03390")),
                    ..report_case().child
                },
                ..report_case()
            }),
        )
        .by(&worker(), initial(InitialOutcome::Emergency, assessed()));
    assert!(story
        .decide(cmd(&other_approver(), separation(separated(), until())))
        .is_ok());
    // It decides the separation, nothing else.
    assert_eq!(
        story.decide(cmd(&other_approver(), assign(&worker()))),
        Err(CaseError::OutOfJurisdiction)
    );
}

#[tokio::test]
async fn one_separation_at_a_time() {
    given(&separated_story())
        .when_async(cmd(
            &approver(),
            separation(measured(), at("2026-03-10T17:00:00+07:00")),
        ))
        .await
        .then_expect_error(CaseError::SeparationAlreadyActive);
}

#[tokio::test]
async fn a_separation_ends_after_it_starts() {
    given(&emergency())
        .when_async(cmd(&approver(), separation(separated(), separated())))
        .await
        .then_expect_error(CaseError::SeparationUntilInvalid);
}

#[tokio::test]
async fn a_separation_lasts_at_most_15_days() {
    // Decided on 2 March: 15 days end at 24:00 on 17 March.
    let cap = at("2026-03-18T00:00:00+07:00");
    let result = given(&emergency())
        .when_async(cmd(&approver(), separation(separated(), cap)))
        .await
        .inspect_result();
    assert!(result.is_ok());
    let error = given(&emergency())
        .when_async(cmd(
            &approver(),
            separation(separated(), cap + chrono::Duration::seconds(1)),
        ))
        .await
        .inspect_result()
        .expect_err("beyond 15 days");
    assert_eq!(error, CaseError::SeparationExceeds15Days { cap });
    assert_eq!(error.code(), "separation_exceeds_15_days");
}

#[tokio::test]
async fn the_15_day_cap_does_not_grow_over_the_tet_holiday() {
    // Decided Monday 2 February 2026: day 15 is Tuesday 17 February, in the Tết holiday. A period
    // would move to the next working day; the protective cap stays at 24:00 on the 17th.
    let story = Story::new()
        .by(&operator(), report_at(at("2026-02-02T08:00:00+07:00")))
        .by(
            &worker(),
            initial(InitialOutcome::Emergency, at("2026-02-02T09:00:00+07:00")),
        );
    let decided = at("2026-02-02T10:00:00+07:00");
    let cap = at("2026-02-18T00:00:00+07:00");
    given(&story)
        .when_async(cmd(
            &approver(),
            separation(decided, at("2026-02-24T00:00:00+07:00")),
        ))
        .await
        .then_expect_error(CaseError::SeparationExceeds15Days { cap });
    let events = given(&story)
        .when_async(cmd(&approver(), separation(decided, cap)))
        .await
        .inspect_result()
        .expect("accepted");
    assert_eq!(started_for(&events, "separation_end").due_at, cap);
}

#[tokio::test]
async fn the_decision_does_not_precede_the_report_nor_lie_in_the_future() {
    given(&emergency())
        .when_async(cmd(
            &approver(),
            separation(plus_minutes(received(), -1), until()),
        ))
        .await
        .then_expect_error(CaseError::TimeBeforeStep {
            field: "decided_at",
            step: "report",
        });
    let future = plus_minutes(now(), 6);
    given(&emergency())
        .when_async(cmd(
            &approver(),
            separation(future, future + chrono::Duration::days(3)),
        ))
        .await
        .then_expect_error(CaseError::TimeInFuture {
            field: "decided_at",
        });
}

#[tokio::test]
async fn the_approver_extends_a_separation_within_the_15_days() {
    let later = at("2026-03-16T17:00:00+07:00");
    given(&separated_story())
        .when_async(cmd(&approver(), extend(later)))
        .await
        .then_expect_events(vec![
            CaseEvent::SeparationExtended(SeparationExtended {
                extended_at: extended(),
                until: later,
            }),
            // ND56 art. 32(3): the clock is due at the decided end, so it moves with it; it
            // still counts from the decision.
            cancelled(
                "separation_end/1",
                extended(),
                aggregates::deadlines::CancelReason::Superseded,
            ),
            started(
                "separation_end/2",
                separated(),
                later,
                at("2026-03-13T05:00:00+07:00"),
            ),
        ]);
    let story = separated_story().by(&approver(), extend(later));
    let separation = story.case.active_separation().expect("in force");
    assert_eq!(separation.until, later);
    assert_eq!(separation.extensions.len(), 1);
}

#[tokio::test]
async fn extensions_count_toward_the_15_days() {
    given(&separated_story())
        .when_async(cmd(&approver(), extend(at("2026-03-18T00:00:01+07:00"))))
        .await
        .then_expect_error(CaseError::SeparationExceeds15Days {
            cap: at("2026-03-18T00:00:00+07:00"),
        });
}

#[tokio::test]
async fn an_extension_ends_later_than_the_separation_does_now() {
    given(&separated_story())
        .when_async(cmd(&approver(), extend(until())))
        .await
        .then_expect_error(CaseError::ExtensionNotLater);
}

#[tokio::test]
async fn only_a_separation_in_force_is_extended_or_ended() {
    given(&emergency())
        .when_async(cmd(&approver(), extend(until())))
        .await
        .then_expect_error(CaseError::NoActiveSeparation);
    let ended = separated_story().by(
        &approver(),
        end_separation(delivered(), SeparationEndReason::ReturnedHome),
    );
    given(&ended)
        .when_async(cmd(&approver(), extend(at("2026-03-16T17:00:00+07:00"))))
        .await
        .then_expect_error(CaseError::NoActiveSeparation);
    given(&ended)
        .when_async(cmd(
            &approver(),
            end_separation(delivered(), SeparationEndReason::ReturnedHome),
        ))
        .await
        .then_expect_error(CaseError::NoActiveSeparation);
}

#[tokio::test]
async fn a_court_order_lets_the_separation_run_past_15_days() {
    let ordered = at("2026-03-10T10:00:00+07:00");
    let court_until = at("2026-04-15T10:00:00+07:00");
    given(&separated_story())
        .when_async(cmd(&approver(), court_order(ordered, Some(court_until))))
        .await
        .then_expect_events(vec![
            CaseEvent::CourtOrderRecorded(CourtOrderRecorded {
                ordered_at: ordered,
                court_order_ref: short("12/2026/QĐ-TA"),
                separation_until: Some(court_until),
                notes: None,
            }),
            met("separation_end/1", ordered, false),
        ]);
    let story = separated_story().by(&approver(), court_order(ordered, Some(court_until)));
    let separation = story.case.active_separation().expect("in force");
    assert_eq!(separation.until, court_until);
    assert_eq!(separation.court_until, Some(court_until));
}

#[tokio::test]
async fn the_approver_does_not_extend_beyond_the_term_the_court_ordered() {
    let court_until = at("2026-04-15T10:00:00+07:00");
    let story = separated_story().by(
        &approver(),
        court_order(at("2026-03-10T10:00:00+07:00"), Some(court_until)),
    );
    given(&story)
        .when_async(cmd(&approver(), extend(at("2026-04-30T10:00:00+07:00"))))
        .await
        .then_expect_error(CaseError::SeparationExceeds15Days { cap: court_until });
    // A new court order may continue it.
    let result = given(&story)
        .when_async(cmd(
            &approver(),
            court_order(
                at("2026-04-14T10:00:00+07:00"),
                Some(at("2026-04-30T10:00:00+07:00")),
            ),
        ))
        .await
        .inspect_result();
    assert!(result.is_ok());
}

#[tokio::test]
async fn the_child_returns_home_and_the_separation_clock_is_met() {
    let ended = at("2026-03-10T10:00:00+07:00");
    given(&separated_story())
        .when_async(cmd(
            &approver(),
            end_separation(ended, SeparationEndReason::ReturnedHome),
        ))
        .await
        .then_expect_events(vec![
            CaseEvent::SeparationEnded(SeparationEnded {
                ended_at: ended,
                reason: SeparationEndReason::ReturnedHome,
                court_order_ref: None,
            }),
            met("separation_end/1", ended, false),
        ]);
}

#[tokio::test]
async fn an_end_by_court_order_names_the_order() {
    let mut action = end_separation(delivered(), SeparationEndReason::CourtOrder);
    if let CaseAction::EndSeparation(e) = &mut action {
        e.court_order_ref = None;
    }
    given(&separated_story())
        .when_async(cmd(&approver(), action))
        .await
        .then_expect_error(CaseError::CourtOrderRefRequired);
    let result = given(&separated_story())
        .when_async(cmd(
            &approver(),
            end_separation(delivered(), SeparationEndReason::CourtOrder),
        ))
        .await
        .inspect_result();
    assert!(result.is_ok());
}

#[tokio::test]
async fn the_end_does_not_precede_the_decision_nor_lie_in_the_future() {
    given(&separated_story())
        .when_async(cmd(
            &approver(),
            end_separation(
                plus_minutes(separated(), -1),
                SeparationEndReason::ReturnedHome,
            ),
        ))
        .await
        .then_expect_error(CaseError::TimeBeforeStep {
            field: "ended_at",
            step: "separation decision",
        });
    given(&separated_story())
        .when_async(cmd(
            &approver(),
            end_separation(plus_minutes(now(), 6), SeparationEndReason::ReturnedHome),
        ))
        .await
        .then_expect_error(CaseError::TimeInFuture { field: "ended_at" });
}

#[tokio::test]
async fn a_later_separation_counts_toward_the_same_15_days_and_restarts_no_plan_clock() {
    // [policy] ND56 art. 32(3): 2 March → 10 March used 8 days; a new separation on 11 March
    // has 7 left, to 24:00 on 18 March.
    let story = separated_story().by(
        &approver(),
        end_separation(
            at("2026-03-10T10:00:00+07:00"),
            SeparationEndReason::ReturnedHome,
        ),
    );
    let again = at("2026-03-11T10:00:00+07:00");
    given(&story)
        .when_async(cmd(
            &approver(),
            separation(again, at("2026-03-20T10:00:00+07:00")),
        ))
        .await
        .then_expect_error(CaseError::SeparationExceeds15Days {
            cap: at("2026-03-19T00:00:00+07:00"),
        });
    let events = given(&story)
        .when_async(cmd(
            &approver(),
            separation(again, at("2026-03-18T10:00:00+07:00")),
        ))
        .await
        .inspect_result()
        .expect("accepted");
    assert_eq!(started_ids(&events), ["separation_end/2"]);
    assert!(met_ids(&events).is_empty());
}

#[tokio::test]
async fn a_separation_once_the_plan_is_under_way_starts_only_its_own_cap() {
    let later = delivered();
    let events = given(&in_progress())
        .when_async(cmd(
            &approver(),
            separation(later, at("2026-03-30T10:00:00+07:00")),
        ))
        .await
        .inspect_result()
        .expect("accepted");
    assert_eq!(started_ids(&events), ["separation_end/1"]);
    assert!(met_ids(&events).is_empty());
}
