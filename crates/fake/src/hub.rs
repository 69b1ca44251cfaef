//! The websocket API: a SignalR hub at `/apiWsHub` speaking the JSON hub protocol over a
//! WebSocket, with `authenticatev2`
//! (`authenticate` too, as one docs example calls it), `unitLocation` with its documented
//! limits, and `pushEvent` delivery to the sessions authenticated for a server.
//!
//! Connecting (dotnet/aspnetcore `TransportProtocols.md`), as an ASP.NET Core hub serves it:
//! `POST /apiWsHub/negotiate?negotiateVersion=1` answers a connection id, (version 1) a
//! connection token and the transports (WebSockets, text); the websocket then comes to
//! `/apiWsHub?id=<token>` (version 0: the connection id), each token once (an unknown or used
//! one gets 404, as ASP.NET answers). A websocket without `id` is a client that skipped
//! negotiation (`skipNegotiation: true`, as Sonoran's docs connect), also accepted.
//!
//! The protocol (dotnet/aspnetcore `HubProtocol.md`): the client's first message is the
//! handshake `{"protocol":"json","version":1}` and the hub answers `{}` (or `{"error":..}`
//! and closes); every message is a JSON record ended by `0x1E`. Invocations (type 1) with an
//! `invocationId` get a completion (type 3) with `result` or `error`; pings (type 6) go both
//! ways (the hub sends one every 15 s by default, as an ASP.NET Core hub does); a close
//! (type 7) ends the session, with `error` when the hub closes it for a reason.

use crate::faults::lock;
use crate::respond::ReplyBody;
use crate::server::State;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::upgrade::Upgraded;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

/// The hub's path, as Sonoran serves it.
pub(crate) const PATH: &str = "/apiWsHub";

/// The record separator ending every hub protocol message.
const RS: char = '\u{1e}';

/// Documented: at most 25 unit update objects per `unitLocation` call.
pub const MAX_UNITS_PER_MESSAGE: usize = 25;
/// Documented rejection: closer than 200 ms to the session's previous `unitLocation`.
pub const MIN_UNIT_INTERVAL: Duration = Duration::from_millis(200);
/// Documented limit: one `unitLocation` every 250 ms; closer is recorded as a violation.
pub const UNIT_INTERVAL: Duration = Duration::from_millis(250);

/// How often the hub pings each connection by default (ASP.NET Core's `KeepAliveInterval`).
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The highest negotiate version the hub speaks (as ASP.NET Core's).
const NEGOTIATE_VERSION: u64 = 1;
/// ASP.NET Core's answer to a websocket whose `id` is unknown or already used.
const NO_CONNECTION: &str = "No Connection with that ID";

/// The documented `unitLocation` errors, word for word.
const UNAUTHENTICATED: &str = "Unauthenticated. Call authenticate first.";
const MISSING_UPDATES: &str = "Missing unit location updates.";
const TOO_MANY: &str = "Too many unit updates in one call. Max is 25.";
const TOO_FAST: &str = "UNIT_LOCATION updates are limited to every 200ms.";
const INVALID_TARGET: &str =
    "Each unit update requires identId, apiId, communityUserId, or roblox, and location.";
/// The fake's answer to a wrong community id or key (the docs give no text for it).
pub(crate) const INVALID_CREDENTIALS: &str = "Invalid community ID or API key.";

/// One open websocket connection, as the hub sees it.
#[derive(Debug)]
struct Session {
    /// Some(server id or None) once authenticated.
    auth: Option<Option<i64>>,
    out: mpsc::UnboundedSender<Out>,
    last_unit_message: Option<Instant>,
}

/// What a connection's writer is told to do.
#[derive(Debug)]
enum Out {
    Text(String),
    /// Send this close message (type 7), then close the websocket.
    Close(String),
    /// Drop the TCP connection without a close frame (a network failure).
    Drop,
}

/// The hub's state, shared by every connection and the control API.
#[derive(Debug, Default)]
pub(crate) struct Hub {
    next_id: AtomicU64,
    keep_alive: Duration,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    sessions: HashMap<u64, Session>,
    stats: HubStats,
    /// The latest update per unit, by its target (`communityUserId:player-1`).
    units: HashMap<String, Value>,
    /// Where events go when no session is authenticated for their server.
    listener: Option<String>,
    /// Negotiated connections whose websocket has not come yet: the token the websocket
    /// brings as `id`, to its connection id.
    negotiated: HashMap<String, String>,
}

/// What the hub has seen since start or the last reset (`GET /__fake/ws`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HubStats {
    /// `POST /apiWsHub/negotiate` requests answered.
    pub negotiations: u64,
    /// Websocket connections accepted (handshake done).
    pub connections: u64,
    /// Of those, connections that came with a negotiated token (`?id=`), not skipping
    /// negotiation.
    pub negotiated_connections: u64,
    /// Successful `authenticatev2` / `authenticate` calls.
    pub authentications: u64,
    /// Refused authentications (wrong community id or key, bad serverId).
    pub failed_authentications: u64,
    /// `unitLocation` calls accepted.
    pub unit_location_messages: u64,
    /// Unit updates in the accepted calls.
    pub unit_updates: u64,
    /// The most units one accepted call carried.
    pub max_units_in_message: u64,
    /// The shortest time between two `unitLocation` calls of one session, in ms.
    pub min_unit_interval_ms: Option<u64>,
    /// Breaches of the documented `unitLocation` limits (calls closer than 250 ms, more
    /// than 25 units, unauthenticated, malformed), each said in words.
    pub violations: Vec<String>,
    /// Push events sent over a websocket session.
    pub events_websocket: u64,
    /// Push events sent by HTTP POST to the listener.
    pub events_http: u64,
}

/// Where a push event went (`POST /__fake/events`, [`FakeHandle::push_event`](crate::FakeHandle::push_event)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Delivery {
    /// Sent as `pushEvent` to this many sessions authenticated for the server.
    Websocket { sessions: usize },
    /// No session for the server: POSTed to the listener, which answered this status.
    Http { status: u16 },
}

/// Why a push event could not be delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryError {
    /// No session for the server and no listener configured.
    NoRoute { server_id: i64 },
    /// An API without a websocket hub (CMS) and no listener configured.
    NoListener,
    /// The listener could not be reached or did not answer.
    Listener { url: String, reason: String },
    /// `data` is null (which stands for the documented example) and the type has none.
    NoExample { event_type: String },
}

impl std::fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeliveryError::NoRoute { server_id } => write!(
                f,
                "no websocket session is authenticated for serverId {server_id} and no HTTP \
                 listener is configured (POST /__fake/listener)"
            ),
            DeliveryError::NoListener => write!(
                f,
                "no HTTP push listener is configured (POST /__fake/listener; Sonoran CMS posts \
                 events to http://<game server>/sonorancms/events)"
            ),
            DeliveryError::Listener { url, reason } => {
                write!(f, "the push event listener {url} failed: {reason}")
            }
            DeliveryError::NoExample { event_type } => write!(f, "{}", no_example(event_type)),
        }
    }
}

impl std::error::Error for DeliveryError {}

impl Hub {
    pub(crate) fn new(listener: Option<String>, keep_alive: Duration) -> Self {
        Hub {
            next_id: AtomicU64::new(1),
            keep_alive,
            inner: Mutex::new(Inner {
                listener,
                ..Inner::default()
            }),
        }
    }

    pub(crate) fn stats(&self) -> HubStats {
        lock(&self.inner).stats.clone()
    }

    /// The latest update of every unit, by target (`communityUserId:player-1`).
    pub(crate) fn units(&self) -> HashMap<String, Value> {
        lock(&self.inner).units.clone()
    }

    /// How many sessions are authenticated, and for which servers.
    pub(crate) fn sessions(&self) -> (usize, Vec<Option<i64>>) {
        let inner = lock(&self.inner);
        let mut servers: Vec<Option<i64>> =
            inner.sessions.values().filter_map(|s| s.auth).collect();
        servers.sort_unstable();
        (inner.sessions.len(), servers)
    }

    pub(crate) fn set_listener(&self, url: Option<String>) {
        lock(&self.inner).listener = url;
    }

    pub(crate) fn listener(&self) -> Option<String> {
        lock(&self.inner).listener.clone()
    }

    /// Forgets stats and unit positions (sessions stay open).
    pub(crate) fn reset(&self, listener: Option<String>) {
        let mut inner = lock(&self.inner);
        inner.stats = HubStats::default();
        inner.units.clear();
        inner.listener = listener;
    }

    /// Drops every open connection without a close frame; returns how many.
    pub(crate) fn drop_all(&self) -> usize {
        let inner = lock(&self.inner);
        for session in inner.sessions.values() {
            let _ = session.out.send(Out::Drop);
        }
        inner.sessions.len()
    }

    /// Closes every open connection as the hub does: the close message (type 7, with
    /// `error` and `allowReconnect` when given), then the websocket close; returns how many.
    pub(crate) fn close_all(&self, error: Option<&str>, allow_reconnect: bool) -> usize {
        let message = close_record(error, allow_reconnect);
        let inner = lock(&self.inner);
        for session in inner.sessions.values() {
            let _ = session.out.send(Out::Close(message.clone()));
        }
        inner.sessions.len()
    }

    /// A new negotiated connection: `(connectionId, connectionToken)`. The websocket brings
    /// the token as `id` (negotiate version 1), or the connection id (version 0).
    fn negotiate(&self, version: u64) -> (String, String) {
        let id = connection_id();
        let token = connection_id();
        let mut inner = lock(&self.inner);
        inner.stats.negotiations += 1;
        let key = if version == 0 { &id } else { &token };
        inner.negotiated.insert(key.clone(), id.clone());
        (id, token)
    }
}

/// 16 random bytes as 22 characters of unpadded base64url, the shape of ASP.NET Core's ids.
fn connection_id() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bits =
        (u128::from(crate::respond::random_u64()) << 64) | u128::from(crate::respond::random_u64());
    (0..22)
        .map(|i| char::from(ALPHABET[((bits >> (i * 6)) & 63) as usize]))
        .collect()
}

/// The close message: `{"type":7}`, with `error` and `allowReconnect` when given.
fn close_record(error: Option<&str>, allow_reconnect: bool) -> String {
    let mut message = json!({"type": 7});
    if let Some(error) = error {
        message["error"] = json!(error);
    }
    if allow_reconnect {
        message["allowReconnect"] = json!(true);
    }
    format!("{message}{RS}")
}

fn no_example(event_type: &str) -> String {
    format!(
        "null or missing, and {event_type:?} is not a documented event type with an example \
         (give `data`, or a documented type such as \"EVENT_UNIT_STATUS\")"
    )
}

/// A push event's data: as given, or for `null` the documented example of its type (the
/// HTTP control API and [`FakeHandle::push_event`](crate::FakeHandle::push_event) alike).
pub(crate) fn event_data(
    api: crate::spec::FakeApi,
    event_type: &str,
    data: Value,
) -> Result<Value, String> {
    if !data.is_null() {
        return Ok(data);
    }
    crate::spec::doc(api)
        .get("x-push-events")
        .and_then(|events| events.get(event_type))
        .and_then(|event| event.get("example"))
        .filter(|example| !example.is_null())
        .cloned()
        .ok_or_else(|| no_example(event_type))
}

/// Whether `req` asks for a websocket upgrade.
pub(crate) fn is_upgrade(req: &Request<hyper::body::Incoming>) -> bool {
    let has = |name: header::HeaderName, token: &str| {
        req.headers().get_all(name).iter().any(|v| {
            v.to_str().is_ok_and(|v| {
                v.split(',')
                    .any(|part| part.trim().eq_ignore_ascii_case(token))
            })
        })
    };
    has(header::CONNECTION, "upgrade") && has(header::UPGRADE, "websocket")
}

/// Answers `GET /apiWsHub` with `101 Switching Protocols` and runs the session on the
/// upgraded connection; anything else at the path gets a plain-text 400 or 404.
pub(crate) fn answer(
    state: std::sync::Arc<State>,
    mut req: Request<hyper::body::Incoming>,
) -> Response<ReplyBody> {
    let plain = |status: StatusCode, text: &str| {
        let mut r = Response::new(ReplyBody::full(Bytes::from(text.to_owned())));
        *r.status_mut() = status;
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        r
    };
    let path = req.uri().path();
    if path == NEGOTIATE_PATH {
        if req.method() != hyper::Method::POST {
            let mut r = plain(
                StatusCode::METHOD_NOT_ALLOWED,
                "negotiate takes POST (TransportProtocols.md)",
            );
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            return r;
        }
        return negotiate(&state, req.uri().query());
    }
    if path != PATH {
        return plain(
            StatusCode::NOT_FOUND,
            "this hub serves POST /apiWsHub/negotiate and the WebSocket at /apiWsHub",
        );
    }
    // `?id=`: a negotiated connection, each token once.
    let id = query_value(req.uri().query(), "id");
    let negotiated = match id {
        Some(token) => {
            if lock(&state.hub.inner).negotiated.remove(&token).is_none() {
                return plain(StatusCode::NOT_FOUND, NO_CONNECTION);
            }
            true
        }
        None => false,
    };
    let key = req
        .headers()
        .get(header::SEC_WEBSOCKET_KEY)
        .map(|k| derive_accept_key(k.as_bytes()));
    let version_ok = req
        .headers()
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_some_and(|v| v == "13");
    let (Some(accept), true, true) = (key, version_ok, is_upgrade(&req)) else {
        return plain(
            StatusCode::BAD_REQUEST,
            "expected a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket, \
             Sec-WebSocket-Version: 13, Sec-WebSocket-Key)",
        );
    };
    let upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        if let Ok(upgraded) = upgrade.await {
            let ws =
                WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
            run(&state, ws, negotiated).await;
        }
    });
    let mut r = Response::new(ReplyBody::full(Bytes::new()));
    *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = r.headers_mut();
    h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(v) = HeaderValue::from_str(&accept) {
        h.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    r
}

type Ws = WebSocketStream<TokioIo<Upgraded>>;

/// `/apiWsHub/negotiate`.
const NEGOTIATE_PATH: &str = "/apiWsHub/negotiate";

/// A query parameter's value, percent-decoded (`id` tokens are base64url: nothing to decode
/// in ours, but a client may encode them anyway).
fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `POST /apiWsHub/negotiate?negotiateVersion=N` as ASP.NET Core answers it: version 0
/// without a token (the websocket brings the connection id), version 1 (the highest; a
/// higher request gets 1) with `connectionToken`. Only WebSockets with text frames is
/// offered: the JSON hub protocol, the only one this hub speaks, is text.
fn negotiate(state: &State, query: Option<&str>) -> Response<ReplyBody> {
    let requested = match query_value(query, "negotiateVersion") {
        None => 0,
        Some(v) => match v.parse::<u64>() {
            Ok(n) => n,
            Err(_) => {
                let mut r = Response::new(ReplyBody::full(Bytes::from(
                    "negotiateVersion: expected a non-negative integer",
                )));
                *r.status_mut() = StatusCode::BAD_REQUEST;
                return r;
            }
        },
    };
    let version = requested.min(NEGOTIATE_VERSION);
    let (connection_id, token) = state.hub.negotiate(version);
    let transports = json!([{"transport": "WebSockets", "transferFormats": ["Text"]}]);
    let body = if version == 0 {
        json!({
            "connectionId": connection_id,
            "negotiateVersion": 0,
            "availableTransports": transports,
        })
    } else {
        json!({
            "connectionId": connection_id,
            "connectionToken": token,
            "negotiateVersion": version,
            "availableTransports": transports,
        })
    };
    let mut r = Response::new(ReplyBody::full(Bytes::from(body.to_string())));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}

/// One connection: the handshake, then messages until close.
async fn run(state: &State, ws: Ws, negotiated: bool) {
    let (mut sink, mut stream) = ws.split();
    let hub = &state.hub;
    // The handshake: the first text message, `{"protocol":"json","version":1}\x1e`.
    let handshake = tokio::time::timeout(Duration::from_secs(15), stream.next()).await;
    let text = match handshake {
        Ok(Some(Ok(Message::Text(t)))) => t.to_string(),
        Ok(Some(Ok(Message::Binary(b)))) => String::from_utf8_lossy(&b).into_owned(),
        _ => return,
    };
    let mut records = text.split(RS);
    let first = records.next().unwrap_or_default();
    let rest: Vec<String> = records
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    if let Err(error) = check_handshake(first, text.contains(RS)) {
        let _ = sink
            .send(Message::text(format!("{}{RS}", json!({ "error": error }))))
            .await;
        let _ = sink.close().await;
        return;
    }
    if sink.send(Message::text(format!("{{}}{RS}"))).await.is_err() {
        return;
    }

    let id = hub.next_id.fetch_add(1, Ordering::Relaxed);
    let (out, mut outbox) = mpsc::unbounded_channel();
    {
        let mut inner = lock(&hub.inner);
        inner.stats.connections += 1;
        inner.stats.negotiated_connections += u64::from(negotiated);
        inner.sessions.insert(
            id,
            Session {
                auth: None,
                out: out.clone(),
                last_unit_message: None,
            },
        );
    }
    for record in rest {
        handle_record(state, id, &record, &out);
    }

    let keep_alive = hub.keep_alive;
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + keep_alive, keep_alive);
    loop {
        tokio::select! {
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    let mut closed = false;
                    for record in text.split(RS).filter(|r| !r.is_empty()) {
                        closed |= handle_record(state, id, record, &out);
                    }
                    if closed { break; }
                }
                Some(Ok(Message::Binary(_))) => {
                    let _ = out.send(Out::Text(close_message("binary messages are not part of the JSON hub protocol")));
                    break;
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            next = outbox.recv() => match next {
                Some(Out::Text(text)) => {
                    if sink.send(Message::text(text)).await.is_err() { break; }
                }
                Some(Out::Close(text)) => {
                    let _ = out.send(Out::Text(text));
                    break;
                }
                Some(Out::Drop) | None => {
                    lock(&hub.inner).sessions.remove(&id);
                    return; // dropping the stream closes the TCP connection
                }
            },
            _ = ping.tick() => {
                if sink.send(Message::text(format!("{{\"type\":6}}{RS}"))).await.is_err() { break; }
            }
        }
    }
    lock(&hub.inner).sessions.remove(&id);
    // Flush what was queued (a completion, a close message), then close.
    while let Ok(Out::Text(text)) = outbox.try_recv() {
        let _ = sink.send(Message::text(text)).await;
    }
    let _ = sink.close().await;
}

fn check_handshake(first: &str, terminated: bool) -> Result<(), String> {
    if !terminated {
        return Err("handshake: the record separator (0x1E) is missing".to_owned());
    }
    let value: Value =
        serde_json::from_str(first).map_err(|e| format!("handshake: not valid JSON ({e})"))?;
    match (value.get("protocol"), value.get("version")) {
        (Some(Value::String(p)), Some(v)) if p == "json" && v.as_u64() == Some(1) => Ok(()),
        (Some(Value::String(p)), _) if p != "json" => Err(format!(
            "The protocol '{p}' is not supported (this hub speaks \"json\" version 1)."
        )),
        _ => Err("handshake: expected {\"protocol\":\"json\",\"version\":1}".to_owned()),
    }
}

fn close_message(error: &str) -> String {
    close_record(Some(error), false)
}

/// One record from the client; `true` when the session must end.
fn handle_record(state: &State, id: u64, record: &str, out: &mpsc::UnboundedSender<Out>) -> bool {
    let send = |v: Value| {
        let _ = out.send(Out::Text(format!("{v}{RS}")));
    };
    let Ok(Value::Object(msg)) = serde_json::from_str::<Value>(record) else {
        send(json!({"type": 7, "error": "a message is not a JSON object"}));
        return true;
    };
    match msg.get("type").and_then(Value::as_u64) {
        Some(1) => {
            let invocation_id = msg.get("invocationId").and_then(Value::as_str);
            let target = msg
                .get("target")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let args = match msg.get("arguments") {
                Some(Value::Array(a)) => a.as_slice(),
                _ => &[],
            };
            let outcome = invoke(state, id, target, args);
            if let Some(invocation_id) = invocation_id {
                send(match outcome {
                    Ok(result) => {
                        json!({"type": 3, "invocationId": invocation_id, "result": result})
                    }
                    Err(error) => json!({"type": 3, "invocationId": invocation_id, "error": error}),
                });
            }
            false
        }
        Some(6) | Some(3) => false,
        Some(7) => true,
        Some(other) => {
            send(
                json!({"type": 7, "error": format!("message type {other} is not supported by this hub")}),
            );
            true
        }
        None => {
            send(json!({"type": 7, "error": "a message has no numeric \"type\""}));
            true
        }
    }
}

/// `{success, error, count}`.
fn outcome(success: bool, error: &str, count: usize) -> Value {
    json!({"success": success, "error": error, "count": count})
}

/// A hub method; `Err` is a completion error (unknown method, wrong arguments).
fn invoke(state: &State, id: u64, target: &str, args: &[Value]) -> Result<Value, String> {
    match target {
        "authenticatev2" | "authenticate" => Ok(authenticate(state, id, args)),
        "unitLocation" => Ok(unit_location(state, id, args)),
        other => Err(format!(
            "Failed to invoke '{other}' because it does not exist (this hub has \
             authenticatev2, authenticate, unitLocation)."
        )),
    }
}

fn authenticate(state: &State, id: u64, args: &[Value]) -> Value {
    let hub = &state.hub;
    let community = args.first().and_then(Value::as_str);
    let key = args.get(1).and_then(Value::as_str);
    let server = match args.get(2) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        {
            Some(n) if n > 0 => Ok(Some(n)),
            _ => Err(format!("serverId: expected a positive server id, got {v}")),
        },
    };
    let credentials_ok = community.is_some_and(|c| c == state.community_id)
        && key.is_some_and(|k| constant_time_eq(k.as_bytes(), state.api_key.as_bytes()));
    let mut inner = lock(&hub.inner);
    match (credentials_ok, server) {
        (true, Ok(server)) => {
            inner.stats.authentications += 1;
            if let Some(session) = inner.sessions.get_mut(&id) {
                session.auth = Some(server);
            }
            outcome(true, "", 0)
        }
        (false, _) => {
            inner.stats.failed_authentications += 1;
            outcome(false, INVALID_CREDENTIALS, 0)
        }
        (true, Err(error)) => {
            inner.stats.failed_authentications += 1;
            outcome(false, &error, 0)
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = (a.len() ^ b.len()) as u64;
    for i in 0..a.len().max(b.len()) {
        diff |= u64::from(a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0));
    }
    std::hint::black_box(diff) == 0
}

/// The unit's target, `communityUserId:player-1`, or `None` when it has none or no location.
fn unit_target(update: &Value) -> Option<String> {
    let obj = update.as_object()?;
    obj.get("location")?.as_str()?;
    ["identId", "apiId", "communityUserId", "roblox"]
        .iter()
        .find_map(|name| match obj.get(*name) {
            Some(Value::String(s)) if !s.is_empty() => Some(format!("{name}:{s}")),
            Some(Value::Number(n)) => Some(format!("{name}:{n}")),
            _ => None,
        })
}

fn unit_location(state: &State, id: u64, args: &[Value]) -> Value {
    let mut inner = lock(&state.hub.inner);
    let now = Instant::now();
    let Inner {
        sessions,
        stats,
        units,
        ..
    } = &mut *inner;
    let Some(session) = sessions.get_mut(&id) else {
        return outcome(false, UNAUTHENTICATED, 0);
    };
    if session.auth.is_none() {
        stats
            .violations
            .push("unitLocation before authenticate".to_owned());
        return outcome(false, UNAUTHENTICATED, 0);
    }
    let updates = match args.first() {
        Some(Value::Array(a)) if !a.is_empty() => a,
        _ => {
            stats
                .violations
                .push("unitLocation without updates".to_owned());
            return outcome(false, MISSING_UPDATES, 0);
        }
    };
    if updates.len() > MAX_UNITS_PER_MESSAGE {
        stats.violations.push(format!(
            "unitLocation with {} updates (at most {MAX_UNITS_PER_MESSAGE})",
            updates.len()
        ));
        return outcome(false, TOO_MANY, 0);
    }
    if let Some(last) = session.last_unit_message {
        let gap = now.duration_since(last);
        let ms = u64::try_from(gap.as_millis()).unwrap_or(u64::MAX);
        stats.min_unit_interval_ms = Some(stats.min_unit_interval_ms.map_or(ms, |m| m.min(ms)));
        if gap < UNIT_INTERVAL {
            stats.violations.push(format!(
                "unitLocation {ms} ms after the previous one (at least {} ms)",
                UNIT_INTERVAL.as_millis()
            ));
        }
        if gap < MIN_UNIT_INTERVAL {
            return outcome(false, TOO_FAST, 0);
        }
    }
    let targets: Option<Vec<String>> = updates.iter().map(unit_target).collect();
    let Some(targets) = targets else {
        stats
            .violations
            .push("unitLocation update without a target or location".to_owned());
        return outcome(false, INVALID_TARGET, 0);
    };
    session.last_unit_message = Some(now);
    stats.unit_location_messages += 1;
    stats.unit_updates += updates.len() as u64;
    stats.max_units_in_message = stats.max_units_in_message.max(updates.len() as u64);
    for (target, update) in targets.into_iter().zip(updates) {
        units.insert(target, update.clone());
    }
    outcome(true, "", updates.len())
}

/// Delivers a push event as Sonoran does: to the sessions authenticated for `server_id`,
/// else by HTTP POST to the listener. The payload is `{key, type, data}` either way.
pub(crate) async fn deliver(
    state: &State,
    server_id: i64,
    event_type: &str,
    data: Value,
) -> Result<Delivery, DeliveryError> {
    let data = event_data(state.api, event_type, data).map_err(|_| DeliveryError::NoExample {
        event_type: event_type.to_owned(),
    })?;
    let payload = json!({"key": state.api_key, "type": event_type, "data": data});
    let listener = if state.api.has_hub() {
        let mut inner = lock(&state.hub.inner);
        let message = format!(
            "{}{RS}",
            json!({"type": 1, "target": "pushEvent", "arguments": [payload]})
        );
        let mut sent = 0;
        for session in inner.sessions.values() {
            if session.auth == Some(Some(server_id))
                && session.out.send(Out::Text(message.clone())).is_ok()
            {
                sent += 1;
            }
        }
        if sent > 0 {
            inner.stats.events_websocket += 1;
            return Ok(Delivery::Websocket { sessions: sent });
        }
        inner.listener.clone()
    } else {
        lock(&state.hub.inner).listener.clone()
    };
    let Some(url) = listener else {
        return Err(if state.api.has_hub() {
            DeliveryError::NoRoute { server_id }
        } else {
            DeliveryError::NoListener
        });
    };
    let status = post_json(&url, &payload.to_string())
        .await
        .map_err(|reason| DeliveryError::Listener {
            url: url.clone(),
            reason,
        })?;
    lock(&state.hub.inner).stats.events_http += 1;
    Ok(Delivery::Http { status })
}

/// `http://host:port/path` split, or why not.
pub(crate) fn parse_listener(url: &str) -> Result<(String, String), String> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        format!("listener: expected an http:// URL (the fake posts on loopback), got {url:?}")
    })?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains('@') {
        return Err(format!("listener: no host:port in {url:?}"));
    }
    Ok((authority.to_owned(), path.to_owned()))
}

/// POSTs `body` as JSON to the listener; its status.
async fn post_json(url: &str, body: &str) -> Result<u16, String> {
    let (authority, path) = parse_listener(url)?;
    let attempt = async {
        let stream = tokio::net::TcpStream::connect(&authority)
            .await
            .map_err(|e| format!("connecting to {authority}: {e}"))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP handshake: {e}"))?;
        tokio::spawn(conn);
        let req = Request::post(path)
            .header(header::HOST, &authority)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body.to_owned())))
            .map_err(|e| format!("building the request: {e}"))?;
        let reply = sender
            .send_request(req)
            .await
            .map_err(|e| format!("sending: {e}"))?;
        Ok(reply.status().as_u16())
    };
    tokio::time::timeout(Duration::from_secs(10), attempt)
        .await
        .map_err(|_| "no reply within 10 s".to_owned())?
}

/// `GET /__fake/ws`.
pub(crate) fn stats_json(state: &State) -> Value {
    let hub = &state.hub;
    let stats = hub.stats();
    let (open, servers) = hub.sessions();
    let units: Map<String, Value> = hub.units().into_iter().collect();
    json!({
        "negotiations": stats.negotiations,
        "connections": stats.connections,
        "negotiatedConnections": stats.negotiated_connections,
        "open": open,
        "authenticated": servers.len(),
        "servers": servers,
        "authentications": stats.authentications,
        "failedAuthentications": stats.failed_authentications,
        "unitLocationMessages": stats.unit_location_messages,
        "unitUpdates": stats.unit_updates,
        "maxUnitsInMessage": stats.max_units_in_message,
        "minUnitIntervalMs": stats.min_unit_interval_ms,
        "violations": stats.violations,
        "eventsWebsocket": stats.events_websocket,
        "eventsHttp": stats.events_http,
        "listener": hub.listener(),
        "units": units,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_checks() {
        assert!(check_handshake(r#"{"protocol":"json","version":1}"#, true).is_ok());
        assert!(
            check_handshake(r#"{"protocol":"json","version":1}"#, false)
                .unwrap_err()
                .contains("0x1E")
        );
        assert!(
            check_handshake(r#"{"protocol":"messagepack","version":1}"#, true)
                .unwrap_err()
                .contains("'messagepack' is not supported")
        );
        assert!(
            check_handshake("{", true)
                .unwrap_err()
                .contains("not valid JSON")
        );
    }

    #[test]
    fn unit_targets() {
        assert_eq!(
            unit_target(&json!({"communityUserId": "p1", "location": "x"})).as_deref(),
            Some("communityUserId:p1")
        );
        assert_eq!(
            unit_target(&json!({"roblox": 5, "location": "x"})).as_deref(),
            Some("roblox:5")
        );
        assert_eq!(unit_target(&json!({"roblox": 5})), None);
        assert_eq!(unit_target(&json!({"location": "x"})), None);
        assert_eq!(unit_target(&json!(3)), None);
    }

    #[test]
    fn listener_urls() {
        assert_eq!(
            parse_listener("http://127.0.0.1:9/events").unwrap(),
            ("127.0.0.1:9".to_owned(), "/events".to_owned())
        );
        assert_eq!(parse_listener("http://h:1").unwrap().1, "/");
        assert!(parse_listener("https://h/x").is_err());
        assert!(parse_listener("http:///x").is_err());
    }
}
