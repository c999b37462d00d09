//! Configuration: environment variables (a `.env` file is read if present), overridden by flags.
//! Unknown `CASEBOOK_*` variables and invalid values stop start-up with a clear message.

use clap::{Args, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Every setting, as flags and environment variables.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// `sqlite://<path>` (the default, embedded) or `postgres://…`.
    #[arg(
        long,
        env = "CASEBOOK_DATABASE_URL",
        global = true,
        default_value = "sqlite://data/casebook.db"
    )]
    pub database_url: String,
    /// Address the HTTP service listens on.
    #[arg(
        long,
        env = "CASEBOOK_LISTEN",
        global = true,
        default_value = "127.0.0.1:8080"
    )]
    pub listen: SocketAddr,
    /// Log filter (tracing's EnvFilter syntax).
    #[arg(long, env = "CASEBOOK_LOG", global = true, default_value = "info")]
    pub log: String,
    /// Log format.
    #[arg(long, env = "CASEBOOK_LOG_FORMAT", global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// A deadline-rule override file (same shape as aggregates/data/deadline-rules.json).
    #[arg(long, env = "CASEBOOK_RULES", global = true)]
    pub rules: Option<PathBuf>,
    /// A holiday calendar file replacing the shipped one (same shape as aggregates/data/vn-holidays.json).
    #[arg(long, env = "CASEBOOK_CALENDAR", global = true)]
    pub calendar: Option<PathBuf>,
    /// An indicator-registry override file (same shape as projections/data/indicators.json).
    #[arg(long, env = "CASEBOOK_INDICATORS", global = true)]
    pub indicators: Option<PathBuf>,
    /// A report-template override file (same shape as projections/data/report-templates.json).
    #[arg(long, env = "CASEBOOK_REPORT_TEMPLATES", global = true)]
    pub report_templates: Option<PathBuf>,
    /// How long a session token lives.
    #[arg(long, env = "CASEBOOK_SESSION_TTL_MINUTES", global = true, default_value_t = 480,
          value_parser = clap::value_parser!(u32).range(5..=1440))]
    pub session_ttl_minutes: u32,
    /// Size of the database connection pool.
    #[arg(long, env = "CASEBOOK_DB_MAX_CONNECTIONS", global = true, default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(2..=200))]
    pub db_max_connections: u32,
    /// Largest accepted request body, in bytes.
    #[arg(long, env = "CASEBOOK_MAX_BODY_BYTES", global = true, default_value_t = 262_144,
          value_parser = clap::value_parser!(u32).range(1024..=16_777_216))]
    pub max_body_bytes: u32,
    /// Statistics cells below this count (but above zero) are suppressed.
    #[arg(long, env = "CASEBOOK_STATS_MIN_CELL", global = true, default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub stats_min_cell: u32,
    /// How long a view read waits for the projector to reach the latest committed event.
    #[arg(long, env = "CASEBOOK_VIEW_WAIT_MS", global = true, default_value_t = 5000,
          value_parser = clap::value_parser!(u32).range(0..=60_000))]
    pub view_wait_ms: u32,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "CASEBOOK_WORKERS", global = true)]
    pub workers: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// The environment variables casebook reads.
const KNOWN: &[&str] = &[
    "CASEBOOK_DATABASE_URL",
    "CASEBOOK_LISTEN",
    "CASEBOOK_LOG",
    "CASEBOOK_LOG_FORMAT",
    "CASEBOOK_RULES",
    "CASEBOOK_CALENDAR",
    "CASEBOOK_INDICATORS",
    "CASEBOOK_REPORT_TEMPLATES",
    "CASEBOOK_SESSION_TTL_MINUTES",
    "CASEBOOK_DB_MAX_CONNECTIONS",
    "CASEBOOK_MAX_BODY_BYTES",
    "CASEBOOK_STATS_MIN_CELL",
    "CASEBOOK_VIEW_WAIT_MS",
    "CASEBOOK_WORKERS",
];

/// Refuses `CASEBOOK_*` variables casebook does not know (a typo would otherwise be ignored).
pub fn check_unknown_variables() -> Result<(), String> {
    let unknown: Vec<String> = std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .filter(|k| k.starts_with("CASEBOOK_") && !KNOWN.contains(&k.as_str()))
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "unknown setting(s) {}; known settings are {}",
            unknown.join(", "),
            KNOWN.join(", ")
        ))
    }
}

impl Settings {
    pub fn session_ttl(&self) -> chrono::Duration {
        chrono::Duration::minutes(i64::from(self.session_ttl_minutes))
    }

    pub fn view_wait(&self) -> Duration {
        Duration::from_millis(u64::from(self.view_wait_ms))
    }

    /// Settings for tests and tools: the defaults with a database URL.
    pub fn for_database(database_url: &str) -> Self {
        use clap::Parser;
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            settings: Settings,
        }
        let mut settings = Only::parse_from(["casebook"]).settings;
        settings.database_url = database_url.to_owned();
        settings
    }
}
