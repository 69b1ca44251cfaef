//! The HTTP control API under `/__fake/`, for tests that cannot call Rust (Node, a browser
//! page): read the recorded requests and counters, queue faults, reset. Control requests
//! are neither recorded nor counted, and faults never apply to them.

use crate::faults::{Fault, FaultKind, RetryAfter, lock};
use crate::hub;
use crate::record::RecordedRequest;
use crate::respond::{Reply, ReplyBody};
use crate::server::State;
use crate::spec::{FakeApi, JSON, operations};
use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{ALLOW, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Map, Value, json};
use std::time::Duration;

/// The reserved prefix; no Sonoran route starts with it.
pub(crate) const PREFIX: &str = "/__fake";

/// Control request bodies above this size get 413.
const MAX_BODY: usize = 1024 * 1024;

const ENDPOINTS: &str = "GET /__fake/requests, GET /__fake/stats, GET /__fake/info, \
                         POST /__fake/reset, POST /__fake/faults, POST /__fake/events, \
                         POST /__fake/listener, GET /__fake/ws, POST /__fake/ws/drop, \
                         POST /__fake/ws/close";

/// Whether `path` is under the control prefix.
pub(crate) fn is_control(path: &str) -> bool {
    path == PREFIX
        || path
            .strip_prefix(PREFIX)
            .is_some_and(|p| p.starts_with('/'))
}

/// Answers one control request (CORS preflights are answered before this).
pub(crate) async fn handle(state: &State, req: Request<Incoming>) -> Response<ReplyBody> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path();
    let endpoint = path
        .strip_prefix(PREFIX)
        .unwrap_or_default()
        .trim_matches('/');
    let (allowed, allow) = match endpoint {
        "requests" | "stats" | "info" | "ws" => (Method::GET, "GET"),
        "reset" | "faults" | "events" | "listener" | "ws/drop" | "ws/close" => {
            (Method::POST, "POST")
        }
        _ => {
            return error(
                StatusCode::NOT_FOUND,
                &format!("no control endpoint {path}; there are {ENDPOINTS}"),
            )
            .into_response();
        }
    };
    if parts.method != allowed {
        let mut response = error(
            StatusCode::METHOD_NOT_ALLOWED,
            &format!("{path} takes {allowed}, not {}", parts.method),
        )
        .into_response();
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static(allow));
        return response;
    }
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("body: unreadable or larger than {MAX_BODY} bytes"),
            )
            .into_response();
        }
    };
    let reply = match endpoint {
        "requests" => {
            let list: Vec<Value> = lock(&state.requests).iter().map(request_json).collect();
            ok_json(&Value::Array(list))
        }
        "stats" => {
            let stats = state.stats();
            ok_json(&json!({ "requests": stats.requests, "rateLimited": stats.rate_limited }))
        }
        "info" => {
            // CMS has no hub: `wsUrl` is null there.
            let ws_url = state
                .api
                .has_hub()
                .then(|| format!("ws{}{}", state.url.trim_start_matches("http"), hub::PATH));
            ok_json(&json!({
                "communityId": state.community_id,
                "apiKey": state.api_key,
                "url": state.url,
                "wsUrl": ws_url,
            }))
        }
        "ws" => ok_json(&hub::stats_json(state)),
        "ws/drop" => ok_json(&json!({ "dropped": state.hub.drop_all() })),
        "ws/close" => match parse_close_body(&body) {
            Ok((error, allow_reconnect)) => ok_json(
                &json!({ "closed": state.hub.close_all(error.as_deref(), allow_reconnect) }),
            ),
            Err(message) => error(StatusCode::BAD_REQUEST, &message),
        },
        "listener" => match parse_listener_body(&body) {
            Ok(url) => {
                state.hub.set_listener(url);
                no_content()
            }
            Err(message) => error(StatusCode::BAD_REQUEST, &message),
        },
        "events" => match parse_event(state.api, &body) {
            Ok((server_id, event_type, data)) => {
                match hub::deliver(state, server_id, &event_type, data).await {
                    Ok(hub::Delivery::Websocket { sessions }) => {
                        ok_json(&json!({ "delivered": "websocket", "sessions": sessions }))
                    }
                    Ok(hub::Delivery::Http { status }) => {
                        ok_json(&json!({ "delivered": "http", "status": status }))
                    }
                    Err(
                        e @ (hub::DeliveryError::NoRoute { .. } | hub::DeliveryError::NoListener),
                    ) => error(StatusCode::CONFLICT, &e.to_string()),
                    Err(e) => error(StatusCode::BAD_GATEWAY, &e.to_string()),
                }
            }
            Err(message) => error(StatusCode::BAD_REQUEST, &message),
        },
        "reset" => {
            state.reset();
            no_content()
        }
        _ => match parse_fault(state.api, &body) {
            Ok(fault) => {
                state.faults.push(fault);
                no_content()
            }
            Err(message) => error(StatusCode::BAD_REQUEST, &message),
        },
    };
    reply.into_response()
}

fn ok_json(value: &Value) -> Reply {
    Reply::new(StatusCode::OK, Some(JSON), value.to_string())
}

fn no_content() -> Reply {
    Reply::new(StatusCode::NO_CONTENT, None, Bytes::new())
}

fn error(status: StatusCode, message: &str) -> Reply {
    Reply::new(status, Some(JSON), json!({ "error": message }).to_string())
}

/// `{"url": "http://..."}` or `{"url": null}`.
fn parse_listener_body(body: &[u8]) -> Result<Option<String>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("body: not valid JSON ({e})"))?;
    let obj = value
        .as_object()
        .ok_or_else(|| format!("body: expected an object, got {}", describe(&value)))?;
    only(obj, "", &["url"])?;
    match obj.get("url") {
        None => Err("url: missing (a URL, or null for none)".to_owned()),
        Some(Value::Null) => Ok(None),
        Some(Value::String(url)) => {
            hub::parse_listener(url).map_err(|e| e.replacen("listener", "url", 1))?;
            Ok(Some(url.clone()))
        }
        Some(other) => Err(format!(
            "url: expected a string or null, got {}",
            describe(other)
        )),
    }
}

/// `{"error"?: string, "allowReconnect"?: bool}` (an empty body: neither).
fn parse_close_body(body: &[u8]) -> Result<(Option<String>, bool), String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((None, false));
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("body: not valid JSON ({e})"))?;
    let obj = value
        .as_object()
        .ok_or_else(|| format!("body: expected an object, got {}", describe(&value)))?;
    only(obj, "", &["error", "allowReconnect"])?;
    let error = match obj.get("error") {
        None | Some(Value::Null) => None,
        Some(Value::String(e)) => Some(e.clone()),
        Some(other) => {
            return Err(format!("error: expected a string, got {}", describe(other)));
        }
    };
    let allow_reconnect = match obj.get("allowReconnect") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(format!(
                "allowReconnect: expected a boolean, got {}",
                describe(other)
            ));
        }
    };
    Ok((error, allow_reconnect))
}

/// `{"type": "EVENT_...", "data"?: any, "serverId"?: n}`: server 1 by default, and the
/// documented example of a documented type when `data` is left out.
pub(crate) fn parse_event(api: FakeApi, body: &[u8]) -> Result<(i64, String, Value), String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("body: not valid JSON ({e})"))?;
    let obj = value
        .as_object()
        .ok_or_else(|| format!("body: expected an object, got {}", describe(&value)))?;
    only(obj, "", &["type", "data", "serverId"])?;
    let event_type = match obj.get("type") {
        Some(Value::String(t)) if !t.trim().is_empty() => t.clone(),
        None => {
            return Err("type: missing (an event type such as \"EVENT_UNIT_STATUS\")".to_owned());
        }
        Some(other) => {
            return Err(format!(
                "type: expected a non-empty string, got {}",
                describe(other)
            ));
        }
    };
    let server_id = match obj.get("serverId") {
        None | Some(Value::Null) => 1,
        Some(v) => v
            .as_i64()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("serverId: expected a positive integer, got {}", describe(v)))?,
    };
    // Left out or null: the documented example, as `FakeHandle::push_event` does with null.
    let data = hub::event_data(
        api,
        &event_type,
        obj.get("data").cloned().unwrap_or(Value::Null),
    )
    .map_err(|e| format!("data: {e}"))?;
    Ok((server_id, event_type, data))
}

/// `{method, path, query, headers, body, json, operationId}`; repeated headers are joined
/// with `", "`.
fn request_json(r: &RecordedRequest) -> Value {
    let mut headers = Map::new();
    for (name, value) in &r.headers {
        match headers.get_mut(name) {
            Some(Value::String(joined)) => {
                joined.push_str(", ");
                joined.push_str(value);
            }
            _ => {
                headers.insert(name.clone(), Value::String(value.clone()));
            }
        }
    }
    json!({
        "method": r.method,
        "path": r.path,
        "query": r.query,
        "headers": headers,
        "body": String::from_utf8_lossy(&r.body),
        "json": r.json(),
        "operationId": r.operation_id,
    })
}

/// `{operationId?, times?, kind: {type, ...}}` to a [`Fault`]; the error names the field.
pub(crate) fn parse_fault(api: FakeApi, body: &[u8]) -> Result<Fault, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("body: not valid JSON ({e})"))?;
    let obj = value
        .as_object()
        .ok_or_else(|| format!("body: expected an object, got {}", describe(&value)))?;
    only(obj, "", &["operationId", "times", "kind"])?;

    let operation_id = match obj.get("operationId") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => {
            if !operations(api).iter().any(|op| op.id == *id) {
                return Err(format!(
                    "operationId: no operation is named {id:?} (operationIds are as in the \
                     spec, e.g. \"getVersion\", \"getVersionV1\")"
                ));
            }
            Some(id.clone())
        }
        Some(other) => {
            return Err(format!(
                "operationId: expected a string, got {}",
                describe(other)
            ));
        }
    };
    let times = match obj.get("times") {
        None | Some(Value::Null) => 1,
        Some(v) => u32::try_from(uint(v, "times")?)
            .map_err(|_| format!("times: must be at most {}", u32::MAX))?,
    };
    let kind = obj.get("kind").ok_or("kind: missing")?;
    let (kind, retry_after) = parse_kind(kind)?;
    Ok(Fault {
        operation_id,
        times,
        kind,
        retry_after,
    })
}

/// The kind and its raw `retryAfter` (any type but `delayMs`).
fn parse_kind(value: &Value) -> Result<(FaultKind, Option<String>), String> {
    const TYPES: &str = "rateLimited, status, problem, v1Text, delayMs, truncate, drip, \
                         oversized, nonUtf8, html, empty, json";
    let obj = value
        .as_object()
        .ok_or_else(|| format!("kind: expected an object, got {}", describe(value)))?;
    let ty = match obj.get("type") {
        Some(Value::String(ty)) => ty.as_str(),
        None => return Err(format!("kind.type: missing (one of {TYPES})")),
        Some(other) => {
            return Err(format!(
                "kind.type: expected a string, got {}",
                describe(other)
            ));
        }
    };
    let string = |name: &str| -> Result<Option<String>, String> {
        match obj.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(format!(
                "kind.{name}: expected a string, got {}",
                describe(other)
            )),
        }
    };
    let required = |name: &str| -> Result<&Value, String> {
        obj.get(name)
            .filter(|v| !v.is_null())
            .ok_or_else(|| format!("kind.{name}: missing (required for type {ty:?})"))
    };
    let status_or = |default: Option<u16>| -> Result<u16, String> {
        let code = match (obj.get("status").filter(|v| !v.is_null()), default) {
            (None, Some(d)) => return Ok(d),
            (given, _) => uint(
                given.ok_or_else(|| format!("kind.status: missing (required for type {ty:?})"))?,
                "kind.status",
            )?,
        };
        u16::try_from(code)
            .ok()
            .filter(|c| (200..=599).contains(c))
            .ok_or_else(|| format!("kind.status: expected 200 to 599, got {code}"))
    };
    let status = || status_or(None);
    let retry_after = match string("retryAfter")? {
        Some(raw) if ty == "delayMs" => {
            return Err(format!(
                "kind.retryAfter: not for type \"delayMs\" (it answers normally), got {raw:?}"
            ));
        }
        Some(raw) if HeaderValue::from_str(&raw).is_err() => {
            return Err(format!(
                "kind.retryAfter: not a valid header value: {raw:?}"
            ));
        }
        other => other,
    };
    let kind = match ty {
        "rateLimited" => {
            only(
                obj,
                "kind.",
                &["type", "retryAfterSeconds", "retryAfterDate", "retryAfter"],
            )?;
            let seconds = match obj.get("retryAfterSeconds") {
                None | Some(Value::Null) => None,
                Some(v) => Some(uint(v, "kind.retryAfterSeconds")?),
            };
            let date = match string("retryAfterDate")? {
                None => None,
                Some(text) => Some(httpdate::parse_http_date(&text).map_err(|_| {
                    format!(
                        "kind.retryAfterDate: not an HTTP date: {text:?} \
                         (e.g. \"Sun, 06 Nov 1994 08:49:37 GMT\")"
                    )
                })?),
            };
            let given = [seconds.is_some(), date.is_some(), retry_after.is_some()];
            if given.iter().filter(|g| **g).count() > 1 {
                return Err(
                    "kind: give one of retryAfterSeconds, retryAfterDate, retryAfter".to_owned(),
                );
            }
            let retry_after = seconds
                .map(RetryAfter::Seconds)
                .or(date.map(RetryAfter::Date));
            FaultKind::RateLimited { retry_after }
        }
        "status" => {
            only(obj, "kind.", &["type", "status", "retryAfter"])?;
            FaultKind::Status(status()?)
        }
        "problem" => {
            only(
                obj,
                "kind.",
                &["type", "status", "title", "detail", "retryAfter"],
            )?;
            let status = status()?;
            let reason = StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Error");
            FaultKind::Problem {
                status,
                title: string("title")?.unwrap_or_else(|| reason.to_owned()),
                detail: string("detail")?.unwrap_or_else(|| "Injected fault.".to_owned()),
            }
        }
        "v1Text" => {
            only(obj, "kind.", &["type", "status", "text", "retryAfter"])?;
            let status = status()?;
            let text = string("text")?
                .ok_or_else(|| format!("kind.text: missing (required for type {ty:?})"))?;
            FaultKind::V1Text { status, text }
        }
        "delayMs" => {
            only(obj, "kind.", &["type", "ms"])?;
            let ms = uint(required("ms")?, "kind.ms")?;
            FaultKind::Delay(Duration::from_millis(ms))
        }
        "truncate" => {
            only(obj, "kind.", &["type", "retryAfter"])?;
            FaultKind::Truncate
        }
        "drip" => {
            only(
                obj,
                "kind.",
                &["type", "chunkBytes", "everyMs", "retryAfter"],
            )?;
            let chunk = match obj.get("chunkBytes") {
                None | Some(Value::Null) => 4,
                Some(v) => usize::try_from(uint(v, "kind.chunkBytes")?)
                    .map_err(|_| "kind.chunkBytes: too large".to_owned())?,
            };
            let every = match obj.get("everyMs") {
                None | Some(Value::Null) => 50,
                Some(v) => uint(v, "kind.everyMs")?,
            };
            FaultKind::Drip {
                chunk,
                every: Duration::from_millis(every),
            }
        }
        "oversized" => {
            only(obj, "kind.", &["type", "bytes", "retryAfter"])?;
            FaultKind::Oversized {
                bytes: uint(required("bytes")?, "kind.bytes")?,
            }
        }
        "nonUtf8" => {
            only(obj, "kind.", &["type", "retryAfter"])?;
            FaultKind::NonUtf8
        }
        "html" => {
            only(obj, "kind.", &["type", "status", "retryAfter"])?;
            FaultKind::Html {
                status: status_or(Some(502))?,
            }
        }
        "empty" => {
            only(obj, "kind.", &["type", "status", "retryAfter"])?;
            FaultKind::Empty {
                status: status_or(Some(202))?,
            }
        }
        "json" => {
            only(obj, "kind.", &["type", "status", "body", "retryAfter"])?;
            FaultKind::Json {
                status: status_or(Some(200))?,
                body: obj
                    .get("body")
                    .cloned()
                    .ok_or_else(|| format!("kind.body: missing (required for type {ty:?})"))?,
            }
        }
        other => {
            return Err(format!(
                "kind.type: unknown type {other:?} (one of {TYPES})"
            ));
        }
    };
    Ok((kind, retry_after))
}

/// Rejects keys outside `allowed` (a misspelt `operationID` must not silently match every
/// operation).
fn only(obj: &Map<String, Value>, at: &str, allowed: &[&str]) -> Result<(), String> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        None => Ok(()),
        Some(key) => Err(format!(
            "{at}{key}: unknown field (expected {})",
            allowed.join(", ")
        )),
    }
}

/// A non-negative integer.
fn uint(value: &Value, at: &str) -> Result<u64, String> {
    value.as_u64().ok_or_else(|| {
        format!(
            "{at}: expected a non-negative integer, got {}",
            describe(value)
        )
    })
}

/// A value for an error message: its JSON text, shortened.
fn describe(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        format!("{}...", text.chars().take(57).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: Value) -> Result<Fault, String> {
        parse_fault(FakeApi::Cad, v.to_string().as_bytes())
    }

    #[test]
    fn prefix() {
        assert!(is_control("/__fake"));
        assert!(is_control("/__fake/requests"));
        assert!(!is_control("/__faker"));
        assert!(!is_control("/v2/__fake/x"));
    }

    #[test]
    fn parses_each_kind() {
        let f = parse(json!({"operationId": "getVersion", "times": 2,
                             "kind": {"type": "status", "status": 503}}))
        .unwrap();
        assert_eq!(f, Fault::on("getVersion", FaultKind::Status(503)).times(2));
        let f = parse(json!({"kind": {"type": "rateLimited", "retryAfterSeconds": 7}})).unwrap();
        assert_eq!(
            f.kind,
            FaultKind::RateLimited {
                retry_after: Some(RetryAfter::Seconds(7))
            }
        );
        let f = parse(json!({"kind": {"type": "problem", "status": 404}})).unwrap();
        assert_eq!(
            f.kind,
            FaultKind::Problem {
                status: 404,
                title: "Not Found".into(),
                detail: "Injected fault.".into()
            }
        );
        let f = parse(json!({"kind": {"type": "delayMs", "ms": 5}})).unwrap();
        assert_eq!(f.kind, FaultKind::Delay(Duration::from_millis(5)));
        assert_eq!(f.operation_id, None);
        assert_eq!(f.times, 1);
        assert_eq!(f.retry_after, None);
    }

    #[test]
    fn parses_the_wire_faults() {
        let f = parse(json!({"times": 2, "kind": {"type": "status", "status": 503,
                                                  "retryAfter": "-1"}}))
        .unwrap();
        assert_eq!(
            f,
            Fault::any(FaultKind::Status(503))
                .times(2)
                .with_retry_after("-1")
        );
        let kind = |v: Value| parse(json!({ "kind": v })).unwrap().kind;
        assert_eq!(
            kind(json!({"type": "drip"})),
            FaultKind::Drip {
                chunk: 4,
                every: Duration::from_millis(50)
            }
        );
        assert_eq!(
            kind(json!({"type": "drip", "chunkBytes": 1, "everyMs": 10})),
            FaultKind::Drip {
                chunk: 1,
                every: Duration::from_millis(10)
            }
        );
        assert_eq!(
            kind(json!({"type": "oversized", "bytes": 20})),
            FaultKind::Oversized { bytes: 20 }
        );
        assert_eq!(kind(json!({"type": "nonUtf8"})), FaultKind::NonUtf8);
        assert_eq!(
            kind(json!({"type": "html"})),
            FaultKind::Html { status: 502 }
        );
        assert_eq!(
            kind(json!({"type": "html", "status": 504})),
            FaultKind::Html { status: 504 }
        );
        assert_eq!(
            kind(json!({"type": "empty"})),
            FaultKind::Empty { status: 202 }
        );
        assert_eq!(
            kind(json!({"type": "json", "body": []})),
            FaultKind::Json {
                status: 200,
                body: json!([])
            }
        );
        let err = |v: Value| parse(json!({ "kind": v })).unwrap_err();
        assert!(err(json!({"type": "oversized"})).starts_with("kind.bytes: missing"));
        assert!(err(json!({"type": "json"})).starts_with("kind.body: missing"));
        assert!(
            err(json!({"type": "delayMs", "ms": 1, "retryAfter": "1"}))
                .starts_with("kind.retryAfter: not for type")
        );
        assert!(
            err(json!({"type": "status", "status": 503, "retryAfter": "a\nb"}))
                .starts_with("kind.retryAfter: not a valid header value")
        );
        assert!(
            err(json!({"type": "rateLimited", "retryAfterSeconds": 1, "retryAfter": "x"}))
                .starts_with("kind: give one of")
        );
        assert!(err(json!({"type": "empty", "status": 700})).starts_with("kind.status: expected"));
    }

    #[test]
    fn events_default_to_the_documented_example() {
        let (server, ty, data) =
            parse_event(FakeApi::Cad, br#"{"type": "EVENT_UNIT_LOGOUT"}"#).unwrap();
        assert_eq!((server, ty.as_str()), (1, "EVENT_UNIT_LOGOUT"));
        assert!(!data.is_null());
        let (_, ty, data) = parse_event(FakeApi::Cms, br#"{"type": "ACCOUNT_KICKED"}"#).unwrap();
        assert_eq!(ty, "ACCOUNT_KICKED");
        assert!(data.get("accountId").is_some(), "{data}");
        assert!(
            parse_event(FakeApi::Cms, br#"{"type": "EVENT_UNIT_LOGOUT"}"#)
                .unwrap_err()
                .starts_with("data: null or missing")
        );
        let (server, _, data) = parse_event(
            FakeApi::Cad,
            br#"{"type": "EVENT_X", "data": {"a": 1}, "serverId": 3}"#,
        )
        .unwrap();
        assert_eq!((server, data), (3, json!({"a": 1})));
        // `data: null` is the documented example too (one behaviour with `push_event`).
        let (_, _, data) = parse_event(
            FakeApi::Cad,
            br#"{"type": "EVENT_UNIT_LOGOUT", "data": null}"#,
        )
        .unwrap();
        assert_eq!(
            data,
            hub::event_data(FakeApi::Cad, "EVENT_UNIT_LOGOUT", Value::Null).unwrap()
        );
        assert!(!data.is_null());
        assert!(
            parse_event(FakeApi::Cad, br#"{"type": "EVENT_X", "data": null}"#)
                .unwrap_err()
                .starts_with("data: null")
        );
        assert!(
            parse_event(FakeApi::Cad, br#"{"type": "EVENT_X"}"#)
                .unwrap_err()
                .starts_with("data: null or missing")
        );
        assert!(
            parse_event(FakeApi::Cad, br#"{"type": ""}"#)
                .unwrap_err()
                .starts_with("type:")
        );
        assert!(
            parse_event(FakeApi::Cad, br#"{"type": "E", "serverId": 0}"#)
                .unwrap_err()
                .starts_with("serverId:")
        );
        assert!(
            parse_event(FakeApi::Cad, br#"{"type": "E", "extra": 1}"#)
                .unwrap_err()
                .starts_with("extra: unknown")
        );
    }

    #[test]
    fn errors_name_the_field() {
        let err = |v: Value| parse(v).unwrap_err();
        assert!(err(json!({"kind": {"type": "status"}})).starts_with("kind.status: missing"));
        assert!(
            err(json!({"kind": {"type": "status", "status": "503"}}))
                .starts_with("kind.status: expected a non-negative integer")
        );
        assert!(err(json!({"operationID": "x", "kind": {}})).starts_with("operationID: unknown"));
        assert!(err(json!({"times": -1, "kind": {}})).starts_with("times:"));
        assert!(err(json!({"kind": {"type": "nope"}})).starts_with("kind.type: unknown type"));
        assert!(
            err(json!({"operationId": "getVersio", "kind": {"type": "truncate"}}))
                .starts_with("operationId: no operation")
        );
        assert!(err(json!([])).starts_with("body: expected an object"));
        assert!(
            parse_fault(FakeApi::Cad, b"{")
                .unwrap_err()
                .starts_with("body: not valid JSON")
        );
    }
}
