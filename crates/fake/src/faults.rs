//! Fault injection: a queue of [`Fault`]s, each consumed by the next requests it matches.

use crate::respond::{Reply, reason};
use crate::spec::{Api, Operation};
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
}

impl Fault {
    /// `kind` once, for the next request to any operation.
    pub fn any(kind: FaultKind) -> Self {
        Fault {
            operation_id: None,
            times: 1,
            kind,
        }
    }

    /// `kind` once, for the next request to `operation_id`.
    pub fn on(operation_id: impl Into<String>, kind: FaultKind) -> Self {
        Fault {
            operation_id: Some(operation_id.into()),
            times: 1,
            kind,
        }
    }

    /// Applies to the next `times` matching requests instead of one.
    #[must_use]
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
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
    /// than what follows, the first half of the body, then the connection is closed.
    Truncate,
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
    pub(crate) fn take(&self, operation_id: &str) -> Option<FaultKind> {
        let mut queue = lock(&self.queue);
        let i = queue.iter().position(|f| {
            f.operation_id
                .as_deref()
                .is_none_or(|id| id == operation_id)
        })?;
        let fault = &mut queue[i];
        fault.times -= 1;
        let kind = fault.kind.clone();
        if fault.times == 0 {
            queue.remove(i);
        }
        Some(kind)
    }
}

/// The reply a fault makes (`None` for `Delay`, which answers normally afterwards).
pub(crate) fn reply(kind: &FaultKind, op: &Operation, path: &str) -> Option<Reply> {
    let status =
        |code: u16| StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Some(match kind {
        FaultKind::Delay(_) => return None,
        FaultKind::RateLimited { retry_after } => {
            Reply::rate_limited(retry_after.as_ref().map(RetryAfter::header_value))
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
            reply.truncate_to = Some(full.max(reply.body.len() + 1));
            reply
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
        assert_eq!(faults.take("b"), Some(FaultKind::Status(503)));
        assert_eq!(faults.take("b"), None);
        assert_eq!(faults.take("a"), Some(FaultKind::Status(500)));
        assert_eq!(faults.take("a"), Some(FaultKind::Status(500)));
        assert_eq!(faults.take("a"), None);
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
