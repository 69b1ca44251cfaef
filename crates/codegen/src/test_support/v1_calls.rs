//! Test support: operationId + envelope type + a documented request example -> the
//! generated v1 method (`crates/client/tests/support/v1_calls.rs`).

use crate::enums::IntEnum;
use crate::v1::{DataParam, V1Method, rust_type_in};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;
use sonoran_spec::api::Api;

/// Test support: call any v1 method by operation id with the `data` of a documented
/// request example, returning the reply as JSON.
pub fn tokens(api: &Api, methods: &[V1Method], enums: &[IntEnum]) -> TokenStream {
    let lib = format_ident!("{}", api.lib_name());
    let root = quote!(#lib);
    let rust_type = |s: &Value, e: &[IntEnum]| rust_type_in(s, e, &root);
    let arms = methods.iter().map(|m| {
        let name = m.rust_name();
        let op = &m.operation_id;
        let v1_type = &m.v1_type;
        let data = match &m.data {
            None | Some(DataParam::EmptyArray) => quote!(),
            Some(DataParam::Typed(s)) => {
                let t = rust_type(s, enums);
                quote! {
                    let data: #t = ::serde_json::from_value(envelope["data"].clone())
                        .unwrap_or_else(|e| panic!("{}: example data does not decode: {e}", #op));
                    let data = &data;
                }
            }
        };
        let data_arg = match &m.data {
            Some(DataParam::Typed(_)) => quote!(data,),
            _ => quote!(),
        };
        let extras = m.extra.iter().map(|(prop, schema, required)| {
            let is_string = schema.get("type").and_then(Value::as_str) == Some("string");
            let t = if is_string { quote!(::std::string::String) } else { rust_type(schema, enums) };
            let value = quote!(envelope.get(#prop).cloned().map(|v| ::serde_json::from_value::<#t>(v).unwrap_or_else(|e| panic!("{}: example {} does not decode: {e}", #op, #prop))));
            match (required, is_string) {
                (true, true) => quote!(#value.as_deref().expect("required in the example"),),
                (true, false) => quote!(#value.expect("required in the example"),),
                (false, true) => quote!(#value.as_deref(),),
                (false, false) => quote!(#value,),
            }
        });
        quote! {
            (#op, #v1_type) => {
                #data
                Some(client.v1().#name(#data_arg #(#extras)*).await.map(|r| ::serde_json::to_value(r).expect("replies encode")))
            }
        }
    });
    quote! {
        //! Operation id + envelope type -> the generated v1 method, for the v1 tests.

        #[allow(deprecated)]
        pub async fn call_v1(
            client: &#root::Client,
            operation_id: &str,
            v1_type: &str,
            envelope: &::serde_json::Value,
        ) -> Option<Result<::serde_json::Value, #root::Error>> {
            match (operation_id, v1_type) {
                #( #arms )*
                _ => None,
            }
        }
    }
}
