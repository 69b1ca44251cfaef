//! Building a client of one API: credentials, server, base URL, timeout.

use crate::ApiKey;
use crate::limiter::RateLimitPolicy;
use crate::runtime::{RetryPolicy, Runtime, Settings};
use reqwest::header::{HeaderName, HeaderValue};
use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

/// What [`ClientBuilder`] needs to know of the API it builds a client for. Each API crate's
/// `Client` implements it (`sonoran_cad::Client`, `sonoran_cms::Client`).
pub trait Api: Sized {
    /// Where the API lives unless configured (its production URL).
    const DEFAULT_BASE_URL: &'static str;
    /// The crate users depend on, for messages (`sonoran-cad`).
    const CRATE_NAME: &'static str;
    /// The documented `x-rate-limit-per-minute` of each operation.
    const RATE_LIMITS: crate::RateLimits;
    /// The client from what [`ClientBuilder::build`] made of the configuration.
    fn from_parts(base_url: &str, http: reqwest::Client, runtime: Runtime) -> Self;
}

/// An API whose calls name one of the community's servers (CAD): its builder has
/// [`ClientBuilder::server_id`].
pub trait HasServerId: Api {}

/// Why [`ClientBuilder::build`] refused a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// No API key was given, or it was empty.
    MissingApiKey,
    /// The base URL is not an absolute `http(s)` URL.
    InvalidBaseUrl { url: String, reason: String },
    /// An extra header has an invalid name or value.
    InvalidHeader { name: String, reason: String },
    /// The HTTP client could not be created.
    Http(String),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingApiKey => f.write_str("no API key: call `.api_key(...)` with your community's API key (Admin > Advanced > API Integration)"),
            Self::InvalidBaseUrl { url, reason } => write!(f, "invalid base URL `{url}`: {reason}; use an absolute http(s) URL such as the API's production URL"),
            Self::InvalidHeader { name, reason } => write!(f, "invalid extra header `{name}`: {reason}"),
            Self::Http(e) => write!(f, "cannot create the HTTP client: {e}"),
        }
    }
}

impl std::error::Error for BuildError {}

/// Configuration for a client of the API `A`; start with the API crate's
/// `Client::builder()`.
#[derive(Debug, Clone)]
pub struct ClientBuilder<A> {
    community_id: Option<String>,
    api_key: Option<ApiKey>,
    server_id: i64,
    base_url: String,
    timeout: Option<Duration>,
    retry: RetryPolicy,
    rate_limit: RateLimitPolicy,
    headers: Vec<(String, String)>,
    max_reply_bytes: u64,
    max_queue: Option<Option<Duration>>,
    api: PhantomData<fn() -> A>,
}

impl<A: Api> Default for ClientBuilder<A> {
    fn default() -> Self {
        Self {
            community_id: None,
            api_key: None,
            server_id: 1,
            base_url: A::DEFAULT_BASE_URL.into(),
            timeout: Some(Duration::from_secs(30)),
            retry: RetryPolicy::default(),
            rate_limit: RateLimitPolicy::documented(),
            headers: Vec::new(),
            max_reply_bytes: crate::runtime::DEFAULT_MAX_REPLY_BYTES,
            max_queue: None,
            api: PhantomData,
        }
    }
}

impl<A: HasServerId> ClientBuilder<A> {
    /// The server id used when a call does not name one (default 1).
    pub fn server_id(mut self, id: i64) -> Self {
        self.server_id = id;
        self
    }
}

impl<A: Api> ClientBuilder<A> {
    /// The community id (needed by v1 calls, which carry it in their envelope).
    pub fn community_id(mut self, id: impl Into<String>) -> Self {
        self.community_id = Some(id.into());
        self
    }

    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(ApiKey::new(key));
        self
    }

    /// Where the API lives (default [`Api::DEFAULT_BASE_URL`], its production URL).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The deadline of each call (default 30 s; `None` waits forever; a request's own
    /// `.timeout(..)` replaces it): it bounds the whole call, the wait for the rate limit,
    /// every attempt and every wait between attempts.
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// How 429 replies are retried (default: twice, honouring `Retry-After`).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// How requests are paced (default: each operation to its documented limit).
    pub fn rate_limit(mut self, policy: RateLimitPolicy) -> Self {
        self.rate_limit = policy;
        self
    }

    /// The longest a call may wait for its place under the documented rate limit before
    /// it fails at once, unsent, with [`Error::PacingRefused`](crate::Error::PacingRefused)
    /// carrying the wait (default: the timeout; a call never queues past its own deadline
    /// either; `None`: wait as long as the limit and the deadline allow;
    /// `Some(Duration::ZERO)`: fail fast, never queue). A Discord
    /// interaction with a 3 s deadline wants `Some(Duration::from_secs(2))`, say.
    pub fn max_queue(mut self, bound: Option<Duration>) -> Self {
        self.max_queue = Some(bound);
        self
    }

    /// The longest reply body accepted, in bytes (default 16 MiB): a longer one is refused
    /// while it is being read, with [`Error::ReplyTooLarge`](crate::Error::ReplyTooLarge),
    /// so a hostile or broken server cannot make the client hold gigabytes.
    pub fn max_reply_bytes(mut self, bytes: u64) -> Self {
        self.max_reply_bytes = bytes;
        self
    }

    /// A header sent with every request (e.g. a `User-Agent` for your bot).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Checks the configuration and makes the client.
    pub fn build(self) -> Result<A, BuildError> {
        let api_key = self
            .api_key
            .filter(|k| !k.is_blank())
            .ok_or(BuildError::MissingApiKey)?;
        let base_url = validate_base_url(&self.base_url, A::CRATE_NAME)?;
        for (name, value) in &self.headers {
            let bad = |reason: String| BuildError::InvalidHeader {
                name: name.clone(),
                reason,
            };
            HeaderName::from_bytes(name.as_bytes()).map_err(|e| bad(e.to_string()))?;
            HeaderValue::from_str(value).map_err(|e| bad(e.to_string()))?;
        }
        #[cfg(feature = "redis")]
        let rate_limit = self.rate_limit.for_key(&api_key);
        #[cfg(not(feature = "redis"))]
        let rate_limit = self.rate_limit;
        // reqwest's rustls without a provider uses the process's default one: ring's, unless
        // the application installed another first (then `install_default` leaves it).
        #[cfg(all(
            feature = "rustls-ring",
            not(feature = "rustls"),
            not(target_arch = "wasm32")
        ))]
        let _ = rustls::crypto::ring::default_provider().install_default();
        // The client's timeout on the HTTP client itself (native: wasm32's has none), so
        // that an attempt with all of it to go (nearly every first attempt) carries no
        // timeout of its own; the runtime gives every other attempt what is left of its
        // call's deadline.
        let http = reqwest::ClientBuilder::new();
        #[cfg(not(target_arch = "wasm32"))]
        let (http, client_timeout) = match self.timeout {
            Some(timeout) => (http.timeout(timeout), Some(timeout)),
            None => (http, None),
        };
        #[cfg(target_arch = "wasm32")]
        let client_timeout = None;
        let http = http.build().map_err(|e| BuildError::Http(e.to_string()))?;
        let runtime = Runtime::with_client_timeout(
            Settings {
                api_key: Some(api_key),
                community_id: self.community_id,
                server_id: self.server_id,
                timeout: self.timeout,
                retry: self.retry,
                rate_limit,
                headers: self.headers,
                max_reply_bytes: self.max_reply_bytes,
                max_queue: self.max_queue.unwrap_or(self.timeout),
                rate_limits: A::RATE_LIMITS,
            },
            client_timeout,
        );
        Ok(A::from_parts(&base_url, http, runtime))
    }
}

fn validate_base_url(url: &str, crate_name: &str) -> Result<String, BuildError> {
    // Named only in the refusal of a build without TLS.
    let _ = crate_name;
    let bad = |reason: &str| BuildError::InvalidBaseUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    // Native builds speak TLS only with a TLS feature; on wasm32 the platform's fetch does.
    #[cfg(all(
        not(any(feature = "rustls", feature = "rustls-ring", feature = "native-tls")),
        not(target_arch = "wasm32")
    ))]
    if parsed.scheme() == "https" {
        return Err(bad(&format!(
            "this build of {crate_name} has no TLS: enable one of its features `rustls` (on by default), `rustls-ring` or `native-tls` to reach https URLs"
        )));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("it has no host"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(bad("it must not carry a query or fragment"));
    }
    // Operation paths start with `/`; keep a path stem but drop its trailing slash.
    Ok(url.trim_end_matches('/').to_string())
}

/// An API as the API crates describe theirs, for the tests.
#[cfg(test)]
#[derive(Debug, Clone)]
struct Client {
    base_url: String,
    runtime: Runtime,
}

#[cfg(test)]
impl Api for Client {
    const DEFAULT_BASE_URL: &'static str = "https://api.example.com";
    const CRATE_NAME: &'static str = "sonoran-runtime";
    const RATE_LIMITS: crate::RateLimits = |_| None;
    fn from_parts(base_url: &str, _: reqwest::Client, runtime: Runtime) -> Self {
        Self {
            base_url: base_url.to_string(),
            runtime,
        }
    }
}

#[cfg(test)]
impl Client {
    fn builder() -> ClientBuilder<Self> {
        ClientBuilder::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_supplies_the_default_url() {
        let client = Client::builder().api_key("k").build().unwrap();
        assert_eq!(client.base_url, "https://api.example.com");
        assert_eq!(client.runtime.server_id(), 1);
    }

    #[test]
    fn a_key_is_required() {
        assert_eq!(
            Client::builder().build().unwrap_err(),
            BuildError::MissingApiKey
        );
        assert_eq!(
            Client::builder().api_key("  ").build().unwrap_err(),
            BuildError::MissingApiKey
        );
    }

    #[test]
    fn bad_urls_are_named() {
        for url in ["api.sonorancad.com", "ftp://x", "http://", "https://x/?a=1"] {
            let err = Client::builder()
                .api_key("k")
                .base_url(url)
                .build()
                .unwrap_err();
            assert!(
                matches!(&err, BuildError::InvalidBaseUrl { url: u, .. } if u == url),
                "{url}: {err}"
            );
            assert!(err.to_string().contains(url));
        }
    }

    #[test]
    fn the_key_never_shows_in_debug() {
        let builder = Client::builder()
            .api_key("s3cr3t-key")
            .base_url("http://127.0.0.1:1");
        assert!(!format!("{builder:?}").contains("s3cr3t"));
        let client = builder.build().unwrap();
        assert!(!format!("{client:?}").contains("s3cr3t"));
    }
}

#[cfg(all(
    test,
    not(any(feature = "rustls", feature = "rustls-ring", feature = "native-tls"))
))]
mod without_tls {
    use super::*;

    #[test]
    fn an_https_url_is_refused_at_build_time() {
        let err = Client::builder()
            .api_key("k")
            .base_url("https://api.sonorancad.com")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("no TLS"), "{err}");
        assert!(
            Client::builder()
                .api_key("k")
                .base_url("http://127.0.0.1:1")
                .build()
                .is_ok()
        );
    }
}
