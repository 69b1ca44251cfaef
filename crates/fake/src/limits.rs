//! Rate limits: per API key and operation, `x-rate-limit-per-minute` requests in any
//! sliding 60 s window of scaled time (real elapsed time × `time_scale`).
//!
//! Only admitted requests enter the window; a request answered with 429 does not, so a
//! client that retries early is not punished with a longer wait.
//!
//! `Retry-After` is the real time until the oldest admitted request leaves the window,
//! rounded *up* to whole seconds and at least 1. A client that waits that long before its
//! next request to the operation finds a free slot: it never draws another 429 (unless
//! something else uses the slot first).

use crate::faults::lock;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Instant;

const WINDOW: f64 = 60.0;

#[derive(Debug)]
pub(crate) struct Limiter {
    start: Instant,
    time_scale: f64,
    windows: Mutex<HashMap<(String, String), VecDeque<f64>>>,
}

impl Limiter {
    pub(crate) fn new(time_scale: f64) -> Self {
        Limiter {
            start: Instant::now(),
            time_scale,
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn now(&self) -> f64 {
        self.start.elapsed().as_secs_f64() * self.time_scale
    }

    /// Empties every window.
    pub(crate) fn clear(&self) {
        lock(&self.windows).clear();
    }

    /// `Ok(())` when the request is admitted, else `Err(retry_after_seconds)`.
    pub(crate) fn admit(&self, key: &str, operation_id: &str, per_minute: u32) -> Result<(), u64> {
        let now = self.now();
        let mut windows = lock(&self.windows);
        let window = windows
            .entry((key.to_owned(), operation_id.to_owned()))
            .or_default();
        while window.front().is_some_and(|&t| t + WINDOW <= now) {
            window.pop_front();
        }
        if window.len() < per_minute as usize {
            window.push_back(now);
            return Ok(());
        }
        let oldest = window.front().copied().unwrap_or(now);
        Err(retry_after_secs(oldest + WINDOW - now, self.time_scale))
    }
}

/// Scaled seconds to wait, as whole real seconds: rounded up, at least 1.
fn retry_after_secs(scaled_wait: f64, time_scale: f64) -> u64 {
    let real = (scaled_wait / time_scale).ceil();
    if real.is_finite() && real >= 1.0 {
        real as u64
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding() {
        assert_eq!(retry_after_secs(59.5, 1.0), 60);
        assert_eq!(retry_after_secs(30.0, 60.0), 1);
        assert_eq!(retry_after_secs(0.0, 1.0), 1);
        assert_eq!(retry_after_secs(120.0, 2.0), 60);
        assert_eq!(retry_after_secs(60.1, 1.0), 61);
    }

    #[test]
    fn counts_per_key_and_operation() {
        let limiter = Limiter::new(1.0);
        assert!(limiter.admit("k", "op", 2).is_ok());
        assert!(limiter.admit("k", "op", 2).is_ok());
        let wait = limiter.admit("k", "op", 2).unwrap_err();
        assert!((59..=60).contains(&wait), "{wait}");
        assert!(limiter.admit("k", "other", 2).is_ok());
        assert!(limiter.admit("k2", "op", 2).is_ok());
    }
}
