//! `import-docs` on a small docs tree: first import, unchanged re-import, changed docs.

use sonoran_spec::import;
use std::path::Path;

const PAGE: &str = r#"# Get Version

> **Rate limit:** `10 requests per minute`

## Query Parameters

| Name | Type | Default | Description |
| --- | --- | --- | --- |
| `limit` | integer | `100` | Max. |

{% tab title="OpenAPI" %}
~~~yaml
openapi: "3.0.3"
info:
  title: "x"
  version: "1.0.0"
paths:
  /v2/general/version:
    get:
      operationId: "getVersion"
      parameters:
        -
          name: "limit"
          in: "query"
          required: true
          schema:
            type: "integer"
      responses:
        200:
          description: "ok"
      security:
        -
          bearerAuth:
~~~
{% endtab %}
"#;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn import_into(docs: &Path, openapi: &Path) -> import::Report {
    let pages = import::scan(&sonoran_spec::api::CAD, docs).unwrap();
    let plan = import::plan(&sonoran_spec::api::CAD, openapi, &pages).unwrap();
    for (rel, contents) in &plan.writes {
        write(&openapi.join(rel), contents);
    }
    for rel in &plan.deletes {
        std::fs::remove_file(openapi.join(rel)).unwrap();
    }
    plan.report
}

#[test]
fn import_reimport_and_changed_docs() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("docs");
    let openapi = tmp.path().join("openapi");
    let page = docs.join("api-integration/api-endpoints-v2/general/get-version.md");
    write(&page, PAGE);
    write(
        &docs.join("api-integration/api-endpoints-v2/README.md"),
        "~~~yaml\nopenapi: 3.0.3\n~~~\n",
    );

    let first = import_into(&docs, &openapi);
    assert_eq!(
        first.added_files,
        [
            "v2/general/get-version.yaml",
            "pages/v2/general/get-version.yaml",
            "types/inferred/v2/general/get-version.yaml"
        ],
        "the block, the page's facts, and a draft for its untyped reply"
    );
    assert_eq!(first.added_operations, ["getVersion"]);
    let imported = std::fs::read_to_string(openapi.join("v2/general/get-version.yaml")).unwrap();
    assert!(imported.starts_with(
        "# imported by `cargo xtask import-docs` from api-endpoints-v2/general/get-version.md"
    ));
    assert!(
        imported.contains("      operationId: \"getVersion\"\n"),
        "the block is copied verbatim"
    );

    // The merged document carries the page, the limit, and the repairs.
    let doc = sonoran_spec::build(&sonoran_spec::api::CAD, &openapi).unwrap();
    let op = &doc["paths"]["/v2/general/version"]["get"];
    assert_eq!(op["x-docs-page"], "api-endpoints-v2/general/get-version.md");
    assert_eq!(op["x-rate-limit-per-minute"], 10);
    assert_eq!(op["security"][0]["bearerAuth"], serde_json::json!([]));
    assert_eq!(op["parameters"][0]["required"], false);
    assert_eq!(op["parameters"][0]["schema"]["default"], 100);

    // Unchanged docs: nothing to report.
    let again = import_into(&docs, &openapi);
    assert!(again.is_empty(), "{again}");

    // A typed overlay, then a docs change under it: the report names the operation.
    write(
        &openapi.join("types/v2/general/get-version.yaml"),
        "operations:\n  getVersion:\n    summary: typed\n",
    );
    write(
        &page,
        &PAGE
            .replace("`10 requests per minute`", "`20 requests per minute`")
            .replace("\"ok\"", "\"fine\""),
    );
    let changed = import_into(&docs, &openapi);
    assert_eq!(changed.changed_files, ["v2/general/get-version.yaml"]);
    assert_eq!(
        changed.overlays_to_review,
        [(
            "getVersion".to_string(),
            "types/v2/general/get-version.yaml".to_string()
        )]
    );
    assert_eq!(changed.rate_limit_changes.len(), 1);
    let text = changed.to_string();
    assert!(text.contains("typing to review"), "{text}");

    // The page disappears: its file is removed and the overlay is orphaned.
    std::fs::remove_file(&page).unwrap();
    let removed = import_into(&docs, &openapi);
    assert_eq!(
        removed.removed_files,
        [
            "v2/general/get-version.yaml",
            "pages/v2/general/get-version.yaml"
        ]
    );
    assert_eq!(removed.removed_operations, ["getVersion"]);
    assert_eq!(removed.orphaned_overlays.len(), 1);
    let err = sonoran_spec::build(&sonoran_spec::api::CAD, &openapi)
        .unwrap_err()
        .to_string();
    assert!(err.contains("types/v2/general/get-version.yaml"), "{err}");
}

#[test]
fn a_folder_without_the_docs_is_refused_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let err = import::scan(&sonoran_spec::api::CAD, tmp.path())
        .unwrap_err()
        .to_string();
    assert!(err.contains("api-integration"), "{err}");
}

#[test]
fn a_later_folder_replaces_an_earlier_ones_pages_at_the_same_path() {
    let tmp = tempfile::tempdir().unwrap();
    let (snapshot, newer) = (tmp.path().join("snapshot"), tmp.path().join("newer"));
    let v2 = "api-integration/api-endpoints-v2";
    write(&snapshot.join(v2).join("general/get-version.md"), PAGE);
    write(
        &snapshot.join(v2).join("general/get-old.md"),
        &PAGE
            .replace("/v2/general/version", "/v2/general/old")
            .replace("\"getVersion\"", "\"getOld\""),
    );
    write(
        &newer.join(v2).join("general/get-version.md"),
        &PAGE.replace("`10 requests per minute`", "`20 requests per minute`"),
    );
    write(
        &newer.join(v2).join("panels/list-panels.md"),
        &PAGE
            .replace("/v2/general/version", "/v2/panels")
            .replace("\"getVersion\"", "\"listPanels\""),
    );

    let pages = import::scan_layers(&sonoran_spec::api::CAD, &[&snapshot, &newer]).unwrap();
    let summary: Vec<(&str, Option<u32>)> = pages
        .iter()
        .map(|p| (p.entry.file.as_str(), p.entry.rate_limit_per_minute))
        .collect();
    assert_eq!(
        summary,
        [
            ("general/get-old.yaml", Some(10)),
            ("general/get-version.yaml", Some(20)),
            ("panels/list-panels.yaml", Some(10)),
        ],
        "the snapshot's pages, the newer folder's page in place of the snapshot's, its new page"
    );
    // One folder alone is the same as `scan`.
    let alone = import::scan_layers(&sonoran_spec::api::CAD, &[&snapshot]).unwrap();
    assert_eq!(
        alone.len(),
        import::scan(&sonoran_spec::api::CAD, &snapshot)
            .unwrap()
            .len()
    );

    let err = import::scan_layers(&sonoran_spec::api::CAD, &[&snapshot, tmp.path()])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&tmp.path().display().to_string()) && err.contains("api-integration"),
        "a folder without the docs is named: {err}"
    );
}
