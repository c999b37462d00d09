//! The webhook endpoints an operator configures (`CASEBOOK_WEBHOOKS`, a JSON file): where each
//! sends, which kinds of message about which units it takes, and the name of the environment
//! variable that holds its HMAC secret. Secrets are never in the file, the logs or the database.

use aggregates::codes::Code;
use aggregates::units::UnitCode;
use projections::notifier::{Kind, Route};
use serde::Deserialize;
use std::time::Duration;

/// The file's shape.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhooksFile {
    #[allow(dead_code)]
    description: Option<String>,
    /// The console's public address: links in webhook messages become absolute
    /// (`https://…/cases/{id}`). Without it they are paths.
    public_url: Option<String>,
    /// Attempts before a delivery is dead (default 10).
    max_attempts: Option<u32>,
    /// The first retry waits about this long; each next one twice as long, with jitter
    /// (default 10 000 ms).
    retry_base_ms: Option<u64>,
    /// The longest wait between attempts (default one hour).
    retry_max_ms: Option<u64>,
    /// How long a request may take (default 10 000 ms).
    timeout_ms: Option<u64>,
    endpoints: Vec<EndpointFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EndpointFile {
    name: String,
    url: String,
    /// The environment variable holding the HMAC-SHA256 secret (at least 32 characters).
    secret_env: String,
    /// Kinds of message (codes); absent: all.
    kinds: Option<Vec<String>>,
    /// Unit codes: messages about these units or any unit under them; absent: all.
    units: Option<Vec<String>>,
    /// Plain `http://` to a host other than the loopback (only behind a trusted network).
    #[serde(default)]
    allow_plain_http: bool,
}

/// One endpoint, checked, with its secret.
#[derive(Clone)]
pub struct Endpoint {
    pub name: String,
    pub url: reqwest::Url,
    pub secret: Vec<u8>,
    pub route: Route,
}

impl std::fmt::Debug for Endpoint {
    // The secret stays out of every log line and error.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("name", &self.name)
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

/// How deliveries are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base: Duration,
    pub max: Duration,
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            base: Duration::from_secs(10),
            max: Duration::from_secs(3600),
            timeout: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The wait before the attempt after `attempts` failed ones: exponential, capped, with
    /// "equal jitter" (half fixed, half random) so that retries of many deliveries spread out.
    pub fn backoff(&self, attempts: u32, random: f64) -> Duration {
        let exp = 2u32.saturating_pow(attempts.saturating_sub(1).min(30));
        let full = self.base.saturating_mul(exp).min(self.max);
        full / 2 + full.mul_f64(random.clamp(0.0, 1.0) / 2.0)
    }
}

/// The webhook configuration in force.
#[derive(Debug, Clone, Default)]
pub struct Webhooks {
    pub endpoints: Vec<Endpoint>,
    pub policy: RetryPolicy,
    pub public_url: Option<String>,
}

impl Webhooks {
    pub fn routes(&self) -> Vec<Route> {
        self.endpoints.iter().map(|e| e.route.clone()).collect()
    }

    /// Parses and checks a file; `secret` reads an environment variable.
    pub fn parse(json: &str, secret: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let file: WebhooksFile = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let mut policy = RetryPolicy::default();
        if let Some(n) = file.max_attempts {
            if !(1..=50).contains(&n) {
                return Err("max_attempts must be 1 to 50".into());
            }
            policy.max_attempts = n;
        }
        if let Some(ms) = file.retry_base_ms {
            if !(10..=3_600_000).contains(&ms) {
                return Err("retry_base_ms must be 10 to 3600000".into());
            }
            policy.base = Duration::from_millis(ms);
        }
        if let Some(ms) = file.retry_max_ms {
            if !(10..=86_400_000).contains(&ms) {
                return Err("retry_max_ms must be 10 to 86400000".into());
            }
            policy.max = Duration::from_millis(ms);
        }
        if let Some(ms) = file.timeout_ms {
            if !(100..=60_000).contains(&ms) {
                return Err("timeout_ms must be 100 to 60000".into());
            }
            policy.timeout = Duration::from_millis(ms);
        }
        let public_url = match file.public_url {
            Some(raw) => {
                let url = reqwest::Url::parse(&raw).map_err(|e| format!("public_url: {e}"))?;
                if !matches!(url.scheme(), "http" | "https") {
                    return Err("public_url must be http(s)".into());
                }
                Some(raw.trim_end_matches('/').to_owned())
            }
            None => None,
        };
        let mut endpoints: Vec<Endpoint> = Vec::new();
        for e in file.endpoints {
            let bad = |problem: String| format!("endpoint `{}`: {problem}", e.name);
            if e.name.is_empty()
                || e.name.len() > 64
                || !e
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
            {
                return Err(bad(
                    "a name is 1 to 64 letters, digits, `-`, `_` or `.`".into()
                ));
            }
            if endpoints.iter().any(|x| x.name == e.name) {
                return Err(bad("named twice".into()));
            }
            let url = reqwest::Url::parse(&e.url).map_err(|err| bad(format!("url: {err}")))?;
            match url.scheme() {
                "https" => {}
                "http" if e.allow_plain_http || is_loopback(&url) => {}
                "http" => {
                    return Err(bad(
                        "plain http is allowed to the loopback only (or with allow_plain_http)"
                            .into(),
                    ))
                }
                other => return Err(bad(format!("url scheme `{other}`: http(s) only"))),
            }
            if !url.username().is_empty() || url.password().is_some() {
                return Err(bad("no credentials in the url: use the signature".into()));
            }
            let value = secret(&e.secret_env).ok_or_else(|| {
                bad(format!(
                    "the environment variable {} (its secret) is not set",
                    e.secret_env
                ))
            })?;
            if value.chars().count() < 32 {
                return Err(bad(format!(
                    "the secret in {} is shorter than 32 characters",
                    e.secret_env
                )));
            }
            let kinds = match e.kinds {
                Some(codes) => Some(
                    codes
                        .iter()
                        .map(|c| Kind::parse(c).map_err(|err| bad(err.to_string())))
                        .collect::<Result<Vec<_>, _>>()?,
                ),
                None => None,
            };
            if let Some(units) = &e.units {
                for u in units {
                    UnitCode::parse(u).map_err(|_| bad(format!("`{u}` is not a unit code")))?;
                }
            }
            endpoints.push(Endpoint {
                route: Route {
                    endpoint: e.name.clone(),
                    kinds,
                    units: e.units,
                },
                name: e.name,
                url,
                secret: value.into_bytes(),
            });
        }
        Ok(Self {
            endpoints,
            policy,
            public_url,
        })
    }

    /// Reads `CASEBOOK_WEBHOOKS` (secrets from the environment).
    pub fn load(path: &std::path::Path) -> Result<Self, String> {
        let json = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        Self::parse(&json, |name| std::env::var(name).ok())
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "an-hmac-secret-of-at-least-32-characters";

    fn parse(json: &str) -> Result<Webhooks, String> {
        Webhooks::parse(json, |name| {
            (name == "HOOK_SECRET").then(|| SECRET.to_owned())
        })
    }

    #[test]
    fn a_good_file_parses_with_its_routes() {
        let w = parse(
            r#"{"max_attempts": 3, "retry_base_ms": 50, "public_url": "https://cb.example.vn/",
                "endpoints": [{"name": "laichau", "url": "http://127.0.0.1:9000/hook",
                "secret_env": "HOOK_SECRET", "kinds": ["rapid_report"], "units": ["12"]}]}"#,
        )
        .unwrap();
        assert_eq!(w.policy.max_attempts, 3);
        assert_eq!(w.public_url.as_deref(), Some("https://cb.example.vn"));
        assert_eq!(w.endpoints[0].secret, SECRET.as_bytes());
        assert_eq!(
            w.routes(),
            vec![Route {
                endpoint: "laichau".into(),
                kinds: Some(vec![Kind::RapidReport]),
                units: Some(vec!["12".into()])
            }]
        );
        assert!(!format!("{:?}", w).contains(SECRET), "no secret in Debug");
    }

    #[test]
    fn bad_files_are_refused_with_the_reason() {
        let one = |endpoint: &str| parse(&format!(r#"{{"endpoints": [{endpoint}]}}"#));
        let refused = |endpoint: &str, why: &str| {
            let e = one(endpoint).unwrap_err();
            assert!(e.contains(why), "{e}");
        };
        refused(
            r#"{"name": "x", "url": "ftp://127.0.0.1/", "secret_env": "HOOK_SECRET"}"#,
            "http(s) only",
        );
        refused(
            r#"{"name": "x", "url": "http://example.vn/", "secret_env": "HOOK_SECRET"}"#,
            "loopback",
        );
        refused(
            r#"{"name": "x", "url": "https://example.vn/", "secret_env": "NOT_SET"}"#,
            "NOT_SET",
        );
        refused(
            r#"{"name": "x", "url": "https://example.vn/", "secret_env": "HOOK_SECRET", "kinds": ["gossip"]}"#,
            "gossip",
        );
        refused(
            r#"{"name": "x y", "url": "https://example.vn/", "secret_env": "HOOK_SECRET"}"#,
            "a name",
        );
        refused(
            r#"{"name": "x", "url": "https://u:p@example.vn/", "secret_env": "HOOK_SECRET"}"#,
            "credentials",
        );
        assert!(one(r#"{"name": "x", "url": "https://example.vn/", "secret_env": "HOOK_SECRET", "extra": 1}"#).is_err());
        assert!(one(r#"{"name": "x", "url": "http://example.vn/", "secret_env": "HOOK_SECRET", "allow_plain_http": true}"#).is_ok());
        let weak = Webhooks::parse(
            r#"{"endpoints": [{"name": "x", "url": "https://example.vn/", "secret_env": "S"}]}"#,
            |_| Some("short".into()),
        );
        assert!(weak.unwrap_err().contains("32 characters"));
    }

    #[test]
    fn backoff_doubles_is_capped_and_jittered() {
        let p = RetryPolicy {
            max_attempts: 10,
            base: Duration::from_secs(10),
            max: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
        };
        assert_eq!(p.backoff(1, 0.0), Duration::from_secs(5));
        assert_eq!(p.backoff(1, 1.0), Duration::from_secs(10));
        assert_eq!(p.backoff(2, 1.0), Duration::from_secs(20));
        assert_eq!(p.backoff(3, 0.5), Duration::from_secs(30));
        assert_eq!(p.backoff(9, 1.0), Duration::from_secs(60), "capped");
        assert_eq!(p.backoff(200, 1.0), Duration::from_secs(60));
    }
}
