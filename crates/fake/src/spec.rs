//! The merged OpenAPI document, embedded at compile time and indexed once into
//! [`Operation`]s: what the router, the checks and the replies need, nothing more.

use crate::routing::Segment;
use crate::synth;
use bytes::Bytes;
use hyper::Method;
use serde_json::Value;
use std::sync::LazyLock;

/// Copies of `openapi/sonoran-cad.openapi.json` and `openapi/sonoran-cms.openapi.json` that
/// `cargo xtask regen` writes into this crate (and `regen --check` keeps equal), so that the
/// packaged crate carries them.
pub(crate) const CAD_JSON: &str = include_str!("../openapi/sonoran-cad.openapi.json");
pub(crate) const CMS_JSON: &str = include_str!("../openapi/sonoran-cms.openapi.json");

static CAD_DOC: LazyLock<Value> =
    LazyLock::new(|| serde_json::from_str(CAD_JSON).expect("the embedded CAD spec is JSON"));
static CMS_DOC: LazyLock<Value> =
    LazyLock::new(|| serde_json::from_str(CMS_JSON).expect("the embedded CMS spec is JSON"));

static CAD_OPERATIONS: LazyLock<Vec<Operation>> = LazyLock::new(|| index(FakeApi::Cad, &CAD_DOC));
static CMS_OPERATIONS: LazyLock<Vec<Operation>> = LazyLock::new(|| index(FakeApi::Cms, &CMS_DOC));

/// The whole document of `api` (for `$ref` resolution).
pub(crate) fn doc(api: FakeApi) -> &'static Value {
    match api {
        FakeApi::Cad => &CAD_DOC,
        FakeApi::Cms => &CMS_DOC,
    }
}

/// Every operation of `api`'s document, in document order.
pub(crate) fn operations(api: FakeApi) -> &'static [Operation] {
    match api {
        FakeApi::Cad => &CAD_OPERATIONS,
        FakeApi::Cms => &CMS_OPERATIONS,
    }
}

/// Which Sonoran API a fake server serves: its merged document, its product name and what
/// only it has (CAD's websocket hub).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum FakeApi {
    /// Sonoran CAD (`api.sonorancad.com`): the default.
    #[default]
    Cad,
    /// Sonoran CMS (`api.sonorancms.com`): v2 replies in the `{success, data, meta}`
    /// envelope, no websocket hub.
    Cms,
}

impl FakeApi {
    /// Every API the fake serves.
    pub const ALL: [FakeApi; 2] = [FakeApi::Cad, FakeApi::Cms];

    /// `"cad"` or `"cms"`: the id `cargo xtask fake --api` takes.
    pub fn id(self) -> &'static str {
        match self {
            FakeApi::Cad => "cad",
            FakeApi::Cms => "cms",
        }
    }

    /// The API of an id (`"cad"`, `"cms"`; ASCII case ignored).
    pub fn from_id(id: &str) -> Option<FakeApi> {
        Self::ALL
            .into_iter()
            .find(|api| api.id().eq_ignore_ascii_case(id))
    }

    /// `"Sonoran CAD"` or `"Sonoran CMS"`.
    pub fn product(self) -> &'static str {
        match self {
            FakeApi::Cad => "Sonoran CAD",
            FakeApi::Cms => "Sonoran CMS",
        }
    }

    /// The merged OpenAPI document this API's fake serves, as JSON text.
    pub fn spec_json(self) -> &'static str {
        match self {
            FakeApi::Cad => CAD_JSON,
            FakeApi::Cms => CMS_JSON,
        }
    }

    /// Whether this API has the websocket hub (`/apiWsHub`): CAD only.
    pub fn has_hub(self) -> bool {
        self == FakeApi::Cad
    }
}

/// Which API generation an operation belongs to; decides the shape of every error reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// `/v2/...`: bearer auth, `application/problem+json` errors.
    V2,
    /// The v1 envelope calls: `{id, key, type, data}` bodies, `text/plain` errors.
    V1,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamIn {
    Path,
    Query,
}

#[derive(Debug)]
pub(crate) struct Param {
    pub name: String,
    pub location: ParamIn,
    pub required: bool,
    pub schema: &'static Value,
}

#[derive(Debug)]
pub(crate) enum BodyKind {
    Json(&'static Value),
    Multipart,
}

#[derive(Debug)]
pub(crate) struct BodySpec {
    pub required: bool,
    pub kind: BodyKind,
}

/// The documented success reply, computed once.
#[derive(Debug, Clone)]
pub(crate) struct Success {
    pub status: u16,
    pub content_type: Option<&'static str>,
    pub body: Bytes,
}

#[derive(Debug)]
pub(crate) struct Operation {
    pub id: String,
    pub method: Method,
    #[cfg_attr(not(test), allow(dead_code))]
    pub template: String,
    pub segments: Vec<Segment>,
    pub api: Api,
    pub needs_bearer: bool,
    /// A 429 is `application/problem+json` (CMS v2), not the gateway's JSON (CAD).
    pub problem_429: bool,
    /// Accepted envelope `type`s; empty for calls without an envelope (the v1 upload).
    pub v1_types: Vec<String>,
    pub rate_limit_per_minute: Option<u32>,
    pub params: Vec<Param>,
    pub body: Option<BodySpec>,
    /// The documented JSON request example (tests send it).
    #[cfg_attr(not(test), allow(dead_code))]
    pub request_example: Option<&'static Value>,
    pub success: Success,
}

pub(crate) const JSON: &str = "application/json";
pub(crate) const TEXT: &str = "text/plain; charset=utf-8";

/// Follows a local `$ref` (`#/components/schemas/X`) in `doc`; `None` when it does not
/// resolve.
pub(crate) fn resolve<'d>(doc: &'d Value, reference: &str) -> Option<&'d Value> {
    let pointer = reference.strip_prefix('#')?;
    doc.pointer(pointer)
}

fn index(fake_api: FakeApi, doc: &'static Value) -> Vec<Operation> {
    let mut ops = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return ops;
    };
    for (template, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            let Ok(method) = method.to_ascii_uppercase().parse::<Method>() else {
                continue;
            };
            if !matches!(
                method,
                Method::GET | Method::POST | Method::PUT | Method::PATCH | Method::DELETE
            ) {
                continue;
            }
            ops.push(operation(
                fake_api,
                doc,
                template,
                method,
                op,
                item.get("parameters"),
            ));
        }
    }
    ops
}

fn operation(
    fake_api: FakeApi,
    doc: &'static Value,
    template: &str,
    method: Method,
    op: &'static Value,
    shared_params: Option<&'static Value>,
) -> Operation {
    let api = if template == "/v2" || template.starts_with("/v2/") {
        Api::V2
    } else {
        Api::V1
    };
    let needs_bearer = api == Api::V2
        && op
            .get("security")
            .and_then(Value::as_array)
            .is_some_and(|reqs| reqs.iter().any(|r| r.get("bearerAuth").is_some()));
    let v1_types = match (
        op.get("x-v1-types").and_then(Value::as_array),
        op.get("x-v1-type").and_then(Value::as_str),
    ) {
        (Some(list), _) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        (None, Some(one)) => vec![one.to_owned()],
        (None, None) => Vec::new(),
    };
    let params = shared_params
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(
            op.get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        )
        .filter_map(|p| param(doc, p))
        .collect();
    Operation {
        id: op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        method,
        template: template.to_owned(),
        segments: crate::routing::parse_template(template),
        api,
        needs_bearer,
        problem_429: fake_api == FakeApi::Cms && api == Api::V2,
        v1_types,
        rate_limit_per_minute: op
            .get("x-rate-limit-per-minute")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok()),
        params,
        body: body(op.get("requestBody")),
        request_example: op.pointer("/requestBody/content/application~1json/example"),
        success: synth::success(doc, op.get("responses")),
    }
}

fn param(doc: &'static Value, p: &'static Value) -> Option<Param> {
    let p = match p.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(doc, r)?,
        None => p,
    };
    let location = match p.get("in")?.as_str()? {
        "path" => ParamIn::Path,
        "query" => ParamIn::Query,
        _ => return None,
    };
    static ANY: Value = Value::Null;
    Some(Param {
        name: p.get("name")?.as_str()?.to_owned(),
        location,
        required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
        schema: p.get("schema").unwrap_or(&ANY),
    })
}

fn body(rb: Option<&'static Value>) -> Option<BodySpec> {
    let rb = rb?;
    let content = rb.get("content")?.as_object()?;
    let required = rb.get("required").and_then(Value::as_bool).unwrap_or(false);
    let kind = if let Some(media) = content.get(JSON) {
        static ANY: Value = Value::Null;
        BodyKind::Json(media.get("schema").unwrap_or(&ANY))
    } else if content.contains_key("multipart/form-data") {
        BodyKind::Multipart
    } else {
        return None;
    };
    Some(BodySpec { required, kind })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_indexed() {
        let ops = operations(FakeApi::Cad);
        assert!(ops.len() >= 130, "only {} operations", ops.len());
        let v2 = ops.iter().filter(|o| o.api == Api::V2).count();
        assert!(v2 >= 70);
        for op in ops {
            assert!(!op.id.is_empty(), "{} {}", op.method, op.template);
            if op.api == Api::V1
                && matches!(op.body.as_ref().map(|b| &b.kind), Some(BodyKind::Json(_)))
            {
                assert!(!op.v1_types.is_empty(), "{} has no v1 type", op.id);
            }
        }
        let login = ops.iter().find(|o| o.id == "getLoginPage").unwrap();
        assert!(!login.needs_bearer);
        let join = ops
            .iter()
            .find(|o| o.id == "joinOrLeaveCommunityV1")
            .unwrap();
        assert_eq!(join.v1_types, ["JOIN_COMMUNITY", "LEAVE_COMMUNITY"]);
    }

    #[test]
    fn every_cms_operation_is_indexed() {
        let ops = operations(FakeApi::Cms);
        let v2: Vec<_> = ops.iter().filter(|o| o.api == Api::V2).collect();
        let v1: Vec<_> = ops.iter().filter(|o| o.api == Api::V1).collect();
        assert_eq!((v2.len(), v1.len()), (57, 33));
        for op in v2 {
            assert!(op.needs_bearer, "{}", op.id);
            assert!(op.rate_limit_per_minute.is_some(), "{}", op.id);
        }
        for op in v1 {
            assert_eq!(op.v1_types.len(), 1, "{}", op.id);
        }
        for api in FakeApi::ALL {
            assert_eq!(FakeApi::from_id(api.id()), Some(api));
        }
        assert_eq!(FakeApi::from_id("CMS"), Some(FakeApi::Cms));
        assert_eq!(FakeApi::from_id("rms"), None);
    }
}
