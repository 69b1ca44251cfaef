//! The one error type of the client.
//!
//! It separates "could not build the request", "timed out", "could not send", "rate
//! limited", "the API said no" and "the API said something we cannot read", each with
//! what a caller needs to act on it. It never holds the API key: request bodies (which
//! carry the key on v1) are never copied into an error.

/// An API's documented plain-text v1 errors (`sonoran_cad::V1ErrorCode`, ...): what
/// [`ApiError::code`] holds. Implemented by each API crate's generated enum, which also
/// gives the API's facts an error reads: the [`ErrorKind`] of each documented text (from the
/// spec's `x-error-kinds`) and the docs page of each operation (its `x-docs-page`).
pub trait V1Code:
    Copy + fmt::Debug + PartialEq + Eq + std::hash::Hash + Send + Sync + 'static
{
    /// The code a reply body (trimmed) stands for, when it is a documented one.
    fn from_text(body: &str) -> Option<Self>;
    /// The exact text the API sends.
    fn text(self) -> &'static str;
    /// The kind of refusal the docs say this text is ([`ErrorKind::PlanRefused`], ...), when
    /// they say more than "the API refused" ([`ErrorKind::Api`]).
    fn kind(self) -> Option<ErrorKind> {
        None
    }
    /// The docs page of the operation `operation_id`, as a URL.
    fn docs_url(operation_id: &str) -> Option<&'static str> {
        let _ = operation_id;
        None
    }
}

/// What kind of failure an [`Error`] is: one vocabulary for the Rust crates and the npm
/// packages, whose `SonoranError.kind` is [`ErrorKind::as_str`] of the same failure
/// (`"pacingRefused"` for [`ErrorKind::PacingRefused`]). New kinds may be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `invalidRequest`: refused before anything was sent (a bad argument, a missing
    /// configuration, a disposed npm client).
    InvalidRequest,
    /// `pacingRefused`: not sent: this client's own pacing to the documented rate limit
    /// would hold the call past its deadline or queue bound. Sonoran refused nothing.
    PacingRefused,
    /// `rateLimited`: Sonoran answered `429` and the wait it asked for does not fit.
    RateLimited,
    /// `timeout`: the call's deadline passed.
    Timeout,
    /// `aborted`: the caller cancelled the call (npm: its `AbortSignal`; in Rust, dropping
    /// the future cancels a call without an error).
    Aborted,
    /// `transport`: the connection failed (DNS, connect, TLS, a reply cut off).
    Transport,
    /// `planRefused`: the community's subscription does not include the API or this
    /// endpoint (the docs' `API IS NOT ENABLED FOR THIS COMMUNITY`, `API ENDPOINT IS NOT
    /// ENABLED FOR THIS COMMUNITY`: "requires the Plus version or higher").
    PlanRefused,
    /// `permissionDenied`: Sonoran refused the call for its credentials' rights (`403`).
    PermissionDenied,
    /// `api`: any other refusal by Sonoran (problem+json, a v1 error text, CMS
    /// `success: false`).
    Api,
    /// `malformedReply`: the reply is not what the docs describe.
    MalformedReply,
    /// `replyTooLarge`: the reply was longer than the client accepts.
    ReplyTooLarge,
    /// `sharedLimiterUnavailable`: the shared (Redis) rate limiter did not answer and its
    /// policy is to fail (Rust, feature `redis`).
    SharedLimiterUnavailable,
    /// `internal`: a fault of the client itself (npm: a wasm trap); please report it.
    Internal,
}

impl ErrorKind {
    /// Every kind, in the order of the README's table.
    pub const ALL: [ErrorKind; 13] = [
        Self::InvalidRequest,
        Self::PacingRefused,
        Self::RateLimited,
        Self::Timeout,
        Self::Aborted,
        Self::Transport,
        Self::PlanRefused,
        Self::PermissionDenied,
        Self::Api,
        Self::MalformedReply,
        Self::ReplyTooLarge,
        Self::SharedLimiterUnavailable,
        Self::Internal,
    ];

    /// The kind's name, exactly as the npm packages' `SonoranError.kind` says it
    /// (`"planRefused"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalidRequest",
            Self::PacingRefused => "pacingRefused",
            Self::RateLimited => "rateLimited",
            Self::Timeout => "timeout",
            Self::Aborted => "aborted",
            Self::Transport => "transport",
            Self::PlanRefused => "planRefused",
            Self::PermissionDenied => "permissionDenied",
            Self::Api => "api",
            Self::MalformedReply => "malformedReply",
            Self::ReplyTooLarge => "replyTooLarge",
            Self::SharedLimiterUnavailable => "sharedLimiterUnavailable",
            Self::Internal => "internal",
        }
    }

    /// The kind named `name` (as [`Self::as_str`] gives it).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The kind an error status stands for by itself, for a reply whose body says no more:
    /// the one table of statuses with a kind of their own. `403 Forbidden` is a permission
    /// refusal (the v2 docs' `403`s, e.g. `setCommunityLink`'s); `429` is
    /// [`ErrorKind::RateLimited`] (its own variant, [`Error::RateLimited`]).
    pub const fn of_status(status: u16) -> Self {
        match status {
            403 => Self::PermissionDenied,
            429 => Self::RateLimited,
            _ => Self::Api,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The code type of an API without documented v1 error texts, and of the runtime's own
/// errors before an API crate names its codes: there is no value of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoV1Code {}

impl V1Code for NoV1Code {
    fn from_text(_: &str) -> Option<Self> {
        None
    }
    fn text(self) -> &'static str {
        match self {}
    }
}
use std::fmt;
use std::time::Duration;

#[derive(Debug)]
#[non_exhaustive]
pub enum Error<C = NoV1Code> {
    /// The call could not be made as asked (a bad argument, missing configuration).
    InvalidRequest(String),
    /// The call's deadline (its `.timeout(..)`, else the client's timeout) passed: it
    /// bounds the whole call, pacing, attempts and waits between them.
    Timeout {
        /// The operationId, once the call is known.
        operation: Option<&'static str>,
        /// The attempts sent.
        attempts: u32,
        /// How long the call took before it gave up (the runtime's clock).
        elapsed: Duration,
    },
    /// The request could not be sent or the reply not received whole (DNS, TLS,
    /// connection refused or dropped, a reply cut off). `source()` is the underlying error.
    Transport(TransportError),
    /// `429`: too many requests for this key and operation. `retry_after` is the wait
    /// the server asked for, when it said.
    RateLimited {
        retry_after: Option<Duration>,
        /// The gateway's `request_id` (the 429 body's, or a request-id header).
        request_id: Option<String>,
        /// The operationId, once the call is known.
        operation: Option<&'static str>,
        /// The attempts sent (every one of them answered 429, or the last did and the
        /// wait it asked for would pass the call's deadline or `RetryPolicy::max_wait`).
        attempts: u32,
    },
    /// Not sent: this client's own pacing to the documented rate limit would hold the call
    /// `wait`, longer than it may wait (`bound`: what was left of its deadline, or the
    /// client's `max_queue`). The API was not asked and did not refuse anything.
    PacingRefused {
        operation: Option<&'static str>,
        wait: Duration,
        bound: Duration,
    },
    /// The API answered with an error status.
    Api(ApiError<C>),
    /// The shared rate limiter ([`crate::SharedLimiter`]) did not answer in time and its
    /// policy is [`crate::OnUnavailable::Fail`]: the call was not sent.
    #[cfg(feature = "redis")]
    SharedLimiterUnavailable { reason: String },
    /// The reply was longer than the client's cap (`ClientBuilder::max_reply_bytes`,
    /// default 16 MiB); it was refused while it was being read.
    ReplyTooLarge {
        limit: u64,
        /// The operationId, once the call is known.
        operation: Option<&'static str>,
        /// The attempts sent.
        attempts: u32,
    },
    /// A success status whose body is not what the operation documents.
    MalformedReply {
        status: u16,
        body: String,
        reason: String,
        /// The operationId, once the call is known.
        operation: Option<&'static str>,
        /// The attempts sent.
        attempts: u32,
        /// The reply's request-id header, when it had one.
        request_id: Option<String>,
    },
}

/// What failed on the way to the API or back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// The host name did not resolve.
    Dns,
    /// No connection could be made (refused, unreachable).
    Connect,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// The connection broke while the request or the reply was under way.
    Reset,
    /// The reply's body could not be read whole.
    Body,
    /// Anything else the HTTP stack reported.
    Other,
}

impl TransportKind {
    fn describe(self) -> &'static str {
        match self {
            Self::Dns => "the host name did not resolve",
            Self::Connect => "could not connect",
            Self::Tls => "the TLS handshake failed",
            Self::Reset => "the connection broke",
            Self::Body => "the reply was cut off or could not be read",
            Self::Other => "the request failed",
        }
    }
}

/// A failure to reach the API or to read its reply: what failed, the underlying reason in
/// words (never the key or a URL with secrets), and that error itself as `source()`.
#[derive(Debug)]
pub struct TransportError {
    pub kind: TransportKind,
    /// The innermost reason (e.g. "Connection refused (os error 111)").
    pub reason: String,
    /// The operationId, once the call is known.
    pub operation: Option<&'static str>,
    /// The attempts sent.
    pub attempts: u32,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TransportError {
    /// A transport failure of `kind` for `reason`, without an underlying error value (the
    /// npm package keeps the platform's error as the JS `cause` instead).
    #[doc(hidden)]
    pub fn new(kind: TransportKind, reason: impl Into<String>) -> Self {
        Self {
            kind,
            reason: reason.into(),
            operation: None,
            attempts: 0,
            source: None,
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.reason.is_empty() {
            f.write_str(self.kind.describe())
        } else {
            write!(f, "{}: {}", self.kind.describe(), self.reason)
        }
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// An error reply from the API: v2 `application/problem+json`, or a v1 plain-text line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError<C = NoV1Code> {
    pub status: u16,
    /// The documented v1 error this is, when it is one.
    pub code: Option<C>,
    /// problem+json `title`.
    pub title: Option<String>,
    /// problem+json `detail`, or the v1 text.
    pub detail: Option<String>,
    /// problem+json `traceId`: quote it to Sonoran support.
    pub trace_id: Option<String>,
    /// The body as received (trimmed, at most 2 KiB).
    pub body: String,
    /// The call it answered (boxed: the error stays small).
    call: Option<Box<CallInfo>>,
}

/// What an [`ApiError`] knows of the call it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CallInfo {
    operation: &'static str,
    attempts: u32,
    request_id: Option<String>,
}

impl<C> ApiError<C> {
    /// The operationId of the call, once known.
    pub fn operation(&self) -> Option<&'static str> {
        self.call.as_ref().map(|c| c.operation)
    }

    /// The attempts the call sent (0 until known).
    pub fn attempts(&self) -> u32 {
        self.call.as_ref().map_or(0, |c| c.attempts)
    }

    /// The request id of a request-id header of the reply, else problem+json's `traceId`.
    pub fn request_id(&self) -> Option<&str> {
        self.call
            .as_ref()
            .and_then(|c| c.request_id.as_deref())
            .or(self.trace_id.as_deref())
    }
}

impl<C: V1Code> ApiError<C> {
    /// What kind of refusal this is: the kind the docs give its v1 text (or a problem+json
    /// `detail`, or a CMS `success: false` message, that is one of the documented texts),
    /// else the kind of its status ([`ErrorKind::of_status`]: a `403` is
    /// [`ErrorKind::PermissionDenied`]), else [`ErrorKind::Api`].
    pub fn kind(&self) -> ErrorKind {
        let documented = self
            .code
            .or_else(|| self.detail.as_deref().and_then(C::from_text))
            .and_then(V1Code::kind);
        documented.unwrap_or(match ErrorKind::of_status(self.status) {
            // A 429 here is one whose error came as an API error (never from `from_reply`).
            ErrorKind::RateLimited => ErrorKind::Api,
            kind => kind,
        })
    }

    /// Reads an error body: problem+json when it parses as such, else plain text.
    #[doc(hidden)]
    pub fn from_body(status: u16, body: &str) -> Self {
        let body = clip(body.trim());
        if let Ok(serde_json::Value::Object(p)) = serde_json::from_str::<serde_json::Value>(&body) {
            let s = |k: &str| p.get(k).and_then(|v| v.as_str()).map(str::to_string);
            if p.contains_key("title") || p.contains_key("detail") || p.contains_key("traceId") {
                return Self {
                    status,
                    code: None,
                    title: s("title"),
                    detail: s("detail"),
                    trace_id: s("traceId"),
                    body,
                    call: None,
                };
            }
        }
        let detail = (!body.is_empty()).then(|| body.clone());
        Self {
            status,
            code: C::from_text(&body),
            title: None,
            detail,
            trace_id: None,
            body,
            call: None,
        }
    }
}

impl<C> ApiError<C> {
    /// A success status whose enveloped body says `success: false` (CMS): `detail` is the
    /// body's `message` or `error` text when it has one.
    pub fn unsuccessful(status: u16, body: &str) -> Self {
        let parsed = serde_json::from_str::<serde_json::Value>(body).ok();
        let said = parsed.as_ref().and_then(|v| {
            ["message", "error", "detail"]
                .iter()
                .find_map(|k| v.get(*k)?.as_str().map(str::to_string))
        });
        Self {
            status,
            code: None,
            title: Some("the reply's envelope says `success: false`".into()),
            detail: said,
            trace_id: None,
            body: clip(body.trim()),
            call: None,
        }
    }
}

impl ApiError<NoV1Code> {
    /// This error as one of an API whose v1 codes are `C`: a plain-text body gets the code
    /// its text is, as [`ApiError::from_body`] gives it for `C`; a problem+json or an
    /// enveloped refusal has none, as there.
    fn recode<C: V1Code>(self) -> ApiError<C> {
        // `from_body`'s plain-text form: no title or trace id, the body itself as detail.
        let plain = self.title.is_none()
            && self.trace_id.is_none()
            && self.detail.as_deref() == (!self.body.is_empty()).then_some(self.body.as_str());
        ApiError {
            status: self.status,
            code: if plain {
                C::from_text(&self.body)
            } else {
                None
            },
            title: self.title,
            detail: self.detail,
            trace_id: self.trace_id,
            body: self.body,
            call: self.call,
        }
    }
}

impl Error<NoV1Code> {
    /// This error as one of an API whose v1 codes are `C` (see [`ApiError::recode`]); every
    /// other variant is the same. The transport reads a v2 call's reply without knowing its
    /// API's codes, so that its code is compiled once, in this crate, and not again in every
    /// program for each API's code table.
    #[doc(hidden)]
    pub fn recode<C: V1Code>(self) -> Error<C> {
        match self {
            Self::InvalidRequest(reason) => Error::InvalidRequest(reason),
            Self::Timeout {
                operation,
                attempts,
                elapsed,
            } => Error::Timeout {
                operation,
                attempts,
                elapsed,
            },
            Self::Transport(e) => Error::Transport(e),
            Self::RateLimited {
                retry_after,
                request_id,
                operation,
                attempts,
            } => Error::RateLimited {
                retry_after,
                request_id,
                operation,
                attempts,
            },
            Self::PacingRefused {
                operation,
                wait,
                bound,
            } => Error::PacingRefused {
                operation,
                wait,
                bound,
            },
            Self::Api(e) => Error::Api(e.recode()),
            #[cfg(feature = "redis")]
            Self::SharedLimiterUnavailable { reason } => Error::SharedLimiterUnavailable { reason },
            Self::ReplyTooLarge {
                limit,
                operation,
                attempts,
            } => Error::ReplyTooLarge {
                limit,
                operation,
                attempts,
            },
            Self::MalformedReply {
                status,
                body,
                reason,
                operation,
                attempts,
                request_id,
            } => Error::MalformedReply {
                status,
                body,
                reason,
                operation,
                attempts,
                request_id,
            },
        }
    }
}

/// At most 2 KiB of a reply body (cut on a char boundary, marked `…`): enough to see what
/// came, for an error that carries the body.
pub(crate) fn clip(text: &str) -> String {
    const MAX: usize = 2048;
    if text.len() <= MAX {
        return text.to_string();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

impl<C: V1Code> fmt::Display for Error<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidRequest(why) => write!(f, "invalid request: {why}"),
            Self::Timeout { attempts: 0, .. } => f.write_str(
                "the Sonoran API did not answer in time; retry later or raise the client's timeout",
            ),
            Self::Timeout {
                attempts, elapsed, ..
            } => write!(
                f,
                "the Sonoran API did not answer in time: the call's deadline passed after {} ms and {attempts} attempt{}; retry later or raise the timeout",
                elapsed.as_millis(),
                if *attempts == 1 { "" } else { "s" }
            ),
            Self::PacingRefused { wait, bound, .. } => write!(
                f,
                "not sent: this client paces calls to the documented rate limit, and this one would have waited {} ms for its turn, longer than it may wait ({} ms: what was left of its timeout, or the client's max_queue); retry later or allow more time",
                wait.as_millis(),
                bound.as_millis()
            ),
            Self::Transport(e) => write!(f, "the connection to the Sonoran API failed: {e}"),
            Self::ReplyTooLarge { limit, .. } => write!(
                f,
                "the Sonoran API's reply was longer than this client accepts ({limit} bytes); raise the client's max_reply_bytes if that is expected"
            ),
            Self::RateLimited {
                retry_after: Some(d),
                ..
            } => {
                // Tenths of a second, in integers: no float formatting (it weighs on wasm).
                let tenths = u64::try_from(d.as_millis())
                    .unwrap_or(u64::MAX)
                    .div_ceil(100);
                write!(
                    f,
                    "rate limited by the Sonoran API; retry after {}.{} s",
                    tenths / 10,
                    tenths % 10
                )
            }
            Self::RateLimited {
                retry_after: None, ..
            } => f.write_str("rate limited by the Sonoran API; slow down"),
            Self::Api(e) => {
                write!(f, "the Sonoran API answered {}", e.status)?;
                if let Some(code) = e.code {
                    write!(f, " {code:?}")?;
                }
                match (&e.title, &e.detail) {
                    (Some(t), Some(d)) => write!(f, ": {t}: {d}")?,
                    (Some(t), None) => write!(f, ": {t}")?,
                    (None, Some(d)) => write!(f, ": {d}")?,
                    (None, None) => {}
                }
                if let Some(id) = &e.trace_id {
                    write!(f, " (traceId {id})")?;
                }
                match e.kind() {
                    ErrorKind::PlanRefused => f.write_str(
                        "; the community's Sonoran subscription does not include this call (its docs page names the version it requires)",
                    ),
                    ErrorKind::PermissionDenied => f.write_str(
                        "; the API key or the account it acts for lacks the rights for this call",
                    ),
                    _ => Ok(()),
                }
            }
            Self::MalformedReply { status, reason, .. } => {
                write!(
                    f,
                    "the Sonoran API answered {status} with a body this client cannot read: {reason}"
                )
            }
            #[cfg(feature = "redis")]
            Self::SharedLimiterUnavailable { reason } => write!(
                f,
                "the shared rate limiter did not answer ({reason}), so the call was not sent; retry later, or let calls pace locally (OnUnavailable::PaceLocally)"
            ),
        }
    }
}

impl<C: V1Code> std::error::Error for Error<C> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Transport(e) => Some(e),
            _ => None,
        }
    }
}

impl<C: V1Code> Error<C> {
    /// What kind of failure this is, named as the npm packages name it
    /// ([`ErrorKind::as_str`]): the one vocabulary of both.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidRequest(_) => ErrorKind::InvalidRequest,
            Self::Timeout { .. } => ErrorKind::Timeout,
            Self::Transport(_) => ErrorKind::Transport,
            Self::RateLimited { .. } => ErrorKind::RateLimited,
            Self::PacingRefused { .. } => ErrorKind::PacingRefused,
            Self::Api(e) => e.kind(),
            #[cfg(feature = "redis")]
            Self::SharedLimiterUnavailable { .. } => ErrorKind::SharedLimiterUnavailable,
            Self::ReplyTooLarge { .. } => ErrorKind::ReplyTooLarge,
            Self::MalformedReply { .. } => ErrorKind::MalformedReply,
        }
    }

    /// The docs page of the operation that failed (its `x-docs-page` as a URL), where the
    /// error came from a call.
    pub fn docs_url(&self) -> Option<&'static str> {
        self.operation().and_then(C::docs_url)
    }

    /// The HTTP status, for errors that have one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api(e) => Some(e.status),
            Self::RateLimited { .. } => Some(429),
            Self::MalformedReply { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The error a reply with a status outside 2xx stands for: `429` is
    /// [`Error::RateLimited`] with the server's `Retry-After` (`retry_after`, as received)
    /// and the body's `request_id`; anything else [`Error::Api`].
    #[doc(hidden)]
    pub fn from_reply(status: u16, retry_after: Option<&str>, body: &str) -> Self {
        if status == 429 {
            let request_id = serde_json::from_str::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v.get("request_id")?.as_str().map(str::to_string));
            return Self::RateLimited {
                retry_after: retry_after
                    .and_then(|v| parse_retry_after(v, crate::clock::now_system())),
                request_id,
                operation: None,
                attempts: 0,
            };
        }
        Self::Api(ApiError::from_body(status, body))
    }

    /// A 2xx other than the operation's documented success status: its body was not read
    /// as the documented type (clipped to 2 KiB here).
    pub fn undocumented_success(status: u16, documented: u16, body: &str) -> Self {
        Self::MalformedReply {
            status,
            reason: format!("undocumented success status (documented: {documented})"),
            body: clip(body),
            operation: None,
            attempts: 0,
            request_id: None,
        }
    }

    /// The documented v1 error code, when this is one.
    pub fn v1_code(&self) -> Option<C> {
        match self {
            Self::Api(e) => e.code,
            _ => None,
        }
    }

    /// The operationId of the call that failed (`getCalls`, `unitStatusV1`), where the
    /// error came from a call.
    pub fn operation(&self) -> Option<&'static str> {
        match self {
            Self::Timeout { operation, .. }
            | Self::RateLimited { operation, .. }
            | Self::PacingRefused { operation, .. }
            | Self::ReplyTooLarge { operation, .. }
            | Self::MalformedReply { operation, .. } => *operation,
            Self::Api(e) => e.operation(),
            Self::Transport(e) => e.operation,
            _ => None,
        }
    }

    /// The attempts the call sent before it failed (`Some(0)`: none went out; `None`: the
    /// error does not say, as for an invalid request).
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Self::Timeout { attempts, .. }
            | Self::RateLimited { attempts, .. }
            | Self::ReplyTooLarge { attempts, .. }
            | Self::MalformedReply { attempts, .. } => Some(*attempts),
            Self::PacingRefused { .. } => Some(0),
            Self::Api(e) => Some(e.attempts()),
            Self::Transport(e) => Some(e.attempts),
            _ => None,
        }
    }

    /// The id the API gave the failed request, whichever way it came: a 429 body's
    /// `request_id`, a request-id header (`x-request-id`, `request-id`, `x-amzn-requestid`)
    /// or problem+json's `traceId`. Quote it to Sonoran support.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::RateLimited { request_id, .. } | Self::MalformedReply { request_id, .. } => {
                request_id.as_deref()
            }
            Self::Api(e) => e.request_id(),
            _ => None,
        }
    }

    /// A 404 from the API (an unknown id, a record that is not there).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Whether the same call may succeed if made again later: a timeout, a connection
    /// failure, a 429 or the client's own pacing refusal, a 502/503/504, or the shared rate
    /// limiter not answering. The client already retried what its retry policy allows
    /// ([`crate::retry`]); this is for the caller's own decision.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Timeout { .. } | Self::RateLimited { .. } | Self::PacingRefused { .. } => true,
            Self::Transport(e) => !matches!(e.kind, TransportKind::Tls),
            Self::Api(e) => matches!(e.status, 502..=504),
            #[cfg(feature = "redis")]
            Self::SharedLimiterUnavailable { .. } => true,
            _ => false,
        }
    }

    /// How long to wait before trying again, where it is known: the server's
    /// `Retry-After` of a 429, or the wait the client's pacing asked for.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            Self::PacingRefused { wait, .. } => Some(*wait),
            _ => None,
        }
    }

    /// This error as the outcome of a call of `operation` that sent `attempts` attempts
    /// over `elapsed`; `request_id` is the last reply's request-id header, when it had one.
    pub fn with_call(
        mut self,
        operation: &'static str,
        attempts: u32,
        elapsed: Duration,
        request_id: Option<String>,
    ) -> Self {
        match &mut self {
            Self::Timeout {
                operation: o,
                attempts: a,
                elapsed: e,
            } => {
                *o = Some(operation);
                *a = attempts;
                *e = elapsed;
            }
            Self::RateLimited {
                operation: o,
                attempts: a,
                request_id: r,
                ..
            } => {
                *o = Some(operation);
                *a = attempts;
                if r.is_none() {
                    *r = request_id;
                }
            }
            Self::PacingRefused { operation: o, .. } => *o = Some(operation),
            Self::ReplyTooLarge {
                operation: o,
                attempts: a,
                ..
            } => {
                *o = Some(operation);
                *a = attempts;
            }
            Self::MalformedReply {
                operation: o,
                attempts: a,
                request_id: r,
                ..
            } => {
                *o = Some(operation);
                *a = attempts;
                if r.is_none() {
                    *r = request_id;
                }
            }
            Self::Api(e) => {
                e.call = Some(Box::new(CallInfo {
                    operation,
                    attempts,
                    request_id,
                }));
            }
            Self::Transport(e) => {
                e.operation = Some(operation);
                e.attempts = attempts;
            }
            _ => {}
        }
        self
    }

    /// The error a failed reqwest request stands for (never with the URL, which the
    /// caller may have put a secret in).
    #[cfg(feature = "http")]
    pub fn from_reqwest(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            return Self::Timeout {
                operation: None,
                attempts: 0,
                elapsed: Duration::ZERO,
            };
        }
        let e = e.without_url();
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(limit) = too_large(&e) {
            return Self::ReplyTooLarge {
                limit,
                operation: None,
                attempts: 0,
            };
        }
        if e.is_builder() {
            return Self::InvalidRequest(innermost(&e));
        }
        let text = chain_text(&e).to_ascii_lowercase();
        let io = io_kind(&e);
        let kind = if text.contains("dns error") || text.contains("failed to lookup address") {
            TransportKind::Dns
        } else if text.contains("certificate") || text.contains("tls") || text.contains("handshake")
        {
            TransportKind::Tls
        } else if matches!(
            io,
            Some(
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::UnexpectedEof
            )
        ) || text.contains("connection reset")
            || text.contains("connection closed")
            || text.contains("incomplete message")
        {
            TransportKind::Reset
        } else if is_connect(&e) {
            TransportKind::Connect
        } else if e.is_body() || e.is_decode() {
            TransportKind::Body
        } else {
            TransportKind::Other
        };
        Self::Transport(TransportError {
            kind,
            reason: innermost(&e),
            operation: None,
            attempts: 0,
            source: Some(Box::new(e)),
        })
    }
}

/// The cap, when `e` is a reply refused for its length (see `http::capped`).
#[cfg(all(feature = "http", not(target_arch = "wasm32")))]
fn too_large(e: &(dyn std::error::Error + 'static)) -> Option<u64> {
    let mut next = Some(e);
    while let Some(s) = next {
        if let Some(t) = s.downcast_ref::<crate::http::TooLarge>() {
            return Some(t.limit);
        }
        next = s.source();
    }
    None
}

/// Whether no connection could be made (reqwest says so on native targets only).
#[cfg(feature = "http")]
fn is_connect(e: &reqwest::Error) -> bool {
    #[cfg(not(target_arch = "wasm32"))]
    {
        e.is_connect()
    }
    #[cfg(target_arch = "wasm32")]
    {
        let _ = e;
        false
    }
}

/// The Display of the innermost error of `e`'s chain: the reason a user can act on.
#[cfg(feature = "http")]
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last: &(dyn std::error::Error + 'static) = e;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

/// Every message of `e`'s chain, joined.
#[cfg(feature = "http")]
fn chain_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(s) = next {
        out.push_str(": ");
        out.push_str(&s.to_string());
        next = s.source();
    }
    out
}

/// The `io::ErrorKind` somewhere in `e`'s chain, if one is there.
#[cfg(feature = "http")]
fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut next = Some(e);
    while let Some(s) = next {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        next = s.source();
    }
    None
}

/// A `Retry-After` value (seconds, possibly fractional, or an HTTP date) as a wait from
/// `now`. `None` for a value that is neither, or negative. Never panics: a wait too long
/// for a `Duration` is `Duration::MAX`, and the retry policy caps what it waits. HTTP
/// dates are read with the `http-date` feature (on with `http`); the npm package's JS
/// turns a date into seconds itself, so its module does without.
pub fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        if secs.is_nan() || secs < 0.0 {
            return None;
        }
        return Some(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX));
    }
    #[cfg(feature = "http-date")]
    {
        let when = httpdate::parse_http_date(value).ok()?;
        Some(when.duration_since(now).unwrap_or(Duration::ZERO))
    }
    #[cfg(not(feature = "http-date"))]
    {
        let _ = now;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A code table as an API crate generates one.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    enum V1ErrorCode {
        InvalidApiKey,
    }

    impl V1Code for V1ErrorCode {
        fn from_text(body: &str) -> Option<Self> {
            (body.trim() == "INVALID API KEY").then_some(Self::InvalidApiKey)
        }
        fn text(self) -> &'static str {
            "INVALID API KEY"
        }
        fn kind(self) -> Option<ErrorKind> {
            // As if the docs made it a plan refusal: what the generated tables say.
            Some(ErrorKind::PlanRefused)
        }
    }

    /// An error read without the API's codes and then recoded is the error read with them,
    /// for every form of body (`Transport::exchange` reads replies so).
    #[test]
    fn an_error_recoded_is_the_error_read_with_the_codes() {
        let bodies = [
            "INVALID API KEY",
            "  INVALID API KEY\n",
            "",
            "something else",
            r#"{"title":"Forbidden","detail":"INVALID API KEY"}"#,
            r#"{"detail":"INVALID API KEY"}"#,
            r#"{"traceId":"t-1"}"#,
            r#"{"other":1}"#,
            "{not json",
            r#"{"request_id":"r-9"}"#,
        ];
        for status in [400, 403, 429, 500] {
            for body in bodies {
                let read = super::Error::<V1ErrorCode>::from_reply(status, Some("3"), body);
                let recoded =
                    super::Error::<NoV1Code>::from_reply(status, Some("3"), body).recode();
                assert_eq!(
                    format!("{recoded:?}"),
                    format!("{read:?}"),
                    "{status} {body:?}"
                );
                assert_eq!(recoded.v1_code(), read.v1_code(), "{status} {body:?}");
            }
        }
        let read =
            super::ApiError::<V1ErrorCode>::unsuccessful(200, r#"{"message":"INVALID API KEY"}"#);
        let recoded =
            super::ApiError::<NoV1Code>::unsuccessful(200, r#"{"message":"INVALID API KEY"}"#)
                .recode();
        assert_eq!(recoded, read);
        // A code table that would take any text (none is generated so, but nothing forbids
        // it): a problem+json or an enveloped refusal still has no code, as when read.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        struct AnyText;
        impl V1Code for AnyText {
            fn from_text(body: &str) -> Option<Self> {
                (!body.is_empty()).then_some(Self)
            }
            fn text(self) -> &'static str {
                "any"
            }
        }
        for body in bodies {
            let read = super::Error::<AnyText>::from_reply(400, None, body);
            let recoded = super::Error::<NoV1Code>::from_reply(400, None, body).recode();
            assert_eq!(recoded.v1_code(), read.v1_code(), "{body:?}");
        }
        let envelope = r#"{"success":false}"#;
        assert_eq!(
            super::ApiError::<NoV1Code>::unsuccessful(200, envelope).recode::<AnyText>(),
            super::ApiError::<AnyText>::unsuccessful(200, envelope)
        );
        // Every other variant comes through as it was.
        let others: [super::Error; 3] = [
            super::Error::InvalidRequest("bad header".into()),
            super::Error::ReplyTooLarge {
                limit: 9,
                operation: Some("getCalls"),
                attempts: 2,
            },
            super::Error::undocumented_success(202, 200, "x"),
        ];
        for e in others {
            let before = format!("{e:?}");
            assert_eq!(format!("{:?}", e.recode::<V1ErrorCode>()), before);
        }
    }

    #[test]
    fn an_api_errors_kind_comes_from_its_text_then_its_status() {
        // The documented text's kind, as a v1 body, a problem+json detail or a CMS message.
        assert_eq!(
            ApiError::from_body(400, "INVALID API KEY").kind(),
            ErrorKind::PlanRefused
        );
        assert_eq!(
            ApiError::from_body(403, r#"{"title":"Forbidden","detail":"INVALID API KEY"}"#).kind(),
            ErrorKind::PlanRefused
        );
        assert_eq!(
            ApiError::unsuccessful(200, r#"{"success":false,"message":"INVALID API KEY"}"#).kind(),
            ErrorKind::PlanRefused
        );
        // Else the status: 403 alone is a permission refusal, anything else `api`.
        assert_eq!(
            ApiError::from_body(403, r#"{"title":"Forbidden"}"#).kind(),
            ErrorKind::PermissionDenied
        );
        assert_eq!(ApiError::from_body(404, "nope").kind(), ErrorKind::Api);
        assert_eq!(ApiError::from_body(429, "").kind(), ErrorKind::Api);
        assert_eq!(
            Error::from_reply(429, Some("1"), "").kind(),
            ErrorKind::RateLimited
        );
        let forbidden = Error::from_reply(403, None, "{}");
        assert_eq!(forbidden.kind(), ErrorKind::PermissionDenied);
        assert!(
            forbidden.to_string().contains("lacks the rights"),
            "{forbidden}"
        );
        // No operation, no docs link (the generated tables give one per operation).
        assert_eq!(forbidden.docs_url(), None);
    }

    type ApiError = super::ApiError<V1ErrorCode>;
    type Error = super::Error<V1ErrorCode>;

    #[test]
    fn problem_json_is_parsed() {
        let e = ApiError::from_body(
            401,
            r#"{"title":"Unauthorized","status":401,"detail":"Missing Authorization header.","traceId":"00-abc"}"#,
        );
        assert_eq!(e.title.as_deref(), Some("Unauthorized"));
        assert_eq!(e.detail.as_deref(), Some("Missing Authorization header."));
        assert_eq!(e.trace_id.as_deref(), Some("00-abc"));
        assert_eq!(e.code, None);
        let shown = Error::Api(e).to_string();
        assert!(
            shown.contains("401")
                && shown.contains("Missing Authorization header.")
                && shown.contains("00-abc"),
            "{shown}"
        );
    }

    #[test]
    fn v1_text_maps_to_its_code() {
        let e = ApiError::from_body(400, "INVALID API KEY\n");
        assert_eq!(e.code, Some(V1ErrorCode::InvalidApiKey));
        assert_eq!(e.detail.as_deref(), Some("INVALID API KEY"));
        let other = ApiError::from_body(400, "Server not found with ID: 123");
        assert_eq!(other.code, None);
        assert_eq!(
            other.detail.as_deref(),
            Some("Server not found with ID: 123")
        );
    }

    #[test]
    fn huge_bodies_are_clipped() {
        let e = ApiError::from_body(500, &"x".repeat(10_000));
        assert!(e.body.len() < 2100);
    }

    #[test]
    fn retry_after_never_panics() {
        let now = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(parse_retry_after("1e20", now), Some(Duration::MAX));
        assert_eq!(parse_retry_after("inf", now), Some(Duration::MAX));
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("NaN", now), None);
        assert_eq!(
            parse_retry_after("0.25", now),
            Some(Duration::from_millis(250))
        );
        assert_eq!(parse_retry_after("", now), None);
        // A date in the past: no wait.
        #[cfg(feature = "http-date")]
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now),
            Some(Duration::ZERO)
        );
    }

    #[cfg(feature = "http-date")]
    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = crate::clock::now_system();
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        let later = now + Duration::from_secs(120);
        let d = parse_retry_after(&httpdate::fmt_http_date(later), now).unwrap();
        assert!(
            d > Duration::from_secs(119) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}

#[cfg(test)]
mod mutation_tests;
