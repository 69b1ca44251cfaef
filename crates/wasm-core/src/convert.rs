//! A call's outcome for JavaScript: the reply object as the transport made it, or an
//! `Error` named `SonoranError` carrying `kind`, `status`, `code`, `title`, `detail`,
//! `traceId`, `retryAfter` (seconds), `requestId`, `body` and, for a transport failure,
//! `cause` (the platform's own error). The package's entry turns it into an instance of
//! its `SonoranError` class. Messages never hold the API key: request bodies and headers
//! are never copied into one.

use crate::table::{Body, Operation};
use sonoran_runtime::{Error, TransportError, TransportKind};
use wasm_bindgen::JsValue;

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

/// A failure of `kind` with `message`.
pub(crate) fn failure(kind: &str, message: &str) -> JsValue {
    sonoran_error(kind, message).into()
}

/// Whether `status` is a success of `op`: its documented status on v2, any 2xx on v1
/// (whose pages document 200 but whose server has no other success to send).
pub(crate) fn is_success(op: &Operation, status: u16) -> bool {
    let v1 = matches!(op.body, Body::V1 { .. });
    status == op.success || (v1 && (200..300).contains(&status))
}

/// The error a reply that is not a success of `op` stands for.
pub(crate) fn failure_of_reply(
    op: &Operation,
    name: &str,
    status: u16,
    retry_after: Option<&str>,
    text: &str,
) -> JsValue {
    let error = if (200..300).contains(&status) {
        Error::undocumented_success(status, op.success, text)
    } else {
        Error::from_reply(status, retry_after, text)
    };
    error_of(name, &error).into()
}

/// The error of an attempt that got no reply (`failure`: 1 no connection, 2 timeout,
/// 3 broken). The JS side adds the platform's error as `cause`.
pub(crate) fn no_reply(name: &str, failure: u8, message: &str) -> JsValue {
    let error = match failure {
        2 => Error::Timeout,
        1 => Error::Transport(TransportError::new(TransportKind::Connect, message)),
        _ => Error::Transport(TransportError::new(TransportKind::Reset, message)),
    };
    error_of(name, &error).into()
}

/// A reply longer than the client accepts.
pub(crate) fn too_large(name: &str, limit: u64) -> JsValue {
    error_of(name, &Error::ReplyTooLarge { limit }).into()
}

fn error_of(name: &str, e: &Error) -> js_sys::Error {
    let kind = match e {
        Error::InvalidRequest(_) => "invalidRequest",
        Error::Timeout => "timeout",
        Error::Transport(_) => "transport",
        Error::RateLimited { .. } => "rateLimited",
        Error::Api(_) => "api",
        Error::MalformedReply { .. } | Error::ReplyTooLarge { .. } => "malformedReply",
        _ => "other",
    };
    let js = sonoran_error(kind, &format!("{name}: {e}"));
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
    js
}
