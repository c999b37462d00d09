//! Faults: the server killed (`kill -9`) under a burst of commands, or its Postgres crashing,
//! loses no acknowledged event from the log or the views; each fault must be felt (refusals by
//! cause) and survived (writes acknowledged after it). The commit-order gap is in `gaps`. Short variants: the long ones run from `scripts/reliability.sh`.

use crate::both_stores;
use crate::helpers::*;
use aggregates::codes::Role;
use projections::with_db;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The release binary under test, run as a separate process so that it can be killed.
pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
    _calendar: tempfile::TempDir,
}

/// A working calendar of weekends only around the real today, so that the binary (on the
/// system clock) never outlives its calendar: these tests are about durability, not deadlines.
fn calendar_around_today() -> tempfile::TempDir {
    use chrono::Datelike;
    let year = chrono::Utc::now().year();
    let years: serde_json::Map<String, Value> = (year - 1..=year + 2)
        .map(|y| {
            (
                y.to_string(),
                json!({"status": "provisional", "days_off": [], "make_up_working_days": []}),
            )
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = json!({"timezone": "Asia/Ho_Chi_Minh", "years": years});
    std::fs::write(dir.path().join("calendar.json"), file.to_string()).unwrap();
    dir
}

impl Server {
    async fn start(url: &str) -> Server {
        Self::start_with(url, &[]).await
    }

    /// Started with more environment (the alert tests' webhook file and secret).
    pub(crate) async fn start_with(url: &str, env: &[(&str, &str)]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let calendar = calendar_around_today();
        let child = Command::new(env!("CARGO_BIN_EXE_casebook"))
            .arg("serve")
            .env("CASEBOOK_CALENDAR", calendar.path().join("calendar.json"))
            .env("CASEBOOK_DATABASE_URL", url)
            .env("CASEBOOK_LISTEN", format!("127.0.0.1:{port}"))
            .env("CASEBOOK_LOG", "warn")
            .env("CASEBOOK_WORKERS", "2")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("casebook starts");
        let base = format!("http://127.0.0.1:{port}/api/v1");
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if client
                .get(format!("{base}/health"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "casebook did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Server {
            child,
            base,
            _calendar: calendar,
        }
    }

    pub(crate) fn kill_9(mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }
}

pub(crate) async fn prepared_store(store: Store) -> (String, Option<tempfile::TempDir>) {
    let (url, dir) = match store {
        Store::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            (
                format!("sqlite://{}", dir.path().join("casebook.db").display()),
                Some(dir),
            )
        }
        Store::Postgres => (crate::pg::fresh_database().await, None),
    };
    prepare_users(&url).await;
    (url, dir)
}

/// Migrates the store and creates the users of the fault tests.
async fn prepare_users(url: &str) {
    let settings = casebook::config::Settings::for_database(url);
    let db = casebook::startup::open_store(&settings)
        .await
        .expect("store");
    for (name, role, unit) in [
        ("tongdai111", Role::HotlineOperator, "VN"),
        ("mai.worker", Role::SocialWorker, COMMUNE),
    ] {
        create_user(&db, name, &[(role, unit)]).await;
    }
    db.close().await;
}

pub(crate) async fn login(client: &reqwest::Client, base: &str, username: &str) -> String {
    let response: Value = client
        .post(format!("{base}/auth/login"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    response["token"].as_str().unwrap().to_owned()
}

/// What the clients sent and what was acknowledged.
#[derive(Default)]
struct Ledger {
    sent_notes: BTreeSet<String>,
    acknowledged_notes: BTreeSet<String>,
    acknowledged_cases: BTreeSet<String>,
    /// The phase the answers now arriving belong to (a round, or a part of one).
    phase: usize,
    /// Answers by cause, per phase.
    tallies: Vec<Tally>,
}

/// How the answers of a phase went, by cause.
#[derive(Default, Debug, Clone, Copy)]
struct Tally {
    acknowledged: usize,
    /// No answer: the connection was refused or cut (the server died).
    connection_lost: usize,
    /// 5xx: the server is up but its store is not.
    store_unavailable: usize,
    /// 409: a client raced another on a shared case (nothing to do with the fault).
    conflicts: usize,
    other: usize,
}

impl Ledger {
    fn tally(&mut self) -> &mut Tally {
        let phase = self.phase;
        if self.tallies.len() <= phase {
            self.tallies.resize(phase + 1, Tally::default());
        }
        &mut self.tallies[phase]
    }

    fn count(&mut self, answer: &Result<reqwest::Response, reqwest::Error>) {
        let tally = self.tally();
        match answer {
            Err(_) => tally.connection_lost += 1,
            Ok(r) if r.status().is_server_error() => tally.store_unavailable += 1,
            Ok(r) if r.status() == StatusCode::CONFLICT => tally.conflicts += 1,
            Ok(r) if r.status().is_success() => {}
            Ok(_) => tally.other += 1,
        }
    }

    fn phase(&self, phase: usize) -> Tally {
        self.tallies.get(phase).copied().unwrap_or_default()
    }
}

fn set_phase(ledger: &Arc<Mutex<Ledger>>, phase: usize) {
    ledger.lock().unwrap().phase = phase;
}

/// RFC 3339, `hours` before the real now: the fault tests run the binary as `main` runs it, on
/// the system clock (with a calendar of their own, `Server::start`).
pub(crate) fn real_hours_ago(hours: i64) -> String {
    vn(chrono::Utc::now() - chrono::Duration::hours(hours))
}

/// Clients sending notes on the seed cases (and, for one of them, new reports) until stopped.
struct Burst {
    stop: Arc<std::sync::atomic::AtomicBool>,
    clients: Vec<tokio::task::JoinHandle<()>>,
}

impl Burst {
    fn start(
        client: &reqwest::Client,
        base: &str,
        tokens: &(String, String),
        cases: &[String],
        ledger: &Arc<Mutex<Ledger>>,
        tag: &str,
    ) -> Burst {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut clients = Vec::new();
        for c in 0..4 {
            let (client, base, ledger, stop) = (
                client.clone(),
                base.to_owned(),
                ledger.clone(),
                stop.clone(),
            );
            let ((hotline, worker), cases, tag) = (tokens.clone(), cases.to_vec(), tag.to_owned());
            clients.push(tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    i += 1;
                    if c == 0 && i % 3 == 0 {
                        let response = client
                            .post(format!("{base}/reports"))
                            .bearer_auth(&hotline)
                            .json(&report_body(&real_hours_ago(1), COMMUNE, &["Lò Văn Nam"]))
                            .send()
                            .await;
                        ledger.lock().unwrap().count(&response);
                        if let Ok(r) = response {
                            if r.status() == StatusCode::CREATED {
                                if let Ok(v) = r.json::<Value>().await {
                                    let id =
                                        v["cases"][0]["id"].as_str().unwrap_or_default().to_owned();
                                    let mut ledger = ledger.lock().unwrap();
                                    ledger.acknowledged_cases.insert(id);
                                    ledger.tally().acknowledged += 1;
                                }
                            }
                        } else {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                        continue;
                    }
                    let text = format!("{tag}-c{c}-n{i}");
                    let case = &cases[i % cases.len()];
                    ledger.lock().unwrap().sent_notes.insert(text.clone());
                    let response = client
                        .post(format!("{base}/cases/{case}/notes"))
                        .bearer_auth(&worker)
                        .json(&json!({"text": text}))
                        .send()
                        .await;
                    ledger.lock().unwrap().count(&response);
                    match response {
                        // Acknowledged only once the whole answer arrived.
                        Ok(r) if r.status() == StatusCode::OK => {
                            if r.bytes().await.is_ok() {
                                let mut ledger = ledger.lock().unwrap();
                                ledger.acknowledged_notes.insert(text);
                                ledger.tally().acknowledged += 1;
                            }
                        }
                        Ok(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                        Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                    }
                }
            }));
        }
        Burst { stop, clients }
    }

    async fn stop(self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for c in self.clients {
            c.await.unwrap();
        }
    }
}

async fn seed(client: &reqwest::Client, base: &str, hotline: &str) -> Vec<String> {
    let mut cases = Vec::new();
    for _ in 0..3 {
        let opened: Value = client
            .post(format!("{base}/reports"))
            .bearer_auth(hotline)
            .json(&report_body(&real_hours_ago(2), COMMUNE, &["Lò Thị Mai"]))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        cases.push(opened["cases"][0]["id"].as_str().unwrap().to_owned());
    }
    cases
}

/// Checks the log and the views of the store against the ledger: nothing acknowledged lost,
/// nothing invented, nothing twice, and every case's view at its stream's version.
async fn check_against_ledger(
    url: &str,
    client: &reqwest::Client,
    base: &str,
    worker: &str,
    ledger: &Ledger,
) {
    let db = casebook::store::connect(url, 2).await.unwrap();
    let notes: Vec<String> = with_db!(&db, pool => sqlx::query_as(
        "SELECT aggregate_id, payload FROM events WHERE event_type = 'NoteAdded'")
        .fetch_all(pool).await.unwrap().into_iter()
        .map(|(_, payload): (String, sqlx::types::Json<Value>)| {
            payload.0["NoteAdded"]["text"].as_str().unwrap_or_default().to_owned()
        })
        .collect());
    let logged: BTreeSet<String> = notes.iter().cloned().collect();
    assert!(
        ledger.acknowledged_notes.len() > 10,
        "the burst did some work: {}",
        ledger.acknowledged_notes.len()
    );
    let lost: Vec<_> = ledger.acknowledged_notes.difference(&logged).collect();
    assert!(lost.is_empty(), "acknowledged notes lost: {lost:?}");
    let invented: Vec<_> = logged.difference(&ledger.sent_notes).collect();
    assert!(invented.is_empty(), "notes nobody sent: {invented:?}");
    assert_eq!(notes.len(), logged.len(), "a note was recorded twice");

    let list: Value = client
        .get(format!("{base}/cases?limit=500"))
        .bearer_auth(worker)
        .header("casebook-consistency", "strong")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let versions: HashMap<String, i64> = with_db!(&db, pool => sqlx::query_as(
        "SELECT aggregate_id, max(sequence) FROM events GROUP BY aggregate_id")
        .fetch_all(pool).await.unwrap().into_iter().collect());
    let items = list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {list}"));
    assert_eq!(items.len(), versions.len(), "every case is in the view");
    for item in items {
        let id = item["id"].as_str().unwrap();
        assert_eq!(
            item["version"].as_i64(),
            versions.get(id).copied(),
            "case {id} view version"
        );
    }
    for case in &ledger.acknowledged_cases {
        assert!(
            versions.contains_key(case),
            "acknowledged report {case} lost"
        );
    }
    db.close().await;
}

fn snapshot(ledger: &Arc<Mutex<Ledger>>) -> Ledger {
    let l = ledger.lock().unwrap();
    Ledger {
        sent_notes: l.sent_notes.clone(),
        acknowledged_notes: l.acknowledged_notes.clone(),
        acknowledged_cases: l.acknowledged_cases.clone(),
        phase: l.phase,
        tallies: l.tallies.clone(),
    }
}

async fn kill_9_under_load_loses_no_acknowledged_event(store: Store) {
    let (url, _dir) = prepared_store(store).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut tokens: Option<(String, String)> = None;
    let mut cases: Vec<String> = Vec::new();
    let rounds = knob("KILL_ROUNDS", 3) as u64;
    for round in 0..rounds {
        let server = Server::start(&url).await;
        let t = match &tokens {
            Some(t) => t.clone(),
            None => (
                login(&client, &server.base, "tongdai111").await,
                login(&client, &server.base, "mai.worker").await,
            ),
        };
        tokens = Some(t.clone());
        if cases.is_empty() {
            cases = seed(&client, &server.base, &t.0).await;
        }
        set_phase(&ledger, round as usize);
        let burst = Burst::start(
            &client,
            &server.base,
            &t,
            &cases,
            &ledger,
            &format!("r{round}"),
        );
        tokio::time::sleep(Duration::from_millis(300 + 250 * (round % 4))).await;
        // However slow the machine, the round acknowledges writes before the kill.
        let started = Instant::now();
        while ledger.lock().unwrap().phase(round as usize).acknowledged == 0 {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "round {round}: no write acknowledged"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server.kill_9();
        burst.stop().await;
    }
    let server = Server::start(&url).await;
    let (_, worker) = tokens.unwrap();
    let ledger = snapshot(&ledger);
    // Per round: the server (restarted after the previous kill) acknowledged writes, and the
    // kill was felt as lost connections, not as conflicts.
    for round in 0..rounds as usize {
        let t = ledger.phase(round);
        println!("kill_9 round {round}: {t:?}");
        assert!(
            t.acknowledged > 0,
            "round {round}: no write acknowledged: {t:?}"
        );
        assert!(
            t.connection_lost > 0,
            "round {round}: the kill was not felt: {t:?}"
        );
    }
    check_against_ledger(&url, &client, &server.base, &worker, &ledger).await;
    println!(
        "RELIABILITY kill_9 store={store:?} kills={rounds} rounds_with_writes_and_lost_connections={rounds} acknowledged_commands={} lost=0 invented=0 duplicated=0 views_behind=0",
        ledger.acknowledged_notes.len() + ledger.acknowledged_cases.len()
    );
    server.kill_9();
}
both_stores!(kill_9_under_load_loses_no_acknowledged_event);

/// Postgres stops at once (immediate shutdown, as a crash) under load and comes back: the
/// server rides it out, no acknowledged command is lost, the views catch up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_crash_under_load_loses_no_acknowledged_event() {
    let mut pg = crate::pg::PgServer::start(&["fsync=on"]);
    let admin = sqlx::PgPool::connect(&pg.url("postgres")).await.unwrap();
    sqlx::query("CREATE DATABASE casebook")
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let url = pg.url("casebook");
    prepare_users(&url).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let server = Server::start(&url).await;
    let tokens = (
        login(&client, &server.base, "tongdai111").await,
        login(&client, &server.base, "mai.worker").await,
    );
    let cases = seed(&client, &server.base, &tokens.0).await;
    let burst = Burst::start(&client, &server.base, &tokens, &cases, &ledger, "pg");
    let crashes = knob("PG_CRASHES", 1);
    // Phases per crash: 3k running, 3k+1 from the crash to the restart, 3k+2 after it.
    for k in 0..crashes {
        set_phase(&ledger, 3 * k);
        // Work before the crash, however slow the machine: a few acknowledged writes.
        let started = Instant::now();
        tokio::time::sleep(Duration::from_millis(500)).await;
        while ledger.lock().unwrap().phase(3 * k).acknowledged < 5 {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "crash {k}: no write acknowledged before it"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        set_phase(&ledger, 3 * k + 1);
        pg.kill_immediate();
        tokio::time::sleep(Duration::from_millis(300)).await;
        pg.restart();
        set_phase(&ledger, 3 * k + 2);
        let restarted = Instant::now();
        while ledger.lock().unwrap().phase(3 * k + 2).acknowledged < 5 {
            assert!(
                restarted.elapsed() < Duration::from_secs(30),
                "crash {k}: writes did not resume after the restart"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    burst.stop().await;
    let ledger = snapshot(&ledger);
    let mut refused = 0;
    for k in 0..crashes {
        let (before, down, after) = (
            ledger.phase(3 * k),
            ledger.phase(3 * k + 1),
            ledger.phase(3 * k + 2),
        );
        println!("postgres_crash {k}: before {before:?} down {down:?} after {after:?}");
        assert!(
            before.acknowledged > 0,
            "crash {k}: no work before it: {before:?}"
        );
        assert_eq!(
            before.store_unavailable, 0,
            "crash {k}: 5xx before the crash: {before:?}"
        );
        // Felt as the store being unavailable (5xx) or cut connections; conflicts don't count.
        let felt = down.store_unavailable + down.connection_lost + after.store_unavailable;
        assert!(
            felt > 0,
            "crash {k}: no request was refused by the outage: {down:?} {after:?}"
        );
        assert!(
            after.acknowledged > 0,
            "crash {k}: no write after the restart: {after:?}"
        );
        refused += felt;
    }
    check_against_ledger(&url, &client, &server.base, &tokens.1, &ledger).await;
    println!(
        "RELIABILITY postgres_crash crashes={crashes} acknowledged_commands={} refused_by_the_outage={refused} conflicts={} lost=0 invented=0 duplicated=0 views_behind=0",
        ledger.acknowledged_notes.len() + ledger.acknowledged_cases.len(),
        ledger.tallies.iter().map(|t| t.conflicts).sum::<usize>()
    );
    server.kill_9();
}
