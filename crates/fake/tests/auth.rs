//! Authentication: v2 bearer key, v1 envelope id/key/type.

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;
use sonoran_fake::FakeServer;

#[tokio::test]
async fn v2_missing_wrong_and_right_key() {
    let fake = FakeServer::start().await;
    let url = format!("{}/v2/general/version", fake.url());

    let r = client().get(&url).send().await.unwrap();
    let p = problem(r, 401).await;
    assert_eq!(p["title"], "Unauthorized");
    assert_eq!(p["status"], 401);
    assert_eq!(p["detail"], "Missing Authorization header.");
    assert_eq!(p["instance"], "/v2/general/version");
    assert!(p["type"].is_string() && p["traceId"].is_string());

    let r = client().get(&url).bearer_auth("nope").send().await.unwrap();
    assert_eq!(problem(r, 401).await["detail"], "Invalid API key.");

    let r = client()
        .get(&url)
        .header("authorization", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 401).await["detail"], "Invalid API key.");

    let r = v2(&fake.url(), Method::GET, "/v2/general/version", None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(content_type(&r), "application/json");
}

#[tokio::test]
async fn v2_login_page_needs_no_key() {
    let fake = FakeServer::start().await;
    let r = client()
        .get(format!(
            "{}/v2/general/login-page?communityId=x",
            fake.url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["comId"].is_string());
}

#[tokio::test]
async fn custom_key_and_community() {
    let fake = FakeServer::builder()
        .community_id("c1")
        .api_key("k1")
        .start()
        .await;
    assert_eq!((fake.community_id(), fake.api_key()), ("c1", "k1"));
    let r = client()
        .get(format!("{}/v2/general/version", fake.url()))
        .bearer_auth("k1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = v2(&fake.url(), Method::GET, "/v2/general/version", None).await;
    assert_eq!(r.status(), 401);
    let envelope = json!({"id": "c1", "key": "k1", "type": "GET_VERSION", "data": []});
    let r = client()
        .post(format!("{}/general/get_version", fake.url()))
        .json(&envelope)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

async fn v1_reply(base: &str, body: serde_json::Value) -> (u16, String, String) {
    let r = client()
        .post(format!("{base}/general/get_version"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ct = content_type(&r);
    (status, ct, r.text().await.unwrap())
}

#[tokio::test]
async fn v1_wrong_id_key_and_type() {
    let fake = FakeServer::start().await;
    let base = fake.url();
    let text = "text/plain; charset=utf-8".to_owned();

    let wrong_id = json!({"id": "x", "key": KEY, "type": "GET_VERSION", "data": []});
    assert_eq!(
        v1_reply(&base, wrong_id).await,
        (400, text.clone(), "INVALID COMMUNITY ID".into())
    );

    let wrong_key = json!({"id": COMMUNITY, "key": "x", "type": "GET_VERSION", "data": []});
    assert_eq!(
        v1_reply(&base, wrong_key).await,
        (400, text.clone(), "INVALID API KEY".into())
    );

    let wrong_type = json!({"id": COMMUNITY, "key": KEY, "type": "GET_SERVERS", "data": []});
    assert_eq!(
        v1_reply(&base, wrong_type).await,
        (400, text.clone(), "INVALID REQUEST TYPE".into())
    );

    let missing = json!({"data": []});
    assert_eq!(v1_reply(&base, missing).await.2, "INVALID COMMUNITY ID");

    let right = json!({"id": COMMUNITY, "key": KEY, "type": "GET_VERSION", "data": []});
    assert_eq!(v1_reply(&base, right).await.0, 200);
}

#[tokio::test]
async fn v1_body_not_json() {
    let fake = FakeServer::start().await;
    let r = client()
        .post(format!("{}/general/get_version", fake.url()))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(content_type(&r).starts_with("text/plain"));
    assert!(r.text().await.unwrap().contains("not valid JSON"));

    let r = client()
        .post(format!("{}/general/get_version", fake.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(content_type(&r).starts_with("text/plain"));
}

#[tokio::test]
async fn v1_join_or_leave_takes_either_type() {
    let fake = FakeServer::start().await;
    for kind in ["JOIN_COMMUNITY", "LEAVE_COMMUNITY"] {
        let body = json!({
            "id": COMMUNITY, "key": KEY, "internalKey": "", "type": kind,
            "data": [{"account": "000-000"}]
        });
        let r = client()
            .post(format!("{}/sso/community", fake.url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{kind}");
    }
    let r = v1(&fake.url(), "/sso/community", "GET_VERSION", json!([])).await;
    assert_eq!(r.text().await.unwrap(), "INVALID REQUEST TYPE");
}
