//! Bodycam uploads (v2 `uploadBodycamRecording`, v1 `/upload`): `multipart/form-data`,
//! which progenitor cannot generate, so they are written here against the spec's
//! description of the form.

use crate::{CallFuture, Client, Error, Response, ResponseFuture, V1};
use reqwest::multipart::{Form, Part};
use sonoran_runtime::CallOptions;
use std::future::IntoFuture;
use std::time::Duration;

/// The documented limits of one clip.
pub const MAX_CLIP_BYTES: usize = 6_000_000;
pub const MAX_CLIP_DURATION_MS: u32 = 120_000;

/// One `.webm` clip and what is stored with it.
#[derive(Clone, PartialEq, Eq)]
pub struct BodycamClip {
    pub file: Vec<u8>,
    /// Sent as the part's file name (default `clip.webm`).
    pub file_name: String,
    /// 1 to 120000.
    pub duration_ms: u32,
    pub ident_id: Option<i64>,
    pub unit_number: Option<String>,
    pub unit_location: Option<String>,
}

impl std::fmt::Debug for BodycamClip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodycamClip")
            .field("file", &format_args!("<{} bytes>", self.file.len()))
            .field("file_name", &self.file_name)
            .field("duration_ms", &self.duration_ms)
            .field("ident_id", &self.ident_id)
            .field("unit_number", &self.unit_number)
            .field("unit_location", &self.unit_location)
            .finish()
    }
}

impl BodycamClip {
    pub fn new(file: Vec<u8>, duration_ms: u32) -> Self {
        Self {
            file,
            file_name: "clip.webm".into(),
            duration_ms,
            ident_id: None,
            unit_number: None,
            unit_location: None,
        }
    }

    fn check(&self) -> Result<(), Error> {
        if self.file.is_empty() {
            return Err(Error::InvalidRequest(
                "bodycam clip: `file` is empty".into(),
            ));
        }
        if self.file.len() > MAX_CLIP_BYTES {
            return Err(Error::InvalidRequest(format!(
                "bodycam clip: `file` is {} bytes; the API takes at most {MAX_CLIP_BYTES}",
                self.file.len()
            )));
        }
        if !(1..=MAX_CLIP_DURATION_MS).contains(&self.duration_ms) {
            return Err(Error::InvalidRequest(format!(
                "bodycam clip: `durationMs` is {}; it must be 1 to {MAX_CLIP_DURATION_MS}",
                self.duration_ms
            )));
        }
        Ok(())
    }

    fn form(&self) -> Result<Form, Error> {
        let part = Part::bytes(self.file.clone())
            .file_name(self.file_name.clone())
            .mime_str("video/webm")
            .map_err(|e| Error::InvalidRequest(format!("bodycam clip: {e}")))?;
        let mut form = Form::new()
            .part("file", part)
            .text("durationMs", self.duration_ms.to_string());
        if let Some(id) = self.ident_id {
            // A form field is text either way (v2 documents an integer, v1 a string).
            form = form.text("identId", id.to_string());
        }
        if let Some(n) = &self.unit_number {
            form = form.text("unitNumber", n.clone());
        }
        if let Some(l) = &self.unit_location {
            form = form.text("unitLocation", l.clone());
        }
        Ok(form)
    }
}

/// Whose recording it is (v2: exactly one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodycamOwner {
    AccountUuid(String),
    CommunityUserId(String),
    Roblox(i64),
    Discord(String),
}

impl Client {
    /// Uploads one bodycam clip (v2 `POST /v2/general/bodycam-recordings`, multipart) and
    /// returns the stored clip's URL(s). Checks the documented limits before sending.
    /// Returns its request builder: `.send().await` or `.await` it.
    ///
    /// Docs: <https://docs.sonoransoftware.com/cad/api-integration/api-endpoints-v2/general/configuration/upload-bodycam-recording>
    pub fn upload_bodycam_recording(
        &self,
        owner: BodycamOwner,
        clip: BodycamClip,
    ) -> UploadBodycamRecording {
        UploadBodycamRecording {
            client: self.clone(),
            owner,
            clip,
            options: CallOptions::default(),
        }
    }
}

impl V1 {
    /// Uploads one bodycam clip through v1 (`POST /upload`, multipart; the community id
    /// comes from the configuration) and returns the stored clip's URL(s). Returns its
    /// request builder: `.send().await` or `.await` it.
    ///
    /// Docs: <https://docs.sonoransoftware.com/cad/api-integration/api-endpoints/general/upload-bodycam-recording>
    pub fn upload_bodycam_recording_v1(
        &self,
        account: &str,
        session_id: &str,
        username: &str,
        clip: BodycamClip,
    ) -> UploadBodycamRecordingV1 {
        UploadBodycamRecordingV1 {
            client: self.client.clone(),
            account: account.to_string(),
            session_id: session_id.to_string(),
            username: username.to_string(),
            clip,
            options: CallOptions::default(),
        }
    }
}

/// The per-call setters every request builder has (the generated ones' too).
macro_rules! call_options {
    () => {
        /// The deadline of this call, replacing the client's timeout: it bounds the whole
        /// call (the wait for the rate limit, every attempt and every wait between them).
        pub fn timeout(mut self, timeout: Duration) -> Self {
            self.options.timeout = Some(timeout);
            self
        }

        /// A header for this request only, sent besides the client's own.
        pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
            self.options.headers.push((name.into(), value.into()));
            self
        }
    };
}

/// `uploadBodycamRecording`: the request [`Client::upload_bodycam_recording`] returns.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent: `.send().await` or `.await` it"]
pub struct UploadBodycamRecording {
    client: Client,
    owner: BodycamOwner,
    clip: BodycamClip,
    options: CallOptions,
}

impl UploadBodycamRecording {
    call_options!();

    /// Sends the upload (not retried unless the server asks: it is a POST).
    #[inline]
    pub fn send(self) -> CallFuture<Vec<String>> {
        self.send_with_response().into()
    }

    /// Sends the upload like [`Self::send`] and resolves to the reply with its status,
    /// headers, request id, attempts and elapsed time.
    #[inline]
    pub fn send_with_response(self) -> ResponseFuture<Vec<String>> {
        ResponseFuture::new(self.upload())
    }

    async fn upload(self) -> Result<Response<Vec<String>>, Error> {
        self.clip.check()?;
        let form = match &self.owner {
            BodycamOwner::AccountUuid(v) => self.clip.form()?.text("accountUuid", v.clone()),
            BodycamOwner::CommunityUserId(v) => {
                self.clip.form()?.text("communityUserId", v.clone())
            }
            BodycamOwner::Roblox(v) => self.clip.form()?.text("roblox", v.to_string()),
            BodycamOwner::Discord(v) => self.clip.form()?.text("discord", v.clone()),
        };
        let request = self
            .client
            .raw
            .client
            .post(format!(
                "{}/v2/general/bodycam-recordings",
                self.client.raw.baseurl
            ))
            .header(reqwest::header::ACCEPT, "application/json")
            .multipart(form);
        self.client
            .send(self.options, request, true, "uploadBodycamRecording")
            .await
    }
}

impl IntoFuture for UploadBodycamRecording {
    type Output = Result<Vec<String>, Error>;
    type IntoFuture = CallFuture<Vec<String>>;
    #[inline]
    fn into_future(self) -> Self::IntoFuture {
        self.send()
    }
}

/// `uploadBodycamRecordingV1`: the request [`V1::upload_bodycam_recording_v1`] returns.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent: `.send().await` or `.await` it"]
pub struct UploadBodycamRecordingV1 {
    client: Client,
    account: String,
    session_id: String,
    username: String,
    clip: BodycamClip,
    options: CallOptions,
}

impl UploadBodycamRecordingV1 {
    call_options!();

    /// Sends the upload (not retried unless the server asks: it is a POST).
    #[inline]
    pub fn send(self) -> CallFuture<Vec<String>> {
        self.send_with_response().into()
    }

    /// Sends the upload like [`Self::send`] and resolves to the reply with its status,
    /// headers, request id, attempts and elapsed time.
    #[inline]
    pub fn send_with_response(self) -> ResponseFuture<Vec<String>> {
        ResponseFuture::new(self.upload())
    }

    async fn upload(self) -> Result<Response<Vec<String>>, Error> {
        self.clip.check()?;
        let Some(community) = self.client.community_id() else {
            return Err(Error::InvalidRequest(
                "v1 /upload needs the community id: set it with `Client::builder().community_id(..)`".into(),
            ));
        };
        let form = self
            .clip
            .form()?
            .text("community", community.to_string())
            .text("account", self.account.clone())
            .text("sessionId", self.session_id.clone())
            .text("username", self.username.clone())
            .text("type", "bodycam");
        let request = self
            .client
            .raw
            .client
            .post(format!("{}/upload", self.client.raw.baseurl))
            .multipart(form);
        self.client
            .send(self.options, request, false, "uploadBodycamRecordingV1")
            .await
    }
}

impl IntoFuture for UploadBodycamRecordingV1 {
    type Output = Result<Vec<String>, Error>;
    type IntoFuture = CallFuture<Vec<String>>;
    #[inline]
    fn into_future(self) -> Self::IntoFuture {
        self.send()
    }
}

impl Client {
    /// Sends a request this client built itself (the uploads) through the runtime scoped
    /// to the call: headers, bearer auth when `bearer`, the call's deadline, pacing,
    /// retries; then reads the reply as JSON.
    async fn send(
        &self,
        options: CallOptions,
        request: reqwest::RequestBuilder,
        bearer: bool,
        operation_id: &'static str,
    ) -> Result<Response<Vec<String>>, Error> {
        let runtime = self.raw.inner.scoped(options);
        let result = sonoran_runtime::v1::send_built(
            &runtime,
            &self.raw.client,
            request,
            bearer,
            operation_id,
        )
        .await
        .and_then(|reply| reply.json());
        runtime.finish(result)
    }
}
