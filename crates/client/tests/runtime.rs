//! The runtime against the fake Sonoran server on loopback: pacing, retries, every error
//! kind, timeouts, concurrency, the key compared in constant time (that it never shows in a
//! log: tests/key_in_logs.rs).

use sonoran_cad::runtime::VirtualClock;
use sonoran_cad::{Client, Error, RateLimitPolicy, RetryPolicy, V1ErrorCode};
use sonoran_fake::{FakeServer, Fault, FaultKind, RetryAfter};
use std::time::{Duration, Instant, SystemTime};

const KEY: &str = "YOUR_API_KEY";

fn client_for(url: impl Into<String>) -> sonoran_cad::ClientBuilder {
    Client::builder()
        .community_id("YOUR_COMMUNITY_ID")
        .api_key(KEY)
        .base_url(url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_is_paced_to_the_documented_limit_without_drawing_429s() {
    // time_scale 60: the fake's one-minute window passes in one real second, and the
    // client is told its window is one second too.
    let fake = FakeServer::builder()
        .time_scale(60.0)
        .enforce_rate_limits(true)
        .start()
        .await;
    let client = client_for(fake.url())
        .rate_limit(
            RateLimitPolicy::documented()
                .with_window(Duration::from_secs(1))
                .with_margin(Duration::from_millis(25)),
        )
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    // getVersion is documented at 10 per minute: 25 calls need three windows.
    let start = Instant::now();
    let calls: Vec<_> = (0..25)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.get_version().await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().expect("no call is rate limited");
    }
    let elapsed = start.elapsed();
    assert_eq!(fake.stats().rate_limited, 0, "pacing must not draw a 429");
    assert_eq!(fake.stats().requests, 25);
    // 25 calls at 10 per window cannot finish before two windows. (How soon after that is
    // the exact schedule of the next test, on the virtual clock; speed is `cargo xtask bench`'s.)
    assert!(
        elapsed >= Duration::from_secs(2),
        "the burst was not spread out as documented: {elapsed:?}"
    );
}

#[tokio::test]
async fn paced_calls_leave_on_the_documented_schedule() {
    let clock = VirtualClock::install(SystemTime::UNIX_EPOCH);
    let fake = FakeServer::start().await;
    let client = client_for(fake.url())
        .rate_limit(
            RateLimitPolicy::documented()
                .with_window(Duration::from_secs(1))
                .with_margin(Duration::from_millis(25)),
        )
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    // getVersion is documented at 10 per minute (here per 1 s window, plus a 25 ms margin):
    // one call after another, each leaves when its place frees, a window after the reply
    // that held it (replies take no virtual time).
    let mut left = Vec::new();
    for _ in 0..25 {
        client.get_version().await.expect("paced, never refused");
        left.push(clock.elapsed().as_millis());
    }
    let expected: Vec<u128> = (0..25).map(|i| (i / 10) * 1025).collect();
    assert_eq!(left, expected, "virtual ms at which each call was answered");
    assert_eq!(fake.requests().len(), 25);
}

#[tokio::test]
async fn a_429_storm_is_retried_then_reported_with_the_wait() {
    // The fake writes its HTTP dates from the system clock: the virtual one starts there.
    let clock = VirtualClock::install(SystemTime::now());
    let fake = FakeServer::start().await;
    let client = client_for(fake.url())
        .retry(RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(10),
            max_wait: Duration::from_secs(5),
            jitter: false,
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();

    // Two 429s (one with Retry-After, one without): the third attempt succeeds.
    fake.inject(Fault::on(
        "getVersion",
        FaultKind::RateLimited {
            retry_after: Some(RetryAfter::Seconds(1)),
        },
    ));
    fake.inject(Fault::on(
        "getVersion",
        FaultKind::RateLimited { retry_after: None },
    ));
    let start = clock.elapsed();
    client
        .get_version()
        .await
        .expect("succeeds after two retries");
    // Retry-After: 1, then no Retry-After: the backoff of the second retry (10 ms doubled).
    assert_eq!(
        clock.elapsed() - start,
        Duration::from_millis(1000 + 20),
        "Retry-After: 1 s, then a 20 ms backoff, on the virtual clock"
    );
    assert_eq!(fake.requests().len(), 3);
    fake.clear_requests();

    // Three 429s: retries exhausted, the caller gets the typed error with the wait.
    fake.inject(
        Fault::on(
            "getVersion",
            FaultKind::RateLimited {
                retry_after: Some(RetryAfter::Seconds(0)),
            },
        )
        .times(3),
    );
    match client.get_version().await.unwrap_err() {
        Error::RateLimited {
            retry_after,
            request_id,
            ..
        } => {
            assert_eq!(retry_after, Some(Duration::ZERO));
            assert!(request_id.is_some());
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert_eq!(fake.requests().len(), 3, "1 attempt + 2 retries");

    // The HTTP-date form of Retry-After is understood too.
    fake.inject(Fault::on(
        "getVersionV1",
        FaultKind::RateLimited {
            retry_after: Some(RetryAfter::DateIn(Duration::from_secs(1))),
        },
    ));
    client
        .v1()
        .get_version_v1()
        .await
        .expect("v1 calls are retried the same way");
}

#[tokio::test]
async fn every_error_kind_is_typed() {
    let fake = FakeServer::start().await;
    let client = client_for(fake.url())
        .retry(RetryPolicy::none())
        .timeout(Some(Duration::from_millis(300)))
        .build()
        .unwrap();

    fake.inject(Fault::on(
        "getVersion",
        FaultKind::Problem {
            status: 404,
            title: "Not Found".into(),
            detail: "Server 9 is not configured.".into(),
        },
    ));
    match client.get_version().await.unwrap_err() {
        Error::Api(e) => {
            assert_eq!(
                (e.status, e.title.as_deref(), e.detail.as_deref()),
                (404, Some("Not Found"), Some("Server 9 is not configured."))
            );
            assert!(
                e.trace_id.is_some(),
                "the fake sends a traceId like the API"
            );
        }
        other => panic!("expected Api, got {other:?}"),
    }

    fake.inject(Fault::on("getVersion", FaultKind::Status(503)));
    assert_eq!(client.get_version().await.unwrap_err().status(), Some(503));

    fake.inject(Fault::on(
        "getVersionV1",
        FaultKind::V1Text {
            status: 400,
            text: "API IS NOT ENABLED FOR THIS COMMUNITY".into(),
        },
    ));
    assert_eq!(
        client.v1().get_version_v1().await.unwrap_err().v1_code(),
        Some(V1ErrorCode::ApiNotEnabled)
    );

    fake.inject(Fault::on(
        "getVersion",
        FaultKind::Delay(Duration::from_secs(3)),
    ));
    assert!(matches!(
        client.get_version().await.unwrap_err(),
        Error::Timeout { .. }
    ));

    // A reply cut short: the connection broke mid-reply (the retry policy is off here).
    fake.inject(Fault::on("getVersion", FaultKind::Truncate));
    let truncated = client.get_version().await.unwrap_err();
    assert!(
        matches!(&truncated, Error::Transport(t) if t.kind == sonoran_cad::TransportKind::Reset),
        "{truncated:?}"
    );

    // The real API's answers to bad credentials, from the fake.
    let wrong = client_for(fake.url())
        .api_key("not-the-key")
        .community_id("wrong")
        .build()
        .unwrap();
    assert_eq!(wrong.get_version().await.unwrap_err().status(), Some(401));
    assert_eq!(
        wrong.v1().get_version_v1().await.unwrap_err().v1_code(),
        Some(V1ErrorCode::InvalidCommunityId)
    );

    // Nothing listening.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let nowhere = client_for(closed).build().unwrap();
    assert!(matches!(
        nowhere.get_version().await.unwrap_err(),
        Error::Transport(t) if t.kind == sonoran_cad::TransportKind::Connect
    ));

    // A key that cannot go in a header is refused before anything is sent.
    let bad = client_for(fake.url()).api_key("bad\nkey").build().unwrap();
    fake.clear_requests();
    assert!(matches!(
        bad.get_version().await.unwrap_err(),
        Error::InvalidRequest(_)
    ));
    assert!(fake.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_calls_on_one_client() {
    let fake = FakeServer::start().await;
    let client = client_for(fake.url()).build().unwrap();
    // getDispatchTemplates states no rate limit, so nothing is paced. 400 at once: each
    // needs a connection and the fake's end of it, 800 descriptors, under the 1024 that
    // `ulimit -n` often allows.
    const CALLS: usize = 400;
    let calls: Vec<_> = (0..CALLS)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.get_dispatch_templates().await })
        })
        .collect();
    let mut ok = 0;
    for call in calls {
        let templates = call.await.unwrap().expect("every call succeeds");
        assert!(!templates.is_empty());
        ok += 1;
    }
    assert_eq!(ok, CALLS);
    assert_eq!(fake.stats().requests, CALLS as u64);
}

#[tokio::test]
async fn default_server_id_and_extra_headers_reach_the_wire() {
    let fake = FakeServer::start().await;
    let client = client_for(fake.url())
        .server_id(1)
        .header("user-agent", "my-bot/1.0")
        .build()
        .unwrap();
    client
        .get_calls()
        .server_id(client.server_id())
        .await
        .unwrap();
    let seen = fake.requests().pop().unwrap();
    assert_eq!(seen.path, "/v2/emergency/servers/1/calls");
    assert_eq!(seen.header("user-agent"), Some("my-bot/1.0"));
    assert_eq!(
        seen.header("api-version"),
        None,
        "progenitor's header is not sent"
    );
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

#[test]
fn api_keys_compare_every_byte_and_the_length() {
    let key = sonoran_cad::ApiKey::new("abc123");
    // Two differences whose XORs cancel ('a' ^ 'b' == 'b' ^ 'a'): still different.
    assert!(!key.matches("bac123"));
    assert!(!key.matches("abc123\0"), "a longer key, padded with NUL");
    assert!(!sonoran_cad::ApiKey::new("").matches("\0"));
    assert!(key.matches("abc123"));
    assert!(sonoran_cad::ApiKey::new("").matches(""));
}

/// The retry jitter's generator is xorshift64 (shifts 13, 7, 17) and a draw is its state's
/// top 53 bits over 2^53: from one draw, one of the 2048 states it can come from must give
/// exactly the next two draws.
#[test]
fn jitter_draws_follow_xorshift64() {
    fn step(mut x: u64) -> u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
    let top = |d: f64| -> u64 {
        assert!((0.0..1.0).contains(&d), "a draw in [0, 1): {d}");
        (d * (1u64 << 53) as f64) as u64
    };
    // Other tests of this binary may draw (on other threads) between two of ours: a few tries.
    let followed = (0..50).any(|_| {
        let [a, b, c] = [(); 3].map(|()| top(sonoran_cad::retry::unit_random()));
        (0..2048u64).any(|low| {
            let x = step((a << 11) | low);
            x >> 11 == b && step(x) >> 11 == c
        })
    });
    assert!(followed, "three draws in a row never followed xorshift64");
}
