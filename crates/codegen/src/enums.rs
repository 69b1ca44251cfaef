//! Documented integer enums (schemas with `x-enum-varnames`) as Rust enums.
//!
//! Progenitor would emit a checked newtype (`struct UnitStatus(i64)`) that refuses any
//! value the docs do not list, so one new status on the server would break every reply
//! that carries it. Instead each becomes a real enum with an `Other(i64)` escape, and
//! progenitor is told to use it in place of its own type.

use crate::Error;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntEnum {
    pub name: String,
    pub description: Option<String>,
    /// (wire value, documented name).
    pub values: Vec<(i64, String)>,
}

/// Every component schema that is an integer enum with names.
pub fn collect(doc: &Value) -> Result<Vec<IntEnum>, Error> {
    let mut out = Vec::new();
    for (name, schema) in doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let Some(names) = schema.get("x-enum-varnames").and_then(Value::as_array) else {
            continue;
        };
        if schema.get("type").and_then(Value::as_str) != Some("integer") {
            return Err(Error(format!(
                "schema `{name}`: x-enum-varnames is supported on integer enums only"
            )));
        }
        let values = schema
            .get("enum")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if values.len() != names.len() {
            return Err(Error(format!(
                "schema `{name}`: {} enum values but {} x-enum-varnames",
                values.len(),
                names.len()
            )));
        }
        let mut pairs = Vec::new();
        for (v, n) in values.iter().zip(names) {
            let (Some(v), Some(n)) = (v.as_i64(), n.as_str()) else {
                return Err(Error(format!(
                    "schema `{name}`: enum values must be integers and names strings"
                )));
            };
            pairs.push((v, n.to_string()));
        }
        out.push(IntEnum {
            name: name.clone(),
            description: schema
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string),
            values: pairs,
        });
    }
    Ok(out)
}

pub fn tokens(enums: &[IntEnum]) -> TokenStream {
    let items = enums.iter().map(|e| {
        let ty = format_ident!("{}", e.name);
        let doc = e.description.clone().unwrap_or_else(|| format!("The `{}` enumeration.", e.name));
        let variants: Vec<_> = e.values.iter().map(|(_, n)| format_ident!("{}", crate::names::enum_variant(n))).collect();
        let values: Vec<_> = e.values.iter().map(|(v, _)| *v).collect();
        let names: Vec<_> = e.values.iter().map(|(_, n)| n.as_str()).collect();
        let variant_docs: Vec<_> = e.values.iter().map(|(v, n)| format!("`{v}`: `{n}`")).collect();
        let count = values.len();
        quote! {
            #[doc = #doc]
            ///
            /// Serialized as its integer value. A value the docs do not list decodes to
            /// `Other(value)` instead of failing.
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
            pub enum #ty {
                #( #[doc = #variant_docs] #variants, )*
                /// A value the documentation does not list, kept as sent.
                Other(i64),
            }

            impl #ty {
                /// Every documented value.
                pub const ALL: [Self; #count] = [ #( Self::#variants ),* ];

                /// The integer sent on the wire.
                pub fn value(self) -> i64 {
                    match self {
                        #( Self::#variants => #values, )*
                        Self::Other(v) => v,
                    }
                }

                /// The documented name (`None` for an undocumented value).
                pub fn name(self) -> Option<&'static str> {
                    match self {
                        #( Self::#variants => Some(#names), )*
                        Self::Other(_) => None,
                    }
                }
            }

            impl From<i64> for #ty {
                fn from(value: i64) -> Self {
                    match value {
                        #( #values => Self::#variants, )*
                        other => Self::Other(other),
                    }
                }
            }

            impl From<#ty> for i64 {
                fn from(value: #ty) -> Self {
                    value.value()
                }
            }

            impl ::std::fmt::Display for #ty {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    match self.name() {
                        Some(name) => f.write_str(name),
                        None => write!(f, "{}", self.value()),
                    }
                }
            }

            impl ::std::str::FromStr for #ty {
                type Err = String;
                /// The documented name (`"ON_SCENE"`) or the integer (`"4"`).
                fn from_str(s: &str) -> Result<Self, Self::Err> {
                    if let Some(v) = Self::ALL.iter().find(|v| v.name() == Some(s)) {
                        return Ok(*v);
                    }
                    s.parse::<i64>().map(Self::from).map_err(|_| {
                        format!("`{s}` is not a {} name or number", stringify!(#ty))
                    })
                }
            }

            impl ::serde::Serialize for #ty {
                fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                    serializer.serialize_i64(self.value())
                }
            }

            impl<'de> ::serde::Deserialize<'de> for #ty {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    i64::deserialize(deserializer).map(Self::from)
                }
            }
        }
    });
    quote! { #( #items )* }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mismatched_names_are_an_error() {
        let doc = serde_json::json!({"components": {"schemas": {"E": {"type": "integer", "enum": [1, 2], "x-enum-varnames": ["A"]}}}});
        assert!(collect(&doc).unwrap_err().0.contains("`E`"));
    }
}
