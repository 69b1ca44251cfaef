//! Bounded property tests of the npm module's argument path (issue 13, point 5): for every
//! row of every API's operation table, arbitrary JSON (and non-JSON) arguments through
//! [`prepare`], with every configuration shape.
//!
//! Properties: no panic; every refusal is `Refused::Argument` or `Refused::Config` whose
//! message starts with the operation's JS name; `Config` exactly for a v1 call with a key
//! but no community id; what is accepted is a well-formed request: the operation's method,
//! a URL under the base URL in printable ASCII (path and query values escaped), a v2 body
//! sent exactly as the caller wrote it, a v1 envelope that is a JSON object with the
//! right `type`, the configured `id`/`key` and the caller's `data` as written.
//!
//! A second test builds arguments that satisfy the operation's tables (values generated
//! from its schema rows, with odd characters in strings) and requires them to be accepted
//! and well formed.
//!
//! Fixed case counts from a fixed seed (the same cases on every run), printed and
//! overridable with `SONORAN_FUZZ_SEED`; no time budget.

use crate::call::{Args, Config, Headers, Refused, prepare};
use crate::table::{self, Body, Data, Operation, Schema};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{
    Config as RunConfig, RngAlgorithm, TestCaseError, TestRng, TestRunner,
};
use serde_json::Value;

const BASE: &str = "http://127.0.0.1:1/base";

/// The seed of every runner here: `SONORAN_FUZZ_SEED` (a decimal `u64`) when set, else
/// [`DEFAULT_SEED`]. Each runner prints it (shown with a failing test's output) so that a
/// failure can be replayed.
fn fuzz_seed() -> u64 {
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *SEED.get_or_init(|| match std::env::var("SONORAN_FUZZ_SEED") {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("SONORAN_FUZZ_SEED={v:?} is not a decimal u64")),
        Err(_) => DEFAULT_SEED,
    })
}

/// The seed when `SONORAN_FUZZ_SEED` is not set.
const DEFAULT_SEED: u64 = 0x5049_4E45_5452_4545;

/// A runner with the seed of [`fuzz_seed`], `cases` cases, little shrinking, no files written.
fn runner(cases: u32) -> TestRunner {
    let config = RunConfig {
        cases,
        max_shrink_iters: 64,
        failure_persistence: None,
        ..RunConfig::default()
    };
    eprintln!("fuzz seed {} (replay: SONORAN_FUZZ_SEED={0})", fuzz_seed());
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&fuzz_seed().to_le_bytes());
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed))
}

/// Any JSON value, at most 3 levels deep; strings include the odd ones (`{}`, `/`, `%`,
/// spaces, non-ASCII) that must be escaped in a URL.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-3i64..300).prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        any::<String>().prop_map(Value::String),
        "[ -~]{0,8}".prop_map(Value::String),
        Just(Value::from("00000000-0000-0000-0000-00000000000a")),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-zA-Z]{0,8}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// An object whose keys are mostly names from `names` (the call's parameters or
/// options), sometimes others.
fn object_of(names: Vec<&'static str>) -> impl Strategy<Value = Value> {
    let entry = (
        prop::bool::weighted(0.85),
        any::<Index>(),
        "[a-zA-Z]{0,8}",
        any_json(),
    )
        .prop_map(move |(known, i, other, value)| {
            let key = if known && !names.is_empty() {
                names[i.index(names.len())].to_owned()
            } else {
                other
            };
            (key, value)
        });
    prop::collection::vec(entry, 0..5).prop_map(|kv| Value::Object(kv.into_iter().collect()))
}

/// One argument's text as the JS side passes it: JSON (sometimes shaped like the call's
/// arguments), `null`, or text that is not JSON at all.
fn arg_text(shaped: BoxedStrategy<Value>) -> impl Strategy<Value = String> {
    prop_oneof![
        6 => shaped.prop_map(|v| v.to_string()),
        3 => any_json().prop_map(|v| v.to_string()),
        1 => Just("null".to_owned()),
        1 => any::<String>(),
        1 => Just("{".to_owned()),
    ]
}

/// The arguments, and which configuration: `(first, second, count, community id?, key?,
/// server id)`.
type Case = (String, Option<String>, u32, bool, bool, i64);

fn case(op: &'static Operation) -> BoxedStrategy<Case> {
    let (first, second): (BoxedStrategy<Value>, BoxedStrategy<Value>) = match &op.body {
        Body::V1 { extra, .. } => {
            let options: Vec<&'static str> =
                table::fields(*extra).iter().map(|f| f.name()).collect();
            // `data` is usually a list of objects.
            (
                prop::collection::vec(any_json(), 0..3)
                    .prop_map(Value::Array)
                    .boxed(),
                object_of(options).boxed(),
            )
        }
        _ => {
            let params: Vec<&'static str> = op.params.iter().map(|p| p.name).collect();
            (object_of(params).boxed(), any_json().boxed())
        }
    };
    (
        arg_text(first),
        prop::option::weighted(0.6, arg_text(second)),
        0u32..4,
        prop::bool::weighted(0.8),
        prop::bool::weighted(0.8),
        prop_oneof![Just(1i64), any::<i64>()],
    )
        .boxed()
}

/// Checks one case; `Ok(true)` when the call was accepted.
fn check(op: &'static Operation, name: &str, c: &Case) -> Result<bool, TestCaseError> {
    let (first, second, count, with_id, with_key, server_id) = c;
    let config = Config {
        base_url: BASE.to_owned(),
        server_id: *server_id,
        api_key: with_key.then(|| "k\"ey".to_owned()),
        community_id: with_id.then(|| "c/id".to_owned()),
        headers: String::new(),
    };
    let args = Args {
        first,
        second: second.as_deref(),
        count: *count,
    };
    let v1 = matches!(op.body, Body::V1 { .. });
    let prepared = prepare(op, name, args, &config);
    let accepted = prepared.is_ok();
    match prepared {
        Err(Refused::Argument(m)) => {
            prop_assert!(m.starts_with(&format!("{name}: ")), "{}", m);
            prop_assert!(
                !(v1 && !with_id && *with_key),
                "{}: a v1 call with a key and no community id must be refused as Config: {}",
                name,
                m
            );
        }
        Err(Refused::Config(m)) => {
            prop_assert!(m.starts_with(&format!("{name}: ")), "{}", m);
            prop_assert!(
                v1 && !with_id && *with_key,
                "{}: Config refusal {}",
                name,
                m
            );
        }
        Ok(p) => {
            prop_assert!(
                !(v1 && !with_id && *with_key),
                "{}: accepted without the community id",
                name
            );
            prop_assert!(p.url.starts_with(BASE), "{}", p.url);
            prop_assert!(
                p.url.bytes().all(|b| b.is_ascii_graphic()),
                "{}: URL not escaped: {:?}",
                name,
                p.url
            );
            prop_assert!(
                !p.url[BASE.len()..].contains(['{', '}', '"', '<', '>', '`', '#']),
                "{}: {}",
                name,
                p.url
            );
            match &op.body {
                Body::V1 {
                    kind,
                    data,
                    server_id: fills,
                    ..
                } => {
                    prop_assert_eq!(p.method, "POST");
                    prop_assert_eq!(p.headers, Headers::V1);
                    let body = p.body.as_deref().unwrap_or_default();
                    let envelope: Value = serde_json::from_str(body).map_err(|e| {
                        TestCaseError::fail(format!("{name}: envelope is not JSON: {e}: {body}"))
                    })?;
                    prop_assert!(envelope.is_object());
                    prop_assert_eq!(&envelope["type"], &Value::from(*kind));
                    prop_assert_eq!(envelope.get("id").is_some(), *with_id);
                    prop_assert_eq!(envelope.get("key").is_some(), *with_id && *with_key);
                    if let Data::Typed(_) = data {
                        let mut given: Value = serde_json::from_str(first).unwrap();
                        // An item without `serverId` gets the configured one; else as written.
                        if *fills
                            && sonoran_runtime::runtime::fill_server_id(&mut given, *server_id)
                        {
                            prop_assert_eq!(&envelope["data"], &given, "{}: serverId filled", name);
                        } else {
                            prop_assert_eq!(&envelope["data"], &given, "{}: data as given", name);
                            prop_assert!(
                                body.contains(first.as_str()),
                                "{}: data as written",
                                name
                            );
                        }
                    }
                }
                Body::Json { .. } => {
                    prop_assert_eq!(p.method, op.method);
                    match second.as_deref().filter(|s| *s != "null") {
                        Some(raw) => {
                            prop_assert_eq!(p.body.as_deref(), Some(raw), "sent as written");
                            prop_assert_eq!(p.headers, Headers::V2Json);
                        }
                        None => prop_assert_eq!(p.body, None),
                    }
                }
                Body::None => {
                    prop_assert_eq!(p.method, op.method);
                    prop_assert_eq!(p.body, None);
                    prop_assert!(second.is_none(), "{}: a body was accepted", name);
                }
            }
            if !v1 {
                // Every required parameter that is not the server was given.
                let given: Value = serde_json::from_str(first).unwrap_or(Value::Null);
                for param in op.params.iter().filter(|p| p.required && !p.server) {
                    prop_assert!(
                        given.get(param.name).is_some_and(|v| !v.is_null()),
                        "{}: accepted without {}",
                        name,
                        param.name
                    );
                }
            }
        }
    }
    Ok(accepted)
}

#[test]
fn every_operation_refuses_bad_arguments_by_name_and_builds_well_formed_requests() {
    crate::for_each_api(|api| {
        let tables = crate::tables();
        let mut accepted = 0u32;
        let mut cases = 0u32;
        for (op, name) in tables.operations.iter().zip(tables.names) {
            let strategy = case(op);
            let ok = std::cell::Cell::new(0u32);
            let n = std::cell::Cell::new(0u32);
            runner(40)
                .run(&strategy, |c| {
                    n.set(n.get() + 1);
                    if check(op, name, &c)? {
                        ok.set(ok.get() + 1);
                    }
                    Ok(())
                })
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            accepted += ok.get();
            cases += n.get();
        }
        println!(
            "{api}: {cases} cases over {} operations, {accepted} accepted",
            tables.operations.len()
        );
        assert!(tables.operations.len() >= 90, "{api}");
        assert!(cases >= tables.operations.len() as u32 * 40, "{api}");
        // Arbitrary arguments are mostly refused; the test below covers accepted ones.
        assert!(accepted > 0, "{api}: none accepted");
    });
}

/// splitmix64: a seed from proptest, many draws from it.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Characters strings are drawn from: ones a URL or JSON must escape, and non-ASCII.
const CHARS: &[char] = &[
    'a', 'Z', '0', ' ', '/', '%', '?', '#', '&', '=', '{', '}', '"', '\\', 'é', '€', '😀', '+',
];

/// A value that schema row `index` accepts; `sure` is cleared where the generator cannot
/// promise that (an `allOf` of non-objects, the depth limit).
fn valid(index: u16, d: &mut Draw, depth: u32, sure: &mut bool) -> Value {
    if depth > 8 {
        *sure = false;
        return Value::Null;
    }
    let Some(schema) = crate::tables().schemas.get(usize::from(index)) else {
        return Value::Null;
    };
    match schema {
        Schema::Any => Value::from("anything"),
        Schema::Bool => Value::Bool(d.chance(50)),
        Schema::Str {
            uuid,
            values,
            min,
            max,
        } => {
            let values = table::values(*values);
            if !values.is_empty() {
                return Value::from(values[d.below(values.len() as u64) as usize]);
            }
            if *uuid {
                let hex = format!("{:016x}{:016x}", d.next(), d.next());
                return Value::from(format!(
                    "{}-{}-{}-{}-{}",
                    &hex[..8],
                    &hex[8..12],
                    &hex[12..16],
                    &hex[16..20],
                    &hex[20..32]
                ));
            }
            let lo = min.unwrap_or(0) as u64;
            let hi = max.map_or(lo + 8, |m| u64::from(m).min(lo + 8));
            let len = lo + d.below(hi.saturating_sub(lo) + 1);
            Value::from(
                (0..len)
                    .map(|_| CHARS[d.below(CHARS.len() as u64) as usize])
                    .collect::<String>(),
            )
        }
        Schema::Int { min, max } | Schema::Num { min, max } => {
            let lo = min.unwrap_or(-5);
            let hi = max.unwrap_or(lo.saturating_add(1000)).max(lo);
            let span = (hi as i128 - lo as i128 + 1).min(u64::MAX as i128) as u64;
            Value::from((lo as i128 + i128::from(d.below(span))) as i64)
        }
        Schema::Array { items, min, max } => {
            let lo = u64::from(min.unwrap_or(0));
            let hi = max.map_or(lo + 2, |m| u64::from(m).min(lo + 2));
            let len = lo + d.below(hi.saturating_sub(lo) + 1);
            Value::Array(
                (0..len)
                    .map(|_| valid(*items, d, depth + 1, sure))
                    .collect(),
            )
        }
        Schema::Object { fields, extra: _ } => {
            let mut map = serde_json::Map::new();
            for f in table::fields(*fields) {
                if f.required {
                    map.insert(f.name().to_owned(), valid(f.schema, d, depth + 1, sure));
                } else if d.chance(40) {
                    // An optional field may also be null.
                    let v = if d.chance(15) {
                        Value::Null
                    } else {
                        valid(f.schema, d, depth + 1, sure)
                    };
                    map.insert(f.name().to_owned(), v);
                }
            }
            Value::Object(map)
        }
        Schema::OneOf(span) => {
            let alts = table::list(*span);
            if alts.is_empty() {
                return Value::Null;
            }
            valid(
                alts[d.below(alts.len() as u64) as usize],
                d,
                depth + 1,
                sure,
            )
        }
        Schema::AllOf(span) => {
            let mut merged = serde_json::Map::new();
            for part in table::list(*span) {
                match valid(*part, d, depth + 1, sure) {
                    Value::Object(m) => merged.extend(m),
                    _ => *sure = false,
                }
            }
            Value::Object(merged)
        }
        Schema::Nullable(inner) => {
            if d.chance(20) {
                Value::Null
            } else {
                valid(*inner, d, depth + 1, sure)
            }
        }
    }
}

/// Arguments that satisfy `op`'s row, as the JS side would pass them: `(case, sure)`.
fn valid_case(op: &Operation, seed: u64) -> (Case, bool) {
    let mut d = Draw(seed);
    let mut sure = true;
    match &op.body {
        Body::V1 { data, extra, .. } => {
            let mut args = Vec::new();
            if let Data::Typed(schema) = data {
                args.push(valid(*schema, &mut d, 0, &mut sure).to_string());
            }
            let fields = table::fields(*extra);
            let mut options = serde_json::Map::new();
            for f in fields {
                if f.required || d.chance(50) {
                    options.insert(f.name().to_owned(), valid(f.schema, &mut d, 0, &mut sure));
                }
            }
            if !fields.is_empty() && (!options.is_empty() || d.chance(50)) {
                args.push(Value::Object(options).to_string());
            }
            let count = args.len() as u32;
            let mut args = args.into_iter();
            let first = args.next().unwrap_or_else(|| "null".to_owned());
            ((first, args.next(), count, true, true, 1), sure)
        }
        _ => {
            let mut given = serde_json::Map::new();
            for p in op.params {
                if (p.required && !p.server) || d.chance(50) {
                    given.insert(p.name.to_owned(), valid(p.schema, &mut d, 0, &mut sure));
                }
            }
            // Parameters are scalars; a schema row that is not one cannot be sent.
            if given
                .values()
                .any(|v| v.is_array() || v.is_object() || v.is_null())
            {
                sure = false;
            }
            let body = match &op.body {
                Body::Json { schema, required } if *required || d.chance(60) => {
                    Some(valid(*schema, &mut d, 0, &mut sure).to_string())
                }
                _ => None,
            };
            let server_id = (d.below(1000) as i64) - 5;
            (
                (
                    Value::Object(given).to_string(),
                    body,
                    1,
                    true,
                    true,
                    server_id,
                ),
                sure,
            )
        }
    }
}

#[test]
fn arguments_that_satisfy_the_tables_are_accepted_and_well_formed() {
    crate::for_each_api(|api| {
        let tables = crate::tables();
        let (total, unsure) = (std::cell::Cell::new(0u32), std::cell::Cell::new(0u32));
        for (op, name) in tables.operations.iter().zip(tables.names) {
            runner(25)
                .run(&any::<u64>(), |seed| {
                    let (c, sure) = valid_case(op, seed);
                    total.set(total.get() + 1);
                    let accepted = check(op, name, &c)?;
                    if sure {
                        prop_assert!(
                            accepted,
                            "{}: refused valid arguments {:?}: {:?}",
                            name,
                            c,
                            prepare(
                                op,
                                name,
                                Args {
                                    first: &c.0,
                                    second: c.1.as_deref(),
                                    count: c.2
                                },
                                &Config {
                                    base_url: BASE.to_owned(),
                                    server_id: c.5,
                                    api_key: Some("k".into()),
                                    community_id: Some("c".into()),
                                    headers: String::new(),
                                }
                            )
                        );
                    } else {
                        unsure.set(unsure.get() + 1);
                    }
                    Ok(())
                })
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        println!(
            "{api}: {} valid-argument cases, {} not certain to be valid",
            total.get(),
            unsure.get()
        );
        assert!(
            unsure.get() * 10 <= total.get(),
            "{api}: too few certain cases"
        );
    });
}
