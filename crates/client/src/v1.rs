//! Sending v1 calls: `POST <base>/<area>/<call>` with `{"id", "key", "type", "data"}`.
//!
//! The generated v1 methods (`generated/v1.rs`) give the operation's path and `type`
//! and the caller's `data`; this module fills `id` and `key` from the configuration,
//! sends, and turns the reply into the documented type or a typed [`Error`].

use crate::{Client, Error, error::ApiError};
use serde::Serialize;
use serde::de::DeserializeOwned;
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

/// A successful reply as received.
#[derive(Debug)]
pub(crate) struct Reply {
    status: u16,
    json: bool,
    body: String,
}

impl Client {
    /// Sends one v1 call. `data` is `None` only for calls whose envelope has no `data`.
    pub(crate) async fn v1_send<D: Serialize + ?Sized>(
        &self,
        path: &'static str,
        v1_type: &'static str,
        data: Option<&D>,
        extra: Vec<(&'static str, Value)>,
    ) -> Result<Reply, Error> {
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
            .client
            .post(format!("{}{path}", self.baseurl))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json, text/plain")
            .body(body)
            .build()
            .map_err(Error::from_reqwest)?;
        let response = self
            .client
            .execute(request)
            .await
            .map_err(Error::from_reqwest)?;
        let status = response.status().as_u16();
        let retry_after = crate::error::retry_after(response.headers());
        let json = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.contains("json"));
        let text = response.text().await.map_err(Error::from_reqwest)?;
        if status == 429 {
            let request_id = serde_json::from_str::<Value>(&text).ok().and_then(|v| {
                v.get("request_id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
            return Err(Error::RateLimited {
                retry_after,
                request_id,
            });
        }
        if !(200..300).contains(&status) {
            return Err(Error::Api(ApiError::from_body(status, &text)));
        }
        Ok(Reply {
            status,
            json,
            body: text,
        })
    }
}

impl Reply {
    pub(crate) fn json<T: DeserializeOwned>(self) -> Result<T, Error> {
        serde_json::from_str(&self.body).map_err(|e| Error::MalformedReply {
            status: self.status,
            reason: format!("expected JSON of the documented shape: {e}"),
            body: self.body,
        })
    }

    pub(crate) fn text(self) -> Result<String, Error> {
        Ok(self.body)
    }

    pub(crate) fn json_or_text<T: DeserializeOwned>(self) -> Result<JsonOrText<T>, Error> {
        let looks_json =
            self.json || matches!(self.body.trim_start().as_bytes().first(), Some(b'{' | b'['));
        if looks_json && let Ok(v) = serde_json::from_str(&self.body) {
            return Ok(JsonOrText::Json(v));
        }
        Ok(JsonOrText::Text(self.body))
    }
}
