//! The builder, the running server's handle, and the accept loop.

use crate::faults::{Fault, Faults, lock};
use crate::handler::handle;
use crate::hub::{Delivery, DeliveryError, Hub, HubStats};
use crate::limits::Limiter;
use crate::record::RecordedRequest;
use crate::spec::FakeApi;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::task::{JoinHandle, JoinSet};

/// Entry point: `FakeServer::builder()...start().await`, or `FakeServer::start().await`
/// for the defaults.
#[derive(Debug, Clone, Copy)]
pub struct FakeServer;

impl FakeServer {
    /// A builder with the defaults: community `YOUR_COMMUNITY_ID`, key `YOUR_API_KEY`,
    /// time scale 1, rate limits not enforced, HTTP control API under `/__fake/` on.
    pub fn builder() -> FakeServerBuilder {
        FakeServerBuilder::default()
    }

    /// A builder for the fake Sonoran CMS API (`FakeServer::builder().api(FakeApi::Cms)`),
    /// with the same defaults.
    pub fn cms() -> FakeServerBuilder {
        FakeServerBuilder::default().api(FakeApi::Cms)
    }

    /// Starts a server with the defaults on `127.0.0.1:0`; see [`FakeServerBuilder::start`].
    pub async fn start() -> FakeHandle {
        Self::builder().start().await
    }
}

/// How many recorded requests a fake keeps unless [`FakeServerBuilder::record_limit`] says
/// otherwise.
pub const DEFAULT_RECORD_LIMIT: usize = 10_000;

/// Configures a fake server.
#[derive(Debug, Clone)]
pub struct FakeServerBuilder {
    api: FakeApi,
    community_id: String,
    api_key: String,
    time_scale: f64,
    enforce_rate_limits: bool,
    control_api: bool,
    push_listener: Option<String>,
    hub_keep_alive: Duration,
    record_limit: usize,
}

impl Default for FakeServerBuilder {
    fn default() -> Self {
        FakeServerBuilder {
            api: FakeApi::Cad,
            community_id: "YOUR_COMMUNITY_ID".to_owned(),
            api_key: "YOUR_API_KEY".to_owned(),
            time_scale: 1.0,
            enforce_rate_limits: false,
            control_api: true,
            push_listener: None,
            hub_keep_alive: crate::hub::DEFAULT_KEEP_ALIVE,
            record_limit: DEFAULT_RECORD_LIMIT,
        }
    }
}

impl FakeServerBuilder {
    /// Which API to serve: [`FakeApi::Cad`] (the default) or [`FakeApi::Cms`]. Each serves
    /// its own merged document; the websocket hub is CAD's only.
    #[must_use]
    pub fn api(mut self, api: FakeApi) -> Self {
        self.api = api;
        self
    }

    /// The community id v1 envelopes must carry (`id`).
    #[must_use]
    pub fn community_id(mut self, id: impl Into<String>) -> Self {
        self.community_id = id.into();
        self
    }

    /// The API key: v2 `Authorization: Bearer <key>`, v1 envelope `key`.
    #[must_use]
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = key.into();
        self
    }

    /// How many scaled seconds one real second counts for, in rate limiting and
    /// `Retry-After` (60.0: a real second is a minute). Values that are not finite and
    /// positive are ignored (the scale stays as it was).
    #[must_use]
    pub fn time_scale(mut self, scale: f64) -> Self {
        if scale.is_finite() && scale > 0.0 {
            self.time_scale = scale;
        }
        self
    }

    /// Answer 429 past each operation's `x-rate-limit-per-minute`.
    #[must_use]
    pub fn enforce_rate_limits(mut self, enforce: bool) -> Self {
        self.enforce_rate_limits = enforce;
        self
    }

    /// Serve the HTTP control API under `/__fake/` (on by default; see the crate docs).
    /// When off, those paths are answered like any other unknown route.
    #[must_use]
    pub fn control_api(mut self, enabled: bool) -> Self {
        self.control_api = enabled;
        self
    }

    /// Where push events go by HTTP POST when no websocket session is authenticated for
    /// their server (as Sonoran falls back to a server's push event listener): an
    /// `http://host:port/path` URL. Also settable at run time (`POST /__fake/listener`).
    #[must_use]
    pub fn push_listener(mut self, url: impl Into<String>) -> Self {
        self.push_listener = Some(url.into());
        self
    }

    /// How often the hub pings each websocket connection (`{"type":6}`): 15 s by default, as
    /// an ASP.NET Core hub's `KeepAliveInterval`. A zero duration is ignored.
    #[must_use]
    pub fn hub_keep_alive(mut self, every: Duration) -> Self {
        if !every.is_zero() {
            self.hub_keep_alive = every;
        }
        self
    }

    /// How many recorded requests the server keeps ([`FakeHandle::requests`], `GET
    /// /__fake/requests`): past it the oldest are forgotten, so a fake that runs for a long
    /// time (a bot's CI, a day of offline work) does not grow without bound. Default
    /// [`DEFAULT_RECORD_LIMIT`]; at least 1.
    #[must_use]
    pub fn record_limit(mut self, requests: usize) -> Self {
        self.record_limit = requests.max(1);
        self
    }

    /// Binds `127.0.0.1:0` and serves on the current tokio runtime.
    ///
    /// # Panics
    /// When no loopback port can be bound (use [`start_on`](Self::start_on) to handle that).
    pub async fn start(self) -> FakeHandle {
        self.start_on("127.0.0.1:0")
            .await
            .expect("sonoran-fake: binding 127.0.0.1:0")
    }

    /// Binds `addr` and serves on the current tokio runtime.
    pub async fn start_on(self, addr: impl ToSocketAddrs) -> std::io::Result<FakeHandle> {
        crate::spec::operations(self.api); // parse the embedded spec now, not on the first request
        if let Some(url) = &self.push_listener {
            crate::hub::parse_listener(url)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        }
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            api: self.api,
            url: format!("http://{addr}"),
            control_api: self.control_api,
            limiter: Limiter::new(self.time_scale),
            community_id: self.community_id,
            api_key: self.api_key,
            enforce_rate_limits: self.enforce_rate_limits,
            faults: Faults::default(),
            requests: Mutex::new(VecDeque::new()),
            record_limit: self.record_limit,
            request_count: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            hub: Hub::new(self.push_listener.clone(), self.hub_keep_alive),
            push_listener: self.push_listener,
        });
        let task = tokio::spawn(serve(listener, Arc::clone(&state)));
        Ok(FakeHandle {
            addr,
            state,
            task: Some(task),
        })
    }
}

/// Shared by the handle and every connection.
#[derive(Debug)]
pub(crate) struct State {
    /// The API served.
    pub api: FakeApi,
    /// `http://ADDR` of the bound address.
    pub url: String,
    pub control_api: bool,
    pub community_id: String,
    pub api_key: String,
    pub enforce_rate_limits: bool,
    pub limiter: Limiter,
    pub faults: Faults,
    /// The most recent requests, at most `record_limit`.
    pub requests: Mutex<VecDeque<RecordedRequest>>,
    pub record_limit: usize,
    pub request_count: AtomicU64,
    pub rate_limited: AtomicU64,
    /// The websocket API's sessions and counters.
    pub hub: Hub,
    /// The listener configured at build time (what a reset returns to).
    pub push_listener: Option<String>,
}

impl State {
    /// Records one request, forgetting the oldest past the limit.
    pub(crate) fn record(&self, request: RecordedRequest) {
        let mut requests = lock(&self.requests);
        while requests.len() >= self.record_limit {
            requests.pop_front();
        }
        requests.push_back(request);
    }

    pub(crate) fn stats(&self) -> Stats {
        Stats {
            requests: self.request_count.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
        }
    }

    /// Forgets recorded requests, queued faults, rate-limit windows and counters.
    pub(crate) fn reset(&self) {
        lock(&self.requests).clear();
        self.faults.clear();
        self.limiter.clear();
        self.request_count.store(0, Ordering::Relaxed);
        self.rate_limited.store(0, Ordering::Relaxed);
        self.hub.reset(self.push_listener.clone());
    }
}

/// Request counters (control API requests under `/__fake/` excluded).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests received, CORS preflights excluded.
    pub requests: u64,
    /// Replies with status 429: rate limits enforced and injected alike.
    pub rate_limited: u64,
}

/// A running fake server. Dropping it (or [`shutdown`](Self::shutdown)) stops it and
/// closes every open connection.
#[derive(Debug)]
pub struct FakeHandle {
    addr: SocketAddr,
    state: Arc<State>,
    task: Option<JoinHandle<()>>,
}

impl FakeHandle {
    /// The API served.
    pub fn api(&self) -> FakeApi {
        self.state.api
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> String {
        self.state.url.clone()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The community id the server expects.
    pub fn community_id(&self) -> &str {
        &self.state.community_id
    }

    /// The API key the server expects.
    pub fn api_key(&self) -> &str {
        &self.state.api_key
    }

    /// Every request received so far, oldest first (CORS preflights and control API
    /// requests excluded), up to the [record limit](FakeServerBuilder::record_limit).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state.requests).iter().cloned().collect()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.state.requests).clear();
    }

    /// Queues a fault; see [`Fault`].
    pub fn inject(&self, fault: Fault) {
        self.state.faults.push(fault);
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        self.state.faults.clear();
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        self.state.stats()
    }

    /// Forgets the recorded requests, the queued faults, the rate-limit windows and the
    /// counters: the server is as if just started (what `POST /__fake/reset` does).
    pub fn reset(&self) {
        self.state.reset();
    }

    /// The websocket URL of the hub, `ws://127.0.0.1:PORT/apiWsHub` (CAD only: a CMS fake
    /// has no hub, and that path is an unknown route there).
    pub fn ws_url(&self) -> String {
        format!("ws://{}{}", self.addr, crate::hub::PATH)
    }

    /// Delivers a push event the way Sonoran does: as `pushEvent` `{key, type, data}` to
    /// every websocket session authenticated for `server_id`; when there is none, by HTTP
    /// POST of the same JSON to the push listener ([`FakeServerBuilder::push_listener`]).
    /// A CMS fake has no hub: it always POSTs to the listener (`server_id` is ignored).
    ///
    /// `data` null stands for the documented example of `event_type`, as a `POST
    /// /__fake/events` without `data` (or with `"data": null`);
    /// [`DeliveryError::NoExample`] when the type has none.
    pub async fn push_event(
        &self,
        server_id: i64,
        event_type: &str,
        data: serde_json::Value,
    ) -> Result<Delivery, DeliveryError> {
        crate::hub::deliver(&self.state, server_id, event_type, data).await
    }

    /// What the hub has seen: connections, authentications, `unitLocation` calls and
    /// breaches of their limits, events delivered each way.
    pub fn hub_stats(&self) -> HubStats {
        self.state.hub.stats()
    }

    /// The latest `unitLocation` update of every unit, by target
    /// (`communityUserId:player-1`, `identId:42`, ...).
    pub fn unit_positions(&self) -> std::collections::HashMap<String, serde_json::Value> {
        self.state.hub.units()
    }

    /// The server ids of the authenticated websocket sessions (`None`: authenticated without
    /// one), sorted.
    pub fn ws_sessions(&self) -> Vec<Option<i64>> {
        self.state.hub.sessions().1
    }

    /// Drops every websocket connection without a close frame, as a network failure
    /// would; returns how many were open.
    pub fn drop_ws_connections(&self) -> usize {
        self.state.hub.drop_all()
    }

    /// Closes every websocket connection as the hub does when it ends one: the close message
    /// (`{"type":7}`, with `"error"` when given and `"allowReconnect": true` when asked),
    /// then the websocket close; returns how many were open (`POST /__fake/ws/close`).
    pub fn close_ws_connections(&self, error: Option<&str>, allow_reconnect: bool) -> usize {
        self.state.hub.close_all(error, allow_reconnect)
    }

    /// Stops accepting, closes open connections and waits for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for FakeHandle {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Accepts until aborted; the connections live in a `JoinSet`, so aborting this task
/// closes them too.
async fn serve(listener: TcpListener, state: Arc<State>) {
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of descriptors and the like: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let state = Arc::clone(&state);
        connections.spawn(async move {
            let service = service_fn(move |req| handle(Arc::clone(&state), req));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
        });
    }
}
