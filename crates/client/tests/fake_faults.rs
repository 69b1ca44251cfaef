//! The typed client against the fake server's hostile-network faults: each fault ends as one
//! documented outcome, and retries happen exactly where the rules allow them.

use sonoran_cad::RetryPolicy;
use sonoran_cad::runtime::VirtualClock;
use sonoran_cad::{Client, Error, RateLimitPolicy, TransportKind};
use sonoran_fake::{FakeHandle, FakeServer, Fault, FaultKind};
use std::time::{Duration, SystemTime};

fn client(fake: &FakeHandle, retry: RetryPolicy) -> Client {
    Client::builder()
        .api_key(fake.api_key())
        .community_id(fake.community_id())
        .base_url(fake.url())
        .rate_limit(RateLimitPolicy::off())
        .retry(RetryPolicy {
            jitter: false,
            initial_backoff: Duration::from_millis(10),
            ..retry
        })
        .build()
        .unwrap()
}

fn retries(n: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries: n,
        ..RetryPolicy::default()
    }
}

#[tokio::test]
async fn a_503_then_success_is_retried_for_a_get_and_for_a_post_only_when_told_when() {
    let fake = FakeServer::start().await;
    let c = client(&fake, retries(2));
    fake.inject(Fault::on("getVersion", FaultKind::Status(503)).times(2));
    c.get_version().await.unwrap();
    assert_eq!(fake.requests().len(), 3);

    fake.clear_requests();
    fake.inject(Fault::on("getVersionV1", FaultKind::Status(503)));
    let e = c.v1().get_version_v1().await.unwrap_err();
    assert_eq!(e.status(), Some(503));
    assert_eq!(
        fake.requests().len(),
        1,
        "a POST is not repeated on a bare 503"
    );

    fake.clear_requests();
    fake.inject(Fault::on("getVersionV1", FaultKind::Status(503)).with_retry_after("1"));
    let clock = VirtualClock::install(SystemTime::UNIX_EPOCH);
    c.v1().get_version_v1().await.unwrap();
    assert_eq!(
        clock.elapsed(),
        Duration::from_secs(1),
        "waited the server's Retry-After: 1, on the virtual clock"
    );
    assert_eq!(
        fake.requests().len(),
        2,
        "repeated when the server said when"
    );
}

#[tokio::test]
async fn hostile_replies_from_the_fake_end_as_one_error_kind_each() {
    let fake = FakeServer::start().await;
    let none = client(&fake, RetryPolicy::none());

    fake.inject(Fault::on("getVersion", FaultKind::Truncate));
    let e = none.get_version().await.unwrap_err();
    assert!(
        matches!(&e, Error::Transport(t) if t.kind == TransportKind::Reset),
        "{e:?}"
    );

    fake.inject(Fault::on(
        "getVersion",
        FaultKind::Oversized {
            bytes: 20 * 1024 * 1024,
        },
    ));
    let e = none.get_version().await.unwrap_err();
    assert!(
        matches!(e, Error::ReplyTooLarge { limit, .. } if limit == 16 * 1024 * 1024),
        "{e:?}"
    );

    fake.inject(Fault::on("getVersion", FaultKind::Html { status: 502 }));
    let e = none.get_version().await.unwrap_err();
    assert!(
        matches!(&e, Error::Api(a) if a.status == 502 && a.body.contains("html")),
        "{e:?}"
    );

    fake.inject(Fault::on("getVersion", FaultKind::Empty { status: 202 }));
    let e = none.get_version().await.unwrap_err();
    assert!(
        matches!(e, Error::MalformedReply { status: 202, .. }),
        "{e:?}"
    );

    fake.inject(Fault::on("getVersionV1", FaultKind::NonUtf8));
    let text = none.v1().get_version_v1().await.unwrap();
    assert!(text.contains('\u{fffd}'), "{text:?}");

    // A broken reply to a GET is retried; the second attempt is clean.
    let retrying = client(&fake, retries(1));
    fake.clear_requests();
    fake.inject(Fault::on("getVersion", FaultKind::Truncate));
    retrying.get_version().await.unwrap();
    assert_eq!(fake.requests().len(), 2);
}
