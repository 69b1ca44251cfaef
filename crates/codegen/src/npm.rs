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

/// The declarations before the generated types; `@name@` placeholders are the API's.
const PREAMBLE: &str = r#"/** Why a call failed. */
export type @Error@Kind =
  | 'invalidArgument'
  | 'invalidRequest'
  | 'timeout'
  | 'transport'
  | 'rateLimited'
  | 'api'
  | 'malformedReply'
  | 'aborted'
  | 'internal'
  | 'other';

/** Every rejection of a `@Client@` method is a `@Error@`. */
export declare class @Error@ extends Error {
  constructor(message: string, fields?: Partial<Omit<@Error@, 'name' | 'message'>> & { cause?: unknown });
  readonly name: '@Error@';
  readonly kind: @Error@Kind;
  /** HTTP status, when the API answered. */
  readonly status?: number;
  /** The documented v1 error, e.g. `InvalidApiKey`. */
  readonly code?: string;
  /** problem+json `title`. */
  readonly title?: string;
  /** problem+json `detail`, or the v1 error text. */
  readonly detail?: string;
  /** problem+json `traceId`: quote it to @vendor@ support. */
  readonly traceId?: string;
  /** Seconds the API asked to wait (429). */
  readonly retryAfter?: number;
  readonly requestId?: string;
  /** The error body as received. */
  readonly body?: string;
  /** For a transport failure: the platform's own error (e.g. with `code: 'ECONNREFUSED'`). */
  readonly cause?: unknown;
}

/** Options of `new @Client@(...)`. */
export interface @Client@Options {
  /** Your community id (v1 calls carry it in their envelope). */
  communityId?: string;
  /**
   * Your community API key (Admin > Advanced > API Integration). Never logged. Leave it out
   * only when `baseUrl` is your own backend that adds the credentials: a community API key
   * must never be shipped to a browser.
   */
  apiKey?: string;
@server_option@  /** @base_url@ */
  baseUrl?: string;
  /** Per-request timeout in milliseconds (default 30000; 0 waits forever). */
  timeoutMs?: number;
  /** How often a 429 is retried (default 2). */
  retries?: number;
  /** "documented" (default): each operation paced to its documented limit; "off"; or custom limits per operationId. */
  rateLimit?: 'documented' | 'off' | { limits?: { [operationId: string]: number }; windowMs?: number };
  /** Extra headers sent with every request. */
  headers?: { [name: string]: string };
  /**
   * The longest a call may wait for its place under the documented rate limit before it
   * rejects at once with kind `rateLimited` and `retryAfter` (default: `timeoutMs`; 0: never
   * queue). Per call: the `maxQueueMs` per-call option.
   */
  maxQueueMs?: number;
  /** Called when a call is held by the documented rate limit, retried after a wait, or refused for its queue bound. */
  onRateLimit?: (event: RateLimitEvent) => void;
  /** The `fetch` to use (default: the global one). */
  fetch?: (input: string, init: { method: string; headers: { [name: string]: string }; body?: string; signal?: AbortSignal }) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;
}

/** What `onRateLimit` is told. */
export interface RateLimitEvent {
  /** The operationId (the method's name). */
  operation: string;
  /** `paced`: held for the documented limit; `retry`: waiting before a retry; `refused`: the wait is past the call's queue bound. */
  reason: 'paced' | 'retry' | 'refused';
  waitMs: number;
  /** For `retry`: the status that is retried (0: no reply) and the attempt that got it. */
  status?: number;
  attempt?: number;
}

/** Options of one call, passed after its arguments. */
export interface CallOptions {
  /** Cancels the call: a queued or waiting call stops at once, a request in flight is aborted; rejects with kind `aborted`. */
  signal?: AbortSignal;
  /** Overrides the client's `maxQueueMs` for this call. */
  maxQueueMs?: number;
}

declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
}
"#;

/// [`PREAMBLE`] for `api`.
fn preamble(api: &Api) -> String {
    let base_url = match api.staging_url {
        Some(staging) => format!(
            "Default `{}`; the development branch is `{staging}`.",
            api.production_url
        ),
        None => format!("Default `{}`.", api.production_url),
    };
    let mut preamble = PREAMBLE.to_string();
    if let Some(key) = api.envelope.payload_key() {
        // The JS method resolves to the payload; the rest of the envelope through `metaOf`.
        preamble.push_str(&format!(
            "\n/**\n * The `meta` of the reply envelope a v2 call's result came in (its `{key}`), for a result\n * that is an object or an array; `undefined` otherwise (a v1 call, a string, a number, null).\n */\nexport declare function metaOf(result: unknown): {} | undefined;\n",
            sonoran_spec::api::Envelope::META_SCHEMA
        ));
    }
    preamble
        .replace("@Error@", api.js_error_class)
        .replace("@Client@", api.js_class)
        .replace("@vendor@", api.vendor)
        .replace("@short@", api.short_name)
        .replace("@base_url@", &base_url)
        .replace("@server_option@", &server_option(api))
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
    let mut out = String::from("// generated by `cargo xtask regen`, do not edit.\n");
    out.push_str(&preamble(api));
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
            params.push("call?: CallOptions".into());
            let _ = writeln!(
                methods,
                "  {}({}): Promise<{}>;",
                js.name,
                params.join(", "),
                ret.replace('\n', "\n  ")
            );
            continue;
        }
        let (path, method) = (op.path, op.method.to_ascii_uppercase());
        let args = format!("{}Args", pascal_case(&js.name));
        let _ = writeln!(
            out,
            "/** Arguments of `{}` (`{method} {path}`). */\nexport interface {args} {{",
            js.name
        );
        let mut all_optional = true;
        for p in &op.params {
            let name = p.name;
            let server = p.is_server_id() && api.server_id_default;
            let required = !server && p.required;
            all_optional &= !required;
            let mut d = p.description.unwrap_or_default().to_string();
            if server {
                d.push_str(" Default: the client's `serverId`.");
            }
            if !d.trim().is_empty() {
                let _ = writeln!(out, "  /** {} */", doc_text(&d));
            }
            let _ = writeln!(
                out,
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
                out,
                "  /** The request body. */\n  body{}: {};",
                if required { "" } else { "?" },
                ts.ts_type(s).replace('\n', "\n  ")
            );
        }
        out.push_str("}\n\n");
        methods.push_str(&jsdoc(&method_doc(
            api,
            op,
            &format!("v2 `{method} {path}`"),
        )));
        let _ = writeln!(
            methods,
            "  {}(args{}: {args}, call?: CallOptions): Promise<{}>;",
            js.name,
            if all_optional { "?" } else { "" },
            success_ts(&ts, op).replace('\n', "\n  ")
        );
    }
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
    out
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

/// The operation list the JS side defines its methods from: `[name, isV1, replyKind, arity]` per
/// row of the module's table, in its order: the reply kind lives here only, since the JS side
/// reads the replies.
pub fn operations_module(ops: &[JsOperation]) -> String {
    let mut out = String::from(
        "// generated by `cargo xtask regen`, do not edit.\n// One row per operation of the module's table: [JS method name, isV1, replyKind (0 JSON, 1 text,\n// 2 JSON or text, 3 JSON whose payload is its `data`), how many arguments come before the
// per-call options].\nexport const OPERATIONS = [\n",
    );
    for op in ops {
        let reply = match op.reply {
            "text" => 1,
            "jsonOrText" => 2,
            "envelope" => 3,
            _ => 0,
        };
        let _ = writeln!(
            out,
            "  [{:?}, {}, {reply}, {}],",
            op.name,
            u8::from(op.v1),
            op.arity
        );
    }
    out.push_str("];\n");
    out
}
