//! "Provide exactly one of ..." as a type.
//!
//! Where the docs say a call takes exactly one of several identifiers (an account by its
//! community user id, Roblox id, Discord id or UUID), the spec says so with
//! `x-exactly-one-of` on the operation (query parameters) or on the request body's schema:
//!
//! ```yaml
//! x-exactly-one-of:
//!   - { name: AccountTarget, argument: target, fields: [communityUserId, roblox, discord, accountUuid] }
//! ```
//!
//! Each `name` becomes one Rust enum with a variant per field, and the call (or the body's
//! constructor) takes that enum as its argument `argument` instead of the separate optional
//! fields, so "none" and "two at once" no longer compile. Every group of the same `name`
//! must list the same fields with the same types.

use crate::Error;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;
use std::collections::BTreeMap;

/// One `x-exactly-one-of` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The enum's name.
    pub name: String,
    /// The argument (and setter) that takes it.
    pub argument: String,
    /// The wire names of the fields, in the spec's order.
    pub fields: Vec<String>,
}

/// One enum, as every group of its name defines it.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    /// (wire name, Rust type, description) per variant.
    pub variants: Vec<(String, TokenStream, Option<String>)>,
    /// Where it is used: operationIds and schema names.
    pub used_by: Vec<String>,
}

impl Target {
    pub fn ident(&self) -> proc_macro2::Ident {
        format_ident!("{}", self.name)
    }
}

/// The groups `node` (an operation or a schema) declares; `at` names it in errors.
pub fn groups(node: &Value, at: &str) -> Result<Vec<Group>, Error> {
    let Some(list) = node.get("x-exactly-one-of") else {
        return Ok(Vec::new());
    };
    let list = list
        .as_array()
        .ok_or_else(|| Error(format!("{at}: `x-exactly-one-of` must be a list")))?;
    list.iter()
        .map(|g| {
            let text = |k: &str| {
                g.get(k)
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| {
                        Error(format!(
                            "{at}: an `x-exactly-one-of` entry has no string `{k}`"
                        ))
                    })
            };
            let fields: Vec<String> = g
                .get("fields")
                .and_then(Value::as_array)
                .map(|f| {
                    f.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            if fields.len() < 2 {
                return Err(Error(format!(
                    "{at}: an `x-exactly-one-of` entry needs at least two `fields`"
                )));
            }
            Ok(Group {
                name: text("name")?,
                argument: text("argument")?,
                fields,
            })
        })
        .collect()
}

/// The Rust type of a selector field (`format: uuid` strings are UUIDs, as progenitor has
/// them).
fn field_type(schema: &Value) -> TokenStream {
    match (
        schema.get("type").and_then(Value::as_str),
        schema.get("format").and_then(Value::as_str),
    ) {
        (Some("string"), Some("uuid")) => quote!(::uuid::Uuid),
        (Some("string"), _) => quote!(::std::string::String),
        (Some("integer"), _) => quote!(i64),
        (Some("number"), _) => quote!(f64),
        (Some("boolean"), _) => quote!(bool),
        _ => quote!(::serde_json::Value),
    }
}

/// Every enum the document's groups define, by name.
pub fn collect(doc: &Value) -> Result<BTreeMap<String, Target>, Error> {
    let mut out: BTreeMap<String, Target> = BTreeMap::new();
    let mut add = |group: &Group,
                   user: &str,
                   lookup: &dyn Fn(&str) -> Option<(Value, bool)>|
     -> Result<(), Error> {
        let mut variants = Vec::new();
        for field in &group.fields {
            let (schema, required) = lookup(field).ok_or_else(|| {
                Error(format!(
                    "{user}: `x-exactly-one-of` names `{field}`, which it does not have"
                ))
            })?;
            if required {
                return Err(Error(format!(
                    "{user}: `{field}` is in an `x-exactly-one-of` group but required"
                )));
            }
            let doc = schema
                .get("description")
                .and_then(Value::as_str)
                .map(crate::prose::for_users);
            variants.push((field.clone(), field_type(&schema), doc));
        }
        match out.get_mut(&group.name) {
            Some(existing) => {
                let same = existing.variants.len() == variants.len()
                    && existing
                        .variants
                        .iter()
                        .zip(&variants)
                        .all(|(a, b)| a.0 == b.0 && a.1.to_string() == b.1.to_string());
                if !same {
                    return Err(Error(format!(
                        "`x-exactly-one-of` `{}`: {user} lists other fields or types than {}",
                        group.name,
                        existing.used_by.join(", ")
                    )));
                }
                existing.used_by.push(user.to_string());
            }
            None => {
                out.insert(
                    group.name.clone(),
                    Target {
                        name: group.name.clone(),
                        variants,
                        used_by: vec![user.to_string()],
                    },
                );
            }
        }
        Ok(())
    };
    for (_, _, op) in sonoran_spec::operations(doc) {
        let id = op.get("operationId").and_then(Value::as_str).unwrap_or("?");
        for g in groups(op, id)? {
            let params = op.get("parameters").and_then(Value::as_array).cloned();
            let lookup = |field: &str| {
                params.iter().flatten().find_map(|p| {
                    (p.get("name").and_then(Value::as_str) == Some(field)
                        && p.get("in").and_then(Value::as_str) == Some("query"))
                    .then(|| {
                        (
                            p.get("schema").cloned().unwrap_or(Value::Null),
                            p.get("required") == Some(&Value::Bool(true)),
                        )
                    })
                })
            };
            add(&g, id, &lookup)?;
        }
    }
    if let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in schemas {
            for g in groups(schema, name)? {
                let required = crate::required_names(schema);
                let lookup = |field: &str| {
                    let s = schema.pointer(&format!("/properties/{field}"))?.clone();
                    Some((s, required.contains(&field)))
                };
                add(&g, name, &lookup)?;
            }
        }
    }
    Ok(out)
}

/// `generated/targets.rs`: the enums.
pub fn tokens(targets: &BTreeMap<String, Target>) -> TokenStream {
    let enums = targets.values().map(|t| {
        let ident = t.ident();
        let fields: Vec<&str> = t.variants.iter().map(|(f, _, _)| f.as_str()).collect();
        let list = fields
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let used: Vec<String> = t.used_by.iter().map(|u| format!("`{u}`")).collect();
        let summary =
            format!(" Exactly one of {list}: the docs' \"provide exactly one\" rule as a type.");
        let uses = format!(" Taken by {}.", used.join(", "));
        let variants = t.variants.iter().map(|(field, ty, doc)| {
            let v = crate::names::rust_type_ident(field);
            let doc = doc.clone().unwrap_or_else(|| format!("`{field}`."));
            let doc = format!(" {doc} (sent as `{field}`)");
            quote! { #[doc = #doc] #v(#ty), }
        });
        let names = t.variants.iter().map(|(field, _, _)| {
            let v = crate::names::rust_type_ident(field);
            quote! { Self::#v(_) => #field, }
        });
        quote! {
            #[doc = #summary]
            #[doc = ""]
            #[doc = #uses]
            #[derive(Debug, Clone, PartialEq)]
            pub enum #ident {
                #( #variants )*
            }

            impl #ident {
                /// The wire name of the field this value is sent as.
                pub fn field(&self) -> &'static str {
                    match self { #( #names )* }
                }
            }
        }
    });
    quote! {
        //! "Provide exactly one of ..." parameters and fields, each group as an enum
        //! (`x-exactly-one-of` in the spec).

        #( #enums )*
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(body_uuid_format: Option<&str>) -> Value {
        let mut uuid = json!({"type": "string"});
        if let Some(f) = body_uuid_format {
            uuid["format"] = json!(f);
        }
        json!({
            "paths": {"/v2/a": {"get": {
                "operationId": "getA",
                "x-exactly-one-of": [{"name": "Who", "argument": "target", "fields": ["discord", "accountUuid"]}],
                "parameters": [
                    {"name": "discord", "in": "query", "schema": {"type": "string"}},
                    {"name": "accountUuid", "in": "query", "schema": {"type": "string", "format": "uuid"}}
                ]
            }}},
            "components": {"schemas": {"Body": {
                "type": "object",
                "x-exactly-one-of": [{"name": "Who", "argument": "target", "fields": ["discord", "accountUuid"]}],
                "properties": {"discord": {"type": "string"}, "accountUuid": uuid}
            }}}
        })
    }

    #[test]
    fn one_enum_per_name_shared_by_operations_and_bodies() {
        let t = collect(&doc(Some("uuid"))).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t["Who"].used_by, ["getA", "Body"]);
        assert_eq!(
            t["Who"].variants[1].1.to_string(),
            quote!(::uuid::Uuid).to_string()
        );
    }

    #[test]
    fn a_name_defined_two_ways_is_an_error_naming_both() {
        let e = collect(&doc(None)).unwrap_err().0;
        assert!(
            e.contains("`Who`") && e.contains("Body") && e.contains("getA"),
            "{e}"
        );
    }

    #[test]
    fn unknown_and_required_fields_are_errors() {
        let mut d = doc(Some("uuid"));
        d["paths"]["/v2/a"]["get"]["x-exactly-one-of"][0]["fields"] = json!(["discord", "nope"]);
        assert!(collect(&d).unwrap_err().0.contains("`nope`"));
        let mut d = doc(Some("uuid"));
        d["components"]["schemas"]["Body"]["required"] = json!(["discord"]);
        assert!(collect(&d).unwrap_err().0.contains("required"));
    }
}
