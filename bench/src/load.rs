//! The load generator: clients that act as commune workers (and a supervisor) over HTTP, with a
//! realistic mix of intake, workflow steps and reads. Bounded in requests and in time, and only
//! ever aimed at 127.0.0.1.

use crate::stats::Samples;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Refuses any target but the loopback interface.
pub fn check_target(base: &str) -> Result<(), String> {
    let rest = base
        .strip_prefix("http://")
        .ok_or("the target must be http://127.0.0.1:<port>")?;
    let host = rest.split(['/', ':']).next().unwrap_or_default();
    if host == "127.0.0.1" || host == "localhost" {
        Ok(())
    } else {
        Err(format!(
            "refusing to load `{host}`: the load generator only aims at 127.0.0.1"
        ))
    }
}

/// One simulated worker.
#[derive(Clone)]
pub struct Worker {
    pub token: String,
    /// The commune's approver, who reads the boards.
    pub reader: String,
    pub commune: String,
    /// Open cases of its commune.
    pub cases: Vec<Uuid>,
    /// Cases still awaiting their initial assessment.
    pub reported: Vec<Uuid>,
}

/// Weights of the operations.
#[derive(Clone, Copy)]
pub struct Mix {
    pub intake: u32,
    pub step: u32,
    pub read_case: u32,
    pub deadlines: u32,
    pub caseload: u32,
    pub history: u32,
}

impl Mix {
    pub const COMMANDS: Mix = Mix {
        intake: 15,
        step: 85,
        read_case: 0,
        deadlines: 0,
        caseload: 0,
        history: 0,
    };
    pub const MIXED: Mix = Mix {
        intake: 10,
        step: 30,
        read_case: 25,
        deadlines: 15,
        caseload: 10,
        history: 10,
    };

    fn total(&self) -> u32 {
        self.intake + self.step + self.read_case + self.deadlines + self.caseload + self.history
    }

    fn pick(&self, roll: u32) -> &'static str {
        let mut r = roll % self.total();
        for (weight, op) in [
            (self.intake, "intake"),
            (self.step, "step"),
            (self.read_case, "read_case"),
            (self.deadlines, "deadlines"),
            (self.caseload, "caseload"),
            (self.history, "history"),
        ] {
            if r < weight {
                return op;
            }
            r -= weight;
        }
        "step"
    }
}

pub struct LoadConfig {
    pub label: String,
    pub duration: Duration,
    pub max_requests: usize,
    pub mix: Mix,
}

#[derive(Default)]
pub struct LoadResult {
    pub by_op: BTreeMap<&'static str, Samples>,
    pub commands: Samples,
    pub elapsed: Duration,
}

/// A tiny deterministic generator (xorshift64*), enough to pick operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32
    }
}

fn minutes_ago(m: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::minutes(m)).to_rfc3339()
}

fn report(commune: &str, n: u64) -> Value {
    json!({
        "received_at": minutes_ago(3), "intake_point": "hotline_111", "channel": "phone",
        "target_group": "abused", "incident_unit": commune, "description": "Báo tin qua điện thoại",
        "abuse_types": ["violence"], "abuse_environment": "family",
        "children": [{"full_name": crate::preload::child_name(n.wrapping_add(1 << 40), true),
                      "estimated_age": 8, "sex": "female"}]
    })
}

/// Runs the workers against `base` until the duration or the request budget is spent.
pub async fn run(
    base: &str,
    workers: Vec<Worker>,
    supervisor: &str,
    config: &LoadConfig,
) -> LoadResult {
    check_target(base).expect("loopback target");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let done = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let deadline = started + config.duration;
    let progress = {
        let (done, errors, stop, label) = (
            done.clone(),
            errors.clone(),
            stop.clone(),
            config.label.clone(),
        );
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let n = done.load(Ordering::Relaxed);
                let secs = started.elapsed().as_secs_f64();
                eprint!(
                    "\r[{label}] {secs:5.1} s  {n:7} requests  {:6.0} req/s  errors {}   ",
                    n as f64 / secs.max(1e-9),
                    errors.load(Ordering::Relaxed)
                );
            }
            eprintln!();
        })
    };
    let mut tasks = Vec::new();
    for (i, mut worker) in workers.into_iter().enumerate() {
        let (client, base, supervisor) = (client.clone(), base.to_owned(), supervisor.to_owned());
        let (done, errors, mix, max) = (
            done.clone(),
            errors.clone(),
            config.mix,
            config.max_requests,
        );
        tasks.push(tokio::spawn(async move {
            let mut rng =
                Rng(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
            let mut by_op: BTreeMap<&'static str, Samples> = BTreeMap::new();
            let mut n = 0u64;
            while Instant::now() < deadline && done.fetch_add(1, Ordering::Relaxed) < max {
                n += 1;
                let op = mix.pick(rng.next());
                let case = worker.cases[rng.next() as usize % worker.cases.len()];
                let t = Instant::now();
                let request = match op {
                    "intake" => client
                        .post(format!("{base}/reports"))
                        .bearer_auth(&worker.token)
                        .json(&report(&worker.commune, n)),
                    "step" => match worker.reported.pop() {
                        Some(id) if rng.next() % 2 == 0 => client
                            .post(format!("{base}/cases/{id}/initial-assessment"))
                            .bearer_auth(&worker.token)
                            .json(
                                &json!({"assessed_at": minutes_ago(1), "outcome": "support_needed",
                                          "findings": "Trẻ cần hỗ trợ tâm lý, gia đình hợp tác"}),
                            ),
                        other => {
                            if let Some(id) = other {
                                worker.reported.push(id);
                            }
                            client
                                .post(format!("{base}/cases/{case}/notes"))
                                .bearer_auth(&worker.token)
                                .json(&json!({"text": "Đã gọi điện hỏi thăm gia đình"}))
                        }
                    },
                    "read_case" => client
                        .get(format!("{base}/cases/{case}"))
                        .bearer_auth(&worker.token),
                    "deadlines" => client
                        .get(format!("{base}/deadlines?limit=50"))
                        .bearer_auth(&worker.reader),
                    "caseload" => client
                        .get(format!("{base}/caseload?limit=50"))
                        .bearer_auth(&worker.reader),
                    _ => client
                        .get(format!("{base}/cases/{case}/history"))
                        .bearer_auth(&supervisor),
                };
                let result = request.send().await;
                let ok = match result {
                    Ok(response) => {
                        let status = response.status();
                        let body = response.bytes().await.unwrap_or_default();
                        if status.is_success() && op == "intake" {
                            if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                                if let Some(id) = v["cases"][0]["id"]
                                    .as_str()
                                    .and_then(|s| Uuid::parse_str(s).ok())
                                {
                                    worker.reported.push(id);
                                    worker.cases.push(id);
                                }
                            }
                        }
                        if !status.is_success() && errors.load(Ordering::Relaxed) < 5 {
                            eprintln!(
                                "\n{op}: {status} {}",
                                String::from_utf8_lossy(&body[..body.len().min(300)])
                            );
                        }
                        status.is_success()
                    }
                    Err(e) => {
                        if errors.load(Ordering::Relaxed) < 5 {
                            eprintln!("\n{op}: {e}");
                        }
                        false
                    }
                };
                let samples = by_op.entry(op).or_default();
                if ok {
                    samples.push(t.elapsed());
                } else {
                    samples.errors += 1;
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            by_op
        }));
    }
    let mut result = LoadResult::default();
    for task in tasks {
        for (op, samples) in task.await.expect("client task") {
            result.by_op.entry(op).or_default().merge(samples);
        }
    }
    result.elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let _ = progress.await;
    for (op, samples) in &mut result.by_op {
        if *op == "intake" || *op == "step" {
            result.commands.merge(samples.clone());
        }
        samples.finish(result.elapsed);
    }
    result.commands.finish(result.elapsed);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets_are_accepted() {
        assert!(check_target("http://127.0.0.1:8080/api/v1").is_ok());
        assert!(check_target("http://localhost:1/api/v1").is_ok());
        assert!(check_target("http://10.0.0.1:8080/api/v1").is_err());
        assert!(check_target("http://example.com/api/v1").is_err());
        assert!(check_target("https://127.0.0.1/api/v1").is_err());
    }

    #[test]
    fn the_mix_picks_every_operation_in_proportion() {
        let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
        for roll in 0..Mix::MIXED.total() {
            *counts.entry(Mix::MIXED.pick(roll)).or_default() += 1;
        }
        assert_eq!(counts["intake"], 10);
        assert_eq!(counts["history"], 10);
        assert_eq!(counts["read_case"], 25);
    }
}
