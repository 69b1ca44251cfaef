//! Request checks: bodies against the operation's schema, path and query parameters,
//! content types, multipart uploads.

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;
use sonoran_fake::FakeServer;

#[tokio::test]
async fn v2_typed_body_accepted() {
    let fake = FakeServer::start().await;
    let body =
        json!({"communityUserId": "player-1234", "add": ["POLICE", "DISPATCH"], "active": true});
    let r = v2(
        &fake.url(),
        Method::PATCH,
        "/v2/general/accounts/permissions",
        Some(body),
    )
    .await;
    assert_eq!(r.status(), 200);
    let reply: serde_json::Value = r.json().await.unwrap();
    assert_eq!(reply["active"], true);
}

#[tokio::test]
async fn v2_typed_body_rejected_names_the_field() {
    let fake = FakeServer::start().await;
    let body = json!({"communityUserId": "player-1234", "add": ["POLICE", "FOO"]});
    let r = v2(
        &fake.url(),
        Method::PATCH,
        "/v2/general/accounts/permissions",
        Some(body),
    )
    .await;
    let p = problem(r, 400).await;
    let detail = p["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("body.add[1]: \"FOO\" is not one of ["),
        "{detail}"
    );
    assert_eq!(p["instance"], "/v2/general/accounts/permissions");

    let body = json!({"communityUserIds": ["p"]});
    let r = v2(
        &fake.url(),
        Method::PATCH,
        "/v2/emergency/servers/1/units/status",
        Some(body),
    )
    .await;
    assert_eq!(
        problem(r, 400).await["detail"],
        "body: missing required property \"status\""
    );

    let body = json!({"communityUserIds": "p", "status": 3});
    let r = v2(
        &fake.url(),
        Method::PATCH,
        "/v2/emergency/servers/1/units/status",
        Some(body),
    )
    .await;
    assert_eq!(
        problem(r, 400).await["detail"],
        "body.communityUserIds: expected an array, got \"p\""
    );
}

#[tokio::test]
async fn v2_body_must_be_json() {
    let fake = FakeServer::start().await;
    let url = format!("{}/v2/emergency/servers/1/units/status", fake.url());
    let r = client().patch(&url).bearer_auth(KEY).send().await.unwrap();
    let detail = problem(r, 400).await["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("required"), "{detail}");

    let r = client()
        .patch(&url)
        .bearer_auth(KEY)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    let detail = problem(r, 400).await["detail"].as_str().unwrap().to_owned();
    assert!(detail.starts_with("body: not valid JSON"), "{detail}");

    let r = client()
        .patch(&url)
        .bearer_auth(KEY)
        .header("content-type", "text/plain")
        .body(r#"{"status":1}"#)
        .send()
        .await
        .unwrap();
    problem(r, 415).await;
}

#[tokio::test]
async fn path_and_query_parameters_are_typed() {
    let fake = FakeServer::start().await;
    let r = v2(
        &fake.url(),
        Method::GET,
        "/v2/emergency/servers/abc/units",
        None,
    )
    .await;
    assert_eq!(
        problem(r, 400).await["detail"],
        "path.serverId: expected an integer, got \"abc\""
    );
    let r = v2(
        &fake.url(),
        Method::GET,
        "/v2/emergency/servers/2/units?limit=x",
        None,
    )
    .await;
    assert_eq!(
        problem(r, 400).await["detail"],
        "query.limit: expected an integer, got \"x\""
    );
    let r = v2(
        &fake.url(),
        Method::GET,
        "/v2/emergency/servers/2/units?limit=5&onlyUnits=true&other=1",
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
    // PATCH on the literal `close` falls to the template and fails the integer check.
    let r = v2(
        &fake.url(),
        Method::PATCH,
        "/v2/emergency/servers/1/dispatch-calls/close",
        Some(json!({})),
    )
    .await;
    assert_eq!(
        problem(r, 400).await["detail"],
        "path.callId: expected an integer, got \"close\""
    );
}

#[tokio::test]
async fn v1_body_rejected_as_text() {
    let fake = FakeServer::start().await;
    let data = json!([{"apiId": "STEAM:1", "add": ["POLICE", "FOO"]}]);
    let r = v1(
        &fake.url(),
        "/general/set_account_permissions",
        "SET_ACCOUNT_PERMISSIONS",
        data,
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(content_type(&r).starts_with("text/plain"));
    let text = r.text().await.unwrap();
    assert!(
        text.starts_with("body.data[0].add[1]: \"FOO\" is not one of ["),
        "{text}"
    );

    let r = v1(
        &fake.url(),
        "/general/get_version",
        "GET_VERSION",
        json!([{}]),
    )
    .await;
    assert_eq!(
        r.text().await.unwrap(),
        "body.data: 1 items, at most 0 allowed"
    );
}

fn multipart_body(boundary: &str) -> Vec<u8> {
    format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"durationMs\"\r\n\r\n1000\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.webm\"\r\n\
         Content-Type: video/webm\r\n\r\nWEBM\r\n--{boundary}--\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn multipart_uploads() {
    let fake = FakeServer::start().await;
    let v2_url = format!("{}/v2/general/bodycam-recordings", fake.url());
    let r = client()
        .post(&v2_url)
        .bearer_auth(KEY)
        .header("content-type", "multipart/form-data; boundary=XyZ")
        .body(multipart_body("XyZ"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let urls: Vec<String> = r.json().await.unwrap();
    assert_eq!(urls.len(), 1);

    let r = client()
        .post(&v2_url)
        .bearer_auth(KEY)
        .json(&json!({"durationMs": 1}))
        .send()
        .await
        .unwrap();
    let detail = problem(r, 400).await["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("multipart/form-data"), "{detail}");

    let r = client()
        .post(format!("{}/upload", fake.url()))
        .header("content-type", "multipart/form-data; boundary=b1")
        .body(multipart_body("b1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client()
        .post(format!("{}/upload", fake.url()))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(content_type(&r).starts_with("text/plain"));
}
