//! The npm package's operation and schema tables (`crates/wasm/src/generated.rs`).
//!
//! The module holds no code per operation or per type: every operation is a row of
//! [`OPERATIONS`] and every schema a row of `SCHEMAS`, and one request path in
//! `crates/wasm` validates arguments and builds requests from them. Schemas refer to each
//! other by index; a component schema keeps its index, identical inline schemas share one.
//! The types the rows are written in live in `crates/wasm/src/table.rs`.

use crate::Error;
use crate::v1::{DataParam, Reply, V1Method};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write as _;

/// One operation as the JS surface sees it.
#[derive(Debug, Clone)]
pub struct JsOperation {
    /// The JS method name.
    pub name: String,
    pub operation_id: String,
    pub v1: bool,
    pub reply: &'static str,
    pub row: String,
}

struct Interner<'a> {
    components: HashMap<&'a str, usize>,
    rows: Vec<String>,
    inline: HashMap<String, usize>,
}

impl<'a> Interner<'a> {
    fn new(doc: &'a Value) -> Self {
        let names: Vec<&str> = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, _)| k.as_str())
            .collect();
        Self {
            components: names.iter().enumerate().map(|(i, n)| (*n, i)).collect(),
            rows: vec![String::new(); names.len()],
            inline: HashMap::new(),
        }
    }

    /// The index of `schema`, adding it (and what it contains) when new.
    fn index(&mut self, schema: &Value) -> Result<usize, Error> {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let name = r.trim_start_matches("#/components/schemas/");
            return self
                .components
                .get(name)
                .copied()
                .ok_or_else(|| Error(format!("`{r}` names no component schema")));
        }
        let row = self.row(schema)?;
        if let Some(i) = self.inline.get(&row) {
            return Ok(*i);
        }
        self.rows.push(row.clone());
        let i = self.rows.len() - 1;
        self.inline.insert(row, i);
        Ok(i)
    }

    /// The Rust expression of one schema row.
    fn row(&mut self, schema: &Value) -> Result<String, Error> {
        if schema.get("nullable") == Some(&Value::Bool(true)) {
            let mut inner = schema.clone();
            if let Some(m) = inner.as_object_mut() {
                m.remove("nullable");
            }
            return Ok(format!("S::Nullable({})", self.index(&inner)?));
        }
        if schema.get("x-unknown-shape").is_some() {
            return Ok("S::Any".into());
        }
        for (key, variant) in [("oneOf", "OneOf"), ("anyOf", "OneOf"), ("allOf", "AllOf")] {
            if let Some(parts) = schema.get(key).and_then(Value::as_array) {
                if key == "allOf" && parts.len() == 1 {
                    return Ok(format!("S::AllOf(&[{}])", self.index(&parts[0])?));
                }
                let list = parts
                    .iter()
                    .map(|p| self.index(p).map(|i| i.to_string()))
                    .collect::<Result<Vec<_>, _>>()?;
                return Ok(format!("S::{variant}(&[{}])", list.join(", ")));
            }
        }
        let num = |k: &str| {
            schema
                .get(k)
                .and_then(Value::as_f64)
                .map_or("None".to_string(), |v| format!("Some({v:?})"))
        };
        let len = |k: &str| {
            schema
                .get(k)
                .and_then(Value::as_u64)
                .map_or("None".to_string(), |v| format!("Some({v})"))
        };
        let ty = schema.get("type").and_then(Value::as_str);
        Ok(match ty {
            Some("string") => {
                let format = match schema.get("format").and_then(Value::as_str) {
                    Some("uuid") => "F::Uuid",
                    _ => "F::Any",
                };
                let values: Vec<String> = schema
                    .get("enum")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(|s| format!("{s:?}"))
                    .collect();
                format!(
                    "S::Str {{ format: {format}, values: &[{}], min: {}, max: {} }}",
                    values.join(", "),
                    len("minLength"),
                    len("maxLength")
                )
            }
            // Integer enums stay open, as in the Rust client (unknown values are kept).
            Some("integer") => format!(
                "S::Int {{ min: {}, max: {} }}",
                num("minimum"),
                num("maximum")
            ),
            Some("number") => format!(
                "S::Num {{ min: {}, max: {} }}",
                num("minimum"),
                num("maximum")
            ),
            Some("boolean") => "S::Bool".into(),
            Some("array") => {
                let items = match schema.get("items") {
                    Some(items) => self.index(items)?,
                    None => self.index(&serde_json::json!({}))?,
                };
                format!(
                    "S::Array {{ items: {items}, min: {}, max: {} }}",
                    len("minItems"),
                    len("maxItems")
                )
            }
            Some("object") | None if schema.get("properties").is_some() => {
                let required = crate::required_names(schema);
                let mut fields = Vec::new();
                for (name, prop) in schema
                    .get("properties")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    let i = self.index(prop)?;
                    fields.push(format!(
                        "Field {{ name: {name:?}, schema: {i}, required: {} }}",
                        required.contains(&name.as_str())
                    ));
                }
                let extra = self.additional(schema.get("additionalProperties"), true)?;
                format!(
                    "S::Object {{ fields: &[{}], extra: {extra} }}",
                    fields.join(", ")
                )
            }
            Some("object") => {
                let extra = self.additional(schema.get("additionalProperties"), false)?;
                format!("S::Object {{ fields: &[], extra: {extra} }}")
            }
            _ => "S::Any".into(),
        })
    }

    /// What an object accepts besides its listed fields. Listed fields and no
    /// `additionalProperties`: nothing (from a caller, an unknown field is a typo); no
    /// listed fields: anything (a free-form map).
    fn additional(&mut self, extra: Option<&Value>, listed: bool) -> Result<String, Error> {
        Ok(match extra {
            Some(Value::Bool(false)) => "Extra::Deny".into(),
            Some(Value::Bool(true)) => "Extra::Any".into(),
            Some(Value::Object(m)) if m.is_empty() => "Extra::Any".into(),
            Some(s @ Value::Object(_)) => format!("Extra::Each({})", self.index(s)?),
            _ if listed => "Extra::Deny".into(),
            _ => "Extra::Any".into(),
        })
    }
}

/// The JS method name of a v1 method (`set_account_permissions_v1` -> `setAccountPermissionsV1`).
pub fn camel(snake: &str) -> String {
    let mut out = String::new();
    for (i, part) in snake.split('_').enumerate() {
        let mut c = part.chars();
        match c.next() {
            Some(f) if i > 0 => {
                out.push(f.to_ascii_uppercase());
                out.push_str(c.as_str());
            }
            Some(f) => {
                out.push(f);
                out.push_str(c.as_str());
            }
            None => {}
        }
    }
    out
}

fn success(op: &Value) -> Option<(u16, &Value)> {
    op.get("responses")
        .and_then(Value::as_object)?
        .iter()
        .filter(|(c, _)| c.starts_with('2'))
        .min_by_key(|(c, _)| c.as_str())
        .and_then(|(c, r)| Some((c.parse().ok()?, r)))
}

/// The v2 operations the module calls: every `/v2/` operation with a JSON body or none
/// (multipart uploads are left to the Rust client).
pub fn v2_operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut ops: Vec<(String, String, &Value)> = sonoran_spec::operations(doc)
        .filter(|(p, _, _)| p.starts_with("/v2/"))
        .filter(|(_, _, op)| {
            op.pointer("/requestBody/content")
                .and_then(Value::as_object)
                .is_none_or(|c| c.contains_key("application/json"))
        })
        .map(|(p, m, op)| (p.to_string(), m.to_ascii_uppercase(), op))
        .collect();
    ops.sort_by(|a, b| {
        a.2["operationId"]
            .as_str()
            .cmp(&b.2["operationId"].as_str())
    });
    ops
}

/// Every operation's row and the schema table, as the generated Rust source.
pub fn generate(doc: &Value, v1: &[V1Method]) -> Result<(String, Vec<JsOperation>), Error> {
    let mut interner = Interner::new(doc);
    let components: Vec<(&String, &Value)> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .collect();
    for (i, (_, schema)) in components.iter().enumerate() {
        interner.rows[i] = interner.row(schema)?;
    }
    let mut ops = Vec::new();
    for (path, method, op) in v2_operations(doc) {
        let id = op["operationId"].as_str().unwrap_or_default().to_string();
        let mut params = Vec::new();
        for p in op
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = p["name"].as_str().unwrap_or_default();
            let path_param = p["in"] == "path";
            if !path_param && p["in"] != "query" {
                return Err(Error(format!(
                    "`{id}`: parameter `{name}` is in {}, which the module does not send",
                    p["in"]
                )));
            }
            let schema = interner.index(p.get("schema").unwrap_or(&Value::Null))?;
            let server = path_param && name == "serverId";
            let required = !server && (path_param || p["required"] == Value::Bool(true));
            params.push(format!(
                "Param {{ name: {name:?}, path: {path_param}, schema: {schema}, required: {required}, server: {server} }}"
            ));
        }
        let body = match op.pointer("/requestBody/content/application~1json/schema") {
            Some(s) => format!(
                "Body::Json {{ schema: {}, required: {} }}",
                interner.index(s)?,
                op.pointer("/requestBody/required") == Some(&Value::Bool(true))
            ),
            None => "Body::None".into(),
        };
        let (status, _) =
            success(op).ok_or_else(|| Error(format!("`{id}` documents no success reply")))?;
        let row = format!(
            "Operation {{ id: {id:?}, method: {method:?}, path: {path:?}, params: &[{}], body: {body}, reply: Reply::Json, success: {status} }}",
            params.join(", ")
        );
        ops.push(JsOperation {
            name: id.clone(),
            operation_id: id,
            v1: false,
            reply: "json",
            row,
        });
    }
    for m in v1 {
        let data = match &m.data {
            None => "Data::None".to_string(),
            Some(DataParam::EmptyArray) => "Data::EmptyArray".into(),
            Some(DataParam::Typed(s)) => format!("Data::Typed({})", interner.index(s)?),
        };
        let mut extra = Vec::new();
        for (name, schema, required) in &m.extra {
            extra.push(format!(
                "Field {{ name: {name:?}, schema: {}, required: {required} }}",
                interner.index(schema)?
            ));
        }
        let (reply, kind) = match &m.reply {
            Reply::Text => ("Reply::Text", "text"),
            Reply::Json(_) => ("Reply::Json", "json"),
            Reply::JsonOrText(_) => ("Reply::JsonOrText", "jsonOrText"),
        };
        let row = format!(
            "Operation {{ id: {:?}, method: \"POST\", path: {:?}, params: &[], body: Body::V1 {{ kind: {:?}, data: {data}, extra: &[{}] }}, reply: {reply}, success: 200 }}",
            m.operation_id,
            m.path,
            m.v1_type,
            extra.join(", ")
        );
        ops.push(JsOperation {
            name: camel(&m.method),
            operation_id: m.operation_id.clone(),
            v1: true,
            reply: kind,
            row,
        });
    }
    let mut src = String::from(crate::HEADER);
    src.push_str(
        "//! The operation and schema tables of the npm package's module, from the merged spec.\n\
         //! Rows only: `crate::table` defines them and `crate::call` runs them.\n\n\
         use crate::table::{Body, Data, Extra, Field, Format as F, Operation, Param, Reply, Schema as S};\n\n",
    );
    let _ = writeln!(
        src,
        "/// Every operation, in the order of [`NAMES`].\npub(crate) static OPERATIONS: [Operation; {}] = [",
        ops.len()
    );
    for op in &ops {
        let _ = writeln!(src, "    {},", op.row);
    }
    src.push_str("];\n\n");
    let _ = writeln!(
        src,
        "/// The JS method name of each operation.\npub(crate) static NAMES: [&str; {}] = [",
        ops.len()
    );
    for op in &ops {
        let _ = writeln!(src, "    {:?},", op.name);
    }
    src.push_str("];\n\n");
    let _ = writeln!(
        src,
        "/// Every schema: the component schemas first (by name below), then inline ones.\npub(crate) static SCHEMAS: [S; {}] = [",
        interner.rows.len()
    );
    for (i, row) in interner.rows.iter().enumerate() {
        match components.get(i) {
            Some((name, _)) => {
                let _ = writeln!(src, "    /* {i} {name} */ {row},");
            }
            None => {
                let _ = writeln!(src, "    /* {i} */ {row},");
            }
        }
    }
    src.push_str("];\n");
    Ok((src, ops))
}
