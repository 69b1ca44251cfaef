//! Which failed attempts are retried, and after how long: one place for the rules, used by
//! the typed client's futures and the npm package's driver alike. The shape is the one of
//! smithy-rs' standard retry strategy and kube-rs' retry policy: transient failures are
//! classified here, waits grow exponentially with full jitter, and a call is bounded by a
//! number of attempts and by an overall deadline.
//!
//! | outcome | retried for | why |
//! | --- | --- | --- |
//! | 429 | every method | the server did not act on it and says when to come back |
//! | 503 with `Retry-After` | every method | the same promise, from a server that is overloaded |
//! | 502, 503, 504 | GET, HEAD, OPTIONS, PUT, DELETE | a gateway may have passed the request on: only a method that is safe to repeat |
//! | no connection (refused, DNS) | every method | nothing was sent |
//! | timeout, reset, reply cut off | GET, HEAD, OPTIONS, PUT, DELETE | the server may have acted on it |
//! | anything else | never | |
//!
//! POST and PATCH, and so every v1 call (all POST), are retried only when the server says so.
//! A `Retry-After` longer than [`RetryPolicy::max_wait`] is not waited for: the call fails at
//! once with [`Error::RateLimited`](crate::Error::RateLimited) carrying what the server said,
//! and so does one that would pass the call's deadline (its timeout, which bounds the whole
//! call: see [`Runtime::execute`](crate::runtime::Runtime::execute)).

use crate::clock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How failed attempts are retried (see the module docs for which ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 2, as the official SDKs).
    pub max_retries: u32,
    /// The backoff before the first retry when the server gives no `Retry-After`; it
    /// doubles with each retry, up to `max_backoff`.
    pub initial_backoff: Duration,
    /// The longest backoff (default 10 s).
    pub max_backoff: Duration,
    /// The longest `Retry-After` that is waited for (default 60 s); a longer one fails the
    /// call at once with [`Error::RateLimited`](crate::Error::RateLimited).
    pub max_wait: Duration,
    /// The time one call may take over all its attempts and waits before no retry is
    /// started (default 2 minutes; `None`: no bound).
    pub deadline: Option<Duration>,
    /// Full jitter: each backoff is drawn between zero and its value, so that clients that
    /// failed together do not retry together (default on; off only for exact tests).
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
            max_wait: Duration::from_secs(60),
            deadline: Some(Duration::from_secs(120)),
            jitter: true,
        }
    }
}

/// Why an attempt got no reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// No connection was made (refused, no route, DNS): nothing was sent.
    Connect,
    /// No reply within the timeout: the server may have acted on the request.
    Timeout,
    /// The connection broke (a reset, a reply cut off): the server may have acted on it.
    Interrupted,
}

/// Whether `method` may be sent twice without a different effect (RFC 9110 idempotent).
pub fn is_idempotent(method: &str) -> bool {
    ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]
        .iter()
        .any(|m| m.eq_ignore_ascii_case(method))
}

/// One attempt's outcome as the retry rules see it.
#[derive(Debug, Clone, Copy)]
pub struct Outcome<'a> {
    /// The reply's status; `None` when none came.
    pub status: Option<u16>,
    /// Why no reply came (with `status` `None`); `None` reads as [`Failure::Interrupted`].
    pub failure: Option<Failure>,
    /// The reply's `Retry-After` as received.
    pub retry_after: Option<&'a str>,
}

impl RetryPolicy {
    /// No retries: a 429 comes back as [`Error::RateLimited`](crate::Error::RateLimited) at once.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// After attempt `attempt` (0 for the first) of a `method` request ended as `outcome`,
    /// `elapsed` into the call: the wait before the next attempt, or `None` when this
    /// outcome is the call's.
    pub fn next_wait(
        &self,
        method: &str,
        attempt: u32,
        outcome: Outcome<'_>,
        elapsed: Duration,
    ) -> Option<Duration> {
        let server_said = outcome
            .retry_after
            .and_then(|v| crate::error::parse_retry_after(v, clock::now_system()));
        let safe = || is_idempotent(method);
        let retryable = match outcome.status {
            Some(429) => true,
            Some(503) if server_said.is_some() => true,
            Some(502..=504) => safe(),
            Some(_) => false,
            None => match outcome.failure {
                Some(Failure::Connect) => true,
                _ => safe(),
            },
        };
        if !retryable || attempt >= self.max_retries {
            return None;
        }
        let wait = match server_said {
            Some(w) if w > self.max_wait => return None,
            Some(w) => w,
            None => self.backoff(attempt),
        };
        if self
            .deadline
            .is_some_and(|d| elapsed.saturating_add(wait) > d)
        {
            return None;
        }
        Some(wait)
    }

    /// The backoff before retry `attempt + 1`: `initial_backoff * 2^attempt`, capped by
    /// `max_backoff`, then drawn between zero and that with `jitter`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let cap = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(attempt.min(31)))
            .min(self.max_backoff);
        if self.jitter {
            cap.mul_f64(unit_random())
        } else {
            cap
        }
    }
}

/// A number in [0, 1) from a small xorshift generator seeded by the clock: enough to spread
/// retries apart, not for anything secret (and no `getrandom` on wasm32). For the API
/// crates' own backoffs (CAD's hub reconnects).
#[doc(hidden)]
pub fn unit_random() -> f64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed);
    if x == 0 {
        x = (wall_nanos() ^ 0x9E37_79B9_7F4A_7C15) | 1;
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    STATE.store(x, Ordering::Relaxed);
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// The seed of [`unit_random`]: the wall clock in nanoseconds since the epoch, so that
/// processes started one after another start apart. (The runtime's monotonic clock counts
/// from its first reading, which in a fresh process can be this draw itself: a span of a
/// few hundred nanoseconds, the same in many processes.)
fn wall_nanos() -> u64 {
    clock::now_system()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

#[cfg(test)]
mod seed_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn exact() -> RetryPolicy {
        RetryPolicy {
            jitter: false,
            ..RetryPolicy::default()
        }
    }

    fn after(
        status: Option<u16>,
        failure: Option<Failure>,
        retry_after: Option<&str>,
    ) -> Outcome<'_> {
        Outcome {
            status,
            failure,
            retry_after,
        }
    }

    #[test]
    fn what_is_retried_for_which_method() {
        let p = exact();
        let t = Duration::ZERO;
        for method in ["GET", "POST", "PATCH", "PUT", "DELETE"] {
            let safe = !matches!(method, "POST" | "PATCH");
            assert!(
                p.next_wait(method, 0, after(Some(429), None, None), t)
                    .is_some(),
                "{method} 429"
            );
            assert!(
                p.next_wait(method, 0, after(Some(503), None, Some("1")), t)
                    .is_some(),
                "{method} 503 + Retry-After"
            );
            for s in [502, 503, 504] {
                assert_eq!(
                    p.next_wait(method, 0, after(Some(s), None, None), t)
                        .is_some(),
                    safe,
                    "{method} {s}"
                );
            }
            assert!(
                p.next_wait(method, 0, after(None, Some(Failure::Connect), None), t)
                    .is_some(),
                "{method} connect"
            );
            for f in [Failure::Timeout, Failure::Interrupted] {
                assert_eq!(
                    p.next_wait(method, 0, after(None, Some(f), None), t)
                        .is_some(),
                    safe,
                    "{method} {f:?}"
                );
            }
            for s in [200, 400, 401, 404, 500] {
                assert_eq!(
                    p.next_wait(method, 0, after(Some(s), None, None), t),
                    None,
                    "{method} {s}"
                );
            }
        }
    }

    #[test]
    fn backoff_doubles_up_to_its_cap_and_jitter_stays_below() {
        let p = RetryPolicy {
            max_retries: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
            ..exact()
        };
        let waits: Vec<u128> = (0..6).map(|a| p.backoff(a).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1000, 1000]);
        let jittered = RetryPolicy { jitter: true, ..p };
        let draws: Vec<Duration> = (0..200).map(|_| jittered.backoff(3)).collect();
        assert!(draws.iter().all(|d| *d <= Duration::from_millis(800)));
        let distinct: std::collections::BTreeSet<_> = draws.iter().collect();
        assert!(distinct.len() > 100, "full jitter spreads the waits");
        assert_eq!(
            p.backoff(u32::MAX),
            Duration::from_millis(1000),
            "no overflow"
        );
    }

    #[test]
    fn retry_after_is_honoured_up_to_max_wait_and_the_deadline() {
        let p = exact();
        let t = Duration::ZERO;
        assert_eq!(
            p.next_wait("POST", 0, after(Some(429), None, Some("3")), t),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            p.next_wait("GET", 0, after(Some(429), None, Some("61")), t),
            None,
            "beyond max_wait: fail at once"
        );
        assert_eq!(
            p.next_wait("GET", 0, after(Some(429), None, Some("1e20")), t),
            None
        );
        assert_eq!(
            p.next_wait("GET", 0, after(Some(429), None, Some("garbage")), t),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            p.next_wait("GET", 2, after(Some(429), None, None), t),
            None,
            "attempts bounded"
        );
        let late = Duration::from_secs(119);
        assert_eq!(
            p.next_wait("GET", 0, after(Some(429), None, Some("2")), late),
            None,
            "deadline"
        );
    }
}
