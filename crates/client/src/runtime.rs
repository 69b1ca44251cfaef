//! What every generated call goes through: progenitor's hooks, implemented once.
//!
//! Today that is authentication (the v2 bearer header). Pacing to the documented rate
//! limits and retrying 429s belong here too, in `exec`.

use crate::Client;
use crate::config::ApiKey;
use progenitor_client::{ClientHooks, Error, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderValue};

/// The client's configuration as the hooks need it.
#[derive(Debug, Clone)]
pub struct Runtime {
    api_key: ApiKey,
    community_id: Option<String>,
    server_id: i64,
}

impl Runtime {
    pub(crate) fn new(api_key: ApiKey, community_id: Option<String>, server_id: i64) -> Self {
        Self {
            api_key,
            community_id,
            server_id,
        }
    }

    pub(crate) fn community_id(&self) -> Option<&str> {
        self.community_id.as_deref()
    }

    pub(crate) fn server_id(&self) -> i64 {
        self.server_id
    }

    pub(crate) fn api_key(&self) -> &ApiKey {
        &self.api_key
    }

    fn bearer(&self) -> Option<HeaderValue> {
        let mut value = HeaderValue::from_str(&format!("Bearer {}", self.api_key.expose())).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

impl ClientHooks<Runtime> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        let Some(bearer) = self.inner.bearer() else {
            return Err(Error::InvalidRequest(
                "the API key contains characters that cannot go in an HTTP header".into(),
            ));
        };
        request.headers_mut().insert(AUTHORIZATION, bearer);
        Ok(())
    }
}
