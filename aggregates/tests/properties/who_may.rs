//! Hand-written expectations for the property tests, taken from procedure.md §1, api.md and
//! ND56 — not from the engine's own policy table or calendar functions.

use aggregates::case::Case;
use aggregates::codes::Role;
use aggregates::policy::Actor;
use chrono::{DateTime, Days, Duration, Utc};

/// The roles that may issue a command, per api.md "Cases — commands".
pub fn roles_for(name: &str) -> &'static [Role] {
    use Role::*;
    match name {
        "report" => &[HotlineOperator, SocialWorker],
        // A worker may take an unassigned case of its commune.
        "assign_worker" => &[Approver, Supervisor, SocialWorker],
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
        "record_needs_meeting" | "file_court_petition" | "record_court_order" => {
            &[SocialWorker, Approver]
        }
        "record_referral" => &[HotlineOperator, SocialWorker],
        "add_note" => &[HotlineOperator, SocialWorker, Approver, Supervisor],
        // ND56 art. 31(3): the worker or the chair asks the hotline for support.
        "request_hotline_support" | "withdraw_hotline_support" => &[SocialWorker, Approver],
        other => panic!("no roles written for {other}"),
    }
}

/// Whether some grant of `actor` has a role that may issue `name` on a unit that covers the
/// case's acting unit. A `false` means the command must be refused, whatever else holds.
pub fn may_issue(actor: &Actor, name: &str, case: &Case) -> bool {
    let roles = roles_for(name);
    let unit = if name == "report" {
        None
    } else {
        case.acting_unit.clone()
    };
    let acting = actor
        .grants
        .iter()
        .any(|g| roles.contains(&g.role) && unit.as_ref().is_none_or(|u| u.is_within(&g.unit)));
    // ND56 art. 32(2): the chair of the incident or of the child's residence commune decides a
    // separation even when the case acts elsewhere.
    let separation = matches!(
        name,
        "decide_separation" | "extend_separation" | "end_separation"
    );
    let report = case.report.as_ref().map(|r| &r.fact);
    let deciding_commune = |code: &aggregates::units::UnitCode| {
        report.is_some_and(|r| {
            r.incident_unit.unit() == code || r.child.residence_unit.as_ref() == Some(code)
        })
    };
    acting
        || (separation
            && actor
                .grants
                .iter()
                .any(|g| g.role == Role::Approver && deciding_commune(&g.unit)))
}

/// The separation cap by hand (ND56 art. 32(3)): 15 days after the day of the decision (that
/// day not counted), to the end of the 15th day in Vietnam (UTC+7, no daylight saving), which
/// is 17:00 UTC of that day.
pub fn separation_cap(decided_at: DateTime<Utc>) -> DateTime<Utc> {
    let local_day = (decided_at + Duration::hours(7)).date_naive();
    (local_day + Days::new(15))
        .and_hms_opt(17, 0, 0)
        .expect("a time")
        .and_utc()
}

#[test]
fn the_hand_written_separation_cap_counts_vietnamese_days() {
    let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    // Monday 2 March 2026, 10:00 in Vietnam: the 15th day is 17 March, ending at midnight.
    assert_eq!(
        separation_cap(at("2026-03-02T03:00:00Z")),
        at("2026-03-17T17:00:00Z")
    );
    // 01:00 on 3 March in Vietnam is still 2 March in UTC: the day counted is Vietnam's.
    assert_eq!(
        separation_cap(at("2026-03-02T18:00:00Z")),
        at("2026-03-18T17:00:00Z")
    );
}
