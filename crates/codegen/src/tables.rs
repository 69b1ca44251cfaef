//! The npm package's operation and schema tables (`crates/wasm/src/generated.rs`).
//!
//! The module holds no code per operation or per type: every operation is a row of
//! `OPERATIONS` and every schema a row of `SCHEMAS`, and one request path in
//! `crates/wasm` validates arguments and builds requests from them. Schemas refer to each
//! other by index; a component schema keeps its index, identical inline schemas share one.
//! The types the rows are written in live in `crates/wasm/src/table.rs`.

use crate::Error;
use crate::model::{Location, Model, Operation};
use crate::v1::{DataParam, Reply};
use serde_json::Value;
use sonoran_spec::api::Api;
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
    /// How many arguments the JS method takes before its per-call options.
    pub arity: u8,
    pub row: String,
}

struct Interner<'a> {
    components: HashMap<&'a str, usize>,
    rows: Vec<String>,
    /// Inline schemas already added, by their JSON.
    inline: HashMap<String, usize>,
    fields: Vec<String>,
    keys: Vec<String>,
    key_index: HashMap<String, usize>,
    lists: Vec<usize>,
    values: Vec<String>,
}

/// What of a schema the validator reads: two schemas that differ only in descriptions or
/// examples share one row.
fn canonical(schema: &Value) -> Value {
    const KEPT: [&str; 19] = [
        "$ref",
        "type",
        "format",
        "enum",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "items",
        "minItems",
        "maxItems",
        "properties",
        "required",
        "additionalProperties",
        "nullable",
        "oneOf",
        "anyOf",
        "allOf",
        "x-unknown-shape",
    ];
    match schema {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| KEPT.contains(&k.as_str()))
                .map(|(k, v)| {
                    let v = match k.as_str() {
                        "properties" => Value::Object(
                            v.as_object()
                                .into_iter()
                                .flatten()
                                .map(|(n, p)| (n.clone(), canonical(p)))
                                .collect(),
                        ),
                        "items" | "additionalProperties" => canonical(v),
                        "oneOf" | "anyOf" | "allOf" => Value::Array(
                            v.as_array().into_iter().flatten().map(canonical).collect(),
                        ),
                        "x-unknown-shape" => Value::Bool(true),
                        _ => v.clone(),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `Span { start, len }` of `len` entries from `start`, checked to fit the table's u16s.
fn span(start: usize, len: usize) -> Result<String, Error> {
    if start + len > usize::from(u16::MAX) {
        return Err(Error(
            "a table of the npm module outgrew its u16 indices".into(),
        ));
    }
    Ok(format!("Span {{ start: {start}, len: {len} }}"))
}

/// An integral schema bound, as the table's `i64`.
fn bound(schema: &Value, key: &str) -> Result<String, Error> {
    match schema.get(key) {
        None => Ok("None".into()),
        Some(v) => match v.as_i64() {
            Some(i) => Ok(format!("Some({i})")),
            None => Err(Error(format!(
                "`{key}: {v}`: the npm module's validator takes integral bounds only"
            ))),
        },
    }
}

impl<'a> Interner<'a> {
    fn new(schemas: &[(&'a str, &'a Value)]) -> Self {
        let names: Vec<&str> = schemas.iter().map(|(name, _)| *name).collect();
        Self {
            components: names.iter().enumerate().map(|(i, n)| (*n, i)).collect(),
            rows: vec![String::new(); names.len()],
            inline: HashMap::new(),
            fields: Vec::new(),
            keys: Vec::new(),
            key_index: HashMap::new(),
            lists: Vec::new(),
            values: Vec::new(),
        }
    }

    fn check(&self, index: usize) -> Result<usize, Error> {
        if index > usize::from(u16::MAX) {
            return Err(Error(
                "the npm module's schema table outgrew its u16 indices".into(),
            ));
        }
        Ok(index)
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
        let text = canonical(schema).to_string();
        if let Some(i) = self.inline.get(&text) {
            return Ok(*i);
        }
        // Reserve the row first: the schema may contain itself only through a $ref.
        self.rows.push(String::new());
        let i = self.check(self.rows.len() - 1)?;
        self.inline.insert(text, i);
        self.rows[i] = self.row(schema)?;
        Ok(i)
    }

    /// The index of a member name in `KEYS`.
    fn key(&mut self, name: &str) -> usize {
        if let Some(i) = self.key_index.get(name) {
            return *i;
        }
        self.keys.push(name.to_string());
        self.key_index.insert(name.to_string(), self.keys.len() - 1);
        self.keys.len() - 1
    }

    /// Appends fields (name, schema, required) to `FIELDS`, contiguously: their span.
    fn field_span(&mut self, fields: &[(usize, usize, bool)]) -> Result<String, Error> {
        let start = self.fields.len();
        for (key, schema, required) in fields {
            self.fields.push(format!(
                "Field {{ name: {key}, schema: {schema}, required: {required} }}"
            ));
        }
        span(start, fields.len())
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
                let list = parts
                    .iter()
                    .map(|p| self.index(p))
                    .collect::<Result<Vec<_>, _>>()?;
                let start = self.lists.len();
                self.lists.extend(&list);
                return Ok(format!("S::{variant}({})", span(start, list.len())?));
            }
        }
        let len = |k: &str| {
            schema
                .get(k)
                .and_then(Value::as_u64)
                .map_or("None".to_string(), |v| format!("Some({v})"))
        };
        let ty = schema.get("type").and_then(Value::as_str);
        Ok(match ty {
            Some("string") => {
                let uuid = schema.get("format").and_then(Value::as_str) == Some("uuid");
                let values: Vec<String> = schema
                    .get("enum")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(|s| format!("{s:?}"))
                    .collect();
                let start = self.values.len();
                let n = values.len();
                self.values.extend(values);
                format!(
                    "S::Str {{ uuid: {uuid}, values: {}, min: {}, max: {} }}",
                    span(start, n)?,
                    len("minLength"),
                    len("maxLength")
                )
            }
            // Integer enums stay open, as in the Rust client (unknown values are kept).
            Some("integer") => format!(
                "S::Int {{ min: {}, max: {} }}",
                bound(schema, "minimum")?,
                bound(schema, "maximum")?
            ),
            Some("number") => format!(
                "S::Num {{ min: {}, max: {} }}",
                bound(schema, "minimum")?,
                bound(schema, "maximum")?
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
                    fields.push((self.key(name), i, required.contains(&name.as_str())));
                }
                let extra = self.additional(schema.get("additionalProperties"), true)?;
                format!(
                    "S::Object {{ fields: {}, extra: {extra} }}",
                    self.field_span(&fields)?
                )
            }
            Some("object") => {
                let extra = self.additional(schema.get("additionalProperties"), false)?;
                format!("S::Object {{ fields: {}, extra: {extra} }}", span(0, 0)?)
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

/// The v2 operations the module calls: every `/v2/` operation with a JSON body or none
/// (multipart uploads are left to the Rust client), by operationId.
pub fn v2_operations<'m, 'a>(model: &'m Model<'a>) -> Vec<&'m Operation<'a>> {
    let mut ops: Vec<&Operation> = model.v2().filter(|op| op.takes_json_or_nothing()).collect();
    ops.sort_by_key(|op| op.id);
    ops
}

/// Every operation's row and the schema table, as the generated Rust source.
/// `api`'s facts the module needs ([`Api::production_url`], [`Api::js_class`],
/// [`Api::server_id_default`]) lead the file.
pub fn generate(model: &Model, api: &Api) -> Result<(String, Vec<JsOperation>), Error> {
    let mut interner = Interner::new(&model.schemas);
    for (i, (_, schema)) in model.schemas.iter().enumerate() {
        interner.rows[i] = interner.row(schema)?;
    }
    let mut ops = Vec::new();
    for op in v2_operations(model) {
        let id = op.id.to_string();
        let (path, method) = (op.path, op.method.to_ascii_uppercase());
        let mut params = Vec::new();
        for p in &op.params {
            let name = p.name;
            let path_param = p.location == Location::Path;
            if !path_param && p.location != Location::Query {
                return Err(Error(format!(
                    "`{id}`: parameter `{name}` is in {:?}, which the module does not send",
                    p.location
                )));
            }
            let schema = interner.index(p.schema)?;
            // Filled with the client's configured server only where the API's clients have
            // one (CAD); elsewhere (CMS) a path `serverId` is the caller's, as in Rust.
            let server = p.is_server_id() && api.server_id_default;
            let required = !server && p.required;
            params.push(format!(
                "Param {{ name: {name:?}, path: {path_param}, schema: {schema}, required: {required}, server: {server} }}"
            ));
        }
        let body = match op.json_body() {
            Some(s) => format!(
                "Body::Json {{ schema: {}, required: {} }}",
                interner.index(s)?,
                op.body.as_ref().is_some_and(|b| b.required)
            ),
            None => "Body::None".into(),
        };
        let success = op
            .success()
            .ok_or_else(|| Error(format!("`{id}` documents no success reply")))?;
        let status = success
            .status()
            .ok_or_else(|| Error(format!("`{id}` documents no success reply")))?;
        // The JS side unwraps the payload of an enveloped reply (CMS v2: `data`).
        let reply = match success.envelope {
            Some("data") => "envelope",
            Some(other) => {
                return Err(Error(format!(
                    "`{id}`: x-envelope {other:?}: the npm package unwraps `data` only"
                )));
            }
            None => "json",
        };
        let row = format!(
            "Operation {{ id: {id:?}, method: {method:?}, path: {path:?}, params: &[{}], body: {body}, success: {status} }}",
            params.join(", ")
        );
        ops.push(JsOperation {
            name: id.clone(),
            operation_id: id,
            v1: false,
            reply,
            arity: 1,
            row,
        });
    }
    for m in &model.v1_methods {
        let data = match &m.data {
            None => "Data::None".to_string(),
            Some(DataParam::EmptyArray) => "Data::EmptyArray".into(),
            Some(DataParam::Typed(s)) => format!("Data::Typed({})", interner.index(s)?),
        };
        let mut extra = Vec::new();
        for (name, schema, required) in &m.extra {
            let schema = interner.index(schema)?;
            extra.push((interner.key(name), schema, *required));
        }
        let extra = interner.field_span(&extra)?;
        let kind = match &m.reply {
            Reply::Text => "text",
            Reply::Json(_) => "json",
            Reply::JsonOrText(_) => "jsonOrText",
        };
        let row = format!(
            "Operation {{ id: {:?}, method: \"POST\", path: {:?}, params: &[], body: Body::V1 {{ kind: {:?}, data: {data}, extra: {extra}, server_id: {} }}, success: 200 }}",
            m.operation_id,
            m.path,
            m.v1_type,
            m.fills_server_id && api.server_id_default,
        );
        ops.push(JsOperation {
            name: crate::names::camel_case(&m.method),
            operation_id: m.operation_id.clone(),
            v1: true,
            reply: kind,
            arity: u8::from(matches!(m.data, Some(DataParam::Typed(_))))
                + u8::from(!m.extra.is_empty()),
            row,
        });
    }
    let mut src = String::from(crate::HEADER);
    src.push_str(
        "//! The operation and schema tables of the npm package's module, from the merged spec.\n\
         //! Rows only: `crate::table` defines them and `crate::call` runs them.\n\n\
         use crate::table::{Body, Data, Extra, Field, Operation, Param, Schema as S, Span};\n\n",
    );
    let _ = writeln!(
        src,
        "/// {product}'s production base URL: the default of `baseUrl`.\npub(crate) const PRODUCTION_URL: &str = {url:?};\n\
         /// The JS class, as errors about the options name it.\npub(crate) const CLASS: &str = {class:?};\n\
         /// Whether the client has a default server (the `serverId` option) that a call's\n\
         /// left-out `serverId` goes to (the `server` rows below).\npub(crate) const SERVER_ID_DEFAULT: bool = {server};\n",
        product = api.product,
        url = api.production_url,
        class = api.js_class,
        server = api.server_id_default,
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
        match model.schemas.get(i) {
            Some((name, _)) => {
                let _ = writeln!(src, "    /* {i} {name} */ {row},");
            }
            None => {
                let _ = writeln!(src, "    /* {i} */ {row},");
            }
        }
    }
    src.push_str("];\n\n");
    let _ = writeln!(
        src,
        "/// Object members and v1 envelope fields; a schema or an operation holds a span of them.\npub(crate) static FIELDS: [Field; {}] = [",
        interner.fields.len()
    );
    for f in &interner.fields {
        let _ = writeln!(src, "    {f},");
    }
    src.push_str("];\n\n");
    let _ = writeln!(
        src,
        "/// Member names, by `Field::name`.\npub(crate) static KEYS: [&str; {}] = [",
        interner.keys.len()
    );
    for k in &interner.keys {
        let _ = writeln!(src, "    {k:?},");
    }
    src.push_str("];\n\n");
    let _ = writeln!(
        src,
        "/// The alternatives of `oneOf`/`anyOf` and the parts of `allOf`.\npub(crate) static LISTS: [u16; {}] = [{}];\n",
        interner.lists.len(),
        interner
            .lists
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        src,
        "/// The values of string enums.\npub(crate) static VALUES: [&str; {}] = [",
        interner.values.len()
    );
    for v in &interner.values {
        let _ = writeln!(src, "    {v},");
    }
    src.push_str("];\n");
    Ok((src, ops))
}
