//! The v1 error codes of `sonoran-cms` against the docs pages: the 4xx texts each imported
//! v1 page lists (openapi/cms/v1/, written by `cargo xtask import-docs --api cms` from the
//! pages: "the page lists: `A`, `B`") are exactly the client's codes, each decoded to the
//! code whose text is the page's, the text kept verbatim. The expectations come from the
//! imported pages as text, not from the merged document or the generated code.

use sonoran_cms::{ApiError, V1ErrorCode};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Every `.yaml` file under `dir`, sorted.
fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "yaml") {
            out.push(path);
        }
    }
}

/// (status, text, file:line) for each text a 4xx response of an imported v1 page lists.
fn page_error_texts() -> Vec<(u16, String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/cms/v1");
    let mut files = Vec::new();
    yaml_files(&root, &mut files);
    assert!(
        files.len() >= 20,
        "{} v1 pages under {}",
        files.len(),
        root.display()
    );
    let mut out = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            // `        '400':` then `          description: '... the page lists: `A`, `B`.'`
            let Some(status) = line
                .trim()
                .strip_prefix('\'')
                .and_then(|l| l.strip_suffix("':"))
                .and_then(|s| s.parse::<u16>().ok())
                .filter(|s| (400..500).contains(s))
            else {
                continue;
            };
            let Some(listed) = lines
                .get(i + 1)
                .and_then(|d| d.split_once("the page lists: "))
                .map(|(_, l)| l)
            else {
                continue;
            };
            let at = format!("{}:{}", file.display(), i + 2);
            let texts: Vec<&str> = listed.split('`').skip(1).step_by(2).collect();
            assert!(!texts.is_empty(), "{at}: no text in {listed:?}");
            for t in texts {
                out.push((status, t.to_owned(), at.clone()));
            }
        }
    }
    out
}

#[test]
fn the_v1_error_codes_are_the_texts_the_imported_pages_list() {
    let listed = page_error_texts();
    assert!(listed.len() >= 30, "{} listed texts", listed.len());
    let page: BTreeSet<&str> = listed.iter().map(|(_, t, _)| t.as_str()).collect();
    let client: BTreeSet<&str> = V1ErrorCode::ALL.iter().map(|c| c.text()).collect();
    assert_eq!(
        client, page,
        "the client's v1 error codes and the 4xx texts the imported pages list"
    );
    for (status, text, at) in &listed {
        let e = ApiError::from_body(*status, text);
        assert_eq!(e.status, *status, "{at}");
        assert_eq!(e.detail.as_deref(), Some(text.as_str()), "{at}: verbatim");
        assert_eq!(
            e.code.map(V1ErrorCode::text),
            Some(text.as_str()),
            "{at}: the code whose text is the page's"
        );
    }
}
