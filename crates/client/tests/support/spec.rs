//! The committed merged document, as the tests read it.

pub fn merged() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../openapi/sonoran-cad.openapi.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("the merged spec is committed"))
        .expect("it is JSON")
}
