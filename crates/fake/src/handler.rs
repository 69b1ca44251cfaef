//! One request, start to end: preflight, the control API, recording, routing, faults, auth, rate limits,
//! parameter and body checks, the documented reply.

use crate::auth;
use crate::control;
use crate::faults::{self, FaultKind};
use crate::hub;
use crate::record::RecordedRequest;
use crate::respond::{Reply, ReplyBody};
use crate::routing::{self, Route, query_pairs};
use crate::server::State;
use crate::spec::{Api, BodyKind, Operation, ParamIn, doc};
use crate::validate::{coerce_param, validate};
use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::{HeaderMap, Method, Request, Response, StatusCode};
use serde_json::Value;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Request bodies above this size get 413.
const MAX_BODY: usize = 16 * 1024 * 1024;

pub(crate) async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<ReplyBody>, Infallible> {
    if req.method() == Method::OPTIONS {
        return Ok(Reply::preflight());
    }
    if state.control_api && control::is_control(req.uri().path()) {
        return Ok(control::handle(&state, req).await);
    }
    let path = req.uri().path();
    if state.api.has_hub() && (path == hub::PATH || path.starts_with("/apiWsHub/")) {
        return Ok(hub::answer(Arc::clone(&state), req));
    }
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    let route = routing::route(state.api, &parts.method, &path);
    let api = route.as_ref().map_or_else(|| api_of(&path), |r| r.op.api);
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(StatusCode::PAYLOAD_TOO_LARGE),
        Err(_) => Err(StatusCode::BAD_REQUEST),
    };

    state.request_count.fetch_add(1, Ordering::Relaxed);
    state.record(RecordedRequest {
        method: parts.method.to_string(),
        path: path.clone(),
        query: query.clone(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.as_ref().map(|b| b.to_vec()).unwrap_or_default(),
        operation_id: route.as_ref().map(|r| r.op.id.clone()),
    });

    let reply = match (body, route) {
        (Err(status), _) => {
            let detail = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!("body: larger than {MAX_BODY} bytes")
            } else {
                "body: could not be read".to_owned()
            };
            Reply::error(api, status, &detail, &path)
        }
        (Ok(_), None) => not_found(api, &parts.method, &path),
        (Ok(body), Some(route)) => {
            let request = Routed {
                route,
                headers: &parts.headers,
                path: &path,
                query: query.as_deref(),
                body,
            };
            match answer(&state, request).await {
                Ok(reply) | Err(reply) => reply,
            }
        }
    };
    if reply.status == StatusCode::TOO_MANY_REQUESTS {
        state.rate_limited.fetch_add(1, Ordering::Relaxed);
    }
    Ok(reply.into_response())
}

/// A routed request with its body read.
struct Routed<'a> {
    route: Route,
    headers: &'a HeaderMap,
    path: &'a str,
    query: Option<&'a str>,
    body: Bytes,
}

fn api_of(path: &str) -> Api {
    if path == "/v2" || path.starts_with("/v2/") {
        Api::V2
    } else {
        Api::V1
    }
}

fn not_found(api: Api, method: &Method, path: &str) -> Reply {
    match api {
        Api::V2 => Reply::problem(
            StatusCode::NOT_FOUND,
            "Not Found",
            &format!("No operation matches {method} {path}."),
            path,
        ),
        Api::V1 => Reply::v1_text(StatusCode::NOT_FOUND, auth::INVALID_REQUEST_TYPE),
    }
}

/// `Err` is an error reply; both arms are sent as they are.
async fn answer(state: &State, req: Routed<'_>) -> Result<Reply, Reply> {
    let op = req.route.op;
    let bad = |detail: &str| Reply::error(op.api, StatusCode::BAD_REQUEST, detail, req.path);

    if let Some(fault) = state.faults.take(&op.id) {
        if let FaultKind::Delay(pause) = fault.kind {
            tokio::time::sleep(pause).await;
        } else if let Some(reply) = faults::reply(&fault, op, req.path) {
            return Err(reply);
        }
    }

    if op.needs_bearer {
        auth::bearer(req.headers, &state.api_key).map_err(|detail| {
            Reply::problem(StatusCode::UNAUTHORIZED, "Unauthorized", detail, req.path)
        })?;
    }

    let json = match op.body.as_ref().map(|b| (&b.kind, b.required)) {
        Some((BodyKind::Json(_), required)) => {
            json_body(op, req.headers, &req.body, required, req.path)?
        }
        Some((BodyKind::Multipart, required)) => {
            multipart(req.headers, &req.body, required).map_err(|d| bad(&d))?;
            None
        }
        None => None,
    };

    let authenticated = op.needs_bearer || !op.v1_types.is_empty();
    if op.api == Api::V1 && !op.v1_types.is_empty() {
        let envelope = json
            .as_ref()
            .ok_or_else(|| bad("request body is not JSON"))?;
        auth::envelope(envelope, op, &state.community_id, &state.api_key).map_err(bad)?;
    }

    if state.enforce_rate_limits
        && let Some(limit) = op.rate_limit_per_minute
    {
        let key = if authenticated {
            state.api_key.as_str()
        } else {
            ""
        };
        state
            .limiter
            .admit(key, &op.id, limit)
            .map_err(|secs| Reply::rate_limited(op, req.path, Some(secs.to_string())))?;
    }

    check_params(doc(state.api), op, &req.route.path_params, req.query).map_err(|d| bad(&d))?;
    if let (Some(value), Some(BodyKind::Json(schema))) = (&json, op.body.as_ref().map(|b| &b.kind))
    {
        validate(doc(state.api), value, schema, "body").map_err(|d| bad(&d))?;
    }
    Ok(Reply::success(&op.success))
}

/// The parsed JSON body (`None` when empty and optional).
fn json_body(
    op: &Operation,
    headers: &HeaderMap,
    body: &Bytes,
    required: bool,
    path: &str,
) -> Result<Option<Value>, Reply> {
    let bad = |status: StatusCode, detail: &str| Reply::error(op.api, status, detail, path);
    if body.is_empty() {
        return if required {
            Err(bad(
                StatusCode::BAD_REQUEST,
                "body: a JSON request body is required",
            ))
        } else {
            Ok(None)
        };
    }
    let media = media_type(headers);
    if !(media == "application/json" || media.ends_with("+json")) {
        let detail = format!("Content-Type must be application/json, not {:?}", media);
        let status = match op.api {
            Api::V2 => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Api::V1 => StatusCode::BAD_REQUEST,
        };
        return Err(bad(status, &detail));
    }
    serde_json::from_slice(body).map(Some).map_err(|e| {
        bad(
            StatusCode::BAD_REQUEST,
            &format!("body: not valid JSON ({e})"),
        )
    })
}

/// `multipart/form-data` with a boundary that the body uses; nothing deeper.
fn multipart(headers: &HeaderMap, body: &Bytes, required: bool) -> Result<(), String> {
    if body.is_empty() && !required {
        return Ok(());
    }
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if media_type(headers) != "multipart/form-data" {
        return Err(format!(
            "body: expected multipart/form-data, got {:?}",
            media_type(headers)
        ));
    }
    let boundary = content_type
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"'))
        .filter(|b| !b.is_empty())
        .ok_or("body: multipart/form-data without a boundary")?;
    let marker = format!("--{boundary}");
    if !body.windows(marker.len()).any(|w| w == marker.as_bytes()) {
        return Err("body: no multipart part uses the declared boundary".to_owned());
    }
    Ok(())
}

/// The lower-cased media type of `Content-Type`, without parameters.
fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn check_params(
    doc: &Value,
    op: &Operation,
    path_params: &[(String, String)],
    query: Option<&str>,
) -> Result<(), String> {
    let pairs = query.map(query_pairs).unwrap_or_default();
    for param in &op.params {
        let (prefix, text) = match param.location {
            ParamIn::Path => (
                "path",
                path_params
                    .iter()
                    .find(|(n, _)| *n == param.name)
                    .map(|(_, v)| v),
            ),
            ParamIn::Query => (
                "query",
                pairs.iter().find(|(n, _)| *n == param.name).map(|(_, v)| v),
            ),
        };
        let at = format!("{prefix}.{}", param.name);
        match text {
            Some(text) => {
                coerce_param(doc, text, param.schema, &at)?;
            }
            None if param.required => return Err(format!("{at}: missing required parameter")),
            None => {}
        }
    }
    Ok(())
}
