//! Interim stand-in for `crate::events::PushEvent` (being written on another branch) with the
//! same interface, so the session compiles and is tested before that module lands; replaced
//! by it at the merge.

use serde_json::Value;

/// A push event: its type and data.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PushEvent {
    Unknown { type_: String, data: Value },
}

/// `{"type": .., "data": ..}`.
impl serde::Serialize for PushEvent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let PushEvent::Unknown { type_, data } = self;
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("type", type_)?;
        map.serialize_entry("data", data)?;
        map.end()
    }
}

/// Why an event did not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventError(String);

impl std::fmt::Display for EventError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PushEvent {
    pub fn decode(type_: &str, data: Value) -> Result<PushEvent, EventError> {
        if type_.trim().is_empty() {
            return Err(EventError("the event type is empty".to_owned()));
        }
        Ok(PushEvent::Unknown {
            type_: type_.to_owned(),
            data,
        })
    }

    pub fn type_name(&self) -> &str {
        match self {
            PushEvent::Unknown { type_, .. } => type_,
        }
    }
}
