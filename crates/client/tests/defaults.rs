//! Right server, right defaults: for every v1 and v2 request field with a documented
//! default, what a request built with the generated constructor or builder puts on the wire
//! (as the fake server recorded it), compared with the merged spec's `default:`.
//!
//! - `serverId` (a v1 `data` field or a v2 path parameter) must be the client's configured
//!   server: the client here is built with `.server_id(2)`, so neither the documented 1 nor
//!   a constructor's 0 passes.
//! - Any other default must be absent (the server applies it) or equal to the spec's value.
//!
//! The expected values come from the spec alone; what is checked is the JSON the client sent.

mod support {
    #[rustfmt::skip]
    pub mod registry;
    pub mod samples;
    pub mod spec;
    #[rustfmt::skip]
    pub mod v1_calls;
    #[rustfmt::skip]
    pub mod v2_calls;
}

use serde_json::{Map, Value, json};
use sonoran_cad::{Client, Error, RateLimitPolicy, RetryPolicy, enums, types};
use sonoran_fake::{FakeHandle, FakeServer, RecordedRequest};
use std::collections::BTreeSet;
use support::samples::{call_parameters, resolve, sample};

/// The server the test client is configured with: neither the documented default (1) nor 0.
const SERVER: i64 = 2;

fn client(fake: &FakeHandle) -> Client {
    Client::builder()
        .community_id(fake.community_id())
        .api_key(fake.api_key())
        .base_url(fake.url())
        .server_id(SERVER)
        .rate_limit(RateLimitPolicy::off())
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

/// The one request the fake recorded since it was last cleared.
fn only_request(fake: &FakeHandle, what: &str) -> RecordedRequest {
    let mut seen = fake.requests();
    assert_eq!(seen.len(), 1, "{what}: exactly one request recorded");
    seen.remove(0)
}

/// `(wire name, documented default)` of each property of `schema` that has one; `serverId`
/// is listed whatever its default (its wire value must be the client's server).
/// An object with only `schema`'s required properties, each sampled (objects recursively).
fn required_sample(doc: &Value, schema: &Value) -> Value {
    let schema = resolve(doc, schema);
    let mut out = Map::new();
    for name in schema["required"].as_array().into_iter().flatten() {
        let name = name.as_str().unwrap_or_default();
        let prop = resolve(doc, &schema["properties"][name]);
        let value = if prop.get("properties").is_some() {
            required_sample(doc, prop)
        } else {
            sample(doc, name, &json!({ "schema": prop }))
        };
        out.insert(name.to_string(), value);
    }
    Value::Object(out)
}

fn defaulted_properties(schema: &Value) -> Vec<(String, Option<Value>)> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(name, p)| p.get("default").is_some() || *name == "serverId")
        .map(|(name, p)| (name.clone(), p.get("default").cloned()))
        .collect()
}

/// Checks one field as sent. `sent` is `None` when the field is absent.
fn check_field(
    at: &str,
    name: &str,
    default: Option<&Value>,
    sent: Option<&Value>,
) -> Option<String> {
    if name == "serverId" {
        return (sent != Some(&json!(SERVER)))
            .then(|| format!("{at}: serverId sent as {sent:?}, the client's server is {SERVER}"));
    }
    let default = default.expect("only serverId is listed without a default");
    match sent {
        None => None,
        Some(v) if same_number_or_value(v, default) => None,
        Some(v) => Some(format!(
            "{at}: {name} sent as {v}, documented default {default}"
        )),
    }
}

/// JSON equality where `100` and `100.0` are the same number.
fn same_number_or_value(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// A query or path parameter's text as the JSON its default is written in.
fn text_matches(text: &str, default: &Value) -> bool {
    match default {
        Value::String(s) => text == s,
        other => serde_json::from_str::<Value>(text).is_ok_and(|v| same_number_or_value(&v, other)),
    }
}

/// The v1 item schema name of an envelope's `data` (`$ref`, or an array of `$ref`), and
/// whether `data` is an array.
fn v1_item_schema(envelope: &Value) -> Option<(String, bool)> {
    let data = envelope.pointer("/properties/data")?;
    let (node, array) = match data.get("items") {
        Some(items) if data.get("type").and_then(Value::as_str) == Some("array") => (items, true),
        _ => (data, false),
    };
    let name = node.get("$ref")?.as_str()?.rsplit('/').next()?.to_string();
    Some((name, array))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_default_is_what_the_constructors_put_on_the_wire() {
    let doc = support::spec::merged();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let fake = FakeServer::start().await;
    let client = client(&fake);
    let mut failures = Vec::new();
    // (schema or operation, field) pairs checked on the wire.
    let mut checked: BTreeSet<(String, String)> = BTreeSet::new();
    let mut server_ids_checked = 0;

    // v1: each call's `data` item built with its constructor, sent with the v1 method.
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path.starts_with("/v2/") {
            continue;
        }
        let op = &item["post"];
        let id = op["operationId"].as_str().unwrap();
        let Some(content) = op.pointer("/requestBody/content/application~1json") else {
            continue;
        };
        let Some((name, array)) = v1_item_schema(&content["schema"]) else {
            continue;
        };
        let defaults = defaulted_properties(&schemas[&name]);
        if defaults.is_empty() {
            continue;
        }
        let example = content
            .get("example")
            .unwrap_or_else(|| panic!("{id}: no example"));
        let example_item = if array {
            &example["data"][0]
        } else {
            &example["data"]
        };
        // The constructor gets the example's required fields (and targets); everything else
        // is left as the constructor starts it.
        let built = support::registry::construct(&name, example_item)
            .unwrap_or_else(|| panic!("{id}: no generated constructor for {name}"))
            .unwrap_or_else(|e| panic!("{id}: {name} cannot be built: {e}"));
        let mut envelope = example.clone();
        envelope["data"] = if array { json!([built]) } else { built };
        let v1_type = op
            .get("x-v1-type")
            .or_else(|| op.pointer("/x-v1-types/0"))
            .and_then(Value::as_str)
            .unwrap();
        fake.clear_requests();
        let result = support::v1_calls::call_v1(&client, id, v1_type, &envelope)
            .await
            .unwrap_or_else(|| panic!("{id}: no generated v1 method"));
        if let Err(Error::Api(e)) = &result {
            failures.push(format!(
                "{id}: the fake refused what {name}'s constructor built: {}",
                e.body
            ));
        }
        let seen = only_request(&fake, id)
            .json()
            .expect("a v1 envelope is JSON");
        let sent = if array {
            &seen["data"][0]
        } else {
            &seen["data"]
        };
        for (field, default) in &defaults {
            failures.extend(check_field(
                &format!("{id} ({name})"),
                field,
                default.as_ref(),
                sent.get(field),
            ));
            if field == "serverId" {
                server_ids_checked += 1;
            }
            checked.insert((name.clone(), field.clone()));
        }
    }

    // v2: required parameters only (the builder's setters left alone), the body built with
    // its constructor from the documented example's required fields.
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/v2/") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            if !support::v2_calls::V2_OPERATION_IDS.contains(&id) {
                continue;
            }
            let params: Vec<(&str, &Value)> = call_parameters(&doc, item, op).collect();
            let param_defaults: Vec<(&str, &Value, Option<Value>)> = params
                .iter()
                .filter_map(|(name, p)| {
                    let d = resolve(&doc, &p["schema"]).get("default").cloned();
                    (d.is_some() || *name == "serverId").then_some((*name, *p, d))
                })
                .collect();
            let body = op
                .pointer("/requestBody/content/application~1json")
                .map(|c| {
                    let name = c["schema"]["$ref"]
                        .as_str()
                        .and_then(|r| r.rsplit('/').next())
                        .unwrap_or_else(|| panic!("{id}: the body is not a named schema"))
                        .to_string();
                    (name, c.get("example").cloned().unwrap_or(json!({})))
                });
            let body_defaults = body
                .as_ref()
                .map(|(name, _)| defaulted_properties(&schemas[name]))
                .unwrap_or_default();
            if param_defaults.is_empty() && body_defaults.is_empty() {
                continue;
            }
            let mut args = Map::new();
            for (name, p) in &params {
                if p["required"] == json!(true) && *name != "serverId" {
                    args.insert(name.to_string(), sample(&doc, name, p));
                }
            }
            if let Some((name, example)) = &body {
                let built = match support::registry::construct(name, example) {
                    Some(built) => {
                        built.unwrap_or_else(|e| panic!("{id}: {name} cannot be built: {e}"))
                    }
                    // Not a struct (a one-or-many union): no constructor, and no property
                    // of its own with a default; the example goes as written.
                    None if body_defaults.is_empty() => example.clone(),
                    None => panic!("{id}: no generated constructor for {name}"),
                };
                args.insert("body".into(), built);
            }
            fake.clear_requests();
            let result = support::v2_calls::call_v2(&client, id, &Value::Object(args))
                .await
                .unwrap_or_else(|| panic!("{id}: no generated v2 method"));
            if let Err(Error::Api(e)) = &result {
                failures.push(format!(
                    "{id}: the fake refused the built request: {}",
                    e.body
                ));
            }
            let seen = only_request(&fake, id);
            assert_eq!(seen.method, method.to_uppercase(), "{id}");
            let query: Vec<(String, String)> = seen
                .query
                .as_deref()
                .map(|q| {
                    // Only defaulted parameters are read: numbers and booleans, never escaped.
                    q.split('&')
                        .filter_map(|pair| pair.split_once('='))
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect()
                })
                .unwrap_or_default();
            let template: Vec<&str> = path.split('/').collect();
            let actual: Vec<&str> = seen.path.split('/').collect();
            for (name, p, default) in &param_defaults {
                let text = if p["in"] == "path" {
                    let at = template
                        .iter()
                        .position(|s| *s == format!("{{{name}}}"))
                        .unwrap_or_else(|| panic!("{id}: {name} is not in {path}"));
                    actual.get(at).map(|s| s.to_string())
                } else {
                    query
                        .iter()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.clone())
                };
                let at = format!("{id} {} {name}", p["in"].as_str().unwrap_or_default());
                if *name == "serverId" {
                    server_ids_checked += 1;
                    if text.as_deref() != Some(SERVER.to_string().as_str()) {
                        failures.push(format!(
                            "{at}: sent as {text:?}, the client's server is {SERVER}"
                        ));
                    }
                } else if let (Some(text), Some(default)) = (&text, default)
                    && !text_matches(text, default)
                {
                    failures.push(format!(
                        "{at}: sent as {text}, documented default {default}"
                    ));
                }
                checked.insert((id.to_string(), name.to_string()));
            }
            if let Some((name, _)) = &body {
                let sent = seen
                    .json()
                    .unwrap_or_else(|| panic!("{id}: the body is JSON"));
                for (field, default) in &body_defaults {
                    failures.extend(check_field(
                        &format!("{id} ({name})"),
                        field,
                        default.as_ref(),
                        sent.get(field),
                    ));
                    if field == "serverId" {
                        server_ids_checked += 1;
                    }
                    checked.insert((name.clone(), field.clone()));
                }
            }
        }
    }

    // A request schema met only nested in a body (a panel's sound): built alone by its
    // generated constructor, with its required fields sampled, and its defaults checked.
    for (name, schema) in schemas {
        if !is_request_schema(&doc, name) {
            continue;
        }
        let fields: Vec<(String, Option<Value>)> = defaulted_properties(schema)
            .into_iter()
            .filter(|(field, _)| !checked.contains(&(name.clone(), field.clone())))
            .collect();
        if fields.is_empty() {
            continue;
        }
        let args = required_sample(&doc, schema);
        let Some(built) = support::registry::construct(name, &args) else {
            continue; // not a struct: reported below as unchecked
        };
        let built = built.unwrap_or_else(|e| panic!("{name} cannot be built: {e}"));
        for (field, default) in fields {
            failures.extend(check_field(
                name,
                &field,
                default.as_ref(),
                built.get(&field),
            ));
            checked.insert((name.clone(), field));
        }
    }

    // No documented default of a request schema escapes the checks above.
    let mut unchecked = Vec::new();
    for (name, schema) in schemas {
        if !is_request_schema(&doc, name) {
            continue;
        }
        for (field, _) in defaulted_properties(schema) {
            if !checked.contains(&(name.clone(), field.clone())) {
                unchecked.push(format!("{name}.{field}"));
            }
        }
    }
    assert!(
        unchecked.is_empty(),
        "documented defaults no test sends: {unchecked:?}"
    );
    assert!(
        failures.is_empty(),
        "{} defaults violated:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The spec has 25 v1 items and 31 v2 routes with a serverId; far fewer means the loops
    // above stopped finding them.
    assert!(
        server_ids_checked >= 50,
        "only {server_ids_checked} serverIds checked"
    );
    assert!(
        checked.len() >= 80,
        "only {} defaulted fields checked",
        checked.len()
    );
}

/// Whether schema `name` is reachable from a request: a v2 body or a v1 `data`.
fn is_request_schema(doc: &Value, name: &str) -> bool {
    let target = format!("#/components/schemas/{name}");
    let mut roots: Vec<&Value> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for op in item.as_object().unwrap().values() {
            if let Some(s) = op.pointer("/requestBody/content/application~1json/schema") {
                roots.push(if path.starts_with("/v2/") {
                    s
                } else {
                    &s["properties"]["data"]
                });
            }
        }
    }
    let mut seen = BTreeSet::new();
    while let Some(node) = roots.pop() {
        match node {
            Value::Object(map) => {
                if let Some(r) = map.get("$ref").and_then(Value::as_str) {
                    if r == target {
                        return true;
                    }
                    if seen.insert(r.to_string())
                        && let Some(s) = doc.pointer(r.trim_start_matches('#'))
                    {
                        roots.push(s);
                    }
                    continue;
                }
                roots.extend(
                    map.iter()
                        .filter(|(k, _)| {
                            *k != "example" && *k != "examples" && !k.starts_with("x-")
                        })
                        .map(|(_, v)| v),
                );
            }
            Value::Array(items) => roots.extend(items),
            _ => {}
        }
    }
    false
}

/// Where the docs state a default in words ("(default 1)", "defaults to true",
/// "default and maximum 100"), the spec carries it as `default:` with that value, so that
/// the constructors and the test above read one source.
#[test]
fn defaults_stated_in_descriptions_are_in_the_schema() {
    let doc = support::spec::merged();
    let said = stated_default;
    let mut missing = Vec::new();
    let mut found = 0;
    let mut visit = |at: String, schema: &Value| {
        let Some(text) = schema.get("description").and_then(Value::as_str) else {
            return;
        };
        let Some(value) = said(text) else { return };
        found += 1;
        let schema_default = schema
            .get("default")
            .or_else(|| schema.pointer("/schema/default"));
        if !schema_default.is_some_and(|d| same_number_or_value(d, &value)) {
            missing.push(format!(
                "{at}: description says default {value}, schema has {schema_default:?}"
            ));
        }
    };
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        if !is_request_schema(&doc, name) {
            continue;
        }
        for (field, p) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            visit(format!("{name}.{field}"), p);
        }
    }
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .unwrap_or_default();
            for p in op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                visit(
                    format!("{id} {}", p["name"].as_str().unwrap_or_default()),
                    p,
                );
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
    assert!(found >= 50, "only {found} defaults stated in descriptions");
}

/// The value of a default stated in words: "(default 1)", "default 1.", "(default true)",
/// "defaults to 10", "default and maximum 100", "max 100, default 10". `None` when the text
/// states none (or names a default target, not a value).
fn stated_default(text: &str) -> Option<Value> {
    let lower = text.to_ascii_lowercase();
    for key in [
        "default and maximum ",
        "defaults to ",
        "default: ",
        "default ",
    ] {
        let mut rest = lower.as_str();
        while let Some(i) = rest.find(key) {
            let after = &rest[i + key.len()..];
            let word: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
                .collect();
            let word = word.trim_end_matches('.');
            if let Ok(v) = serde_json::from_str::<Value>(word)
                && (v.is_number() || v.is_boolean())
            {
                return Some(v);
            }
            rest = after;
        }
    }
    None
}

#[tokio::test]
async fn a_v1_item_built_without_server_goes_to_the_clients_server_and_an_explicit_one_wins() {
    let fake = FakeServer::start().await;
    let client = client(&fake);
    let items = [
        types::UnitStatusV1Item::new(enums::UnitStatus::Busy).api_id("steam:1"),
        types::UnitStatusV1Item::new(enums::UnitStatus::Busy)
            .api_id("steam:2")
            .server_id(5),
    ];
    client.v1().unit_status_v1(&items).await.unwrap();
    let sent = only_request(&fake, "UNIT_STATUS").json().unwrap();
    assert_eq!(sent["data"][0]["serverId"], json!(SERVER));
    assert_eq!(sent["data"][1]["serverId"], json!(5));

    // LOOKUP: `partial` is documented as true when not given.
    fake.clear_requests();
    client
        .v1()
        .lookup_v1(&[types::LookupV1Item::new("John", "Doe", "", "")])
        .await
        .unwrap();
    let sent = only_request(&fake, "LOOKUP").json().unwrap();
    assert_eq!(sent["data"][0]["partial"], json!(true));
}

#[tokio::test]
async fn the_fake_refuses_server_zero_as_the_api_does() {
    let fake = FakeServer::start().await;
    let http = reqwest::Client::new();

    // v1: a plain-text 400 naming the field, as for the fake's other v1 validation failures.
    let reply = http
        .post(format!("{}/emergency/unit_status", fake.url()))
        .json(&json!({
            "id": fake.community_id(),
            "key": fake.api_key(),
            "type": "UNIT_STATUS",
            "data": [{"apiId": "steam:1", "status": 2, "serverId": 0}],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 400);
    assert!(
        reply.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"),
        "v1 errors are plain text"
    );
    let text = reply.text().await.unwrap();
    assert!(text.contains("data[0].serverId"), "{text}");

    // The same item with server 1 is accepted: it is the 0 that is refused.
    let reply = http
        .post(format!("{}/emergency/unit_status", fake.url()))
        .json(&json!({
            "id": fake.community_id(),
            "key": fake.api_key(),
            "type": "UNIT_STATUS",
            "data": [{"apiId": "steam:1", "status": 2, "serverId": 1}],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);

    // v2: problem+json 400 naming serverId.
    let reply = http
        .get(format!("{}/v2/emergency/servers/0/calls", fake.url()))
        .bearer_auth(fake.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 400);
    assert_eq!(reply.headers()["content-type"], "application/problem+json");
    let problem: Value = reply.json().await.unwrap();
    assert_eq!(problem["status"], json!(400));
    assert!(
        problem["detail"].as_str().unwrap().contains("serverId"),
        "{problem}"
    );

    // And through the typed client, an explicit server 0 comes back as the API's error.
    let client = client(&fake);
    match client.get_calls().server_id(0).await {
        Err(Error::Api(e)) => {
            assert_eq!(e.status, 400);
            assert!(
                e.detail.as_deref().unwrap_or_default().contains("serverId"),
                "{e:?}"
            );
        }
        other => panic!("expected the fake's 400, got {other:?}"),
    }
}
