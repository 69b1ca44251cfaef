//! A Sonoran API description: from the files under `openapi/<api>/` to one validated
//! OpenAPI 3.0.3 document.
//!
//! ```text
//! openapi/<api>/v2/**        imported docs blocks  --repair-->  base operations
//! openapi/<api>/types/v2/**  typed overlays        --overlay--> typed operations
//! openapi/<api>/components/* shared schemas
//! openapi/<api>/v1/**        v1 envelope calls
//! openapi/<api>/events/*     push events and their payload schemas
//!                      --merge--> --validate--> openapi/<crate>.openapi.json
//! ```
//!
//! [`api`] describes each API (CAD, CMS): its folder, docs site, base URLs and names.

pub mod agreement;
pub mod api;
pub mod error;
pub mod events;
pub mod import;
pub mod index;
pub mod infer;
pub mod load;
pub mod merge;
pub mod naming;
pub mod page;
pub mod repair;
pub mod stats;
pub mod swagger;
pub mod v1_import;
pub mod validate;
mod yaml;

pub use error::{Error, Problem, Result};
use serde_json::Value;
use std::path::Path;

/// The HTTP methods an OpenAPI path item can hold operations under.
pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Loads, repairs, overlays, merges and validates everything under `openapi_dir`, the
/// description of `api`.
pub fn build(api: &api::Api, openapi_dir: &Path) -> Result<Value> {
    let sources = load::load(openapi_dir)?;
    let (doc, origins) = merge::merge(api, &sources)?;
    validate::validate(api, &doc, &origins)?;
    Ok(doc)
}

/// `schema` with its local `$ref`s (`#/components/schemas/Name`) followed, up to 16 deep; a
/// `$ref` that leads nowhere stops there. The last segment of a reference is a literal name
/// (`Name~inferred` is found as written, not read as a JSON-pointer escape).
pub fn resolve_ref<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    let mut s = schema;
    for _ in 0..16 {
        let target = s
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| {
                let (head, name) = p.rsplit_once('/')?;
                doc.pointer(head)?.get(name)
            });
        match target {
            Some(t) => s = t,
            None => return s,
        }
    }
    s
}

/// The merged document as committed: pretty JSON with a trailing newline.
pub fn to_json_text(doc: &Value) -> String {
    let mut text = serde_json::to_string_pretty(doc).expect("a JSON value serializes");
    text.push('\n');
    text
}

/// Every operation of a merged document as (path, method, operation).
pub fn operations(doc: &Value) -> impl Iterator<Item = (&str, &str, &Value)> {
    doc["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flatten()
                .filter(|(m, _)| METHODS.contains(&m.as_str()))
                .map(move |(m, op)| (path.as_str(), m.as_str(), op))
        })
}
