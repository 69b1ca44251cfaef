//! Helpers shared by the integration tests: a loopback-only client and request shortcuts.
#![allow(dead_code)]

use reqwest::{Client, Method, Response};
use serde_json::{Value, json};

pub const COMMUNITY: &str = "YOUR_COMMUNITY_ID";
pub const KEY: &str = "YOUR_API_KEY";

/// A client that never uses a proxy: every test talks to 127.0.0.1 only.
pub fn client() -> Client {
    Client::builder().no_proxy().build().unwrap()
}

/// A v2 call with the right bearer key.
pub async fn v2(base: &str, method: Method, path: &str, body: Option<Value>) -> Response {
    let mut req = client()
        .request(method, format!("{base}{path}"))
        .bearer_auth(KEY);
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}

/// A v1 envelope call with the right id and key.
pub async fn v1(base: &str, path: &str, kind: &str, data: Value) -> Response {
    let body = json!({ "id": COMMUNITY, "key": KEY, "type": kind, "data": data });
    client()
        .post(format!("{base}{path}"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

pub fn content_type(r: &Response) -> String {
    r.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The `detail` of a problem+json reply (asserting it is one).
pub async fn problem(r: Response, status: u16) -> Value {
    assert_eq!(r.status().as_u16(), status);
    assert_eq!(content_type(&r), "application/problem+json");
    r.json().await.unwrap()
}
