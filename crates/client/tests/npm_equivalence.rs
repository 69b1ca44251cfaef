//! The Rust half of the npm equivalence test (crates/wasm/tests/node/equivalence.test.mjs).
//!
//! Every v2 operation with a JSON body or none, and every v1 method, is called through the
//! typed client with its documented example (path and query parameters: sensible values of
//! the documented type; the request body example; v1: the envelope example's `data` and
//! other envelope fields) against the fake Sonoran server. For each call this records the
//! arguments as the npm package takes them, the request the fake received and the decoded
//! reply, and writes them to `target/npm-equivalence/rust-requests.json` (or the path in
//! `SONORAN_EQUIVALENCE_FILE`). The Node test makes the same calls through the package and
//! compares. This test itself fails when a call does not send exactly one request routed
//! to its own operation, or when the documented reply does not decode.

mod support {
    pub mod samples;
    pub mod spec;
    #[rustfmt::skip]
    pub mod v1_calls;
    #[rustfmt::skip]
    pub mod v2_calls;
}

use serde_json::{Map, Value, json};
use sonoran_cad::{Client, RateLimitPolicy, RetryPolicy};
use sonoran_fake::FakeServer;
use std::path::PathBuf;
use support::samples::sample;

/// Where the Node test reads the record from.
fn out_path() -> PathBuf {
    match std::env::var_os("SONORAN_EQUIVALENCE_FILE") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../target/npm-equivalence/rust-requests.json"
        )),
    }
}

/// One call to make: the npm method name and its arguments, and how Rust makes it.
struct Call {
    js_name: String,
    operation_id: String,
    v1_type: Option<String>,
    /// The npm call's argument list.
    js_args: Vec<Value>,
    /// v2: the argument object; v1: the envelope example.
    rust_input: Value,
    documented_reply: Value,
}

/// The documented 200 (or first 2xx) reply: `{contentType, example}`, or null.
fn documented_reply(op: &Value) -> Value {
    let Some(responses) = op.get("responses").and_then(Value::as_object) else {
        return Value::Null;
    };
    let Some(code) = responses.keys().filter(|c| c.starts_with('2')).min() else {
        return Value::Null;
    };
    let content = responses[code].get("content").and_then(Value::as_object);
    for ct in ["application/json", "text/plain"] {
        if let Some(example) = content
            .and_then(|c| c.get(ct))
            .and_then(|m| m.get("example"))
        {
            return json!({ "status": code, "contentType": ct, "example": example });
        }
    }
    json!({ "status": code, "contentType": content.and_then(|c| c.keys().next()), "example": null })
}

fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn v2_calls(doc: &Value) -> Vec<Call> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/v2/") {
            continue;
        }
        for (_method, op) in item.as_object().unwrap() {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            if !support::v2_calls::V2_OPERATION_IDS.contains(&id) {
                continue;
            }
            let mut args = Map::new();
            for (name, p) in support::samples::call_parameters(doc, item, op) {
                // Given explicitly (2, not the default 1) so the argument is seen to arrive.
                let value = if name == "serverId" {
                    json!(2)
                } else {
                    sample(doc, name, p)
                };
                args.insert(name.to_string(), value);
            }
            if let Some(content) = op.pointer("/requestBody/content/application~1json") {
                let example = content
                    .get("example")
                    .unwrap_or_else(|| panic!("{id}: the JSON request body has no example"));
                args.insert("body".into(), example.clone());
            }
            let args = Value::Object(args);
            out.push(Call {
                js_name: id.to_string(),
                operation_id: id.to_string(),
                v1_type: None,
                js_args: vec![args.clone()],
                rust_input: args,
                documented_reply: documented_reply(op),
            });
        }
    }
    out
}

fn v1_calls(doc: &Value) -> Vec<Call> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path.starts_with("/v2/") {
            continue;
        }
        let Some(op) = item.get("post") else { continue };
        let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") else {
            continue; // /upload: multipart
        };
        let id = op["operationId"].as_str().unwrap();
        let example = op
            .pointer("/requestBody/content/application~1json/example")
            .unwrap_or_else(|| panic!("{id}: no envelope example"));
        let types: Vec<String> = match op.get("x-v1-types") {
            Some(list) => list
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_string())
                .collect(),
            None => vec![op["x-v1-type"].as_str().unwrap().to_string()],
        };
        // The npm method takes `data` unless the envelope has none or a documented-empty one.
        let takes_data = schema
            .pointer("/properties/data")
            .is_some_and(|d| d.get("maxItems") != Some(&json!(0)));
        for t in &types {
            let method = if types.len() > 1 {
                format!("{}_v1", t.to_ascii_lowercase())
            } else {
                snake(id)
            };
            let mut envelope = example.clone();
            envelope["type"] = json!(t);
            let options: Map<String, Value> = envelope
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| !["id", "key", "type", "data"].contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let mut js_args = Vec::new();
            if takes_data {
                js_args.push(envelope.get("data").cloned().unwrap_or(Value::Null));
            }
            if !options.is_empty() {
                js_args.push(Value::Object(options));
            }
            out.push(Call {
                js_name: camel(&method),
                operation_id: id.to_string(),
                v1_type: Some(t.clone()),
                js_args,
                rust_input: envelope,
                documented_reply: documented_reply(op),
            });
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_through_the_typed_client_recorded_for_the_npm_comparison() {
    let doc = support::spec::merged();
    let fake = FakeServer::start().await;
    let client = Client::builder()
        .community_id(fake.community_id())
        .api_key(fake.api_key())
        .base_url(fake.url())
        .rate_limit(RateLimitPolicy::off())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();

    let mut calls = v2_calls(&doc);
    let v2_count = calls.len();
    assert_eq!(
        v2_count,
        support::v2_calls::V2_OPERATION_IDS.len(),
        "every v2 operation of call_v2 has a call"
    );
    calls.extend(v1_calls(&doc));
    let v1_count = calls.len() - v2_count;

    let mut failures = Vec::new();
    let mut records = Vec::new();
    for call in &calls {
        fake.clear_requests();
        let name = &call.js_name;
        let result = match &call.v1_type {
            None => support::v2_calls::call_v2(&client, &call.operation_id, &call.rust_input).await,
            Some(t) => {
                support::v1_calls::call_v1(&client, &call.operation_id, t, &call.rust_input).await
            }
        }
        .unwrap_or_else(|| panic!("{name}: no generated Rust method for {}", call.operation_id));
        let reply = match result {
            Ok(value) => json!({ "ok": true, "value": value }),
            Err(e) => {
                failures.push(format!("{name}: the documented reply did not decode: {e}"));
                json!({ "ok": false, "error": e.to_string() })
            }
        };
        let seen = fake.requests();
        if seen.len() != 1 {
            failures.push(format!(
                "{name}: {} requests recorded, expected 1",
                seen.len()
            ));
            continue;
        }
        let r = &seen[0];
        if r.operation_id.as_deref() != Some(call.operation_id.as_str()) {
            failures.push(format!(
                "{name}: the request routed to {:?}, not {}",
                r.operation_id, call.operation_id
            ));
        }
        records.push(json!({
            "name": name,
            "operationId": call.operation_id,
            "v1": call.v1_type.is_some(),
            "v1Type": call.v1_type,
            "args": call.js_args,
            "request": {
                "method": r.method,
                "path": r.path,
                "query": r.query,
                "authorization": r.header("authorization"),
                "contentType": r.header("content-type"),
                "body": String::from_utf8_lossy(&r.body),
                "json": r.json(),
                "operationId": r.operation_id,
            },
            "reply": reply,
            "documentedReply": call.documented_reply,
        }));
    }

    let file = json!({
        "about": "written by crates/client/tests/npm_equivalence.rs; read by crates/wasm/tests/node/equivalence.test.mjs",
        "communityId": fake.community_id(),
        "apiKey": fake.api_key(),
        "serverIdDefault": client.server_id(),
        "v2Operations": v2_count,
        "v1Methods": v1_count,
        "operations": records,
    });
    let path = out_path();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, serde_json::to_string_pretty(&file).unwrap()).unwrap();
    println!(
        "{} calls ({v2_count} v2, {v1_count} v1) recorded in {}",
        calls.len(),
        path.display()
    );
    fake.shutdown().await;
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(v2_count, 86, "v2 operations with a JSON body or none");
    assert_eq!(v1_count, 63, "v1 methods");
}
