//! `serve` terminates TLS itself with a PEM certificate and key, and refuses plain HTTP on an
//! address other than loopback unless told to allow it.

use crate::driver::Browser;
use crate::helpers::*;
use casebook::config::Settings;
use casebook::startup::{Application, StartupError};

/// A self-signed certificate for 127.0.0.1 and localhost, written as PEM files.
fn self_signed(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .expect("a certificate");
    let cert_pem = certified.cert.pem();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, &cert_pem).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    (cert, key, cert_pem)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_speaks_https_with_the_given_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, cert_pem) = self_signed(dir.path());
    let app = TestApp::spawn_with(Store::Sqlite, |s| {
        s.tls_cert = Some(cert.clone());
        s.tls_key = Some(key.clone());
    })
    .await;
    let https = app.address.replacen("http://", "https://", 1);
    let client = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap())
        .https_only(true)
        .build()
        .unwrap();
    let response = client
        .get(format!("{https}/api/v1/health"))
        .send()
        .await
        .expect("an HTTPS answer from a client trusting the certificate");
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), r#"{"status":"ok"}"#);
    // A client that does not trust the certificate is refused by TLS, not answered.
    let untrusting = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .build()
        .unwrap();
    assert!(untrusting
        .get(format!("{https}/api/v1/health"))
        .send()
        .await
        .is_err());
    // Plain HTTP on the TLS port gets no HTTP answer.
    let plain = reqwest::Client::new()
        .get(format!("{}/api/v1/health", app.address))
        .send()
        .await;
    assert!(
        plain.map(|r| !r.status().is_success()).unwrap_or(true),
        "no plain HTTP on the TLS port"
    );
    // And a real browser gets the page over TLS (the test certificate is accepted).
    let browser = Browser::open(&https).await;
    browser.goto("/api/v1/health").await;
    assert!(browser.url().await.starts_with("https://"));
    assert!(browser.text().await.contains("\"ok\""));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_on_a_non_loopback_address_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("casebook.db").display());
    let mut settings = Settings::for_database(&url);
    settings.listen = "0.0.0.0:0".parse().unwrap();
    match Application::build(settings).await {
        Err(StartupError::Config(message)) => {
            assert!(
                message.contains("refusing plain HTTP on 0.0.0.0:0"),
                "{message}"
            );
            assert!(message.contains("CASEBOOK_TLS_CERT"), "{message}");
        }
        Err(other) => panic!("refused for another reason: {other}"),
        Ok(_) => panic!("plain HTTP on 0.0.0.0 must be refused"),
    }
    // The binary says so and stops.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_casebook"))
        .args(["serve", "--listen", "0.0.0.0:0", "--database-url", &url])
        .env("CASEBOOK_LOG", "error")
        .output()
        .expect("the binary runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refusing plain HTTP"), "{stderr}");
    // Allowed explicitly, it starts (behind a proxy on another host).
    let mut settings = Settings::for_database(&url);
    settings.listen = "0.0.0.0:0".parse().unwrap();
    settings.allow_plain_http = true;
    let app = Application::build(settings)
        .await
        .expect("allowed explicitly");
    assert_eq!(app.scheme(), "http");
    // Never run: dropping it closes the listener.
    drop(app);
}
