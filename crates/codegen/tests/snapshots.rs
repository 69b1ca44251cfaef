//! The generator's output for small fixture specs, one per concern, compared with
//! committed insta snapshots. The full client is guarded byte for byte by the regen
//! freshness test instead.

use sonoran_codegen::{enums, progenitor_form, rust_client};

fn generate(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let reduced = progenitor_form::reduce(&doc);
    let enums = enums::collect(&doc).unwrap();
    let mut out =
        rust_client::generate(&reduced.document, &enums).unwrap_or_else(|e| panic!("{name}: {e}"));
    if !enums.is_empty() {
        out.push_str("\n// ---- enums ----\n");
        out.push_str(&rust_client::format(enums::tokens(&enums), "").unwrap());
    }
    out
}

#[test]
fn path_and_query_parameters() {
    insta::assert_snapshot!(generate("path_query_params"));
}

#[test]
fn json_request_body() {
    insta::assert_snapshot!(generate("json_body"));
}

#[test]
fn integer_enum() {
    insta::assert_snapshot!(generate("integer_enum"));
}

#[test]
fn text_reply() {
    insta::assert_snapshot!(generate("text_reply"));
}

#[test]
fn error_replies_of_mixed_kinds_do_not_reach_progenitor() {
    let out = generate("error_reply");
    // The error responses are left to the client's error layer (see progenitor_form).
    assert!(
        out.contains("Error<()>"),
        "errors are not decoded by generated code"
    );
    insta::assert_snapshot!(out);
}

// ---- the npm package's generators and the v1 methods, over the npm_* fixtures ----

fn fixture(name: &str) -> serde_json::Value {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Every generator's output for one fixture: (generator, text).
fn outputs(name: &str, api: &sonoran_spec::api::Api) -> Vec<(&'static str, String)> {
    use sonoran_codegen::{model::Model, npm, tables, test_support, v1};
    let doc = fixture(name);
    let model = Model::read(&doc).unwrap();
    let (table, ops) = tables::generate(&model, api).unwrap();
    let v1_src = rust_client::format(
        v1::tokens(
            api,
            &model.v1_methods,
            &v1::known_errors(&doc),
            &v1::error_kinds(&doc).unwrap(),
            &model.enums,
            &Default::default(),
        ),
        "",
    )
    .unwrap();
    vec![
        ("tables", table),
        ("declarations", npm::declarations_file(api, &model, &ops)),
        ("operations_module", npm::operations_module(&model, &ops)),
        ("enums_module", npm::enums_module(&model.enums)),
        ("v1_methods", v1_src),
        (
            "examples",
            test_support::ts_examples::file(api, &model, &ops),
        ),
    ]
}

/// Snapshots the `generators` that concern `fixture`, after checking the `expect`ed lines.
fn snapshot_all(fixture: &str, generators: &[&str], expect: &[(&str, &str)]) {
    snapshot_all_for(&sonoran_spec::api::CAD, fixture, generators, expect);
}

/// [`snapshot_all`] for `api`.
fn snapshot_all_for(
    api: &sonoran_spec::api::Api,
    fixture: &str,
    generators: &[&str],
    expect: &[(&str, &str)],
) {
    for (generator, text) in outputs(fixture, api) {
        if !generators.contains(&generator) {
            continue;
        }
        for (g, needle) in expect {
            if *g == generator {
                assert!(
                    text.contains(needle),
                    "{fixture}/{generator}: `{needle}` missing in\n{text}"
                );
            }
        }
        insta::assert_snapshot!(format!("{fixture}__{generator}"), text);
    }
}

#[test]
fn npm_v2_operation() {
    snapshot_all(
        "npm_v2",
        &["tables", "declarations", "operations_module", "examples"],
        &[
            ("tables", "server: true"),
            ("declarations", "serverId?: number;"),
            ("declarations", "note?: string | null;"),
            ("declarations", "kind: \"POLICE\" | \"FIRE\";"),
            ("operations_module", "[\"updateUnit\", 0, 0, 1],"),
            ("examples", "satisfies UpdateUnitRequest;"),
            ("examples", "satisfies Unit;"),
        ],
    );
}

/// An enveloped reply (CMS v2): the method resolves to `data` (reply kind 3 for the JS side,
/// `data`'s type in the declarations and the examples), `meta` through `metaOf`.
#[test]
fn npm_enveloped_reply() {
    snapshot_all_for(
        &sonoran_spec::api::CMS,
        "npm_envelope",
        &["declarations", "operations_module", "examples"],
        &[
            ("operations_module", "[\"getAccountRanks\", 0, 3, 1],"),
            ("declarations", "Promise<Ranks>;"),
            (
                "declarations",
                "export declare function metaOf(result: unknown): ReplyMeta | undefined;",
            ),
            ("declarations", "export declare class SonoranCms"),
            ("examples", "= [\n  \"rank-a\"\n] satisfies Ranks;"),
        ],
    );
}

#[test]
fn npm_v1_envelope_calls() {
    snapshot_all(
        "npm_v1",
        &[
            "tables",
            "declarations",
            "operations_module",
            "v1_methods",
            "examples",
        ],
        &[
            ("tables", "kind: \"SET_NOTE\""),
            ("declarations", "serverId?: number;"),
            ("operations_module", "[\"setNoteV1\", 1, 1, 2],"),
            ("v1_methods", "pub fn set_note_v1("),
            ("examples", "satisfies SetNoteV1Options;"),
        ],
    );
}

#[test]
fn npm_integer_enum() {
    snapshot_all(
        "integer_enum",
        &["tables", "declarations", "enums_module"],
        &[
            (
                "enums_module",
                "export const UnitStatus = Object.freeze({ UNAVAILABLE: 0,",
            ),
            ("declarations", "readonly ENROUTE: 3;"),
        ],
    );
}

/// A request's `serverId` is left to the client (no constructor argument, `Option`, the v1
/// method asks the sender to fill it) and a documented `default:` is where `new` starts.
#[test]
fn server_id_from_the_client_and_documented_defaults() {
    use sonoran_codegen::{bodies, targets, v1};
    let doc = fixture("v1_defaults");
    let enums = enums::collect(&doc).unwrap();
    let reduced = progenitor_form::reduce(&doc);
    let progenitor = rust_client::generate_tokens(&reduced.document, &enums).unwrap();
    let api = &sonoran_spec::api::CAD;
    let (bodies, _) =
        bodies::tokens(api, &progenitor, &doc, &targets::collect(&doc).unwrap()).unwrap();
    let bodies = rust_client::format(bodies, "").unwrap();
    let types = rust_client::format(progenitor, "").unwrap();
    let model = sonoran_codegen::model::Model::read(&doc).unwrap();
    let methods = &model.v1_methods;
    assert!(methods[0].fills_server_id);
    let v1_src = rust_client::format(
        v1::tokens(
            api,
            methods,
            &[],
            &Default::default(),
            &enums,
            &Default::default(),
        ),
        "",
    )
    .unwrap();
    for (text, needle) in [
        (&types, "pub server_id: ::std::option::Option<i64>,"),
        (
            &bodies,
            "pub fn new(call_id: impl ::std::convert::Into<i64>) -> Self {",
        ),
        (&bodies, "partial: true,"),
        (
            &bodies,
            "limit: ::std::num::NonZeroU64::new(100).expect(\"100 is not zero\"),",
        ),
        (&bodies, "offset: 0,"),
        (&bodies, "server_id: ::std::default::Default::default(),"),
        (&v1_src, "true,"),
    ] {
        assert!(text.contains(needle), "`{needle}` missing in\n{text}");
    }
    insta::assert_snapshot!("v1_defaults__bodies", bodies);
    insta::assert_snapshot!("v1_defaults__v1_methods", v1_src);
}
