//! Every route succeeds over HTTP and is refused over HTTP, on both stores: the commands the
//! matrix can only try (transfer, separation extension, court petition and order, a worker's
//! closure proposal) run through the server to success here (`walk_cases`), and the views after
//! a transfer are checked. The route coverage is printed; every route of the matrix must have
//! a success and a refusal.

use crate::both_stores;
use crate::helpers::*;
use crate::walker::{Coverage, Walker};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn every_route_succeeds_and_is_refused_over_http(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let mut w = Walker {
        app: &app,
        coverage: Coverage::default(),
    };
    let g = Method::GET;
    let p = Method::POST;

    // The service and the session.
    w.ok(
        g.clone(),
        "/openapi.json",
        "/openapi.json",
        &cast.worker,
        None,
    )
    .await;
    w.ok(g.clone(), "/health", "/health", &cast.worker, None)
        .await;
    w.ok(g.clone(), "/ready", "/ready", &cast.worker, None)
        .await;
    w.ok(g.clone(), "/metrics", "/metrics", &cast.admin, None)
        .await;
    w.refused(
        g.clone(),
        "/metrics",
        "/metrics",
        Some(&cast.worker),
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
    let login = json!({"username": cast.worker.username, "password": PASSWORD});
    let session = w
        .send(p.clone(), "/auth/login", "/auth/login", None, Some(login))
        .await;
    assert_eq!(session.0, StatusCode::OK);
    let wrong = json!({"username": cast.worker.username, "password": "not the password at all"});
    w.refused(
        p.clone(),
        "/auth/login",
        "/auth/login",
        None,
        Some(wrong),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let throwaway = session.1["token"].as_str().unwrap().to_owned();
    let (status, _) = w
        .send(
            p.clone(),
            "/auth/logout",
            "/auth/logout",
            Some(&throwaway),
            None,
        )
        .await;
    assert!(status.is_success());
    w.refused(
        p.clone(),
        "/auth/logout",
        "/auth/logout",
        None,
        None,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let (status, _) = w
        .send(g.clone(), "/me", "/me", Some(&throwaway), None)
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the token stopped working at logout"
    );
    w.ok(g.clone(), "/me", "/me", &cast.worker, None).await;

    // Administration and the registry.
    let new_user = json!({"username": "moi.canbo", "display_name": "Cán bộ mới",
        "password": "mật khẩu đủ dài 2026", "grants": [{"role": "social_worker", "unit_code": COMMUNE}]});
    w.refused(
        p.clone(),
        "/users",
        "/users",
        Some(&cast.supervisor),
        Some(new_user.clone()),
        StatusCode::FORBIDDEN,
    )
    .await;
    let created = w
        .ok(p.clone(), "/users", "/users", &cast.admin, Some(new_user))
        .await;
    let user = format!("/users/{}", created["id"].as_str().unwrap());
    w.ok(g.clone(), "/users", "/users", &cast.admin, None).await;
    w.refused(
        g.clone(),
        "/users",
        "/users",
        Some(&cast.approver),
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
    let shown = w
        .ok(g.clone(), "/users/{id}", &user, &cast.admin, None)
        .await;
    assert_eq!(shown["username"], "moi.canbo");
    w.refused(
        g.clone(),
        "/users/{id}",
        &user,
        Some(&cast.worker),
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
    let rename = json!({"display_name": "Cán bộ đổi tên"});
    w.refused(
        Method::PATCH,
        "/users/{id}",
        &user,
        Some(&cast.hotline),
        Some(rename.clone()),
        StatusCode::FORBIDDEN,
    )
    .await;
    let patched = w
        .ok(
            Method::PATCH,
            "/users/{id}",
            &user,
            &cast.admin,
            Some(rename),
        )
        .await;
    assert_eq!(patched["display_name"], "Cán bộ đổi tên");
    // The account trail, an admin ending a user's sessions, a password replaced by its owner.
    w.ok(
        g.clone(),
        "/accounts/history",
        "/accounts/history",
        &cast.admin,
        None,
    )
    .await;
    w.refused(
        g.clone(),
        "/accounts/history",
        "/accounts/history",
        Some(&cast.worker),
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
    let sessions = format!("{user}/sessions");
    w.refused(
        Method::DELETE,
        "/users/{id}/sessions",
        &sessions,
        Some(&cast.approver),
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
    let (status, _) = w
        .send(
            Method::DELETE,
            "/users/{id}/sessions",
            &sessions,
            Some(&cast.admin.token),
            None,
        )
        .await;
    assert!(status.is_success(), "{status}");
    // The new user's password was set by the admin: it replaces it at its first login.
    let first = app.login("moi.canbo", "mật khẩu đủ dài 2026").await;
    let change = json!({"current_password": "mật khẩu đủ dài 2026",
        "new_password": "mật khẩu riêng của tôi 2026"});
    w.refused(
        p.clone(),
        "/auth/password",
        "/auth/password",
        None,
        Some(change.clone()),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let (status, answer) = w
        .send(
            p.clone(),
            "/auth/password",
            "/auth/password",
            Some(&first),
            Some(change),
        )
        .await;
    assert!(status.is_success(), "{status} {answer}");
    for (pattern, path) in [
        ("/units", "/units".to_owned()),
        ("/units/{code}", format!("/units/{COMMUNE}")),
        ("/rules", "/rules".to_owned()),
    ] {
        w.ok(g.clone(), pattern, &path, &cast.hotline, None).await;
        w.refused(
            g.clone(),
            pattern,
            &path,
            None,
            None,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }

    let a = crate::walk_cases::case_a(&mut w, &cast).await;
    crate::walk_cases::case_b(&mut w, &cast, &a).await;
    // Asking the hotline for support and withdrawing it (ND56 art. 31(3)).
    let c = app.report(&cast.worker, &hours_ago(3)).await;
    let support = format!("/cases/{c}/hotline-support");
    let withdrawal = format!("/cases/{c}/hotline-support/withdrawal");
    w.refused(
        p.clone(),
        "/cases/{id}/hotline-support",
        &support,
        Some(&cast.supervisor),
        Some(json!({})),
        StatusCode::FORBIDDEN,
    )
    .await;
    w.ok(
        p.clone(),
        "/cases/{id}/hotline-support",
        &support,
        &cast.worker,
        Some(json!({"reason": "Tổng đài giữ liên lạc với trẻ"})),
    )
    .await;
    w.refused(
        p.clone(),
        "/cases/{id}/hotline-support/withdrawal",
        &withdrawal,
        Some(&cast.other_approver),
        Some(json!({})),
        StatusCode::NOT_FOUND,
    )
    .await;
    w.ok(
        p.clone(),
        "/cases/{id}/hotline-support/withdrawal",
        &withdrawal,
        &cast.approver,
        Some(json!({})),
    )
    .await;

    // One child, one record (issue 12): search, the worklist, link, unlink, different child.
    let d = app.report(&cast.worker, &hours_ago(2)).await;
    let search = json!({"child": {"full_name": "Lo Thi Mai", "estimated_age": 9}});
    w.ok(
        p.clone(),
        "/children/matches",
        "/children/matches",
        &cast.hotline,
        Some(search.clone()),
    )
    .await;
    w.refused(
        p.clone(),
        "/children/matches",
        "/children/matches",
        Some(&cast.approver),
        Some(search),
        StatusCode::FORBIDDEN,
    )
    .await;
    w.ok(
        g.clone(),
        "/children/duplicates",
        "/children/duplicates",
        &cast.worker,
        None,
    )
    .await;
    w.refused(
        g.clone(),
        "/children/duplicates",
        "/children/duplicates",
        Some(&cast.hotline),
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
    let link = format!("/cases/{d}/child-link");
    let unlink = format!("/cases/{d}/child-unlink");
    let distinct = format!("/cases/{d}/child-distinct");
    w.refused(
        p.clone(),
        "/cases/{id}/child-link",
        &link,
        Some(&cast.other_worker),
        Some(json!({"same_as_case_id": c})),
        StatusCode::NOT_FOUND,
    )
    .await;
    w.ok(
        p.clone(),
        "/cases/{id}/child-link",
        &link,
        &cast.worker,
        Some(json!({"same_as_case_id": c})),
    )
    .await;
    w.refused(
        p.clone(),
        "/cases/{id}/child-unlink",
        &unlink,
        Some(&cast.supervisor),
        Some(json!({})),
        StatusCode::FORBIDDEN,
    )
    .await;
    w.ok(
        p.clone(),
        "/cases/{id}/child-unlink",
        &unlink,
        &cast.approver,
        Some(json!({})),
    )
    .await;
    w.refused(
        p.clone(),
        "/cases/{id}/child-distinct",
        &distinct,
        Some(&cast.worker),
        Some(json!({"other_case_id": "not-an-id"})),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    w.ok(
        p.clone(),
        "/cases/{id}/child-distinct",
        &distinct,
        &cast.worker,
        Some(json!({"other_case_id": c})),
    )
    .await;

    let s = &cast.supervisor;

    w.ok(
        g.clone(),
        "/statistics",
        &format!("/statistics?unit={PROVINCE}"),
        s,
        None,
    )
    .await;
    w.refused(
        g.clone(),
        "/statistics",
        "/statistics",
        Some(&cast.worker),
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
    // Periodic reports: supervisors only, on the template's grid.
    let w_ = &cast.worker;
    w.ok(g.clone(), "/report-templates", "/report-templates", s, None)
        .await;
    w.refused(
        g.clone(),
        "/report-templates",
        "/report-templates",
        Some(w_),
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
    let preview = crate::reports::SIX_MONTH;
    w.ok(g.clone(), "/periodic-reports/preview", preview, s, None)
        .await;
    w.refused(
        g.clone(),
        "/periodic-reports/preview",
        preview,
        Some(&cast.approver),
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
    let issue = json!({"template": "monthly_0101", "unit": PROVINCE, "period": "2026-06"});
    let issued = w
        .ok(
            p.clone(),
            "/periodic-reports",
            "/periodic-reports",
            s,
            Some(issue),
        )
        .await;
    let bad = json!({"template": "monthly_0101", "unit": PROVINCE, "period": "2026-H1"});
    w.refused(
        p.clone(),
        "/periodic-reports",
        "/periodic-reports",
        Some(s),
        Some(bad),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    w.ok(g.clone(), "/periodic-reports", "/periodic-reports", s, None)
        .await;
    w.refused(
        g.clone(),
        "/periodic-reports",
        "/periodic-reports",
        Some(w_),
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
    let one = format!("/periodic-reports/{}", issued["id"].as_str().unwrap());
    w.ok(g.clone(), "/periodic-reports/{id}", &one, s, None)
        .await;
    w.refused(
        g.clone(),
        "/periodic-reports/{id}",
        &one,
        Some(w_),
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
    let file = format!("{one}/file?format=xlsx");
    w.ok(g.clone(), "/periodic-reports/{id}/file", &file, s, None)
        .await;
    let pdf = format!("{one}/file?format=pdf");
    w.refused(
        g.clone(),
        "/periodic-reports/{id}/file",
        &pdf,
        Some(s),
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    // Alerts: the caller's inbox, marking read, and an admin's webhook deliveries.
    let message = crate::alerts::seed_message(&app.db, cast.worker.id).await;
    let read = format!("/inbox/{message}/read");
    w.ok(g.clone(), "/inbox", "/inbox", &cast.worker, None)
        .await;
    w.refused(
        g.clone(),
        "/inbox",
        "/inbox",
        Some(&cast.admin),
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
    w.refused(
        p.clone(),
        "/inbox/{id}/read",
        &read,
        Some(&cast.approver),
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    let item = w
        .ok(p.clone(), "/inbox/{id}/read", &read, &cast.worker, None)
        .await;
    assert!(item["read_at"].is_string(), "{item}");
    w.ok(
        p.clone(),
        "/inbox/read-all",
        "/inbox/read-all",
        &cast.approver,
        None,
    )
    .await;
    w.refused(
        p.clone(),
        "/inbox/read-all",
        "/inbox/read-all",
        None,
        None,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    w.ok(
        g.clone(),
        "/webhook-deliveries",
        "/webhook-deliveries?status=dead",
        &cast.admin,
        None,
    )
    .await;
    w.refused(
        g.clone(),
        "/webhook-deliveries",
        "/webhook-deliveries",
        Some(&cast.supervisor),
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
    let dead = crate::alerts::seed_dead_delivery(&app.db, cast.worker.id).await;
    let retry = format!("/webhook-deliveries/{dead}/retry");
    w.refused(
        p.clone(),
        "/webhook-deliveries/{id}/retry",
        &retry,
        Some(&cast.supervisor),
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
    let queued = w
        .ok(
            p.clone(),
            "/webhook-deliveries/{id}/retry",
            &retry,
            &cast.admin,
            None,
        )
        .await;
    assert_eq!(queued["status"], "pending");

    // /ready refuses when the calendar no longer covers the next 60 days (last: it moves the clock).
    let last = aggregates::deadlines::WorkingCalendar::shipped().last_year();
    app.clock
        .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, last, 12, 1, 2, 0, 0).unwrap());
    w.refused(
        g.clone(),
        "/ready",
        "/ready",
        None,
        None,
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;

    // Every route of the matrix: a success and a refusal. The public health and document
    // routes refuse nothing.
    let mut missing = Vec::new();
    for (method, pattern) in crate::routes::matrix_routes() {
        let (ok, no) = w
            .coverage
            .seen
            .get(&(method.clone(), pattern.clone()))
            .copied()
            .unwrap_or_default();
        println!("ROUTE_COVERAGE store={store:?} {method} {pattern} successes={ok} refusals={no}");
        let public = matches!(pattern.as_str(), "/health" | "/openapi.json");
        if ok == 0 || (no == 0 && !public) {
            missing.push(format!("{method} {pattern}: {ok} successes, {no} refusals"));
        }
    }
    assert!(
        missing.is_empty(),
        "routes without a success and a refusal:\n{}",
        missing.join("\n")
    );
}
both_stores!(every_route_succeeds_and_is_refused_over_http);
