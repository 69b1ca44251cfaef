//! Every name the generators derive from the document: case conversions, Rust identifiers
//! (and their keyword rule), integer-enum variants, and JavaScript property keys. The case
//! conversions the spec also needs (camelCase operationIds, PascalCase schema names) are
//! [`sonoran_spec::naming`]'s, so that one rule names a thing wherever it appears.

use proc_macro2::Ident;
use quote::format_ident;

pub use sonoran_spec::naming::{camel_case, pascal_case};

/// `getCalls` -> `get_calls`, `accountUuid` -> `account_uuid`: an underscore before each
/// upper-case letter (unless one is already there), then lower case. This is how progenitor
/// names a camelCase operationId's method, so a method is found by the snake case of its id.
pub fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A documented enum name as a Rust variant: `ON_SCENE` -> `OnScene`, `GTA_V` -> `GtaV`.
/// Unlike [`pascal_case`], each word is lower-cased first.
pub fn enum_variant(documented: &str) -> String {
    pascal_case(&documented.to_ascii_lowercase())
}

/// `name` as a Rust identifier: a keyword gets a trailing underscore (`type` -> `type_`).
pub fn rust_ident(name: &str) -> Ident {
    if syn::parse_str::<Ident>(name).is_ok() {
        format_ident!("{}", name)
    } else {
        format_ident!("{}_", name)
    }
}

/// The Rust field of a wire property: `accountUuid` -> `account_uuid`, `type` -> `type_`.
pub fn rust_field(prop: &str) -> Ident {
    rust_ident(&snake_case(prop))
}

/// A Rust type or variant named after `name`: `communityUserId` -> `CommunityUserId`.
pub fn rust_type_ident(name: &str) -> Ident {
    format_ident!("{}", pascal_case(name))
}

/// Whether `name` is a JavaScript identifier (ASCII letters, digits, `_`, `$`; no leading digit).
pub fn is_js_identifier(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A property key as JavaScript and TypeScript accept it: an identifier as is, anything
/// else quoted (`"{{plate}}"`).
pub fn js_property(name: &str) -> String {
    if is_js_identifier(name) {
        name.to_string()
    } else {
        format!("{name:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_conversions() {
        assert_eq!(snake_case("getCalls"), "get_calls");
        assert_eq!(snake_case("unitStatusV1"), "unit_status_v1");
        assert_eq!(snake_case("already_snake"), "already_snake");
        assert_eq!(
            camel_case("set_account_permissions_v1"),
            "setAccountPermissionsV1"
        );
        assert_eq!(pascal_case("get_calls"), "GetCalls");
        assert_eq!(pascal_case("communityUserId"), "CommunityUserId");
        assert_eq!(enum_variant("ON_SCENE"), "OnScene");
        assert_eq!(enum_variant("GTA_V"), "GtaV");
        assert_eq!(enum_variant("UNKNOWN"), "Unknown");
    }

    #[test]
    fn rust_keywords_get_an_underscore() {
        assert_eq!(rust_field("type").to_string(), "type_");
        assert_eq!(rust_field("self").to_string(), "self_");
        assert_eq!(rust_field("accountUuid").to_string(), "account_uuid");
        assert_eq!(rust_ident("unit_status").to_string(), "unit_status");
    }

    #[test]
    fn js_properties_are_quoted_unless_identifiers() {
        assert_eq!(js_property("apiId"), "apiId");
        assert_eq!(js_property("$x_1"), "$x_1");
        assert_eq!(js_property("{{plate}}"), "\"{{plate}}\"");
        assert_eq!(js_property("1st"), "\"1st\"");
        assert_eq!(js_property(""), "\"\"");
    }
}
