//! Running case commands through cqrs-es: load the stream, let the aggregate decide, commit with
//! the metadata beside the events. Like `CqrsFramework::execute_with_metadata`, but it keeps the
//! loaded and committed envelopes (the answer is rendered from them without a second read) and
//! runs no cqrs-es query: views are fed by the projector from the log.

use crate::store::events::{CaseEventStore, EventRepository};
use aggregates::case::{Case, CaseCommand, CaseError, CaseEvent, CaseServices};
use aggregates::codes::Role;
use aggregates::policy::{authorize_intake, authorize_on_case, Grant};
use aggregates::units::UnitCode;
use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::{EventStoreAggregateContext, PersistedEventRepository, SerializedEvent};
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
    #[error("event store: {0}")]
    Store(String),
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

pub struct CaseCommands {
    store: CaseEventStore,
    repo: EventRepository,
    services: CaseServices,
    /// Wakes the in-process projector after a commit.
    committed: Arc<Wakeup>,
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
    ) -> Self {
        Self {
            store,
            repo,
            services,
            committed,
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

    /// Runs a command on an existing case; returns all its events, the new ones last.
    pub async fn execute(
        &self,
        case_id: Uuid,
        command: CaseCommand,
        base: &MetadataBase,
    ) -> Result<Vec<RecordedEvent>, ExecError> {
        let mut events = self.load(case_id).await?;
        let aggregate = projections::record::fold(&events);
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
                return Ok(events);
            }
        }
        let mut context = EventStoreAggregateContext {
            aggregate_id: case_id.to_string(),
            current_sequence: aggregate.version as usize,
            aggregate,
            current_snapshot: None,
        };
        let sink = EventSink::<Case>::default();
        context
            .aggregate
            .handle(command, &self.services, &sink)
            .await?;
        let new_events = sink.collect().await;
        let committed = self
            .store
            .commit(new_events, context, base.map(grant.as_ref()))
            .await?;
        self.committed.ping();
        for envelope in committed {
            events.push(recorded(envelope)?);
        }
        Ok(events)
    }

    /// Opens several cases (the children of one report) in one transaction: all or none.
    pub async fn open(
        &self,
        cases: Vec<(Uuid, CaseCommand)>,
        base: &MetadataBase,
    ) -> Result<Vec<Vec<RecordedEvent>>, ExecError> {
        let mut decided = Vec::with_capacity(cases.len());
        let mut serialized: Vec<SerializedEvent> = Vec::new();
        for (case_id, command) in cases {
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
            let envelopes: Vec<EventEnvelope<Case>> = events
                .into_iter()
                .zip(1..)
                .map(|(payload, sequence)| EventEnvelope {
                    aggregate_id: case_id.to_string(),
                    sequence,
                    payload,
                    metadata: map.clone(),
                })
                .collect();
            for envelope in &envelopes {
                serialized.push(
                    SerializedEvent::try_from(envelope)
                        .map_err(|e| ExecError::Store(e.to_string()))?,
                );
            }
            decided.push(envelopes);
        }
        self.repo.persist::<Case>(&serialized, None).await?;
        self.committed.ping();
        decided
            .into_iter()
            .map(|envelopes| envelopes.into_iter().map(recorded).collect())
            .collect()
    }
}
