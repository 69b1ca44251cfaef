//! Inference measured against the hand-typed operations of the repository's own `openapi/`
//! (`cargo xtask stats` prints the same figure): it must not fall below what it reached.

/// Agreement reached, in tenths of a percent of the hand schemas' fields.
const FLOOR_PERMILLE: usize = 503;

#[test]
fn inference_agreement_does_not_fall() {
    let openapi = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi");
    let a = sonoran_spec::agreement::measure_dir(&openapi).unwrap();
    assert_eq!(
        a.operations.len(),
        74,
        "every hand-typed v2 operation is measured"
    );
    assert!(a.total() > 1000, "{a}");
    assert!(a.permille() >= FLOOR_PERMILLE, "{a}");
}
