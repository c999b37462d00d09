//! Bad input gets a clear 4xx problem document with a stable code, never a 5xx, and changes
//! nothing.

use crate::both_stores;
use crate::helpers::*;
use projections::with_db;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn event_count(app: &TestApp) -> i64 {
    with_db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT count(*) FROM events").fetch_one(pool).await.unwrap())
}

async fn raw(
    app: &TestApp,
    user: &TestUser,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value, String) {
    let response = app
        .client
        .post(app.url(path))
        .bearer_auth(&user.token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        content_type,
    )
}

async fn bad_input_is_refused_with_a_problem_and_writes_nothing(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let id = app.report(&cast.hotline, &hours_ago(5)).await;
    let before = event_count(&app).await;
    let case = |p: &str| format!("/cases/{id}{p}");
    let future = (app.clock.now() + chrono::Duration::hours(2)).to_rfc3339();
    let report = report_body(&hours_ago(1), COMMUNE, &["X"]);
    let with = |mut v: Value, key: &str, value: Value| {
        v[key] = value;
        v
    };

    // (who, path, body, expected status, expected code)
    let table: Vec<(&TestUser, String, Vec<u8>, StatusCode, &str)> = vec![
        (
            &cast.hotline,
            "/reports".into(),
            b"{not json".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_request",
        ),
        (
            &cast.hotline,
            "/reports".into(),
            vec![0xff, 0xfe, 0x7b],
            StatusCode::BAD_REQUEST,
            "malformed_request",
        ),
        (
            &cast.hotline,
            "/reports".into(),
            b"[]".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            &cast.hotline,
            "/reports".into(),
            b"{}".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            &cast.hotline,
            "/reports".into(),
            with(report.clone(), "channel", json!("carrier_pigeon"))
                .to_string()
                .into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            &cast.hotline,
            "/reports".into(),
            with(report.clone(), "received_at", json!(future))
                .to_string()
                .into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "time_in_future",
        ),
        (
            &cast.hotline,
            "/reports".into(),
            with(report.clone(), "received_at", json!("2026-03-02 09:00"))
                .to_string()
                .into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            &cast.hotline,
            "/reports".into(),
            with(report.clone(), "abuse_types", json!("violence"))
                .to_string()
                .into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            &cast.hotline,
            "/reports".into(),
            with(report.clone(), "incident_unit", json!("99999"))
                .to_string()
                .into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            &cast.hotline,
            "/reports".into(),
            with(report.clone(), "children", json!([]))
                .to_string()
                .into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            &cast.hotline,
            "/reports".into(),
            with(report.clone(), "surprise", json!(1))
                .to_string()
                .into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            &cast.hotline,
            "/reports".into(),
            with(
                report.clone(),
                "reporter",
                json!({"name": "A", "consent": false}),
            )
            .to_string()
            .into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "reporter_consent_required",
        ),
        (
            &cast.worker,
            case("/initial-assessment"),
            json!({"assessed_at": future, "outcome": "support_needed", "findings": "x"})
                .to_string()
                .into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "time_in_future",
        ),
        (
            &cast.worker,
            case("/initial-assessment"),
            json!({"assessed_at": hours_ago(9), "outcome": "support_needed", "findings": "x"})
                .to_string()
                .into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "time_before_previous_step",
        ),
        (
            &cast.worker,
            case("/initial-assessment"),
            json!({"assessed_at": hours_ago(1), "outcome": 3, "findings": "x"})
                .to_string()
                .into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            &cast.worker,
            case("/initial-assessment"),
            json!({"assessed_at": hours_ago(1), "outcome": "emergency", "findings": "x"})
                .to_string()
                .into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "emergency_grounds_required",
        ),
        (
            &cast.worker,
            case("/initial-assessment"),
            json!({"assessed_at": hours_ago(1), "outcome": "support_needed", "findings": "   "})
                .to_string()
                .into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            &cast.worker,
            case("/plan"),
            json!({"submitted_at": hours_ago(1), "items": []})
                .to_string()
                .into_bytes(),
            StatusCode::CONFLICT,
            "initial_assessment_missing",
        ),
        (
            &cast.worker,
            "/cases/not-a-uuid/notes".into(),
            json!({"text": "x"}).to_string().into_bytes(),
            StatusCode::NOT_FOUND,
            "invalid_id",
        ),
        (
            &cast.worker,
            case("/notes"),
            json!({"text": "x".repeat(20_001)}).to_string().into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            &cast.worker,
            case("/notes"),
            vec![b'a'; 300_000],
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
        ),
        (
            &cast.worker,
            case("/corrections"),
            json!({"corrects_event": 999, "field": "description", "value": "x", "reason": "typo"})
                .to_string()
                .into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "correction_target_unknown",
        ),
    ];
    for (user, path, body, status, code) in table {
        let shown = String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned();
        let (got, problem, content_type) = raw(&app, user, &path, "application/json", body).await;
        assert_eq!(got, status, "POST {path} {shown}: {problem}");
        assert_eq!(problem["code"], code, "POST {path} {shown}: {problem}");
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(problem["status"], status.as_u16());
        assert!(problem["title"].as_str().is_some_and(|t| !t.is_empty()));
    }
    // Not JSON at all.
    let (status, problem, _) = raw(
        &app,
        &cast.worker,
        &case("/notes"),
        "text/plain",
        b"hello".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(problem["code"], "unsupported_media_type");

    assert_eq!(
        event_count(&app).await,
        before,
        "a refused request wrote events"
    );
}
both_stores!(bad_input_is_refused_with_a_problem_and_writes_nothing);

async fn problems_speak_vietnamese_by_default_and_english_on_request(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let path = format!("/cases/{}", uuid::Uuid::now_v7());
    let (_, headers, vi) = app
        .request(
            reqwest::Method::GET,
            Some(&cast.worker.token),
            &path,
            None,
            &[],
        )
        .await;
    assert_eq!(vi["title"], "Không tìm thấy hồ sơ");
    assert_eq!(headers.get("content-language").unwrap(), "vi");
    let (_, _, en) = app
        .request(
            reqwest::Method::GET,
            Some(&cast.worker.token),
            &path,
            None,
            &[("accept-language", "en-GB,en;q=0.9")],
        )
        .await;
    assert_eq!(en["title"], "No such case");
    assert_eq!(en["code"], vi["code"]);
    // Field messages follow the language too.
    let (_, _, problem) = app
        .request(
            reqwest::Method::POST,
            Some(&cast.hotline.token),
            "/reports",
            Some(&json!({"received_at": "yesterday"})),
            &[("accept-language", "en")],
        )
        .await;
    assert_eq!(problem["code"], "validation_failed");
    assert!(problem["errors"][0]["message"].as_str().is_some());
}
both_stores!(problems_speak_vietnamese_by_default_and_english_on_request);
