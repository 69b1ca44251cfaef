//! How much of the merged document is really typed: an operation is "fully typed" when
//! its parameters, request bodies and success bodies contain no schema that leaves the
//! shape open (`type: object` with no properties and no `additionalProperties`, or no type
//! at all). Free-form maps declared with `additionalProperties` count as typed: the docs
//! describe them as free-form. An array whose element shape the docs never show is marked
//! `x-unknown-shape: <reason>` and accepts any value; it counts as typed, and the marks are
//! counted apart so that nobody mistakes them for real typing.

use serde_json::Value;
use std::collections::BTreeSet;
use std::fmt;

#[derive(Debug, Default)]
pub struct Stats {
    pub v2_operations: usize,
    pub v2_typed: usize,
    pub v1_operations: usize,
    pub v1_typed: usize,
    /// v1 calls a user can make: one per documented `type` (an operation whose envelope
    /// takes several, `x-v1-types`, is one call per type) plus the multipart upload.
    pub v1_calls: usize,
    /// v2 operations typed by a hand-written overlay (`types/v2/`).
    pub v2_hand_typed: usize,
    /// v2 operations typed by an inferred draft (`types/inferred/v2/`).
    pub v2_inferred: usize,
    /// v2 operations fully typed by the docs' own YAML, with no overlay.
    pub v2_docs_typed: usize,
    /// operationIds that are not fully typed, with the first open spot found.
    pub untyped: Vec<(String, String)>,
    /// Schemas marked `x-unknown-shape` (deliberately open), by JSON pointer.
    pub unknown_shapes: Vec<String>,
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "v2 operations: {} ({} fully typed)",
            self.v2_operations, self.v2_typed
        )?;
        writeln!(
            f,
            "v2 typing: {} hand-typed, {} inferred, {} typed by the docs, {} not fully typed",
            self.v2_hand_typed,
            self.v2_inferred,
            self.v2_docs_typed,
            self.v2_operations - self.v2_typed
        )?;
        writeln!(
            f,
            "v1 operations: {} ({} fully typed), {} calls (one per documented type)",
            self.v1_operations, self.v1_typed, self.v1_calls
        )?;
        if !self.unknown_shapes.is_empty() {
            writeln!(
                f,
                "deliberately open (x-unknown-shape: the docs never show the shape): {}",
                self.unknown_shapes.len()
            )?;
            for at in &self.unknown_shapes {
                writeln!(f, "  {at}")?;
            }
        }
        if !self.untyped.is_empty() {
            writeln!(f, "not fully typed ({}):", self.untyped.len())?;
            for (id, at) in &self.untyped {
                writeln!(f, "  {id}: open schema at {at}")?;
            }
        }
        Ok(())
    }
}

pub fn stats(doc: &Value) -> Stats {
    let mut s = Stats::default();
    for (path, _method, op) in crate::operations(doc) {
        let id = op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let open = first_open_spot(doc, op);
        let v2 = path.starts_with("/v2/");
        match (v2, open.is_none()) {
            (true, typed) => {
                s.v2_operations += 1;
                s.v2_typed += usize::from(typed);
                let by = op.get("x-typed-by").and_then(Value::as_str).unwrap_or("");
                if typed {
                    if by.starts_with("types/v2/") {
                        s.v2_hand_typed += 1;
                    } else if by.starts_with(crate::infer::INFERRED_DIR) {
                        s.v2_inferred += 1;
                    } else {
                        s.v2_docs_typed += 1;
                    }
                }
            }
            (false, typed) => {
                s.v1_operations += 1;
                s.v1_typed += usize::from(typed);
                s.v1_calls += op
                    .get("x-v1-types")
                    .and_then(Value::as_array)
                    .map_or(1, |types| types.len().max(1));
            }
        }
        if let Some(at) = open {
            s.untyped.push((id, at));
        }
    }
    s.untyped.sort();
    collect_unknown_shapes(doc, &mut String::new(), &mut s.unknown_shapes);
    s
}

fn collect_unknown_shapes(node: &Value, at: &mut String, out: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            if map.contains_key("x-unknown-shape") {
                out.push(at.clone());
            }
            for (k, v) in map {
                let len = at.len();
                at.push('/');
                at.push_str(k);
                collect_unknown_shapes(v, at, out);
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                collect_unknown_shapes(v, at, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

fn first_open_spot(doc: &Value, op: &Value) -> Option<String> {
    let mut schemas: Vec<(String, &Value)> = Vec::new();
    for (i, p) in op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(s) = p.get("schema") {
            schemas.push((format!("parameters/{i}"), s));
        }
    }
    for (ct, media) in op
        .pointer("/requestBody/content")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        match media.get("schema") {
            Some(s) => schemas.push((format!("requestBody {ct}"), s)),
            None => return Some(format!("requestBody {ct} (no schema)")),
        }
    }
    for (code, resp) in op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if !code.starts_with('2') {
            continue;
        }
        for (ct, media) in resp
            .get("content")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            match media.get("schema") {
                Some(s) => schemas.push((format!("response {code} {ct}"), s)),
                None => return Some(format!("response {code} {ct} (no schema)")),
            }
        }
    }
    let mut seen = BTreeSet::new();
    schemas
        .into_iter()
        .find_map(|(at, s)| open_in(doc, s, &mut seen).map(|inner| format!("{at}{inner}")))
}

fn open_in<'a>(doc: &'a Value, schema: &'a Value, seen: &mut BTreeSet<String>) -> Option<String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        if !seen.insert(r.to_string()) {
            return None;
        }
        let target = r.strip_prefix('#').and_then(|p| doc.pointer(p))?;
        return open_in(doc, target, seen).map(|inner| format!(" -> {r}{inner}"));
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(parts) = schema.get(key).and_then(Value::as_array) {
            return parts.iter().find_map(|p| open_in(doc, p, seen));
        }
    }
    if schema.get("x-unknown-shape").is_some() {
        return None;
    }
    match schema.get("type").and_then(Value::as_str) {
        None if schema.get("enum").is_some() => None,
        None => Some(" (no type)".into()),
        Some("object") => {
            let props = schema.get("properties").and_then(Value::as_object);
            let extra = schema.get("additionalProperties");
            if props.is_none_or(|p| p.is_empty()) && extra.is_none() {
                return Some(" (object without properties)".into());
            }
            for (name, p) in props.into_iter().flatten() {
                if let Some(inner) = open_in(doc, p, seen) {
                    return Some(format!(".{name}{inner}"));
                }
            }
            match extra {
                Some(e) if e.is_object() => open_in(doc, e, seen).map(|inner| format!(".*{inner}")),
                _ => None,
            }
        }
        Some("array")
            if schema.get("x-unknown-shape").is_some()
                || schema.get("maxItems") == Some(&Value::from(0)) =>
        {
            None
        }
        Some("array") => match schema.get("items") {
            None => Some(" (array without items)".into()),
            Some(items) => open_in(doc, items, seen).map(|inner| format!("[]{inner}")),
        },
        Some(_) => None,
    }
}

/// How many fields of the docs' JSON reply examples end typed in the merged document: each
/// field (an object key, at any depth) of each example in a page's `## Response` section,
/// looked up in its operation's success schema. A field is typed when its schema says what
/// it is (a type, an enum or a union; an object with properties or a typed map; an array
/// with typed elements); it is open when it is missing from the schema or its schema is
/// `x-unknown-shape`, an object without properties or a free-form map. Where the API wraps
/// its replies (`{success, data, meta}`), the fields counted are those of `data`: the
/// envelope's own are typed by construction, not by the docs.
#[derive(Debug, Default)]
pub struct ExampleFields {
    pub fields: usize,
    pub typed: usize,
    /// Open fields whose example value is `null`, `[]` or `{}`: the docs never show what
    /// they hold.
    pub open_unshown: usize,
    /// `operationId: field.path (why)`, for `{:#}`.
    pub open: Vec<String>,
}

impl ExampleFields {
    /// Typed fields in tenths of a percent (e.g. 953 = 95.3%).
    pub fn permille(&self) -> usize {
        (self.typed * 1000).checked_div(self.fields).unwrap_or(1000)
    }
}

impl fmt::Display for ExampleFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.permille();
        writeln!(
            f,
            "fields of the docs' JSON reply examples typed: {}/{} ({}.{}%)",
            self.typed,
            self.fields,
            p / 10,
            p % 10
        )?;
        if self.typed < self.fields {
            writeln!(
                f,
                "  open: {}, of which {} are shown only as null, [] or {{}}",
                self.fields - self.typed,
                self.open_unshown
            )?;
        }
        if f.alternate() {
            for o in &self.open {
                writeln!(f, "  open: {o}")?;
            }
        }
        Ok(())
    }
}

/// Measures [`ExampleFields`] for the description of `api` under `openapi_dir` (its page
/// facts and import index) against `doc`, its merged document.
pub fn example_fields(
    api: &crate::api::Api,
    openapi_dir: &std::path::Path,
    doc: &Value,
) -> crate::Result<ExampleFields> {
    let index = crate::index::Index::load(openapi_dir)?;
    let mut out = ExampleFields::default();
    for page in &index.pages {
        let facts = crate::agreement::load_facts(openapi_dir, &format!("v2/{}", page.file))?;
        for docs_id in &page.operations {
            let id = crate::naming::v2_operation_id(docs_id);
            let Some(op) = crate::operations(doc)
                .map(|(_, _, op)| op)
                .find(|op| op.get("operationId").and_then(Value::as_str) == Some(id.as_str()))
            else {
                continue;
            };
            let schema = op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .filter(|(code, _)| code.starts_with('2'))
                .find_map(|(_, r)| r.pointer("/content/application~1json/schema"));
            for example in facts.samples_in("response") {
                let (value, schema) = match api.envelope.payload_key() {
                    Some(key) => (
                        example.get(key),
                        schema
                            .map(|s| crate::resolve_ref(doc, s))
                            .and_then(|s| s.pointer(&format!("/properties/{key}"))),
                    ),
                    None => (Some(example), schema),
                };
                if let Some(value) = value {
                    count_fields(doc, value, schema, &id, &mut String::new(), &mut out);
                }
            }
        }
    }
    Ok(out)
}

/// The branch of a `oneOf`/`anyOf` that describes `value`'s kind (an object's, an array's),
/// or `schema` itself.
fn branch_for<'a>(doc: &'a Value, schema: &'a Value, value: &Value) -> &'a Value {
    let want = match value {
        Value::Object(_) => "object",
        Value::Array(_) => "array",
        _ => return schema,
    };
    ["oneOf", "anyOf"]
        .iter()
        .filter_map(|k| schema.get(k).and_then(Value::as_array))
        .flatten()
        .map(|b| crate::resolve_ref(doc, b))
        .find(|b| b.get("type").and_then(Value::as_str) == Some(want))
        .unwrap_or(schema)
}

/// Why `schema` leaves a value open, or `None` when it types it.
fn openness(doc: &Value, schema: Option<&Value>) -> Option<&'static str> {
    let Some(schema) = schema else {
        return Some("not in the schema");
    };
    let s = crate::resolve_ref(doc, schema);
    if s.get("x-unknown-shape").is_some() {
        return Some("x-unknown-shape");
    }
    if ["oneOf", "anyOf", "allOf"]
        .iter()
        .any(|k| s.get(k).is_some())
        || s.get("enum").is_some()
    {
        return None;
    }
    match s.get("type").and_then(Value::as_str) {
        None => Some("no type"),
        Some("object") => {
            let props = s
                .get("properties")
                .and_then(Value::as_object)
                .is_some_and(|p| !p.is_empty());
            let map = s.get("additionalProperties").is_some_and(Value::is_object);
            (!props && !map).then_some("object without properties")
        }
        Some("array") => match s.get("items") {
            None => Some("array without items"),
            Some(items) => openness(doc, Some(items)),
        },
        Some(_) => None,
    }
}

fn count_fields(
    doc: &Value,
    value: &Value,
    schema: Option<&Value>,
    id: &str,
    at: &mut String,
    out: &mut ExampleFields,
) {
    let schema = schema.map(|s| branch_for(doc, crate::resolve_ref(doc, s), value));
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let sub = schema.and_then(|s| {
                    s.get("properties")
                        .and_then(|p| p.get(k))
                        .or_else(|| s.get("additionalProperties").filter(|a| a.is_object()))
                });
                let len = at.len();
                if !at.is_empty() {
                    at.push('.');
                }
                at.push_str(k);
                out.fields += 1;
                match openness(doc, sub) {
                    None => out.typed += 1,
                    Some(why) => {
                        let unshown = v.is_null()
                            || v.as_array().is_some_and(Vec::is_empty)
                            || v.as_object().is_some_and(|m| m.is_empty());
                        out.open_unshown += usize::from(unshown);
                        out.open.push(format!("{id}: {at} ({why})"));
                    }
                }
                count_fields(doc, v, sub, id, at, out);
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            let el = schema.and_then(|s| s.get("items"));
            let len = at.len();
            at.push_str("[]");
            for item in items {
                count_fields(doc, item, el, id, at, out);
            }
            at.truncate(len);
        }
        _ => {}
    }
}
