//! JSON Schema checks: the subset of OpenAPI 3.0 the merged spec uses (`$ref`, `type`,
//! `required`, `properties`, `items`, `enum`, `nullable`, `oneOf`/`anyOf`, `allOf`,
//! `additionalProperties`, `maxItems`/`minItems`, `maxLength`/`minLength`,
//! `minimum`/`maximum`). `format` is not checked. Unknown extra properties are allowed unless
//! `additionalProperties: false`. `oneOf` passes when at least one alternative does (the
//! spec's alternatives never overlap on purpose, and extra properties would make
//! exactly-one fail good requests).
//!
//! Errors are one sentence naming the JSON path: `body.data[0].status: expected integer, got "x"`.

use crate::spec::resolve;
use serde_json::Value;
use std::fmt::Write as _;

const MAX_DEPTH: usize = 96;

/// Checks `value` against `schema`; `path` names the root (`body`, `query.limit`).
/// `doc` is the document `$ref`s resolve in.
pub(crate) fn validate(
    doc: &Value,
    value: &Value,
    schema: &Value,
    path: &str,
) -> Result<(), String> {
    check(doc, value, schema, path, 0)
}

/// A path or query parameter's text as the JSON value its schema asks for.
pub(crate) fn coerce_param(
    doc: &Value,
    text: &str,
    schema: &Value,
    path: &str,
) -> Result<Value, String> {
    let value = match scalar_type(doc, schema, 0) {
        Some("integer") => text
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| text.parse::<u64>().map(Value::from))
            .map_err(drop),
        Some("number") => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or(()),
        Some("boolean") => match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(()),
        },
        _ => return validate(doc, &Value::from(text), schema, path).map(|()| Value::from(text)),
    };
    let value = value.map_err(|_| {
        format!(
            "{path}: expected {}, got {}",
            scalar_type(doc, schema, 0).map_or_else(|| "a value".to_owned(), article),
            show(&Value::from(text))
        )
    })?;
    validate(doc, &value, schema, path)?;
    Ok(value)
}

/// The `type` of a schema, looking through `$ref` and `allOf`.
fn scalar_type<'a>(doc: &'a Value, schema: &'a Value, depth: usize) -> Option<&'a str> {
    if depth > MAX_DEPTH {
        return None;
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return scalar_type(doc, resolve(doc, r)?, depth + 1);
    }
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        return Some(t);
    }
    schema
        .get("allOf")?
        .as_array()?
        .iter()
        .find_map(|s| scalar_type(doc, s, depth + 1))
}

fn check(doc: &Value, v: &Value, s: &Value, path: &str, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        return match resolve(doc, r) {
            Some(target) => check(doc, v, target, path, depth + 1),
            None => Ok(()),
        };
    }
    if v.is_null() && s.get("nullable").and_then(Value::as_bool) == Some(true) {
        return Ok(());
    }
    if let Some(t) = s.get("type").and_then(Value::as_str) {
        if !has_type(v, t) {
            return Err(format!("{path}: expected {}, got {}", article(t), show(v)));
        }
    } else if v.is_null()
        && ["allOf", "oneOf", "anyOf", "enum"]
            .iter()
            .all(|k| s.get(k).is_none())
    {
        // A schema without a type or composition (free-form) takes anything, null included.
        return Ok(());
    }
    if let Some(allowed) = s.get("enum").and_then(Value::as_array)
        && !allowed.iter().any(|a| same(a, v))
    {
        return Err(format!(
            "{path}: {} is not one of {}",
            show(v),
            list(allowed)
        ));
    }
    for sub in s
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        check(doc, v, sub, path, depth + 1)?;
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alts) = s.get(key).and_then(Value::as_array)
            && !alts.is_empty()
        {
            let mut first_error = None;
            let ok = alts
                .iter()
                .any(|alt| match check(doc, v, alt, path, depth + 1) {
                    Ok(()) => true,
                    Err(e) => {
                        first_error.get_or_insert(e);
                        false
                    }
                });
            if !ok {
                let mut msg = format!(
                    "{path}: {} matches none of the {} allowed forms",
                    show(v),
                    alts.len()
                );
                if let Some(e) = first_error {
                    let _ = write!(msg, " (first: {e})");
                }
                return Err(msg);
            }
        }
    }
    match v {
        Value::Object(map) => {
            for name in s
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(name) = name.as_str()
                    && !map.contains_key(name)
                {
                    return Err(format!("{path}: missing required property \"{name}\""));
                }
            }
            let props = s.get("properties").and_then(Value::as_object);
            for (name, value) in map {
                let child = join(path, name);
                match props.and_then(|p| p.get(name)) {
                    Some(sub) => check(doc, value, sub, &child, depth + 1)?,
                    None => match s.get("additionalProperties") {
                        Some(Value::Bool(false)) => {
                            return Err(format!("{child}: property is not allowed"));
                        }
                        Some(sub @ Value::Object(_)) => check(doc, value, sub, &child, depth + 1)?,
                        _ => {}
                    },
                }
            }
        }
        Value::Array(items) => {
            if let Some(max) = s.get("maxItems").and_then(Value::as_u64)
                && items.len() as u64 > max
            {
                return Err(format!(
                    "{path}: {} items, at most {max} allowed",
                    items.len()
                ));
            }
            if let Some(min) = s.get("minItems").and_then(Value::as_u64)
                && (items.len() as u64) < min
            {
                return Err(format!(
                    "{path}: {} items, at least {min} required",
                    items.len()
                ));
            }
            if let Some(item_schema) = s.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check(doc, item, item_schema, &format!("{path}[{i}]"), depth + 1)?;
                }
            }
        }
        Value::String(text) => {
            let len = text.chars().count() as u64;
            if let Some(max) = s.get("maxLength").and_then(Value::as_u64)
                && len > max
            {
                return Err(format!("{path}: {len} characters, at most {max} allowed"));
            }
            if let Some(min) = s.get("minLength").and_then(Value::as_u64)
                && len < min
            {
                return Err(format!("{path}: {len} characters, at least {min} required"));
            }
        }
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(0.0);
            if let Some(min) = s.get("minimum").and_then(Value::as_f64)
                && x < min
            {
                return Err(format!("{path}: {n} is less than the minimum {min}"));
            }
            if let Some(max) = s.get("maximum").and_then(Value::as_f64)
                && x > max
            {
                return Err(format!("{path}: {n} is more than the maximum {max}"));
            }
        }
        Value::Null | Value::Bool(_) => {}
    }
    Ok(())
}

fn has_type(v: &Value, t: &str) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "number" => v.is_number(),
        "integer" => {
            v.is_i64()
                || v.is_u64()
                || v.as_f64()
                    .is_some_and(|f| f.is_finite() && f.fract() == 0.0)
        }
        _ => true,
    }
}

fn article(t: &str) -> String {
    match t {
        "object" | "array" | "integer" => format!("an {t}"),
        _ => format!("a {t}"),
    }
}

/// Equality where `1` and `1.0` are the same number.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn join(path: &str, name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        format!("{path}.{name}")
    } else {
        format!("{path}[{}]", Value::from(name))
    }
}

/// A value as JSON, cut to a readable length.
pub(crate) fn show(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() <= 60 {
        text
    } else {
        let cut: String = text.chars().take(57).collect();
        format!("{cut}...")
    }
}

fn list(values: &[Value]) -> String {
    let shown: Vec<String> = values.iter().take(20).map(Value::to_string).collect();
    let more = if values.len() > 20 { ", ..." } else { "" };
    format!("[{}{more}]", shown.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The CAD document: the `$ref`s below name its schemas.
    fn cad() -> &'static Value {
        crate::spec::doc(crate::spec::FakeApi::Cad)
    }

    fn schema(name: &str) -> Value {
        json!({ "$ref": format!("#/components/schemas/{name}") })
    }

    #[test]
    fn types_required_enum_nullable() {
        let s = json!({
            "type": "object",
            "required": ["a"],
            "properties": {
                "a": { "type": "integer" },
                "b": { "type": "string", "enum": ["X", "Y"] },
                "c": { "type": "array", "maxItems": 1, "items": { "type": "boolean" } },
                "d": { "type": "string", "nullable": true },
                "e f": { "type": "string" }
            }
        });
        assert!(validate(cad(), &json!({"a": 1, "zzz": [1]}), &s, "body").is_ok());
        assert!(validate(cad(), &json!({"a": 1.0, "d": null}), &s, "body").is_ok());
        assert_eq!(
            validate(cad(), &json!({}), &s, "body").unwrap_err(),
            "body: missing required property \"a\""
        );
        assert_eq!(
            validate(cad(), &json!({"a": "1"}), &s, "body").unwrap_err(),
            "body.a: expected an integer, got \"1\""
        );
        assert_eq!(
            validate(cad(), &json!({"a": 1, "b": "FOO"}), &s, "body").unwrap_err(),
            "body.b: \"FOO\" is not one of [\"X\", \"Y\"]"
        );
        assert_eq!(
            validate(
                &Value::Null,
                &json!({"a": 1, "c": [true, false]}),
                &s,
                "body"
            )
            .unwrap_err(),
            "body.c: 2 items, at most 1 allowed"
        );
        assert_eq!(
            validate(cad(), &json!({"a": 1, "c": ["no"]}), &s, "body").unwrap_err(),
            "body.c[0]: expected a boolean, got \"no\""
        );
        assert_eq!(
            validate(cad(), &json!({"a": 1, "e f": 2}), &s, "body").unwrap_err(),
            "body[\"e f\"]: expected a string, got 2"
        );
        assert!(validate(cad(), &json!({"a": null}), &s, "body").is_err());
    }

    #[test]
    fn refs_one_of_all_of() {
        let s = schema("StringOrInteger");
        assert!(validate(cad(), &json!("x"), &s, "body").is_ok());
        assert!(validate(cad(), &json!(3), &s, "body").is_ok());
        let err = validate(cad(), &json!(true), &s, "body").unwrap_err();
        assert!(
            err.starts_with("body: true matches none of the 2 allowed forms"),
            "{err}"
        );
        let all = json!({"allOf": [{"type": "object", "required": ["x"]}, {"type": "object", "required": ["y"]}]});
        assert!(validate(cad(), &json!({"x": 1, "y": 2}), &all, "body").is_ok());
        assert!(validate(cad(), &json!({"x": 1}), &all, "body").is_err());
    }

    /// No documented request example is rejected: the checks are not stricter than the spec.
    #[test]
    fn documented_request_examples_pass() {
        let mut bad = Vec::new();
        for (api, op) in crate::spec::FakeApi::ALL
            .into_iter()
            .flat_map(|api| crate::spec::operations(api).iter().map(move |op| (api, op)))
        {
            if let Some(crate::spec::BodySpec {
                kind: crate::spec::BodyKind::Json(schema),
                ..
            }) = &op.body
                && let Some(example) = op.request_example
                && let Err(e) = validate(crate::spec::doc(api), example, schema, "body")
            {
                bad.push(format!("{}: {}: {e}", api.id(), op.id));
            }
        }
        assert!(bad.is_empty(), "{}", bad.join("\n"));
    }

    #[test]
    fn params() {
        let int = json!({"type": "integer", "minimum": 1});
        assert_eq!(coerce_param(cad(), "5", &int, "path.x").unwrap(), json!(5));
        assert_eq!(
            coerce_param(cad(), "abc", &int, "path.x").unwrap_err(),
            "path.x: expected an integer, got \"abc\""
        );
        assert!(coerce_param(cad(), "0", &int, "path.x").is_err());
        let b = json!({"type": "boolean"});
        assert_eq!(
            coerce_param(cad(), "true", &b, "query.b").unwrap(),
            json!(true)
        );
        assert!(coerce_param(cad(), "yes", &b, "query.b").is_err());
        assert_eq!(
            coerce_param(cad(), "u", &json!({"type": "string"}), "q").unwrap(),
            json!("u")
        );
    }
}

#[cfg(test)]
mod mutation_tests;
