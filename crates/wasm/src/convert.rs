//! Values and errors across the JS boundary.
//!
//! Arguments go in through `JSON.stringify` and serde (with the path of a bad field in
//! the message); a field the typed value does not keep is an unknown field and an error,
//! at any depth (the generated body types accept unknown fields, since replies may grow,
//! but from a caller an unknown field is a typo). Replies come out through serde_json and `JSON.parse`: the same JSON the
//! Rust client reads and writes. Errors become JS `Error`s named `SonoranError` carrying
//! `kind`, `status`, `code`, `title`, `detail`, `traceId`, `retryAfter` (seconds) and
//! `body`; the package's entry turns them into instances of its `SonoranError` class.
//! Nothing here panics on bad input.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sonoran_cad::Error;
use wasm_bindgen::JsValue;

/// Decodes a required argument object.
pub(crate) fn args<T: DeserializeOwned + Serialize>(
    method: &str,
    value: &JsValue,
) -> Result<T, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Err(invalid_argument(format!(
            "{method}: an argument is required"
        )));
    }
    decode(method, value)
}

/// Decodes an argument object whose fields are all optional; `undefined` means `{}`.
pub(crate) fn optional_args<T: DeserializeOwned + Serialize>(
    method: &str,
    value: &JsValue,
) -> Result<T, JsValue> {
    if value.is_undefined() || value.is_null() {
        return decode_json(method, "{}");
    }
    decode(method, value)
}

fn decode<T: DeserializeOwned + Serialize>(method: &str, value: &JsValue) -> Result<T, JsValue> {
    let json = js_sys::JSON::stringify(value).map_err(|_| {
        invalid_argument(format!(
            "{method}: the argument cannot be turned into JSON (a BigInt, or a cycle?)"
        ))
    })?;
    let Some(json) = json.as_string() else {
        return Err(invalid_argument(format!(
            "{method}: the argument must be a plain object or array"
        )));
    };
    decode_json(method, &json)
}

fn decode_json<T: DeserializeOwned + Serialize>(method: &str, json: &str) -> Result<T, JsValue> {
    // Parsed once: the typed value is decoded from it, and compared with it below.
    let given: serde_json::Value =
        serde_json::from_str(json).map_err(|e| invalid_argument(format!("{method}: {e}")))?;
    let typed: T = serde_path_to_error::deserialize(&given).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path.is_empty() {
            invalid_argument(format!("{method}: {inner}"))
        } else {
            invalid_argument(format!("{method}: `{path}`: {inner}"))
        }
    })?;
    let kept = serde_json::to_value(&typed).map_err(|e| internal(format!("{method}: {e}")))?;
    if let Some(path) = first_unknown(&given, &kept, &mut String::new()) {
        return Err(invalid_argument(format!(
            "{method}: `{path}` is not a field of this call's arguments"
        )));
    }
    Ok(typed)
}

/// The path of the first non-null field of `given` that `kept` does not have.
fn first_unknown(
    given: &serde_json::Value,
    kept: &serde_json::Value,
    path: &mut String,
) -> Option<String> {
    use serde_json::Value;
    match (given, kept) {
        (Value::Object(g), Value::Object(k)) => g.iter().find_map(|(name, v)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(name);
            let found = match k.get(name) {
                None if !v.is_null() => Some(path.clone()),
                None => None,
                Some(kv) => first_unknown(v, kv, path),
            };
            path.truncate(len);
            found
        }),
        (Value::Array(g), Value::Array(k)) => {
            g.iter().zip(k).enumerate().find_map(|(i, (gv, kv))| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = first_unknown(gv, kv, path);
                path.truncate(len);
                found
            })
        }
        _ => None,
    }
}

/// A call's outcome as a JS value or a rejected `SonoranError`.
pub(crate) fn reply<T: Serialize>(result: Result<T, Error>) -> Result<JsValue, JsValue> {
    let value = result.map_err(|e| error(&e))?;
    let json = serde_json::to_string(&value)
        .map_err(|e| internal(format!("the reply cannot be encoded: {e}")))?;
    js_sys::JSON::parse(&json).map_err(|_| internal("the reply cannot be parsed as JSON".into()))
}

fn sonoran_error(kind: &str, message: &str) -> js_sys::Error {
    let e = js_sys::Error::new(message);
    e.set_name("SonoranError");
    set(&e, "kind", &kind.into());
    e
}

fn set(target: &js_sys::Error, key: &str, value: &JsValue) {
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(target, &key.into(), value);
}

pub(crate) fn invalid_argument(message: String) -> JsValue {
    sonoran_error("invalidArgument", &message).into()
}

fn internal(message: String) -> JsValue {
    sonoran_error("internal", &message).into()
}

fn error(e: &Error) -> JsValue {
    let kind = match e {
        Error::InvalidRequest(_) => "invalidRequest",
        Error::Timeout => "timeout",
        Error::Transport(_) => "transport",
        Error::RateLimited { .. } => "rateLimited",
        Error::Api(_) => "api",
        Error::MalformedReply { .. } => "malformedReply",
        _ => "other",
    };
    let js = sonoran_error(kind, &e.to_string());
    if let Some(status) = e.status() {
        set(&js, "status", &status.into());
    }
    match e {
        Error::RateLimited {
            retry_after,
            request_id,
        } => {
            if let Some(wait) = retry_after {
                set(&js, "retryAfter", &wait.as_secs_f64().into());
            }
            if let Some(id) = request_id {
                set(&js, "requestId", &id.into());
            }
        }
        Error::Api(api) => {
            if let Some(code) = api.code {
                set(&js, "code", &format!("{code:?}").into());
            }
            for (key, value) in [
                ("title", &api.title),
                ("detail", &api.detail),
                ("traceId", &api.trace_id),
            ] {
                if let Some(v) = value {
                    set(&js, key, &v.into());
                }
            }
            set(&js, "body", &api.body.clone().into());
        }
        Error::MalformedReply { body, .. } => set(&js, "body", &body.into()),
        _ => {}
    }
    js.into()
}
