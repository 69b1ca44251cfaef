//! The websocket API (`/apiWsHub`): one authenticated session that receives Sonoran's push
//! events and streams `unitLocation` updates (feature `websocket`, native targets).
//!
//! The hub is an ASP.NET Core SignalR hub speaking the JSON hub protocol. A [`Session`]
//! connects the way SignalR clients do by default, as Sonoran's own FiveM resource does:
//! `POST /apiWsHub/negotiate?negotiateVersion=1`, then the websocket with the connection token
//! ([`SessionBuilder::skip_negotiation`] goes straight to the websocket, as Sonoran's docs
//! show). It authenticates with `authenticatev2` (community id, API key, server id), sends a
//! ping every 15 s, treats 30 s without a message from the hub as a dead connection, and
//! reconnects after a drop on the first-party schedule (at once, then after 2, 10 and 30 s,
//! then every 30 s: [`ReconnectPolicy`]), negotiating and authenticating again each time, so
//! the server's push events resume. A refused authentication is never retried:
//! [`SessionBuilder::connect`] returns [`WsError::Auth`], and a refusal after a reconnect ends
//! the event stream with it. [`Session::lifecycle`] reports each disconnect, reconnect attempt
//! and reconnect (`Connected`, then `Reconnected`), so that users can resynchronise.
//!
//! ```no_run
//! # async fn run() -> Result<(), sonoran_cad::websocket::WsError> {
//! use sonoran_cad::websocket::{Session, UnitLocation, UnitTarget};
//!
//! let mut session = Session::builder()
//!     .community_id("YOUR_COMMUNITY_ID")
//!     .api_key("YOUR_API_KEY")
//!     .server_id(1)
//!     .connect()
//!     .await?;
//!
//! // Live map: as often as you like; at most 25 units a message, one message per 250 ms.
//! let units = session.unit_locations();
//! units.update(UnitLocation::new(UnitTarget::ApiId("STEAM:1234".into()), "Route 68").coordinates(1.0, 2.0, 3.0, 90.0));
//!
//! while let Some(event) = session.next_event().await {
//!     let event = event?;
//!     println!("{}", event.type_name());
//! }
//! # Ok(()) }
//! ```
//!
//! [`Session`] is also a [`futures_core::Stream`] of `Result<PushEvent, WsError>`.

mod protocol;
mod units;

pub use units::{
    Coordinates, MAX_UNITS_PER_MESSAGE, UNIT_INTERVAL, UnitLocation, UnitLocations, UnitStats,
    UnitTarget,
};

use crate::ApiKey;
use crate::events::{PushEvent, ReceiveError};
use futures_util::{SinkExt, StreamExt};
use protocol::Incoming;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio_tungstenite::tungstenite::Message;

/// The production hub.
pub const PRODUCTION_HUB_URL: &str = "wss://api.sonorancad.com/apiWsHub";

/// The server whose push events a session receives unless told otherwise: 1, as the REST
/// client's default server id.
pub const DEFAULT_SERVER_ID: i64 = 1;

/// Why a websocket session failed. The API key never appears in it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WsError {
    /// The configuration cannot work (no key, a URL that is not ws(s)/http(s)).
    Config(String),
    /// No websocket connection could be opened to `url`.
    Connect { url: String, reason: String },
    /// The hub refused the SignalR handshake or answered it wrongly.
    Handshake(String),
    /// `authenticatev2` answered `success: false` (a wrong community id or API key, an
    /// unknown server id), with the hub's reason. Not retried.
    Auth { reason: String },
    /// The hub sent something that is not the hub protocol, said what and where.
    Protocol(String),
    /// A `pushEvent` payload that is not `{key, type, data}` ([`ReceiveError::NotAnEnvelope`]),
    /// whose `key` is not this session's (a forged event: [`ReceiveError::WrongKey`]), or
    /// whose `data` does not have the documented shape ([`ReceiveError::Event`], naming the
    /// field). The session goes on.
    Event(ReceiveError),
    /// An invocation failed on the hub (an unknown method, bad arguments).
    Invocation { method: String, error: String },
    /// The connection is down (reconnecting); the call was not sent or not answered.
    Disconnected,
    /// The session was closed.
    Closed,
}

impl fmt::Display for WsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WsError::Config(e) => write!(f, "websocket configuration: {e}"),
            WsError::Connect { url, reason } => write!(f, "cannot connect to {url}: {reason}"),
            WsError::Handshake(e) => write!(f, "SignalR handshake refused: {e}"),
            WsError::Auth { reason } => write!(f, "authenticatev2 refused: {reason}"),
            WsError::Protocol(e) => write!(f, "hub protocol: {e}"),
            WsError::Event(e) => write!(f, "pushEvent: {e}"),
            WsError::Invocation { method, error } => {
                write!(f, "{method} failed on the hub: {error}")
            }
            WsError::Disconnected => f.write_str("the websocket connection is down (reconnecting)"),
            WsError::Closed => f.write_str("the websocket session is closed"),
        }
    }
}

impl std::error::Error for WsError {}

impl WsError {
    /// The category, named as the npm package's `WebsocketError.kind` names it (`config`,
    /// `connect`, `auth`, `event`, `invocation`, `closed`): what failed opening the
    /// connection (`Connect`, `Handshake`, `Protocol`) is `connect`, a connection that is
    /// down or gone (`Disconnected`, `Closed`) is `closed`. (`overflow`, the JS `for await`
    /// queue dropping events, has no Rust error: [`Session::next_event`] keeps every event.)
    pub fn kind(&self) -> &'static str {
        match self {
            WsError::Config(_) => "config",
            WsError::Connect { .. } | WsError::Handshake(_) | WsError::Protocol(_) => "connect",
            WsError::Auth { .. } => "auth",
            WsError::Event(_) => "event",
            WsError::Invocation { .. } => "invocation",
            WsError::Disconnected | WsError::Closed => "closed",
        }
    }
}

/// How a dropped connection is retried: attempt `n` (from 0) waits `delays[n]`, the last
/// delay again for every later attempt, without end unless `max_attempts` is set. The
/// default is the schedule of Sonoran's own FiveM resource (`sonorancad/core/apiws.js`:
/// SignalR's `withAutomaticReconnect` with `[0, 2000, 10000, 30000]` ms, then a retry every
/// 30 s): at once, after 2 s, 10 s, 30 s, then every 30 s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconnectPolicy {
    /// The wait before each attempt; the last one repeats (empty: no wait).
    pub delays: Vec<Duration>,
    /// Reconnect attempts after a drop before the session gives up (`None`: no bound).
    pub max_attempts: Option<u32>,
}

/// The first-party reconnect schedule: 0, 2, 10 and 30 s.
pub const FIRST_PARTY_RECONNECT_DELAYS: [Duration; 4] = [
    Duration::ZERO,
    Duration::from_secs(2),
    Duration::from_secs(10),
    Duration::from_secs(30),
];

impl Default for ReconnectPolicy {
    fn default() -> Self {
        ReconnectPolicy {
            delays: FIRST_PARTY_RECONNECT_DELAYS.to_vec(),
            max_attempts: None,
        }
    }
}

impl ReconnectPolicy {
    /// Waits `delays`, the last one repeating, without a bound on attempts.
    pub fn with_delays(delays: impl IntoIterator<Item = Duration>) -> Self {
        ReconnectPolicy {
            delays: delays.into_iter().collect(),
            max_attempts: None,
        }
    }

    /// The wait before reconnect attempt `attempt` (0 first).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let last = self.delays.len().saturating_sub(1);
        let index = usize::try_from(attempt).unwrap_or(usize::MAX).min(last);
        self.delays.get(index).copied().unwrap_or_default()
    }
}

/// What happened to a session's connection ([`Session::lifecycle`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lifecycle {
    /// Connected and authenticated again after a drop, sent just before [`Lifecycle::Reconnected`]:
    /// reload what you mirror here (events sent while the session was down are not replayed).
    /// The session's first connection has no such item: it is connected and authenticated
    /// when [`SessionBuilder::connect`] returns, before a receiver can exist.
    Connected,
    /// The connection dropped or the hub closed it (with the hub's `error`, if it gave one).
    Disconnected { reason: Option<String> },
    /// Reconnect attempt `attempt` (from 0) starts after `after`.
    Reconnecting { attempt: u32, after: Duration },
    /// Connected and authenticated again: push events flow once more.
    Reconnected,
    /// The session ended (closed, a refused re-authentication, out of attempts).
    Closed,
}

/// Where a session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionState {
    /// Connected and authenticated.
    Connected,
    /// The connection dropped; reconnecting (`attempt` from 0).
    Reconnecting { attempt: u32 },
    /// Closed: by [`Session::close`], a refused re-authentication, or out of attempts.
    Closed,
}

/// Configures a [`Session`]: [`Session::builder`], or `Client::websocket()` with the
/// `http` feature.
#[derive(Clone)]
pub struct SessionBuilder {
    url: String,
    community_id: Option<String>,
    api_key: Option<ApiKey>,
    server_id: Option<i64>,
    reconnect: ReconnectPolicy,
    keep_alive: Duration,
    server_timeout: Duration,
    skip_negotiation: bool,
}

impl fmt::Debug for SessionBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionBuilder")
            .field("url", &self.url)
            .field("community_id", &self.community_id)
            .field("api_key", &self.api_key)
            .field("server_id", &self.server_id)
            .field("reconnect", &self.reconnect)
            .field("skip_negotiation", &self.skip_negotiation)
            .finish_non_exhaustive()
    }
}

impl Default for SessionBuilder {
    fn default() -> Self {
        SessionBuilder {
            url: PRODUCTION_HUB_URL.to_owned(),
            community_id: None,
            api_key: None,
            server_id: Some(DEFAULT_SERVER_ID),
            reconnect: ReconnectPolicy::default(),
            keep_alive: Duration::from_secs(15),
            server_timeout: Duration::from_secs(30),
            skip_negotiation: false,
        }
    }
}

impl SessionBuilder {
    pub fn community_id(mut self, id: impl Into<String>) -> Self {
        self.community_id = Some(id.into());
        self
    }

    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(ApiKey::new(key));
        self
    }

    /// The server whose push events this session receives: 1 unless set, as the REST
    /// client's `server_id` (and the npm hub client's `serverId`). Must be 1 or more.
    pub fn server_id(mut self, id: i64) -> Self {
        self.server_id = Some(id);
        self
    }

    /// Authenticate without a server: the session can send `unitLocation` updates but
    /// receives no push events (the npm client's `serverId: null`).
    pub fn without_server(mut self) -> Self {
        self.server_id = None;
        self
    }

    /// The API's base URL (`https://api.sonorancad.com`, `http://127.0.0.1:8787` for the
    /// fake) or the hub's URL itself (`wss://.../apiWsHub`): `http(s)` becomes `ws(s)`, and
    /// `/apiWsHub` is added when missing.
    pub fn url(mut self, url: impl AsRef<str>) -> Self {
        self.url = url.as_ref().to_owned();
        self
    }

    /// Go straight to the websocket, without `POST /apiWsHub/negotiate` (SignalR's
    /// `skipNegotiation: true`, as Sonoran's docs connect). Off by default: the session
    /// negotiates first, as SignalR clients and Sonoran's own FiveM resource do.
    pub fn skip_negotiation(mut self, skip: bool) -> Self {
        self.skip_negotiation = skip;
        self
    }

    pub fn reconnect(mut self, policy: ReconnectPolicy) -> Self {
        self.reconnect = policy;
        self
    }

    /// How often a ping is sent (default 15 s, as SignalR clients do).
    pub fn keep_alive(mut self, every: Duration) -> Self {
        self.keep_alive = every;
        self
    }

    /// How long without any message from the hub counts as a dead connection (default 30 s;
    /// the hub pings every 15 s).
    pub fn server_timeout(mut self, after: Duration) -> Self {
        self.server_timeout = after;
        self
    }

    /// Connects, does the handshake and authenticates; then the session runs (and
    /// reconnects) in a tokio task until closed or dropped.
    pub async fn connect(self) -> Result<Session, WsError> {
        let url = hub_url(&self.url)?;
        let api_key = self
            .api_key
            .clone()
            .filter(|k| !k.is_blank())
            .ok_or_else(|| WsError::Config("no API key: call `.api_key(...)`".to_owned()))?;
        if let Some(id) = self.server_id.filter(|id| *id < 1) {
            return Err(WsError::Config(format!(
                "server id {id}: server ids start at 1 (`.without_server()` for none)"
            )));
        }
        let community_id = self
            .community_id
            .clone()
            .filter(|c| !c.trim().is_empty())
            .ok_or_else(|| {
                WsError::Config("no community id: call `.community_id(...)`".to_owned())
            })?;
        let config = Arc::new(Config {
            url,
            community_id,
            api_key,
            server_id: self.server_id,
            reconnect: self.reconnect,
            keep_alive: self.keep_alive,
            server_timeout: self.server_timeout,
            skip_negotiation: self.skip_negotiation,
            // One negotiate request per connection attempt: nothing to pool.
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .map_err(|e| WsError::Config(format!("the HTTP client for negotiate: {e}")))?,
        });
        let connection = open(&config).await?;
        let (lifecycle, _) = broadcast::channel(64);
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (events_tx, events) = mpsc::unbounded_channel();
        let (state_tx, state) = watch::channel(SessionState::Connected);
        let units = Arc::new(units::Shared::default());
        tokio::spawn(drive(
            Arc::clone(&config),
            connection,
            command_rx,
            events_tx,
            state_tx,
            lifecycle.clone(),
        ));
        tokio::spawn(units::flush_loop(
            Arc::clone(&units),
            commands.clone(),
            state.clone(),
        ));
        Ok(Session {
            config,
            commands,
            events,
            state,
            lifecycle,
            units: UnitLocations { shared: units },
        })
    }
}

/// `http(s)` to `ws(s)`, `/apiWsHub` added.
fn hub_url(url: &str) -> Result<String, WsError> {
    let url = url.trim().trim_end_matches('/');
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| WsError::Config(format!("`{url}` is not an absolute URL")))?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "ws" | "http" => "ws",
        "wss" | "https" => "wss",
        other => {
            return Err(WsError::Config(format!(
                "`{url}`: the scheme must be ws, wss, http or https, not {other}"
            )));
        }
    };
    if rest.is_empty() || rest.contains(['?', '#']) {
        return Err(WsError::Config(format!(
            "`{url}`: expected a host (and path) without query or fragment"
        )));
    }
    let path = if rest.ends_with("/apiWsHub") {
        ""
    } else {
        "/apiWsHub"
    };
    Ok(format!("{scheme}://{rest}{path}"))
}

struct Config {
    url: String,
    community_id: String,
    api_key: ApiKey,
    server_id: Option<i64>,
    reconnect: ReconnectPolicy,
    keep_alive: Duration,
    server_timeout: Duration,
    skip_negotiation: bool,
    /// For `POST /apiWsHub/negotiate`.
    http: reqwest::Client,
}

/// A call for the connection task.
pub(crate) enum Command {
    Invoke {
        target: &'static str,
        arguments: Vec<Value>,
        reply: oneshot::Sender<Result<Value, WsError>>,
    },
    Close,
}

/// An authenticated session with the websocket API. Dropping it closes it.
pub struct Session {
    config: Arc<Config>,
    commands: mpsc::UnboundedSender<Command>,
    events: mpsc::UnboundedReceiver<Result<PushEvent, WsError>>,
    state: watch::Receiver<SessionState>,
    lifecycle: broadcast::Sender<Lifecycle>,
    units: UnitLocations,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("url", &self.config.url)
            .field("community_id", &self.config.community_id)
            .field("server_id", &self.config.server_id)
            .field("state", &*self.state.borrow())
            .finish_non_exhaustive()
    }
}

impl Session {
    pub fn builder() -> SessionBuilder {
        SessionBuilder::default()
    }

    /// The next push event; `None` once the session is closed. An `Err` item is a payload
    /// that failed to decode (the session goes on) or the reason the session ended (a
    /// refused re-authentication, out of reconnect attempts), after which `None` follows.
    pub async fn next_event(&mut self) -> Option<Result<PushEvent, WsError>> {
        self.events.recv().await
    }

    /// The `unitLocation` sender of this session.
    pub fn unit_locations(&self) -> UnitLocations {
        self.units.clone()
    }

    pub fn state(&self) -> SessionState {
        *self.state.borrow()
    }

    /// What happens to the connection from now on, in order: [`Lifecycle::Disconnected`],
    /// then [`Lifecycle::Reconnecting`] before each attempt, [`Lifecycle::Connected`] and
    /// [`Lifecycle::Reconnected`] once connected and authenticated again,
    /// [`Lifecycle::Closed`] at the end. (The session is connected when
    /// [`SessionBuilder::connect`] returns: load your state then, and again at each
    /// [`Lifecycle::Connected`].) A receiver that falls more than 64
    /// changes behind gets `RecvError::Lagged` and goes on from the oldest it still has.
    pub fn lifecycle(&self) -> broadcast::Receiver<Lifecycle> {
        self.lifecycle.subscribe()
    }

    /// Waits until the session is connected and authenticated (at once when it is), or
    /// `Err(Closed)` when it closed instead.
    pub async fn connected(&self) -> Result<(), WsError> {
        let mut state = self.state.clone();
        match state
            .wait_for(|s| matches!(s, SessionState::Connected | SessionState::Closed))
            .await
        {
            Ok(s) if *s == SessionState::Connected => Ok(()),
            _ => Err(WsError::Closed),
        }
    }

    /// Calls a hub method and waits for its completion (the `{success, error, count}` the
    /// docs describe, for `unitLocation`).
    pub async fn invoke(
        &self,
        method: &'static str,
        arguments: Vec<Value>,
    ) -> Result<Value, WsError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Invoke {
                target: method,
                arguments,
                reply,
            })
            .map_err(|_| WsError::Closed)?;
        answer.await.unwrap_or(Err(WsError::Closed))
    }

    /// Sends a close message and ends the session.
    pub fn close(&self) {
        let _ = self.commands.send(Command::Close);
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.close();
    }
}

impl futures_core::Stream for Session {
    type Item = Result<PushEvent, WsError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.events.poll_recv(cx)
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// An open, authenticated connection and the records that came with the handshake.
struct Connection {
    socket: Socket,
    early: Vec<String>,
}

/// `POST /apiWsHub/negotiate?negotiateVersion=1` (dotnet/aspnetcore `TransportProtocols.md`):
/// the id the websocket brings (`connectionToken`, or `connectionId` from a version 0 hub),
/// after checking that the hub offers WebSockets with text frames.
async fn negotiate(config: &Config, step: Duration) -> Result<String, WsError> {
    let url = negotiate_url(&config.url);
    let failed = |reason: String| WsError::Connect {
        url: config.url.clone(),
        reason,
    };
    let reply = config
        .http
        .post(&url)
        .header("content-type", "text/plain;charset=UTF-8")
        .timeout(step)
        .send()
        .await
        .map_err(|e| failed(format!("negotiate: {}", with_sources(e.without_url()))))?;
    let status = reply.status();
    let text = reply.text().await.map_err(|e| {
        failed(format!(
            "negotiate: reading the reply: {}",
            with_sources(e.without_url())
        ))
    })?;
    if !status.is_success() {
        let text: String = text.chars().take(200).collect();
        return Err(failed(format!("negotiate answered {status}: {text}")));
    }
    negotiated_id(&text).map_err(failed)
}

/// An error and its sources, `: `-joined (reqwest's own text is only "error sending request").
fn with_sources(error: reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// The negotiate URL of a hub URL (`ws(s)://host/apiWsHub`).
fn negotiate_url(hub: &str) -> String {
    let http = match hub.strip_prefix("wss://") {
        Some(rest) => format!("https://{rest}"),
        None => format!("http://{}", hub.trim_start_matches("ws://")),
    };
    format!("{http}/negotiate?negotiateVersion=1")
}

/// The websocket's `id` from a negotiate reply, or why there is none.
fn negotiated_id(text: &str) -> Result<String, String> {
    let reply: Value = serde_json::from_str(text)
        .map_err(|e| format!("negotiate: the reply is not JSON ({e})"))?;
    if let Some(error) = reply.get("error").and_then(Value::as_str) {
        return Err(format!("negotiate: the hub refused: {error}"));
    }
    if reply.get("url").is_some_and(|u| !u.is_null()) {
        return Err(
            "negotiate: the hub redirects to another service (`url`), which this client does \
             not follow"
                .to_owned(),
        );
    }
    let websockets = reply
        .get("availableTransports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|t| {
            t.get("transport").and_then(Value::as_str) == Some("WebSockets")
                && t.get("transferFormats")
                    .and_then(Value::as_array)
                    .is_some_and(|f| f.iter().any(|f| f == "Text"))
        });
    if !websockets {
        return Err(format!(
            "negotiate: the hub offers no WebSockets transport with text frames ({})",
            reply.get("availableTransports").unwrap_or(&Value::Null)
        ));
    }
    let version = reply
        .get("negotiateVersion")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let field = if version >= 1 {
        "connectionToken"
    } else {
        "connectionId"
    };
    reply
        .get(field)
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| format!("negotiate: version {version} reply without `{field}`"))
}

/// `value` percent-encoded for a query string (ids are base64url, but a hub may send more).
fn query_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Connects (negotiating first unless told not to), handshakes and authenticates once.
async fn open(config: &Config) -> Result<Connection, WsError> {
    const STEP: Duration = Duration::from_secs(15);
    let ws_url = if config.skip_negotiation {
        config.url.clone()
    } else {
        let id = negotiate(config, STEP).await?;
        format!("{}?id={}", config.url, query_escape(&id))
    };
    let connect = tokio_tungstenite::connect_async(ws_url.as_str());
    let (mut socket, _) = tokio::time::timeout(STEP, connect)
        .await
        .map_err(|_| WsError::Connect {
            url: config.url.clone(),
            reason: format!("no answer within {} s", STEP.as_secs()),
        })?
        .map_err(|e| WsError::Connect {
            url: config.url.clone(),
            reason: e.to_string(),
        })?;
    send(&mut socket, protocol::handshake()).await?;
    // The answer is the first record; more may follow in the same frame.
    let mut early = Vec::new();
    loop {
        let frame = tokio::time::timeout(STEP, next_text(&mut socket))
            .await
            .map_err(|_| WsError::Handshake("no handshake answer within 15 s".to_owned()))??;
        let mut records = protocol::records(&frame);
        if let Some(first) = records.next() {
            protocol::handshake_reply(first).map_err(WsError::Handshake)?;
            early.extend(records.map(str::to_owned));
            break;
        }
    }
    // Authenticate: the completion of invocation 0.
    let mut args = vec![json!(config.community_id), json!(config.api_key.expose())];
    if let Some(server) = config.server_id {
        args.push(json!(server));
    }
    send(
        &mut socket,
        protocol::invocation(0, "authenticatev2", &args),
    )
    .await?;
    let deadline = tokio::time::Instant::now() + STEP;
    let mut pending_records = std::mem::take(&mut early);
    loop {
        if pending_records.is_empty() {
            let frame = tokio::time::timeout_at(deadline, next_text(&mut socket))
                .await
                .map_err(|_| WsError::Auth {
                    reason: "no answer to authenticatev2 within 15 s".to_owned(),
                })??;
            pending_records = protocol::records(&frame).map(str::to_owned).collect();
            continue;
        }
        let record = pending_records.remove(0);
        match protocol::parse(&record).map_err(WsError::Protocol)? {
            Incoming::Completion { id, outcome } if id == "0" => {
                let result = outcome.map_err(|error| WsError::Auth { reason: error })?;
                return match result.get("success").and_then(Value::as_bool) {
                    Some(true) => Ok(Connection {
                        socket,
                        early: std::mem::take(&mut early)
                            .into_iter()
                            .chain(pending_records)
                            .collect(),
                    }),
                    _ => Err(WsError::Auth {
                        reason: result
                            .get("error")
                            .and_then(Value::as_str)
                            .filter(|e| !e.is_empty())
                            .map_or_else(|| format!("the hub answered {result}"), str::to_owned),
                    }),
                };
            }
            Incoming::Close { error } => {
                return Err(WsError::Auth {
                    reason: error.unwrap_or_else(|| "the hub closed the connection".to_owned()),
                });
            }
            // A ping, or an event that raced the answer: keep events for the session.
            Incoming::Invocation { .. } => early.push(record),
            _ => {}
        }
    }
}

async fn send(socket: &mut Socket, text: String) -> Result<(), WsError> {
    socket
        .send(Message::text(text))
        .await
        .map_err(|_| WsError::Disconnected)
}

/// The next text (or binary UTF-8) frame.
async fn next_text(socket: &mut Socket) -> Result<String, WsError> {
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(t))) => return Ok(t.to_string()),
            Some(Ok(Message::Binary(b))) => {
                return String::from_utf8(b.to_vec()).map_err(|_| {
                    WsError::Protocol("a binary frame that is not UTF-8 JSON".to_owned())
                });
            }
            Some(Ok(Message::Close(_))) | None => return Err(WsError::Disconnected),
            Some(Ok(_)) => {}
            Some(Err(_)) => return Err(WsError::Disconnected),
        }
    }
}

/// Why a connection ended.
enum Ended {
    /// Reconnect; the hub's reason when it closed the connection with one.
    Dropped(Option<String>),
    /// [`Session::close`] or the session was dropped.
    Closed,
}

/// The session's task: runs a connection, reconnects after a drop, until closed.
async fn drive(
    config: Arc<Config>,
    first: Connection,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<Result<PushEvent, WsError>>,
    state: watch::Sender<SessionState>,
    lifecycle: broadcast::Sender<Lifecycle>,
) {
    let mut connection = Some(first);
    let mut next_id: u64 = 1;
    let mut first_time = true;
    loop {
        if let Some(conn) = connection.take() {
            let _ = state.send(SessionState::Connected);
            if !std::mem::take(&mut first_time) {
                let _ = lifecycle.send(Lifecycle::Connected);
                let _ = lifecycle.send(Lifecycle::Reconnected);
            }
            crate::trace!(debug!(url = %config.url, "websocket session authenticated"));
            match run(&config, conn, &mut commands, &events, &mut next_id).await {
                Ended::Closed => break,
                Ended::Dropped(reason) => {
                    let _ = lifecycle.send(Lifecycle::Disconnected { reason });
                }
            }
        }
        // Reconnect: backoff, then connect and authenticate again.
        let mut attempt = 0;
        let reconnected = loop {
            if config
                .reconnect
                .max_attempts
                .is_some_and(|max| attempt >= max)
            {
                let _ = events.send(Err(WsError::Connect {
                    url: config.url.clone(),
                    reason: format!("gave up after {attempt} reconnect attempts"),
                }));
                break None;
            }
            let _ = state.send(SessionState::Reconnecting { attempt });
            let after = config.reconnect.backoff(attempt);
            let _ = lifecycle.send(Lifecycle::Reconnecting { attempt, after });
            let wait = tokio::time::sleep(after);
            tokio::pin!(wait);
            // While down, calls fail at once and a close ends the session.
            let closed = loop {
                tokio::select! {
                    () = &mut wait => break false,
                    cmd = commands.recv() => match cmd {
                        Some(Command::Invoke { reply, .. }) => { let _ = reply.send(Err(WsError::Disconnected)); }
                        Some(Command::Close) | None => break true,
                    },
                }
            };
            if closed {
                break None;
            }
            match open(&config).await {
                Ok(conn) => break Some(conn),
                Err(e @ WsError::Auth { .. }) => {
                    let _ = events.send(Err(e));
                    break None;
                }
                Err(_) => attempt += 1,
            }
        };
        match reconnected {
            Some(conn) => connection = Some(conn),
            None => break,
        }
    }
    let _ = state.send(SessionState::Closed);
    let _ = lifecycle.send(Lifecycle::Closed);
}

/// Invocations awaiting their completion, by invocation id: the method and the caller.
type Pending = HashMap<String, (&'static str, oneshot::Sender<Result<Value, WsError>>)>;

/// One connection, until it drops or the session closes.
async fn run(
    config: &Config,
    conn: Connection,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    events: &mpsc::UnboundedSender<Result<PushEvent, WsError>>,
    next_id: &mut u64,
) -> Ended {
    let Connection { mut socket, early } = conn;
    let mut pending: Pending = HashMap::new();
    for record in early {
        if let Err(e) = on_record(config, &record, events, &mut pending) {
            let _ = events.send(Err(e));
        }
    }
    let mut ping = tokio::time::interval_at(
        tokio::time::Instant::now() + config.keep_alive,
        config.keep_alive,
    );
    let silence = tokio::time::sleep(config.server_timeout);
    tokio::pin!(silence);
    let ended = loop {
        tokio::select! {
            frame = next_text(&mut socket) => match frame {
                Ok(frame) => {
                    silence.as_mut().reset(tokio::time::Instant::now() + config.server_timeout);
                    let mut closed_by_hub = None;
                    for record in protocol::records(&frame) {
                        match on_record(config, record, events, &mut pending) {
                            Ok(Some(reason)) => closed_by_hub = Some(reason),
                            Ok(None) => {}
                            Err(e) => { let _ = events.send(Err(e)); }
                        }
                    }
                    if let Some(reason) = closed_by_hub { break Ended::Dropped(reason); }
                }
                Err(_) => break Ended::Dropped(None),
            },
            cmd = commands.recv() => match cmd {
                Some(Command::Invoke { target, arguments, reply }) => {
                    let id = *next_id;
                    *next_id += 1;
                    if send(&mut socket, protocol::invocation(id, target, &arguments)).await.is_err() {
                        let _ = reply.send(Err(WsError::Disconnected));
                        break Ended::Dropped(None);
                    }
                    pending.insert(id.to_string(), (target, reply));
                }
                Some(Command::Close) | None => {
                    let _ = send(&mut socket, protocol::close()).await;
                    let _ = socket.close(None).await;
                    break Ended::Closed;
                }
            },
            _ = ping.tick() => {
                if send(&mut socket, protocol::ping()).await.is_err() { break Ended::Dropped(None); }
            }
            () = &mut silence => {
                crate::trace!(warn!(url = %config.url, "no message from the hub within the server timeout; reconnecting"));
                break Ended::Dropped(Some("no message from the hub within the server timeout".to_owned()));
            }
        }
    };
    let error = match ended {
        Ended::Closed => WsError::Closed,
        Ended::Dropped(_) => WsError::Disconnected,
    };
    for (_, (_, reply)) in pending.drain() {
        let _ = reply.send(Err(error.clone()));
    }
    ended
}

/// One record on a running connection; `Ok(Some(reason))` when the hub closed it (with its
/// `error`, if any), `Ok(None)` to go on.
fn on_record(
    config: &Config,
    record: &str,
    events: &mpsc::UnboundedSender<Result<PushEvent, WsError>>,
    pending: &mut Pending,
) -> Result<Option<Option<String>>, WsError> {
    match protocol::parse(record).map_err(WsError::Protocol)? {
        Incoming::Invocation { target, arguments } if target.eq_ignore_ascii_case("pushEvent") => {
            let payload =
                arguments
                    .into_iter()
                    .next()
                    .ok_or(WsError::Event(ReceiveError::NotAnEnvelope(
                        "pushEvent came without an argument",
                    )))?;
            let _ = events.send(decode_push(&config.api_key, payload));
            Ok(None)
        }
        Incoming::Invocation { .. } | Incoming::Ping | Incoming::Other(_) => Ok(None),
        Incoming::Completion { id, outcome } => {
            if let Some((method, reply)) = pending.remove(&id) {
                let _ = reply.send(outcome.map_err(|error| WsError::Invocation {
                    method: method.to_owned(),
                    error,
                }));
            }
            Ok(None)
        }
        Incoming::Close { error } => {
            crate::trace!(info!(reason = ?error, "the hub closed the websocket connection"));
            Ok(Some(error))
        }
    }
}

/// `{key, type, data}` (or the same as a JSON string, as the docs' example allows) to a
/// typed event through [`crate::events::receive_value`]: the key checked in constant time
/// first (a key not this session's is a forged event), then the data decoded. A payload
/// without `key` is decoded as it is, as the npm session does: the hub delivers only to
/// sessions it authenticated with the key, and websocket-api/fivem-configuration.md shows
/// `EVENT_FIVEM_CONFIGURATION` as `{type, data}`.
fn decode_push(api_key: &ApiKey, payload: Value) -> Result<PushEvent, WsError> {
    let payload = match payload {
        Value::String(text) => serde_json::from_str(&text)
            .map_err(|e| WsError::Event(ReceiveError::NotJson(e.to_string())))?,
        other => other,
    };
    match payload {
        Value::Object(mut envelope) if envelope.get("key").is_none_or(Value::is_null) => {
            let Some(Value::String(type_)) = envelope.remove("type") else {
                return Err(WsError::Event(ReceiveError::NotAnEnvelope(
                    "`type` is missing or not a string",
                )));
            };
            let data = envelope.remove("data").unwrap_or(Value::Null);
            PushEvent::decode(&type_, data).map_err(|e| WsError::Event(e.into()))
        }
        other => crate::events::receive_value(other, api_key).map_err(WsError::Event),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_kinds_are_the_npm_packages_names() {
        // `WebsocketErrorKind` of crates/wasm/js/websocket.d.mts.
        let js = [
            "config",
            "connect",
            "auth",
            "event",
            "invocation",
            "closed",
            "overflow",
        ];
        for (e, kind) in [
            (WsError::Config("x".into()), "config"),
            (
                WsError::Connect {
                    url: "u".into(),
                    reason: "r".into(),
                },
                "connect",
            ),
            (WsError::Handshake("x".into()), "connect"),
            (WsError::Protocol("x".into()), "connect"),
            (WsError::Auth { reason: "r".into() }, "auth"),
            (
                WsError::Invocation {
                    method: "m".into(),
                    error: "e".into(),
                },
                "invocation",
            ),
            (WsError::Disconnected, "closed"),
            (WsError::Closed, "closed"),
        ] {
            assert_eq!(e.kind(), kind, "{e:?}");
            assert!(js.contains(&e.kind()));
        }
    }

    #[test]
    fn hub_urls() {
        assert_eq!(
            hub_url("https://api.sonorancad.com").unwrap(),
            "wss://api.sonorancad.com/apiWsHub"
        );
        assert_eq!(
            hub_url("http://127.0.0.1:8787/").unwrap(),
            "ws://127.0.0.1:8787/apiWsHub"
        );
        assert_eq!(hub_url("wss://h/apiWsHub").unwrap(), "wss://h/apiWsHub");
        assert!(matches!(hub_url("ftp://h"), Err(WsError::Config(_))));
        assert!(matches!(hub_url("h"), Err(WsError::Config(_))));
        assert!(matches!(hub_url("ws://h/?key=x"), Err(WsError::Config(_))));
    }

    #[test]
    fn the_default_backoff_is_the_first_party_schedule() {
        let p = ReconnectPolicy::default();
        let waits: Vec<u64> = (0..7).map(|n| p.backoff(n).as_secs()).collect();
        assert_eq!(waits, [0, 2, 10, 30, 30, 30, 30]);
        assert_eq!(p.backoff(u32::MAX), Duration::from_secs(30));
        assert_eq!(ReconnectPolicy::with_delays([]).backoff(3), Duration::ZERO);
    }

    #[test]
    fn negotiate_replies() {
        let ws = r#"[{"transport":"WebSockets","transferFormats":["Text","Binary"]}]"#;
        assert_eq!(
            negotiated_id(&format!(
                r#"{{"negotiateVersion":1,"connectionId":"a","connectionToken":"t","availableTransports":{ws}}}"#
            ))
            .unwrap(),
            "t"
        );
        assert_eq!(
            negotiated_id(&format!(
                r#"{{"connectionId":"a","availableTransports":{ws}}}"#
            ))
            .unwrap(),
            "a"
        );
        let err = |text: &str| negotiated_id(text).unwrap_err();
        assert!(err(r#"{"error":"Negotiate failed"}"#).contains("Negotiate failed"));
        assert!(err("<html>").contains("not JSON"));
        assert!(err(r#"{"url":"https://x","accessToken":"k"}"#).contains("redirects"));
        assert!(
            err(r#"{"negotiateVersion":1,"connectionId":"a","connectionToken":"t","availableTransports":[{"transport":"LongPolling","transferFormats":["Text"]}]}"#)
                .contains("no WebSockets")
        );
        assert!(
            err(&format!(
                r#"{{"negotiateVersion":1,"connectionId":"a","availableTransports":{ws}}}"#
            ))
            .contains("without `connectionToken`")
        );
        assert_eq!(
            negotiate_url("wss://api.sonorancad.com/apiWsHub"),
            "https://api.sonorancad.com/apiWsHub/negotiate?negotiateVersion=1"
        );
        assert_eq!(
            negotiate_url("ws://127.0.0.1:1/apiWsHub"),
            "http://127.0.0.1:1/apiWsHub/negotiate?negotiateVersion=1"
        );
        assert_eq!(query_escape("a+b/c=_-"), "a%2Bb%2Fc%3D_-");
    }

    #[test]
    fn forged_and_malformed_events_are_typed_errors() {
        let key = ApiKey::new("secret");
        let err = decode_push(
            &key,
            json!({"key": "other", "type": "EVENT_UNIT_STATUS", "data": {}}),
        )
        .unwrap_err();
        assert_eq!(err, WsError::Event(ReceiveError::WrongKey));
        assert!(!err.to_string().contains("other") && !err.to_string().contains("secret"));
        let envelope = |v: Value| match decode_push(&key, v) {
            Err(WsError::Event(ReceiveError::NotAnEnvelope(_) | ReceiveError::NotJson(_))) => true,
            other => panic!("{other:?}"),
        };
        assert!(envelope(json!(5)));
        assert!(envelope(json!("{")));
        assert!(envelope(json!({"key": "secret", "type": 1})));
        assert!(envelope(json!({"data": {}})));
        // A documented type whose data has the wrong shape names the field.
        let err = decode_push(
            &key,
            json!({"key": "secret", "type": "EVENT_UNIT_LOGIN", "data": {"unit": {"status": "busy"}}}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("data.unit.status"), "{err}");
        // The docs' payload as a JSON string.
        let ok = decode_push(
            &key,
            json!(r#"{"key":"secret","type":"EVENT_UNIT_STATUS","data":{"units":[]}}"#),
        )
        .unwrap();
        assert_eq!(ok.type_name(), "EVENT_UNIT_STATUS");
        // The FiveM configuration page's payload has no `key`: decoded, typed.
        let fivem = decode_push(
            &key,
            json!(r#"{"type":"EVENT_FIVEM_CONFIGURATION","data":{"serverId":1,"revision":4,"schemaVersion":1,"templateRevision":"AAAA"}}"#),
        )
        .unwrap();
        match fivem {
            PushEvent::FivemConfiguration(d) => {
                assert_eq!((d.server_id, d.revision, d.schema_version), (1, 4, 1));
                assert_eq!(d.template_revision, "AAAA");
            }
            other => panic!("{other:?}"),
        }
        assert!(envelope(json!({"key": null, "data": {}})));
    }

    #[test]
    fn debug_never_shows_the_key() {
        let b = Session::builder().api_key("super-secret").community_id("c");
        assert!(!format!("{b:?}").contains("super-secret"));
    }
}
