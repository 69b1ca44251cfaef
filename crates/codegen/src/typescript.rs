//! OpenAPI schemas as TypeScript declarations, for the npm package's `.d.ts`.
//!
//! The shapes follow what the Rust types put on the wire (the JS side sees the same JSON):
//! optional fields may be absent, integer enums are their numbers (any number is accepted,
//! since unknown values are kept, with named constants beside them), free-form objects are
//! index signatures of `unknown`. A schema whose name is a TypeScript global (`Record`) or
//! one of the shared declarations' (`CallOptions`) is exported under the API's
//! [`Api::vendor`] prefix, so that it shadows nothing.
//!
//! The push events' payloads (`events.d.ts`) go through the same rendering, with their own
//! reference rule: see [`TypeScript::for_payloads`].

use serde_json::Value;
use sonoran_spec::api::Api;
use sonoran_spec::events::SCHEMA_REF;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The TypeScript rendering of one API's schemas.
#[derive(Debug, Clone, Copy)]
pub struct TypeScript<'a> {
    /// The prefix of a schema named as a TypeScript global.
    global_prefix: &'a str,
    /// Rendering push-event payloads: the payload schemas by name.
    payloads: Option<&'a BTreeMap<String, Value>>,
    /// The client fills a left-out `serverId` with its configured server
    /// ([`Api::server_id_default`]): the property is then optional to the caller.
    server_id_default: bool,
}

impl<'a> TypeScript<'a> {
    /// The component schemas of `types.d.ts`: a `$ref` is the schema's (exported) name, a
    /// union's members are parenthesised.
    pub fn for_api(api: &'a Api) -> Self {
        TypeScript {
            global_prefix: api.vendor,
            payloads: None,
            server_id_default: api.server_id_default,
        }
    }

    /// The push-event payloads of `events.d.ts` (`named`: `x-push-event-schemas`): a `$ref`
    /// to a payload struct is its interface's name and to any other payload schema its type
    /// inline; a `$ref` to a component schema (an integer enum) is `<Name>Value`, which
    /// `events.d.ts` declares; a union's members stand bare; a property without its own
    /// description takes that of the schema it refers to.
    pub fn for_payloads(api: &'a Api, named: &'a BTreeMap<String, Value>) -> Self {
        TypeScript {
            global_prefix: api.vendor,
            payloads: Some(named),
            server_id_default: api.server_id_default,
        }
    }

    fn reference(&self, target: &str) -> String {
        if let Some(named) = self.payloads {
            if let Some(name) = target.strip_prefix(SCHEMA_REF) {
                return match named.get(name) {
                    Some(t) if t.get("properties").is_none() => self.ts_type(t),
                    _ => name.to_string(),
                };
            }
            if let Some(name) = target.strip_prefix("#/components/schemas/") {
                return format!("{name}Value");
            }
        }
        self.ts_name(target.trim_start_matches("#/components/schemas/"))
    }

    /// The doc comment of a property, if any.
    fn property_doc(&self, prop: &Value) -> Option<String> {
        match self.payloads {
            Some(named) => Some(crate::events::description(prop, named)).filter(|d| !d.is_empty()),
            None => prop
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string),
        }
    }

    /// The TypeScript type of `schema`.
    pub fn ts_type(&self, schema: &Value) -> String {
        let base = self.base_type(schema);
        if schema.get("nullable") == Some(&Value::Bool(true)) {
            format!("{base} | null")
        } else {
            base
        }
    }

    fn base_type(&self, schema: &Value) -> String {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            return self.reference(r);
        }
        for (key, sep) in [("oneOf", " | "), ("anyOf", " | "), ("allOf", " & ")] {
            if let Some(parts) = schema.get(key).and_then(Value::as_array) {
                let parts: Vec<String> = parts
                    .iter()
                    .map(|p| match self.payloads {
                        Some(_) => self.ts_type(p),
                        None => format!("({})", self.ts_type(p)),
                    })
                    .collect();
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
                    .map(|i| self.ts_type(i))
                    .unwrap_or_else(|| "unknown".into());
                if schema.get("maxItems") == Some(&Value::from(0)) {
                    "[]".into()
                } else {
                    format!("Array<{items}>")
                }
            }
            Some("object") | None if schema.get("properties").is_some() => self.object_type(schema),
            Some("object") => match schema.get("additionalProperties") {
                Some(Value::Object(m)) if !m.is_empty() => {
                    format!(
                        "{{ [key: string]: {} }}",
                        self.ts_type(&Value::Object(m.clone()))
                    )
                }
                _ => "{ [key: string]: unknown }".into(),
            },
            _ => "unknown".into(),
        }
    }

    /// An object schema with `properties` as a TypeScript object type (`{ ... }`).
    pub fn object_type(&self, schema: &Value) -> String {
        let required = crate::required_names(schema);
        // "Provide exactly one of" (`x-exactly-one-of`): those fields go into `ExactlyOne<...>`.
        let groups = match self.payloads {
            None => crate::targets::groups(schema, "schema").unwrap_or_default(),
            Some(_) => Vec::new(),
        };
        let grouped = |name: &str| groups.iter().any(|g| g.fields.iter().any(|f| f == name));
        let properties = schema.get("properties").and_then(Value::as_object);
        let mut out = String::from("{\n");
        for (name, prop) in properties.into_iter().flatten() {
            if grouped(name) {
                continue;
            }
            if let Some(d) = self.property_doc(prop) {
                let _ = writeln!(out, "  /** {} */", doc_text(&d));
            }
            // `serverId` is optional to the caller of a request of an API whose client has a
            // default server (CAD): the client fills it with its configured server
            // (`progenitor_form::SERVER_ID`). Elsewhere (CMS) it is as the docs say.
            let server_id = self.payloads.is_none()
                && self.server_id_default
                && name == crate::progenitor_form::SERVER_ID;
            let optional = if required.contains(&name.as_str()) && !server_id {
                ""
            } else {
                "?"
            };
            let _ = writeln!(
                out,
                "  {}{optional}: {};",
                crate::names::js_property(name),
                indent(&self.ts_type(prop))
            );
        }
        match schema.get("additionalProperties") {
            Some(Value::Bool(true)) => out.push_str("  [key: string]: unknown;\n"),
            Some(Value::Object(m)) if m.is_empty() => out.push_str("  [key: string]: unknown;\n"),
            Some(Value::Object(_)) => out.push_str("  [key: string]: unknown;\n"),
            _ => {}
        }
        out.push('}');
        for g in &groups {
            out.push_str(" & ExactlyOne<{\n");
            for field in &g.fields {
                let Some(prop) = properties.and_then(|p| p.get(field)) else {
                    continue;
                };
                if let Some(d) = self.property_doc(prop) {
                    let _ = writeln!(out, "  /** {} */", doc_text(&d));
                }
                let _ = writeln!(
                    out,
                    "  {}: {};",
                    crate::names::js_property(field),
                    indent(&self.ts_type(prop))
                );
            }
            out.push_str("}>");
        }
        out
    }
}

fn indent(text: &str) -> String {
    text.replace('\n', "\n  ")
}

/// TypeScript's global types that an exported name must not shadow, and the names the
/// packages' hand-written declarations (`crates/wasm-core/js/core.d.ts`) export beside the
/// generated ones.
const GLOBALS: [&str; 20] = [
    "Record",
    "Partial",
    "Required",
    "Readonly",
    "Pick",
    "Omit",
    "Map",
    "Set",
    "Date",
    "Error",
    "Promise",
    "Array",
    "SonoranError",
    "SonoranErrorKind",
    "ClientOptions",
    "RateLimitEvent",
    "CallOptions",
    "ResponseInfo",
    "APIPromise",
    "ExactlyOne",
];

impl TypeScript<'_> {
    /// The TypeScript name of component schema `name`.
    pub fn ts_name(&self, name: &str) -> String {
        if GLOBALS.contains(&name) {
            format!("{}{name}", self.global_prefix)
        } else {
            name.to_string()
        }
    }

    /// `export type Name = ...;` for every schema of `schemas` (name, schema).
    pub fn declarations(&self, schemas: &[(&str, &Value)]) -> String {
        let mut out = String::new();
        for (name, schema) in schemas {
            if let Some(d) = schema.get("description").and_then(Value::as_str) {
                let _ = writeln!(out, "/** {} */", doc_text(d));
            }
            let _ = writeln!(
                out,
                "export type {} = {};\n",
                self.ts_name(name),
                self.ts_type(schema)
            );
        }
        out
    }
}

/// Text that is safe inside a `/** */` comment, on one line.
pub fn doc_text(text: &str) -> String {
    text.replace("*/", "*\\/")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes() {
        let ts = TypeScript::for_api(&sonoran_spec::api::CAD);
        let ts_type = |s: &Value| ts.ts_type(s);
        assert_eq!(
            ts_type(&json!({"$ref": "#/components/schemas/Unit"})),
            "Unit"
        );
        assert_eq!(
            ts_type(&json!({"$ref": "#/components/schemas/Record"})),
            "SonoranRecord",
            "a global's name gets the vendor's prefix"
        );
        assert_eq!(
            ts_type(&json!({"$ref": "#/components/schemas/CallOptions"})),
            "SonoranCallOptions",
            "so does a name of the shared declarations"
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

    #[test]
    fn payloads_name_structs_inline_values_and_suffix_enums() {
        let named: BTreeMap<String, Value> = [
            ("Unit".to_string(), json!({"type": "object", "description": "A unit.", "properties": {"id": {"type": "integer"}}})),
            ("Id".to_string(), json!({"oneOf": [{"type": "integer"}, {"type": "string"}]})),
        ]
        .into();
        let ts = TypeScript::for_payloads(&sonoran_spec::api::CAD, &named);
        let at = |name: &str| json!({"$ref": format!("{SCHEMA_REF}{name}")});
        assert_eq!(ts.ts_type(&at("Unit")), "Unit");
        assert_eq!(ts.ts_type(&at("Id")), "number | string");
        assert_eq!(
            ts.ts_type(&json!({"$ref": "#/components/schemas/UnitStatus"})),
            "UnitStatusValue"
        );
        let obj = ts.object_type(
            &json!({"type": "object", "required": ["unit"], "properties": {"unit": at("Unit")}}),
        );
        assert_eq!(obj, "{\n  /** A unit. */\n  unit: Unit;\n}");
    }
}
