//! One call style for v1 and v2: request builders that own what they need (stored, joined,
//! spawned), per-request options (`.timeout`, `.header`), `send_with_response`, and a
//! call's deadline that bounds pacing, attempts and server-requested waits. Schedules are
//! asserted exactly on the runtime's virtual clock.

use sonoran_cad::runtime::VirtualClock;
use sonoran_cad::{Client, Error, Operation, RateLimitPolicy, RetryPolicy};
use sonoran_fake::scripted::{Reply, Server};
use std::future::{Future, IntoFuture};
use std::time::{Duration, Instant, SystemTime};

const VERSION: &str = r#"{"version":2,"name":"PLUS"}"#;

fn ok() -> Reply {
    Reply::new(200, "application/json", VERSION)
}

fn with_headers(mut reply: Reply, headers: &[(&str, &str)]) -> Reply {
    reply.headers = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    reply
}

fn too_many(retry_after: &str) -> Reply {
    with_headers(
        Reply::new(
            429,
            "application/json",
            r#"{"message":"API rate limit exceeded","request_id":"rid-429"}"#,
        ),
        &[("retry-after", retry_after)],
    )
}

fn exact_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        jitter: false,
        ..RetryPolicy::default()
    }
}

fn client(url: &str) -> sonoran_cad::ClientBuilder {
    Client::builder()
        .community_id("YOUR_COMMUNITY_ID")
        .api_key("YOUR_API_KEY")
        .base_url(url)
        .retry(exact_retries())
        .rate_limit(RateLimitPolicy::off())
}

/// What `tokio::spawn` asks of a future.
fn spawnable<F: Future + Send + 'static>(f: F) -> F {
    f
}

#[tokio::test]
async fn requests_are_stored_joined_and_spawned() {
    let fake = sonoran_fake::FakeServer::start().await;
    let client = Client::builder()
        .community_id("YOUR_COMMUNITY_ID")
        .api_key("YOUR_API_KEY")
        .base_url(fake.url())
        .build()
        .unwrap();

    // Stored: a builder is a value of its own, v1 and v2 alike.
    let stored_v1 = client.v1().get_version_v1();
    let stored_v2 = client.get_version();
    let v1 = client.v1();
    let from_a_stored_v1 = v1.get_version_v1();
    drop(v1);

    // Joined: temporaries are fine.
    let (a, b, c, d) = tokio::join!(
        client.v1().get_version_v1(),
        client.get_version(),
        stored_v1,
        from_a_stored_v1.into_future()
    );
    let v1_version = a.unwrap();
    let version = b.unwrap();
    assert_eq!(c.unwrap(), v1_version);
    assert_eq!(d.unwrap(), v1_version);

    // Spawned: `.send()` and the builder's future are `Send + 'static`, and outlive the
    // client they came from.
    let spawned_v2 = tokio::spawn(spawnable(client.get_active_units().send()));
    let spawned_v1 = tokio::spawn(spawnable(client.v1().get_version_v1().send()));
    let spawned_stored = tokio::spawn(stored_v2.into_future());
    let spawned_with_response = tokio::spawn(spawnable(client.get_version().send_with_response()));
    drop(client);
    spawned_v2.await.unwrap().unwrap();
    assert_eq!(spawned_v1.await.unwrap().unwrap(), v1_version);
    assert_eq!(spawned_stored.await.unwrap().unwrap(), version);
    assert_eq!(spawned_with_response.await.unwrap().unwrap().value, version);
    assert_eq!(fake.stats().requests, 8);
}

/// A v2 retry builds its request anew (no copy of it is kept in advance): what goes out again
/// is the same request, path, query, body and every header, the call's own included.
#[tokio::test]
async fn a_retry_sends_the_same_request_again() {
    let s = Server::start().await;
    let c = client(&s.url).header("x-everywhere", "1").build().unwrap();
    let clock = VirtualClock::install(SystemTime::UNIX_EPOCH);
    let account = uuid::Uuid::from_u128(0x1234);
    let body = serde_json::from_value(serde_json::json!({"identId": 7})).unwrap();
    s.script(vec![
        too_many("0.2"),
        too_many("0.3"),
        Reply::new(200, "application/json", "{}"),
    ]);
    let r = c
        .set_selected_identifier(account, body)
        .header("x-trace", "put")
        .send_with_response()
        .await
        .unwrap();
    assert_eq!((r.attempts, r.elapsed), (3, Duration::from_millis(500)));
    assert_eq!(clock.elapsed(), Duration::from_millis(500));
    let seen = s.take();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        (seen[0].method.as_str(), seen[0].target.as_str()),
        (
            "PUT",
            "/v2/emergency/accounts/00000000-0000-0000-0000-000000001234/selected-identifier"
        )
    );
    assert_eq!(seen[0].body, r#"{"identId":7}"#);
    for (name, value) in [
        ("x-trace", "put"),
        ("x-everywhere", "1"),
        ("authorization", "Bearer YOUR_API_KEY"),
    ] {
        assert_eq!(
            seen[0].headers.get(name).map(String::as_str),
            Some(value),
            "{name}"
        );
    }
    assert_eq!(
        (&seen[1], &seen[2]),
        (&seen[0], &seen[0]),
        "each retry the same request"
    );

    // A GET with query parameters, the same way.
    s.script(vec![
        too_many("0.1"),
        Reply::new(200, "application/json", "[]"),
    ]);
    let target = sonoran_cad::targets::AccountTarget::Discord("123456".into());
    c.get_character_links(target)
        .send_with_response()
        .await
        .unwrap();
    let seen = s.take();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[0].target,
        "/v2/civilian/character-links?discord=123456"
    );
    assert_eq!(seen[1], seen[0]);
}

#[tokio::test]
async fn a_header_reaches_the_wire_for_that_request_only() {
    let s = Server::start().await;
    s.script(vec![ok()]);
    let c = client(&s.url).header("x-everywhere", "1").build().unwrap();
    c.get_version().header("x-trace", "v2-call").await.unwrap();
    s.script(vec![Reply::new(200, "text/plain", "1.2.3")]);
    c.v1()
        .get_version_v1()
        .header("x-trace", "v1-call")
        .await
        .unwrap();
    s.script(vec![ok()]);
    c.get_version().await.unwrap();
    let seen = s.take();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        (seen[0].method.as_str(), seen[0].target.as_str()),
        ("GET", "/v2/general/version")
    );
    assert_eq!(seen[1].method, "POST");
    assert!(
        seen[1].body.contains(r#""type":"GET_VERSION""#),
        "{}",
        seen[1].body
    );
    assert_eq!(
        seen[0].headers.get("x-trace").map(String::as_str),
        Some("v2-call")
    );
    assert_eq!(
        seen[1].headers.get("x-trace").map(String::as_str),
        Some("v1-call")
    );
    assert_eq!(
        seen[2].headers.get("x-trace"),
        None,
        "for that request only"
    );
    assert!(
        seen.iter()
            .all(|r| r.headers.get("x-everywhere").map(String::as_str) == Some("1"))
    );
    assert!(seen[0].headers["authorization"].starts_with("Bearer "));

    let bad = c.get_version().header("bad header", "x").await.unwrap_err();
    assert!(
        matches!(&bad, Error::InvalidRequest(why) if why.contains("bad header")),
        "{bad:?}"
    );
    assert!(s.take().is_empty(), "an invalid header is not sent");
}

#[tokio::test]
async fn send_with_response_reports_status_headers_request_id_attempts_and_time() {
    let s = Server::start().await;
    let c = client(&s.url).build().unwrap();
    let clock = VirtualClock::install(SystemTime::UNIX_EPOCH);

    s.script(vec![with_headers(ok(), &[("x-request-id", "req-1")])]);
    let r = c.get_version().send_with_response().await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.request_id.as_deref(), Some("req-1"));
    assert_eq!(r.headers["x-request-id"], "req-1");
    assert_eq!(r.attempts, 1);
    assert_eq!(r.elapsed, Duration::ZERO);
    assert_eq!(r.value.name.as_deref(), Some("PLUS"));

    // Retried after Retry-After: attempts and the time waited, exactly.
    s.script(vec![
        too_many("0.25"),
        too_many("0.5"),
        with_headers(ok(), &[("request-id", "req-2")]),
    ]);
    let r = c.v1().get_version_v1().send_with_response().await;
    // v1 GET_VERSION answers text; the scripted JSON is its text.
    let r = r.unwrap();
    assert_eq!(r.value, VERSION);
    assert_eq!((r.status, r.attempts), (200, 3));
    assert_eq!(r.elapsed, Duration::from_millis(750));
    assert_eq!(r.request_id.as_deref(), Some("req-2"));
    assert_eq!(clock.elapsed(), Duration::from_millis(750));

    // The request id of an error: from a 429 body, and from a header.
    s.script(vec![too_many("30")]);
    let e = c
        .get_version()
        .timeout(Duration::from_secs(10))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::RateLimited { .. }), "{e:?}");
    assert_eq!(e.request_id(), Some("rid-429"));
    assert_eq!(e.operation(), Some("getVersion"));
    assert_eq!(e.attempts(), Some(1));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
    assert!(e.is_retryable() && !e.is_not_found());

    s.script(vec![with_headers(
        Reply::new(
            404,
            "application/problem+json",
            r#"{"title":"Not Found","status":404,"detail":"no such unit"}"#,
        ),
        &[("x-request-id", "req-404")],
    )]);
    let e = c.get_version().await.unwrap_err();
    assert_eq!(e.request_id(), Some("req-404"));
    assert!(e.is_not_found() && !e.is_retryable());
    assert_eq!((e.operation(), e.attempts()), (Some("getVersion"), Some(1)));
}

#[tokio::test]
async fn a_call_timeout_bounds_retry_after_waits() {
    let s = Server::start().await;
    let c = client(&s.url).build().unwrap();
    let clock = VirtualClock::install(SystemTime::UNIX_EPOCH);

    // Within the deadline: 0.3 s + 0.3 s of Retry-After, then the reply.
    s.script(vec![too_many("0.3"), too_many("0.3"), ok()]);
    let r = c
        .get_version()
        .timeout(Duration::from_secs(1))
        .send_with_response()
        .await
        .unwrap();
    assert_eq!((r.attempts, r.elapsed), (3, Duration::from_millis(600)));

    // A wait the server asks for that passes the deadline fails at once, with the
    // server's Retry-After: 0.3 s waited, then 5 s asked for with 0.7 s left.
    s.take();
    let before = clock.elapsed();
    s.script(vec![too_many("0.3"), too_many("5"), ok()]);
    let e = c
        .get_version()
        .timeout(Duration::from_secs(1))
        .await
        .unwrap_err();
    let Error::RateLimited {
        retry_after,
        attempts,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!((*retry_after, *attempts), (Some(Duration::from_secs(5)), 2));
    assert_eq!(clock.elapsed() - before, Duration::from_millis(300));
    assert_eq!(s.take().len(), 2, "no third attempt");

    // Without a per-call timeout the same wait is taken (the client's 30 s).
    s.script(vec![too_many("5"), ok()]);
    let before = clock.elapsed();
    c.get_version().await.unwrap();
    assert_eq!(clock.elapsed() - before, Duration::from_secs(5));
}

#[tokio::test]
async fn a_call_timeout_bounds_pacing_and_retries_together() {
    let s = Server::start().await;
    // getVersion paced to 1 call per 1 s window, counted from each reply.
    let c = client(&s.url)
        .rate_limit(
            RateLimitPolicy::documented()
                .with_limit(Operation::GetVersion, 1)
                .with_window(Duration::from_secs(1))
                .with_margin(Duration::ZERO),
        )
        .max_queue(None)
        .build()
        .unwrap();
    let clock = VirtualClock::install(SystemTime::UNIX_EPOCH);

    // 429 at 0 asking for 0.5 s; the window holds the retry until 1.0 s: 3 s is enough.
    s.script(vec![too_many("0.5"), ok()]);
    let r = c
        .get_version()
        .timeout(Duration::from_secs(3))
        .send_with_response()
        .await
        .unwrap();
    assert_eq!((r.attempts, r.elapsed), (2, Duration::from_secs(1)));

    // The same with 0.8 s: after the 0.5 s Retry-After, the pacing would hold the retry
    // another 0.5 s with 0.3 s left: refused by this client at once, not sent.
    clock.advance(Duration::from_secs(5));
    s.take();
    s.script(vec![too_many("0.5"), ok()]);
    let before = clock.elapsed();
    let e = c
        .get_version()
        .timeout(Duration::from_millis(800))
        .await
        .unwrap_err();
    let Error::PacingRefused { wait, bound, .. } = e else {
        panic!("{e:?}")
    };
    assert_eq!(
        (wait, bound),
        (Duration::from_millis(500), Duration::from_millis(300))
    );
    assert_eq!(clock.elapsed() - before, Duration::from_millis(500));
    assert_eq!(s.take().len(), 1, "the retry was not sent");
}

#[tokio::test]
async fn a_refusal_by_this_clients_pacing_is_not_a_sonoran_429() {
    let s = Server::start().await;
    s.script(vec![ok()]);
    let c = client(&s.url)
        .rate_limit(
            RateLimitPolicy::documented()
                .with_limit(Operation::GetVersion, 1)
                .with_window(Duration::from_secs(10))
                .with_margin(Duration::ZERO),
        )
        .build()
        .unwrap();
    let clock = VirtualClock::install(SystemTime::UNIX_EPOCH);
    c.get_version().await.unwrap();
    let ours = c
        .get_version()
        .timeout(Duration::from_secs(2))
        .await
        .unwrap_err();
    assert_eq!(clock.elapsed(), Duration::ZERO, "failed at once");
    let Error::PacingRefused { wait, bound, .. } = &ours else {
        panic!("{ours:?}")
    };
    assert_eq!(
        (*wait, *bound),
        (Duration::from_secs(10), Duration::from_secs(2))
    );
    assert_eq!(ours.status(), None, "no reply, no status");
    assert_eq!(ours.attempts(), Some(0));
    assert_eq!(ours.operation(), Some("getVersion"));
    assert_eq!(ours.retry_after(), Some(Duration::from_secs(10)));
    let shown = ours.to_string();
    assert!(
        shown.starts_with("not sent: this client paces calls"),
        "{shown}"
    );
    assert!(!shown.contains("by the Sonoran API"), "{shown}");
    assert_eq!(s.take().len(), 1, "the refused call was not sent");

    // A 429 the API sent is another kind, and says so.
    let free = client(&s.url).retry(RetryPolicy::none()).build().unwrap();
    s.script(vec![too_many("7")]);
    let theirs = free.get_version().await.unwrap_err();
    assert!(matches!(theirs, Error::RateLimited { .. }), "{theirs:?}");
    assert_eq!(theirs.status(), Some(429));
    assert!(
        theirs
            .to_string()
            .contains("rate limited by the Sonoran API")
    );
}

#[tokio::test]
async fn a_timeout_bounds_the_whole_call_and_says_how_many_attempts_it_made() {
    // A GET is retried after a timeout; with the deadline spent by the first attempt,
    // none follows. (The attempt's own timeout is real time: only a lower bound here.)
    let fake = sonoran_fake::FakeServer::start().await;
    fake.inject(sonoran_fake::Fault::on(
        "getVersion",
        sonoran_fake::FaultKind::Delay(Duration::from_secs(3)),
    ));
    let c = Client::builder()
        .community_id("YOUR_COMMUNITY_ID")
        .api_key("YOUR_API_KEY")
        .base_url(fake.url())
        .retry(exact_retries())
        .timeout(Some(Duration::from_millis(300)))
        .build()
        .unwrap();
    let started = Instant::now();
    let e = c.get_version().await.unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(300));
    let Error::Timeout {
        operation,
        attempts,
        elapsed,
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!((*operation, *attempts), (Some("getVersion"), 1));
    assert!(*elapsed >= Duration::from_millis(300));
    assert!(e.to_string().contains("1 attempt;"), "{e}");
    assert!(e.is_retryable());
}
