//! `cargo xtask regen` as tests: the committed files are fresh, the output is
//! deterministic, and a broken input fails loudly without touching committed files.

use std::path::{Path, PathBuf};
use xtask::regen;

fn root() -> PathBuf {
    xtask::repo_root()
}

#[test]
fn committed_generated_files_are_fresh() {
    let (_, outputs) = regen::outputs(&root()).expect("openapi/ builds");
    let stale = regen::stale(&root(), &outputs);
    assert!(
        stale.is_empty(),
        "generated files are stale; run `cargo xtask regen` and commit:\n{}",
        regen::describe_stale(&root(), &stale)
    );
}

#[test]
fn two_runs_give_identical_bytes() {
    let (_, a) = regen::outputs(&root()).unwrap();
    let (_, b) = regen::outputs(&root()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn merged_document_has_every_v2_operation_with_its_docs_page() {
    let text = std::fs::read_to_string(root().join(regen::MERGED)).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let v2: Vec<_> = sonoran_spec::operations(&doc)
        .filter(|(p, _, _)| p.starts_with("/v2/"))
        .collect();
    assert_eq!(
        v2.len(),
        87,
        "the docs document 87 v2 operations (74 of the snapshot, 13 of the newer-format pages)"
    );
    for (path, method, op) in &v2 {
        let page = op["x-docs-page"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} has no x-docs-page"));
        assert!(
            page.starts_with("api-endpoints-v2/") && page.ends_with(".md"),
            "{page}"
        );
    }
    let limited = v2
        .iter()
        .filter(|(_, _, op)| op.get("x-rate-limit-per-minute").is_some())
        .count();
    assert_eq!(
        limited, 79,
        "79 operations state a rate limit (the permission and FiveM configuration pages do not)"
    );
    let get_calls = v2
        .iter()
        .find(|(_, _, op)| op["operationId"] == "getCalls")
        .unwrap()
        .2;
    assert_eq!(get_calls["x-rate-limit-per-minute"], 5);
    assert_eq!(
        get_calls["x-docs-page"],
        "api-endpoints-v2/emergency/calls/get-calls.md"
    );
}

/// A scratch copy of the repository's inputs and generated outputs.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("openapi"), &dir.path().join("openapi"));
    let (_, outputs) = regen::outputs(&root()).unwrap();
    for o in &outputs {
        let to = dir.path().join(&o.path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(root().join(&o.path), to).unwrap();
    }
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let dest = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).unwrap();
        }
    }
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn broken_yaml_fails_naming_the_file_and_line_and_changes_nothing() {
    let dir = scratch();
    let broken = dir.path().join("openapi/cad/components/common.yaml");
    let mut text = std::fs::read_to_string(&broken).unwrap();
    text.push_str("    Broken: { type: [unclosed\n");
    std::fs::write(&broken, text).unwrap();
    let before = snapshot(dir.path());

    let err = regen::run(dir.path(), false).unwrap_err().to_string();
    assert!(err.contains("components/common.yaml:"), "{err}");
    assert!(err.contains("invalid YAML"), "{err}");
    assert_eq!(
        snapshot(dir.path()),
        before,
        "a failed regen must not write anything"
    );
}

#[test]
fn an_overlay_for_a_missing_operation_is_named() {
    let dir = scratch();
    let overlay = dir.path().join("openapi/cad/types/v2/zz-orphan.yaml");
    std::fs::write(
        &overlay,
        "operations:\n  noSuchOperation:\n    summary: x\n",
    )
    .unwrap();
    let err = regen::run(dir.path(), true).unwrap_err().to_string();
    assert!(err.contains("types/v2/zz-orphan.yaml"), "{err}");
    assert!(err.contains("noSuchOperation"), "{err}");
}

#[test]
fn a_dangling_ref_is_named_with_its_file() {
    let dir = scratch();
    let file = dir.path().join("openapi/cad/components/zz-dangling.yaml");
    std::fs::write(
        &file,
        "components:\n  schemas:\n    Dangling:\n      $ref: '#/components/schemas/Nowhere'\n",
    )
    .unwrap();
    let err = regen::run(dir.path(), true).unwrap_err().to_string();
    assert!(err.contains("components/zz-dangling.yaml"), "{err}");
    assert!(err.contains("#/components/schemas/Nowhere"), "{err}");
}

#[test]
fn check_mode_reports_a_stale_file_and_the_command() {
    let dir = scratch();
    let merged = dir.path().join(regen::MERGED);
    std::fs::write(&merged, "{}\n").unwrap();
    let err = regen::run(dir.path(), true).unwrap_err().to_string();
    assert!(err.contains("openapi/sonoran-cad.openapi.json"), "{err}");
    assert!(err.contains("cargo xtask regen"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&merged).unwrap(),
        "{}\n",
        "--check writes nothing"
    );
    regen::run(dir.path(), false).unwrap();
    regen::run(dir.path(), true).unwrap();
}
