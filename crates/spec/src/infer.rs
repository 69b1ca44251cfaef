//! Types inferred from a docs page where the docs give none.
//!
//! For an imported operation whose request body or success reply is an open `type: object`
//! and that no hand-written overlay types, the page still says a lot: its JSON examples, the
//! example in its OpenAPI block, its parameter and property tables and the enums it lists.
//! This module turns those into a draft overlay (the same format as `types/v2/`), kept under
//! `types/inferred/` and marked `x-inferred`.
//!
//! Merging samples follows quicktype: every example of a body is merged into one shape
//! (fields are the union; a number is an integer only when it is integral in every example).
//! The result is lenient where the page is not explicit: a field is required only when a
//! table marks it so, and a field the examples show only as `null`, `[]` or `{}` is left
//! open (`x-unknown-shape`) rather than guessed.

use crate::naming::pascal_case;
use crate::page::{EnumValue, PageFacts, Table, unquote};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The folder, relative to `openapi/`, of the inferred (draft) overlays.
pub const INFERRED_DIR: &str = "types/inferred/v2";

/// A draft overlay for the operations of one page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inferred {
    /// operationId -> overlay operation (`parameters`, `requestBody`, `responses`).
    pub operations: Map<String, Value>,
    pub schemas: Map<String, Value>,
}

impl Inferred {
    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }

    /// The overlay file: a header saying what it is (and `hand_path`, where the hand-owned
    /// copy would go, from the repository root), then `operations` and `components`.
    pub fn to_yaml(&self, docs_page: &str, hand_path: &str) -> String {
        let mut doc = Map::new();
        doc.insert("operations".into(), Value::Object(self.operations.clone()));
        if !self.schemas.is_empty() {
            doc.insert(
                "components".into(),
                json!({ "schemas": Value::Object(self.schemas.clone()) }),
            );
        }
        let body = serde_yaml_ng::to_string(&Value::Object(doc)).expect("plain data");
        format!(
            "# inferred by `cargo xtask import-docs` from {docs_page}: a draft, rewritten by the next import.\n\
             # Review it; to own it, move it to {hand_path} and drop the `x-inferred` marks.\n{body}"
        )
    }
}

/// Infers what the docs leave open for every operation of `page_doc` (an imported, repaired
/// file) that `skip` does not exclude (operations with a hand-written overlay).
pub fn infer_page(
    api: &crate::api::Api,
    page_doc: &Value,
    facts: &PageFacts,
    pool: &Pool,
    skip: impl Fn(&str) -> bool,
) -> Inferred {
    let mut out = Inferred::default();
    for (_path, item) in page_doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for (method, op) in item.as_object().into_iter().flatten() {
            if !crate::METHODS.contains(&method.as_str()) {
                continue;
            }
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            if skip(id) {
                continue;
            }
            if let Some(overlay) =
                infer_operation(api, id, op, facts, pool, page_doc, &mut out.schemas)
            {
                out.operations.insert(id.to_string(), overlay);
            }
        }
    }
    out
}

/// The overlay of one operation, or `None` when the docs already type everything the page
/// could tell. Where `api` wraps its replies in an envelope, the reply examples' payload
/// (`data`) is what is typed, as `<Operation>Data`; the merge puts the envelope around it.
pub fn infer_operation(
    api: &crate::api::Api,
    id: &str,
    op: &Value,
    facts: &PageFacts,
    pool: &Pool,
    page_doc: &Value,
    schemas: &mut Map<String, Value>,
) -> Option<Value> {
    let mut overlay = Map::new();
    let enums = EnumIndex::new(facts, pool);
    let base = pascal_case(id);

    if let Some(params) = infer_parameters(op, facts) {
        overlay.insert("parameters".into(), params);
    }

    let body_schema = op.pointer("/requestBody/content/application~1json/schema");
    let body_open = body_schema.is_some_and(|s| is_open(s, page_doc));
    let body_table = body_table(facts);
    if body_open || (op.get("requestBody").is_none() && body_table.is_some()) {
        let mut samples: Vec<&Value> = facts.samples_in("request body").collect();
        // The block's example is the docs generator's flattened copy of the page's JSON
        // (arrays folded into objects): a sample only when the page shows none.
        if samples.is_empty()
            && let Some(example) = op.pointer("/requestBody/content/application~1json/example")
        {
            samples.push(example);
        }
        let block = op.pointer("/requestBody/content/application~1json/example");
        let mut schema = Shape::of_all(&samples)
            .filled_from(block)
            .enriched(pool)
            .to_schema();
        if let Some(table) = body_table {
            apply_table(&mut schema, table, &enums);
        }
        apply_alternatives(&mut schema, facts, pool);
        enums.apply_by_name(&mut schema);
        let name = format!("{base}Request");
        let mut media = Map::new();
        media.insert(
            "schema".into(),
            json!({ "$ref": format!("#/components/schemas/{name}") }),
        );
        if let Some(example) = samples.first() {
            media.insert("example".into(), (*example).clone());
        }
        schemas.insert(name, mark(schema));
        overlay.insert(
            "requestBody".into(),
            json!({
                "required": op.pointer("/requestBody/required").cloned().unwrap_or(Value::Bool(true)),
                "content": { "application/json": Value::Object(media) }
            }),
        );
    }

    let mut responses = Map::new();
    for (code, resp) in op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if !code.starts_with('2') {
            continue;
        }
        let schema = resp.pointer("/content/application~1json/schema");
        if !schema.is_some_and(|s| is_open(s, page_doc)) {
            continue;
        }
        let mut examples: Vec<&Value> = facts.samples_in("response").collect();
        if examples.is_empty()
            && let Some(example) = resp.pointer("/content/application~1json/example")
        {
            examples.push(example);
        }
        let samples: Vec<&Value> = examples.iter().filter_map(|e| payload(api, e)).collect();
        if samples.is_empty() {
            continue;
        }
        let block = resp
            .pointer("/content/application~1json/example")
            .and_then(|e| payload(api, e));
        let mut schema = Shape::of_all(&samples)
            .filled_from(block)
            .enriched(pool)
            .to_schema();
        for table in facts.tables_in("response") {
            if table.column(&["property", "field", "name"]).is_some()
                && table.column(&["type"]).is_some()
            {
                apply_table(&mut schema, table, &enums);
            }
        }
        enums.apply_by_name(&mut schema);
        apply_prose_enums(&mut schema, facts, &samples);
        let name = match api.envelope.payload_key() {
            None => format!("{base}Response"),
            Some(key) => format!("{base}{}", pascal_case(key)),
        };
        let mut reply = resp.as_object().cloned().unwrap_or_default();
        reply.insert(
            "content".into(),
            json!({ "application/json": {
                "schema": { "$ref": format!("#/components/schemas/{name}") },
                "example": examples[0].clone(),
            }}),
        );
        schemas.insert(name, mark(schema));
        responses.insert(code.clone(), Value::Object(reply));
    }
    if !responses.is_empty() {
        overlay.insert("responses".into(), Value::Object(responses));
    }
    if overlay.is_empty() {
        return None;
    }
    overlay.insert("x-inferred".into(), Value::Bool(true));
    Some(Value::Object(overlay))
}

/// The payload of a reply example: the example itself, or its `data` where the API wraps
/// replies in `{success, data, meta}` (an example without `data` has none).
fn payload<'a>(api: &crate::api::Api, example: &'a Value) -> Option<&'a Value> {
    match api.envelope.payload_key() {
        None => Some(example),
        Some(key) => example.get(key),
    }
}

fn mark(mut schema: Value) -> Value {
    if let Some(m) = schema.as_object_mut() {
        m.insert(
            "description".into(),
            Value::from("Inferred from the docs page's examples and tables (a draft)."),
        );
    }
    schema
}

/// An object with no properties, no `additionalProperties` and no reference: the docs' usual
/// `type: object` plus an example.
pub fn is_open(schema: &Value, page_doc: &Value) -> bool {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r
            .strip_prefix('#')
            .and_then(|p| page_doc.pointer(p))
            .is_none();
    }
    if let Some(items) = schema.get("items") {
        // An array of open objects is as open as one.
        return is_open(items, page_doc);
    }
    if schema
        .get("properties")
        .is_some_and(|p| p.as_object().is_some_and(|m| !m.is_empty()))
        || schema.get("additionalProperties").is_some()
        || ["oneOf", "anyOf", "allOf"]
            .iter()
            .any(|k| schema.get(k).is_some())
    {
        return false;
    }
    matches!(
        schema.get("type").and_then(Value::as_str),
        None | Some("object")
    )
}

fn body_table(facts: &PageFacts) -> Option<&Table> {
    facts.tables_in("request body").find(|t| {
        t.column(&["property", "name", "field"]).is_some() && t.column(&["type"]).is_some()
    })
}

/// Parameters: the block's, with their types and descriptions refined by the page's
/// parameter tables; a parameter only the table lists is added.
fn infer_parameters(op: &Value, facts: &PageFacts) -> Option<Value> {
    let mut params: Vec<Value> = op
        .get("parameters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut changed = false;
    for (needle, location) in [("path parameters", "path"), ("query parameters", "query")] {
        for table in facts.tables_in(needle) {
            let (Some(name_col), Some(type_col)) = (
                table.column(&["name", "parameter"]),
                table.column(&["type"]),
            ) else {
                continue;
            };
            let desc_col = table.column(&["description"]);
            for row in &table.rows {
                let Some(name) = row.get(name_col).map(|c| unquote(c)) else {
                    continue;
                };
                if name.is_empty() {
                    continue;
                }
                let ty = row.get(type_col).map(String::as_str).unwrap_or("");
                let existing = params.iter_mut().find(|p| {
                    p.get("name").and_then(Value::as_str) == Some(name.as_str())
                        && p.get("in").and_then(Value::as_str) == Some(location)
                });
                let param = match existing {
                    Some(p) => p,
                    None => {
                        params.push(json!({
                            "name": name,
                            "in": location,
                            "required": location == "path",
                            "schema": { "type": "string" },
                        }));
                        params.last_mut().expect("just pushed")
                    }
                };
                if let Some(schema) = table_type(ty) {
                    let default = param.pointer("/schema/default").cloned();
                    let mut schema = whole_number_parameter(&name, schema);
                    if let (Some(d), Some(m)) = (default, schema.as_object_mut()) {
                        m.insert("default".into(), d);
                    }
                    if param.get("schema") != Some(&schema) {
                        param["schema"] = schema;
                        changed = true;
                    }
                }
                if param.get("description").is_none()
                    && let Some(d) = desc_col.and_then(|c| row.get(c)).filter(|d| !d.is_empty())
                {
                    param["description"] = Value::from(d.as_str());
                    changed = true;
                }
            }
        }
    }
    (changed && !params.is_empty()).then_some(Value::Array(params))
}

/// The parameters pages count or number things with (`skip`, `take`, `limit`, `offset`,
/// `serverId`) are whole numbers: CMS tables call them `number`, and a client that believed
/// it would send `skip=0.0`.
fn whole_number_parameter(name: &str, schema: Value) -> Value {
    const WHOLE: &[&str] = &["skip", "take", "limit", "offset", "serverId"];
    if WHOLE.contains(&name) && schema.get("type").and_then(Value::as_str) == Some("number") {
        let mut schema = schema;
        schema["type"] = Value::from("integer");
        return schema;
    }
    schema
}

/// A table's type cell as a schema: `integer`, `string (uuid)`, `array of strings`, ...
/// `None` when the cell names no JSON type (then the examples decide).
pub fn table_type(cell: &str) -> Option<Value> {
    let t = unquote(cell).to_ascii_lowercase();
    let (head, format) = match t.split_once('(') {
        Some((h, f)) => (
            h.trim().to_string(),
            Some(f.trim_end_matches(')').trim().to_string()),
        ),
        None => (t.trim().to_string(), None),
    };
    let scalar = |word: &str| -> Option<&'static str> {
        match word.trim().trim_end_matches('s') {
            "integer" | "int" | "int32" | "int64" | "long" => Some("integer"),
            "number" | "float" | "double" | "decimal" => Some("number"),
            "string" | "uuid" | "date-time" | "datetime" | "date" => Some("string"),
            "boolean" | "bool" => Some("boolean"),
            "object" => Some("object"),
            "array" => Some("array"),
            _ => None,
        }
    };
    let with_format = |mut s: Value, word: &str| {
        let f = format.clone().or_else(|| {
            matches!(
                word.trim().trim_end_matches('s'),
                "uuid" | "date-time" | "date"
            )
            .then(|| word.trim().trim_end_matches('s').to_string())
        });
        if let Some(f) = f.filter(|f| ["uuid", "date-time", "date"].contains(&f.as_str())) {
            s["format"] = Value::from(f);
        }
        s
    };
    if let Some(inner) = head.strip_prefix("array of ") {
        let item = scalar(inner)?;
        return Some(
            json!({ "type": "array", "items": with_format(json!({ "type": item }), inner) }),
        );
    }
    let ty = scalar(&head)?;
    Some(with_format(json!({ "type": ty }), &head))
}

/// A property table over a body schema: each row's type (where the table names one and the
/// examples do not contradict its kind), `required` where the row says `Yes`, its
/// description, and the enum its description points at.
fn apply_table(schema: &mut Value, table: &Table, enums: &EnumIndex) {
    let (Some(name_col), Some(type_col)) = (
        table.column(&["property", "name", "field"]),
        table.column(&["type"]),
    ) else {
        return;
    };
    let req_col = table.column(&["required"]);
    let desc_col = table.column(&["description", "notes"]);
    // An array body (a list of objects): the table describes its items.
    let target = if schema.get("type") == Some(&Value::from("array")) {
        match schema.get_mut("items") {
            Some(items) => items,
            None => return,
        }
    } else {
        schema
    };
    for row in &table.rows {
        let Some(name) = row.get(name_col).map(|c| unquote(c)) else {
            continue;
        };
        if name.is_empty() || name.contains(' ') {
            continue;
        }
        let parts: Vec<&str> = name.split('.').collect();
        let Some(field) = property_slot(target, &parts) else {
            continue;
        };
        let (parent, key) = field;
        let props = parent
            .as_object_mut()
            .expect("property_slot returns objects")
            .entry("properties")
            .or_insert_with(|| json!({}));
        let prop = props
            .as_object_mut()
            .expect("properties is a mapping")
            .entry(key.clone())
            .or_insert_with(|| json!({}));
        let cell = row.get(type_col).map(String::as_str).unwrap_or("");
        if let Some(declared) = table_type(cell) {
            merge_declared(prop, declared);
        }
        if let Some(d) = desc_col.and_then(|c| row.get(c)).filter(|d| !d.is_empty()) {
            prop["description"] = Value::from(d.as_str());
            if let Some(e) = enums.referenced_by(d) {
                e.apply(prop);
            }
        }
        let required = req_col.and_then(|c| row.get(c)).is_some_and(|c| {
            matches!(
                unquote(c).to_ascii_lowercase().as_str(),
                "yes" | "required" | "true" | "always"
            )
        });
        if required {
            let list = parent
                .as_object_mut()
                .expect("an object")
                .entry("required")
                .or_insert_with(|| json!([]));
            if let Some(list) = list.as_array_mut()
                && !list.contains(&Value::from(key.as_str()))
            {
                list.push(Value::from(key.as_str()));
            }
        }
    }
}

/// Fields the page's text names beside a field the examples show ("use `communityUserId` by
/// default, or provide `roblox`, `discord`, `accountUuid` or `identIds`") are optional
/// alternatives of it: a singular name takes the shown field's type when that is a scalar, a
/// plural one is an array whose elements the page does not show; anything else stays open.
fn apply_alternatives(schema: &mut Value, facts: &PageFacts, pool: &Pool) {
    let target = if schema.get("type") == Some(&Value::from("array")) {
        match schema.get_mut("items") {
            Some(items) => items,
            None => return,
        }
    } else {
        schema
    };
    let Some(props) = target.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for note in facts
        .notes
        .iter()
        .filter(|n| n.section.to_ascii_lowercase().contains("request body"))
    {
        let names = note.names();
        let Some(known) = names.iter().copied().find(|n| props.contains_key(*n)) else {
            continue;
        };
        let known_schema = props[known].clone();
        // The scalar type of the shown field, or of its elements when it is a plural array.
        let scalar_of = |s: &Value| {
            s.get("type")
                .and_then(Value::as_str)
                .filter(|t| ["string", "integer", "number", "boolean"].contains(t))
                .map(str::to_string)
        };
        let scalar = if known.ends_with('s') {
            known_schema.get("items").and_then(scalar_of)
        } else {
            scalar_of(&known_schema)
        };
        for name in names.iter().copied() {
            if props.contains_key(name) {
                continue;
            }
            let declared = pool.declared_type(name);
            let schema = if let Some((t, n, m)) = declared {
                json!({ "type": t, "x-typed-from": format!("named in the page's text; {n} of the {m} pages' tables that list `{name}` declare it {t}") })
            } else if name.ends_with('s') {
                json!({ "type": "array", "x-unknown-shape": "named in the page's text; its elements are never shown" })
            } else if let Some(t) = &scalar {
                json!({ "type": t })
            } else {
                json!({ "x-unknown-shape": "named in the page's text; its value is never shown" })
            };
            props.insert(name.to_string(), schema);
        }
    }
}

/// Values a reply's prose lists (`The service returns `RSVP_SUCCESS` ... `UNRSVP_SUCCESS``)
/// become the enum of the string they describe: the reply itself when it is a string, or a
/// string field the same line names, provided every example value is among them.
fn apply_prose_enums(schema: &mut Value, facts: &PageFacts, samples: &[&Value]) {
    let is_string =
        |s: &Value| s.get("type") == Some(&Value::from("string")) && s.get("enum").is_none();
    for note in facts
        .notes
        .iter()
        .filter(|n| n.section.to_ascii_lowercase().contains("response"))
    {
        let values = note.values();
        if values.len() < 2 {
            continue;
        }
        let listed = |v: Option<&Value>| {
            v.and_then(Value::as_str)
                .is_some_and(|v| values.contains(&v))
        };
        let set = |s: &mut Value| s["enum"] = Value::from(values.clone());
        if is_string(schema) && samples.iter().all(|v| listed(Some(v))) {
            set(schema);
            continue;
        }
        for name in note.names() {
            if let Some(prop) = schema.pointer_mut(&format!("/properties/{name}"))
                && is_string(prop)
                && samples.iter().all(|v| listed(v.get(name)))
            {
                set(prop);
            }
        }
    }
}

/// The object that holds the last part of `parts`, walking (and creating) nested objects.
fn property_slot<'a>(schema: &'a mut Value, parts: &[&str]) -> Option<(&'a mut Value, String)> {
    let (last, path) = parts.split_last()?;
    let mut node = schema;
    for part in path {
        let part = part.trim_end_matches("[]");
        let obj = node.as_object_mut()?;
        if obj.get("type").is_some_and(|t| t != "object") {
            return None;
        }
        obj.insert("type".into(), Value::from("object"));
        obj.remove("x-unknown-shape");
        let props = obj.entry("properties").or_insert_with(|| json!({}));
        node = props
            .as_object_mut()?
            .entry(part.to_string())
            .or_insert_with(|| json!({"type": "object"}));
        if node.get("type") == Some(&Value::from("array")) {
            node = node.get_mut("items")?;
        }
    }
    if !node.is_object() {
        return None;
    }
    let obj = node.as_object_mut()?;
    if obj.get("type").is_some_and(|t| t != "object") {
        return None;
    }
    obj.insert("type".into(), Value::from("object"));
    obj.remove("x-unknown-shape");
    Some((node, (*last).to_string()))
}

/// The table's type wins over an open or conflicting inferred one; where the examples know
/// more (the items of an array, the fields of an object, integer vs number) they are kept.
fn merge_declared(prop: &mut Value, declared: Value) {
    let inferred = prop.get("type").and_then(Value::as_str).map(str::to_string);
    let want = declared
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let want = want.as_str();
    let open = prop.get("x-unknown-shape").is_some();
    match inferred.as_deref() {
        Some(have) if have == want && !open => {
            if want == "array"
                && let (Some(items), Some(p)) = (declared.get("items"), prop.as_object_mut())
            {
                let have_items = p
                    .get("items")
                    .is_some_and(|i| i.get("x-unknown-shape").is_none() && i.get("type").is_some());
                if !have_items {
                    p.insert("items".into(), items.clone());
                    p.remove("x-unknown-shape");
                }
            }
            if let Some(f) = declared.get("format") {
                prop["format"] = f.clone();
            }
        }
        Some("integer") if want == "number" => {
            prop["type"] = Value::from("number");
        }
        _ => {
            let nullable = prop.get("nullable").cloned();
            let keep_items = (want == "array")
                .then(|| prop.get("items").cloned())
                .flatten()
                .filter(|i| i.get("type").is_some() && declared.get("items").is_none());
            let keep_props = (want == "object")
                .then(|| prop.get("properties").cloned())
                .flatten();
            let description = prop.get("description").cloned();
            *prop = declared;
            if want == "array" && prop.get("items").is_none() {
                match keep_items {
                    Some(items) => prop["items"] = items,
                    None => {
                        prop["x-unknown-shape"] =
                            Value::from("the page says array but never shows an element");
                    }
                }
            }
            if want == "object" {
                match keep_props {
                    Some(p) => prop["properties"] = p,
                    None => {
                        prop["additionalProperties"] = Value::Bool(true);
                    }
                }
            }
            if let Some(n) = nullable {
                prop["nullable"] = n;
            }
            if let Some(d) = description {
                prop["description"] = d;
            }
        }
    }
}

/// The page's enums, and which field names they belong to; the enums of other pages where
/// the page names none for a field (see [`EnumIndex::apply_by_name`]).
struct EnumIndex<'a> {
    /// The page's enums, each completed with the values other pages list under its name.
    enums: BTreeMap<String, Vec<EnumValue>>,
    /// field name -> enum name, from table rows that point at an enum.
    by_field: Vec<(String, String)>,
    pool: &'a Pool,
}

struct EnumRef<'a> {
    values: &'a [EnumValue],
}

impl EnumRef<'_> {
    fn apply(&self, prop: &mut Value) {
        let values: Vec<Value> = self.values.iter().map(|v| v.value.clone()).collect();
        let ty = if values.iter().all(Value::is_i64) {
            "integer"
        } else {
            "string"
        };
        let names: Vec<Value> = self
            .values
            .iter()
            .filter_map(|v| v.name.clone().map(Value::from))
            .collect();
        prop["type"] = Value::from(ty);
        prop["enum"] = Value::Array(values);
        if ty == "integer" && names.len() == self.values.len() {
            prop["x-enum-varnames"] = Value::Array(names);
        }
        if let Some(m) = prop.as_object_mut() {
            m.remove("x-unknown-shape");
        }
    }

    /// Whether a field the examples type `ty` (or leave untyped) can take this enum.
    fn fits(&self, ty: Option<&str>) -> bool {
        let all_int = self.values.iter().all(|v| v.value.is_i64());
        ty.is_none() || (all_int && ty == Some("integer")) || (!all_int && ty == Some("string"))
    }
}

/// The enums a table ties to its rows: (enum name, field name, the table's field names).
fn table_ties(facts: &PageFacts) -> Vec<(String, String, BTreeSet<String>)> {
    let mut out = Vec::new();
    for table in &facts.tables {
        let (Some(n), Some(d)) = (
            table.column(&["property", "name", "field"]),
            table.column(&["description", "notes"]),
        ) else {
            continue;
        };
        let fields: BTreeSet<String> = table
            .rows
            .iter()
            .filter_map(|r| r.get(n).map(|c| unquote(c)))
            .collect();
        for row in &table.rows {
            let (Some(name), Some(desc)) = (row.get(n), row.get(d)) else {
                continue;
            };
            if let Some(e) = facts
                .enums
                .keys()
                .find(|e| desc.contains(&format!("`{e}`")))
            {
                out.push((e.clone(), unquote(name), fields.clone()));
            }
        }
    }
    out
}

/// `liveMapFormat` -> `LIVE_MAP_FORMAT`.
fn upper_snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// Whether enum `e` is named after field `name`: `LIVE_MAP_FORMAT` for `liveMapFormat`, or
/// one word then the field (`CALL_ORIGIN` for `origin`, `UNIT_STATUS` for `status`).
fn named_after(e: &str, name: &str) -> bool {
    let field = upper_snake(name);
    e == field
        || e.strip_suffix(&field)
            .and_then(|head| head.strip_suffix('_'))
            .is_some_and(|head| !head.is_empty() && !head.contains('_'))
}

impl<'a> EnumIndex<'a> {
    fn new(facts: &'a PageFacts, pool: &'a Pool) -> Self {
        let enums = facts
            .enums
            .iter()
            .map(|(name, values)| {
                let mut values = values.clone();
                for v in pool.enums.get(name).into_iter().flatten() {
                    if !values.iter().any(|w| w.value == v.value) {
                        values.push(v.clone());
                    }
                }
                (name.clone(), values)
            })
            .collect();
        let by_field = table_ties(facts)
            .into_iter()
            .map(|(e, field, _)| (field, e))
            .collect();
        Self {
            enums,
            by_field,
            pool,
        }
    }

    fn referenced_by(&self, description: &str) -> Option<EnumRef<'_>> {
        let (_, values) = self
            .enums
            .iter()
            .find(|(e, _)| description.contains(&format!("`{e}`")))?;
        Some(EnumRef { values })
    }

    /// Every field of `schema` (at any depth) without an enum takes, in this order: the enum
    /// a table of the page ties to its name; the one enum the page lists named after it
    /// (`CALL_ORIGIN` for `origin`); the enum another page lists under its exact name
    /// (`LIVE_MAP_FORMAT` for `liveMapFormat`); the one enum other pages' tables tie to its
    /// name in an object sharing at least two more fields with the table (an identifier's
    /// `status` is `UNIT_STATUS` where the identifier table says so, a call's `CALL_STATUS`).
    /// An enum taken from another page says so in `x-typed-from`.
    fn apply_by_name(&self, schema: &mut Value) {
        walk_objects(schema, &mut |siblings, name, prop| {
            if prop.get("enum").is_some() {
                return;
            }
            let ty = prop.get("type").and_then(Value::as_str).map(str::to_string);
            let ty = ty.as_deref();
            let own = self
                .by_field
                .iter()
                .find(|(f, _)| f == name)
                .map(|(_, e)| e.clone())
                .or_else(|| {
                    let mut named = self.enums.keys().filter(|e| named_after(e, name));
                    match (named.next(), named.next()) {
                        (Some(e), None) => Some(e.clone()),
                        _ => None,
                    }
                });
            if let Some(e) = own {
                if let Some(values) = self.enums.get(&e)
                    && (EnumRef { values }).fits(ty)
                {
                    EnumRef { values }.apply(prop);
                }
                return;
            }
            let exact = upper_snake(name);
            let elsewhere = if self.pool.enums.contains_key(&exact) {
                Some((
                    exact,
                    "the enum another page lists under this field's name".to_string(),
                ))
            } else {
                let mut tied: Vec<&String> = self
                    .pool
                    .ties
                    .iter()
                    .filter(|(_, f, fields)| {
                        f == name && fields.iter().filter(|t| siblings.contains(*t)).count() >= 3
                    })
                    .map(|(e, _, _)| e)
                    .collect();
                tied.sort();
                tied.dedup();
                match tied.as_slice() {
                    [e] => Some((
                        (*e).clone(),
                        "the enum another page's table ties to this field, in an object sharing its fields".to_string(),
                    )),
                    _ => None,
                }
            };
            if let Some((e, why)) = elsewhere
                && let Some(values) = self.pool.enums.get(&e)
                && (EnumRef { values }).fits(ty)
            {
                EnumRef { values }.apply(prop);
                if prop.get("x-typed-from").is_none() {
                    prop["x-typed-from"] = Value::from(format!("{why} ({e})"));
                }
            }
        });
    }
}

/// Calls `f` with the property names of each object (at any depth), then each property.
fn walk_objects(schema: &mut Value, f: &mut impl FnMut(&BTreeSet<String>, &str, &mut Value)) {
    if let Some(items) = schema.get_mut("items") {
        walk_objects(items, f);
    }
    if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        let names: BTreeSet<String> = props.keys().cloned().collect();
        for (name, prop) in props.iter_mut() {
            f(&names, name, prop);
            walk_objects(prop, f);
        }
    }
}

/// Objects the docs show elsewhere, by the property name they sit under: every page's
/// examples, each occurrence kept apart. An object a page shows only in part is completed
/// from the occurrences of the same name whose fields mostly agree with it (quicktype's
/// merging of similar classes); an object that shares too little is not touched, and a value
/// the page shows only as `[]`, `{}` or `null` stays open.
#[derive(Debug, Clone, Default)]
pub struct Pool {
    by_name: std::collections::BTreeMap<String, Vec<Shape>>,
    /// Every non-null scalar value the docs show under each name, merged.
    scalars: std::collections::BTreeMap<String, Shape>,
    /// What the API's v1 pages show (see [`Pool::with_v1_examples`]): used only for what the
    /// v2 pages leave open, never to change what they show.
    v1: Option<Box<V1Evidence>>,
    /// Every page's enums by name, the values of every page that lists one merged.
    enums: BTreeMap<String, Vec<EnumValue>>,
    /// Every page's table ties: (enum name, field name, the table's field names).
    ties: Vec<(String, String, BTreeSet<String>)>,
    /// field name -> scalar type a table declares for it -> how many pages' tables do.
    declared: BTreeMap<String, BTreeMap<String, usize>>,
}

/// The reply examples of the v1 pages, pooled like the v2 ones, with the pages that showed
/// a value under each name.
#[derive(Debug, Clone, Default)]
struct V1Evidence {
    pool: Pool,
    pages: std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
}

impl V1Evidence {
    fn pages_of(&self, name: &str) -> String {
        let pages: Vec<&str> = self
            .pages
            .get(name)
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        pages.join(", ")
    }
}

impl Pool {
    pub fn from_facts<'a>(all: impl IntoIterator<Item = &'a PageFacts>) -> Pool {
        let mut pool = Pool::default();
        for facts in all {
            for s in &facts.samples {
                pool.collect(&s.json);
            }
            for (name, values) in &facts.enums {
                let merged = pool.enums.entry(name.clone()).or_default();
                for v in values {
                    if !merged.iter().any(|w| w.value == v.value) {
                        merged.push(v.clone());
                    }
                }
            }
            pool.ties.extend(table_ties(facts));
            let mut seen = BTreeSet::new();
            for table in &facts.tables {
                let (Some(n), Some(t)) = (
                    table.column(&["property", "name", "field", "parameter"]),
                    table.column(&["type"]),
                ) else {
                    continue;
                };
                for row in &table.rows {
                    let (Some(name), Some(cell)) = (row.get(n), row.get(t)) else {
                        continue;
                    };
                    let ty = table_type(cell)
                        .and_then(|s| s.get("type").and_then(Value::as_str).map(str::to_string))
                        .filter(|t| {
                            ["string", "integer", "number", "boolean"].contains(&t.as_str())
                        });
                    if let Some(ty) = ty
                        && seen.insert((unquote(name), ty.clone()))
                    {
                        *pool
                            .declared
                            .entry(unquote(name))
                            .or_default()
                            .entry(ty)
                            .or_default() += 1;
                    }
                }
            }
        }
        pool
    }

    /// The pool with the reply examples of the API's v1 calls (`v1/**.yaml` under
    /// `openapi_dir`) as further evidence: the v1 pages often show, with values, the same
    /// objects the v2 pages show only as `null`, `[]` or `{}` (a roster column's `style`, an
    /// activity row's `clearReason`). They only decide what the v2 pages leave open: a field
    /// a v2 page shows keeps the kinds it shows there. A folder without `v1/` adds nothing.
    pub fn with_v1_examples(mut self, openapi_dir: &std::path::Path) -> crate::Result<Pool> {
        if !openapi_dir.join("v1").is_dir() {
            return Ok(self);
        }
        let mut v1 = V1Evidence::default();
        for rel in crate::load::yaml_files(openapi_dir)? {
            if !rel.starts_with("v1/") {
                continue;
            }
            let path = openapi_dir.join(&rel);
            let text = std::fs::read_to_string(&path).map_err(|e| crate::Error::io(&path, &e))?;
            let doc =
                crate::yaml::parse(std::path::Path::new(&rel), &text).map_err(crate::Error::one)?;
            for (_, _, op) in crate::operations(&doc) {
                let page = op
                    .get("x-docs-page")
                    .and_then(Value::as_str)
                    .unwrap_or(rel.as_str())
                    .to_string();
                for (code, resp) in op
                    .get("responses")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    if let (true, Some(example)) = (
                        code.starts_with('2'),
                        resp.pointer("/content/application~1json/example"),
                    ) {
                        v1.pool.collect(example);
                        let mut names = Vec::new();
                        keys(example, &mut names);
                        for name in names {
                            v1.pages.entry(name).or_default().insert(page.clone());
                        }
                    }
                }
            }
        }
        self.v1 = Some(Box::new(v1));
        Ok(self)
    }

    fn collect(&mut self, v: &Value) {
        match v {
            Value::Object(map) => {
                for (k, val) in map {
                    if matches!(val, Value::Bool(_) | Value::Number(_) | Value::String(_)) {
                        self.scalars.entry(k.clone()).or_default().add(val);
                    }
                    let objects: Vec<&Value> = match val {
                        Value::Object(_) => vec![val],
                        Value::Array(items) => items.iter().filter(|i| i.is_object()).collect(),
                        _ => vec![],
                    };
                    if !objects.is_empty() {
                        let shape = Shape::of_all(&objects);
                        if shape.object.as_ref().is_some_and(|f| !f.is_empty()) {
                            self.by_name.entry(k.clone()).or_default().push(shape);
                        }
                    }
                    self.collect(val);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| self.collect(i)),
            _ => {}
        }
    }

    /// The scalar type most pages' tables declare for `name` (more than any other type):
    /// the type, how many pages declare it, how many declare any.
    fn declared_type(&self, name: &str) -> Option<(String, usize, usize)> {
        let counts = self.declared.get(name)?;
        let total = counts.values().sum();
        let mut by_count: Vec<(&String, &usize)> = counts.iter().collect();
        by_count.sort_by(|a, b| b.1.cmp(a.1));
        match by_count.as_slice() {
            [(t, n)] => Some(((*t).clone(), **n, total)),
            [(t, n), (_, m), ..] if n > m => Some(((*t).clone(), **n, total)),
            _ => None,
        }
    }

    /// The occurrences of `name` similar enough to an object with `fields`.
    fn similar<'a>(
        &'a self,
        name: &str,
        fields: &'a [(String, Shape)],
    ) -> impl Iterator<Item = &'a Shape> {
        self.by_name
            .get(name)
            .into_iter()
            .flatten()
            .filter(move |o| {
                let theirs = o.object.as_deref().unwrap_or_default();
                let common = fields
                    .iter()
                    .filter(|(k, _)| theirs.iter().any(|(t, _)| t == k))
                    .count();
                let smaller = fields.len().min(theirs.len());
                common >= 2 && common * 4 >= smaller * 3
            })
    }
}

/// What a set of JSON samples says about one value: every kind seen, merged.
#[derive(Debug, Clone, Default)]
pub struct Shape {
    samples: usize,
    null: bool,
    boolean: bool,
    integer: bool,
    number: bool,
    string: bool,
    /// Element shape of every array seen (its `samples` is 0 when all were empty).
    array: Option<Box<Shape>>,
    /// Fields of every object seen, in first-seen order.
    object: Option<Vec<(String, Shape)>>,
    /// Where the type of a value shown only as `null` came from (see [`Shape::enrich`]).
    typed_by: Option<String>,
}

impl Shape {
    pub fn of_all(samples: &[&Value]) -> Shape {
        let mut s = Shape::default();
        for v in samples {
            s.add(v);
        }
        s
    }

    fn add(&mut self, v: &Value) {
        self.samples += 1;
        match v {
            Value::Null => self.null = true,
            Value::Bool(_) => self.boolean = true,
            Value::Number(n) if n.is_i64() || n.is_u64() => self.integer = true,
            Value::Number(_) => self.number = true,
            Value::String(_) => self.string = true,
            Value::Array(items) => {
                let el = self.array.get_or_insert_with(Default::default);
                for i in items {
                    el.add(i);
                }
            }
            Value::Object(map) => {
                let fields = self.object.get_or_insert_with(Vec::new);
                for (k, val) in map {
                    match fields.iter_mut().find(|(n, _)| n == k) {
                        Some((_, s)) => s.add(val),
                        None => {
                            let mut s = Shape::default();
                            s.add(val);
                            fields.push((k.clone(), s));
                        }
                    }
                }
            }
        }
    }

    /// Merges `other` into `self` (both describe the same value).
    fn absorb(&mut self, other: &Shape) {
        self.samples += other.samples;
        self.null |= other.null;
        self.boolean |= other.boolean;
        self.integer |= other.integer;
        self.number |= other.number;
        self.string |= other.string;
        if let Some(el) = &other.array {
            self.array.get_or_insert_with(Default::default).absorb(el);
        }
        if let Some(fields) = &other.object {
            let mine = self.object.get_or_insert_with(Vec::new);
            for (k, s) in fields {
                match mine.iter_mut().find(|(n, _)| n == k) {
                    Some((_, m)) => m.absorb(s),
                    None => mine.push((k.clone(), s.clone())),
                }
            }
        }
    }

    /// This shape with what its samples show only as `null`, `[]` or `{}` taken from the
    /// example of the page's OpenAPI block (`block`), the docs generator's flattened copy of
    /// the same value: where it shows an object for a list, that object is the list's
    /// element. What the samples show is never changed; said in `x-typed-from`.
    pub fn filled_from(mut self, block: Option<&Value>) -> Shape {
        if let Some(block) = block {
            self.fill(&Shape::of_all(&[block]), 0);
        }
        self
    }

    fn fill(&mut self, block: &Shape, depth: usize) {
        if depth > 12 {
            return;
        }
        // A list here, an object (a folded list) or a list in the block.
        if let Some(el) = self.array.as_deref_mut() {
            let theirs = block.array.as_deref().unwrap_or(block);
            if el.samples > 0 {
                el.fill(theirs, depth + 1);
            }
            return;
        }
        let (Some(mine), Some(theirs)) = (self.object.as_mut(), block.object.as_ref()) else {
            return;
        };
        for (k, field) in mine.iter_mut() {
            let Some((_, b)) = theirs.iter().find(|(n, _)| n == k) else {
                continue;
            };
            if field.unshown() && !b.unshown() {
                let note = if field.array.is_some() {
                    let el = match &b.array {
                        Some(el) if el.samples > 0 => (**el).clone(),
                        Some(_) => continue,
                        None if b.object.is_some() => Shape {
                            typed_by: None,
                            ..b.clone()
                        },
                        None => continue,
                    };
                    field.array = Some(Box::new(el));
                    "shown as [] in the page's example; its elements as the example of the page's OpenAPI block shows them"
                } else {
                    let was_null = field.only_null();
                    field.absorb(b);
                    if was_null {
                        "shown as null in the page's example; typed as the example of the page's OpenAPI block shows it"
                    } else {
                        "shown as {} in the page's example; typed as the example of the page's OpenAPI block shows it"
                    }
                };
                field.typed_by = Some(note.to_string());
            } else {
                field.fill(b, depth + 1);
            }
        }
    }

    /// This shape with its named objects completed from the pool (see [`Pool`]).
    pub fn enriched(mut self, pool: &Pool) -> Shape {
        self.enrich(pool, 0);
        self
    }

    fn enrich(&mut self, pool: &Pool, depth: usize) {
        if depth > 12 {
            return;
        }
        if let Some(el) = &mut self.array {
            el.enrich(pool, depth + 1);
        }
        let Some(fields) = &mut self.object else {
            return;
        };
        // A field shown only as `null` takes the one scalar kind the docs show elsewhere
        // under its name; failing that, the one of a sibling sharing its last word
        // (`updatedAt` beside `createdAt`, `endTime` beside `startTime`). Said in its schema.
        let decided: Vec<(usize, Shape)> = fields
            .iter()
            .enumerate()
            .filter(|(_, (_, s))| s.only_null())
            .filter_map(|(i, (name, _))| {
                if let Some(kind) = pool.scalars.get(name).and_then(Shape::single_scalar) {
                    let why = format!("shown only as null here; a {} wherever the docs show a value under this name", kind.kind_name());
                    return Some((i, kind.with_note(why)));
                }
                let sibling = last_word(name).and_then(|suffix| {
                    fields.iter().find_map(|(other, s)| {
                        let kind = s.single_scalar()?;
                        (other != name && last_word(other) == Some(suffix)).then(|| {
                            let why = format!("shown only as null; typed like its sibling `{other}` ({})", kind.kind_name());
                            (i, kind.with_note(why))
                        })
                    })
                });
                sibling.or_else(|| {
                    let v1 = pool.v1.as_deref()?;
                    let kind = v1.pool.scalars.get(name).and_then(Shape::single_scalar)?;
                    let why = format!(
                        "shown only as null here; a {} where the v1 pages show a value under this name ({})",
                        kind.kind_name(),
                        v1.pages_of(name)
                    );
                    Some((i, kind.with_note(why)))
                })
            })
            .collect();
        for (i, kind) in decided {
            let shape = &mut fields[i].1;
            shape.boolean = kind.boolean;
            shape.integer = kind.integer;
            shape.number = kind.number;
            shape.string = kind.string;
            shape.typed_by = kind.typed_by;
        }
        // A number integral here but not where other pages show the same name is a number
        // (quicktype's rule, over every page's samples).
        for (name, shape) in fields.iter_mut() {
            if shape.integer
                && !shape.number
                && shape.typed_by.is_none()
                && pool.scalars.get(name.as_str()).is_some_and(|s| s.number)
            {
                shape.number = true;
                shape.typed_by = Some(
                    "integral here; a number with a fraction where other pages show this name"
                        .to_string(),
                );
            }
        }
        // A list shown only empty beside a list of scalars whose name differs only in its
        // last word (`ranksToRemove` beside `ranksToAdd`) holds the same kind of element.
        let lists: Vec<(usize, Shape)> = fields
            .iter()
            .enumerate()
            .filter(|(_, (_, s))| s.only_empty_list())
            .filter_map(|(i, (name, _))| {
                let head = head_words(name)?;
                fields.iter().find_map(|(other, s)| {
                    let el = s.array.as_ref().filter(|_| s.object.is_none())?;
                    let kind = el.single_scalar().filter(|_| !el.null)?;
                    (other != name && head_words(other) == Some(head)).then(|| {
                        let why = format!(
                            "shown only as []; its elements typed like those of its sibling `{other}` ({})",
                            kind.kind_name()
                        );
                        (i, kind.with_note(why))
                    })
                })
            })
            .collect();
        for (i, el) in lists {
            let shape = &mut fields[i].1;
            shape.typed_by = el.typed_by.clone();
            shape.array = Some(Box::new(Shape {
                typed_by: None,
                ..el
            }));
        }
        for (name, shape) in fields.iter_mut() {
            let target = match (&shape.object, &mut shape.array) {
                (Some(f), _) if !f.is_empty() => Some(&mut *shape),
                (_, Some(el)) if el.object.as_ref().is_some_and(|f| !f.is_empty()) => {
                    Some(&mut **el)
                }
                _ => None,
            };
            if let Some(target) = target {
                let own = target.object.clone().unwrap_or_default();
                let extra: Vec<Shape> = pool.similar(name, &own).cloned().collect();
                for o in &extra {
                    // Only fields and their shapes are taken: what kinds the value itself
                    // takes stays what this page shows.
                    let fields_only = Shape {
                        object: o.object.clone(),
                        ..Shape::default()
                    };
                    target.absorb(&fields_only);
                }
                if let Some(v1) = pool.v1.as_deref() {
                    let own = target.object.clone().unwrap_or_default();
                    let shown: Vec<Shape> = v1.pool.similar(name, &own).cloned().collect();
                    let mine = target.object.as_mut().expect("an object with fields");
                    for o in &shown {
                        for (k, theirs) in o.object.iter().flatten() {
                            let Some((_, field)) = mine.iter_mut().find(|(n, _)| n == k) else {
                                continue;
                            };
                            if field.unshown() && !theirs.unshown() {
                                let was = if field.only_null() {
                                    "null"
                                } else if field.array.is_some() {
                                    "[]"
                                } else {
                                    "{}"
                                };
                                field.absorb(theirs);
                                field.typed_by = Some(format!(
                                    "shown only as {was} here; typed as the v1 pages show `{name}` ({})",
                                    v1.pages_of(k)
                                ));
                            }
                        }
                    }
                }
            }
            shape.enrich(pool, depth + 1);
        }
    }

    /// Seen, and only ever as `null`.
    fn only_null(&self) -> bool {
        self.samples > 0
            && self.null
            && !(self.boolean
                || self.integer
                || self.number
                || self.string
                || self.array.is_some()
                || self.object.is_some())
    }

    /// Seen, and only ever as `null`, `[]` or `{}`: nothing about what it holds.
    fn unshown(&self) -> bool {
        self.samples > 0
            && !(self.boolean || self.integer || self.number || self.string)
            && self.array.as_ref().is_none_or(|el| el.samples == 0)
            && self.object.as_ref().is_none_or(Vec::is_empty)
    }

    /// Seen, and only ever as an empty array (or `null`).
    fn only_empty_list(&self) -> bool {
        self.samples > 0
            && self.array.as_ref().is_some_and(|el| el.samples == 0)
            && !(self.boolean
                || self.integer
                || self.number
                || self.string
                || self.object.is_some())
    }

    /// The one scalar kind this shape takes (nulls aside), alone.
    fn single_scalar(&self) -> Option<Shape> {
        if self.array.is_some() || self.object.is_some() {
            return None;
        }
        let numeric = self.integer || self.number;
        let kinds = [self.boolean, numeric, self.string]
            .iter()
            .filter(|k| **k)
            .count();
        (kinds == 1).then(|| Shape {
            samples: 1,
            boolean: self.boolean,
            integer: self.integer && !self.number,
            number: self.number,
            string: self.string,
            ..Shape::default()
        })
    }

    fn kind_name(&self) -> &'static str {
        if self.boolean {
            "boolean"
        } else if self.number {
            "number"
        } else if self.integer {
            "integer"
        } else {
            "string"
        }
    }

    fn with_note(mut self, note: String) -> Shape {
        self.typed_by = Some(note);
        self
    }

    pub fn to_schema(&self) -> Value {
        let mut kinds = Vec::new();
        if self.boolean {
            kinds.push("boolean");
        }
        if self.number {
            kinds.push("number");
        } else if self.integer {
            kinds.push("integer");
        }
        if self.string {
            kinds.push("string");
        }
        if self.array.is_some() {
            kinds.push("array");
        }
        if self.object.is_some() {
            kinds.push("object");
        }
        let mut schema = match kinds.as_slice() {
            [] if self.samples == 0 => {
                json!({ "x-unknown-shape": "the page shows no example of this value" })
            }
            [] => json!({ "x-unknown-shape": "the page's examples show only null" }),
            ["array"] => {
                let el = self.array.as_ref().expect("array seen");
                if el.samples == 0 {
                    json!({ "type": "array", "x-unknown-shape": "the page's examples show only empty arrays" })
                } else {
                    json!({ "type": "array", "items": el.to_schema() })
                }
            }
            ["object"] => {
                let fields = self.object.as_ref().expect("object seen");
                if fields.is_empty() {
                    json!({ "type": "object", "x-unknown-shape": "the page's examples show only empty objects" })
                } else if fields.iter().all(|(k, _)| is_dynamic_key(k)) {
                    // Keys that are data (timestamps, UUIDs, numbers): a map, as quicktype
                    // makes of them, whose values are every shown value merged.
                    let mut values = Shape::default();
                    for (_, s) in fields {
                        values.absorb(s);
                    }
                    json!({ "type": "object", "additionalProperties": values.to_schema() })
                } else {
                    let props: Map<String, Value> = fields
                        .iter()
                        .map(|(k, s)| (k.clone(), s.to_schema()))
                        .collect();
                    json!({ "type": "object", "properties": props })
                }
            }
            [one] => json!({ "type": one }),
            many => json!({
                "x-unknown-shape": format!("the page's examples disagree ({})", many.join(", "))
            }),
        };
        if self.null && !kinds.is_empty() {
            schema["nullable"] = Value::Bool(true);
        }
        if let Some(why) = &self.typed_by {
            schema["x-typed-from"] = Value::from(why.as_str());
        }
        schema
    }
}

/// The last camelCase word of a field name, when it has one after a first word
/// (`updatedAt` -> `At`, `endTime` -> `Time`; `end` and `id` have none).
fn last_word(name: &str) -> Option<&str> {
    let i = name.rfind(|c: char| c.is_ascii_uppercase())?;
    (i > 0 && name.len() - i >= 2).then(|| &name[i..])
}

/// Every key of `v` that holds a value (not `null`, `[]` or `{}`), at any depth.
fn keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, val) in map {
                let shown = !(val.is_null()
                    || val.as_array().is_some_and(Vec::is_empty)
                    || val.as_object().is_some_and(Map::is_empty));
                if shown {
                    out.push(k.clone());
                }
                keys(val, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| keys(i, out)),
        _ => {}
    }
}

/// A camelCase field name without its last word, when that leaves two words or more
/// (`ranksToRemove` -> `ranksTo`; `rankIds` -> none: one word is too little to tell).
fn head_words(name: &str) -> Option<&str> {
    let i = name.rfind(|c: char| c.is_ascii_uppercase())?;
    let head = &name[..i];
    (i > 0 && name.len() - i >= 2 && head.chars().any(|c| c.is_ascii_uppercase())).then_some(head)
}

/// A key that is a value rather than a field name: an ISO timestamp
/// (`2026-04-15T00:00:00.000Z`), a UUID or a number.
pub fn is_dynamic_key(k: &str) -> bool {
    let b = k.as_bytes();
    let timestamp = b.len() >= 19
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T';
    let uuid = b.len() == 36
        && k.split('-').map(str::len).eq([8, 4, 4, 4, 12])
        && k.chars().all(|c| c == '-' || c.is_ascii_hexdigit());
    let number = !k.is_empty() && b.iter().all(u8::is_ascii_digit);
    timestamp || uuid || number
}

#[cfg(test)]
mod tests {

    #[test]
    fn paging_and_id_parameters_are_whole_numbers() {
        let number = json!({ "type": "number" });
        assert_eq!(
            whole_number_parameter("skip", number.clone())["type"],
            "integer"
        );
        assert_eq!(
            whole_number_parameter("serverId", number.clone())["type"],
            "integer"
        );
        assert_eq!(
            whole_number_parameter("radius", number.clone())["type"],
            "number"
        );
        let string = json!({ "type": "string" });
        assert_eq!(whole_number_parameter("take", string.clone()), string);
    }

    use super::*;
    use crate::page::facts;

    fn schema_of(samples: &[Value]) -> Value {
        Shape::of_all(&samples.iter().collect::<Vec<_>>()).to_schema()
    }

    #[test]
    fn integers_only_when_integral_everywhere() {
        let s = schema_of(&[json!({"a": 1, "b": 1}), json!({"a": 2, "b": 1.5})]);
        assert_eq!(s["properties"]["a"]["type"], "integer");
        assert_eq!(s["properties"]["b"]["type"], "number");
    }

    #[test]
    fn null_and_empty_arrays_are_left_open() {
        let s = schema_of(&[json!({"n": null, "e": [], "o": {}, "s": "x"})]);
        let p = &s["properties"];
        assert!(p["n"].get("type").is_none() && p["n"].get("x-unknown-shape").is_some());
        assert_eq!(p["e"]["type"], "array");
        assert!(p["e"].get("items").is_none() && p["e"].get("x-unknown-shape").is_some());
        assert!(p["o"].get("x-unknown-shape").is_some());
        assert_eq!(p["s"]["type"], "string");
        assert!(
            s.get("required").is_none(),
            "nothing is required without a table"
        );
    }

    #[test]
    fn samples_merge_and_null_elsewhere_makes_nullable() {
        let s = schema_of(&[
            json!({"a": null, "l": []}),
            json!({"a": "x", "l": [{"k": 1}]}),
        ]);
        assert_eq!(
            s["properties"]["a"],
            json!({"type": "string", "nullable": true})
        );
        assert_eq!(
            s["properties"]["l"]["items"]["properties"]["k"]["type"],
            "integer"
        );
    }

    #[test]
    fn table_types_read() {
        assert_eq!(table_type("integer"), Some(json!({"type": "integer"})));
        assert_eq!(
            table_type("string (uuid)"),
            Some(json!({"type": "string", "format": "uuid"}))
        );
        assert_eq!(
            table_type("array of strings (uuid)"),
            Some(json!({"type": "array", "items": {"type": "string", "format": "uuid"}}))
        );
        assert_eq!(table_type("Account Object"), None);
    }

    #[test]
    fn a_page_gives_a_typed_request_with_required_and_enum() {
        let md = "## Request Body\n\n| Property | Type | Required | Description |\n| --- | --- | --- | --- |\n\
                  | `status` | integer | Yes | See `CALL_STATUS` below. |\n| `ids` | array of strings | No | Ids. |\n\n\
                  ```json\n{\"status\": 1, \"ids\": [], \"note\": \"x\"}\n```\n\n## Response\n\n```json\n\
                  {\"callId\": 5, \"status\": 1, \"extra\": null}\n```\n\n## Enumeration Values\n\n### CALL_STATUS\n\n\
                  | Value | Description |\n| --- | --- |\n| `0` | `PENDING` |\n| `1` | `ACTIVE` |\n";
        let f = facts(md);
        let doc = json!({"paths": {"/v2/x": {"post": {
            "operationId": "createThing",
            "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}}
        }}}});
        let inferred = infer_page(&crate::api::CAD, &doc, &f, &Pool::default(), |_| false);
        let req = &inferred.schemas["CreateThingRequest"];
        assert_eq!(req["required"], json!(["status"]));
        assert_eq!(req["properties"]["status"]["enum"], json!([0, 1]));
        assert_eq!(
            req["properties"]["status"]["x-enum-varnames"],
            json!(["PENDING", "ACTIVE"])
        );
        assert_eq!(req["properties"]["ids"]["items"]["type"], "string");
        assert_eq!(req["properties"]["note"]["type"], "string");
        let resp = &inferred.schemas["CreateThingResponse"];
        assert_eq!(
            resp["properties"]["status"]["enum"],
            json!([0, 1]),
            "same-named field"
        );
        assert!(resp["properties"]["extra"].get("x-unknown-shape").is_some());
        assert!(resp.get("required").is_none());
        let op = &inferred.operations["createThing"];
        assert_eq!(op["x-inferred"], true);
        assert_eq!(
            op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/CreateThingResponse"
        );
        assert!(
            infer_page(&crate::api::CAD, &doc, &f, &Pool::default(), |id| id
                == "createThing")
            .is_empty()
        );
    }

    #[test]
    fn typed_docs_are_left_alone() {
        let doc = json!({
            "paths": {"/v2/x": {"get": {"operationId": "getX", "responses": {"200": {"description": "ok",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/X"}}}}}}}},
            "components": {"schemas": {"X": {"type": "object", "properties": {"a": {"type": "boolean"}}}}}
        });
        let f = facts("## Response\n\n```json\n{\"a\": true}\n```\n");
        assert!(infer_page(&crate::api::CAD, &doc, &f, &Pool::default(), |_| false).is_empty());
    }

    #[test]
    fn objects_shown_in_part_are_completed_from_similar_ones_elsewhere() {
        let elsewhere = facts(
            "## Response\n\n```json\n{\"unit\": {\"id\": 1, \"name\": \"A\", \"status\": 2, \"aop\": \"LS\"},\
             \"data\": {\"x\": 1, \"y\": 2}}\n```\n",
        );
        let pool = Pool::from_facts([&elsewhere]);
        let here = json!({"unit": {"id": 5, "name": "B", "status": 1}, "data": {"id": 1, "q": 2}, "none": []});
        let s = Shape::of_all(&[&here]).enriched(&pool).to_schema();
        let unit = &s["properties"]["unit"]["properties"];
        assert_eq!(
            unit["aop"]["type"], "string",
            "completed from a similar `unit`"
        );
        let data = &s["properties"]["data"]["properties"];
        assert!(
            data.get("x").is_none(),
            "a `data` with other fields is not merged"
        );
        assert!(
            s["properties"]["none"].get("x-unknown-shape").is_some(),
            "[] stays open"
        );
    }

    #[test]
    fn v1_examples_decide_only_what_the_v2_pages_leave_open() {
        let dir = std::env::temp_dir().join(format!("sonoran-infer-v1-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("v1/x")).unwrap();
        std::fs::write(
            dir.join("v1/x/get.yaml"),
            "paths:\n  /x/get:\n    post:\n      operationId: getXV1\n      x-docs-page: api-endpoints/x/get.md\n\
             \x20     responses:\n        '200':\n          description: ok\n          content:\n\
             \x20           application/json:\n              example:\n                clearReason: Stopped\n\
             \x20               columns:\n                - {field: a, label: A, style: {align: left}, note: 5}\n",
        )
        .unwrap();
        let pool = Pool::default().with_v1_examples(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let here = json!({"clearReason": null, "columns": [{"field": "b", "label": "B", "style": {}, "note": "x"}]});
        let s = Shape::of_all(&[&here]).enriched(&pool).to_schema();
        let p = &s["properties"];
        assert_eq!(p["clearReason"]["type"], "string");
        assert!(
            p["clearReason"]["x-typed-from"]
                .as_str()
                .unwrap()
                .contains("api-endpoints/x/get.md")
        );
        let col = &p["columns"]["items"]["properties"];
        assert_eq!(
            col["style"]["properties"]["align"]["type"], "string",
            "`{{}}` here, an object on the v1 page of the same column"
        );
        assert_eq!(
            col["note"]["type"], "string",
            "what the v2 page shows is not changed by the v1 page"
        );
    }

    #[test]
    fn enums_of_other_pages_by_name_and_by_a_table_in_an_object_sharing_its_fields() {
        let elsewhere = facts(
            "## Request Body\n\n| Property | Type | Required | Description |\n| --- | --- | --- | --- |\n\
             | `status` | integer | No | See `UNIT_STATUS`. |\n| `unitNum` | string | No | Unit. |\n\
             | `aop` | string | No | Area. |\n| `name` | string | No | Name. |\n\n\
             ## Enumeration Values\n\n### UNIT_STATUS\n\n| Value | Description |\n| --- | --- |\n\
             | `0` | `UNAVAILABLE` |\n| `1` | `BUSY` |\n\n### LIVE_MAP_FORMAT\n\n\
             | Value | Description |\n| --- | --- |\n| `0` | `GTA_V` |\n| `1` | `ROBLOX` |\n",
        );
        let here = facts(
            "## Response\n\n```json\n{\"units\": [{\"status\": 1, \"unitNum\": \"1A\", \"aop\": \"LS\", \"name\": \"A\"}],\
             \"calls\": [{\"status\": 1, \"title\": \"x\"}], \"liveMapFormat\": 0}\n```\n",
        );
        let pool = Pool::from_facts([&elsewhere, &here]);
        let doc = json!({"paths": {"/v2/x": {"get": {"operationId": "getThings",
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}}}}}});
        let inferred = infer_page(&crate::api::CAD, &doc, &here, &pool, |_| false);
        let p = &inferred.schemas["GetThingsResponse"]["properties"];
        assert_eq!(p["liveMapFormat"]["enum"], json!([0, 1]));
        assert!(p["liveMapFormat"]["x-typed-from"].is_string());
        let unit = &p["units"]["items"]["properties"];
        assert_eq!(
            unit["status"]["x-enum-varnames"],
            json!(["UNAVAILABLE", "BUSY"])
        );
        assert!(
            p["calls"]["items"]["properties"]["status"]
                .get("enum")
                .is_none(),
            "a `status` in an object the table does not describe takes no enum"
        );
    }

    #[test]
    fn a_name_only_the_text_gives_takes_the_type_most_tables_declare_for_it() {
        let tables = |ty: &str| {
            facts(&format!(
                "## Request Body\n\n| Property | Type | Required | Description |\n| --- | --- | --- | --- |\n\
                 | `roblox` | {ty} | No | Roblox user. |\n"
            ))
        };
        let (a, b, c) = (tables("integer"), tables("integer"), tables("string"));
        let pool = Pool::from_facts([&a, &b, &c]);
        let md = "## Request Body\n\nUse `communityUserId` by default, or provide `roblox` or `discord`.\n\n\
                  ```json\n{\"communityUserId\": \"p-1\"}\n```\n";
        let doc = json!({"paths": {"/v2/x": {"post": {
            "operationId": "setThing",
            "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": {"200": {"description": "ok"}}
        }}}});
        let inferred = infer_page(&crate::api::CAD, &doc, &facts(md), &pool, |_| false);
        let p = &inferred.schemas["SetThingRequest"]["properties"];
        assert_eq!(p["roblox"]["type"], "integer");
        assert!(
            p["roblox"]["x-typed-from"]
                .as_str()
                .unwrap()
                .contains("2 of the 3")
        );
        assert_eq!(p["discord"], json!({"type": "string"}), "no table lists it");
    }

    #[test]
    fn a_number_with_a_fraction_elsewhere_makes_an_integral_one_here_a_number() {
        let elsewhere = facts("## Response\n\n```json\n{\"radius\": 50.5, \"count\": 2}\n```\n");
        let pool = Pool::from_facts([&elsewhere]);
        let here = json!({"radius": 100, "count": 3});
        let s = Shape::of_all(&[&here]).enriched(&pool).to_schema();
        assert_eq!(s["properties"]["radius"]["type"], "number");
        assert!(s["properties"]["radius"]["x-typed-from"].is_string());
        assert_eq!(s["properties"]["count"]["type"], "integer");
    }

    #[test]
    fn what_the_example_shows_empty_is_taken_from_the_blocks_flattened_example() {
        let page = json!({"total": 1, "accounts": [], "note": null, "kept": "x"});
        let block =
            json!({"total": 1, "accounts": {"uuid": "u", "status": 1}, "note": "n", "kept": 5});
        let s = Shape::of_all(&[&page])
            .filled_from(Some(&block))
            .to_schema();
        let p = &s["properties"];
        assert_eq!(
            p["accounts"]["items"]["properties"]["status"]["type"],
            "integer"
        );
        assert!(p["accounts"]["x-typed-from"].is_string());
        assert_eq!(p["note"]["type"], "string");
        assert_eq!(p["kept"]["type"], "string", "what the page shows stays");
    }

    #[test]
    fn an_empty_list_beside_a_list_differing_in_its_last_word_shares_its_elements() {
        let here =
            json!({"ranksToAdd": ["r-1"], "ranksToRemove": [], "rankIds": [], "roleIds": ["x"]});
        let s = Shape::of_all(&[&here])
            .enriched(&Pool::default())
            .to_schema();
        let p = &s["properties"];
        assert_eq!(p["ranksToRemove"]["items"]["type"], "string");
        assert!(p["ranksToRemove"].get("x-typed-from").is_some());
        assert!(
            p["rankIds"].get("x-unknown-shape").is_some(),
            "one leading word is too little to tell"
        );
    }

    #[test]
    fn fields_the_text_names_beside_a_shown_one_are_its_optional_alternatives() {
        let md = "## Request Body\n\nUse `communityUserIds` by default, or provide `discord` or `identIds`.\n\n\
                  ```json\n{\"communityUserIds\": [\"p-1\"], \"status\": 1}\n```\n";
        let doc = json!({"paths": {"/v2/x": {"post": {
            "operationId": "setThing",
            "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": {"200": {"description": "ok"}}
        }}}});
        let inferred = infer_page(&crate::api::CAD, &doc, &facts(md), &Pool::default(), |_| {
            false
        });
        let p = &inferred.schemas["SetThingRequest"]["properties"];
        assert_eq!(
            p["discord"],
            json!({"type": "string"}),
            "the element type of the plural"
        );
        assert_eq!(p["identIds"]["type"], "array");
        assert!(
            p["identIds"].get("x-unknown-shape").is_some(),
            "elements never shown"
        );
        assert!(
            inferred.schemas["SetThingRequest"]
                .get("required")
                .is_none()
        );
    }
}
