//! A few counters in Prometheus text format. No labels carry personal data: routes are patterns.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// (method, route pattern, status) → (count, total seconds).
type RequestCounters = BTreeMap<(String, String, u16), (u64, f64)>;

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<RequestCounters>,
    commands: AtomicU64,
    login_failures: AtomicU64,
    /// The notifier's counters (alerts and their webhook deliveries).
    pub notifications: crate::notify::Counters,
}

impl Metrics {
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        let entry = requests
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default();
        entry.0 += 1;
        entry.1 += elapsed.as_secs_f64();
    }

    pub fn command_accepted(&self) {
        self.commands.fetch_add(1, Ordering::Relaxed);
    }

    pub fn login_failed(&self) {
        self.login_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus exposition text, with the projections' figures appended by the caller.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# TYPE casebook_http_requests_total counter\n");
        out.push_str("# TYPE casebook_http_request_seconds_sum counter\n");
        let requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        for ((method, route, status), (count, seconds)) in requests.iter() {
            out.push_str(&format!(
                "casebook_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}\n"
            ));
            out.push_str(&format!(
                "casebook_http_request_seconds_sum{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {seconds:.6}\n"
            ));
        }
        out.push_str("# TYPE casebook_commands_total counter\n");
        out.push_str(&format!(
            "casebook_commands_total {}\n",
            self.commands.load(Ordering::Relaxed)
        ));
        out.push_str("# TYPE casebook_login_failures_total counter\n");
        out.push_str(&format!(
            "casebook_login_failures_total {}\n",
            self.login_failures.load(Ordering::Relaxed)
        ));
        out.push_str(&self.notifications.render());
        out
    }
}
