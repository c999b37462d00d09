//! Running case commands through cqrs-es: load the stream, let the aggregate decide, commit with
//! the metadata beside the events. Like `CqrsFramework::execute_with_metadata`, but it keeps the
//! loaded and committed envelopes (the answer is rendered from them without a second read) and
//! runs no cqrs-es query: views are fed by the projector from the log.

use crate::case_cache::CaseCache;
use crate::store::access_log::CaseView;
use crate::store::events::{AccessRow, CaseEventStore, EventRepository};
use aggregates::case::{Case, CaseCommand, CaseError, CaseEvent, CaseServices};
use aggregates::codes::Code;
use aggregates::codes::Role;
use aggregates::policy::{authorize_intake, authorize_on_case, Action, Grant};
use aggregates::units::UnitCode;
use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::SerializedEvent;
use cqrs_es::{Aggregate, AggregateError, EventEnvelope, EventStore};
use projections::projector::Wakeup;
use projections::record::{EventMetadata, RecordedEvent};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// Metadata of a command before the grant it runs under is known.
#[derive(Debug, Clone)]
pub struct MetadataBase {
    pub actor_id: Uuid,
    /// The server's own id of the request.
    pub request_id: String,
    /// The client's `X-Request-Id`, stored beside the server's as `client_request_id`.
    pub client_request_id: Option<String>,
    pub recorded_at: DateTime<Utc>,
    pub idempotency_key: Option<String>,
    /// The hash of the session's token, when the commit must check that the session still
    /// exists (Postgres, where sessions are cached: see `store::session_cache`).
    pub session: Option<String>,
}

impl MetadataBase {
    /// The metadata map of a commit: the event metadata and, marked as the client's, the id it
    /// sent.
    fn map(&self, grant: Option<&Grant>) -> HashMap<String, String> {
        let mut map = self.with_grant(grant).to_map();
        if let Some(client) = &self.client_request_id {
            map.insert("client_request_id".to_owned(), client.clone());
        }
        map
    }

    fn with_grant(&self, grant: Option<&Grant>) -> EventMetadata {
        EventMetadata {
            actor_id: self.actor_id,
            // Only used when the aggregate refuses the command, so never stored.
            role: grant.map_or(Role::Admin, |g| g.role),
            unit: grant.map_or_else(UnitCode::root, |g| g.unit.clone()),
            request_id: self.request_id.clone(),
            recorded_at: self.recorded_at,
            idempotency_key: self.idempotency_key.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The aggregate refused the command.
    #[error(transparent)]
    Refused(#[from] CaseError),
    /// Another command committed on the same case first (the primary key decided).
    #[error("concurrent change")]
    Conflict,
    /// The session the command came with ended before it could be committed.
    #[error("session ended")]
    SessionEnded,
    #[error("event store: {0}")]
    Store(String),
}

impl From<crate::store::events::CommitError> for ExecError {
    fn from(e: crate::store::events::CommitError) -> Self {
        use crate::store::events::CommitError;
        match e {
            CommitError::Conflict => Self::Conflict,
            CommitError::SessionEnded => Self::SessionEnded,
            CommitError::Store(e) => Self::Store(e.to_string()),
        }
    }
}

impl From<AggregateError<CaseError>> for ExecError {
    fn from(e: AggregateError<CaseError>) -> Self {
        match e {
            AggregateError::UserError(e) => Self::Refused(e),
            AggregateError::AggregateConflict => Self::Conflict,
            other => Self::Store(other.to_string()),
        }
    }
}

impl From<cqrs_es::persist::PersistenceError> for ExecError {
    fn from(e: cqrs_es::persist::PersistenceError) -> Self {
        match e {
            cqrs_es::persist::PersistenceError::OptimisticLockError => Self::Conflict,
            other => Self::Store(other.to_string()),
        }
    }
}

/// What a command did: the case's events, the new ones last, and whether the access-log row of
/// the answer was committed with them (not when an `Idempotency-Key` had already produced the
/// events, nor when the actor may no longer read the case).
#[derive(Debug)]
pub struct Executed {
    pub events: Vec<RecordedEvent>,
    pub audited: bool,
}

pub struct CaseCommands {
    store: CaseEventStore,
    repo: EventRepository,
    services: CaseServices,
    /// Wakes the in-process projector after a commit.
    committed: Arc<Wakeup>,
    /// Recently commanded cases' streams.
    cache: CaseCache,
}

fn recorded(envelope: EventEnvelope<Case>) -> Result<RecordedEvent, ExecError> {
    let metadata = EventMetadata::from_map(&envelope.metadata).ok_or_else(|| {
        ExecError::Store(format!(
            "event {} of {} has no valid metadata",
            envelope.sequence, envelope.aggregate_id
        ))
    })?;
    Ok(RecordedEvent {
        sequence: envelope.sequence as u64,
        event: envelope.payload,
        metadata,
    })
}

impl CaseCommands {
    pub fn new(
        store: CaseEventStore,
        repo: EventRepository,
        services: CaseServices,
        committed: Arc<Wakeup>,
        cache: CaseCache,
    ) -> Self {
        Self {
            store,
            repo,
            services,
            committed,
            cache,
        }
    }

    pub fn services(&self) -> &CaseServices {
        &self.services
    }

    /// The case's events, oldest first (empty when there is no such case).
    pub async fn load(&self, case_id: Uuid) -> Result<Vec<RecordedEvent>, ExecError> {
        let envelopes = self.store.load_events(&case_id.to_string()).await?;
        envelopes.into_iter().map(recorded).collect()
    }

    /// Runs a command on an existing case; returns all its events, the new ones last. With
    /// `answer`, the answer will show the case: when the actor may read the case after the
    /// command, that disclosure's access-log row is committed with the events (one statement),
    /// so there is no answer without its row and no row without the command.
    ///
    /// The command is decided on the case's stream from the cache when it holds it; a refusal
    /// or a conflict decided on it may come from a stale stream, so the command is then decided
    /// again on the stream as stored (see `case_cache`).
    pub async fn execute(
        &self,
        case_id: Uuid,
        command: CaseCommand,
        base: &MetadataBase,
        answer: Option<CaseView>,
    ) -> Result<Executed, ExecError> {
        if let Some(cached) = self.cache.get(case_id) {
            match self
                .execute_on(case_id, cached, command.clone(), base, answer)
                .await
            {
                Err(ExecError::Refused(_) | ExecError::Conflict) => self.cache.evict(case_id),
                done => return done,
            }
        }
        let loaded = Arc::new(self.load(case_id).await?);
        self.execute_on(case_id, loaded, command, base, answer)
            .await
    }

    /// [`CaseCommands::execute`] on the stream `loaded`; the stream after the command is cached.
    async fn execute_on(
        &self,
        case_id: Uuid,
        loaded: Arc<Vec<RecordedEvent>>,
        command: CaseCommand,
        base: &MetadataBase,
        answer: Option<CaseView>,
    ) -> Result<Executed, ExecError> {
        let actor = command.actor.clone();
        let (decided, after) = self.decide_from(case_id, &loaded, command, base).await?;
        if decided.is_empty() {
            self.cache.put(case_id, loaded.clone());
            return Ok(Executed {
                events: loaded.as_ref().clone(),
                audited: false,
            });
        }
        let access = answer.and_then(|view| {
            let scope = after.scope()?;
            let grant = authorize_on_case(&actor, Action::ReadCase, &scope).ok()?;
            Some(AccessRow {
                case_id,
                user_id: base.actor_id,
                role: grant.role.code().to_owned(),
                unit: grant.unit.to_string(),
                view,
                at: Utc::now(),
            })
        });
        let serialized = serialize(&decided)?;
        self.repo
            .commit(&serialized, access.as_ref(), base.session.as_deref())
            .await?;
        self.committed.ping();
        let mut events = loaded.as_ref().clone();
        for envelope in decided {
            events.push(recorded(envelope)?);
        }
        let events = Arc::new(events);
        self.cache.put(case_id, events.clone());
        Ok(Executed {
            events: Arc::unwrap_or_clone(events),
            audited: access.is_some(),
        })
    }

    /// Lets the aggregate decide `command` on the case's stream `events`: the new envelopes
    /// numbered after them, and the case as it stands after them. No new envelope when the
    /// command's Idempotency-Key already produced events on this case.
    async fn decide_from(
        &self,
        case_id: Uuid,
        events: &[RecordedEvent],
        command: CaseCommand,
        base: &MetadataBase,
    ) -> Result<(Vec<EventEnvelope<Case>>, Case), ExecError> {
        let mut aggregate = projections::record::fold(events);
        // The grant the actor acts under; when there is none the aggregate refuses below.
        let grant = aggregate.scope().and_then(|scope| {
            authorize_on_case(&command.actor, command.action.required_action(), &scope)
                .ok()
                .cloned()
        });
        // An Idempotency-Key whose answer was lost (the process died after the commit) must
        // not run twice: the key travels in the metadata of the events it produced.
        if let Some(key) = &base.idempotency_key {
            if events.iter().any(|e| {
                e.metadata.actor_id == base.actor_id
                    && e.metadata.idempotency_key.as_deref() == Some(key)
            }) {
                return Ok((Vec::new(), aggregate));
            }
        }
        let version = aggregate.version as usize;
        let sink = EventSink::<Case>::default();
        aggregate.handle(command, &self.services, &sink).await?;
        let metadata = base.map(grant.as_ref());
        let mut after = aggregate;
        let decided: Vec<EventEnvelope<Case>> = sink
            .collect()
            .await
            .into_iter()
            .zip(version + 1..)
            .map(|(payload, sequence)| EventEnvelope {
                aggregate_id: case_id.to_string(),
                sequence,
                payload,
                metadata: metadata.clone(),
            })
            .collect();
        for envelope in &decided {
            after.apply(envelope.payload.clone());
        }
        Ok((decided, after))
    }

    /// Commits what one report does, in one transaction: all or none. `attached` are reports
    /// joining the open cases of their children (`ReportAttached`), `opened` the new cases.
    /// A race on an attached case refuses the whole report (409), so nothing is half received.
    pub async fn receive(
        &self,
        attached: Vec<(Uuid, CaseCommand)>,
        opened: Vec<(Uuid, CaseCommand)>,
        base: &MetadataBase,
    ) -> Result<(), ExecError> {
        // A note committed on an attached case meanwhile is no reason to refuse the report:
        // decide again on the new stream (the intake officer did nothing wrong).
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.receive_once(&attached, &opened, base).await {
                Err(ExecError::Conflict) if attempts < 5 && !attached.is_empty() => continue,
                other => return other,
            }
        }
    }

    async fn receive_once(
        &self,
        attached: &[(Uuid, CaseCommand)],
        opened: &[(Uuid, CaseCommand)],
        base: &MetadataBase,
    ) -> Result<(), ExecError> {
        let mut envelopes = Vec::new();
        for (case_id, command) in attached {
            let events = self.load(*case_id).await?;
            let (decided, _) = self
                .decide_from(*case_id, &events, command.clone(), base)
                .await?;
            // The cached stream of an attached case is now behind: the next command reloads.
            self.cache.evict(*case_id);
            envelopes.extend(decided);
        }
        for (case_id, command) in opened {
            envelopes.extend(self.decide_new(*case_id, command.clone(), base)?);
        }
        if envelopes.is_empty() {
            return Ok(());
        }
        self.repo
            .commit(&serialize(&envelopes)?, None, base.session.as_deref())
            .await?;
        self.committed.ping();
        Ok(())
    }

    /// The events opening case `case_id` (a report command on an empty stream).
    fn decide_new(
        &self,
        case_id: Uuid,
        command: CaseCommand,
        base: &MetadataBase,
    ) -> Result<Vec<EventEnvelope<Case>>, ExecError> {
        let grant = match &command.action {
            aggregates::case::CaseAction::Report(r) => {
                authorize_intake(&command.actor, &r.incident_unit)
                    .ok()
                    .cloned()
            }
            _ => None,
        };
        let map = base.map(grant.as_ref());
        let events: Vec<CaseEvent> = Case::default().decide(command, &self.services)?;
        Ok(events
            .into_iter()
            .zip(1..)
            .map(|(payload, sequence)| EventEnvelope {
                aggregate_id: case_id.to_string(),
                sequence,
                payload,
                metadata: map.clone(),
            })
            .collect())
    }
}

fn serialize(envelopes: &[EventEnvelope<Case>]) -> Result<Vec<SerializedEvent>, ExecError> {
    envelopes
        .iter()
        .map(|e| SerializedEvent::try_from(e).map_err(|e| ExecError::Store(e.to_string())))
        .collect()
}
