//! One error model: every `ErrorKind` the Rust client can produce comes from the situation it
//! names (the fake Sonoran server's scripted faults on loopback), and every error of a call
//! carries its operation, attempts, request id where one came back, and the operation's docs
//! page. `aborted` and `internal` are the npm package's (an `AbortSignal`, a wasm trap: in
//! Rust a dropped future cancels a call without an error), `sharedLimiterUnavailable` is
//! covered by `shared_limits.rs` (feature `redis`); the npm side of this test is
//! `crates/wasm/tests/node/errors.test.mjs`, and `sonoran-wasm-core`'s
//! `the_rust_and_js_kinds_are_one_set` checks the two lists are one.

use sonoran_cad::runtime::VirtualClock;
use sonoran_cad::{Client, Error, ErrorKind, Operation, RateLimitPolicy, RetryPolicy};
use sonoran_fake::{FakeServer, Fault, FaultKind, RetryAfter};
use std::time::{Duration, SystemTime};

fn client_for(url: impl Into<String>) -> sonoran_cad::ClientBuilder {
    Client::builder()
        .community_id("YOUR_COMMUNITY_ID")
        .api_key("YOUR_API_KEY")
        .base_url(url)
        .retry(RetryPolicy::none())
}

const GET_VERSION_DOCS: &str = "https://docs.sonoransoftware.com/cad/api-integration/api-endpoints-v2/general/configuration/get-version";

/// `e` is of `kind`, names `getVersion` and links its docs page.
fn check(e: &Error, kind: ErrorKind) {
    assert_eq!(e.kind(), kind, "{e:?}");
    assert_eq!(e.kind().to_string(), kind.as_str());
    assert_eq!(e.operation(), Some("getVersion"), "{e:?}");
    assert_eq!(
        e.docs_url(),
        Operation::GetVersion.docs_url(),
        "the docs link of the call"
    );
}

#[test]
fn kinds_have_one_name_each() {
    let names: std::collections::BTreeSet<&str> =
        ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(names.len(), ErrorKind::ALL.len());
    for kind in ErrorKind::ALL {
        assert_eq!(ErrorKind::from_name(kind.as_str()), Some(kind));
        // camelCase: the Rust variant's words.
        let debug = format!("{kind:?}");
        assert_eq!(debug[..1].to_ascii_lowercase() + &debug[1..], kind.as_str());
    }
    assert_eq!(ErrorKind::from_name("other"), None);
    assert!(
        Operation::GetVersion
            .docs_url()
            .is_some_and(|u| u.starts_with(GET_VERSION_DOCS)),
        "{:?}",
        Operation::GetVersion.docs_url()
    );
}

#[tokio::test]
async fn every_kind_comes_from_the_situation_it_names() {
    let fake = FakeServer::start().await;
    let client = client_for(fake.url())
        .timeout(Some(Duration::from_millis(300)))
        .build()
        .unwrap();

    // Sonoran's 429, with its request id.
    fake.inject(Fault::on(
        "getVersion",
        FaultKind::RateLimited {
            retry_after: Some(RetryAfter::Seconds(7)),
        },
    ));
    let e = client.get_version().await.unwrap_err();
    check(&e, ErrorKind::RateLimited);
    assert_eq!(e.status(), Some(429));
    assert_eq!(e.attempts(), Some(1));
    assert!(e.request_id().is_some(), "the 429 body's request_id");

    // The documented plan refusals (v1 texts) and a 403.
    for text in [
        "API IS NOT ENABLED FOR THIS COMMUNITY",
        "API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY",
    ] {
        fake.inject(Fault::on(
            "getVersionV1",
            FaultKind::V1Text {
                status: 400,
                text: text.into(),
            },
        ));
        let e = client.v1().get_version_v1().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PlanRefused, "{text}");
        assert_eq!(e.status(), Some(400));
        assert_eq!(e.operation(), Some("getVersionV1"));
        assert_eq!(e.docs_url(), Operation::GetVersionV1.docs_url());
        assert!(e.docs_url().is_some());
        assert!(e.to_string().contains("subscription"), "{e}");
    }
    fake.inject(Fault::on(
        "getVersion",
        FaultKind::Problem {
            status: 403,
            title: "Forbidden".into(),
            detail: "The API key may not do this.".into(),
        },
    ));
    let e = client.get_version().await.unwrap_err();
    check(&e, ErrorKind::PermissionDenied);
    assert_eq!(e.status(), Some(403));
    assert!(e.request_id().is_some(), "problem+json's traceId");
    // Any other refusal is `api`: a documented text without a kind of its own, a 404.
    fake.inject(Fault::on(
        "getVersionV1",
        FaultKind::V1Text {
            status: 400,
            text: "INVALID API KEY".into(),
        },
    ));
    let e = client.v1().get_version_v1().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Api);
    fake.inject(Fault::on(
        "getVersion",
        FaultKind::Problem {
            status: 404,
            title: "Not Found".into(),
            detail: "Server 9 is not configured.".into(),
        },
    ));
    check(&client.get_version().await.unwrap_err(), ErrorKind::Api);

    // A reply of the wrong shape, and one too long.
    fake.inject(Fault::on(
        "getVersion",
        FaultKind::Json {
            status: 200,
            body: serde_json::json!({"version": "two"}),
        },
    ));
    check(
        &client.get_version().await.unwrap_err(),
        ErrorKind::MalformedReply,
    );
    let capped = client_for(fake.url())
        .max_reply_bytes(1024)
        .build()
        .unwrap();
    fake.inject(Fault::on(
        "getVersion",
        FaultKind::Oversized { bytes: 1 << 20 },
    ));
    assert_eq!(
        capped.get_version().await.unwrap_err().kind(),
        ErrorKind::ReplyTooLarge
    );

    // No reply within the deadline.
    fake.inject(Fault::on(
        "getVersion",
        FaultKind::Delay(Duration::from_secs(3)),
    ));
    let e = client.get_version().await.unwrap_err();
    check(&e, ErrorKind::Timeout);
    assert_eq!(e.status(), None);
    // A call's own, longer deadline replaces the client's 300 ms (which the HTTP client
    // itself enforces on a request given no timeout of its own).
    fake.inject(Fault::on(
        "getVersion",
        FaultKind::Delay(Duration::from_millis(900)),
    ));
    client
        .get_version()
        .timeout(Duration::from_secs(20))
        .await
        .unwrap();

    // The connection broke mid-reply; nothing listening.
    fake.inject(Fault::on("getVersion", FaultKind::Truncate));
    check(
        &client.get_version().await.unwrap_err(),
        ErrorKind::Transport,
    );
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let nowhere = client_for(closed).build().unwrap();
    check(
        &nowhere.get_version().await.unwrap_err(),
        ErrorKind::Transport,
    );

    // Refused before sending.
    let bad = client_for(fake.url()).api_key("bad\nkey").build().unwrap();
    fake.clear_requests();
    let e = bad.get_version().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidRequest, "{e:?}");
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn the_clients_own_pacing_refusal_is_not_sonorans_429() {
    let fake = FakeServer::start().await;
    let client = client_for(fake.url())
        .rate_limit(
            RateLimitPolicy::documented()
                .with_limit(Operation::GetVersion, 1)
                .with_window(Duration::from_secs(10))
                .with_margin(Duration::ZERO),
        )
        .build()
        .unwrap();
    let clock = VirtualClock::install(SystemTime::UNIX_EPOCH);
    client.get_version().await.unwrap();
    fake.clear_requests();
    let e = client
        .get_version()
        .timeout(Duration::from_secs(2))
        .await
        .unwrap_err();
    assert_eq!(clock.elapsed(), Duration::ZERO, "refused at once");
    check(&e, ErrorKind::PacingRefused);
    assert_ne!(e.kind(), ErrorKind::RateLimited);
    assert_eq!((e.status(), e.attempts()), (None, Some(0)));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(10)));
    assert!(fake.requests().is_empty(), "nothing was sent");
    assert!(!e.to_string().contains("rate limited by the Sonoran API"));
}
