//! The npm package's JS surface (`crates/wasm/src/generated.rs`), from the merged spec.
//!
//! - v2: one method per operation, named by its operationId, taking one object: path and
//!   query parameters by their spec names plus `body`. Its Rust fields and types are
//!   copied from progenitor's method signature (so they always match the Rust client);
//!   its names and TypeScript types come from the spec.
//! - v1: one method per call taking the call's `data` (and an options object for the few
//!   calls with other envelope fields).
//! - A TypeScript section with a type for every schema and every method's arguments, so
//!   the `.d.ts` has no `any` where the spec has a type.

use crate::Error;
use crate::enums::IntEnum;
use crate::typescript::{doc_text, property_name, ts_type};
use crate::v1::{DataParam, Reply, V1Method, rust_type_in, snake};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;
use std::fmt::Write as _;

/// How a field of the arguments struct is passed to the Rust method.
#[derive(Clone, Copy)]
enum Pass {
    Value,
    /// `&T`: `&a.x`.
    Ref,
    /// `Option<&str>`: `a.x.as_deref()`.
    OptionDeref,
    /// `Option<&T>`: `a.x.as_ref()`.
    OptionRef,
}

struct Param {
    rust_name: syn::Ident,
    /// The owned type for the arguments struct.
    owned: TokenStream,
    pass: Pass,
    js_name: String,
    ts: String,
    optional: bool,
    doc: Option<String>,
}

pub fn tokens(
    progenitor: &TokenStream,
    doc: &Value,
    v1: &[V1Method],
    enums: &[IntEnum],
) -> Result<TokenStream, Error> {
    let ops: Vec<(String, &Value)> = sonoran_spec::operations(doc)
        .filter(|(p, _, _)| p.starts_with("/v2/"))
        .filter_map(|(_, _, op)| Some((op.get("operationId")?.as_str()?.to_string(), op)))
        .collect();
    let mut methods = Vec::new();
    let mut arg_structs = Vec::new();
    let mut ts = String::new();
    let parsed = crate::progenitor_methods::Methods::parse(progenitor)?;
    for f in parsed.iter() {
        let name = f.sig.ident.to_string();
        let Some((op_id, op)) = ops.iter().find(|(id, _)| snake(id) == name) else {
            return Err(Error(format!(
                "progenitor method `{name}` matches no v2 operationId"
            )));
        };
        let params = params(f, op, doc)?;
        let (m, s) = v2_method(op_id, &f.sig.ident, op, &params, &mut ts)?;
        methods.push(m);
        arg_structs.push(s);
    }
    for m in v1 {
        methods.push(v1_method(m, enums, &mut ts));
    }
    let mut types = crate::typescript::declarations(doc);
    types.push_str(&ts);
    types.push_str(OPTIONS_TS);
    Ok(quote! {
        //! The JS methods of `SonoranClient`, one per operation.

        use crate::convert::{self, reply};
        use crate::SonoranClient;
        use wasm_bindgen::prelude::*;

        #[wasm_bindgen(typescript_custom_section)]
        const TS_TYPES: &'static str = #types;

        #( #arg_structs )*

        #[wasm_bindgen]
        impl SonoranClient {
            #( #methods )*
        }
    })
}

const OPTIONS_TS: &str = r#"
/** Options of `new SonoranClient(...)`. */
export interface SonoranClientOptions {
  /** Your community id (needed by v1 calls). */
  communityId?: string;
  /** Your community API key (Admin > Advanced > API Integration). Never logged. */
  apiKey: string;
  /** The CAD server used when a call does not name one (default 1). */
  serverId?: number;
  /** Default `https://api.sonorancad.com`; the development branch is `https://staging-api.dev.sonorancad.com`. */
  baseUrl?: string;
  /** Per-request timeout in milliseconds (default 30000; 0 waits forever). */
  timeoutMs?: number;
  /** How often a 429 is retried (default 2). */
  retries?: number;
  /** "documented" (default): each operation paced to its documented limit; "off"; or custom limits per operationId. */
  rateLimit?: "documented" | "off" | { limits?: { [operationId: string]: number }; windowMs?: number };
}
"#;

/// progenitor's parameters of one method, with their spec names and TS types.
fn params(f: &syn::ImplItemFn, op: &Value, doc: &Value) -> Result<Vec<Param>, Error> {
    let spec_params: Vec<&Value> = op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    let mut out = Vec::new();
    for input in &f.sig.inputs {
        let syn::FnArg::Typed(pat) = input else {
            continue;
        };
        let syn::Pat::Ident(ident) = pat.pat.as_ref() else {
            continue;
        };
        let rust_name = ident.ident.clone();
        let (pass, owned) = owned_type(pat.ty.as_ref());
        let inner_text = quote!(#owned).to_string().replace(' ', "");
        let name = rust_name.to_string();
        if name == "body" {
            let media = op.pointer("/requestBody/content/application~1json");
            let schema = media
                .and_then(|m| m.get("schema"))
                .cloned()
                .unwrap_or(Value::Null);
            let optional = op.pointer("/requestBody/required") != Some(&Value::Bool(true))
                && inner_text.starts_with("Option");
            out.push(Param {
                rust_name,
                owned,
                pass,
                js_name: "body".into(),
                ts: ts_type(&schema),
                optional,
                doc: Some("The request body.".into()),
            });
            continue;
        }
        let spec = spec_params.iter().find(|p| {
            let n = p.get("name").and_then(Value::as_str).unwrap_or_default();
            let s = snake(n);
            s == name || format!("{s}_") == name
        });
        let Some(spec) = spec else {
            return Err(Error(format!(
                "`{}`: parameter `{name}` matches no spec parameter",
                f.sig.ident
            )));
        };
        let js_name = spec["name"].as_str().unwrap_or_default().to_string();
        let schema = spec.get("schema").cloned().unwrap_or(Value::Null);
        let is_server = name == "server_id" && inner_text == "i64";
        let optional = is_server
            || spec.get("required") != Some(&Value::Bool(true))
            || inner_text.starts_with("Option");
        let owned = if is_server {
            quote!(::std::option::Option<i64>)
        } else {
            owned
        };
        let _ = doc;
        out.push(Param {
            rust_name,
            owned,
            pass,
            js_name,
            ts: ts_type(&schema),
            optional,
            doc: spec
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string),
        });
    }
    Ok(out)
}

/// The owned form of a progenitor parameter type, and how to pass it back.
fn owned_type(ty: &syn::Type) -> (Pass, TokenStream) {
    match ty {
        syn::Type::Reference(r) => (Pass::Ref, owned_path(&r.elem)),
        syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Option") => {
            let seg = p.path.segments.last().expect("checked");
            if let syn::PathArguments::AngleBracketed(a) = &seg.arguments
                && let Some(syn::GenericArgument::Type(syn::Type::Reference(r))) = a.args.first()
            {
                let inner = owned_path(&r.elem);
                let is_str =
                    matches!(r.elem.as_ref(), syn::Type::Path(p) if p.path.is_ident("str"));
                let pass = if is_str {
                    Pass::OptionDeref
                } else {
                    Pass::OptionRef
                };
                return (pass, quote!(::std::option::Option<#inner>));
            }
            (Pass::Value, owned_path(ty))
        }
        other => (Pass::Value, owned_path(other)),
    }
}

/// `str` -> `String`; `types::X` -> `sonoran_cad::types::X`; `crate::enums::X` -> `sonoran_cad::enums::X`.
fn owned_path(ty: &syn::Type) -> TokenStream {
    if let syn::Type::Path(p) = ty {
        if p.path.is_ident("str") {
            return quote!(::std::string::String);
        }
        let segs: Vec<String> = p
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        if segs.first().is_some_and(|s| s == "types") {
            return quote!(sonoran_cad::#p);
        }
        if segs.len() > 2 && segs[0] == "crate" && segs[1] == "enums" {
            let rest: Vec<_> = p.path.segments.iter().skip(1).collect();
            return quote!(sonoran_cad #(:: #rest)*);
        }
    }
    quote!(#ty)
}

fn pascal(id: &str) -> String {
    let mut c = id.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

fn success_ts(op: &Value) -> String {
    let responses = op.get("responses").and_then(Value::as_object);
    let first = responses.and_then(|r| {
        r.iter()
            .filter(|(c, _)| c.starts_with('2'))
            .min_by_key(|(c, _)| c.as_str())
    });
    match first.and_then(|(_, r)| r.pointer("/content/application~1json/schema")) {
        Some(s) => ts_type(s),
        None => "unknown".into(),
    }
}

fn v2_method(
    op_id: &str,
    method: &syn::Ident,
    op: &Value,
    params: &[Param],
    ts: &mut String,
) -> Result<(TokenStream, TokenStream), Error> {
    let args_name = format!("{}Args", pascal(op_id));
    let args_ident = format_ident!("{}", args_name);
    let all_optional = params.iter().all(|p| p.optional);
    // The argument type in TypeScript.
    let _ = writeln!(
        ts,
        "/** Arguments of `{op_id}`. */\nexport interface {args_name} {{"
    );
    for p in params {
        if let Some(d) = &p.doc {
            let _ = writeln!(ts, "  /** {} */", doc_text(d));
        }
        let _ = writeln!(
            ts,
            "  {}{}: {};",
            property_name(&p.js_name),
            if p.optional { "?" } else { "" },
            p.ts.replace('\n', "\n  ")
        );
    }
    let _ = writeln!(ts, "}}\n");
    let fields = params.iter().map(|p| {
        let (n, t, js) = (&p.rust_name, &p.owned, &p.js_name);
        let default = p.optional.then(|| quote!(#[serde(default)]));
        quote!(#[serde(rename = #js)] #default #n: #t,)
    });
    let call_args = params.iter().map(|p| {
        let n = &p.rust_name;
        match p.pass {
            Pass::Value => quote!(a.#n),
            Pass::Ref => quote!(&a.#n),
            Pass::OptionDeref => quote!(a.#n.as_deref()),
            Pass::OptionRef => quote!(a.#n.as_ref()),
        }
    });
    let js_name = op_id;
    // All-optional arguments may be left out: `Option<JsValue>` is `args?:` in the .d.ts.
    let param_ts = args_name.clone();
    let arg_decl = if all_optional {
        quote!(#[wasm_bindgen(unchecked_optional_param_type = #param_ts)] args: Option<JsValue>)
    } else {
        quote!(#[wasm_bindgen(unchecked_param_type = #param_ts)] args: JsValue)
    };
    let arg_ref = if all_optional {
        quote!(&args.unwrap_or(JsValue::UNDEFINED))
    } else {
        quote!(&args)
    };
    let ret_ts = format!("Promise<{}>", success_ts(op));
    let summary = op.get("summary").and_then(Value::as_str).unwrap_or(op_id);
    let docs = format!(
        " {summary}\n\n `{}` (v2). Rejects with a `SonoranError`.",
        op.get("x-docs-page").and_then(Value::as_str).unwrap_or("")
    );
    let parse = if all_optional {
        quote!(convert::optional_args::<#args_ident>(#js_name, #arg_ref))
    } else {
        quote!(convert::args::<#args_ident>(#js_name, #arg_ref))
    };
    // Parsed even without fields, so that an unknown field is still an error.
    let bind = if params.is_empty() {
        quote!(let _: #args_ident = #parse?;)
    } else {
        quote!(let a = #parse?;)
    };
    let strukt = quote! {
        #[derive(::serde::Deserialize, ::serde::Serialize)]
        #[serde(deny_unknown_fields)]
        struct #args_ident { #( #fields )* }
    };
    let method_tokens = quote! {
        #[doc = #docs]
        #[wasm_bindgen(js_name = #js_name, unchecked_return_type = #ret_ts)]
        pub fn #method(&self, #arg_decl) -> js_sys::Promise {
            let inner = self.inner.clone();
            wasm_bindgen_futures::future_to_promise(async move {
                #bind
                reply(inner.#method(#( #call_args ),*).await)
            })
        }
    };
    Ok((method_tokens, strukt))
}

fn v1_method(m: &V1Method, enums: &[IntEnum], ts: &mut String) -> TokenStream {
    let root = quote!(sonoran_cad);
    let method = format_ident!("{}", m.method);
    let js_name = {
        let mut parts = m.method.split('_');
        let first = parts.next().unwrap_or_default().to_string();
        first
            + &parts
                .map(|p| {
                    let mut c = p.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default()
                })
                .collect::<String>()
    };
    let ret_ts = match &m.reply {
        Reply::Text => "string".to_string(),
        Reply::Json(s) => ts_type(s),
        Reply::JsonOrText(s) => format!("{} | string", ts_type(s)),
    };
    let mut sig = Vec::new();
    let mut prep = Vec::new();
    let mut call = Vec::new();
    if let Some(DataParam::Typed(s)) = &m.data {
        let t = rust_type_in(s, enums, &root);
        let data_ts = ts_type(s);
        sig.push(quote!(#[wasm_bindgen(unchecked_param_type = #data_ts)] data: JsValue));
        prep.push(quote!(let data: #t = convert::args(#js_name, &data)?;));
        call.push(quote!(&data));
    }
    if !m.extra.is_empty() {
        let opts_name = format!("{}Options", pascal(&js_name));
        let opts_ident = format_ident!("{}", opts_name);
        let _ = writeln!(
            ts,
            "/** Envelope fields of `{js_name}` besides `data`. */\nexport interface {opts_name} {{"
        );
        let mut fields = Vec::new();
        for (prop, schema, required) in &m.extra {
            let _ = writeln!(
                ts,
                "  {}{}: {};",
                property_name(prop),
                if *required { "" } else { "?" },
                ts_type(schema)
            );
            let n = format_ident!("{}", snake(prop));
            let is_string = schema.get("type").and_then(Value::as_str) == Some("string");
            let t = if is_string {
                quote!(::std::string::String)
            } else {
                rust_type_in(schema, enums, &root)
            };
            if *required {
                fields.push(quote!(#[serde(rename = #prop)] #n: #t,));
                call.push(if is_string {
                    quote!(&o.#n)
                } else {
                    quote!(o.#n)
                });
            } else {
                fields
                    .push(quote!(#[serde(rename = #prop, default)] #n: ::std::option::Option<#t>,));
                call.push(if is_string {
                    quote!(o.#n.as_deref())
                } else {
                    quote!(o.#n)
                });
            }
        }
        let _ = writeln!(ts, "}}\n");
        let any_required = m.extra.iter().any(|(_, _, r)| *r);
        let opts_ts = opts_name.clone();
        let parse = if any_required {
            sig.push(quote!(#[wasm_bindgen(unchecked_param_type = #opts_ts)] options: JsValue));
            quote!(convert::args::<#opts_ident>(#js_name, &options)?)
        } else {
            sig.push(quote!(#[wasm_bindgen(unchecked_optional_param_type = #opts_ts)] options: Option<JsValue>));
            quote!(convert::optional_args::<#opts_ident>(#js_name, &options.unwrap_or(JsValue::UNDEFINED))?)
        };
        prep.insert(
            0,
            quote! {
                #[derive(::serde::Deserialize, ::serde::Serialize)]
                #[serde(deny_unknown_fields)]
                struct #opts_ident { #( #fields )* }
                let o = #parse;
            },
        );
    }
    let ret = format!("Promise<{ret_ts}>");
    let docs = format!(
        " {}\n\n v1 `{}` (`type` {}); the client fills `id` and `key`. Rejects with a `SonoranError`.",
        m.summary.clone().unwrap_or_default(),
        m.path,
        m.v1_type
    );
    let deprecated_allow = m.deprecated.then(|| quote!(#[allow(deprecated)]));
    quote! {
        #[doc = #docs]
        #[wasm_bindgen(js_name = #js_name, unchecked_return_type = #ret)]
        pub fn #method(&self, #( #sig ),*) -> js_sys::Promise {
            let inner = self.inner.clone();
            wasm_bindgen_futures::future_to_promise(async move {
                #( #prep )*
                #deprecated_allow
                let result = inner.#method(#( #call ),*).await;
                reply(result)
            })
        }
    }
}
