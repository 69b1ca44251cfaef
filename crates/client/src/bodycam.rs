//! Bodycam uploads (v2 `uploadBodycamRecording`, v1 `/upload`): `multipart/form-data`,
//! which progenitor cannot generate, so they are written here against the spec's
//! description of the form.

use crate::{Client, Error};
use reqwest::multipart::{Form, Part};

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
    ///
    /// Docs: <https://docs.sonoransoftware.com/cad/api-integration/api-endpoints-v2/general/configuration/upload-bodycam-recording>
    pub async fn upload_bodycam_recording(
        &self,
        owner: BodycamOwner,
        clip: &BodycamClip,
    ) -> Result<Vec<String>, Error> {
        clip.check()?;
        let form = match owner {
            BodycamOwner::AccountUuid(v) => clip.form()?.text("accountUuid", v),
            BodycamOwner::CommunityUserId(v) => clip.form()?.text("communityUserId", v),
            BodycamOwner::Roblox(v) => clip.form()?.text("roblox", v.to_string()),
            BodycamOwner::Discord(v) => clip.form()?.text("discord", v),
        };
        let request = self
            .raw
            .client
            .post(format!(
                "{}/v2/general/bodycam-recordings",
                self.raw.baseurl
            ))
            .header(reqwest::header::ACCEPT, "application/json")
            .multipart(form);
        self.send(request, true, "uploadBodycamRecording")
            .await?
            .json()
    }

    /// Uploads one bodycam clip through v1 (`POST /upload`, multipart; the community id
    /// comes from the configuration) and returns the stored clip's URL(s).
    ///
    /// Docs: <https://docs.sonoransoftware.com/cad/api-integration/api-endpoints/general/upload-bodycam-recording>
    pub async fn upload_bodycam_recording_v1(
        &self,
        account: &str,
        session_id: &str,
        username: &str,
        clip: &BodycamClip,
    ) -> Result<Vec<String>, Error> {
        clip.check()?;
        let Some(community) = self.community_id() else {
            return Err(Error::InvalidRequest(
                "v1 /upload needs the community id: set it with `Client::builder().community_id(..)`".into(),
            ));
        };
        let form = clip
            .form()?
            .text("community", community.to_string())
            .text("account", account.to_string())
            .text("sessionId", session_id.to_string())
            .text("username", username.to_string())
            .text("type", "bodycam");
        let request = self
            .raw
            .client
            .post(format!("{}/upload", self.raw.baseurl))
            .multipart(form);
        self.send(request, false, "uploadBodycamRecordingV1")
            .await?
            .json()
    }
}

impl Client {
    /// Sends a request this client built itself (the uploads) through the runtime: headers,
    /// bearer auth when `bearer`, timeout, pacing, retries; then reads the reply.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        bearer: bool,
        operation_id: &'static str,
    ) -> Result<sonoran_runtime::Reply, Error> {
        sonoran_runtime::v1::send_built(
            &self.raw.inner,
            &self.raw.client,
            request,
            bearer,
            operation_id,
        )
        .await
    }
}
