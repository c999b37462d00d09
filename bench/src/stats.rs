//! Latency samples and their figures.

use std::time::Duration;

#[derive(Debug, Default, Clone)]
pub struct Samples {
    latencies: Vec<Duration>,
    elapsed: Duration,
    pub errors: usize,
}

impl Samples {
    pub fn push(&mut self, latency: Duration) {
        self.latencies.push(latency);
    }

    pub fn extend(&mut self, latencies: impl IntoIterator<Item = Duration>) {
        self.latencies.extend(latencies);
    }

    pub fn merge(&mut self, other: Samples) {
        self.latencies.extend(other.latencies);
        self.errors += other.errors;
    }

    /// Sorts the samples and records the wall time they took.
    pub fn finish(&mut self, elapsed: Duration) {
        self.latencies.sort();
        self.elapsed = elapsed;
    }

    pub fn count(&self) -> usize {
        self.latencies.len()
    }

    /// Operations per second over the wall time.
    pub fn rate(&self) -> f64 {
        self.count() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `p`-th percentile in milliseconds (nearest rank).
    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        let i = rank.clamp(1, self.latencies.len()) - 1;
        self.latencies[i].as_secs_f64() * 1000.0
    }

    pub fn p50(&self) -> f64 {
        self.percentile_ms(50.0)
    }

    pub fn p99(&self) -> f64 {
        self.percentile_ms(99.0)
    }

    pub fn summary(&self) -> String {
        format!(
            "{} ops, {:.0}/s, p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms, errors {}",
            self.count(),
            self.rate(),
            self.p50(),
            self.percentile_ms(90.0),
            self.p99(),
            self.percentile_ms(100.0),
            self.errors
        )
    }
}
