//! The duplicates matcher's task: it follows the identities view, woken by the projectors'
//! progress, polling as the safety net.

use super::{Projections, ProjectorError, ViewStatus, DUPLICATES};
use crate::matcher::Step;
use std::sync::Arc;
use std::time::Duration;

impl Projections {
    /// One step of the duplicates matcher (a chunk of a full pass, or a batch of the log).
    pub async fn step_matcher(&self) -> Result<Step, ProjectorError> {
        let step = self.matcher.step(&self.db).await?;
        if let Step::Worked(n) = step {
            let position = self.checkpoint(DUPLICATES).await?.map(|(_, p)| p);
            let mut status = self.status.lock().unwrap_or_else(|e| e.into_inner());
            let s = status.entry(DUPLICATES).or_default();
            s.applied += n as u64;
            if let Some(p) = position {
                s.position = p;
            }
        }
        self.progress.send_modify(|n| *n = n.wrapping_add(1));
        Ok(step)
    }

    /// Looks for every possible duplicate again now, then catches up with the log (`casebook
    /// projections rebuild duplicates`). Returns the cases and events looked at.
    pub async fn rebuild_duplicates(
        &self,
        progress: impl FnMut(u64),
    ) -> Result<u64, ProjectorError> {
        let done = self.matcher.rebuild(&self.db, progress).await?;
        self.progress.send_modify(|n| *n = n.wrapping_add(1));
        Ok(done)
    }

    /// The matcher follows the identities view: woken when a projector made progress, polling
    /// as the safety net; errors logged once per streak and retried.
    pub(super) async fn run_matcher(self: Arc<Self>) {
        let mut progress = self.progress.subscribe();
        let mut stopping = self.stopping.subscribe();
        let mut failing = false;
        let mut backoff = Duration::from_millis(100);
        loop {
            if *stopping.borrow() {
                return;
            }
            let result = self.step_matcher().await;
            if *stopping.borrow() {
                return;
            }
            match result {
                Ok(Step::Worked(_)) => {
                    if failing {
                        tracing::info!(projection = DUPLICATES, "matcher recovered");
                        failing = false;
                        backoff = Duration::from_millis(100);
                        self.record_named(DUPLICATES, |s| s.last_error = None);
                    }
                    // Its own progress signal must not keep it awake: mark it seen.
                    progress.borrow_and_update();
                }
                Ok(Step::Idle) => {
                    progress.borrow_and_update();
                    tokio::select! {
                        _ = progress.changed() => tokio::time::sleep(self.gather).await,
                        _ = tokio::time::sleep(self.poll) => {}
                        _ = stopping.changed() => {}
                    }
                }
                Err(e) => {
                    if !failing {
                        tracing::error!(projection = DUPLICATES, error = %e, "matcher failed; retrying");
                        failing = true;
                    }
                    let message = e.to_string();
                    self.record_named(DUPLICATES, |s| {
                        s.errors += 1;
                        s.last_error = Some(message);
                    });
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = stopping.changed() => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    fn record_named(&self, name: &'static str, f: impl FnOnce(&mut ViewStatus)) {
        let mut status = self.status.lock().unwrap_or_else(|e| e.into_inner());
        f(status.entry(name).or_default());
    }
}
