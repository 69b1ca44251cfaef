//! What the generated request builders put in a URL: path parameters, percent-encoded, and
//! query parameters, as name/value pairs (used by generated code; not a public interface).
//!
//! These were `progenitor-client`'s helpers. That crate also turns on reqwest's `stream`
//! feature and, as one more crate between reqwest and the generated crates, moved cargo's
//! scheduling of a cold build so that the TLS chain (aws-lc-sys's build script, the longest
//! unit) started later: about a second of every user's cold build, for two helpers.

use serde::Serialize;
use serde::ser::{self, Impossible, SerializeSeq, Serializer};
use std::fmt::Display;

/// A path parameter as one percent-encoded path segment ([`crate::path::segment`]).
#[doc(hidden)]
pub fn encode_path(segment: &str) -> String {
    crate::path::segment(segment).to_string()
}

/// A query parameter for `reqwest::RequestBuilder::query`: `name=value`, nothing for `None`,
/// the pair once for each element of a sequence, a unit enum variant by its name.
#[doc(hidden)]
#[derive(Debug)]
pub struct QueryParam<'a, T: ?Sized> {
    name: &'a str,
    value: &'a T,
}

impl<'a, T: ?Sized> QueryParam<'a, T> {
    #[doc(hidden)]
    pub fn new(name: &'a str, value: &'a T) -> Self {
        Self { name, value }
    }
}

impl<T: ?Sized + Serialize> Serialize for QueryParam<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut pairs = serializer.serialize_seq(None)?;
        self.value.serialize(Pairs {
            pairs: &mut pairs,
            name: self.name,
        })?;
        pairs.end()
    }
}

/// Writes a value as `(name, scalar)` pairs into the query's sequence.
struct Pairs<'s, 'n, Q> {
    pairs: &'s mut Q,
    name: &'n str,
}

impl<Q: SerializeSeq> Pairs<'_, '_, Q> {
    fn pair<V: ?Sized + Serialize>(self, value: &V) -> Result<(), Q::Error> {
        self.pairs.serialize_element(&(self.name, value))
    }

    fn refuse<V>(&self, what: impl Display) -> Result<V, Q::Error> {
        Err(ser::Error::custom(format_args!(
            "query parameter `{}`: {what} cannot be a query value",
            self.name
        )))
    }
}

/// `serialize_$ty(v)`: the pair `(name, v)`.
macro_rules! scalars {
    ($($method:ident($ty:ty);)*) => {
        $(fn $method(self, v: $ty) -> Result<(), Q::Error> {
            self.pair(&v)
        })*
    };
}

impl<'s, 'n, Q: SerializeSeq> Serializer for Pairs<'s, 'n, Q> {
    type Ok = ();
    type Error = Q::Error;
    type SerializeSeq = Self;
    type SerializeTuple = Impossible<(), Q::Error>;
    type SerializeTupleStruct = Impossible<(), Q::Error>;
    type SerializeTupleVariant = Impossible<(), Q::Error>;
    type SerializeMap = Impossible<(), Q::Error>;
    type SerializeStruct = Impossible<(), Q::Error>;
    type SerializeStructVariant = Impossible<(), Q::Error>;

    scalars! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_i128(i128);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_u128(u128);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_str(&str);
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<(), Q::Error> {
        self.refuse("bytes")
    }

    /// `None`: no pair.
    fn serialize_none(self) -> Result<(), Q::Error> {
        Ok(())
    }

    fn serialize_some<V: ?Sized + Serialize>(self, value: &V) -> Result<(), Q::Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Q::Error> {
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Q::Error> {
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Q::Error> {
        self.pair(variant)
    }

    fn serialize_newtype_struct<V: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &V,
    ) -> Result<(), Q::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<V: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: &V,
    ) -> Result<(), Q::Error> {
        self.refuse(format_args!("variant `{variant}` with a value"))
    }

    /// A sequence: its elements, each as a pair of its own.
    fn serialize_seq(self, _: Option<usize>) -> Result<Self, Q::Error> {
        Ok(self)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Q::Error> {
        self.refuse("a tuple")
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Q::Error> {
        self.refuse(format_args!("tuple struct `{name}`"))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Q::Error> {
        self.refuse(format_args!("variant `{variant}`"))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Q::Error> {
        self.refuse("a map")
    }

    fn serialize_struct(
        self,
        name: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, Q::Error> {
        self.refuse(format_args!("struct `{name}`"))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Q::Error> {
        self.refuse(format_args!("variant `{variant}`"))
    }
}

impl<Q: SerializeSeq> SerializeSeq for Pairs<'_, '_, Q> {
    type Ok = ();
    type Error = Q::Error;

    fn serialize_element<V: ?Sized + Serialize>(&mut self, value: &V) -> Result<(), Q::Error> {
        value.serialize(Pairs {
            pairs: &mut *self.pairs,
            name: self.name,
        })
    }

    fn end(self) -> Result<(), Q::Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{QueryParam, encode_path};
    use serde::Serialize;
    use std::num::NonZeroU64;

    /// The query string reqwest builds from `params`, as a generated builder adds them (one
    /// `.query()` each).
    fn query(params: &[&dyn Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder]) -> String {
        let mut request = reqwest::Client::new().get("http://127.0.0.1/v2/x");
        for param in params {
            request = param(request);
        }
        match request.build() {
            Ok(built) => built.url().query().unwrap_or("").to_string(),
            Err(e) => format!("error: {e}"),
        }
    }

    #[derive(Serialize)]
    enum Status {
        #[serde(rename = "active")]
        Active,
    }

    #[test]
    fn scalars_options_enums_and_sequences_become_pairs() {
        let uuid = uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        let limit = NonZeroU64::new(25);
        let (none, text, flag): (Option<i64>, Option<&str>, Option<bool>) =
            (None, Some("a b&c=d/é"), Some(false));
        let got = query(&[
            &|r| r.query(&QueryParam::new("offset", &none)),
            &|r| r.query(&QueryParam::new("username", &text)),
            &|r| r.query(&QueryParam::new("limit", &limit)),
            &|r| r.query(&QueryParam::new("online", &flag)),
            &|r| r.query(&QueryParam::new("accountUuid", &Some(&uuid))),
            &|r| r.query(&QueryParam::new("status", &Some(Status::Active))),
            &|r| r.query(&QueryParam::new("id", &vec![1, 2])),
            &|r| r.query(&QueryParam::new("nested", &Some(Some(-7i64)))),
            &|r| r.query(&QueryParam::new("empty", &Vec::<u8>::new())),
        ]);
        assert_eq!(
            got,
            "username=a+b%26c%3Dd%2F%C3%A9&limit=25&online=false\
             &accountUuid=01234567-89ab-cdef-0123-456789abcdef&status=active&id=1&id=2&nested=-7"
        );
        // A path parameter: one encoded segment.
        assert_eq!(encode_path("a/b c%"), "a%2Fb%20c%25");
        // Nothing at all: no `?` either.
        assert_eq!(
            query(&[&|r| r.query(&QueryParam::new("offset", &none))]),
            ""
        );
    }

    #[test]
    fn a_value_that_is_no_query_value_is_an_error_naming_the_parameter() {
        let map: std::collections::BTreeMap<&str, i32> = [("a", 1)].into();
        let got = query(&[&|r| r.query(&QueryParam::new("filter", &map))]);
        assert!(got.starts_with("error: "), "{got}");
        // reqwest's builder error keeps the serializer's message as its source.
        let mut request = reqwest::Client::new().get("http://127.0.0.1/");
        request = request.query(&QueryParam::new("filter", &map));
        let err = request.build().unwrap_err();
        let source = std::error::Error::source(&err).map(ToString::to_string);
        assert_eq!(
            source.as_deref(),
            Some("query parameter `filter`: a map cannot be a query value")
        );
        let bytes = serde_bytes_like();
        let mut request = reqwest::Client::new().get("http://127.0.0.1/");
        request = request.query(&QueryParam::new("raw", &bytes));
        let err = request.build().unwrap_err();
        assert_eq!(
            std::error::Error::source(&err)
                .map(ToString::to_string)
                .as_deref(),
            Some("query parameter `raw`: bytes cannot be a query value")
        );
    }

    /// A value that serializes as bytes.
    fn serde_bytes_like() -> impl Serialize {
        struct Bytes;
        impl Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(b"\x00\x01")
            }
        }
        Bytes
    }
}
