//! Checks on the merged document. Every problem names the file the piece came from.

use crate::METHODS;
use crate::error::{Error, Problem};
use crate::merge::Origins;
use serde_json::Value;
use std::collections::BTreeMap;

pub fn validate(api: &crate::api::Api, doc: &Value, origins: &Origins) -> Result<(), Error> {
    let merged = format!("{}.openapi.json", api.crate_name);
    let mut problems = Vec::new();
    let mut ids: BTreeMap<&str, String> = BTreeMap::new();

    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            let file = origins
                .operations
                .get(&(path.clone(), method.clone()))
                .cloned()
                .unwrap_or_else(|| merged.clone());
            let at = format!("{} {path}", method.to_uppercase());
            let problem = |msg: String| Problem::new(&file, msg).at(at.clone());

            match op.get("operationId").and_then(Value::as_str) {
                None => problems.push(problem("operation has no operationId".into())),
                Some(id) => {
                    if let Some(other) = ids.insert(id, file.clone()) {
                        problems.push(problem(format!(
                            "operationId `{id}` is also used in {other}"
                        )));
                    }
                    check_operation(path, item, op, id, &mut |m| problems.push(problem(m)));
                }
            }
            if let Err(e) = serde_json::from_value::<openapiv3::Operation>(op.clone()) {
                problems.push(problem(format!("not a valid OpenAPI operation: {e}")));
            }
        }
    }

    for (name, schema) in doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let Err(e) = serde_json::from_value::<openapiv3::Schema>(schema.clone()) {
            let file = origins.schemas.get(name).cloned().unwrap_or_default();
            problems.push(Problem::new(
                file,
                format!("schema `{name}` is not a valid OpenAPI schema: {e}"),
            ));
        }
    }

    for (name, schema) in doc
        .pointer("/components")
        .and_then(|c| c.get(crate::events::SCHEMAS_KEY))
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let Err(e) = serde_json::from_value::<openapiv3::Schema>(schema.clone()) {
            problems.push(Problem::new(
                "events/",
                format!("push-event schema `{name}` is not a valid OpenAPI schema: {e}"),
            ));
        }
    }

    check_refs(
        doc,
        doc,
        &mut String::new(),
        origins,
        &merged,
        &mut problems,
    );

    if problems.is_empty()
        && let Err(e) = serde_json::from_value::<openapiv3::OpenAPI>(doc.clone())
    {
        problems.push(Problem::new(
            &merged,
            format!("not a valid OpenAPI 3.0 document: {e}"),
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.into())
    }
}

fn check_operation(path: &str, item: &Value, op: &Value, id: &str, report: &mut dyn FnMut(String)) {
    let responses = op.get("responses").and_then(Value::as_object);
    if !responses.is_some_and(|r| r.keys().any(|c| c.starts_with('2'))) {
        report("no success (2xx) response".into());
    }
    let declared = |name: &str| {
        [op.get("parameters"), item.get("parameters")]
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten()
            .any(|p| {
                p.get("in").and_then(Value::as_str) == Some("path")
                    && p.get("name").and_then(Value::as_str) == Some(name)
            })
    };
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let name = &rest[start + 1..start + len];
        if !declared(name) {
            report(format!("path parameter `{name}` is not declared"));
        }
        rest = &rest[start + len..];
    }
    if path.starts_with("/v2/") {
        if op.get("x-docs-page").is_none() {
            report("v2 operation without `x-docs-page`".into());
        }
        return;
    }
    // A v1 call.
    if !id.ends_with("V1") {
        report(format!("v1 operationId `{id}` must end in `V1`"));
    }
    if op.get("x-docs-page").and_then(Value::as_str).is_none()
        && op.get("deprecated") != Some(&Value::Bool(true))
    {
        report("v1 operation without `x-docs-page`".into());
    }
    let v1_type = op.get("x-v1-type").and_then(Value::as_str);
    if let Some(types) = op
        .pointer("/requestBody/content/application~1json/schema/properties/type/enum")
        .and_then(Value::as_array)
    {
        match v1_type {
            None => report("v1 envelope operation without `x-v1-type`".into()),
            Some(t) if !types.iter().any(|v| v == t) => report(format!(
                "`x-v1-type` {t} is not among the envelope's `type` values {types:?}"
            )),
            Some(_) => {}
        }
    }
}

fn check_refs(
    doc: &Value,
    node: &Value,
    pointer: &mut String,
    origins: &Origins,
    merged: &str,
    problems: &mut Vec<Problem>,
) {
    match node {
        Value::Object(map) => {
            if let Some(r) = map.get("$ref").and_then(Value::as_str) {
                let resolved = r
                    .strip_prefix('#')
                    .map(|p| doc.pointer(p).is_some())
                    .unwrap_or(false);
                if !resolved {
                    problems.push(
                        Problem::new(
                            origin_of(pointer, origins, merged),
                            format!("`$ref: {r}` does not resolve"),
                        )
                        .at(pointer.clone()),
                    );
                }
            }
            for (k, v) in map {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&k.replace('~', "~0").replace('/', "~1"));
                check_refs(doc, v, pointer, origins, merged, problems);
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                check_refs(doc, v, pointer, origins, merged, problems);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// The file a JSON pointer into the merged document came from.
fn origin_of(pointer: &str, origins: &Origins, merged: &str) -> String {
    let parts: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|p| p.replace("~1", "/").replace("~0", "~"))
        .collect();
    match parts.as_slice() {
        [first, path, method, ..] if first == "paths" => origins
            .operations
            .get(&(path.clone(), method.clone()))
            .cloned()
            .unwrap_or_default(),
        [first, second, name, ..] if first == "components" && second == "schemas" => {
            origins.schemas.get(name).cloned().unwrap_or_default()
        }
        _ => merged.to_string(),
    }
}
