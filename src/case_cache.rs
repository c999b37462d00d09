//! The streams of recently commanded cases, kept in memory so that the next command on a case
//! does not load and decode its events again (shared/spec/write-path-study.md §4 (c)).
//!
//! A cached stream may be stale — another instance, or a write this one did not make through
//! its commands, may have added events. That is never trusted:
//! - a command decided on a cached stream is committed at the next sequence, so if the stream
//!   was stale the store's primary key refuses it (`Conflict`); then, and whenever the
//!   aggregate refuses a command decided on a cached stream (the refusal may come from the
//!   stale state, an `If-Match` included), the stream is loaded from the store and the command
//!   decided again;
//! - reads never use it: they load the stream as stored.
//!
//! Bounded (least recently used first out); `CASEBOOK_CASE_CACHE` sets how many cases.

use hashlink::LruCache;
use projections::record::RecordedEvent;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

pub struct CaseCache {
    entries: Option<Mutex<LruCache<Uuid, Arc<Vec<RecordedEvent>>>>>,
}

impl CaseCache {
    /// A cache of at most `capacity` cases (none at 0).
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: (capacity > 0).then(|| Mutex::new(LruCache::new(capacity))),
        }
    }

    fn entries(
        &self,
    ) -> Option<std::sync::MutexGuard<'_, LruCache<Uuid, Arc<Vec<RecordedEvent>>>>> {
        self.entries
            .as_ref()
            .map(|m| m.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn get(&self, case: Uuid) -> Option<Arc<Vec<RecordedEvent>>> {
        self.entries()?.get(&case).cloned()
    }

    pub fn put(&self, case: Uuid, events: Arc<Vec<RecordedEvent>>) {
        if let Some(mut entries) = self.entries() {
            entries.insert(case, events);
        }
    }

    pub fn evict(&self, case: Uuid) {
        if let Some(mut entries) = self.entries() {
            entries.remove(&case);
        }
    }

    /// How many cases are held (metrics).
    pub fn len(&self) -> usize {
        self.entries().map_or(0, |e| e.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
