//! The public v2 methods: one thin wrapper per progenitor method.
//!
//! Progenitor's methods return `Result<ResponseValue<T>, progenitor_client::Error<()>>`,
//! whose error for any undocumented status is an unread `reqwest::Response`. Reading that
//! body (problem+json, the 429 body, plain text) is async, so it cannot be a `From`
//! conversion. Each wrapper therefore calls the progenitor method and hands its result to
//! `crate::runtime::v2_result`, returning `Result<T, crate::Error>`: the same error type
//! as every other call. Signatures are copied from progenitor's own output (parsed with
//! syn), so parameters never drift from what progenitor generated. One deliberate
//! change: a `{serverId}` path parameter becomes `impl Into<Option<i64>>`, so `None` uses
//! the server configured on the client and `2` (or `Some(2)`) names one.

use crate::Error;
use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;
use std::collections::BTreeMap;

/// Wrappers for every `pub async fn` in progenitor's `impl Client` blocks.
pub fn tokens(progenitor: &TokenStream, doc: &Value) -> Result<TokenStream, Error> {
    let success = success_statuses(doc);
    let extra = extra_docs(doc);
    let mut wrappers = Vec::new();
    for f in crate::progenitor_methods::Methods::parse(progenitor)?.iter() {
        let more = extra
            .get(&f.sig.ident.to_string())
            .cloned()
            .unwrap_or_default();
        wrappers.push(wrapper(f, &success, &more)?);
    }
    if wrappers.is_empty() {
        return Err(Error(
            "progenitor output has no client methods to wrap".into(),
        ));
    }
    Ok(quote! {
        //! The v2 operations on [`crate::Client`], each returning `Result<T, crate::Error>`.
        use super::client::types;

        impl crate::Client {
            #( #wrappers )*
        }
    })
}

/// snake_case method name -> doc lines progenitor does not write: the operation's
/// description, its documented rate limit and its public docs page.
fn extra_docs(doc: &Value) -> BTreeMap<String, Vec<String>> {
    sonoran_spec::operations(doc)
        .filter_map(|(_, _, op)| {
            let id = op.get("operationId")?.as_str()?;
            let mut lines = Vec::new();
            if let Some(d) = op.get("description").and_then(Value::as_str) {
                lines.push(String::new());
                // Prose, one paragraph on one line: nothing can start a code block or a doctest.
                let first = d.split("\n\n").next().unwrap_or(d);
                lines.push(
                    first
                        .replace("```", "'''")
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" "),
                );
            }
            lines.push(String::new());
            lines.push(
                match op.get("x-rate-limit-per-minute").and_then(Value::as_u64) {
                    Some(n) => format!(
                        "Rate limit: {n} requests per minute per API key; the client paces calls to it."
                    ),
                    None => "Rate limit: none documented.".into(),
                },
            );
            if let Some(page) = op.get("x-docs-page").and_then(Value::as_str) {
                lines.push(String::new());
                lines.push(format!("Docs: <{}>", crate::npm::docs_url(page)));
            }
            Some((crate::v1::snake(id), lines))
        })
        .collect()
}

/// snake_case method name -> the documented success status.
fn success_statuses(doc: &Value) -> BTreeMap<String, u16> {
    sonoran_spec::operations(doc)
        .filter_map(|(_, _, op)| {
            let id = op.get("operationId")?.as_str()?;
            let code = op
                .get("responses")?
                .as_object()?
                .keys()
                .filter(|c| c.starts_with('2'))
                .min()?
                .parse()
                .ok()?;
            Some((crate::v1::snake(id), code))
        })
        .collect()
}

fn wrapper(
    f: &syn::ImplItemFn,
    success: &BTreeMap<String, u16>,
    more: &[String],
) -> Result<TokenStream, Error> {
    let sig = &f.sig;
    let name = &sig.ident;
    let docs: Vec<_> = f
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .collect();
    let body_type = response_type(&sig.output)
        .ok_or_else(|| Error(format!("`{name}`: unexpected return type from progenitor")))?;
    let mut args = Vec::new();
    let mut inputs = Vec::new();
    for input in &sig.inputs {
        match input {
            syn::FnArg::Typed(pat) => {
                let syn::Pat::Ident(ident) = pat.pat.as_ref() else {
                    return Err(Error(format!("`{name}`: unexpected parameter pattern")));
                };
                let id = &ident.ident;
                // `{serverId}`: `None` means the client's configured server.
                if id == "server_id" && quote!(#pat).to_string().ends_with(": i64") {
                    inputs.push(quote!(#id: impl ::std::convert::Into<::std::option::Option<i64>>));
                    args.push(quote!(#id.into().unwrap_or_else(|| self.server_id())));
                } else {
                    inputs.push(quote!(#input));
                    args.push(quote!(#id));
                }
            }
            syn::FnArg::Receiver(_) => inputs.push(quote!(#input)),
        }
    }
    let generics = &sig.generics;
    let status = success.get(&name.to_string()).copied().unwrap_or(200);
    let more = more.iter().map(|l| format!(" {l}"));
    Ok(quote! {
        #( #docs )*
        #( #[doc = #more] )*
        pub async fn #name #generics (#( #inputs ),*) -> ::std::result::Result<#body_type, crate::Error> {
            crate::runtime::v2_result(self.raw.#name(#( #args ),*).await, #status).await
        }
    })
}

/// `T` out of `Result<ResponseValue<T>, Error<..>>`.
fn response_type(output: &syn::ReturnType) -> Option<syn::Type> {
    let syn::ReturnType::Type(_, ty) = output else {
        return None;
    };
    let result = last_segment_args(ty, "Result")?;
    let syn::GenericArgument::Type(ok) = result.first()? else {
        return None;
    };
    let value = last_segment_args(ok, "ResponseValue")?;
    match value.first()? {
        syn::GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    }
}

fn last_segment_args<'a>(
    ty: &'a syn::Type,
    name: &str,
) -> Option<&'a syn::punctuated::Punctuated<syn::GenericArgument, syn::Token![,]>> {
    let syn::Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != name {
        return None;
    }
    match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => Some(&a.args),
        _ => None,
    }
}
