//! Tests added for the mutation run of `limiter.rs` (TESTING.md, "Mutation testing"): each
//! pins a behaviour that no earlier test checked, so that the mutant changing it is caught.
//! Timed ones run on the runtime's virtual clock.

use super::*;
use crate::clock::VirtualClock;
use std::time::SystemTime;

/// No operation has a documented limit: only the policy's own limits apply.
fn undocumented(_: &str) -> Option<u32> {
    None
}

#[derive(Clone, Copy)]
struct Op;

impl OperationId for Op {
    fn operation_id(&self) -> &'static str {
        "getDispatchTemplates"
    }
}

const OP: &str = "getDispatchTemplates";

/// One place per 1000 ms window, no margin.
fn one_per_second() -> Limiter {
    Limiter::new(
        RateLimitPolicy::documented()
            .with_limit(Op, 1)
            .with_window(Duration::from_millis(1000))
            .with_margin(Duration::ZERO),
        undocumented,
    )
}

/// `wait_for` refuses a wait that would go *past* its bound; a wait that ends exactly at
/// the bound is waited for (kills `>` to `>=` in `Held::wait_for`).
#[tokio::test]
async fn a_wait_that_ends_exactly_at_the_bound_is_waited_for() {
    let l = one_per_second();
    let clock = VirtualClock::install(SystemTime::UNIX_EPOCH);
    drop(Held::wait_for(&l, OP, None).await.expect("free"));
    clock.advance(Duration::from_millis(100));
    // The place frees 1000 ms after its release at 0: 900 ms from now, the bound exactly.
    let held = Held::wait_for(&l, OP, Some(Duration::from_millis(900)))
        .await
        .expect("a wait of exactly the bound is not past it");
    assert_eq!(held.ticket.map(|_| ()), Some(()), "a place is held");
    assert_eq!(clock.elapsed(), Duration::from_millis(1000));
    drop(held);
    // One millisecond less of bound and the same wait is refused, without waiting.
    clock.advance(Duration::from_millis(100));
    assert_eq!(
        Held::wait_for(&l, OP, Some(Duration::from_millis(899)))
            .await
            .err(),
        Some(Duration::from_millis(900))
    );
    assert_eq!(clock.elapsed(), Duration::from_millis(1100));
}

/// `pace_now` and `release_now` (the npm module's path): a place taken at once is held
/// until `release_now`, and then counts a window from the release (kills `release_now`
/// doing nothing).
#[test]
fn release_now_gives_back_what_pace_now_took() {
    let l = one_per_second();
    let clock = VirtualClock::install(SystemTime::UNIX_EPOCH);
    let Pace::Taken(ticket) = l.pace_now(OP) else {
        panic!("the first call takes the one place")
    };
    assert_eq!(l.pace_now(OP), Pace::Wait(IN_FLIGHT_POLL), "held in flight");
    clock.advance(Duration::from_millis(300));
    l.release_now(OP, ticket);
    clock.advance(Duration::from_millis(40));
    assert_eq!(
        l.pace_now(OP),
        Pace::Wait(Duration::from_millis(960)),
        "released at 300 ms: free a window later, at 1300 ms"
    );
    clock.advance(Duration::from_millis(960));
    assert!(matches!(l.pace_now(OP), Pace::Taken(_)));
    // An operation with no limit is not paced, and releasing it is a no-op.
    assert_eq!(l.pace_now("getCalls"), Pace::Unpaced);
    l.release_now("getCalls", 0);
    assert_eq!(l.pace_now("getCalls"), Pace::Unpaced);
}

/// The limiter's `Debug` shows its policy and nothing of the store (kills `fmt` returning
/// `Ok(())` without writing).
#[test]
fn the_limiter_debug_shows_its_policy() {
    let policy = RateLimitPolicy::documented().with_limit(Op, 3);
    let l = Limiter::new(policy.clone(), undocumented);
    let shown = format!("{l:?}");
    assert_eq!(shown, format!("Limiter {{ policy: {policy:?}, .. }}"));
    assert!(
        shown.contains("enabled: true") && shown.contains("{\"getDispatchTemplates\": 3}"),
        "{shown}"
    );
}

/// `is_enabled` says whether the policy paces at all (kills it returning a constant).
#[test]
fn is_enabled_tells_documented_from_off() {
    assert!(RateLimitPolicy::documented().is_enabled());
    assert!(RateLimitPolicy::default().with_limit(Op, 2).is_enabled());
    assert!(!RateLimitPolicy::off().is_enabled());
    assert!(!RateLimitPolicy::off().with_limit(Op, 2).is_enabled());
}

/// A place counts for the window *plus* the margin after its reply (kills `+` to `-` in
/// `Limiter::bucket`).
#[test]
fn the_margin_lengthens_the_window() {
    let l = Limiter::new(
        RateLimitPolicy::documented()
            .with_limit(Op, 1)
            .with_window(Duration::from_millis(1000))
            .with_margin(Duration::from_millis(25)),
        undocumented,
    );
    assert_eq!(
        l.bucket(OP).map(|b| b.window),
        Some(Duration::from_millis(1025))
    );
    let clock = VirtualClock::install(SystemTime::UNIX_EPOCH);
    let Pace::Taken(ticket) = l.pace_now(OP) else {
        panic!("free")
    };
    l.release_now(OP, ticket);
    assert_eq!(l.pace_now(OP), Pace::Wait(Duration::from_millis(1025)));
    clock.advance(Duration::from_millis(1025));
    assert!(matches!(l.pace_now(OP), Pace::Taken(_)));
}

/// The in-process store always answers, so a hold from it never carries a refusal (kills
/// `Held::refusal` returning `Some`).
#[tokio::test]
async fn an_in_process_hold_is_never_refused() {
    let l = one_per_second();
    let held = Held::wait_for(&l, OP, None).await.expect("free");
    assert_eq!(held.refusal(), None);
    let unpaced = Held::wait_for(&l, "getCalls", None).await.expect("unpaced");
    assert_eq!(unpaced.refusal(), None);
}

/// A place the shared store gave this process is forced into the in-process count too, so
/// that pacing in this process alone (when Redis stops answering) still knows it is taken
/// (kills `+=` to `*=` in `InProcess::force`, which the redis-only mutation run left).
#[cfg(all(feature = "redis", not(target_arch = "wasm32")))]
#[test]
fn forced_places_count_against_the_in_process_limit() {
    let store = InProcess::default();
    store.force(OP);
    store.force(OP);
    // Two places forced, a limit of two: the third asks to wait for a reply.
    assert_eq!(
        store.acquire(OP, 2, 1000.0, 0.0),
        Take::Wait(IN_FLIGHT_POLL),
        "both forced places are in flight"
    );
    // A reply frees nothing at once: it counts a window from its time.
    store.release_at(OP, 100.0);
    assert_eq!(
        store.acquire(OP, 2, 1000.0, 200.0),
        Take::Wait(Duration::from_millis(900))
    );
    store.release_at(OP, 150.0);
    assert!(
        matches!(store.acquire(OP, 3, 1000.0, 200.0), Take::Taken(_)),
        "with a limit of three, one place is free"
    );
}
