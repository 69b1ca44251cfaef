//! OpenAPI schemas as TypeScript declarations, for the npm package's `.d.ts`.
//!
//! The shapes follow what the Rust types put on the wire (the JS side sees the same JSON):
//! optional fields may be absent, integer enums are their numbers (any number is accepted,
//! since unknown values are kept, with named constants beside them), free-form objects are
//! index signatures of `unknown`. A schema whose name is a TypeScript global (`Record`)
//! is exported under a `Sonoran` prefix, so that it shadows nothing.

use serde_json::Value;
use std::fmt::Write as _;

/// The TypeScript type of `schema`.
pub fn ts_type(schema: &Value) -> String {
    let base = base_type(schema);
    if schema.get("nullable") == Some(&Value::Bool(true)) {
        format!("{base} | null")
    } else {
        base
    }
}

fn base_type(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return ts_name(r.trim_start_matches("#/components/schemas/"));
    }
    for (key, sep) in [("oneOf", " | "), ("anyOf", " | "), ("allOf", " & ")] {
        if let Some(parts) = schema.get(key).and_then(Value::as_array) {
            let parts: Vec<String> = parts.iter().map(|p| format!("({})", ts_type(p))).collect();
            return parts.join(sep);
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let mut parts: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        if schema.get("type").and_then(Value::as_str) == Some("integer") {
            // Unknown values decode too (as Other(n) in Rust): any number may come back.
            parts.push("(number & {})".into());
        }
        return parts.join(" | ");
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("string") if schema.get("format").and_then(Value::as_str) == Some("binary") => {
            "Uint8Array".into()
        }
        Some("string") => "string".into(),
        Some("integer" | "number") => "number".into(),
        Some("boolean") => "boolean".into(),
        Some("array") => {
            let items = schema
                .get("items")
                .map(ts_type)
                .unwrap_or_else(|| "unknown".into());
            if schema.get("maxItems") == Some(&Value::from(0)) {
                "[]".into()
            } else {
                format!("Array<{items}>")
            }
        }
        Some("object") | None if schema.get("properties").is_some() => object_type(schema),
        Some("object") => match schema.get("additionalProperties") {
            Some(Value::Object(m)) if !m.is_empty() => {
                format!(
                    "{{ [key: string]: {} }}",
                    ts_type(&Value::Object(m.clone()))
                )
            }
            _ => "{ [key: string]: unknown }".into(),
        },
        _ => "unknown".into(),
    }
}

fn object_type(schema: &Value) -> String {
    let required = crate::required_names(schema);
    let mut out = String::from("{\n");
    for (name, prop) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let Some(d) = prop.get("description").and_then(Value::as_str) {
            let _ = writeln!(out, "  /** {} */", doc_text(d));
        }
        // `serverId` is always optional to the caller: the client fills a request's with its
        // configured server (`progenitor_form::SERVER_ID`).
        let optional =
            if required.contains(&name.as_str()) && name != crate::progenitor_form::SERVER_ID {
                ""
            } else {
                "?"
            };
        let _ = writeln!(
            out,
            "  {}{optional}: {};",
            property_name(name),
            indent(&ts_type(prop))
        );
    }
    match schema.get("additionalProperties") {
        Some(Value::Bool(true)) => out.push_str("  [key: string]: unknown;\n"),
        Some(Value::Object(m)) if m.is_empty() => out.push_str("  [key: string]: unknown;\n"),
        Some(Value::Object(_)) => out.push_str("  [key: string]: unknown;\n"),
        _ => {}
    }
    out.push('}');
    out
}

fn indent(text: &str) -> String {
    text.replace('\n', "\n  ")
}

/// TypeScript's global types that an exported name must not shadow.
const GLOBALS: [&str; 12] = [
    "Record", "Partial", "Required", "Readonly", "Pick", "Omit", "Map", "Set", "Date", "Error",
    "Promise", "Array",
];

/// The TypeScript name of component schema `name`.
pub fn ts_name(name: &str) -> String {
    if GLOBALS.contains(&name) {
        format!("Sonoran{name}")
    } else {
        name.to_string()
    }
}

/// A property key as TypeScript accepts it.
pub fn property_name(name: &str) -> String {
    let ident = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if ident {
        name.to_string()
    } else {
        format!("{name:?}")
    }
}

/// Text that is safe inside a `/** */` comment, on one line.
pub fn doc_text(text: &str) -> String {
    text.replace("*/", "*\\/")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `export type Name = ...;` for every component schema.
pub fn declarations(doc: &Value) -> String {
    let mut out = String::new();
    for (name, schema) in doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let Some(d) = schema.get("description").and_then(Value::as_str) {
            let _ = writeln!(out, "/** {} */", doc_text(d));
        }
        let _ = writeln!(
            out,
            "export type {} = {};\n",
            ts_name(name),
            ts_type(schema)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes() {
        assert_eq!(
            ts_type(&json!({"$ref": "#/components/schemas/Unit"})),
            "Unit"
        );
        assert_eq!(
            ts_type(&json!({"type": "array", "items": {"type": "string"}})),
            "Array<string>"
        );
        assert_eq!(
            ts_type(&json!({"type": "integer", "enum": [0, 1]})),
            "0 | 1 | (number & {})"
        );
        assert_eq!(
            ts_type(&json!({"type": "string", "enum": ["A"], "nullable": true})),
            "\"A\" | null"
        );
        assert_eq!(
            ts_type(&json!({"type": "object", "additionalProperties": true})),
            "{ [key: string]: unknown }",
            "not Record<..>: a schema named Record would shadow it"
        );
        let obj = ts_type(
            &json!({"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}, "{{plate}}": {"type": "string"}}}),
        );
        assert!(
            obj.contains("  a: number;") && obj.contains("  \"{{plate}}\"?: string;"),
            "{obj}"
        );
    }
}
