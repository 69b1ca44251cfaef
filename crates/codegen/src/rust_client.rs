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
        }
    }
    Ok(quote::quote!(#file))
}

/// prettyplease alone (not rustfmt afterwards: it re-indents doc blocks into doctests).
pub fn format(tokens: proc_macro2::TokenStream, preamble: &str) -> Result<String, Error> {
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| Error(format!("generated code does not parse: {e}")))?;
    let body = prettyplease::unparse(&file);
    Ok(format!("{HEADER}{preamble}{body}"))
}
