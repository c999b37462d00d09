//! Building the application: used by `main` and by the integration tests alike.

use crate::clock::Clock;
use crate::commands::CaseCommands;
use crate::config::Settings;
use crate::http::{self, AppState};
use crate::metrics::Metrics;
use crate::reports::Templates;
use crate::store::{self, events};
use crate::units::{self, UnitDirectory};
use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use aggregates::case::CaseServices;
use aggregates::deadlines::{RuleSet, WorkingCalendar};
use aggregates::identity::MatchRules;
use projections::indicators::Registry;
use projections::projector::Projections;
use projections::Db;
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("administrative units: {0}")]
    Units(#[from] units::RegistryError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("projections: {0}")]
    Projections(#[from] projections::projector::ProjectorError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
}

/// The rules and calendar in force, from the shipped data and the configured files.
pub fn case_services(settings: &Settings) -> Result<CaseServices, StartupError> {
    let calendar = match &settings.calendar {
        Some(path) => {
            let json = std::fs::read_to_string(path).map_err(|e| {
                StartupError::Config(format!("CASEBOOK_CALENDAR {}: {e}", path.display()))
            })?;
            WorkingCalendar::from_json(&json).map_err(|e| {
                StartupError::Config(format!("CASEBOOK_CALENDAR {}: {e}", path.display()))
            })?
        }
        None => WorkingCalendar::shipped(),
    };
    let rules = match &settings.rules {
        Some(path) => {
            let json = std::fs::read_to_string(path).map_err(|e| {
                StartupError::Config(format!("CASEBOOK_RULES {}: {e}", path.display()))
            })?;
            RuleSet::shipped().with_override(&json).map_err(|e| {
                StartupError::Config(format!("CASEBOOK_RULES {}: {e}", path.display()))
            })?
        }
        None => RuleSet::shipped(),
    };
    Ok(CaseServices::new(rules, calendar))
}

/// The TLS configuration from a PEM certificate chain and private key (rustls, ring provider).
pub fn tls_config(cert: &Path, key: &Path) -> Result<rustls::ServerConfig, StartupError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |what: &str, path: &Path, e: &dyn std::fmt::Display| {
        StartupError::Config(format!("{what} {}: {e}", path.display()))
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad("CASEBOOK_TLS_CERT", cert, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad("CASEBOOK_TLS_CERT", cert, &e))?;
    if certs.is_empty() {
        return Err(bad(
            "CASEBOOK_TLS_CERT",
            cert,
            &"no certificate in the file",
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| bad("CASEBOOK_TLS_KEY", key, &e))?;
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| StartupError::Config(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| StartupError::Config(format!("CASEBOOK_TLS_CERT and CASEBOOK_TLS_KEY: {e}")))
}

/// The child-matching rules in force: the shipped ones or the configured file.
pub fn matching_rules(settings: &Settings) -> Result<MatchRules, StartupError> {
    match &settings.matching {
        Some(path) => {
            let json = std::fs::read_to_string(path).map_err(|e| {
                StartupError::Config(format!("CASEBOOK_MATCHING {}: {e}", path.display()))
            })?;
            MatchRules::from_json(&json).map_err(|e| {
                StartupError::Config(format!("CASEBOOK_MATCHING {}: {e}", path.display()))
            })
        }
        None => Ok(MatchRules::shipped()),
    }
}

/// The indicator registry in force: the shipped one with the configured override applied.
pub fn indicator_registry(settings: &Settings) -> Result<Registry, StartupError> {
    let Some(path) = &settings.indicators else {
        return Ok(Registry::shipped());
    };
    let bad =
        |e: String| StartupError::Config(format!("CASEBOOK_INDICATORS {}: {e}", path.display()));
    let json = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    Registry::shipped()
        .with_override(&json)
        .map_err(|e| bad(e.to_string()))
}

/// The report templates in force, checked against the indicator registry.
pub fn report_templates(
    settings: &Settings,
    registry: &Registry,
) -> Result<Templates, StartupError> {
    let Some(path) = &settings.report_templates else {
        return Ok(Templates::shipped(registry));
    };
    let bad = |e: String| {
        StartupError::Config(format!("CASEBOOK_REPORT_TEMPLATES {}: {e}", path.display()))
    };
    let json = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    Templates::load(
        crate::reports::DEFAULT_TEMPLATES_JSON,
        Some(&json),
        registry,
    )
    .map_err(|e| bad(e.to_string()))
}

/// Connects, migrates and loads the unit registry (first start).
pub async fn open_store(settings: &Settings) -> Result<Db, StartupError> {
    let db = store::connect(&settings.database_url, settings.db_max_connections).await?;
    store::migrate(&db).await?;
    units::seed(&db).await?;
    Ok(db)
}

pub struct Application {
    port: u16,
    /// Whether `serve` speaks HTTPS (a certificate and key were given).
    tls: bool,
    server: Server,
    pub db: Db,
    projections: Arc<Projections>,
    /// The first `projector_count` tasks are the projectors and the duplicates matcher.
    projector_count: usize,
    /// The console's one-time setup token, when no admin existed at start.
    setup_token: Option<String>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Alerts: the follower of the log, the deadline sweep, webhook delivery.
    notifier: Option<crate::notify::Notifier>,
}

impl Application {
    /// The server on the system clock, as `main` runs it.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        Self::build_with_clock(settings, Clock::system()).await
    }

    /// The server taking business "now" from `clock` (tests give a clock they control).
    pub async fn build_with_clock(settings: Settings, clock: Clock) -> Result<Self, StartupError> {
        let tls = match settings.tls().map_err(StartupError::Config)? {
            Some((cert, key)) => Some(tls_config(cert, key)?),
            None => None,
        };
        let services = case_services(&settings)?;
        let webhooks = match &settings.webhooks {
            Some(path) => crate::notify::config::Webhooks::load(path).map_err(|e| {
                StartupError::Config(format!("CASEBOOK_WEBHOOKS {}: {e}", path.display()))
            })?,
            None => crate::notify::config::Webhooks::default(),
        };
        let sweep_every = settings.notify_sweep();
        let matching = Arc::new(matching_rules(&settings)?);
        let indicators = Arc::new(indicator_registry(&settings)?);
        let templates = Arc::new(report_templates(&settings, &indicators)?);
        let db = open_store(&settings).await?;
        let directory = UnitDirectory::load(&db).await?;
        let projections = Projections::with_matching(db.clone(), matching.clone());
        projections.prepare().await?;
        let mut tasks = projections.spawn();
        let projector_count = Projections::task_count();
        let repo = events::EventRepository::with_committers(&db, settings.pg_committers as usize);
        let commands = CaseCommands::new(
            events::case_event_store(repo.clone()),
            repo,
            services,
            projections.wakeup(),
            crate::case_cache::CaseCache::new(settings.case_cache as usize),
        );
        let listener =
            TcpListener::bind(settings.listen).map_err(|source| StartupError::Listen {
                addr: settings.listen.to_string(),
                source,
            })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Listen {
                addr: settings.listen.to_string(),
                source,
            })?
            .port();
        let max_body = settings.max_body_bytes as usize;
        let workers = settings.workers;
        let state_projections = projections.clone();
        let sessions = Arc::new(store::session_cache::SessionCache::new(&db, 10_000));
        if let projections::Db::Postgres(pool) = &db {
            tasks.push(tokio::spawn(sessions.clone().listen(pool.clone())));
        }
        let state = web::Data::new(AppState {
            db: db.clone(),
            clock,
            commands,
            units: directory,
            throttle: crate::auth::LoginThrottle::new(Duration::from_secs(15 * 60), 5, 30),
            settings: Arc::new(settings),
            projections,
            metrics: Metrics::default(),
            recent_writers: http::RecentWriters::default(),
            matching,
            indicators,
            templates,
            sessions,
        });
        // The console's first-run setup: while no admin exists, a one-time link (its token kept
        // hashed, in memory, single use) through which the first admin is created.
        let (web_state, setup_token) = crate::web::WebState::prepare(&db).await?;
        if let Some(token) = &setup_token {
            println!(
                "casebook: no administrator yet. Create the first one in a browser, once: \
                 {}://{}/setup/{token}",
                if tls.is_some() { "https" } else { "http" },
                state.settings.listen
            );
        }
        let web_state = web::Data::new(web_state);
        // Before the server accepts a command: on its first start the notifier's checkpoint is
        // set at the log head.
        let notifier = crate::notify::Notifier::start(
            state.clone().into_inner(),
            webhooks,
            state.projections.wakeup().follow(),
            sweep_every,
        )
        .await
        .map_err(StartupError::Config)?;
        tasks.push(tokio::spawn(housekeeping(db.clone())));
        let server =
            HttpServer::new(move || {
                App::new()
                    .app_data(state.clone())
                    .app_data(web_state.clone())
                    .app_data(web::PayloadConfig::new(max_body))
                    .app_data(web::QueryConfig::default().error_handler(|e, _| {
                        http::errors::ApiError::malformed(&format!("query string: {e}")).into()
                    }))
                    .app_data(web::PathConfig::default().error_handler(|_, _| {
                        http::errors::ApiError::not_found("not_found").into()
                    }))
                    .wrap(middleware::from_fn(http::observe))
                    .configure(http::routes)
                    .configure(crate::web::routes)
            });
        let tls_enabled = tls.is_some();
        let server = match tls {
            Some(config) => server.listen_rustls_0_23(listener, config),
            None => server.listen(listener),
        };
        let mut server = server
            .map_err(|source| StartupError::Listen {
                addr: "listener".into(),
                source,
            })?
            .shutdown_timeout(10);
        if let Some(workers) = workers {
            server = server.workers(workers);
        }
        Ok(Self {
            port,
            tls: tls_enabled,
            server: server.run(),
            db,
            projections: state_projections,
            projector_count,
            setup_token,
            tasks,
            notifier: Some(notifier),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `https` when the server terminates TLS itself, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls {
            "https"
        } else {
            "http"
        }
    }

    /// The console's one-time setup token (`/setup/{token}`), when no admin existed at start.
    pub fn setup_token(&self) -> Option<&str> {
        self.setup_token.as_deref()
    }

    /// Stops the server from elsewhere (tests restart it).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        // The notifier finishes its batch, its sweep and the webhooks in flight (their outcomes
        // written); the projectors finish the batch in hand (its transaction is whole either
        // way), then the other tasks go.
        if let Some(notifier) = self.notifier {
            notifier.stop(Duration::from_secs(10)).await;
        }
        self.projections.stop();
        let (projectors, others): (Vec<_>, Vec<_>) = self
            .tasks
            .into_iter()
            .enumerate()
            .partition(|(i, _)| *i < self.projector_count);
        for (_, task) in others {
            task.abort();
        }
        for (_, task) in projectors {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
        result
    }
}

/// Expired sessions and abandoned idempotency reservations are removed periodically.
async fn housekeeping(db: Db) {
    loop {
        let now = chrono::Utc::now();
        if let Err(e) = store::sessions::purge_expired(&db, now).await {
            tracing::warn!(error = %e, "session purge failed");
        }
        if let Err(e) =
            store::idempotency::release_stale(&db, now - chrono::Duration::minutes(10)).await
        {
            tracing::warn!(error = %e, "idempotency purge failed");
        }
        tokio::time::sleep(Duration::from_secs(300)).await;
    }
}
