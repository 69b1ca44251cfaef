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
            compact_serde(items)?;
        }
    }
    Ok(quote::quote!(#file))
}

/// `compact_serde` on the top-level items of `tokens` (the push events' payloads).
pub fn compact_file(tokens: proc_macro2::TokenStream) -> Result<proc_macro2::TokenStream, Error> {
    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| Error(format!("generated code does not parse: {e}")))?;
    compact_serde(&mut file.items)?;
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

/// One field of a struct as its serde attributes say it goes on the wire.
struct WireField {
    ident: syn::Ident,
    /// Its name on the wire (`rename`, else its own name without `r#`).
    wire: String,
    /// What decoding gives when its key is absent; `None`: an attribute the compact
    /// `Deserialize` does not do.
    absent: Option<Absent>,
    /// Whether it is left out when `None` (`skip_serializing_if = "Option::is_none"` on an
    /// `Option`); `None`: an attribute the compact `Serialize` does not do.
    skip_none: Option<bool>,
}

/// Replaces `#[derive(Deserialize)]` and `#[derive(Serialize)]` on the plain structs of
/// progenitor's `types` with `sonoran_runtime::deserialize_struct!` and
/// `sonoran_runtime::serialize_struct!`, compact impls of the same decoding and encoding (see
/// `sonoran_runtime::de` and `sonoran_runtime::ser`): the derives' expansions (for
/// `Deserialize` a field enum, its visitor and a sequence form; for `Serialize` a `?` and a
/// branch a field) were the largest part of the crate's compile time. A struct whose
/// attributes are not all understood here (generics, a container `#[serde]`, `flatten`, any
/// other `deserialize_with` or `skip_serializing_if`) keeps the derive concerned.
fn compact_serde(items: &mut Vec<syn::Item>) -> Result<(), Error> {
    let mut out = Vec::with_capacity(items.len() * 3);
    for mut item in std::mem::take(items) {
        let impls = match &mut item {
            syn::Item::Struct(s) => compact_struct(s)?,
            _ => Vec::new(),
        };
        out.push(item);
        out.extend(impls);
    }
    *items = out;
    Ok(())
}

/// The impls for one struct (its derive attribute rewritten without the derives they
/// replace, and its fields without `#[serde]` once no serde derive is left): none when it
/// keeps both derives.
fn compact_struct(s: &mut syn::ItemStruct) -> Result<Vec<syn::Item>, Error> {
    let syn::Fields::Named(named) = &s.fields else {
        return Ok(Vec::new());
    };
    if !s.generics.params.is_empty() || s.attrs.iter().any(|a| a.path().is_ident("serde")) {
        return Ok(Vec::new());
    }
    let Some(derive_at) = s.attrs.iter().position(|a| {
        a.path().is_ident("derive") && derives(a).iter().any(|p| serde_derive(p).is_some())
    }) else {
        return Ok(Vec::new());
    };
    let mut fields = Vec::new();
    for field in &named.named {
        let Some(ident) = &field.ident else {
            return Ok(Vec::new());
        };
        fields.push(wire_field(&s.ident, ident, field)?);
    }
    let listed = derives(&s.attrs[derive_at]);
    let has = |name| listed.iter().any(|p| serde_derive(p) == Some(name));
    let name = &s.ident;
    let mut impls = Vec::new();
    let mut replaced = Vec::new();
    if has("Deserialize")
        && let Some(absents) = fields
            .iter()
            .map(|f| f.absent.as_ref())
            .collect::<Option<Vec<_>>>()
    {
        let lines = fields
            .iter()
            .zip(absents)
            .enumerate()
            .map(|(i, (f, absent))| {
                let (i, ident, wire) =
                    (proc_macro2::Literal::usize_unsuffixed(i), &f.ident, &f.wire);
                match absent {
                    Absent::Error => quote!(#i #ident: #wire required),
                    Absent::None => quote!(#i #ident: #wire option),
                    Absent::Default => quote!(#i #ident: #wire default),
                    Absent::DefaultWith(path) => quote!(#i #ident: #wire default_with(#path)),
                }
            });
        impls.push(syn::parse_quote! {
            ::sonoran_runtime::deserialize_struct!(#name { #(#lines,)* });
        });
        replaced.push("Deserialize");
    }
    if has("Serialize") && fields.iter().all(|f| f.skip_none.is_some()) {
        let lines = fields.iter().map(|f| {
            let (ident, wire) = (&f.ident, &f.wire);
            if f.skip_none == Some(true) {
                quote!(#ident: #wire opt)
            } else {
                quote!(#ident: #wire req)
            }
        });
        impls.push(syn::parse_quote! {
            ::sonoran_runtime::serialize_struct!(#name { #(#lines,)* });
        });
        replaced.push("Serialize");
    }
    let kept: Vec<syn::Path> = listed
        .into_iter()
        .filter(|p| serde_derive(p).is_none_or(|d| !replaced.contains(&d)))
        .collect();
    if !kept.iter().any(|p| serde_derive(p).is_some())
        && let syn::Fields::Named(named) = &mut s.fields
    {
        // Without a serde derive the attributes would name no derive's helper.
        for field in &mut named.named {
            field.attrs.retain(|a| !a.path().is_ident("serde"));
        }
    }
    s.attrs[derive_at] = syn::parse_quote!(#[derive(#(#kept),*)]);
    Ok(impls)
}

/// What the serde attributes of field `ident` of struct `strukt` say (see [`WireField`]).
fn wire_field(
    strukt: &syn::Ident,
    ident: &syn::Ident,
    field: &syn::Field,
) -> Result<WireField, Error> {
    let mut wire = syn::ext::IdentExt::unraw(ident).to_string();
    // What the attributes say, decided on after reading them all (their order is free).
    let mut default = None;
    let mut required_nullable = false;
    let mut de_understood = true;
    let mut skip_none = Some(false);
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
                let test = meta.value()?.parse::<syn::LitStr>()?.value();
                let is_none = matches!(
                    test.trim_start_matches("::"),
                    "std::option::Option::is_none"
                        | "core::option::Option::is_none"
                        | "Option::is_none"
                ) && is_option(&field.ty);
                // Not understood (`None`) stays so; else it is understood only as `is_none`.
                skip_none = skip_none.and(is_none.then_some(true));
            } else if meta.path.is_ident("deserialize_with") {
                // progenitor's required nullable field: an `Option` whose key must be there.
                let with = meta.value()?.parse::<syn::LitStr>()?.value();
                if with == "::std::option::Option::deserialize" && is_option(&field.ty) {
                    required_nullable = true;
                } else {
                    de_understood = false;
                }
            } else {
                de_understood = false;
                skip_none = None;
                // Consume whatever the attribute holds; the struct keeps the derives.
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
                "struct {strukt}: field {ident}: serde attribute: {e}"
            ))
        })?;
    }
    // As serde reads them: a default wins; a required nullable `Option` (and any other
    // type) is an error when absent; an `Option` otherwise `None`.
    let absent = de_understood.then(|| match default {
        Some(d) => d,
        None if is_option(&field.ty) && !required_nullable => Absent::None,
        None => Absent::Error,
    });
    Ok(WireField {
        ident: ident.clone(),
        wire,
        absent,
        skip_none,
    })
}

/// The paths a `#[derive(..)]` lists (none if it does not parse as such).
fn derives(attr: &syn::Attribute) -> Vec<syn::Path> {
    attr.parse_args_with(syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
        .map(|p| p.into_iter().collect())
        .unwrap_or_default()
}

/// `Deserialize` or `Serialize` for `::serde::Deserialize` or `::serde::Serialize` (or
/// without the leading `::`), the derives progenitor writes; `None` for any other path.
fn serde_derive(path: &syn::Path) -> Option<&'static str> {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    match segments.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["serde", "Deserialize"] => Some("Deserialize"),
        ["serde", "Serialize"] => Some("Serialize"),
        _ => None,
    }
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

    fn compact(mut s: syn::ItemStruct) -> (String, Vec<String>) {
        let impls = compact_struct(&mut s).unwrap();
        let text = |t: proc_macro2::TokenStream| {
            t.to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        (
            text(quote!(#s)),
            impls.iter().map(|i| text(quote!(#i))).collect(),
        )
    }

    #[test]
    fn a_plain_struct_loses_both_derives_for_one_line_a_field() {
        let (s, impls) = compact(syn::parse_quote! {
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
        // No serde derive is left, so no field keeps a `#[serde]` (it would name no helper).
        assert!(
            s.starts_with("# [derive (Clone , Debug)] pub struct Unit {"),
            "{s}"
        );
        assert!(!s.contains("serde"), "{s}");
        assert_eq!(
            impls,
            [
                ":: sonoran_runtime :: deserialize_struct ! (Unit { 0 call_id : \"callId\" required , \
                 1 note : \"note\" option , 2 tags : \"tags\" default , \
                 3 limit : \"limit\" default_with (defaults :: unit_limit) , \
                 4 applied_at : \"appliedAt\" required , 5 r#type : \"type\" default , }) ;",
                ":: sonoran_runtime :: serialize_struct ! (Unit { call_id : \"callId\" req , \
                 note : \"note\" opt , tags : \"tags\" req , limit : \"limit\" req , \
                 applied_at : \"appliedAt\" req , r#type : \"type\" req , }) ;",
            ]
        );
    }

    #[test]
    fn only_the_derives_a_struct_has_are_replaced() {
        let (s, impls) = compact(syn::parse_quote! {
            #[derive(::serde::Serialize, Clone)]
            pub struct Sent { pub x: i64 }
        });
        assert_eq!(s, "# [derive (Clone)] pub struct Sent { pub x : i64 }");
        assert_eq!(
            impls,
            [":: sonoran_runtime :: serialize_struct ! (Sent { x : \"x\" req , }) ;"]
        );
        let (s, impls) = compact(syn::parse_quote! {
            #[derive(Debug, ::serde::Deserialize)]
            pub struct Got { #[serde(rename = "X")] pub x: i64 }
        });
        assert_eq!(s, "# [derive (Debug)] pub struct Got { pub x : i64 }");
        assert_eq!(
            impls,
            [":: sonoran_runtime :: deserialize_struct ! (Got { 0 x : \"X\" required , }) ;"]
        );
    }

    /// An attribute one macro does not do keeps that derive (and the fields' attributes,
    /// which it reads), while the other derive is still replaced.
    #[test]
    fn a_derive_the_macro_cannot_replace_stays_beside_the_other_one() {
        let (s, impls) = compact(syn::parse_quote! {
            #[derive(::serde::Deserialize, ::serde::Serialize)]
            pub struct A {
                #[serde(skip_serializing_if = "Vec::is_empty")]
                pub tags: ::std::vec::Vec<i64>,
            }
        });
        assert_eq!(
            s,
            "# [derive (:: serde :: Serialize)] pub struct A { \
             # [serde (skip_serializing_if = \"Vec::is_empty\")] pub tags : :: std :: vec :: Vec < i64 > , }"
        );
        assert_eq!(
            impls,
            [":: sonoran_runtime :: deserialize_struct ! (A { 0 tags : \"tags\" required , }) ;"]
        );
        let (s, impls) = compact(syn::parse_quote! {
            #[derive(::serde::Deserialize, ::serde::Serialize)]
            pub struct B {
                // The push events' generator writes the short path.
                #[serde(deserialize_with = "my::parse", skip_serializing_if = "Option::is_none")]
                pub x: ::std::option::Option<i64>,
            }
        });
        assert!(
            s.starts_with("# [derive (:: serde :: Deserialize)] pub struct B { # [serde"),
            "{s}"
        );
        assert_eq!(
            impls,
            [":: sonoran_runtime :: serialize_struct ! (B { x : \"x\" opt , }) ;"]
        );
    }

    #[test]
    fn a_struct_with_what_the_macros_do_not_do_keeps_the_derives() {
        let kept: [syn::ItemStruct; 5] = [
            syn::parse_quote! {
                #[derive(::serde::Deserialize, ::serde::Serialize)]
                pub struct A { #[serde(flatten)] pub extra: ::serde_json::Map<String, ::serde_json::Value> }
            },
            syn::parse_quote! {
                #[derive(::serde::Deserialize, ::serde::Serialize)]
                #[serde(deny_unknown_fields)]
                pub struct B { pub x: i64 }
            },
            syn::parse_quote! {
                #[derive(::serde::Deserialize, ::serde::Serialize)]
                pub struct C { #[serde(skip_serializing_if = "::std::option::Option::is_none")] pub x: i64 }
            },
            syn::parse_quote! {
                #[derive(::serde::Deserialize, ::serde::Serialize)]
                pub struct D { #[serde(with(module = "x"))] pub x: i64 }
            },
            syn::parse_quote! {
                #[derive(::serde::Deserialize, ::serde::Serialize)]
                pub struct E<T> { pub x: T }
            },
        ];
        for s in kept {
            let name = s.ident.to_string();
            let (text, impls) = compact(s);
            if name == "C" {
                // `is_none` on what is not an `Option`: only the decoding is compact.
                assert_eq!(impls.len(), 1, "{name}");
                assert!(text.contains(":: serde :: Serialize"), "{name}: {text}");
                continue;
            }
            assert!(impls.is_empty(), "{name}");
            assert!(
                text.contains(":: serde :: Deserialize , :: serde :: Serialize"),
                "{name}: {text}"
            );
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
