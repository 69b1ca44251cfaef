//! Every v1 call: the exact wire request (path and envelope, from the documented example),
//! the typed handling of its documented reply, and of a plain-text error.

mod support {
    pub mod spec;
    #[rustfmt::skip]
    pub mod v1_calls;
}

use serde_json::Value;
use sonoran_cad::{Client, Error, V1ErrorCode};
use sonoran_fake::scripted::{Reply, Server};

/// Every documented v1 envelope call as (operationId, path, type, request example, 200 reply).
type V1Call = (
    String,
    String,
    String,
    Value,
    Option<(String, Value)>,
    (&'static str, &'static str),
);

fn v1_calls(doc: &Value) -> Vec<V1Call> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path.starts_with("/v2/") {
            continue;
        }
        let op = &item["post"];
        let Some(example) = op.pointer("/requestBody/content/application~1json/example") else {
            continue;
        };
        let types: Vec<String> = match op.get("x-v1-types") {
            Some(list) => list
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_string())
                .collect(),
            None => vec![op["x-v1-type"].as_str().unwrap().to_string()],
        };
        let content = op
            .pointer("/responses/200/content")
            .and_then(Value::as_object);
        let reply = content.and_then(|c| {
            c.get("application/json")
                .and_then(|m| m.get("example"))
                .map(|e| ("application/json".to_string(), e.clone()))
                .or_else(|| {
                    c.get("text/plain")
                        .and_then(|m| m.get("example"))
                        .map(|e| ("text/plain".to_string(), e.clone()))
                })
        });
        // Without a documented example, the smallest reply of the documented kind.
        let fallback = match content.and_then(|c| c.get("application/json")) {
            Some(m) if m.pointer("/schema/type").and_then(Value::as_str) == Some("array") => {
                ("application/json", "[]")
            }
            Some(_) => ("application/json", "{}"),
            None => ("text/plain", "OK"),
        };
        for t in types {
            let mut example = example.clone();
            example["type"] = Value::from(t.as_str());
            out.push((
                op["operationId"].as_str().unwrap().to_string(),
                path.clone(),
                t,
                example,
                reply.clone(),
                fallback,
            ));
        }
    }
    out
}

#[tokio::test]
async fn every_v1_call_sends_the_documented_envelope_and_types_its_replies() {
    let doc = support::spec::merged();
    let calls = v1_calls(&doc);
    assert!(
        calls.len() >= 63,
        "only {} v1 calls with examples",
        calls.len()
    );
    let server = Server::start().await;
    // The docs' examples use these placeholders; configuring them makes the wire body
    // byte-for-byte comparable with the documented envelope.
    let client = Client::builder()
        .community_id("YOUR_COMMUNITY_ID")
        .api_key("YOUR_API_KEY")
        .base_url(&server.url)
        .build()
        .unwrap();
    let mut replies_checked = 0;
    for (op, path, v1_type, example, reply, fallback) in &calls {
        let (status_ct, reply_body) = match reply {
            Some((ct, Value::String(text))) => (ct.clone(), text.clone()),
            Some((ct, json)) => (ct.clone(), json.to_string()),
            None => (fallback.0.to_string(), fallback.1.to_string()),
        };
        server.script(vec![Reply::new(200, &status_ct, &reply_body)]);
        let result = support::v1_calls::call_v1(&client, op, v1_type, example)
            .await
            .unwrap_or_else(|| panic!("no generated method for {op} / {v1_type}"));
        let got = result.unwrap_or_else(|e| panic!("{op}: documented reply did not decode: {e}"));
        let seen = server.take();
        assert_eq!(seen.len(), 1, "{op}");
        assert_eq!(seen[0].method, "POST", "{op}");
        assert_eq!(&seen[0].target, path, "{op}");
        assert!(
            !seen[0].headers.contains_key("authorization"),
            "{op}: v1 carries the key in the envelope only"
        );
        let sent: Value = serde_json::from_str(&seen[0].body).unwrap();
        // Exactly the documented envelope, except that an explicit `null` in an example
        // (e.g. EDIT_CHARACTER's `"record": null`) goes out as an absent field, which
        // means the same; typed optional fields are omitted when unset.
        assert_eq!(
            strip_nulls(&sent),
            strip_nulls(example),
            "{op}: the wire body is the documented envelope"
        );
        // The order on the wire, read from the text (a `Value` sorts its keys unless
        // serde_json's `preserve_order` is on, as it is not in a user's build).
        let order: indexmap::IndexMap<String, serde::de::IgnoredAny> =
            serde_json::from_str(&seen[0].body).unwrap();
        let keys: Vec<&str> = order.keys().map(String::as_str).collect();
        assert_eq!(&keys[..3], ["id", "key", "type"], "{op}: envelope order");
        if let Some((ct, documented)) = reply {
            let expected = if ct == "text/plain" {
                Value::String(reply_body.clone())
            } else {
                documented.clone()
            };
            assert_eq!(
                strip_nulls(&got),
                strip_nulls(&expected),
                "{op}: typed reply differs from the documented one"
            );
            replies_checked += 1;
        }

        // The same call rejected with a documented plain-text error.
        server.script(vec![Reply::new(400, "text/plain", "INVALID API KEY")]);
        let err = support::v1_calls::call_v1(&client, op, v1_type, example)
            .await
            .unwrap()
            .unwrap_err();
        match &err {
            Error::Api(e) => {
                assert_eq!(e.status, 400, "{op}");
                assert_eq!(e.code, Some(V1ErrorCode::InvalidApiKey), "{op}");
            }
            other => panic!("{op}: expected an API error, got {other:?}"),
        }
        assert!(
            !err.to_string().contains("YOUR_API_KEY"),
            "{op}: the key never shows in an error"
        );
        server.take();
    }
    assert!(
        replies_checked >= 50,
        "only {replies_checked} documented replies checked"
    );
}

fn strip_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_nulls).collect()),
        Value::Number(n) => n.as_f64().map_or(v.clone(), |f| serde_json::json!(f)),
        other => other.clone(),
    }
}

/// Every error reply the docs show (v1 plain-text examples, v2 problem+json examples), as
/// (operationId, status, content type, example text).
fn documented_errors(doc: &Value) -> Vec<(String, u16, String, String)> {
    let mut out = Vec::new();
    for (_, methods) in doc["paths"].as_object().unwrap() {
        for (_, op) in methods.as_object().unwrap() {
            for (status, reply) in op["responses"].as_object().unwrap() {
                let Ok(code) = status.parse::<u16>() else {
                    continue;
                };
                if code < 400 {
                    continue;
                }
                for (ct, media) in reply["content"].as_object().into_iter().flatten() {
                    let text = match &media["example"] {
                        Value::Null => continue,
                        Value::String(t) => t.clone(),
                        other => other.to_string(),
                    };
                    out.push((
                        op["operationId"].as_str().unwrap().to_string(),
                        code,
                        ct.clone(),
                        text,
                    ));
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn every_documented_error_example_decodes_through_api_error() {
    let doc = support::spec::merged();
    // The spec's table of v1 error texts (components/v1.yaml `x-known-values`), with the
    // code it names for each (the pages' own list is checked below, from tests/data/).
    let known = doc
        .pointer("/components/schemas/V1ErrorText/x-known-values")
        .and_then(Value::as_object)
        .unwrap()
        .clone();
    let errors = documented_errors(&doc);
    assert!(
        errors.len() >= 30,
        "the docs show {} error examples",
        errors.len()
    );
    for (op, status, ct, text) in &errors {
        let e = sonoran_cad::ApiError::from_body(*status, text);
        assert_eq!(e.status, *status);
        if ct.contains("problem+json") {
            let p: Value = serde_json::from_str(text).unwrap();
            assert_eq!(e.title.as_deref(), p["title"].as_str(), "{op}");
            assert_eq!(e.detail.as_deref(), p["detail"].as_str(), "{op}");
            assert_eq!(e.code, None, "{op}");
        } else {
            let expected = known.get(text.trim()).and_then(Value::as_str);
            assert_eq!(
                e.code.map(|c| format!("{c:?}")).as_deref(),
                expected,
                "{op}: {text}"
            );
            assert_eq!(e.detail.as_deref(), Some(text.trim()), "{op}");
        }
    }
    // Every text of the docs' table is one a documented call shows, or at least decodes.
    for (text, name) in &known {
        let code = sonoran_cad::ApiError::from_body(400, text).code;
        assert_eq!(
            code.map(|c| format!("{c:?}")).as_deref(),
            name.as_str(),
            "{text}"
        );
    }
}

/// The v1 error replies the docs pages list: (status, text), read from
/// tests/data/v1-error-texts.tsv (extracted from the pages, not from openapi/ or the
/// generated code; the file says how).
fn page_error_texts() -> Vec<(u16, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/v1-error-texts.tsv");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty())
        .map(|(i, l)| {
            let mut cols = l.split('\t');
            let status = cols.next().and_then(|s| s.parse().ok());
            let text = cols.next();
            match (status, text, cols.next()) {
                (Some(status), Some(text), Some(_pages)) => (status, text.to_owned()),
                _ => panic!(
                    "{path}:{}: expected status<TAB>text<TAB>pages: {l:?}",
                    i + 1
                ),
            }
        })
        .collect()
}

/// An upper-case phrase (`INVALID API KEY`, `NO_SERVER_ID`): what the pages list as a
/// fixed error, which the client must know as a code; anything else (`Server not found with
/// ID: 123`) is a message that reaches the caller verbatim, with no code.
fn is_error_code_text(text: &str) -> bool {
    text.len() > 1
        && text.starts_with(|c: char| c.is_ascii_uppercase())
        && text.ends_with(|c: char| c.is_ascii_uppercase())
        && text
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == ' ' || c == '_')
}

#[test]
fn the_v1_error_codes_are_the_texts_the_docs_pages_list() {
    let listed = page_error_texts();
    assert!(listed.len() >= 10, "{listed:?}");
    let page_codes: std::collections::BTreeSet<&str> = listed
        .iter()
        .map(|(_, t)| t.as_str())
        .filter(|t| is_error_code_text(t))
        .collect();
    let client_codes: std::collections::BTreeSet<&str> =
        V1ErrorCode::ALL.iter().map(|c| c.text()).collect();
    assert_eq!(
        client_codes, page_codes,
        "the client's v1 error codes and the upper-case texts the docs pages list"
    );
    for (status, text) in &listed {
        let e = sonoran_cad::ApiError::from_body(*status, text);
        assert_eq!(e.status, *status);
        assert_eq!(e.detail.as_deref(), Some(text.as_str()), "verbatim: {text}");
        match e.code {
            Some(code) => {
                assert!(is_error_code_text(text), "{text}: a message given a code");
                assert_eq!(code.text(), text, "the code's text is the page's");
            }
            None => assert!(!is_error_code_text(text), "{text}: no code"),
        }
    }
}

#[tokio::test]
async fn every_v1_error_text_the_pages_list_has_its_code_on_the_wire() {
    let server = Server::start().await;
    let client = Client::builder()
        .community_id("c")
        .api_key("k")
        .base_url(&server.url)
        .build()
        .unwrap();
    let listed = page_error_texts();
    for (status, text) in &listed {
        server.script(vec![Reply::new(*status, "text/plain", text)]);
        let err = client.v1().get_version_v1().await.unwrap_err();
        assert_eq!(err.status(), Some(*status), "{text}");
        assert!(err.to_string().contains(text.as_str()), "{text}: {err}");
        assert_eq!(
            err.v1_code().map(V1ErrorCode::text),
            is_error_code_text(text).then_some(text.as_str()),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_v1_429_is_a_rate_limited_error_not_a_silent_success() {
    let server = Server::start().await;
    let client = Client::builder()
        .community_id("c")
        .api_key("k")
        .base_url(&server.url)
        .retry(sonoran_cad::RetryPolicy::none())
        .build()
        .unwrap();
    let mut reply = Reply::new(
        429,
        "application/json",
        r#"{"message":"API rate limit exceeded","request_id":"r-1"}"#,
    );
    reply.headers.push(("retry-after".into(), "7".into()));
    server.script(vec![reply]);
    match client.v1().get_version_v1().await.unwrap_err() {
        Error::RateLimited {
            retry_after,
            request_id,
            ..
        } => {
            assert_eq!(retry_after, Some(std::time::Duration::from_secs(7)));
            assert_eq!(request_id.as_deref(), Some("r-1"));
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
}

#[tokio::test]
async fn modify_identifier_replies_json_or_text() {
    use sonoran_cad::v1::JsonOrText;
    let server = Server::start().await;
    let client = Client::builder()
        .community_id("c")
        .api_key("k")
        .base_url(&server.url)
        .build()
        .unwrap();
    let data: Vec<sonoran_cad::types::ModifyIdentifierV1Item> = serde_json::from_value(
        serde_json::json!([{"apiId": "STEAM:1", "action": 2, "identId": 12}]),
    )
    .unwrap();
    server.script(vec![Reply::new(200, "text/plain", "Identifier removed.")]);
    assert_eq!(
        client.v1().modify_identifier_v1(&data).await.unwrap(),
        JsonOrText::Text("Identifier removed.".into())
    );
    server.script(vec![Reply::new(
        200,
        "application/json",
        r#"{"id":12,"status":2,"isPanic":false}"#,
    )]);
    match client.v1().modify_identifier_v1(&data).await.unwrap() {
        JsonOrText::Json(ident) => assert_eq!(ident.id, Some(12)),
        other => panic!("expected JSON, got {other:?}"),
    }
}

#[tokio::test]
async fn a_malformed_json_reply_is_a_typed_error_with_the_raw_text() {
    let server = Server::start().await;
    let client = Client::builder()
        .community_id("c")
        .api_key("k")
        .base_url(&server.url)
        .build()
        .unwrap();
    server.script(vec![Reply::new(200, "application/json", "{not json")]);
    match client.v1().get_servers_v1().await.unwrap_err() {
        Error::MalformedReply { status, body, .. } => {
            assert_eq!(status, 200);
            assert_eq!(body, "{not json");
        }
        other => panic!("expected MalformedReply, got {other:?}"),
    }
}

#[tokio::test]
async fn v1_calls_need_the_community_id() {
    let client = Client::builder()
        .api_key("k")
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    match client.v1().get_version_v1().await.unwrap_err() {
        Error::InvalidRequest(why) => assert!(why.contains("community_id"), "{why}"),
        other => panic!("expected InvalidRequest, got {other:?}"),
    }
}
