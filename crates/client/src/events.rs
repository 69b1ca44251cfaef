//! Push events: what Sonoran CAD sends to a community's server (a 911 call, a unit's status,
//! a record added, a tone played, ...), typed.
//!
//! Sonoran delivers each event as `{"key": ..., "type": ..., "data": ...}`, over an
//! authenticated websocket session when one is open for the server, else as an HTTP `POST`
//! to `/sonorancad/event` on the game server. This module is only decoding and checking,
//! with no I/O (it builds for wasm32 and needs no feature): [`PushEvent::decode`] types one
//! event's `data`, [`receive`] checks a whole body (the key in constant time) and decodes it.
//! The HTTP receiver (`receiver`, feature `push-receiver`) is a thin layer over [`receive`].
//!
//! ```
//! use sonoran_cad::events::PushEvent;
//! use serde_json::json;
//!
//! let event = PushEvent::decode("EVENT_UNIT_STATUS", json!([{ "identIds": 1, "status": 2 }]))?;
//! let PushEvent::UnitStatus(status) = &event else { unreachable!() };
//! assert_eq!(status.ident_ids, Some(vec![1]));
//! assert_eq!(event.type_name(), "EVENT_UNIT_STATUS");
//! assert_eq!(
//!     serde_json::to_value(&event).unwrap(),
//!     json!({ "type": "EVENT_UNIT_STATUS", "data": { "identIds": [1], "status": 2 } }),
//! );
//!
//! // A type the docs do not list still arrives, as it was sent.
//! let other = PushEvent::decode("EVENT_UNIT_UPDATE", json!({ "units": [] }))?;
//! assert!(matches!(other, PushEvent::Unknown { ref type_, .. } if type_ == "EVENT_UNIT_UPDATE"));
//! # Ok::<(), sonoran_cad::events::EventError>(())
//! ```
//!
//! # Where the docs disagree with themselves
//!
//! The payload schemas are in `openapi/<api>/events/` (merged into the spec's `x-push-events`),
//! each with its documented example, repaired where the docs' JSON is broken, and the
//! decisions below written next to it:
//!
//! - Six of the 26 examples are not JSON (`EVENT_CHAR_SELECTED`'s bare `000-000-000`,
//!   `EVENT_DISPATCH_NEW` and `EVENT_DISPATCH_EDIT` with keys inside an array,
//!   `EVENT_DISPATCH_TOGGLE_BODYCAM` with commas for colons, `EVENT_REMOVE_911` without its
//!   closing brace, `EVENT_STATION_ALERT` closing an array with `}`). The spec holds repaired
//!   examples; each says what was repaired.
//! - Eight types show `data` as a one-element array, while Sonoran's own FiveM receiver reads
//!   them as objects. Every payload decodes from the object or from a one-element array.
//! - `EVENT_UNIT_STATUS` is `[{identIds: 1, status: 0}]` on its own page and
//!   `{units: []}` on the websocket page: its payload has `identIds` (one id or a list),
//!   `status` and `units`, all optional.
//! - Some headings name a type differently from its type string (`TOGGLE_BODYCAM` for
//!   `EVENT_DISPATCH_TOGGLE_BODYCAM`, `EVENT_UNIT_ATTACH` for `EVENT_DISPATCH_UNIT_ATTACH`):
//!   the type string is what counts.
//! - Where an id is shown as a string (`"ident": "1"`) or a list as one value
//!   (`"identIds": 1`), the schema marks the field `x-lenient` and both forms decode.
//! - The websocket push-events page authenticates with `authenticate`, the authentication
//!   page with `authenticatev2`; Sonoran's FiveM resource uses `authenticatev2`.
//!
//! Type strings are matched exactly (Sonoran sends them in upper case); a type in any other
//! spelling is a [`PushEvent::Unknown`] event. The key is compared exactly too (in constant
//! time): Sonoran's FiveM resource compares upper-cased keys, but a key that differs in case
//! is not the community's key, so it is refused here.

pub use crate::generated::push_events::*;
pub use sonoran_runtime::events::{EventError, ReceiveError};

/// The HTTP receiver of push events (feature `push-receiver`; native targets only).
#[cfg(all(feature = "push-receiver", not(target_arch = "wasm32")))]
pub mod receiver {
    pub use super::EVENT_PATH;
    pub use sonoran_runtime::events::DEFAULT_MAX_BODY_BYTES;

    /// A `tower` service receiving Sonoran CAD's push events over HTTP (a thin layer over
    /// [`receive`](super::receive)); calls `on_event` with every accepted event. Cheap to
    /// clone (clones share the callback).
    ///
    /// | request | answer |
    /// | --- | --- |
    /// | an event with the right key (any type, documented or not) | `200` |
    /// | the wrong key | `401` (the body never echoes a key) |
    /// | not JSON, not `{key, type, data}`, or a documented type with malformed `data` | `400`, saying what is wrong |
    /// | a body over the size cap (1 MiB unless set) | `413` |
    /// | a method other than `POST` | `405` |
    /// | another path than the configured one (`/sonorancad/event` unless set) | `404` |
    ///
    /// ```
    /// use sonoran_cad::{ApiKey, events::PushReceiver};
    ///
    /// let receiver = PushReceiver::new(ApiKey::new("YOUR_API_KEY"), |event| println!("{}", event.type_name()))
    ///     .max_body_bytes(256 * 1024)
    ///     .on_error(|refused| eprintln!("push event refused: {refused}"));
    /// // axum: Router::new().route_service("/sonorancad/event", receiver)
    /// assert!(!format!("{receiver:?}").contains("YOUR_API_KEY"));
    /// ```
    ///
    /// With plain hyper, see the `push_listener` example of this crate.
    pub type PushReceiver = sonoran_runtime::events::PushReceiver<super::PushEvent>;
}
#[cfg(all(feature = "push-receiver", not(target_arch = "wasm32")))]
pub use receiver::PushReceiver;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_name_the_type_and_the_field() {
        let e = PushEvent::decode("EVENT_UNIT_LOGIN", json!({ "unit": { "status": "busy" } }))
            .unwrap_err();
        assert_eq!(e.event_type(), "EVENT_UNIT_LOGIN");
        assert_eq!(e.path(), "data.unit.status");
        assert!(
            e.to_string()
                .starts_with("push event EVENT_UNIT_LOGIN: data.unit.status: "),
            "{e}"
        );
        let e = PushEvent::decode("EVENT_DISPATCH_CLOSED", json!("closed")).unwrap_err();
        assert_eq!(e.path(), "data");
        let e = PushEvent::decode(
            "EVENT_REMOVE_911",
            json!([{ "callIds": [1] }, { "callIds": [2] }]),
        )
        .unwrap_err();
        assert_eq!(e.path(), "data", "two elements are not one object: {e}");
        assert_eq!(e.message(), "expected an object, found an array");
        let e = PushEvent::decode(
            "EVENT_TONE",
            json!({ "playTonesTo": [{ "type": 1 }, ["x"]] }),
        )
        .unwrap_err();
        assert_eq!(e.path(), "data.playTonesTo[1]");
        let e = PushEvent::decode(
            "EVENT_STATION_ALERT",
            json!({ "locations": [{ "open": ["a", 2] }] }),
        )
        .unwrap_err();
        assert_eq!(e.path(), "data.locations[0].open[1]", "{e}");
    }

    #[test]
    fn a_dispatch_priority_is_the_shared_enum_from_a_number_or_a_numeric_string() {
        for (sent, expected) in [
            (json!(2), crate::enums::DispatchPriority::Priority2),
            (json!("3"), crate::enums::DispatchPriority::Priority3),
            (json!(7), crate::enums::DispatchPriority::Other(7)),
        ] {
            let e = PushEvent::decode(
                "EVENT_DISPATCH_NEW",
                json!({ "dispatch": { "callId": 1, "priority": sent } }),
            )
            .unwrap();
            let PushEvent::DispatchNew(data) = e else {
                panic!("not DispatchNew: {e:?}")
            };
            assert_eq!(data.dispatch.priority, Some(expected), "sent {sent}");
        }
        let e = PushEvent::decode(
            "EVENT_DISPATCH_NEW",
            json!({ "dispatch": { "priority": "urgent" } }),
        )
        .unwrap_err();
        assert_eq!(e.path(), "data.dispatch.priority", "{e}");
    }

    #[test]
    fn a_body_is_checked_then_decoded() {
        let key = crate::ApiKey::new("community-key");
        let body =
            br#"{"key": "community-key", "type": "EVENT_UNIT_LOGOUT", "data": [{"identId": 7}]}"#;
        let PushEvent::UnitLogout(logout) = receive(body, &key).unwrap() else {
            panic!("not a logout")
        };
        assert_eq!(logout.ident_id, 7);
        let forged = br#"{"key": "guess", "type": "EVENT_UNIT_LOGOUT", "data": {"identId": 7}}"#;
        assert_eq!(receive(forged, &key), Err(ReceiveError::WrongKey));
    }

    #[test]
    fn the_key_is_checked_first_and_never_shown() {
        use crate::ApiKey;
        let key = ApiKey::new("secret-key-123");
        let body = br#"{"key": "secret-key-124", "type": "EVENT_UNIT_LOGIN", "data": 5}"#;
        let e = receive(body, &key).unwrap_err();
        assert_eq!(e, ReceiveError::WrongKey);
        assert!(!format!("{e} {e:?}").contains("secret-key"));
        assert!(matches!(
            receive(b"{\"type\": \"X\"}", &key),
            Err(ReceiveError::NotAnEnvelope(_))
        ));
        assert!(matches!(
            receive(b"[1]", &key),
            Err(ReceiveError::NotAnEnvelope(_))
        ));
        assert!(matches!(receive(b"{", &key), Err(ReceiveError::NotJson(_))));
        let no_type = br#"{"key": "secret-key-123", "data": {}}"#;
        assert!(matches!(
            receive(no_type, &key),
            Err(ReceiveError::NotAnEnvelope(_))
        ));
    }
}
