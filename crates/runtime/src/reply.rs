//! Reading a reply a client sent itself (v1 calls, multipart uploads, enveloped replies): a success body
//! to decode as documented, or the typed error for everything else.

use crate::Error;
use crate::error::V1Code;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A reply that the docs say is JSON for some requests and text for others
/// (CAD's MODIFY_IDENTIFIER: JSON for ADD/EDIT, text for REMOVE).
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

/// A successful (2xx) reply as received. Its text is decoded as UTF-8 (or the charset the
/// reply names) with invalid bytes replaced by U+FFFD, as reqwest's `text()` does: a text
/// reply never fails for its encoding, and a JSON one with invalid bytes does not parse.
#[derive(Debug)]
pub struct Reply {
    status: u16,
    json: bool,
    body: String,
}

impl Reply {
    /// Turns a sent request's outcome into a success reply or the matching [`Error`].
    pub async fn read<C: V1Code>(
        sent: reqwest::Result<reqwest::Response>,
    ) -> Result<Self, Error<C>> {
        let response = sent.map_err(Error::from_reqwest)?;
        #[cfg(feature = "redis")]
        if let Some(refused) = response.extensions().get::<crate::shared::Refused>() {
            return Err(Error::SharedLimiterUnavailable {
                reason: refused.0.clone(),
            });
        }
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let json = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.contains("json"));
        let body = response.text().await.map_err(Error::from_reqwest)?;
        if !(200..300).contains(&status) {
            return Err(Error::from_reply(status, retry_after.as_deref(), &body));
        }
        Ok(Self { status, json, body })
    }

    /// The body as the documented JSON, or [`Error::MalformedReply`].
    pub fn json<T: DeserializeOwned, C: V1Code>(self) -> Result<T, Error<C>> {
        serde_json::from_str(&self.body).map_err(|e| Error::MalformedReply {
            status: self.status,
            reason: format!("expected JSON of the documented shape: {e}"),
            body: crate::error::clip(&self.body),
            operation: None,
            attempts: 0,
            request_id: None,
        })
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The body as text.
    pub fn into_body(self) -> String {
        self.body
    }

    /// The body as text, for the operations documented as text.
    pub fn text<C: V1Code>(self) -> Result<String, Error<C>> {
        Ok(self.body)
    }

    /// A reply that is JSON for some requests and text for others: with a JSON content
    /// type it must be the documented JSON (a cut or broken body is
    /// [`Error::MalformedReply`], never a text success); without one, text that parses as
    /// the documented JSON is JSON and anything else is the text.
    pub fn json_or_text<T: DeserializeOwned, C: V1Code>(self) -> Result<JsonOrText<T>, Error<C>> {
        if self.json {
            return self.json().map(JsonOrText::Json);
        }
        let looks_json = matches!(self.body.trim_start().as_bytes().first(), Some(b'{' | b'['));
        if looks_json && let Ok(v) = serde_json::from_str(&self.body) {
            return Ok(JsonOrText::Json(v));
        }
        Ok(JsonOrText::Text(self.body))
    }
}
