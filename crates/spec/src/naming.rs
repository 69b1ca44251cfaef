//! One naming convention for the operations users call, whatever the docs page wrote:
//! camelCase in the merged document (and so in JavaScript; the Rust client snake-cases it),
//! and no `V2` suffix on v2 operations (every v2 method is v2; v1 methods keep `V1`).
//! `get_fivem_configuration` -> `getFivemConfiguration`, `getAccountPermissionsV2` ->
//! `getAccountPermissions`. The page's own id is kept in `x-docs-operation-id` so that the
//! import still matches pages to operations, and overlays may name either.

/// The extension holding the docs' own operationId where it differs from the normalized one.
pub const DOCS_ID: &str = "x-docs-operation-id";

/// The normalized operationId of a v2 operation.
pub fn v2_operation_id(docs_id: &str) -> String {
    let camel = camel_case(docs_id);
    match camel.strip_suffix("V2") {
        Some(stem) if !stem.is_empty() => stem.to_string(),
        _ => camel,
    }
}

/// The words of a name: its runs of ASCII letters and digits (`get_fivem-config v2` ->
/// `get`, `fivem`, `config`, `v2`); a camelCase run is one word.
fn words(name: &str) -> impl Iterator<Item = &str> {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// Each word's first letter changed by `first(index of the word, letter)`, the rest kept.
fn join_words(name: &str, first: impl Fn(usize, char) -> char) -> String {
    let mut out = String::with_capacity(name.len());
    for (n, word) in words(name).enumerate() {
        let mut chars = word.chars();
        if let Some(c) = chars.next() {
            out.push(first(n, c));
        }
        out.push_str(chars.as_str());
    }
    out
}

/// `get_fivem_configuration`, `get-fivem-configuration`, `GetFivemConfiguration`,
/// `Get Fivem Configuration` -> `getFivemConfiguration`; an id already in camelCase is
/// unchanged.
pub fn camel_case(name: &str) -> String {
    join_words(name, |n, c| {
        if n == 0 {
            c.to_ascii_lowercase()
        } else {
            c.to_ascii_uppercase()
        }
    })
}

/// `getDatabaseSyncConfiguration`, `get_fivem_config` -> `GetDatabaseSyncConfiguration`,
/// `GetFivemConfig`; the letters after each word's first are kept.
pub fn pascal_case(name: &str) -> String {
    join_words(name, |_, c| c.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_convention_becomes_camel_case_without_v2() {
        assert_eq!(
            v2_operation_id("get_fivem_configuration"),
            "getFivemConfiguration"
        );
        assert_eq!(
            v2_operation_id("getAccountPermissionsV2"),
            "getAccountPermissions"
        );
        assert_eq!(
            v2_operation_id("GetDatabaseSyncConfiguration"),
            "getDatabaseSyncConfiguration"
        );
        assert_eq!(v2_operation_id("updateIdentifier"), "updateIdentifier");
        assert_eq!(v2_operation_id("kick-unit"), "kickUnit");
        assert_eq!(v2_operation_id("V2"), "v2");
    }

    #[test]
    fn case_conversions_split_at_anything_but_letters_and_digits() {
        assert_eq!(
            camel_case("Get Database Sync Configuration"),
            "getDatabaseSyncConfiguration"
        );
        assert_eq!(camel_case("get.fivem/config"), "getFivemConfig");
        assert_eq!(
            pascal_case("getDatabaseSyncConfiguration"),
            "GetDatabaseSyncConfiguration"
        );
        assert_eq!(pascal_case("get_fivem-config"), "GetFivemConfig");
        assert_eq!(pascal_case(""), "");
    }
}
