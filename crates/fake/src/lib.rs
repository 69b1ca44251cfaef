//! A fake [Sonoran CAD](https://sonorancad.com) API server on loopback, driven by the merged
//! OpenAPI document (`openapi/sonoran-cad.openapi.json`, embedded at compile time).
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
//!
//! Tests can read what was sent ([`FakeHandle::requests`]), inject faults
//! ([`FakeHandle::inject`]) and enforce the documented rate limits
//! ([`FakeServerBuilder::enforce_rate_limits`], with [`FakeServerBuilder::time_scale`] to make
//! a minute pass quickly).
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

mod auth;
mod faults;
mod handler;
mod limits;
mod record;
mod respond;
mod routing;
mod server;
mod spec;
mod synth;
mod validate;

pub use faults::{Fault, FaultKind, RetryAfter};
pub use record::RecordedRequest;
pub use server::{FakeHandle, FakeServer, FakeServerBuilder, Stats};
