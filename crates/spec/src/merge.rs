//! Everything under `openapi/` into one OpenAPI 3.0.3 document.
//!
//! Order of precedence: imported operations are the base; typed overlays replace parts of
//! them; hand-written component schemas replace imported ones of the same name. Output is
//! sorted (paths, schemas) so that the same inputs always give the same bytes.

use crate::METHODS;
use crate::api::Api;
use crate::error::{Error, Problem};
use crate::load::{Source, Sources};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Where each merged piece came from, so that later checks can name the file at fault.
#[derive(Debug, Default)]
pub struct Origins {
    /// (path, method) -> file.
    pub operations: BTreeMap<(String, String), String>,
    /// schema name -> file.
    pub schemas: BTreeMap<String, String>,
}

pub fn merge(api: &Api, sources: &Sources) -> Result<(Value, Origins), Error> {
    let mut problems = Vec::new();
    let mut origins = Origins::default();
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut imported_schemas: BTreeMap<String, (Value, String)> = BTreeMap::new();
    let mut hand_schemas: BTreeMap<String, (Value, String)> = BTreeMap::new();

    // Two pages may each define a schema of the same name with different shapes (every
    // newer page carries its own `components`): those names are qualified by the page's
    // first operation, references included, so neither page's meaning changes.
    let mut shapes: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for src in &sources.imported {
        for (name, schema) in schemas_of(&src.doc) {
            let seen = shapes.entry(name.as_str()).or_default();
            if !seen.contains(&schema) {
                seen.push(schema);
            }
        }
    }
    let clashing: std::collections::BTreeSet<String> = shapes
        .into_iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(k, _)| k.to_string())
        .collect();
    let imported: Vec<Source> = sources
        .imported
        .iter()
        .map(|src| qualify_schemas(src, &clashing))
        .collect();

    for src in &imported {
        let page = src
            .page
            .as_ref()
            .expect("imported files carry their index entry");
        add_paths(src, &mut paths, &mut origins, &mut problems, |op| {
            if let Some(docs_id) = op
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_string)
            {
                let id = crate::naming::v2_operation_id(&docs_id);
                if id != docs_id {
                    op.insert("operationId".into(), Value::from(id));
                    op.insert(crate::naming::DOCS_ID.into(), Value::from(docs_id));
                }
            }
            op.insert("x-docs-page".into(), Value::from(page.docs_page.as_str()));
            if let Some(limit) = page.rate_limit_per_minute {
                op.insert("x-rate-limit-per-minute".into(), Value::from(limit));
            }
            if !src.repairs.is_empty() {
                op.insert("x-repairs".into(), Value::from(src.repairs.clone()));
            }
        });
        for (name, schema) in schemas_of(&src.doc) {
            match imported_schemas.get(name) {
                Some((existing, file)) if existing != schema => problems.push(
                    Problem::new(
                        &src.rel,
                        format!("schema `{name}` differs from the one in {file}"),
                    )
                    .at(format!("/components/schemas/{name}")),
                ),
                Some(_) => {}
                None => {
                    imported_schemas.insert(name.clone(), (schema.clone(), src.rel.clone()));
                }
            }
        }
    }

    for src in &sources.v1 {
        add_paths(src, &mut paths, &mut origins, &mut problems, |_| {});
    }

    for src in sources
        .components
        .iter()
        .chain(&sources.overlays)
        .chain(&sources.inferred)
        .chain(&sources.v1)
    {
        if sources.components.iter().any(|c| std::ptr::eq(c, src)) {
            for key in src.doc.as_object().into_iter().flat_map(|m| m.keys()) {
                if key != "components" {
                    problems.push(Problem::new(&src.rel, format!("unexpected top-level key `{key}`; a components file holds only `components`")));
                }
            }
        }
        for (name, schema) in schemas_of(&src.doc) {
            if let Some((_, file)) = hand_schemas.get(name) {
                problems.push(
                    Problem::new(
                        &src.rel,
                        format!("schema `{name}` is already defined in {file}"),
                    )
                    .at(format!("/components/schemas/{name}")),
                );
            } else {
                hand_schemas.insert(name.clone(), (schema.clone(), src.rel.clone()));
            }
        }
    }

    for src in &sources.overlays {
        apply_overlay(api, src, &mut paths, &mut problems);
    }
    for src in &sources.inferred {
        apply_overlay(api, src, &mut paths, &mut problems);
    }

    add_error_replies(api, &mut paths);

    let mut schemas = Map::new();
    let mut all: BTreeMap<String, (Value, String)> = imported_schemas;
    all.extend(hand_schemas);
    for (name, schema) in api.envelope.schemas() {
        if let Some((_, file)) = all.get(name) {
            problems.push(
                Problem::new(
                    file,
                    format!("schema `{name}` is the reply envelope's own (sonoran_spec::api); rename this one"),
                )
                .at(format!("/components/schemas/{name}")),
            );
        }
        all.insert(
            name.to_string(),
            (schema, format!("{}/ (reply envelope)", api.openapi_dir())),
        );
    }
    for (name, (schema, file)) in all {
        origins.schemas.insert(name.clone(), file);
        schemas.insert(name, schema);
    }

    let (events, event_schemas) = crate::events::merge(&sources.events, &mut problems);

    if !problems.is_empty() {
        return Err(problems.into());
    }

    let paths: Map<String, Value> = paths
        .into_iter()
        .map(|(p, item)| (p, Value::Object(item)))
        .collect();
    let mut servers = vec![json!({ "url": api.production_url, "description": "Production" })];
    if let Some(url) = api.staging_url {
        servers.push(json!({ "url": url, "description": "Development branch (staging)" }));
    }
    let v1 = if sources.v1.is_empty() {
        ""
    } else {
        " and v1 (POST envelope calls)"
    };
    let doc = json!({
        "openapi": "3.0.3",
        "info": {
            "title": format!("{} API", api.product),
            "version": "2.0.0",
            "description": format!("The {} API, v2 (REST, bearer auth){v1}, \
                            merged by sonoran-rs from the official documentation. Generated by \
                            `cargo xtask regen`; do not edit.", api.product)
        },
        "servers": servers,
        "paths": paths,
        (crate::events::EVENTS_KEY): events,
        "components": {
            "schemas": schemas,
            (crate::events::SCHEMAS_KEY): event_schemas,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The community API key, sent as `Authorization: Bearer <key>`. \
                                    The docs declare `bearerFormat: JWT`, but the token is the plain key."
                }
            }
        }
    });
    Ok((doc, origins))
}

/// Where the API wraps its v2 replies (`api.envelope`), an overlay's success reply schema
/// is the payload: the reply's JSON schema becomes the envelope around it, marked
/// [`Envelope::MARK`](crate::api::Envelope::MARK). The docs' own reply schema (an operation
/// or code no overlay types) describes the whole body and is left as it is.
pub(crate) fn wrap_reply(api: &Api, code: &str, response: &mut Value) {
    if !code.starts_with('2') {
        return;
    }
    let Some(media) = response
        .pointer_mut("/content/application~1json")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let payload = media.get("schema").cloned().unwrap_or_else(|| json!({}));
    if let Some((wrapped, mark)) = api.envelope.wrap(payload) {
        media.insert("schema".into(), wrapped);
        response[crate::api::Envelope::MARK] = Value::from(mark);
    }
}

/// Every v2 operation of an API with an envelope that names no error reply gets the
/// envelope's problem+json one as `default`.
fn add_error_replies(api: &Api, paths: &mut BTreeMap<String, Map<String, Value>>) {
    let Some(error) = api.envelope.error_response() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        if !path.starts_with("/v2/") {
            continue;
        }
        for (method, op) in item.iter_mut() {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            let names_error = responses
                .keys()
                .any(|c| c == "default" || c.starts_with('4') || c.starts_with('5'));
            if !names_error {
                responses.insert("default".into(), error.clone());
            }
        }
    }
}

/// `src` with each of its schemas named in `clashing` renamed `<FirstOperationId><Name>`.
fn qualify_schemas(src: &Source, clashing: &std::collections::BTreeSet<String>) -> Source {
    let own: Vec<String> = schemas_of(&src.doc)
        .map(|(n, _)| n.clone())
        .filter(|n| clashing.contains(n))
        .collect();
    if own.is_empty() {
        return src.clone();
    }
    let prefix = crate::operations(&src.doc)
        .find_map(|(_, _, op)| op.get("operationId").and_then(Value::as_str))
        .map(|id| crate::naming::pascal_case(&crate::naming::v2_operation_id(id)))
        .unwrap_or_else(|| crate::naming::pascal_case(&src.rel.replace(['/', '.'], "_")));
    let mut doc = src.doc.clone();
    let renames: BTreeMap<String, String> = own
        .iter()
        .map(|n| {
            (
                format!("#/components/schemas/{n}"),
                format!("#/components/schemas/{prefix}{n}"),
            )
        })
        .collect();
    fn walk(v: &mut Value, renames: &BTreeMap<String, String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get_mut("$ref")
                    && let Some(new) = renames.get(r.as_str())
                {
                    *r = new.clone();
                }
                m.values_mut().for_each(|v| walk(v, renames));
            }
            Value::Array(a) => a.iter_mut().for_each(|v| walk(v, renames)),
            _ => {}
        }
    }
    walk(&mut doc, &renames);
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for n in &own {
            if let Some(s) = schemas.remove(n) {
                schemas.insert(format!("{prefix}{n}"), s);
            }
        }
    }
    Source { doc, ..src.clone() }
}

fn schemas_of(doc: &Value) -> impl Iterator<Item = (&String, &Value)> {
    doc.pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
}

fn add_paths(
    src: &Source,
    paths: &mut BTreeMap<String, Map<String, Value>>,
    origins: &mut Origins,
    problems: &mut Vec<Problem>,
    decorate: impl Fn(&mut Map<String, Value>),
) {
    let Some(src_paths) = src.doc.get("paths").and_then(Value::as_object) else {
        problems.push(Problem::new(
            &src.rel,
            "no `paths`: an API file describes at least one operation",
        ));
        return;
    };
    for (path, item) in src_paths {
        let Some(item) = item.as_object() else {
            problems.push(Problem::new(
                &src.rel,
                format!("path `{path}` is not a mapping"),
            ));
            continue;
        };
        let merged = paths.entry(path.clone()).or_default();
        for (key, value) in item {
            if !METHODS.contains(&key.as_str()) {
                // Path-level `parameters`, `summary`, ...: kept when they agree.
                if let Some(existing) = merged.get(key) {
                    if existing != value {
                        problems.push(Problem::new(
                            &src.rel,
                            format!("path `{path}` has a `{key}` that differs from another file's"),
                        ));
                    }
                } else {
                    merged.insert(key.clone(), value.clone());
                }
                continue;
            }
            let origin_key = (path.clone(), key.clone());
            if let Some(other) = origins.operations.get(&origin_key) {
                problems.push(Problem::new(
                    &src.rel,
                    format!("{} {path} is also defined in {other}", key.to_uppercase()),
                ));
                continue;
            }
            let Some(mut op) = value.as_object().cloned() else {
                problems.push(Problem::new(
                    &src.rel,
                    format!("{} {path} is not a mapping", key.to_uppercase()),
                ));
                continue;
            };
            decorate(&mut op);
            origins.operations.insert(origin_key, src.rel.clone());
            merged.insert(key.clone(), Value::Object(op));
        }
    }
}

fn find_operation<'a>(
    paths: &'a mut BTreeMap<String, Map<String, Value>>,
    id: &str,
) -> Option<&'a mut Map<String, Value>> {
    paths
        .values_mut()
        .flat_map(|item| item.iter_mut())
        .find_map(|(method, op)| {
            let op = op.as_object_mut()?;
            // An overlay may name the operation as the docs do or as the merge does.
            let named = [op.get("operationId"), op.get(crate::naming::DOCS_ID)]
                .into_iter()
                .any(|v| v.and_then(Value::as_str) == Some(id));
            (METHODS.contains(&method.as_str()) && named).then_some(op)
        })
}

fn apply_overlay(
    api: &Api,
    src: &Source,
    paths: &mut BTreeMap<String, Map<String, Value>>,
    problems: &mut Vec<Problem>,
) {
    for key in src.doc.as_object().into_iter().flat_map(|m| m.keys()) {
        if key != "operations" && key != "components" {
            problems.push(Problem::new(&src.rel, format!("unexpected top-level key `{key}`; an overlay holds `operations` and `components`")));
        }
    }
    let Some(ops) = src.doc.get("operations").and_then(Value::as_object) else {
        problems.push(Problem::new(&src.rel, "no `operations` mapping"));
        return;
    };
    for (id, overlay) in ops {
        let at = format!("/operations/{id}");
        let Some(overlay) = overlay.as_object() else {
            problems.push(Problem::new(&src.rel, "an overlay operation must be a mapping").at(at));
            continue;
        };
        let Some(op) = find_operation(paths, id) else {
            problems.push(
                Problem::new(
                    &src.rel,
                    format!("overlay for `{id}`, but no imported operation has that operationId"),
                )
                .line(src.line_of_key(id))
                .at(at),
            );
            continue;
        };
        if let Some(other) = op.get("x-typed-by").and_then(Value::as_str) {
            problems.push(
                Problem::new(
                    &src.rel,
                    format!("`{id}` is also typed by {other}; an operation has one overlay (delete the inferred draft once a hand-written overlay exists)"),
                )
                .at(at),
            );
            continue;
        }
        for (key, value) in overlay {
            match key.as_str() {
                "operationId" => problems.push(
                    Problem::new(&src.rel, "an overlay cannot rename an operation")
                        .at(format!("{at}/operationId")),
                ),
                "parameters" => merge_parameters(op, value, &src.rel, &at, problems),
                "responses" => {
                    let Some(codes) = value.as_object() else {
                        problems.push(
                            Problem::new(&src.rel, "`responses` must be a mapping")
                                .at(format!("{at}/responses")),
                        );
                        continue;
                    };
                    let target = op.entry("responses").or_insert_with(|| json!({}));
                    if let Some(target) = target.as_object_mut() {
                        for (code, response) in codes {
                            let mut response = response.clone();
                            wrap_reply(api, code, &mut response);
                            target.insert(code.clone(), response);
                        }
                    }
                }
                _ => {
                    op.insert(key.clone(), value.clone());
                }
            }
        }
        op.insert("x-typed-by".into(), Value::from(src.rel.as_str()));
    }
}

fn merge_parameters(
    op: &mut Map<String, Value>,
    overlay: &Value,
    file: &str,
    at: &str,
    problems: &mut Vec<Problem>,
) {
    let Some(given) = overlay.as_array() else {
        problems
            .push(Problem::new(file, "`parameters` must be a list").at(format!("{at}/parameters")));
        return;
    };
    let params = op.entry("parameters").or_insert_with(|| json!([]));
    let Some(params) = params.as_array_mut() else {
        return;
    };
    for (i, p) in given.iter().enumerate() {
        let (Some(name), Some(location)) = (
            p.get("name").and_then(Value::as_str),
            p.get("in").and_then(Value::as_str),
        ) else {
            problems.push(
                Problem::new(file, "a parameter needs `name` and `in`")
                    .at(format!("{at}/parameters/{i}")),
            );
            continue;
        };
        let same = |q: &Value| {
            q.get("name").and_then(Value::as_str) == Some(name)
                && q.get("in").and_then(Value::as_str) == Some(location)
        };
        match params.iter_mut().find(|q| same(q)) {
            Some(existing) => *existing = p.clone(),
            None => params.push(p.clone()),
        }
    }
}
