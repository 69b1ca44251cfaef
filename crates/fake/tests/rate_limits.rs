//! Documented rate limits (`x-rate-limit-per-minute`), enforced on request. Assertions are on
//! counts; the only wait is one honoured `Retry-After` of a second.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use sonoran_fake::FakeServer;
use std::time::Duration;

/// getPagerConfig allows 2 requests a minute.
const PAGER: &str = "/v2/emergency/servers/1/pager-config";

#[tokio::test]
async fn off_by_default() {
    let fake = FakeServer::start().await;
    for _ in 0..5 {
        let r = v2(&fake.url(), Method::GET, PAGER, None).await;
        assert_eq!(r.status(), 200);
    }
    assert_eq!(fake.stats().rate_limited, 0);
}

#[tokio::test]
async fn limit_per_operation_with_retry_after() {
    let fake = FakeServer::builder()
        .enforce_rate_limits(true)
        .start()
        .await;
    let mut statuses = Vec::new();
    let mut retry_after = Vec::new();
    for _ in 0..5 {
        let r = v2(&fake.url(), Method::GET, PAGER, None).await;
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            assert_eq!(content_type(&r), "application/json");
            let secs: u64 = r.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            retry_after.push(secs);
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["message"], "API rate limit exceeded");
        }
    }
    assert_eq!(statuses, [200, 200, 429, 429, 429]);
    // Time scale 1: the oldest request leaves the window within the minute.
    assert!(
        retry_after.iter().all(|s| (1..=60).contains(s)),
        "{retry_after:?}"
    );
    assert_eq!(fake.stats().rate_limited, 3);
    assert_eq!(fake.stats().requests, 5);

    // Other operations and unauthenticated requests are not affected.
    let r = v2(&fake.url(), Method::GET, "/v2/general/version", None).await;
    assert_eq!(r.status(), 200);
    let r = client()
        .get(format!("{}{PAGER}", fake.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // v1 calls have no documented limit.
    for _ in 0..5 {
        let r = v1(
            &fake.url(),
            "/emergency/GET_PAGER_CONFIG",
            "GET_PAGER_CONFIG",
            json!([]),
        )
        .await;
        assert_eq!(r.status(), 200);
    }
}

#[tokio::test]
async fn honouring_retry_after_succeeds() {
    // One real second is a minute: the window is a second long.
    let fake = FakeServer::builder()
        .enforce_rate_limits(true)
        .time_scale(60.0)
        .start()
        .await;
    let mut limited = None;
    for _ in 0..20 {
        let r = v2(&fake.url(), Method::GET, PAGER, None).await;
        if r.status() == 429 {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status(), 200);
    }
    let limited = limited.expect("a 429 within 20 requests");
    let secs: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(secs, 1, "at least 1 second, and a scaled minute is one");
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let r = v2(&fake.url(), Method::GET, PAGER, None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(fake.stats().rate_limited, 1);
}
