//! How close inference comes to our own hand work. Every operation typed by a hand-written
//! overlay is inferred again from its page as if the overlay did not exist, and both are
//! compared field by field: parameters, request body fields and success reply fields (at any
//! depth), each by name, type, required and enum values.

use crate::infer;
use crate::load::Sources;
use crate::page::{PAGES_DIR, PageFacts};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

#[derive(Debug, Default)]
pub struct Agreement {
    /// Fields of the hand schemas that inference also found (agreeing or not).
    pub shared: usize,
    /// Fields inference found that the hand schemas do not have (not counted as agreeing).
    pub extra: usize,
    /// operationId -> (fields that agree, fields of the hand schema).
    pub operations: BTreeMap<String, (usize, usize)>,
    /// operationId -> the first few disagreements, for the report.
    pub misses: BTreeMap<String, Vec<String>>,
    /// operationId -> (hand fields the page itself shows that inference found, hand fields
    /// the page itself shows): a field is shown when its name is a key of one of the page's
    /// JSON examples, a row of one of its tables, a name its prose quotes, or a parameter,
    /// property or example key of its OpenAPI block. What only another page shows (the
    /// integration panels' manifest reference, an enum listed elsewhere) is not counted.
    pub shown: BTreeMap<String, (usize, usize)>,
    /// operationId -> hand fields the page shows that inference did not find.
    pub shown_misses: BTreeMap<String, Vec<String>>,
}

impl Agreement {
    pub fn matched(&self) -> usize {
        self.operations.values().map(|(m, _)| m).sum()
    }
    pub fn total(&self) -> usize {
        self.operations.values().map(|(_, t)| t).sum()
    }
    /// Agreement in tenths of a percent of all hand fields (e.g. 912 = 91.2%).
    pub fn permille(&self) -> usize {
        (self.matched() * 1000)
            .checked_div(self.total())
            .unwrap_or(1000)
    }
    /// Agreement in tenths of a percent of the fields both have.
    pub fn shared_permille(&self) -> usize {
        (self.matched() * 1000)
            .checked_div(self.shared)
            .unwrap_or(1000)
    }
    /// Hand fields the page itself shows.
    pub fn shown_total(&self) -> usize {
        self.shown.values().map(|(_, t)| t).sum()
    }
    /// Hand fields the page itself shows that inference found.
    pub fn shown_found(&self) -> usize {
        self.shown.values().map(|(f, _)| f).sum()
    }
    /// Of the hand fields the page itself shows, those inference found, in tenths of a
    /// percent.
    pub fn shown_permille(&self) -> usize {
        (self.shown_found() * 1000)
            .checked_div(self.shown_total())
            .unwrap_or(1000)
    }
}

impl fmt::Display for Agreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.permille();
        let q = self.shared_permille();
        writeln!(
            f,
            "inference agreement with the {} hand-typed operations (name, type, required and enum equal):",
            self.operations.len(),
        )?;
        writeln!(
            f,
            "  of all hand-typed fields: {}/{} ({}.{}%)",
            self.matched(),
            self.total(),
            p / 10,
            p % 10
        )?;
        writeln!(
            f,
            "  of the fields inference found too: {}/{} ({}.{}%); {} hand fields not found by inference, {} inferred fields the hand schemas lack",
            self.matched(),
            self.shared,
            q / 10,
            q % 10,
            self.total() - self.shared,
            self.extra
        )?;
        let r = self.shown_permille();
        writeln!(
            f,
            "  of the hand fields the page itself shows (example, table, prose, YAML), found by inference: {}/{} ({}.{}%)",
            self.shown_found(),
            self.shown_total(),
            r / 10,
            r % 10
        )?;
        let mut worst: Vec<(&String, &(usize, usize))> =
            self.operations.iter().filter(|(_, (m, t))| m < t).collect();
        worst.sort_by(|a, b| {
            let ra = a.1.0 as f64 / a.1.1.max(1) as f64;
            let rb = b.1.0 as f64 / b.1.1.max(1) as f64;
            ra.total_cmp(&rb).then(a.0.cmp(b.0))
        });
        if !worst.is_empty() {
            writeln!(f, "worst operations:")?;
        }
        // `{:#}` lists every operation and every disagreement.
        let (ops, per) = if f.alternate() {
            (usize::MAX, usize::MAX)
        } else {
            (8, 3)
        };
        for (id, (m, t)) in worst.into_iter().take(ops) {
            writeln!(f, "  {id}: {m}/{t}")?;
            for miss in self.misses.get(id).into_iter().flatten().take(per) {
                writeln!(f, "      {miss}")?;
            }
        }
        let unfound: Vec<(&String, &(usize, usize))> =
            self.shown.iter().filter(|(_, (n, t))| n < t).collect();
        if f.alternate() && !unfound.is_empty() {
            writeln!(f, "hand fields the page shows that inference did not find:")?;
            for (id, (n, t)) in unfound {
                writeln!(f, "  {id}: {n}/{t} found")?;
                for miss in self.shown_misses.get(id).into_iter().flatten() {
                    writeln!(f, "      {miss}")?;
                }
            }
        }
        Ok(())
    }
}

/// One field as the comparison sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    ty: String,
    required: bool,
    enumeration: Option<BTreeSet<String>>,
}

/// Loads and merges `openapi_dir`, then compares.
pub fn measure_dir(api: &crate::api::Api, openapi_dir: &Path) -> crate::Result<Agreement> {
    let sources = crate::load::load(openapi_dir)?;
    let (doc, _) = crate::merge::merge(api, &sources)?;
    measure(api, openapi_dir, &sources, &doc)
}

/// Runs the comparison over `openapi_dir`: `sources` as loaded, `doc` the merged document.
pub fn measure(
    api: &crate::api::Api,
    openapi_dir: &Path,
    sources: &Sources,
    doc: &Value,
) -> crate::Result<Agreement> {
    let mut out = Agreement::default();
    let mut all_facts = Vec::new();
    for src in &sources.imported {
        all_facts.push(load_facts(openapi_dir, &src.rel)?);
    }
    let pool = infer::Pool::from_facts(&all_facts).with_v1_examples(openapi_dir)?;
    let merged_ops: BTreeMap<&str, &Value> = crate::operations(doc)
        .filter_map(|(_, _, op)| Some((op.get("operationId")?.as_str()?, op)))
        .collect();
    for src in &sources.imported {
        let facts = load_facts(openapi_dir, &src.rel)?;
        let hand_typed = |id: &str| {
            merged_ops
                .get(crate::naming::v2_operation_id(id).as_str())
                .is_some_and(|op| {
                    op.get("x-typed-by")
                        .and_then(Value::as_str)
                        .is_some_and(|f| f.starts_with("types/v2/"))
                })
        };
        for (_, _, op) in crate::operations(&src.doc) {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            if !hand_typed(id) {
                continue;
            }
            let mut schemas = Map::new();
            let overlay =
                infer::infer_operation(api, id, op, &facts, &pool, &src.doc, &mut schemas);
            // As if no overlay existed: the page's own components are what its references mean.
            for (k, v) in src
                .doc
                .pointer("/components/schemas")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                schemas.entry(k.clone()).or_insert_with(|| v.clone());
            }
            let inferred_op = apply(api, op, overlay.as_ref());
            let names: BTreeSet<String> = schemas.keys().cloned().collect();
            let mut lookup = doc.clone();
            if let Some(target) = lookup
                .pointer_mut("/components/schemas")
                .and_then(Value::as_object_mut)
            {
                for (k, v) in schemas {
                    target.insert(format!("{k}~inferred"), v);
                }
            }
            let inferred_op = rename_refs(inferred_op, &names);
            let truth = fields(doc, merged_ops[crate::naming::v2_operation_id(id).as_str()]);
            let guess = fields(&lookup, &inferred_op);
            let mut matched = 0;
            let mut misses = Vec::new();
            for (k, a) in &truth {
                match guess.get(k) {
                    Some(b) if a == b => matched += 1,
                    Some(b) => misses.push(format!("{k}: hand {} / inferred {}", show(a), show(b))),
                    None => misses.push(format!("{k}: not inferred")),
                }
            }
            let (names, paths) = shown_on_page(&facts, &src.doc);
            let shown: Vec<&String> = truth
                .keys()
                .filter(|k| names.contains(last_name(k)) || paths.contains(&example_path(k)))
                .collect();
            let unfound: Vec<String> = shown
                .iter()
                .filter(|k| !guess.contains_key(**k))
                .map(|k| k.to_string())
                .collect();
            out.shown
                .insert(id.to_string(), (shown.len() - unfound.len(), shown.len()));
            out.shown_misses.insert(id.to_string(), unfound);
            let extra = guess.keys().filter(|k| !truth.contains_key(*k)).count();
            out.shared += truth.keys().filter(|k| guess.contains_key(*k)).count();
            out.extra += extra;
            out.operations
                .insert(id.to_string(), (matched, truth.len()));
            out.misses.insert(id.to_string(), misses);
        }
    }
    Ok(out)
}

/// The name a field path ends in: `reply.accounts[].joined` -> `joined`, `path.serverId` ->
/// `serverId`.
fn last_name(path: &str) -> &str {
    let path = path.trim_end_matches("[]");
    path.rsplit('.')
        .next()
        .unwrap_or(path)
        .trim_end_matches("[]")
}

/// A field path as an example shows it: `reply.accounts[].joined` -> `accounts.joined`,
/// `body.record.id` -> `record.id` (parameters keep their `path.`/`query.` prefix and so
/// never match an example).
fn example_path(field: &str) -> String {
    let rest = field
        .strip_prefix("reply")
        .or_else(|| field.strip_prefix("body"))
        .map_or(field, |r| r);
    rest.replace("[]", "").trim_start_matches('.').to_string()
}

/// What the page itself shows: the names its tables list (the first cell of each row), its
/// prose quotes and its OpenAPI block (`doc`) gives as parameters or properties; and the
/// paths of its JSON examples and of the examples in its block (`a.b.c`, arrays looked
/// through). A field of an example counts only at its place: a `type` at the top of a reply
/// does not show a `type` inside its `sections`.
fn shown_on_page(facts: &PageFacts, doc: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    fn paths(v: &Value, at: &str, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    let here = if at.is_empty() {
                        k.clone()
                    } else {
                        format!("{at}.{k}")
                    };
                    out.insert(here.clone());
                    paths(v, &here, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|v| paths(v, at, out)),
            _ => {}
        }
    }
    fn block(v: &Value, names: &mut BTreeSet<String>, shown: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    match k.as_str() {
                        "example" => paths(v, "", shown),
                        "examples" => {
                            for e in v.as_object().into_iter().flatten().map(|(_, e)| e) {
                                paths(e.get("value").unwrap_or(e), "", shown);
                            }
                        }
                        "properties" => {
                            names.extend(
                                v.as_object().into_iter().flatten().map(|(k, _)| k.clone()),
                            );
                            block(v, names, shown);
                        }
                        "parameters" => {
                            for p in v.as_array().into_iter().flatten() {
                                if let Some(n) = p.get("name").and_then(Value::as_str) {
                                    names.insert(n.to_string());
                                }
                            }
                            block(v, names, shown);
                        }
                        _ => block(v, names, shown),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|v| block(v, names, shown)),
            _ => {}
        }
    }
    let mut names = BTreeSet::new();
    let mut shown = BTreeSet::new();
    for s in &facts.samples {
        paths(&s.json, "", &mut shown);
    }
    for t in &facts.tables {
        for row in &t.rows {
            if let Some(first) = row.first() {
                let name = crate::page::unquote(first);
                // `a.b[].c` names `c` as much as the path.
                names.extend(
                    name.split('.')
                        .map(|p| p.trim_end_matches("[]").to_string()),
                );
            }
        }
    }
    for n in &facts.notes {
        names.extend(n.names().into_iter().map(str::to_string));
    }
    block(doc, &mut names, &mut shown);
    (names, shown)
}

fn show(f: &Field) -> String {
    let mut s = f.ty.clone();
    if f.required {
        s.push_str(" required");
    }
    if let Some(e) = &f.enumeration {
        s.push_str(&format!(" enum{e:?}"));
    }
    s
}

/// The facts the importer kept for the page of imported file `rel` (`v2/...yaml`).
pub fn load_facts(openapi_dir: &Path, rel: &str) -> crate::Result<PageFacts> {
    let file = format!("{PAGES_DIR}/{}", rel.trim_start_matches("v2/"));
    let path = openapi_dir.join(&file);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(PageFacts::default()),
        Err(e) => return Err(crate::Error::io(Path::new(&file), &e)),
    };
    serde_yaml_ng::from_str(&text).map_err(|e| {
        crate::Error::one(
            crate::Problem::new(
                &file,
                format!("invalid page facts: {e}; re-run `cargo xtask import-docs`"),
            )
            .line(e.location().map(|l| l.line())),
        )
    })
}

/// The imported operation with an inferred overlay applied the way the merge applies one.
fn apply(api: &crate::api::Api, op: &Value, overlay: Option<&Value>) -> Value {
    let mut op = op.clone();
    let Some(overlay) = overlay.and_then(Value::as_object) else {
        return op;
    };
    for (k, v) in overlay {
        match k.as_str() {
            "parameters" => op["parameters"] = v.clone(),
            "responses" => {
                for (code, r) in v.as_object().into_iter().flatten() {
                    let mut r = r.clone();
                    crate::merge::wrap_reply(api, code, &mut r);
                    op["responses"][code] = r;
                }
            }
            _ => op[k] = v.clone(),
        }
    }
    op
}

/// Inferred schemas live under `Name~inferred` in the lookup document so that they never
/// shadow a hand-written schema of the same name.
/// Only references to the inferred schemas (`names`) are renamed: the reply envelope's own
/// schemas are the merged document's.
fn rename_refs(mut v: Value, names: &BTreeSet<String>) -> Value {
    fn walk(v: &mut Value, names: &BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get_mut("$ref")
                    && r.strip_prefix("#/components/schemas/")
                        .is_some_and(|n| names.contains(n))
                {
                    r.push_str("~inferred");
                }
                m.values_mut().for_each(|v| walk(v, names));
            }
            Value::Array(a) => a.iter_mut().for_each(|v| walk(v, names)),
            _ => {}
        }
    }
    walk(&mut v, names);
    v
}

/// Every field of an operation: `path.x` / `query.x` parameters, `body...` and `reply...`.
fn fields(doc: &Value, op: &Value) -> BTreeMap<String, Field> {
    let mut out = BTreeMap::new();
    for p in op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(name), Some(loc)) = (
            p.get("name").and_then(Value::as_str),
            p.get("in").and_then(Value::as_str),
        ) else {
            continue;
        };
        if let Some(s) = p.get("schema") {
            let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
            walk(
                doc,
                s,
                &format!("{loc}.{name}"),
                required,
                &mut out,
                &mut Vec::new(),
            );
        }
    }
    if let Some(s) = op.pointer("/requestBody/content/application~1json/schema") {
        walk(doc, s, "body", true, &mut out, &mut Vec::new());
    }
    if let Some(responses) = op.get("responses").and_then(Value::as_object)
        && let Some(s) = responses
            .iter()
            .filter(|(c, _)| c.starts_with('2'))
            .find_map(|(_, r)| r.pointer("/content/application~1json/schema"))
    {
        walk(doc, s, "reply", true, &mut out, &mut Vec::new());
    }
    out
}

/// Records the field at `at` and its subfields. A schema reached again through a reference
/// already being walked (a recursive tree) is recorded but not unrolled again.
fn walk(
    doc: &Value,
    schema: &Value,
    at: &str,
    required: bool,
    out: &mut BTreeMap<String, Field>,
    stack: &mut Vec<String>,
) {
    let s = crate::resolve_ref(doc, schema);
    let ty = type_of(doc, s);
    let enumeration = s
        .get("enum")
        .and_then(Value::as_array)
        .map(|e| e.iter().map(Value::to_string).collect());
    out.insert(
        at.to_string(),
        Field {
            ty: ty.clone(),
            required,
            enumeration,
        },
    );
    let refs = |v: &Value| v.get("$ref").and_then(Value::as_str).map(str::to_string);
    let mut children = |node: &Value, prefix: String, stack: &mut Vec<String>| {
        let own = refs(node);
        if own.as_ref().is_some_and(|r| stack.contains(r)) || stack.len() > 16 {
            return;
        }
        stack.extend(own.clone());
        let (props, req) = properties(doc, node);
        for (name, p) in &props {
            walk(
                doc,
                p,
                &format!("{prefix}.{name}"),
                req.contains(name),
                out,
                stack,
            );
        }
        if own.is_some() {
            stack.pop();
        }
    };
    children(schema, at.to_string(), stack);
    if ty == "array"
        && let Some(items) = s.get("items")
    {
        children(items, format!("{at}[]"), stack);
    }
}

/// Properties and required names of an object schema, through `allOf`.
fn properties(doc: &Value, s: &Value) -> (Vec<(String, Value)>, BTreeSet<String>) {
    let mut props = Vec::new();
    let mut req = BTreeSet::new();
    let s = crate::resolve_ref(doc, s);
    for part in s
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (p, r) = properties(doc, part);
        props.extend(p);
        req.extend(r);
    }
    for (k, v) in s
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        props.push((k.clone(), v.clone()));
    }
    for r in s
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(r) = r.as_str() {
            req.insert(r.to_string());
        }
    }
    (props, req)
}

fn type_of(doc: &Value, s: &Value) -> String {
    let s = crate::resolve_ref(doc, s);
    if let Some(t) = s.get("type").and_then(Value::as_str) {
        return t.to_string();
    }
    if let Some(parts) = s.get("allOf").and_then(Value::as_array) {
        // `allOf: [$ref]` (a reference with a description beside it) is that reference.
        return match parts.as_slice() {
            [one] => type_of(doc, one),
            _ => "object".into(),
        };
    }
    for k in ["oneOf", "anyOf"] {
        if let Some(parts) = s.get(k).and_then(Value::as_array) {
            let mut kinds: Vec<String> = parts.iter().map(|p| type_of(doc, p)).collect();
            kinds.sort();
            kinds.dedup();
            return kinds.join("|");
        }
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        return if e.iter().all(Value::is_i64) {
            "integer".into()
        } else {
            "string".into()
        };
    }
    "open".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_shows_example_fields_at_their_place_and_named_fields_anywhere() {
        let facts = crate::page::facts(
            "## Request Body\n\n| Property | Type | Required | Description |\n| --- | --- | --- | --- |\n\
             | `record.id` | integer | Yes | Id. |\n\n## Response\n\n```json\n\
             {\"type\": 9, \"sections\": [{\"label\": \"A\"}]}\n```\n",
        );
        let doc = serde_json::json!({"paths": {"/x": {"get": {"parameters": [{"name": "serverId", "in": "path"}]}}}});
        let (names, paths) = shown_on_page(&facts, &doc);
        let shown = |k: &str| names.contains(last_name(k)) || paths.contains(&example_path(k));
        assert!(shown("reply.sections[].label"));
        assert!(shown("reply.type"));
        assert!(
            !shown("reply.sections[].fields[].type"),
            "a `type` elsewhere does not show this one"
        );
        assert!(shown("body.record.id") && shown("path.serverId"));
        assert!(!shown("body.record.name"));
    }
}
