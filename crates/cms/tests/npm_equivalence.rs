//! Every CMS operation through the typed client, held against its docs page (issue 20, item 7),
//! and the Rust half of the npm equivalence test (crates/cms-wasm/tests/node/equivalence.test.mjs).
//!
//! - **The page's own example request.** Each v2 page's `cURL` tab (imported into
//!   `openapi/cms/pages/v2/<area>/<page>.yaml` as `request`) gives the method, the URL (path and
//!   query) and the `--data` body; each v1 page's envelope example is the request body. Every
//!   operation is called through the generated method with the arguments the example carries
//!   (path and query parameters read back from its URL, its body) against a loopback recorder
//!   (`support/server.rs`), and what went out must be the example: method, path, query pairs,
//!   body JSON, the key as `Authorization: Bearer` on v2 and in the envelope on v1, never in the
//!   URL. [`CONTRADICTIONS`] lists, with reasons, the pages whose example contradicts the page's
//!   own schema.
//! - **The documented reply.** The recorder answers with the operation's documented reply
//!   example; it must decode into the typed reply and encode back to the example's `data` (v2)
//!   or the example (v1).
//! - **The record.** Per call: the npm method and its arguments, the request as it went out and
//!   the documented reply, written to `target/npm-equivalence/cms-rust-requests.json` (or
//!   `SONORAN_CMS_EQUIVALENCE_FILE`) for the Node test to replay through the npm package.
//! - **Malformed replies** ([`every_operation_gives_typed_errors_for_malformed_replies`]): a
//!   table of malformations, each over every operation it applies to.
//!
//! The examples live in the repository (`openapi/`); outside it (the packaged crate) these
//! tests say so and check nothing.

mod support {
    #[rustfmt::skip]
    pub mod v1_calls;
    #[rustfmt::skip]
    pub mod v2_calls;
}

use serde_json::{Map, Value, json};
use sonoran_cms::{Client, Error, RateLimitPolicy, RetryPolicy, V1ErrorCode};
use sonoran_fake::scripted::{Reply, Seen, Server};
use std::collections::BTreeMap;
use std::path::PathBuf;

const API_KEY: &str = "cms-proof-key-0123456789";
const COMMUNITY_ID: &str = "cms-proof-community";

/// Pages whose example request contradicts the page's own schema, and what the test does.
/// Reviewed: each entry says where the page contradicts itself.
const CONTRADICTIONS: &[(&str, &str)] = &[(
    "getCurrentClockIn",
    "api-endpoints-v2/accounts/get-current-clock-in.md: its OpenAPI block (the schema, kept as a \
     hand overlay) takes the account by `accountId` in the path and optional `apiId`, `username`, \
     `discordId` or `uniqueId` in the query; its Query Parameters table and every example tab \
     send `accId`, which the block does not name. The client sends what the schema names, so \
     the example's `?accId=` is not sent",
)];

fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Where the Node test reads the record from.
fn out_path() -> PathBuf {
    match std::env::var_os("SONORAN_CMS_EQUIVALENCE_FILE") {
        Some(p) => PathBuf::from(p),
        None => repo().join("target/npm-equivalence/cms-rust-requests.json"),
    }
}

/// The merged document, or `None` outside the repository.
fn merged() -> Option<Value> {
    let text = std::fs::read_to_string(repo().join("openapi/sonoran-cms.openapi.json")).ok()?;
    Some(serde_json::from_str(&text).expect("openapi/sonoran-cms.openapi.json is JSON"))
}

/// The page's example request (`request` of its imported facts), by its `x-docs-page`.
fn page_request(op_id: &str, docs_page: &str) -> Value {
    let rel = docs_page
        .strip_prefix("api-endpoints-v2/")
        .and_then(|p| p.strip_suffix(".md"))
        .unwrap_or_else(|| panic!("{op_id}: x-docs-page {docs_page} is not a v2 page"));
    let path = repo().join(format!("openapi/cms/pages/v2/{rel}.yaml"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{op_id}: reading {}: {e}", path.display()));
    let facts: Value = serde_yaml_ng::from_str(&text)
        .unwrap_or_else(|e| panic!("{op_id}: {}: {e}", path.display()));
    facts.get("request").cloned().unwrap_or_else(|| {
        panic!(
            "{op_id}: {} has no `request` (the page's cURL tab): re-run `cargo xtask import-docs --api cms`",
            path.display()
        )
    })
}

/// What the page's example says goes out.
#[derive(Debug, Clone)]
struct Expected {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    body: Option<Value>,
    /// v2: `Authorization: Bearer <key>`; v1: the key in the envelope, no header.
    bearer: bool,
}

/// One call to make: the npm method name and its arguments, and how Rust makes it.
#[derive(Debug, Clone)]
struct Call {
    name: String,
    operation_id: String,
    v1_type: Option<String>,
    js_args: Vec<Value>,
    /// v2: the argument object; v1: the envelope.
    rust_input: Value,
    expected: Expected,
    /// `{status, contentType, example}` (example null when none is documented).
    documented: Value,
    /// v2 replies wrapped in `{success, data, meta}`.
    enveloped: bool,
    /// The schema of what the call resolves to (the payload), resolved from `$ref`s.
    reply_schema: Value,
    /// Why the page's example is not what the call sends, when [`CONTRADICTIONS`] says so.
    contradiction: Option<&'static str>,
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => doc
            .pointer(r.trim_start_matches('#'))
            .map_or(schema, |s| resolve(doc, s)),
        None => schema,
    }
}

/// The documented success reply: `{status, contentType, example}`, the payload's schema and
/// whether it is enveloped.
fn documented_reply(doc: &Value, op: &Value) -> (Value, Value, bool) {
    let responses = op["responses"].as_object().expect("responses");
    let code = responses
        .keys()
        .filter(|c| c.starts_with('2'))
        .min()
        .expect("a success reply")
        .clone();
    let reply = &responses[&code];
    let enveloped = reply.get("x-envelope").is_some();
    let content = reply.get("content").and_then(Value::as_object);
    let Some(content) = content else {
        return (
            json!({ "status": code.parse::<u16>().unwrap(), "contentType": null, "example": null }),
            Value::Null,
            false,
        );
    };
    let (ct, media) = ["application/json", "text/plain"]
        .iter()
        .find_map(|ct| content.get(*ct).map(|m| (*ct, m)))
        .unwrap_or_else(|| content.iter().next().map(|(k, v)| (k.as_str(), v)).unwrap());
    let mut schema = resolve(doc, &media["schema"]).clone();
    if enveloped {
        schema = resolve(doc, &schema["properties"]["data"]).clone();
    }
    // No example (a v1 page whose copied example was dropped): the least reply of the
    // schema's type, said so in `synthesized`.
    let (example, synthesized) = match media.get("example") {
        Some(e) => (e.clone(), false),
        None if ct == "application/json" => {
            let least = match schema.get("type").and_then(Value::as_str) {
                Some("array") => json!([]),
                Some("object") => json!({}),
                _ => Value::Null,
            };
            let least = match (enveloped, least) {
                (_, Value::Null) => Value::Null,
                (true, data) => json!({ "success": true, "data": data }),
                (false, data) => data,
            };
            let made = !least.is_null();
            (least, made)
        }
        None => (Value::Null, false),
    };
    (
        json!({
            "status": code.parse::<u16>().unwrap(),
            "contentType": ct,
            "example": example,
            "synthesized": synthesized,
        }),
        schema,
        enveloped,
    )
}

/// `a%20b+c` -> `a b c`.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query_pairs(query: &str) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    pairs.sort();
    pairs
}

/// A parameter's text as the JSON value of its schema's type (`1` -> 1 for an integer).
fn typed(schema: &Value, text: &str) -> Value {
    let parsed = match schema.get("type").and_then(Value::as_str) {
        Some("integer") => text.parse::<i64>().ok().map(Value::from),
        Some("number") => text.parse::<f64>().ok().map(Value::from),
        Some("boolean") => text.parse::<bool>().ok().map(Value::from),
        _ => None,
    };
    parsed.unwrap_or_else(|| Value::from(text))
}

fn v2_calls(doc: &Value) -> Vec<Call> {
    let mut out = Vec::new();
    for (template, item) in doc["paths"].as_object().unwrap() {
        if !template.starts_with("/v2/") {
            continue;
        }
        for (_method, op) in item.as_object().unwrap() {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let contradiction = CONTRADICTIONS
                .iter()
                .find(|(op, _)| *op == id)
                .map(|(_, why)| *why);
            let page = page_request(id, op["x-docs-page"].as_str().expect("x-docs-page"));
            let url = page["url"].as_str().expect("the example's URL");
            let at = url
                .find("/v2/")
                .unwrap_or_else(|| panic!("{id}: example URL {url} has no /v2/ path"));
            let (path, query) = url[at..].split_once('?').unwrap_or((&url[at..], ""));
            let params: Vec<&Value> = item
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .chain(
                    op.get("parameters")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten(),
                )
                .map(|p| resolve(doc, p))
                .collect();
            let param = |name: &str, place: &str| {
                params
                    .iter()
                    .find(|p| p["name"] == name && p["in"] == place)
                    .copied()
            };
            let mut args = Map::new();
            // Path parameters: the template's `{name}` segments, read from the example's path.
            let segments: Vec<&str> = path.split('/').collect();
            let names: Vec<&str> = template.split('/').collect();
            assert_eq!(
                segments.len(),
                names.len(),
                "{id}: the example's path {path} is not of the form {template}"
            );
            for (name, seg) in names.iter().zip(&segments) {
                if let Some(name) = name.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
                    let p = param(name, "path")
                        .unwrap_or_else(|| panic!("{id}: no path parameter {name}"));
                    args.insert(name.into(), typed(&p["schema"], &decode(seg)));
                } else {
                    assert_eq!(
                        name, seg,
                        "{id}: the example's path {path} is not {template}"
                    );
                }
            }
            let pairs = query_pairs(query);
            for (k, v) in &pairs {
                // A name the operation does not take is not sent: the comparison below shows
                // it (a contradiction of the page, unless listed).
                if let Some(p) = param(k, "query") {
                    args.insert(k.clone(), typed(&p["schema"], v));
                }
            }
            let body = page.get("body").cloned();
            if let Some(b) = &body {
                args.insert("body".into(), b.clone());
            }
            let bearer = page["headers"].as_array().into_iter().flatten().any(|h| {
                h.as_str()
                    .is_some_and(|h| h.to_ascii_lowercase().starts_with("authorization: bearer "))
            });
            let (documented, reply_schema, enveloped) = documented_reply(doc, op);
            let args = Value::Object(args);
            out.push(Call {
                name: id.to_string(),
                operation_id: id.to_string(),
                v1_type: None,
                js_args: vec![args.clone()],
                rust_input: args,
                expected: Expected {
                    method: page["method"].as_str().unwrap().to_string(),
                    path: path.to_string(),
                    query: pairs,
                    body,
                    bearer,
                },
                documented,
                enveloped,
                reply_schema,
                contradiction,
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
        let id = op["operationId"].as_str().unwrap();
        let media = op
            .pointer("/requestBody/content/application~1json")
            .unwrap_or_else(|| panic!("{id}: no JSON envelope"));
        let example = media
            .get("example")
            .unwrap_or_else(|| panic!("{id}: the page shows no envelope"));
        let v1_type = op["x-v1-type"].as_str().expect("x-v1-type").to_string();
        assert_eq!(
            example["type"],
            v1_type.as_str(),
            "{id}: the example's type"
        );
        // The npm method takes `data` unless the envelope has none or a documented-empty one.
        let takes_data = media["schema"]
            .pointer("/properties/data")
            .is_some_and(|d| d.get("maxItems") != Some(&json!(0)));
        let mut js_args = Vec::new();
        if takes_data {
            js_args.push(example.get("data").cloned().unwrap_or(Value::Null));
        }
        let mut body = example.clone();
        body["id"] = json!(COMMUNITY_ID);
        body["key"] = json!(API_KEY);
        let (documented, reply_schema, enveloped) = documented_reply(doc, op);
        out.push(Call {
            name: id.to_string(),
            operation_id: id.to_string(),
            v1_type: Some(v1_type),
            js_args,
            rust_input: example.clone(),
            expected: Expected {
                method: "POST".into(),
                path: path.clone(),
                query: vec![],
                body: Some(body),
                bearer: false,
            },
            documented,
            enveloped,
            reply_schema,
            contradiction: None,
        });
    }
    out
}

fn client(server: &Server) -> Client {
    Client::builder()
        .api_key(API_KEY)
        .community_id(COMMUNITY_ID)
        .base_url(&server.url)
        .rate_limit(RateLimitPolicy::off())
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

/// Makes `call` once against `server` answering `reply`; the outcome (`Err` naming a panic of
/// the generated call table) and what the server saw.
async fn make(
    client: &Client,
    server: &Server,
    call: &Call,
    reply: Reply,
) -> (Result<Result<Value, Error>, String>, Vec<Seen>) {
    server.take();
    server.script(vec![reply]);
    let client = client.clone();
    let (id, v1_type, input) = (
        call.operation_id.clone(),
        call.v1_type.clone(),
        call.rust_input.clone(),
    );
    let outcome = tokio::spawn(async move {
        match v1_type {
            None => support::v2_calls::call_v2(&client, &id, &input).await,
            Some(t) => support::v1_calls::call_v1(&client, &id, &t, &input).await,
        }
    })
    .await;
    let outcome = match outcome {
        Ok(Some(r)) => Ok(r),
        Ok(None) => Err("no generated Rust method".to_string()),
        Err(e) => Err(format!("the call panicked: {e}")),
    };
    (outcome, server.take())
}

/// The documented reply as the recorder sends it.
fn documented_http(call: &Call) -> Reply {
    let d = &call.documented;
    let status = d["status"].as_u64().unwrap() as u16;
    match (d["contentType"].as_str(), &d["example"]) {
        (Some("text/plain"), Value::String(s)) => Reply::new(status, "text/plain", s),
        (Some(ct), example) if !example.is_null() => {
            Reply::new(status, ct, &serde_json::to_string(example).unwrap())
        }
        (ct, _) => Reply::new(status, ct.unwrap_or("application/json"), ""),
    }
}

/// The documented reply's payload: the example's `data` on an enveloped reply.
fn documented_payload(call: &Call) -> Value {
    let example = &call.documented["example"];
    if call.enveloped {
        example.get("data").cloned().unwrap_or(Value::Null)
    } else {
        example.clone()
    }
}

/// Drops `null` and `{}` members (an absent `Option`, an explicit null and an empty free-form
/// map mean the same; the typed client leaves the empty map out when it encodes) and makes
/// numbers comparable (`180` and `180.0`).
fn normalize(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), normalize(v)))
                .filter(|(_, v)| !v.is_null() && v.as_object().is_none_or(|o| !o.is_empty()))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        Value::Number(n) => n.as_f64().map_or(v.clone(), |f| json!(f)),
        other => other.clone(),
    }
}

/// What differs between the request `seen` and the example's `expected` (empty: the same).
fn request_problems(call: &Call, seen: &Seen) -> Vec<String> {
    let e = &call.expected;
    let mut problems = Vec::new();
    if seen.method != e.method {
        problems.push(format!("method {} (page: {})", seen.method, e.method));
    }
    let (path, query) = seen.target.split_once('?').unwrap_or((&seen.target, ""));
    if decode(path) != e.path {
        problems.push(format!("path {path} (page: {})", e.path));
    }
    let pairs = query_pairs(query);
    if pairs != e.query {
        problems.push(format!("query {pairs:?} (page: {:?})", e.query));
    }
    if seen.target.contains(API_KEY) {
        problems.push("the API key is in the URL".into());
    }
    let auth = seen.headers.get("authorization");
    let bearer = format!("Bearer {API_KEY}");
    if e.bearer != (auth == Some(&bearer)) {
        problems.push(format!(
            "authorization {auth:?} (page: {})",
            if e.bearer { "Bearer" } else { "none" }
        ));
    }
    match &e.body {
        None if !seen.body.is_empty() => {
            problems.push(format!("a body {} (page: none)", seen.body))
        }
        None => {}
        Some(want) => match serde_json::from_str::<Value>(&seen.body) {
            Ok(got) if normalize(&got) == normalize(want) => {
                if seen.headers.get("content-type").map(String::as_str) != Some("application/json")
                {
                    problems.push(format!(
                        "content-type {:?} for a JSON body",
                        seen.headers.get("content-type")
                    ));
                }
            }
            Ok(got) => problems.push(format!("body {got} (page: {want})")),
            Err(_) => problems.push(format!("body {:?} is not JSON (page: {want})", seen.body)),
        },
    }
    problems
}

/// A body equal to the page's as a JSON value but written otherwise (`5.0` for the page's `5`:
/// a `number` the docs' tables give the field), for the notes.
fn written_differently(call: &Call, seen: &Seen) -> Option<String> {
    let want = call.expected.body.as_ref()?;
    let got: Value = serde_json::from_str(&seen.body).ok()?;
    (got != *want && normalize(&got) == normalize(want)).then(|| format!("{got} (page: {want})"))
}

fn all_calls(doc: &Value) -> Vec<Call> {
    let mut calls = v2_calls(doc);
    calls.extend(v1_calls(doc));
    calls
}

#[tokio::test]
async fn every_operation_sends_its_page_example_and_decodes_its_documented_reply() {
    let Some(doc) = merged() else {
        println!("outside the repository: openapi/ is not here, nothing to check");
        return;
    };
    let calls = all_calls(&doc);
    let v2_count = calls.iter().filter(|c| c.v1_type.is_none()).count();
    let v1_count = calls.len() - v2_count;
    let server = Server::start().await;
    let client = client(&server);
    let mut failures = Vec::new();
    let mut allowed = Vec::new();
    let mut notes = Vec::new();
    let mut records = Vec::new();
    for call in &calls {
        let name = &call.name;
        let (outcome, seen) = make(&client, &server, call, documented_http(call)).await;
        let reply = match outcome {
            Err(why) => {
                failures.push(format!("{name}: {why}"));
                continue;
            }
            Ok(Err(e)) => {
                failures.push(format!("{name}: the documented reply did not decode: {e}"));
                json!({ "ok": false, "error": e.to_string() })
            }
            Ok(Ok(value)) => {
                let want = documented_payload(call);
                if !call.documented["example"].is_null() && normalize(&value) != normalize(&want) {
                    failures.push(format!(
                        "{name}: the documented reply decoded to {value}, not the documented {want}"
                    ));
                }
                json!({ "ok": true, "value": value })
            }
        };
        let [seen] = seen.as_slice() else {
            failures.push(format!("{name}: {} requests, expected 1", seen.len()));
            continue;
        };
        let problems = request_problems(call, seen);
        if let Some(note) = written_differently(call, seen) {
            notes.push(format!("{name}: {note}"));
        }
        match (problems.is_empty(), call.contradiction) {
            (true, Some(why)) => failures.push(format!(
                "{name}: listed in CONTRADICTIONS ({why}) but sends the page's example: remove it"
            )),
            (false, Some(why)) => allowed.push(format!("{name}: {} ({why})", problems.join("; "))),
            (false, None) => failures.push(format!(
                "{name}: not the page's example request: {}",
                problems.join("; ")
            )),
            (true, None) => {}
        }
        let (path, query) = seen.target.split_once('?').unwrap_or((&seen.target, ""));
        records.push(json!({
            "name": name,
            "operationId": call.operation_id,
            "v1": call.v1_type.is_some(),
            "v1Type": call.v1_type,
            "args": call.js_args,
            "request": {
                "method": seen.method,
                "path": path,
                "query": query,
                "authorization": seen.headers.get("authorization"),
                "contentType": seen.headers.get("content-type"),
                "body": seen.body,
                "json": serde_json::from_str::<Value>(&seen.body).ok(),
            },
            "reply": reply,
            "documentedReply": call.documented,
            "enveloped": call.enveloped,
        }));
    }
    for note in &allowed {
        println!("allowed: {note}");
    }
    for note in &notes {
        println!("same JSON value, written otherwise: {note}");
    }
    let file = json!({
        "about": "written by crates/cms/tests/npm_equivalence.rs; read by crates/cms-wasm/tests/node/equivalence.test.mjs",
        "communityId": COMMUNITY_ID,
        "apiKey": API_KEY,
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
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        v2_count,
        support::v2_calls::V2_OPERATION_IDS.len(),
        "every v2 operation"
    );
    assert_eq!(v2_count, 57, "v2 operations");
    assert_eq!(v1_count, 33, "v1 operations");
    assert_eq!(allowed.len(), CONTRADICTIONS.len());
}

/// The first scalar of `value` whose schema gives it a JSON type: its JSON pointer and a value
/// of another type. `None` when every field is free-form.
fn typed_leaf(doc: &Value, schema: &Value, value: &Value, at: &str) -> Option<(String, Value)> {
    let schema = resolve(doc, schema);
    if schema.get("oneOf").is_some() || schema.get("anyOf").is_some() {
        return None;
    }
    let ty = schema.get("type").and_then(Value::as_str);
    match (ty, value) {
        (Some("string"), Value::String(_)) => Some((at.into(), json!(12345))),
        (Some("integer" | "number"), Value::Number(_)) => Some((at.into(), json!("12"))),
        (Some("boolean"), Value::Bool(_)) => Some((at.into(), json!("true"))),
        (Some("array"), Value::Array(items)) => {
            let item = schema.get("items")?;
            items
                .iter()
                .enumerate()
                .find_map(|(i, v)| typed_leaf(doc, item, v, &format!("{at}/{i}")))
        }
        (_, Value::Object(members)) => {
            let props = schema.get("properties").and_then(Value::as_object);
            members.iter().find_map(|(k, v)| {
                let s = props
                    .and_then(|p| p.get(k))
                    .or_else(|| schema.get("additionalProperties").filter(|a| a.is_object()))?;
                typed_leaf(
                    doc,
                    s,
                    v,
                    &format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                )
            })
        }
        _ => None,
    }
}

/// The documented payload with one typed field of the wrong JSON type, and where.
fn wrong_type(doc: &Value, call: &Call) -> Option<(String, Value)> {
    let payload = documented_payload(call);
    let (at, bad) = typed_leaf(doc, &call.reply_schema, &payload, "")?;
    let mut out = payload;
    if at.is_empty() {
        out = bad;
    } else {
        *out.pointer_mut(&at).unwrap() = bad;
    }
    Some((at, out))
}

/// One malformed reply, made for one operation (`None`: it does not apply).
struct Malformation {
    name: &'static str,
    make: fn(&Value, &Call) -> Option<Reply>,
    /// Whether the error is the expected typed one.
    expect: fn(&Call, &Error) -> bool,
}

fn json_reply(status: u16, content_type: &str, body: &Value) -> Reply {
    Reply::new(status, content_type, &serde_json::to_string(body).unwrap())
}

fn json_payload(call: &Call) -> bool {
    call.documented["contentType"] == "application/json" && !call.documented["example"].is_null()
}

fn status(call: &Call) -> u16 {
    call.documented["status"].as_u64().unwrap() as u16
}

fn malformed(call: &Call, e: &Error) -> bool {
    matches!(e, Error::MalformedReply { status: s, .. } if *s == status(call))
}

const MALFORMATIONS: &[Malformation] = &[
    Malformation {
        name: "a field of the wrong JSON type",
        make: |doc, call| {
            if !json_payload(call) {
                return None;
            }
            let (_, payload) = wrong_type(doc, call)?;
            let body = if call.enveloped {
                let mut e = call.documented["example"].clone();
                e["data"] = payload;
                e
            } else {
                payload
            };
            Some(json_reply(status(call), "application/json", &body))
        },
        expect: malformed,
    },
    Malformation {
        name: "not JSON",
        make: |_, call| {
            json_payload(call)
                .then(|| Reply::new(status(call), "application/json", "<html>Bad gateway</html>"))
        },
        expect: malformed,
    },
    Malformation {
        name: "a v2 reply without the envelope",
        make: |_, call| {
            if !call.enveloped || !json_payload(call) {
                return None;
            }
            // The bare payload when it cannot pass for an envelope, else inside a list.
            let payload = documented_payload(call);
            let bare = payload
                .as_object()
                .is_none_or(|o| !o.contains_key("data") && !o.contains_key("success"));
            let body = if bare { payload } else { json!([payload]) };
            Some(json_reply(status(call), "application/json", &body))
        },
        expect: malformed,
    },
    Malformation {
        name: "`success: false`",
        make: |_, call| {
            call.enveloped.then(|| {
                let meta = call.documented["example"]["meta"].clone();
                json_reply(
                    status(call),
                    "application/json",
                    &json!({ "success": false, "message": "Account not found", "meta": meta }),
                )
            })
        },
        expect: |call, e| {
            matches!(e, Error::Api(a) if a.status == status(call)
                && a.detail.as_deref() == Some("Account not found")
                && a.title.as_deref().is_some_and(|t| t.contains("success: false")))
        },
    },
    Malformation {
        name: "a problem+json error",
        make: |_, call| {
            call.v1_type.is_none().then(|| {
                json_reply(
                    404,
                    "application/problem+json",
                    &json!({ "type": "about:blank", "title": "Not Found", "status": 404, "detail": "No such thing." }),
                )
            })
        },
        expect: |_, e| {
            matches!(e, Error::Api(a) if a.status == 404
                && a.title.as_deref() == Some("Not Found")
                && a.detail.as_deref() == Some("No such thing."))
        },
    },
    Malformation {
        name: "a v1 plain-text error",
        make: |_, call| {
            call.v1_type
                .is_some()
                .then(|| Reply::new(400, "text/plain", "INVALID API KEY"))
        },
        expect: |_, e| {
            matches!(e, Error::Api(a) if a.status == 400)
                && e.v1_code() == Some(V1ErrorCode::InvalidApiKey)
        },
    },
];

#[tokio::test]
async fn every_operation_gives_typed_errors_for_malformed_replies() {
    let Some(doc) = merged() else {
        println!("outside the repository: openapi/ is not here, nothing to check");
        return;
    };
    let calls = all_calls(&doc);
    let server = Server::start().await;
    let client = client(&server);
    let mut failures = Vec::new();
    let mut applied: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut skipped: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for m in MALFORMATIONS {
        for call in &calls {
            let Some(reply) = (m.make)(&doc, call) else {
                skipped.entry(m.name).or_default().push(&call.name);
                continue;
            };
            applied.entry(m.name).or_default().push(&call.name);
            let body = reply.body.clone();
            let (outcome, _) = make(&client, &server, call, reply).await;
            match outcome {
                Err(why) => failures.push(format!("{} / {}: {why}", call.name, m.name)),
                Ok(Ok(v)) => failures.push(format!(
                    "{} / {}: resolved to {v} (reply {body})",
                    call.name, m.name
                )),
                Ok(Err(e)) if (m.expect)(call, &e) => {
                    let shown = format!("{e} {e:?}");
                    if shown.contains(API_KEY) {
                        failures.push(format!(
                            "{} / {}: the key is in the error",
                            call.name, m.name
                        ));
                    }
                }
                Ok(Err(e)) => failures.push(format!(
                    "{} / {}: not the expected error: {e:?}",
                    call.name, m.name
                )),
            }
        }
    }
    for (m, ops) in &applied {
        println!("{m}: {} operations", ops.len());
    }
    for (m, ops) in &skipped {
        println!("{m}: does not apply to {}", ops.join(", "));
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Each malformation ran over the operations it applies to; the v2 ones over nearly all.
    assert_eq!(
        applied["not JSON"].len() + skipped.get("not JSON").map_or(0, Vec::len),
        90
    );
    assert!(applied["`success: false`"].len() >= 55, "{applied:?}");
    assert_eq!(applied["a problem+json error"].len(), 57);
    assert_eq!(applied["a v1 plain-text error"].len(), 33);
    assert!(
        applied["a field of the wrong JSON type"].len() >= 60,
        "{skipped:?}"
    );
}
