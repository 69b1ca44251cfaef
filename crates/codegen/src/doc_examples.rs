//! Hand-written, compiling examples for the seed calls' generated docs (rustdoc runs them
//! as `no_run` doctests of the API's crate): one table per API, keyed by v2 operationId or
//! v1 `type`.

use sonoran_spec::api::Api;
use std::collections::BTreeMap;

mod cad;

/// Each API's table.
const BY_API: &[(Api, &[(&str, &str)])] = &[(sonoran_spec::api::CAD, cad::EXAMPLES)];

/// `api`'s examples (none for an API without a table).
pub fn for_api(api: &Api) -> BTreeMap<&'static str, &'static str> {
    BY_API
        .iter()
        .filter(|(a, _)| a == api)
        .flat_map(|(_, examples)| examples.iter().copied())
        .collect()
}

/// The doc lines of `key`'s example (a `# Example` heading and the fenced code), or none.
pub fn section(examples: &BTreeMap<&str, &str>, key: &str) -> Vec<String> {
    let Some(example) = examples.get(key) else {
        return Vec::new();
    };
    let mut lines = vec![String::new(), "# Example".into(), String::new()];
    lines.extend(example.lines().map(str::to_string));
    lines
}
