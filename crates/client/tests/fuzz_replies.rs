//! Bounded fuzzing of the reply path (issue 13, point 5): for every v2 operation and every
//! v1 call in the merged spec, mutations of the documented success reply (a member dropped,
//! a value replaced by null, a number, a string, an array or any JSON value, the text cut
//! short, arbitrary bytes) are served over loopback by a scripted server and read through
//! the client's real reply path (the generated method, reqwest, the runtime, the decoders).
//!
//! Properties: no panic; the documented reply itself decodes; every failure is
//! `Error::MalformedReply` with the status served (never a transport error, a timeout or an
//! API error for a 2xx); and where the reply is one named schema, the client accepts a
//! mutated body exactly when the generated type decodes it (`roundtrip_schema`).
//!
//! The network part runs a few cases per call (some 2,700 requests in all); a second test
//! feeds a few thousand mutations straight to the generated types (`roundtrip_schema`),
//! where an accepted value must also survive a second round trip unchanged. Fixed case
//! counts from a fixed seed, printed and overridable with `SONORAN_FUZZ_SEED`; no time
//! budget: every case runs.

mod support {
    pub mod samples;
    pub mod spec;
    #[rustfmt::skip]
    pub mod registry;
    #[rustfmt::skip]
    pub mod v1_calls;
    #[rustfmt::skip]
    pub mod v2_calls;
}

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use serde_json::{Map, Value, json};
use sonoran_cad::{Client, Error, RateLimitPolicy, RetryPolicy};
use std::cell::Cell;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::registry::roundtrip_schema;
use support::samples::{resolve, sample};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const COMMUNITY: &str = "YOUR_COMMUNITY_ID";
const KEY: &str = "YOUR_API_KEY";

/// The seed of every runner here: `SONORAN_FUZZ_SEED` (a decimal `u64`) when set, else
/// [`DEFAULT_SEED`], the same cases on every run. Each runner prints it (shown with a
/// failing test's output) so that a failure can be replayed.
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
    let config = Config {
        cases,
        max_shrink_iters: 32,
        failure_persistence: None,
        ..Config::default()
    };
    eprintln!("fuzz seed {} (replay: SONORAN_FUZZ_SEED={0})", fuzz_seed());
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&fuzz_seed().to_le_bytes());
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed))
}

// ---- the scripted server: every request gets the current reply, as raw bytes ----

#[derive(Clone)]
struct Script {
    status: u16,
    content_type: Option<String>,
    body: Vec<u8>,
}

async fn serve(listener: TcpListener, script: Arc<Mutex<Script>>) {
    while let Ok((mut socket, _)) = listener.accept().await {
        let script = script.clone();
        tokio::spawn(async move {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 8192];
            let head_end = loop {
                match socket.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i + 4;
                }
            };
            let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < head_end + len {
                match socket.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let s = script.lock().unwrap().clone();
            let mut out = format!(
                "HTTP/1.1 {} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                s.status,
                s.body.len()
            );
            if let Some(ct) = &s.content_type {
                out.push_str(&format!("content-type: {ct}\r\n"));
            }
            out.push_str("\r\n");
            let mut bytes = out.into_bytes();
            bytes.extend_from_slice(&s.body);
            let _ = socket.write_all(&bytes).await;
            let _ = socket.shutdown().await;
        });
    }
}

// ---- the calls: arguments as crates/client/tests/npm_equivalence.rs builds them ----

struct Call {
    name: String,
    operation_id: String,
    v1_type: Option<String>,
    /// v2: the argument object; v1: the envelope example.
    input: Value,
    /// The documented success status, content type and example (or a stand-in).
    status: u16,
    content_type: String,
    example: Value,
    /// Whether `example` is documented (else a stand-in: `{}`, `[]`, `""`).
    documented: bool,
    /// The one named schema the reply is, when it is (`$ref`).
    schema: Option<String>,
}

/// The documented success of `op`: status, content type, example, schema name.
fn success(doc: &Value, op: &Value) -> (u16, String, Value, bool, Option<String>) {
    let responses = op["responses"].as_object().unwrap();
    let code = responses
        .keys()
        .filter(|c| c.starts_with('2'))
        .min()
        .unwrap();
    let content = responses[code].get("content").and_then(Value::as_object);
    let (ct, media) = ["application/json", "text/plain"]
        .iter()
        .find_map(|ct| Some((*ct, content?.get(*ct)?)))
        .unwrap_or(("application/json", &Value::Null));
    let schema = media.get("schema");
    let name = schema
        .and_then(|s| s.get("$ref"))
        .and_then(Value::as_str)
        .map(|r| r.trim_start_matches("#/components/schemas/").to_owned());
    let documented = media.get("example").is_some();
    let example = match media.get("example") {
        Some(e) => e.clone(),
        None => match schema.map(|s| resolve(doc, s)).and_then(|s| s.get("type")) {
            Some(t) if t == "array" => json!([]),
            Some(t) if t == "string" => json!(""),
            _ => json!({}),
        },
    };
    (
        code.parse().unwrap(),
        ct.to_owned(),
        example,
        documented,
        name,
    )
}

fn calls(doc: &Value) -> Vec<Call> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (_method, op) in item.as_object().unwrap() {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let (status, content_type, example, documented, schema) = success(doc, op);
            if path.starts_with("/v2/") {
                if !support::v2_calls::V2_OPERATION_IDS.contains(&id) {
                    continue;
                }
                let mut args = Map::new();
                for (name, p) in support::samples::call_parameters(doc, item, op) {
                    args.insert(name.to_string(), sample(doc, name, p));
                }
                if let Some(c) = op.pointer("/requestBody/content/application~1json") {
                    args.insert("body".into(), c["example"].clone());
                }
                out.push(Call {
                    name: id.to_owned(),
                    operation_id: id.to_owned(),
                    v1_type: None,
                    input: Value::Object(args),
                    status,
                    content_type,
                    example,
                    documented,
                    schema,
                });
                continue;
            }
            let Some(envelope) = op.pointer("/requestBody/content/application~1json/example")
            else {
                continue; // the multipart upload
            };
            let types: Vec<String> = match op.get("x-v1-types") {
                Some(list) => list
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_str().unwrap().to_owned())
                    .collect(),
                None => vec![op["x-v1-type"].as_str().unwrap().to_owned()],
            };
            for t in types {
                let mut input = envelope.clone();
                input["type"] = json!(t);
                out.push(Call {
                    name: format!("{id} {t}"),
                    operation_id: id.to_owned(),
                    v1_type: Some(t),
                    input,
                    status,
                    content_type: content_type.clone(),
                    example: example.clone(),
                    documented,
                    schema: None,
                });
            }
        }
    }
    out
}

// ---- mutations ----

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Item(usize),
}

fn nodes(v: &Value) -> Vec<Vec<Step>> {
    fn walk(v: &Value, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
        out.push(at.clone());
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    at.push(Step::Key(k.clone()));
                    walk(child, at, out);
                    at.pop();
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    at.push(Step::Item(i));
                    walk(child, at, out);
                    at.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, &mut Vec::new(), &mut out);
    out
}

fn node_mut<'a>(mut v: &'a mut Value, steps: &[Step]) -> &'a mut Value {
    for step in steps {
        v = match step {
            Step::Key(k) => &mut v[k.as_str()],
            Step::Item(i) => &mut v[*i],
        };
    }
    v
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-zA-Z_]{0,10}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// How a reply body is damaged.
#[derive(Debug, Clone)]
enum Mutation {
    /// The documented reply as it is.
    None,
    /// At the node picked by `at`: drop a member (0), null (1), a number (2), a string
    /// (3), wrap in an array (4), `value` (5..).
    Value { at: Index, how: u8, value: Value },
    /// The JSON text cut at a byte picked by `at` (not always a character boundary).
    Truncate { at: Index },
    /// Arbitrary bytes instead.
    Bytes(Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => Just(Mutation::None),
        12 => (any::<Index>(), 0u8..8, any_json())
            .prop_map(|(at, how, value)| Mutation::Value { at, how, value }),
        3 => any::<Index>().prop_map(|at| Mutation::Truncate { at }),
        3 => prop::collection::vec(any::<u8>(), 0..48).prop_map(Mutation::Bytes),
    ]
}

/// The value after a `Value` mutation (other mutations leave it as it was).
fn mutate_value(doc: &Value, m: &Mutation) -> Value {
    let mut out = doc.clone();
    let Mutation::Value { at, how, value } = m else {
        return out;
    };
    let all = nodes(doc);
    let steps = at.get(&all).clone();
    if *how == 0
        && let Some((Step::Key(k), parent)) = steps.split_last()
    {
        if let Value::Object(map) = node_mut(&mut out, parent) {
            map.remove(k);
        }
        return out;
    }
    let node = node_mut(&mut out, &steps);
    *node = match how {
        0 | 1 => Value::Null,
        2 => json!(-1.5),
        3 => json!("not what was documented"),
        4 => Value::Array(vec![node.clone()]),
        _ => value.clone(),
    };
    out
}

/// The reply body text (bytes) for `example` damaged by `m`; text replies are the string
/// itself, not its JSON form.
fn body(example: &Value, text_reply: bool, m: &Mutation) -> Vec<u8> {
    let v = mutate_value(example, m);
    let text = match (&v, text_reply) {
        (Value::String(s), true) => s.clone().into_bytes(),
        _ => v.to_string().into_bytes(),
    };
    match m {
        Mutation::Truncate { at } if !text.is_empty() => text[..at.index(text.len())].to_vec(),
        Mutation::Bytes(b) => b.clone(),
        _ => text,
    }
}

// ---- the properties ----

#[test]
fn mutated_replies_through_the_client_fail_only_as_malformed_replies() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let script = Arc::new(Mutex::new(Script {
        status: 200,
        content_type: None,
        body: Vec::new(),
    }));
    let url = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(serve(listener, script.clone()));
        url
    });
    let client = Client::builder()
        .community_id(COMMUNITY)
        .api_key(KEY)
        .base_url(&url)
        .rate_limit(RateLimitPolicy::off())
        .retry(RetryPolicy::none())
        .timeout(Some(Duration::from_secs(10)))
        .build()
        .unwrap();

    let doc = support::spec::merged();
    let calls = calls(&doc);
    let v1 = calls.iter().filter(|c| c.v1_type.is_some()).count();
    assert_eq!(calls.len() - v1, support::v2_calls::V2_OPERATION_IDS.len());
    assert_eq!(v1, 63, "v1 methods");

    let (sent, malformed, decoded) = (Cell::new(0u32), Cell::new(0u32), Cell::new(0u32));
    for call in &calls {
        let text_reply = call.content_type == "text/plain";
        runner(20)
            .run(&mutation(), |m| {
                let body = body(&call.example, text_reply, &m);
                *script.lock().unwrap() = Script {
                    status: call.status,
                    content_type: Some(call.content_type.clone()),
                    body: body.clone(),
                };
                sent.set(sent.get() + 1);
                let result = rt
                    .block_on(async {
                        match &call.v1_type {
                            None => {
                                support::v2_calls::call_v2(&client, &call.operation_id, &call.input)
                                    .await
                            }
                            Some(t) => {
                                support::v1_calls::call_v1(
                                    &client,
                                    &call.operation_id,
                                    t,
                                    &call.input,
                                )
                                .await
                            }
                        }
                    })
                    .ok_or_else(|| TestCaseError::fail("no generated method"))?;
                let shown = String::from_utf8_lossy(&body);
                match &result {
                    Ok(_) => decoded.set(decoded.get() + 1),
                    Err(Error::MalformedReply { status, reason, .. }) => {
                        malformed.set(malformed.get() + 1);
                        prop_assert_eq!(*status, call.status, "{}", reason);
                        prop_assert!(!reason.is_empty());
                        prop_assert!(
                            !(call.documented && matches!(m, Mutation::None)),
                            "{}: the documented reply does not decode: {}",
                            call.name,
                            reason
                        );
                    }
                    Err(other) => {
                        return Err(TestCaseError::fail(format!(
                            "{}: a {} reply {shown:?} gave {other:?}, not MalformedReply",
                            call.name, call.status
                        )));
                    }
                }
                // A JSON reply that is not JSON is never a success (not even as text).
                if call.content_type == "application/json"
                    && serde_json::from_slice::<Value>(&body).is_err()
                {
                    prop_assert!(
                        result.is_err(),
                        "{}: the non-JSON body {:?} served as application/json decoded: {:?}",
                        &call.name,
                        shown,
                        result
                    );
                }
                // Where the reply is one named schema, the client decodes exactly what the
                // generated type decodes.
                if let (Some(name), Ok(parsed)) =
                    (&call.schema, serde_json::from_slice::<Value>(&body))
                {
                    let typed = roundtrip_schema(name, &parsed).expect("a generated type");
                    prop_assert_eq!(
                        typed.is_ok(),
                        result.is_ok(),
                        "{}: body {} -> type {:?}, client {:?}",
                        &call.name,
                        shown,
                        typed,
                        result
                    );
                }
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{}: {e}", call.name));
    }
    println!(
        "{} calls, {} replies: {} decoded, {} MalformedReply",
        calls.len(),
        sent.get(),
        decoded.get(),
        malformed.get(),
    );
    assert_eq!(
        sent.get() as usize,
        calls.len() * 20,
        "20 replies for every call"
    );
    assert!(
        malformed.get() * 4 >= sent.get(),
        "mutations are mostly refused"
    );
}

#[test]
fn mutated_examples_straight_into_the_generated_types() {
    let doc = support::spec::merged();
    // Every named schema a success reply is, with its example.
    let mut typed: Vec<(String, Value)> = calls(&doc)
        .into_iter()
        .filter(|c| c.documented)
        .filter_map(|c| Some((c.schema?, c.example)))
        .collect();
    typed.sort_by(|a, b| a.0.cmp(&b.0));
    typed.dedup_by(|a, b| a.0 == b.0);
    assert!(typed.len() >= 50, "only {} reply schemas", typed.len());
    let (cases, refused) = (Cell::new(0u32), Cell::new(0u32));
    for (name, example) in &typed {
        let back = roundtrip_schema(name, example).expect("a generated type");
        assert!(back.is_ok(), "{name}: the documented example: {back:?}");
        runner(100)
            .run(&mutation(), |m| {
                cases.set(cases.get() + 1);
                let bytes = body(example, false, &m);
                let Ok(value) = serde_json::from_slice::<Value>(&bytes) else {
                    refused.set(refused.get() + 1);
                    return Ok(());
                };
                match roundtrip_schema(name, &value).expect("a generated type") {
                    Err(e) => {
                        refused.set(refused.get() + 1);
                        prop_assert!(e.starts_with("does not decode: "), "{}: {}", name, e);
                    }
                    // What decodes encodes to a value that decodes to itself.
                    Ok(once) => {
                        let twice = roundtrip_schema(name, &once).expect("a generated type");
                        prop_assert_eq!(
                            twice.as_ref(),
                            Ok(&once),
                            "{}: {} -> {} -> {:?}",
                            name,
                            value,
                            once,
                            twice
                        );
                    }
                }
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    println!(
        "{} cases over {} reply types, {} refused",
        cases.get(),
        typed.len(),
        refused.get(),
    );
    assert_eq!(
        cases.get() as usize,
        typed.len() * 100,
        "100 cases for every reply type"
    );
    assert!(
        refused.get() * 4 >= cases.get(),
        "mutations are mostly refused: {} of {}",
        refused.get(),
        cases.get()
    );
}
