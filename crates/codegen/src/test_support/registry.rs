//! A test-support table from schema name to generated Rust type, so that tests can
//! decode any documented example into the type the client really uses, and build any
//! request type with its generated constructor (`construct`, from `bodies`).

use crate::enums::IntEnum;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;
use sonoran_spec::api::Api;

/// `<crate_dir>/tests/support/registry.rs`: `roundtrip_schema` over `schemas` (name, schema),
/// and `construct` (from `bodies`), each request type built by its generated constructor.
pub fn tokens(
    api: &Api,
    schemas: &[(&str, &Value)],
    enums: &[IntEnum],
    construct: TokenStream,
) -> TokenStream {
    let root = format_ident!("{}", api.lib_name());
    let arms = schemas.iter().map(|(name, _)| {
        let ident = format_ident!("{}", name);
        let ty = if enums.iter().any(|e| e.name == *name) {
            quote!(#root::enums::#ident)
        } else {
            quote!(#root::types::#ident)
        };
        quote! { #name => roundtrip::<#ty>(value), }
    });
    quote! {
        //! Schema name -> generated type, for the example tests; schema name -> generated
        //! constructor, for the defaults test.

        /// Decodes `value` as the generated type of schema `name` and encodes it again.
        /// `None` when no schema has that name.
        pub fn roundtrip_schema(name: &str, value: &serde_json::Value) -> Option<Result<serde_json::Value, String>> {
            Some(match name {
                #( #arms )*
                _ => return None,
            })
        }

        fn roundtrip<T: serde::de::DeserializeOwned + serde::Serialize>(value: &serde_json::Value) -> Result<serde_json::Value, String> {
            let typed: T = serde_json::from_value(value.clone()).map_err(|e| format!("does not decode: {e}"))?;
            serde_json::to_value(&typed).map_err(|e| format!("does not encode again: {e}"))
        }

        #construct
    }
}
