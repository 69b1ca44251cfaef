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
    let text = std::fs::read_to_string(root().join(sonoran_spec::api::CAD.merged_path())).unwrap();
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
    let merged = dir.path().join(sonoran_spec::api::CAD.merged_path());
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

#[test]
fn the_cms_document_has_every_v2_operation_enveloped_and_paced() {
    let api = sonoran_spec::api::CMS;
    let text = std::fs::read_to_string(root().join(api.merged_path())).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["servers"][0]["url"], "https://api.sonorancms.com");
    let all: Vec<_> = sonoran_spec::operations(&doc).collect();
    let v1 = all.iter().filter(|(path, _, _)| !path.starts_with("/v2/"));
    assert_eq!(v1.count(), 33, "the 33 documented v1 envelope calls");
    let ops: Vec<_> = all
        .into_iter()
        .filter(|(path, _, _)| path.starts_with("/v2/"))
        .collect();
    assert_eq!(ops.len(), 57, "the 57 documented v2 operations");
    for (path, method, op) in &ops {
        assert!(path.starts_with("/v2/"), "{path}");
        let page = op["x-docs-page"].as_str().unwrap_or_default();
        assert!(page.starts_with("api-endpoints-v2/"), "{method} {path}");
        assert!(
            op["x-rate-limit-per-minute"]
                .as_u64()
                .is_some_and(|l| l > 0),
            "{method} {path} has its documented limit"
        );
        let responses = op["responses"].as_object().unwrap();
        for (code, r) in responses.iter().filter(|(c, _)| c.starts_with('2')) {
            if let Some(media) = r.pointer("/content/application~1json") {
                assert_eq!(r["x-envelope"], "data", "{method} {path} {code}");
                assert_eq!(
                    media["schema"]["required"],
                    serde_json::json!(["success", "data"])
                );
            }
        }
        assert!(
            responses["default"]
                .pointer("/content/application~1problem+json")
                .is_some(),
            "{method} {path}: errors are problem+json"
        );
    }
}

#[test]
fn a_broken_cms_description_fails_the_whole_regen_and_writes_nothing() {
    let dir = scratch();
    // A committed CAD output made stale, so that a partial regen would show.
    let cad = dir.path().join(sonoran_spec::api::CAD.merged_path());
    std::fs::write(&cad, "{}\n").unwrap();
    let overlay = dir
        .path()
        .join("openapi/cms/types/v2/accounts/clock-account.yaml");
    let text = std::fs::read_to_string(&overlay).unwrap();
    std::fs::write(&overlay, text.replace("clockAccount:", "clockAccounts:")).unwrap();
    let before = snapshot(dir.path());
    let err = regen::run(dir.path(), false).unwrap_err().to_string();
    assert!(err.contains("openapi/cms/"), "{err}");
    assert!(
        err.contains("types/v2/accounts/clock-account.yaml:3"),
        "{err}"
    );
    assert_eq!(
        snapshot(dir.path()),
        before,
        "nothing written, CAD included"
    );
}

/// The hand-written files under `dir` (recursively) whose name ends in one of `exts`, as
/// outputs (path relative to the root, content); generated files are left out (the
/// caller has them from regen).
fn hand_written(dir: &str, exts: &[&str], into: &mut Vec<sonoran_codegen::Output>) {
    let full = root().join(dir);
    let mut entries: Vec<_> = std::fs::read_dir(&full)
        .unwrap_or_else(|e| panic!("{}: {e}", full.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let rel = format!("{dir}/{name}");
        if name.starts_with("generated") {
            continue;
        }
        if path.is_dir() {
            hand_written(&rel, exts, into);
        } else if exts.iter().any(|ext| name.ends_with(ext)) {
            into.push(sonoran_codegen::Output {
                contents: std::fs::read_to_string(&path).unwrap(),
                path: rel,
            });
        }
    }
}

/// Every docs link in `files`, with the file it is in.
fn docs_links(files: &[sonoran_codegen::Output]) -> Vec<(String, String)> {
    const SITE: &str = "https://docs.sonoransoftware.com/";
    let mut links = Vec::new();
    for o in files {
        let mut rest = o.contents.as_str();
        while let Some(at) = rest.find(SITE) {
            let tail = &rest[at..];
            let end = tail
                .find(|c: char| c.is_whitespace() || ")>\"'`}]\\,".contains(c))
                .unwrap_or(tail.len());
            links.push((o.path.clone(), tail[..end].to_string()));
            rest = &tail[end..];
        }
    }
    links
}

/// Every docs page the merged document names: operations' `x-docs-page`, v1 calls'
/// `x-v1-docs-pages`, push events' `docs-page`.
fn documented_pages(doc: &serde_json::Value) -> std::collections::BTreeSet<String> {
    let mut pages = std::collections::BTreeSet::new();
    for (_, _, op) in sonoran_spec::operations(doc) {
        if let Some(page) = op.get("x-docs-page").and_then(|p| p.as_str()) {
            pages.insert(page.to_string());
        }
        for page in op
            .get("x-v1-docs-pages")
            .and_then(|p| p.as_object())
            .into_iter()
            .flat_map(|m| m.values())
            .filter_map(|p| p.as_str())
        {
            pages.insert(page.to_string());
        }
    }
    for (_, event) in sonoran_spec::events::events(doc) {
        if let Some(page) = event.get("docs-page").and_then(|p| p.as_str()) {
            pages.insert(page.to_string());
        }
    }
    pages
}

/// Whether `path` is a generated file of an API other than `api` (its crate, npm folder or
/// merged document), whose links are that API's.
fn of_another_api(api: &sonoran_spec::api::Api, path: &str) -> bool {
    sonoran_spec::api::ALL
        .iter()
        .filter(|a| *a != api)
        .any(|a| {
            path.starts_with(&format!("{}/", a.crate_dir))
                || path.starts_with(&format!("{}/", a.npm_dir))
                || path == a.merged_path()
                || path == regen::fake_copy(a)
        })
}

/// Every docs link in the CMS crate's generated and hand-written sources is `Api::docs_link`
/// of a page CMS's merged document names.
#[test]
fn every_cms_docs_link_is_the_public_page_of_a_documented_page() {
    let api = sonoran_spec::api::CMS;
    let (docs, mut outputs) = regen::outputs(&root()).unwrap();
    let doc = docs
        .into_iter()
        .find(|(a, _)| *a == api)
        .expect("CMS is built")
        .1;
    outputs.retain(|o| o.path.starts_with(&format!("{}/", api.crate_dir)));
    hand_written(&format!("{}/src", api.crate_dir), &[".rs"], &mut outputs);
    let pages = documented_pages(&doc);
    let expected: std::collections::BTreeSet<String> =
        pages.iter().map(|p| api.docs_link(p)).collect();
    let links = docs_links(&outputs);
    assert!(!links.is_empty(), "the CMS crate links its docs pages");
    for (file, link) in &links {
        assert!(
            expected.contains(link),
            "{file}: {link} is not `docs_link` of any docs page of CMS's merged document"
        );
    }
}

/// The links are `Api::docs_link` of a page the merged document names, in generated files
/// (Rust docs, JSDoc, events) and in the hand-written sources and READMEs beside them; every
/// named page is linked somewhere.
#[test]
fn every_docs_link_is_the_public_page_of_a_documented_page() {
    let api = sonoran_spec::api::CAD;
    let (docs, mut outputs) = regen::outputs(&root()).unwrap();
    let doc = docs
        .into_iter()
        .find(|(a, _)| *a == api)
        .expect("CAD is built")
        .1;
    outputs.retain(|o| !of_another_api(&api, &o.path));
    hand_written("crates/client/src", &[".rs"], &mut outputs);
    hand_written("crates/wasm/src", &[".rs"], &mut outputs);
    hand_written("crates/wasm-core/src", &[".rs"], &mut outputs);
    hand_written(
        "crates/wasm/js",
        &[".mjs", ".js", ".ts", ".md"],
        &mut outputs,
    );
    for path in [
        "README.md",
        "crates/client/README.md",
        "crates/wasm/README.md",
    ] {
        if let Ok(contents) = std::fs::read_to_string(root().join(path)) {
            outputs.push(sonoran_codegen::Output {
                path: path.into(),
                contents,
            });
        }
    }
    let pages = documented_pages(&doc);
    let expected: std::collections::BTreeMap<String, &String> =
        pages.iter().map(|p| (api.docs_link(p), p)).collect();
    let links = docs_links(&outputs);
    assert!(
        links.len() >= pages.len(),
        "{} links for {} documented pages",
        links.len(),
        pages.len()
    );
    for (file, link) in &links {
        assert!(
            link.starts_with(&format!("{}api-integration/", api.docs_site)),
            "{file}: {link} is not under the docs site's api-integration/"
        );
        assert!(
            expected.contains_key(link),
            "{file}: {link} is not `docs_link` of any docs page of the merged document"
        );
    }
    let linked: std::collections::BTreeSet<&String> = links
        .iter()
        .filter_map(|(_, l)| expected.get(l).copied())
        .collect();
    let unlinked: Vec<&String> = pages.iter().filter(|p| !linked.contains(p)).collect();
    assert!(
        unlinked.is_empty(),
        "docs pages no generated file links to: {unlinked:?}"
    );
}

/// Every API's merged document is copied into the fake server's crate, byte for byte, whether
/// or not the API has a client crate yet: `sonoran-fake` embeds each copy.
#[test]
fn every_api_has_a_fake_copy_equal_to_its_merged_document() {
    let (_, outputs) = regen::outputs(&root()).unwrap();
    let apis = regen::apis(&root());
    assert!(apis.len() >= 2, "CAD and CMS");
    for api in &apis {
        let copy = outputs
            .iter()
            .find(|o| o.path == regen::fake_copy(api))
            .unwrap_or_else(|| panic!("no fake copy for {}", api.id));
        let merged = outputs
            .iter()
            .find(|o| o.path == api.merged_path())
            .unwrap_or_else(|| panic!("no merged document for {}", api.id));
        assert_eq!(copy.contents, merged.contents, "{}", api.id);
    }
    assert_eq!(
        regen::fake_copy(&sonoran_spec::api::CMS),
        "crates/fake/openapi/sonoran-cms.openapi.json"
    );
}
