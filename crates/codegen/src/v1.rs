//! v1 envelope calls as client methods that take only `data`.
//!
//! Progenitor is not used for these (see `progenitor_form`): every v1 call has the same
//! shape, `POST <path>` with `{id, key, type, data}`, so each method is a typed front for
//! the client's one v1 sender (`crate::v1`), which fills `id` and `key` from the
//! configuration. The reply type follows the documented 200: JSON -> the typed schema,
//! text -> `String`, both -> `JsonOrText<T>`.

use crate::Error;
use crate::enums::IntEnum;
use crate::model::{Kind, Operation};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;
use sonoran_spec::api::Api;

/// One generated method.
#[derive(Debug, Clone)]
pub struct V1Method {
    pub operation_id: String,
    pub method: String,
    pub path: String,
    pub v1_type: String,
    pub data: Option<DataParam>,
    /// `data` (its items, when an array) has a `serverId` property: the client fills it
    /// with its configured server id where the caller left it unset.
    pub fills_server_id: bool,
    /// Top-level envelope properties besides id/key/type/data: (name, schema, required).
    pub extra: Vec<(String, Value, bool)>,
    pub reply: Reply,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub docs_page: Option<String>,
    pub deprecated: bool,
    /// The Rust method on `client.v1()`: [`V1Method::method`] (see [`collect`]).
    pub rust_method: String,
    /// How the call's pages go, where its `data` carries page fields (`crate::pages`).
    pub paging: Option<crate::pages::Paging>,
}

#[derive(Debug, Clone)]
pub enum DataParam {
    /// `data` is a typed schema; `Some(items)` when it is an array of them.
    Typed(Value),
    /// `data` is documented as an empty array (`[]`).
    EmptyArray,
}

#[derive(Debug, Clone)]
pub enum Reply {
    Text,
    Json(Value),
    JsonOrText(Value),
}

impl V1Method {
    /// The Rust method on `client.v1()`: the call's name in snake case
    /// (`unitStatusV1` -> `unit_status_v1`), the same name as its JS method and, but for
    /// an operation documented for several `type`s, its `Operation` variant.
    pub fn rust_name(&self) -> proc_macro2::Ident {
        crate::names::rust_ident(&self.rust_method)
    }

    /// Its request builder (`UnitStatusV1`).
    pub fn builder_name(&self) -> proc_macro2::Ident {
        format_ident!("{}", crate::names::pascal_case(&self.rust_method))
    }
}

/// The v1 methods described by the merged document (multipart calls excepted: see
/// `progenitor_form`, which leaves them out of the reduced document).
pub fn collect(doc: &Value, operations: &[Operation]) -> Result<Vec<V1Method>, Error> {
    let mut out = Vec::new();
    for operation in operations.iter().filter(|o| o.kind == Kind::V1) {
        let (path, op) = (operation.path, operation.raw);
        let id = operation.id.to_string();
        let Some(envelope) = operation.json_body() else {
            continue;
        };
        let paging = crate::pages::describe(doc, operation)?;
        let props = envelope
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let required = crate::required_names(envelope);
        let data = match props.get("data") {
            None => None,
            Some(s) if s.get("maxItems") == Some(&Value::from(0)) => {
                required.contains(&"data").then_some(DataParam::EmptyArray)
            }
            Some(s) => Some(DataParam::Typed(s.clone())),
        };
        let fills_server_id = props.get("data").is_some_and(|d| has_server_id(doc, d));
        let extra: Vec<(String, Value, bool)> = props
            .iter()
            .filter(|(k, _)| !["id", "key", "type", "data"].contains(&k.as_str()))
            .map(|(k, s)| (k.clone(), s.clone(), required.contains(&k.as_str())))
            .collect();
        let content = op
            .pointer("/responses/200/content")
            .and_then(Value::as_object);
        let json = content
            .and_then(|c| c.get("application/json"))
            .and_then(|m| m.get("schema"))
            .cloned();
        let text = content.is_some_and(|c| c.contains_key("text/plain"));
        let reply = match (json, text) {
            (Some(s), true) => Reply::JsonOrText(s),
            (Some(s), false) => Reply::Json(s),
            (None, _) => Reply::Text,
        };
        let types: Vec<String> = match op.get("x-v1-types").and_then(Value::as_array) {
            Some(list) => list
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            None => vec![
                op.get("x-v1-type")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| {
                        Error(format!(
                            "v1 operation `{id}` has a JSON envelope but no x-v1-type"
                        ))
                    })?,
            ],
        };
        for v1_type in &types {
            let method = if types.len() > 1 {
                format!("{}_v1", v1_type.to_ascii_lowercase())
            } else {
                crate::names::snake_case(&id)
            };
            out.push(V1Method {
                operation_id: id.clone(),
                method,
                path: path.to_string(),
                v1_type: v1_type.clone(),
                data: data.clone(),
                fills_server_id,
                extra: extra.clone(),
                reply: reply.clone(),
                summary: op
                    .get("summary")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                description: op
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                // One operation for several types (JOIN_COMMUNITY and LEAVE_COMMUNITY):
                // each type's own page, from `x-v1-docs-pages`.
                docs_page: op
                    .pointer(&format!("/x-v1-docs-pages/{v1_type}"))
                    .or_else(|| op.get("x-docs-page"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                deprecated: op.get("deprecated") == Some(&Value::Bool(true)),
                rust_method: String::new(),
                paging: paging.clone(),
            });
        }
    }
    // One name per call (the naming rule of the README): the operationId, or
    // `<type>_v1` for each `type` of an operation documented for several; Rust snake case,
    // JS camel case of the same.
    for m in &mut out {
        m.rust_method = m.method.clone();
    }
    out.sort_by(|a, b| a.method.cmp(&b.method));
    Ok(out)
}

/// Whether a v1 `data` schema (or its item schema, when it is an array) has a `serverId`
/// property (`progenitor_form::SERVER_ID`).
pub fn has_server_id(doc: &Value, data: &Value) -> bool {
    let mut schema = data;
    for _ in 0..8 {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            match r.strip_prefix('#').and_then(|p| doc.pointer(p)) {
                Some(s) => schema = s,
                None => return false,
            }
        } else if schema.get("type").and_then(Value::as_str) == Some("array") {
            match schema.get("items") {
                Some(items) => schema = items,
                None => return false,
            }
        } else {
            break;
        }
    }
    schema
        .pointer(&format!(
            "/properties/{}",
            crate::progenitor_form::SERVER_ID
        ))
        .is_some()
}

/// The Rust type of a schema, as the generated types name it.
/// `root` is the client crate's path from where the code lives (`crate` inside it,
/// [`Api::lib_name`] in its tests).
pub fn rust_type_in(schema: &Value, enums: &[IntEnum], root: &TokenStream) -> TokenStream {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/components/schemas/");
        let ident = format_ident!("{}", name);
        return if enums.iter().any(|e| e.name == name) {
            quote!(#root::enums::#ident)
        } else {
            quote!(#root::types::#ident)
        };
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => {
            let inner = rust_type_in(schema.get("items").unwrap_or(&Value::Null), enums, root);
            quote!(::std::vec::Vec<#inner>)
        }
        Some("string") => quote!(::std::string::String),
        Some("integer") => quote!(i64),
        Some("number") => quote!(f64),
        Some("boolean") => quote!(bool),
        _ => quote!(::serde_json::Value),
    }
}

fn rust_type(schema: &Value, enums: &[IntEnum]) -> TokenStream {
    rust_type_in(schema, enums, &quote!(crate))
}

fn reply_type(reply: &Reply, enums: &[IntEnum]) -> TokenStream {
    match reply {
        Reply::Text => quote!(::std::string::String),
        Reply::Json(s) => rust_type(s, enums),
        Reply::JsonOrText(s) => {
            let t = rust_type(s, enums);
            quote!(crate::v1::JsonOrText<#t>)
        }
    }
}

fn docs(api: &Api, m: &V1Method, examples: &std::collections::BTreeMap<&str, &str>) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(s) = &m.summary {
        lines.push(crate::prose::for_users(s));
        lines.push(String::new());
    }
    if let Some(d) = &m.description {
        for para in d.split("\n\n") {
            lines.push(crate::prose::for_users(para));
            lines.push(String::new());
        }
    }
    lines.push(format!(
        "v1: `POST {}` with envelope `type` `{}` (operation `{}`); `id` and `key` come from the client.",
        m.path, m.v1_type, m.operation_id
    ));
    if m.fills_server_id && api.server_id_default {
        lines.push(String::new());
        lines.push(
            "`serverId` left unset in `data` is sent as the client's server id (`Client::builder().server_id(..)`, default 1); one set on an item is sent as set."
                .into(),
        );
    }
    lines.push(String::new());
    lines.push("Rate limit: none documented for v1 calls.".into());
    if let Some(p) = &m.docs_page {
        lines.push(String::new());
        lines.push(format!("Docs: <{}>", api.docs_link(p)));
    }
    lines.extend(crate::doc_examples::section(examples, &m.v1_type));
    lines.into_iter().map(|l| format!(" {l}")).collect()
}

/// The v1 methods and their builders, without `.stream()` (`tokens_with_pages` adds it).
pub fn tokens(
    api: &Api,
    methods: &[V1Method],
    known_errors: &[(String, String)],
    error_kinds: &std::collections::BTreeMap<String, String>,
    enums: &[IntEnum],
    examples: &std::collections::BTreeMap<&str, &str>,
) -> TokenStream {
    tokens_with_pages(
        api,
        methods,
        known_errors,
        error_kinds,
        enums,
        examples,
        None,
    )
    .expect("without pages nothing fails")
}

/// The `.stream()` of a paginated v1 call's builder: its reply and `data` typed as the
/// builder has them, read through progenitor's structs.
fn stream(
    structs: &crate::pages::Structs,
    m: &V1Method,
    paging: &crate::pages::Paging,
    enums: &[IntEnum],
) -> Result<TokenStream, Error> {
    let op = &m.operation_id;
    let Reply::Json(reply) = &m.reply else {
        return Err(Error(format!(
            "`{op}` paginates, but its reply is not JSON alone: a page's items cannot be read"
        )));
    };
    let parse = |t: TokenStream| {
        syn::parse2::<syn::Type>(t)
            .map_err(|e| Error(format!("`{op}`: a type does not parse: {e}")))
    };
    let payload = parse(rust_type(reply, enums))?;
    let item = match &m.data {
        Some(DataParam::Typed(s)) if s.get("type").and_then(Value::as_str) == Some("array") => {
            parse(rust_type(s.get("items").unwrap_or(&Value::Null), enums))?
        }
        Some(DataParam::Typed(s)) => parse(rust_type(s, enums))?,
        _ => {
            return Err(Error(format!(
                "`{op}` paginates, but its builder keeps no typed `data`"
            )));
        }
    };
    crate::pages::rust_stream(structs, op, paging, &payload, Some(&item))
}

/// The v1 methods and their builders; with progenitor's structs (`pages`), a paginated
/// call's builder also has `.stream()`.
pub(crate) fn tokens_with_pages(
    api: &Api,
    methods: &[V1Method],
    known_errors: &[(String, String)],
    error_kinds: &std::collections::BTreeMap<String, String>,
    enums: &[IntEnum],
    examples: &std::collections::BTreeMap<&str, &str>,
    pages: Option<&crate::pages::Structs>,
) -> Result<TokenStream, Error> {
    let mut fns = Vec::new();
    let mut builders = Vec::new();
    for m in methods {
        let name = m.rust_name();
        let builder = m.builder_name();
        let doc = docs(api, m, examples);
        let path = &m.path;
        let v1_type = &m.v1_type;
        let op_id = &m.operation_id;
        // `data` as the method takes it, as the builder keeps it, and as it is sent.
        let (data_param, data_field, data_init, data_arg) = match &m.data {
            None => (quote!(), quote!(), quote!(), quote!(None::<()>)),
            Some(DataParam::EmptyArray) => (
                quote!(),
                quote!(),
                quote!(),
                quote!(Some(::std::vec::Vec::<::serde_json::Value>::new())),
            ),
            Some(DataParam::Typed(s)) if s.get("type").and_then(Value::as_str) == Some("array") => {
                let item = rust_type(s.get("items").unwrap_or(&Value::Null), enums);
                (
                    quote!(data: &[#item],),
                    quote!(pub(super) data: ::std::vec::Vec<#item>,),
                    quote!(data: data.to_vec(),),
                    quote!(Some(self.data)),
                )
            }
            Some(DataParam::Typed(s)) => {
                let t = rust_type(s, enums);
                (
                    quote!(data: &#t,),
                    quote!(pub(super) data: #t,),
                    quote!(data: data.clone(),),
                    quote!(Some(self.data)),
                )
            }
        };
        let mut params = Vec::new();
        let mut fields = Vec::new();
        let mut inits = Vec::new();
        let mut setters = Vec::new();
        let mut extra_values = Vec::new();
        for (prop, schema, required) in &m.extra {
            let ident = crate::names::rust_field(prop);
            let string = schema.get("type").and_then(Value::as_str) == Some("string");
            let stored = if string {
                quote!(::std::string::String)
            } else {
                rust_type(schema, enums)
            };
            if *required {
                if string {
                    params.push(quote!(#ident: &str,));
                    inits.push(quote!(#ident: #ident.to_string(),));
                } else {
                    params.push(quote!(#ident: #stored,));
                    inits.push(quote!(#ident,));
                }
                fields.push(quote!(pub(super) #ident: #stored,));
            } else {
                fields.push(quote!(pub(super) #ident: ::std::option::Option<#stored>,));
                inits.push(quote!(#ident: ::std::option::Option::None,));
                let doc = format!(" `{prop}` of the envelope (left out when not set).");
                let (arg, value) = if string {
                    (
                        quote!(impl ::std::convert::Into<::std::string::String>),
                        quote!(value.into()),
                    )
                } else {
                    (quote!(#stored), quote!(value))
                };
                setters.push(quote! {
                    #[doc = #doc]
                    pub fn #ident(mut self, value: #arg) -> Self {
                        self.#ident = ::std::option::Option::Some(#value);
                        self
                    }
                });
            }
            extra_values.push(quote!((#prop, ::serde_json::to_value(self.#ident).unwrap_or(::serde_json::Value::Null))));
        }
        let ret = reply_type(&m.reply, enums);
        let finish = match &m.reply {
            Reply::Text => quote!(::sonoran_runtime::Reply::text),
            Reply::Json(_) => quote!(::sonoran_runtime::Reply::json),
            Reply::JsonOrText(_) => quote!(::sonoran_runtime::Reply::json_or_text),
        };
        let fills_server_id = m.fills_server_id && api.server_id_default;
        let deprecated = m.deprecated.then(|| {
            let note = format!(
                "{} is no longer in the {} docs; see the method's documentation",
                m.v1_type, api.vendor
            );
            quote!(#[deprecated(note = #note)])
        });
        let builder_doc = format!(
            " `{}` (v1 `{v1_type}`): the request [`crate::V1::{name}`] returns. Set optional values, then `.send().await` or `.await` it.",
            m.method
        );
        let common = crate::v2_requests::call_option_setters();
        let stream = match (pages, &m.paging) {
            (Some(structs), Some(paging)) => stream(structs, m, paging, enums)?,
            _ => quote!(),
        };
        fns.push(quote! {
            #( #[doc = #doc] )*
            #deprecated
            pub fn #name(&self, #data_param #(#params)*) -> requests::#builder {
                requests::#builder {
                    client: self.client.clone(),
                    #data_init
                    #(#inits)*
                    options: ::std::default::Default::default(),
                }
            }
        });
        builders.push(quote! {
            #[doc = #builder_doc]
            #[derive(Debug, Clone)]
            #[must_use = "a request does nothing until it is sent: `.send().await` or `.await` it"]
            pub struct #builder {
                pub(super) client: crate::Client,
                #data_field
                #(#fields)*
                pub(super) options: ::sonoran_runtime::CallOptions,
            }

            impl #builder {
                #(#setters)*

                #common

                #stream

                // `#[inline]` here and below: see `v2_requests::one` (the future is built
                // where an operation is called, not for every operation in this crate).
                /// Sends the request (paced, retried per the client's policies).
                #[inline]
                pub fn send(self) -> crate::CallFuture<#ret> {
                    self.send_with_response().into()
                }

                /// Sends the request like [`Self::send`] and resolves to the reply with its
                /// status, headers, request id, attempts and elapsed time.
                #[inline]
                pub fn send_with_response(self) -> crate::ResponseFuture<#ret> {
                    let extra = vec![#(#extra_values),*];
                    self.client.v1_call(self.options, #op_id, #path, #v1_type, #data_arg, #fills_server_id, extra, #finish)
                }
            }

            impl ::std::future::IntoFuture for #builder {
                type Output = ::std::result::Result<#ret, crate::Error>;
                type IntoFuture = crate::CallFuture<#ret>;
                #[inline]
                fn into_future(self) -> Self::IntoFuture {
                    self.send()
                }
            }
        });
    }
    let variants: Vec<_> = known_errors
        .iter()
        .map(|(_, v)| format_ident!("{}", v))
        .collect();
    let texts: Vec<_> = known_errors.iter().map(|(t, _)| t.as_str()).collect();
    let count = variants.len();
    // The documented texts with a kind of their own (`x-error-kinds`), in table order.
    let (kind_variants, kinds): (Vec<_>, Vec<_>) = known_errors
        .iter()
        .filter_map(|(text, code)| {
            let kind = error_kinds.get(text)?;
            Some((
                format_ident!("{}", code),
                crate::names::rust_type_ident(kind),
            ))
        })
        .unzip();
    let kind_body = if kinds.is_empty() {
        quote! {
            let _ = self;
            None
        }
    } else {
        quote! {
            match self {
                #( Self::#kind_variants => Some(::sonoran_runtime::ErrorKind::#kinds), )*
                #[allow(unreachable_patterns)]
                _ => None,
            }
        }
    };
    Ok(quote! {
        /// The documented plain-text v1 errors, each a known code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum V1ErrorCode {
            #( #[doc = #texts] #variants, )*
        }

        impl V1ErrorCode {
            pub const ALL: [Self; #count] = [ #( Self::#variants ),* ];

            /// The exact text the API sends.
            pub fn text(self) -> &'static str {
                match self { #( Self::#variants => #texts, )* }
            }

            /// The kind of refusal the docs say this text is (`x-error-kinds`), when they say
            /// more than "the API refused" ([`sonoran_runtime::ErrorKind::Api`]).
            pub fn kind(self) -> ::std::option::Option<::sonoran_runtime::ErrorKind> {
                #kind_body
            }

            /// The code of a v1 error body, when it is a documented one.
            pub fn from_text(body: &str) -> ::std::option::Option<Self> {
                match body.trim() {
                    #( #texts => Some(Self::#variants), )*
                    _ => None,
                }
            }
        }

        #[cfg(feature = "http")]
        impl crate::V1 {
            #( #fns )*
        }

        /// One request builder per v1 call, returned by its [`crate::V1`] method (and
        /// re-exported in [`crate::requests`]).
        #[cfg(feature = "http")]
        pub mod requests {
            // The page items' types, as `.stream()` names them.
            #[allow(unused_imports)]
            use crate::types;

            #( #builders )*
        }
    })
}

/// `x-known-values` of the `V1ErrorText` schema: (text, code name).
pub fn known_errors(doc: &Value) -> Vec<(String, String)> {
    doc.pointer("/components/schemas/V1ErrorText/x-known-values")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(text, code)| Some((text.clone(), code.as_str()?.to_string())))
        .collect()
}

/// `x-error-kinds` of the `V1ErrorText` schema: documented text -> the `ErrorKind` name
/// (`planRefused`) the docs make it. Each text must be one of `x-known-values`, each kind a
/// kind of the runtime's `ErrorKind` other than `api` (every other text's kind).
pub fn error_kinds(doc: &Value) -> Result<std::collections::BTreeMap<String, String>, Error> {
    const WHERE: &str = "components/v1.yaml: V1ErrorText `x-error-kinds`";
    let known: std::collections::BTreeSet<String> =
        known_errors(doc).into_iter().map(|(t, _)| t).collect();
    let Some(table) = doc.pointer("/components/schemas/V1ErrorText/x-error-kinds") else {
        return Ok(Default::default());
    };
    let table = table
        .as_object()
        .ok_or_else(|| Error(format!("{WHERE}: expected a map of v1 error text to kind")))?;
    let mut out = std::collections::BTreeMap::new();
    for (text, kind) in table {
        let kind = kind
            .as_str()
            .ok_or_else(|| Error(format!("{WHERE}: `{text}`: the kind must be a string")))?;
        if !known.contains(text) {
            return Err(Error(format!(
                "{WHERE}: `{text}` is not one of the documented texts (`x-known-values`)"
            )));
        }
        match sonoran_runtime::ErrorKind::from_name(kind) {
            Some(k) if k != sonoran_runtime::ErrorKind::Api => {}
            _ => {
                let names: Vec<&str> = sonoran_runtime::ErrorKind::ALL
                    .iter()
                    .map(|k| k.as_str())
                    .filter(|n| *n != "api")
                    .collect();
                return Err(Error(format!(
                    "{WHERE}: `{text}`: `{kind}` is not an error kind (one of {})",
                    names.join(", ")
                )));
            }
        }
        out.insert(text.clone(), kind.to_string());
    }
    Ok(out)
}
