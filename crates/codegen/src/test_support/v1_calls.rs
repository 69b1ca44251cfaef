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
        // Required envelope values are the method's arguments; optional ones are the
        // builder's setters, called when the example has them.
        let mut extras = Vec::new();
        let mut setters = Vec::new();
        for (prop, schema, required) in &m.extra {
            let is_string = schema.get("type").and_then(Value::as_str) == Some("string");
            let t = if is_string { quote!(::std::string::String) } else { rust_type(schema, enums) };
            let value = quote!(envelope.get(#prop).cloned().map(|v| ::serde_json::from_value::<#t>(v).unwrap_or_else(|e| panic!("{}: example {} does not decode: {e}", #op, #prop))));
            let setter = crate::names::rust_field(prop);
            match (required, is_string) {
                (true, true) => extras.push(quote!(#value.as_deref().expect("required in the example"),)),
                (true, false) => extras.push(quote!(#value.expect("required in the example"),)),
                (false, _) => setters.push(quote! {
                    if let Some(value) = #value {
                        request = request.#setter(value);
                    }
                }),
            }
        }
        quote! {
            (#op, #v1_type) => {
                #data
                #[allow(unused_mut)]
                let mut request = client.v1().#name(#data_arg #(#extras)*);
                #(#setters)*
                Some(request.await.map(|r| ::serde_json::to_value(r).expect("replies encode")))
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
