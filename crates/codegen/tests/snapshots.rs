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
