//! Tests in a real browser: headless Chromium (Debian's `chromium` and `chromium-driver`) driven
//! over WebDriver against the real server, built by `Application::build` on port 0 as the API
//! tests build it (their helpers are shared, not copied). One browser session per test and per
//! role; each test starts and ends its own chromedriver.

#[allow(dead_code, unused_imports)]
#[path = "../api/helpers.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "../api/pg.rs"]
mod pg;

mod attacks;
mod console;
#[allow(dead_code)] // a harness: not every helper is used by every journey
mod driver;
mod identity;
mod inbox;
mod journeys;
mod printing;
mod smoke;
mod tls;
mod weight;
