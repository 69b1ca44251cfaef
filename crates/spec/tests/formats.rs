//! `import-docs` over both page formats: the newer-format page as published, the older
//! swagger blocks, a new folder, two pages with a same-named schema, a broken YAML fence, a
//! page that changed layout but not meaning, and an untyped operation given an inferred
//! draft that is then promoted by moving the file.

use sonoran_spec::import::{self, PageFormat};
use std::path::Path;

const NEWER: &str = include_str!("fixtures/get-database-sync-configuration.md");
const V2: &str = "api-integration/api-endpoints-v2";

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

/// A tab-format page with one GET operation and its own `components`.
fn tab_page(path: &str, id: &str, schema: &str) -> String {
    format!(
        "# {id}\n\n`GET` `https://api.sonorancad.com{path}`\n\n> **Rate limit:** `5 requests per minute`\n\n\
         {{% tabs %}}\n{{% tab title=\"OpenAPI\" %}}\n~~~yaml\nopenapi: \"3.0.3\"\ninfo:\n  title: \"x\"\n  version: \"1.0.0\"\n\
         paths:\n  {path}:\n    get:\n      operationId: \"{id}\"\n      responses:\n        200:\n          description: \"ok\"\n\
         \x20         content:\n            application/json:\n              schema:\n                $ref: \"#/components/schemas/Config\"\n\
         \x20     security:\n        -\n          BearerAuth:\ncomponents:\n  schemas:\n    Config:\n{schema}~~~\n{{% endtab %}}\n{{% endtabs %}}\n"
    )
}

#[test]
fn the_newer_format_page_becomes_a_typed_paced_operation() {
    let tmp = tempfile::tempdir().unwrap();
    let (docs, openapi) = (tmp.path().join("docs"), tmp.path().join("openapi"));
    write(
        &docs
            .join(V2)
            .join("general/configuration/get-database-sync-configuration.md"),
        NEWER,
    );
    let report = import_into(&docs, &openapi);
    assert_eq!(report.formats.len(), 1);
    assert_eq!(report.formats[0].1, PageFormat::OpenApiTab);
    assert!(
        report.to_string().contains("read as OpenAPI tab (1)"),
        "{report}"
    );
    assert_eq!(report.added_operations, ["getDatabaseSyncConfiguration"]);
    assert!(
        report.inferred.is_empty(),
        "the page types its reply itself"
    );

    let doc = sonoran_spec::build(&sonoran_spec::api::CAD, &openapi).unwrap();
    let op = &doc["paths"]["/v2/general/database-sync"]["get"];
    assert_eq!(op["x-rate-limit-per-minute"], 10);
    assert_eq!(
        op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/DatabaseSyncConfiguration"
    );
    let schema = &doc["components"]["schemas"]["DatabaseSyncConfiguration"];
    assert_eq!(schema["required"].as_array().unwrap().len(), 4);
    let stats = sonoran_spec::stats::stats(&doc);
    assert_eq!((stats.v2_operations, stats.v2_docs_typed), (1, 1));
    // The page's facts are kept for inference: its `## Response` example.
    let facts = std::fs::read_to_string(
        openapi.join("pages/v2/general/configuration/get-database-sync-configuration.yaml"),
    )
    .unwrap();
    assert!(facts.contains("vehicleRegistrations: true"), "{facts}");
}

#[test]
fn swagger_pages_new_folders_and_same_named_schemas() {
    let tmp = tempfile::tempdir().unwrap();
    let (docs, openapi) = (tmp.path().join("docs"), tmp.path().join("openapi"));
    write(
        &docs.join(V2).join("general/legacy/get-version.md"),
        "# Get Version\n\n{% swagger method=\"get\" path=\"/v2/general/version\" baseUrl=\"https://api.sonorancad.com\" summary=\"Get Version\" %}\n\
         {% swagger-parameter in=\"query\" name=\"limit\" type=\"integer\" %}\nMax.\n{% endswagger-parameter %}\n\
         {% swagger-response status=\"200: OK\" description=\"ok\" %}\n```json\n{\"version\": 3}\n```\n{% endswagger-response %}\n{% endswagger %}\n",
    );
    let a = "      type: object\n      properties:\n        a: { type: boolean }\n";
    let b = "      type: object\n      properties:\n        b: { type: integer }\n";
    write(
        &docs.join(V2).join("fivem/get-fivem-configuration.md"),
        &tab_page("/v2/fivem/config", "get_fivem_configuration", a),
    );
    write(
        &docs.join(V2).join("fivem/other/get-other.md"),
        &tab_page("/v2/fivem/other", "getOtherV2", b),
    );
    let report = import_into(&docs, &openapi);
    let text = report.to_string();
    assert!(
        text.contains(
            "read as swagger blocks (1):\n  api-endpoints-v2/general/legacy/get-version.md"
        ),
        "{text}"
    );
    assert!(text.contains("read as OpenAPI tab (2)"), "{text}");
    assert!(
        report
            .added_files
            .contains(&"v2/fivem/other/get-other.yaml".to_string()),
        "new folders are imported"
    );

    let doc = sonoran_spec::build(&sonoran_spec::api::CAD, &openapi).unwrap();
    let version = &doc["paths"]["/v2/general/version"]["get"];
    assert_eq!(version["operationId"], "getVersion");
    assert_eq!(version["parameters"][0]["schema"]["type"], "integer");
    // Both `Config`s survive under qualified names, each page's reference following its own.
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["GetFivemConfigurationConfig"]["properties"]["a"]["type"],
        "boolean"
    );
    assert_eq!(
        schemas["GetOtherConfig"]["properties"]["b"]["type"],
        "integer"
    );
    assert!(schemas.get("Config").is_none());
    assert_eq!(
        doc["paths"]["/v2/fivem/other"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            ["$ref"],
        "#/components/schemas/GetOtherConfig"
    );
    // One naming convention whatever the page wrote; the page's own id is kept.
    let fivem = &doc["paths"]["/v2/fivem/config"]["get"];
    assert_eq!(fivem["operationId"], "getFivemConfiguration");
    assert_eq!(fivem["x-docs-operation-id"], "get_fivem_configuration");
    let other = &doc["paths"]["/v2/fivem/other"]["get"];
    assert_eq!(other["operationId"], "getOther");
    assert_eq!(other["x-docs-operation-id"], "getOtherV2");
    assert!(
        version.get("x-docs-operation-id").is_none(),
        "already camelCase"
    );
    // `BearerAuth` is the one scheme the merged document defines.
    assert_eq!(
        doc["paths"]["/v2/fivem/config"]["get"]["security"][0]["bearerAuth"],
        serde_json::json!([])
    );
}

#[test]
fn a_broken_yaml_fence_is_an_error_with_page_and_line_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let (docs, openapi) = (tmp.path().join("docs"), tmp.path().join("openapi"));
    let broken = NEWER.replace(
        "operationId: \"getDatabaseSyncConfiguration\"",
        "operationId: [\"oops\"",
    );
    let page = docs
        .join(V2)
        .join("general/configuration/get-database-sync-configuration.md");
    write(&page, &broken);
    let err = import::scan(&sonoran_spec::api::CAD, &docs).unwrap_err();
    assert_eq!(err.problems.len(), 1);
    let p = &err.problems[0];
    assert_eq!(p.file, page);
    let line = p.line.expect("a line");
    let page_lines: Vec<&str> = broken.lines().collect();
    assert!(
        (line.saturating_sub(2)..=line).any(|l| page_lines
            .get(l.saturating_sub(1))
            .is_some_and(|t| t.contains("oops"))),
        "line {line} points near the bad YAML: {err}"
    );
    assert!(p.message.contains("invalid YAML"), "{err}");
    // An unclosed fence too.
    let cut = &NEWER[..NEWER
        .find("~~~\n{% endtab %}\n{% tab title=\"cURL\"")
        .unwrap()];
    write(&page, cut);
    let err = import::scan(&sonoran_spec::api::CAD, &docs)
        .unwrap_err()
        .to_string();
    assert!(err.contains("never closed"), "{err}");
    assert!(!openapi.exists(), "nothing was written");
}

#[test]
fn a_page_that_changes_layout_but_not_meaning_is_no_diff() {
    let tmp = tempfile::tempdir().unwrap();
    let (docs, openapi) = (tmp.path().join("docs"), tmp.path().join("openapi"));
    let page = docs
        .join(V2)
        .join("general/configuration/get-database-sync-configuration.md");
    write(&page, NEWER);
    import_into(&docs, &openapi);
    let before = std::fs::read_to_string(
        openapi.join("v2/general/configuration/get-database-sync-configuration.yaml"),
    )
    .unwrap();
    // Backtick fence, quoted status code, `BearerAuth`, no colour mark on the method line.
    let moved = NEWER
        .replace("~~~yaml\nopenapi", "```yaml\nopenapi")
        .replace(
            "      bearerFormat: \"JWT\"\n~~~",
            "      bearerFormat: \"JWT\"\n```",
        )
        .replace("        200:\n", "        '200':\n")
        .replace("          bearerAuth:\n", "          BearerAuth:\n")
        .replace("<mark style=\"color:green;\">`GET`</mark>", "`GET`");
    assert_ne!(moved, NEWER);
    write(&page, &moved);
    let report = import_into(&docs, &openapi);
    assert!(report.is_empty(), "{report}");
    let after = std::fs::read_to_string(
        openapi.join("v2/general/configuration/get-database-sync-configuration.yaml"),
    )
    .unwrap();
    assert_eq!(before, after);
}

#[test]
fn an_untyped_operation_gets_an_inferred_draft_that_moving_promotes() {
    let tmp = tempfile::tempdir().unwrap();
    let (docs, openapi) = (tmp.path().join("docs"), tmp.path().join("openapi"));
    let untyped = NEWER
        .replace("                $ref: \"#/components/schemas/DatabaseSyncConfiguration\"\n", "                type: \"object\"\n")
        .replace("## Response\n", "## Response\n\n| Property | Type | Required | Description |\n| --- | --- | --- | --- |\n| `enabled` | boolean | Yes | Whether sync is on. |\n");
    write(
        &docs
            .join(V2)
            .join("general/configuration/get-database-sync-configuration.md"),
        &untyped,
    );
    let report = import_into(&docs, &openapi);
    let draft = "types/inferred/v2/general/configuration/get-database-sync-configuration.yaml";
    assert_eq!(
        report.inferred,
        [(
            "getDatabaseSyncConfiguration".to_string(),
            draft.to_string()
        )]
    );
    assert!(
        report.to_string().contains("inferred types to review"),
        "{report}"
    );
    let text = std::fs::read_to_string(openapi.join(draft)).unwrap();
    assert!(
        text.starts_with("# inferred by `cargo xtask import-docs`"),
        "{text}"
    );

    let doc = sonoran_spec::build(&sonoran_spec::api::CAD, &openapi).unwrap();
    let op = &doc["paths"]["/v2/general/database-sync"]["get"];
    assert_eq!(op["x-inferred"], true);
    assert_eq!(op["x-typed-by"], draft);
    let schema = &doc["components"]["schemas"]["GetDatabaseSyncConfigurationResponse"];
    assert_eq!(schema["required"], serde_json::json!(["enabled"]));
    assert_eq!(schema["properties"]["licenses"]["type"], "boolean");
    let stats = sonoran_spec::stats::stats(&doc);
    assert_eq!((stats.v2_inferred, stats.v2_hand_typed), (1, 0));

    // Promoted: the file moves to types/v2/; the next import writes no draft for it.
    let hand = openapi.join("types/v2/general/configuration/get-database-sync-configuration.yaml");
    std::fs::create_dir_all(hand.parent().unwrap()).unwrap();
    std::fs::rename(openapi.join(draft), &hand).unwrap();
    let again = import_into(&docs, &openapi);
    assert!(again.inferred.is_empty(), "{again}");
    assert!(!openapi.join(draft).exists());
    let doc = sonoran_spec::build(&sonoran_spec::api::CAD, &openapi).unwrap();
    assert_eq!(sonoran_spec::stats::stats(&doc).v2_hand_typed, 1);
}

const LIST_PANELS: &str = include_str!("fixtures/list-panels.md");
const GET_PANEL: &str = include_str!("fixtures/get-panel.md");
const ACK_FIVEM: &str = include_str!("fixtures/acknowledge-fivem-configuration.md");

/// Three newer-format pages as published: the method in a `<mark>` tag or bare, the rate
/// limit followed by "per API key" or absent, `bearerAuth:` written as null or `BearerAuth`,
/// a reply typed only by the block's example (an array) or only by the page's Response JSON,
/// a snake_case operationId and a problem+json 409.
#[test]
fn the_newer_integration_panel_and_fivem_pages_as_published() {
    let tmp = tempfile::tempdir().unwrap();
    let (docs, openapi) = (tmp.path().join("docs"), tmp.path().join("openapi"));
    write(
        &docs.join(V2).join("integration-panels/list-panels.md"),
        LIST_PANELS,
    );
    write(
        &docs.join(V2).join("integration-panels/get-panel.md"),
        GET_PANEL,
    );
    write(
        &docs
            .join(V2)
            .join("general/configuration/acknowledge-fivem-configuration.md"),
        ACK_FIVEM,
    );
    let report = import_into(&docs, &openapi);
    assert!(
        report
            .formats
            .iter()
            .all(|(_, f)| *f == PageFormat::OpenApiTab),
        "{report}"
    );
    assert_eq!(
        report.added_operations,
        [
            "acknowledge_fivem_configuration",
            "getIntegrationPanel",
            "listIntegrationPanels"
        ]
    );
    let drafted: Vec<&str> = report.inferred.iter().map(|(op, _)| op.as_str()).collect();
    assert_eq!(
        drafted,
        ["getIntegrationPanel", "listIntegrationPanels"],
        "the panel replies are open in the blocks; the acknowledgement types its own"
    );

    let doc = sonoran_spec::build(&sonoran_spec::api::CAD, &openapi).unwrap();
    let list = &doc["paths"]["/v2/integration-panels"]["get"];
    assert_eq!(
        list["x-rate-limit-per-minute"], 120,
        "`120 requests per minute` per API key"
    );
    assert_eq!(list["security"][0]["bearerAuth"], serde_json::json!([]));
    // Typed only by the block's example: an array of panels with their instances.
    let list_ref = list["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .unwrap();
    let list_schema = doc
        .pointer(&list_ref.replace("#/", "/"))
        .unwrap_or_else(|| panic!("{list_ref}"));
    assert_eq!(list_schema["type"], "array");
    assert_eq!(
        list_schema["items"]["properties"]["instances"]["items"]["properties"]["revision"]["type"],
        "integer"
    );
    // Typed only by the page's `## Response` JSON (the block has no example).
    let get = &doc["paths"]["/v2/integration-panels/{panelKey}"]["get"];
    let get_ref = get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .unwrap();
    let get_schema = doc.pointer(&get_ref.replace("#/", "/")).unwrap();
    assert_eq!(get_schema["properties"]["updatedAt"]["type"], "string");
    assert_eq!(get_schema["properties"]["id"]["type"], "string");

    let ack =
        &doc["paths"]["/v2/fivem/servers/{serverId}/configuration/acknowledge/{revision}"]["post"];
    assert_eq!(ack["operationId"], "acknowledgeFivemConfiguration");
    assert_eq!(
        ack["x-docs-operation-id"],
        "acknowledge_fivem_configuration"
    );
    assert!(
        ack.get("x-rate-limit-per-minute").is_none(),
        "the page states no limit"
    );
    assert_eq!(
        ack["responses"]["409"]["content"]["application/problem+json"]["example"]["status"],
        409
    );
    let stats = sonoran_spec::stats::stats(&doc);
    assert_eq!((stats.v2_operations, stats.v2_typed), (3, 3), "{stats}");
}
