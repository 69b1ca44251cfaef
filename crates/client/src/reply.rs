//! Reading a reply the client sent itself (v1 calls, multipart uploads): a success body
//! to decode as documented, or the typed error for everything else.

use crate::v1::JsonOrText;
use crate::{Client, Error};
use serde::de::DeserializeOwned;

impl Client {
    /// Sends a request this client built itself (v1 calls, uploads) through the runtime:
    /// headers, bearer auth when `bearer`, timeout, pacing, retries; then reads the reply.
    pub(crate) async fn send(
        &self,
        request: reqwest::RequestBuilder,
        bearer: bool,
        operation_id: &'static str,
    ) -> Result<Reply, Error> {
        let mut request = request.build().map_err(Error::from_reqwest)?;
        self.raw.inner.prepare(&mut request, bearer)?;
        Reply::read(
            self.raw
                .inner
                .send_reqwest(&self.raw.client, request, operation_id)
                .await,
        )
        .await
    }
}

/// A successful (2xx) reply as received. Its text is decoded as UTF-8 (or the charset the
/// reply names) with invalid bytes replaced by U+FFFD, as reqwest's `text()` does: a text
/// reply never fails for its encoding, and a JSON one with invalid bytes does not parse.
#[derive(Debug)]
pub(crate) struct Reply {
    status: u16,
    json: bool,
    body: String,
}

impl Reply {
    /// Turns a sent request's outcome into a success reply or the matching [`Error`].
    pub(crate) async fn read(sent: reqwest::Result<reqwest::Response>) -> Result<Self, Error> {
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

    pub(crate) fn json<T: DeserializeOwned>(self) -> Result<T, Error> {
        serde_json::from_str(&self.body).map_err(|e| Error::MalformedReply {
            status: self.status,
            reason: format!("expected JSON of the documented shape: {e}"),
            body: crate::error::clip(&self.body),
        })
    }

    pub(crate) fn status(&self) -> u16 {
        self.status
    }

    pub(crate) fn into_body(self) -> String {
        self.body
    }

    pub(crate) fn text(self) -> Result<String, Error> {
        Ok(self.body)
    }

    /// A reply that is JSON for some requests and text for others: with a JSON content
    /// type it must be the documented JSON (a cut or broken body is
    /// [`Error::MalformedReply`], never a text success); without one, text that parses as
    /// the documented JSON is JSON and anything else is the text.
    pub(crate) fn json_or_text<T: DeserializeOwned>(self) -> Result<JsonOrText<T>, Error> {
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
