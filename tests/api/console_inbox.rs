//! The alerts inbox in the console over HTTP, on both stores: the unread count in every page's
//! header, the inbox page (case number and commune, never a name), marking one or all read
//! behind the CSRF check, another user's message not found, and the admin's deliveries page.

use crate::alerts::*;
use crate::both_stores;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

/// A console request as a browser on this site sends it.
async fn console(
    app: &TestApp,
    user: &TestUser,
    path: &str,
    form: Option<&[(&str, &str)]>,
) -> (StatusCode, String, String) {
    use casebook::web::session::{csrf_token, SESSION_COOKIE};
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = format!("{}{path}", app.address);
    let cookie = format!("{SESSION_COOKIE}={}", user.token);
    let request = match form {
        None => client.get(url),
        Some(fields) => {
            let token = csrf_token(&user.token);
            let mut pairs: Vec<(&str, &str)> = fields.to_vec();
            if !fields.iter().any(|(k, _)| *k == "csrf_token") {
                pairs.push(("csrf_token", &token));
            }
            client
                .post(url)
                .header("origin", app.address.clone())
                .form(&pairs)
        }
    };
    let response = request.header("cookie", cookie).send().await.unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, location, response.text().await.unwrap_or_default())
}

async fn the_console_inbox_shows_counts_and_marks_read(store: Store) {
    let app = TestApp::spawn(store).await;
    let cast = app.cast().await;
    let (a, a_no) = two_rapid_reports(&app, &cast).await;
    // Every page's header carries the unread count, in words.
    let (status, _, cases) = console(&app, &cast.approver, "/cases", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(cases.contains("Hộp thư (2 tin chưa đọc)"), "header count");
    let (status, _, page) = console(&app, &cast.approver, "/inbox", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("data-testid=\"inbox\""));
    assert!(page.contains(&a_no) && page.contains(&format!("href=\"/cases/{a}\"")));
    assert!(page.contains("Báo cáo nhanh"), "the rule in words");
    assert!(
        !page.contains("Lò Thị Mai") && !page.contains("Lò Văn Nam"),
        "no names"
    );
    let first = inbox(&app, &cast.approver).await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let read = format!("/inbox/{first}/read");
    // Without the CSRF token: refused, nothing read.
    let (status, _, _) = console(
        &app,
        &cast.approver,
        &read,
        Some(&[("csrf_token", "forged"), ("view", "all")]),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(inbox(&app, &cast.approver).await["unread"], json!(2));
    let (status, location, _) =
        console(&app, &cast.approver, &read, Some(&[("view", "unread")])).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/inbox?unread=1");
    let (_, _, page) = console(&app, &cast.approver, "/inbox?unread=1", None).await;
    assert!(page.contains("1 tin chưa đọc"));
    assert!(
        !page.contains(&format!("id=\"message-{first}\"")),
        "read: not among the unread"
    );
    let (status, location, _) = console(
        &app,
        &cast.approver,
        "/inbox/read-all",
        Some(&[("view", "all")]),
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/inbox")
    );
    let (_, _, cases) = console(&app, &cast.approver, "/cases", None).await;
    assert!(cases.contains(">Hộp thư<"), "no count once all are read");
    // Another user's message is not found; the admin has no inbox but sees the deliveries.
    let (status, _, _) = console(&app, &cast.worker, &read, Some(&[("view", "all")])).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = console(&app, &cast.admin, "/inbox", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, page) = console(&app, &cast.admin, "/deliveries", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Gửi cảnh báo qua webhook"));
    let (status, _, _) = console(&app, &cast.supervisor, "/deliveries", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let dead = seed_dead_delivery(&app.db, cast.approver.id).await;
    let (_, _, page) = console(&app, &cast.admin, "/deliveries?status=dead", None).await;
    assert!(page.contains(&format!("id=\"delivery-{dead}\"")));
    let (status, location, _) = console(
        &app,
        &cast.admin,
        &format!("/deliveries/{dead}/retry"),
        Some(&[]),
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/deliveries?status=pending")
    );
}
both_stores!(the_console_inbox_shows_counts_and_marks_read);
