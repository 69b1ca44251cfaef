//! The public v2 calls: one method and one request builder per operation.
//!
//! `client.get_calls()` returns a `requests::GetCalls` whose setters name the optional
//! parameters (`.type_(CallTableType::Active)`); `.send().await`, or just `.await`, runs
//! it. Required parameters (path parameters, required query parameters, a required body)
//! are the method's arguments, so leaving one out does not compile; an
//! `x-exactly-one-of` group is one argument of its enum ([`crate::targets`]). `serverId`
//! is a setter whose default is the client's configured server.
//!
//! Each builder is made from progenitor's positional method (generated, parsed with syn,
//! not emitted): its signature says how each parameter is passed, and its statements that
//! build the request (URL, path encoding, query parameters, body) become the builder's own,
//! so the builders never drift from progenitor. The builder hands those statements, as a
//! closure, to the client's transport (`sonoran_runtime::http::Transport::call_v2`), which
//! paces, retries,
//! reads every failure (problem+json, the 429 body, plain text) into `crate::Error` and
//! decodes the documented reply: one layer of generated code per call, not two.

use crate::Error;
use crate::model::{Model, Operation};
use crate::progenitor_methods::{last_segment_args, option_inner};
use crate::targets::{Group, Target};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use sonoran_spec::api::Api;
use std::collections::BTreeMap;

/// How progenitor passes one parameter.
#[derive(Clone)]
enum Pass {
    /// `&'a str`: stored as `String`.
    Str,
    /// `&'a T`: stored as `T`.
    Ref(syn::Type),
    /// `T` by value.
    Value(syn::Type),
}

#[derive(Clone)]
struct Param {
    ident: syn::Ident,
    pass: Pass,
    optional: bool,
    server_id: bool,
    doc: Option<String>,
    /// In a group: the group's index.
    group: Option<usize>,
}

impl Param {
    fn stored(&self) -> TokenStream {
        match &self.pass {
            Pass::Str => quote!(::std::string::String),
            Pass::Ref(t) | Pass::Value(t) => quote!(#t),
        }
    }
}

/// Public methods, builders and their docs for every v2 operation.
pub fn tokens(
    api: &Api,
    progenitor: &TokenStream,
    model: &Model,
    targets: &BTreeMap<String, Target>,
    examples: &BTreeMap<&str, &str>,
) -> Result<TokenStream, Error> {
    let ops: BTreeMap<String, &Operation> = model
        .v2()
        .map(|op| (crate::names::snake_case(op.id), op))
        .collect();
    let envelopes = envelope_payloads(progenitor)?;
    let structs = crate::pages::Structs::parse(progenitor)?;
    let mut methods = Vec::new();
    let mut builders = Vec::new();
    for f in crate::progenitor_methods::Methods::parse(progenitor)?.iter() {
        let name = f.sig.ident.to_string();
        let op = ops
            .get(&name)
            .ok_or_else(|| Error(format!("progenitor method `{name}` has no v2 operation")))?;
        let paging = crate::pages::describe(model.doc, op)?;
        let (m, b) = one(
            api,
            f,
            op,
            targets,
            examples,
            &envelopes,
            paging.as_ref().map(|p| (&structs, p)),
        )?;
        methods.push(m);
        builders.push(b);
    }
    if methods.is_empty() {
        return Err(Error(
            "progenitor output has no client methods to wrap".into(),
        ));
    }
    Ok(quote! {
        //! The v2 operations: a method on [`crate::Client`] each, returning its request
        //! builder from [`requests`].
        use super::client::types;

        impl crate::Client {
            #( #methods )*
        }

        /// One request builder per v2 operation, returned by its [`crate::Client`] method.
        ///
        /// Set optional parameters by name, then `.send().await` (or `.await` the builder
        /// itself). A builder does nothing until it is sent; it can be cloned and sent again.
        /// It owns what it needs (a clone of the client), so it can be stored, joined and
        /// spawned. The v1 calls' builders are here too.
        pub mod requests {
            use super::super::client::types;
            // progenitor's statements that build a request encode path parameters with it.
            #[allow(unused_imports)]
            use ::sonoran_runtime::http::encode_path;
            #[doc(inline)]
            pub use super::super::v1::requests::*;

            #( #builders )*
        }
    })
}

/// The setters every request builder has (v1 and v2): the call's deadline and its own
/// headers, kept in the builder's `options` field.
pub(crate) fn call_option_setters() -> TokenStream {
    quote! {
        /// The deadline of this call, replacing the client's timeout: it bounds the whole
        /// call (the wait for the rate limit, every attempt and every wait between them). A
        /// wait the server asks for that would pass it fails the call at once.
        pub fn timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.options.timeout = ::std::option::Option::Some(timeout);
            self
        }

        /// A header for this request only, sent besides the client's own (a name or value
        /// that cannot go in an HTTP header fails the call as an invalid request).
        pub fn header(
            mut self,
            name: impl ::std::convert::Into<::std::string::String>,
            value: impl ::std::convert::Into<::std::string::String>,
        ) -> Self {
            self.options.headers.push((name.into(), value.into()));
            self
        }
    }
}

fn success_status(op: &Operation) -> u16 {
    op.success().and_then(|r| r.status()).unwrap_or(200)
}

/// The method's docs: summary, description, wire line, rate limit, docs page, example.
fn method_docs(
    api: &Api,
    op: &Operation,
    builder: &str,
    examples: &BTreeMap<&str, &str>,
) -> Vec<String> {
    let (path, method, id) = (op.path, op.method, op.id);
    let mut lines = Vec::new();
    if let Some(s) = op.summary.map(crate::prose::for_users) {
        lines.push(s);
        lines.push(String::new());
    }
    if let Some(d) = op.description {
        for para in d.split("\n\n") {
            lines.push(crate::prose::for_users(para));
            lines.push(String::new());
        }
    }
    lines.push(format!(
        "`{} {path}` (operation `{id}`). Returns a [`requests::{builder}`]: set optional parameters on it, then `.send().await` or `.await` it.",
        method.to_ascii_uppercase()
    ));
    lines.push(String::new());
    lines.push(match op.rate_limit {
        Some(n) => format!(
            "Rate limit: {n} requests per minute per API key; the client paces calls to it."
        ),
        None => "Rate limit: none documented.".into(),
    });
    if let Some(page) = op.docs_page {
        lines.push(String::new());
        lines.push(format!("Docs: <{}>", api.docs_link(page)));
    }
    lines.extend(crate::doc_examples::section(examples, id));
    lines.into_iter().map(|l| format!(" {l}")).collect()
}

fn param_docs(op: &Operation) -> BTreeMap<String, String> {
    op.params
        .iter()
        .filter_map(|p| {
            Some((
                crate::names::snake_case(p.name),
                crate::prose::for_users(p.description?),
            ))
        })
        .collect()
}

fn one(
    api: &Api,
    f: &syn::ImplItemFn,
    op: &Operation,
    targets: &BTreeMap<String, Target>,
    examples: &BTreeMap<&str, &str>,
    envelopes: &BTreeMap<String, syn::Type>,
    // A paginated operation: how (and progenitor's types, to read its pages).
    paging: Option<(&crate::pages::Structs, &crate::pages::Paging)>,
) -> Result<(TokenStream, TokenStream), Error> {
    let sig = &f.sig;
    let name = &sig.ident;
    let id = op.id;
    let builder = format_ident!("{}", crate::names::pascal_case(&name.to_string()));
    let body_type = response_type(&sig.output)
        .ok_or_else(|| Error(format!("`{name}`: unexpected return type from progenitor")))?;
    let groups: Vec<Group> = crate::targets::groups(op.raw, id)?;
    let descriptions = param_docs(op);

    let mut params = Vec::new();
    for input in &sig.inputs {
        let syn::FnArg::Typed(pat) = input else {
            continue;
        };
        let syn::Pat::Ident(ident) = pat.pat.as_ref() else {
            return Err(Error(format!("`{name}`: unexpected parameter pattern")));
        };
        let ident = ident.ident.clone();
        let (optional, inner) = match option_inner(&pat.ty) {
            Some(t) => (true, t.clone()),
            None => (false, (*pat.ty).clone()),
        };
        let pass = match &inner {
            syn::Type::Reference(r) => match r.elem.as_ref() {
                syn::Type::Path(p) if p.path.is_ident("str") => Pass::Str,
                t => Pass::Ref(t.clone()),
            },
            t => Pass::Value(t.clone()),
        };
        let server_id = api.server_id_default
            && ident == "server_id"
            && !optional
            && matches!(&pass, Pass::Value(_));
        let wire = ident.to_string();
        let group = groups.iter().position(|g| {
            g.fields
                .iter()
                .any(|f| crate::names::snake_case(f) == wire.trim_end_matches('_'))
        });
        if group.is_some() && !optional {
            return Err(Error(format!(
                "`{id}`: `{wire}` is in an `x-exactly-one-of` group but required"
            )));
        }
        let doc = if ident == "body" {
            Some("The request body.".to_string())
        } else {
            descriptions.get(wire.trim_end_matches('_')).cloned()
        };
        params.push(Param {
            ident,
            pass,
            optional: optional || server_id,
            server_id,
            doc,
            group,
        });
    }
    for (i, g) in groups.iter().enumerate() {
        let found = params.iter().filter(|p| p.group == Some(i)).count();
        if found != g.fields.len() {
            return Err(Error(format!(
                "`{id}`: `x-exactly-one-of` `{}` names {} fields, the operation has {found} of them as query parameters",
                g.name,
                g.fields.len()
            )));
        }
    }

    // The builder's fields: each parameter outside a group, then one per group.
    let mut fields = Vec::new();
    let mut ctor_params = Vec::new();
    let mut ctor_inits = Vec::new();
    let mut setters = Vec::new();
    for p in params.iter().filter(|p| p.group.is_none()) {
        let id = &p.ident;
        let stored = p.stored();
        if p.optional {
            fields.push(quote!(pub(super) #id: ::std::option::Option<#stored>));
            ctor_inits.push(quote!(#id: ::std::option::Option::None));
            let doc = if p.server_id {
                " The server (`serverId`); the client's configured server when not set.".to_string()
            } else {
                format!(" {}", p.doc.clone().unwrap_or_else(|| format!("`{id}`.")))
            };
            let arg_ty = match &p.pass {
                Pass::Str => quote!(impl ::std::convert::Into<::std::string::String>),
                _ => quote!(#stored),
            };
            let value = match &p.pass {
                Pass::Str => quote!(value.into()),
                _ => quote!(value),
            };
            setters.push(quote! {
                #[doc = #doc]
                pub fn #id(mut self, value: #arg_ty) -> Self {
                    self.#id = ::std::option::Option::Some(#value);
                    self
                }
            });
        } else {
            fields.push(quote!(pub(super) #id: #stored));
            match &p.pass {
                Pass::Str => {
                    ctor_params.push(quote!(#id: impl ::std::convert::Into<::std::string::String>));
                    ctor_inits.push(quote!(#id: #id.into()));
                }
                _ => {
                    ctor_params.push(quote!(#id: #stored));
                    ctor_inits.push(quote!(#id));
                }
            }
        }
    }
    for g in &groups {
        let arg = format_ident!("{}", g.argument);
        let enum_ty = targets
            .get(&g.name)
            .map(Target::ident)
            .ok_or_else(|| Error(format!("`{id}`: unknown target `{}`", g.name)))?;
        fields.push(quote!(pub(super) #arg: crate::targets::#enum_ty));
        ctor_params.push(quote!(#arg: crate::targets::#enum_ty));
        ctor_inits.push(quote!(#arg));
        let doc = format!(" Replaces the `{}` given to the method.", g.argument);
        setters.push(quote! {
            #[doc = #doc]
            pub fn #arg(mut self, value: crate::targets::#enum_ty) -> Self {
                self.#arg = value;
                self
            }
        });
    }

    // `send`: each group into its fields' locals, then progenitor's call.
    let mut locals = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        let arg = format_ident!("{}", g.argument);
        let enum_ty = targets[&g.name].ident();
        let members: Vec<&Param> = params.iter().filter(|p| p.group == Some(i)).collect();
        for p in &members {
            let id = &p.ident;
            let t = match &p.pass {
                Pass::Str => quote!(&str),
                Pass::Ref(t) => quote!(&#t),
                Pass::Value(t) => quote!(#t),
            };
            locals.push(
                quote!(let mut #id: ::std::option::Option<#t> = ::std::option::Option::None;),
            );
        }
        let arms = g.fields.iter().map(|field| {
            let v = crate::names::rust_type_ident(field);
            let p = members
                .iter()
                .find(|p| {
                    p.ident.to_string().trim_end_matches('_') == crate::names::snake_case(field)
                })
                .expect("counted above");
            let id = &p.ident;
            let value = match &p.pass {
                Pass::Str => quote!(v.as_str()),
                Pass::Ref(_) => quote!(v),
                Pass::Value(_) => quote!(*v),
            };
            quote!(crate::targets::#enum_ty::#v(v) => #id = ::std::option::Option::Some(#value),)
        });
        locals.push(quote!(match &self.#arg { #( #arms )* }));
    }
    let args = params.iter().map(|p| {
        let id = &p.ident;
        if p.group.is_some() {
            return quote!(#id);
        }
        if p.server_id {
            return quote!(self.#id.unwrap_or_else(|| __transport.inner.server_id()));
        }
        match (&p.pass, p.optional) {
            (Pass::Str, true) => quote!(self.#id.as_deref()),
            (Pass::Ref(_), true) => quote!(self.#id.as_ref()),
            (Pass::Value(_), true) => quote!(self.#id),
            (Pass::Str | Pass::Ref(_), false) => quote!(&self.#id),
            (Pass::Value(_), false) => quote!(self.#id),
        }
    });
    let status = success_status(op);
    let docs = method_docs(api, op, &builder.to_string(), examples);
    let deprecated = f.attrs.iter().filter(|a| a.path().is_ident("deprecated"));
    let builder_doc = format!(
        " `{id}`: the request [`crate::Client::{name}`] returns. Set optional parameters, then `.send().await` or `.await` it."
    );
    let method = quote! {
        #( #[doc = #docs] )*
        #( #deprecated )*
        pub fn #name(&self, #( #ctor_params ),*) -> requests::#builder {
            requests::#builder {
                client: self.clone(),
                #( #ctor_inits, )*
                options: ::std::default::Default::default(),
            }
        }
    };
    // The request is built as progenitor's method builds it (its URL, path encoding, query
    // parameters and body, from its own statements), then sent through the client's
    // transport, which paces, retries and decodes it.
    let build = request_statements(f)?;
    let bindings = params.iter().zip(args).map(|(p, arg)| {
        let id = &p.ident;
        quote!(let #id = #arg;)
    });
    // The statements go in a closure the transport runs for each attempt (a retry builds
    // its request anew rather than keep a copy of every request made in advance). The
    // closure owns the builder's fields it reads; the transport's `call_v2` runs the call
    // (one state machine in the runtime for every operation: no `async` code here, whose
    // checking per operation was most of this crate's compile time).
    let make = quote! {
        move |__transport: &::sonoran_runtime::http::Transport| {
            #( #locals )*
            #( #bindings )*
            #build
        }
    };
    // A documented success without a body (progenitor's `()`) is not decoded.
    let empty = matches!(&body_type, syn::Type::Tuple(t) if t.elems.is_empty());
    // An enveloped reply (`x-envelope` on the success response): the builder resolves to the
    // payload, `send_enveloped` to payload and `meta`; `success: false` is an error.
    // The senders are `#[inline]`: the compiler builds an operation's future in the crate
    // that calls it, for the operations it calls, not every operation's in this crate.
    let (send, body_type) = match enveloped_payload(op, &body_type, envelopes)? {
        None => {
            let call = if empty {
                quote!(self.client.raw.call_v2_empty(options, #id, #status, #make))
            } else {
                quote!(self.client.raw.call_v2(options, #id, #status, #make, ::std::result::Result::Ok))
            };
            (
                quote! {
                    /// Sends the request (paced, retried per the client's policies).
                    #[inline]
                    pub fn send(self) -> crate::CallFuture<#body_type> {
                        self.send_with_response().into()
                    }

                    /// Sends the request like [`Self::send`] and resolves to the reply with its
                    /// status, headers, request id, attempts and elapsed time.
                    #[inline]
                    pub fn send_with_response(self) -> crate::ResponseFuture<#body_type> {
                        let options = self.options;
                        #call
                    }
                },
                body_type,
            )
        }
        Some(data) => (
            quote! {
                /// Sends the request (paced, retried per the client's policies) and resolves to
                /// the reply's `data`.
                #[inline]
                pub fn send(self) -> crate::CallFuture<#data> {
                    self.send_with_response().into()
                }

                /// Sends the request like [`Self::send`] and resolves to the reply's `data`
                /// with its status, headers, request id, attempts and elapsed time.
                #[inline]
                pub fn send_with_response(self) -> crate::ResponseFuture<#data> {
                    self.call_then(|reply| {
                        Self::envelope_checked(reply).map(|r| r.map(|envelope| envelope.data))
                    })
                }

                /// Sends the request like [`Self::send`] and resolves to the whole envelope:
                /// `data` and `meta`. A reply whose `success` is not `true` is an error.
                #[inline]
                pub fn send_enveloped(self) -> crate::CallFuture<crate::Enveloped<#data>> {
                    self.send_enveloped_with_response().into()
                }

                /// [`Self::send_enveloped`] with the reply's status, headers, request id,
                /// attempts and elapsed time.
                #[inline]
                pub fn send_enveloped_with_response(
                    self,
                ) -> crate::ResponseFuture<crate::Enveloped<#data>> {
                    self.call_then(Self::envelope_checked)
                }

                /// The call, its decoded envelope handed to `then`.
                #[inline]
                fn call_then<U: ::std::marker::Send + 'static>(
                    self,
                    then: fn(crate::Response<#body_type>) -> ::std::result::Result<crate::Response<U>, crate::Error>,
                ) -> crate::ResponseFuture<U> {
                    let options = self.options;
                    self.client.raw.call_v2(options, #id, #status, #make, then)
                }

                /// The envelope's payload and `meta`, or the error a `success` other than
                /// `true` stands for.
                fn envelope_checked(
                    reply: crate::Response<#body_type>,
                ) -> ::std::result::Result<crate::Response<crate::Enveloped<#data>>, crate::Error> {
                    if !reply.value.success {
                        return Err(crate::runtime::unsuccessful(#status, &reply.value).with_call(
                            #id,
                            reply.attempts,
                            reply.elapsed,
                            reply.request_id.clone(),
                        ));
                    }
                    Ok(reply.map(|reply| crate::Enveloped { data: reply.data, meta: reply.meta }))
                }
            },
            data,
        ),
    };
    let common = call_option_setters();
    let stream = match paging {
        Some((structs, p)) => crate::pages::rust_stream(structs, id, p, &body_type, None)?,
        None => quote! {},
    };
    let builder_tokens = quote! {
        #[doc = #builder_doc]
        #[derive(Debug, Clone)]
        #[must_use = "a request does nothing until it is sent: `.send().await` or `.await` it"]
        pub struct #builder {
            pub(super) client: crate::Client,
            #( #fields, )*
            pub(super) options: ::sonoran_runtime::CallOptions,
        }

        impl #builder {
            #( #setters )*

            #common

            #send

            #stream
        }

        impl ::std::future::IntoFuture for #builder {
            type Output = ::std::result::Result<#body_type, crate::Error>;
            type IntoFuture = crate::CallFuture<#body_type>;
            #[inline]
            fn into_future(self) -> Self::IntoFuture {
                self.send()
            }
        }
    };
    Ok((method, builder_tokens))
}

/// The type of `data` of every envelope struct progenitor made (`{success, data, meta}`),
/// by struct name, as a path from the v2 module (`types::GetAccountRanksData`).
fn envelope_payloads(progenitor: &TokenStream) -> Result<BTreeMap<String, syn::Type>, Error> {
    let file: syn::File = syn::parse2(progenitor.clone())
        .map_err(|e| Error(format!("progenitor output does not parse: {e}")))?;
    let mut out = BTreeMap::new();
    for item in &file.items {
        let syn::Item::Mod(m) = item else { continue };
        if m.ident != "types" {
            continue;
        }
        for item in m.content.iter().flat_map(|(_, items)| items) {
            let syn::Item::Struct(st) = item else {
                continue;
            };
            let syn::Fields::Named(fields) = &st.fields else {
                continue;
            };
            let field = |name: &str| {
                fields
                    .named
                    .iter()
                    .find(|f| f.ident.as_ref().is_some_and(|i| i == name))
            };
            if let (Some(_), Some(data), Some(_)) = (field("success"), field("data"), field("meta"))
            {
                out.insert(st.ident.to_string(), qualify(&data.ty));
            }
        }
    }
    Ok(out)
}

/// A type of progenitor's `types` module as seen from the v2 module: its own names get a
/// `types::` prefix; absolute paths (`::std::...`) stay, their arguments qualified.
pub(crate) fn qualify(ty: &syn::Type) -> syn::Type {
    let mut ty = ty.clone();
    if let syn::Type::Path(p) = &mut ty
        && p.qself.is_none()
    {
        for seg in p.path.segments.iter_mut() {
            if let syn::PathArguments::AngleBracketed(args) = &mut seg.arguments {
                for arg in args.args.iter_mut() {
                    if let syn::GenericArgument::Type(t) = arg {
                        *t = qualify(t);
                    }
                }
            }
        }
        if p.path.leading_colon.is_none()
            && p.path
                .segments
                .first()
                .is_some_and(|s| s.ident != "types" && s.ident != "crate")
        {
            p.path
                .segments
                .insert(0, syn::PathSegment::from(format_ident!("types")));
        }
    }
    ty
}

/// The payload type of `op`'s reply when its success response is enveloped
/// (`x-envelope: data` on it), else `None`. An envelope the generated type does not have is
/// an error naming the operation.
fn enveloped_payload(
    op: &Operation,
    body_type: &syn::Type,
    envelopes: &BTreeMap<String, syn::Type>,
) -> Result<Option<syn::Type>, Error> {
    let Some(reply) = op.success() else {
        return Ok(None);
    };
    let mark = op.raw["responses"][reply.code][sonoran_spec::api::Envelope::MARK].as_str();
    let Some(key) = mark else {
        return Ok(None);
    };
    if key != "data" {
        return Err(Error(format!(
            "`{}`: `{}: {key}` names a payload property this generator does not unwrap (only `data`)",
            op.id,
            sonoran_spec::api::Envelope::MARK
        )));
    }
    let syn::Type::Path(p) = body_type else {
        return Err(Error(format!(
            "`{}`: the enveloped reply is not a named type",
            op.id
        )));
    };
    let name = p
        .path
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default();
    envelopes.get(&name).cloned().map(Some).ok_or_else(|| {
        Error(format!(
            "`{}`: the reply type `{name}` is not an envelope `{{success, data, meta}}`",
            op.id
        ))
    })
}

/// The statements of progenitor's method `f` that build its request, ending in the
/// expression of that request (a `reqwest::RequestBuilder`: the body of the closure the
/// transport runs for each attempt): its URL (`let url = format!(..)`,
/// path parameters encoded) and the builder chain (method, `accept`, query parameters,
/// body), without progenitor's `api-version` header (the Sonoran APIs do not use it, and
/// in a browser it would force a CORS preflight) and without `.build()?`, which the
/// transport does. `self` (progenitor's client) becomes `__transport` (the generated client's
/// transport, with the same `baseurl` and `client` fields). Any other statement before
/// progenitor's hooks is an error naming the method: this generator would not know what it
/// does.
fn request_statements(f: &syn::ImplItemFn) -> Result<TokenStream, Error> {
    let name = &f.sig.ident;
    let unexpected = |what: &str| {
        Error(format!(
            "`{name}`: unexpected {what} in progenitor's method body"
        ))
    };
    let mut out = Vec::new();
    let mut request = None;
    for stmt in &f.block.stmts {
        match stmt {
            syn::Stmt::Local(local) => {
                let syn::Pat::Ident(ident) = &local.pat else {
                    return Err(unexpected("pattern"));
                };
                let init = local
                    .init
                    .as_ref()
                    .ok_or_else(|| unexpected("`let` without a value"))?;
                // progenitor prefixes its own locals with `_` when a parameter has the name.
                let local = &ident.ident;
                match local.to_string().trim_start_matches('_') {
                    "url" => {
                        let value = &init.expr;
                        out.push(rebase(quote!(let #local = #value;)));
                    }
                    "header_map" => {}
                    "request" => {
                        let chain =
                            strip_build(&init.expr).ok_or_else(|| unexpected("request chain"))?;
                        request = Some(rebase(quote!(#chain)));
                    }
                    "info" => break,
                    _ => return Err(unexpected(&format!("`let {}`", ident.ident))),
                }
            }
            syn::Stmt::Expr(syn::Expr::MethodCall(call), _) if matches!(call.receiver.as_ref(), syn::Expr::Path(p) if p.path.is_ident("header_map")) =>
                {}
            _ => return Err(unexpected("statement")),
        }
    }
    let request = request.ok_or_else(|| unexpected("body without `let request`"))?;
    Ok(quote!(#( #out )* #request))
}

/// `chain` of `chain.headers(header_map).build()?`.
fn strip_build(expr: &syn::Expr) -> Option<&syn::Expr> {
    let syn::Expr::Try(t) = expr else { return None };
    let syn::Expr::MethodCall(build) = t.expr.as_ref() else {
        return None;
    };
    if build.method != "build" {
        return None;
    }
    let syn::Expr::MethodCall(headers) = build.receiver.as_ref() else {
        return None;
    };
    (headers.method == "headers").then_some(headers.receiver.as_ref())
}

/// `tokens` with every `self` as `__transport` (progenitor's `self.baseurl`, `self.client`;
/// a name no parameter has, as progenitor names them in snake case without leading `_`),
/// and progenitor-client's helpers (`progenitor_client::QueryParam`) as the runtime's
/// (`::sonoran_runtime::http::QueryParam`): the generated crates do not depend on
/// progenitor-client.
fn rebase(tokens: TokenStream) -> TokenStream {
    use proc_macro2::{Group, Ident, Punct, Spacing, TokenTree};
    let mut out: Vec<TokenTree> = Vec::new();
    for t in tokens {
        match t {
            TokenTree::Ident(i) if i == "self" => {
                out.push(TokenTree::Ident(Ident::new("__transport", i.span())));
            }
            TokenTree::Ident(i) if i == "progenitor_client" => {
                let rooted = matches!(out.last(), Some(TokenTree::Punct(p)) if p.as_char() == ':');
                let colons = || {
                    [
                        TokenTree::Punct(Punct::new(':', Spacing::Joint)),
                        TokenTree::Punct(Punct::new(':', Spacing::Alone)),
                    ]
                };
                if !rooted {
                    out.extend(colons());
                }
                out.push(TokenTree::Ident(Ident::new("sonoran_runtime", i.span())));
                out.extend(colons());
                out.push(TokenTree::Ident(Ident::new("http", i.span())));
            }
            TokenTree::Group(g) => {
                let mut inner = Group::new(g.delimiter(), rebase(g.stream()));
                inner.set_span(g.span());
                out.push(TokenTree::Group(inner));
            }
            other => out.push(other),
        }
    }
    out.into_iter().collect()
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

#[cfg(test)]
mod tests {
    use super::request_statements;

    #[test]
    fn a_method_becomes_its_request_building_statements() {
        // progenitor names its own local `_url` when a parameter is called `url`.
        let f: syn::ImplItemFn = syn::parse_quote! {
            pub async fn get_login_page<'a>(&'a self, url: Option<&'a str>) -> Result<ResponseValue<types::X>, Error<()>> {
                let _url = format!("{}/v2/general/login-page", self.baseurl,);
                let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
                header_map.append(
                    ::reqwest::header::HeaderName::from_static("api-version"),
                    ::reqwest::header::HeaderValue::from_static(Self::api_version()),
                );
                #[allow(unused_mut)]
                let mut request = self
                    .client
                    .get(_url)
                    .query(&progenitor_client::QueryParam::new("url", &url))
                    .headers(header_map)
                    .build()?;
                let info = OperationInfo { operation_id: "get_login_page" };
                self.pre(&mut request, &info).await?;
                unreachable!()
            }
        };
        let out = request_statements(&f).unwrap().to_string();
        assert_eq!(
            out,
            quote::quote! {
                let _url = format!("{}/v2/general/login-page", __transport.baseurl,);
                __transport
                    .client
                    .get(_url)
                    .query(&::sonoran_runtime::http::QueryParam::new("url", &url))
            }
            .to_string()
        );
        assert!(!out.contains("api-version") && !out.contains("self"));
    }

    #[test]
    fn progenitor_client_paths_become_the_runtimes_rooted_or_not() {
        let out = super::rebase(quote::quote! {
            f(progenitor_client::encode_path(&x), ::progenitor_client::QueryParam::new("a", &self.a))
        });
        assert_eq!(
            out.to_string(),
            quote::quote! {
                f(::sonoran_runtime::http::encode_path(&x), ::sonoran_runtime::http::QueryParam::new("a", &__transport.a))
            }
            .to_string()
        );
    }

    #[test]
    fn a_statement_it_does_not_know_is_an_error_naming_the_method() {
        let f: syn::ImplItemFn = syn::parse_quote! {
            pub async fn put_thing<'a>(&'a self, body: &'a types::Thing) -> Result<ResponseValue<()>, Error<()>> {
                let url = format!("{}/v2/thing", self.baseurl,);
                body.validate()?;
                let mut request = self.client.put(url).json(&body).headers(header_map).build()?;
                let info = OperationInfo { operation_id: "put_thing" };
                unreachable!()
            }
        };
        let e = request_statements(&f).unwrap_err().to_string();
        assert!(e.contains("`put_thing`") && e.contains("statement"), "{e}");

        let no_build: syn::ImplItemFn = syn::parse_quote! {
            pub async fn get_thing<'a>(&'a self) -> Result<ResponseValue<()>, Error<()>> {
                let url = format!("{}/v2/thing", self.baseurl,);
                let mut request = self.client.get(url);
                let info = OperationInfo { operation_id: "get_thing" };
                unreachable!()
            }
        };
        let e = request_statements(&no_build).unwrap_err().to_string();
        assert!(
            e.contains("`get_thing`") && e.contains("request chain"),
            "{e}"
        );
    }
}
