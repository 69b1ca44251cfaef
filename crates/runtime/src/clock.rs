//! Time for the runtime on both targets. wasm32 has no `Instant`, `SystemTime::now` or
//! tokio timers: there the JS clock and `setTimeout` (present in browsers and Node) serve.

use std::time::{Duration, SystemTime};

/// Milliseconds on a monotonic-enough clock, for spacing requests. Only differences of
/// these values mean anything.
pub(crate) fn now_ms() -> f64 {
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(ms) = virtual_clock::now_ms() {
        return ms;
    }
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        START
            .get_or_init(std::time::Instant::now)
            .elapsed()
            .as_secs_f64()
            * 1000.0
    }
}

pub(crate) fn now_system() -> SystemTime {
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(at) = virtual_clock::now_system() {
        return at;
    }
    #[cfg(target_arch = "wasm32")]
    {
        SystemTime::UNIX_EPOCH + Duration::from_secs_f64(js_sys::Date::now() / 1000.0)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        SystemTime::now()
    }
}

pub(crate) async fn sleep(d: Duration) {
    #[cfg(not(target_arch = "wasm32"))]
    if virtual_clock::sleep(d) {
        // Virtual time moved on at once; still let other tasks run, as a sleep would.
        YieldOnce(false).await;
        return;
    }
    if d.is_zero() {
        return;
    }
    #[cfg(not(target_arch = "wasm32"))]
    tokio::time::sleep(d).await;
    #[cfg(target_arch = "wasm32")]
    {
        let ms = d.as_millis().min(i32::MAX as u128) as i32;
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            let global = js_sys::global();
            let set_timeout = js_sys::Reflect::get(&global, &"setTimeout".into())
                .ok()
                .and_then(|f| wasm_bindgen::JsCast::dyn_into::<js_sys::Function>(f).ok());
            match set_timeout {
                Some(f) => {
                    let _ = f.call2(&global, &resolve, &ms.into());
                }
                None => {
                    let _ = resolve.call0(&global);
                }
            }
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
}

/// The runtime's clock replaced by a virtual one on the current thread, for tests: see
/// [`VirtualClock`].
#[cfg(not(target_arch = "wasm32"))]
mod virtual_clock {
    use std::cell::Cell;
    use std::time::{Duration, SystemTime};

    thread_local! {
        /// (virtual time, the system time at virtual 0) while a clock is installed.
        static NOW: Cell<Option<(Duration, SystemTime)>> = const { Cell::new(None) };
    }

    fn elapsed() -> Option<Duration> {
        NOW.with(|n| n.get().map(|(d, _)| d))
    }

    pub(super) fn now_ms() -> Option<f64> {
        elapsed().map(|d| d.as_secs_f64() * 1000.0)
    }

    pub(super) fn now_system() -> Option<SystemTime> {
        NOW.with(|n| n.get().map(|(d, at)| at + d))
    }

    /// Moves virtual time on by `d` when a virtual clock is installed (and says so).
    pub(super) fn sleep(d: Duration) -> bool {
        NOW.with(|n| match n.get() {
            Some((now, at)) => {
                n.set(Some((now.saturating_add(d), at)));
                true
            }
            None => false,
        })
    }

    /// A virtual clock for the pacing, retry and backoff waits of the runtime, installed on
    /// the current thread until dropped (tests only; `#[doc(hidden)]`).
    ///
    /// While it is installed, every wait the runtime makes on this thread (a paced call
    /// waiting for its place, a retry waiting out `Retry-After` or its backoff) returns at
    /// once and moves the virtual clock on by exactly that wait, and `Retry-After` dates are
    /// read against the installed system time plus the virtual time. Requests themselves
    /// take no virtual time. A test with a loopback server therefore asserts exact
    /// schedules without waiting. (Tokio's paused clock cannot time real sockets: it jumps
    /// to the next timer, a request's timeout say, whenever the runtime polls its I/O.)
    /// Waits of calls that run concurrently add up, so schedules are exact for calls made
    /// one after another. Tokio's current-thread runtime (`#[tokio::test]`'s default) runs
    /// every task on the test's thread, so the whole test sees the clock. The request
    /// timeout is not virtual.
    #[derive(Debug)]
    pub struct VirtualClock {
        previous: Option<(Duration, SystemTime)>,
        /// Not `Send`: it belongs to the thread it was installed on.
        _thread: std::marker::PhantomData<*const ()>,
    }

    impl VirtualClock {
        /// Installs a virtual clock at 0, whose system time is `system_time` at 0.
        pub fn install(system_time: SystemTime) -> Self {
            let previous = NOW.with(|n| n.replace(Some((Duration::ZERO, system_time))));
            Self {
                previous,
                _thread: std::marker::PhantomData,
            }
        }

        /// The virtual time since the clock was installed.
        pub fn elapsed(&self) -> Duration {
            elapsed().expect("installed")
        }

        /// The system time the runtime reads now: the installed one plus [`elapsed`](Self::elapsed).
        pub fn system_time(&self) -> SystemTime {
            now_system().expect("installed")
        }

        /// Moves the virtual clock on by `d`, as if the test had waited.
        pub fn advance(&self, d: Duration) {
            sleep(d);
        }
    }

    impl Drop for VirtualClock {
        fn drop(&mut self) {
            NOW.with(|n| n.set(self.previous));
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub use virtual_clock::VirtualClock;

/// Pending once (waking itself), then ready: lets the executor run other tasks.
#[cfg(not(target_arch = "wasm32"))]
struct YieldOnce(bool);

#[cfg(not(target_arch = "wasm32"))]
impl std::future::Future for YieldOnce {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_virtual_clock_moves_by_each_wait_and_goes_with_its_guard() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        {
            let clock = VirtualClock::install(at);
            assert_eq!(now_ms(), 0.0);
            sleep(Duration::from_millis(250)).await;
            sleep(Duration::ZERO).await;
            clock.advance(Duration::from_millis(50));
            assert_eq!(clock.elapsed(), Duration::from_millis(300));
            assert_eq!(now_ms(), 300.0);
            assert_eq!(now_system(), at + Duration::from_millis(300));
            {
                let inner = VirtualClock::install(SystemTime::UNIX_EPOCH);
                assert_eq!(inner.elapsed(), Duration::ZERO);
            }
            assert_eq!(clock.elapsed(), Duration::from_millis(300), "restored");
        }
        assert!(virtual_clock::now_ms().is_none(), "uninstalled");
        assert!(now_system() > at, "the system clock again");
    }
}
