//! What ties the generated client to the shared runtime: the builder's view of the API
//! (base URL, documented limits), progenitor's hooks, the operation and v1-code tables.

#[cfg(feature = "http")]
use crate::{Client, generated::RawClient};
use crate::{Operation, V1ErrorCode};
#[cfg(feature = "http")]
use progenitor_client::{ClientHooks, OperationInfo};
#[cfg(feature = "http")]
use sonoran_runtime::runtime::Runtime;

#[cfg(feature = "http")]
impl sonoran_runtime::Api for Client {
    const DEFAULT_BASE_URL: &'static str = crate::PRODUCTION_URL;
    const CRATE_NAME: &'static str = "sonoran-cad";
    const RATE_LIMITS: sonoran_runtime::RateLimits = crate::RATE_LIMITS;

    fn from_parts(base_url: &str, http: reqwest::Client, runtime: Runtime) -> Self {
        Client {
            raw: RawClient::new_with_client(base_url, http, runtime),
        }
    }
}

#[cfg(feature = "http")]
impl sonoran_runtime::HasServerId for Client {}

#[cfg(feature = "http")]
impl ClientHooks<Runtime> for RawClient {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        sonoran_runtime::http::pre_hook(&self.inner, request)
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        // progenitor names the method (`get_calls`); limits and logs use the operationId.
        let operation_id =
            crate::generated::operation_id(info.operation_id).unwrap_or(info.operation_id);
        sonoran_runtime::http::exec_hook(&self.inner, &self.client, request, operation_id).await
    }
}

#[cfg(feature = "http")]
impl Client {
    /// Sends a request this client built itself (v1 calls, uploads) through the runtime:
    /// headers, bearer auth when `bearer`, timeout, pacing, retries; then reads the reply.
    pub(crate) async fn send(
        &self,
        request: reqwest::RequestBuilder,
        bearer: bool,
        operation_id: &'static str,
    ) -> Result<sonoran_runtime::Reply, crate::Error> {
        sonoran_runtime::v1::send_built(
            &self.raw.inner,
            &self.raw.client,
            request,
            bearer,
            operation_id,
        )
        .await
    }
}

impl sonoran_runtime::OperationId for Operation {
    fn operation_id(&self) -> &'static str {
        self.id()
    }
}

impl sonoran_runtime::V1Code for V1ErrorCode {
    fn from_text(body: &str) -> Option<Self> {
        V1ErrorCode::from_text(body)
    }

    fn text(self) -> &'static str {
        V1ErrorCode::text(self)
    }
}
