//! The authorization matrix: every case endpoint × every role × in or out of jurisdiction ×
//! case state, driven by one table written from procedure.md §1 and api.md (not from the
//! code's own policy table), plus the list endpoints × every role. Zero unexpected allows.
//!
//! A request counts as *allowed* when it passed authorization: a success, or a refusal by the
//! procedure after it (409, 412, 422). Bodies are well formed, so that only authorization or
//! the procedure can refuse them, and mostly refused by the procedure so that the case stays
//! as it is for the next request.

use crate::both_stores;
use crate::helpers::*;
use aggregates::codes::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Allowed,
    Forbidden,
    Hidden,
}

/// Who may do what, per procedure.md §1 and api.md.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Who {
    /// Hotline operator who opened the case, worker, approver, supervisor.
    ReadersOfTheCase,
    Worker,
    Approver,
    WorkerOrApprover,
    WorkerApproverSupervisor,
    ApproverSupervisorOrWorker,
    HotlineOrWorker,
    AnyoneWithWriteAccess,
    Supervisor,
}

impl Who {
    fn allows(self, role: Role) -> bool {
        use Role::*;
        match self {
            Who::ReadersOfTheCase => {
                matches!(role, HotlineOperator | SocialWorker | Approver | Supervisor)
            }
            Who::Worker => role == SocialWorker,
            Who::Approver => role == Approver,
            Who::WorkerOrApprover => matches!(role, SocialWorker | Approver),
            Who::WorkerApproverSupervisor | Who::ApproverSupervisorOrWorker => {
                matches!(role, SocialWorker | Approver | Supervisor)
            }
            Who::HotlineOrWorker => matches!(role, HotlineOperator | SocialWorker),
            Who::AnyoneWithWriteAccess => {
                matches!(role, HotlineOperator | SocialWorker | Approver | Supervisor)
            }
            Who::Supervisor => role == Supervisor,
        }
    }
}

/// Two days after the server's clock: the matrix's dated bodies pass authorization and are
/// then refused by the procedure (`time_in_future`), so that every case stays as it is for the
/// next request. Successes of every command over HTTP are in `walks`.
fn future() -> String {
    vn(test_now() + chrono::Duration::days(2))
}

/// (method, path after /cases/{id}, body, who may).
fn case_endpoints(caller_id: uuid::Uuid) -> Vec<(Method, &'static str, Option<Value>, Who)> {
    let f = future();
    vec![
        (Method::GET, "", None, Who::ReadersOfTheCase),
        (Method::GET, "/history", None, Who::Supervisor),
        (Method::GET, "/access-log", None, Who::Supervisor),
        (Method::GET, "/dossier", None, Who::ReadersOfTheCase),
        (
            Method::POST,
            "/assignment",
            Some(json!({"worker_id": caller_id})),
            Who::ApproverSupervisorOrWorker,
        ),
        (
            Method::POST,
            "/transfer",
            // The case's own commune: refused after authorization (a successful transfer would
            // take the case out of the matrix's jurisdiction; `walks` transfers one).
            Some(json!({"to_unit": COMMUNE, "reason": "x"})),
            Who::WorkerApproverSupervisor,
        ),
        (
            Method::POST,
            "/initial-assessment",
            Some(json!({"assessed_at": f, "outcome": "support_needed", "findings": "x"})),
            Who::Worker,
        ),
        (
            Method::POST,
            "/urgent-measures",
            Some(json!({"applied_at": f, "measures": ["first_aid"]})),
            Who::Worker,
        ),
        (
            Method::POST,
            "/separation",
            Some(json!({"decided_at": f, "until": f, "placement": "x"})),
            Who::Approver,
        ),
        (
            Method::POST,
            "/separation/extension",
            Some(json!({"until": f})),
            Who::Approver,
        ),
        (
            Method::POST,
            "/separation/end",
            Some(json!({"ended_at": f, "reason": "returned_home"})),
            Who::Approver,
        ),
        (
            Method::POST,
            "/detailed-assessment",
            Some(json!({"assessed_at": f, "physical_psychological": "x",
            "family": "x", "risk_factors": "x", "schooling": "x", "community": "x"})),
            Who::Worker,
        ),
        (
            Method::POST,
            "/needs-meeting",
            Some(json!({"held_at": f, "chaired_by": "x", "decisions": "x"})),
            Who::WorkerOrApprover,
        ),
        (
            Method::POST,
            "/plan",
            Some(json!({"submitted_at": f, "items": []})),
            Who::Worker,
        ),
        (
            Method::POST,
            "/plan/decision",
            Some(json!({"decided_at": f, "decision": "approve", "plan_version": 99})),
            Who::Approver,
        ),
        (
            Method::POST,
            "/services",
            Some(json!({"item_id": uuid::Uuid::now_v7(), "delivered_at": f})),
            Who::Worker,
        ),
        (
            Method::POST,
            "/referrals",
            Some(json!({"referred_at": f, "to": "Công an"})),
            Who::HotlineOrWorker,
        ),
        (
            Method::POST,
            "/court-petitions",
            Some(json!({"filed_at": f, "court": "TAND", "ground": "parents_refuse_plan"})),
            Who::WorkerOrApprover,
        ),
        (
            Method::POST,
            "/court-orders",
            Some(json!({"ordered_at": f, "court_order_ref": "1/QĐ"})),
            Who::WorkerOrApprover,
        ),
        (
            Method::POST,
            "/review",
            Some(json!({"reviewed_at": f, "ratings": {}, "outcome": "close"})),
            Who::Worker,
        ),
        (
            Method::POST,
            "/closure/proposal",
            Some(json!({"proposed_at": f, "reason": "resolved"})),
            Who::Worker,
        ),
        (
            Method::POST,
            "/closure",
            Some(json!({"decided_at": f, "decision": "approve"})),
            Who::Approver,
        ),
        (
            Method::POST,
            "/notes",
            Some(json!({"text": "ma trận phân quyền"})),
            Who::AnyoneWithWriteAccess,
        ),
        (
            Method::POST,
            "/child-link",
            Some(json!({"same_as_case_id": uuid::Uuid::nil()})),
            Who::WorkerOrApprover,
        ),
        (
            Method::POST,
            "/child-unlink",
            Some(json!({})),
            Who::WorkerOrApprover,
        ),
        (
            Method::POST,
            "/child-distinct",
            Some(json!({"other_case_id": uuid::Uuid::nil()})),
            Who::WorkerOrApprover,
        ),
        (
            Method::POST,
            "/corrections",
            Some(
                json!({"corrects_event": 9999, "field": "description", "value": "x", "reason": "x"}),
            ),
            Who::Worker,
        ),
    ]
}

/// The case routes the matrix tries: (method, path after /cases/{id}).
pub fn case_routes() -> Vec<(Method, &'static str)> {
    case_endpoints(uuid::Uuid::nil())
        .into_iter()
        .map(|(method, path, _, _)| (method, path))
        .collect()
}

struct Person {
    user: TestUser,
    role: Role,
    /// Whether its grant reaches the cases of `COMMUNE` opened by the first hotline operator.
    reaches: bool,
}

fn classify(status: StatusCode, body: &Value) -> Result<Outcome, String> {
    match status.as_u16() {
        200..=299 | 409 | 412 | 422 => Ok(Outcome::Allowed),
        403 => Ok(Outcome::Forbidden),
        404 if body["code"] == "case_not_found" => Ok(Outcome::Hidden),
        other => Err(format!("unexpected {other}: {body}")),
    }
}

async fn the_authorization_matrix_has_no_unexpected_allow(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let other_hotline = app
        .user("tongdai.khac", &[(Role::HotlineOperator, "VN")])
        .await;
    let other_supervisor = app.user("giamsat.hanoi", &[(Role::Supervisor, "01")]).await;
    let people = vec![
        Person {
            user: cast.hotline.clone(),
            role: Role::HotlineOperator,
            reaches: true,
        },
        Person {
            user: other_hotline,
            role: Role::HotlineOperator,
            reaches: false,
        },
        Person {
            user: cast.worker.clone(),
            role: Role::SocialWorker,
            reaches: true,
        },
        Person {
            user: cast.other_worker.clone(),
            role: Role::SocialWorker,
            reaches: false,
        },
        Person {
            user: cast.approver.clone(),
            role: Role::Approver,
            reaches: true,
        },
        Person {
            user: cast.other_approver.clone(),
            role: Role::Approver,
            reaches: false,
        },
        Person {
            user: cast.supervisor.clone(),
            role: Role::Supervisor,
            reaches: true,
        },
        Person {
            user: other_supervisor,
            role: Role::Supervisor,
            reaches: false,
        },
        Person {
            user: cast.admin.clone(),
            role: Role::Admin,
            reaches: false,
        },
    ];

    // A case in each state, all opened by the first hotline operator in COMMUNE.
    let reported = app.report(&cast.hotline, &hours_ago(5)).await;
    let emergency = app.report(&cast.hotline, &hours_ago(5)).await;
    app.ok(&cast.worker, &format!("/cases/{emergency}/initial-assessment"),
        json!({"assessed_at": hours_ago(4), "outcome": "emergency", "grounds": ["serious_harm_or_threat"], "findings": "x"}))
        .await;
    let in_progress = app.report(&cast.hotline, &hours_ago(50)).await;
    let c = |p: &str| format!("/cases/{in_progress}{p}");
    app.ok(
        &cast.worker,
        &c("/initial-assessment"),
        json!({"assessed_at": hours_ago(49), "outcome": "support_needed", "findings": "x"}),
    )
    .await;
    app.ok(
        &cast.worker,
        &c("/detailed-assessment"),
        json!({"assessed_at": hours_ago(48), "physical_psychological": "x",
        "family": "x", "risk_factors": "x", "schooling": "x", "community": "x"}),
    )
    .await;
    // A needs meeting of the cycle comes before its plan (ND56 art. 27(2), 28(2)(b)).
    app.ok(
        &cast.approver,
        &c("/needs-meeting"),
        json!({"held_at": hours_ago(48), "chaired_by": "x", "decisions": "x"}),
    )
    .await;
    let today = test_today();
    app.ok(
        &cast.worker,
        &c("/plan"),
        json!({"submitted_at": hours_ago(47), "items": [{"measure": "safety_monitoring",
        "service_type": "protection", "responsible": "x", "starts_on": today.to_string(),
        "ends_on": (today + chrono::Days::new(9)).to_string()}]}),
    )
    .await;
    app.ok(
        &cast.approver,
        &c("/plan/decision"),
        json!({"decided_at": hours_ago(46), "decision": "approve", "plan_version": 1}),
    )
    .await;
    let closed = app.report(&cast.hotline, &hours_ago(5)).await;
    app.ok(
        &cast.worker,
        &format!("/cases/{closed}/initial-assessment"),
        json!({"assessed_at": hours_ago(4), "outcome": "no_concern", "findings": "x"}),
    )
    .await;
    app.ok(
        &cast.approver,
        &format!("/cases/{closed}/closure"),
        json!({"decided_at": hours_ago(3), "decision": "approve"}),
    )
    .await;

    let mut checks = 0;
    let mut unexpected_allows = Vec::new();
    let mut other_mismatches = Vec::new();
    for (state, id) in [
        ("reported", &reported),
        ("emergency", &emergency),
        ("in_progress", &in_progress),
        ("closed", &closed),
    ] {
        let (_, doc) = app.get(&cast.supervisor, &format!("/cases/{id}")).await;
        let number = doc["case_number"].as_str().unwrap().to_owned();
        for person in &people {
            let mut endpoints = case_endpoints(person.user.id);
            // `by-number` reads the case as `GET /cases/{id}` does, and is tried from outside
            // the jurisdiction like every case route.
            endpoints.push((Method::GET, "by-number", None, Who::ReadersOfTheCase));
            for (method, path, body, who) in endpoints {
                let expected = if !person.reaches {
                    Outcome::Hidden
                } else if who.allows(person.role) {
                    Outcome::Allowed
                } else {
                    Outcome::Forbidden
                };
                let full = if path == "by-number" {
                    format!("/cases/by-number/{number}")
                } else {
                    format!("/cases/{id}{path}")
                };
                let (status, _, answer) = app
                    .request(
                        method.clone(),
                        Some(&person.user.token),
                        &full,
                        body.as_ref(),
                        &[],
                    )
                    .await;
                checks += 1;
                let got = classify(status, &answer).unwrap_or_else(|e| {
                    panic!(
                        "{method} {path} by {} on a {state} case: {e}",
                        person.user.username
                    )
                });
                if got != expected {
                    let line = format!(
                        "{method} {path} by {} ({:?}, reaches {}) on a {state} case: expected {expected:?}, got {got:?} ({status} {answer})",
                        person.user.username, person.role, person.reaches
                    );
                    if got == Outcome::Allowed {
                        unexpected_allows.push(line);
                    } else {
                        other_mismatches.push(line);
                    }
                }
            }
        }
    }

    // Anonymous callers: every case route, by-number included, answers 401 before anything.
    let (_, doc) = app
        .get(&cast.supervisor, &format!("/cases/{in_progress}"))
        .await;
    let number = doc["case_number"].as_str().unwrap().to_owned();
    let mut anonymous = case_endpoints(cast.worker.id);
    anonymous.push((Method::GET, "by-number", None, Who::ReadersOfTheCase));
    for (method, path, body, _) in anonymous {
        let full = if path == "by-number" {
            format!("/cases/by-number/{number}")
        } else {
            format!("/cases/{in_progress}{path}")
        };
        let (status, _, answer) = app
            .request(method.clone(), None, &full, body.as_ref(), &[])
            .await;
        checks += 1;
        if status != StatusCode::UNAUTHORIZED {
            unexpected_allows.push(format!("{method} {path} anonymously: {status} {answer}"));
        }
    }

    // Lists and administration, where no single case is involved.
    let lists: Vec<(&str, &[Role])> = vec![
        (
            "/cases",
            &[
                Role::HotlineOperator,
                Role::SocialWorker,
                Role::Approver,
                Role::Supervisor,
            ],
        ),
        (
            "/caseload",
            &[Role::SocialWorker, Role::Approver, Role::Supervisor],
        ),
        (
            "/deadlines",
            &[Role::SocialWorker, Role::Approver, Role::Supervisor],
        ),
        ("/statistics", &[Role::Supervisor]),
        ("/users", &[Role::Admin]),
        ("/metrics", &[Role::Admin]),
        (
            "/units",
            &[
                Role::HotlineOperator,
                Role::SocialWorker,
                Role::Approver,
                Role::Supervisor,
                Role::Admin,
            ],
        ),
        (
            "/rules",
            &[
                Role::HotlineOperator,
                Role::SocialWorker,
                Role::Approver,
                Role::Supervisor,
                Role::Admin,
            ],
        ),
    ];
    for person in &people {
        for (path, roles) in &lists {
            let (status, _, answer) = app
                .request(Method::GET, Some(&person.user.token), path, None, &[])
                .await;
            checks += 1;
            let allowed = status.is_success();
            let expected = roles.contains(&person.role);
            assert!(status.as_u16() < 500, "GET {path}: {status} {answer}");
            if allowed && !expected {
                unexpected_allows.push(format!(
                    "GET {path} by {} ({:?}): {status}",
                    person.user.username, person.role
                ));
            } else if !allowed && expected {
                other_mismatches.push(format!(
                    "GET {path} by {} ({:?}): {status} {answer}",
                    person.user.username, person.role
                ));
            }
        }
    }
    println!(
        "RELIABILITY authorization_matrix store={store:?} checks={checks} unexpected_allows={} other_mismatches={}",
        unexpected_allows.len(),
        other_mismatches.len()
    );
    assert!(
        unexpected_allows.is_empty(),
        "unexpected allows:\n{}",
        unexpected_allows.join("\n")
    );
    assert!(
        other_mismatches.is_empty(),
        "unexpected refusals:\n{}",
        other_mismatches.join("\n")
    );
    assert!(checks > 800, "{checks}");
}
both_stores!(the_authorization_matrix_has_no_unexpected_allow);
