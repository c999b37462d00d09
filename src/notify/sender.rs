//! Sending a message out of casebook. [`Sender`] is what the delivery loop calls; the webhook is
//! its first implementation, and an SMS or e-mail gateway would be another (its own endpoint
//! name, the same outbox, retries and dead letters).
//!
//! A webhook request is `POST <url>` with the message as JSON and:
//! - `Idempotency-Key: <message id>`, the same on every retry of the message;
//! - `Casebook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, so the
//!   receiver checks who sent it and refuses old replays;
//! - `Casebook-Kind: <kind>`.
//!
//! Redirects are not followed; any answer but 2xx is a failed attempt.

use super::config::Endpoint;
use futures_util::future::BoxFuture;
use hmac::{Hmac, Mac};
use projections::notifier::Message;
use sha2::Sha256;
use std::time::Duration;

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver answered 2xx.
    Delivered { status: u16 },
    /// No answer, or not 2xx. `error` is a short cause without the URL or any content.
    Failed { status: Option<u16>, error: String },
}

/// A way out for messages.
pub trait Sender: Send + Sync {
    /// The endpoint name deliveries refer to.
    fn name(&self) -> &str;
    /// One attempt to hand the message over.
    fn send<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Outcome>;
}

/// HMAC-SHA256 of the concatenated parts, in hex.
fn hmac_hex(secret: &[u8], parts: &[&[u8]]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(part);
    }
    crate::auth::hex(&mac.finalize().into_bytes())
}

/// The `Casebook-Signature` value for `body` sent at `timestamp` (unix seconds).
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let t = timestamp.to_string();
    format!("t={t},v1={}", hmac_hex(secret, &[t.as_bytes(), b".", body]))
}

/// A webhook endpoint.
pub struct Webhook {
    endpoint: Endpoint,
    client: reqwest::Client,
    public_url: Option<String>,
}

impl Webhook {
    pub fn new(
        endpoint: Endpoint,
        timeout: Duration,
        public_url: Option<String>,
    ) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("casebook/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("webhook client: {e}"))?;
        Ok(Self {
            endpoint,
            client,
            public_url,
        })
    }

    /// The body: the message, its link absolute when the console's address is configured.
    pub fn body(&self, message: &Message) -> Vec<u8> {
        let mut message = message.clone();
        if let Some(base) = &self.public_url {
            message.link = format!("{base}{}", message.link);
        }
        serde_json::to_vec(&message).unwrap_or_default()
    }
}

fn cause(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection refused or unreachable"
    } else if e.is_redirect() {
        "redirect"
    } else {
        "request failed"
    }
}

impl Sender for Webhook {
    fn name(&self) -> &str {
        &self.endpoint.name
    }

    fn send<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let body = self.body(message);
            let timestamp = chrono::Utc::now().timestamp();
            let answer = self
                .client
                .post(self.endpoint.url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header("idempotency-key", message.id.to_string())
                .header(
                    "casebook-signature",
                    signature(&self.endpoint.secret, timestamp, &body),
                )
                .header("casebook-kind", message.kind.as_str())
                .body(body)
                .send()
                .await;
            // The outcome is decided by the status line alone: the body is not waited for, so
            // that the delivery is marked as soon as the receiver has answered.
            match answer {
                Ok(r) if r.status().is_success() => Outcome::Delivered {
                    status: r.status().as_u16(),
                },
                Ok(r) => Outcome::Failed {
                    status: Some(r.status().as_u16()),
                    error: format!("answered {}", r.status().as_u16()),
                },
                Err(e) => Outcome::Failed {
                    status: None,
                    error: cause(&e).to_owned(),
                },
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mac_is_hmac_sha256() {
        // RFC 4231, test case 2.
        assert_eq!(
            hmac_hex(b"Jefe", &[b"what do ya want ", b"for nothing?"]),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn the_signature_covers_the_timestamp_and_the_body() {
        let sig = signature(b"Jefe", 1_750_000_000, b"{}");
        assert_eq!(
            sig,
            format!("t=1750000000,v1={}", hmac_hex(b"Jefe", &[b"1750000000.{}"]))
        );
        assert_ne!(sig, signature(b"Jefe", 1_750_000_001, b"{}"));
        assert_ne!(sig, signature(b"Jefe", 1_750_000_000, b"{ }"));
    }
}
