//! The HTTP control API under `/__fake/`, driven over HTTP as a Node or browser test would.

mod common;

use common::*;
use reqwest::{Method, Response};
use serde_json::{Value, json};
use sonoran_fake::{FakeServer, Fault, FaultKind};
use std::time::Duration;

const VERSION: &str = "/v2/general/version";
/// getPagerConfig allows 2 requests a minute.
const PAGER: &str = "/v2/emergency/servers/1/pager-config";

async fn get(base: &str, path: &str) -> Response {
    client().get(format!("{base}{path}")).send().await.unwrap()
}

async fn post(base: &str, path: &str, body: Option<Value>) -> Response {
    let mut req = client().post(format!("{base}{path}"));
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}

/// `POST /__fake/faults`, asserting 204.
async fn inject(base: &str, fault: Value) {
    let r = post(base, "/__fake/faults", Some(fault)).await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
}

/// The JSON of a 200 control reply.
async fn ok_json(r: Response) -> Value {
    assert_eq!(r.status(), 200);
    assert_eq!(content_type(&r), "application/json");
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    r.json().await.unwrap()
}

/// The `error` of a JSON error reply with `status`.
async fn control_error(r: Response, status: u16) -> String {
    assert_eq!(r.status().as_u16(), status);
    assert_eq!(content_type(&r), "application/json");
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let body: Value = r.json().await.unwrap();
    body["error"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn info_gives_credentials_and_url() {
    let fake = FakeServer::builder()
        .community_id("c1")
        .api_key("k1")
        .start()
        .await;
    let info = ok_json(get(&fake.url(), "/__fake/info").await).await;
    assert_eq!(
        info,
        json!({"communityId": "c1", "apiKey": "k1", "url": fake.url(), "wsUrl": fake.ws_url()})
    );
}

#[tokio::test]
async fn requests_lists_what_was_sent_but_not_control_calls() {
    let fake = FakeServer::start().await;
    let base = fake.url();
    let r = v2(
        &base,
        Method::GET,
        "/v2/emergency/servers/1/units?limit=5",
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
    let data = json!([{"apiId": "STEAM:1", "add": ["POLICE"]}]);
    let r = v1(
        &base,
        "/general/set_account_permissions",
        "SET_ACCOUNT_PERMISSIONS",
        data.clone(),
    )
    .await;
    assert_eq!(r.status(), 200);
    let r = client()
        .post(format!("{base}/nowhere"))
        .header("X-Twice", "a")
        .header("X-Twice", "b")
        .body(vec![b'h', b'i', 0xff])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    get(&base, "/__fake/stats").await;

    let list = ok_json(get(&base, "/__fake/requests").await).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3, "{list:#?}");

    let first = &list[0];
    assert_eq!(first["method"], "GET");
    assert_eq!(first["path"], "/v2/emergency/servers/1/units");
    assert_eq!(first["query"], "limit=5");
    assert_eq!(first["headers"]["authorization"], format!("Bearer {KEY}"));
    assert_eq!(first["body"], "");
    assert_eq!(first["json"], Value::Null);
    assert_eq!(first["operationId"], "getActiveUnits");

    let second = &list[1];
    assert_eq!(second["method"], "POST");
    assert_eq!(second["query"], Value::Null);
    assert_eq!(second["headers"]["content-type"], "application/json");
    assert_eq!(second["json"]["data"], data);
    assert_eq!(second["json"]["type"], "SET_ACCOUNT_PERMISSIONS");
    let text: Value = serde_json::from_str(second["body"].as_str().unwrap()).unwrap();
    assert_eq!(text, second["json"]);
    assert_eq!(second["operationId"], "setAccountPermissionsV1");

    let third = &list[2];
    assert_eq!(third["operationId"], Value::Null);
    assert_eq!(third["headers"]["x-twice"], "a, b");
    assert_eq!(third["body"], "hi\u{fffd}");
    assert_eq!(third["json"], Value::Null);

    // Neither recorded nor counted.
    assert_eq!(fake.requests().len(), 3);
    assert_eq!(fake.stats().requests, 3);
}

#[tokio::test]
async fn stats_counts_requests_and_429s() {
    let fake = FakeServer::start().await;
    let base = fake.url();
    let stats = ok_json(get(&base, "/__fake/stats").await).await;
    assert_eq!(stats, json!({"requests": 0, "rateLimited": 0}));
    inject(
        &base,
        json!({"operationId": "getVersion", "kind": {"type": "rateLimited"}}),
    )
    .await;
    assert_eq!(v2(&base, Method::GET, VERSION, None).await.status(), 429);
    assert_eq!(v2(&base, Method::GET, VERSION, None).await.status(), 200);
    let stats = ok_json(get(&base, "/__fake/stats").await).await;
    assert_eq!(stats, json!({"requests": 2, "rateLimited": 1}));
}

#[tokio::test]
async fn reset_clears_requests_faults_windows_and_stats() {
    let fake = FakeServer::builder()
        .enforce_rate_limits(true)
        .start()
        .await;
    let base = fake.url();
    for _ in 0..3 {
        v2(&base, Method::GET, PAGER, None).await;
    }
    assert_eq!(fake.stats().rate_limited, 1);
    inject(&base, json!({"kind": {"type": "status", "status": 500}})).await;

    let r = post(&base, "/__fake/reset", None).await;
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert!(r.bytes().await.unwrap().is_empty());

    assert_eq!(
        ok_json(get(&base, "/__fake/requests").await).await,
        json!([])
    );
    let stats = ok_json(get(&base, "/__fake/stats").await).await;
    assert_eq!(stats, json!({"requests": 0, "rateLimited": 0}));
    // No fault left, and the window of 2 is free again.
    assert_eq!(v2(&base, Method::GET, PAGER, None).await.status(), 200);
    assert_eq!(v2(&base, Method::GET, PAGER, None).await.status(), 200);
    assert_eq!(v2(&base, Method::GET, PAGER, None).await.status(), 429);
}

/// On tokio's paused clock (the fake runs on the test's runtime): the delay is asserted
/// exactly in virtual time.
#[tokio::test(start_paused = true)]
async fn faults_of_each_kind() {
    let fake = FakeServer::start().await;
    let base = fake.url();

    inject(
        &base,
        json!({"operationId": "getVersion", "times": 2,
               "kind": {"type": "rateLimited", "retryAfterSeconds": 7}}),
    )
    .await;
    // Only getVersion is affected.
    assert_eq!(
        v2(&base, Method::GET, "/v2/general/info", None)
            .await
            .status(),
        200
    );
    for _ in 0..2 {
        let r = v2(&base, Method::GET, VERSION, None).await;
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "7");
    }
    assert_eq!(v2(&base, Method::GET, VERSION, None).await.status(), 200);

    let date = "Sun, 06 Nov 1994 08:49:37 GMT";
    inject(
        &base,
        json!({"kind": {"type": "rateLimited", "retryAfterDate": date}}),
    )
    .await;
    let r = v2(&base, Method::GET, VERSION, None).await;
    assert_eq!(r.headers()["retry-after"], date);

    inject(&base, json!({"kind": {"type": "status", "status": 503}})).await;
    let p = problem(v2(&base, Method::GET, VERSION, None).await, 503).await;
    assert_eq!(p["title"], "Service Unavailable");

    inject(
        &base,
        json!({"kind": {"type": "problem", "status": 404, "title": "Not Found", "detail": "No server 9."}}),
    )
    .await;
    let p = problem(v2(&base, Method::GET, VERSION, None).await, 404).await;
    assert_eq!(p["detail"], "No server 9.");

    inject(
        &base,
        json!({"operationId": "getVersionV1",
               "kind": {"type": "v1Text", "status": 400, "text": "INVALID API KEY"}}),
    )
    .await;
    let r = v1(&base, "/general/get_version", "GET_VERSION", json!([])).await;
    assert_eq!(r.status(), 400);
    assert!(content_type(&r).starts_with("text/plain"));
    assert_eq!(r.text().await.unwrap(), "INVALID API KEY");

    inject(&base, json!({"kind": {"type": "delayMs", "ms": 150}})).await;
    let started = tokio::time::Instant::now();
    assert_eq!(v2(&base, Method::GET, VERSION, None).await.status(), 200);
    assert_eq!(
        started.elapsed(),
        Duration::from_millis(150),
        "delayed by exactly delayMs"
    );

    inject(
        &base,
        json!({"operationId": "getServers", "kind": {"type": "truncate"}}),
    )
    .await;
    let r = v2(&base, Method::GET, "/v2/general/servers", None).await;
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.is_err(), "the body must end early");

    assert_eq!(v2(&base, Method::GET, VERSION, None).await.status(), 200);
}

#[tokio::test]
async fn malformed_faults_get_400_naming_the_problem() {
    let fake = FakeServer::start().await;
    let base = fake.url();
    let cases = [
        (json!({"kind": {"type": "status"}}), "kind.status"),
        (
            json!({"kind": {"type": "status", "status": "503"}}),
            "kind.status",
        ),
        (
            json!({"kind": {"type": "status", "status": 42}}),
            "kind.status",
        ),
        (json!({"kind": {"type": "sometimes"}}), "kind.type"),
        (json!({"kind": {"status": 500}}), "kind.type"),
        (json!({"times": 2}), "kind"),
        (json!({"times": -1, "kind": {"type": "truncate"}}), "times"),
        (
            json!({"operation_id": "getVersion", "kind": {"type": "truncate"}}),
            "operation_id",
        ),
        (
            json!({"operationId": "getVersio", "kind": {"type": "truncate"}}),
            "operationId",
        ),
        (
            json!({"kind": {"type": "rateLimited", "retryAfterDate": "tomorrow"}}),
            "kind.retryAfterDate",
        ),
        (
            json!({"kind": {"type": "v1Text", "status": 400}}),
            "kind.text",
        ),
        (json!({"kind": {"type": "delayMs", "ms": 1.5}}), "kind.ms"),
        (json!({"kind": {"type": "truncate", "ms": 1}}), "kind.ms"),
        (json!(["status"]), "body"),
    ];
    for (body, field) in cases {
        let r = post(&base, "/__fake/faults", Some(body.clone())).await;
        let message = control_error(r, 400).await;
        assert!(
            message.starts_with(&format!("{field}:")),
            "{body} -> {message}"
        );
    }
    let r = client()
        .post(format!("{base}/__fake/faults"))
        .header("content-type", "application/json")
        .body("{\"kind\": ")
        .send()
        .await
        .unwrap();
    assert!(
        control_error(r, 400)
            .await
            .starts_with("body: not valid JSON")
    );
    // Nothing was queued.
    assert_eq!(v2(&base, Method::GET, VERSION, None).await.status(), 200);
}

#[tokio::test]
async fn unknown_endpoints_and_wrong_methods() {
    let fake = FakeServer::start().await;
    let base = fake.url();
    let message = control_error(get(&base, "/__fake/nothing").await, 404).await;
    assert!(message.contains("/__fake/requests"), "{message}");
    let r = get(&base, "/__fake/reset").await;
    assert_eq!(r.headers()["allow"], "POST");
    control_error(r, 405).await;
    let r = post(&base, "/__fake/requests", None).await;
    assert_eq!(r.headers()["allow"], "GET");
    control_error(r, 405).await;
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn preflights_to_control_endpoints() {
    let fake = FakeServer::start().await;
    let r = client()
        .request(Method::OPTIONS, format!("{}/__fake/faults", fake.url()))
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let h = r.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    assert!(
        h["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    assert!(
        h["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("content-type")
    );
    let r = get(&fake.url(), "/__fake/stats").await;
    assert_eq!(r.headers()["access-control-expose-headers"], "retry-after");
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn can_be_turned_off() {
    let fake = FakeServer::builder().control_api(false).start().await;
    let r = get(&fake.url(), "/__fake/info").await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.text().await.unwrap(), "INVALID REQUEST TYPE");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn handle_reset_matches_the_endpoint() {
    let fake = FakeServer::start().await;
    fake.inject(Fault::any(FaultKind::Status(500)));
    fake.reset();
    assert_eq!(
        v2(&fake.url(), Method::GET, VERSION, None).await.status(),
        200
    );
    fake.reset();
    assert!(fake.requests().is_empty());
    assert_eq!(fake.stats().requests, 0);
}

#[tokio::test]
async fn the_request_log_keeps_only_the_most_recent_up_to_its_limit() {
    assert_eq!(sonoran_fake::DEFAULT_RECORD_LIMIT, 10_000);
    let fake = FakeServer::builder().record_limit(3).start().await;
    let base = fake.url();
    for limit in 1..=5 {
        let path = format!("/v2/emergency/servers/1/units?limit={limit}");
        assert_eq!(v2(&base, Method::GET, &path, None).await.status(), 200);
    }
    let queries: Vec<Option<String>> = fake.requests().into_iter().map(|r| r.query).collect();
    assert_eq!(
        queries,
        ["limit=3", "limit=4", "limit=5"].map(|q| Some(q.to_string())),
        "the two oldest were forgotten, the order kept"
    );
    let list = ok_json(get(&base, "/__fake/requests").await).await;
    assert_eq!(list.as_array().unwrap().len(), 3);
    // The counters still count every request.
    assert_eq!(fake.stats().requests, 5);
}
