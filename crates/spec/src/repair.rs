//! The repairs the docs' embedded YAML needs, as one table: each entry says what it fixes
//! and why. They apply to imported files (`openapi/<api>/v2/`) only; hand-written files are
//! expected to be right.

use crate::index::PageEntry;
use serde_json::Value;

pub struct Repair {
    pub id: &'static str,
    pub reason: &'static str,
    pub fix: Fix,
}

#[derive(Debug)]
pub enum Fix {
    /// Rewrites the raw text before it is parsed; `None` when nothing needed fixing.
    Text(fn(&str) -> Option<String>),
    /// Rewrites the parsed document; returns how many places it changed.
    Value(fn(&mut Value, &PageEntry) -> usize),
}

impl std::fmt::Debug for Repair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repair")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

pub const REPAIRS: &[Repair] = &[
    Repair {
        id: "quote-template-keys",
        reason: "send-draft's example uses `{{plate}}:` as a key; unquoted, YAML reads `{{plate}}` as a \
                 flow mapping, which cannot be a key, so the whole file fails to parse. The docs' own \
                 generator pre-quotes these keys the same way.",
        fix: Fix::Text(quote_template_keys),
    },
    Repair {
        id: "null-security-requirement",
        reason: "69 operations write `security: [{bearerAuth: }]`, i.e. a null scope list; OpenAPI \
                 requires a list (`[]`). The intent, bearer auth with no scopes, is kept.",
        fix: Fix::Value(null_security_requirement),
    },
    Repair {
        id: "security-scheme-name",
        reason: "newer pages name the bearer scheme in other casings (`BearerAuth`); the merged \
                 document has one scheme, `bearerAuth`, and every requirement must name it.",
        fix: Fix::Value(security_scheme_name),
    },
    Repair {
        id: "documented-query-defaults",
        reason: "get-calls, get-active-units, get-account-units and get-accounts mark query parameters \
                 `required: true` although their tables give defaults; a parameter with a default is \
                 optional, and the default is recorded in its schema.",
        fix: Fix::Value(documented_query_defaults),
    },
];

fn quote_template_keys(text: &str) -> Option<String> {
    let mut changed = false;
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        let rest = &line[indent..];
        if rest.starts_with("{{")
            && let Some(end) = rest.find("}}:")
        {
            let key = &rest[..end + 2];
            out.push_str(&line[..indent]);
            out.push('"');
            out.push_str(key);
            out.push('"');
            out.push_str(&rest[end + 2..]);
            changed = true;
            continue;
        }
        out.push_str(line);
    }
    changed.then_some(out)
}

/// Every operation object of a document, with its path and method.
pub(crate) fn operations_mut(doc: &mut Value) -> impl Iterator<Item = &mut Value> {
    doc.get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(Value::as_object_mut)
        .flat_map(|item| {
            item.iter_mut()
                .filter(|(k, _)| crate::METHODS.contains(&k.as_str()))
                .map(|(_, v)| v)
        })
}

fn null_security_requirement(doc: &mut Value, _: &PageEntry) -> usize {
    let mut n = 0;
    for op in operations_mut(doc) {
        for req in op
            .get_mut("security")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            for scopes in req.as_object_mut().into_iter().flat_map(|m| m.values_mut()) {
                if scopes.is_null() {
                    *scopes = Value::Array(vec![]);
                    n += 1;
                }
            }
        }
    }
    n
}

fn security_scheme_name(doc: &mut Value, _: &PageEntry) -> usize {
    let mut n = 0;
    for op in operations_mut(doc) {
        for req in op
            .get_mut("security")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            let Some(map) = req.as_object_mut() else {
                continue;
            };
            let odd: Vec<String> = map
                .keys()
                .filter(|k| k.eq_ignore_ascii_case("bearerAuth") && *k != "bearerAuth")
                .cloned()
                .collect();
            for k in odd {
                let scopes = map.remove(&k).unwrap_or(Value::Array(vec![]));
                map.insert("bearerAuth".into(), scopes);
                n += 1;
            }
        }
    }
    n
}

fn documented_query_defaults(doc: &mut Value, page: &PageEntry) -> usize {
    let mut n = 0;
    for op in operations_mut(doc) {
        for param in op
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if param.get("in").and_then(Value::as_str) != Some("query") {
                continue;
            }
            let Some(name) = param.get("name").and_then(Value::as_str) else {
                continue;
            };
            let Some(default) = page.query_defaults.get(name) else {
                continue;
            };
            let ty = param
                .pointer("/schema/type")
                .and_then(Value::as_str)
                .unwrap_or("string");
            let typed = match ty {
                "integer" => default.parse::<i64>().ok().map(Value::from),
                "number" => default.parse::<f64>().ok().map(Value::from),
                "boolean" => default.parse::<bool>().ok().map(Value::from),
                _ => Some(Value::from(default.as_str())),
            };
            let Some(typed) = typed else { continue };
            param["required"] = Value::Bool(false);
            if let Some(schema) = param.get_mut("schema").and_then(Value::as_object_mut) {
                schema.insert("default".into(), typed);
            }
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn template_keys_are_quoted_and_other_lines_kept() {
        let text = "replaceValues:\n  {{plate}}: \"ABC123\"\n  other: 1\n";
        let fixed = quote_template_keys(text).unwrap();
        assert_eq!(
            fixed,
            "replaceValues:\n  \"{{plate}}\": \"ABC123\"\n  other: 1\n"
        );
        assert_eq!(quote_template_keys("a: 1\n"), None);
    }

    #[test]
    fn null_scopes_become_empty_lists() {
        let mut doc = json!({"paths": {"/x": {"get": {"security": [{"bearerAuth": null}]}}}});
        let page = PageEntry {
            file: "x.yaml".into(),
            docs_page: "x.md".into(),
            rate_limit_per_minute: None,
            query_defaults: Default::default(),
            operations: vec![],
        };
        assert_eq!(null_security_requirement(&mut doc, &page), 1);
        assert_eq!(
            doc.pointer("/paths/~1x/get/security/0/bearerAuth"),
            Some(&json!([]))
        );
    }

    #[test]
    fn documented_defaults_make_query_parameters_optional() {
        let mut doc = json!({"paths": {"/x": {"get": {"parameters": [
            {"name": "limit", "in": "query", "required": true, "schema": {"type": "integer"}},
            {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}
        ]}}}});
        let page = PageEntry {
            file: "x.yaml".into(),
            docs_page: "x.md".into(),
            rate_limit_per_minute: None,
            query_defaults: [("limit".to_string(), "100".to_string())].into(),
            operations: vec![],
        };
        assert_eq!(documented_query_defaults(&mut doc, &page), 1);
        let p = &doc["paths"]["/x"]["get"]["parameters"];
        assert_eq!(p[0]["required"], false);
        assert_eq!(p[0]["schema"]["default"], 100);
        assert_eq!(p[1]["required"], true);
    }
}
