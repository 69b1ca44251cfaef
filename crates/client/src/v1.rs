//! The v1 calls' reply shapes; the calls themselves are under [`Client::v1`](crate::Client::v1).
//!
//! Each v1 call is `POST <base>/<area>/<call>` with `{"id", "key", "type", "data"}`: the
//! client fills `id` and `key` from its configuration, and `serverId` of `data` (of each item,
//! when it is an array) where the caller left it unset and the operation's `data` has one,
//! sends, and turns the reply into the documented type or a typed [`Error`](crate::Error).

/// A reply that the docs say is JSON for some requests and text for others
/// (MODIFY_IDENTIFIER: JSON for ADD/EDIT, text for REMOVE).
pub use sonoran_runtime::JsonOrText;
