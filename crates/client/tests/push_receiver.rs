//! Push events through the HTTP receiver: a real hyper server on loopback running
//! `PushReceiver`, real requests from reqwest. Every documented example of the merged spec
//! (repaired where the docs' JSON is broken) arrives as its typed variant; a wrong key, a
//! forged or malformed body and an oversized one are refused with the documented status.

mod support {
    pub mod spec;
}

use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use sonoran_cad::ApiKey;
use sonoran_cad::events::{DOCUMENTED_TYPES, PushEvent, PushReceiver, ReceiveError};
use std::sync::{Arc, Mutex};
use tower_service::Service as _;

const KEY: &str = "the-community-api-key-9f3a";

/// A receiver on a loopback port; the events it accepted.
struct Listener {
    url: String,
    events: Arc<Mutex<Vec<PushEvent>>>,
}

async fn listen(configure: impl FnOnce(PushReceiver) -> PushReceiver) -> Listener {
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    let receiver = configure(PushReceiver::new(ApiKey::new(KEY), move |e| {
        seen.lock().unwrap().push(e)
    }));
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = socket.accept().await else {
                return;
            };
            let receiver = receiver.clone();
            tokio::spawn(async move {
                // The receiver as the tower service it is, under hyper.
                let service = hyper::service::service_fn(move |req| {
                    let mut receiver = receiver.clone();
                    async move { receiver.call(req).await }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Listener {
        url: format!("http://{addr}/sonorancad/event"),
        events,
    }
}

async fn post(url: &str, body: impl Into<reqwest::Body>) -> (u16, String) {
    let reply = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = reply.status().as_u16();
    (status, reply.text().await.unwrap())
}

/// Every documented example (and the extra ones, such as the websocket page's), as Sonoran
/// would send it: (type, docs page, data).
fn documented_examples() -> Vec<(String, String, Value)> {
    let doc = support::spec::merged();
    let mut out = Vec::new();
    for (type_, event) in doc["x-push-events"].as_object().expect("x-push-events") {
        let page = event["docs-page"].as_str().unwrap().to_string();
        out.push((type_.clone(), page, event["example"].clone()));
        for more in event
            .get("more-examples")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let page = more["docs-page"].as_str().unwrap().to_string();
            out.push((type_.clone(), page, more["data"].clone()));
        }
    }
    out
}

/// Drops nulls and makes numbers comparable, to compare a decoded payload with what was sent.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), canonical(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        Value::Number(n) => json!(n.as_f64().unwrap()),
        other => other.clone(),
    }
}

#[tokio::test]
async fn every_documented_example_arrives_typed() {
    let examples = documented_examples();
    let spec_types: Vec<&str> = {
        let mut t: Vec<&str> = examples.iter().map(|(t, _, _)| t.as_str()).collect();
        t.dedup();
        t
    };
    assert_eq!(
        spec_types, DOCUMENTED_TYPES,
        "the spec and the enum list the same types"
    );
    assert_eq!(DOCUMENTED_TYPES.len(), 27);

    let listener = listen(|r| r).await;
    for (type_, page, data) in &examples {
        let body = json!({ "key": KEY, "type": type_, "data": data });
        let (status, text) = post(&listener.url, body.to_string()).await;
        assert_eq!(status, 200, "{type_} ({page}): {text}");
        let event = listener.events.lock().unwrap().pop().expect("delivered");
        assert_eq!(event.type_name(), type_);
        assert!(
            !matches!(event, PushEvent::Unknown { .. }),
            "{type_} is typed"
        );
        // Nothing documented is lost on the way: the decoded payload is what was sent
        // (ids given as strings come back as numbers, the one lenient change here).
        let back = serde_json::to_value(&event).unwrap();
        assert_eq!(back["type"], json!(type_));
        let mut sent = canonical(data);
        if type_ == "EVENT_DISPATCH_TOGGLE_BODYCAM" {
            sent["ident"] = json!(1.0);
        }
        assert_eq!(canonical(&back["data"]), sent, "{type_} ({page})");

        // The same data as a one-element array (how eight of the pages show it) is the same event.
        let wrapped = json!({ "key": KEY, "type": type_, "data": [data] });
        let (status, text) = post(&listener.url, wrapped.to_string()).await;
        assert_eq!(status, 200, "{type_} as an array: {text}");
        assert_eq!(listener.events.lock().unwrap().pop().unwrap(), event);
    }
}

#[tokio::test]
async fn mounted_in_an_axum_router() {
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    let receiver = PushReceiver::new(ApiKey::new(KEY), move |e| seen.lock().unwrap().push(e));
    let app = axum::Router::new()
        .route_service("/sonorancad/event", receiver)
        .route("/health", axum::routing::get(|| async { "up" }));
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", socket.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(socket, app).await.unwrap() });

    let url = format!("{base}/sonorancad/event");
    let sent = json!({ "key": KEY, "type": "EVENT_UNIT_PANIC", "data": [{ "identIds": [1, 2], "isPanic": true }] });
    assert_eq!(post(&url, sent.to_string()).await.0, 200);
    let PushEvent::UnitPanic(panic) = events.lock().unwrap().pop().unwrap() else {
        panic!("a unit panic")
    };
    assert_eq!((panic.ident_ids, panic.is_panic), (Some(vec![1, 2]), true));
    let wrong = json!({ "key": "nope", "type": "EVENT_UNIT_PANIC", "data": {} });
    assert_eq!(post(&url, wrong.to_string()).await.0, 401);
    assert_eq!(
        reqwest::get(format!("{base}/health"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "up"
    );
}

#[tokio::test]
async fn lenient_forms_of_the_docs_decode_alike() {
    let listener = listen(|r| r).await;
    let sent = json!({ "key": KEY, "type": "EVENT_UNIT_STATUS", "data": [{ "identIds": "4", "status": 3 }] });
    assert_eq!(post(&listener.url, sent.to_string()).await.0, 200);
    let PushEvent::UnitStatus(status) = listener.events.lock().unwrap().pop().unwrap() else {
        panic!("a unit status")
    };
    assert_eq!(status.ident_ids, Some(vec![4]));
    assert_eq!(status.status, Some(sonoran_cad::enums::UnitStatus::Enroute));
}

#[tokio::test]
async fn an_undocumented_type_arrives_with_its_raw_data() {
    let listener = listen(|r| r).await;
    let data = json!({ "units": [{ "id": 3, "status": 2 }], "extra": [1, "two"] });
    let body = json!({ "key": KEY, "type": "EVENT_UNIT_UPDATE", "data": data });
    assert_eq!(post(&listener.url, body.to_string()).await.0, 200);
    let event = listener.events.lock().unwrap().pop().unwrap();
    assert_eq!(
        event,
        PushEvent::Unknown {
            type_: "EVENT_UNIT_UPDATE".into(),
            data: data.clone()
        }
    );
    assert_eq!(
        serde_json::to_value(&event).unwrap(),
        json!({ "type": "EVENT_UNIT_UPDATE", "data": data })
    );
}

#[tokio::test]
async fn refusals_say_why_and_never_echo_a_key() {
    let reported = Arc::new(Mutex::new(Vec::<ReceiveError>::new()));
    let errors = reported.clone();
    let listener = listen(move |r| {
        r.max_body_bytes(4096)
            .on_error(move |e| errors.lock().unwrap().push(e.clone()))
    })
    .await;
    // Each refusal is reported once, as the error it is, and never with a key in it.
    let last_reported = || {
        let mut all = reported.lock().unwrap();
        assert_eq!(all.len(), 1, "one refusal reported: {all:?}");
        let e = all.pop().unwrap();
        assert!(!format!("{e} {e:?}").contains("api-key"), "{e:?}");
        e
    };
    let wrong = json!({ "key": "the-community-api-key-9f3b", "type": "EVENT_UNIT_LOGOUT", "data": { "identId": 1 } });
    let (status, text) = post(&listener.url, wrong.to_string()).await;
    assert_eq!(status, 401);
    assert!(!text.contains("api-key"), "{text}");
    assert_eq!(last_reported(), ReceiveError::WrongKey);

    let with_key = |rest: &str| format!(r#"{{"key": "{KEY}", {rest}}}"#);
    let cases = [
        ("not json".to_string(), "not JSON"),
        ("[1, 2]".to_string(), "not a JSON object"),
        (r#"{"type": "EVENT_TONE", "data": {}}"#.to_string(), "`key`"),
        (with_key(r#""data": {}"#), "`type`"),
        (
            with_key(r#""type": "EVENT_UNIT_LOGIN", "data": {"unit": {"status": "busy"}}"#),
            "push event EVENT_UNIT_LOGIN: data.unit.status",
        ),
        (
            with_key(r#""type": "EVENT_REMOVE_911", "data": [{"callIds": [1]}, {"callIds": [2]}]"#),
            "data: expected an object, found an array",
        ),
    ];
    for (body, says) in cases {
        let (status, text) = post(&listener.url, body.clone()).await;
        assert_eq!(status, 400, "{body}: {text}");
        assert!(text.contains(says), "{body}: {text:?} should say {says:?}");
        assert!(!text.contains(KEY), "{text}");
        let e = last_reported();
        assert_eq!(format!("{e}\n"), text, "the answer is the reported error");
    }

    let big = json!({ "key": KEY, "type": "EVENT_RECORD_ADD", "data": { "record": { "x": "y".repeat(5000) } } });
    assert_eq!(post(&listener.url, big.to_string()).await.0, 413);
    assert_eq!(last_reported(), ReceiveError::TooLarge { max: 4096 });
    // Without a Content-Length (chunked), the cap holds while reading.
    assert_eq!(post_chunked(&listener.url, &big.to_string()).await, 413);
    assert_eq!(last_reported(), ReceiveError::TooLarge { max: 4096 });
    assert_eq!(post_chunked(&listener.url, &wrong.to_string()).await, 401);
    assert_eq!(last_reported(), ReceiveError::WrongKey);

    let get = reqwest::get(&listener.url).await.unwrap();
    assert_eq!(get.status().as_u16(), 405);
    assert_eq!(get.headers()["allow"], "POST");
    let other = listener.url.replace("/sonorancad/event", "/elsewhere");
    assert_eq!(post(&other, "{}").await.0, 404);
    assert!(
        listener.events.lock().unwrap().is_empty(),
        "nothing refused was delivered"
    );
    assert!(
        reported.lock().unwrap().is_empty(),
        "a wrong method or path is not a push event: not reported"
    );
}

/// POSTs `body` in 1000-byte chunks (`Transfer-Encoding: chunked`, no Content-Length) over
/// a raw TCP connection; the reply's status.
async fn post_chunked(url: &str, body: &str) -> u16 {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let addr = url.trim_start_matches("http://").split('/').next().unwrap();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut request = format!(
        "POST /sonorancad/event HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    for chunk in body.as_bytes().chunks(1000) {
        request.push_str(&format!(
            "{:x}\r\n{}\r\n",
            chunk.len(),
            std::str::from_utf8(chunk).unwrap()
        ));
    }
    request.push_str("0\r\n\r\n");
    // The server may answer (and close) before it has read everything: ignore write errors.
    let _ = stream.write_all(request.as_bytes()).await;
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply).await;
    let reply = String::from_utf8_lossy(&reply);
    reply
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {reply:?}"))
}
