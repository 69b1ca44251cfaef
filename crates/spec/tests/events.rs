//! `openapi/<api>/events/*.yaml` into `x-push-events`: what merges, and every mistake named with
//! its file and place.

use serde_json::{Value, json};
use sonoran_spec::events::merge;
use sonoran_spec::load::Source;

fn source(rel: &str, doc: Value) -> Source {
    Source {
        rel: rel.into(),
        doc,
        repairs: Vec::new(),
        page: None,
        text: String::new(),
    }
}

fn good() -> Value {
    json!({
        "events": {
            "EVENT_UNIT_STATUS": {
                "variant": "UnitStatus",
                "summary": "A unit's status changed.",
                "docs-page": "push-events/unit-events/unit-status-update.md",
                "data": "UnitStatusEvent",
                "example": { "identIds": [1], "status": 0 },
                "more-examples": [{ "docs-page": "websocket-api/push-events.md", "data": { "units": [] } }]
            }
        },
        "schemas": {
            "UnitStatusEvent": {
                "type": "object",
                "x-lenient": "one-element-array",
                "properties": {
                    "identIds": { "type": "array", "items": { "type": "integer" }, "x-lenient": "single-as-list" },
                    "status": { "type": "integer", "x-lenient": "numeric-string" }
                }
            }
        }
    })
}

#[test]
fn an_events_file_merges_into_its_two_sections() {
    let mut problems = Vec::new();
    let (events, schemas) = merge(&[source("events/units.yaml", good())], &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    let e = &events["EVENT_UNIT_STATUS"];
    assert_eq!(
        e["schema"],
        "#/components/x-push-event-schemas/UnitStatusEvent"
    );
    assert_eq!(e["variant"], "UnitStatus");
    assert_eq!(e["x-defined-in"], "events/units.yaml");
    assert_eq!(e["example"], json!({ "identIds": [1], "status": 0 }));
    assert!(e.get("data").is_none(), "`data` becomes `schema`");
    assert!(schemas.contains_key("UnitStatusEvent"));
}

#[test]
fn mistakes_are_named_with_file_and_place() {
    let mut other = good();
    // The same type, variant and schema again, in a second file.
    other["events"]["EVENT_UNIT_PANIC"] = json!({
        "variant": "UnitStatus", "docs-page": "p.md", "data": "Missing", "example": []
    });
    other["events"]["event_lower"] =
        json!({ "variant": "Unknown", "data": "UnitStatusEvent", "example": {}, "colour": 1 });
    other["schemas"]["Bad"] = json!({
        "type": "object",
        "properties": {
            "a": { "type": "string", "x-lenient": "numeric-string" },
            "b": { "type": "integer", "x-lenient": "forgiving" },
            "c": { "type": "string", "when it has one.": null }
        }
    });
    other["extra"] = json!(1);
    let mut problems = Vec::new();
    merge(
        &[
            source("events/a.yaml", good()),
            source("events/b.yaml", other),
        ],
        &mut problems,
    );
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let expect = [
        "events/b.yaml: unexpected top-level key `extra`",
        "events/b.yaml (at /schemas/UnitStatusEvent): event schema `UnitStatusEvent` is already defined in events/a.yaml",
        "events/b.yaml (at /events/EVENT_UNIT_STATUS): event type `EVENT_UNIT_STATUS` is defined twice",
        "events/b.yaml (at /events/EVENT_UNIT_PANIC): `variant` `UnitStatus` is also used by EVENT_UNIT_STATUS",
        "events/b.yaml (at /events/EVENT_UNIT_PANIC): `data` `Missing` names no schema of an events file",
        "events/b.yaml (at /events/EVENT_UNIT_PANIC): no `example` object",
        "events/b.yaml (at /events/event_lower): event type `event_lower` is not an upper-case type string",
        "events/b.yaml (at /events/event_lower): unexpected key `colour`",
        "events/b.yaml (at /events/event_lower): `variant` `Unknown` must be a PascalCase name other than Unknown",
        "events/b.yaml (at /events/event_lower): no `docs-page`",
        "events/b.yaml (at /schemas/Bad/properties/a): `x-lenient: numeric-string` applies to `type: integer|number`, not `string`",
        "events/b.yaml (at /schemas/Bad/properties/b): unknown `x-lenient` \"forgiving\"",
        "events/b.yaml (at /schemas/Bad/properties/c): `when it has one.` has no value (an unquoted comma in a YAML flow mapping?)",
    ];
    for e in expect {
        assert!(
            text.iter().any(|t| t.starts_with(e)),
            "missing {e:?} in:\n{}",
            text.join("\n")
        );
    }
    assert_eq!(text.len(), expect.len(), "{}", text.join("\n"));
}

#[test]
fn the_committed_events_merge_into_the_document() {
    let doc = sonoran_spec::build(
        &sonoran_spec::api::CAD,
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/cad"),
    )
    .unwrap();
    let events: Vec<(&str, &Value)> = sonoran_spec::events::events(&doc).collect();
    assert_eq!(events.len(), 27);
    for (type_, event) in events {
        let (name, schema) =
            sonoran_spec::events::event_schema(&doc, event).unwrap_or_else(|| panic!("{type_}"));
        assert!(
            schema.get("properties").is_some(),
            "{type_}: {name} is an object"
        );
        assert!(event["example"].is_object(), "{type_}");
    }
}
