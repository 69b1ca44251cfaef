//! Replies: documented examples, v1 text and JSON, status codes, routing, CORS, recording.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use sonoran_fake::FakeServer;

#[tokio::test]
async fn v1_text_and_json_replies() {
    let fake = FakeServer::start().await;
    let data = json!([{"apiId": "STEAM:1", "add": ["POLICE"]}]);
    let r = v1(
        &fake.url(),
        "/general/set_account_permissions",
        "SET_ACCOUNT_PERMISSIONS",
        data,
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(content_type(&r), "text/plain; charset=utf-8");
    assert_eq!(r.text().await.unwrap(), "User account permissions updated.");

    let r = v1(
        &fake.url(),
        "/general/get_servers",
        "GET_SERVERS",
        json!([]),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(content_type(&r), "application/json");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["servers"][0]["id"], 1);
}

#[tokio::test]
async fn lowest_2xx_is_answered() {
    let fake = FakeServer::start().await;
    let body = json!({"origin": 0, "status": 1, "priority": 1, "block": "", "address": "", "postal": "", "title": "", "code": "", "description": ""});
    let r = v2(
        &fake.url(),
        Method::POST,
        "/v2/emergency/servers/1/dispatch-calls",
        Some(body),
    )
    .await;
    assert_eq!(r.status(), 201);
    let call: Value = r.json().await.unwrap();
    assert_eq!(call["callId"], 501);
}

#[tokio::test]
async fn routing_literal_over_template() {
    let fake = FakeServer::start().await;
    let base = fake.url();
    let r = v2(
        &base,
        Method::POST,
        "/v2/emergency/servers/1/dispatch-calls/close",
        Some(json!({"callIds": [1]})),
    )
    .await;
    assert_eq!(r.status(), 200);
    let r = v2(
        &base,
        Method::PATCH,
        "/v2/emergency/servers/1/dispatch-calls/42",
        Some(json!({})),
    )
    .await;
    assert_eq!(r.status(), 200);
    let r = v2(
        &base,
        Method::GET,
        "/v2/general/accounts/account?accountUuid=00000000-0000-0000-0000-000000000000",
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
    let ops: Vec<Option<String>> = fake
        .requests()
        .into_iter()
        .map(|r| r.operation_id)
        .collect();
    assert_eq!(
        ops,
        [
            Some("closeDispatchCalls".into()),
            Some("updateDispatchCall".into()),
            Some("getAccount".into())
        ]
    );
}

#[tokio::test]
async fn unknown_routes_are_404() {
    let fake = FakeServer::start().await;
    let r = v2(&fake.url(), Method::GET, "/v2/nothing/here", None).await;
    let p = problem(r, 404).await;
    assert_eq!(p["title"], "Not Found");
    let r = v2(&fake.url(), Method::DELETE, "/v2/general/version", None).await;
    problem(r, 404).await;
    let r = v1(&fake.url(), "/general/nothing", "GET_VERSION", json!([])).await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.text().await.unwrap(), "INVALID REQUEST TYPE");
    assert_eq!(fake.requests()[0].operation_id, None);
}

#[tokio::test]
async fn cors_preflight_and_headers() {
    let fake = FakeServer::start().await;
    let r = client()
        .request(
            Method::OPTIONS,
            format!("{}/v2/general/version", fake.url()),
        )
        .header("origin", "http://localhost:1234")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let h = r.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    let methods = h["access-control-allow-methods"].to_str().unwrap();
    for m in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        assert!(methods.contains(m), "{methods}");
    }
    assert_eq!(
        h["access-control-allow-headers"],
        "authorization, content-type, accept, api-version"
    );
    assert!(h.contains_key("access-control-max-age"));

    let r = client()
        .get(format!("{}/v2/general/version", fake.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert_eq!(r.headers()["access-control-expose-headers"], "retry-after");
    // Preflights are neither recorded nor counted.
    assert_eq!(fake.requests().len(), 1);
    assert_eq!(fake.stats().requests, 1);
}

#[tokio::test]
async fn requests_are_recorded() {
    let fake = FakeServer::start().await;
    let r = v2(
        &fake.url(),
        Method::GET,
        "/v2/emergency/servers/1/units?limit=5",
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
    let r = v1(
        &fake.url(),
        "/general/get_version",
        "GET_VERSION",
        json!([]),
    )
    .await;
    assert_eq!(r.status(), 200);
    let seen = fake.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].path, "/v2/emergency/servers/1/units");
    assert_eq!(seen[0].query.as_deref(), Some("limit=5"));
    assert_eq!(seen[0].header("Authorization"), Some("Bearer YOUR_API_KEY"));
    assert_eq!(seen[0].operation_id.as_deref(), Some("getActiveUnits"));
    assert!(seen[0].body.is_empty());
    assert_eq!(seen[1].json().unwrap()["type"], "GET_VERSION");
    assert_eq!(seen[1].operation_id.as_deref(), Some("getVersionV1"));
    fake.clear_requests();
    assert!(fake.requests().is_empty());
}

/// Every operation's documented request example is accepted with the documented status.
#[tokio::test]
async fn every_documented_example_is_answered() {
    let spec: Value = serde_json::from_str(sonoran_fake::spec_json()).unwrap();
    let fake = FakeServer::start().await;
    let mut checked = 0;
    for (template, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let media = &op["requestBody"]["content"];
            if media.get("multipart/form-data").is_some() {
                continue;
            }
            let path = template
                .split('/')
                .map(|s| if s.starts_with('{') { "1" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            let path = path.replace(
                "/accounts/1",
                "/accounts/00000000-0000-0000-0000-000000000000",
            );
            let method: Method = method.to_uppercase().parse().unwrap();
            let mut req = client()
                .request(method, format!("{}{path}", fake.url()))
                .bearer_auth(KEY);
            if let Some(example) = media["application/json"].get("example") {
                req = req.json(example);
            }
            let r = req.send().await.unwrap();
            let expected: u16 = op["responses"]
                .as_object()
                .unwrap()
                .keys()
                .filter_map(|k| k.parse().ok())
                .filter(|c| (200..300).contains(c))
                .min()
                .unwrap();
            let status = r.status().as_u16();
            let text = r.text().await.unwrap();
            assert_eq!(status, expected, "{} {path}: {text}", op["operationId"]);
            checked += 1;
        }
    }
    assert!(checked > 120, "{checked}");
}
