//! Test support: operationId + JSON arguments -> the typed v2 method of the crate's `Client`.
//!
//! The arguments are one JSON object as the npm package takes them: path and query
//! parameters by their spec names, plus `body`. Each argument is decoded into the type the
//! Rust method takes (its signature is progenitor's, as in [`crate::v2_requests`]), so a
//! test can drive every v2 operation of the typed client from data alone. Where the API's
//! client has a default server (CAD), `serverId` may be left out: the method then uses the
//! client's configured server, as the npm package does; elsewhere (CMS) it is an argument
//! like any other.

use crate::Error;
use crate::model::Model;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use sonoran_spec::api::Api;
use std::collections::BTreeMap;

/// The generated `call_v2` and the list of the operationIds it covers.
pub fn tokens(api: &Api, progenitor: &TokenStream, model: &Model) -> Result<TokenStream, Error> {
    let lib = format_ident!("{}", api.lib_name());
    let root = quote!(#lib);
    let methods = crate::progenitor_methods::Methods::parse(progenitor)?;
    let by_name: BTreeMap<String, &syn::ImplItemFn> = methods
        .iter()
        .map(|f| (f.sig.ident.to_string(), f))
        .collect();
    let mut arms = Vec::new();
    let mut ids = Vec::new();
    for op in model.v2().filter(|op| op.takes_json_or_nothing()) {
        let id = op.id;
        let f = by_name.get(&crate::names::snake_case(id)).ok_or_else(|| {
            Error(format!(
                "v2 operation `{id}` has no progenitor method `{}`",
                crate::names::snake_case(id)
            ))
        })?;
        let params: Vec<String> = op.params.iter().map(|p| p.name.to_string()).collect();
        let groups = crate::targets::groups(op.raw, id)?;
        arms.push(arm(&root, id, f, &params, &groups, api.server_id_default)?);
        ids.push(id.to_string());
    }
    ids.sort();
    Ok(quote! {
        //! Operation id + JSON arguments (path and query parameters by their spec names,
        //! plus `body`) -> the generated v2 method, for the tests.

        /// Every v2 operation `call_v2` knows (the JSON-or-no-body ones), sorted.
        pub const V2_OPERATION_IDS: &[&str] = &[ #( #ids ),* ];

        /// Calls v2 operation `operation_id` with `args`; `None` when there is none of
        /// that name. Panics (naming the operation) on an argument that does not decode
        /// or that the operation does not take.
        #[allow(deprecated, clippy::needless_borrow)]
        pub async fn call_v2(
            client: &#root::Client,
            operation_id: &str,
            args: &::serde_json::Value,
        ) -> Option<Result<::serde_json::Value, #root::Error>> {
            match operation_id {
                #( #arms )*
                _ => None,
            }
        }

        fn only(op: &str, args: &::serde_json::Value, names: &[&str]) {
            let Some(given) = args.as_object() else {
                panic!("{op}: arguments must be a JSON object, got {args}");
            };
            for name in given.keys() {
                assert!(
                    names.contains(&name.as_str()),
                    "{op}: takes no argument `{name}` (it takes {names:?})"
                );
            }
        }

        fn arg<T: ::serde::de::DeserializeOwned>(op: &str, args: &::serde_json::Value, name: &str) -> T {
            let value = args.get(name).cloned().unwrap_or(::serde_json::Value::Null);
            ::serde_json::from_value(value)
                .unwrap_or_else(|e| panic!("{op}: argument `{name}` does not decode: {e}"))
        }
    })
}

fn arm(
    root: &TokenStream,
    id: &str,
    f: &syn::ImplItemFn,
    params: &[String],
    groups: &[crate::targets::Group],
    server_id_default: bool,
) -> Result<TokenStream, Error> {
    let name = &f.sig.ident;
    let mut decls = Vec::new();
    let mut required = Vec::new();
    let mut optional = Vec::new();
    let mut names = Vec::new();
    let mut grouped: Vec<Vec<(String, syn::Ident)>> = vec![Vec::new(); groups.len()];
    for input in &f.sig.inputs {
        let syn::FnArg::Typed(pat) = input else {
            continue;
        };
        let syn::Pat::Ident(ident) = pat.pat.as_ref() else {
            return Err(Error(format!("`{name}`: unexpected parameter pattern")));
        };
        let ident = &ident.ident;
        let rust_name = ident.to_string();
        let spec_name = if rust_name == "body" {
            "body".to_string()
        } else {
            params
                .iter()
                .find(|p| crate::names::snake_case(p) == rust_name.trim_end_matches('_'))
                .cloned()
                .ok_or_else(|| {
                    Error(format!(
                        "`{id}`: method parameter `{rust_name}` matches no spec parameter of {params:?}"
                    ))
                })?
        };
        let var = format_ident!("a_{}", rust_name.trim_end_matches('_'));
        let (owned, is_optional) = owned_type(root, &pat.ty, &rust_name, server_id_default);
        decls.push(quote! { let #var: #owned = arg(#id, args, #spec_name); });
        if let Some(g) = groups.iter().position(|g| g.fields.contains(&spec_name)) {
            grouped[g].push((spec_name.clone(), var));
        } else if is_optional {
            optional.push(quote! { if let Some(v) = #var { request = request.#ident(v); } });
        } else {
            required.push(quote!(#var));
        }
        names.push(spec_name);
    }
    // A group's enum from the one field given.
    for (g, members) in groups.iter().zip(&grouped) {
        let enum_ty = format_ident!("{}", g.name);
        let var = format_ident!("a_{}", g.argument);
        let group_name = &g.name;
        let picks = members.iter().map(|(spec, v)| {
            let variant = crate::names::rust_type_ident(spec);
            quote!(#v.map(#root::targets::#enum_ty::#variant))
        });
        decls.push(quote! {
            let given: Vec<#root::targets::#enum_ty> = [ #( #picks ),* ].into_iter().flatten().collect();
            let [#var]: [#root::targets::#enum_ty; 1] = given.try_into().unwrap_or_else(|g: Vec<_>| {
                panic!("{}: give exactly one of the `{}` fields, got {}", #id, #group_name, g.len())
            });
        });
        required.push(quote!(#var));
    }
    Ok(quote! {
        #id => {
            only(#id, args, &[ #( #names ),* ]);
            #( #decls )*
            #[allow(unused_mut)]
            let mut request = client.#name( #( #required ),* );
            #( #optional )*
            Some(request.send().await.map(|r| ::serde_json::to_value(r).expect("replies encode")))
        }
    })
}

/// The owned type a parameter is decoded into, and whether the builder takes it as a
/// setter (optional) rather than an argument of the method. `server_id_default`: the API's
/// client has a default server ([`Api::server_id_default`]), so `{serverId}` is a setter.
fn owned_type(
    root: &TokenStream,
    ty: &syn::Type,
    rust_name: &str,
    server_id_default: bool,
) -> (TokenStream, bool) {
    // `{serverId}`: a setter; absent -> the client's.
    if server_id_default && rust_name == "server_id" && quote!(#ty).to_string() == "i64" {
        return (quote!(::std::option::Option<i64>), true);
    }
    if let syn::Type::Reference(r) = ty {
        return (owned(root, &r.elem), false);
    }
    if let Some(inner) = crate::progenitor_methods::option_inner(ty) {
        let inner = match inner {
            syn::Type::Reference(r) => owned(root, &r.elem),
            t => owned(root, t),
        };
        return (quote!(::std::option::Option<#inner>), true);
    }
    (owned(root, ty), false)
}

/// `ty` as the tests name it: `str` -> `String`, progenitor's `types::`/`crate::` paths
/// under `root` (the crate's name).
fn owned(root: &TokenStream, ty: &syn::Type) -> TokenStream {
    match ty {
        syn::Type::Path(p) if p.path.is_ident("str") => quote!(::std::string::String),
        syn::Type::Path(p) if p.qself.is_none() && p.path.leading_colon.is_none() => {
            let segments: Vec<_> = p.path.segments.iter().collect();
            let first = segments[0].ident.to_string();
            match first.as_str() {
                "crate" | "super" => {
                    let rest = segments[1..].iter().map(|s| segment(root, s));
                    quote!(#root #( :: #rest )*)
                }
                "types" | "enums" => {
                    let all = segments.iter().map(|s| segment(root, s));
                    quote!(#root #( :: #all )*)
                }
                _ => {
                    let all = segments.iter().map(|s| segment(root, s));
                    quote!(#( #all )::*)
                }
            }
        }
        other => quote!(#other),
    }
}

fn segment(root: &TokenStream, s: &syn::PathSegment) -> TokenStream {
    let ident = &s.ident;
    match &s.arguments {
        syn::PathArguments::AngleBracketed(a) => {
            let args = a.args.iter().map(|g| match g {
                syn::GenericArgument::Type(t) => owned(root, t),
                other => quote!(#other),
            });
            quote!(#ident < #( #args ),* >)
        }
        _ => quote!(#s),
    }
}
