//! The server's business "now": the time a command is recorded at, the instant deadlines are
//! judged at when a view is read, the date `/ready` checks the calendar against. Production
//! runs on the system clock; tests give the server a clock they control, so that the suite
//! judges the same 2026 calendar days whatever today's date is. Session expiry, login
//! throttling and housekeeping stay on the real clock (they are not business time).

use chrono::{DateTime, Duration, Utc};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Where the server takes "now" from. Cheap to clone; clones share one time.
#[derive(Clone, Debug)]
pub struct Clock(Arc<Source>);

#[derive(Debug)]
enum Source {
    System,
    /// Runs at the real pace from `at` (taken at `since`), so that successive commands keep
    /// increasing times; `set` and `advance` move it.
    Controlled(Mutex<Anchor>),
}

#[derive(Debug, Clone, Copy)]
struct Anchor {
    at: DateTime<Utc>,
    since: Instant,
}

impl Clock {
    /// The real time.
    pub fn system() -> Self {
        Self(Arc::new(Source::System))
    }

    /// A clock that reads `at` now and runs on from there at the real pace.
    pub fn starting_at(at: DateTime<Utc>) -> Self {
        Self(Arc::new(Source::Controlled(Mutex::new(Anchor {
            at,
            since: Instant::now(),
        }))))
    }

    pub fn is_system(&self) -> bool {
        matches!(*self.0, Source::System)
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &*self.0 {
            Source::System => Utc::now(),
            Source::Controlled(anchor) => {
                let a = *anchor.lock().unwrap_or_else(|e| e.into_inner());
                a.at + Duration::from_std(a.since.elapsed()).unwrap_or(Duration::zero())
            }
        }
    }

    /// Moves a controlled clock to `at` (it runs on from there). The system clock is not moved.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Source::Controlled(anchor) = &*self.0 {
            *anchor.lock().unwrap_or_else(|e| e.into_inner()) = Anchor {
                at,
                since: Instant::now(),
            };
        }
    }

    /// Moves a controlled clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let now = self.now();
        self.set(now + by);
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_controlled_clock_reads_what_it_was_set_to_and_runs_on() {
        let start: DateTime<Utc> = "2026-03-02T02:00:00Z".parse().unwrap();
        let clock = Clock::starting_at(start);
        let first = clock.now();
        assert!(first >= start && first - start < Duration::seconds(5));
        assert!(clock.now() >= first, "it does not run backwards");
        clock.advance(Duration::days(3));
        let later = clock.now();
        assert!(
            later - start >= Duration::days(3)
                && later - start < Duration::days(3) + Duration::seconds(5)
        );
        let shared = clock.clone();
        shared.set(start);
        assert!(
            clock.now() - start < Duration::seconds(5),
            "clones share one time"
        );
    }

    #[test]
    fn the_system_clock_is_the_real_time() {
        let clock = Clock::system();
        let now = clock.now();
        assert!((Utc::now() - now).num_seconds().abs() < 5);
        clock.set("2026-03-02T02:00:00Z".parse().unwrap());
        assert!(
            (Utc::now() - clock.now()).num_seconds().abs() < 5,
            "not moved"
        );
    }
}
