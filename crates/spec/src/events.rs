//! Push events (`openapi/<api>/events/*.yaml`) into the merged document.
//!
//! Each file holds `events` (type string -> its variant name, docs page, payload schema and
//! the documented example, repaired where the docs' JSON is broken) and `schemas` (the payload
//! schemas). The merge puts the events under the top-level `x-push-events` and the schemas
//! under `components/x-push-event-schemas`: a section of their own, so that the REST client's
//! generator does not also type them, while `$ref`s and the schema checks work as elsewhere.
//!
//! `x-lenient` on a schema node names a normalisation that the decoders apply before typing
//! a value, where the docs disagree with themselves (see [`LENIENT`]).

use crate::error::Problem;
use crate::load::Source;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Top-level key of the merged document: type string -> event.
pub const EVENTS_KEY: &str = "x-push-events";
/// Key under `components` holding the payload schemas.
pub const SCHEMAS_KEY: &str = "x-push-event-schemas";
/// Prefix of a `$ref` to a payload schema.
pub const SCHEMA_REF: &str = "#/components/x-push-event-schemas/";

/// The `x-lenient` rules and the schema `type` each applies to.
pub const LENIENT: &[(&str, &str)] = &[
    // An object sent as a one-element array is that object.
    ("one-element-array", "object"),
    // A single value where a list is described is a list of one.
    ("single-as-list", "array"),
    // A string of digits where a number is described is that number.
    ("numeric-string", "integer|number"),
];

const EVENT_KEYS: &[&str] = &[
    "variant",
    "summary",
    "docs-page",
    "data",
    "example",
    "more-examples",
    "x-repairs",
    "x-decisions",
];

/// The merged `x-push-events` and `components/x-push-event-schemas`.
pub fn merge(
    sources: &[Source],
    problems: &mut Vec<Problem>,
) -> (Map<String, Value>, Map<String, Value>) {
    let mut schema_files: BTreeMap<String, (Value, String)> = BTreeMap::new();
    for src in sources {
        for key in src.doc.as_object().into_iter().flat_map(|m| m.keys()) {
            if key != "events" && key != "schemas" {
                problems.push(Problem::new(
                    &src.rel,
                    format!("unexpected top-level key `{key}`; an events file holds `events` and `schemas`"),
                ));
            }
        }
        for (name, schema) in src
            .doc
            .get("schemas")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if let Some((_, file)) = schema_files.get(name) {
                problems.push(
                    Problem::new(
                        &src.rel,
                        format!("event schema `{name}` is already defined in {file}"),
                    )
                    .at(format!("/schemas/{name}")),
                );
            } else {
                schema_files.insert(name.clone(), (schema.clone(), src.rel.clone()));
            }
        }
    }

    let mut events: BTreeMap<String, Value> = BTreeMap::new();
    let mut variants: BTreeMap<String, String> = BTreeMap::new();
    for src in sources {
        for (type_, event) in src
            .doc
            .get("events")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let at = format!("/events/{type_}");
            let mut report =
                |msg: String| problems.push(Problem::new(&src.rel, msg).at(at.clone()));
            if type_.is_empty()
                || !type_
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            {
                report(format!(
                    "event type `{type_}` is not an upper-case type string"
                ));
            }
            if events.contains_key(type_) {
                report(format!("event type `{type_}` is defined twice"));
                continue;
            }
            let Some(event) = event.as_object() else {
                report("an event must be a mapping".into());
                continue;
            };
            for key in event.keys() {
                if !EVENT_KEYS.contains(&key.as_str()) {
                    report(format!(
                        "unexpected key `{key}` (allowed: {})",
                        EVENT_KEYS.join(", ")
                    ));
                }
            }
            let variant = event
                .get("variant")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !variant.starts_with(|c: char| c.is_ascii_uppercase())
                || !variant.chars().all(|c| c.is_ascii_alphanumeric())
                || variant == "Unknown"
            {
                report(format!(
                    "`variant` `{variant}` must be a PascalCase name other than Unknown"
                ));
            } else if let Some(other) = variants.insert(variant.to_string(), type_.clone()) {
                report(format!("`variant` `{variant}` is also used by {other}"));
            }
            if event.get("docs-page").and_then(Value::as_str).is_none() {
                report("no `docs-page`".into());
            }
            let data = event
                .get("data")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !schema_files.contains_key(data) {
                report(format!("`data` `{data}` names no schema of an events file"));
            }
            if !event.get("example").is_some_and(Value::is_object) {
                report("no `example` object (the documented data, repaired where broken)".into());
            }
            for (i, more) in event
                .get("more-examples")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if more.get("docs-page").and_then(Value::as_str).is_none()
                    || more.get("data").is_none()
                {
                    report(format!("`more-examples[{i}]` needs `docs-page` and `data`"));
                }
            }
            let mut merged = Map::new();
            for (k, v) in event {
                if k == "data" {
                    merged.insert("schema".into(), Value::from(format!("{SCHEMA_REF}{data}")));
                } else {
                    merged.insert(k.clone(), v.clone());
                }
            }
            merged.insert("x-defined-in".into(), Value::from(src.rel.as_str()));
            events.insert(type_.clone(), Value::Object(merged));
        }
    }

    for (name, (schema, file)) in &schema_files {
        check_lenient(schema, &format!("/schemas/{name}"), file, problems);
    }
    let schemas = schema_files.into_iter().map(|(n, (s, _))| (n, s)).collect();
    (events.into_iter().collect(), schemas)
}

/// Every `x-lenient` names a known rule, on a node of the type it applies to.
fn check_lenient(node: &Value, at: &str, file: &str, problems: &mut Vec<Problem>) {
    match node {
        Value::Object(map) => {
            if let Some(rule) = map.get("x-lenient") {
                let ty = map.get("type").and_then(Value::as_str).unwrap_or("");
                match LENIENT
                    .iter()
                    .find(|(name, _)| Some(*name) == rule.as_str())
                {
                    None => problems.push(
                        Problem::new(
                            file,
                            format!("unknown `x-lenient` {rule}; known: {}", names()),
                        )
                        .at(at.to_string()),
                    ),
                    Some((name, types)) if !types.split('|').any(|t| t == ty) => problems.push(
                        Problem::new(
                            file,
                            format!("`x-lenient: {name}` applies to `type: {types}`, not `{ty}`"),
                        )
                        .at(at.to_string()),
                    ),
                    Some(_) => {}
                }
            }
            for (k, v) in map {
                if v.is_null() && k != "example" && k != "default" {
                    problems.push(
                        Problem::new(
                            file,
                            format!(
                                "`{k}` has no value (an unquoted comma in a YAML flow mapping?)"
                            ),
                        )
                        .at(at.to_string()),
                    );
                }
                check_lenient(v, &format!("{at}/{k}"), file, problems);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                check_lenient(v, &format!("{at}/{i}"), file, problems);
            }
        }
        _ => {}
    }
}

fn names() -> String {
    LENIENT
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The events of a merged document, sorted by type string: (type, event).
pub fn events(doc: &Value) -> impl Iterator<Item = (&str, &Value)> {
    doc.get(EVENTS_KEY)
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(t, e)| (t.as_str(), e))
}

/// The payload schema an event's `schema` names, and its name.
pub fn event_schema<'a>(doc: &'a Value, event: &Value) -> Option<(&'a str, &'a Value)> {
    let name = event.get("schema")?.as_str()?.strip_prefix(SCHEMA_REF)?;
    let (name, schema) = doc
        .pointer("/components")?
        .get(SCHEMAS_KEY)?
        .as_object()?
        .get_key_value(name)?;
    Some((name.as_str(), schema))
}
