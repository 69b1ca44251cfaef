#![doc = include_str!("../README.md")]

/// `tracing` events and spans, compiled in with the `tracing` feature (on with `http`, the
/// default): without it (the npm packages' modules) they cost nothing, not even code size.
macro_rules! trace {
    ($level:ident!($($arg:tt)*)) => {
        #[cfg(feature = "tracing")]
        ::tracing::$level!($($arg)*);
    };
}
pub(crate) use trace;

mod clock;
#[cfg(feature = "http")]
mod config;
#[doc(hidden)]
pub mod de;
mod error;
pub mod events;
#[cfg(feature = "http")]
pub mod http;
mod key;
mod limiter;
#[cfg(feature = "http")]
pub mod pages;
#[doc(hidden)]
pub mod path;
#[cfg(feature = "http")]
mod reply;
pub mod retry;
pub mod runtime;
#[doc(hidden)]
pub mod ser;
#[cfg(feature = "redis")]
mod shared;
#[cfg(feature = "http")]
pub mod v1;

#[cfg(feature = "http")]
pub use config::{Api, BuildError, ClientBuilder, HasServerId};
pub use error::{
    ApiError, Error, ErrorKind, NoV1Code, TransportError, TransportKind, V1Code, parse_retry_after,
};
pub use key::ApiKey;
pub use limiter::{OperationId, RateLimitPolicy};
#[cfg(feature = "http")]
pub use reply::{JsonOrText, Reply};
pub use runtime::CallOptions;
pub use runtime::RetryPolicy;
#[cfg(feature = "redis")]
pub use shared::{InvalidRedisUrl, OnUnavailable, SharedLimiter};

#[cfg(all(feature = "redis", target_arch = "wasm32"))]
compile_error!("the `redis` feature (rate limits shared through Redis) is for native targets only");

/// A boxed future (`Send` natively; on wasm32 the platform's futures are not): a limiter
/// store's answer, and a v2 call's exchange, whose one state machine every operation's
/// future then holds behind a pointer (smaller futures to move, and one type for the
/// compiler to lay out and check, not one per operation).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) type BoxFuture<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
#[cfg(target_arch = "wasm32")]
pub(crate) type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + 'a>>;

/// A documented per-minute rate limit table: the operationId's limit, or `None` where the
/// docs give none. Each API crate passes its generated table.
pub type RateLimits = fn(&str) -> Option<u32>;

/// A call's decoded reply with what came with it and how the call went: what a request
/// builder's `send_with_response()` resolves to.
#[cfg(feature = "http")]
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Response<T> {
    /// The decoded reply: what `send()` resolves to.
    pub value: T,
    /// The HTTP status of the reply.
    pub status: u16,
    /// The reply's headers.
    pub headers: reqwest::header::HeaderMap,
    /// The request id a header of the reply carried (see [`Error::request_id`]).
    pub request_id: Option<String>,
    /// The attempts sent (more than 1 when the call was retried).
    pub attempts: u32,
    /// From the call's start to its reply, pacing and retry waits included.
    pub elapsed: std::time::Duration,
}

#[cfg(feature = "http")]
impl<T> Response<T> {
    /// The decoded reply.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The same response with its value turned by `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            value: f(self.value),
            status: self.status,
            headers: self.headers,
            request_id: self.request_id,
            attempts: self.attempts,
            elapsed: self.elapsed,
        }
    }

    /// The same response with its value turned by `f`, or `f`'s error.
    pub fn try_map<U, E>(self, f: impl FnOnce(T) -> Result<U, E>) -> Result<Response<U>, E> {
        Ok(Response {
            value: f(self.value)?,
            status: self.status,
            headers: self.headers,
            request_id: self.request_id,
            attempts: self.attempts,
            elapsed: self.elapsed,
        })
    }
}

/// The future of a sent request with its reply's status, headers, request id, attempts and
/// elapsed time: what a request builder's `send_with_response()` returns. It owns what it
/// needs, so it can be stored and joined, and natively (where it is `Send`) spawned. The API
/// crates name it with their v1 error codes (`sonoran_cad::ResponseFuture<T>`).
#[cfg(feature = "http")]
#[must_use = "a future does nothing unless it is awaited"]
pub struct ResponseFuture<T, C: V1Code = NoV1Code> {
    inner: BoxFuture<'static, Result<Response<T>, Error<C>>>,
}

#[cfg(feature = "http")]
impl<T, C: V1Code> ResponseFuture<T, C> {
    /// A call's future behind a pointer.
    #[doc(hidden)]
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new(
        call: impl std::future::Future<Output = Result<Response<T>, Error<C>>> + Send + 'static,
    ) -> Self {
        Self {
            inner: Box::pin(call),
        }
    }

    /// A call's future behind a pointer.
    #[doc(hidden)]
    #[cfg(target_arch = "wasm32")]
    pub fn new(
        call: impl std::future::Future<Output = Result<Response<T>, Error<C>>> + 'static,
    ) -> Self {
        Self {
            inner: Box::pin(call),
        }
    }
}

#[cfg(feature = "http")]
impl<T, C: V1Code> std::future::Future for ResponseFuture<T, C> {
    type Output = Result<Response<T>, Error<C>>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

#[cfg(feature = "http")]
impl<T, C: V1Code> std::fmt::Debug for ResponseFuture<T, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

/// The future of a sent request: what a request builder's `send()` returns and what
/// `.await` on the builder runs; it resolves to the reply's value ([`Response::into_inner`]).
/// It owns what it needs, so it can be stored and joined, and natively (where it is `Send`)
/// spawned. The API crates name it with their v1 error codes (`sonoran_cad::CallFuture<T>`).
#[cfg(feature = "http")]
#[must_use = "a future does nothing unless it is awaited"]
pub struct CallFuture<T, C: V1Code = NoV1Code> {
    inner: ResponseFuture<T, C>,
}

#[cfg(feature = "http")]
impl<T, C: V1Code> From<ResponseFuture<T, C>> for CallFuture<T, C> {
    /// The call's future resolving to the reply's value alone.
    fn from(inner: ResponseFuture<T, C>) -> Self {
        Self { inner }
    }
}

#[cfg(feature = "http")]
impl<T, C: V1Code> std::future::Future for CallFuture<T, C> {
    type Output = Result<T, Error<C>>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.inner)
            .poll(cx)
            .map(|r| r.map(Response::into_inner))
    }
}

#[cfg(feature = "http")]
impl<T, C: V1Code> std::fmt::Debug for CallFuture<T, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallFuture").finish_non_exhaustive()
    }
}

/// An enveloped v2 reply (`{success, data, meta}`, CMS) once its `success` was checked: the
/// payload and what the API says besides it. The API crates name it with their `meta`
/// type (`sonoran_cms::Enveloped<T>`).
#[derive(Debug, Clone, PartialEq)]
pub struct Enveloped<T, M> {
    /// The payload: what the request builder itself resolves to.
    pub data: T,
    /// `meta` of the reply (when it came, the time and the path).
    pub meta: Option<M>,
}

#[cfg(all(test, feature = "http"))]
mod future_tests {
    use super::*;

    fn reply(value: u32) -> Response<u32> {
        Response {
            value,
            status: 200,
            headers: Default::default(),
            request_id: Some("req-1".into()),
            attempts: 2,
            elapsed: std::time::Duration::from_millis(5),
        }
    }

    #[tokio::test]
    async fn a_response_future_resolves_to_the_response_and_a_call_future_to_its_value() {
        let full: ResponseFuture<u32> = ResponseFuture::new(async { Ok(reply(7)) });
        let r = full.await.unwrap();
        assert_eq!(
            (r.value, r.attempts, r.request_id.as_deref()),
            (7, 2, Some("req-1"))
        );

        let value: CallFuture<u32> = ResponseFuture::new(async { Ok(reply(8)) }).into();
        assert_eq!(value.await.unwrap(), 8);

        let failed: CallFuture<u32> =
            ResponseFuture::new(async { Err(Error::InvalidRequest("no".into())) }).into();
        assert!(matches!(failed.await, Err(Error::InvalidRequest(m)) if m == "no"));
    }

    #[test]
    fn the_futures_debug_names_them_and_nothing_of_the_call() {
        let full: ResponseFuture<u32> = ResponseFuture::new(async { Ok(reply(1)) });
        assert_eq!(format!("{full:?}"), "ResponseFuture { .. }");
        let value: CallFuture<u32> = full.into();
        assert_eq!(format!("{value:?}"), "CallFuture { .. }");
    }
}
