//! The success reply of an operation: the lowest documented 2xx status with its documented
//! `example`, or a value built from the schema when there is none.

use crate::spec::{JSON, Success, TEXT, resolve};
use bytes::Bytes;
use serde_json::{Map, Value};

const MAX_DEPTH: usize = 24;

/// The success reply documented in `responses`.
pub(crate) fn success(doc: &Value, responses: Option<&Value>) -> Success {
    let lowest = responses
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(code, r)| {
            let code = code.parse::<u16>().ok()?;
            (200..300).contains(&code).then_some((code, r))
        })
        .min_by_key(|(code, _)| *code);
    let Some((status, response)) = lowest else {
        return Success {
            status: 200,
            content_type: None,
            body: Bytes::new(),
        };
    };
    let content = response.get("content").and_then(Value::as_object);
    let media = content.and_then(|c| {
        c.get(JSON)
            .map(|m| (JSON, m))
            .or_else(|| c.get("text/plain").map(|m| (TEXT, m)))
    });
    let Some((content_type, media)) = media else {
        return Success {
            status,
            content_type: None,
            body: Bytes::new(),
        };
    };
    let value = media.get("example").cloned().unwrap_or_else(|| {
        media
            .get("schema")
            .map_or(Value::Null, |s| synthesize(doc, s, 0))
    });
    let body = if content_type == JSON {
        value.to_string()
    } else {
        match value {
            Value::String(text) => text,
            Value::Null => String::new(),
            other => other.to_string(),
        }
    };
    Success {
        status,
        content_type: Some(content_type),
        body: Bytes::from(body),
    }
}

/// A value that satisfies `schema`: its own example or default when given, else objects
/// with their required properties, empty arrays, `0`, `""`, `false`, the first enum value.
pub(crate) fn synthesize(doc: &Value, schema: &Value, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return resolve(doc, r).map_or(Value::Null, |s| synthesize(doc, s, depth + 1));
    }
    if let Some(v) = schema.get("example").or_else(|| schema.get("default")) {
        return v.clone();
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = Map::new();
        for part in parts {
            match synthesize(doc, part, depth + 1) {
                Value::Object(map) => merged.extend(map),
                other if parts.len() == 1 => return other,
                _ => {}
            }
        }
        return Value::Object(merged);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(first) = schema
            .get(key)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
        {
            return synthesize(doc, first, depth + 1);
        }
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => object(doc, schema, depth),
        Some("array") => Value::Array(Vec::new()),
        Some("string") => Value::from(match schema.get("format").and_then(Value::as_str) {
            Some("uuid") => "00000000-0000-0000-0000-000000000000",
            Some("date-time") => "1970-01-01T00:00:00Z",
            Some("date") => "1970-01-01",
            _ => "",
        }),
        Some("integer") => Value::from(
            schema
                .get("minimum")
                .and_then(Value::as_i64)
                .unwrap_or(0)
                .max(0),
        ),
        Some("number") => Value::from(
            schema
                .get("minimum")
                .and_then(Value::as_f64)
                .unwrap_or(0.0)
                .max(0.0),
        ),
        Some("boolean") => Value::Bool(false),
        _ if schema.get("properties").is_some() => object(doc, schema, depth),
        _ => Value::Null,
    }
}

fn object(doc: &Value, schema: &Value, depth: usize) -> Value {
    let mut map = Map::new();
    let props = schema.get("properties").and_then(Value::as_object);
    for name in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = name.as_str() else { continue };
        let value = props
            .and_then(|p| p.get(name))
            .map_or(Value::Null, |s| synthesize(doc, s, depth + 1));
        map.insert(name.to_owned(), value);
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{FakeApi, doc, operations, resolve};
    use crate::validate::validate;
    use serde_json::json;

    #[test]
    fn synthesized_values() {
        let s = json!({
            "type": "object",
            "required": ["id", "kind", "tags", "when", "ok"],
            "properties": {
                "id": {"type": "integer"},
                "kind": {"type": "string", "enum": ["A", "B"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "when": {"type": "string", "format": "date-time"},
                "ok": {"type": "boolean"},
                "optional": {"type": "string"}
            }
        });
        assert_eq!(
            synthesize(&Value::Null, &s, 0),
            json!({"id": 0, "kind": "A", "tags": [], "when": "1970-01-01T00:00:00Z", "ok": false})
        );
    }

    /// Every JSON success reply the fake sends decodes as its own documented schema.
    #[test]
    fn success_replies_match_their_schemas() {
        let mut bad = Vec::new();
        for (api, op) in FakeApi::ALL
            .into_iter()
            .flat_map(|api| operations(api).iter().map(move |op| (api, op)))
        {
            if op.success.content_type != Some(JSON) {
                continue;
            }
            let value: Value = serde_json::from_slice(&op.success.body).unwrap();
            let path = format!(
                "/paths/{}/{}",
                op.template.replace('~', "~0").replace('/', "~1"),
                op.method.as_str().to_ascii_lowercase()
            );
            let schema = resolve(
                doc(api),
                &format!(
                    "#{path}/responses/{}/content/application~1json/schema",
                    op.success.status
                ),
            );
            if let Some(schema) = schema
                && let Err(e) = validate(doc(api), &value, schema, "reply")
            {
                bad.push(format!("{}: {}: {e}", api.id(), op.id));
            }
        }
        assert!(bad.is_empty(), "{}", bad.join("\n"));
    }
}
