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

/// `get_fivem_configuration`, `get-fivem-configuration`, `GetFivemConfiguration` ->
/// `getFivemConfiguration`; an id already in camelCase is unchanged.
pub fn camel_case(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    let mut upper_next = false;
    for c in id.chars() {
        if c == '_' || c == '-' || c == ' ' || c == '.' {
            upper_next = !out.is_empty();
            continue;
        }
        if out.is_empty() {
            out.extend(c.to_lowercase());
        } else if upper_next {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        upper_next = false;
    }
    out
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
}
