//! Push events (`x-push-events` of the merged document) to the Rust `PushEvent` enum with its
//! payload types, and to the npm package's decoding table and TypeScript union.
//!
//! Both decoders apply the same `x-lenient` normalisations: Rust from a rule table (paths into
//! the payload, parents first), JavaScript from a compact schema tree that it also validates
//! against. Both are read from the same schemas here.

use crate::Error;
use crate::typescript::doc_text;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;
use sonoran_spec::api::Api;
use sonoran_spec::events::{SCHEMA_REF, SCHEMAS_KEY};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One documented event type.
#[derive(Debug, Clone)]
pub struct Event {
    pub type_: String,
    pub variant: String,
    pub summary: String,
    pub docs_page: String,
    /// Name of its payload schema in `components/x-push-event-schemas`.
    pub schema: String,
}

/// The events of the merged document, sorted by type string.
pub fn collect(doc: &Value) -> Result<Vec<Event>, Error> {
    sonoran_spec::events::events(doc)
        .map(|(type_, e)| {
            let (schema, _) = sonoran_spec::events::event_schema(doc, e)
                .ok_or_else(|| Error(format!("push event {type_}: `schema` does not resolve")))?;
            let text = |k: &str| {
                e.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            Ok(Event {
                type_: type_.to_string(),
                variant: text("variant"),
                summary: text("summary"),
                docs_page: text("docs-page"),
                schema: schema.to_string(),
            })
        })
        .collect()
}

fn schemas(doc: &Value) -> BTreeMap<String, Value> {
    doc.pointer("/components")
        .and_then(|c| c.get(SCHEMAS_KEY))
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// Where a `$ref` points: a payload schema (by name) or a shared component schema.
enum Ref<'a> {
    Event(&'a str),
    Component(&'a str),
}

fn ref_of(schema: &Value) -> Option<Ref<'_>> {
    let r = schema.get("$ref")?.as_str()?;
    if let Some(name) = r.strip_prefix(SCHEMA_REF) {
        Some(Ref::Event(name))
    } else {
        r.strip_prefix("#/components/schemas/").map(Ref::Component)
    }
}

/// Whether a schema is a struct (an object with properties) rather than a value type.
fn is_struct(schema: &Value) -> bool {
    schema.get("properties").is_some()
}

// ---------------------------------------------------------------------------------------
// Rust

struct RustTypes<'a> {
    named: &'a BTreeMap<String, Value>,
    enums: &'a [crate::enums::IntEnum],
    items: Vec<TokenStream>,
    done: std::collections::BTreeSet<String>,
}

impl RustTypes<'_> {
    /// The Rust type of `schema`; `name` is what an inline struct or enum would be called.
    fn ty(&mut self, schema: &Value, name: &str) -> Result<TokenStream, Error> {
        match ref_of(schema) {
            Some(Ref::Event(target)) => {
                let target_schema = self
                    .named
                    .get(target)
                    .ok_or_else(|| Error(format!("push-event schema `{target}` does not exist")))?
                    .clone();
                if is_struct(&target_schema) {
                    self.define(&target_schema, target)?;
                    let id = format_ident!("{}", target);
                    return Ok(quote!(#id));
                }
                return self.ty(&target_schema, name);
            }
            Some(Ref::Component(target)) => {
                if self.enums.iter().any(|e| e.name == target) {
                    let id = format_ident!("{}", target);
                    return Ok(quote!(crate::enums::#id));
                }
                return Err(Error(format!(
                    "push-event schema `{name}` refers to components/schemas/{target}, which is \
                     not an integer enum; describe it under events/ instead"
                )));
            }
            None => {}
        }
        if let Some(parts) = schema.get("oneOf").and_then(Value::as_array) {
            return self.one_of(parts, name);
        }
        Ok(match schema.get("type").and_then(Value::as_str) {
            Some("string") => quote!(::std::string::String),
            Some("integer") => quote!(i64),
            Some("number") => quote!(f64),
            Some("boolean") => quote!(bool),
            Some("array") => {
                let items = match schema.get("items") {
                    Some(items) => self.ty(items, name)?,
                    None => quote!(::serde_json::Value),
                };
                quote!(::std::vec::Vec<#items>)
            }
            Some("object") if is_struct(schema) => {
                self.define(schema, name)?;
                let id = format_ident!("{}", name);
                quote!(#id)
            }
            Some("object") => quote!(::serde_json::Map<::std::string::String, ::serde_json::Value>),
            _ => quote!(::serde_json::Value),
        })
    }

    fn one_of(&mut self, parts: &[Value], name: &str) -> Result<TokenStream, Error> {
        let id = format_ident!("{}", name);
        if self.done.insert(name.to_string()) {
            let mut variants = Vec::new();
            for part in parts {
                let (variant, ty) = match part.get("type").and_then(Value::as_str) {
                    Some("integer") => (quote!(Integer), quote!(i64)),
                    Some("number") => (quote!(Number), quote!(f64)),
                    Some("string") => (quote!(String), quote!(::std::string::String)),
                    Some("boolean") => (quote!(Boolean), quote!(bool)),
                    other => {
                        return Err(Error(format!(
                            "push-event schema `{name}`: oneOf of {other:?} is not supported (primitive types only)"
                        )));
                    }
                };
                let doc = format!("Sent as {}.", part["type"].as_str().unwrap_or_default());
                variants.push(quote!(#[doc = #doc] #variant(#ty)));
            }
            self.items.push(quote! {
                /// One of several documented forms.
                #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
                #[serde(untagged)]
                pub enum #id { #(#variants,)* }
            });
        }
        Ok(quote!(#id))
    }

    fn define(&mut self, schema: &Value, name: &str) -> Result<(), Error> {
        if !self.done.insert(name.to_string()) {
            return Ok(());
        }
        let required = crate::required_names(schema);
        let mut fields = Vec::new();
        for (prop, prop_schema) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let inner = format!("{name}{}", crate::names::pascal_case(prop));
            let ty = self.ty(prop_schema, &inner)?;
            let field = crate::names::rust_field(prop);
            let doc = description(prop_schema, self.named);
            let doc_attr = (!doc.is_empty()).then(|| quote!(#[doc = #doc]));
            if required.contains(&prop.as_str()) {
                fields.push(quote! {
                    #doc_attr
                    #[serde(rename = #prop)]
                    pub #field: #ty
                });
            } else {
                fields.push(quote! {
                    #doc_attr
                    #[serde(rename = #prop, default, skip_serializing_if = "Option::is_none")]
                    pub #field: ::std::option::Option<#ty>
                });
            }
        }
        let id = format_ident!("{}", name);
        let doc = description(schema, self.named);
        let doc = if doc.is_empty() {
            format!("`{name}` (a push event's payload or a part of one).")
        } else {
            doc
        };
        self.items.push(quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
            pub struct #id { #(#fields,)* }
        });
        Ok(())
    }
}

/// A schema's description, or that of the schema it refers to.
pub(crate) fn description(schema: &Value, named: &BTreeMap<String, Value>) -> String {
    if let Some(d) = schema.get("description").and_then(Value::as_str) {
        return d.trim().to_string();
    }
    if let Some(Ref::Event(target)) = ref_of(schema)
        && let Some(t) = named.get(target)
    {
        return description(t, named);
    }
    String::new()
}

/// A normalisation at one place of a payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Object keys, and `None` for "each item of the array here".
    pub path: Vec<Option<String>>,
    pub lenient: String,
}

/// The `x-lenient` rules of a payload schema, parents before children, and an `object`
/// check wherever the schema describes an object with properties.
pub fn rules(schema: &Value, named: &BTreeMap<String, Value>) -> Vec<Rule> {
    let mut out = Vec::new();
    walk_rules(schema, named, &mut Vec::new(), &mut out, 0);
    out
}

fn walk_rules(
    schema: &Value,
    named: &BTreeMap<String, Value>,
    path: &mut Vec<Option<String>>,
    out: &mut Vec<Rule>,
    depth: usize,
) {
    if depth > 16 {
        return;
    }
    if let Some(Ref::Event(target)) = ref_of(schema) {
        if let Some(t) = named.get(target) {
            walk_rules(t, named, path, out, depth + 1);
        }
        return;
    }
    if let Some(l) = schema.get("x-lenient").and_then(Value::as_str) {
        out.push(Rule {
            path: path.clone(),
            lenient: l.to_string(),
        });
    }
    if is_struct(schema) {
        // A check, after the normalisations: serde would also take a struct from an array.
        out.push(Rule {
            path: path.clone(),
            lenient: "object".into(),
        });
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (prop, s) in props {
            path.push(Some(prop.clone()));
            walk_rules(s, named, path, out, depth + 1);
            path.pop();
        }
    }
    if let Some(items) = schema.get("items") {
        path.push(None);
        walk_rules(items, named, path, out, depth + 1);
        path.pop();
    }
}

fn lenient_variant(rule: &str) -> Result<TokenStream, Error> {
    Ok(match rule {
        "one-element-array" => quote!(Lenient::OneElementArray),
        "single-as-list" => quote!(Lenient::SingleAsList),
        "numeric-string" => quote!(Lenient::NumericString),
        "object" => quote!(Lenient::Object),
        other => return Err(Error(format!("unknown x-lenient rule `{other}`"))),
    })
}

/// `crates/client/src/generated/push_events.rs`.
pub fn rust_tokens(
    api: &Api,
    doc: &Value,
    events: &[Event],
    enums: &[crate::enums::IntEnum],
) -> Result<TokenStream, Error> {
    let named = schemas(doc);
    let mut types = RustTypes {
        named: &named,
        enums,
        items: Vec::new(),
        done: Default::default(),
    };
    let mut variants = Vec::new();
    let mut names = Vec::new();
    let mut decode_arms = Vec::new();
    let mut rule_arms = Vec::new();
    for e in events {
        let schema = named
            .get(&e.schema)
            .ok_or_else(|| Error(format!("push event {}: no schema {}", e.type_, e.schema)))?;
        types.define(schema, &e.schema)?;
        let variant = format_ident!("{}", e.variant);
        let payload = format_ident!("{}", e.schema);
        let type_ = &e.type_;
        let doc = format!(
            "`{type_}`: {}\n\n[{}'s docs page]({})",
            e.summary,
            api.vendor,
            api.docs_link(&e.docs_page)
        );
        variants.push(quote!(#[doc = #doc] #variant(#payload)));
        names.push(quote!(Self::#variant(_) => #type_));
        decode_arms.push(quote!(#type_ => typed(#type_, data).map(Self::#variant)));
        let rules = rules(schema, &named);
        let rule_items = rules
            .iter()
            .map(|r| {
                let steps = r.path.iter().map(|s| match s {
                    Some(k) => quote!(Step::Key(#k)),
                    None => quote!(Step::Each),
                });
                let lenient = lenient_variant(&r.lenient)?;
                Ok(quote!(Rule { path: &[#(#steps),*], lenient: #lenient }))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        rule_arms.push(quote!(#type_ => Some(&[#(#rule_items),*])));
    }
    let types = types.items;
    let count = events.len();
    let push_path = api.push_path;
    let path_doc = format!(
        " The path {} posts push events to on the community's server.",
        api.product
    );
    let type_names = events.iter().map(|e| e.type_.as_str());
    let ser_arms = events.iter().map(|e| {
        let variant = format_ident!("{}", e.variant);
        let type_ = &e.type_;
        quote!(Self::#variant(data) => { s.serialize_field("type", #type_)?; s.serialize_field("data", data)?; })
    });
    Ok(quote! {
        //! Push-event payload types and the `PushEvent` enum, from `x-push-events` of the
        //! merged document (`openapi/<api>/events/`).

        // `Step` only where a rule has a path (an API whose events need no path has none).
        #[allow(unused_imports)]
        use sonoran_runtime::events::{Lenient, Rule, Step, EventError, ReceiveError, typed};

        #(#types)*

        /// One push event, decoded: one variant per documented type, and [`PushEvent::Unknown`]
        /// for a type the docs do not list (kept with its raw `data`).
        ///
        /// Serializes as `{"type": ..., "data": ...}` with the decoded payload.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum PushEvent {
            #(#variants,)*
            /// A type the docs do not list, with its `data` as sent.
            Unknown {
                /// The `type` string as sent.
                type_: ::std::string::String,
                /// The `data` as sent.
                data: ::serde_json::Value,
            },
        }

        /// Every documented event type string, sorted.
        pub const DOCUMENTED_TYPES: [&str; #count] = [#(#type_names),*];

        impl PushEvent {
            /// The wire type string, e.g. `"EVENT_UNIT_STATUS"`.
            pub fn type_name(&self) -> &str {
                match self {
                    #(#names,)*
                    Self::Unknown { type_, .. } => type_,
                }
            }

            /// The typed decode of a documented type's normalised `data`; `None` for an
            /// undocumented type.
            pub(crate) fn decode_documented(type_: &str, data: ::serde_json::Value) -> ::std::option::Option<::std::result::Result<Self, EventError>> {
                Some(match type_ {
                    #(#decode_arms,)*
                    _ => return None,
                })
            }
        }

        impl PushEvent {
            /// Decodes one event's `type` and `data`, leniently where the docs disagree with
            /// themselves (an object or a one-element array, a single id or a list, a number or
            /// a numeric string, where the spec marks a field `x-lenient`). A type the docs do
            /// not list is `Ok(PushEvent::Unknown { .. })`.
            pub fn decode(type_: &str, mut data: ::serde_json::Value) -> ::std::result::Result<PushEvent, EventError> {
                let ::std::option::Option::Some(rules) = rules(type_) else {
                    return Ok(PushEvent::Unknown { type_: type_.to_string(), data });
                };
                sonoran_runtime::events::normalize_checked(type_, &mut data, rules)?;
                PushEvent::decode_documented(type_, data).expect("a type with rules is documented")
            }
        }

        impl sonoran_runtime::events::Event for PushEvent {
            const PATH: &'static str = EVENT_PATH;

            fn decode(type_: &str, data: ::serde_json::Value) -> ::std::result::Result<Self, EventError> {
                PushEvent::decode(type_, data)
            }

            fn type_name(&self) -> &str {
                PushEvent::type_name(self)
            }
        }

        #[doc = #path_doc]
        pub const EVENT_PATH: &str = #push_path;

        /// Checks and decodes one push-event body `{"key", "type", "data"}` as Sonoran sends it
        /// (an HTTP request's body, or a websocket `pushEvent` payload): the key is compared with
        /// `api_key` in constant time before anything else is looked at.
        pub fn receive(body: &[u8], api_key: &crate::ApiKey) -> ::std::result::Result<PushEvent, ReceiveError> {
            sonoran_runtime::events::receive(body, api_key)
        }

        /// [`receive`] for a body already parsed (a websocket payload that arrived as JSON).
        pub fn receive_value(value: ::serde_json::Value, api_key: &crate::ApiKey) -> ::std::result::Result<PushEvent, ReceiveError> {
            sonoran_runtime::events::receive_value(value, api_key)
        }

        /// The `x-lenient` normalisations of a documented type's payload, parents first.
        pub(crate) fn rules(type_: &str) -> ::std::option::Option<&'static [Rule]> {
            match type_ {
                #(#rule_arms,)*
                _ => None,
            }
        }

        impl ::serde::Serialize for PushEvent {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeStruct as _;
                let mut s = serializer.serialize_struct("PushEvent", 2)?;
                match self {
                    #(#ser_arms)*
                    Self::Unknown { type_, data } => {
                        s.serialize_field("type", type_)?;
                        s.serialize_field("data", data)?;
                    }
                }
                s.end()
            }
        }
    })
}

// ---------------------------------------------------------------------------------------
// JavaScript and TypeScript

/// A compact schema tree for the npm decoder: `{t, p, r, i, l, o}` (type, properties,
/// required, items, lenient, oneOf). Named payload schemas become shared constants.
fn js_node(schema: &Value) -> String {
    if let Some(r) = ref_of(schema) {
        return match r {
            Ref::Event(target) => format!("S.{target}"),
            // Integer enums: any number (unknown values are kept), with the node's own
            // normalisation (`x-lenient` beside the `$ref`).
            Ref::Component(_) => match schema.get("x-lenient").and_then(Value::as_str) {
                Some(l) => format!("{{ t: 'integer', l: '{l}' }}"),
                None => "{ t: 'integer' }".into(),
            },
        };
    }
    let mut parts = Vec::new();
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        let o: Vec<String> = options.iter().map(js_node).collect();
        parts.push(format!("o: [{}]", o.join(", ")));
    } else {
        let t = match schema.get("type").and_then(Value::as_str) {
            Some(t @ ("string" | "integer" | "number" | "boolean" | "array")) => t,
            Some("object") if is_struct(schema) => "object",
            Some("object") => "map",
            _ => "any",
        };
        parts.push(format!("t: '{t}'"));
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        let p: Vec<String> = props
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}: {}",
                    serde_json::to_string(k).unwrap_or_default(),
                    js_node(v)
                )
            })
            .collect();
        parts.push(format!("p: {{ {} }}", p.join(", ")));
        let required = crate::required_names(schema);
        if !required.is_empty() {
            parts.push(format!(
                "r: {}",
                serde_json::to_string(&required).unwrap_or_default()
            ));
        }
    }
    if let Some(items) = schema.get("items") {
        parts.push(format!("i: {}", js_node(items)));
    }
    if let Some(l) = schema.get("x-lenient").and_then(Value::as_str) {
        parts.push(format!("l: '{l}'"));
    }
    format!("{{ {} }}", parts.join(", "))
}

/// The payload schemas `name` refers to, in an order where each comes after what it uses.
fn order_named(named: &BTreeMap<String, Value>) -> Vec<String> {
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Ref::Event(t)) = ref_of(v) {
                    out.push(t.to_string());
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    fn visit(name: &str, named: &BTreeMap<String, Value>, seen: &mut Vec<String>, depth: usize) {
        if seen.iter().any(|s| s == name) || depth > 16 {
            return;
        }
        let mut deps = Vec::new();
        if let Some(s) = named.get(name) {
            refs(s, &mut deps);
        }
        for d in deps {
            visit(&d, named, seen, depth + 1);
        }
        if !seen.iter().any(|s| s == name) {
            seen.push(name.to_string());
        }
    }
    let mut seen = Vec::new();
    for name in named.keys() {
        visit(name, named, &mut seen, 0);
    }
    seen
}

/// `crates/wasm/js/generated/events.mjs`: the decoding table of the npm package.
pub fn js_module(doc: &Value, events: &[Event]) -> String {
    let named = schemas(doc);
    let mut out = String::from(
        "// generated by `cargo xtask regen`, do not edit.\n\
         // The push-event payload schemas as a compact tree for ../events.mjs: t type, p properties,\n\
         // r required, i items, o oneOf, l the `x-lenient` normalisation applied before checking.\n\n\
         const S = {};\n",
    );
    for name in order_named(&named) {
        let _ = writeln!(out, "S.{name} = {};", js_node(&named[&name]));
    }
    out.push_str("\n/** Documented type string -> payload schema. */\nexport const EVENTS = {\n");
    for e in events {
        let _ = writeln!(out, "  {}: S.{},", e.type_, e.schema);
    }
    out.push_str("};\n");
    out
}

/// `crates/wasm/js/generated/events.d.ts`: the payload interfaces and the `PushEvent` union.
pub fn ts_declarations(
    api: &Api,
    doc: &Value,
    events: &[Event],
    enums: &[crate::enums::IntEnum],
) -> String {
    let named = schemas(doc);
    let ts = crate::typescript::TypeScript::for_payloads(api, &named);
    let mut out = String::from(
        "// generated by `cargo xtask regen`, do not edit.\n\
         // Push events: the payload of every documented type, and `KnownPushEvent`, a union that\n\
         // `event.type` narrows. The entry's own API (`decodePushEvent`, ...) is hand-written:\n\
         // crates/wasm-core/js/events.d.ts.\n\n",
    );
    let text = serde_json::to_string(&named).unwrap_or_default();
    for e in enums
        .iter()
        .filter(|e| text.contains(&format!("\"#/components/schemas/{}\"", e.name)))
    {
        let values: Vec<String> = e.values.iter().map(|(v, _)| v.to_string()).collect();
        let _ = writeln!(
            out,
            "/** {}: documented values; an undocumented number is kept as sent. */\nexport type {}Value = {} | (number & {{}});\n",
            e.name,
            e.name,
            values.join(" | ")
        );
    }
    for (name, schema) in &named {
        if !is_struct(schema) {
            continue;
        }
        let d = description(schema, &named);
        if !d.is_empty() {
            let _ = writeln!(out, "/** {} */", doc_text(&d));
        }
        let _ = writeln!(out, "export interface {name} {}\n", ts.object_type(schema));
    }
    out.push_str(
        "/** A documented push event: `type` narrows `data`. */\nexport type KnownPushEvent =\n",
    );
    for e in events {
        let _ = writeln!(
            out,
            "  /** {} ({}) */\n  | {{ type: '{}'; data: {}; unknown?: undefined }}",
            doc_text(&e.summary),
            api.docs_link(&e.docs_page),
            e.type_,
            e.schema
        );
    }
    out.push_str(";\n");
    out
}
