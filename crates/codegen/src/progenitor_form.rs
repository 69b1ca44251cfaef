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
//! And one change of shape: an optional array or map property is marked `nullable`.
//! typify otherwise types it as a bare `Vec`/`Map` that is skipped when empty, so a caller
//! could never send `"nodes": []` (which can mean "clear them" to the server) and a reply's
//! `[]` would come back as absent. As `Option<Vec<_>>` both survive the round trip.

use serde_json::{Map, Value};

#[derive(Debug)]
pub struct Reduced {
    pub document: Value,
    /// (operationId, why it was left out).
    pub excluded: Vec<(String, &'static str)>,
}

pub fn reduce(doc: &Value) -> Reduced {
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
    keep_empty_collections(&mut document);
    excluded.sort();
    Reduced { document, excluded }
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
