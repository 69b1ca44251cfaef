//! The typed client's transport: reqwest requests (built by progenitor's v2 methods, the
//! v1 sender and the uploads) through the shared [`Runtime`] loop.

use crate::Error;
use crate::error::ApiError;
use crate::generated::RawClient;
use crate::runtime::{Attempt, Runtime};
use progenitor_client::{ClientHooks, OperationInfo, ResponseValue};
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};

impl Runtime {
    /// Adds what every request carries: extra headers, the bearer header (v2 only: v1
    /// carries the key in its body), the timeout.
    pub(crate) fn prepare(
        &self,
        request: &mut reqwest::Request,
        bearer: bool,
    ) -> Result<(), Error> {
        for (name, value) in self.headers() {
            // Validated when the client was built.
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                request.headers_mut().insert(n, v);
            }
        }
        if bearer && let Some(key) = self.api_key() {
            let mut value =
                HeaderValue::from_str(&format!("Bearer {}", key.expose())).map_err(|_| {
                    Error::InvalidRequest(
                        "the API key contains characters that cannot go in an HTTP header".into(),
                    )
                })?;
            value.set_sensitive(true);
            request.headers_mut().insert(AUTHORIZATION, value);
        }
        if let (Some(t), None) = (self.timeout(), request.timeout()) {
            *request.timeout_mut() = Some(t);
        }
        Ok(())
    }

    /// Sends `request` for `operation_id` through [`Runtime::execute`]. A request whose
    /// body cannot be copied (a stream) is sent once, without retries.
    pub(crate) async fn send_reqwest(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        operation_id: &str,
    ) -> reqwest::Result<reqwest::Response> {
        let spare = request.try_clone();
        let repeatable = spare.is_some();
        let method = request.method().to_string();
        let mut first = Some(request);
        let outcome: Raw = self
            .execute(operation_id, &method, repeatable, || {
                let request = first
                    .take()
                    .or_else(|| spare.as_ref().and_then(reqwest::Request::try_clone));
                let http = http.clone();
                async move {
                    match request {
                        Some(r) => Raw(Some(http.execute(r).await)),
                        None => Raw(None),
                    }
                }
            })
            .await;
        match outcome.0 {
            Some(sent) => sent,
            // `execute` calls the closure once unless `repeatable`, and a request that was
            // copied once copies again: there is always a request to send.
            None => unreachable!("a request for every attempt"),
        }
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
            .send_reqwest(&self.client, request, operation_id)
            .await
    }
}

/// One attempt: reqwest's outcome (`None` only where no request was left to send).
struct Raw(Option<reqwest::Result<reqwest::Response>>);

impl Attempt for Raw {
    #[cfg(feature = "redis")]
    fn refused(reason: &str) -> Option<Self> {
        Some(Raw(Some(Ok(crate::shared::refusal(reason)))))
    }

    fn status(&self) -> Option<u16> {
        match &self.0 {
            Some(Ok(r)) => Some(r.status().as_u16()),
            _ => None,
        }
    }

    fn retry_after(&self) -> Option<&str> {
        match &self.0 {
            Some(Ok(r)) => r.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok(),
            _ => None,
        }
    }

    fn failure(&self) -> Option<crate::retry::Failure> {
        use crate::retry::Failure;
        match &self.0 {
            Some(Err(e)) if e.is_connect() => Some(Failure::Connect),
            Some(Err(e)) if e.is_timeout() => Some(Failure::Timeout),
            Some(Err(_)) | None => Some(Failure::Interrupted),
            Some(Ok(_)) => None,
        }
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
