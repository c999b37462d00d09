//! `spawn_app`: the real server, built by `Application::build` as `main` builds it, on port 0,
//! against a real store (SQLite in a temporary directory, or a fresh Postgres database).

use aggregates::codes::Role;
use aggregates::policy::Grant;
use aggregates::units::UnitCode;
use casebook::clock::Clock;
use casebook::config::Settings;
use casebook::startup::Application;
use casebook::store::users::{self, NewUser};
use projections::Db;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::OnceLock;

/// Which store a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    Sqlite,
    Postgres,
}

/// Lai Châu province and two of its communes (official codes, from the shipped registry).
pub const PROVINCE: &str = "12";
pub const COMMUNE: &str = "03388";
pub const OTHER_COMMUNE: &str = "03390";

pub struct TestApp {
    pub address: String,
    /// The server's business clock: it starts at `test_now()` and runs on at the real pace.
    pub clock: Clock,
    pub client: reqwest::Client,
    pub db: Db,
    pub database_url: String,
    handle: actix_web::dev::ServerHandle,
    _dir: Option<tempfile::TempDir>,
}

#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: uuid::Uuid,
    pub username: String,
    pub token: String,
}

/// The users of a commune's daily work.
pub struct Cast {
    pub admin: TestUser,
    pub hotline: TestUser,
    pub worker: TestUser,
    pub approver: TestUser,
    pub supervisor: TestUser,
    pub other_worker: TestUser,
    pub other_approver: TestUser,
}

/// A pre-computed password hash (argon2id is slow on purpose; hashing once keeps tests quick).
fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| casebook::auth::hash_password(PASSWORD).expect("hash"))
}

pub const PASSWORD: &str = "correct horse battery staple";

pub fn init_logs() {
    static LOGS: OnceLock<()> = OnceLock::new();
    LOGS.get_or_init(|| {
        if std::env::var("TEST_LOG").is_ok() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter("info")
                .with_test_writer()
                .try_init();
        }
    });
}

impl TestApp {
    /// A fresh store of `kind` and a server on it.
    pub async fn spawn(kind: Store) -> TestApp {
        Self::spawn_with(kind, |_| {}).await
    }

    /// A fresh store and a server with adjusted settings.
    pub async fn spawn_with(kind: Store, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        Self::spawn_with_clock(kind, Clock::starting_at(test_now()), adjust).await
    }

    /// A fresh store and a server on `clock` (`Clock::system()` for the real today).
    pub async fn spawn_with_clock(
        kind: Store,
        clock: Clock,
        adjust: impl FnOnce(&mut Settings),
    ) -> TestApp {
        let (url, dir) = match kind {
            Store::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("casebook.db").display());
                (url, Some(dir))
            }
            Store::Postgres => (super::pg::fresh_database().await, None),
        };
        Self::build(kind, url, dir, clock, adjust).await
    }

    /// A server on an existing store (restarts).
    pub async fn spawn_on(kind: Store, url: String, dir: Option<tempfile::TempDir>) -> TestApp {
        Self::spawn_on_with(kind, url, dir, |_| {}).await
    }

    /// [`TestApp::spawn_on`] with adjusted settings.
    pub async fn spawn_on_with(
        kind: Store,
        url: String,
        dir: Option<tempfile::TempDir>,
        adjust: impl FnOnce(&mut Settings),
    ) -> TestApp {
        // The restarted server's clock runs on from where any earlier server of this process
        // may have got to, so that times recorded after the restart come after those before.
        let elapsed = chrono::Duration::from_std(process_started().elapsed()).unwrap();
        let clock = Clock::starting_at(test_now() + elapsed);
        Self::build(kind, url, dir, clock, adjust).await
    }

    async fn build(
        _kind: Store,
        url: String,
        dir: Option<tempfile::TempDir>,
        clock: Clock,
        adjust: impl FnOnce(&mut Settings),
    ) -> TestApp {
        init_logs();
        process_started();
        let mut settings = Settings::for_database(&url);
        settings.listen = "127.0.0.1:0".parse().unwrap();
        settings.workers = Some(2);
        settings.db_max_connections = 8;
        adjust(&mut settings);
        let app = Application::build_with_clock(settings, clock.clone())
            .await
            .expect("the application builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let db = app.db.clone();
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            clock,
            client: reqwest::Client::builder().build().unwrap(),
            db,
            database_url: url,
            handle,
            _dir: dir,
        }
    }

    /// Stops the server gracefully; the store stays.
    pub async fn stop(self) -> (String, Option<tempfile::TempDir>) {
        self.handle.stop(true).await;
        self.db.close().await;
        (self.database_url, self._dir)
    }

    /// A user created in the store, logged in over HTTP.
    pub async fn user(&self, username: &str, grants: &[(Role, &str)]) -> TestUser {
        let id = create_user(&self.db, username, grants).await;
        let token = self.login(username, PASSWORD).await;
        TestUser {
            id,
            username: username.to_owned(),
            token,
        }
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let response = self
            .client
            .post(format!("{}/api/v1/auth/login", self.address))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "login of {username}");
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    pub async fn cast(&self) -> Cast {
        Cast {
            admin: self.user("admin", &[(Role::Admin, "VN")]).await,
            hotline: self
                .user("tongdai111", &[(Role::HotlineOperator, "VN")])
                .await,
            worker: self
                .user("mai.worker", &[(Role::SocialWorker, COMMUNE)])
                .await,
            approver: self.user("hung.chair", &[(Role::Approver, COMMUNE)]).await,
            supervisor: self
                .user("lan.supervisor", &[(Role::Supervisor, PROVINCE)])
                .await,
            other_worker: self
                .user("binh.worker", &[(Role::SocialWorker, OTHER_COMMUNE)])
                .await,
            other_approver: self
                .user("tuan.chair", &[(Role::Approver, OTHER_COMMUNE)])
                .await,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.address)
    }

    pub async fn request(
        &self,
        method: Method,
        token: Option<&str>,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        // Tests read across users (one writes, another reads): they ask for strong reads. The
        // per-session default is tested on its own (views::a_session_reads_its_own_writes).
        let mut request = self
            .client
            .request(method, self.url(path))
            .header("casebook-consistency", "strong");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, headers, value)
    }

    pub async fn post(&self, user: &TestUser, path: &str, body: Value) -> (StatusCode, Value) {
        let (status, _, value) = self
            .request(Method::POST, Some(&user.token), path, Some(&body), &[])
            .await;
        (status, value)
    }

    pub async fn get(&self, user: &TestUser, path: &str) -> (StatusCode, Value) {
        let (status, _, value) = self
            .request(Method::GET, Some(&user.token), path, None, &[])
            .await;
        (status, value)
    }

    /// Posts a command that must succeed; returns the case.
    pub async fn ok(&self, user: &TestUser, path: &str, body: Value) -> Value {
        let (status, value) = self.post(user, path, body).await;
        assert!(
            status.is_success(),
            "POST {path} by {}: {status} {value}",
            user.username
        );
        value
    }

    /// A hotline report about one child in `COMMUNE`; returns the case id.
    pub async fn report(&self, by: &TestUser, received_at: &str) -> String {
        let body = report_body(received_at, COMMUNE, &["Lò Thị Mai"]);
        let value = self.ok(by, "/reports", body).await;
        value["cases"][0]["id"].as_str().unwrap().to_owned()
    }
}

/// A user with `PASSWORD`, straight in the store.
pub async fn create_user(db: &Db, username: &str, grants: &[(Role, &str)]) -> uuid::Uuid {
    let grants: Vec<Grant> = grants
        .iter()
        .map(|(role, unit)| Grant {
            role: *role,
            unit: UnitCode::parse(unit).unwrap(),
        })
        .collect();
    let id = uuid::Uuid::now_v7();
    users::create(
        db,
        &NewUser {
            id,
            username,
            display_name: &format!("Cán bộ {username}"),
            password_hash: password_hash(),
            grants: &grants,
            now: chrono::Utc::now(),
        },
    )
    .await
    .expect("user created");
    id
}

/// A count the long reliability runs raise (`scripts/reliability.sh` sets `RELIABILITY_<NAME>`);
/// the suite runs the short default.
pub fn knob(name: &str, default: usize) -> usize {
    std::env::var(format!("RELIABILITY_{name}"))
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A report body about `children` (by name) in `unit`.
pub fn report_body(received_at: &str, unit: &str, children: &[&str]) -> Value {
    let children: Vec<Value> = children
        .iter()
        .map(|name| {
            json!({"full_name": name, "estimated_age": 9, "sex": "female", "ethnicity": "Thái",
                   "residence_unit": unit, "school": "Trường Tiểu học Đoàn Kết"})
        })
        .collect();
    json!({
        "received_at": received_at,
        "intake_point": "hotline_111",
        "channel": "phone",
        "target_group": "abused",
        "incident_unit": unit,
        "description": "Hàng xóm báo trẻ bị đánh nhiều lần, có vết bầm tím.",
        "abuse_types": ["violence"],
        "abuse_environment": "family",
        "perpetrator_relationship": "step_parent",
        "immediate_danger": true,
        "reporter": {"name": "Nguyễn Văn An", "phone": "0912345678", "relationship": "neighbour", "consent": true},
        "children": children
    })
}

/// Where every test server's clock starts: Tuesday 16 June 2026, 09:00 in Vietnam, an ordinary
/// working week of the shipped 2026 calendar. Tests never depend on today's date (one test in
/// `service` checks the real calendar against the real today, as `/ready` does).
pub fn test_now() -> chrono::DateTime<chrono::Utc> {
    "2026-06-16T02:00:00Z".parse().unwrap()
}

fn process_started() -> std::time::Instant {
    static STARTED: OnceLock<std::time::Instant> = OnceLock::new();
    *STARTED.get_or_init(std::time::Instant::now)
}

/// The day of `test_now()` in Vietnam.
pub fn test_today() -> chrono::NaiveDate {
    aggregates::deadlines::calendar::local_date(test_now())
}

/// RFC 3339 in Vietnam time.
pub fn vn(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&aggregates::deadlines::calendar::vietnam_offset())
        .to_rfc3339()
}

/// RFC 3339 in Vietnam time, `hours` before `test_now()` (negative: after).
pub fn hours_ago(hours: i64) -> String {
    vn(test_now() - chrono::Duration::hours(hours))
}

/// The body of `POST /cases/{id}/separation/extension` (one place to change if the
/// extension comes to carry its own business time).
pub fn extension_body(until: &str) -> Value {
    json!({ "until": until })
}

/// Runs a scenario against both stores, as two tests.
#[macro_export]
macro_rules! both_stores {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Store::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::helpers::Store::Postgres).await;
            }
        }
    };
}
