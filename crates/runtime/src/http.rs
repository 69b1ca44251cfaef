//! The typed client's transport: reqwest requests (built by the generated v2 request
//! builders, the v1 sender and the uploads) through the shared [`Runtime`] loop.

mod query;
#[doc(hidden)]
pub use query::{QueryParam, encode_path};

use crate::Error;
use crate::error::{ApiError, NoV1Code, V1Code};
use crate::runtime::{Attempt, CallOptions, Runtime};
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;

impl Runtime {
    /// Adds what every request carries: extra headers (the client's, then the call's own),
    /// the bearer header (v2 only: v1 carries the key in its body). The timeout is set per
    /// attempt by [`Runtime::send_reqwest`].
    #[doc(hidden)]
    pub fn prepare<C: V1Code>(
        &self,
        request: &mut reqwest::Request,
        bearer: bool,
    ) -> Result<(), Error<C>> {
        for (name, value) in self.headers() {
            // Validated when the client was built.
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                request.headers_mut().insert(n, v);
            }
        }
        if let Some(options) = self.call_options() {
            for (name, value) in &options.headers {
                let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                    Error::InvalidRequest(format!("`{name}` is not a valid HTTP header name"))
                })?;
                let v = HeaderValue::from_str(value).map_err(|_| {
                    Error::InvalidRequest(format!(
                        "the value of header `{name}` cannot go in an HTTP header"
                    ))
                })?;
                request.headers_mut().insert(n, v);
            }
        }
        if bearer && let Some(value) = self.bearer() {
            let value = value.map_err(|()| {
                Error::InvalidRequest(
                    "the API key contains characters that cannot go in an HTTP header".into(),
                )
            })?;
            request.headers_mut().insert(AUTHORIZATION, value.clone());
        }
        Ok(())
    }

    /// Sends `request` for `operation_id` through [`Runtime::execute`], each attempt
    /// bounded by what is left of the call's deadline, and records how the call went in
    /// this runtime's scope ([`Runtime::take_record`]). A request whose body cannot be
    /// copied (a stream) is sent once, without retries. A call the runtime ended itself
    /// ([`Stopped`](crate::runtime::Stopped)) comes back as a made-up 429 whose record
    /// says why; [`Runtime::finish`] turns it into the error.
    #[doc(hidden)]
    pub async fn send_reqwest(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> reqwest::Result<reqwest::Response> {
        // A request made elsewhere is copied for each retry (when its body can be).
        let spare = request.try_clone();
        let mut again = || spare.as_ref().and_then(reqwest::Request::try_clone);
        let again: Option<&mut Again<'_>> = match spare {
            Some(_) => Some(&mut again),
            None => None,
        };
        let (sent, mut record) = self.run(http, request, again, operation_id).await;
        match sent {
            Ok(sent) => {
                if let Ok(reply) = &sent {
                    record.status = Some(reply.status().as_u16());
                    record.headers = reply.headers().clone();
                }
                self.put_record(record);
                sent.map(Received::into_response)
            }
            Err(stopped) => {
                record.stopped = Some(stopped);
                self.put_record(record);
                Ok(made_up_429())
            }
        }
    }

    /// The attempts of one call ([`Runtime::send_reqwest`]'s loop, [`Transport::send_v2`]'s):
    /// `request` for the first, then `again` for each retry (no retries without it); the
    /// last attempt's outcome (`Err` when the runtime ended the call itself) and the call's
    /// record, its reply's status and headers not yet in it.
    async fn run(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        mut again: Option<&mut Again<'_>>,
        operation_id: &'static str,
    ) -> (
        Result<reqwest::Result<Received>, crate::runtime::Stopped>,
        crate::runtime::CallRecord,
    ) {
        let repeatable = again.is_some();
        let method = request.method().clone();
        let mut first = Some(request);
        let executed = self
            .execute(operation_id, method.as_str(), repeatable, |budget| {
                let mut request = first.take().or_else(|| again.as_mut().and_then(|a| a()));
                if let (Some(r), Some(timeout)) = (
                    request.as_mut(),
                    budget.and_then(|b| self.attempt_timeout(b)),
                ) {
                    *r.timeout_mut() = Some(timeout);
                }
                let cap = self.max_reply_bytes();
                async move {
                    match request {
                        Some(r) => match http.execute(r).await {
                            Ok(reply) => {
                                let (reply, broken) = read_whole(reply, cap).await;
                                Raw {
                                    sent: Some(Ok(reply)),
                                    broken,
                                }
                            }
                            Err(e) => Raw {
                                sent: Some(Err(e)),
                                broken: false,
                            },
                        },
                        None => Raw {
                            sent: None,
                            broken: false,
                        },
                    }
                }
            })
            .await;
        let record = crate::runtime::CallRecord {
            operation_id,
            stats: executed.stats,
            ..Default::default()
        };
        let sent = executed.outcome.map(|outcome| match outcome.sent {
            Some(sent) => sent,
            // `execute` calls the closure once unless `repeatable`, and a request that was
            // copied (built) once copies (builds) again: there is always a request to send.
            None => unreachable!("a request for every attempt"),
        });
        (sent, record)
    }

    /// A call's result as the caller gets it: `result` (the reply decoded, or the error it
    /// stands for) with what this scoped runtime recorded: the runtime's own ending of the
    /// call as its error ([`Error::PacingRefused`], [`Error::Timeout`]), and the
    /// operation, attempts, elapsed time and request id on every error and every reply.
    pub fn finish<T, C: V1Code>(
        &self,
        result: Result<T, Error<C>>,
    ) -> Result<crate::Response<T>, Error<C>> {
        complete(self.take_record().unwrap_or_default(), result)
    }
}

/// [`Runtime::finish`] with the call's `record` in hand.
fn complete<T, C: V1Code>(
    record: crate::runtime::CallRecord,
    result: Result<T, Error<C>>,
) -> Result<crate::Response<T>, Error<C>> {
    let crate::runtime::CallRecord {
        operation_id,
        stats,
        stopped,
        status,
        headers,
    } = record;
    let request_id = request_id_of(&headers);
    let result = match stopped {
        Some(stopped) => Err(stopped_error(stopped, &stats)),
        None => result,
    };
    match result {
        Ok(value) => Ok(crate::Response {
            value,
            status: status.unwrap_or_default(),
            headers,
            request_id,
            attempts: stats.attempts,
            elapsed: stats.elapsed,
        }),
        Err(e) if operation_id.is_empty() => Err(e),
        Err(e) => Err(e.with_call(operation_id, stats.attempts, stats.elapsed, request_id)),
    }
}

/// The error of a call the runtime ended itself: [`Error::PacingRefused`] or
/// [`Error::Timeout`] (its call named by [`complete`]).
fn stopped_error<C: V1Code>(
    stopped: crate::runtime::Stopped,
    stats: &crate::runtime::CallStats,
) -> Error<C> {
    match stopped {
        crate::runtime::Stopped::Refused { wait, bound } => Error::PacingRefused {
            operation: None,
            wait,
            bound,
        },
        crate::runtime::Stopped::DeadlinePassed => Error::Timeout {
            operation: None,
            attempts: 0,
            elapsed: stats.elapsed,
        },
    }
}

/// The headers a request id may come in, first found wins (see [`Error::request_id`]).
pub const REQUEST_ID_HEADERS: [&str; 3] = ["x-request-id", "request-id", "x-amzn-requestid"];

/// [`REQUEST_ID_HEADERS`] as header names, so that looking them up parses nothing.
const REQUEST_ID_NAMES: [HeaderName; 3] = [
    HeaderName::from_static(REQUEST_ID_HEADERS[0]),
    HeaderName::from_static(REQUEST_ID_HEADERS[1]),
    HeaderName::from_static(REQUEST_ID_HEADERS[2]),
];

/// The request id among `headers`, when one of [`REQUEST_ID_HEADERS`] is there (the first
/// of them in that order). One pass over the reply's few headers, not a lookup of each.
pub fn request_id_of(headers: &reqwest::header::HeaderMap) -> Option<String> {
    // The first value of each name counts (as `HeaderMap::get` reads it).
    let mut seen = [false; REQUEST_ID_HEADERS.len()];
    let mut found: Option<(usize, &str)> = None;
    for (name, value) in headers {
        let Some(rank) = REQUEST_ID_NAMES.iter().position(|h| h == name) else {
            continue;
        };
        if std::mem::replace(&mut seen[rank], true) {
            continue;
        }
        if let Ok(text) = value.to_str()
            && found.is_none_or(|(r, _)| rank < r)
        {
            found = Some((rank, text));
        }
    }
    found.map(|(_, text)| text.to_string())
}

#[cfg(test)]
mod request_id_tests {
    use super::request_id_of;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn the_first_named_header_wins_and_only_its_first_value_counts() {
        let mut h = HeaderMap::new();
        assert_eq!(request_id_of(&h), None);
        h.insert("content-type", HeaderValue::from_static("application/json"));
        assert_eq!(request_id_of(&h), None);
        h.insert("x-amzn-requestid", HeaderValue::from_static("amzn"));
        assert_eq!(request_id_of(&h).as_deref(), Some("amzn"));
        h.insert("request-id", HeaderValue::from_static("plain"));
        assert_eq!(request_id_of(&h).as_deref(), Some("plain"));
        // A first value that is not text is skipped for the next name, as `get` reads it.
        h.append("x-request-id", HeaderValue::from_bytes(b"\xff").unwrap());
        h.append("x-request-id", HeaderValue::from_static("second"));
        assert_eq!(request_id_of(&h).as_deref(), Some("plain"));
        h.insert("x-request-id", HeaderValue::from_static("xreq"));
        assert_eq!(request_id_of(&h).as_deref(), Some("xreq"));
    }
}

/// The reply standing for a call the runtime ended itself (its record says why).
fn made_up_429() -> reqwest::Response {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let mut reply = ::http::Response::new(reqwest::Body::from(String::new()));
        *reply.status_mut() = ::http::StatusCode::TOO_MANY_REQUESTS;
        reqwest::Response::from(reply)
    }
    #[cfg(target_arch = "wasm32")]
    {
        // `Runtime::execute` never stops a call itself on wasm32 (a held call waits, a
        // passed deadline times the attempt out).
        unreachable!("no runtime-ended calls on wasm32")
    }
}

/// A reply as an attempt received it, its body read whole within the attempt
/// ([`read_whole`]). Natively it is kept in parts, so that a v2 call takes its status,
/// headers and body without rebuilding a `reqwest::Response` ([`Received::into_response`]
/// rebuilds one for the senders that want it); on wasm32 the platform's fetch reads the
/// body and the reply stays as it came.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) struct Received {
    parts: ::http::response::Parts,
    body: Result<bytes::Bytes, Box<dyn std::error::Error + Send + Sync>>,
    url: reqwest::Url,
}

#[cfg(target_arch = "wasm32")]
pub(crate) type Received = reqwest::Response;

#[cfg(not(target_arch = "wasm32"))]
impl Received {
    pub(crate) fn status(&self) -> ::http::StatusCode {
        self.parts.status
    }

    pub(crate) fn headers(&self) -> &::http::HeaderMap {
        &self.parts.headers
    }

    /// The reply as a `reqwest::Response` whose body is the one read (or fails as its read
    /// did), with its URL.
    pub(crate) fn into_response(self) -> reqwest::Response {
        let body = match self.body {
            Ok(bytes) => reqwest::Body::from(bytes),
            Err(e) => reqwest::Body::wrap(Failed(Some(e))),
        };
        let mut rebuilt = ::http::Response::from_parts(self.parts, body);
        if let Ok(marked) =
            reqwest::ResponseBuilderExt::url(::http::Response::builder(), self.url).body(())
        {
            rebuilt
                .extensions_mut()
                .extend(marked.into_parts().0.extensions);
        }
        reqwest::Response::from(rebuilt)
    }

    /// The headers (moved out) and body of a reply whose body was read whole; `None` (and
    /// the reply as it was) when its read failed.
    fn take_whole(&mut self) -> Option<(::http::HeaderMap, bytes::Bytes)> {
        let body = std::mem::take(self.body.as_mut().ok()?);
        Some((std::mem::take(&mut self.parts.headers), body))
    }

    /// A reply made up by this client, not received (the shared limiter's refusal).
    #[cfg(feature = "redis")]
    fn made_up(reply: reqwest::Response) -> Self {
        let url = reply.url().clone();
        let reply: ::http::Response<reqwest::Body> = reply.into();
        let (parts, _) = reply.into_parts();
        Self {
            parts,
            body: Ok(bytes::Bytes::new()),
            url,
        }
    }
}

#[cfg(target_arch = "wasm32")]
trait IntoResponse {
    fn into_response(self) -> reqwest::Response;
}

#[cfg(target_arch = "wasm32")]
impl IntoResponse for reqwest::Response {
    fn into_response(self) -> reqwest::Response {
        self
    }
}

/// Reads `reply`'s whole body within the attempt (bounded by `cap` bytes), so that a
/// reply cut off mid-body counts as a broken attempt that the retry rules see, and a reply
/// longer than `cap` is refused while it is read. Returns the reply with its body in
/// memory, or, when reading failed, with the error its read met (and `true` when the
/// connection broke). On wasm32 the platform's fetch reads the body, so there the reply is
/// passed on as it is.
async fn read_whole(reply: reqwest::Response, cap: u64) -> (Received, bool) {
    #[cfg(not(target_arch = "wasm32"))]
    {
        // Kept for a rebuilt reply ([`Received::into_response`]): otherwise reqwest parses
        // a placeholder URL for it.
        let url = reply.url().clone();
        let reply: ::http::Response<reqwest::Body> = reply.into();
        let (parts, body) = reply.into_parts();
        let mut body = Capped {
            inner: body,
            left: cap,
            cap,
        };
        // A body that comes in one frame (most replies) is kept as it came; only a second
        // frame makes a buffer to copy them into.
        let mut first: Option<bytes::Bytes> = None;
        let mut more: Vec<u8> = Vec::new();
        let failed = loop {
            let frame = std::future::poll_fn(|cx| {
                http_body::Body::poll_frame(std::pin::Pin::new(&mut body), cx)
            })
            .await;
            match frame {
                None => break None,
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        match &first {
                            None if more.is_empty() => first = Some(data),
                            _ => {
                                if let Some(head) = first.take() {
                                    more.reserve(
                                        http_body::Body::size_hint(&body)
                                            .exact()
                                            .and_then(|n| usize::try_from(n).ok())
                                            .unwrap_or(0)
                                            .min(1 << 20)
                                            + head.len()
                                            + data.len(),
                                    );
                                    more.extend_from_slice(&head);
                                }
                                more.extend_from_slice(&data);
                            }
                        }
                    }
                }
                Some(Err(e)) => break Some(e),
            }
        };
        let (body, broken) = match failed {
            None => (Ok(first.unwrap_or_else(|| bytes::Bytes::from(more))), false),
            Some(e) => {
                let broken = !e.is::<TooLarge>();
                (Err(e), broken)
            }
        };
        (Received { parts, body, url }, broken)
    }
    #[cfg(target_arch = "wasm32")]
    {
        let _ = cap;
        (reply, false)
    }
}

/// A body that fails with the error its read met.
#[cfg(not(target_arch = "wasm32"))]
struct Failed(Option<Box<dyn std::error::Error + Send + Sync>>);

#[cfg(not(target_arch = "wasm32"))]
impl http_body::Body for Failed {
    type Data = bytes::Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::task::Poll::Ready(self.0.take().map(Err))
    }
}

/// A reply body longer than the client accepts.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug)]
pub(crate) struct TooLarge {
    pub limit: u64,
}

#[cfg(not(target_arch = "wasm32"))]
impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the reply is longer than {} bytes", self.limit)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl std::error::Error for TooLarge {}

/// A body that fails once more than `cap` bytes have come.
#[cfg(not(target_arch = "wasm32"))]
struct Capped<B> {
    inner: B,
    left: u64,
    cap: u64,
}

#[cfg(not(target_arch = "wasm32"))]
impl<B> http_body::Body for Capped<B>
where
    B: http_body::Body<Data = bytes::Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = bytes::Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        use std::task::Poll;
        let this = &mut *self;
        match std::pin::Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let len = frame.data_ref().map_or(0, |d| d.len() as u64);
                if len > this.left {
                    return Poll::Ready(Some(Err(Box::new(TooLarge { limit: this.cap }))));
                }
                this.left -= len;
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// One attempt: reqwest's outcome (`None` only where no request was left to send), its
/// body already read.
struct Raw {
    sent: Option<reqwest::Result<Received>>,
    /// The reply's body broke off while it was read: no reply, as far as retries go.
    broken: bool,
}

impl Attempt for Raw {
    #[cfg(feature = "redis")]
    fn refused(reason: &str) -> Option<Self> {
        Some(Raw {
            sent: Some(Ok(Received::made_up(crate::shared::refusal(reason)))),
            broken: false,
        })
    }

    fn status(&self) -> Option<u16> {
        match &self.sent {
            Some(Ok(r)) if !self.broken => Some(r.status().as_u16()),
            _ => None,
        }
    }

    fn retry_after(&self) -> Option<&str> {
        match &self.sent {
            Some(Ok(r)) => r.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok(),
            _ => None,
        }
    }

    fn failure(&self) -> Option<crate::retry::Failure> {
        use crate::retry::Failure;
        match &self.sent {
            #[cfg(not(target_arch = "wasm32"))]
            Some(Err(e)) if e.is_connect() => Some(Failure::Connect),
            Some(Err(e)) if e.is_timeout() => Some(Failure::Timeout),
            Some(Ok(_)) if !self.broken => None,
            _ => Some(Failure::Interrupted),
        }
    }
}

/// The request of a call's next attempt, made again for a retry: a copy of the first
/// (v1 calls, uploads) or the same request built anew (v2 calls).
#[cfg(not(target_arch = "wasm32"))]
type Again<'a> = dyn FnMut() -> Option<reqwest::Request> + Send + 'a;
#[cfg(target_arch = "wasm32")]
type Again<'a> = dyn FnMut() -> Option<reqwest::Request> + 'a;

/// What builds a v2 call's request ([`Transport::send_v2`]): the generated builder's own
/// statements (URL with its encoded path, `accept`, query, JSON body), run once for the
/// first attempt and again for each retry, which so needs no copy of the request made in
/// advance.
#[cfg(not(target_arch = "wasm32"))]
type MakeRequest<'a> = dyn Fn() -> reqwest::RequestBuilder + Sync + 'a;
#[cfg(target_arch = "wasm32")]
type MakeRequest<'a> = dyn Fn() -> reqwest::RequestBuilder + 'a;

/// What a v2 call does with its decoded reply ([`Transport::call_v2`]): `Ok` for most
/// operations; an enveloped one checks its `success` and keeps what it resolves to.
pub type Then<T, U, C> = fn(crate::Response<T>) -> Result<crate::Response<U>, Error<C>>;

/// What a generated client holds to send its requests: the base URL, the HTTP client and
/// the runtime (configuration, pacing, retries). The v2 request builders hand
/// [`Transport::call_v2`] what builds their `reqwest::RequestBuilder`; the v1 calls and the
/// uploads send through [`Runtime::send_reqwest`] with its parts.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct Transport {
    /// Shared, not copied, by every request builder's clone of the client.
    pub baseurl: std::sync::Arc<str>,
    pub client: reqwest::Client,
    pub inner: Runtime,
}

impl Transport {
    pub fn new_with_client(baseurl: &str, client: reqwest::Client, inner: Runtime) -> Self {
        Self {
            baseurl: baseurl.into(),
            client,
            inner,
        }
    }

    /// The future of a v2 call, for a request builder's `send_with_response`: `make` builds
    /// the request from this transport (once, and again for each retry), the reply of the
    /// `success` status is decoded as `T` (`send_v2`) and handed to `then`
    /// (`Ok` for most operations; an enveloped one checks `success` and takes what it
    /// needs). The builder moves its parts into `make`; the call's state machine is this
    /// one, for every operation, not one of its own per operation (which made most of a
    /// generated crate's compile time).
    pub fn call_v2<T, U, C, F>(
        self,
        options: CallOptions,
        operation_id: &'static str,
        success: u16,
        make: F,
        then: Then<T, U, C>,
    ) -> crate::ResponseFuture<U, C>
    where
        T: DeserializeOwned + Send + 'static,
        U: Send + 'static,
        C: V1Code,
        F: Fn(&Transport) -> reqwest::RequestBuilder + Send + Sync + 'static,
    {
        crate::ResponseFuture::new(async move {
            let make = || make(&self);
            self.send_v2::<T, C>(&make, operation_id, success, options)
                .await
                .and_then(then)
        })
    }

    /// [`Transport::call_v2`] for an operation whose documented success has no body
    /// (`send_v2_empty`).
    pub fn call_v2_empty<C, F>(
        self,
        options: CallOptions,
        operation_id: &'static str,
        success: u16,
        make: F,
    ) -> crate::ResponseFuture<(), C>
    where
        C: V1Code,
        F: Fn(&Transport) -> reqwest::RequestBuilder + Send + Sync + 'static,
    {
        crate::ResponseFuture::new(async move {
            let make = || make(&self);
            self.send_v2_empty::<C>(&make, operation_id, success, options)
                .await
        })
    }

    /// Sends a v2 request of `operation_id` (paced, retried) with the call's `options`,
    /// and decodes a reply of the documented `success` status as `T`; every other outcome
    /// is the typed error it stands for (problem+json, the 429 body, plain text, a reply
    /// that is not the documented JSON, an enveloped `success: false`).
    async fn send_v2<T: DeserializeOwned, C: V1Code>(
        &self,
        make: &MakeRequest<'_>,
        operation_id: &'static str,
        success: u16,
        options: CallOptions,
    ) -> Result<crate::Response<T>, Error<C>> {
        let (body, record) = self
            .exchange_boxed(make, operation_id, success, options)
            .await;
        let value = body.map_err(Error::recode).and_then(|body| {
            serde_json::from_slice(&body).map_err(|e| undecodable(success, &body, &e))
        });
        complete(record, value)
    }

    /// [`Transport::send_v2`] for an operation whose documented success has no body: the
    /// body, if any, is not read.
    async fn send_v2_empty<C: V1Code>(
        &self,
        make: &MakeRequest<'_>,
        operation_id: &'static str,
        success: u16,
        options: CallOptions,
    ) -> Result<crate::Response<()>, Error<C>> {
        let (body, record) = self
            .exchange_boxed(make, operation_id, success, options)
            .await;
        complete(record, body.map(drop).map_err(Error::recode))
    }

    /// [`Transport::exchange`] behind a pointer, its type erased: each operation's future
    /// holds it, not its state machine.
    fn exchange_boxed<'a>(
        &'a self,
        make: &'a MakeRequest<'a>,
        operation_id: &'static str,
        success: u16,
        options: CallOptions,
    ) -> crate::BoxFuture<'a, (Result<bytes::Bytes, Error>, crate::runtime::CallRecord)> {
        Box::pin(self.exchange(make, operation_id, success, options))
    }

    /// One call's exchange, whatever its reply type and its API: the body of a reply of the
    /// `success` status, or the error, with the call's record (the reply's headers moved into
    /// it). Not generic: every call of every API runs this one copy, compiled here (a
    /// plain-text error's v1 code is found by [`Error::recode`] afterwards).
    async fn exchange(
        &self,
        make: &MakeRequest<'_>,
        operation_id: &'static str,
        success: u16,
        options: CallOptions,
    ) -> (Result<bytes::Bytes, Error>, crate::runtime::CallRecord) {
        // A call with the client's own settings needs no scope of its own (its record
        // comes back from `run`): one allocation less a call.
        let scoped;
        let runtime = if options.timeout.is_none() && options.headers.is_empty() {
            &self.inner
        } else {
            scoped = self.inner.scoped(options);
            &scoped
        };
        let build = || {
            let mut request = make().build().map_err(Error::from_reqwest)?;
            runtime.prepare::<NoV1Code>(&mut request, true)?;
            Ok::<_, Error>(request)
        };
        let request = match build() {
            Ok(request) => request,
            // An error before sending is an invalid request, which names no call.
            Err(e) => return (Err(e), crate::runtime::CallRecord::default()),
        };
        // A retry builds its request again, as the first was built: what built once
        // builds again.
        let mut again = || build().ok();
        let (sent, mut record) = runtime
            .run(&self.client, request, Some(&mut again), operation_id)
            .await;
        let mut reply = match sent {
            // The runtime ended the call itself: nothing to decode.
            Err(stopped) => return (Err(stopped_error(stopped, &record.stats)), record),
            Ok(Err(e)) => return (Err(Error::from_reqwest(e)), record),
            Ok(Ok(reply)) => reply,
        };
        let status = reply.status().as_u16();
        record.status = Some(status);
        if status == success {
            #[cfg(not(target_arch = "wasm32"))]
            {
                if let Some((headers, body)) = reply.take_whole() {
                    record.headers = headers;
                    return (Ok(body), record);
                }
                // The body broke off: reading it again gives reqwest's error.
                record.headers = reply.headers().clone();
            }
            #[cfg(target_arch = "wasm32")]
            {
                record.headers = std::mem::take(reply.headers_mut());
            }
            let body = reply.into_response().bytes().await;
            return (body.map_err(Error::from_reqwest), record);
        }
        record.headers = reply.headers().clone();
        let error = match crate::reply::Reply::read(Ok(reply.into_response())).await {
            Err(e) => e,
            // A 2xx other than the documented one: the body is not read as a type.
            Ok(reply) => Error::undocumented_success(reply.status(), success, &reply.into_body()),
        };
        (Err(error), record)
    }
}

/// The error a reply of the documented status stands for when its body is not the
/// documented JSON: an enveloped reply that says it failed (CMS's `success: false`) is the
/// API saying no ([`Error::Api`]); anything else is [`Error::MalformedReply`].
fn undecodable<C: V1Code>(success: u16, body: &[u8], e: &serde_json::Error) -> Error<C> {
    let text = String::from_utf8_lossy(body);
    if serde_json::from_slice::<serde_json::Value>(body)
        .is_ok_and(|v| v.get("success") == Some(&serde_json::Value::Bool(false)))
    {
        return Error::Api(ApiError::unsuccessful(success, &text));
    }
    Error::MalformedReply {
        status: success,
        body: crate::error::clip(&text),
        reason: format!("expected JSON of the documented shape: {e}"),
        operation: None,
        attempts: 0,
        request_id: None,
    }
}

/// The error an enveloped reply (`{success, data, meta}`) stands for when it decoded but its
/// `success` is not `true`: [`Error::Api`] with the reply's status and body.
pub fn unsuccessful<R: serde::Serialize, C: V1Code>(status: u16, reply: &R) -> Error<C> {
    let body = serde_json::to_string(reply).unwrap_or_default();
    Error::Api(ApiError::unsuccessful(status, &body))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod transport_tests {
    use super::*;
    use crate::NoV1Code;
    use crate::runtime::{CallRecord, RetryPolicy, Settings};
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn transport(base: &str) -> Transport {
        let runtime = Runtime::new(Settings {
            api_key: None,
            community_id: None,
            server_id: 1,
            timeout: Some(Duration::from_secs(10)),
            retry: RetryPolicy::default(),
            rate_limit: crate::RateLimitPolicy::off(),
            headers: Vec::new(),
            max_reply_bytes: crate::runtime::DEFAULT_MAX_REPLY_BYTES,
            max_queue: None,
            rate_limits: |_| None,
        });
        Transport::new_with_client(base, reqwest::Client::new(), runtime)
    }

    #[test]
    fn an_error_without_a_call_is_left_without_one() {
        // `finish` outside a scope (no record): the error names no operation, not "".
        let e = complete::<(), NoV1Code>(
            CallRecord::default(),
            Err(Error::Timeout {
                operation: None,
                attempts: 0,
                elapsed: Duration::ZERO,
            }),
        )
        .unwrap_err();
        assert_eq!(e.operation(), None);
    }

    #[tokio::test]
    async fn a_request_that_cannot_be_built_is_an_invalid_request_never_sent() {
        let t = transport("http://127.0.0.1:1");
        let e = t
            .send_v2::<serde_json::Value, NoV1Code>(
                &|| t.client.get("http://[::1"),
                "getThing",
                200,
                CallOptions::default(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&e, Error::InvalidRequest(why) if why.contains("IPv6")),
            "{e}"
        );
    }

    /// A reply whose body comes in several frames (chunks apart in time) is decoded whole.
    #[tokio::test]
    async fn a_body_in_several_frames_is_read_whole() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.ends_with(b"\r\n\r\n") {
                let n = socket.read(&mut buf).await.unwrap();
                assert!(n > 0, "the request ended early");
                request.extend_from_slice(&buf[..n]);
            }
            socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
                .await
                .unwrap();
            // An odd number of frames, the second longer than the first: what the
            // buffering of later frames must keep whole.
            for part in [&b"{"[..], b"\"version\":2,\"name\":", b"\"PLUS\"}"] {
                let chunk = [format!("{:x}\r\n", part.len()).as_bytes(), part, b"\r\n"].concat();
                socket.write_all(&chunk).await.unwrap();
                socket.flush().await.unwrap();
                // Apart in time, so that each arrives as its own frame.
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            socket.write_all(b"0\r\n\r\n").await.unwrap();
            socket.flush().await.unwrap();
        });
        let t = transport(&format!("http://{addr}"));
        let reply = t
            .send_v2::<serde_json::Value, NoV1Code>(
                &|| t.client.get(format!("http://{addr}/v2/general/version")),
                "getVersion",
                200,
                CallOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(
            reply.value,
            serde_json::json!({"version": 2, "name": "PLUS"})
        );
        assert_eq!(reply.status, 200);
        assert_eq!(reply.attempts, 1);
        server.await.unwrap();
    }
}
