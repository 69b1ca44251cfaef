//! Progenitor, used as a library, for the v2 client and all types.

use crate::enums::IntEnum;
use crate::{Error, HEADER};
use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle, TypeImpl};
use quote::quote;
use serde_json::Value;

/// Settings shared by the real client and the snapshot fixtures.
pub fn settings(enums: &[IntEnum]) -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    for e in enums {
        settings.with_replacement(
            &e.name,
            format!("crate::enums::{}", e.name),
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }
    settings
        .with_interface(InterfaceStyle::Positional)
        .with_tag(TagStyle::Merged)
        // Only the types and the methods' request-building statements are used (see
        // `seal_types` and `v2_requests`); the inner type is what progenitor's client would hold.
        .with_inner_type(quote!(crate::runtime::Runtime))
        .with_derive("PartialEq");
    settings
}

/// The generated Rust source for `doc` (a progenitor-ready document), formatted.
pub fn generate(doc: &Value, enums: &[IntEnum]) -> Result<String, Error> {
    let tokens = generate_tokens(doc, enums)?;
    format(
        tokens,
        "#![allow(clippy::all, missing_debug_implementations, unused_imports, rustdoc::all)]\n\n",
    )
}

/// progenitor's token stream for `doc` (a progenitor-ready document).
pub fn generate_tokens(doc: &Value, enums: &[IntEnum]) -> Result<proc_macro2::TokenStream, Error> {
    let spec: openapiv3::OpenAPI = serde_json::from_value(doc.clone())
        .map_err(|e| Error(format!("the reduced document is not OpenAPI 3.0: {e}")))?;
    let mut generator = Generator::new(&settings(enums));
    // progenitor reports some unsupported shapes by panicking; turn that into an error
    // that says which document it was, rather than aborting regen with a backtrace.
    let tokens = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        generator.generate_tokens(&spec)
    }))
    .map_err(|p| {
        let msg = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
        Error(format!("progenitor panicked: {}", msg.unwrap_or_default()))
    })?
    .map_err(|e| Error(format!("progenitor: {e}")))?;
    Ok(tokens)
}

/// progenitor's `types` module alone, every type of it (request bodies, replies, their
/// parts, string enums) marked `#[non_exhaustive]`: regenerating from newer docs adds fields
/// and variants, which must not be a breaking change for users. Bodies are built with their
/// `new(..)` or `Default` and setters, not struct literals. progenitor's client and its
/// methods are left out: the request builders ([`crate::v2_requests`]) build each request
/// themselves from the methods' statements and send it through the runtime's transport.
pub fn seal_types(tokens: proc_macro2::TokenStream) -> Result<proc_macro2::TokenStream, Error> {
    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| Error(format!("generated code does not parse: {e}")))?;
    file.items
        .retain(|item| matches!(item, syn::Item::Mod(m) if m.ident == "types"));
    if file.items.is_empty() {
        return Err(Error("progenitor's output has no `types` module".into()));
    }
    fn seal(items: &mut [syn::Item]) {
        for item in items {
            let attrs = match item {
                syn::Item::Struct(s) if matches!(s.fields, syn::Fields::Named(_)) => &mut s.attrs,
                syn::Item::Enum(e) => &mut e.attrs,
                syn::Item::Mod(m) if m.ident != "builder" => {
                    if let Some((_, items)) = &mut m.content {
                        seal(items);
                    }
                    continue;
                }
                _ => continue,
            };
            if !attrs.iter().any(|a| a.path().is_ident("non_exhaustive")) {
                attrs.push(syn::parse_quote!(#[non_exhaustive]));
            }
        }
    }
    for item in &mut file.items {
        if let syn::Item::Mod(m) = item
            && m.ident == "types"
            && let Some((_, items)) = &mut m.content
        {
            seal(items);
            compact_deserialize(items)?;
        }
    }
    Ok(quote::quote!(#file))
}

/// `compact_deserialize` on the top-level items of `tokens` (the push events' payloads).
pub fn compact_file(tokens: proc_macro2::TokenStream) -> Result<proc_macro2::TokenStream, Error> {
    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| Error(format!("generated code does not parse: {e}")))?;
    compact_deserialize(&mut file.items)?;
    Ok(quote::quote!(#file))
}

/// `#[inline]` on every method of the inherent impls in `tokens` (the request builders and
/// the client's operation methods): not for speed, but so that the compiler generates a
/// method's code in the crate that calls it, for the methods it calls, instead of every
/// operation's method in the generated crate's own compile. Type checking stays here.
pub fn inline_methods(tokens: proc_macro2::TokenStream) -> Result<proc_macro2::TokenStream, Error> {
    fn walk(items: &mut [syn::Item]) {
        for item in items {
            match item {
                syn::Item::Impl(imp) if imp.trait_.is_none() => {
                    for it in &mut imp.items {
                        if let syn::ImplItem::Fn(f) = it
                            && !f.attrs.iter().any(|a| a.path().is_ident("inline"))
                        {
                            f.attrs.push(syn::parse_quote!(#[inline]));
                        }
                    }
                }
                syn::Item::Mod(m) => {
                    if let Some((_, items)) = &mut m.content {
                        walk(items);
                    }
                }
                _ => {}
            }
        }
    }
    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| Error(format!("generated code does not parse: {e}")))?;
    walk(&mut file.items);
    Ok(quote::quote!(#file))
}

/// How a field of a struct decodes when its key is absent, from its serde attributes.
enum Absent {
    /// An error (``missing field `x` ``): a required field, nullable or not.
    Error,
    /// `None`: an optional field (an `Option` without `deserialize_with`).
    None,
    /// `Default::default()` (`#[serde(default)]`).
    Default,
    /// The function the attribute names (`#[serde(default = "path")]`).
    DefaultWith(syn::ExprPath),
}

/// Replaces `#[derive(Deserialize)]` on the plain structs of progenitor's `types` with
/// `sonoran_runtime::deserialize_struct!`, a compact impl of the same decoding (see
/// `sonoran_runtime::de`): the derive's field enum,
/// its visitor and its sequence form were the largest part of the crate's compile time. A
/// struct whose attributes are not all understood here (generics, a container `#[serde]`,
/// `flatten`, any other `deserialize_with`) keeps the derive.
fn compact_deserialize(items: &mut Vec<syn::Item>) -> Result<(), Error> {
    let mut out = Vec::with_capacity(items.len() * 2);
    for mut item in std::mem::take(items) {
        let imp = match &mut item {
            syn::Item::Struct(s) => compact_struct(s)?,
            _ => None,
        };
        out.push(item);
        out.extend(imp);
    }
    *items = out;
    Ok(())
}

/// The impl for one struct (its derive attribute rewritten without `Deserialize`), or `None`
/// when it keeps the derive.
fn compact_struct(s: &mut syn::ItemStruct) -> Result<Option<syn::Item>, Error> {
    let syn::Fields::Named(named) = &s.fields else {
        return Ok(None);
    };
    if !s.generics.params.is_empty() || s.attrs.iter().any(|a| a.path().is_ident("serde")) {
        return Ok(None);
    }
    let Some(derive_at) = s
        .attrs
        .iter()
        .position(|a| a.path().is_ident("derive") && derives(a).iter().any(is_serde_deserialize))
    else {
        return Ok(None);
    };
    let mut wires = Vec::new();
    let mut idents = Vec::new();
    let mut absents = Vec::new();
    for field in &named.named {
        let Some(ident) = &field.ident else {
            return Ok(None);
        };
        let mut wire = syn::ext::IdentExt::unraw(ident).to_string();
        // What the attributes say, decided on after reading them all (their order is free).
        let mut default = None;
        let mut required_nullable = false;
        let mut understood = true;
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") {
                    wire = meta.value()?.parse::<syn::LitStr>()?.value();
                } else if meta.path.is_ident("default") {
                    default = Some(if meta.input.peek(syn::Token![=]) {
                        Absent::DefaultWith(meta.value()?.parse::<syn::LitStr>()?.parse()?)
                    } else {
                        Absent::Default
                    });
                } else if meta.path.is_ident("skip_serializing_if") {
                    meta.value()?.parse::<syn::LitStr>()?;
                } else if meta.path.is_ident("deserialize_with") {
                    // progenitor's required nullable field: an `Option` whose key must be there.
                    let with = meta.value()?.parse::<syn::LitStr>()?.value();
                    if with == "::std::option::Option::deserialize" && is_option(&field.ty) {
                        required_nullable = true;
                    } else {
                        understood = false;
                    }
                } else {
                    understood = false;
                    // Consume whatever the attribute holds; the struct keeps the derive.
                    if meta.input.peek(syn::Token![=]) {
                        meta.value()?.parse::<syn::Expr>()?;
                    } else if meta.input.peek(syn::token::Paren) {
                        let list;
                        syn::parenthesized!(list in meta.input);
                        list.parse::<proc_macro2::TokenStream>()?;
                    }
                }
                Ok(())
            })
            .map_err(|e| {
                Error(format!(
                    "struct {}: field {ident}: serde attribute: {e}",
                    s.ident
                ))
            })?;
        }
        if !understood {
            return Ok(None);
        }
        // As serde reads them: a default wins; a required nullable `Option` (and any other
        // type) is an error when absent; an `Option` otherwise `None`.
        let absent = match default {
            Some(d) => d,
            None if is_option(&field.ty) && !required_nullable => Absent::None,
            None => Absent::Error,
        };
        wires.push(wire);
        idents.push(ident.clone());
        absents.push(absent);
    }

    // The derive attribute without serde's `Deserialize`.
    let kept: Vec<syn::Path> = derives(&s.attrs[derive_at])
        .into_iter()
        .filter(|p| !is_serde_deserialize(p))
        .collect();
    s.attrs[derive_at] = syn::parse_quote!(#[derive(#(#kept),*)]);

    let name = &s.ident;
    let lines =
        idents
            .iter()
            .zip(&wires)
            .zip(&absents)
            .enumerate()
            .map(|(i, ((ident, wire), absent))| {
                let i = proc_macro2::Literal::usize_unsuffixed(i);
                match absent {
                    Absent::Error => quote!(#i #ident: #wire required),
                    Absent::None => quote!(#i #ident: #wire option),
                    Absent::Default => quote!(#i #ident: #wire default),
                    Absent::DefaultWith(path) => quote!(#i #ident: #wire default_with(#path)),
                }
            });
    let imp: syn::Item = syn::parse_quote! {
        ::sonoran_runtime::deserialize_struct!(#name { #(#lines,)* });
    };
    Ok(Some(imp))
}

/// The paths a `#[derive(..)]` lists (none if it does not parse as such).
fn derives(attr: &syn::Attribute) -> Vec<syn::Path> {
    attr.parse_args_with(syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
        .map(|p| p.into_iter().collect())
        .unwrap_or_default()
}

/// `::serde::Deserialize` (or `serde::Deserialize`), the derive progenitor writes.
fn is_serde_deserialize(path: &syn::Path) -> bool {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    segments == ["serde", "Deserialize"]
}

/// Whether `ty` is `Option<..>` (progenitor writes `::std::option::Option<..>`).
fn is_option(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.qself.is_none()
        && p.path.segments.last().is_some_and(|s| s.ident == "Option"
            && matches!(s.arguments, syn::PathArguments::AngleBracketed(_))))
}

/// prettyplease alone (not rustfmt afterwards: it re-indents doc blocks into doctests).
pub fn format(tokens: proc_macro2::TokenStream, preamble: &str) -> Result<String, Error> {
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| Error(format!("generated code does not parse: {e}")))?;
    let body = prettyplease::unparse(&file);
    Ok(format!("{HEADER}{preamble}{body}"))
}

#[cfg(test)]
mod compact_tests {
    use super::*;

    fn compact(mut s: syn::ItemStruct) -> (String, Option<String>) {
        let imp = compact_struct(&mut s).unwrap();
        let text = |t: proc_macro2::TokenStream| {
            t.to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        (text(quote!(#s)), imp.map(|i| text(quote!(#i))))
    }

    #[test]
    fn a_plain_struct_loses_the_derive_for_one_line_a_field() {
        let (s, imp) = compact(syn::parse_quote! {
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
            pub struct Unit {
                #[serde(rename = "callId")]
                pub call_id: i64,
                #[serde(skip_serializing_if = "::std::option::Option::is_none")]
                pub note: ::std::option::Option<::std::string::String>,
                #[serde(default)]
                pub tags: ::std::vec::Vec<::std::string::String>,
                #[serde(default = "defaults::unit_limit")]
                pub limit: u32,
                #[serde(rename = "appliedAt", deserialize_with = "::std::option::Option::deserialize")]
                pub applied_at: ::std::option::Option<::std::string::String>,
                // The attributes' order is free: a default wins over a required nullable.
                #[serde(deserialize_with = "::std::option::Option::deserialize", default)]
                pub r#type: ::std::option::Option<i64>,
            }
        });
        assert!(
            s.starts_with("# [derive (:: serde :: Serialize , Clone , Debug)]"),
            "{s}"
        );
        assert_eq!(
            imp.unwrap(),
            ":: sonoran_runtime :: deserialize_struct ! (Unit { 0 call_id : \"callId\" required , \
             1 note : \"note\" option , 2 tags : \"tags\" default , \
             3 limit : \"limit\" default_with (defaults :: unit_limit) , \
             4 applied_at : \"appliedAt\" required , 5 r#type : \"type\" default , }) ;"
        );
    }

    #[test]
    fn a_struct_with_what_the_macro_does_not_do_keeps_the_derive() {
        let kept: [syn::ItemStruct; 5] = [
            syn::parse_quote! {
                #[derive(::serde::Deserialize)]
                pub struct A { #[serde(flatten)] pub extra: ::serde_json::Map<String, ::serde_json::Value> }
            },
            syn::parse_quote! {
                #[derive(::serde::Deserialize)]
                #[serde(deny_unknown_fields)]
                pub struct B { pub x: i64 }
            },
            syn::parse_quote! {
                #[derive(::serde::Deserialize)]
                pub struct C { #[serde(deserialize_with = "my::parse")] pub x: i64 }
            },
            syn::parse_quote! {
                #[derive(::serde::Deserialize)]
                pub struct D { #[serde(with(module = "x"))] pub x: i64 }
            },
            syn::parse_quote! {
                #[derive(::serde::Deserialize)]
                pub struct E<T> { pub x: T }
            },
        ];
        for s in kept {
            let name = s.ident.to_string();
            let (text, imp) = compact(s);
            assert!(imp.is_none(), "{name}");
            assert!(text.contains(":: serde :: Deserialize"), "{name}: {text}");
        }
    }

    #[test]
    fn a_broken_serde_attribute_is_an_error_naming_struct_and_field() {
        let mut s: syn::ItemStruct = syn::parse_quote! {
            #[derive(::serde::Deserialize)]
            pub struct Unit { #[serde(rename = 5)] pub x: i64 }
        };
        let Err(e) = compact_struct(&mut s) else {
            panic!("a rename that is not a string was taken");
        };
        assert!(
            e.0.starts_with("struct Unit: field x: serde attribute: "),
            "{}",
            e.0
        );
    }
}
