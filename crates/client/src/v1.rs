//! Sending v1 calls: `POST <base>/<area>/<call>` with `{"id", "key", "type", "data"}`.
//!
//! The generated v1 methods (`generated/v1.rs`) give the operation's path and `type`
//! and the caller's `data`; this module fills `id` and `key` from the configuration,
//! sends, and turns the reply into the documented type or a typed [`Error`].

use crate::{Client, Error};
use serde::Serialize;
use serde_json::{Map, Value};

/// A reply that the docs say is JSON for some requests and text for others
/// (MODIFY_IDENTIFIER: JSON for ADD/EDIT, text for REMOVE).
#[derive(Debug, Clone, PartialEq)]
pub enum JsonOrText<T> {
    Json(T),
    Text(String),
}

impl<T: Serialize> Serialize for JsonOrText<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Json(v) => v.serialize(serializer),
            Self::Text(t) => serializer.serialize_str(t),
        }
    }
}

impl Client {
    /// Sends one v1 call. `data` is `None` only for calls whose envelope has no `data`.
    pub(crate) async fn v1_send<D: Serialize + ?Sized>(
        &self,
        operation_id: &'static str,
        path: &'static str,
        v1_type: &'static str,
        data: Option<&D>,
        extra: Vec<(&'static str, Value)>,
    ) -> Result<crate::reply::Reply, Error> {
        let Some(community_id) = self.community_id() else {
            return Err(Error::InvalidRequest(
                "v1 calls need the community id: set it with `Client::builder().community_id(..)`"
                    .into(),
            ));
        };
        let mut envelope = Map::new();
        envelope.insert("id".into(), Value::from(community_id));
        envelope.insert("key".into(), Value::from(self.api_key().expose()));
        envelope.insert("type".into(), Value::from(v1_type));
        if let Some(data) = data {
            let data = serde_json::to_value(data).map_err(|e| {
                Error::InvalidRequest(format!("{v1_type}: `data` cannot be encoded as JSON: {e}"))
            })?;
            envelope.insert("data".into(), data);
        }
        for (k, v) in extra {
            if !v.is_null() {
                envelope.insert(k.into(), v);
            }
        }
        let body = serde_json::to_vec(&Value::Object(envelope)).expect("a JSON value encodes");
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
