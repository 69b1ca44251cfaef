//! The merged document, as the tests read it: the copy the fake server embeds (so that the
//! tests hold in the packaged crate too, where `../../openapi/` does not exist).

pub fn merged() -> serde_json::Value {
    serde_json::from_str(sonoran_fake::spec_json()).expect("the fake's spec is JSON")
}
