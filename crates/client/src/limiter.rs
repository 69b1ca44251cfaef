//! Client-side pacing to the documented per-minute limits.
//!
//! The gateway counts requests per operation in a sliding one-minute window, by the time
//! they *arrive*. The client cannot see arrival times, but it knows an upper bound: the
//! moment the reply came back. So each request holds a place in its operation's window
//! from the moment it is sent; while it is in flight the place is taken for good, and once
//! its reply is in, the place counts from the reply time. A new request goes out only
//! when fewer than `limit` places fall inside the last window. Spacing requests from
//! reply times can never put two arrivals closer than the gateway allows, whatever the
//! latency; it costs one round trip per window at most.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

/// How the client paces requests. Start from [`RateLimitPolicy::documented`].
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimitPolicy {
    enabled: bool,
    overrides: BTreeMap<String, u32>,
    window: Duration,
    margin: Duration,
}

impl Default for RateLimitPolicy {
    fn default() -> Self {
        Self::documented()
    }
}

impl RateLimitPolicy {
    /// Each v2 operation paced to its documented `x-rate-limit-per-minute` (the default).
    pub fn documented() -> Self {
        Self {
            enabled: true,
            overrides: BTreeMap::new(),
            window: Duration::from_secs(60),
            margin: Duration::from_millis(100),
        }
    }

    /// No pacing: every call goes out at once (429s are still retried per the retry policy).
    pub fn off() -> Self {
        Self {
            enabled: false,
            ..Self::documented()
        }
    }

    /// A custom limit (requests per window) for one operation, by operationId
    /// (`getCalls`, `setAccountPermissionsV1`, ...). Also paces v1 calls, which have no
    /// published limit.
    pub fn with_limit(mut self, operation_id: impl Into<String>, per_window: u32) -> Self {
        self.overrides
            .insert(operation_id.into(), per_window.max(1));
        self
    }

    /// The length of the limit window (default 60 s, as documented). Only a test server
    /// with a scaled clock needs another.
    pub fn with_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Extra spacing added to each window, for a gateway whose clock is coarser than
    /// ours (default 50 ms).
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    fn limit_for(&self, operation_id: &str) -> Option<u32> {
        if !self.enabled {
            return None;
        }
        self.overrides
            .get(operation_id)
            .copied()
            .or_else(|| crate::generated::rate_limit_per_minute(operation_id))
    }
}

#[derive(Debug, Clone, Copy)]
struct Place {
    ticket: u64,
    /// Reply time (ms) once done; in flight until then.
    done_at: Option<f64>,
}

#[derive(Debug, Default)]
struct State {
    next_ticket: u64,
    places: HashMap<String, Vec<Place>>,
}

#[derive(Debug)]
pub(crate) struct Limiter {
    policy: RateLimitPolicy,
    state: Mutex<State>,
}

/// How long to wait before asking again while every place is held by a request in flight.
const IN_FLIGHT_POLL: Duration = Duration::from_millis(20);

impl Limiter {
    pub(crate) fn new(policy: RateLimitPolicy) -> Self {
        Self {
            policy,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes a place for `operation_id` at `now_ms`, or says how long to wait before
    /// asking again. `Ok(None)`: the operation is not paced.
    pub(crate) fn acquire(&self, operation_id: &str, now_ms: f64) -> Result<Option<u64>, Duration> {
        let Some(limit) = self.policy.limit_for(operation_id) else {
            return Ok(None);
        };
        let window = self.policy.window.as_secs_f64() * 1000.0;
        let margin = self.policy.margin.as_secs_f64() * 1000.0;
        let mut state = self.lock();
        let ticket = state.next_ticket;
        let places = state.places.entry(operation_id.to_string()).or_default();
        places.retain(|p| p.done_at.is_none_or(|t| t + window + margin > now_ms));
        if places.len() < limit as usize {
            places.push(Place {
                ticket,
                done_at: None,
            });
            state.next_ticket += 1;
            return Ok(Some(ticket));
        }
        let first_free = places
            .iter()
            .filter_map(|p| p.done_at)
            .map(|t| t + window + margin)
            .fold(f64::INFINITY, f64::min);
        let wait = if first_free.is_finite() {
            Duration::from_secs_f64(((first_free - now_ms) / 1000.0).max(0.001))
        } else {
            IN_FLIGHT_POLL
        };
        Err(wait)
    }

    /// The reply to `ticket`'s request is in (or it failed): its place now counts from
    /// `now_ms`.
    pub(crate) fn release(&self, operation_id: &str, ticket: u64, now_ms: f64) {
        let mut state = self.lock();
        if let Some(place) = state
            .places
            .get_mut(operation_id)
            .and_then(|ps| ps.iter_mut().find(|p| p.ticket == ticket))
        {
            place.done_at = Some(now_ms);
        }
    }
}

/// Releases a place when dropped, so that a cancelled call does not hold it forever.
pub(crate) struct Held<'a> {
    limiter: &'a Limiter,
    operation_id: &'a str,
    ticket: Option<u64>,
}

impl<'a> Held<'a> {
    /// Waits for and takes a place for `operation_id`.
    pub(crate) async fn wait_for(limiter: &'a Limiter, operation_id: &'a str) -> Held<'a> {
        loop {
            match limiter.acquire(operation_id, crate::clock::now_ms()) {
                Ok(ticket) => {
                    return Held {
                        limiter,
                        operation_id,
                        ticket,
                    };
                }
                Err(wait) => {
                    tracing::debug!(
                        operation = operation_id,
                        wait_ms = wait.as_millis() as u64,
                        "waiting for the documented rate limit"
                    );
                    crate::clock::sleep(wait).await;
                }
            }
        }
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket {
            self.limiter
                .release(self.operation_id, ticket, crate::clock::now_ms());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(limit: u32, window_ms: u64) -> Limiter {
        Limiter::new(
            RateLimitPolicy::documented()
                .with_limit("op", limit)
                .with_window(Duration::from_millis(window_ms))
                .with_margin(Duration::ZERO),
        )
    }

    #[test]
    fn places_count_from_the_reply_time() {
        let l = limiter(2, 1000);
        let a = l.acquire("op", 0.0).unwrap().unwrap();
        let b = l.acquire("op", 0.0).unwrap().unwrap();
        // Both in flight: nothing free, poll again shortly.
        assert_eq!(l.acquire("op", 10.0), Err(IN_FLIGHT_POLL));
        l.release("op", a, 50.0);
        l.release("op", b, 80.0);
        // The first place frees a window after its reply, not after its send.
        assert_eq!(l.acquire("op", 100.0).unwrap_err().as_millis(), 950);
        assert!(l.acquire("op", 1050.0).unwrap().is_some());
        assert!(l.acquire("op", 1050.0).is_err());
        assert!(l.acquire("op", 1080.0).unwrap().is_some());
    }

    #[test]
    fn operations_are_counted_apart_and_off_means_off() {
        let l = limiter(1, 1000);
        assert!(l.acquire("op", 0.0).unwrap().is_some());
        assert_eq!(l.acquire("other-without-limit", 0.0), Ok(None));
        let off = Limiter::new(RateLimitPolicy::off().with_limit("op", 1));
        assert_eq!(off.acquire("op", 0.0), Ok(None));
        assert_eq!(off.acquire("op", 0.0), Ok(None));
    }

    #[test]
    fn a_dropped_hold_releases_its_place() {
        let l = limiter(1, 1000);
        let ticket = l.acquire("op", 0.0).unwrap();
        drop(Held {
            limiter: &l,
            operation_id: "op",
            ticket,
        });
        // Released at "now", so it counts from now: not free yet, but no longer in flight.
        assert_ne!(l.acquire("op", crate::clock::now_ms()), Err(IN_FLIGHT_POLL));
    }

    #[test]
    fn documented_limits_come_from_the_spec() {
        let p = RateLimitPolicy::documented();
        assert_eq!(p.limit_for("getCalls"), Some(5));
        assert_eq!(p.limit_for("addCallNote"), Some(60));
        assert_eq!(p.limit_for("getDispatchTemplates"), None, "no limit stated");
        assert_eq!(
            p.clone().with_limit("getCalls", 1).limit_for("getCalls"),
            Some(1)
        );
    }
}
