//! Bounded property tests of the request checks (issue 13, point 5): mutations of every
//! operation's documented request example, arbitrary JSON values and arbitrary bytes, first
//! straight through [`validate`] (thousands of cases), then over HTTP through the running
//! server (some 900 requests), which must answer exactly what the validator says.
//!
//! Fixed case counts from a fixed seed (the same cases on every run), printed and
//! overridable with `SONORAN_FUZZ_SEED`; no time budget: every case runs.

use crate::server::FakeServer;
use crate::spec::{Api, BodyKind, FakeApi, Operation, ParamIn, operations};
use crate::validate::validate;

fn cad() -> &'static serde_json::Value {
    crate::spec::doc(FakeApi::Cad)
}
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use serde_json::Value;
use std::cell::Cell;

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
        max_shrink_iters: 64,
        failure_persistence: None,
        ..Config::default()
    };
    eprintln!("fuzz seed {} (replay: SONORAN_FUZZ_SEED={0})", fuzz_seed());
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&fuzz_seed().to_le_bytes());
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed))
}

/// Any JSON value, at most 3 levels deep and some 30 nodes.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        any::<String>().prop_map(Value::String),
        "[A-Z_]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 30, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(("[a-zA-Z_]{0,10}|.{0,4}", inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// One step down a JSON document.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Item(usize),
}

/// Every node of `v`, as the steps to reach it (the root first).
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

/// The validator's name for a path (`body.data[0]`, `body["a b"]`), as `validate::join`.
fn path_name(root: &str, steps: &[Step]) -> String {
    let mut out = root.to_owned();
    for step in steps {
        match step {
            Step::Item(i) => out.push_str(&format!("[{i}]")),
            Step::Key(name) => {
                let plain = !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
                    && !name.starts_with(|c: char| c.is_ascii_digit());
                if plain {
                    out.push('.');
                    out.push_str(name);
                } else {
                    out.push_str(&format!("[{}]", Value::from(name.as_str())));
                }
            }
        }
    }
    out
}

/// One change to a document: at the node picked by `at`, by `how`.
#[derive(Debug, Clone)]
struct Mutation {
    at: Index,
    how: u8,
    value: Value,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    (any::<Index>(), 0u8..8, any_json()).prop_map(|(at, how, value)| Mutation { at, how, value })
}

/// Applies `m` to a copy of `doc`, touching only nodes that `allowed` accepts. Returns the
/// document and the steps of the node that changed (the parent, for a dropped member);
/// `None` when no node is allowed.
fn apply(
    doc: &Value,
    m: &Mutation,
    allowed: impl Fn(&[Step]) -> bool,
) -> Option<(Value, Vec<Step>)> {
    let candidates: Vec<Vec<Step>> = nodes(doc).into_iter().filter(|s| allowed(s)).collect();
    if candidates.is_empty() {
        return None;
    }
    let steps = m.at.get(&candidates).clone();
    let mut out = doc.clone();
    let node = node_mut(&mut out, &steps);
    let changed = match m.how {
        // Drop a member (of this object, or this node from its parent object).
        0 => {
            if let Value::Object(map) = node
                && let Some(k) = map.keys().next().cloned()
            {
                map.remove(&k);
                steps.clone()
            } else if let Some((Step::Key(k), parent)) = steps.split_last() {
                if let Value::Object(map) = node_mut(&mut out, parent) {
                    map.remove(k);
                }
                parent.to_vec()
            } else {
                *node = Value::Null;
                steps.clone()
            }
        }
        1 => {
            *node = Value::Null;
            steps.clone()
        }
        2 => {
            *node = Value::from(-1.5);
            steps.clone()
        }
        3 => {
            *node = Value::from("not what was documented");
            steps.clone()
        }
        4 => {
            *node = Value::Array(vec![node.clone()]);
            steps.clone()
        }
        5 => {
            *node = Value::Bool(true);
            steps.clone()
        }
        _ => {
            *node = m.value.clone();
            steps.clone()
        }
    };
    Some((out, changed))
}

/// Whether `message` names as the failing field `changed`, one of its ancestors, or (for a
/// replaced value) something inside it: never a field beside it, which did not change.
fn on_the_changed_line(message: &str, root: &str, changed: &[Step]) -> bool {
    let ancestor = (0..changed.len())
        .any(|n| message.starts_with(&format!("{}: ", path_name(root, &changed[..n]))));
    let own = path_name(root, changed);
    let inside = message.strip_prefix(&own).is_some_and(|rest| {
        rest.starts_with(": ") || rest.starts_with('.') || rest.starts_with('[')
    });
    ancestor || inside
}

/// The operations with a JSON request body, with the schema and documented example.
fn json_ops() -> Vec<(&'static Operation, &'static Value, &'static Value)> {
    let ops: Vec<_> = operations(FakeApi::Cad)
        .iter()
        .filter_map(|op| match op.body.as_ref().map(|b| &b.kind) {
            Some(BodyKind::Json(schema)) => Some((op, *schema, op.request_example?)),
            _ => None,
        })
        .collect();
    assert!(
        ops.len() >= 100,
        "only {} operations with a JSON body example",
        ops.len()
    );
    ops
}

/// v1 envelope fields the server checks before the schema: not mutated over HTTP.
fn envelope_auth(steps: &[Step]) -> bool {
    matches!(steps.first(), Some(Step::Key(k)) if ["id", "key", "type"].contains(&k.as_str()))
}

#[test]
fn mutated_examples_fail_on_the_line_of_the_mutated_field() {
    let (checked, rejected) = (Cell::new(0u32), Cell::new(0u32));
    for (op, schema, example) in json_ops() {
        assert_eq!(
            validate(cad(), example, schema, "body"),
            Ok(()),
            "{}: its own example",
            op.id
        );
        runner(40)
            .run(&mutation(), |m| {
                let Some((doc, changed)) = apply(example, &m, |_| true) else {
                    return Ok(());
                };
                checked.set(checked.get() + 1);
                if let Err(message) = validate(cad(), &doc, schema, "body") {
                    rejected.set(rejected.get() + 1);
                    prop_assert!(
                        on_the_changed_line(&message, "body", &changed),
                        "{}: changed {} but the error is {message:?}\n  doc: {doc}",
                        op.id,
                        path_name("body", &changed)
                    );
                }
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{}: {e}", op.id));
    }
    let (checked, rejected) = (checked.get(), rejected.get());
    println!("{checked} mutated examples, {rejected} rejected");
    assert!(checked >= 2_000, "only {checked} cases applied a mutation");
    assert!(
        rejected * 4 >= checked,
        "mutations are mostly caught: {rejected} of {checked}"
    );
}

#[test]
fn arbitrary_values_never_panic_and_name_the_body() {
    let ops = json_ops();
    let (cases, rejected) = (Cell::new(0u32), Cell::new(0u32));
    let mut runner = runner(3_000);
    runner
        .run(&(any::<Index>(), any_json()), |(i, value)| {
            let (op, schema, _) = i.get(&ops);
            cases.set(cases.get() + 1);
            if let Err(message) = validate(cad(), &value, schema, "body") {
                rejected.set(rejected.get() + 1);
                prop_assert!(
                    message.starts_with("body: ")
                        || message.starts_with("body.")
                        || message.starts_with("body["),
                    "{}: {message:?}",
                    op.id
                );
            }
            Ok(())
        })
        .unwrap();
    // Arbitrary JSON is seldom a valid request body: a validator that let everything
    // through (and so never reached the assertion above) fails here.
    let (cases, rejected) = (cases.get(), rejected.get());
    assert!(cases >= 3_000, "{cases} cases");
    assert!(
        rejected * 2 >= cases,
        "arbitrary values are mostly refused: {rejected} of {cases}"
    );
}

/// A path for `op` with a sensible value for each path parameter.
fn concrete_path(op: &Operation) -> String {
    let mut path = op.template.clone();
    for p in op.params.iter().filter(|p| p.location == ParamIn::Path) {
        let text = match (
            p.schema.get("type").and_then(Value::as_str),
            p.schema.get("format").and_then(Value::as_str),
        ) {
            (_, Some("uuid")) => "00000000-0000-0000-0000-00000000000a",
            (Some("integer" | "number"), _) => "2",
            _ => "x",
        };
        path = path.replace(&format!("{{{}}}", p.name), text);
    }
    path
}

/// What the server answered: status, content type, body text.
async fn send(
    http: &reqwest::Client,
    base: &str,
    op: &Operation,
    body: Vec<u8>,
) -> (u16, String, String) {
    let url = format!("{base}{}", concrete_path(op));
    let mut req = http
        .request(op.method.clone(), url)
        .header("content-type", "application/json")
        .body(body);
    if op.api == Api::V2 {
        req = req.bearer_auth("YOUR_API_KEY");
    }
    let r = req.send().await.expect("the fake answers");
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, ct, r.text().await.unwrap_or_default())
}

/// The `detail` of a v2 problem, or the text of a v1 error, checking the shape on the way.
fn error_text(op: &Operation, ct: &str, body: &str) -> Result<String, TestCaseError> {
    match op.api {
        Api::V2 => {
            prop_assert_eq!(ct, "application/problem+json", "{}: {}", op.id, body);
            let p: Value = serde_json::from_str(body)
                .map_err(|e| TestCaseError::fail(format!("{}: problem is not JSON: {e}", op.id)))?;
            prop_assert_eq!(&p["status"], &Value::from(400));
            Ok(p["detail"].as_str().unwrap_or_default().to_owned())
        }
        Api::V1 => {
            prop_assert!(ct.starts_with("text/plain"), "{}: {}", op.id, ct);
            Ok(body.to_owned())
        }
    }
}

#[test]
fn over_http_every_rejection_is_a_400_that_says_what_the_validator_says() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (fake, http) = rt.block_on(async {
        (
            FakeServer::start().await,
            reqwest::Client::builder().no_proxy().build().unwrap(),
        )
    });
    let base = fake.url();
    let (sent, mut skipped) = (Cell::new(0u32), Vec::new());
    for (op, schema, example) in json_ops() {
        // Operations whose documented request is not answered 2xx as sent here (a required
        // query parameter this test does not give) cannot show "valid means accepted".
        let (status, _, _) = rt.block_on(send(&http, &base, op, example.to_string().into_bytes()));
        if !(200..300).contains(&status) {
            skipped.push(op.id.as_str());
            continue;
        }
        let case = (
            mutation(),
            prop::collection::vec(any::<u8>(), 1..64),
            any::<bool>(),
        );
        runner(8)
            .run(&case, |(m, bytes, raw)| {
                sent.set(sent.get() + 1);
                if raw {
                    // Arbitrary bytes: not JSON (a 400 saying so), or JSON like any other.
                    let (status, ct, body) = rt.block_on(send(&http, &base, op, bytes.clone()));
                    match serde_json::from_slice::<Value>(&bytes) {
                        Err(_) => {
                            prop_assert_eq!(status, 400, "{}: {:?}", op.id, bytes);
                            let text = error_text(op, &ct, &body)?;
                            prop_assert!(text.starts_with("body: not valid JSON"), "{}", text);
                        }
                        Ok(_) => prop_assert!(status == 400 || status < 300, "{}", status),
                    }
                    return Ok(());
                }
                // v1: the envelope's root, id, key and type stay (the server checks those first).
                let allowed = |s: &[Step]| op.api == Api::V2 || !(s.is_empty() || envelope_auth(s));
                let Some((doc, _)) = apply(example, &m, allowed) else {
                    return Ok(());
                };
                let (status, ct, body) =
                    rt.block_on(send(&http, &base, op, doc.to_string().into_bytes()));
                match validate(cad(), &doc, schema, "body") {
                    Ok(()) => prop_assert_eq!(
                        status,
                        op.success.status,
                        "{}: valid but answered {}: {}\n  doc: {}",
                        op.id,
                        status,
                        body,
                        doc
                    ),
                    Err(expected) => {
                        prop_assert_eq!(status, 400, "{}: {} for {}", op.id, body, doc);
                        let text = error_text(op, &ct, &body)?;
                        prop_assert_eq!(text, expected);
                    }
                }
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{}: {e}", op.id));
    }
    let sent = sent.get();
    println!(
        "{sent} requests; skipped (documented request not answered 2xx without query \
         parameters): {skipped:?}"
    );
    assert!(sent >= 600, "only {sent} requests");
    assert!(skipped.len() <= 10, "too many skipped: {skipped:?}");
}
