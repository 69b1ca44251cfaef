//! sonoran-cms's one call style: v1 and v2 request builders that own what they need,
//! per-request headers, and the enveloped reply with its response details, on loopback.

use sonoran_cms::runtime::VirtualClock;
use sonoran_cms::{Client, Error, RetryPolicy};
use sonoran_fake::scripted::{Reply, Server};
use std::future::{Future, IntoFuture};
use std::time::{Duration, SystemTime};

const RANKS: &str = r#"{"success": true, "data": ["22222222-2222-2222-2222-222222222222"], "meta": {"timestamp": "2026-04-15T00:00:00.000Z", "path": "/v2/community/accounts/00000000-0000-0000-0000-000000000000/ranks"}}"#;

fn account() -> sonoran_cms::uuid::Uuid {
    "00000000-0000-0000-0000-000000000000".parse().unwrap()
}

fn spawnable<F: Future + Send + 'static>(f: F) -> F {
    f
}

#[tokio::test]
async fn enveloped_replies_come_with_their_response_and_requests_are_spawned() {
    let server = Server::start().await;
    let client = Client::builder()
        .api_key("cms-key")
        .community_id("community-1")
        .base_url(&server.url)
        .retry(RetryPolicy {
            jitter: false,
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let clock = VirtualClock::install(SystemTime::UNIX_EPOCH);

    let mut limited = Reply::new(429, "application/json", r#"{"request_id":"cms-rid"}"#);
    limited.headers = vec![("retry-after".into(), "0.2".into())];
    let mut ok = Reply::new(200, "application/json", RANKS);
    ok.headers = vec![("x-request-id".into(), "req-7".into())];
    server.script(vec![limited, ok.clone()]);
    let reply = client
        .get_account_ranks(account())
        .header("x-bot", "ranks")
        .send_enveloped_with_response()
        .await
        .unwrap();
    assert_eq!((reply.status, reply.attempts), (200, 2));
    assert_eq!(reply.elapsed, Duration::from_millis(200));
    assert_eq!(clock.elapsed(), Duration::from_millis(200));
    assert_eq!(reply.request_id.as_deref(), Some("req-7"));
    assert_eq!(reply.value.data.len(), 1);
    assert_eq!(
        reply.value.meta.and_then(|m| m.path).as_deref(),
        Some("/v2/community/accounts/00000000-0000-0000-0000-000000000000/ranks")
    );
    let seen = server.take();
    assert_eq!(seen.len(), 2);
    assert!(
        seen.iter()
            .all(|s| s.headers.get("x-bot").map(String::as_str) == Some("ranks"))
    );
    assert!(
        seen.iter()
            .all(|s| s.method == "GET" && s.target.ends_with("/ranks"))
    );
    assert!(seen.iter().all(|s| s.body.is_empty()));

    // Stored, joined, spawned: v1 and v2 alike.
    server.script(vec![ok]);
    let stored = client.get_account_ranks(account());
    let spawned = tokio::spawn(spawnable(client.get_account_ranks(account()).send()));
    let (a, b) = tokio::join!(stored.into_future(), spawned);
    assert_eq!(a.unwrap(), b.unwrap().unwrap());
    server.script(vec![Reply::new(400, "text/plain", "INVALID API KEY")]);
    let v1 = tokio::spawn(spawnable(client.v1().get_sub_version_v1().send()));
    let e = v1.await.unwrap().unwrap_err();
    assert!(matches!(e, Error::Api(_)), "{e:?}");
    assert_eq!(e.operation(), Some("getSubVersionV1"));
    assert_eq!(e.attempts(), Some(1));
}
