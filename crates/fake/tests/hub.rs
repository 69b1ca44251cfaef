//! The hub as an ASP.NET Core SignalR hub serves it: negotiate (versions 0 and 1), the
//! websocket with the negotiated id (each once, an unknown or used one refused with 404), a
//! client that skips negotiation, pings on the keep-alive interval (virtual time), close
//! messages, and `push_event` with null data sending the documented example, as the HTTP
//! control API does.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use sonoran_fake::{DEFAULT_KEEP_ALIVE, Delivery, DeliveryError, FakeHandle, FakeServer};
use std::time::Duration;
use tokio_tungstenite::tungstenite::{self, Message};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const RS: char = '\u{1e}';

async fn negotiate(fake: &FakeHandle, query: &str) -> (u16, Value) {
    let reply = reqwest::Client::new()
        .post(format!("{}/apiWsHub/negotiate{query}", fake.url()))
        .send()
        .await
        .unwrap();
    let status = reply.status().as_u16();
    let text = reply.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The next hub message (one record a frame in this hub), parsed.
async fn next(ws: &mut Ws) -> Value {
    loop {
        match ws
            .next()
            .await
            .expect("a frame")
            .expect("a websocket frame")
        {
            Message::Text(t) => {
                let text = t.as_str();
                assert!(text.ends_with(RS), "{text:?}");
                return serde_json::from_str(text.trim_end_matches(RS)).unwrap();
            }
            Message::Close(_) => return Value::String("websocket close".to_owned()),
            _ => {}
        }
    }
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(format!("{v}{RS}"))).await.unwrap();
}

/// Opens the websocket (`id` as given) and does the handshake.
async fn open(fake: &FakeHandle, id: Option<&str>) -> Result<Ws, tungstenite::Error> {
    let url = match id {
        Some(id) => format!("{}?id={id}", fake.ws_url()),
        None => fake.ws_url(),
    };
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
    ws.send(Message::text(format!(
        "{{\"protocol\":\"json\",\"version\":1}}{RS}"
    )))
    .await?;
    assert_eq!(next(&mut ws).await, json!({}));
    Ok(ws)
}

fn refused_status(err: tungstenite::Error) -> (u16, String) {
    match err {
        tungstenite::Error::Http(response) => (
            response.status().as_u16(),
            String::from_utf8_lossy(response.body().as_deref().unwrap_or_default()).into_owned(),
        ),
        other => panic!("expected an HTTP refusal, got {other:?}"),
    }
}

async fn authenticate(fake: &FakeHandle, ws: &mut Ws) {
    send(
        ws,
        json!({"type": 1, "invocationId": "0", "target": "authenticatev2",
               "arguments": [fake.community_id(), fake.api_key(), 1]}),
    )
    .await;
    assert_eq!(
        next(ws).await,
        json!({"type": 3, "invocationId": "0", "result": {"success": true, "error": "", "count": 0}})
    );
}

#[tokio::test]
async fn negotiate_version_1_then_the_websocket_with_the_token_once() {
    let fake = FakeServer::start().await;
    let (status, reply) = negotiate(&fake, "?negotiateVersion=1").await;
    assert_eq!(status, 200);
    let id = reply["connectionId"].as_str().unwrap().to_owned();
    let token = reply["connectionToken"].as_str().unwrap().to_owned();
    assert_eq!((id.len(), token.len()), (22, 22));
    assert_ne!(id, token);
    assert_eq!(
        reply,
        json!({
            "connectionId": id,
            "connectionToken": token,
            "negotiateVersion": 1,
            "availableTransports": [{"transport": "WebSockets", "transferFormats": ["Text"]}],
        })
    );
    // The connection id is not what a version 1 websocket brings.
    assert_eq!(
        refused_status(open(&fake, Some(&id)).await.unwrap_err()),
        (404, "No Connection with that ID".to_owned())
    );
    let mut ws = open(&fake, Some(&token)).await.unwrap();
    authenticate(&fake, &mut ws).await;
    // Each token once: a second websocket with it is refused as ASP.NET refuses it.
    assert_eq!(
        refused_status(open(&fake, Some(&token)).await.unwrap_err()).0,
        404
    );
    assert_eq!(
        refused_status(open(&fake, Some("never-negotiated")).await.unwrap_err()).0,
        404
    );
    let stats = fake.hub_stats();
    assert_eq!(
        (
            stats.negotiations,
            stats.connections,
            stats.negotiated_connections
        ),
        (1, 1, 1)
    );
    // A higher version than the hub knows gets the hub's highest, 1.
    let (_, reply) = negotiate(&fake, "?negotiateVersion=7").await;
    assert_eq!(reply["negotiateVersion"], 1);
    assert!(reply["connectionToken"].is_string());
}

#[tokio::test]
async fn negotiate_version_0_brings_the_connection_id_and_get_is_refused() {
    let fake = FakeServer::start().await;
    let (status, reply) = negotiate(&fake, "").await;
    assert_eq!(status, 200);
    assert_eq!(reply["negotiateVersion"], 0);
    assert!(reply.get("connectionToken").is_none(), "{reply}");
    let id = reply["connectionId"].as_str().unwrap();
    let mut ws = open(&fake, Some(id)).await.unwrap();
    authenticate(&fake, &mut ws).await;
    let get = reqwest::get(format!("{}/apiWsHub/negotiate", fake.url()))
        .await
        .unwrap();
    assert_eq!(get.status().as_u16(), 405);
    let bad = negotiate(&fake, "?negotiateVersion=x").await;
    assert_eq!(bad.0, 400);
}

#[tokio::test]
async fn a_client_that_skips_negotiation_is_still_served() {
    let fake = FakeServer::start().await;
    let mut ws = open(&fake, None).await.unwrap();
    authenticate(&fake, &mut ws).await;
    let stats = fake.hub_stats();
    assert_eq!(
        (
            stats.negotiations,
            stats.connections,
            stats.negotiated_connections
        ),
        (0, 1, 0)
    );
}

#[tokio::test(start_paused = true)]
async fn pings_on_the_keep_alive_interval_in_virtual_time() {
    for (fake, every) in [
        (FakeServer::start().await, DEFAULT_KEEP_ALIVE),
        (
            FakeServer::builder()
                .hub_keep_alive(Duration::from_secs(4))
                .start()
                .await,
            Duration::from_secs(4),
        ),
    ] {
        assert_eq!(DEFAULT_KEEP_ALIVE, Duration::from_secs(15));
        let mut ws = open(&fake, None).await.unwrap();
        let start = tokio::time::Instant::now();
        for n in 1..=3 {
            assert_eq!(next(&mut ws).await, json!({"type": 6}));
            assert_eq!(start.elapsed(), every * n);
        }
    }
}

#[tokio::test]
async fn close_messages_as_the_hub_sends_them() {
    let fake = FakeServer::start().await;
    let mut plain = open(&fake, None).await.unwrap();
    assert_eq!(fake.close_ws_connections(None, false), 1);
    assert_eq!(next(&mut plain).await, json!({"type": 7}));
    assert_eq!(next(&mut plain).await, json!("websocket close"));

    let mut a = open(&fake, None).await.unwrap();
    assert_eq!(
        fake.close_ws_connections(Some("Server is shutting down."), true),
        1
    );
    assert_eq!(
        next(&mut a).await,
        json!({"type": 7, "error": "Server is shutting down.", "allowReconnect": true})
    );
    // The same over the control API.
    let mut b = open(&fake, None).await.unwrap();
    let reply = reqwest::Client::new()
        .post(format!("{}/__fake/ws/close", fake.url()))
        .json(&json!({"error": "bye"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.json::<Value>().await.unwrap(), json!({"closed": 1}));
    assert_eq!(next(&mut b).await, json!({"type": 7, "error": "bye"}));
    // A message that is not the protocol: closed with the reason.
    let mut c = open(&fake, None).await.unwrap();
    c.send(Message::text(format!("[]{RS}"))).await.unwrap();
    let close = next(&mut c).await;
    assert_eq!(close["type"], 7);
    assert!(
        close["error"]
            .as_str()
            .unwrap()
            .contains("not a JSON object")
    );
}

#[tokio::test]
async fn push_event_with_null_data_sends_the_documented_example_like_the_control_api() {
    let fake = FakeServer::start().await;
    let mut ws = open(&fake, None).await.unwrap();
    authenticate(&fake, &mut ws).await;
    let delivered = fake
        .push_event(1, "EVENT_UNIT_LOGOUT", Value::Null)
        .await
        .unwrap();
    assert_eq!(delivered, Delivery::Websocket { sessions: 1 });
    let by_rust = next(&mut ws).await["arguments"][0].clone();
    let http = reqwest::Client::new();
    for body in [
        json!({"type": "EVENT_UNIT_LOGOUT"}),
        json!({"type": "EVENT_UNIT_LOGOUT", "data": null}),
    ] {
        let reply = http
            .post(format!("{}/__fake/events", fake.url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status().as_u16(), 200);
        let by_http = next(&mut ws).await["arguments"][0].clone();
        assert_eq!(by_http, by_rust, "{body}");
    }
    assert_eq!(by_rust["type"], "EVENT_UNIT_LOGOUT");
    let data = &by_rust["data"];
    assert!(!data.is_null());
    // The example the document gives for the type.
    let doc: Value = serde_json::from_str(sonoran_fake::spec_json()).unwrap();
    assert_eq!(data, &doc["x-push-events"]["EVENT_UNIT_LOGOUT"]["example"]);
    // A type without an example: an error both ways, nothing sent.
    let err = fake
        .push_event(1, "EVENT_NOT_DOCUMENTED", Value::Null)
        .await
        .unwrap_err();
    assert!(
        matches!(err, DeliveryError::NoExample { ref event_type } if event_type == "EVENT_NOT_DOCUMENTED"),
        "{err:?}"
    );
    let reply = http
        .post(format!("{}/__fake/events", fake.url()))
        .json(&json!({"type": "EVENT_NOT_DOCUMENTED", "data": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 400);
    // Data given is sent as it is.
    fake.push_event(1, "EVENT_NOT_DOCUMENTED", json!({"a": 1}))
        .await
        .unwrap();
    assert_eq!(next(&mut ws).await["arguments"][0]["data"], json!({"a": 1}));
}
