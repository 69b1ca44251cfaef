//! `generated/api.rs`: what ties an API's generated client to the shared runtime, the same
//! for every API but for the facts of its [`Api`] description: the `Client` and its `V1`
//! calls, the runtime's view of the API (base URL, documented limits, a default server),
//! the error aliases over the API's v1 codes, and the runtime items the
//! crate re-exports. An API crate's hand-written `lib.rs` keeps only its docs and what only
//! that API has (CAD's websocket and bodycam upload).

use crate::v1::V1Method;
use proc_macro2::TokenStream;
use quote::quote;
use sonoran_spec::api::Api;

/// The tokens of `generated/api.rs` for `api`, whose v1 calls are `v1_methods`.
pub fn tokens(api: &Api, v1_methods: &[V1Method]) -> TokenStream {
    let product = api.product;
    let short = api.short_name;
    let crate_name = api.crate_name;
    let lib = api.lib_name();
    let production = api.production_url;
    let client_doc = format!(
        " A {product} API client: every v2 operation as a method returning its request builder\n ([`requests`](crate::requests)), every v1 call under [`Client::v1`]. Cheap to clone; clones share the\n configuration and the rate limiter."
    );
    let error_doc = format!(
        " The one error type of the client: [`sonoran_runtime::Error`] with {short}'s documented v1\n error codes ([`V1ErrorCode`])."
    );
    let api_error_doc = match api.envelope {
        sonoran_spec::api::Envelope::None => " An error reply from the API (v2 problem+json, or a v1 plain-text line with its\n [`V1ErrorCode`]).".to_string(),
        _ => " An error reply from the API (v2 problem+json, an enveloped reply with `success: false`,\n or a v1 plain-text line with its [`V1ErrorCode`]).".to_string(),
    };
    let limits_doc = format!(
        " {short}'s documented `x-rate-limit-per-minute` of each operation, by operationId: what\n [`RateLimitPolicy::documented`] paces to. A driver of the runtime of its own (the npm\n package) passes it in `sonoran_runtime::runtime::Settings::rate_limits`."
    );
    let staging = match api.staging_url {
        Some(url) => quote! {
            /// The development-branch (staging) API.
            pub const STAGING_URL: &str = #url;
        },
        None => quote! {},
    };
    // The doc example of `v1()`: a call without `data` reads best; any call will do.
    let example = v1_methods
        .iter()
        .find(|m| m.data.is_none())
        .or_else(|| v1_methods.first())
        .map(|m| {
            let args = if m.data.is_some() { "&data" } else { "" };
            format!(
                " a request builder named after the call (its operationId in snake case): `client.v1().{}({args})`\n sends `{}`.",
                m.rust_method, m.v1_type
            )
        })
        .unwrap_or_else(|| " a request builder named after the call.".to_string());
    let v1_doc = format!(
        " The v1 calls (`POST /<area>/<call>` with the `{{id, key, type, data}}` envelope), each\n{example} The client fills `id` and `key`{} and `type`; you pass `data`.",
        if api.server_id_default {
            " (and a `serverId` left unset)"
        } else {
            ""
        }
    );
    let with_max_queue_doc = format!(
        " This client with another bound on how long a call may queue for the documented rate\n limit (see [`ClientBuilder::max_queue`]), for the calls made through it: it shares\n the rate-limit windows, the connection pool and everything else with `self`.\n\n ```no_run\n # async fn f(client: {lib}::Client) -> Result<(), {lib}::Error> {{\n use std::time::Duration;\n // A Discord interaction must answer within 3 s: fail fast rather than queue.\n let short = client.with_max_queue(Some(Duration::from_secs(2)));\n # Ok(()) }}\n ```"
    );
    let server_id = if api.server_id_default {
        let doc =
            format!(" The {short} server id this client uses by default (1 unless configured).");
        quote! {
            #[cfg(feature = "http")]
            impl Client {
                #[doc = #doc]
                pub fn server_id(&self) -> i64 {
                    self.raw.inner.server_id()
                }
            }

            #[cfg(feature = "http")]
            impl sonoran_runtime::HasServerId for Client {}
        }
    } else {
        quote! {}
    };
    quote! {
        //! What ties the generated client to the shared runtime (the same for every Sonoran API
        //! but for the API's own facts).

        use super::{Operation, V1ErrorCode};

        // The runtime's internals, for the generated code, the npm modules and tests (the virtual
        // clock): not part of the public API (see CHANGELOG.md's versioning policy).
        #[doc(hidden)]
        pub use sonoran_runtime::retry;
        #[doc(hidden)]
        pub use sonoran_runtime::runtime;

        pub use sonoran_runtime::{
            ApiKey, ErrorKind, RateLimitPolicy, RetryPolicy, TransportError, TransportKind,
            parse_retry_after,
        };
        /// A reply with its status, headers, request id, attempts and elapsed time: what a
        /// request builder's `send_with_response()` resolves to.
        #[cfg(feature = "http")]
        pub use sonoran_runtime::Response;
        #[cfg(feature = "http")]
        pub use sonoran_runtime::BuildError;
        #[cfg(feature = "redis")]
        pub use sonoran_runtime::{InvalidRedisUrl, OnUnavailable, SharedLimiter};

        #[doc = #error_doc]
        pub type Error = sonoran_runtime::Error<V1ErrorCode>;
        #[doc = #api_error_doc]
        pub type ApiError = sonoran_runtime::ApiError<V1ErrorCode>;
        /// Configuration for a [`Client`]; start with [`Client::builder`].
        #[cfg(feature = "http")]
        pub type ClientBuilder = sonoran_runtime::ClientBuilder<Client>;

        #[doc = #limits_doc]
        pub const RATE_LIMITS: sonoran_runtime::RateLimits = super::rate_limit_per_minute;

        /// The production API.
        pub const PRODUCTION_URL: &str = #production;
        #staging

        /// The future of a sent request: what a [`requests`](crate::requests) builder's
        /// `send()` returns and what `.await` on it runs. It owns what it needs, so it can be
        /// stored, joined and (natively) spawned.
        #[cfg(feature = "http")]
        pub type CallFuture<T> = sonoran_runtime::CallFuture<T, V1ErrorCode>;
        /// The future of a sent request with its reply's status, headers, request id,
        /// attempts and elapsed time: what a [`requests`](crate::requests) builder's
        /// `send_with_response()` returns.
        #[cfg(feature = "http")]
        pub type ResponseFuture<T> = sonoran_runtime::ResponseFuture<T, V1ErrorCode>;

        /// The items of every page of a paginated operation, fetched lazily: what a paginated
        /// request builder's `.stream()` returns (a `futures_core::Stream` of
        /// `Result<T, Error>`; its first error is its last item).
        #[cfg(feature = "http")]
        pub type Pages<T> = sonoran_runtime::pages::Pages<T, V1ErrorCode>;

        #[doc = #client_doc]
        #[cfg(feature = "http")]
        #[derive(Debug, Clone)]
        pub struct Client {
            pub(crate) raw: super::RawClient,
        }

        #[cfg(feature = "http")]
        impl Client {
            /// Starts configuring a client: at least [`ClientBuilder::api_key`].
            pub fn builder() -> ClientBuilder {
                ClientBuilder::default()
            }

            /// The configured community id, if any.
            pub fn community_id(&self) -> Option<&str> {
                self.raw.inner.community_id()
            }

            #[doc = #with_max_queue_doc]
            pub fn with_max_queue(&self, bound: Option<::std::time::Duration>) -> Client {
                Client {
                    raw: super::RawClient::new_with_client(
                        &self.raw.baseurl,
                        self.raw.client.clone(),
                        self.raw.inner.with_max_queue(bound),
                    ),
                }
            }

            #[doc = #v1_doc]
            pub fn v1(&self) -> V1 {
                V1 { client: self.clone() }
            }

            /// The configured API key (redacted in `Debug`).
            pub fn api_key(&self) -> &ApiKey {
                self.raw
                    .inner
                    .api_key()
                    .expect("the builder refuses a client without a key")
            }

            /// The base URL requests go to.
            pub fn base_url(&self) -> &str {
                &self.raw.baseurl
            }

            /// The future of one v1 call, for a v1 request builder's `send_with_response`: the
            /// call sent through the client's runtime scoped to the call's `options`, its reply
            /// read by `finish`. `data` is `None` only for calls whose envelope has no `data`.
            /// `fills_server_id`: `data` (each item of it) has a `serverId` property, sent as
            /// the client's server id where the caller left it unset. One state machine for
            /// every v1 operation (none of its own per operation: less for the compiler to check).
            #[allow(clippy::too_many_arguments)]
            pub(crate) fn v1_call<D, T>(
                self,
                options: sonoran_runtime::CallOptions,
                operation_id: &'static str,
                path: &'static str,
                v1_type: &'static str,
                data: Option<D>,
                fills_server_id: bool,
                extra: Vec<(&'static str, ::serde_json::Value)>,
                finish: fn(sonoran_runtime::Reply) -> Result<T, Error>,
            ) -> ResponseFuture<T>
            where
                D: ::serde::Serialize + Send + Sync + 'static,
                T: Send + 'static,
            {
                ResponseFuture::new(async move {
                    let runtime = self.raw.inner.scoped(options);
                    let call = sonoran_runtime::v1::V1Call {
                        operation_id,
                        path,
                        v1_type,
                        data: data.as_ref(),
                        fills_server_id,
                    };
                    let result = sonoran_runtime::v1::send(
                        &runtime,
                        &self.raw.client,
                        &self.raw.baseurl,
                        call,
                        extra,
                    )
                    .await
                    .and_then(finish);
                    runtime.finish(result)
                })
            }
        }

        /// The v1 calls of a [`Client`], from [`Client::v1`]: each method returns its request
        /// builder ([`requests`](crate::requests)). It holds a clone of the client.
        #[cfg(feature = "http")]
        #[derive(Debug, Clone)]
        pub struct V1 {
            pub(crate) client: Client,
        }

        #[cfg(feature = "http")]
        impl sonoran_runtime::Api for Client {
            const DEFAULT_BASE_URL: &'static str = PRODUCTION_URL;
            const CRATE_NAME: &'static str = #crate_name;
            const RATE_LIMITS: sonoran_runtime::RateLimits = RATE_LIMITS;

            fn from_parts(
                base_url: &str,
                http: ::reqwest::Client,
                runtime: sonoran_runtime::runtime::Runtime,
            ) -> Self {
                Client {
                    raw: super::RawClient::new_with_client(base_url, http, runtime),
                }
            }
        }

        #server_id

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

            fn kind(self) -> Option<sonoran_runtime::ErrorKind> {
                V1ErrorCode::kind(self)
            }

            fn docs_url(operation_id: &str) -> Option<&'static str> {
                Operation::from_id(operation_id)?.docs_url()
            }
        }
    }
}
