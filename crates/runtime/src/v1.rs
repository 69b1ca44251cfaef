//! Sending v1 calls: `POST <base>/<area>/<call>` with `{"id", "key", "type", "data"}`, the
//! envelope both CAD and CMS use. The generated v1 methods give the operation's path and
//! `type` and the caller's `data`; this fills `id` (the community id) and `key` from the
//! configuration, and `serverId` of `data` (of each item, when it is an array) where the
//! caller left it unset and the operation's `data` has one, sends, and returns the reply.

use crate::error::V1Code;
use crate::reply::Reply;
use crate::runtime::Runtime;
use crate::{ApiKey, Error};
use serde::Serialize;
use serde_json::{Map, Value};

/// The v1 envelope as sent: the documented keys first, in the documented order.
#[derive(Serialize)]
struct Envelope<'a, D: Serialize + ?Sized> {
    id: &'a str,
    key: &'a str,
    #[serde(rename = "type")]
    v1_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a D>,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

/// One v1 call, as a generated method describes it.
#[derive(Debug, Clone, Copy)]
pub struct V1Call<'a, D: ?Sized> {
    pub operation_id: &'static str,
    pub path: &'static str,
    pub v1_type: &'static str,
    /// `None` only for calls whose envelope has no `data`.
    pub data: Option<&'a D>,
    /// `data` (each item of it) has a `serverId` property, sent as the client's server id
    /// where the caller left it unset.
    pub fills_server_id: bool,
}

/// Sends one v1 call through `runtime` (pacing, retries) with `http` to `base_url`.
/// `extra`: envelope keys besides `data` (a `null` one is left out).
pub async fn send<D: Serialize + ?Sized, C: V1Code>(
    runtime: &Runtime,
    http: &reqwest::Client,
    base_url: &str,
    call: V1Call<'_, D>,
    extra: Vec<(&'static str, Value)>,
) -> Result<Reply, Error<C>> {
    let V1Call {
        operation_id,
        path,
        v1_type,
        data,
        fills_server_id,
    } = call;
    let Some(community_id) = runtime.community_id() else {
        return Err(Error::InvalidRequest(
            "v1 calls need the community id: set it with `Client::builder().community_id(..)`"
                .into(),
        ));
    };
    let Some(key) = runtime.api_key() else {
        return Err(Error::InvalidRequest(
            "v1 calls need the API key: set it with `Client::builder().api_key(..)`".into(),
        ));
    };
    let body = envelope_body(
        community_id,
        key,
        v1_type,
        data,
        fills_server_id.then(|| runtime.server_id()),
        extra,
    )?;
    let request = http
        .post(format!("{base_url}{path}"))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::ACCEPT, "application/json, text/plain")
        .body(body);
    send_built(runtime, http, request, false, operation_id).await
}

/// The envelope's bytes. `server_id`: the id to fill into `data` where it is unset.
fn envelope_body<D: Serialize + ?Sized, C: V1Code>(
    community_id: &str,
    key: &ApiKey,
    v1_type: &str,
    data: Option<&D>,
    server_id: Option<i64>,
    extra: Vec<(&'static str, Value)>,
) -> Result<Vec<u8>, Error<C>> {
    let mut rest = Map::new();
    for (k, v) in extra {
        if !v.is_null() {
            rest.insert(k.into(), v);
        }
    }
    let cannot_encode = |e: serde_json::Error| {
        Error::InvalidRequest(format!("{v1_type}: `data` cannot be encoded as JSON: {e}"))
    };
    // A struct, not a `Map`: the envelope goes out as `{id, key, type, data, ...}` in that
    // order whether or not serde_json's `preserve_order` is on in the user's build. `data`
    // goes through a `Value` only when `serverId` may need filling.
    match (data, server_id) {
        (Some(data), Some(server_id)) => {
            let mut data = serde_json::to_value(data).map_err(cannot_encode)?;
            crate::runtime::fill_server_id(&mut data, server_id);
            serde_json::to_vec(&Envelope {
                id: community_id,
                key: key.expose(),
                v1_type,
                data: Some(&data),
                rest,
            })
        }
        (data, _) => serde_json::to_vec(&Envelope {
            id: community_id,
            key: key.expose(),
            v1_type,
            data,
            rest,
        }),
    }
    .map_err(cannot_encode)
}

/// Sends a request a client built itself (v1 calls, uploads) through `runtime`: headers,
/// bearer auth when `bearer`, timeout, pacing, retries; then reads the reply.
pub async fn send_built<C: V1Code>(
    runtime: &Runtime,
    http: &reqwest::Client,
    request: reqwest::RequestBuilder,
    bearer: bool,
    operation_id: &'static str,
) -> Result<Reply, Error<C>> {
    let mut request = request.build().map_err(Error::from_reqwest)?;
    runtime.prepare(&mut request, bearer)?;
    Reply::read(runtime.send_reqwest(http, request, operation_id).await).await
}
