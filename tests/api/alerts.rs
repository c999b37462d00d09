//! What the alert tests share: a webhook receiver on 127.0.0.1 that records what it gets and
//! answers as told, the webhook file, waiting for the notifier, inboxes, and messages or
//! deliveries written straight into the store (for the route matrices, which need one per user).

use crate::helpers::*;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use hmac::{Hmac, Mac};
use projections::with_db;
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The variable the tests' webhook secret is in, and the secret.
pub const SECRET_ENV: &str = "CASEBOOK_WEBHOOK_SECRET_TESTS";
pub const SECRET: &str = "a test secret of more than thirty-two characters";

/// Sets the secret's variable for the servers built in this process (same value every time).
pub fn set_secret() {
    static SET: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    SET.get_or_init(|| std::env::set_var(SECRET_ENV, SECRET));
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub key: String,
    pub signature: String,
    pub kind: String,
    pub body: Vec<u8>,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// Whether `Casebook-Signature` is HMAC-SHA256(SECRET, "<t>.<body>") — checked here with
    /// the `hmac` crate, not with the server's code.
    pub fn signature_verifies(&self) -> bool {
        let Some((t, v1)) = self
            .signature
            .strip_prefix("t=")
            .and_then(|rest| rest.split_once(",v1="))
        else {
            return false;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(t.as_bytes());
        mac.update(b".");
        mac.update(&self.body);
        let expected: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        t.parse::<i64>().is_ok() && expected == v1
    }
}

struct Shared {
    log: Mutex<Vec<Received>>,
    status: AtomicU16,
    /// Milliseconds the receiver waits before it answers (a slower receiver).
    delay_ms: AtomicU64,
}

/// A webhook receiver on 127.0.0.1 (`POST /hook`), living as long as the test.
pub struct Receiver {
    pub url: String,
    shared: web::Data<Shared>,
    handle: actix_web::dev::ServerHandle,
}

async fn hook(req: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let delay = shared.delay_ms.load(Ordering::Relaxed);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    shared.log.lock().unwrap().push(Received {
        key: header("idempotency-key"),
        signature: header("casebook-signature"),
        kind: header("casebook-kind"),
        body: body.to_vec(),
    });
    let status = shared.status.load(Ordering::Relaxed);
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
}

impl Receiver {
    pub async fn start() -> Receiver {
        let shared = web::Data::new(Shared {
            log: Mutex::new(Vec::new()),
            status: AtomicU16::new(200),
            delay_ms: AtomicU64::new(0),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let data = shared.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/hook", web::post().to(hook))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Receiver {
            url: format!("http://127.0.0.1:{port}/hook"),
            shared,
            handle,
        }
    }

    /// The status it answers from now on.
    pub fn answer(&self, status: u16) {
        self.shared.status.store(status, Ordering::Relaxed);
    }

    pub fn delay(&self, ms: u64) {
        self.shared.delay_ms.store(ms, Ordering::Relaxed);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.log.lock().unwrap().clone()
    }

    /// Waits until `done` holds for what was received, at most `bound`.
    pub async fn wait(&self, bound: Duration, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let got = self.received();
            if done(&got) {
                return got;
            }
            assert!(
                started.elapsed() < bound,
                "the receiver did not get what was expected: {} requests",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

/// A `CASEBOOK_WEBHOOKS` file with `endpoints` (each `{name, url, kinds?}`), fast retries.
pub fn webhooks_file(
    dir: &std::path::Path,
    extra: Value,
    endpoints: &[Value],
) -> std::path::PathBuf {
    let endpoints: Vec<Value> = endpoints
        .iter()
        .map(|e| {
            let mut e = e.clone();
            e["secret_env"] = json!(SECRET_ENV);
            e
        })
        .collect();
    let mut file = json!({"public_url": "https://casebook.example.vn", "endpoints": endpoints});
    if let Some(extra) = extra.as_object() {
        for (k, v) in extra {
            file[k] = v.clone();
        }
    }
    let path = dir.join("webhooks.json");
    std::fs::write(&path, file.to_string()).unwrap();
    path
}

/// Opens the case of a report (one child); its id and number.
pub async fn open(app: &TestApp, by: &TestUser, body: Value) -> (String, String) {
    let opened = app.ok(by, "/reports", body).await;
    (
        opened["cases"][0]["id"].as_str().unwrap().to_owned(),
        opened["cases"][0]["case_number"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

/// Two rapid reports by the hotline in `COMMUNE` (two messages for its chair and the province's
/// supervisor), once the notifier has written them; the first case's id and number.
pub async fn two_rapid_reports(app: &TestApp, cast: &Cast) -> (String, String) {
    let first = open(
        app,
        &cast.hotline,
        report_body(&hours_ago(3), COMMUNE, &["Lò Thị Mai"]),
    )
    .await;
    open(
        app,
        &cast.hotline,
        report_body(&hours_ago(2), COMMUNE, &["Lò Văn Nam"]),
    )
    .await;
    settle(app).await;
    first
}

/// Waits until the notifier has read every event committed so far (its messages are written
/// in the transaction that advances it).
pub async fn settle(app: &TestApp) {
    let started = Instant::now();
    assert!(
        projections::notifier::follower::checkpoint(&app.db)
            .await
            .unwrap()
            .is_some(),
        "the notifier was started"
    );
    loop {
        let lag = projections::notifier::follower::lag(&app.db).await.unwrap();
        if lag == 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the notifier is {lag} events behind"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A user's inbox (one page of up to 500).
pub async fn inbox(app: &TestApp, user: &TestUser) -> Value {
    let (status, body) = app.get(user, "/inbox?limit=500").await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    body
}

/// (kind, case number) of every message in a user's inbox, sorted.
pub async fn kinds(app: &TestApp, user: &TestUser) -> Vec<(String, String)> {
    let body = inbox(app, user).await;
    let mut out: Vec<(String, String)> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap().to_owned(),
                m["case_number"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Polls a user's inbox until `done` holds, at most 20 s.
pub async fn wait_for_inbox(
    app: &TestApp,
    user: &TestUser,
    done: impl Fn(&[(String, String)]) -> bool,
) -> Vec<(String, String)> {
    let started = Instant::now();
    loop {
        let got = kinds(app, user).await;
        if done(&got) {
            return got;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{}'s inbox never got there: {got:?}",
            user.username
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A message for `user`, written straight into the store; returns its id.
pub async fn seed_message(db: &projections::Db, user: uuid::Uuid) -> uuid::Uuid {
    let id = uuid::Uuid::now_v7();
    let now = test_now();
    with_db!(db, pool => {
        sqlx::query("INSERT INTO notifications (id, dedupe_key, kind, case_id, case_number, unit_code, \
            unit_name, rule_id, due_at, at, created_at) VALUES ($1, $2, 'case_assigned', $3, '12-2026-999999', \
            $4, 'Xã thử', NULL, NULL, $5, $5)")
            .bind(id).bind(format!("seeded:{id}")).bind(uuid::Uuid::now_v7()).bind(COMMUNE).bind(now)
            .execute(pool).await.unwrap();
        sqlx::query("INSERT INTO notification_recipients (user_id, notification_id) VALUES ($1, $2)")
            .bind(user).bind(id).execute(pool).await.unwrap();
    });
    id
}

/// A dead webhook delivery (to an endpoint this server does not know), straight into the
/// store; returns its id.
pub async fn seed_dead_delivery(db: &projections::Db, user: uuid::Uuid) -> uuid::Uuid {
    let message = seed_message(db, user).await;
    let id = uuid::Uuid::now_v7();
    let now = chrono::Utc::now();
    with_db!(db, pool => {
        sqlx::query("INSERT INTO webhook_deliveries (id, notification_id, endpoint, status, attempts, \
            next_attempt_at, last_status, last_error, created_at, updated_at) \
            VALUES ($1, $2, 'retired', 'dead', 10, $3, 500, 'answered 500', $3, $3)")
            .bind(id).bind(message).bind(now).execute(pool).await.unwrap();
    });
    id
}

/// Every stored message's text columns and every inbox item, as one string to grep.
pub async fn everything_stored(db: &projections::Db) -> String {
    let rows: Vec<(String, String, String, String)> = with_db!(db, pool => sqlx::query_as(
        "SELECT dedupe_key, kind, case_number, unit_name FROM notifications")
        .fetch_all(pool).await.unwrap());
    format!("{rows:?}")
}
