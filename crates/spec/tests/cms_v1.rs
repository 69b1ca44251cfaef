//! The committed CMS v1 calls and push events (`openapi/cms/v1/`, `events/`, with the
//! envelope pieces of `components/v1.yaml`) merge and validate on their own.

use serde_json::Value;
use sonoran_spec::api::CMS;
use std::path::{Path, PathBuf};

/// The merged, validated CMS document of `dir`.
fn build(dir: &Path) -> serde_json::Value {
    sonoran_spec::build(&sonoran_spec::api::CMS, dir).unwrap_or_else(|e| panic!("{e}"))
}

fn cms_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(CMS.openapi_dir())
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// A folder holding only this slice of openapi/cms/.
fn v1_only() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let cms = cms_dir();
    copy_tree(&cms.join("v1"), &tmp.path().join("v1"));
    copy_tree(&cms.join("events"), &tmp.path().join("events"));
    std::fs::create_dir_all(tmp.path().join("components")).unwrap();
    std::fs::copy(
        cms.join("components/v1.yaml"),
        tmp.path().join("components/v1.yaml"),
    )
    .unwrap();
    tmp
}

#[test]
fn the_v1_calls_and_push_events_merge_and_validate() {
    let tmp = v1_only();
    let doc = build(tmp.path());
    let ops: Vec<(&str, &str, &Value)> = sonoran_spec::operations(&doc).collect();
    assert_eq!(ops.len(), 33, "the 33 documented v1 calls");
    for (path, method, op) in &ops {
        assert_eq!(*method, "post", "{path}");
        let id = op["operationId"].as_str().unwrap();
        assert!(id.ends_with("V1"), "{id}");
        let ty = op["x-v1-type"].as_str().unwrap();
        assert_eq!(
            op.pointer("/requestBody/content/application~1json/schema/properties/type/enum"),
            Some(&serde_json::json!([ty])),
            "{id}: `type` is a one-value enum"
        );
        assert_eq!(
            op.pointer("/requestBody/content/application~1json/example/type"),
            Some(&Value::from(ty)),
            "{id}: the example sends its own type"
        );
        let page = op["x-docs-page"].as_str().unwrap();
        assert!(page.starts_with("api-endpoints/"), "{id}: {page}");
    }
    let types: std::collections::BTreeSet<&str> = ops
        .iter()
        .map(|(_, _, op)| op["x-v1-type"].as_str().unwrap())
        .collect();
    assert_eq!(types.len(), 33, "33 distinct types");
    // The judgements the pages needed.
    let by_path = |p: &str| ops.iter().find(|(path, _, _)| *path == p).unwrap().2;
    assert_eq!(
        by_path("/general/edit_acc_profile_fields")["x-v1-type"],
        "EDIT_ACC_PROFLIE_FIELDS"
    );
    assert_eq!(
        by_path("/disciplinary/update_member_record_reason")["x-v1-type"],
        "UPDATE_MEMBER_RECORD_REASON"
    );
    assert_eq!(
        by_path("/servers/activity_tracker_server_start")["x-v1-type"],
        "ACTIVITY_TRACKER_SERVER_START"
    );
    assert_eq!(by_path("/general/ban_account")["x-v1-type"], "BAN_ACCOUNT");

    let events: Vec<&str> = sonoran_spec::events::events(&doc).map(|(t, _)| t).collect();
    assert_eq!(
        events,
        ["ACCOUNT_BANNED", "ACCOUNT_KICKED", "ACCOUNT_UPDATED"]
    );
    for (t, event) in sonoran_spec::events::events(&doc) {
        let (_, schema) = sonoran_spec::events::event_schema(&doc, event).unwrap();
        let props = schema["properties"].as_object().unwrap();
        for key in event["example"].as_object().unwrap().keys() {
            assert!(props.contains_key(key), "{t}: example field {key} is typed");
        }
    }
}

#[test]
fn every_v1_file_is_machine_owned_and_every_overlay_is_used() {
    let cms = cms_dir();
    let files = sonoran_spec::load::yaml_files(&cms).unwrap();
    let v1: Vec<&String> = files.iter().filter(|f| f.starts_with("v1/")).collect();
    assert_eq!(v1.len(), 33);
    for f in &v1 {
        let text = std::fs::read_to_string(cms.join(f)).unwrap();
        assert!(
            text.starts_with(sonoran_spec::v1_import::HEADER),
            "{f} is not generated"
        );
    }
    let overlays = sonoran_spec::v1_import::load_overlays(&cms).unwrap();
    assert!(!overlays.is_empty());
    for o in &overlays {
        let used = v1.iter().any(|f| {
            std::fs::read_to_string(cms.join(f))
                .unwrap()
                .contains(&format!("(hand decision, {})", o.file))
        });
        assert!(used, "{} is applied to no generated file", o.file);
    }
}

#[test]
fn the_whole_cms_folder_builds_with_the_v1_overlays_in_it() {
    // `types/v1/` holds import inputs: the loader leaves them to the import.
    let doc = build(&cms_dir());
    assert!(sonoran_spec::operations(&doc).any(|(p, _, _)| p == "/rosters/get"));
}
