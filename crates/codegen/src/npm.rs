//! The npm package's JS-side generated files: the TypeScript declarations of the whole
//! surface (`crates/wasm/js/generated/types.d.ts`) and the integer enums' named constants
//! (`crates/wasm/js/generated/enums.mjs`). The methods themselves are not generated code:
//! the JS side defines one per row of the module's operation table.

use crate::enums::IntEnum;
use crate::model::{Model, Operation};
use crate::names::{js_property, pascal_case};
use crate::tables::JsOperation;
use crate::typescript::{TypeScript, doc_text};
use crate::v1::{DataParam, Reply};
use sonoran_spec::api::Api;
use std::fmt::Write as _;

fn jsdoc(lines: &[String]) -> String {
    let mut out = String::from("  /**\n");
    for l in lines {
        let _ = writeln!(out, "   * {}", doc_text(l));
    }
    out.push_str("   */\n");
    out
}

fn method_doc(api: &Api, op: &Operation, kind: &str) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(s) = op.summary {
        lines.push(format!("{s} ({kind})."));
    }
    if let Some(d) = op.description {
        let first = d.split("\n\n").next().unwrap_or(d);
        lines.push(first.to_string());
    }
    match op.rate_limit {
        Some(n) => lines.push(format!(
            "Rate limit: {n} requests per minute per API key; the client paces calls to it."
        )),
        None => lines.push("Rate limit: none documented.".into()),
    }
    if let Some(page) = op.docs_page {
        lines.push(format!("@see {{@link {}}}", api.docs_link(page)));
    }
    if op.deprecated {
        lines.push(format!(
            "@deprecated No longer in the {} docs; the call may be gone.",
            api.vendor
        ));
    }
    lines.push(format!("@throws {{{}}} on a bad argument, a timeout, a transport failure, a rate limit or an API error.", api.js_error_class));
    lines
}

/// The TypeScript type of an operation's success reply (`unknown` where it is not JSON): the
/// payload, for a reply in an envelope (`x-envelope`), which the JS side unwraps.
pub(crate) fn success_ts(ts: &TypeScript, op: &Operation) -> String {
    let Some(reply) = op.success() else {
        return "unknown".into();
    };
    let schema = match (reply.json_schema, reply.envelope) {
        (Some(s), Some(key)) => s.pointer(&format!("/properties/{key}")),
        (s, None) => s,
        (None, Some(_)) => None,
    };
    match schema {
        Some(s) => ts.ts_type(s),
        None => "unknown".into(),
    }
}

/// What the generated declarations may use of the hand-written ones
/// (`crates/wasm-core/js/core.d.ts`); each file imports those it uses.
const SHARED: [&str; 4] = ["APIPromise", "CallOptions", "ClientOptions", "ExactlyOne"];

/// Whether `text` has `name` as a whole word (not inside a longer name).
fn mentions(text: &str, name: &str) -> bool {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
    text.match_indices(name).any(|(at, _)| {
        !word(text[..at].chars().next_back()) && !word(text[at + name.len()..].chars().next())
    })
}

/// The declarations before the generated types: the client's options (the shared ones and
/// `api`'s own), and `metaOf` for an API whose replies come in an envelope.
fn preamble(api: &Api) -> String {
    let base_url = match api.staging_url {
        Some(staging) => format!(
            "Default `{}`; the development branch is `{staging}`.",
            api.production_url
        ),
        None => format!("Default `{}`.", api.production_url),
    };
    let mut out = format!(
        "/** Options of `new {class}(...)`. */\nexport interface {class}Options extends ClientOptions {{\n{server}  /** {base_url} */\n  baseUrl?: string;\n}}\n",
        class = api.js_class,
        server = server_option(api),
    );
    if let Some(key) = api.envelope.payload_key() {
        // The JS method resolves to the payload; the rest of the envelope through `metaOf`.
        let _ = write!(
            out,
            "\n/**\n * The `meta` of the reply envelope a v2 call's result came in (its `{key}`), for a result\n * that is an object or an array; `undefined` otherwise (a v1 call, a string, a number, null).\n */\nexport declare function metaOf(result: unknown): {} | undefined;\n",
            sonoran_spec::api::Envelope::META_SCHEMA
        );
    }
    out
}

/// The `serverId` option, for an API whose client has a default server (CAD). Without one
/// (CMS) a call's `serverId` is the caller's, as the docs and the Rust crate have it, and the
/// option does not exist.
fn server_option(api: &Api) -> String {
    if api.server_id_default {
        format!(
            "  /** The {} server used when a call does not name one (default 1). */\n  serverId?: number;\n",
            api.short_name
        )
    } else {
        String::new()
    }
}

/// The `.d.ts` of the whole package.
pub fn declarations_file(api: &Api, model: &Model, ops: &[JsOperation]) -> String {
    let ts = TypeScript::for_api(api);
    let mut out = preamble(api);
    out.push('\n');
    out.push_str(&ts.declarations(&model.schemas));
    for e in &model.enums {
        let _ = writeln!(out, "/** The named values of `{}`. */", e.name);
        let _ = writeln!(out, "export declare const {}: {{", e.name);
        for (value, name) in &e.values {
            let _ = writeln!(out, "  readonly {name}: {value};");
        }
        out.push_str("};\n\n");
    }
    let mut methods = String::new();
    let mut iterators = String::new();
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
            let mut params = Vec::new();
            if let Some(DataParam::Typed(s)) = &m.data {
                params.push(format!("data: {}", ts.ts_type(s)));
            }
            if !m.extra.is_empty() {
                let opts = format!("{}Options", pascal_case(&js.name));
                let _ = writeln!(
                    out,
                    "/** Envelope fields of `{}` besides `data`. */\nexport interface {opts} {{",
                    js.name
                );
                for (prop, schema, required) in &m.extra {
                    let _ = writeln!(
                        out,
                        "  {}{}: {};",
                        js_property(prop),
                        if *required { "" } else { "?" },
                        ts.ts_type(schema)
                    );
                }
                out.push_str("}\n\n");
                let optional = !m.extra.iter().any(|(_, _, r)| *r);
                params.push(format!(
                    "options{}: {opts}",
                    if optional { "?" } else { "" }
                ));
            }
            let ret = match &m.reply {
                Reply::Text => "string".to_string(),
                Reply::Json(s) => ts.ts_type(s),
                Reply::JsonOrText(s) => format!("{} | string", ts.ts_type(s)),
            };
            let mut lines = method_doc(api, op, &format!("v1 `{}`", m.v1_type));
            lines.insert(
                1.min(lines.len()),
                format!(
                    "Sends `POST {}` with `type` `{}`; the client fills `id` and `key`.",
                    m.path, m.v1_type
                ),
            );
            methods.push_str(&jsdoc(&lines));
            if let (Some(paging), Some(DataParam::Typed(s)), true) =
                (&m.paging, &m.data, m.extra.is_empty())
            {
                let item = crate::pages::item_schema(model.doc, op, paging)
                    .map_or_else(|| "unknown".to_string(), |s| ts.ts_type(s));
                iterators.push_str(&jsdoc(&[
                    format!(
                        "Every item of every page of `{}`, fetched a page at a time as the loop asks (each page a call with `call`'s options, paced like any call); the page's position is set in `data`{}. It ends where the docs say the pages end and never asks for a page twice; a failed page rejects the loop.",
                        js.name,
                        if paging.data == Some(crate::pages::Data::Array) {
                            " (on every request object of it)"
                        } else {
                            ""
                        }
                    ),
                    format!("@example for await (const item of client.iterate('{}', data)) {{ ... }}", js.name),
                ]));
                let _ = writeln!(
                    iterators,
                    "  iterate(operation: '{}', data: {}, call?: CallOptions): AsyncIterableIterator<{}>;",
                    js.name,
                    ts.ts_type(s).replace('\n', "\n  "),
                    item.replace('\n', "\n  ")
                );
            }
            params.push("call?: CallOptions".into());
            let _ = writeln!(
                methods,
                "  {}({}): APIPromise<{}>;",
                js.name,
                params.join(", "),
                ret.replace('\n', "\n  ")
            );
            continue;
        }
        let (path, method) = (op.path, op.method.to_ascii_uppercase());
        let args = format!("{}Args", pascal_case(&js.name));
        let groups = crate::targets::groups(op.raw, op.id).unwrap_or_default();
        let grouped = |name: &str| groups.iter().any(|g| g.fields.iter().any(|f| f == name));
        let mut fields = String::new();
        let mut all_optional = groups.is_empty();
        for p in &op.params {
            let name = p.name;
            if grouped(name) {
                continue;
            }
            let server = p.is_server_id() && api.server_id_default;
            let required = !server && p.required;
            all_optional &= !required;
            let mut d = p.description.unwrap_or_default().to_string();
            if server {
                d.push_str(" Default: the client's `serverId`.");
            }
            if !d.trim().is_empty() {
                let _ = writeln!(fields, "  /** {} */", doc_text(&d));
            }
            let _ = writeln!(
                fields,
                "  {}{}: {};",
                js_property(name),
                if required { "" } else { "?" },
                ts.ts_type(p.schema).replace('\n', "\n  ")
            );
        }
        if let Some(s) = op.json_body() {
            let required = op.body.as_ref().is_some_and(|b| b.required);
            all_optional &= !required;
            let _ = writeln!(
                fields,
                "  /** The request body. */\n  body{}: {};",
                if required { "" } else { "?" },
                ts.ts_type(s).replace('\n', "\n  ")
            );
        }
        let heading = format!("/** Arguments of `{}` (`{method} {path}`). */", js.name);
        if groups.is_empty() {
            let _ = writeln!(out, "{heading}\nexport interface {args} {{\n{fields}}}\n");
        } else {
            // "Provide exactly one of": each group as `ExactlyOne<...>` (checked at run time too).
            let mut alternatives = String::new();
            for g in &groups {
                alternatives.push_str(" & ExactlyOne<{\n");
                for field in &g.fields {
                    let Some(p) = op.params.iter().find(|p| p.name == field) else {
                        continue;
                    };
                    if let Some(d) = p.description.filter(|d| !d.trim().is_empty()) {
                        let _ = writeln!(alternatives, "  /** {} */", doc_text(d));
                    }
                    let _ = writeln!(
                        alternatives,
                        "  {}: {};",
                        js_property(field),
                        ts.ts_type(p.schema).replace('\n', "\n  ")
                    );
                }
                alternatives.push('}');
                alternatives.push('>');
            }
            let _ = writeln!(
                out,
                "{heading}\nexport type {args} = {{\n{fields}}}{alternatives};\n"
            );
        }
        methods.push_str(&jsdoc(&method_doc(
            api,
            op,
            &format!("v2 `{method} {path}`"),
        )));
        let _ = writeln!(
            methods,
            "  {}(args{}: {args}, call?: CallOptions): APIPromise<{}>;",
            js.name,
            if all_optional { "?" } else { "" },
            success_ts(&ts, op).replace('\n', "\n  ")
        );
        if let Ok(Some(paging)) = crate::pages::describe(model.doc, op) {
            let item = crate::pages::item_schema(model.doc, op, &paging)
                .map_or_else(|| "unknown".to_string(), |s| ts.ts_type(s));
            iterators.push_str(&jsdoc(&[
                format!(
                    "Every item of every page of `{}`, fetched a page at a time as the loop asks (each page a call with `call`'s options, paced like any call). It ends where the docs say the pages end and never asks for a page twice; a failed page rejects the loop.",
                    js.name
                ),
                format!("@example for await (const item of client.iterate('{}', args)) {{ ... }}", js.name),
            ]));
            let _ = writeln!(
                iterators,
                "  iterate(operation: '{}', args{}: {args}, call?: CallOptions): AsyncIterableIterator<{}>;",
                js.name,
                if all_optional { "?" } else { "" },
                item.replace('\n', "\n  ")
            );
        }
    }
    methods.push_str(&iterators);
    let _ = write!(
        out,
        "/**\n * A {product} API client: every operation as a method. Calls are paced to the\n * documented per-minute limits and 429s are retried as the server asks.\n */\nexport declare class {class} {{\n  constructor(options: {class}Options);\n{server}  /** Where requests go. */\n  readonly baseUrl: string;\n  /** Frees the client's memory in the module; any later call rejects. `using` calls it. */\n  [Symbol.dispose](): void;\n",
        product = api.product,
        class = api.js_class,
        server = if api.server_id_default {
            format!(
                "  /** The {} server used when a call does not name one. */\n  readonly serverId: number;\n",
                api.short_name
            )
        } else {
            String::new()
        },
    );
    out.push_str(&methods);
    out.push_str("}\n");
    let used: Vec<&str> = SHARED
        .into_iter()
        .filter(|name| mentions(&out, name))
        .collect();
    format!(
        "// generated by `cargo xtask regen`, do not edit.\n// The package's own surface; what every package shares is in core.d.ts.\nimport type {{ {} }} from './core.js';\n\n{out}",
        used.join(", ")
    )
}

/// The integer enums' named constants, as an ES module.
pub fn enums_module(enums: &[IntEnum]) -> String {
    let mut out = String::from(
        "// generated by `cargo xtask regen`, do not edit.\n// The documented integer enums' named values (`UnitStatus.ENROUTE`).\n",
    );
    for e in enums {
        let fields: Vec<String> = e.values.iter().map(|(v, n)| format!("{n}: {v}")).collect();
        let _ = writeln!(
            out,
            "export const {} = Object.freeze({{ {} }});",
            e.name,
            fields.join(", ")
        );
    }
    out
}

/// The "exactly one of" groups (`x-exactly-one-of`) the JS side checks for `op`: `args` for
/// the operation's own (query parameters), `body` for its request body's schema.
fn exactly_one_groups(model: &Model, op: &Operation) -> Vec<(&'static str, Vec<String>)> {
    let mut out: Vec<(&'static str, Vec<String>)> = crate::targets::groups(op.raw, op.id)
        .unwrap_or_default()
        .into_iter()
        .map(|g| ("args", g.fields))
        .collect();
    if let Some(body) = op.json_body() {
        let schema = match body.get("$ref").and_then(serde_json::Value::as_str) {
            Some(r) => r
                .strip_prefix('#')
                .and_then(|pointer| model.doc.pointer(pointer)),
            None => Some(body),
        };
        if let Some(schema) = schema {
            out.extend(
                crate::targets::groups(schema, op.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|g| ("body", g.fields)),
            );
        }
    }
    out
}

/// The operation list the JS side defines its methods from: `[name, isV1, replyKind, arity]`
/// per row of the module's table, in its order, and the operation's "exactly one of" groups
/// when it has any: the reply kind lives here only, since the JS side reads the replies.
pub fn operations_module(model: &Model, ops: &[JsOperation]) -> String {
    let mut out = String::from(
        "// generated by `cargo xtask regen`, do not edit.\n// One row per operation of the module's table: [JS method name, isV1, replyKind (0 JSON, 1 text,\n// 2 JSON or text, 3 JSON whose payload is its `data`), how many arguments come before the\n// per-call options, and its \"exactly one of\" groups when it has any: [where, ...fields], where\n// `args` is the argument object and `body` its body (a v1 call's data)].\nexport const OPERATIONS = [\n",
    );
    for op in ops {
        let reply = match op.reply {
            "text" => 1,
            "jsonOrText" => 2,
            "envelope" => 3,
            _ => 0,
        };
        let groups = model
            .operation(&op.operation_id)
            .map(|o| exactly_one_groups(model, o))
            .unwrap_or_default();
        let groups = if groups.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = groups
                .iter()
                .map(|(at, fields)| {
                    let mut items = vec![format!("{at:?}")];
                    items.extend(fields.iter().map(|f| format!("{f:?}")));
                    format!("[{}]", items.join(", "))
                })
                .collect();
            format!(", [{}]", list.join(", "))
        };
        let _ = writeln!(
            out,
            "  [{:?}, {}, {reply}, {}{groups}],",
            op.name,
            u8::from(op.v1),
            op.arity
        );
    }
    out.push_str("];\n");
    out.push_str(
        "// The paginated operations (crates/codegen/src/pages.rs), by method name, for `iterate`:\n// `offset`/`size` (or `cursor`/`start`/`next`) name the parameters and the reply's next cursor,\n// `items` the payload's property holding a page's items (null: the payload is the array),\n// `total` and `echo` the paths of the reply's total and of the offset it repeats; `data`, for a v1\n// call, where its page fields sit: in each request object of `data` (\"array\") or in `data` (\"object\").\nexport const PAGES = {\n",
    );
    // A v1 call with envelope options besides `data` would take them before the per-call
    // options; `iterate` passes `data` alone, so such a call (none paginates) is left out.
    for op in ops.iter().filter(|op| !op.v1 || op.arity == 1) {
        let Some(o) = model.operation(&op.operation_id) else {
            continue;
        };
        if let Ok(Some(paging)) = crate::pages::describe(model.doc, o) {
            let _ = writeln!(out, "  {:?}: {},", op.name, crate::pages::js_row(&paging));
        }
    }
    out.push_str("};\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A document with an "exactly one of" group on an operation's query and on a body.
    fn doc() -> serde_json::Value {
        let group =
            json!([{"name": "Who", "argument": "target", "fields": ["discord", "accountUuid"]}]);
        let ok = json!({"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}});
        json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/v2/a": {"get": {
                    "operationId": "getA",
                    "x-exactly-one-of": group,
                    "parameters": [
                        {"name": "discord", "in": "query", "description": "By Discord id.", "schema": {"type": "string"}},
                        {"name": "accountUuid", "in": "query", "schema": {"type": "string"}},
                        {"name": "limit", "in": "query", "schema": {"type": "integer"}}
                    ],
                    "responses": ok
                }},
                "/v2/b": {"post": {
                    "operationId": "postB",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Body"}}}},
                    "responses": ok
                }}
            },
            "components": {"schemas": {"Body": {
                "type": "object",
                "x-exactly-one-of": group,
                "required": ["add"],
                "properties": {"discord": {"type": "string"}, "accountUuid": {"type": "string"}, "add": {"type": "boolean"}}
            }}}
        })
    }

    #[test]
    fn exactly_one_groups_reach_the_operation_list_and_the_types() {
        let doc = doc();
        let model = Model::read(&doc).unwrap();
        let op = |id: &str| model.operation(id).unwrap();
        assert_eq!(
            exactly_one_groups(&model, op("getA")),
            [(
                "args",
                vec!["discord".to_string(), "accountUuid".to_string()]
            )]
        );
        assert_eq!(
            exactly_one_groups(&model, op("postB")),
            [(
                "body",
                vec!["discord".to_string(), "accountUuid".to_string()]
            )]
        );
        let ts = TypeScript::for_api(&sonoran_spec::api::CMS);
        let body = ts.ts_type(&doc["components"]["schemas"]["Body"]);
        assert_eq!(
            body,
            "{\n  add: boolean;\n} & ExactlyOne<{\n  discord: string;\n  accountUuid: string;\n}>"
        );
        let api = &sonoran_spec::api::CMS;
        let (_, ops) = crate::tables::generate(&model, api).unwrap();
        let list = operations_module(&model, &ops);
        assert!(
            list.contains(r#"["getA", 0, 0, 1, [["args", "discord", "accountUuid"]]],"#),
            "{list}"
        );
        assert!(
            list.contains(r#"["postB", 0, 0, 1, [["body", "discord", "accountUuid"]]],"#),
            "{list}"
        );
        let d = declarations_file(api, &model, &ops);
        assert!(
            d.contains("export type GetAArgs = {\n  limit?: number;\n} & ExactlyOne<{\n  /** By Discord id. */\n  discord: string;\n  accountUuid: string;\n}>;"),
            "{d}"
        );
        assert!(
            d.contains("  getA(args: GetAArgs, call?: CallOptions): APIPromise<"),
            "{d}"
        );
        assert!(d.starts_with("// generated by `cargo xtask regen`, do not edit.\n"));
        assert!(!d.contains("declare global"), "no global augmentation");
        assert!(
            d.contains("import type { APIPromise, CallOptions, ClientOptions, ExactlyOne } from './core.js';"),
            "{d}"
        );
        assert!(mentions("a: ExactlyOne<{", "ExactlyOne"));
        assert!(!mentions("a: MyExactlyOne<{", "ExactlyOne"));
        assert!(!mentions("a: ExactlyOneOf", "ExactlyOne"));
    }
}
