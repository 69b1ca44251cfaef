//! The docs' older page format: GitBook API blocks.
//!
//! ```text
//! {% swagger method="get" path="/v2/general/version" baseUrl="https://api.sonorancad.com" summary="Get Version" %}
//! {% swagger-description %} ... {% endswagger-description %}
//! {% swagger-parameter in="query" name="limit" type="integer" required="false" %} ... {% endswagger-parameter %}
//! {% swagger-response status="200: OK" description="..." %} ```json ... ``` {% endswagger-response %}
//! {% endswagger %}
//! ```
//!
//! Each block becomes one operation of an OpenAPI 3.0.3 document, so that the rest of the
//! import treats both formats alike. The operationId is the summary in camelCase (the newer
//! pages' convention). Blocks of paths outside `/v2` (local endpoints) are not v2 operations.

use crate::import::Block;
use serde_json::{Map, Value, json};

/// The OpenAPI block of a swagger-format page of `api`; `None` when it has no `/v2` swagger block;
/// `Err((line, message))` when a block is malformed.
pub fn to_openapi(api: &crate::api::Api, markdown: &str) -> Result<Option<Block>, (usize, String)> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut paths: Map<String, Value> = Map::new();
    let mut first_line = None;
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim();
        if !t.starts_with("{% swagger ") {
            i += 1;
            continue;
        }
        let start = i + 1;
        let attrs = attributes(t).map_err(|m| (start, m))?;
        let (Some(method), Some(path)) = (attrs.get("method"), attrs.get("path")) else {
            return Err((start, "a swagger block needs `method` and `path`".into()));
        };
        let path = path.trim_start_matches(':').to_string();
        let summary = attrs.get("summary").cloned().unwrap_or_default();
        let end = (i..lines.len())
            .find(|&j| lines[j].trim() == "{% endswagger %}")
            .ok_or((
                start,
                "this swagger block is never closed ({% endswagger %})".to_string(),
            ))?;
        let body = &lines[i + 1..end];
        i = end + 1;
        if !path.starts_with("/v2/") {
            continue;
        }
        first_line.get_or_insert(start);
        let op = operation(&summary, body).map_err(|(n, m)| (start + 1 + n, m))?;
        paths
            .entry(path)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("a path item")
            .insert(method.to_ascii_lowercase(), op);
    }
    let Some(line) = first_line else {
        return Ok(None);
    };
    let doc = json!({
        "openapi": "3.0.3",
        "info": { "title": format!("{} v2", api.product), "version": "1.0.0" },
        "servers": [{ "url": api.production_url }],
        "paths": paths,
    });
    Ok(Some(Block {
        text: serde_yaml_ng::to_string(&doc).expect("plain data"),
        line,
        closed: true,
    }))
}

fn operation(summary: &str, body: &[&str]) -> Result<Value, (usize, String)> {
    let mut op = Map::new();
    op.insert("summary".into(), Value::from(summary));
    op.insert(
        "operationId".into(),
        Value::from(crate::naming::camel_case(summary)),
    );
    let mut params = Vec::new();
    let mut props = Map::new();
    let mut required = Vec::new();
    let mut responses = Map::new();
    let mut i = 0;
    while i < body.len() {
        let t = body[i].trim();
        let tag = |name: &str| t.starts_with(&format!("{{% {name}"));
        let close = |name: &str| {
            (i..body.len())
                .find(|&j| body[j].trim().starts_with(&format!("{{% end{name}")))
                .ok_or((i, format!("`{name}` is never closed")))
        };
        if tag("swagger-description") {
            let end = close("swagger-description")?;
            let text = body[i + 1..end].join("\n").trim().to_string();
            if !text.is_empty() {
                op.insert("description".into(), Value::from(text));
            }
            i = end + 1;
        } else if tag("swagger-parameter") {
            let end = close("swagger-parameter")?;
            let a = attributes(t).map_err(|m| (i, m))?;
            let name = a
                .get("name")
                .cloned()
                .ok_or((i, "a parameter needs `name`".to_string()))?;
            let location = a.get("in").map(String::as_str).unwrap_or("body");
            let ty = a
                .get("type")
                .map(|t| t.to_ascii_lowercase())
                .unwrap_or_else(|| "string".into());
            let schema =
                crate::infer::table_type(&ty).unwrap_or_else(|| json!({ "type": "string" }));
            let is_required = a.get("required").is_some_and(|r| r == "true");
            let description = body[i + 1..end].join("\n").trim().to_string();
            if location == "body" {
                let mut s = schema;
                if !description.is_empty() {
                    s["description"] = Value::from(description);
                }
                props.insert(name.clone(), s);
                if is_required {
                    required.push(Value::from(name));
                }
            } else {
                let mut p = json!({
                    "name": name,
                    "in": location,
                    "required": is_required || location == "path",
                    "schema": schema,
                });
                if !description.is_empty() {
                    p["description"] = Value::from(description);
                }
                params.push(p);
            }
            i = end + 1;
        } else if tag("swagger-response") {
            let end = close("swagger-response")?;
            let a = attributes(t).map_err(|m| (i, m))?;
            let status = a.get("status").map(String::as_str).unwrap_or("200");
            let code: String = status.chars().take_while(char::is_ascii_digit).collect();
            if code.is_empty() {
                return Err((i, format!("response status `{status}` has no code")));
            }
            let description = a
                .get("description")
                .filter(|d| !d.is_empty())
                .cloned()
                .unwrap_or_else(|| "Successful response".into());
            let inner = body[i + 1..end].join("\n");
            let example = inner
                .split("```")
                .nth(1)
                .map(|f| f.trim_start_matches("json").trim())
                .and_then(|f| serde_json::from_str::<Value>(f).ok());
            let mut r = json!({ "description": description });
            if let Some(example) = example {
                r["content"] = json!({ "application/json": { "schema": { "type": "object" }, "example": example } });
            }
            responses.insert(code, r);
            i = end + 1;
        } else {
            i += 1;
        }
    }
    if !params.is_empty() {
        op.insert("parameters".into(), Value::Array(params));
    }
    if !props.is_empty() {
        let mut schema = json!({ "type": "object", "properties": props });
        if !required.is_empty() {
            schema["required"] = Value::Array(required);
        }
        op.insert(
            "requestBody".into(),
            json!({ "required": true, "content": { "application/json": { "schema": schema } } }),
        );
    }
    if responses.is_empty() {
        responses.insert(
            "200".into(),
            json!({ "description": "Successful response" }),
        );
    }
    op.insert("responses".into(), Value::Object(responses));
    op.insert("security".into(), json!([{ "bearerAuth": [] }]));
    Ok(Value::Object(op))
}

/// `key="value"` pairs of a `{% tag ... %}` line.
pub(crate) fn attributes(line: &str) -> Result<std::collections::BTreeMap<String, String>, String> {
    let mut out = std::collections::BTreeMap::new();
    let mut rest = line;
    while let Some(eq) = rest.find("=\"") {
        let key = rest[..eq]
            .rsplit(|c: char| c.is_whitespace())
            .next()
            .unwrap_or("")
            .to_string();
        let after = &rest[eq + 2..];
        let close = after
            .find('"')
            .ok_or_else(|| format!("unterminated attribute `{key}`"))?;
        out.insert(key, after[..close].to_string());
        rest = &after[close + 1..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_swagger_block_becomes_an_operation() {
        let md = "# X\n\n{% swagger method=\"get\" path=\"/v2/general/version\" baseUrl=\"https://api.sonorancad.com\" summary=\"Get Version\" %}\n\
                  {% swagger-description %}\nThe version.\n{% endswagger-description %}\n\
                  {% swagger-parameter in=\"query\" name=\"limit\" type=\"integer\" %}\nMax.\n{% endswagger-parameter %}\n\
                  {% swagger-response status=\"200: OK\" description=\"ok\" %}\n```json\n{\"version\": 3}\n```\n{% endswagger-response %}\n{% endswagger %}\n";
        let block = to_openapi(&crate::api::CAD, md).unwrap().unwrap();
        assert_eq!(block.line, 3);
        let doc: Value = serde_yaml_ng::from_str(&block.text).unwrap();
        let op = &doc["paths"]["/v2/general/version"]["get"];
        assert_eq!(op["operationId"], "getVersion");
        assert_eq!(op["parameters"][0]["schema"]["type"], "integer");
        assert_eq!(
            op["responses"]["200"]["content"]["application/json"]["example"]["version"],
            3
        );
    }

    #[test]
    fn local_endpoints_are_no_v2_operations_and_broken_blocks_are_errors() {
        let local = "{% swagger baseUrl=\"http://localhost\" path=\":9990/lighting\" method=\"post\" summary=\"Set\" %}\n{% endswagger %}\n";
        assert_eq!(to_openapi(&crate::api::CAD, local).unwrap(), None);
        let open = "\n{% swagger method=\"get\" path=\"/v2/x\" summary=\"X\" %}\n";
        assert_eq!(to_openapi(&crate::api::CAD, open).unwrap_err().0, 2);
    }
}
