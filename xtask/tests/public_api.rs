//! The public API of every published crate, snapshotted (`tests/snapshots/public_api__*.snap`):
//! a change to what users can name (an item added, removed or changed in signature, a
//! `#[non_exhaustive]` dropped, a type no longer `Send`) fails here until the snapshot is
//! reviewed and accepted (`cargo insta review`, or `INSTA_UPDATE=always`). See CHANGELOG.md for
//! the semver policy the snapshot serves.
//!
//! rustdoc's JSON comes from the stable toolchain with `RUSTC_BOOTSTRAP=1`, into its own
//! target folder (`target/public-api`) so the flag does not invalidate the main build.

use xtask::public_api::{CRATES, render, rustdoc_json};

#[test]
fn public_api_of_every_published_crate() {
    let root = xtask::repo_root();
    let target = xtask::target_dir(&root).join("public-api");
    for (package, features) in CRATES {
        let krate = rustdoc_json(&root, package, features, &target)
            .unwrap_or_else(|e| panic!("{package}: {e:#}"));
        let api = render(&krate);
        assert!(
            api.lines().any(|l| l.starts_with("pub ")),
            "{package}: no public item found: the walker is broken"
        );
        insta::with_settings!({ snapshot_suffix => package.to_string(), prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!("public_api", api);
        });
    }
}
