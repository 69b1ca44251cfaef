//! What every request goes through, whichever way it was built (progenitor's v2 methods
//! through its hooks, the v1 sender and the uploads directly): auth, timeout, pacing to
//! the documented limits, bounded retries of 429, and a tracing span. Never the key in a
//! log line: spans carry the operation id, attempt, status and waits only.

use crate::config::ApiKey;
use crate::error::{ApiError, retry_after};
use crate::generated::RawClient;
use crate::limiter::{Held, Limiter, RateLimitPolicy};
use crate::{Error, clock};
use progenitor_client::{ClientHooks, OperationInfo, ResponseValue};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

/// How 429 replies are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 2, as the official SDKs).
    pub max_retries: u32,
    /// Wait before the first retry when the server gives no `Retry-After`; doubles each time.
    pub initial_backoff: Duration,
    /// The longest single wait, whatever `Retry-After` says.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries: a 429 comes back as [`Error::RateLimited`] at once.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    fn wait(&self, attempt: u32, server_said: Option<Duration>) -> Duration {
        let backoff = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(attempt));
        server_said.unwrap_or(backoff).min(self.max_wait)
    }
}

#[derive(Debug)]
struct Shared {
    api_key: ApiKey,
    community_id: Option<String>,
    server_id: i64,
    timeout: Option<Duration>,
    retry: RetryPolicy,
    limiter: Limiter,
    headers: HeaderMap,
}

/// The client's configuration and state as every request needs it. Cloning a client
/// shares it, rate limiter included.
#[derive(Debug, Clone)]
pub struct Runtime(Arc<Shared>);

pub(crate) struct Settings {
    pub api_key: ApiKey,
    pub community_id: Option<String>,
    pub server_id: i64,
    pub timeout: Option<Duration>,
    pub retry: RetryPolicy,
    pub rate_limit: RateLimitPolicy,
    pub headers: HeaderMap,
}

impl Runtime {
    pub(crate) fn new(s: Settings) -> Self {
        Self(Arc::new(Shared {
            api_key: s.api_key,
            community_id: s.community_id,
            server_id: s.server_id,
            timeout: s.timeout,
            retry: s.retry,
            limiter: Limiter::new(s.rate_limit),
            headers: s.headers,
        }))
    }

    pub(crate) fn community_id(&self) -> Option<&str> {
        self.0.community_id.as_deref()
    }

    pub(crate) fn server_id(&self) -> i64 {
        self.0.server_id
    }

    pub(crate) fn api_key(&self) -> &ApiKey {
        &self.0.api_key
    }

    /// Adds what every request carries: extra headers, the bearer header (v2 only: v1
    /// carries the key in its body), the timeout.
    pub(crate) fn prepare(
        &self,
        request: &mut reqwest::Request,
        bearer: bool,
    ) -> Result<(), Error> {
        for (name, value) in &self.0.headers {
            request.headers_mut().insert(name, value.clone());
        }
        if bearer {
            let mut value = HeaderValue::from_str(&format!("Bearer {}", self.0.api_key.expose()))
                .map_err(|_| {
                Error::InvalidRequest(
                    "the API key contains characters that cannot go in an HTTP header".into(),
                )
            })?;
            value.set_sensitive(true);
            request.headers_mut().insert(AUTHORIZATION, value);
        }
        if let (Some(t), None) = (self.0.timeout, request.timeout()) {
            *request.timeout_mut() = Some(t);
        }
        Ok(())
    }

    /// Sends `request` for `operation_id`: waits for its rate-limit slot, retries 429 as
    /// the retry policy says, and returns the last response (a final 429 included, which
    /// the caller turns into [`Error::RateLimited`]).
    pub(crate) async fn execute(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> reqwest::Result<reqwest::Response> {
        let span = tracing::debug_span!("sonoran_cad.call", operation = operation_id, method = %request.method(), path = request.url().path());
        async move {
            let retry = &self.0.retry;
            let mut pending = Some(request);
            let mut attempt = 0u32;
            loop {
                let request = pending.take().expect("a request for every attempt");
                // Keep a copy for a retry; a streamed body cannot be copied, so no retry then.
                let spare = if attempt < retry.max_retries {
                    request.try_clone()
                } else {
                    None
                };
                // Held until the reply is in: see `limiter` for why.
                let place = Held::wait_for(&self.0.limiter, operation_id).await;
                let response = place.send(http, request).await;
                drop(place);
                let status = response.as_ref().map(|r| r.status().as_u16()).ok();
                tracing::debug!(operation = operation_id, attempt, status, "reply");
                match (response, spare) {
                    (Ok(r), Some(copy)) if r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS => {
                        let wait = retry.wait(attempt, retry_after(r.headers()));
                        tracing::info!(
                            operation = operation_id,
                            attempt,
                            wait_ms = wait.as_millis() as u64,
                            "429: retrying after the server's wait"
                        );
                        clock::sleep(wait).await;
                        pending = Some(copy);
                        attempt += 1;
                    }
                    (response, _) => return response,
                }
            }
        }
        .instrument(span)
        .await
    }
}

impl ClientHooks<Runtime> for RawClient {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        // progenitor adds `api-version` to every request; the Sonoran API does not use it,
        // and in a browser the extra header would force a CORS preflight.
        request.headers_mut().remove("api-version");
        self.inner
            .prepare(request, true)
            .map_err(|e| progenitor_client::Error::InvalidRequest(e.to_string()))
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        // progenitor names the method (`get_calls`); limits and logs use the operationId.
        let operation_id =
            crate::generated::operation_id(info.operation_id).unwrap_or(info.operation_id);
        self.inner
            .execute(&self.client, request, operation_id)
            .await
    }
}

/// A v2 method's outcome as the client's own result type. `success` is the documented
/// success status (progenitor does not keep it in a payload error).
pub(crate) async fn v2_result<T>(
    result: Result<ResponseValue<T>, progenitor_client::Error<()>>,
    success: u16,
) -> Result<T, Error> {
    use progenitor_client::Error as P;
    match result {
        Ok(value) => Ok(value.into_inner()),
        Err(P::InvalidRequest(why) | P::Custom(why)) => Err(Error::InvalidRequest(why)),
        Err(P::CommunicationError(e) | P::InvalidUpgrade(e) | P::ResponseBodyError(e)) => {
            Err(Error::from_reqwest(e))
        }
        Err(P::InvalidResponsePayload(bytes, e)) => Err(Error::MalformedReply {
            status: success,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            reason: format!("expected JSON of the documented shape: {e}"),
        }),
        Err(P::ErrorResponse(value)) => {
            Err(Error::Api(ApiError::from_body(value.status().as_u16(), "")))
        }
        Err(P::UnexpectedResponse(response)) => {
            Err(match crate::reply::Reply::read(Ok(response)).await {
                Err(e) => e,
                // A 2xx other than the documented one: the body was not read as a type.
                Ok(reply) => Error::MalformedReply {
                    status: reply.status(),
                    reason: format!("undocumented success status (documented: {success})"),
                    body: reply.into_body(),
                },
            })
        }
    }
}
