//! Each injected fault kind, matching by operation, `times`, clearing.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use sonoran_fake::{FakeServer, Fault, FaultKind, RetryAfter};
use std::time::{Duration, SystemTime};

const VERSION: &str = "/v2/general/version";

#[tokio::test]
async fn rate_limited_with_seconds_and_date() {
    let fake = FakeServer::start().await;
    fake.inject(Fault::on(
        "getVersion",
        FaultKind::RateLimited {
            retry_after: Some(RetryAfter::Seconds(7)),
        },
    ));
    let r = v2(&fake.url(), Method::GET, VERSION, None).await;
    assert_eq!(r.status(), 429);
    assert_eq!(content_type(&r), "application/json");
    assert_eq!(r.headers()["retry-after"], "7");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["message"], "API rate limit exceeded");
    assert!(body["request_id"].is_string());

    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
    fake.inject(Fault::any(FaultKind::RateLimited {
        retry_after: Some(RetryAfter::Date(at)),
    }));
    let r = v2(&fake.url(), Method::GET, VERSION, None).await;
    assert_eq!(r.headers()["retry-after"], "Sun, 06 Nov 1994 08:49:37 GMT");

    fake.inject(Fault::any(FaultKind::RateLimited { retry_after: None }));
    let r = v2(&fake.url(), Method::GET, VERSION, None).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_none());

    let r = v2(&fake.url(), Method::GET, VERSION, None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(fake.stats().rate_limited, 3);
    assert_eq!(fake.stats().requests, 4);
}

#[tokio::test]
async fn status_is_problem_on_v2_and_text_on_v1() {
    let fake = FakeServer::start().await;
    fake.inject(Fault::any(FaultKind::Status(503)).times(2));
    let r = v2(&fake.url(), Method::GET, VERSION, None).await;
    let p = problem(r, 503).await;
    assert_eq!(p["title"], "Service Unavailable");
    let r = v1(
        &fake.url(),
        "/general/get_version",
        "GET_VERSION",
        json!([]),
    )
    .await;
    assert_eq!(r.status(), 503);
    assert!(content_type(&r).starts_with("text/plain"));
    assert_eq!(r.text().await.unwrap(), "Service Unavailable");
    let r = v2(&fake.url(), Method::GET, VERSION, None).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn faults_apply_before_auth_and_only_to_their_operation() {
    let fake = FakeServer::start().await;
    fake.inject(Fault::on("getVersion", FaultKind::Status(500)));
    let r = v2(&fake.url(), Method::GET, "/v2/general/info", None).await;
    assert_eq!(r.status(), 200);
    let r = client()
        .get(format!("{}{VERSION}", fake.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
}

#[tokio::test]
async fn problem_and_v1_text() {
    let fake = FakeServer::start().await;
    fake.inject(Fault::any(FaultKind::Problem {
        status: 404,
        title: "Not Found".into(),
        detail: "Server 9 is not configured.".into(),
    }));
    let r = v2(
        &fake.url(),
        Method::GET,
        "/v2/emergency/servers/9/calls",
        None,
    )
    .await;
    let p = problem(r, 404).await;
    assert_eq!(p["detail"], "Server 9 is not configured.");
    assert_eq!(p["instance"], "/v2/emergency/servers/9/calls");

    fake.inject(Fault::on(
        "getServersV1",
        FaultKind::V1Text {
            status: 400,
            text: "API IS NOT ENABLED FOR THIS COMMUNITY".into(),
        },
    ));
    let r = v1(
        &fake.url(),
        "/general/get_servers",
        "GET_SERVERS",
        json!([]),
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(content_type(&r).starts_with("text/plain"));
    assert_eq!(
        r.text().await.unwrap(),
        "API IS NOT ENABLED FOR THIS COMMUNITY"
    );
}

/// On tokio's paused clock, with the fake on the test's runtime: the fake's delay is a
/// timer, so the reply comes exactly that much virtual time later. (Nothing else in this
/// exchange sets a timer, so the clock, which jumps to the next timer whenever the runtime
/// waits, can only jump to the delay's end.)
#[tokio::test(start_paused = true)]
async fn delay_then_normal_answer() {
    let fake = FakeServer::start().await;
    let pause = Duration::from_millis(150);
    fake.inject(Fault::on("getVersion", FaultKind::Delay(pause)));
    let started = tokio::time::Instant::now();
    let r = v2(&fake.url(), Method::GET, VERSION, None).await;
    assert_eq!(
        started.elapsed(),
        pause,
        "delayed by exactly the fault's pause"
    );
    assert_eq!(r.status(), 200);
    // A delayed request still goes through auth.
    fake.inject(Fault::on(
        "getVersion",
        FaultKind::Delay(Duration::from_millis(1)),
    ));
    let r = client()
        .get(format!("{}{VERSION}", fake.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn truncate_cuts_the_body_short() {
    let fake = FakeServer::start().await;
    fake.inject(Fault::on("getServers", FaultKind::Truncate));
    let r = v2(&fake.url(), Method::GET, "/v2/general/servers", None).await;
    assert_eq!(r.status(), 200);
    let announced: usize = r.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(announced > 0);
    assert!(r.bytes().await.is_err(), "the body must end early");
    // The next request (new connection or not) is answered in full.
    let r = v2(&fake.url(), Method::GET, "/v2/general/servers", None).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert!(body.is_object() || body.is_array());
}

#[tokio::test]
async fn clear_faults_and_times() {
    let fake = FakeServer::start().await;
    fake.inject(Fault::any(FaultKind::Status(502)).times(3));
    let r = v2(&fake.url(), Method::GET, VERSION, None).await;
    assert_eq!(r.status(), 502);
    fake.clear_faults();
    let r = v2(&fake.url(), Method::GET, VERSION, None).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let fake = FakeServer::start().await;
    let url = format!("{}{VERSION}", fake.url());
    fake.shutdown().await;
    assert!(client().get(&url).send().await.is_err());
}
