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

use crate::ApiKey;
use serde_json::Value;
use std::fmt;

pub use crate::generated::push_events::*;

#[cfg(all(feature = "push-receiver", not(target_arch = "wasm32")))]
pub mod receiver;
#[cfg(all(feature = "push-receiver", not(target_arch = "wasm32")))]
pub use receiver::PushReceiver;

/// A documented event whose `data` does not have the documented shape, even after the
/// lenient normalisations. Names the event type and the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventError {
    type_: String,
    path: String,
    message: String,
}

impl EventError {
    /// The event's type string.
    pub fn event_type(&self) -> &str {
        &self.type_
    }

    /// Where in the event the problem is, e.g. `data.unit.status` (`data` for the whole).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong there.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "push event {}: {}: {}",
            self.type_, self.path, self.message
        )
    }
}

impl std::error::Error for EventError {}

impl PushEvent {
    /// Decodes one event's `type` and `data`, leniently where the docs disagree with
    /// themselves (object or one-element array, a single id or a list, number or numeric
    /// string). A type the docs do not list is `Ok(PushEvent::Unknown { .. })`.
    pub fn decode(type_: &str, mut data: Value) -> Result<PushEvent, EventError> {
        let Some(rules) = rules(type_) else {
            return Ok(PushEvent::Unknown {
                type_: type_.to_string(),
                data,
            });
        };
        normalize(&mut data, rules);
        for rule in rules.iter().filter(|r| r.lenient == Lenient::Object) {
            if let Some((path, found)) = not_an_object(&data, rule.path, &mut "data".to_string()) {
                return Err(EventError {
                    type_: type_.to_string(),
                    path,
                    message: format!("expected an object, found {found}"),
                });
            }
        }
        PushEvent::decode_documented(type_, data).expect("a type with rules is documented")
    }
}

/// A normalisation (`x-lenient` in the spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lenient {
    /// An object sent as a one-element array is that object.
    OneElementArray,
    /// A single value where a list is described is a list of one.
    SingleAsList,
    /// A string of digits where a number is described is that number.
    NumericString,
    /// Not a normalisation: a check, after them, that an object is there (absent or `null`
    /// is left to the typed decode), since serde would also take a struct from an array.
    Object,
}

/// One step of a rule's path into the payload.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Step {
    Key(&'static str),
    Each,
}

/// A normalisation at every place `path` reaches.
#[derive(Debug)]
pub(crate) struct Rule {
    pub path: &'static [Step],
    pub lenient: Lenient,
}

/// Applies `rules` (parents first, so that a child's path sees its normalised parent).
fn normalize(data: &mut Value, rules: &[Rule]) {
    for rule in rules {
        apply(data, rule.path, rule.lenient);
    }
}

fn apply(value: &mut Value, path: &[Step], lenient: Lenient) {
    match path.split_first() {
        None => normalize_here(value, lenient),
        Some((Step::Key(k), rest)) => {
            if let Some(v) = value.as_object_mut().and_then(|m| m.get_mut(*k)) {
                apply(v, rest, lenient);
            }
        }
        Some((Step::Each, rest)) => {
            if let Some(items) = value.as_array_mut() {
                for v in items {
                    apply(v, rest, lenient);
                }
            }
        }
    }
}

/// The first place `path` reaches that holds neither an object nor `null`: (where, what).
fn not_an_object(value: &Value, path: &[Step], at: &mut String) -> Option<(String, &'static str)> {
    match path.split_first() {
        None => match value {
            Value::Object(_) | Value::Null => None,
            other => Some((at.clone(), kind(other))),
        },
        Some((Step::Key(k), rest)) => {
            let v = value.as_object()?.get(*k)?;
            let len = at.len();
            at.push('.');
            at.push_str(k);
            let found = not_an_object(v, rest, at);
            at.truncate(len);
            found
        }
        Some((Step::Each, rest)) => value.as_array()?.iter().enumerate().find_map(|(i, v)| {
            let len = at.len();
            at.push_str(&format!("[{i}]"));
            let found = not_an_object(v, rest, at);
            at.truncate(len);
            found
        }),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn normalize_here(value: &mut Value, lenient: Lenient) {
    match lenient {
        Lenient::Object => {}
        Lenient::OneElementArray => {
            if let Value::Array(items) = value
                && items.len() == 1
                && items[0].is_object()
            {
                *value = items.pop().expect("one element");
            }
        }
        Lenient::SingleAsList => {
            if !value.is_array() && !value.is_null() {
                *value = Value::Array(vec![value.take()]);
            }
        }
        Lenient::NumericString => {
            if let Value::String(s) = value
                && let Some(n) = numeric(s)
            {
                *value = n;
            }
        }
    }
}

/// `-?digits(.digits)?` as a JSON number: an integer when it has no fraction and fits an
/// `i64`, else a finite float. Anything else (spaces, `+`, `0x`, `1e3`) stays a string. The
/// npm decoder applies the same grammar.
fn numeric(s: &str) -> Option<Value> {
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match unsigned.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (unsigned, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return None;
    }
    if frac.is_none()
        && let Ok(i) = s.parse::<i64>()
    {
        return Some(Value::from(i));
    }
    let f: f64 = s.parse().ok()?;
    serde_json::Number::from_f64(f).map(Value::Number)
}

/// The typed payload of `data`, or an error naming the field.
pub(crate) fn typed<T: serde::de::DeserializeOwned>(
    type_: &str,
    data: Value,
) -> Result<T, EventError> {
    serde_path_to_error::deserialize(data).map_err(|e| {
        let inner = e.path().to_string().replace(".[", "[");
        EventError {
            type_: type_.to_string(),
            path: match inner.as_str() {
                "." => "data".into(),
                i if i.starts_with('[') => format!("data{i}"),
                i => format!("data.{i}"),
            },
            message: e.into_inner().to_string(),
        }
    })
}

/// Why a push-event body was refused. Never holds the key (neither the expected one nor
/// the one sent).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReceiveError {
    /// The body is not JSON (the parser's message says where).
    NotJson(String),
    /// The body is JSON but not an event envelope `{key, type, data}`: says what is missing.
    NotAnEnvelope(&'static str),
    /// The `key` is not the community's API key.
    WrongKey,
    /// A documented event whose `data` does not have the documented shape.
    Event(EventError),
}

impl fmt::Display for ReceiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReceiveError::NotJson(e) => write!(f, "the push-event body is not JSON: {e}"),
            ReceiveError::NotAnEnvelope(what) => write!(f, "not a push event: {what}"),
            ReceiveError::WrongKey => {
                f.write_str("the push event's `key` is not the community's API key")
            }
            ReceiveError::Event(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ReceiveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReceiveError::Event(e) => Some(e),
            _ => None,
        }
    }
}

impl From<EventError> for ReceiveError {
    fn from(e: EventError) -> Self {
        ReceiveError::Event(e)
    }
}

/// Checks and decodes one push-event body `{"key", "type", "data"}` as Sonoran sends it (the
/// HTTP fallback's request body, or a websocket `pushEvent` payload): the key is compared
/// with `api_key` in constant time before anything else is looked at.
///
/// ```
/// use sonoran_cad::{ApiKey, events::{receive, PushEvent, ReceiveError}};
///
/// let key = ApiKey::new("community-key");
/// let body = br#"{"key": "community-key", "type": "EVENT_UNIT_LOGOUT", "data": [{"identId": 7}]}"#;
/// let PushEvent::UnitLogout(logout) = receive(body, &key)? else { unreachable!() };
/// assert_eq!(logout.ident_id, 7);
///
/// let forged = br#"{"key": "guess", "type": "EVENT_UNIT_LOGOUT", "data": {"identId": 7}}"#;
/// assert_eq!(receive(forged, &key), Err(ReceiveError::WrongKey));
/// # Ok::<(), ReceiveError>(())
/// ```
pub fn receive(body: &[u8], api_key: &ApiKey) -> Result<PushEvent, ReceiveError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| ReceiveError::NotJson(e.to_string()))?;
    receive_value(value, api_key)
}

/// [`receive`] for a body already parsed (a websocket payload that arrived as JSON).
pub fn receive_value(value: Value, api_key: &ApiKey) -> Result<PushEvent, ReceiveError> {
    let Value::Object(mut envelope) = value else {
        return Err(ReceiveError::NotAnEnvelope("the body is not a JSON object"));
    };
    let Some(Value::String(key)) = envelope.get("key") else {
        return Err(ReceiveError::NotAnEnvelope(
            "`key` is missing or not a string",
        ));
    };
    if !api_key.matches(key) {
        return Err(ReceiveError::WrongKey);
    }
    let Some(Value::String(type_)) = envelope.remove("type") else {
        return Err(ReceiveError::NotAnEnvelope(
            "`type` is missing or not a string",
        ));
    };
    let data = envelope.remove("data").unwrap_or(Value::Null);
    Ok(PushEvent::decode(&type_, data)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numeric_strings_follow_one_grammar() {
        assert_eq!(numeric("12"), Some(json!(12)));
        assert_eq!(numeric("-3"), Some(json!(-3)));
        assert_eq!(numeric("1.5"), Some(json!(1.5)));
        for bad in [
            "", "-", "+1", " 1", "1 ", "0x1", "1e3", "1.", ".5", "abc", "NaN", "inf",
        ] {
            assert_eq!(numeric(bad), None, "{bad:?}");
        }
        // Too large for i64: a float.
        assert_eq!(numeric("99999999999999999999"), Some(json!(1e20)));
    }

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
    fn the_key_is_checked_first_and_never_shown() {
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
