//! The API-independent part of the npm packages' modules (`cargo xtask wasm`): `sonoran-cad`
//! (crates/wasm) and `sonoran-cms` (crates/cms-wasm) are each a thin cdylib that holds its
//! own generated tables (`generated.rs`, from its merged spec) and hands them to
//! [`install`] when the module starts; everything else is here, once.
//!
//! It holds no code per operation or per type. Every operation is a row of the tables, and
//! one path runs any of them: [`Client::prepare`] checks the arguments and builds the
//! request, which goes through the shared runtime (`sonoran-runtime`: the same pacing to the
//! API's documented limits and the same retries as the Rust clients, [`Client::pace`], [`Client::after`]) with the platform's `fetch`. The reply
//! text goes back to JavaScript untouched; the JS side parses it.

mod call;
mod convert;
#[cfg(test)]
mod fuzz;
pub mod table;
mod validate;

// The tests run over every API's tables: the files codegen writes for crates/wasm (CAD's,
// the default) and crates/cms-wasm.
#[cfg(test)]
#[rustfmt::skip]
#[path = "../../wasm/src/generated.rs"]
mod generated;
#[cfg(test)]
#[rustfmt::skip]
#[path = "../../cms-wasm/src/generated.rs"]
mod cms_generated;

/// One API's generated tables (its `generated.rs`), as slices.
#[derive(Debug)]
pub struct Tables {
    pub operations: &'static [table::Operation],
    /// The JS method name of each operation, in the order of `operations`.
    pub names: &'static [&'static str],
    pub schemas: &'static [table::Schema],
    pub fields: &'static [table::Field],
    pub keys: &'static [&'static str],
    pub lists: &'static [u16],
    pub values: &'static [&'static str],
}

/// `policy` with `per_window` requests for operationId `id`, or `None` for an id that is no
/// operation of the API.
pub type CustomLimit =
    fn(policy: RateLimitPolicy, id: &str, per_window: u32) -> Option<RateLimitPolicy>;

/// An API's documented plain-text v1 errors (its generated `V1ErrorCode`), as the errors of
/// its calls name them: `code: "InvalidApiKey"` for the text `INVALID API KEY`. Each API has
/// its own texts (CMS's `ROSTER NOT FOUND` is no CAD error), and each module links only its
/// own API's.
#[derive(Debug, Clone, Copy)]
pub struct V1Codes {
    /// The documented text a reply body (trimmed) is, when it is one.
    find: fn(&str) -> Option<&'static str>,
    /// Writes the code of a documented text (`InvalidApiKey`).
    name: fn(&str, &mut std::fmt::Formatter<'_>) -> std::fmt::Result,
    /// The kind the docs give a documented text (`planRefused`), when it has one of its own.
    kind: fn(&str) -> Option<sonoran_runtime::ErrorKind>,
    /// The docs page of an operation, by operationId.
    docs: fn(&str) -> Option<&'static str>,
}

impl V1Codes {
    /// The codes of `C` (`sonoran_cad::V1ErrorCode`, `sonoran_cms::V1ErrorCode`).
    pub const fn of<C: V1Code>() -> Self {
        fn find<C: V1Code>(body: &str) -> Option<&'static str> {
            C::from_text(body).map(C::text)
        }
        fn name<C: V1Code>(text: &str, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match C::from_text(text) {
                Some(code) => std::fmt::Debug::fmt(&code, f),
                None => f.write_str(text),
            }
        }
        fn kind<C: V1Code>(text: &str) -> Option<sonoran_runtime::ErrorKind> {
            C::from_text(text)?.kind()
        }
        Self {
            find: find::<C>,
            name: name::<C>,
            kind: kind::<C>,
            docs: C::docs_url,
        }
    }
}

/// What a package's module tells the shared code about its API: [`module!`] builds it from
/// the API's crate and its generated tables.
#[derive(Debug)]
pub struct Api {
    pub tables: Tables,
    /// The production base URL, the default of `baseUrl`.
    pub production_url: &'static str,
    /// The JS class, as errors about the options name it (`new SonoranClient: ...`).
    pub class: &'static str,
    /// The client has a default server (the `serverId` option, default 1; CAD's
    /// `server_id_default`). Without one (CMS) the option is refused: a call's `serverId` is
    /// the caller's, and the tables fill none.
    pub server_id_default: bool,
    /// `policy` with a custom limit (`rateLimit.limits`) for an operationId of this API,
    /// `None` for an id that is none of its operations: a function of the API's own crate
    /// (over its `Operation::from_id`), so that each module links its own API's operations
    /// only.
    pub custom_limit: CustomLimit,
    /// The API's documented per-minute limits by operationId (`sonoran_cad::RATE_LIMITS`,
    /// `sonoran_cms::RATE_LIMITS`), what `rateLimit: "documented"` (the default) paces to.
    pub rate_limits: sonoran_runtime::RateLimits,
    /// The API's documented v1 error texts.
    pub v1_codes: V1Codes,
}

/// The module of one API's npm package: its [`Api`], from the API's crate (`$api`: its
/// `RATE_LIMITS`, `Operation::from_id` and `V1ErrorCode`, without its typed client) and the
/// generated tables in the invoking crate's `generated` module (which also give the
/// production URL, the JS class and whether there is a default server), installed by the
/// module's start function when the glue instantiates it. The invoking crate defines
/// `mod generated;` and `mod table` (re-exporting [`table`]) and depends on `wasm-bindgen`.
#[macro_export]
macro_rules! module {
    ($api:ident) => {
        static API: $crate::Api = $crate::Api {
            tables: $crate::Tables {
                operations: &generated::OPERATIONS,
                names: &generated::NAMES,
                schemas: &generated::SCHEMAS,
                fields: &generated::FIELDS,
                keys: &generated::KEYS,
                lists: &generated::LISTS,
                values: &generated::VALUES,
            },
            production_url: generated::PRODUCTION_URL,
            class: generated::CLASS,
            server_id_default: generated::SERVER_ID_DEFAULT,
            custom_limit: |policy, id, per_window| {
                ::core::option::Option::Some(
                    policy.with_limit($api::Operation::from_id(id)?, per_window),
                )
            },
            rate_limits: $api::RATE_LIMITS,
            v1_codes: $crate::V1Codes::of::<$api::V1ErrorCode>(),
        };

        /// Run by the glue when the module is instantiated.
        #[::wasm_bindgen::prelude::wasm_bindgen(start)]
        pub fn start() {
            $crate::install(&API);
        }
    };
}

static NO_TABLES: Tables = Tables {
    operations: &[],
    names: &[],
    schemas: &[],
    fields: &[],
    keys: &[],
    lists: &[],
    values: &[],
};

static NO_API: Api = Api {
    tables: Tables { ..NO_TABLES },
    production_url: "",
    class: "client",
    server_id_default: false,
    custom_limit: |_, _, _| None,
    rate_limits: |_| None,
    v1_codes: V1Codes::of::<sonoran_runtime::NoV1Code>(),
};

static INSTALLED: std::sync::OnceLock<&'static Api> = std::sync::OnceLock::new();

/// Makes `api` the module's API: each package's cdylib calls it from its
/// `#[wasm_bindgen(start)]` function, which the glue runs when the module is instantiated,
/// before any client exists. A second call changes nothing.
pub fn install(api: &'static Api) {
    let _ = INSTALLED.set(api);
}

#[cfg(not(test))]
fn api() -> &'static Api {
    INSTALLED.get().copied().unwrap_or(&NO_API)
}

#[cfg(test)]
thread_local! {
    /// The API a test thread runs over (tests run on threads of their own).
    static TEST_API: std::cell::Cell<Option<&'static Api>> = const { std::cell::Cell::new(None) };
}

/// An API as its module's [`module!`] builds it, over tables included for the tests.
#[cfg(test)]
macro_rules! test_api {
    ($api:ident, $generated:ident) => {{
        static API: Api = Api {
            tables: Tables {
                operations: &$generated::OPERATIONS,
                names: &$generated::NAMES,
                schemas: &$generated::SCHEMAS,
                fields: &$generated::FIELDS,
                keys: &$generated::KEYS,
                lists: &$generated::LISTS,
                values: &$generated::VALUES,
            },
            production_url: $generated::PRODUCTION_URL,
            class: $generated::CLASS,
            server_id_default: $generated::SERVER_ID_DEFAULT,
            custom_limit: |p, id, n| Some(p.with_limit($api::Operation::from_id(id)?, n)),
            rate_limits: $api::RATE_LIMITS,
            v1_codes: V1Codes::of::<$api::V1ErrorCode>(),
        };
        &API
    }};
}

/// Runs `f` with each API's tables installed (on this test's thread): CAD's, then CMS's.
#[cfg(test)]
pub(crate) fn for_each_api(mut f: impl FnMut(&'static str)) {
    for (name, api) in [("CAD", cad()), ("CMS", cms())] {
        with_api(api, || f(name));
    }
}

/// Runs `f` with `api` installed on this test's thread.
#[cfg(test)]
pub(crate) fn with_api<T>(api: &'static Api, f: impl FnOnce() -> T) -> T {
    TEST_API.with(|t| t.set(Some(api)));
    let out = f();
    TEST_API.with(|t| t.set(None));
    out
}

#[cfg(test)]
fn api() -> &'static Api {
    TEST_API.with(|t| t.get()).unwrap_or(cad())
}

#[cfg(test)]
pub(crate) fn cad() -> &'static Api {
    let _ = (&NO_API, &INSTALLED);
    test_api!(sonoran_cad, generated)
}

#[cfg(test)]
pub(crate) fn cms() -> &'static Api {
    test_api!(sonoran_cms, cms_generated)
}

/// The tables of the installed API (empty before [`install`]: every operation is then
/// unknown).
pub(crate) fn tables() -> &'static Tables {
    &api().tables
}

use call::{Config, Refused};
use serde_json::Value;
pub use sonoran_runtime::RateLimitPolicy;
use sonoran_runtime::runtime::{Pace, Runtime, Settings};
use sonoran_runtime::{ApiKey, RetryPolicy, V1Code};
use std::time::Duration;
use wasm_bindgen::prelude::*;

/// The client the JS class (`SonoranClient`, `SonoranCms`) wraps.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Client {
    runtime: Runtime,
    config: Config,
}

/// The options object, read field by field so that a bad one is named in JS terms.
struct Options(serde_json::Map<String, Value>);

const OPTIONS: [&str; 8] = [
    "communityId",
    "apiKey",
    "serverId",
    "baseUrl",
    "timeoutMs",
    "retries",
    "rateLimit",
    "headers",
];

impl Options {
    fn parse(json: &str) -> Result<Self, JsValue> {
        let map = match serde_json::from_str::<Value>(json) {
            Ok(Value::Object(m)) => m,
            Ok(other) => {
                return Err(bad_option(format!(
                    "expected an options object, got {}",
                    validate::js_kind(&other)
                )));
            }
            Err(e) => return Err(bad_option(e.to_string())),
        };
        if let Some(k) = map.keys().find(|k| !OPTIONS.contains(&k.as_str())) {
            return Err(bad_option(format!(
                "unknown option `{k}` (known: {})",
                OPTIONS.join(", ")
            )));
        }
        Ok(Self(map))
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    fn string(&self, name: &str) -> Result<Option<String>, JsValue> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(bad_option(format!(
                "`{name}` must be a string, got {}",
                validate::js_kind(v)
            ))),
        }
    }

    fn number(&self, name: &str) -> Result<Option<f64>, JsValue> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(v) => Err(bad_option(format!(
                "`{name}` must be a number, got {}",
                validate::js_kind(v)
            ))),
        }
    }

    fn integer(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, JsValue> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) if n.as_i64().is_some_and(|i| (min..=max).contains(&i)) => {
                Ok(n.as_i64())
            }
            Some(v) => Err(bad_option(format!(
                "`{name}` must be an integer from {min} to {max}, got {}",
                validate::js_kind(v)
            ))),
        }
    }
}

fn bad_option(message: String) -> JsValue {
    convert::failure(
        sonoran_runtime::ErrorKind::InvalidRequest,
        &format!("new {}: {message}", api().class),
    )
}

/// The longest `timeoutMs` the JS side can keep (its timers hold at most 2^31 - 1 ms), with
/// room for the shared timeout's slack; the per-call `timeoutMs` has the same bound (core.mjs).
const MAX_TIMEOUT_MS: f64 = 2_000_000_000.0;

fn duration_ms(field: &str, ms: f64) -> Result<Duration, JsValue> {
    if ms.is_finite() && ms >= 0.0 {
        Ok(Duration::from_secs_f64(ms / 1000.0))
    } else {
        Err(bad_option(format!(
            "`{field}` must be a number of milliseconds >= 0, got {}",
            validate::js_kind(&Value::from(ms))
        )))
    }
}

/// The base URL without its trailing slash, or why it is refused.
fn base_url(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("it must start with http:// or https://")?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err("it has no host".into());
    }
    if url.contains(['?', '#']) {
        return Err("it must not carry a query or fragment".into());
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it contains spaces or control characters".into());
    }
    Ok(url.trim_end_matches('/').to_string())
}

fn header_ok(name: &str, value: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
        && !value.contains(['\r', '\n', '\0'])
}

#[wasm_bindgen]
impl Client {
    /// `options`: the JSON of the JS options (less `fetch`).
    #[wasm_bindgen(constructor)]
    pub fn new(options: &str) -> Result<Client, JsValue> {
        let o = Options::parse(options)?;
        let community_id = o.string("communityId")?;
        let api_key = o.string("apiKey")?.filter(|k| !k.trim().is_empty());
        let given_url = o.string("baseUrl")?;
        let base =
            base_url(given_url.as_deref().unwrap_or(api().production_url)).map_err(|why| {
                bad_option(format!(
                    "invalid `baseUrl` {:?}: {why}",
                    given_url.unwrap_or_default()
                ))
            })?;
        let timeout = match o.number("timeoutMs")? {
            None => Some(Duration::from_secs(30)),
            Some(0.0) => None,
            // A JS timer holds at most 2^31 - 1 ms (a longer one fires at once), and the
            // shared timeout adds up to 1 s to it.
            Some(ms) if ms.is_finite() && ms > MAX_TIMEOUT_MS => {
                // Formatted by serde_json's number (no f64 formatting of its own in the module).
                return Err(bad_option(format!(
                    "`timeoutMs` must be at most 2000000000 ms (about 23 days; 0 waits forever), got {}",
                    validate::js_kind(&Value::from(ms))
                )));
            }
            Some(ms) => Some(duration_ms("timeoutMs", ms)?),
        };
        let retry = match o.integer("retries", 0, 100)? {
            Some(n) => RetryPolicy {
                max_retries: n as u32,
                ..RetryPolicy::default()
            },
            None => RetryPolicy::default(),
        };
        const RATE_LIMIT: &str = "`rateLimit` must be \"documented\", \"off\" or { limits: { [operationId]: number }, windowMs: number }";
        let custom_limit = api().custom_limit;
        let rate_limit = match o.get("rateLimit").cloned() {
            None => RateLimitPolicy::documented(),
            Some(Value::String(m)) if m == "documented" => RateLimitPolicy::documented(),
            Some(Value::String(m)) if m == "off" => RateLimitPolicy::off(),
            Some(Value::Object(c)) => {
                if let Some(k) = c.keys().find(|k| *k != "limits" && *k != "windowMs") {
                    return Err(bad_option(format!("{RATE_LIMIT}: unknown option `{k}`")));
                }
                let limits = match c.get("limits") {
                    None | Some(Value::Null) => serde_json::Map::new(),
                    Some(Value::Object(m)) => m.clone(),
                    Some(v) => {
                        return Err(bad_option(format!(
                            "`rateLimit.limits` must be an object, got {}",
                            validate::js_kind(v)
                        )));
                    }
                };
                let mut p = RateLimitPolicy::documented();
                for (op, n) in limits {
                    let Some(n) = n
                        .as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .filter(|n| *n > 0)
                    else {
                        return Err(bad_option(format!(
                            "`rateLimit.limits.{op}` must be a whole number of requests > 0, got {}",
                            validate::js_kind(&n)
                        )));
                    };
                    if !tables().operations.iter().any(|o| o.id == op) {
                        return Err(bad_option(format!(
                            "`rateLimit.limits`: {op:?} is no operationId of this API"
                        )));
                    }
                    let Some(limited) = custom_limit(p, &op, n) else {
                        return Err(bad_option(format!(
                            "`rateLimit.limits`: {op:?} is no operationId of this API"
                        )));
                    };
                    p = limited;
                }
                match c.get("windowMs") {
                    None | Some(Value::Null) => {}
                    Some(Value::Number(ms)) => {
                        p = p.with_window(duration_ms(
                            "rateLimit.windowMs",
                            ms.as_f64().unwrap_or(f64::NAN),
                        )?);
                    }
                    Some(v) => {
                        return Err(bad_option(format!(
                            "`rateLimit.windowMs` must be a number, got {}",
                            validate::js_kind(v)
                        )));
                    }
                }
                p
            }
            Some(other) => {
                return Err(bad_option(format!(
                    "{RATE_LIMIT}, got {}",
                    validate::js_kind(&other)
                )));
            }
        };
        let mut headers = String::new();
        let mut pairs = Vec::new();
        let given_headers = match o.get("headers") {
            None => serde_json::Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(v) => {
                return Err(bad_option(format!(
                    "`headers` must be an object of strings, got {}",
                    validate::js_kind(v)
                )));
            }
        };
        for (name, value) in given_headers {
            let Value::String(value) = value else {
                return Err(bad_option(format!(
                    "`headers.{name}` must be a string, got {}",
                    validate::js_kind(&value)
                )));
            };
            if !header_ok(&name, &value) {
                return Err(bad_option(format!(
                    "`headers`: {name:?} is not a valid header name and value"
                )));
            }
            headers.push_str(&format!("{}\n{value}\n", name.to_ascii_lowercase()));
            pairs.push((name, value));
        }
        if let Some(key) = &api_key
            && !header_ok("authorization", key)
        {
            return Err(bad_option(
                "`apiKey` contains characters that cannot go in an HTTP header".into(),
            ));
        }
        let server_id = o.integer("serverId", i64::from(i32::MIN), i64::from(i32::MAX))?;
        if server_id.is_some() && !api().server_id_default {
            return Err(bad_option(
                "`serverId`: this API's calls name their server themselves (pass `serverId` to the calls that take one); the client has no default server".into(),
            ));
        }
        let server_id = server_id.unwrap_or(1);
        let runtime = Runtime::new(Settings {
            api_key: api_key.clone().map(ApiKey::new),
            community_id: community_id.clone(),
            server_id,
            timeout,
            retry,
            rate_limit,
            headers: pairs,
            max_reply_bytes: sonoran_runtime::runtime::DEFAULT_MAX_REPLY_BYTES,
            // The JS driver bounds its own waits (`maxQueueMs`).
            max_queue: None,
            rate_limits: api().rate_limits,
        });
        Ok(Client {
            runtime,
            config: Config {
                base_url: base,
                server_id,
                api_key,
                community_id,
                headers,
            },
        })
    }

    /// The server used when a call does not name one; `undefined` for an API whose client
    /// has no default server (CMS).
    #[wasm_bindgen(getter, js_name = serverId)]
    pub fn server_id(&self) -> Option<f64> {
        api()
            .server_id_default
            .then_some(self.config.server_id as f64)
    }

    /// Where requests go.
    #[wasm_bindgen(getter, js_name = baseUrl)]
    pub fn base_url(&self) -> String {
        self.config.base_url.clone()
    }

    /// The per-request timeout in milliseconds (0: none).
    #[wasm_bindgen(getter, js_name = timeoutMs)]
    pub fn timeout_ms(&self) -> f64 {
        self.runtime
            .timeout()
            .map_or(0.0, |t| t.as_secs_f64() * 1000.0)
    }

    /// The headers of set `kind` (the first field of `prepare`'s text): a name and a value
    /// line per header. The same for every call of this client: the JS side asks once.
    #[wasm_bindgen(js_name = headerLines)]
    pub fn header_lines(&self, kind: u8) -> String {
        let kind = match kind {
            1 => call::Headers::V2Json,
            2 => call::Headers::V1,
            _ => call::Headers::V2,
        };
        call::header_lines(kind, &self.config)
    }

    /// Checks the arguments of operation `index` and builds its request, as one text: the
    /// header set (a digit, see `headerLines`), the method, the URL, each on its line, then
    /// the body when there is one. v2: `first` is the JSON of the arguments object without
    /// `body`, `second` that of `body`; v1: the JSON of the first two arguments, and `count`
    /// how many were passed. Throws a `SonoranError`-shaped `Error` for a bad argument.
    pub fn prepare(
        &self,
        index: u32,
        first: &str,
        second: Option<String>,
        count: u32,
    ) -> Result<String, JsValue> {
        let (op, name) = call::operation(index).ok_or_else(|| {
            convert::failure(
                sonoran_runtime::ErrorKind::Internal,
                &format!("no operation {index}"),
            )
        })?;
        let args = call::Args {
            first,
            second: second.as_deref(),
            count,
        };
        let p = call::prepare(op, name, args, &self.config).map_err(|e| match e {
            Refused::Argument(m) => {
                convert::failure(sonoran_runtime::ErrorKind::InvalidRequest, &m)
            }
            Refused::Config(m) => convert::failure(sonoran_runtime::ErrorKind::InvalidRequest, &m),
        })?;
        let mut text =
            String::with_capacity(p.url.len() + p.body.as_ref().map_or(0, String::len) + 12);
        text.push(char::from(b'0' + p.headers as u8));
        text.push('\n');
        text.push_str(p.method);
        text.push('\n');
        text.push_str(&p.url);
        if let Some(body) = &p.body {
            text.push('\n');
            text.push_str(body);
        }
        Ok(text)
    }

    /// The pacing of operation `index` now, as one number: a ticket (>= 0) when a place
    /// is taken (give it back with `release`), -1 when the operation is not paced, and
    /// -(2 + ms) to wait ms milliseconds and ask again.
    pub fn pace(&self, index: u32) -> f64 {
        let Some((op, _)) = call::operation(index) else {
            return -1.0;
        };
        match self.runtime.pace_now(op.id) {
            Pace::Unpaced => -1.0,
            Pace::Taken(ticket) => ticket as f64,
            Pace::Wait(wait) => -(2.0 + wait.as_secs_f64() * 1000.0),
        }
    }

    /// The reply to the request that took `ticket` is in (or none will come).
    pub fn release(&self, index: u32, ticket: f64) {
        if let Some((op, _)) = call::operation(index) {
            self.runtime.release_now(op.id, ticket as u64);
        }
    }

    /// After attempt `attempt` answered `status` (0: no reply, then `failure` says why:
    /// 1 no connection, 2 timeout, 3 broken), `elapsed_ms` into the call: milliseconds to
    /// wait before trying again, or -1 when this outcome is the call's. The rules are the
    /// runtime's (`sonoran_runtime::retry`).
    pub fn after(
        &self,
        index: u32,
        attempt: u32,
        status: u16,
        retry_after: Option<String>,
        failure: u8,
        elapsed_ms: f64,
    ) -> f64 {
        use sonoran_runtime::retry::{Failure, Outcome};
        let Some((op, _)) = call::operation(index) else {
            return -1.0;
        };
        let outcome = Outcome {
            status: (status != 0).then_some(status),
            failure: match failure {
                1 => Some(Failure::Connect),
                2 => Some(Failure::Timeout),
                _ => Some(Failure::Interrupted),
            },
            retry_after: retry_after.as_deref(),
        };
        let elapsed = Duration::from_secs_f64((elapsed_ms / 1000.0).max(0.0));
        self.runtime
            .next_wait(op.id, op.method, attempt, outcome, elapsed)
            .map_or(-1.0, |w| w.as_secs_f64() * 1000.0)
    }

    /// Whether `status` is a success of operation `index` (its documented status on v2,
    /// any 2xx on v1).
    pub fn ok(&self, index: u32, status: u16) -> bool {
        call::operation(index).is_some_and(|(op, _)| convert::is_success(op, status))
    }

    /// The error a reply that is not a success stands for.
    pub fn failure(
        &self,
        index: u32,
        status: u16,
        retry_after: Option<String>,
        text: &str,
    ) -> JsValue {
        match call::operation(index) {
            Some((op, name)) => {
                convert::failure_of_reply(op, name, status, retry_after.as_deref(), text)
            }
            None => convert::failure(
                sonoran_runtime::ErrorKind::Internal,
                &format!("no operation {index}"),
            ),
        }
    }

    /// The error of an attempt that got no reply (`failure` as for `after`), with the
    /// transport's `message`.
    #[wasm_bindgen(js_name = noReply)]
    pub fn no_reply(&self, index: u32, failure: u8, message: &str) -> JsValue {
        let name = call::operation(index).map_or("call", |(_, n)| n);
        convert::no_reply(name, failure, message)
    }

    /// The longest reply accepted, in bytes.
    #[wasm_bindgen(getter, js_name = maxReplyBytes)]
    pub fn max_reply_bytes(&self) -> f64 {
        self.runtime.max_reply_bytes() as f64
    }

    /// The error of a reply whose envelope says `success: false` (CMS), with the body's
    /// `message`: the runtime's `ApiError::unsuccessful`, of the kind its message is.
    pub fn unsuccessful(&self, index: u32, status: u16, text: &str) -> JsValue {
        let name = call::operation(index).map_or("call", |(_, n)| n);
        convert::unsuccessful(name, status, text)
    }

    /// The error of a reply longer than `maxReplyBytes`.
    #[wasm_bindgen(js_name = tooLarge)]
    pub fn too_large(&self, index: u32) -> JsValue {
        let name = call::operation(index).map_or("call", |(_, n)| n);
        convert::too_large(name, self.runtime.max_reply_bytes())
    }
}

/// The docs page of operation `operation_id` (the method's name), as a URL: what the
/// package's `SonoranError.docsUrl` holds.
#[wasm_bindgen(js_name = docsUrl)]
pub fn docs_url(operation_id: &str) -> Option<String> {
    (api().v1_codes.docs)(operation_id).map(str::to_string)
}
