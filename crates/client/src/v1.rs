//! Sending v1 calls: `POST <base>/<area>/<call>` with `{"id", "key", "type", "data"}`.
//!
//! The generated v1 methods (`generated/v1.rs`) give the operation's path and `type`
//! and the caller's `data`; this module fills `id` and `key` from the configuration,
//! and `serverId` of `data` (of each item, when it is an array) where the caller left it
//! unset and the operation's `data` has one, sends, and turns the reply into the
//! documented type or a typed [`Error`].

use crate::{Client, Error};
use serde::Serialize;
use serde_json::{Map, Value};

/// A reply that the docs say is JSON for some requests and text for others
/// (MODIFY_IDENTIFIER: JSON for ADD/EDIT, text for REMOVE).
pub use sonoran_runtime::JsonOrText;

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

impl Client {
    /// Sends one v1 call. `data` is `None` only for calls whose envelope has no `data`.
    /// `fills_server_id`: `data` (each item of it) has a `serverId` property, sent as the
    /// client's server id where the caller left it unset.
    pub(crate) async fn v1_send<D: Serialize + ?Sized>(
        &self,
        operation_id: &'static str,
        path: &'static str,
        v1_type: &'static str,
        data: Option<&D>,
        fills_server_id: bool,
        extra: Vec<(&'static str, Value)>,
    ) -> Result<sonoran_runtime::Reply, Error> {
        let Some(community_id) = self.community_id() else {
            return Err(Error::InvalidRequest(
                "v1 calls need the community id: set it with `Client::builder().community_id(..)`"
                    .into(),
            ));
        };
        let mut rest = Map::new();
        for (k, v) in extra {
            if !v.is_null() {
                rest.insert(k.into(), v);
            }
        }
        let cannot_encode = |e: serde_json::Error| {
            Error::InvalidRequest(format!("{v1_type}: `data` cannot be encoded as JSON: {e}"))
        };
        // A struct, not a `Map`: the envelope goes out as `{id, key, type, data, ...}` in
        // that order whether or not serde_json's `preserve_order` is on in the user's build.
        // `data` goes through a `Value` only when `serverId` may need filling.
        let key = self.api_key();
        let body = match data {
            Some(data) if fills_server_id => {
                let mut data = serde_json::to_value(data).map_err(cannot_encode)?;
                crate::runtime::fill_server_id(&mut data, self.server_id());
                serde_json::to_vec(&Envelope {
                    id: community_id,
                    key: key.expose(),
                    v1_type,
                    data: Some(&data),
                    rest,
                })
            }
            data => serde_json::to_vec(&Envelope {
                id: community_id,
                key: key.expose(),
                v1_type,
                data,
                rest,
            }),
        }
        .map_err(cannot_encode)?;
        let request = self
            .raw
            .client
            .post(format!("{}{path}", self.raw.baseurl))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json, text/plain")
            .body(body);
        self.send(request, false, operation_id).await
    }
}
