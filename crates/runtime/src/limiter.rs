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

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

/// An operation of an API, as a caller names one (each API crate's generated `Operation`
/// enum): its operationId keys the rate limits.
pub trait OperationId {
    /// The operationId (`getCalls`, `getAccountRanks`, `unitStatusV1`, ...).
    fn operation_id(&self) -> &'static str;
}

/// How the client paces requests. Start from [`RateLimitPolicy::documented`].
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimitPolicy {
    enabled: bool,
    overrides: BTreeMap<String, u32>,
    window: Duration,
    margin: Duration,
    #[cfg(feature = "redis")]
    shared: Option<crate::shared::SharedLimiter>,
}

impl Default for RateLimitPolicy {
    fn default() -> Self {
        Self::documented()
    }
}

impl RateLimitPolicy {
    /// Each v2 operation paced to its documented `x-rate-limit-per-minute` (the default;
    /// the limits are the client's API's, from its generated table).
    pub fn documented() -> Self {
        Self {
            enabled: true,
            overrides: BTreeMap::new(),
            window: Duration::from_secs(60),
            margin: Duration::from_millis(100),
            #[cfg(feature = "redis")]
            shared: None,
        }
    }

    /// No pacing: every call goes out at once (429s are still retried per the retry policy).
    pub fn off() -> Self {
        Self {
            enabled: false,
            ..Self::documented()
        }
    }

    /// A custom limit (requests per window) for one operation
    /// (`Operation::GetCalls`, `Operation::SetAccountPermissionsV1`, ...). Also paces v1
    /// calls, which have no published limit. Above 512 a window, reply times are kept to
    /// window / 512, rounded up (a place may count up to 117 ms of a minute longer, never
    /// shorter), so that the memory of a window stays small whatever the limit.
    pub fn with_limit(mut self, operation: impl OperationId, per_window: u32) -> Self {
        self.overrides
            .insert(operation.operation_id().to_string(), per_window.max(1));
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

    /// Shares the windows with every other process (and client) that uses the same API key
    /// and the same store, instead of pacing this client alone. See
    /// [`crate::SharedLimiter`].
    #[cfg(feature = "redis")]
    pub fn shared(mut self, limiter: crate::shared::SharedLimiter) -> Self {
        self.shared = Some(limiter);
        self
    }

    /// Binds a shared limiter to the client's key.
    #[cfg(feature = "redis")]
    pub(crate) fn for_key(mut self, key: &crate::ApiKey) -> Self {
        self.shared = self.shared.map(|s| s.for_key(key));
        self
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    fn limit_for(&self, operation_id: &str, documented: crate::RateLimits) -> Option<u32> {
        if !self.enabled {
            return None;
        }
        self.overrides
            .get(operation_id)
            .copied()
            .or_else(|| documented(operation_id))
    }
}

/// One operation's window for one API key, as a store sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bucket<'a> {
    pub operation_id: &'a str,
    /// Places per window.
    pub limit: u32,
    /// How long a place counts after its reply: the window plus the margin.
    pub window: Duration,
}

/// What a store says to a request asking for a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Take {
    /// A place is taken; give the ticket back to [`Store::release`] when the reply is in.
    Taken(u64),
    /// No place free: ask again after this long.
    Wait(Duration),
}

/// Why a shared store could not answer (a short description that never holds the API
/// key or the store's URL). The in-process store always answers: without the `redis`
/// feature this has no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoreError {
    #[cfg(feature = "redis")]
    Unavailable(String),
}

pub(crate) use crate::BoxFuture as StoreFuture;

/// Where the places of the windows are kept: in this process ([`InProcess`], the
/// default) or shared between processes (Redis, behind the `redis` feature). Per bucket
/// (key and operation): take a place if fewer than `limit` count in the window, and
/// release it when the reply is in, after which it counts from the release time.
// No `Debug` supertrait: a `dyn Store` vtable would keep every store's `Debug` (and float
// formatting with it) in the npm module. `Limiter`'s own `Debug` shows the policy.
pub(crate) trait Store: Send + Sync {
    fn take<'a>(&'a self, bucket: Bucket<'a>) -> StoreFuture<'a, Result<Take, StoreError>>;
    /// The same, at once, where the store can answer without waiting (this process's
    /// own windows); `None` where it cannot (a shared store).
    fn take_now(&self, bucket: Bucket<'_>) -> Option<Take> {
        let _ = bucket;
        None
    }
    /// The reply to `ticket`'s request is in (or it failed or was cancelled). Called from
    /// a `Drop`: it must not block.
    fn release(&self, bucket: Bucket<'_>, ticket: u64);
}

/// Up to this many places per window, each reply time is kept as it is. A larger limit
/// (only ever one a caller sets: the documented ones are 10 to 300 a minute) keeps its
/// reply times on a grid of `window / EXACT_PLACES`, each rounded *up* and counted per
/// grid point, so that an operation's places take at most about this many entries (16
/// bytes each) whatever its limit and however many calls its window holds. Rounding up
/// only ever makes a place count a little longer (by less than one grid step: 117 ms of
/// a 60 s window), never shorter, so the pacing stays on the safe side of the gateway.
pub(crate) const EXACT_PLACES: u32 = 512;
// Every documented limit (up to 300 a minute) is kept exact.
const _: () = assert!(EXACT_PLACES >= 300);

/// One operation's places: the reply times of the requests done, oldest first, each with
/// how many replies came at that time (more than one only on [`EXACT_PLACES`]'s grid), and
/// how many are still in flight (those count for good until their reply). Every call
/// drops the places that left the window from the front, so its cost does not grow with
/// the limit.
#[derive(Debug, Default)]
struct Places {
    done: VecDeque<(f64, u32)>,
    /// The sum of the counts in `done`.
    done_count: usize,
    in_flight: u32,
    /// The grid reply times are rounded up to, in ms (0: kept as they are).
    grid_ms: f64,
}

impl Places {
    fn expire(&mut self, now_ms: f64, window_ms: f64) {
        while let Some(&(t, n)) = self.done.front()
            && t + window_ms <= now_ms
        {
            self.done.pop_front();
            self.done_count -= n as usize;
        }
    }

    fn record_done(&mut self, at_ms: f64) {
        self.in_flight = self.in_flight.saturating_sub(1);
        let at_ms = if self.grid_ms > 0.0 {
            (at_ms / self.grid_ms).ceil() * self.grid_ms
        } else {
            at_ms
        };
        self.done_count += 1;
        // Releases come in clock order; one that does not (a caller's own clock) is put in
        // its place, so that the front stays the oldest.
        match self.done.back_mut() {
            Some((last, n)) if *last == at_ms => *n += 1,
            Some(&mut (last, _)) if last > at_ms => {
                let i = self.done.partition_point(|&(t, _)| t < at_ms);
                match self.done.get_mut(i) {
                    Some((t, n)) if *t == at_ms => *n += 1,
                    _ => self.done.insert(i, (at_ms, 1)),
                }
            }
            _ => self.done.push_back((at_ms, 1)),
        }
    }
}

/// The in-process store: the windows of one client (and its clones).
#[derive(Debug, Default)]
pub(crate) struct InProcess {
    next_ticket: std::sync::atomic::AtomicU64,
    /// By operationId. A `BTreeMap`: a client calls a few operations, and comparing a short
    /// name with a few keys costs less than hashing it on every call.
    places: Mutex<BTreeMap<String, Places>>,
}

/// How long to wait before asking again while every place is held by a request in flight.
pub(crate) const IN_FLIGHT_POLL: Duration = Duration::from_millis(20);

impl InProcess {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Places>> {
        self.places.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with<T>(&self, operation_id: &str, f: impl FnOnce(&mut Places) -> T) -> T {
        let mut map = self.lock();
        if let Some(places) = map.get_mut(operation_id) {
            return f(places);
        }
        f(map.entry(operation_id.to_string()).or_default())
    }

    fn ticket(&self) -> u64 {
        self.next_ticket
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    /// Takes a place at `now_ms` if fewer than `limit` count in the window, else says how
    /// long to wait before asking again.
    pub(crate) fn acquire(
        &self,
        operation_id: &str,
        limit: u32,
        window_ms: f64,
        now_ms: f64,
    ) -> Take {
        let taken = self.with(operation_id, |places| {
            places.grid_ms = if limit > EXACT_PLACES {
                window_ms / f64::from(EXACT_PLACES)
            } else {
                0.0
            };
            places.expire(now_ms, window_ms);
            if places.done_count + (places.in_flight as usize) < limit as usize {
                places.in_flight += 1;
                return Ok(());
            }
            // The oldest reply is the first place to leave the window; with none, every
            // place is in flight and frees only when a reply comes.
            Err(match places.done.front() {
                Some(&(t, _)) => {
                    Duration::from_secs_f64(((t + window_ms - now_ms) / 1000.0).max(0.001))
                }
                None => IN_FLIGHT_POLL,
            })
        });
        match taken {
            Ok(()) => Take::Taken(self.ticket()),
            Err(wait) => Take::Wait(wait),
        }
    }

    /// Takes a place whatever the count: one a shared store gave this process, kept here
    /// too so that pacing in this process alone (when the shared store fails) knows it.
    #[cfg(all(feature = "redis", not(target_arch = "wasm32")))]
    pub(crate) fn force(&self, operation_id: &str) -> u64 {
        self.with(operation_id, |places| places.in_flight += 1);
        self.ticket()
    }

    /// A reply is in: one of the operation's places in flight now counts from `now_ms`.
    pub(crate) fn release_at(&self, operation_id: &str, now_ms: f64) {
        self.with(operation_id, |places| places.record_done(now_ms));
    }
}

impl Store for InProcess {
    fn take<'a>(&'a self, bucket: Bucket<'a>) -> StoreFuture<'a, Result<Take, StoreError>> {
        let take = self.take_now(bucket);
        Box::pin(std::future::ready(Ok(
            take.unwrap_or(Take::Wait(IN_FLIGHT_POLL))
        )))
    }

    fn take_now(&self, bucket: Bucket<'_>) -> Option<Take> {
        Some(self.acquire(
            bucket.operation_id,
            bucket.limit,
            bucket.window.as_secs_f64() * 1000.0,
            crate::clock::now_ms(),
        ))
    }

    fn release(&self, bucket: Bucket<'_>, _ticket: u64) {
        self.release_at(bucket.operation_id, crate::clock::now_ms());
    }
}

pub(crate) struct Limiter {
    policy: RateLimitPolicy,
    /// The API's documented limits.
    documented: crate::RateLimits,
    /// Where the places are kept: this process (the default), or a shared store.
    store: Box<dyn Store>,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Limiter {
    pub(crate) fn new(policy: RateLimitPolicy, documented: crate::RateLimits) -> Self {
        #[cfg(feature = "redis")]
        let store: Box<dyn Store> = match policy.shared.clone() {
            Some(shared) => Box::new(shared.store()),
            None => Box::new(InProcess::default()),
        };
        #[cfg(not(feature = "redis"))]
        let store: Box<dyn Store> = Box::new(InProcess::default());
        Self {
            policy,
            documented,
            store,
        }
    }

    fn bucket<'a>(&self, operation_id: &'a str) -> Option<Bucket<'a>> {
        let limit = self.policy.limit_for(operation_id, self.documented)?;
        Some(Bucket {
            operation_id,
            limit,
            window: self.policy.window + self.policy.margin,
        })
    }
}

/// Where a call stands with the pacing, asked at once (see [`crate::runtime::Runtime::pace_now`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// The operation is not paced: go, and release nothing.
    Unpaced,
    /// A place is taken: go, and give it back with `Runtime::release_now(.., ticket)`
    /// when the reply is in (or the attempt failed).
    Taken(u64),
    /// No place is free: ask again after this long.
    Wait(Duration),
}

impl Limiter {
    /// [`Pace`] for `operation_id` now. A store that cannot answer at once (a shared one)
    /// leaves the call unpaced here; the async path (`Held::wait_for`) is the one to use
    /// with it.
    pub(crate) fn pace_now(&self, operation_id: &str) -> Pace {
        let Some(bucket) = self.bucket(operation_id) else {
            return Pace::Unpaced;
        };
        match self.store.take_now(bucket) {
            Some(Take::Taken(ticket)) => Pace::Taken(ticket),
            Some(Take::Wait(wait)) => Pace::Wait(wait),
            None => Pace::Unpaced,
        }
    }

    /// Gives back the place [`Limiter::pace_now`] took.
    pub(crate) fn release_now(&self, operation_id: &str, ticket: u64) {
        if let Some(bucket) = self.bucket(operation_id) {
            self.store.release(bucket, ticket);
        }
    }
}

/// A place in an operation's window, released when dropped (so that a cancelled call
/// does not hold it forever).
pub(crate) struct Held<'a> {
    limiter: &'a Limiter,
    bucket: Option<Bucket<'a>>,
    ticket: Option<u64>,
    /// Taken at once: no wait, no round trip to a shared store.
    immediate: bool,
    /// The shared store could not answer and the policy says to fail the call.
    #[cfg(feature = "redis")]
    refused: Option<StoreError>,
}

impl<'a> Held<'a> {
    fn new(limiter: &'a Limiter, bucket: Option<Bucket<'a>>, ticket: Option<u64>) -> Self {
        Held {
            limiter,
            bucket,
            ticket,
            immediate: false,
            #[cfg(feature = "redis")]
            refused: None,
        }
    }

    /// The place was taken at once (no pacing wait, no shared store asked): no time
    /// passed in [`Held::wait_for`] that the caller need read its clock for.
    pub(crate) fn immediate(&self) -> bool {
        self.immediate
    }

    /// Waits for and takes a place for `operation_id`.
    /// Waits for and takes a place for `operation_id`, for at most `bound` in all: when
    /// the next wait would go past it, `Err` with that wait instead (the call then fails
    /// at once as rate limited). Dropping the future while it waits gives up nothing: no
    /// place is held yet.
    pub(crate) async fn wait_for(
        limiter: &'a Limiter,
        operation_id: &'a str,
        bound: Option<Duration>,
    ) -> Result<Held<'a>, Duration> {
        let Some(bucket) = limiter.bucket(operation_id) else {
            let mut held = Held::new(limiter, None, None);
            held.immediate = true;
            return Ok(held);
        };
        let mut waited = Duration::ZERO;
        loop {
            // The in-process store answers at once, without a boxed future.
            let (taken, now) = match limiter.store.take_now(bucket) {
                Some(take) => (Ok(take), waited.is_zero()),
                None => (limiter.store.take(bucket).await, false),
            };
            match taken {
                Ok(Take::Taken(ticket)) => {
                    let mut held = Held::new(limiter, Some(bucket), Some(ticket));
                    held.immediate = now;
                    return Ok(held);
                }
                Ok(Take::Wait(wait)) => {
                    if bound.is_some_and(|b| waited + wait > b) {
                        crate::trace!(info!(
                            operation = operation_id,
                            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                            "the documented rate limit would hold this call past its bound: failing it"
                        ));
                        return Err(wait);
                    }
                    if waited.is_zero() {
                        crate::trace!(info!(
                            operation = operation_id,
                            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                            "held by the documented rate limit"
                        ));
                    }
                    crate::clock::sleep(wait).await;
                    waited += wait;
                }
                #[cfg(feature = "redis")]
                Err(refused) => {
                    let mut held = Held::new(limiter, None, None);
                    held.refused = Some(refused);
                    return Ok(held);
                }
                #[cfg(not(feature = "redis"))]
                Err(never) => match never {},
            }
        }
    }

    /// Why the shared store refused this call, when its policy is to fail: the runtime then
    /// ends the call with `Attempt::refused` (for the typed client, a reply that
    /// `Reply::read` turns into `Error::SharedLimiterUnavailable`) without
    /// sending anything.
    pub(crate) fn refusal(&self) -> Option<&str> {
        #[cfg(feature = "redis")]
        if let Some(StoreError::Unavailable(reason)) = &self.refused {
            return Some(reason);
        }
        None
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let (Some(bucket), Some(ticket)) = (self.bucket, self.ticket) {
            self.limiter.store.release(bucket, ticket);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A documented table as an API crate generates one.
    fn documented(operation_id: &str) -> Option<u32> {
        match operation_id {
            "getCalls" => Some(5),
            "addCallNote" => Some(60),
            _ => None,
        }
    }

    /// An operation enum as an API crate generates one.
    #[derive(Clone, Copy)]
    enum Operation {
        GetCalls,
        GetDispatchTemplates,
    }

    impl OperationId for Operation {
        fn operation_id(&self) -> &'static str {
            match self {
                Self::GetCalls => "getCalls",
                Self::GetDispatchTemplates => "getDispatchTemplates",
            }
        }
    }

    // An operation with no documented limit, so only the test's own limit applies.
    const OPERATION: Operation = Operation::GetDispatchTemplates;
    const OP: &str = "getDispatchTemplates";

    fn take(store: &InProcess, limit: u32, now_ms: f64) -> Take {
        store.acquire(OP, limit, 1000.0, now_ms)
    }

    fn ticket(t: Take) -> u64 {
        match t {
            Take::Taken(ticket) => ticket,
            Take::Wait(wait) => panic!("expected a place, told to wait {wait:?}"),
        }
    }

    #[test]
    fn places_count_from_the_reply_time() {
        let s = InProcess::default();
        ticket(take(&s, 2, 0.0));
        ticket(take(&s, 2, 0.0));
        // Both in flight: nothing free, poll again shortly.
        assert_eq!(take(&s, 2, 10.0), Take::Wait(IN_FLIGHT_POLL));
        s.release_at(OP, 50.0);
        s.release_at(OP, 80.0);
        // The first place frees a window after its reply, not after its send.
        assert_eq!(take(&s, 2, 100.0), Take::Wait(Duration::from_millis(950)));
        ticket(take(&s, 2, 1050.0));
        assert_eq!(take(&s, 2, 1050.0), Take::Wait(Duration::from_millis(30)));
        ticket(take(&s, 2, 1080.0));
    }

    #[test]
    fn a_place_in_flight_counts_for_good() {
        let s = InProcess::default();
        ticket(take(&s, 1, 0.0));
        // However long the reply takes, the place stays taken until it comes.
        assert_eq!(take(&s, 1, 1e9), Take::Wait(IN_FLIGHT_POLL));
        s.release_at(OP, 1e9 + 5.0);
        assert_eq!(take(&s, 1, 1e9 + 5.0), Take::Wait(Duration::from_secs(1)));
        ticket(take(&s, 1, 1e9 + 1005.0));
    }

    #[test]
    fn a_full_window_of_done_places_leaves_from_the_front() {
        // A large limit: every place is checked once, however many are held.
        let s = InProcess::default();
        let limit = 10_000;
        for i in 0..limit {
            ticket(take(&s, limit, i as f64 * 0.01));
            s.release_at(OP, i as f64 * 0.01);
        }
        assert_eq!(
            take(&s, limit, 100.0),
            Take::Wait(Duration::from_millis(900))
        );
        // At 1000.005 ms the first place (released at 0) has left; the second has not.
        ticket(take(&s, limit, 1000.005));
        assert!(matches!(take(&s, limit, 1000.005), Take::Wait(_)));
        // A reply recorded out of clock order still frees in its turn.
        let s = InProcess::default();
        ticket(take(&s, 2, 0.0));
        ticket(take(&s, 2, 0.0));
        s.release_at(OP, 300.0);
        s.release_at(OP, 100.0);
        assert_eq!(take(&s, 2, 200.0), Take::Wait(Duration::from_millis(900)));
    }

    #[test]
    fn a_large_limit_keeps_its_places_bounded_and_never_frees_one_early() {
        // A limit never reached (1,000,000 a minute) and 100,000 calls 0.05 ms apart: the
        // places are kept on a grid of 60 s / EXACT_PLACES, so the queue stays short.
        let s = InProcess::default();
        let (limit, window) = (1_000_000, 60_000.0);
        for i in 0..100_000 {
            let at = f64::from(i) * 0.05;
            ticket(s.acquire(OP, limit, window, at));
            s.release_at(OP, at);
        }
        let (entries, counted) = s.with(OP, |p| (p.done.len(), p.done_count));
        assert_eq!(counted, 100_000, "every reply still counts");
        let grid = window / f64::from(EXACT_PLACES);
        assert!(
            entries <= (5000.0 / grid) as usize + 2,
            "{entries} entries for 5 s of replies on a {grid} ms grid"
        );
        // Past the exact limit, a place leaves at most one grid step late, never early.
        let s = InProcess::default();
        let limit = EXACT_PLACES + 1;
        for i in 0..limit {
            let at = 0.1 + f64::from(i) * 0.1;
            ticket(s.acquire(OP, limit, 1000.0, at));
            s.release_at(OP, at);
        }
        let grid = 1000.0 / f64::from(EXACT_PLACES);
        match s.acquire(OP, limit, 1000.0, 500.0) {
            Take::Wait(wait) => {
                let ms = wait.as_secs_f64() * 1000.0;
                assert!(
                    (500.1 - 1e-6..=500.1 + grid + 1e-6).contains(&ms),
                    "the first place (replied at 0.1 ms) frees after {ms} ms"
                );
            }
            Take::Taken(_) => panic!("the window is full"),
        }
        // At or below EXACT_PLACES, reply times are kept as they are.
        let s = InProcess::default();
        ticket(s.acquire(OP, EXACT_PLACES, 1000.0, 0.0));
        s.release_at(OP, 0.3);
        assert_eq!(s.with(OP, |p| p.done.front().copied()), Some((0.3, 1)));
    }

    #[test]
    fn operations_are_counted_apart_and_off_means_off() {
        let s = InProcess::default();
        ticket(take(&s, 1, 0.0));
        ticket(s.acquire("other", 1, 1000.0, 0.0));
        assert_eq!(take(&s, 1, 0.0), Take::Wait(IN_FLIGHT_POLL));
        let l = Limiter::new(
            RateLimitPolicy::documented().with_limit(OPERATION, 1),
            documented,
        );
        assert!(l.bucket("getDispatchTemplate").is_none(), "no limit stated");
        assert_eq!(l.bucket(OP).map(|b| b.limit), Some(1));
        let off = Limiter::new(RateLimitPolicy::off().with_limit(OPERATION, 1), documented);
        assert!(off.bucket(OP).is_none());
    }

    #[tokio::test]
    async fn a_wait_past_the_bound_is_refused_at_once() {
        let l = Limiter::new(
            RateLimitPolicy::documented()
                .with_limit(OPERATION, 1)
                .with_window(Duration::from_millis(1000))
                .with_margin(Duration::ZERO),
            documented,
        );
        let clock = crate::clock::VirtualClock::install(std::time::SystemTime::UNIX_EPOCH);
        let first = Held::wait_for(&l, OP, Some(Duration::ZERO))
            .await
            .expect("free");
        drop(first);
        clock.advance(Duration::from_millis(100));
        let wait = Held::wait_for(&l, OP, Some(Duration::from_millis(200)))
            .await
            .err()
            .expect("the window holds the next place for the rest of the second");
        assert_eq!(wait, Duration::from_millis(900), "a window less 100 ms");
        assert_eq!(
            clock.elapsed(),
            Duration::from_millis(100),
            "refused without waiting"
        );
    }

    #[tokio::test]
    async fn a_dropped_hold_releases_its_place() {
        let l = Limiter::new(
            RateLimitPolicy::documented()
                .with_limit(OPERATION, 1)
                .with_window(Duration::from_millis(1000))
                .with_margin(Duration::ZERO),
            documented,
        );
        let held = Held::wait_for(&l, OP, None).await.expect("unbounded");
        let bucket = held.bucket.expect("paced");
        assert_eq!(
            l.store.take(bucket).await,
            Ok(Take::Wait(IN_FLIGHT_POLL)),
            "held: in flight"
        );
        let clock = crate::clock::VirtualClock::install(std::time::SystemTime::UNIX_EPOCH);
        clock.advance(Duration::from_millis(300));
        drop(held);
        // Released at "now", so it counts from now: not free for a whole window, and no
        // longer in flight (which would be IN_FLIGHT_POLL).
        clock.advance(Duration::from_millis(40));
        match l.store.take(bucket).await {
            Ok(Take::Wait(wait)) => {
                assert_eq!(
                    wait,
                    Duration::from_millis(960),
                    "waits out the window from the release"
                );
            }
            other => panic!("expected a wait of one window, got {other:?}"),
        }
    }

    #[test]
    fn documented_limits_come_from_the_spec() {
        let p = RateLimitPolicy::documented();
        assert_eq!(p.limit_for("getCalls", documented), Some(5));
        assert_eq!(p.limit_for("addCallNote", documented), Some(60));
        assert_eq!(
            p.limit_for("getDispatchTemplates", documented),
            None,
            "no limit stated"
        );
        assert_eq!(
            p.clone()
                .with_limit(Operation::GetCalls, 1)
                .limit_for("getCalls", documented),
            Some(1)
        );
    }
}

#[cfg(test)]
mod mutation_tests;
