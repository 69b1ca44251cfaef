//! The CMS pages through the same pipeline: the quirks of their format (a blank line between
//! every line, unquoted timestamps as YAML keys, example tabs for four SDKs) read into the
//! same facts as CAD's pages, the `{success, data, meta}` envelope around the inferred
//! payload, and bad docs input named by file and line with nothing written.

use sonoran_spec::api::{CAD, CMS};
use sonoran_spec::import;
use std::path::{Path, PathBuf};

const V2: &str = "api-integration/api-endpoints-v2";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cms")
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A copy of the fixture docs that a test may break.
fn docs_copy(dir: &Path) -> PathBuf {
    let docs = dir.join("docs");
    for page in [
        "general/get-sub-version.md",
        "disciplinary/update-member-record-reason.md",
        "rate-limits.md",
        "README.md",
    ] {
        let text = std::fs::read_to_string(fixture().join(V2).join(page)).unwrap();
        write(&docs.join(V2).join(page), &text);
    }
    docs
}

fn import_into(docs: &Path, openapi: &Path) -> import::Report {
    let pages = import::scan(&CMS, docs).unwrap();
    let plan = import::plan(&CMS, openapi, &pages).unwrap();
    for (rel, contents) in &plan.writes {
        write(&openapi.join(rel), contents);
    }
    plan.report
}

/// What the importer reads from each quirky page: its index entry, its OpenAPI block as
/// parsed (blank lines gone, the timestamp key a string) and its facts (the tables read
/// across blank lines, the reply example, and of the example tabs only the cURL request).
#[test]
fn cms_page_quirks_parse() {
    let pages = import::scan(&CMS, &fixture()).unwrap();
    assert_eq!(pages.len(), 2);
    for page in &pages {
        let (doc, repairs) = sonoran_spec::load::parse_repaired(
            &format!("v2/{}", page.entry.file),
            &page.contents,
            Some(&page.entry),
        )
        .unwrap();
        let name = page.entry.file.replace(['/', '.'], "_");
        insta::assert_snapshot!(
            name,
            format!(
                "# index entry\n{}\n# repairs\n{repairs:?}\n# OpenAPI block, parsed\n{}\n# page facts\n{}",
                serde_yaml_ng::to_string(&page.entry).unwrap(),
                serde_json::to_string_pretty(&doc).unwrap(),
                page.facts.to_yaml(&page.entry.docs_page),
            )
        );
    }
}

#[test]
fn the_envelope_wraps_the_inferred_payload_and_errors_are_problem_json() {
    let tmp = tempfile::tempdir().unwrap();
    let openapi = tmp.path().join("openapi");
    let report = import_into(&fixture(), &openapi);
    assert_eq!(report.inferred.len(), 2, "{report}");
    assert!(!openapi.join("v1").exists() && !openapi.join("events").exists());
    let doc = sonoran_spec::build(&CMS, &openapi).unwrap();
    assert_eq!(doc["info"]["title"], "Sonoran CMS API");
    assert_eq!(doc["servers"][0]["url"], CMS.production_url);

    let op = &doc["paths"]["/v2/community/disciplinary/records/{recordId}/reason"]["patch"];
    assert_eq!(op["operationId"], "updateMemberRecordReason");
    assert_eq!(op["x-rate-limit-per-minute"], 18);
    assert_eq!(
        op["x-docs-page"],
        "api-endpoints-v2/disciplinary/update-member-record-reason.md"
    );
    let ok = &op["responses"]["200"];
    assert_eq!(ok["x-envelope"], "data");
    let body = &ok["content"]["application/json"]["schema"];
    assert_eq!(body["required"], serde_json::json!(["success", "data"]));
    assert_eq!(body["properties"]["success"]["type"], "boolean");
    assert_eq!(
        body["properties"]["meta"]["$ref"],
        "#/components/schemas/ReplyMeta"
    );
    assert_eq!(
        body["properties"]["data"]["$ref"],
        "#/components/schemas/UpdateMemberRecordReasonData"
    );
    assert_eq!(
        ok["content"]["application/json"]["example"]["success"], true,
        "the example is the reply as sent"
    );
    let data = &doc["components"]["schemas"]["UpdateMemberRecordReasonData"];
    let row = &data["items"]["properties"];
    assert_eq!(
        row["history"]["additionalProperties"]["properties"]["action"]["type"], "string",
        "timestamp keys make a map"
    );
    assert_eq!(row["updatedAt"]["type"], "string", "typed like createdAt");
    assert_eq!(row["updatedAt"]["nullable"], true);
    let request = &doc["components"]["schemas"]["UpdateMemberRecordReasonRequest"];
    assert_eq!(
        request["required"],
        serde_json::json!(["reason"]),
        "the blank-line table"
    );
    assert_eq!(
        op["responses"]["default"]["content"]["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/Problem"
    );

    let fields = sonoran_spec::stats::example_fields(&CMS, &openapi, &doc).unwrap();
    // subVersion, tier; id, reason, history, 2 x (timestamp key, action, timestamp),
    // createdAt, updatedAt: all typed.
    assert_eq!((fields.typed, fields.fields), (13, 13), "{fields:#}");
}

#[test]
fn a_broken_yaml_fence_names_the_page_and_line_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = docs_copy(tmp.path());
    let page = docs.join(V2).join("general/get-sub-version.md");
    let text = std::fs::read_to_string(&page).unwrap();
    // The OpenAPI fence never closes: everything after it would be swallowed.
    let broken = text.replacen(
        "```\n\n{% endtab %}\n{% tab title=\"cURL\" %}",
        "\n{% endtab %}\n{% tab title=\"cURL\" %}",
        1,
    );
    let broken = broken
        .replace("```bash", "~~~bash")
        .replace("```json", "~~~json");
    let broken = broken.replace("\n```\n", "\n~~~\n");
    assert_ne!(broken, text);
    write(&page, &broken);
    let err = import::scan(&CMS, &docs).unwrap_err().to_string();
    let fence = text
        .lines()
        .position(|l| l == "```yaml")
        .expect("an OpenAPI fence")
        + 2;
    assert!(
        err.contains(&format!("get-sub-version.md:{fence}")),
        "{err}"
    );
    assert!(err.contains("never closed"), "{err}");

    // Invalid YAML inside a closed fence: the page line of the fault.
    let bad = text.replacen(
        "operationId: \"getSubVersion\"",
        "operationId: [\"getSubVersion\"",
        1,
    );
    write(&page, &bad);
    let err = import::scan(&CMS, &docs).unwrap_err().to_string();
    let line = bad
        .lines()
        .position(|l| l.contains("operationId: ["))
        .unwrap()
        + 1;
    assert!(err.contains("get-sub-version.md:"), "{err}");
    assert!(err.contains("invalid YAML"), "{err}");
    let reported: usize = err
        .split("get-sub-version.md:")
        .nth(1)
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(
        reported >= line && reported <= line + 4,
        "line {reported} is near the broken line {line}: {err}"
    );
}

#[test]
fn two_pages_with_one_operation_id_are_named_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = docs_copy(tmp.path());
    let copy = std::fs::read_to_string(docs.join(V2).join("general/get-sub-version.md"))
        .unwrap()
        .replace(
            "/v2/community/sub-version",
            "/v2/community/sub-version-again",
        );
    write(
        &docs.join(V2).join("general/get-sub-version-again.md"),
        &copy,
    );
    let pages = import::scan(&CMS, &docs).unwrap();
    let openapi = tmp.path().join("openapi");
    let err = import::plan(&CMS, &openapi, &pages)
        .unwrap_err()
        .to_string();
    let line = copy
        .lines()
        .position(|l| l.contains("operationId: \"getSubVersion\""))
        .unwrap()
        + 1;
    assert!(
        err.contains(&format!("get-sub-version-again.md:{line}")),
        "{err}"
    );
    assert!(
        err.contains(&format!("get-sub-version.md:{line}")),
        "both pages are named: {err}"
    );
    assert!(err.contains("getSubVersion"), "{err}");
    assert!(!openapi.exists(), "a failed import writes nothing");
}

#[test]
fn an_overlay_naming_an_unknown_operation_is_named_with_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let openapi = tmp.path().join("openapi");
    import_into(&fixture(), &openapi);
    write(
        &openapi.join("types/v2/general/zz-orphan.yaml"),
        "# an overlay for nothing\noperations:\n  getSubVersions:\n    summary: x\n",
    );
    let err = sonoran_spec::build(&CMS, &openapi).unwrap_err().to_string();
    assert!(err.contains("types/v2/general/zz-orphan.yaml:3"), "{err}");
    assert!(err.contains("getSubVersions"), "{err}");
}

#[test]
fn a_rate_limit_the_table_contradicts_is_an_error_until_a_decision_is_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = docs_copy(tmp.path());
    let table = docs.join(V2).join("rate-limits.md");
    let text = std::fs::read_to_string(&table)
        .unwrap()
        .replace("`13 requests/min`", "`20 requests/min`");
    write(&table, &text);
    let openapi = tmp.path().join("openapi");
    let pages = import::scan(&CMS, &docs).unwrap();
    let err = import::plan(&CMS, &openapi, &pages)
        .unwrap_err()
        .to_string();
    let row = text
        .lines()
        .position(|l| l.contains("20 requests"))
        .unwrap()
        + 1;
    assert!(err.contains(&format!("rate-limits.md:{row}")), "{err}");
    assert!(err.contains("get-sub-version.md:"), "{err}");
    assert!(
        err.contains("states 13") && err.contains("lists 20"),
        "{err}"
    );

    write(
        &openapi.join("types/v2/general/get-sub-version.yaml"),
        "operations:\n  getSubVersion:\n    x-rate-limit-per-minute: 13\n    x-decisions:\n      - \"The page says 13, rate-limits.md 20: the lower one paces safely.\"\n",
    );
    let plan = import::plan(&CMS, &openapi, &pages).unwrap();
    for (rel, contents) in &plan.writes {
        write(&openapi.join(rel), contents);
    }
    let doc = sonoran_spec::build(&CMS, &openapi).unwrap();
    assert_eq!(
        doc["paths"]["/v2/community/sub-version"]["get"]["x-rate-limit-per-minute"],
        13
    );
}

#[test]
fn a_rate_limit_row_for_no_page_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = docs_copy(tmp.path());
    let table = docs.join(V2).join("rate-limits.md");
    let mut text = std::fs::read_to_string(&table).unwrap();
    text.push_str("| [Gone](general/gone.md) | `5 requests/min` |\n");
    write(&table, &text);
    let err = import::scan(&CMS, &docs).unwrap_err().to_string();
    let row = text.lines().count();
    assert!(err.contains(&format!("rate-limits.md:{row}")), "{err}");
    assert!(err.contains("general/gone.md"), "{err}");
}

#[test]
fn a_page_missing_its_stated_limit_takes_the_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = docs_copy(tmp.path());
    let page = docs.join(V2).join("general/get-sub-version.md");
    let text = std::fs::read_to_string(&page)
        .unwrap()
        .replace("> **Rate limit:** `13 requests per minute`", "");
    write(&page, &text);
    let pages = import::scan(&CMS, &docs).unwrap();
    let entry = &pages
        .iter()
        .find(|p| p.entry.file == "general/get-sub-version.yaml")
        .unwrap()
        .entry;
    assert_eq!(entry.rate_limit_per_minute, Some(13));
}

#[test]
fn the_same_pages_as_cad_keep_cads_shape() {
    // The pipeline is one: the CMS fixture imported as CAD has no envelope and CAD's servers.
    let tmp = tempfile::tempdir().unwrap();
    let openapi = tmp.path().join("openapi");
    let pages = import::scan(&CAD, &fixture()).unwrap();
    let plan = import::plan(&CAD, &openapi, &pages).unwrap();
    for (rel, contents) in &plan.writes {
        write(&openapi.join(rel), contents);
    }
    let doc = sonoran_spec::build(&CAD, &openapi).unwrap();
    let ok = &doc["paths"]["/v2/community/sub-version"]["get"]["responses"]["200"];
    assert!(ok.get("x-envelope").is_none());
    assert_eq!(
        ok["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/GetSubVersionResponse"
    );
    assert_eq!(doc["servers"][0]["url"], CAD.production_url);
}
