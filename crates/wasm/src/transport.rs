//! Each attempt goes out through a `send` function the JS side hands the client (the
//! platform's `fetch`, or the caller's own): it resolves, never rejects, to
//! `{ status, retryAfter, contentType, text }`, or `{ status: 0, error, timedOut }` when
//! no reply came.

use sonoran_cad::runtime::Attempt;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The JS transport object.
    #[derive(Debug, Clone)]
    pub type Transport;

    #[wasm_bindgen(method, structural)]
    pub fn send(
        this: &Transport,
        method: &str,
        url: &str,
        headers: &str,
        body: Option<String>,
        timeout_ms: f64,
    ) -> js_sys::Promise;

    /// One attempt's outcome, as `send` resolved it.
    #[derive(Debug, Clone)]
    pub type Sent;

    #[wasm_bindgen(method, getter, structural)]
    pub fn status(this: &Sent) -> u16;
    #[wasm_bindgen(method, getter, structural, js_name = retryAfter)]
    pub fn retry_after(this: &Sent) -> Option<String>;
    #[wasm_bindgen(method, getter, structural)]
    pub fn text(this: &Sent) -> Option<String>;
    #[wasm_bindgen(method, getter, structural, js_name = timedOut)]
    pub fn timed_out(this: &Sent) -> bool;
    #[wasm_bindgen(method, getter, structural)]
    pub fn error(this: &Sent) -> JsValue;
}

/// An attempt as the runtime sees it: the status read once, `Retry-After` only on a 429.
#[derive(Debug)]
pub(crate) struct JsAttempt {
    pub status: u16,
    pub retry_after: Option<String>,
    pub sent: Sent,
}

impl JsAttempt {
    pub(crate) fn new(value: JsValue) -> Self {
        let sent: Sent = value.unchecked_into();
        let status = sent.status();
        let retry_after = if status == 429 {
            sent.retry_after()
        } else {
            None
        };
        Self {
            status,
            retry_after,
            sent,
        }
    }
}

impl Attempt for JsAttempt {
    fn status(&self) -> Option<u16> {
        (self.status != 0).then_some(self.status)
    }

    fn retry_after(&self) -> Option<&str> {
        self.retry_after.as_deref()
    }
}
