//! The walker of `walks`: each request recorded by route pattern as a success or a refusal.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::BTreeMap;

/// Successes and rejections per route pattern.
#[derive(Default)]
pub struct Coverage {
    pub seen: BTreeMap<(String, String), (u32, u32)>,
}

impl Coverage {
    pub fn record(&mut self, method: &Method, pattern: &str, status: StatusCode) {
        let entry = self
            .seen
            .entry((method.to_string(), pattern.to_owned()))
            .or_default();
        if status.is_success() {
            entry.0 += 1;
        } else if status.is_client_error() || status == StatusCode::SERVICE_UNAVAILABLE {
            entry.1 += 1;
        }
    }
}

/// One request: the route `pattern`, sent on `path`; recorded in the coverage.
pub struct Walker<'a> {
    pub app: &'a TestApp,
    pub coverage: Coverage,
}

impl Walker<'_> {
    pub async fn send(
        &mut self,
        method: Method,
        pattern: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (status, _, answer) = self
            .app
            .request(method.clone(), token, path, body.as_ref(), &[])
            .await;
        assert!(
            status.as_u16() < 500 || pattern == "/ready",
            "{method} {path}: {status} {answer}"
        );
        self.coverage.record(&method, pattern, status);
        (status, answer)
    }

    /// Must succeed.
    pub async fn ok(
        &mut self,
        method: Method,
        pattern: &str,
        path: &str,
        by: &TestUser,
        body: Option<Value>,
    ) -> Value {
        let (status, answer) = self
            .send(method.clone(), pattern, path, Some(&by.token), body)
            .await;
        assert!(
            status.is_success(),
            "{method} {path} by {}: {status} {answer}",
            by.username
        );
        answer
    }

    /// Must be refused with `expected`, changing nothing.
    pub async fn refused(
        &mut self,
        method: Method,
        pattern: &str,
        path: &str,
        by: Option<&TestUser>,
        body: Option<Value>,
        expected: StatusCode,
    ) {
        let (status, answer) = self
            .send(
                method.clone(),
                pattern,
                path,
                by.map(|u| u.token.as_str()),
                body,
            )
            .await;
        assert_eq!(status, expected, "{method} {path}: {answer}");
    }

    /// A case command: refused as `wrong` (a role that may not issue it, 403), then done by `by`.
    pub async fn command(
        &mut self,
        case: &str,
        step: &str,
        by: &TestUser,
        wrong: &TestUser,
        body: Value,
    ) -> Value {
        let pattern = format!("/cases/{{id}}{step}");
        let path = format!("/cases/{case}{step}");
        self.refused(
            Method::POST,
            &pattern,
            &path,
            Some(wrong),
            Some(body.clone()),
            StatusCode::FORBIDDEN,
        )
        .await;
        self.ok(Method::POST, &pattern, &path, by, Some(body)).await
    }
}

pub fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|i| {
            i["case_id"]
                .as_str()
                .or(i["id"].as_str())
                .unwrap()
                .to_owned()
        })
        .collect()
}
