//! Argument values for calling any operation in tests: the spec gives no parameter
//! examples, so each parameter gets a sensible value of its documented type.

use serde_json::{Value, json};

/// `schema` with `$ref`s and single-schema `allOf`s followed.
pub fn resolve<'a>(doc: &'a Value, mut schema: &'a Value) -> &'a Value {
    loop {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            schema = doc
                .pointer(r.trim_start_matches('#'))
                .expect("refs resolve");
        } else if let Some(first) = schema
            .get("allOf")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            && schema.get("type").is_none()
        {
            schema = first;
        } else {
            return schema;
        }
    }
}

/// A sensible value of a parameter's documented type (the spec gives no parameter examples).
pub fn sample(doc: &Value, name: &str, param: &Value) -> Value {
    if let Some(e) = param.get("example") {
        return e.clone();
    }
    let schema = resolve(doc, &param["schema"]);
    if let Some(e) = schema.get("example") {
        return e.clone();
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
    {
        return first.clone();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("integer") => {
            let mut n = 2;
            if let Some(min) = schema.get("minimum").and_then(Value::as_i64) {
                n = n.max(min);
            }
            if let Some(max) = schema.get("maximum").and_then(Value::as_i64) {
                n = n.min(max);
            }
            json!(n)
        }
        Some("number") => json!(2.5),
        Some("boolean") => json!(true),
        Some("string") => match schema.get("format").and_then(Value::as_str) {
            Some("uuid") => json!("6f1c2b9e-3d4a-4e5f-8a7b-9c0d1e2f3a4b"),
            Some("uri" | "url") => json!("https://example.com/login?x=1&y=two words"),
            _ if name == "syncId" => json!("citizen:1234"),
            _ if name == "url" => json!("https://example.com/login?x=1&y=two words"),
            _ => json!("John Doe & Co"),
        },
        other => panic!("parameter {name}: no sample value for type {other:?}"),
    }
}

/// Whether parameter `name` of `op` is left out of a sample call: the operation takes
/// exactly one of an `x-exactly-one-of` group, so only the group's first field is given.
pub fn left_out(op: &Value, name: &str) -> bool {
    op.get("x-exactly-one-of")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|g| g.get("fields").and_then(Value::as_array))
        .any(|fields| fields.iter().skip(1).any(|f| f.as_str() == Some(name)))
}

/// The parameters a sample call of `op` (at path item `item`) gives, resolved: the
/// path-level ones and the operation's, less those [`left_out`].
pub fn call_parameters<'a>(
    doc: &'a Value,
    item: &'a Value,
    op: &'a Value,
) -> impl Iterator<Item = (&'a str, &'a Value)> {
    let list = |v: &'a Value| {
        v.get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
    };
    list(item)
        .chain(list(op))
        .map(move |p| resolve(doc, p))
        .map(|p| (p["name"].as_str().expect("every parameter has a name"), p))
        .filter(move |(name, _)| !left_out(op, name))
}
