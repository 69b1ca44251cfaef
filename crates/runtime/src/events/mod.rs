//! Push events, the API-independent part: the lenient normalisation the generated
//! `PushEvent::decode` of each API crate applies (`x-lenient` in the spec), decoding a
//! payload with the failing field named, and [`EventError`]; checking a whole body
//! `{key, type, data}` ([`receive`], the key in constant time, [`ReceiveError`]); and, with
//! the `push-receiver` feature, the HTTP receiver ([`PushReceiver`]). Decoding is no I/O and
//! builds for wasm32.

use crate::ApiKey;
use serde_json::Value;
use std::fmt;

#[cfg(all(feature = "push-receiver", not(target_arch = "wasm32")))]
mod receiver;
#[cfg(all(feature = "push-receiver", not(target_arch = "wasm32")))]
pub use receiver::{DEFAULT_MAX_BODY_BYTES, PushReceiver};

/// An API's push-event enum (each API crate's generated `events::PushEvent`): how a body's
/// `type` and `data` decode, and where Sonoran posts the events.
pub trait Event: Sized {
    /// The path Sonoran posts this API's events to on the community's server.
    const PATH: &'static str;
    /// Decodes one event's `type` and `data`; a type the docs do not list is an `Unknown`
    /// event, not an error.
    fn decode(type_: &str, data: Value) -> Result<Self, EventError>;
    /// The wire type string.
    fn type_name(&self) -> &str;
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
    /// The request body is larger than the receiver accepts (the receiver's `max_body_bytes`).
    TooLarge {
        /// The cap, in bytes.
        max: usize,
    },
    /// The request body could not be read (the connection failed while sending it).
    UnreadableBody(String),
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
            ReceiveError::TooLarge { max } => write!(f, "the request body is over {max} bytes"),
            ReceiveError::UnreadableBody(e) => {
                write!(f, "the request body could not be read: {e}")
            }
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
pub fn receive<E: Event>(body: &[u8], api_key: &ApiKey) -> Result<E, ReceiveError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| ReceiveError::NotJson(e.to_string()))?;
    receive_value(value, api_key)
}

/// [`receive`] for a body already parsed (a websocket payload that arrived as JSON).
pub fn receive_value<E: Event>(value: Value, api_key: &ApiKey) -> Result<E, ReceiveError> {
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
    Ok(E::decode(&type_, data)?)
}

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

/// A normalisation (`x-lenient` in the spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[doc(hidden)]
pub enum Lenient {
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
#[doc(hidden)]
pub enum Step {
    Key(&'static str),
    Each,
}

/// A normalisation at every place `path` reaches.
#[derive(Debug)]
#[doc(hidden)]
pub struct Rule {
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
#[doc(hidden)]
pub fn typed<T: serde::de::DeserializeOwned>(type_: &str, data: Value) -> Result<T, EventError> {
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

/// Normalises `data` by `rules` and checks that what must be an object is one: what the
/// generated `PushEvent::decode` does before typing a documented event.
#[doc(hidden)]
pub fn normalize_checked(type_: &str, data: &mut Value, rules: &[Rule]) -> Result<(), EventError> {
    normalize(data, rules);
    for rule in rules.iter().filter(|r| r.lenient == Lenient::Object) {
        if let Some((path, found)) = not_an_object(data, rule.path, &mut "data".to_string()) {
            return Err(EventError {
                type_: type_.to_string(),
                path,
                message: format!("expected an object, found {found}"),
            });
        }
    }
    Ok(())
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
}
