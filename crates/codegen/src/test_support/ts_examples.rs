//! Test support: every documented example as a TypeScript constant that must satisfy the
//! type the npm package declares for it (`<npm_dir>/tests/ts/examples.ts`).

use crate::model::{Model, Operation};
use crate::names::pascal_case;
use crate::npm::success_ts;
use crate::tables::JsOperation;
use crate::typescript::TypeScript;
use crate::v1::{DataParam, Reply};
use serde_json::Value;
use sonoran_spec::api::Api;
use std::fmt::Write as _;

/// Every `$ref`'d schema name that `ts.ts_type(schema)` prints, as TypeScript names.
fn referenced_types(ts: &TypeScript, schema: &Value, out: &mut std::collections::BTreeSet<String>) {
    match schema {
        Value::Object(m) => {
            if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                out.insert(ts.ts_name(r.trim_start_matches("#/components/schemas/")));
            }
            for v in m.values() {
                referenced_types(ts, v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| referenced_types(ts, v, out)),
        _ => {}
    }
}

/// The documented example of the first 2xx reply's JSON, with that reply's schema.
/// The success reply's example and schema; for an enveloped reply (`x-envelope`) its payload,
/// which is what the JS method resolves to.
fn success_json_example<'a>(op: &Operation<'a>) -> Option<(&'a Value, &'a Value)> {
    let reply = op.success()?;
    let (example, schema) = (reply.json_example?, reply.json_schema?);
    match reply.envelope {
        None => Some((example, schema)),
        Some(key) => Some((
            example.get(key)?,
            schema.pointer(&format!("/properties/{key}"))?,
        )),
    }
}

fn check(body: &mut String, what: &str, name: &str, example: &Value, ty: String) {
    let value = serde_json::to_string_pretty(example).unwrap_or_default();
    let _ = writeln!(
        body,
        "// {what}\nexport const {name} = {value} satisfies {ty};\n"
    );
}

/// `crates/wasm/tests/ts/examples.ts`: every documented example checked against the
/// TypeScript type the package declares for it (`satisfies`, so excess properties and
/// wrong literals are errors). v2: the request body and the success reply; v1: the
/// envelope example's `data`, its other envelope fields, and a JSON reply. Text replies
/// are skipped.
pub fn file(api: &Api, model: &Model, ops: &[JsOperation]) -> String {
    let ts = TypeScript::for_api(api);
    let mut names = std::collections::BTreeSet::new();
    let mut body = String::new();
    for js in ops {
        let Some(op) = model.operation(&js.operation_id) else {
            continue;
        };
        if js.v1 {
            let Some(m) = model
                .v1_methods
                .iter()
                .find(|m| crate::names::camel_case(&m.method) == js.name)
            else {
                continue;
            };
            let envelope = op.body.as_ref().and_then(|b| b.json_example());
            if let (Some(DataParam::Typed(s)), Some(data)) =
                (&m.data, envelope.and_then(|e| e.get("data")))
            {
                referenced_types(&ts, s, &mut names);
                let what = format!(
                    "{} (v1 `{}`): the envelope example's `data`",
                    js.name, m.v1_type
                );
                check(
                    &mut body,
                    &what,
                    &format!("{}Data", js.name),
                    data,
                    ts.ts_type(s),
                );
            }
            let extra: serde_json::Map<String, Value> = m
                .extra
                .iter()
                .filter_map(|(k, _, _)| Some((k.clone(), envelope?.get(k)?.clone())))
                .collect();
            if !extra.is_empty() {
                let what = format!(
                    "{} (v1 `{}`): the envelope example's other fields",
                    js.name, m.v1_type
                );
                let ty = format!("{}Options", pascal_case(&js.name));
                names.insert(ty.clone());
                check(
                    &mut body,
                    &what,
                    &format!("{}Options", js.name),
                    &Value::Object(extra),
                    ty,
                );
            }
            if let (Reply::Json(s) | Reply::JsonOrText(s), Some((example, _))) =
                (&m.reply, success_json_example(op))
            {
                referenced_types(&ts, s, &mut names);
                let what = format!("{} (v1 `{}`): the reply example", js.name, m.v1_type);
                check(
                    &mut body,
                    &what,
                    &format!("{}Reply", js.name),
                    example,
                    ts.ts_type(s),
                );
            }
            continue;
        }
        let (path, method) = (op.path, op.method.to_ascii_uppercase());
        if let (Some(s), Some(example)) = (
            op.json_body(),
            op.body.as_ref().and_then(|b| b.json_example()),
        ) {
            referenced_types(&ts, s, &mut names);
            let what = format!("{} (`{method} {path}`): the request body example", js.name);
            check(
                &mut body,
                &what,
                &format!("{}Body", js.name),
                example,
                ts.ts_type(s),
            );
        }
        if let Some((example, s)) = success_json_example(op) {
            referenced_types(&ts, s, &mut names);
            let what = format!("{} (`{method} {path}`): the reply example", js.name);
            check(
                &mut body,
                &what,
                &format!("{}Reply", js.name),
                example,
                success_ts(&ts, op),
            );
        }
    }
    let mut out = String::from(crate::HEADER);
    let _ = write!(
        out,
        "// Every documented example, checked by `tsc -p {}/tests/ts` against the type\n// the package declares for it.\n",
        api.npm_dir
    );
    if !names.is_empty() {
        let list: Vec<&str> = names.iter().map(String::as_str).collect();
        let _ = writeln!(
            out,
            "import type {{\n  {},\n}} from '{}';",
            list.join(",\n  "),
            api.package_name
        );
    }
    out.push('\n');
    out.push_str(&body);
    out
}
