//! Tests added for the mutation run of `validate.rs` (TESTING.md, "Mutation testing"): each
//! pins a rule of the module's doc comment that no earlier test checked.

use super::*;
use serde_json::json;

fn ok(value: Value, schema: Value) -> bool {
    validate(&json!({}), &value, &schema, "body").is_ok()
}

fn err(value: Value, schema: Value) -> String {
    validate(&json!({}), &value, &schema, "body").expect_err("refused")
}

#[test]
fn lengths_counts_and_bounds_at_their_edges() {
    let items = json!({"type": "array", "minItems": 2, "maxItems": 3});
    assert_eq!(
        err(json!([1]), items.clone()),
        "body: 1 items, at least 2 required"
    );
    assert!(ok(json!([1, 2]), items.clone()));
    assert!(ok(json!([1, 2, 3]), items.clone()));
    assert_eq!(
        err(json!([1, 2, 3, 4]), items),
        "body: 4 items, at most 3 allowed"
    );
    let text = json!({"type": "string", "minLength": 2, "maxLength": 3});
    assert_eq!(
        err(json!("é"), text.clone()),
        "body: 1 characters, at least 2 required"
    );
    assert!(ok(json!("éé"), text.clone()));
    assert!(ok(json!("ééé"), text.clone()));
    assert_eq!(
        err(json!("éééé"), text),
        "body: 4 characters, at most 3 allowed"
    );
    let number = json!({"type": "number", "minimum": 1, "maximum": 5});
    assert_eq!(
        err(json!(0.5), number.clone()),
        "body: 0.5 is less than the minimum 1"
    );
    assert!(ok(json!(1), number.clone()));
    assert!(ok(json!(5), number.clone()));
    assert_eq!(err(json!(6), number), "body: 6 is more than the maximum 5");
}

#[test]
fn additional_properties_false_or_a_schema() {
    let closed = json!({"type": "object", "properties": {"a": {"type": "integer"}},
                        "additionalProperties": false});
    assert!(ok(json!({"a": 1}), closed.clone()));
    assert_eq!(
        err(json!({"a": 1, "b": 2}), closed),
        "body.b: property is not allowed"
    );
    let typed = json!({"type": "object", "additionalProperties": {"type": "string"}});
    assert!(ok(json!({"x": "y"}), typed.clone()));
    assert_eq!(
        err(json!({"x": 1}), typed),
        "body.x: expected a string, got 1"
    );
}

#[test]
fn one_of_and_refs_in_parameters_and_bodies() {
    let doc = json!({"components": {"schemas": {
        "Id": {"type": "integer"},
        "Flag": {"allOf": [{"type": "boolean"}]},
        "Either": {"oneOf": [{"type": "integer"}, {"type": "string", "maxLength": 1}]}
    }}});
    let id = json!({"$ref": "#/components/schemas/Id"});
    assert_eq!(coerce_param(&doc, "12", &id, "query.id"), Ok(json!(12)));
    let flag = json!({"$ref": "#/components/schemas/Flag"});
    assert_eq!(
        coerce_param(&doc, "false", &flag, "query.f"),
        Ok(json!(false))
    );
    assert_eq!(
        coerce_param(&doc, "true", &flag, "query.f"),
        Ok(json!(true))
    );
    let number = json!({"type": "number"});
    assert_eq!(
        coerce_param(&doc, "2.5", &number, "query.n"),
        Ok(json!(2.5))
    );
    assert!(coerce_param(&doc, "x", &number, "query.n").is_err());
    let either = json!({"$ref": "#/components/schemas/Either"});
    assert!(validate(&doc, &json!(3), &either, "body").is_ok());
    assert!(validate(&doc, &json!("a"), &either, "body").is_ok());
    let e = validate(&doc, &json!("ab"), &either, "body").expect_err("neither form");
    assert!(
        e.starts_with("body: \"ab\" matches none of the 2 allowed forms"),
        "{e}"
    );
}

#[test]
fn types_of_numbers_and_enums_of_numbers() {
    assert_eq!(
        err(json!("1"), json!({"type": "number"})),
        "body: expected a number, got \"1\""
    );
    let integer = json!({"type": "integer"});
    assert!(ok(json!(-3), integer.clone()));
    assert!(ok(json!(2.0), integer.clone()));
    assert_eq!(
        err(json!(1.5), integer),
        "body: expected an integer, got 1.5"
    );
    // `1` and `1.0` are the same number; `2` is not `1`.
    let one = json!({"enum": [1]});
    assert!(ok(json!(1.0), one.clone()));
    assert!(ok(json!(1), one.clone()));
    assert_eq!(err(json!(2), one), "body: 2 is not one of [1]");
}

#[test]
fn an_untyped_schema_still_checks_its_properties() {
    let s = json!({"properties": {"a": {"type": "integer"}}});
    assert_eq!(
        err(json!({"a": "x"}), s.clone()),
        "body.a: expected an integer, got \"x\""
    );
    assert!(ok(json!(null), s));
}

#[test]
fn paths_and_enum_lists_read_as_documented() {
    let s = json!({"type": "object", "properties": {"a_b": {"type": "integer"}, "$c": {"type": "integer"}}});
    assert_eq!(
        err(json!({"a_b": "x"}), s.clone()),
        "body.a_b: expected an integer, got \"x\""
    );
    assert_eq!(
        err(json!({"$c": "x"}), s),
        "body.$c: expected an integer, got \"x\""
    );
    let twenty: Vec<u32> = (1..=20).collect();
    let e = err(json!(0), json!({"enum": twenty}));
    assert!(e.ends_with(", 19, 20]"), "twenty values are all shown: {e}");
    let more: Vec<u32> = (1..=21).collect();
    let e = err(json!(0), json!({"enum": more}));
    assert!(e.ends_with(", 20, ...]"), "{e}");
}

#[test]
fn compositions_at_the_top_of_a_schema() {
    let doc = json!({});
    let flag = json!({"allOf": [{"type": "boolean"}]});
    assert_eq!(
        coerce_param(&doc, "true", &flag, "query.f"),
        Ok(json!(true))
    );
    let either = json!({"oneOf": [{"type": "integer"}, {"type": "boolean"}]});
    assert!(ok(json!(true), either.clone()));
    let e = err(json!("x"), either);
    assert!(
        e.starts_with("body: \"x\" matches none of the 2 allowed forms"),
        "{e}"
    );
}
