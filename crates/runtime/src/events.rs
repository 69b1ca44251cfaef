//! Push events, the API-independent part: the lenient normalisation the generated
//! `PushEvent::decode` of each API crate applies (`x-lenient` in the spec), decoding a
//! payload with the failing field named, and [`EventError`]. No I/O; builds for wasm32.

use serde_json::Value;
use std::fmt;

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
