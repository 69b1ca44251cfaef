//! The merged document, read once into what the generators render: its operations (v2 and
//! v1) with their parameters, request body, replies, rate limit and docs page; the component
//! schemas; the integer enums; the v1 methods; the push events.
//!
//! The model borrows from the document: schemas stay JSON (the TypeScript, table and Rust
//! renderers each read them their own way), and every operation keeps its `raw` JSON for
//! the few extensions only one renderer reads. Progenitor is handed the (reduced) document
//! itself, not the model.

use crate::Error;
use crate::enums::IntEnum;
use crate::events::Event;
use crate::v1::V1Method;
use serde_json::Value;

/// The API generation an operation belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `/v2/...`: REST with bearer auth.
    V2,
    /// Everything else: `POST` with the `{id, key, type, data}` envelope.
    V1,
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    Header,
    Cookie,
}

/// One parameter of an operation.
#[derive(Debug, Clone)]
pub struct Param<'a> {
    pub name: &'a str,
    pub location: Location,
    /// `required: true` in the document (path parameters always are).
    pub required: bool,
    pub schema: &'a Value,
    pub description: Option<&'a str>,
}

impl Param<'_> {
    /// `{serverId}` in the path: the client fills it from its configuration unless the
    /// caller names one.
    pub fn is_server_id(&self) -> bool {
        self.location == Location::Path && self.name == "serverId"
    }
}

/// An operation's request body.
#[derive(Debug, Clone)]
pub struct Body<'a> {
    /// The media types it may be sent as, with their media objects, in document order.
    pub content: Vec<(&'a str, &'a Value)>,
    pub required: bool,
}

impl<'a> Body<'a> {
    fn media(&self, media_type: &str) -> Option<&'a Value> {
        self.content
            .iter()
            .find(|(m, _)| *m == media_type)
            .map(|(_, v)| *v)
    }

    /// The `application/json` schema, if the body may be JSON.
    pub fn json_schema(&self) -> Option<&'a Value> {
        self.media("application/json")?.get("schema")
    }

    /// The documented `application/json` example.
    pub fn json_example(&self) -> Option<&'a Value> {
        self.media("application/json")?.get("example")
    }
}

/// One documented reply.
#[derive(Debug, Clone)]
pub struct Reply<'a> {
    /// The status code as the document keys it (`200`, `4XX`, `default`).
    pub code: &'a str,
    /// The `application/json` schema and example, where documented.
    pub json_schema: Option<&'a Value>,
    pub json_example: Option<&'a Value>,
    /// Whether a `text/plain` body is documented.
    pub text: bool,
    /// `x-envelope`: the property of the JSON body that holds the payload (CMS v2).
    pub envelope: Option<&'a str>,
}

impl Reply<'_> {
    pub fn is_success(&self) -> bool {
        self.code.starts_with('2')
    }

    /// The status as a number (`None` for `4XX`, `default`).
    pub fn status(&self) -> Option<u16> {
        self.code.parse().ok()
    }
}

/// One operation of the document.
#[derive(Debug, Clone)]
pub struct Operation<'a> {
    pub id: &'a str,
    /// Lower case, as the document keys it (`get`, `post`).
    pub method: &'a str,
    pub path: &'a str,
    pub kind: Kind,
    /// Path-level parameters, then the operation's own, `$ref`s resolved.
    pub params: Vec<Param<'a>>,
    pub body: Option<Body<'a>>,
    /// In document order.
    pub replies: Vec<Reply<'a>>,
    /// `x-rate-limit-per-minute`: the limit its docs page states.
    pub rate_limit: Option<u32>,
    /// `x-docs-page`, relative to `api-integration/`.
    pub docs_page: Option<&'a str>,
    pub summary: Option<&'a str>,
    pub description: Option<&'a str>,
    pub deprecated: bool,
    /// The operation as the document has it, for what only one renderer reads.
    pub raw: &'a Value,
}

impl<'a> Operation<'a> {
    /// The first 2xx reply, by status code.
    pub fn success(&self) -> Option<&Reply<'a>> {
        self.replies
            .iter()
            .filter(|r| r.is_success())
            .min_by_key(|r| r.code)
    }

    /// Whether the body is JSON or there is none (multipart uploads are not).
    pub fn takes_json_or_nothing(&self) -> bool {
        self.body
            .as_ref()
            .is_none_or(|b| b.content.iter().any(|(m, _)| *m == "application/json"))
    }

    /// The JSON request body's schema.
    pub fn json_body(&self) -> Option<&'a Value> {
        self.body.as_ref()?.json_schema()
    }
}

/// The whole document as the generators see it.
#[derive(Debug)]
pub struct Model<'a> {
    pub doc: &'a Value,
    /// Every operation, in document order.
    pub operations: Vec<Operation<'a>>,
    /// The component schemas, in document order.
    pub schemas: Vec<(&'a str, &'a Value)>,
    pub enums: Vec<IntEnum>,
    /// One per documented v1 `type`, sorted by method name.
    pub v1_methods: Vec<V1Method>,
    /// Sorted by type string.
    pub events: Vec<Event>,
}

impl<'a> Model<'a> {
    /// Reads `doc` (a merged document that passed validation).
    pub fn read(doc: &'a Value) -> Result<Self, Error> {
        let operations = sonoran_spec::operations(doc)
            .map(|(path, method, op)| operation(doc, path, method, op))
            .collect::<Result<Vec<_>, Error>>()?;
        let schemas = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(name, schema)| (name.as_str(), schema))
            .collect();
        let v1_methods = crate::v1::collect(doc, &operations)?;
        Ok(Model {
            doc,
            operations,
            schemas,
            enums: crate::enums::collect(doc)?,
            v1_methods,
            events: crate::events::collect(doc)?,
        })
    }

    /// The v2 operations, in document order.
    pub fn v2(&self) -> impl Iterator<Item = &Operation<'a>> {
        self.operations.iter().filter(|op| op.kind == Kind::V2)
    }

    /// The operation of an operationId.
    pub fn operation(&self, id: &str) -> Option<&Operation<'a>> {
        self.operations.iter().find(|op| op.id == id)
    }
}

fn operation<'a>(
    doc: &'a Value,
    path: &'a str,
    method: &'a str,
    op: &'a Value,
) -> Result<Operation<'a>, Error> {
    let at = || format!("{} {path}", method.to_ascii_uppercase());
    let id = op
        .get("operationId")
        .and_then(Value::as_str)
        .ok_or_else(|| Error(format!("{}: no operationId", at())))?;
    let text = |key: &str| op.get(key).and_then(Value::as_str);
    let path_item = doc.get("paths").and_then(|p| p.get(path));
    let mut params = Vec::new();
    for p in [path_item, Some(op)]
        .into_iter()
        .flatten()
        .filter_map(|node| node.get("parameters").and_then(Value::as_array))
        .flatten()
    {
        let p = match p.get("$ref").and_then(Value::as_str) {
            Some(r) => doc
                .pointer(r.trim_start_matches('#'))
                .ok_or_else(|| Error(format!("`{id}`: parameter `$ref` {r} does not resolve")))?,
            None => p,
        };
        let name = p
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| Error(format!("`{id}`: a parameter has no name")))?;
        let location = match p.get("in").and_then(Value::as_str) {
            Some("path") => Location::Path,
            Some("query") => Location::Query,
            Some("header") => Location::Header,
            Some("cookie") => Location::Cookie,
            other => {
                return Err(Error(format!(
                    "`{id}`: parameter `{name}` is in {other:?}, not path, query, header or cookie"
                )));
            }
        };
        params.push(Param {
            name,
            location,
            required: location == Location::Path || p.get("required") == Some(&Value::Bool(true)),
            schema: p.get("schema").unwrap_or(&Value::Null),
            description: p.get("description").and_then(Value::as_str),
        });
    }
    let body = op.get("requestBody").map(|b| Body {
        content: b
            .get("content")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(m, v)| (m.as_str(), v))
            .collect(),
        required: b.get("required") == Some(&Value::Bool(true)),
    });
    let replies = op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(code, r)| {
            let json = r.pointer("/content/application~1json");
            Reply {
                code,
                json_schema: json.and_then(|m| m.get("schema")),
                json_example: json.and_then(|m| m.get("example")),
                text: r.pointer("/content/text~1plain").is_some(),
                envelope: r.get("x-envelope").and_then(Value::as_str),
            }
        })
        .collect();
    let rate_limit = match op.get("x-rate-limit-per-minute") {
        None => None,
        Some(n) => Some(
            n.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| {
                    Error(format!(
                        "`{id}`: x-rate-limit-per-minute {n} is not a count"
                    ))
                })?,
        ),
    };
    Ok(Operation {
        id,
        method,
        path,
        kind: if path.starts_with("/v2/") {
            Kind::V2
        } else {
            Kind::V1
        },
        params,
        body,
        replies,
        rate_limit,
        docs_page: text("x-docs-page"),
        summary: text("summary"),
        description: text("description"),
        deprecated: op.get("deprecated") == Some(&Value::Bool(true)),
        raw: op,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operations_are_read_with_parameters_body_and_replies() {
        let doc = json!({"paths": {
            "/v2/units/{serverId}": {
                "parameters": [{"$ref": "#/components/parameters/Server"}],
                "get": {
                    "operationId": "getUnits",
                    "x-rate-limit-per-minute": 5,
                    "x-docs-page": "api-endpoints-v2/units/get-units.md",
                    "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer"}}],
                    "responses": {
                        "404": {"description": "none"},
                        "201": {"content": {"text/plain": {}}},
                        "200": {"content": {"application/json": {"schema": {"type": "array"}, "example": []}}}
                    }
                }
            },
            "/general/upload": {"post": {
                "operationId": "uploadV1",
                "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {}}}},
                "responses": {"200": {"content": {"text/plain": {}}}}
            }}
        }, "components": {"parameters": {"Server": {"name": "serverId", "in": "path", "schema": {"type": "integer"}}}}});
        let model = Model::read(&doc).unwrap();
        let get = model.operation("getUnits").unwrap();
        assert_eq!(get.kind, Kind::V2);
        assert_eq!(get.rate_limit, Some(5));
        assert_eq!(get.docs_page, Some("api-endpoints-v2/units/get-units.md"));
        let names: Vec<_> = get
            .params
            .iter()
            .map(|p| (p.name, p.required, p.is_server_id()))
            .collect();
        assert_eq!(names, [("serverId", true, true), ("limit", false, false)]);
        let success = get.success().unwrap();
        assert_eq!((success.code, success.status()), ("200", Some(200)));
        assert_eq!(success.json_example, Some(&json!([])));
        assert!(get.takes_json_or_nothing());
        let upload = model.operation("uploadV1").unwrap();
        assert_eq!(upload.kind, Kind::V1);
        assert!(!upload.takes_json_or_nothing());
        assert!(upload.body.as_ref().unwrap().required);
        assert_eq!(model.v2().count(), 1);
    }

    #[test]
    fn an_operation_without_id_is_named_by_method_and_path() {
        let doc = json!({"paths": {"/v2/x": {"get": {"responses": {}}}}});
        assert_eq!(
            Model::read(&doc).unwrap_err().0,
            "GET /v2/x: no operationId"
        );
    }
}
