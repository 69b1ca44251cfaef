//! The websocket API end to end against the fake's hub on loopback: negotiate (the default)
//! or skip it, authenticate, receive a push event, a wrong key, reconnect after the fake
//! drops the socket (re-authenticated, no event lost after it is back, the ones in the gap
//! sent to the HTTP listener as Sonoran does), the reconnect schedule on a paused clock,
//! lifecycle events, and a burst of 500 unit updates within the documented limits.

use serde_json::{Value, json};
use sonoran_cad::events::{PushEvent, ReceiveError};
use sonoran_cad::websocket::{
    Lifecycle, ReconnectPolicy, Session, SessionBuilder, SessionState, UnitLocation, UnitTarget,
    WsError,
};
use sonoran_fake::{Delivery, FakeHandle, FakeServer};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A guard against a hang, never an assertion on speed.
const GUARD: Duration = Duration::from_secs(60);

async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(GUARD, f)
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within {GUARD:?}"))
}

fn fast_reconnect() -> ReconnectPolicy {
    ReconnectPolicy::with_delays([Duration::from_millis(20), Duration::from_millis(200)])
}

async fn session(fake: &FakeHandle) -> Session {
    Session::builder()
        .url(fake.url())
        .community_id(fake.community_id())
        .api_key(fake.api_key())
        .server_id(1)
        .reconnect(fast_reconnect())
        .connect()
        .await
        .expect("connecting to the fake's hub")
}

#[tokio::test]
async fn authenticates_and_receives_a_push_event() {
    let fake = FakeServer::builder().api_key("ws-secret").start().await;
    let mut session = session(&fake).await;
    assert_eq!(session.state(), SessionState::Connected);
    assert_eq!(fake.ws_sessions(), [Some(1)]);

    let data = json!([{"identIds": 7, "status": 2}]);
    let delivery = fake
        .push_event(1, "EVENT_UNIT_STATUS", data.clone())
        .await
        .unwrap();
    assert_eq!(delivery, Delivery::Websocket { sessions: 1 });
    let event = within("the push event", session.next_event())
        .await
        .expect("an event")
        .expect("a decoded event");
    assert_eq!(event.type_name(), "EVENT_UNIT_STATUS");
    let PushEvent::UnitStatus(status) = &event else {
        panic!("expected a typed unit status, got {event:?}");
    };
    assert_eq!(status.ident_ids, Some(vec![7]));
    assert_eq!(serde_json::to_value(status.status).unwrap(), json!(2));
    let wire = serde_json::to_value(&event).unwrap();
    assert_eq!(wire["type"], "EVENT_UNIT_STATUS");
    // The payload carried the key; the event and its Debug output do not.
    assert!(!format!("{event:?} {wire}").contains("ws-secret"));
    assert!(!format!("{session:?}").contains("ws-secret"));

    // A server with no session: no route.
    assert!(
        fake.push_event(2, "EVENT_UNIT_STATUS", json!({}))
            .await
            .is_err()
    );
    session.close();
    within("closing", async {
        while session.next_event().await.is_some() {}
    })
    .await;
    assert_eq!(session.state(), SessionState::Closed);
}

#[tokio::test]
async fn a_wrong_key_is_an_auth_error_not_a_reconnect_loop() {
    let fake = FakeServer::start().await;
    let err = Session::builder()
        .url(fake.url())
        .community_id(fake.community_id())
        .api_key("not-the-key")
        .server_id(1)
        .connect()
        .await
        .unwrap_err();
    match &err {
        WsError::Auth { reason } => assert_eq!(reason, "Invalid community ID or API key."),
        other => panic!("expected an auth error, got {other:?}"),
    }
    assert!(!err.to_string().contains("not-the-key"));
    let stats = fake.hub_stats();
    assert_eq!(
        (stats.authentications, stats.failed_authentications),
        (0, 1)
    );

    let err = Session::builder()
        .url(fake.url())
        .community_id("wrong-community")
        .api_key(fake.api_key())
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(err, WsError::Auth { .. }), "{err:?}");

    // Nothing listening: a connect error naming the URL, the key nowhere.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let err = Session::builder()
        .url(&url)
        .community_id("c")
        .api_key("k-secret")
        .connect()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, WsError::Connect { url: u, .. } if u.ends_with("/apiWsHub")),
        "{err:?}"
    );
    assert!(!err.to_string().contains("k-secret"));
    let err = Session::builder()
        .url(&url)
        .community_id("c")
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(err, WsError::Config(_)));
}

/// A listener for the HTTP fallback: returns the bodies POSTed to it.
async fn listener() -> (String, tokio::sync::mpsc::UnboundedReceiver<Value>) {
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/events", socket.local_addr().unwrap());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = socket.accept().await else {
                return;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let n = stream.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let len: usize = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().unwrap())
                            })
                            .unwrap_or(0);
                        if body.len() >= len {
                            assert!(head.starts_with("POST /events HTTP/1.1"), "{head}");
                            let _ = tx.send(serde_json::from_str(body).unwrap());
                            let _ = stream
                                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                                .await;
                            return;
                        }
                    }
                }
            });
        }
    });
    (url, rx)
}

#[tokio::test]
async fn reconnects_reauthenticates_and_loses_no_event_after() {
    let (listener_url, mut posted) = listener().await;
    let fake = FakeServer::builder()
        .push_listener(&listener_url)
        .start()
        .await;
    // A long backoff first, so that the gap is certain: the event sent in it goes by HTTP.
    let mut session = Session::builder()
        .url(fake.url())
        .community_id(fake.community_id())
        .api_key(fake.api_key())
        .server_id(1)
        .reconnect(ReconnectPolicy::with_delays([Duration::from_millis(600)]))
        .connect()
        .await
        .unwrap();
    assert_eq!(fake.drop_ws_connections(), 1);
    within("the drop to be seen", async {
        while fake.ws_sessions().len() == 1 {
            tokio::task::yield_now().await;
        }
    })
    .await;
    let gap = fake
        .push_event(1, "EVENT_GAP", json!({"n": 0}))
        .await
        .unwrap();
    assert_eq!(gap, Delivery::Http { status: 200 });
    let body = within("the HTTP fallback", posted.recv()).await.unwrap();
    assert_eq!(
        body,
        json!({"key": fake.api_key(), "type": "EVENT_GAP", "data": {"n": 0}})
    );

    within("the reconnect", session.connected()).await.unwrap();
    within("the fake to see the re-authentication", async {
        while fake.ws_sessions() != [Some(1)] {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert_eq!(fake.hub_stats().authentications, 2);
    for n in 1..=3 {
        let d = fake
            .push_event(1, "EVENT_AFTER", json!({ "n": n }))
            .await
            .unwrap();
        assert_eq!(d, Delivery::Websocket { sessions: 1 });
    }
    for n in 1..=3 {
        let event = within("events after the reconnect", session.next_event())
            .await
            .unwrap()
            .unwrap();
        let wire = serde_json::to_value(&event).unwrap();
        assert_eq!(
            (wire["type"].clone(), wire["data"]["n"].clone()),
            (json!("EVENT_AFTER"), json!(n))
        );
    }
    assert_eq!(fake.hub_stats().events_http, 1);
}

#[tokio::test]
async fn a_burst_of_500_units_stays_within_the_documented_limits() {
    let fake = FakeServer::start().await;
    let session = session(&fake).await;
    let units = session.unit_locations();
    let start = Instant::now();
    for round in 0..3 {
        for n in 0..500 {
            units.update(
                UnitLocation::new(UnitTarget::IdentId(n), format!("round {round}")).coordinates(
                    n as f64,
                    round as f64,
                    0.0,
                    90.0,
                ),
            );
        }
    }
    within("the burst to be sent", units.flushed()).await;
    let elapsed = start.elapsed();

    let stats = fake.hub_stats();
    assert!(stats.violations.is_empty(), "{:?}", stats.violations);
    assert!(stats.max_units_in_message <= 25, "{stats:?}");
    assert!(stats.min_unit_interval_ms.unwrap() >= 250, "{stats:?}");
    // The first message goes at once; each next one at least 250 ms after the one before.
    let per_second = (stats.unit_location_messages - 1) as f64 / elapsed.as_secs_f64();
    assert!(per_second <= 4.0, "{per_second} messages a second");
    let positions = fake.unit_positions();
    assert_eq!(positions.len(), 500);
    for n in 0..500 {
        let p = &positions[&format!("identId:{n}")];
        assert_eq!(p["location"], "round 2", "unit {n}: {p}");
        // The hub's wire form: all four axes, as numbers.
        assert_eq!(
            p["coordinates"],
            serde_json::json!({ "x": n as f64, "y": 2.0, "z": 0.0, "w": 90.0 }),
            "unit {n}"
        );
    }
    // Every unit once at least, and not more messages than the rounds could need.
    let sent = units.stats();
    assert_eq!(sent.failures, 0, "{sent:?}");
    assert_eq!(sent.messages, stats.unit_location_messages);
    assert!(sent.units >= 500 && sent.units <= 1500, "{sent:?}");
    assert_eq!(sent.units + sent.superseded, 1500, "{sent:?}");
}

#[tokio::test]
async fn the_hub_answers_unit_location_errors_as_documented() {
    let fake = FakeServer::start().await;
    let session = session(&fake).await;
    let reply = session
        .invoke("unitLocation", vec![json!([])])
        .await
        .unwrap();
    assert_eq!(reply["error"], "Missing unit location updates.");
    let many: Vec<Value> = (0..26)
        .map(|n| json!({"identId": n, "location": "x"}))
        .collect();
    let reply = session
        .invoke("unitLocation", vec![json!(many)])
        .await
        .unwrap();
    assert_eq!(
        reply["error"],
        "Too many unit updates in one call. Max is 25."
    );
    let reply = session
        .invoke("unitLocation", vec![json!([{"location": "x"}])])
        .await
        .unwrap();
    assert_eq!(
        reply["error"],
        "Each unit update requires identId, apiId, communityUserId, or roblox, and location."
    );
    let ok = session
        .invoke(
            "unitLocation",
            vec![json!([{"identId": 1, "location": "x"}])],
        )
        .await
        .unwrap();
    assert_eq!(ok, json!({"success": true, "error": "", "count": 1}));
    let fast = session
        .invoke(
            "unitLocation",
            vec![json!([{"identId": 1, "location": "y"}])],
        )
        .await
        .unwrap();
    assert_eq!(
        fast["error"],
        "UNIT_LOCATION updates are limited to every 200ms."
    );
    assert!(fake.hub_stats().violations.len() >= 4);
    let err = session.invoke("noSuchMethod", vec![]).await.unwrap_err();
    assert!(
        matches!(err, WsError::Invocation { ref method, .. } if method == "noSuchMethod"),
        "{err:?}"
    );
}

/// A hostile hub: answers the handshake and the authentication, then sends a forged event,
/// a record that is not JSON, an event whose data has the wrong shape, and a good event.
#[tokio::test]
async fn a_hostile_hub_gets_typed_errors_and_the_session_goes_on() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/apiWsHub", socket.local_addr().unwrap());
    tokio::spawn(async move {
        let (tcp, _) = socket.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        let rs = '\u{1e}';
        let handshake = ws.next().await.unwrap().unwrap().into_text().unwrap();
        assert_eq!(
            handshake.as_str(),
            "{\"protocol\":\"json\",\"version\":1}\u{1e}"
        );
        ws.send(Message::text(format!("{{}}{rs}"))).await.unwrap();
        let auth = ws.next().await.unwrap().unwrap().into_text().unwrap();
        let auth: Value = serde_json::from_str(auth.trim_end_matches(rs)).unwrap();
        assert_eq!(auth["target"], "authenticatev2");
        assert_eq!(auth["arguments"], json!(["c", "the-key", 1]));
        let done = json!({"type": 3, "invocationId": auth["invocationId"], "result": {"success": true, "error": "", "count": 0}});
        let push = |key: &str, ty: &str, data: Value| json!({"type": 1, "target": "pushEvent", "arguments": [{"key": key, "type": ty, "data": data}]});
        let frame = format!(
            "{done}{rs}{}{rs}not json{rs}{}{rs}{}{rs}",
            push("guess", "EVENT_UNIT_LOGOUT", json!({"identId": 7})),
            push(
                "the-key",
                "EVENT_UNIT_LOGIN",
                json!({"unit": {"status": "busy"}})
            ),
            push("the-key", "EVENT_UNIT_LOGOUT", json!([{"identId": 7}])),
        );
        ws.send(Message::text(frame)).await.unwrap();
        while ws.next().await.is_some() {}
    });
    // No `.server_id(..)`: the session authenticates for server 1, as REST defaults.
    let mut session = Session::builder()
        .url(&url)
        .community_id("c")
        .api_key("the-key")
        .skip_negotiation(true)
        .connect()
        .await
        .unwrap();
    let mut next = async || within("the next item", session.next_event()).await.unwrap();
    assert_eq!(
        next().await.unwrap_err(),
        WsError::Event(ReceiveError::WrongKey)
    );
    assert!(matches!(next().await, Err(WsError::Protocol(ref e)) if e.contains("not valid JSON")));
    match next().await {
        Err(WsError::Event(ReceiveError::Event(e))) => assert_eq!(e.path(), "data.unit.status"),
        other => panic!("{other:?}"),
    }
    let PushEvent::UnitLogout(logout) = next().await.unwrap() else {
        panic!("expected the logout");
    };
    assert_eq!(logout.ident_id, 7);
}

/// The hub's view of `authenticatev2`: its arguments, from a hub that answers the handshake
/// and then reads the one invocation.
async fn auth_arguments(configure: impl FnOnce(SessionBuilder) -> SessionBuilder) -> Value {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/apiWsHub", socket.local_addr().unwrap());
    let hub = tokio::spawn(async move {
        let (tcp, _) = socket.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        let _handshake = ws.next().await.unwrap().unwrap();
        ws.send(Message::text("{}\u{1e}")).await.unwrap();
        let auth = ws.next().await.unwrap().unwrap().into_text().unwrap();
        let auth: Value = serde_json::from_str(auth.trim_end_matches('\u{1e}')).unwrap();
        let done = json!({"type": 3, "invocationId": auth["invocationId"], "result": {"success": true, "error": "", "count": 0}});
        ws.send(Message::text(format!("{done}\u{1e}")))
            .await
            .unwrap();
        auth["arguments"].clone()
    });
    let builder = Session::builder()
        .url(&url)
        .community_id("c")
        .api_key("the-key")
        .skip_negotiation(true);
    let session = within("connecting", configure(builder).connect())
        .await
        .unwrap();
    let arguments = within("the hub", hub).await.unwrap();
    session.close();
    arguments
}

#[tokio::test]
async fn the_server_id_defaults_to_1_and_can_be_left_out() {
    assert_eq!(auth_arguments(|b| b).await, json!(["c", "the-key", 1]));
    assert_eq!(
        auth_arguments(|b| b.server_id(3)).await,
        json!(["c", "the-key", 3])
    );
    assert_eq!(
        auth_arguments(|b| b.without_server()).await,
        json!(["c", "the-key"])
    );
    let refused = Session::builder()
        .url("ws://127.0.0.1:9/apiWsHub")
        .community_id("c")
        .api_key("the-key")
        .server_id(0)
        .connect()
        .await
        .unwrap_err();
    assert!(
        matches!(refused, WsError::Config(ref m) if m.contains("server id 0")),
        "{refused:?}"
    );
}

#[tokio::test]
async fn negotiates_by_default_and_skips_when_told() {
    let fake = FakeServer::start().await;
    let negotiated = session(&fake).await;
    let stats = fake.hub_stats();
    assert_eq!((stats.negotiations, stats.negotiated_connections), (1, 1));
    let skipping = Session::builder()
        .url(fake.url())
        .community_id(fake.community_id())
        .api_key(fake.api_key())
        .server_id(1)
        .skip_negotiation(true)
        .connect()
        .await
        .unwrap();
    let stats = fake.hub_stats();
    assert_eq!(
        (
            stats.negotiations,
            stats.connections,
            stats.negotiated_connections
        ),
        (1, 2, 1)
    );
    assert_eq!(fake.ws_sessions(), [Some(1), Some(1)]);
    drop((negotiated, skipping));
    // A negotiate the hub refuses is a connect error naming the status.
    let err = Session::builder()
        .url(format!("{}/v2", fake.url()))
        .community_id("c")
        .api_key("k")
        .connect()
        .await
        .unwrap_err();
    assert!(
        matches!(err, WsError::Connect { ref reason, .. } if reason.contains("404")),
        "{err:?}"
    );
}

/// Between the session and the fake: forwards connections, or refuses the next `refuse`
/// ones (accepts and closes them at once), recording when each refused one came.
/// `cut()` drops every forwarded connection, as a network failure would.
struct Gate {
    refuse: std::sync::atomic::AtomicUsize,
    refused_at: std::sync::Mutex<Vec<tokio::time::Instant>>,
    cut: tokio::sync::watch::Sender<u64>,
}

impl Gate {
    async fn start(target: std::net::SocketAddr) -> (String, std::sync::Arc<Gate>) {
        use std::sync::Arc;
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let gate = Arc::new(Gate {
            refuse: 0.into(),
            refused_at: Default::default(),
            cut: tokio::sync::watch::channel(0).0,
        });
        let g = Arc::clone(&gate);
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                let refuse = g
                    .refuse
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
                if refuse {
                    g.refused_at
                        .lock()
                        .unwrap()
                        .push(tokio::time::Instant::now());
                    drop(inbound);
                    continue;
                }
                let mut cut = g.cut.subscribe();
                tokio::spawn(async move {
                    let mut outbound = tokio::net::TcpStream::connect(target).await.unwrap();
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        (url, gate)
    }

    /// Refuses the next `n` connections and drops the open ones.
    fn cut(&self, refuse_next: usize) {
        self.refuse
            .store(refuse_next, std::sync::atomic::Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }
}

/// On tokio's paused clock: the connection drops and the next five attempts are refused;
/// the session tries again on the first-party schedule (at once, 2 s, 10 s, 30 s, then every
/// 30 s), exactly, reports each step, re-authenticates, and every event pushed after the
/// reconnect arrives.
#[tokio::test(start_paused = true)]
async fn reconnects_on_the_first_party_schedule_in_virtual_time() {
    let fake = FakeServer::start().await;
    let (url, gate) = Gate::start(fake.addr()).await;
    let mut session = Session::builder()
        .url(&url)
        .community_id(fake.community_id())
        .api_key(fake.api_key())
        .server_id(1)
        .connect()
        .await
        .unwrap();
    let mut lifecycle = session.lifecycle();
    assert_eq!(fake.hub_stats().negotiated_connections, 1);

    let dropped_at = tokio::time::Instant::now();
    gate.cut(5);
    let mut seen = Vec::new();
    loop {
        let change = lifecycle.recv().await.unwrap();
        seen.push(change.clone());
        if change == Lifecycle::Reconnected {
            break;
        }
    }
    let secs = Duration::from_secs;
    let mut expected = vec![Lifecycle::Disconnected { reason: None }];
    for (attempt, after) in [0, 2, 10, 30, 30, 30].into_iter().enumerate() {
        expected.push(Lifecycle::Reconnecting {
            attempt: attempt as u32,
            after: secs(after),
        });
    }
    expected.extend([Lifecycle::Connected, Lifecycle::Reconnected]);
    assert_eq!(seen, expected);
    // The refused attempts came at exactly 0, 2, 12, 42 and 72 s after the drop (virtual).
    let refused: Vec<Duration> = gate
        .refused_at
        .lock()
        .unwrap()
        .iter()
        .map(|t| t.duration_since(dropped_at))
        .collect();
    assert_eq!(refused, [secs(0), secs(2), secs(12), secs(42), secs(72)]);
    // Connected again at 102 s, authenticated for its server: events resume, none lost.
    assert_eq!(session.state(), SessionState::Connected);
    assert_eq!(fake.ws_sessions(), [Some(1)]);
    let stats = fake.hub_stats();
    assert_eq!(
        (stats.authentications, stats.negotiated_connections),
        (2, 2)
    );
    for n in 1..=3 {
        assert_eq!(
            fake.push_event(1, "EVENT_AFTER", json!({ "n": n }))
                .await
                .unwrap(),
            Delivery::Websocket { sessions: 1 }
        );
    }
    for n in 1..=3 {
        let event = session.next_event().await.unwrap().unwrap();
        let wire = serde_json::to_value(&event).unwrap();
        assert_eq!(
            (wire["type"].clone(), wire["data"]["n"].clone()),
            (json!("EVENT_AFTER"), json!(n))
        );
    }
    session.close();
    loop {
        if lifecycle.recv().await.unwrap() == Lifecycle::Closed {
            break;
        }
    }
}

/// The hub closes the connection with a reason (a close message, as ASP.NET sends it): the
/// session reports it and reconnects at once.
#[tokio::test]
async fn a_close_message_from_the_hub_is_reported_and_reconnected() {
    let fake = FakeServer::start().await;
    let mut session = session(&fake).await;
    let mut lifecycle = session.lifecycle();
    assert_eq!(
        fake.close_ws_connections(Some("Server is restarting."), true),
        1
    );
    assert_eq!(
        within("the disconnect", lifecycle.recv()).await.unwrap(),
        Lifecycle::Disconnected {
            reason: Some("Server is restarting.".to_owned())
        }
    );
    assert!(matches!(
        within("the attempt", lifecycle.recv()).await.unwrap(),
        Lifecycle::Reconnecting { attempt: 0, .. }
    ));
    assert_eq!(
        within("the connection", lifecycle.recv()).await.unwrap(),
        Lifecycle::Connected
    );
    assert_eq!(
        within("the reconnect", lifecycle.recv()).await.unwrap(),
        Lifecycle::Reconnected
    );
    fake.push_event(1, "EVENT_AFTER", json!({"n": 1}))
        .await
        .unwrap();
    let event = within("the event", session.next_event())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event.type_name(), "EVENT_AFTER");
}
