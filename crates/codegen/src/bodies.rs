//! Request bodies built in Rust, without JSON.
//!
//! typify gives every schema a struct with public fields and derives `Default` when every
//! field is optional. For each struct a request can carry (a v2 request body, a v1 `data`
//! item, and every struct reachable from them) this adds:
//! - `new(..)` taking the required fields (and, for an `x-exactly-one-of` group, its enum)
//!   when there are any, the optional ones starting empty, except that a field with a
//!   documented `default:` starts at that default (typify writes it as a serde default,
//!   which `Default::default()` of the field's type does not know: `partial: false` where
//!   the docs say `true`);
//! - no argument for `serverId`: `progenitor_form` makes it an `Option` and the client
//!   fills it from its configuration when the request is sent;
//! - one chainable setter per optional field, named as the field, taking `impl Into<T>`;
//! - for a group, one setter named after its `argument` that sets exactly one of its fields.
//!
//! So `ModifyAccountPermissionsRequest::new(AccountTargetOrUsername::Username("bob".into()))
//! .add(vec![PermissionName::Admin])` builds what the docs' JSON example shows.

use crate::Error;
use crate::targets::{self, Group, Target};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Schema names a request can carry: v2 request bodies, v1 `data`, and what they reach.
pub fn request_schemas(doc: &Value) -> BTreeSet<String> {
    let mut roots = Vec::new();
    for (path, _, op) in sonoran_spec::operations(doc) {
        let Some(body) = op.pointer("/requestBody/content/application~1json/schema") else {
            continue;
        };
        if path.starts_with("/v2/") {
            roots.push(body.clone());
        } else if let Some(data) = body.pointer("/properties/data") {
            roots.push(data.clone());
        }
    }
    let schemas = doc.pointer("/components/schemas");
    let mut seen = BTreeSet::new();
    while let Some(node) = roots.pop() {
        match node {
            Value::Object(map) => {
                if let Some(name) = map
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                {
                    if seen.insert(name.to_string())
                        && let Some(s) = schemas.and_then(|s| s.get(name))
                    {
                        roots.push(s.clone());
                    }
                    continue;
                }
                for (k, v) in map {
                    if k != "example" && k != "examples" && !k.starts_with("x-") {
                        roots.push(v);
                    }
                }
            }
            Value::Array(items) => roots.extend(items),
            _ => {}
        }
    }
    seen
}

struct Field {
    ident: syn::Ident,
    ty: syn::Type,
    /// `Option<T>`: the `T`.
    option_of: Option<syn::Type>,
    /// Optional on the wire: an `Option` or a `#[serde(default)]` collection.
    optional: bool,
    doc: Vec<syn::Attribute>,
}

/// The structs of progenitor's `pub mod types` by name, with whether each has `Default`
/// (derived, or implemented by typify for fields with serde defaults).
fn structs(progenitor: &syn::File) -> BTreeMap<String, (&syn::ItemStruct, bool)> {
    let mut out = BTreeMap::new();
    let mut manual_default = BTreeSet::new();
    for item in &progenitor.items {
        let syn::Item::Mod(m) = item else { continue };
        if m.ident != "types" {
            continue;
        }
        for item in m.content.iter().flat_map(|(_, items)| items) {
            match item {
                syn::Item::Struct(s) => {
                    out.insert(s.ident.to_string(), (s, has_derive_default(s)));
                }
                syn::Item::Impl(i) => {
                    let is_default = i
                        .trait_
                        .as_ref()
                        .and_then(|(p, _)| p.segments.last())
                        .is_some_and(|seg| seg.ident == "Default");
                    if let (true, syn::Type::Path(p)) = (is_default, i.self_ty.as_ref())
                        && let Some(seg) = p.path.segments.last()
                    {
                        manual_default.insert(seg.ident.to_string());
                    }
                }
                _ => {}
            }
        }
    }
    for name in manual_default {
        if let Some(entry) = out.get_mut(&name) {
            entry.1 = true;
        }
    }
    out
}

fn has_derive_default(s: &syn::ItemStruct) -> bool {
    s.attrs.iter().any(|a| {
        a.path().is_ident("derive")
            && quote!(#a)
                .to_string()
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| w == "Default")
    })
}

fn fields(s: &syn::ItemStruct) -> Option<Vec<Field>> {
    let syn::Fields::Named(named) = &s.fields else {
        return None;
    };
    Some(
        named
            .named
            .iter()
            .filter_map(|f| {
                let ident = f.ident.clone()?;
                let option_of = crate::progenitor_methods::option_inner(&f.ty).cloned();
                let serde_default = f.attrs.iter().any(|a| {
                    a.path().is_ident("serde")
                        && quote!(#a)
                            .to_string()
                            .split(|c: char| !c.is_alphanumeric() && c != '_')
                            .any(|w| w == "default")
                });
                Some(Field {
                    optional: option_of.is_some() || serde_default,
                    option_of,
                    ty: f.ty.clone(),
                    doc: f
                        .attrs
                        .iter()
                        .filter(|a| a.path().is_ident("doc"))
                        .cloned()
                        .collect(),
                    ident,
                })
            })
            .collect(),
    )
}

/// The Rust field of wire name `name` (`accountUuid` -> `account_uuid`, `type` -> `type_`).
fn field_ident<'a>(fields: &'a [Field], name: &str) -> Option<&'a Field> {
    let snake = crate::names::snake_case(name);
    fields.iter().find(|f| {
        f.ident == snake || f.ident == format!("{snake}_") || f.ident == format!("r#{snake}")
    })
}

/// The documented `default:` of each field that is not an `Option` (typify gives such a
/// field a serde default and a plain type), as the expression `new` starts it at, by
/// field ident. An `Option` field starts `None`: absent on the wire, so the server applies
/// its default.
fn documented_defaults(
    name: &str,
    schema: &Value,
    fields: &[Field],
) -> Result<BTreeMap<String, TokenStream>, Error> {
    let mut out = BTreeMap::new();
    let props = schema.get("properties").and_then(Value::as_object);
    for (wire, prop) in props.into_iter().flatten() {
        let Some(default) = prop.get("default") else {
            continue;
        };
        let Some(field) = field_ident(fields, wire) else {
            continue;
        };
        if field.option_of.is_some() {
            continue;
        }
        let ty = &field.ty;
        let is_non_zero = quote!(#ty).to_string().contains("NonZero");
        // typify gives a one-of-these-numbers field (`enum: [2]`) a checked newtype.
        let checked_newtype = matches!(ty, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| {
            let last = s.ident.to_string();
            !is_non_zero && !matches!(last.as_str(), "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "f32" | "f64" | "bool" | "String")
        }));
        let value = match default {
            Value::Bool(b) => quote!(#b),
            Value::Number(n) if checked_newtype && n.as_i64().is_some() => {
                let n = proc_macro2::Literal::i64_unsuffixed(n.as_i64().unwrap_or(0));
                let why = format!("the documented default {n} is one of the documented values");
                quote!(<#ty as ::std::convert::TryFrom<i64>>::try_from(#n).expect(#why))
            }
            Value::Number(n) if n.as_u64().is_some_and(|n| n > 0) && is_non_zero => {
                let n = proc_macro2::Literal::u64_unsuffixed(n.as_u64().unwrap_or(1));
                let why = format!("{n} is not zero");
                quote!(#ty::new(#n).expect(#why))
            }
            Value::Number(n) if !is_non_zero && n.as_u64().is_some() => {
                let n = proc_macro2::Literal::u64_unsuffixed(n.as_u64().unwrap_or(0));
                quote!(#n)
            }
            Value::Number(n) if !is_non_zero && n.as_i64().is_some() => {
                let n = proc_macro2::Literal::i64_unsuffixed(n.as_i64().unwrap_or(0));
                quote!(#n)
            }
            Value::Number(n) if !is_non_zero && n.is_f64() => {
                let n = proc_macro2::Literal::f64_unsuffixed(n.as_f64().unwrap_or(0.0));
                quote!(#n)
            }
            Value::String(text) => quote!(::std::convert::Into::into(#text)),
            other => {
                return Err(Error(format!(
                    "`{name}.{wire}`: a default of {other} cannot be written in a constructor"
                )));
            }
        };
        out.insert(field.ident.to_string(), value);
    }
    Ok(out)
}

/// `generated/bodies.rs`, and the test-support `construct` function (see
/// `construct_tokens`).
pub fn tokens(
    api: &sonoran_spec::api::Api,
    progenitor: &proc_macro2::TokenStream,
    doc: &Value,
    targets: &BTreeMap<String, Target>,
) -> Result<(TokenStream, TokenStream), Error> {
    let root = format_ident!("{}", api.lib_name());
    let file: syn::File = syn::parse2(progenitor.clone())
        .map_err(|e| Error(format!("progenitor output does not parse: {e}")))?;
    let structs = structs(&file);
    let mut impls = Vec::new();
    let mut arms = Vec::new();
    for name in request_schemas(doc) {
        let Some(&(s, has_default)) = structs.get(&name) else {
            continue; // an enum, a newtype or a map: nothing to build
        };
        let Some(fields) = fields(s) else { continue };
        let schema = doc
            .pointer(&format!("/components/schemas/{name}"))
            .unwrap_or(&Value::Null);
        let groups = targets::groups(schema, &name)?;
        impls.push(one(&name, schema, &fields, &groups, targets, has_default)?);
        arms.push(construct_arm(
            &root,
            &name,
            schema,
            &fields,
            &groups,
            targets,
            has_default,
        )?);
    }
    let construct = construct_tokens(&arms);
    let bodies = quote! {
        //! Constructors and chainable setters for the request types (see the crate docs,
        //! "Request bodies").
        use super::client::types;
        // Field types are written as typify writes them, relative to `types`.
        use super::client::types::*;

        #( #impls )*
    };
    Ok((bodies, construct))
}

/// Test support (in `tests/support/registry.rs`): `construct(schema, args)` builds a request
/// schema the way a user of the crate does, with its generated `new(..)` (required fields
/// and targets taken from `args` by their wire names) or, for a type without one, its
/// `Default`, and returns it encoded as JSON. The defaults test sends what it builds.
fn construct_tokens(arms: &[TokenStream]) -> TokenStream {
    quote! {
        /// Builds request schema `name` with its generated constructor (`new(..)`, the
        /// required fields and the targets taken from `args` by wire name; `Default` where
        /// there is no `new`) and encodes it. `None` when `name` is not a request struct.
        pub fn construct(name: &str, args: &::serde_json::Value) -> Option<Result<::serde_json::Value, String>> {
            build(name, args).transpose()
        }

        fn build(name: &str, args: &::serde_json::Value) -> Result<Option<::serde_json::Value>, String> {
            Ok(Some(match name {
                #( #arms )*
                _ => return Ok(None),
            }))
        }

        fn field<T: ::serde::de::DeserializeOwned>(schema: &str, args: &::serde_json::Value, wire: &str) -> Result<T, String> {
            let value = args.get(wire).ok_or_else(|| format!("{schema}: `new` needs `{wire}`, not given"))?;
            ::serde_json::from_value(value.clone()).map_err(|e| format!("{schema}.{wire}: {e}"))
        }

        fn encode<T: ::serde::Serialize>(value: &T) -> Result<::serde_json::Value, String> {
            ::serde_json::to_value(value).map_err(|e| format!("does not encode: {e}"))
        }
    }
}

/// One arm of `construct` (see `construct_tokens`).
fn construct_arm(
    root: &syn::Ident,
    name: &str,
    schema: &Value,
    fields: &[Field],
    groups: &[Group],
    targets: &BTreeMap<String, Target>,
    has_default: bool,
) -> Result<TokenStream, Error> {
    let ty = format_ident!("{}", name);
    let wire_of = |ident: &syn::Ident| -> Result<String, Error> {
        schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(wire, _)| wire)
            .find(|wire| field_ident(fields, wire).is_some_and(|f| &f.ident == ident))
            .cloned()
            .ok_or_else(|| Error(format!("`{name}`: no property for field `{ident}`")))
    };
    let mut args = Vec::new();
    if !has_default {
        for f in fields.iter().filter(|f| !f.optional) {
            let t = test_type(root, &f.ty);
            match wire_of(&f.ident) {
                Ok(wire) => args.push(quote!(field::<#t>(#name, args, #wire)?)),
                // typify's flattened `extra` (additional properties): none.
                Err(_) if f.ident == "extra" => {
                    args.push(quote!(<#t as ::std::default::Default>::default()))
                }
                Err(e) => return Err(e),
            }
        }
    }
    for g in groups {
        let enum_ty = targets
            .get(&g.name)
            .map(Target::ident)
            .ok_or_else(|| Error(format!("`{name}`: unknown target `{}`", g.name)))?;
        let mut picks = Vec::new();
        for wire in &g.fields {
            let f = field_ident(fields, wire).ok_or_else(|| {
                Error(format!(
                    "`{name}`: the generated struct has no field for `{wire}`"
                ))
            })?;
            let inner = test_type(root, f.option_of.as_ref().unwrap_or(&f.ty));
            let v = crate::names::rust_type_ident(wire);
            picks.push(quote! {
                if args.get(#wire).is_some() {
                    given.push(#root::targets::#enum_ty::#v(field::<#inner>(#name, args, #wire)?));
                }
            });
        }
        let missing = format!("{name}: `new` needs one of {:?}, none given", g.fields);
        args.push(quote! {{
            let mut given = Vec::new();
            #( #picks )*
            given.into_iter().next().ok_or_else(|| #missing.to_string())?
        }});
    }
    let build = if has_default && groups.is_empty() {
        quote!(<#root::types::#ty as ::std::default::Default>::default())
    } else {
        quote!(#root::types::#ty::new(#( #args ),*))
    };
    Ok(quote! {
        #name => encode(&#build)?,
    })
}

/// A typify field type as the client's tests name it: `crate::` and the bare names of
/// `types` under the crate's root (`root`).
fn test_type(root: &syn::Ident, ty: &syn::Type) -> TokenStream {
    const PRIMITIVES: &[&str] = &[
        "bool", "char", "str", "f32", "f64", "i8", "i16", "i32", "i64", "i128", "isize", "u8",
        "u16", "u32", "u64", "u128", "usize",
    ];
    let syn::Type::Path(p) = ty else {
        return quote!(#ty);
    };
    if p.qself.is_some() {
        return quote!(#ty);
    }
    let segments: Vec<TokenStream> = p
        .path
        .segments
        .iter()
        .map(|s| {
            let ident = &s.ident;
            match &s.arguments {
                syn::PathArguments::AngleBracketed(a) => {
                    let args = a.args.iter().map(|g| match g {
                        syn::GenericArgument::Type(t) => test_type(root, t),
                        other => quote!(#other),
                    });
                    quote!(#ident < #( #args ),* >)
                }
                _ => quote!(#s),
            }
        })
        .collect();
    let first = p.path.segments.first().map(|s| s.ident.to_string());
    if p.path.leading_colon.is_some() {
        quote!(#( :: #segments )*)
    } else if first.as_deref() == Some("crate") {
        let rest = &segments[1..];
        quote!(#root #( :: #rest )*)
    } else if p.path.segments.len() == 1 && first.is_some_and(|f| PRIMITIVES.contains(&f.as_str()))
    {
        quote!(#( #segments )*)
    } else {
        quote!(#root::types #( :: #segments )*)
    }
}

fn one(
    name: &str,
    schema: &Value,
    fields: &[Field],
    groups: &[Group],
    targets: &BTreeMap<String, Target>,
    has_default: bool,
) -> Result<TokenStream, Error> {
    let ty = format_ident!("{}", name);
    let mut grouped: BTreeMap<String, &Group> = BTreeMap::new();
    for g in groups {
        for f in &g.fields {
            let field = field_ident(fields, f).ok_or_else(|| {
                Error(format!(
                    "`{name}`: the generated struct has no field for `{f}`"
                ))
            })?;
            grouped.insert(field.ident.to_string(), g);
        }
    }
    let required: Vec<&Field> = fields.iter().filter(|f| !f.optional).collect();
    let mut methods = Vec::new();

    if has_default && !required.is_empty() {
        return Err(Error(format!(
            "`{name}` has required fields and a `Default`: cannot tell which to build"
        )));
    }
    if has_default && !groups.is_empty() {
        // Every field has a default: start from it, then set the target.
        let params = groups.iter().map(|g| {
            let arg = format_ident!("{}", g.argument);
            let enum_ty = targets.get(&g.name).map(Target::ident);
            quote!(#arg: crate::targets::#enum_ty)
        });
        let sets = groups.iter().map(|g| {
            let arg = format_ident!("{}", g.argument);
            quote!(.#arg(#arg))
        });
        let doc = format!(
            " A `{name}` for {}; the other fields start empty: set them with the methods below.",
            groups
                .iter()
                .map(|g| format!("`{}` (one of [`crate::targets::{}`])", g.argument, g.name))
                .collect::<Vec<_>>()
                .join(", ")
        );
        methods.push(quote! {
            #[doc = #doc]
            pub fn new(#( #params ),*) -> Self {
                <Self as ::std::default::Default>::default() #( #sets )*
            }
        });
    } else if !has_default {
        let mut params = Vec::new();
        let mut inits = Vec::new();
        let mut sets = Vec::new();
        let mut arg_docs = Vec::new();
        let defaults = documented_defaults(name, schema, fields)?;
        for f in fields {
            let id = &f.ident;
            if let Some(value) = defaults.get(&f.ident.to_string()) {
                inits.push(quote!(#id: #value));
            } else if f.optional {
                inits.push(quote!(#id: ::std::default::Default::default()));
            } else {
                let t = &f.ty;
                params.push(quote!(#id: impl ::std::convert::Into<#t>));
                inits.push(quote!(#id: #id.into()));
                arg_docs.push(format!("`{id}`"));
            }
        }
        for g in groups {
            let arg = format_ident!("{}", g.argument);
            let enum_ty = targets
                .get(&g.name)
                .map(Target::ident)
                .ok_or_else(|| Error(format!("`{name}`: unknown target `{}`", g.name)))?;
            params.push(quote!(#arg: crate::targets::#enum_ty));
            sets.push(quote!(value = value.#arg(#arg);));
            arg_docs.push(format!(
                "`{}` (one of [`crate::targets::{}`])",
                g.argument, g.name
            ));
        }
        let mut doc = if arg_docs.is_empty() {
            format!(" A `{name}` with every field empty.")
        } else {
            format!(
                " A `{name}` with its required {}; the optional fields start empty: set them with the methods below.",
                arg_docs.join(", ")
            )
        };
        if !defaults.is_empty() {
            doc.push_str(&format!(
                " {} start{} at the documented default.",
                defaults
                    .keys()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if defaults.len() == 1 { "s" } else { "" }
            ));
        }
        let body = if sets.is_empty() {
            quote!(Self { #( #inits ),* })
        } else {
            quote! {
                let mut value = Self { #( #inits ),* };
                #( #sets )*
                value
            }
        };
        methods.push(quote! {
            #[doc = #doc]
            pub fn new(#( #params ),*) -> Self {
                #body
            }
        });
    }

    for f in fields.iter().filter(|f| f.optional) {
        if grouped.contains_key(&f.ident.to_string()) {
            continue;
        }
        let id = &f.ident;
        if id == "new" || groups.iter().any(|g| f.ident == g.argument) {
            continue; // would clash with `new` or a group setter: the field stays settable directly
        }
        let docs = &f.doc;
        match &f.option_of {
            Some(inner) => methods.push(quote! {
                #( #docs )*
                pub fn #id(mut self, value: impl ::std::convert::Into<#inner>) -> Self {
                    self.#id = ::std::option::Option::Some(value.into());
                    self
                }
            }),
            None => {
                let t = &f.ty;
                methods.push(quote! {
                    #( #docs )*
                    pub fn #id(mut self, value: impl ::std::convert::Into<#t>) -> Self {
                        self.#id = value.into();
                        self
                    }
                })
            }
        }
    }

    for g in groups {
        let arg = format_ident!("{}", g.argument);
        let target = &targets[&g.name];
        let enum_ty = target.ident();
        let clears = g.fields.iter().map(|f| {
            let id = &field_ident(fields, f).expect("checked above").ident;
            quote!(self.#id = ::std::option::Option::None;)
        });
        let arms = g.fields.iter().map(|f| {
            let id = &field_ident(fields, f).expect("checked above").ident;
            let v = crate::names::rust_type_ident(f);
            quote!(crate::targets::#enum_ty::#v(v) => self.#id = ::std::option::Option::Some(v),)
        });
        let doc = format!(
            " Targets exactly one of {}: sets that field and clears the others.",
            g.fields
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        methods.push(quote! {
            #[doc = #doc]
            pub fn #arg(mut self, #arg: crate::targets::#enum_ty) -> Self {
                #( #clears )*
                match #arg { #( #arms )* }
                self
            }
        });
    }

    Ok(quote! {
        impl types::#ty {
            #( #methods )*
        }
    })
}
