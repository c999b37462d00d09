//! Configuration: environment variables (a `.env` file is read if present), overridden by flags.
//! Unknown `CASEBOOK_*` variables and invalid values stop start-up with a clear message.

use clap::{Args, ValueEnum};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
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
    /// Child-matching weights and thresholds replacing the shipped ones (same shape as
    /// aggregates/data/matching-rules.json).
    #[arg(long, env = "CASEBOOK_MATCHING", global = true)]
    pub matching: Option<PathBuf>,
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
    /// TLS certificate chain (PEM): with `--tls-key`, `serve` speaks HTTPS only.
    #[arg(long, env = "CASEBOOK_TLS_CERT", global = true, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM, PKCS#8, PKCS#1 or SEC1), for `--tls-cert`.
    #[arg(long, env = "CASEBOOK_TLS_KEY", global = true, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// The webhook endpoints alerts are sent to (a JSON file; see README, "Alerts").
    #[arg(long, env = "CASEBOOK_WEBHOOKS", global = true)]
    pub webhooks: Option<PathBuf>,
    /// Cases whose streams a server keeps in memory for the next command on them (0: none).
    #[arg(long, env = "CASEBOOK_CASE_CACHE", global = true, default_value_t = 4096,
          value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub case_cache: u32,
    /// Postgres: tasks that commit the commands' events, each writing the commands that queue
    /// meanwhile in one statement (0, the default: every command commits on its own, which
    /// measured faster at 100,000 cases on two cores shared with the server; BENCHMARKS.md).
    #[arg(long, env = "CASEBOOK_PG_COMMITTERS", global = true, default_value_t = 0,
          value_parser = clap::value_parser!(u32).range(0..=64))]
    pub pg_committers: u32,
    /// How often the deadline view is swept for deadlines due soon or overdue.
    #[arg(long, env = "CASEBOOK_NOTIFY_SWEEP_SECONDS", global = true, default_value_t = 60,
          value_parser = clap::value_parser!(u32).range(1..=3600))]
    pub notify_sweep_seconds: u32,
    /// Allow plain HTTP on an address other than loopback (behind a TLS proxy on another host).
    #[arg(long, env = "CASEBOOK_ALLOW_PLAIN_HTTP", global = true, default_value_t = false,
          num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub allow_plain_http: bool,
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
    "CASEBOOK_MATCHING",
    "CASEBOOK_INDICATORS",
    "CASEBOOK_REPORT_TEMPLATES",
    "CASEBOOK_SESSION_TTL_MINUTES",
    "CASEBOOK_DB_MAX_CONNECTIONS",
    "CASEBOOK_MAX_BODY_BYTES",
    "CASEBOOK_STATS_MIN_CELL",
    "CASEBOOK_VIEW_WAIT_MS",
    "CASEBOOK_WORKERS",
    "CASEBOOK_TLS_CERT",
    "CASEBOOK_TLS_KEY",
    "CASEBOOK_ALLOW_PLAIN_HTTP",
    "CASEBOOK_WEBHOOKS",
    "CASEBOOK_NOTIFY_SWEEP_SECONDS",
    "CASEBOOK_CASE_CACHE",
    "CASEBOOK_PG_COMMITTERS",
    // Not a server setting: the browser tests save README screenshots when it is 1.
    "CASEBOOK_SCREENSHOTS",
];

/// Variables holding webhook secrets, named by the `CASEBOOK_WEBHOOKS` file (`secret_env`).
pub const WEBHOOK_SECRET_PREFIX: &str = "CASEBOOK_WEBHOOK_SECRET_";

/// Refuses `CASEBOOK_*` variables casebook does not know (a typo would otherwise be ignored).
pub fn check_unknown_variables() -> Result<(), String> {
    let unknown: Vec<String> = std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .filter(|k| {
            k.starts_with("CASEBOOK_")
                && !KNOWN.contains(&k.as_str())
                && !k.starts_with(WEBHOOK_SECRET_PREFIX)
        })
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

    pub fn notify_sweep(&self) -> Duration {
        Duration::from_secs(u64::from(self.notify_sweep_seconds))
    }

    pub fn view_wait(&self) -> Duration {
        Duration::from_millis(u64::from(self.view_wait_ms))
    }

    /// The certificate and key `serve` terminates TLS with, if given. Plain HTTP is refused on
    /// an address other than loopback unless `CASEBOOK_ALLOW_PLAIN_HTTP=true`: personal data
    /// would cross the network in clear.
    pub fn tls(&self) -> Result<Option<(&Path, &Path)>, String> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Ok(Some((cert.as_path(), key.as_path()))),
            (None, None) if self.listen.ip().is_loopback() || self.allow_plain_http => Ok(None),
            (None, None) => Err(format!(
                "refusing plain HTTP on {}, which is not a loopback address: give a certificate \
                 and key (CASEBOOK_TLS_CERT and CASEBOOK_TLS_KEY, PEM files), or listen on \
                 127.0.0.1 behind a TLS proxy on this host, or set CASEBOOK_ALLOW_PLAIN_HTTP=true \
                 when a proxy on another host terminates TLS",
                self.listen
            )),
            _ => Err("CASEBOOK_TLS_CERT and CASEBOOK_TLS_KEY go together: give both".into()),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn on(listen: &str) -> Settings {
        let mut settings = Settings::for_database("sqlite://x.db");
        settings.listen = listen.parse().unwrap();
        settings
    }

    #[test]
    fn plain_http_only_on_loopback_unless_allowed() {
        assert_eq!(on("127.0.0.1:8080").tls(), Ok(None));
        assert_eq!(on("[::1]:8080").tls(), Ok(None));
        let refused = on("0.0.0.0:8080").tls().unwrap_err();
        assert!(
            refused.contains("refusing plain HTTP on 0.0.0.0:8080"),
            "{refused}"
        );
        assert!(
            refused.contains("CASEBOOK_ALLOW_PLAIN_HTTP=true"),
            "{refused}"
        );
        assert!(on("192.0.2.1:80").tls().is_err());
        let mut allowed = on("0.0.0.0:8080");
        allowed.allow_plain_http = true;
        assert_eq!(allowed.tls(), Ok(None));
    }

    #[test]
    fn a_certificate_and_key_mean_tls_anywhere() {
        let mut settings = on("0.0.0.0:8443");
        settings.tls_cert = Some("cert.pem".into());
        settings.tls_key = Some("key.pem".into());
        assert_eq!(
            settings.tls(),
            Ok(Some((Path::new("cert.pem"), Path::new("key.pem"))))
        );
        settings.tls_key = None;
        assert!(settings.tls().unwrap_err().contains("go together"));
    }

    #[test]
    fn the_flags_parse() {
        use clap::Parser;
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            settings: Settings,
        }
        let s = Only::try_parse_from(["casebook", "--allow-plain-http", "--listen", "0.0.0.0:1"])
            .unwrap()
            .settings;
        assert!(s.allow_plain_http);
        let s = Only::try_parse_from(["casebook", "--allow-plain-http=false"])
            .unwrap()
            .settings;
        assert!(!s.allow_plain_http);
        assert!(Only::try_parse_from(["casebook", "--allow-plain-http=maybe"]).is_err());
        assert!(Only::try_parse_from(["casebook", "--tls-cert", "c.pem"]).is_err());
    }
}
