//! The fake Sonoran CMS API (`FakeServer::cms()`), over real HTTP on loopback: every
//! documented v2 operation answers its documented example in the `{success, data, meta}`
//! envelope with the right Bearer key and problem+json 401 without it; bodies are validated;
//! the documented per-credential limits give a problem+json 429; the v1 envelope calls answer
//! and refuse as the CMS v1 pages say; the control API works the same as for CAD.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Map, Value, json};
use sonoran_fake::{DeliveryError, FakeApi, FakeServer};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn doc() -> Value {
    serde_json::from_str(FakeApi::Cms.spec_json()).unwrap()
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(doc, doc.pointer(&r[1..]).expect("a $ref that resolves")),
        None => schema,
    }
}

/// A small value that satisfies `schema`: required properties only, first enum value,
/// `1` for numbers (ids are positive), a UUID for `format: uuid`.
fn minimal(doc: &Value, schema: &Value) -> Value {
    let schema = resolve(doc, schema);
    if let Some(first) = schema.get("enum").and_then(|e| e.get(0)) {
        return first.clone();
    }
    if let Some(first) = ["oneOf", "anyOf"]
        .iter()
        .find_map(|k| schema.get(*k).and_then(|a| a.get(0)))
    {
        return minimal(doc, first);
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("string") if schema.get("format").and_then(Value::as_str) == Some("uuid") => {
            json!("67ceebae-ee63-43c1-a6a6-5234b2210abf")
        }
        Some("string") => json!("x"),
        Some("integer" | "number") => json!(1),
        Some("boolean") => json!(true),
        Some("array") => json!([]),
        _ => {
            let mut map = Map::new();
            for name in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                let sub = &schema["properties"][name];
                map.insert(name.to_owned(), minimal(doc, sub));
            }
            Value::Object(map)
        }
    }
}

/// One documented v2 operation, ready to send.
struct Call {
    id: String,
    method: Method,
    path: String,
    body: Option<Value>,
    status: u16,
    example: Option<Value>,
    limit: u64,
}

fn v2_calls(doc: &Value) -> Vec<Call> {
    let mut calls = Vec::new();
    for (template, item) in doc["paths"].as_object().unwrap() {
        if !template.starts_with("/v2/") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            let Ok(method) = method.to_ascii_uppercase().parse::<Method>() else {
                continue;
            };
            let mut path = template.clone();
            for p in op["parameters"].as_array().into_iter().flatten() {
                let p = resolve(doc, p);
                if p["in"] == "path" {
                    let value = match minimal(doc, &p["schema"]) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    path = path.replace(&format!("{{{}}}", p["name"].as_str().unwrap()), &value);
                }
            }
            let body = op
                .pointer("/requestBody/content/application~1json/schema")
                .map(|s| minimal(doc, s));
            let (status, response) = op["responses"]
                .as_object()
                .unwrap()
                .iter()
                .filter_map(|(code, r)| Some((code.parse::<u16>().ok()?, r)))
                .filter(|(code, _)| (200..300).contains(code))
                .min_by_key(|(code, _)| *code)
                .expect("a documented 2xx");
            calls.push(Call {
                id: op["operationId"].as_str().unwrap().to_owned(),
                method,
                path,
                body,
                status,
                example: response
                    .pointer("/content/application~1json/example")
                    .cloned(),
                limit: op["x-rate-limit-per-minute"].as_u64().expect("a limit"),
            });
        }
    }
    calls
}

async fn send(base: &str, call: &Call, key: Option<&str>) -> reqwest::Response {
    let mut req = client().request(call.method.clone(), format!("{base}{}", call.path));
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    if let Some(body) = &call.body {
        req = req.json(body);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn every_v2_operation_answers_its_documented_envelope() {
    let doc = doc();
    let calls = v2_calls(&doc);
    assert_eq!(calls.len(), 57);
    let fake = FakeServer::cms().start().await;
    assert_eq!(fake.api(), FakeApi::Cms);
    let base = fake.url();
    let mut enveloped = 0;
    for call in &calls {
        let r = send(&base, call, Some(KEY)).await;
        assert_eq!(r.status().as_u16(), call.status, "{}", call.id);
        let text = r.text().await.unwrap();
        match &call.example {
            Some(example) => {
                let body: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("{}: {e}: {text}", call.id));
                assert_eq!(&body, example, "{}", call.id);
                assert_eq!(body["success"], true, "{}", call.id);
                assert!(body.get("data").is_some(), "{}", call.id);
                assert!(body["meta"]["path"].is_string(), "{}", call.id);
                enveloped += 1;
            }
            None => assert_eq!(text, "", "{}", call.id),
        }
    }
    // cancelSession answers 204 without a body; every other one the envelope.
    assert_eq!(enveloped, 56);

    for call in &calls {
        let missing = problem(send(&base, call, None).await, 401).await;
        assert_eq!(
            missing["detail"], "Missing Authorization header.",
            "{}",
            call.id
        );
        assert_eq!(missing["instance"], call.path.as_str());
        let wrong = problem(send(&base, call, Some("not-the-key")).await, 401).await;
        assert_eq!(wrong["detail"], "Invalid API key.", "{}", call.id);
    }
    let recorded = fake.requests();
    assert_eq!(recorded.len(), calls.len() * 3);
    let expected = calls.iter().chain(calls.iter().flat_map(|c| [c, c]));
    assert!(
        recorded
            .iter()
            .zip(expected)
            .all(|(r, c)| r.operation_id.as_deref() == Some(c.id.as_str()))
    );
}

#[tokio::test]
async fn a_body_that_breaks_the_schema_gets_a_400_naming_the_field() {
    let fake = FakeServer::cms().start().await;
    let path = "/v2/community/accounts/67ceebae-ee63-43c1-a6a6-5234b2210abf/clock";
    let good = json!({"accId": "a", "intention": "in", "type": "patrol"});
    let r = v2(&fake.url(), Method::POST, path, Some(good)).await;
    assert_eq!(r.status(), 200);
    let bad = json!({"accId": 7, "intention": "in", "type": "patrol"});
    let p = problem(v2(&fake.url(), Method::POST, path, Some(bad)).await, 400).await;
    assert_eq!(p["detail"], "body.accId: expected a string, got 7");
    assert_eq!(p["instance"], path);
    let missing = json!({"accId": "a", "type": "patrol"});
    let p = problem(
        v2(&fake.url(), Method::POST, path, Some(missing)).await,
        400,
    )
    .await;
    assert!(
        p["detail"].as_str().unwrap().contains("intention"),
        "{}",
        p["detail"]
    );
    let p = problem(
        v2(
            &fake.url(),
            Method::GET,
            "/v2/community/rosters/not-a-number",
            None,
        )
        .await,
        400,
    )
    .await;
    assert_eq!(
        p["detail"],
        "path.rosterId: expected an integer, got \"not-a-number\""
    );
    // No hub on CMS: its path is an unknown route.
    let r = client()
        .get(format!("{}/apiWsHub", fake.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn documented_limit_per_credential_then_problem_429() {
    // getCommunity: 13 requests a minute (rate-limits.md); a real second is a minute.
    let fake = FakeServer::cms()
        .enforce_rate_limits(true)
        .time_scale(60.0)
        .start()
        .await;
    let doc = doc();
    let community = v2_calls(&doc)
        .into_iter()
        .find(|c| c.id == "getCommunity")
        .unwrap();
    assert_eq!(community.limit, 13);
    for i in 0..13 {
        let r = send(&fake.url(), &community, Some(KEY)).await;
        assert_eq!(r.status(), 200, "request {}", i + 1);
    }
    let r = send(&fake.url(), &community, Some(KEY)).await;
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(retry, 1, "a scaled minute is at most a real second");
    let p = problem(r, 429).await;
    assert_eq!(p["status"], 429);
    assert_eq!(p["instance"], "/v2/community");
    // Another operation of the same credential has its own window; a request without the
    // credential is refused before the limit is looked at.
    let departments = v2(&fake.url(), Method::GET, "/v2/community/departments", None).await;
    assert_eq!(departments.status(), 200);
    problem(send(&fake.url(), &community, None).await, 401).await;
    assert_eq!(fake.stats().rate_limited, 1);

    tokio::time::sleep(Duration::from_secs(retry)).await;
    let r = send(&fake.url(), &community, Some(KEY)).await;
    assert_eq!(r.status(), 200, "after Retry-After a slot is free");
}

#[tokio::test]
async fn v1_calls_answer_and_refuse_with_the_documented_texts() {
    let doc = doc();
    let fake = FakeServer::cms().start().await;
    // Every v1 call answers its documented request example with its documented reply.
    let mut calls = 0;
    let mut compared = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path.starts_with("/v2/") {
            continue;
        }
        let op = &item["post"];
        let example = &op["requestBody"]["content"]["application/json"]["example"];
        assert!(example.is_object(), "{path}: no request example");
        let r = client()
            .post(format!("{}{path}", fake.url()))
            .json(example)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let media = content_type(&r);
        let text = r.text().await.unwrap();
        let ok = &op["responses"]["200"]["content"];
        if let Some(reply) = ok["application/json"].get("example") {
            assert_eq!(media, "application/json", "{path}");
            assert_eq!(
                &serde_json::from_str::<Value>(&text).unwrap(),
                reply,
                "{path}"
            );
            compared += 1;
        } else if let Some(reply) = ok["text/plain"].get("example") {
            assert_eq!(text, reply.as_str().unwrap(), "{path}");
            compared += 1;
        }
        calls += 1;
    }
    assert_eq!(calls, 33);
    assert!(compared >= 20, "only {compared} v1 replies documented");

    let points = &doc["paths"]["/disciplinary/get_member_points"]["post"];
    let data = points["requestBody"]["content"]["application/json"]["example"]["data"].clone();
    let r = v1(
        &fake.url(),
        "/disciplinary/get_member_points",
        "GET_MEMBER_POINTS",
        data.clone(),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        points["responses"]["200"]["content"]["application/json"]["example"]
    );

    let refuse = |body: Value| {
        let url = format!("{}/disciplinary/get_member_points", fake.url());
        async move {
            let r = client().post(url).json(&body).send().await.unwrap();
            assert_eq!(r.status(), 400);
            assert_eq!(content_type(&r), "text/plain; charset=utf-8");
            r.text().await.unwrap()
        }
    };
    let envelope = |id: &str, key: &str, kind: &str| json!({"id": id, "key": key, "type": kind, "data": data.clone()});
    assert_eq!(
        refuse(envelope(COMMUNITY, "wrong", "GET_MEMBER_POINTS")).await,
        "INVALID API KEY"
    );
    assert_eq!(
        refuse(envelope("other", KEY, "GET_MEMBER_POINTS")).await,
        "INVALID COMMUNITY ID"
    );
    assert_eq!(
        refuse(envelope(COMMUNITY, KEY, "GET_MEMBER_RECORDS")).await,
        "INVALID REQUEST TYPE"
    );
    let mut bad = envelope(COMMUNITY, KEY, "GET_MEMBER_POINTS");
    bad["data"]["uniqueId"] = json!("not a number");
    let text = refuse(bad).await;
    assert!(text.starts_with("body.data.uniqueId: "), "{text}");
    // A CAD-only v1 call is not routed here.
    let r = client()
        .post(format!("{}/general/get_version", fake.url()))
        .json(&json!({"id": COMMUNITY, "key": KEY, "type": "GET_VERSION", "data": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.text().await.unwrap(), "INVALID REQUEST TYPE");
}

#[tokio::test]
async fn control_api_records_injects_and_delivers_for_cms() {
    let fake = FakeServer::cms().start().await;
    let base = fake.url();
    let info: Value = client()
        .get(format!("{base}/__fake/info"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["wsUrl"], Value::Null);
    assert_eq!(info["apiKey"], KEY);

    let r = v2(&base, Method::GET, "/v2/community/sub-version", None).await;
    assert_eq!(r.status(), 200);
    let recorded: Value = client()
        .get(format!("{base}/__fake/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(recorded.as_array().unwrap().len(), 1);
    assert_eq!(recorded[0]["operationId"], "getSubVersion");
    assert_eq!(recorded[0]["path"], "/v2/community/sub-version");
    assert_eq!(
        recorded[0]["headers"]["authorization"],
        format!("Bearer {KEY}")
    );

    // A CAD operationId is refused; a CMS one takes the fault.
    let r = client()
        .post(format!("{base}/__fake/faults"))
        .json(&json!({"operationId": "getVersion", "kind": {"type": "status", "status": 503}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = client()
        .post(format!("{base}/__fake/faults"))
        .json(&json!({"operationId": "getSubVersion", "kind": {"type": "rateLimited", "retryAfterSeconds": 7}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = v2(&base, Method::GET, "/v2/community/sub-version", None).await;
    assert_eq!(r.headers()["retry-after"], "7");
    problem(r, 429).await;
    let stats: Value = client()
        .get(format!("{base}/__fake/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats, json!({"requests": 2, "rateLimited": 1}));

    // Without a listener an event has nowhere to go (no hub on CMS); with one it is POSTed
    // there.
    assert_eq!(
        fake.push_event(1, "ACCOUNT_BANNED", json!({})).await,
        Err(DeliveryError::NoListener)
    );
    let event = json!({"type": "ACCOUNT_KICKED"});
    let r = client()
        .post(format!("{base}/__fake/events"))
        .json(&event)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("/sonorancms/events"),
        "{body}"
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let listener_url = format!(
        "http://{}/sonorancms/events",
        listener.local_addr().unwrap()
    );
    let received = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).await.unwrap();
            seen.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&seen).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                if body.len() >= length {
                    stream
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                        .await
                        .unwrap();
                    return (head.to_owned(), body.to_owned());
                }
            }
            assert!(n > 0, "the listener's peer closed early");
        }
    });
    let r = client()
        .post(format!("{base}/__fake/listener"))
        .json(&json!({"url": listener_url}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = client()
        .post(format!("{base}/__fake/events"))
        .json(&event)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"delivered": "http", "status": 200})
    );
    let (head, body) = received.await.unwrap();
    assert!(
        head.starts_with("POST /sonorancms/events HTTP/1.1"),
        "{head}"
    );
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["key"], KEY);
    assert_eq!(body["type"], "ACCOUNT_KICKED");
    assert_eq!(
        body["data"],
        doc()["x-push-events"]["ACCOUNT_KICKED"]["example"]
    );

    // reset forgets the requests and the counters.
    let r = client()
        .post(format!("{base}/__fake/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(fake.requests().is_empty());
}
