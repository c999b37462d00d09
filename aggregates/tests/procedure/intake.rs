//! Step 1, *tiếp nhận thông tin* (ND56 art. 25, Mẫu 01): a report opens the case of one child.
//! Almost every field is optional; `received_at` starts the 12-hour clock.

use crate::support::*;
use aggregates::case::*;
use aggregates::codes::*;
use chrono::Duration;

#[tokio::test]
async fn a_hotline_operator_opens_a_case_and_the_12_hour_clock_starts_at_received_at() {
    // Received Monday 2 March 2026 09:00: the initial assessment is due at 21:00 the same day,
    // and due soon from 19:00.
    given_no_case()
        .when_async(cmd(&operator(), report(report_case())))
        .await
        .then_expect_events(vec![
            CaseEvent::CaseReported(Box::new(case_reported(&operator()))),
            started(
                "initial_assessment/1",
                received(),
                at("2026-03-02T21:00:00+07:00"),
                at("2026-03-02T19:00:00+07:00"),
            ),
        ]);
}

#[test]
fn the_case_acts_in_the_commune_where_the_incident_happened() {
    let story = reported();
    assert_eq!(story.case.status, CaseStatus::Reported);
    assert_eq!(story.case.acting_unit, Some(commune()));
    assert_eq!(story.case.id(), Some(CASE_ID));
    assert_eq!(story.case.version, 2);
}

#[tokio::test]
async fn a_commune_worker_opens_cases_in_its_own_commune() {
    let mut expected = case_reported(&worker());
    expected.received_by = worker().user_id;
    let events = given_no_case()
        .when_async(cmd(&worker(), report(report_case())))
        .await
        .inspect_result()
        .expect("accepted");
    assert_eq!(
        steps(&events),
        vec![CaseEvent::CaseReported(Box::new(expected))]
    );
}

#[tokio::test]
async fn a_commune_worker_does_not_open_cases_in_another_commune() {
    given_no_case()
        .when_async(cmd(&other_worker(), report(report_case())))
        .await
        .then_expect_error(CaseError::RoleNotAllowed);
}

#[tokio::test]
async fn approvers_supervisors_and_admins_do_not_take_reports() {
    for actor in [approver(), supervisor(), admin()] {
        given_no_case()
            .when_async(cmd(&actor, report(report_case())))
            .await
            .then_expect_error(CaseError::RoleNotAllowed);
    }
}

#[tokio::test]
async fn a_report_cannot_be_received_in_the_future() {
    let mut r = report_case();
    r.received_at = now() + Duration::minutes(6);
    given_no_case()
        .when_async(cmd(&operator(), report(r.clone())))
        .await
        .then_expect_error(CaseError::TimeInFuture {
            field: "received_at",
        });
    r.received_at = now() + Duration::minutes(5);
    let result = given_no_case()
        .when_async(cmd(&operator(), report(r)))
        .await
        .inspect_result();
    assert!(result.is_ok(), "5 minutes of clock skew are tolerated");
}

#[tokio::test]
async fn the_incident_is_placed_in_a_province_or_commune_not_the_whole_country() {
    let mut r = report_case();
    r.incident_unit = country();
    given_no_case()
        .when_async(cmd(&operator(), report(r)))
        .await
        .then_expect_error(CaseError::UnitIsRoot {
            field: "incident_unit",
        });
}

#[tokio::test]
async fn the_child_has_a_date_of_birth_or_an_estimated_age_not_both() {
    let mut r = report_case();
    r.child.date_of_birth = Some(day("2017-05-01"));
    r.child.estimated_age = Some(9);
    given_no_case()
        .when_async(cmd(&operator(), report(r.clone())))
        .await
        .then_expect_error(CaseError::ChildAgeAmbiguous);
    r.child.estimated_age = None;
    let result = given_no_case()
        .when_async(cmd(&operator(), report(r)))
        .await
        .inspect_result();
    assert!(result.is_ok());
}

#[tokio::test]
async fn casebook_is_for_children_under_18() {
    let mut r = report_case();
    r.child.estimated_age = Some(18);
    given_no_case()
        .when_async(cmd(&operator(), report(r.clone())))
        .await
        .then_expect_error(CaseError::ChildNotAMinor);
    // Received on 2 March 2026 (local): born 2 March 2008 is 18 that day, born 3 March 2008 is 17.
    r.child.estimated_age = None;
    r.child.date_of_birth = Some(day("2008-03-02"));
    given_no_case()
        .when_async(cmd(&operator(), report(r.clone())))
        .await
        .then_expect_error(CaseError::ChildNotAMinor);
    r.child.date_of_birth = Some(day("2008-03-03"));
    let result = given_no_case()
        .when_async(cmd(&operator(), report(r)))
        .await
        .inspect_result();
    assert!(result.is_ok());
}

#[tokio::test]
async fn a_child_is_not_born_after_the_report_counting_in_local_days() {
    let mut r = report_case();
    r.child.estimated_age = None;
    r.child.date_of_birth = Some(day("2026-03-03"));
    given_no_case()
        .when_async(cmd(&operator(), report(r.clone())))
        .await
        .then_expect_error(CaseError::TimeInFuture {
            field: "child.date_of_birth",
        });
    // A newborn reported at 00:30 on 2 March local time (still 1 March in UTC) was born that day.
    r.child.date_of_birth = Some(day("2026-03-02"));
    r.received_at = at("2026-03-02T00:30:00+07:00");
    let result = given_no_case()
        .when_async(cmd(&operator(), report(r)))
        .await
        .inspect_result();
    assert!(result.is_ok());
}

#[tokio::test]
async fn the_reporter_is_identified_only_with_consent() {
    let mut r = report_case();
    r.reporter = Some(Reporter {
        name: Some(short("Lò Văn Hùng")),
        phone: Some(short("0912345678")),
        address: None,
        relationship: Some(short("neighbour")),
        consent: false,
    });
    given_no_case()
        .when_async(cmd(&operator(), report(r.clone())))
        .await
        .then_expect_error(CaseError::ReporterIdentityWithoutConsent);
    if let Some(reporter) = r.reporter.as_mut() {
        reporter.consent = true;
    }
    let result = given_no_case()
        .when_async(cmd(&operator(), report(r.clone())))
        .await
        .inspect_result();
    assert!(result.is_ok());
    // Anonymous reports are normal, and so is a report with no reporter at all.
    r.reporter = None;
    let result = given_no_case()
        .when_async(cmd(&operator(), report(r)))
        .await
        .inspect_result();
    assert!(result.is_ok());
}

#[tokio::test]
async fn abuse_subtypes_need_their_abuse_type() {
    let mut r = report_case();
    r.sexual_abuse_subtypes = vec![SexualAbuseSubtype::LewdActs];
    given_no_case()
        .when_async(cmd(&operator(), report(r.clone())))
        .await
        .then_expect_error(CaseError::SubtypeWithoutType {
            field: "sexual_abuse_subtypes",
        });
    r.sexual_abuse_subtypes = vec![];
    r.exploitation_subtypes = vec![ExploitationSubtype::ForcedLabour];
    given_no_case()
        .when_async(cmd(&operator(), report(r.clone())))
        .await
        .then_expect_error(CaseError::SubtypeWithoutType {
            field: "exploitation_subtypes",
        });
    r.abuse_types.push(AbuseType::Exploitation);
    let result = given_no_case()
        .when_async(cmd(&operator(), report(r)))
        .await
        .inspect_result();
    assert!(result.is_ok());
}

#[tokio::test]
async fn a_new_report_about_a_known_child_links_the_earlier_case_but_never_itself() {
    let mut r = report_case();
    r.previous_case_id = Some(CASE_ID);
    given_no_case()
        .when_async(cmd(&operator(), report(r.clone())))
        .await
        .then_expect_error(CaseError::LinkedCaseIsSelf);
    r.previous_case_id = Some(OTHER_CASE_ID);
    let events = given_no_case()
        .when_async(cmd(&operator(), report(r)))
        .await
        .inspect_result()
        .expect("accepted");
    match &events[0] {
        CaseEvent::CaseReported(e) => assert_eq!(e.previous_case_id, Some(OTHER_CASE_ID)),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn code_lists_are_recorded_once_each_in_code_order() {
    let mut r = report_case();
    r.abuse_types = vec![AbuseType::Neglect, AbuseType::Violence, AbuseType::Neglect];
    r.special_circumstances = vec![
        SpecialCircumstance::Disability,
        SpecialCircumstance::Orphaned,
        SpecialCircumstance::Disability,
    ];
    let events = given_no_case()
        .when_async(cmd(&operator(), report(r)))
        .await
        .inspect_result()
        .expect("accepted");
    match &events[0] {
        CaseEvent::CaseReported(e) => {
            assert_eq!(e.abuse_types, [AbuseType::Violence, AbuseType::Neglect]);
            assert_eq!(
                e.special_circumstances,
                [
                    SpecialCircumstance::Orphaned,
                    SpecialCircumstance::Disability
                ]
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_report_may_say_almost_nothing() {
    let mut r = report_case();
    r.description = None;
    r.abuse_types = vec![];
    r.abuse_environment = None;
    r.perpetrator_relationship = None;
    r.immediate_danger = None;
    r.child = Child::default();
    r.reporter = None;
    let result = given_no_case()
        .when_async(cmd(&operator(), report(r)))
        .await
        .inspect_result();
    assert!(result.is_ok());
}

fn aged(age: u8) -> ReportCase {
    ReportCase {
        child: Child {
            estimated_age: Some(age),
            ..report_case().child
        },
        ..report_case()
    }
}

#[tokio::test]
async fn a_report_on_a_16_year_old_is_a_juvenile_case_counted_apart() {
    // LTE art. 1: a child is under 16; 16- and 17-year-olds are accepted as juvenile cases
    // [policy], marked so that statistics count them apart.
    let events = given(&Story::new())
        .when_async(cmd(&operator(), report(aged(16))))
        .await
        .inspect_result()
        .expect("accepted");
    assert!(matches!(&events[0], CaseEvent::CaseReported(r) if r.juvenile));
    let events = given(&Story::new())
        .when_async(cmd(&operator(), report(aged(15))))
        .await
        .inspect_result()
        .expect("accepted");
    assert!(matches!(&events[0], CaseEvent::CaseReported(r) if !r.juvenile));
    given(&Story::new())
        .when_async(cmd(&operator(), report(aged(18))))
        .await
        .then_expect_error(CaseError::ChildNotAMinor);
}

#[tokio::test]
async fn a_province_may_turn_juvenile_cases_off() {
    let services = CaseServices::new(
        aggregates::deadlines::RuleSet::shipped()
            .with_override(r#"{"procedure":{"juvenile_cases":false},"rules":[]}"#)
            .expect("valid"),
        aggregates::deadlines::WorkingCalendar::shipped(),
    );
    let story = Story::with_services(services);
    assert_eq!(
        story.decide(cmd(&operator(), report(aged(17)))),
        Err(CaseError::JuvenileCasesNotAccepted)
    );
    assert!(story.decide(cmd(&operator(), report(aged(12)))).is_ok());
}

#[tokio::test]
async fn a_business_time_before_2000_is_refused() {
    // A mistyped year (0001) is refused, not stored: it would break the case number.
    given(&Story::new())
        .when_async(cmd(&operator(), report_at(at("0001-03-02T09:00:00+07:00"))))
        .await
        .then_expect_error(CaseError::TimeTooEarly {
            field: "received_at",
            earliest: at("2000-01-01T00:00:00+07:00"),
        });
}
