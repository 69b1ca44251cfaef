//! Project automation behind `cargo xtask`. A library so that tests can run the same
//! steps (the regen freshness check is also a `#[test]`).

pub mod bench;
pub mod fake;
pub mod js_tests;
pub mod regen;
pub mod test_all;
pub mod wasm;

use std::path::{Path, PathBuf};

/// The repository root (the folder holding `openapi/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the repo")
        .to_path_buf()
}
