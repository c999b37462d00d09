//! The printable dossier (Mẫu 01–07), over HTTP on both stores, through the API
//! (`GET /cases/{id}/dossier`) and the console (`/cases/{id}/dossier[/{form}]`): each form shows
//! the facts recorded, a form whose step is not recorded says so, the reporter's identity only
//! for the roles that may see it, every print in the access log, another commune's case not
//! found, typed text escaped.

use crate::both_stores;
use crate::console::page;
use crate::helpers::*;
use aggregates::codes::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A case walked through every step a form records: an emergency with urgent measures and a
/// separation, a detailed assessment, a needs meeting, a plan approved, a review.
async fn walked_case(app: &TestApp, cast: &Cast, child: &str) -> String {
    let mut body = report_body(&hours_ago(40), COMMUNE, &[child]);
    body["description"] = json!("Hàng xóm nghe tiếng la hét <b>đêm qua</b>");
    let opened = app.ok(&cast.hotline, "/reports", body).await;
    let id = opened["cases"][0]["id"].as_str().unwrap().to_owned();
    let at = |p: &str| format!("/cases/{id}{p}");
    app.ok(&cast.worker, &at("/initial-assessment"), json!({"assessed_at": hours_ago(39),
        "outcome": "emergency", "grounds": ["caregiver_is_perpetrator"], "findings": "Vết bầm ở tay"}))
        .await;
    app.ok(
        &cast.worker,
        &at("/urgent-measures"),
        json!({"applied_at": hours_ago(38), "measures": ["stop_the_act", "first_aid"]}),
    )
    .await;
    let until = vn(test_now() + chrono::Duration::days(3));
    app.ok(
        &cast.approver,
        &at("/separation"),
        json!({"decided_at": hours_ago(37), "until": until, "placement": "Nhà bà ngoại"}),
    )
    .await;
    app.ok(&cast.worker, &at("/detailed-assessment"), json!({"assessed_at": hours_ago(33),
        "physical_psychological": "Bầm tím", "family": "Mẹ và cha dượng", "risk_factors": "Rượu",
        "schooling": "Đi học đều", "community": "Hàng xóm hỗ trợ", "needs": ["health", "psychological"],
        "child_view": "Con muốn ở với bà"}))
        .await;
    app.ok(&cast.approver, &at("/needs-meeting"), json!({"held_at": hours_ago(32),
        "chaired_by": "Chủ tịch UBND xã", "attendees": ["Mẹ", "Trưởng bản"], "decisions": "Khám sức khỏe"}))
        .await;
    let today = test_today();
    app.ok(&cast.worker, &at("/plan"), json!({"submitted_at": hours_ago(31),
        "items": [{"measure": "medical_care_and_therapy", "service_type": "health", "responsible": "Trạm y tế xã",
        "starts_on": today.to_string(), "ends_on": (today + chrono::Days::new(10)).to_string(),
        "cost_estimate_vnd": 1500000}]}))
        .await;
    app.ok(
        &cast.approver,
        &at("/plan/decision"),
        json!({"decided_at": hours_ago(30), "decision": "approve", "plan_version": 1}),
    )
    .await;
    let ratings = json!({"harm_severity": "low", "abuser_access": "medium",
        "care_environment_obstacles": "low", "child_self_protection_recovery": "high"});
    app.ok(
        &cast.worker,
        &at("/review"),
        json!({"reviewed_at": hours_ago(27), "ratings": ratings, "outcome": "continue"}),
    )
    .await;
    id
}

fn form<'a>(dossier: &'a Value, code: &str) -> &'a Value {
    dossier["forms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["form"] == code)
        .unwrap_or_else(|| panic!("form {code} in {dossier}"))
}

/// The Vietnamese text of the field `name` of a form (the first such).
fn field(form: &Value, name: &str) -> String {
    form["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["fields"].as_array().unwrap())
        .find(|f| f["name"] == name)
        .map(|f| f["text"]["vi"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("field {name} in {form}"))
}

fn has_field(form: &Value, prefix: &str) -> bool {
    form["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["fields"].as_array().unwrap())
        .any(|f| f["name"].as_str().unwrap().starts_with(prefix))
}

/// The views of the case's access log, as (username, view).
async fn access_views(app: &TestApp, cast: &Cast, case: &str) -> Vec<(String, String)> {
    let (status, log) = app
        .get(
            &cast.supervisor,
            &format!("/cases/{case}/access-log?limit=500"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["username"].as_str().unwrap_or_default().to_owned(),
                e["view"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn count(views: &[(String, String)], user: &str, view: &str) -> usize {
    views.iter().filter(|(u, v)| u == user && v == view).count()
}

async fn each_form_shows_the_recorded_facts(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let case = walked_case(&app, &cast, "Lò Thị Mai").await;
    let (status, d) = app
        .get(&cast.worker, &format!("/cases/{case}/dossier"))
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["forms"].as_array().unwrap().len(), 7);
    assert_eq!(d["acting_unit"], COMMUNE);
    for code in ["01", "02", "03", "04", "05", "06", "07"] {
        assert_eq!(form(&d, code)["recorded"], true, "form {code}: {d}");
    }
    let f01 = form(&d, "01");
    assert_eq!(field(f01, "child.full_name"), "Lò Thị Mai");
    assert_eq!(field(f01, "child.sex"), Sex::Female.label_vi());
    assert_eq!(
        field(f01, "intake_point"),
        IntakePoint::Hotline111.label_vi()
    );
    assert_eq!(field(f01, "abuse_types"), AbuseType::Violence.label_vi());
    assert_eq!(field(f01, "incident_unit"), "Phường Đoàn Kết");
    assert_eq!(field(f01, "received_by"), "Cán bộ tongdai111");
    let received = chrono::DateTime::parse_from_rfc3339(&hours_ago(40))
        .unwrap()
        .format("%H:%M %d/%m/%Y")
        .to_string();
    assert_eq!(field(f01, "received_at"), received, "Vietnam time, 24 h");
    let f02 = form(&d, "02");
    assert_eq!(
        field(f02, "initial_assessment.outcome"),
        InitialOutcome::Emergency.label_vi()
    );
    assert_eq!(field(f02, "initial_assessment.by"), "Cán bộ mai.worker");
    let measures = &f02["sections"].as_array().unwrap().last().unwrap()["table"]["rows"][0];
    assert!(
        measures[1]["vi"]
            .as_str()
            .unwrap()
            .contains(UrgentMeasure::FirstAid.label_vi()),
        "{measures}"
    );
    let f03 = form(&d, "03");
    assert_eq!(field(f03, "detailed_assessment.family"), "Mẹ và cha dượng");
    assert_eq!(
        field(f03, "detailed_assessment.needs"),
        format!(
            "{}; {}",
            ServiceType::Health.label_vi(),
            ServiceType::Psychological.label_vi()
        )
    );
    assert_eq!(
        field(f03, "detailed_assessment.child_view"),
        "Con muốn ở với bà"
    );
    let f04 = form(&d, "04");
    assert_eq!(field(f04, "plan.cost_estimate_vnd"), "1.500.000");
    assert_eq!(field(f04, "needs_meeting.attendees"), "Mẹ; Trưởng bản");
    let item = &f04["sections"].as_array().unwrap().last().unwrap()["table"]["rows"][0];
    assert_eq!(item[3]["vi"], "Trạm y tế xã");
    assert_eq!(item[7]["vi"], "1.500.000");
    assert_eq!(
        item[5]["vi"],
        test_today().format("%d/%m/%Y").to_string(),
        "dates dd/mm/yyyy"
    );
    let f05 = form(&d, "05");
    assert!(f05.to_string().contains("phiên bản 1"), "{f05}");
    assert_eq!(f05["signatures"][0]["name"], "Cán bộ hung.chair");
    let f06 = form(&d, "06");
    assert_eq!(
        field(f06, "reviews.outcome"),
        ReviewOutcome::Continue.label_vi()
    );
    assert_eq!(
        field(f06, "ratings.abuser_access"),
        Rating::Medium.label_vi()
    );
    let f07 = form(&d, "07");
    assert_eq!(field(f07, "separation.placement"), "Nhà bà ngoại");
    assert_eq!(f07["signatures"][0]["name"], "Cán bộ hung.chair");

    // One form alone.
    let (status, one) = app
        .get(&cast.worker, &format!("/cases/{case}/dossier?form=03"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["forms"].as_array().unwrap().len(), 1);
    assert_eq!(one["forms"][0]["form"], "03");
    let (status, bad) = app
        .get(&cast.worker, &format!("/cases/{case}/dossier?form=08"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.to_string().contains("dossier_form_unknown"));

    // The console prints the same facts, in Vietnamese, under the national header.
    let (status, _, html) = page(&app, Some(&cast.worker), &format!("/cases/{case}/dossier")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"));
    assert!(html.contains("Độc lập - Tự do - Hạnh phúc"));
    for code in ["01", "02", "03", "04", "05", "06", "07"] {
        assert!(
            html.contains(&format!("data-testid=\"form-{code}\"")),
            "{code}"
        );
    }
    for fact in [
        "Lò Thị Mai",
        "Nhà bà ngoại",
        "Trạm y tế xã",
        "1.500.000",
        "Con muốn ở với bà",
    ] {
        assert!(html.contains(fact), "{fact}");
    }
    assert!(!html.contains("not-recorded"), "every step recorded");
    let (status, _, html) = page(
        &app,
        Some(&cast.worker),
        &format!("/cases/{case}/dossier/07"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-testid=\"form-07\"") && !html.contains("data-testid=\"form-01\""));
    let (status, _, _) = page(
        &app,
        Some(&cast.worker),
        &format!("/cases/{case}/dossier/08"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The case page links to it.
    let (_, _, html) = page(&app, Some(&cast.worker), &format!("/cases/{case}")).await;
    assert!(html.contains(&format!("href=\"/cases/{case}/dossier\"")));

    // A case just reported: only the receipt is filled; the others say they are not recorded.
    let fresh = app.report(&cast.hotline, &hours_ago(1)).await;
    let (_, d) = app
        .get(&cast.worker, &format!("/cases/{fresh}/dossier"))
        .await;
    assert_eq!(form(&d, "01")["recorded"], true);
    for code in ["02", "03", "04", "05", "06", "07"] {
        let f = form(&d, code);
        assert_eq!(f["recorded"], false, "{code}");
        assert!(f["sections"].as_array().unwrap().is_empty());
    }
    let (_, _, html) = page(
        &app,
        Some(&cast.worker),
        &format!("/cases/{fresh}/dossier/05"),
    )
    .await;
    assert!(html.contains("data-testid=\"not-recorded-05\""), "{html}");
    assert!(html.contains("Chưa ghi nhận"));
}
both_stores!(each_form_shows_the_recorded_facts);

async fn the_reporter_is_printed_only_for_who_may_see_it(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let case = app.report(&cast.hotline, &hours_ago(2)).await;
    // report_body's reporter: Nguyễn Văn An, 0912345678, with consent.
    for (who, sees) in [
        (&cast.worker, false),
        (&cast.approver, false),
        (&cast.supervisor, true),
        (&cast.hotline, true),
    ] {
        let (status, d) = app
            .get(who, &format!("/cases/{case}/dossier?form=01"))
            .await;
        assert_eq!(status, StatusCode::OK, "{}", who.username);
        let text = d.to_string();
        assert_eq!(
            text.contains("0912345678"),
            sees,
            "{}: {text}",
            who.username
        );
        assert_eq!(text.contains("Nguyễn Văn An"), sees, "{}", who.username);
        assert_eq!(
            has_field(&d["forms"][0], "reporter."),
            sees,
            "absent, not blanked"
        );
        let (status, _, html) = page(&app, Some(who), &format!("/cases/{case}/dossier/01")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(html.contains("0912345678"), sees, "{}", who.username);
        assert_eq!(html.contains("Người báo tin"), sees, "{}", who.username);
    }
}
both_stores!(the_reporter_is_printed_only_for_who_may_see_it);

async fn every_print_is_in_the_access_log_and_refusals_show_nothing(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let case = app.report(&cast.hotline, &hours_ago(2)).await;
    let before = access_views(&app, &cast, &case).await;
    app.get(&cast.worker, &format!("/cases/{case}/dossier"))
        .await;
    app.get(&cast.worker, &format!("/cases/{case}/dossier?form=02"))
        .await;
    page(
        &app,
        Some(&cast.approver),
        &format!("/cases/{case}/dossier"),
    )
    .await;
    page(
        &app,
        Some(&cast.approver),
        &format!("/cases/{case}/dossier/05"),
    )
    .await;
    page(
        &app,
        Some(&cast.approver),
        &format!("/cases/{case}/dossier/05"),
    )
    .await;
    let after = access_views(&app, &cast, &case).await;
    assert_eq!(count(&after, "mai.worker", "print_all"), 1, "{after:?}");
    assert_eq!(count(&after, "mai.worker", "print_02"), 1);
    assert_eq!(count(&after, "hung.chair", "print_all"), 1);
    assert_eq!(count(&after, "hung.chair", "print_05"), 2, "every print");

    // Another commune's worker and chair, and the admin: not found, and no row written.
    let rows = access_views(&app, &cast, &case).await.len();
    for who in [&cast.other_worker, &cast.other_approver, &cast.admin] {
        let (status, body) = app.get(who, &format!("/cases/{case}/dossier")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{}: {body}", who.username);
        assert_eq!(body["code"], "case_not_found");
        for path in [
            format!("/cases/{case}/dossier"),
            format!("/cases/{case}/dossier/01"),
        ] {
            let (status, _, html) = page(&app, Some(who), &path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{} {path}", who.username);
            assert!(html.contains("Không tìm thấy"));
            assert!(!html.contains("Lò Thị Mai") && !html.contains("12-2026-"));
        }
    }
    // The supervisor's reads of the log itself add rows; the refusals added none.
    let now = access_views(&app, &cast, &case).await;
    assert_eq!(
        now.len(),
        rows + 1,
        "one more row: the access-log read itself; {:?}",
        &now[before.len()..]
    );
    // An anonymous caller is sent to the login page.
    let (status, _, _) = page(&app, None, &format!("/cases/{case}/dossier")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}
both_stores!(every_print_is_in_the_access_log_and_refusals_show_nothing);

async fn typed_text_is_printed_as_text(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let case = walked_case(&app, &cast, "<script>alert(1)</script> Mai").await;
    let (status, _, html) = page(&app, Some(&cast.worker), &format!("/cases/{case}/dossier")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("<script"), "a script in a name");
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62; Mai"));
    assert!(!html.contains("<b>đêm qua</b>"), "markup in a description");
    assert!(html.contains("&#60;b&#62;đêm qua&#60;/b&#62;"));
}
both_stores!(typed_text_is_printed_as_text);
