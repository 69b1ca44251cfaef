//! What the generated clients' `Deserialize` impls of plain structs share (used by generated
//! code; not a public interface).
//!
//! `#[derive(Deserialize)]` writes, for every struct, a field enum with its own visitor (a
//! string, a byte and an index form of the field names), a visitor for the struct as a
//! sequence and one as a map: about 16 KB of code per type once expanded, which made the
//! `Deserialize` impls the largest part of a generated crate's compile time. The generated
//! code instead writes one line a field in [`deserialize_struct!`](crate::deserialize_struct),
//! whose impl finds a field's index with [`Fields`] (one visitor for every struct) and has
//! one `visit_map`; what it decodes, and the errors of a missing, duplicate or mistyped
//! field, are those of the derive. A JSON array is not accepted where an object is
//! documented (the derive's sequence form, which no Sonoran reply uses).

use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, Visitor};
use std::fmt;

/// The field names of a struct, in the order of its generated `visit_map`: as a key's seed,
/// the index of the field a key names (`usize::MAX`, or an index past the last field, for a
/// key that names none: the generated `visit_map` skips it, as the derive skips unknown
/// fields).
#[derive(Debug, Clone, Copy)]
pub struct Fields(pub &'static [&'static str]);

impl Fields {
    fn index(self, name: &[u8]) -> usize {
        self.0
            .iter()
            .position(|f| f.as_bytes() == name)
            .unwrap_or(usize::MAX)
    }
}

impl<'de> DeserializeSeed<'de> for Fields {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for Fields {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field identifier")
    }

    /// A field's index (a form some formats use): one past the fields names none, as the
    /// generated `visit_map` has no arm for it.
    fn visit_u64<E: Error>(self, v: u64) -> Result<usize, E> {
        Ok(usize::try_from(v).unwrap_or(usize::MAX))
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<usize, E> {
        Ok(self.index(v.as_bytes()))
    }

    fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<usize, E> {
        Ok(self.index(v))
    }
}

/// Decodes the value of field `name` into `slot`; a second value of the same field is the
/// derive's error (``duplicate field `name` ``).
pub fn once<'de, T, A>(
    slot: &mut Option<T>,
    map: &mut A,
    name: &'static str,
) -> Result<(), A::Error>
where
    T: serde::Deserialize<'de>,
    A: MapAccess<'de>,
{
    if slot.is_some() {
        return Err(A::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

/// A required field's value, or the derive's error for its absence (``missing field `name` ``).
pub fn required<T, E: Error>(slot: Option<T>, name: &'static str) -> Result<T, E> {
    slot.ok_or_else(|| E::missing_field(name))
}

/// Skips the value of a key that names no field.
pub fn skip<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<serde::de::IgnoredAny>().map(drop)
}

/// `impl Deserialize` for a plain struct, decoding as `#[derive(Deserialize)]` would with
/// the serde attributes the generator saw (see the module docs). One line a field: its index
/// in the list, its name, its wire name and what its absence gives: `required` (the error
/// ``missing field `x` ``), `option` (`None`), `default` (`Default::default()`) or
/// `default_with(f)` (`f()`).
#[doc(hidden)]
#[macro_export]
macro_rules! deserialize_struct {
    ($name:ident { $( $index:literal $field:ident : $wire:literal $absent:ident $( ($with:expr) )? ),* $(,)? }) => {
        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                const FIELDS: &[&str] = &[$($wire),*];
                struct Visitor;
                impl<'de> ::serde::de::Visitor<'de> for Visitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(::std::concat!("struct ", ::std::stringify!($name)))
                    }
                    #[allow(unused_mut)]
                    fn visit_map<A: ::serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> ::std::result::Result<$name, A::Error> {
                        $( let mut $field = ::std::option::Option::None; )*
                        while let ::std::option::Option::Some(i) =
                            map.next_key_seed($crate::de::Fields(FIELDS))?
                        {
                            // One `?` for every arm: a `?` an arm costs the crate's type
                            // and borrow checking more than the arm itself.
                            match i {
                                $( $index => $crate::de::once(&mut $field, &mut map, $wire), )*
                                _ => $crate::de::skip(&mut map),
                            }?
                        }
                        ::std::result::Result::Ok($name {
                            $( $field: $crate::__absent!($absent $field, $wire $(, $with)?), )*
                        })
                    }
                }
                deserializer.deserialize_struct(::std::stringify!($name), FIELDS, Visitor)
            }
        }
    };
}

/// A field's value when its key is absent (see [`deserialize_struct!`](crate::deserialize_struct)).
#[doc(hidden)]
#[macro_export]
macro_rules! __absent {
    (required $slot:ident, $wire:literal) => {
        $crate::de::required($slot, $wire)?
    };
    (option $slot:ident, $wire:literal) => {
        $slot.unwrap_or(::std::option::Option::None)
    };
    (default $slot:ident, $wire:literal) => {
        $slot.unwrap_or_default()
    };
    (default_with $slot:ident, $wire:literal, $with:expr) => {
        $slot.unwrap_or_else($with)
    };
}

#[cfg(test)]
mod tests {

    /// A struct with what the generated impls handle: a renamed required field, an optional
    /// one, a defaulted one, a required nullable one, one defaulted by a function, one whose
    /// name is a keyword; written as the generator writes it.
    #[derive(Debug, PartialEq)]
    struct Sample {
        call_id: i64,
        note: Option<String>,
        tags: Vec<String>,
        applied: Option<String>,
        limit: u32,
        r#type: Option<String>,
    }

    crate::deserialize_struct!(Sample {
        0 call_id: "callId" required,
        1 note: "note" option,
        2 tags: "tags" default,
        3 applied: "applied" required,
        4 limit: "limit" default_with(default_limit),
        5 r#type: "type" option,
    });

    fn default_limit() -> u32 {
        100
    }

    /// The same struct with the derive: the twin every outcome is compared with.
    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Derived {
        #[serde(rename = "callId")]
        call_id: i64,
        note: Option<String>,
        #[serde(default)]
        tags: Vec<String>,
        #[serde(deserialize_with = "Option::deserialize")]
        applied: Option<String>,
        #[serde(default = "default_limit")]
        limit: u32,
        r#type: Option<String>,
    }

    fn both(json: &str) -> (Result<Sample, String>, Result<Derived, String>) {
        (
            serde_json::from_str(json).map_err(|e| e.to_string()),
            serde_json::from_str(json).map_err(|e| e.to_string()),
        )
    }

    #[test]
    fn decodes_as_the_derive_does() {
        let ok = [
            r#"{"x":{"deep":[1,2]},"callId":7,"tags":["a"],"applied":null,"note":"n"}"#,
            // An escaped key (serde_json hands it over as a copy, not borrowed).
            r#"{"call\u0049d":8,"applied":"t"}"#,
            r#"{"callId":9,"applied":"t","note":null}"#,
            r#"{"callId":9,"applied":"t","limit":5,"type":"x"}"#,
        ];
        for json in ok {
            let (ours, derived) = both(json);
            let (ours, derived) = (ours.unwrap(), derived.unwrap());
            assert_eq!(
                (
                    ours.call_id,
                    ours.note,
                    ours.tags,
                    ours.applied,
                    ours.limit,
                    ours.r#type
                ),
                (
                    derived.call_id,
                    derived.note,
                    derived.tags,
                    derived.applied,
                    derived.limit,
                    derived.r#type
                ),
                "{json}"
            );
        }
        // From a serde_json::Value (keys as owned strings).
        let v = serde_json::json!({"callId": 9, "applied": null, "other": 1});
        let s: Sample = serde_json::from_value(v).unwrap();
        assert_eq!((s.call_id, s.applied), (9, None));
    }

    #[test]
    fn errors_are_the_derives() {
        let bad = [
            r#"{"applied":null}"#,
            r#"{"callId":1}"#,
            r#"{"callId":1,"callId":2,"applied":null}"#,
            r#"{"callId":"7","applied":null}"#,
            r#"{"callId":7,"applied":null,"tags":[1]}"#,
            r#"{"callId":7,"applied":null"#,
            r#"{"callId":7,"applied":null,"limit":-1}"#,
            r#"{"callId":7,"applied":null,"type":null,"type":"x"}"#,
            "3",
            "null",
        ];
        for json in bad {
            let (ours, derived) = both(json);
            // The same message, but for the twin's name.
            let derived = derived
                .unwrap_err()
                .replace("struct Derived", "struct Sample");
            assert_eq!(ours.unwrap_err(), derived, "{json}");
        }
        // The one difference: the derive also takes a struct as a JSON array.
        let (ours, derived) = both(r#"[7, null, [], null, 1, null]"#);
        assert!(derived.is_ok());
        assert_eq!(
            ours.unwrap_err(),
            "invalid type: sequence, expected struct Sample at line 1 column 1"
        );
    }

    /// Two fields of one type, for the key forms JSON never sends (field indexes, bytes).
    #[derive(Debug, PartialEq)]
    struct Pair {
        first: i64,
        second: i64,
    }

    crate::deserialize_struct!(Pair {
        0 first: "first" required,
        1 second: "second" default,
    });

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct PairDerived {
        first: i64,
        #[serde(default)]
        second: i64,
    }

    type Decoded = Result<(i64, i64), String>;

    /// Decodes a map of `keys` to 10, 20, ... as `Pair` and as its derived twin.
    fn pair_and_twin<K>(keys: &[K]) -> (Decoded, Decoded)
    where
        K: Copy + for<'a> serde::de::IntoDeserializer<'a, serde::de::value::Error>,
    {
        use serde::de::value::{Error, MapDeserializer};
        let entries = || keys.iter().copied().zip((1..).map(|i: i64| i * 10));
        let ours = Pair::deserialize(MapDeserializer::<_, Error>::new(entries()))
            .map(|p| (p.first, p.second))
            .map_err(|e| e.to_string());
        let twin = PairDerived::deserialize(MapDeserializer::<_, Error>::new(entries()))
            .map(|p| (p.first, p.second))
            .map_err(|e| e.to_string());
        (ours, twin)
    }

    use serde::Deserialize as _;

    #[test]
    fn keys_as_field_indexes_and_bytes_are_the_derives() {
        // Indexes: 0 and 1 name the fields, 2 and beyond none (skipped).
        for keys in [&[0u64, 1][..], &[1, 0], &[2, 0], &[0, 5, 1], &[1]] {
            let (ours, twin) = pair_and_twin(keys);
            assert_eq!(ours, twin, "{keys:?}");
        }
        assert_eq!(pair_and_twin(&[1u64, 0]).0, Ok((20, 10)));
        assert_eq!(pair_and_twin(&[2u64, 0]).0, Ok((20, 0)));
        // Bytes, as some formats send keys.
        for keys in [
            &[&b"first"[..], b"second"][..],
            &[b"second", b"first"],
            &[b"other", b"first"],
        ] {
            let (ours, twin) = pair_and_twin(keys);
            assert_eq!(ours, twin, "{keys:?}");
        }
        assert_eq!(pair_and_twin(&[&b"second"[..], b"first"]).0, Ok((20, 10)));
        // A key of no identifier form: the same error, naming what was expected.
        let (ours, twin) = pair_and_twin(&[true, false]);
        assert_eq!(
            ours.unwrap_err(),
            "invalid type: boolean `true`, expected field identifier"
        );
        assert_eq!(
            twin.unwrap_err(),
            "invalid type: boolean `true`, expected field identifier"
        );
    }
}
