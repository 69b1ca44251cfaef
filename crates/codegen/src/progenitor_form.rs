//! The part of the merged document that progenitor is given.
//!
//! What is left out, and why:
//! - v1 operations: every one is `POST` with the `{id, key, type, data}` envelope, and many
//!   answer plain text or either JSON or text; the client's v1 layer sends them. Their
//!   schemas stay, so progenitor still generates the `data` types.
//! - `multipart/form-data` request bodies: progenitor has no multipart support.
//! - Error responses: progenitor asserts one body kind per operation and decodes errors
//!   into one type; the client's error layer reads every failure itself (problem+json,
//!   the 429 body, plain text) so errors are left for it.
//! - All success responses but the first: one success body type per operation.
//!
//! And two changes of shape:
//! - a request's `serverId` property (see [`SERVER_ID`]) loses its `default`, `minimum` and
//!   `required`, so typify types it `Option<i64>`, skipped when `None`: a constructor leaves
//!   it unset and the client fills in its configured server id when it sends the request
//!   (`crate::v1`'s `fills_server_id`). With the spec's `default: 1` typify would write a
//!   serde default that `new(..)` cannot see (so constructors sent `0`), and with
//!   `minimum: 1` it would pick `NonZeroU64`. The merged document keeps both: the fake
//!   refuses `serverId: 0` as the API does. A `serverId` parameter loses `minimum` alone,
//!   for the same reason.
//! - an optional array or map property is marked `nullable`.
//!   typify otherwise types it as a bare `Vec`/`Map` that is skipped when empty, so a caller
//!   could never send `"nodes": []` (which can mean "clear them" to the server) and a reply's
//!   `[]` would come back as absent. As `Option<Vec<_>>` both survive the round trip.

use serde_json::{Map, Value};

#[derive(Debug)]
pub struct Reduced {
    pub document: Value,
    /// (operationId, why it was left out).
    pub excluded: Vec<(String, &'static str)>,
}

pub fn reduce(doc: &Value) -> Reduced {
    reduce_for(doc, true)
}

/// [`reduce`] for an API whose client has a default server (`server_id_default`) or not: only
/// with one does a request's `serverId` become optional.
pub fn reduce_for(doc: &Value, server_id_default: bool) -> Reduced {
    let mut document = doc.clone();
    let mut excluded = Vec::new();
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            item.retain(|method, op| {
                if !sonoran_spec::METHODS.contains(&method.as_str()) {
                    return true;
                }
                let id = op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                if !path.starts_with("/v2/") {
                    excluded.push((id, "v1 envelope call"));
                    return false;
                }
                if op
                    .pointer("/requestBody/content/multipart~1form-data")
                    .is_some()
                {
                    excluded.push((id, "multipart/form-data body"));
                    return false;
                }
                true
            });
            for (method, op) in item.iter_mut() {
                if sonoran_spec::METHODS.contains(&method.as_str()) {
                    keep_first_success(op);
                }
            }
        }
        paths.retain(|_, item| {
            item.as_object().is_some_and(|i| {
                i.keys()
                    .any(|k| sonoran_spec::METHODS.contains(&k.as_str()))
            })
        });
    }
    if server_id_default {
        server_id_from_client(&mut document, doc);
    }
    keep_empty_collections(&mut document);
    dates_as_text(&mut document);
    excluded.sort();
    Reduced { document, excluded }
}

/// `format: date-time` and `format: date` strings stay `String` in the Rust types: progenitor
/// would type them with `chrono`, a dependency (and a parse that can refuse what the server
/// sends) the clients do without. The format stays in the merged document and its docs.
fn dates_as_text(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("type").and_then(Value::as_str) == Some("string")
                && matches!(
                    map.get("format").and_then(Value::as_str),
                    Some("date-time" | "date")
                )
            {
                map.remove("format");
            }
            map.values_mut().for_each(dates_as_text);
        }
        Value::Array(items) => items.iter_mut().for_each(dates_as_text),
        _ => {}
    }
}

/// The wire name of the field that holds the CAD server id. In a request it is filled from
/// the client's configuration (`Client::builder().server_id(..)`, default 1) unless the
/// caller sets it.
pub const SERVER_ID: &str = "serverId";

/// See the module docs: `serverId` in request schemas becomes a plain optional integer.
fn server_id_from_client(document: &mut Value, doc: &Value) {
    for name in crate::bodies::request_schemas(doc) {
        let Some(schema) = document
            .pointer_mut(&format!("/components/schemas/{name}"))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let Some(prop) = schema
            .get_mut("properties")
            .and_then(|p| p.get_mut(SERVER_ID))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        prop.remove("default");
        prop.remove("minimum");
        let said = prop
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("CAD server id.")
            .to_string();
        prop.insert(
            "description".into(),
            Value::from(format!(
                "{said} Left unset, the client sends its configured server id (`Client::builder().server_id(..)`)."
            )),
        );
        if let Some(required) = schema.get_mut("required").and_then(Value::as_array_mut) {
            required.retain(|r| r.as_str() != Some(SERVER_ID));
        }
    }
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for op in item.values_mut() {
                let params = op.get_mut("parameters").and_then(Value::as_array_mut);
                for p in params.into_iter().flatten() {
                    if p.get("name").and_then(Value::as_str) == Some(SERVER_ID)
                        && let Some(s) = p.get_mut("schema").and_then(Value::as_object_mut)
                    {
                        s.remove("minimum");
                    }
                }
            }
        }
    }
}

fn keep_first_success(op: &mut Value) {
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    let first = responses
        .keys()
        .filter(|c| c.starts_with('2'))
        .min()
        .cloned();
    let kept: Map<String, Value> = responses
        .iter()
        .filter(|(c, _)| Some(*c) == first.as_ref())
        .map(|(c, r)| (c.clone(), r.clone()))
        .collect();
    *responses = kept;
}

fn keep_empty_collections(node: &mut Value) {
    match node {
        Value::Object(map) => {
            if map.contains_key("properties")
                && map.get("additionalProperties") == Some(&Value::Bool(true))
            {
                map.insert("additionalProperties".into(), Value::Object(Map::new()));
            }
            let required: Vec<String> = map
                .get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            if let Some(props) = map.get_mut("properties").and_then(Value::as_object_mut) {
                for (name, prop) in props.iter_mut() {
                    if required.contains(name) {
                        continue;
                    }
                    if let Some(p) = prop.as_object_mut() {
                        let is_array = p.get("type").and_then(Value::as_str) == Some("array");
                        let is_map = p.get("type").and_then(Value::as_str) == Some("object")
                            && p.get("properties").is_none()
                            && p.get("additionalProperties").is_some();
                        if is_array || is_map {
                            p.insert("nullable".into(), Value::Bool(true));
                        }
                    }
                }
            }
            for v in map.values_mut() {
                keep_empty_collections(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(keep_empty_collections),
        _ => {}
    }
}
