//! A call's outcome for JavaScript: the reply object as the transport made it, or an
//! `Error` named `SonoranError` carrying `kind`, `status`, `code`, `title`, `detail`,
//! `traceId`, `retryAfter` (seconds), `requestId`, `body` and, for a transport failure,
//! `cause` (the platform's own error). The package's entry turns it into an instance of
//! its `SonoranError` class. Messages never hold the API key: request bodies and headers
//! are never copied into one.

use crate::table::{Body, Operation};
use crate::transport::JsAttempt;
use sonoran_cad::Error;
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

/// The last attempt's outcome as the call's result.
pub(crate) fn outcome(op: &Operation, name: &str, a: JsAttempt) -> Result<JsValue, JsValue> {
    let v1 = matches!(op.body, Body::V1 { .. });
    match a.status {
        0 => {
            let cause = a.sent.error();
            let error = if a.sent.timed_out() {
                Error::Timeout
            } else {
                let why = js_sys::Reflect::get(&cause, &"message".into())
                    .ok()
                    .and_then(|m| m.as_string())
                    .unwrap_or_else(|| "fetch failed".into());
                Error::Transport(why)
            };
            let js = error_of(name, &error);
            set(&js, "cause", &cause);
            Err(js.into())
        }
        s if s == op.success || (v1 && (200..300).contains(&s)) => Ok(a.sent.into()),
        s if (200..300).contains(&s) => Err(error_of(
            name,
            &Error::MalformedReply {
                status: s,
                reason: format!("undocumented success status (documented: {})", op.success),
                body: a.sent.text().unwrap_or_default(),
            },
        )
        .into()),
        s => Err(error_of(
            name,
            &Error::from_reply(
                s,
                a.retry_after.as_deref(),
                &a.sent.text().unwrap_or_default(),
            ),
        )
        .into()),
    }
}

fn error_of(name: &str, e: &Error) -> js_sys::Error {
    let kind = match e {
        Error::InvalidRequest(_) => "invalidRequest",
        Error::Timeout => "timeout",
        Error::Transport(_) => "transport",
        Error::RateLimited { .. } => "rateLimited",
        Error::Api(_) => "api",
        Error::MalformedReply { .. } => "malformedReply",
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
