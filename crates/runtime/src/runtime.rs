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
pub use crate::http::unsuccessful;

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
    /// The deadline of each call (a request's own [`CallOptions::timeout`] replaces it):
    /// it bounds the whole call, the wait for the rate limit, every attempt and every wait
    /// between them; `None` waits forever. Waiting for the rate limit is also bounded by
    /// `max_queue`.
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
    /// The `Authorization` header made from the key on the first call that sends it, then
    /// reused (`None` inside: the key cannot go in an HTTP header). Marked sensitive, so
    /// that its `Debug` never shows the key.
    #[cfg(feature = "http")]
    bearer: std::sync::OnceLock<Option<reqwest::header::HeaderValue>>,
    /// The total timeout the HTTP client this runtime sends through puts on every request
    /// by itself (set by the builder that made both): an attempt whose budget it already
    /// is needs no timeout of its own (see [`Runtime::attempt_timeout`]).
    #[cfg(feature = "http")]
    client_timeout: Option<Duration>,
}

/// What one request asks besides the client's configuration: the request builders'
/// `.timeout(..)` and `.header(..)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallOptions {
    /// The deadline of the whole call (pacing wait, every attempt, every wait between
    /// them); `None`: the client's timeout.
    pub timeout: Option<Duration>,
    /// Headers for this request only, (name, value) as given: checked when it is sent.
    pub headers: Vec<(String, String)>,
}

/// How one call went, whatever its outcome: what [`Runtime::execute`] measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CallStats {
    /// The attempts sent (0 when the call ended before one went out).
    pub attempts: u32,
    /// From the call's start to its end, pacing and waits included (the runtime's clock).
    pub elapsed: Duration,
}

/// How a call ended before it got a reply worth returning, decided by the runtime itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// The pacing to the documented limit would hold the call `wait`, past `bound` (the
    /// call's deadline or the client's `max_queue`): nothing was sent.
    Refused { wait: Duration, bound: Duration },
    /// The call's deadline passed before another attempt could start.
    DeadlinePassed,
}

/// What [`Runtime::execute`] returns: the last attempt's outcome (or why there is none)
/// and how the call went.
#[derive(Debug)]
pub struct Executed<A> {
    /// `Ok`: the last attempt's outcome; `Err`: the runtime ended the call itself.
    pub outcome: Result<A, Stopped>,
    pub stats: CallStats,
}

/// What one call through a scoped runtime recorded (see [`Runtime::scoped`]).
#[derive(Debug, Clone, Default)]
pub struct CallRecord {
    pub operation_id: &'static str,
    pub stats: CallStats,
    /// The runtime ended the call itself.
    pub stopped: Option<Stopped>,
    /// The last reply's status and headers (none when no reply came).
    #[cfg(feature = "http")]
    pub status: Option<u16>,
    #[cfg(feature = "http")]
    pub headers: reqwest::header::HeaderMap,
}

#[derive(Debug, Default)]
struct Scope {
    options: CallOptions,
    record: std::sync::Mutex<Option<CallRecord>>,
}

/// The client's configuration and state as every request needs it. Cloning shares it,
/// rate limiter included.
#[derive(Debug, Clone)]
pub struct Runtime {
    shared: Arc<Shared>,
    /// Set on the runtime of one call ([`Runtime::scoped`]).
    scope: Option<Arc<Scope>>,
}

impl Runtime {
    pub fn new(settings: Settings) -> Self {
        Self::with_client_timeout(settings, None)
    }

    /// [`Runtime::new`] for a runtime whose HTTP client puts `client_timeout` on every
    /// request by itself (`reqwest::ClientBuilder::timeout`), as the client builders make
    /// it: an attempt given that budget then carries no timeout of its own (one timer
    /// and one allocation less a call).
    pub fn with_client_timeout(settings: Settings, client_timeout: Option<Duration>) -> Self {
        #[cfg(not(feature = "http"))]
        let _ = client_timeout;
        let limiter = Arc::new(Limiter::new(
            settings.rate_limit.clone(),
            settings.rate_limits,
        ));
        Self {
            shared: Arc::new(Shared {
                settings,
                limiter,
                #[cfg(feature = "http")]
                bearer: std::sync::OnceLock::new(),
                #[cfg(feature = "http")]
                client_timeout,
            }),
            scope: None,
        }
    }

    /// This runtime with another bound on queueing for the rate limit, sharing its windows
    /// (for one call or a few: the API crates' `Client::with_max_queue`).
    pub fn with_max_queue(&self, bound: Option<Duration>) -> Self {
        let mut settings = self.shared.settings.clone();
        settings.max_queue = bound;
        Self {
            shared: Arc::new(Shared {
                settings,
                limiter: self.shared.limiter.clone(),
                #[cfg(feature = "http")]
                bearer: std::sync::OnceLock::new(),
                #[cfg(feature = "http")]
                client_timeout: self.shared.client_timeout,
            }),
            scope: None,
        }
    }

    /// This runtime for one call with `options`: sharing everything with `self`, it
    /// applies the options and records how the call went ([`Runtime::take_record`]).
    pub fn scoped(&self, options: CallOptions) -> Self {
        Self {
            shared: self.shared.clone(),
            scope: Some(Arc::new(Scope {
                options,
                record: std::sync::Mutex::new(None),
            })),
        }
    }

    /// The options of this call (default ones outside [`Runtime::scoped`]).
    pub fn call_options(&self) -> Option<&CallOptions> {
        self.scope.as_ref().map(|s| &s.options)
    }

    /// How the call of this scoped runtime went, once it ended (`None` before, or outside
    /// a scope).
    pub fn take_record(&self) -> Option<CallRecord> {
        let scope = self.scope.as_ref()?;
        scope
            .record
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    /// Records how this scoped runtime's call went (the HTTP layer's sender calls it).
    pub fn put_record(&self, record: CallRecord) {
        if let Some(scope) = &self.scope {
            *scope.record.lock().unwrap_or_else(|e| e.into_inner()) = Some(record);
        }
    }

    /// The deadline of a call: its own timeout, else the client's.
    pub fn call_timeout(&self) -> Option<Duration> {
        self.call_options()
            .and_then(|o| o.timeout)
            .or(self.shared.settings.timeout)
    }

    pub fn community_id(&self) -> Option<&str> {
        self.shared.settings.community_id.as_deref()
    }

    pub fn server_id(&self) -> i64 {
        self.shared.settings.server_id
    }

    pub fn api_key(&self) -> Option<&ApiKey> {
        self.shared.settings.api_key.as_ref()
    }

    /// The `Authorization: Bearer KEY` value (sensitive), made once per client: `None`
    /// without a key, `Some(Err(()))` when the key cannot go in an HTTP header.
    #[cfg(feature = "http")]
    pub(crate) fn bearer(&self) -> Option<Result<&reqwest::header::HeaderValue, ()>> {
        let key = self.api_key()?;
        let value = self.shared.bearer.get_or_init(|| {
            let mut value =
                reqwest::header::HeaderValue::from_str(&format!("Bearer {}", key.expose())).ok()?;
            value.set_sensitive(true);
            Some(value)
        });
        Some(value.as_ref().ok_or(()))
    }

    pub fn timeout(&self) -> Option<Duration> {
        self.shared.settings.timeout
    }

    /// The timeout an attempt given `budget` (what is left of its call's deadline) must
    /// carry itself: `None` when the HTTP client's own timeout is that budget already, to
    /// within a millisecond (tokio's timer rounds every deadline up to the next one).
    #[cfg(feature = "http")]
    pub(crate) fn attempt_timeout(&self, budget: Duration) -> Option<Duration> {
        match self.shared.client_timeout {
            Some(own) if own >= budget && own - budget < Duration::from_millis(1) => None,
            _ => Some(budget),
        }
    }

    /// The longest a call may wait for its place under the documented limit.
    pub fn max_queue(&self) -> Option<Duration> {
        self.shared.settings.max_queue
    }

    /// The longest reply body accepted, in bytes.
    pub fn max_reply_bytes(&self) -> u64 {
        self.shared.settings.max_reply_bytes
    }

    /// The extra headers every request carries.
    pub fn headers(&self) -> &[(String, String)] {
        &self.shared.settings.headers
    }

    /// Pacing asked at once, for a driver that waits by itself (the npm package's, which
    /// awaits `fetch` and timers in JavaScript): take a place for `operation_id`, or learn
    /// how long to wait before asking again. A taken place is given back with
    /// [`Runtime::release_now`] when the reply is in. [`Runtime::execute`] is the same
    /// pacing for Rust futures.
    pub fn pace_now(&self, operation_id: &str) -> Pace {
        self.shared.limiter.pace_now(operation_id)
    }

    /// Gives back a place [`Runtime::pace_now`] took: it counts from now.
    pub fn release_now(&self, operation_id: &str, ticket: u64) {
        self.shared.limiter.release_now(operation_id, ticket);
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
            .shared
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
    /// the server or the policy says and tries again. `send` is given the time left before
    /// the call's deadline ([`Runtime::call_timeout`], from the call's start), which bounds
    /// the attempt.
    ///
    /// The deadline bounds the whole call: a pacing wait that would pass it (or the
    /// client's `max_queue`) ends the call at once as [`Stopped::Refused`], nothing sent; a
    /// wait before a retry (the server's `Retry-After` or the backoff) that would pass it
    /// ends the call with the attempt's outcome (a 429 with its `Retry-After` included,
    /// which the caller turns into [`Error::RateLimited`](crate::Error::RateLimited)).
    pub async fn execute<A, F>(
        &self,
        operation_id: &str,
        method: &str,
        repeatable: bool,
        mut send: impl FnMut(Option<Duration>) -> F,
    ) -> Executed<A>
    where
        A: Attempt,
        F: Future<Output = A>,
    {
        let deadline = self.call_timeout();
        let call = async move {
            let started = clock::now_ms();
            let elapsed =
                || Duration::from_secs_f64(((clock::now_ms() - started) / 1000.0).max(0.0));
            let left = |elapsed: Duration| deadline.map(|d| d.saturating_sub(elapsed));
            let mut attempts = 0u32;
            let end = |outcome, attempts, elapsed| Executed {
                outcome,
                stats: CallStats { attempts, elapsed },
            };
            // The call's time as last read: nothing yet at its start, read again only
            // where time may have passed (a pacing wait, an attempt, a wait to retry).
            let mut at = Duration::ZERO;
            loop {
                // Pacing: bounded by max_queue and by what is left of the deadline.
                let bound = match (self.max_queue(), left(at)) {
                    (Some(q), Some(l)) => Some(q.min(l)),
                    (q, l) => q.or(l),
                };
                // Held until the reply is in: see `limiter` for why.
                let place = match Held::wait_for(&self.shared.limiter, operation_id, bound).await {
                    Ok(place) => place,
                    // On wasm32 (the typed client in a browser, where a reply cannot be
                    // made up) a held call waits instead.
                    #[cfg(target_arch = "wasm32")]
                    Err(wait) => {
                        clock::sleep(wait).await;
                        continue;
                    }
                    #[cfg(not(target_arch = "wasm32"))]
                    Err(wait) => {
                        let bound = bound.unwrap_or_default();
                        return end(Err(Stopped::Refused { wait, bound }), attempts, elapsed());
                    }
                };
                if let Some(refused) = place.refusal().and_then(A::refused) {
                    return end(Ok(refused), attempts, elapsed());
                }
                if !place.immediate() {
                    at = elapsed();
                }
                #[cfg_attr(not(target_arch = "wasm32"), allow(unused_mut))]
                let mut budget = left(at);
                if budget.is_some_and(|b| b.is_zero()) {
                    #[cfg(not(target_arch = "wasm32"))]
                    return end(Err(Stopped::DeadlinePassed), attempts, elapsed());
                    // wasm32: the attempt goes out and times out at once.
                    #[cfg(target_arch = "wasm32")]
                    {
                        budget = Some(Duration::from_millis(1));
                    }
                }
                let outcome = send(budget).await;
                attempts += 1;
                drop(place);
                let status = outcome.status();
                crate::trace!(debug!(
                    operation = operation_id,
                    attempt = attempts - 1,
                    status,
                    "reply"
                ));
                if !repeatable {
                    return end(Ok(outcome), attempts, elapsed());
                }
                let so_far = elapsed();
                let Some(wait) = self.next_wait(
                    operation_id,
                    method,
                    attempts - 1,
                    Outcome {
                        status,
                        failure: outcome.failure(),
                        retry_after: outcome.retry_after(),
                    },
                    so_far,
                ) else {
                    return end(Ok(outcome), attempts, so_far);
                };
                // A wait that would pass the deadline is not started: the call ends now
                // with this attempt's outcome (what the server said included).
                if left(so_far).is_some_and(|l| wait >= l) {
                    crate::trace!(info!(
                        operation = operation_id,
                        wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        "the wait before a retry would pass the call's deadline: failing it"
                    ));
                    return end(Ok(outcome), attempts, so_far);
                }
                clock::sleep(wait).await;
                at = elapsed();
            }
        };
        #[cfg(feature = "tracing")]
        {
            let span = tracing::debug_span!("sonoran.call", operation = operation_id, method);
            // Without a subscriber that wants it, the call is not wrapped in a span that
            // does nothing (a move of the call's state and a check on every poll).
            if !span.is_disabled() {
                return tracing::Instrument::instrument(call, span).await;
            }
        }
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

#[cfg(all(test, not(target_arch = "wasm32")))]
mod deadline_tests {
    use super::*;
    use crate::clock::VirtualClock;
    use std::time::SystemTime;

    /// An attempt's outcome as a test scripts it.
    struct Scripted {
        status: u16,
        retry_after: Option<&'static str>,
    }

    impl Attempt for Scripted {
        fn status(&self) -> Option<u16> {
            Some(self.status)
        }
        fn retry_after(&self) -> Option<&str> {
            self.retry_after
        }
    }

    struct Op;
    impl crate::OperationId for Op {
        fn operation_id(&self) -> &'static str {
            "getThing"
        }
    }

    fn runtime(timeout: Option<Duration>, rate_limit: RateLimitPolicy) -> Runtime {
        Runtime::new(Settings {
            api_key: None,
            community_id: None,
            server_id: 1,
            timeout,
            retry: RetryPolicy {
                max_retries: 5,
                jitter: false,
                ..RetryPolicy::default()
            },
            rate_limit,
            headers: Vec::new(),
            max_reply_bytes: DEFAULT_MAX_REPLY_BYTES,
            max_queue: None,
            rate_limits: |_| None,
        })
    }

    /// Runs one call whose attempts answer `script` in turn; returns the outcome, the
    /// stats and the time budget each attempt was given.
    async fn run(
        rt: &Runtime,
        script: &[(u16, Option<&'static str>)],
    ) -> (Result<u16, Stopped>, CallStats, Vec<Option<Duration>>) {
        let mut budgets = Vec::new();
        let mut next = script.iter();
        let executed = rt
            .execute("getThing", "GET", true, |budget| {
                budgets.push(budget);
                let &(status, retry_after) = next.next().expect("scripted");
                async move {
                    Scripted {
                        status,
                        retry_after,
                    }
                }
            })
            .await;
        (executed.outcome.map(|a| a.status), executed.stats, budgets)
    }

    #[cfg(feature = "http")]
    #[test]
    fn an_attempt_carries_its_own_timeout_unless_the_http_client_has_that_one() {
        let s = Duration::from_secs;
        let us = Duration::from_micros;
        let plain = runtime(Some(s(30)), RateLimitPolicy::off());
        assert_eq!(plain.attempt_timeout(s(30)), Some(s(30)));
        let settings = plain.shared.settings.clone();
        let built = Runtime::with_client_timeout(settings, Some(s(30)));
        // All of it to go, to within the timer's millisecond: the HTTP client's own.
        assert_eq!(built.attempt_timeout(s(30)), None);
        assert_eq!(built.attempt_timeout(s(30) - us(999)), None);
        // Less (a retry, a paced call) or more (a call's own longer deadline): its own.
        assert_eq!(
            built.attempt_timeout(s(30) - us(1000)),
            Some(s(30) - us(1000))
        );
        assert_eq!(built.attempt_timeout(s(29)), Some(s(29)));
        assert_eq!(built.attempt_timeout(s(31)), Some(s(31)));
        // The variants a client makes of itself keep what its HTTP client does.
        let queued = built.with_max_queue(Some(s(2)));
        assert_eq!(queued.attempt_timeout(s(30)), None);
        assert_eq!(
            queued.scoped(CallOptions::default()).attempt_timeout(s(30)),
            None
        );
    }

    #[tokio::test]
    async fn the_deadline_bounds_retry_waits_and_each_attempt_gets_what_is_left() {
        let _clock = VirtualClock::install(SystemTime::UNIX_EPOCH);
        let rt = runtime(Some(Duration::from_secs(1)), RateLimitPolicy::off());
        let s = Some("0.4");
        let (outcome, stats, budgets) =
            run(&rt, &[(429, s), (429, s), (429, s), (200, None)]).await;
        // 0.4 + 0.4 waited; the third 429 asks 0.4 with 0.2 left: the call ends with it.
        assert_eq!(outcome, Ok(429));
        assert_eq!(stats.attempts, 3);
        assert_eq!(stats.elapsed, Duration::from_millis(800));
        let ms = |m| Some(Duration::from_millis(m));
        assert_eq!(budgets, [ms(1000), ms(600), ms(200)]);

        // The same script with the call's own, longer deadline is retried to the end.
        let long = rt.scoped(CallOptions {
            timeout: Some(Duration::from_secs(5)),
            headers: Vec::new(),
        });
        let (outcome, stats, _) = run(&long, &[(429, s), (429, s), (429, s), (200, None)]).await;
        assert_eq!((outcome, stats.attempts), (Ok(200), 4));
        assert_eq!(stats.elapsed, Duration::from_millis(1200));
    }

    #[tokio::test]
    async fn pacing_past_the_deadline_is_refused_before_anything_is_sent() {
        let _clock = VirtualClock::install(SystemTime::UNIX_EPOCH);
        let paced = RateLimitPolicy::documented()
            .with_limit(Op, 1)
            .with_window(Duration::from_secs(10))
            .with_margin(Duration::ZERO);
        let rt = runtime(Some(Duration::from_secs(3)), paced);
        let (outcome, stats, _) = run(&rt, &[(200, None)]).await;
        assert_eq!((outcome, stats.attempts), (Ok(200), 1));
        let (outcome, stats, budgets) = run(&rt, &[(200, None)]).await;
        assert_eq!(
            outcome,
            Err(Stopped::Refused {
                wait: Duration::from_secs(10),
                bound: Duration::from_secs(3)
            })
        );
        assert_eq!((stats.attempts, stats.elapsed), (0, Duration::ZERO));
        assert!(budgets.is_empty(), "nothing was sent");
        // With a deadline past the wait, the call waits its turn, exactly.
        let patient = rt.scoped(CallOptions {
            timeout: Some(Duration::from_secs(11)),
            headers: Vec::new(),
        });
        let (outcome, stats, budgets) = run(&patient, &[(200, None)]).await;
        assert_eq!((outcome, stats.attempts), (Ok(200), 1));
        assert_eq!(stats.elapsed, Duration::from_secs(10));
        assert_eq!(budgets, [Some(Duration::from_secs(1))]);
    }
}
