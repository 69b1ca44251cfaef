//! Reply shapes (problem+json, v1 text, the gateway's 429, documented successes), the CORS
//! headers every reply carries, and the response body type (which can also cut itself
//! short for the `Truncate` fault).

use crate::spec::{Api, JSON, Success, TEXT};
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};
use serde_json::json;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub(crate) const PROBLEM_JSON: &str = "application/problem+json";
const ALLOW_METHODS: &str = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
const ALLOW_HEADERS: &str = "authorization, content-type, accept, api-version";
const MAX_AGE: &str = "600";

/// A reply before it becomes a `hyper::Response`.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub content_type: Option<&'static str>,
    pub body: Bytes,
    pub retry_after: Option<String>,
    /// Announce this many bytes in `Content-Length`, write `body`, then abort the connection.
    pub truncate_to: Option<usize>,
}

impl Reply {
    pub(crate) fn new(
        status: StatusCode,
        content_type: Option<&'static str>,
        body: impl Into<Bytes>,
    ) -> Self {
        Reply {
            status,
            content_type,
            body: body.into(),
            retry_after: None,
            truncate_to: None,
        }
    }

    /// An RFC 7807 problem, as the v2 gateway sends it.
    pub(crate) fn problem(status: StatusCode, title: &str, detail: &str, instance: &str) -> Self {
        let body = json!({
            "type": format!("https://httpstatuses.com/{}", status.as_u16()),
            "title": title,
            "status": status.as_u16(),
            "detail": detail,
            "instance": instance,
            "traceId": trace_id(),
        });
        Reply::new(status, Some(PROBLEM_JSON), body.to_string())
    }

    /// A v1 error: plain text.
    pub(crate) fn v1_text(status: StatusCode, text: &str) -> Self {
        Reply::new(status, Some(TEXT), text.to_owned())
    }

    /// An error in the style of the API the request was for.
    pub(crate) fn error(api: Api, status: StatusCode, detail: &str, instance: &str) -> Self {
        match api {
            Api::V2 => Reply::problem(status, reason(status), detail, instance),
            Api::V1 => Reply::v1_text(status, detail),
        }
    }

    /// The gateway's 429 (not problem+json).
    pub(crate) fn rate_limited(retry_after: Option<String>) -> Self {
        let body = json!({ "message": "API rate limit exceeded", "request_id": request_id() });
        let mut reply = Reply::new(StatusCode::TOO_MANY_REQUESTS, Some(JSON), body.to_string());
        reply.retry_after = retry_after;
        reply
    }

    pub(crate) fn success(success: &Success) -> Self {
        Reply::new(
            StatusCode::from_u16(success.status).unwrap_or(StatusCode::OK),
            success.content_type,
            success.body.clone(),
        )
    }

    /// The reply to a CORS preflight.
    pub(crate) fn preflight() -> Response<ReplyBody> {
        let mut response = Reply::new(StatusCode::NO_CONTENT, None, Bytes::new()).into_response();
        let h = response.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOW_METHODS),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOW_HEADERS),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(MAX_AGE),
        );
        response
    }

    pub(crate) fn into_response(self) -> Response<ReplyBody> {
        let (body, announced) = match self.truncate_to {
            Some(announced) => (ReplyBody::truncated(self.body), Some(announced)),
            None => (ReplyBody::full(self.body), None),
        };
        let mut response = Response::new(body);
        *response.status_mut() = self.status;
        let h = response.headers_mut();
        if let Some(ct) = self.content_type {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        if let Some(n) = announced {
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
        }
        if let Some(v) = self
            .retry_after
            .and_then(|v| HeaderValue::from_str(&v).ok())
        {
            h.insert(header::RETRY_AFTER, v);
        }
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("retry-after"),
        );
        response
    }
}

/// The canonical reason phrase, or `Error` for unassigned codes.
pub(crate) fn reason(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Error")
}

/// A response body: the bytes, then either the end or (for `Truncate`) an error after a
/// short pause that lets the written bytes reach the client, which makes hyper close the
/// connection short of the announced `Content-Length`.
#[derive(Debug)]
pub struct ReplyBody {
    data: Option<Bytes>,
    fail: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl ReplyBody {
    fn full(data: Bytes) -> Self {
        ReplyBody {
            data: Some(data),
            fail: None,
        }
    }

    fn truncated(data: Bytes) -> Self {
        ReplyBody {
            data: Some(data),
            fail: Some(Box::pin(tokio::time::sleep(Duration::from_millis(20)))),
        }
    }
}

impl Body for ReplyBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        if let Some(data) = this.data.take()
            && !data.is_empty()
        {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        match this.fail.as_mut() {
            None => Poll::Ready(None),
            Some(pause) => {
                if pause.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.fail = None;
                Poll::Ready(Some(Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "reply truncated by an injected fault",
                ))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.fail.is_none() && self.data.as_ref().is_none_or(Bytes::is_empty)
    }

    fn size_hint(&self) -> SizeHint {
        match (&self.fail, &self.data) {
            (None, Some(d)) => SizeHint::with_exact(d.len() as u64),
            (None, None) => SizeHint::with_exact(0),
            (Some(_), _) => SizeHint::default(),
        }
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// 64 bits that differ on every call (time, a counter and splitmix64); not cryptographic.
fn random_u64() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut z = nanos
        ^ COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A W3C traceparent-like id, as the gateway puts in `traceId`.
fn trace_id() -> String {
    format!(
        "00-{:016x}{:016x}-{:016x}-01",
        random_u64(),
        random_u64(),
        random_u64()
    )
}

/// A UUID-shaped id for the 429 body's `request_id`.
fn request_id() -> String {
    let (a, b) = (random_u64(), random_u64());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}
