//! Sending v1 calls: `POST <base>/<area>/<call>` with `{"id", "key", "type", "data"}`.
//!
//! The generated v1 methods (`generated/v1.rs`) give the operation's path and `type`
//! and the caller's `data`; this module fills `id` and `key` from the configuration,
//! and `serverId` of `data` (of each item, when it is an array) where the caller left it
//! unset and the operation's `data` has one, sends, and turns the reply into the
//! documented type or a typed [`Error`].

use crate::{Client, Error};
use serde::Serialize;
use serde_json::Value;

/// A reply that the docs say is JSON for some requests and text for others
/// (MODIFY_IDENTIFIER: JSON for ADD/EDIT, text for REMOVE).
pub use sonoran_runtime::JsonOrText;

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
        let call = sonoran_runtime::v1::V1Call {
            operation_id,
            path,
            v1_type,
            data,
            fills_server_id,
        };
        sonoran_runtime::v1::send(
            &self.raw.inner,
            &self.raw.client,
            &self.raw.baseurl,
            call,
            extra,
        )
        .await
    }
}
