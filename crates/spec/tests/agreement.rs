//! Inference measured against the hand-typed operations of the repository's own `openapi/`
//! (`cargo xtask stats` prints the same figure): it must not fall below what it reached.

/// Agreement reached, in tenths of a percent of all the hand schemas' fields. (56.9%: the
/// hand typing of `priority` as the `DispatchPriority` enum, which the v2 pages do not
/// list, took one field the inference had matched as a plain integer.)
const FLOOR_PERMILLE: usize = 569;
/// Agreement reached, in tenths of a percent of the fields both the hand schema and the
/// inference have.
const FLOOR_SHARED_PERMILLE: usize = 926;

#[test]
fn inference_agreement_does_not_fall() {
    let openapi = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/cad");
    let a = sonoran_spec::agreement::measure_dir(&sonoran_spec::api::CAD, &openapi).unwrap();
    assert_eq!(
        a.operations.len(),
        74,
        "every hand-typed v2 operation is measured"
    );
    assert!(a.total() > 1000, "{a}");
    assert!(a.permille() >= FLOOR_PERMILLE, "{a}");
    assert!(a.shared_permille() >= FLOOR_SHARED_PERMILLE, "{a}");
}

/// What `cargo xtask stats` reports for the repository: 75 v2 operations, all typed (74 by
/// hand, the database-sync page by its own components), and 64 v1 calls (63 operations;
/// JOIN_COMMUNITY and LEAVE_COMMUNITY share `POST /sso/community`).
#[test]
fn the_repository_counts() {
    let openapi = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/cad");
    let doc = sonoran_spec::build(&sonoran_spec::api::CAD, &openapi).unwrap();
    let s = sonoran_spec::stats::stats(&doc);
    assert_eq!(s.v2_operations, 75, "{s}");
    assert_eq!(
        (s.v2_hand_typed, s.v2_docs_typed, s.v2_inferred),
        (74, 1, 0),
        "{s}"
    );
    assert_eq!(s.v2_typed, 75, "{s}");
    assert_eq!((s.v1_operations, s.v1_calls), (63, 64), "{s}");
}
