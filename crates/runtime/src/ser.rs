//! What the generated clients' `Serialize` impls of plain structs share (used by generated
//! code; not a public interface).
//!
//! `#[derive(Serialize)]` writes, for every field, a `?` and an `if` around the field's
//! `serialize_field` (with the field count computed by a sum beside it): a large part of a
//! generated crate's type checking and borrow checking, for code that is the same in every
//! struct. The generated code instead writes one line a field in
//! [`serialize_struct!`](crate::serialize_struct), whose impl calls one method of [`Writer`] a
//! field. What it writes is the derive's: the same `serialize_struct` with the same field
//! count, fields in declaration order under their wire names, a skipped `None` reported with
//! `skip_field`, and the first error ends the struct.

use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};

/// A struct being written field by field. After an error no other field is written, and
/// [`Writer::end`] returns that error.
pub struct Writer<S: Serializer> {
    state: Result<S::SerializeStruct, S::Error>,
}

impl<S: Serializer> std::fmt::Debug for Writer<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("failed", &self.state.is_err())
            .finish()
    }
}

impl<S: Serializer> Writer<S> {
    /// Starts struct `name` with as many fields as `present` holds `true`s (a field skipped
    /// when `None` is `false` when it is `None`), as the derive counts them.
    #[inline]
    pub fn new(serializer: S, name: &'static str, present: &[bool]) -> Self {
        let len = present.iter().filter(|p| **p).count();
        Self {
            state: serializer.serialize_struct(name, len),
        }
    }

    /// Writes a field that is always written.
    #[inline]
    pub fn req<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) {
        if let Ok(state) = &mut self.state
            && let Err(e) = state.serialize_field(key, value)
        {
            self.state = Err(e);
        }
    }

    /// Writes an `Option` field that is left out when `None`
    /// (`#[serde(skip_serializing_if = "Option::is_none")]`).
    #[inline]
    pub fn opt<T: Serialize>(&mut self, key: &'static str, value: &Option<T>) {
        if let Ok(state) = &mut self.state {
            let written = if value.is_some() {
                state.serialize_field(key, value)
            } else {
                state.skip_field(key)
            };
            if let Err(e) = written {
                self.state = Err(e);
            }
        }
    }

    /// Ends the struct, or returns the first error.
    #[inline]
    pub fn end(self) -> Result<S::Ok, S::Error> {
        self.state.and_then(SerializeStruct::end)
    }
}

/// `impl Serialize` for a plain struct, writing what `#[derive(Serialize)]` would with the
/// serde attributes the generator saw (see the module docs). One line a field: its name, its
/// wire name and `req` (always written) or `opt` (an `Option` left out when `None`).
#[doc(hidden)]
#[macro_export]
macro_rules! serialize_struct {
    ($name:ident { $( $field:ident : $wire:literal $kind:ident ),* $(,)? }) => {
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                let mut writer = $crate::ser::Writer::new(
                    serializer,
                    ::std::stringify!($name),
                    &[$( $crate::__written!($kind self.$field) ),*],
                );
                $( writer.$kind($wire, &self.$field); )*
                writer.end()
            }
        }
    };
}

/// Whether a field is written (see [`serialize_struct!`](crate::serialize_struct)).
#[doc(hidden)]
#[macro_export]
macro_rules! __written {
    (req $value:expr) => {
        true
    };
    (opt $value:expr) => {
        ::std::option::Option::is_some(&$value)
    };
}

#[cfg(test)]
mod tests {
    use serde::ser::{self, Impossible, Serialize, SerializeStruct, Serializer};
    use std::fmt;

    /// A struct with what the generated impls handle, written as the generator writes it.
    #[derive(Debug, Clone)]
    struct Sample {
        call_id: i64,
        note: Option<String>,
        applied: Option<String>,
        r#type: Option<Inner>,
        tags: Vec<String>,
    }

    crate::serialize_struct!(Sample {
        call_id: "callId" req,
        note: "note" opt,
        applied: "applied" req,
        r#type: "type" opt,
        tags: "tags" req,
    });

    /// The same struct with the derive: the twin every outcome is compared with.
    #[derive(serde::Serialize)]
    #[serde(rename = "Sample")]
    struct Derived {
        #[serde(rename = "callId")]
        call_id: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        applied: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        r#type: Option<Inner>,
        tags: Vec<String>,
    }

    impl From<Sample> for Derived {
        fn from(s: Sample) -> Self {
            Self {
                call_id: s.call_id,
                note: s.note,
                applied: s.applied,
                r#type: s.r#type,
                tags: s.tags,
            }
        }
    }

    /// A value that fails to serialize when `fail` is set (serde_json's custom error).
    #[derive(Debug, Clone)]
    struct Inner {
        fail: bool,
    }

    impl Serialize for Inner {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            if self.fail {
                Err(ser::Error::custom("inner refused"))
            } else {
                serializer.serialize_str("inner")
            }
        }
    }

    fn samples() -> Vec<Sample> {
        let base = Sample {
            call_id: 7,
            note: None,
            applied: None,
            r#type: None,
            tags: Vec::new(),
        };
        vec![
            base.clone(),
            Sample {
                note: Some("n".into()),
                applied: Some("a".into()),
                r#type: Some(Inner { fail: false }),
                tags: vec!["x".into(), "y".into()],
                ..base.clone()
            },
            Sample {
                note: Some(String::new()),
                ..base.clone()
            },
            Sample {
                r#type: Some(Inner { fail: true }),
                ..base.clone()
            },
            Sample {
                note: Some("before the failure".into()),
                r#type: Some(Inner { fail: true }),
                tags: vec!["after the failure".into()],
                ..base
            },
        ]
    }

    #[test]
    fn json_is_the_derives() {
        for sample in samples() {
            let ours = serde_json::to_string(&sample).map_err(|e| e.to_string());
            let derived =
                serde_json::to_string(&Derived::from(sample.clone())).map_err(|e| e.to_string());
            assert_eq!(ours, derived, "{sample:?}");
        }
        let written = serde_json::to_string(&samples()[1]).unwrap();
        assert_eq!(
            written,
            r#"{"callId":7,"note":"n","applied":"a","type":"inner","tags":["x","y"]}"#
        );
    }

    /// What the serializer is asked to do, call by call: the struct's name and field count,
    /// each field written (with its JSON) or skipped, the end, and the error.
    #[test]
    fn calls_to_the_serializer_are_the_derives() {
        for sample in samples() {
            let ours = sample.serialize(Recorder).unwrap_or_else(|e| e.0);
            let derived = Derived::from(sample.clone())
                .serialize(Recorder)
                .unwrap_or_else(|e| e.0);
            assert_eq!(ours, derived, "{sample:?}");
        }
        assert_eq!(
            samples()[0].serialize(Recorder).unwrap(),
            "struct Sample len 3; callId=7; skip note; applied=null; skip type; tags=[]; end"
        );
        assert_eq!(
            samples()[4].serialize(Recorder).unwrap_err().0,
            "struct Sample len 5; callId=7; note=\"before the failure\"; applied=null; \
             failed: inner refused"
        );
    }

    #[test]
    fn the_writer_shows_whether_it_failed() {
        let mut writer = crate::ser::Writer::new(Recorder, "S", &[true]);
        assert_eq!(format!("{writer:?}"), "Writer { failed: false }");
        writer.req("x", &Inner { fail: true });
        assert_eq!(format!("{writer:?}"), "Writer { failed: true }");
        // Nothing after the failure is written.
        writer.req("y", &1);
        writer.opt("z", &Some(2));
        writer.opt::<i32>("w", &None);
        assert_eq!(
            writer.end().unwrap_err().0,
            "struct S len 1; failed: inner refused"
        );
    }

    /// The record of a struct's serialization so far; as an error, the record up to it.
    #[derive(Debug)]
    struct Recorded(String);

    impl fmt::Display for Recorded {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(&self.0)
        }
    }

    impl std::error::Error for Recorded {}

    impl ser::Error for Recorded {
        fn custom<T: fmt::Display>(msg: T) -> Self {
            Self(msg.to_string())
        }
    }

    /// A serializer of structs only, recording the calls (see [`Recorded`]).
    struct Recorder;

    struct Fields(String);

    impl SerializeStruct for Fields {
        type Ok = String;
        type Error = Recorded;

        fn serialize_field<T: ?Sized + Serialize>(
            &mut self,
            key: &'static str,
            value: &T,
        ) -> Result<(), Recorded> {
            match serde_json::to_string(value) {
                Ok(json) => {
                    self.0.push_str(&format!("; {key}={json}"));
                    Ok(())
                }
                Err(e) => Err(Recorded(format!("{}; failed: {e}", self.0))),
            }
        }

        fn skip_field(&mut self, key: &'static str) -> Result<(), Recorded> {
            self.0.push_str(&format!("; skip {key}"));
            Ok(())
        }

        fn end(self) -> Result<String, Recorded> {
            Ok(format!("{}; end", self.0))
        }
    }

    /// Every form but a struct is refused.
    macro_rules! refuse {
        ($($method:ident($($ty:ty),*) -> $ok:ty;)*) => {
            $(fn $method(self, $(_: $ty),*) -> Result<$ok, Recorded> {
                Err(Recorded(stringify!($method).into()))
            })*
        };
    }

    impl Serializer for Recorder {
        type Ok = String;
        type Error = Recorded;
        type SerializeSeq = Impossible<String, Recorded>;
        type SerializeTuple = Impossible<String, Recorded>;
        type SerializeTupleStruct = Impossible<String, Recorded>;
        type SerializeTupleVariant = Impossible<String, Recorded>;
        type SerializeMap = Impossible<String, Recorded>;
        type SerializeStruct = Fields;
        type SerializeStructVariant = Impossible<String, Recorded>;

        fn serialize_struct(self, name: &'static str, len: usize) -> Result<Fields, Recorded> {
            Ok(Fields(format!("struct {name} len {len}")))
        }

        fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<String, Recorded> {
            Err(Recorded("serialize_some".into()))
        }

        fn serialize_newtype_struct<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: &T,
        ) -> Result<String, Recorded> {
            Err(Recorded("serialize_newtype_struct".into()))
        }

        fn serialize_newtype_variant<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<String, Recorded> {
            Err(Recorded("serialize_newtype_variant".into()))
        }

        refuse! {
            serialize_bool(bool) -> String;
            serialize_i8(i8) -> String;
            serialize_i16(i16) -> String;
            serialize_i32(i32) -> String;
            serialize_i64(i64) -> String;
            serialize_u8(u8) -> String;
            serialize_u16(u16) -> String;
            serialize_u32(u32) -> String;
            serialize_u64(u64) -> String;
            serialize_f32(f32) -> String;
            serialize_f64(f64) -> String;
            serialize_char(char) -> String;
            serialize_str(&str) -> String;
            serialize_bytes(&[u8]) -> String;
            serialize_none() -> String;
            serialize_unit() -> String;
            serialize_unit_struct(&'static str) -> String;
            serialize_unit_variant(&'static str, u32, &'static str) -> String;
            serialize_seq(Option<usize>) -> Self::SerializeSeq;
            serialize_tuple(usize) -> Self::SerializeTuple;
            serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
            serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
            serialize_map(Option<usize>) -> Self::SerializeMap;
            serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
        }
    }
}
