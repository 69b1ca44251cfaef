//! The v1 import on small fixture pages: the imported form of each quirk (insta
//! snapshots), and the errors that stop an import (naming page and line, writing nothing).

use sonoran_spec::api::CMS;
use sonoran_spec::v1_import::{self, V1Page};
use std::path::Path;

/// The merged, validated CMS document of `dir`.
fn build(dir: &Path) -> serde_json::Value {
    sonoran_spec::build(&sonoran_spec::api::CMS, dir).unwrap_or_else(|e| panic!("{e}"))
}

fn fixture_docs() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cms-v1")
}

fn fixture_pages() -> Vec<V1Page> {
    v1_import::scan(&fixture_docs()).unwrap()
}

fn page(docs_page: &str, markdown: &str) -> V1Page {
    V1Page {
        docs_page: docs_page.into(),
        markdown: markdown.into(),
    }
}

fn errors(pages: &[V1Page]) -> Vec<String> {
    v1_import::import(&CMS, pages, &[])
        .unwrap_err()
        .problems
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn fixture_pages_import_as_snapshotted() {
    let pages = fixture_pages();
    assert_eq!(pages.len(), 4, "the section README is no call");
    let calls = v1_import::import(&CMS, &pages, &[]).unwrap();
    let files: Vec<&str> = calls.iter().map(|c| c.file.as_str()).collect();
    assert_eq!(
        files,
        [
            "v1/general/clock_in_out.yaml",
            "v1/general/kick_account.yaml",
            "v1/servers/get_game_servers.yaml",
        ],
        "get-game-servers-1.md repeats get-game-servers.md: one operation"
    );
    for call in &calls {
        let name = call.file.trim_end_matches(".yaml").replace('/', "__");
        insta::assert_snapshot!(name, call.to_yaml());
    }
}

#[test]
fn a_broken_swagger_block_is_an_error_naming_page_and_line() {
    let md = "# X\n\n{% swagger method=\"post\" path=\"/general/x\" baseUrl=\"https://api.sonorancms.com\" summary=\"X\" %}\n{% swagger-description %}\nx\n{% endswagger-description %}\n";
    let errs = errors(&[page("api-endpoints/general/x.md", md)]);
    assert_eq!(
        errs,
        [
            "api-integration/api-endpoints/general/x.md:3: this `swagger` block is never closed ({% endswagger %})"
        ]
    );
    let unterminated = "# X\n\n{% swagger method=\"post\" path=\"/general/x %}\n{% endswagger %}\n";
    let errs = errors(&[page("api-endpoints/general/x.md", unterminated)]);
    assert_eq!(
        errs,
        ["api-integration/api-endpoints/general/x.md:3: unterminated attribute `path`"]
    );
}

const TABLE_PAGE: &str = "# Title\n\n<mark>`POST`</mark> `https://api.sonorancms.com/AREA/CALL`\n\n| Name | Type | Description |\n| --- | --- | --- |\n| type | string | CELL |\n\n{% tabs %}\n{% tab title=\"200: OK\" %}\n```\nDONE\n```\n{% endtab %}\n{% endtabs %}\n\n```\n{\"id\": \"x\", \"key\": \"y\", \"type\": \"EXAMPLE\", \"data\": DATA}\n```\n";

fn table_page(title: &str, path: &str, cell: &str, example: &str, data: &str) -> String {
    let (area, call) = path.trim_start_matches('/').split_once('/').unwrap();
    TABLE_PAGE
        .replace("Title", title)
        .replace("AREA", area)
        .replace("CALL", call)
        .replace("CELL", cell)
        .replace("EXAMPLE", example)
        .replace("DATA", data)
}

#[test]
fn a_page_naming_an_unknown_call_is_an_error_unless_an_overlay_decides() {
    let md = table_page(
        "Ban Account",
        "/general/ban_account",
        "CLOCK_IN_OUT",
        "BAN_USER",
        "[]",
    );
    let pages = [page("api-endpoints/general/ban-account.md", &md)];
    let errs = errors(&pages);
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].starts_with("api-integration/api-endpoints/general/ban-account.md:7: names an unknown call: the `type` cell (line 7) says CLOCK_IN_OUT and the request example's `type` (line 18) says BAN_USER, and neither matches the URL /general/ban_account"),
        "{}",
        errs[0]
    );

    // The decision as data: a hand overlay names the page and says why.
    let tmp = tempfile::tempdir().unwrap();
    let overlay = tmp.path().join("types/v1/general/ban-account.yaml");
    std::fs::create_dir_all(overlay.parent().unwrap()).unwrap();
    std::fs::write(
        &overlay,
        "page: api-endpoints/general/ban-account.md\ntype: BAN_ACCOUNT\nreason: The URL names it.\n",
    )
    .unwrap();
    let plan = v1_import::plan(&CMS, tmp.path(), &pages).unwrap();
    let call = &plan.calls[0];
    assert_eq!(
        (call.operation_id.as_str(), call.v1_type.as_str()),
        ("banAccountV1", "BAN_ACCOUNT")
    );
    assert_eq!(
        call.decisions(),
        [
            "api-endpoints/general/ban-account.md: The URL names it. (hand decision, types/v1/general/ban-account.yaml)"
        ]
    );

    // An overlay whose page is gone is an error naming the overlay.
    let err = v1_import::plan(&CMS, tmp.path(), &[]).unwrap_err();
    assert_eq!(
        err.problems[0].to_string(),
        "types/v1/general/ban-account.yaml: overlay for api-endpoints/general/ban-account.md, but no such v1 page was imported"
    );
}

#[test]
fn a_type_string_that_is_no_call_is_an_error() {
    let md = table_page("Get X", "/general/get_x", "get x", "GET_X", "[]");
    let errs = errors(&[page("api-endpoints/general/get-x.md", &md)]);
    assert_eq!(
        errs,
        [
            "api-integration/api-endpoints/general/get-x.md:7: the `type` cell (line 7) names `get x`, which is no call type"
        ]
    );
}

#[test]
fn two_pages_claiming_one_operation_with_different_shapes_is_an_error() {
    let a = table_page("Get X", "/general/get_x", "GET_X", "GET_X", "[{\"a\": 1}]");
    let b = table_page(
        "Get X",
        "/general/get_x",
        "GET_X",
        "GET_X",
        "[{\"a\": \"one\"}]",
    );
    let errs = errors(&[
        page("api-endpoints/general/get-x-1.md", &b),
        page("api-endpoints/general/get-x.md", &a),
    ]);
    assert_eq!(
        errs,
        [
            "api-integration/api-endpoints/general/get-x-1.md:3: documents `getXV1` (GET_X /general/get_x) like api-endpoints/general/get-x.md (line 3) but with a different shape; decide which page is right in a hand overlay under types/v1/"
        ]
    );
    // The same shape twice is one operation, the page without `-1` documenting it.
    let calls = v1_import::import(
        &CMS,
        &[
            page("api-endpoints/general/get-x-1.md", &a),
            page("api-endpoints/general/get-x.md", &a),
        ],
        &[],
    )
    .unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].docs_pages,
        [
            "api-endpoints/general/get-x.md",
            "api-endpoints/general/get-x-1.md"
        ]
    );
    // Two calls on one path are two claims on one operation too.
    let c = table_page("Get X", "/general/get_x", "GET_Y", "GET_Y", "[]");
    let errs = errors(&[
        page("api-endpoints/general/get-x.md", &a),
        page("api-endpoints/general/get-y.md", &c),
    ]);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].contains("two calls on one path"), "{}", errs[0]);
}

#[test]
fn a_failed_import_plans_nothing_and_a_reimport_reports_only_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let openapi = tmp.path();
    let mut pages = fixture_pages();
    let plan = v1_import::plan(&CMS, openapi, &pages).unwrap();
    assert_eq!(plan.report.added.len(), 3);
    for (rel, text) in &plan.writes {
        let path = openapi.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    // A hand-owned v1 file beside them is left alone.
    std::fs::write(openapi.join("v1/general/hand.yaml"), "paths: {}\n").unwrap();

    let again = v1_import::plan(&CMS, openapi, &pages).unwrap();
    assert!(again.report.added.is_empty() && again.report.changed.is_empty());
    assert!(again.deletes.is_empty());

    // One broken page among good ones: the whole import fails.
    pages.push(page("api-endpoints/general/broken.md", "# Broken\n"));
    let err = v1_import::plan(&CMS, openapi, &pages).unwrap_err();
    assert_eq!(
        err.to_string(),
        "1 problem in the API description:\n  api-integration/api-endpoints/general/broken.md:1: names no call: neither a `POST` https://api.sonorancms.com/<area>/<call> line nor a swagger block\n"
    );

    // A call gone from the docs: its generated file is deleted, hand-owned ones stay.
    pages.pop();
    pages.retain(|p| !p.docs_page.ends_with("clock-in-out.md"));
    let fewer = v1_import::plan(&CMS, openapi, &pages).unwrap();
    assert_eq!(fewer.deletes, ["v1/general/clock_in_out.yaml"]);
}

#[test]
fn a_hand_owned_file_in_the_way_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("v1/general/kick_account.yaml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "# hand-written\npaths: {}\n").unwrap();
    let err = v1_import::plan(&CMS, tmp.path(), &fixture_pages()).unwrap_err();
    assert!(
        err.problems[0]
            .to_string()
            .starts_with("v1/general/kick_account.yaml: hand-owned file in the way"),
        "{err}"
    );
}

#[test]
fn imported_fixture_files_merge_and_validate() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = v1_import::plan(&CMS, tmp.path(), &fixture_pages()).unwrap();
    for (rel, text) in &plan.writes {
        let path = tmp.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let cms = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/cms/components");
    std::fs::create_dir_all(tmp.path().join("components")).unwrap();
    std::fs::copy(cms.join("v1.yaml"), tmp.path().join("components/v1.yaml")).unwrap();
    let doc = build(tmp.path());
    assert_eq!(sonoran_spec::operations(&doc).count(), 3);
}
