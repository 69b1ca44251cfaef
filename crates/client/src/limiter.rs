//! Client-side pacing to the documented per-minute limits.
//!
//! For each operation the limiter keeps the send times of the last `limit` requests
//! (a sliding window, the way the gateway counts). A request that would be the
//! `limit + 1`-th inside one window is given the first free slot instead, and waits for
//! it. Slots are reserved under the lock, so concurrent calls on clones of one client
//! queue up in order rather than racing for the same slot.

use std::collections::{BTreeMap, HashMap, VecDeque};
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

    /// Extra spacing added to each wait, so that network jitter cannot make two requests
    /// arrive closer together than they were sent (default 100 ms).
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

#[derive(Debug)]
pub(crate) struct Limiter {
    policy: RateLimitPolicy,
    sent: Mutex<HashMap<String, VecDeque<f64>>>,
}

impl Limiter {
    pub(crate) fn new(policy: RateLimitPolicy) -> Self {
        Self {
            policy,
            sent: Mutex::new(HashMap::new()),
        }
    }

    /// Reserves the next free slot for `operation_id` at `now_ms` and returns how long
    /// to wait for it (zero when it is free now).
    pub(crate) fn reserve(&self, operation_id: &str, now_ms: f64) -> Duration {
        let Some(limit) = self.policy.limit_for(operation_id) else {
            return Duration::ZERO;
        };
        let window = self.policy.window.as_secs_f64() * 1000.0;
        let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        let times = sent.entry(operation_id.to_string()).or_default();
        while times.front().is_some_and(|&t| t <= now_ms - window) {
            times.pop_front();
        }
        let limit = limit as usize;
        let slot = if times.len() < limit {
            now_ms
        } else {
            let margin = self.policy.margin.as_secs_f64() * 1000.0;
            (times[times.len() - limit] + window + margin).max(now_ms)
        };
        times.push_back(slot);
        Duration::from_secs_f64(((slot - now_ms) / 1000.0).max(0.0))
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
    fn a_burst_is_spread_over_windows() {
        let l = limiter(3, 1000);
        let waits: Vec<u128> = (0..7).map(|_| l.reserve("op", 0.0).as_millis()).collect();
        assert_eq!(waits, [0, 0, 0, 1000, 1000, 1000, 2000]);
    }

    #[test]
    fn slots_free_up_as_time_passes() {
        let l = limiter(2, 1000);
        assert_eq!(l.reserve("op", 0.0), Duration::ZERO);
        assert_eq!(l.reserve("op", 400.0), Duration::ZERO);
        assert_eq!(l.reserve("op", 500.0).as_millis(), 500);
        assert_eq!(l.reserve("op", 1500.0).as_millis(), 0);
    }

    #[test]
    fn operations_are_counted_apart_and_off_means_off() {
        let l = limiter(1, 1000);
        assert_eq!(l.reserve("op", 0.0), Duration::ZERO);
        assert_eq!(l.reserve("other-without-limit", 0.0), Duration::ZERO);
        let off = Limiter::new(RateLimitPolicy::off().with_limit("op", 1));
        assert_eq!(off.reserve("op", 0.0), Duration::ZERO);
        assert_eq!(off.reserve("op", 0.0), Duration::ZERO);
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
