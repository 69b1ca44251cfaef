//! The HTTP delivery of push events: Sonoran `POST`s `{key, type, data}` to the API's event
//! path on the game server (CAD: `/sonorancad/event`, when no websocket session is open for
//! it; CMS: `/sonorancms/events`).
//!
//! [`PushReceiver`] is a `tower` service over `http` types, so it mounts in axum
//! (`Router::route_service`) or serves plain hyper (through `hyper_util`'s
//! `TowerToHyperService`). It is a thin layer over [`super::receive`]:
//!
//! | request | answer |
//! | --- | --- |
//! | an event with the right key (any type, documented or not) | `200` |
//! | the wrong key | `401` (the body never echoes a key) |
//! | not JSON, not `{key, type, data}`, or a documented type with malformed `data` | `400`, saying what is wrong |
//! | a body over the size cap (1 MiB unless set) | `413` |
//! | a method other than `POST` | `405` |
//! | another path than the configured one (the API's [`Event::PATH`] unless set) | `404` |
//!
//! Every refused body (`400`, `401`, `413`, an unreadable one) is also reported to the
//! [`PushReceiver::on_error`] callback, if one is set, with its [`ReceiveError`]: a forged or
//! malformed event is never silently dropped.

use super::{Event, ReceiveError, receive};
use crate::ApiKey;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// The default cap on a request body.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;

/// A `tower` service receiving Sonoran's push events of one API (`E`, the API crate's
/// `PushEvent`) over HTTP; calls `on_event` with every accepted event. Cheap to clone (clones
/// share the callback). Each API crate names it `events::PushReceiver`, with an example.
pub struct PushReceiver<E> {
    inner: Arc<Inner<E>>,
}

impl<E> Clone for PushReceiver<E> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

/// The callback told of each refused body.
type ErrorHook = Arc<dyn Fn(&ReceiveError) + Send + Sync>;

struct Inner<E> {
    key: ApiKey,
    max_body_bytes: usize,
    path: Option<String>,
    on_event: Arc<dyn Fn(E) + Send + Sync>,
    on_error: Option<ErrorHook>,
}

impl<E> Clone for Inner<E> {
    fn clone(&self) -> Self {
        Self {
            key: self.key.clone(),
            max_body_bytes: self.max_body_bytes,
            path: self.path.clone(),
            on_event: self.on_event.clone(),
            on_error: self.on_error.clone(),
        }
    }
}

impl<E> fmt::Debug for PushReceiver<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushReceiver")
            .field("key", &self.inner.key)
            .field("max_body_bytes", &self.inner.max_body_bytes)
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl<E: Event + 'static> PushReceiver<E> {
    /// A receiver that accepts events carrying `api_key` (compared in constant time) and
    /// hands each to `on_event` (keep it short: send it to a channel for slow work).
    pub fn new(api_key: ApiKey, on_event: impl Fn(E) + Send + Sync + 'static) -> Self {
        Self {
            inner: Arc::new(Inner {
                key: api_key,
                max_body_bytes: DEFAULT_MAX_BODY_BYTES,
                path: Some(E::PATH.to_string()),
                on_event: Arc::new(on_event),
                on_error: None,
            }),
        }
    }

    fn edit(mut self, f: impl FnOnce(&mut Inner<E>)) -> Self {
        f(Arc::make_mut(&mut self.inner));
        self
    }

    /// The largest request body accepted (larger ones get `413`); 1 MiB by default.
    pub fn max_body_bytes(self, max: usize) -> Self {
        self.edit(|i| i.max_body_bytes = max)
    }

    /// The only path answered (others get `404`); the API's [`Event::PATH`] by default,
    /// `None` for any path (when a router already chose this service).
    pub fn path(self, path: Option<&str>) -> Self {
        self.edit(|i| i.path = path.map(str::to_string))
    }

    /// Calls `on_error` with every body this receiver refuses (wrong key, not JSON, not an
    /// event, a documented event with malformed data, too large, unreadable), after
    /// answering it. The error never holds a key. Requests to another path or with another
    /// method are not push events and are not reported.
    pub fn on_error(self, on_error: impl Fn(&ReceiveError) + Send + Sync + 'static) -> Self {
        self.edit(|i| i.on_error = Some(Arc::new(on_error)))
    }

    fn refused(&self, error: ReceiveError) -> Response<Full<Bytes>> {
        let response = match &error {
            ReceiveError::WrongKey => {
                crate::trace!(warn!("push event refused: wrong key"));
                answer(StatusCode::UNAUTHORIZED, "unauthorized: wrong key")
            }
            ReceiveError::TooLarge { .. } => {
                crate::trace!(warn!(error = %error, "push event refused"));
                answer(StatusCode::PAYLOAD_TOO_LARGE, &error.to_string())
            }
            _ => {
                crate::trace!(warn!(error = %error, "push event refused"));
                answer(StatusCode::BAD_REQUEST, &error.to_string())
            }
        };
        if let Some(on_error) = &self.inner.on_error {
            on_error(&error);
        }
        response
    }

    /// Answers one request.
    pub async fn handle<B>(&self, request: Request<B>) -> Response<Full<Bytes>>
    where
        B: http_body::Body,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        let inner = &self.inner;
        if inner
            .path
            .as_deref()
            .is_some_and(|p| p != request.uri().path())
        {
            return answer(StatusCode::NOT_FOUND, "not found");
        }
        if request.method() != Method::POST {
            let mut r = answer(StatusCode::METHOD_NOT_ALLOWED, "push events are POSTed");
            r.headers_mut()
                .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
            return r;
        }
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > inner.max_body_bytes as u64) {
            return self.refused(ReceiveError::TooLarge {
                max: inner.max_body_bytes,
            });
        }
        let body = match Limited::new(request.into_body(), inner.max_body_bytes)
            .collect()
            .await
        {
            Ok(collected) => collected.to_bytes(),
            Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
                return self.refused(ReceiveError::TooLarge {
                    max: inner.max_body_bytes,
                });
            }
            Err(e) => return self.refused(ReceiveError::UnreadableBody(e.to_string())),
        };
        match receive::<E>(&body, &inner.key) {
            Ok(event) => {
                crate::trace!(debug!(r#type = event.type_name(), "push event received"));
                (inner.on_event)(event);
                answer(StatusCode::OK, "ok")
            }
            Err(e) => self.refused(e),
        }
    }
}

fn answer(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(format!("{text}\n"))));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

impl<E, B> tower_service::Service<Request<B>> for PushReceiver<E>
where
    E: Event + 'static,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { Ok(this.handle(request).await) })
    }
}
