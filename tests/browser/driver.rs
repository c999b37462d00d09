//! Headless Chromium driven over WebDriver: Debian's `chromium` and `chromium-driver`. Each test
//! starts its own chromedriver on a free port (in its own process group, so the browser it starts
//! goes with it) and one browser session with a fresh profile; both end when the test ends, also
//! when it fails. Missing binaries fail the test with the command that installs them: nothing is
//! skipped. The client is a few W3C WebDriver calls over HTTP (reqwest), all this suite needs.

use base64::Engine;
use serde_json::{json, Value};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What a fresh Debian machine lacks for these tests, as one command.
pub const INSTALL: &str =
    "apt-get update && apt-get install -y chromium chromium-driver fonts-noto-core fonts-dejavu-core";

fn binary(env: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(env)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    require(&path, env)
}

/// `path` if it exists; otherwise the test fails saying how to install it.
pub fn require(path: impl AsRef<Path>, env: &str) -> PathBuf {
    let path = path.as_ref().to_path_buf();
    assert!(
        path.exists(),
        "the browser tests need {} (not found; set {env} to another path). Install it with:\n    {INSTALL}\n(or run scripts/test.sh as root, which installs it)",
        path.display()
    );
    path
}

/// The flags Chromium runs with here: headless, as root (no sandbox), without the background
/// connections a closed network refuses.
pub const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--window-size=1280,900",
    "--lang=vi",
];

/// A chromedriver process; killed with its process group on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The negative pid names the group: chromedriver and the browser it started.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Driver {
    fn start(dir: &Path) -> Driver {
        let chromedriver = binary("CHROMEDRIVER", "/usr/bin/chromedriver");
        let port = free_port();
        let log = std::fs::File::create(dir.join("chromedriver.log")).expect("driver log");
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().expect("log")))
            .stderr(Stdio::from(log))
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        let driver = Driver { child, port };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not listen on {port}: {}",
                std::fs::read_to_string(dir.join("chromedriver.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }
}

/// The W3C WebDriver id of an element in answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One browser session: its own chromedriver, Chromium and profile.
pub struct Browser {
    http: reqwest::Client,
    /// `http://127.0.0.1:<driver>/session/<id>`.
    session: String,
    /// The server's base address, e.g. `http://127.0.0.1:41234`.
    pub base: String,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

/// An element found on the page.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Browser {
    /// A new session against the server at `base`.
    pub async fn open(base: &str) -> Browser {
        let chromium = binary("CHROMIUM", "/usr/bin/chromium");
        let profile = tempfile::tempdir().expect("profile dir");
        let driver = Driver::start(profile.path());
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
        args.push(format!(
            "--user-data-dir={}",
            profile.path().join("chromium").display()
        ));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("http client");
        // The TLS test's certificate is self-signed; nothing else is served over HTTPS here.
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "acceptInsecureCerts": true,
            "goog:chromeOptions": {
                "binary": chromium.display().to_string(),
                "args": args,
                "prefs": {"intl.accept_languages": "vi-VN,vi"},
            },
        }}});
        let root = format!("http://127.0.0.1:{}", driver.port);
        let answer: Value = http
            .post(format!("{root}/session"))
            .json(&capabilities)
            .send()
            .await
            .expect("chromedriver answers")
            .json()
            .await
            .expect("a JSON answer");
        let Some(id) = answer["value"]["sessionId"].as_str() else {
            panic!(
                "no browser session: {answer}\n{}",
                std::fs::read_to_string(profile.path().join("chromedriver.log"))
                    .unwrap_or_default()
            );
        };
        let session = format!("{root}/session/{id}");
        let browser = Browser {
            http,
            session,
            base: base.trim_end_matches('/').to_owned(),
            _driver: driver,
            _profile: profile,
        };
        browser
            .call(
                "POST",
                "/timeouts",
                json!({"implicit": 2000, "pageLoad": 30000}),
            )
            .await
            .expect("timeouts");
        browser
    }

    /// One WebDriver command; `Err` carries the driver's error.
    async fn call(&self, method: &str, path: &str, body: Value) -> Result<Value, Value> {
        let url = format!("{}{path}", self.session);
        let request = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        };
        let response = request.send().await.map_err(|e| json!(e.to_string()))?;
        let ok = response.status().is_success();
        let answer: Value = response.json().await.map_err(|e| json!(e.to_string()))?;
        if ok {
            Ok(answer["value"].clone())
        } else {
            Err(answer["value"].clone())
        }
    }

    async fn must(&self, method: &str, path: &str, body: Value) -> Value {
        self.call(method, path, body.clone())
            .await
            .unwrap_or_else(|e| panic!("WebDriver {method} {path} {body}: {e}"))
    }

    /// Opens `path` on the server (or an absolute URL).
    pub async fn goto(&self, path: &str) {
        let url = if path.contains("://") || path.starts_with("data:") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        self.must("POST", "/url", json!({"url": url})).await;
    }

    /// The address of the page shown.
    pub async fn url(&self) -> String {
        self.must("GET", "/url", Value::Null)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The path (and query) of the page shown.
    pub async fn path(&self) -> String {
        let url = self.url().await;
        url.strip_prefix(&self.base).unwrap_or(&url).to_owned()
    }

    /// The first element matching `css`, if any (waits up to the implicit 2 s).
    pub async fn find(&self, css: &str) -> Option<Element> {
        let found = self
            .call(
                "POST",
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await
            .ok()?;
        found[ELEMENT].as_str().map(|id| Element(id.to_owned()))
    }

    /// Every element matching `css`.
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.must(
            "POST",
            "/elements",
            json!({"using": "css selector", "value": css}),
        )
        .await
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e[ELEMENT].as_str().map(|id| Element(id.to_owned())))
                .collect()
        })
        .unwrap_or_default()
    }

    async fn expect(&self, css: &str) -> Element {
        match self.find(css).await {
            Some(e) => e,
            None => panic!(
                "nothing matches `{css}` on {}; the page says:\n{}",
                self.path().await,
                self.text().await
            ),
        }
    }

    /// The visible text of an element.
    pub async fn text_of(&self, element: &Element) -> String {
        self.must("GET", &format!("/element/{}/text", element.0), Value::Null)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// An element's attribute or property, as the browser holds it (`value` of a field).
    pub async fn property(&self, element: &Element, name: &str) -> Value {
        self.must(
            "GET",
            &format!("/element/{}/property/{name}", element.0),
            Value::Null,
        )
        .await
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        match self
            .call(
                "POST",
                "/element",
                json!({"using": "css selector", "value": "body"}),
            )
            .await
        {
            Ok(body) => match body[ELEMENT].as_str() {
                Some(id) => self
                    .call("GET", &format!("/element/{id}/text"), Value::Null)
                    .await
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                None => String::new(),
            },
            Err(_) => String::new(),
        }
    }

    /// The page's HTML as the browser holds it.
    pub async fn source(&self) -> String {
        self.must("GET", "/source", Value::Null)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Runs a script in the page (its `return` value comes back).
    pub async fn js(&self, script: &str) -> Value {
        self.must(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
        .await
    }

    /// Runs an async script: it calls `arguments[0]` with its result.
    pub async fn js_async(&self, script: &str) -> Value {
        self.must(
            "POST",
            "/execute/async",
            json!({"script": script, "args": []}),
        )
        .await
    }

    /// Types `value` into the field named `name` (clearing it first).
    pub async fn fill(&self, name: &str, value: &str) {
        let field = self.expect(&format!("[name=\"{name}\"]")).await;
        let _ = self
            .call("POST", &format!("/element/{}/clear", field.0), json!({}))
            .await;
        self.must(
            "POST",
            &format!("/element/{}/value", field.0),
            json!({"text": value}),
        )
        .await;
    }

    /// Picks `value` in the `<select>` named `name`.
    pub async fn select(&self, name: &str, value: &str) {
        self.click(&format!(
            "select[name=\"{name}\"] option[value=\"{value}\"]"
        ))
        .await;
    }

    /// Ticks the checkbox or radio button named `name` with `value`, if not ticked.
    pub async fn check(&self, name: &str, value: &str) {
        let css = format!("input[name=\"{name}\"][value=\"{value}\"]");
        let element = self.expect(&css).await;
        if self.property(&element, "checked").await != json!(true) {
            self.click_element(&element).await;
        }
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        let element = self.expect(css).await;
        self.click_element(&element).await;
    }

    pub async fn click_element(&self, element: &Element) {
        self.must("POST", &format!("/element/{}/click", element.0), json!({}))
            .await;
    }

    /// Waits until the page's text contains `needle` (a form post and its redirect take a moment).
    pub async fn wait_text(&self, needle: &str) {
        let started = Instant::now();
        loop {
            let text = self.text().await;
            if text.contains(needle) {
                return;
            }
            if started.elapsed() > Duration::from_secs(10) {
                panic!(
                    "`{needle}` not shown on {} after 10 s; the page says:\n{text}",
                    self.path().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A PNG of the page as shown.
    pub async fn png(&self) -> Vec<u8> {
        let b64 = self.must("GET", "/screenshot", Value::Null).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap_or_default())
            .expect("base64 screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        png
    }

    /// Saves a PNG of the page under docs/screenshots/ when CASEBOOK_SCREENSHOTS=1.
    pub async fn screenshot(&self, name: &str) {
        let png = self.png().await;
        if std::env::var("CASEBOOK_SCREENSHOTS").as_deref() == Ok("1") {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
            std::fs::create_dir_all(&dir).expect("docs/screenshots");
            std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
        }
    }

    /// The page printed to PDF by Chromium (WebDriver's print), on paper of `width` × `height`
    /// centimetres, backgrounds included.
    pub async fn print_pdf(&self, width: f64, height: f64) -> Vec<u8> {
        let b64 = self
            .must(
                "POST",
                "/print",
                json!({"page": {"width": width, "height": height}, "background": true}),
            )
            .await;
        let pdf = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap_or_default())
            .expect("base64 PDF");
        assert!(pdf.starts_with(b"%PDF"), "a PDF");
        pdf
    }

    /// The value of the cookie `name` of this site (HttpOnly ones too), if set.
    pub async fn cookie(&self, name: &str) -> Option<String> {
        self.call("GET", &format!("/cookie/{name}"), Value::Null)
            .await
            .ok()
            .and_then(|c| c["value"].as_str().map(str::to_owned))
    }

    /// Ends the session (the browser quits); chromedriver goes on drop.
    pub async fn close(self) {
        let _ = self.call("DELETE", "", Value::Null).await;
    }
}
