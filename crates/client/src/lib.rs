#![doc = include_str!("../README.md")]

mod config;
#[allow(missing_docs)]
mod generated;
pub mod runtime;

pub use config::{ApiKey, BuildError, ClientBuilder, PRODUCTION_URL, STAGING_URL};
pub use generated::*;

impl Client {
    /// Starts configuring a client: at least [`ClientBuilder::api_key`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The CAD server id this client uses by default (1 unless configured).
    pub fn server_id(&self) -> i64 {
        self.inner.server_id()
    }

    /// The configured community id, if any.
    pub fn community_id(&self) -> Option<&str> {
        self.inner.community_id()
    }

    /// The configured API key (redacted in `Debug`).
    pub fn api_key(&self) -> &ApiKey {
        self.inner.api_key()
    }
}
