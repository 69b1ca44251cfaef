//! Hand-written, compiling examples for the seed calls' generated docs (rustdoc runs them
//! as `no_run` doctests of `sonoran-cad`), keyed by v2 operationId or v1 `type`.

use std::collections::BTreeMap;

pub fn by_operation() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::new()
}
