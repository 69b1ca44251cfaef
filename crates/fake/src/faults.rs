//! Fault injection: a queue of [`Fault`]s, each consumed by the next requests it matches.

use crate::respond::{Delivery, Reply, reason};
use crate::spec::{Api, JSON, Operation, TEXT};
use hyper::StatusCode;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// A fault for the next `times` requests to `operation_id` (or to any operation).
///
/// Faults apply only to requests that route to an operation (not to unknown paths nor
/// CORS preflights), before authentication, rate limiting and validation. Faults are
/// consumed in the order they were injected: a request takes the first queued fault that
/// matches it, and at most one.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// The `operationId` to match (`getCalls`, `getVersionV1`); `None` matches any operation.
    pub operation_id: Option<String>,
    /// How many matching requests it applies to; `0` is treated as `1`.
    pub times: u32,
    /// What happens.
    pub kind: FaultKind,
    /// A raw `Retry-After` header value put on the fault's reply, whatever its status
    /// (`"120"`, `"-1"`, `"99999999999999999999"`, `"soon"`, an HTTP date): for tests of how
    /// a client reads odd values. It replaces the one of [`FaultKind::RateLimited`]; it is
    /// ignored for [`FaultKind::Delay`] (which answers normally) and when it is not a valid
    /// header value (control characters).
    pub retry_after: Option<String>,
}

impl Fault {
    /// `kind` once, for the next request to any operation.
    pub fn any(kind: FaultKind) -> Self {
        Fault {
            operation_id: None,
            times: 1,
            kind,
            retry_after: None,
        }
    }

    /// `kind` once, for the next request to `operation_id`.
    pub fn on(operation_id: impl Into<String>, kind: FaultKind) -> Self {
        Fault {
            operation_id: Some(operation_id.into()),
            times: 1,
            kind,
            retry_after: None,
        }
    }

    /// Applies to the next `times` matching requests instead of one.
    #[must_use]
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    /// Puts `Retry-After: <raw>` on the reply, as given (see [`Fault::retry_after`]).
    /// `Fault::on("getVersion", FaultKind::Status(503)).times(2).with_retry_after("1")`
    /// answers two 503s with `Retry-After: 1`, then lets the operation answer normally.
    #[must_use]
    pub fn with_retry_after(mut self, raw: impl Into<String>) -> Self {
        self.retry_after = Some(raw.into());
        self
    }
}

/// What an injected [`Fault`] does to the request it matches.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FaultKind {
    /// `429` with the gateway's body `{"message":"API rate limit exceeded","request_id":..}`
    /// (`application/json`) and, when given, a `Retry-After` header.
    RateLimited { retry_after: Option<RetryAfter> },
    /// That status: a problem+json body on v2, its reason phrase as text on v1.
    Status(u16),
    /// A problem+json reply with this status, title and detail (on v1 operations too).
    Problem {
        status: u16,
        title: String,
        detail: String,
    },
    /// A `text/plain` reply with this status and text (on v2 operations too).
    V1Text { status: u16, text: String },
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// The status line and headers of the documented success, a `Content-Length` larger
    /// than what follows, the first half of the body, then the connection is closed (a
    /// connection reset mid-body, as the client sees it).
    Truncate,
    /// The documented success, its body sent `chunk` bytes at a time with a pause of
    /// `every` before each further chunk (`Content-Length` announced up front), so that a
    /// client's timeout can fire mid-body. `chunk` `0` is treated as `1`.
    Drip { chunk: usize, every: Duration },
    /// The documented success status and content type (`application/json` when it has
    /// none) with a generated body of exactly `bytes` bytes, streamed in 64 KiB pieces (never
    /// held whole): for JSON a valid array `[0,0,...]` (padded with a space when needed;
    /// below 4 bytes, spaces), else `a`s. For tests of a client's reply size cap.
    Oversized { bytes: u64 },
    /// The documented success status and content type (`text/plain` when it has none) with
    /// a body that is not UTF-8: `{"message":"caf\xE9 \xFF\xFE"}` when JSON, else
    /// `caf\xE9 \xFF\xFE OK`.
    NonUtf8,
    /// This status with a `text/html` page as a proxy (nginx, Cloudflare) sends, e.g.
    /// `<title>502 Bad Gateway</title>`.
    Html { status: u16 },
    /// This status with no body and no `Content-Type` (`202` on an operation that only
    /// documents `200`, `204`, ...).
    Empty { status: u16 },
    /// This status with this JSON body (`application/json`): a reply of the wrong shape
    /// (`[]`, `{"unexpected":1}`), or any other.
    Json {
        status: u16,
        body: serde_json::Value,
    },
}

/// The `Retry-After` header of an injected 429.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: <seconds>`.
    Seconds(u64),
    /// `Retry-After: <HTTP date>` for this instant.
    Date(SystemTime),
    /// `Retry-After: <HTTP date>` this long after the reply is made, rounded up to the
    /// next whole second (HTTP dates have no fractions).
    DateIn(Duration),
}

impl RetryAfter {
    pub(crate) fn header_value(&self) -> String {
        match self {
            RetryAfter::Seconds(s) => s.to_string(),
            RetryAfter::Date(at) => httpdate::fmt_http_date(*at),
            RetryAfter::DateIn(after) => {
                let at = SystemTime::now() + *after + Duration::from_millis(999);
                httpdate::fmt_http_date(at)
            }
        }
    }
}

/// The queue of injected faults.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    queue: Mutex<VecDeque<Fault>>,
}

impl Faults {
    pub(crate) fn push(&self, mut fault: Fault) {
        fault.times = fault.times.max(1);
        lock(&self.queue).push_back(fault);
    }

    pub(crate) fn clear(&self) {
        lock(&self.queue).clear();
    }

    /// Takes one use of the first fault matching `operation_id`.
    pub(crate) fn take(&self, operation_id: &str) -> Option<Fault> {
        let mut queue = lock(&self.queue);
        let i = queue.iter().position(|f| {
            f.operation_id
                .as_deref()
                .is_none_or(|id| id == operation_id)
        })?;
        let fault = &mut queue[i];
        fault.times -= 1;
        let taken = fault.clone();
        if fault.times == 0 {
            queue.remove(i);
        }
        Some(taken)
    }
}

/// The proxy error page of [`FaultKind::Html`].
fn html_page(status: StatusCode) -> String {
    let line = format!("{} {}", status.as_u16(), reason(status));
    format!(
        "<html>\r\n<head><title>{line}</title></head>\r\n<body>\r\n<center><h1>{line}</h1></center>\r\n\
         <hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
}

/// The reply a fault makes (`None` for `Delay`, which answers normally afterwards).
pub(crate) fn reply(fault: &Fault, op: &Operation, path: &str) -> Option<Reply> {
    let mut reply = kind_reply(&fault.kind, op, path)?;
    if let Some(raw) = &fault.retry_after {
        reply.retry_after = Some(raw.clone());
    }
    Some(reply)
}

fn kind_reply(kind: &FaultKind, op: &Operation, path: &str) -> Option<Reply> {
    let status =
        |code: u16| StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let success_status = StatusCode::from_u16(op.success.status).unwrap_or(StatusCode::OK);
    let is_json = |ct: &str| ct.starts_with(JSON) || ct.contains("+json");
    Some(match kind {
        FaultKind::Delay(_) => return None,
        FaultKind::RateLimited { retry_after } => {
            Reply::rate_limited(op, path, retry_after.as_ref().map(RetryAfter::header_value))
        }
        FaultKind::Status(code) => {
            let status = status(*code);
            match op.api {
                Api::V2 => Reply::problem(status, reason(status), "Injected fault.", path),
                Api::V1 => Reply::v1_text(status, reason(status)),
            }
        }
        FaultKind::Problem {
            status: code,
            title,
            detail,
        } => Reply::problem(status(*code), title, detail, path),
        FaultKind::V1Text { status: code, text } => Reply::v1_text(status(*code), text),
        FaultKind::Truncate => {
            let mut reply = Reply::success(&op.success);
            let full = reply.body.len();
            reply.body = reply.body.slice(..full / 2);
            reply.delivery = Delivery::CutShort {
                announced: full.max(reply.body.len() + 1),
            };
            reply
        }
        FaultKind::Drip { chunk, every } => {
            let mut reply = Reply::success(&op.success);
            reply.delivery = Delivery::Drip {
                chunk: (*chunk).max(1),
                every: *every,
            };
            reply
        }
        FaultKind::Oversized { bytes } => {
            let ct = op.success.content_type.unwrap_or(JSON);
            let mut reply = Reply::new(success_status, Some(ct), bytes::Bytes::new());
            reply.delivery = Delivery::Generated {
                len: *bytes,
                json: is_json(ct),
            };
            reply
        }
        FaultKind::NonUtf8 => {
            let ct = op.success.content_type.unwrap_or(TEXT);
            let body: &'static [u8] = if is_json(ct) {
                b"{\"message\":\"caf\xE9 \xFF\xFE\"}"
            } else {
                b"caf\xE9 \xFF\xFE OK"
            };
            Reply::new(success_status, Some(ct), bytes::Bytes::from_static(body))
        }
        FaultKind::Html { status: code } => {
            let status = status(*code);
            Reply::new(status, Some("text/html"), html_page(status))
        }
        FaultKind::Empty { status: code } => Reply::new(status(*code), None, bytes::Bytes::new()),
        FaultKind::Json { status: code, body } => {
            Reply::new(status(*code), Some(JSON), body.to_string())
        }
    })
}

/// Locks, recovering from a poisoned lock (a panic elsewhere must not stop the server).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_order_and_times() {
        let faults = Faults::default();
        faults.push(Fault::on("a", FaultKind::Status(500)).times(2));
        faults.push(Fault::any(FaultKind::Status(503)));
        let kind = |f: Option<Fault>| f.map(|f| f.kind);
        assert_eq!(kind(faults.take("b")), Some(FaultKind::Status(503)));
        assert_eq!(kind(faults.take("b")), None);
        assert_eq!(kind(faults.take("a")), Some(FaultKind::Status(500)));
        assert_eq!(kind(faults.take("a")), Some(FaultKind::Status(500)));
        assert_eq!(kind(faults.take("a")), None);
    }

    #[test]
    fn retry_after_values() {
        assert_eq!(RetryAfter::Seconds(7).header_value(), "7");
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(
            RetryAfter::Date(at).header_value(),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        let later =
            httpdate::parse_http_date(&RetryAfter::DateIn(Duration::from_secs(5)).header_value())
                .unwrap();
        assert!(later > SystemTime::now() + Duration::from_secs(4));
    }
}
