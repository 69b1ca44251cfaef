//! What every request goes through, whichever way it was built and whatever sends it:
//! pacing to the documented limits, bounded retries of 429 with `Retry-After`, and a
//! tracing span. The logic does not depend on an HTTP library: [`Runtime::execute`] takes
//! a closure that makes one attempt, so the typed client (reqwest, in `crate::http`) and
//! the npm package (the platform's `fetch`) run the very same loop. Never the key in a log
//! line: spans carry the operation id, attempt, status and waits only.

use crate::ApiKey;
use crate::clock;
pub use crate::limiter::Pace;
use crate::limiter::{Held, Limiter, RateLimitPolicy};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// For the generated API crates (their request builders call them as `crate::runtime::..`).
#[cfg(feature = "http")]
#[doc(hidden)]
pub use crate::http::{unsuccessful, v2_result};

pub use crate::retry::RetryPolicy;

/// Tests only: the runtime's waits on a virtual clock (see its docs).
#[cfg(not(target_arch = "wasm32"))]
#[doc(hidden)]
pub use crate::clock::VirtualClock;
use crate::retry::{Failure, Outcome};

/// What the runtime needs to know of one attempt's outcome, whatever sent it.
pub trait Attempt {
    /// The HTTP status of the reply; `None` when no reply came (a transport failure).
    fn status(&self) -> Option<u16>;
    /// The reply's `Retry-After` header as received, when it has one.
    fn retry_after(&self) -> Option<&str>;

    /// Why no reply came, when none did; `None` reads as [`Failure::Interrupted`].
    fn failure(&self) -> Option<Failure> {
        None
    }

    /// The outcome of a call that pacing would hold longer than its bound: a 429 of this
    /// client's own making whose `Retry-After` is `wait`, so that it ends as
    /// [`Error::RateLimited`](crate::Error::RateLimited) without being sent; `None` where
    /// this kind of attempt cannot say so (the call then waits).
    fn held_too_long(wait: Duration) -> Option<Self>
    where
        Self: Sized,
    {
        let _ = wait;
        None
    }

    /// The outcome of a call that the shared rate limiter refused to let out (its store
    /// did not answer and its policy is to fail), or `None` where this kind of attempt
    /// cannot say so, in which case the call goes out paced locally.
    fn refused(reason: &str) -> Option<Self>
    where
        Self: Sized,
    {
        let _ = reason;
        None
    }
}

/// The configuration every request needs, given to [`Runtime::new`].
#[derive(Debug, Clone)]
pub struct Settings {
    /// The community API key. `None` only where something in front of the API adds the
    /// credentials (the npm package behind the user's own backend).
    pub api_key: Option<ApiKey>,
    pub community_id: Option<String>,
    /// The server a call uses when it does not name one (CAD; an API without servers
    /// ignores it).
    pub server_id: i64,
    /// Per-request timeout; `None` waits forever. Waiting for the rate limit is bounded by
    /// `max_queue` instead.
    pub timeout: Option<Duration>,
    pub retry: RetryPolicy,
    pub rate_limit: RateLimitPolicy,
    /// Sent with every request: (name, value), already validated.
    pub headers: Vec<(String, String)>,
    /// The longest reply body accepted, in bytes; a longer one is refused while it is read.
    pub max_reply_bytes: u64,
    /// The longest a call may wait for its place under the documented limit before it
    /// fails at once as rate limited (`None`: waits as long as the limit says). The
    /// default of the builders is the call's timeout.
    pub max_queue: Option<Duration>,
    /// The API's documented per-minute limits (its generated table), which
    /// [`RateLimitPolicy::documented`] paces to.
    pub rate_limits: crate::RateLimits,
}

/// The default of [`Settings::max_reply_bytes`]: 16 MiB, far above any documented reply.
pub const DEFAULT_MAX_REPLY_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug)]
struct Shared {
    settings: Settings,
    /// Shared also by the variants `with_max_queue` makes: one set of windows per client.
    limiter: Arc<Limiter>,
}

/// The client's configuration and state as every request needs it. Cloning shares it,
/// rate limiter included.
#[derive(Debug, Clone)]
pub struct Runtime(Arc<Shared>);

impl Runtime {
    pub fn new(settings: Settings) -> Self {
        let limiter = Arc::new(Limiter::new(
            settings.rate_limit.clone(),
            settings.rate_limits,
        ));
        Self(Arc::new(Shared { settings, limiter }))
    }

    /// This runtime with another bound on queueing for the rate limit, sharing its windows
    /// (for one call or a few: the API crates' `Client::with_max_queue`).
    pub fn with_max_queue(&self, bound: Option<Duration>) -> Self {
        let mut settings = self.0.settings.clone();
        settings.max_queue = bound;
        Self(Arc::new(Shared {
            settings,
            limiter: self.0.limiter.clone(),
        }))
    }

    pub fn community_id(&self) -> Option<&str> {
        self.0.settings.community_id.as_deref()
    }

    pub fn server_id(&self) -> i64 {
        self.0.settings.server_id
    }

    pub fn api_key(&self) -> Option<&ApiKey> {
        self.0.settings.api_key.as_ref()
    }

    pub fn timeout(&self) -> Option<Duration> {
        self.0.settings.timeout
    }

    /// The longest a call may wait for its place under the documented limit.
    pub fn max_queue(&self) -> Option<Duration> {
        self.0.settings.max_queue
    }

    /// The longest reply body accepted, in bytes.
    pub fn max_reply_bytes(&self) -> u64 {
        self.0.settings.max_reply_bytes
    }

    /// The extra headers every request carries.
    pub fn headers(&self) -> &[(String, String)] {
        &self.0.settings.headers
    }

    /// Pacing asked at once, for a driver that waits by itself (the npm package's, which
    /// awaits `fetch` and timers in JavaScript): take a place for `operation_id`, or learn
    /// how long to wait before asking again. A taken place is given back with
    /// [`Runtime::release_now`] when the reply is in. [`Runtime::execute`] is the same
    /// pacing for Rust futures.
    pub fn pace_now(&self, operation_id: &str) -> Pace {
        self.0.limiter.pace_now(operation_id)
    }

    /// Gives back a place [`Runtime::pace_now`] took: it counts from now.
    pub fn release_now(&self, operation_id: &str, ticket: u64) {
        self.0.limiter.release_now(operation_id, ticket);
    }

    /// After attempt `attempt` (0 for the first) of a `method` call of `operation_id`
    /// ended as `outcome`, `elapsed` into the call: the wait before trying again, or `None`
    /// when this outcome is the call's. The rules are [`RetryPolicy::next_wait`]'s.
    pub fn next_wait(
        &self,
        operation_id: &str,
        method: &str,
        attempt: u32,
        outcome: Outcome<'_>,
        elapsed: Duration,
    ) -> Option<Duration> {
        let wait = self
            .0
            .settings
            .retry
            .next_wait(method, attempt, outcome, elapsed)?;
        #[cfg(not(feature = "tracing"))]
        let _ = operation_id;
        crate::trace!(info!(
            operation = operation_id,
            attempt,
            status = outcome.status,
            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            "retrying after a transient failure"
        ));
        Some(wait)
    }

    /// Runs one call of `operation_id`: waits for its rate-limit place, makes an attempt
    /// with `send`, and when the outcome is a transient failure the retry rules allow for
    /// `method` (and the request is `repeatable`: its body can be sent again), waits as
    /// the server or the policy says and tries again. Returns the last
    /// attempt's outcome (a final 429 included, which the caller turns into
    /// [`Error::RateLimited`](crate::Error::RateLimited)).
    pub async fn execute<A, F>(
        &self,
        operation_id: &str,
        method: &str,
        repeatable: bool,
        mut send: impl FnMut() -> F,
    ) -> A
    where
        A: Attempt,
        F: Future<Output = A>,
    {
        let call = async move {
            let started = clock::now_ms();
            let mut attempt = 0u32;
            loop {
                // Held until the reply is in: see `limiter` for why.
                let place =
                    match Held::wait_for(&self.0.limiter, operation_id, self.max_queue()).await {
                        Ok(place) => place,
                        Err(wait) => match A::held_too_long(wait) {
                            Some(outcome) => return outcome,
                            None => {
                                clock::sleep(wait).await;
                                continue;
                            }
                        },
                    };
                if let Some(refused) = place.refusal().and_then(A::refused) {
                    return refused;
                }
                let outcome = send().await;
                drop(place);
                let status = outcome.status();
                crate::trace!(debug!(operation = operation_id, attempt, status, "reply"));
                if !repeatable {
                    return outcome;
                }
                let elapsed =
                    Duration::from_secs_f64(((clock::now_ms() - started) / 1000.0).max(0.0));
                let Some(wait) = self.next_wait(
                    operation_id,
                    method,
                    attempt,
                    Outcome {
                        status,
                        failure: outcome.failure(),
                        retry_after: outcome.retry_after(),
                    },
                    elapsed,
                ) else {
                    return outcome;
                };
                clock::sleep(wait).await;
                attempt += 1;
            }
        };
        #[cfg(feature = "tracing")]
        let call = tracing::Instrument::instrument(
            call,
            tracing::debug_span!("sonoran.call", operation = operation_id, method),
        );
        #[cfg(not(feature = "tracing"))]
        let _ = method;
        call.await
    }
}

/// Puts `"serverId": server_id` into a v1 call's `data` (into each object of it, when it is
/// an array) where it is missing or `null`; a `serverId` the caller set stays as set.
/// Returns whether anything was filled. Both clients call it for the v1 operations whose
/// `data` has a `serverId` (the typed client in `crate::v1`, the npm package before it
/// sends), so that an item built without one goes to the client's configured server
/// (`Client::builder().server_id(..)`, default 1), never to server 0.
pub fn fill_server_id(data: &mut serde_json::Value, server_id: i64) -> bool {
    use serde_json::Value;
    let mut filled = false;
    let mut fill = |item: &mut Value| {
        if let Value::Object(map) = item
            && map.get("serverId").is_none_or(Value::is_null)
        {
            map.insert("serverId".into(), Value::from(server_id));
            filled = true;
        }
    };
    match data {
        Value::Array(items) => items.iter_mut().for_each(&mut fill),
        item => fill(item),
    }
    filled
}

#[cfg(test)]
mod fill_tests {
    use super::fill_server_id;
    use serde_json::json;

    #[test]
    fn server_id_is_filled_only_where_unset() {
        let mut data = json!([{"callId": 1}, {"callId": 2, "serverId": 5}, {"serverId": null}]);
        assert!(fill_server_id(&mut data, 2));
        assert_eq!(
            data,
            json!([{"callId": 1, "serverId": 2}, {"callId": 2, "serverId": 5}, {"serverId": 2}])
        );
        let mut object = json!({"currentUtc": "x"});
        assert!(fill_server_id(&mut object, 3));
        assert_eq!(object, json!({"currentUtc": "x", "serverId": 3}));
        let mut set = json!([{"serverId": 4}]);
        assert!(!fill_server_id(&mut set, 3));
        assert_eq!(set, json!([{"serverId": 4}]));
    }
}
