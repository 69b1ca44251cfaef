//! A fake [Sonoran CAD](https://sonorancad.com) or [Sonoran CMS](https://sonorancms.com) API
//! server on loopback, driven by the API's merged OpenAPI document
//! (`openapi/sonoran-cad.openapi.json` or `openapi/sonoran-cms.openapi.json` of the sonoran-rs
//! repository, embedded at compile time: [`FakeApi::spec_json`]). CAD is the default;
//! [`FakeServer::cms`] (or [`FakeServerBuilder::api`]) serves CMS, [described
//! below](#sonoran-cms).
//!
//! Every operation of the document is routed (literal path segments win over templates).
//! Requests are checked the way the real API checks them, then answered with the
//! documented example (or a value built from the schema):
//!
//! - **v2** (`/v2/...`): `Authorization: Bearer <api_key>` (except `getLoginPage`), else
//!   `401 application/problem+json`; integer path parameters and typed query parameters must
//!   parse; JSON bodies must match the operation's schema, else `400` problem+json whose
//!   `detail` names the field (`body.data[0].status: expected an integer, got "x"`).
//! - **v1** (`POST /<area>/<call>`): the JSON envelope `{id, key, type, data}`: `400
//!   text/plain` `INVALID COMMUNITY ID`, `INVALID API KEY` or `INVALID REQUEST TYPE`, then the
//!   same schema check with a plain-text reply.
//! - **multipart** uploads: only checked to be `multipart/form-data`.
//! - Unknown routes: `404` (problem+json under `/v2`, `INVALID REQUEST TYPE` text elsewhere).
//! - CORS: preflights get `204`; every reply has `Access-Control-Allow-Origin: *` and exposes
//!   `Retry-After`.
//! - `/__fake/...`: the [HTTP control API](#http-control-api), on by default.
//! - `/apiWsHub`: the [websocket API](#websocket-api)'s SignalR hub.
//!
//! Tests can read what was sent ([`FakeHandle::requests`]), inject faults
//! ([`FakeHandle::inject`]) and enforce the documented rate limits
//! ([`FakeServerBuilder::enforce_rate_limits`], with [`FakeServerBuilder::time_scale`] to make
//! a minute pass quickly). Tests that cannot call Rust (Node, a browser page) do the same
//! over HTTP through the control API.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use sonoran_fake::{Fault, FaultKind, FakeServer};
//!
//! let fake = FakeServer::builder().api_key("secret").start().await;
//! fake.inject(Fault::on("getVersion", FaultKind::Status(503)));
//! let base = fake.url(); // http://127.0.0.1:PORT
//! // ... point the client at `base`, call it ...
//! assert_eq!(fake.requests().len(), 0);
//! fake.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Rate limits and `Retry-After`
//! Per API key and operation, `x-rate-limit-per-minute` requests are admitted in any
//! sliding window of 60 *scaled* seconds (real elapsed time × `time_scale`). Requests
//! answered 429 do not count. `Retry-After` is the real time until the oldest admitted
//! request leaves the window, rounded up to whole seconds and at least `1`: a client that
//! waits that long finds a free slot and does not draw another 429.
//!
//! # HTTP control API
//! A test tool, **on by default** ([`FakeServerBuilder::control_api`]`(false)` turns it
//! off): JSON endpoints on the same server under the reserved prefix `/__fake/` (no Sonoran
//! route uses it), so that Node and browser tests can drive the fake. Control requests are
//! not recorded, not counted in the stats, and no fault applies to them. Their replies carry
//! the same CORS headers as every other reply, and preflights to them get `204`.
//!
//! | request | reply |
//! | --- | --- |
//! | `GET /__fake/requests` | `200`, the recorded requests, oldest first: `[{method, path, query, headers, body, json, operationId}]`; `query` is the raw query string or `null`, `headers` maps lower-cased names to values (repeats joined with `", "`), `body` is the body as text (UTF-8, lossy), `json` the body parsed or `null`, `operationId` `null` for unknown routes |
//! | `POST /__fake/reset` | `204`; forgets recorded requests, queued faults, rate-limit windows and stats ([`FakeHandle::reset`]) |
//! | `POST /__fake/faults` | `204`; queues a fault like [`FakeHandle::inject`] (body below) |
//! | `GET /__fake/stats` | `200`, `{"requests": n, "rateLimited": n}` ([`FakeHandle::stats`]) |
//! | `GET /__fake/info` | `200`, `{"communityId", "apiKey", "url", "wsUrl"}`: the test credentials the fake expects, its base URL and its hub's URL (`null` for CMS, which has no hub) |
//! | `POST /__fake/events` | delivers a push event (body `{"type": "EVENT_...", "data"?: any, "serverId"?: 1}`; without `data` or with `"data": null`, a documented type's documented example, as [`FakeHandle::push_event`] with null): `200` `{"delivered": "websocket", "sessions": n}` or `{"delivered": "http", "status": n}`; `409` when no session is authenticated for the server and no listener is set; `502` when the listener fails ([`FakeHandle::push_event`]) |
//! | `POST /__fake/listener` | `204`; body `{"url": "http://host:port/path"}` (or `null`): where events go by HTTP POST when no session is authenticated for their server ([`FakeServerBuilder::push_listener`]; a reset returns to the builder's) |
//! | `GET /__fake/ws` | `200`, the hub's counters: `{negotiations, connections, negotiatedConnections, open, authenticated, servers, authentications, failedAuthentications, unitLocationMessages, unitUpdates, maxUnitsInMessage, minUnitIntervalMs, violations, eventsWebsocket, eventsHttp, listener, units}`; `units` maps each unit (`identId:42`, `communityUserId:player-1`, ...) to its latest update ([`FakeHandle::hub_stats`], [`FakeHandle::unit_positions`]) |
//! | `POST /__fake/ws/drop` | `200`, `{"dropped": n}`: drops every websocket connection without a close frame, as a network failure would ([`FakeHandle::drop_ws_connections`]) |
//! | `POST /__fake/ws/close` | `200`, `{"closed": n}`; body `{"error"?: "..", "allowReconnect"?: true}` (or none): closes every websocket connection as the hub does, the close message `{"type":7}` (with `error`, and `allowReconnect` when true) then the websocket close ([`FakeHandle::close_ws_connections`]) |
//!
//! The fault body is `{"operationId"?: string, "times"?: n, "kind": {...}}` (no
//! `operationId`: any operation; `times` defaults to 1), with `kind` one of
//!
//! ```text
//! {"type": "rateLimited", "retryAfterSeconds"?: 7}         429, optional Retry-After: 7
//! {"type": "rateLimited", "retryAfterDate"?: "Sun, 06 Nov 1994 08:49:37 GMT"}
//! {"type": "status", "status": 503}                        problem+json on v2, text on v1
//! {"type": "problem", "status": 404, "title"?: "..", "detail"?: ".."}
//! {"type": "v1Text", "status": 400, "text": "INVALID API KEY"}
//! {"type": "delayMs", "ms": 1500}                          then answer normally
//! {"type": "truncate"}                                     cut the success reply short
//! {"type": "drip", "chunkBytes"?: 4, "everyMs"?: 50}       the success body, a few bytes at a time
//! {"type": "oversized", "bytes": 20971520}                 a generated success body of that size
//! {"type": "nonUtf8"}                                      a success body that is not UTF-8
//! {"type": "html", "status"?: 502}                         a proxy's text/html error page
//! {"type": "empty", "status"?: 202}                        that status, no body, no Content-Type
//! {"type": "json", "status"?: 200, "body": {"unexpected": 1}}  that status and JSON body
//! ```
//!
//! Every kind but `delayMs` also takes `"retryAfter": "<raw header value>"`, sent as
//! `Retry-After` exactly as given on whatever status the fault answers (`"-1"`,
//! `"99999999999999999999"`, `"soon"`, an HTTP date; [`Fault::with_retry_after`]). With
//! `times` this gives "N failures, then success":
//! `{"operationId": "getVersion", "times": 2, "kind": {"type": "status", "status": 503,
//! "retryAfter": "1"}}` answers two 503s, then the operation answers normally.
//!
//! | kind | on the wire |
//! | --- | --- |
//! | `truncate` ([`FaultKind::Truncate`]) | the success status line and headers, a `Content-Length` larger than what follows, half the body, then the connection is closed (a reset mid-body) |
//! | `drip` ([`FaultKind::Drip`]) | the success reply with its full `Content-Length`, the body `chunkBytes` at a time with `everyMs` between chunks: a client timeout fires mid-body |
//! | `oversized` ([`FaultKind::Oversized`]) | the success status and content type, `Content-Length: bytes`, the body generated and streamed in 64 KiB pieces: a JSON array of zeros (`[0,0,...]`) or `a`s for text |
//! | `nonUtf8` ([`FaultKind::NonUtf8`]) | the success status and content type (`text/plain` when none) with invalid UTF-8: `{"message":"caf\xE9 \xFF\xFE"}` for JSON, `caf\xE9 \xFF\xFE OK` for text |
//! | `html` ([`FaultKind::Html`]) | `text/html`, an nginx-style `<title>502 Bad Gateway</title>` page |
//! | `empty` ([`FaultKind::Empty`]) | that status, `Content-Length: 0`, no `Content-Type`: a 2xx the operation does not document |
//! | `json` ([`FaultKind::Json`]) | that status, `application/json`, the body as given: a v2 reply of the wrong shape (`[]`, `{"unexpected": 1}`) |
//!
//! Statuses must be 200 to 599. A body that is not such an object (bad JSON, a missing or
//! mistyped field, an unknown field, an `operationId` the spec does not have) gets `400`
//! `{"error": "..."}` naming the field (`kind.status: missing (required for type
//! "status")`). Unknown `/__fake/` paths get `404` and wrong methods `405`, both with
//! `{"error": "..."}`.
//!
//! # Websocket API
//! `/apiWsHub` is a SignalR hub as ASP.NET Core serves it, so the official `@microsoft/signalr`
//! client connects in its default mode (as Sonoran's own FiveM resource does) and with
//! `skipNegotiation: true` alike (dotnet/aspnetcore `TransportProtocols.md`, `HubProtocol.md`):
//!
//! - `POST /apiWsHub/negotiate?negotiateVersion=1` answers `{connectionId, connectionToken,
//!   negotiateVersion: 1, availableTransports: [{transport: "WebSockets", transferFormats:
//!   ["Text"]}]}`; without `negotiateVersion` (version 0) there is no `connectionToken`.
//!   Other methods get `405`.
//! - The websocket at `ws://ADDR/apiWsHub?id=<connectionToken>` (version 0: the
//!   `connectionId`); each id once: an unknown or used one gets `404 No Connection with that
//!   ID`. Without `id` (a client that skipped negotiation) it is accepted as well.
//! - The JSON hub protocol: the handshake `{"protocol":"json","version":1}` answered `{}`
//!   (another protocol gets `{"error": ..}` and a close), records ended by `0x1E`, a ping
//!   `{"type":6}` every 15 s ([`FakeServerBuilder::hub_keep_alive`]), completions for
//!   invocations that carry an `invocationId`, and a close message `{"type":7}` (with
//!   `error` when closing for a reason: a malformed message, [`FakeHandle::close_ws_connections`])
//!   before the hub closes a websocket.
//!
//! | method | arguments | answer |
//! | --- | --- | --- |
//! | `authenticatev2` (and `authenticate`, as one docs example calls it) | `communityId, apiKey, serverId?` | `{success, error, count}`: `success: false, error: "Invalid community ID or API key."` for wrong credentials (key compared in constant time); a `serverId` that is not a positive integer is refused too |
//! | `unitLocation` | an array of unit updates | `{success: true, error: "", count: n}`, or `success: false` with the documented error: `Unauthenticated. Call authenticate first.`, `Missing unit location updates.`, `Too many unit updates in one call. Max is 25.`, `UNIT_LOCATION updates are limited to every 200ms.`, `Each unit update requires identId, apiId, communityUserId, or roblox, and location.` |
//! | anything else | | a completion error naming the method |
//!
//! The documented limit is one `unitLocation` per 250 ms per session (the hub refuses one
//! closer than 200 ms, as its error says): every refusal and every call closer than 250 ms is
//! recorded in [`HubStats::violations`], so a test can assert that a sender kept the limits.
//! A push event goes as an invocation of `pushEvent` with `{key, type, data}` to every
//! session authenticated for its server; when there is none, the same JSON is POSTed to the
//! push listener, as Sonoran falls back to a server's HTTP listener.
//!
//! # Sonoran CMS
//! `FakeServer::cms()` serves the CMS document (`cargo xtask fake --api cms` on the command
//! line) with the same checks, faults, limits and control API; what differs follows the CMS
//! docs:
//!
//! - **v2** (`/v2/community/...`, 57 operations): `Authorization: Bearer <api_key>`, the only
//!   credential the v2 README names (`api-endpoints-v2/README.md`: "The v2 API uses
//!   `Authorization: Bearer <api key>`"), else `401` problem+json. A success answers the
//!   page's documented reply, which is the whole `{success: true, data, meta}` envelope
//!   (`x-envelope: data`); `cancelSession` answers `204` without a body.
//! - **Rate limits**: each operation's `x-rate-limit-per-minute`, per API key and operation
//!   (`rate-limits.md`: "All limits are enforced per credential"; each page: "rate limited per
//!   credential rather than per IP address"); the `429` is problem+json with `Retry-After`
//!   (errors are `application/problem+json`), as are injected `rateLimited` faults on v2.
//! - **v1** (`POST /<area>/<call>`, 33 calls): the `{id, key, type, data}` envelope with the
//!   same texts as CAD (`INVALID COMMUNITY ID`, `INVALID API KEY`, `INVALID REQUEST TYPE`, the
//!   first three of `V1ErrorText`'s known values).
//! - **Push events** (`ACCOUNT_BANNED`, `ACCOUNT_KICKED`, `ACCOUNT_UPDATED`): there is no
//!   websocket hub (`/apiWsHub` is an unknown route), so `POST /__fake/events` and
//!   [`FakeHandle::push_event`] POST `{key, type, data}` to the push listener, which a test
//!   sets to its `http://host:port/sonorancms/events` (the path Sonoran CMS posts to); `409`
//!   ([`DeliveryError::NoListener`]) without one. `serverId` is accepted and ignored.
//!
//! ```text
//! const info = await (await fetch(`${base}/__fake/info`)).json();
//! await fetch(`${base}/__fake/faults`, {method: "POST", headers: {"content-type": "application/json"},
//!   body: JSON.stringify({operationId: "getVersion", kind: {type: "status", status: 503}})});
//! ```

mod auth;
mod control;
mod faults;
#[cfg(test)]
mod fuzz;
mod handler;
mod hub;
mod limits;
mod record;
mod respond;
mod routing;
pub mod scripted;
mod server;
mod spec;
mod synth;
mod validate;

pub use faults::{Fault, FaultKind, RetryAfter};
pub use hub::{
    DEFAULT_KEEP_ALIVE, Delivery, DeliveryError, HubStats, MAX_UNITS_PER_MESSAGE,
    MIN_UNIT_INTERVAL, UNIT_INTERVAL,
};
pub use record::RecordedRequest;
pub use server::{DEFAULT_RECORD_LIMIT, FakeHandle, FakeServer, FakeServerBuilder, Stats};
pub use spec::FakeApi;

/// The merged OpenAPI document the CAD fake serves (the default API), as JSON text: every
/// operation with its parameters, schemas, documented examples and rate limits. Tests can
/// read the expected shapes from it. [`FakeApi::spec_json`] gives any API's.
///
/// ```
/// let doc: serde_json::Value = serde_json::from_str(sonoran_fake::spec_json()).unwrap();
/// assert!(doc["paths"]["/v2/general/version"].is_object());
/// ```
pub fn spec_json() -> &'static str {
    spec::CAD_JSON
}
