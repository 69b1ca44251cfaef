//! The one request path every operation takes: the caller's arguments (one JSON text from
//! `JSON.stringify`) are checked against the operation's row, turned into a request (path,
//! query, body or v1 envelope), and sent through the client's runtime, the same one the
//! Rust client uses (pacing, retries, `Retry-After`), with the platform's `fetch` (in
//! `crate::transport`) making each attempt. What the caller passed as a body is sent as
//! written: it is checked, never decoded into Rust types and encoded again.

use crate::table::{self, Body, Data, Operation, Span};
use crate::validate::{Invalid, check, js_kind, push_key};
use serde_json::Value;

/// What a request needs from the client's configuration.
#[derive(Debug)]
pub(crate) struct Config {
    pub base_url: String,
    pub server_id: i64,
    pub api_key: Option<String>,
    pub community_id: Option<String>,
    /// `name\nvalue\n` for each extra header.
    pub headers: String,
}

/// Which headers a request carries: a few sets, the same for every call of a client, so
/// that the JS side builds each once (see [`header_lines`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Headers {
    /// v2 without a body: `accept`, the bearer key.
    V2 = 0,
    /// v2 with a JSON body: also `content-type`.
    V2Json = 1,
    /// v1: `content-type`, `accept` JSON or text; the key is in the envelope.
    V1 = 2,
}

/// The headers of `kind` for `config`: `name\nvalue\n` per header, extra headers last.
pub(crate) fn header_lines(kind: Headers, config: &Config) -> String {
    let mut headers = String::new();
    match kind {
        Headers::V2 | Headers::V2Json => {
            headers.push_str("accept\napplication/json\n");
            if kind == Headers::V2Json {
                headers.push_str("content-type\napplication/json\n");
            }
            if let Some(key) = &config.api_key {
                headers.push_str("authorization\nBearer ");
                headers.push_str(key);
                headers.push('\n');
            }
        }
        Headers::V1 => {
            headers
                .push_str("content-type\napplication/json\naccept\napplication/json, text/plain\n");
        }
    }
    headers.push_str(&config.headers);
    headers
}

/// A request ready for `fetch`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Prepared {
    pub method: &'static str,
    pub url: String,
    pub headers: Headers,
    pub body: Option<String>,
}

/// A bad argument: the message says which call, where and what.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    Argument(String),
    Config(String),
}

fn invalid(name: &str, e: Invalid) -> Refused {
    let Invalid { path, problem } = e;
    Refused::Argument(if path.is_empty() {
        format!("{name}: {problem}")
    } else if problem.starts_with("is ") || problem.starts_with("matches ") {
        format!("{name}: `{path}` {problem}")
    } else {
        format!("{name}: `{path}`: {problem}")
    })
}

/// The operation at `index`, with its JS name.
pub(crate) fn operation(index: u32) -> Option<(&'static Operation, &'static str)> {
    let i = usize::try_from(index).ok()?;
    let tables = crate::tables();
    Some((tables.operations.get(i)?, tables.names.get(i)?))
}

/// The caller's arguments, each as `JSON.stringify` wrote it. v2: the arguments object
/// without `body`, and `body`. v1: the first two arguments, and how many were passed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Args<'a> {
    pub first: &'a str,
    pub second: Option<&'a str>,
    pub count: u32,
}

/// Checks `args` and builds the request of `op`.
pub(crate) fn prepare(
    op: &Operation,
    name: &str,
    args: Args<'_>,
    config: &Config,
) -> Result<Prepared, Refused> {
    match &op.body {
        Body::V1 {
            kind, data, extra, ..
        } => v1(op, name, args, config, kind, data, *extra),
        _ => v2(op, name, args, config),
    }
}

fn parse_arg(name: &str, what: &str, json: &str) -> Result<Value, Refused> {
    serde_json::from_str(json).map_err(|e| Refused::Argument(format!("{name}: {what}: {e}")))
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn v2(op: &Operation, name: &str, args: Args<'_>, config: &Config) -> Result<Prepared, Refused> {
    let given = match parse_arg(name, "the arguments", args.first)? {
        Value::Null => serde_json::Map::new(),
        Value::Object(m) => m,
        other => {
            return Err(Refused::Argument(format!(
                "{name}: expected an object of arguments, got {}",
                js_kind(&other)
            )));
        }
    };
    for key in given.keys() {
        if !op.params.iter().any(|p| p.name == key) {
            let mut path = String::new();
            push_key(&mut path, key);
            return Err(Refused::Argument(format!(
                "{name}: `{path}` is not an argument of this call"
            )));
        }
    }
    if args.second.is_some() && matches!(op.body, Body::None) {
        return Err(Refused::Argument(format!(
            "{name}: `body` is not an argument of this call"
        )));
    }
    let mut url = config.base_url.clone();
    let mut query = String::new();
    let mut rest = op.path;
    let mut path_values: Vec<(&str, String)> = Vec::new();
    for p in op.params {
        let value = given.get(p.name).filter(|v| !v.is_null());
        let Some(value) = value else {
            if p.server {
                path_values.push((p.name, config.server_id.to_string()));
                continue;
            }
            if p.required {
                return Err(Refused::Argument(format!(
                    "{name}: `{}` is required",
                    p.name
                )));
            }
            continue;
        };
        let mut path = p.name.to_string();
        check(p.schema, value, &mut path).map_err(|e| invalid(name, e))?;
        let Some(text) = scalar_text(value) else {
            return Err(Refused::Argument(format!(
                "{name}: `{}`: expected a string, number or boolean, got {}",
                p.name,
                js_kind(value)
            )));
        };
        if p.path {
            path_values.push((p.name, text));
        } else {
            if !query.is_empty() {
                query.push('&');
            }
            query.extend(form_urlencoded::byte_serialize(p.name.as_bytes()));
            query.push('=');
            query.extend(form_urlencoded::byte_serialize(text.as_bytes()));
        }
    }
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        url.push_str(&rest[..start]);
        let param = &rest[start + 1..start + len];
        if let Some((_, v)) = path_values.iter().find(|(n, _)| *n == param) {
            // Encoded as the Rust client encodes it.
            url.extend(sonoran_runtime::path::segment(v));
        }
        rest = &rest[start + len + 1..];
    }
    url.push_str(rest);
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query);
    }
    let mut headers = Headers::V2;
    let body = match &op.body {
        Body::Json { schema, required } => match args.second.filter(|b| *b != "null") {
            Some(raw) => {
                let value = parse_arg(name, "`body`", raw)?;
                let mut path = String::from("body");
                check(*schema, &value, &mut path).map_err(|e| invalid(name, e))?;
                headers = Headers::V2Json;
                Some(raw.to_string())
            }
            _ if *required => {
                return Err(Refused::Argument(format!("{name}: `body` is required")));
            }
            _ => None,
        },
        _ => None,
    };
    Ok(Prepared {
        method: op.method,
        url,
        headers,
        body,
    })
}

fn json_string(s: &str) -> String {
    Value::from(s).to_string()
}

fn v1(
    op: &Operation,
    name: &str,
    args: Args<'_>,
    config: &Config,
    kind: &str,
    data: &Data,
    extra: Span,
) -> Result<Prepared, Refused> {
    let fills_server_id = matches!(
        op.body,
        Body::V1 {
            server_id: true,
            ..
        }
    );
    let extra = table::fields(extra);
    let given: [Option<&str>; 2] = [Some(args.first), args.second];
    let given = given.map(|a| a.filter(|a| *a != "null"));
    let mut envelope = String::from("{");
    match (&config.community_id, &config.api_key) {
        (Some(id), key) => {
            envelope.push_str("\"id\":");
            envelope.push_str(&json_string(id));
            if let Some(key) = key {
                envelope.push_str(",\"key\":");
                envelope.push_str(&json_string(key));
            }
            envelope.push(',');
        }
        (None, Some(_)) => {
            return Err(Refused::Config(format!(
                "{name}: v1 calls need the community id: set the `communityId` option"
            )));
        }
        // Behind a backend that adds `id` and `key`.
        (None, None) => {}
    }
    envelope.push_str("\"type\":");
    envelope.push_str(&json_string(kind));
    let mut next = 0;
    match data {
        Data::None => {}
        Data::EmptyArray => envelope.push_str(",\"data\":[]"),
        Data::Typed(schema) => {
            next = 1;
            let raw = given[0].ok_or_else(|| {
                Refused::Argument(format!("{name}: `data` (the first argument) is required"))
            })?;
            let mut value = parse_arg(name, "`data`", raw)?;
            // As written, unless an item left out `serverId`: then with the configured
            // server filled in, as the Rust client sends it (before the check, so that a
            // call whose items require it, EDIT_DISPATCH, takes them without it too).
            let filled = fills_server_id
                && sonoran_runtime::runtime::fill_server_id(&mut value, config.server_id);
            let mut path = String::from("data");
            check(*schema, &value, &mut path).map_err(|e| invalid(name, e))?;
            envelope.push_str(",\"data\":");
            if filled {
                envelope.push_str(&value.to_string());
            } else {
                envelope.push_str(raw);
            }
        }
    }
    let options = given[next];
    let takes = next + usize::from(!extra.is_empty());
    if args.count as usize > takes {
        return Err(Refused::Argument(format!(
            "{name}: takes {takes} argument{}, got {}",
            if takes == 1 { "" } else { "s" },
            args.count
        )));
    }
    let fields = match options
        .map(|o| parse_arg(name, "the options", o))
        .transpose()?
    {
        None => serde_json::Map::new(),
        Some(Value::Object(m)) => m,
        Some(other) => {
            return Err(Refused::Argument(format!(
                "{name}: expected an options object, got {}",
                js_kind(&other)
            )));
        }
    };
    for key in fields.keys() {
        if !extra.iter().any(|f| f.name() == key) {
            let mut path = String::new();
            push_key(&mut path, key);
            return Err(Refused::Argument(format!(
                "{name}: `{path}` is not an option of this call"
            )));
        }
    }
    for f in extra {
        match fields.get(f.name()).filter(|v| !v.is_null()) {
            None if f.required => {
                return Err(Refused::Argument(format!(
                    "{name}: `{}` is required",
                    f.name()
                )));
            }
            None => {}
            Some(value) => {
                let mut path = f.name().to_string();
                check(f.schema, value, &mut path).map_err(|e| invalid(name, e))?;
                envelope.push(',');
                envelope.push_str(&json_string(f.name()));
                envelope.push(':');
                // An options field is a scalar or small value: written back as parsed.
                envelope.push_str(&value.to_string());
            }
        }
    }
    envelope.push('}');
    Ok(Prepared {
        method: "POST",
        url: format!("{}{}", config.base_url, op.path),
        headers: Headers::V1,
        body: Some(envelope),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::{NAMES, OPERATIONS};

    fn config() -> Config {
        Config {
            base_url: "http://127.0.0.1:1".into(),
            server_id: 3,
            api_key: Some("k".into()),
            community_id: Some("c".into()),
            headers: String::new(),
        }
    }

    fn op(id: &str) -> (&'static Operation, &'static str) {
        let i = OPERATIONS.iter().position(|o| o.id == id).expect(id);
        (&OPERATIONS[i], NAMES[i])
    }

    /// The arguments as the JS side passes them, from one JSON text of all of them.
    fn split(o: &Operation, all: &str) -> Args<'static> {
        let leak = |v: &Value| -> &'static str { Box::leak(v.to_string().into_boxed_str()) };
        let v: Value = serde_json::from_str(all).unwrap();
        match (&o.body, v) {
            (Body::V1 { .. }, Value::Array(list)) => Args {
                first: list.first().map_or("null", leak),
                second: list.get(1).map(leak),
                count: list.len() as u32,
            },
            (_, Value::Object(mut m)) => {
                let body = m.remove("body");
                Args {
                    first: leak(&Value::Object(m)),
                    second: body.as_ref().map(leak),
                    count: 1,
                }
            }
            (_, other) => Args {
                first: leak(&other),
                second: None,
                count: 1,
            },
        }
    }

    fn refused(id: &str, args: &str) -> String {
        let (o, n) = op(id);
        match prepare(o, n, split(o, args), &config()) {
            Err(Refused::Argument(m) | Refused::Config(m)) => m,
            Ok(p) => panic!("{id} {args}: accepted as {p:?}"),
        }
    }

    #[test]
    fn v2_path_query_and_body() {
        let (o, n) = op("getCalls");
        let p = prepare(o, n, split(o, r#"{"closedLimit":5}"#), &config()).unwrap();
        assert_eq!(p.method, "GET");
        assert_eq!(
            p.url,
            "http://127.0.0.1:1/v2/emergency/servers/3/calls?closedLimit=5"
        );
        assert_eq!(p.headers, Headers::V2);
        assert!(header_lines(p.headers, &config()).contains("authorization\nBearer k\n"));
        assert_eq!(p.body, None);
        let (o, n) = op("updateIdentifier");
        let body = r#"{"status":2,"group":null}"#;
        let args = Args {
            first: r#"{"accountUuid":"00000000-0000-0000-0000-00000000000a","identId":12}"#,
            second: Some(body),
            count: 1,
        };
        let p = prepare(o, n, args, &config()).unwrap();
        assert_eq!(p.method, "PATCH");
        assert!(
            p.url
                .ends_with("/accounts/00000000-0000-0000-0000-00000000000a/identifiers/12")
        );
        assert_eq!(
            p.body.as_deref(),
            Some(body),
            "sent as written, null included"
        );
    }

    #[test]
    fn v1_items_without_server_id_get_the_configured_one() {
        let (o, n) = op("unitStatusV1");
        let send = |data: &str| {
            let p = prepare(
                o,
                n,
                Args {
                    first: data,
                    second: None,
                    count: 1,
                },
                &config(),
            )
            .unwrap();
            let envelope: Value = serde_json::from_str(p.body.as_deref().unwrap()).unwrap();
            envelope["data"].clone()
        };
        // EDIT_DISPATCH requires `serverId` in each item: filled, it is not refused.
        let (edit, edit_name) = op("editDispatchV1");
        let p = prepare(
            edit,
            edit_name,
            Args {
                first: r#"[{"callId":7}]"#,
                second: None,
                count: 1,
            },
            &config(),
        )
        .unwrap();
        let envelope: Value = serde_json::from_str(p.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            envelope["data"],
            serde_json::json!([{"callId": 7, "serverId": 3}])
        );
        assert_eq!(
            send(r#"[{"apiId":"a","status":1},{"apiId":"b","status":2,"serverId":5}]"#),
            serde_json::json!([
                {"apiId": "a", "status": 1, "serverId": 3},
                {"apiId": "b", "status": 2, "serverId": 5}
            ])
        );
    }

    /// CMS's clients have no default server (`server_id_default`, as in the Rust crate
    /// sonoran-cms): a `serverId` goes out only where the caller gave one.
    #[test]
    fn cms_sends_a_server_id_only_as_the_caller_gives_it() {
        use crate::cms_generated::{NAMES, OPERATIONS};
        let op = |id: &str| {
            let i = OPERATIONS.iter().position(|o| o.id == id).expect(id);
            (&OPERATIONS[i], NAMES[i])
        };
        let args = |first| Args {
            first,
            second: None,
            count: 1,
        };
        crate::with_api(crate::cms(), || {
            let (o, n) = op("getAceConfig");
            match prepare(o, n, args("{}"), &config()) {
                Err(Refused::Argument(m)) => {
                    assert_eq!(m, "getAceConfig: `serverId` is required");
                }
                other => panic!("getAceConfig without serverId: {other:?}"),
            }
            let p = prepare(o, n, args(r#"{"serverId":2}"#), &config()).unwrap();
            assert_eq!(
                p.url,
                "http://127.0.0.1:1/v2/community/servers/2/ace-config"
            );
            let (o, n) = op("startSessionV1");
            let data = |first| {
                let p = prepare(o, n, args(first), &config()).unwrap();
                let envelope: Value = serde_json::from_str(p.body.as_deref().unwrap()).unwrap();
                envelope["data"].clone()
            };
            assert_eq!(
                data(r#"[{"accId":"a"},{"accId":"b","serverId":5}]"#),
                serde_json::json!([{"accId": "a"}, {"accId": "b", "serverId": 5}])
            );
        });
    }

    #[test]
    fn v1_envelope_keeps_what_was_passed() {
        let (o, n) = op("editCharacterV1");
        // The docs' own EDIT_CHARACTER example sends `"record": null`: it goes out as written.
        let data = r#"[{"user":"x","useDictionary":true,"recordId":1,"record":null}]"#;
        let p = prepare(
            o,
            n,
            Args {
                first: data,
                second: None,
                count: 1,
            },
            &config(),
        )
        .unwrap();
        assert_eq!(
            p.body.as_deref().unwrap(),
            format!(r#"{{"id":"c","key":"k","type":"EDIT_CHARACTER","data":{data}}}"#)
        );
        let mut no_key = config();
        no_key.api_key = None;
        no_key.community_id = None;
        let (o, n) = op("getVersionV1");
        let p = prepare(
            o,
            n,
            Args {
                first: "null",
                second: None,
                count: 0,
            },
            &no_key,
        )
        .unwrap();
        assert!(!p.body.unwrap().contains("\"key\""));
    }

    #[test]
    fn bad_arguments_are_named_in_js_terms() {
        let u = r#""accountUuid":"00000000-0000-0000-0000-00000000000a","identId":12"#;
        assert_eq!(
            refused(
                "updateIdentifier",
                &format!(r#"{{{u},"body":{{"status":"2"}}}}"#)
            ),
            r#"updateIdentifier: `body.status`: expected an integer, got a string ("2")"#
        );
        assert_eq!(
            refused(
                "updateIdentifier",
                &format!(r#"{{{u},"body":{{"status":1.5}}}}"#)
            ),
            "updateIdentifier: `body.status`: expected an integer, got a number (1.5)"
        );
        assert_eq!(
            refused("updateIdentifier", r#"{"identId":12,"body":{}}"#),
            "updateIdentifier: `accountUuid` is required"
        );
        assert_eq!(
            refused(
                "updateIdentifier",
                &format!(r#"{{{u},"body":{{}},"bogus":1}}"#)
            ),
            "updateIdentifier: `bogus` is not an argument of this call"
        );
        assert_eq!(
            refused(
                "updateIdentifier",
                &format!(r#"{{{u},"body":{{"bogus":1}}}}"#)
            ),
            "updateIdentifier: `body.bogus` is not a field of this object"
        );
        assert!(
            refused(
                "updateIdentifier",
                r#"{"accountUuid":"nope","identId":12,"body":{}}"#
            )
            .starts_with("updateIdentifier: `accountUuid`: expected a UUID")
        );
        assert_eq!(
            refused("updateIdentifier", "[1]"),
            "updateIdentifier: expected an object of arguments, got an array"
        );
        assert!(
            refused("setAccountPermissionsV1", r#"[[{"add":["NOPE"]}]]"#)
                .starts_with("setAccountPermissionsV1: `data[0].add[0]`: expected one of ")
        );
        assert_eq!(
            refused("setAccountPermissionsV1", r#"[{"add":[]}]"#),
            "setAccountPermissionsV1: `data`: expected an array, got an object"
        );
        assert_eq!(
            refused("setAccountPermissionsV1", "[]"),
            "setAccountPermissionsV1: `data` (the first argument) is required"
        );
    }

    #[test]
    fn every_row_is_consistent() {
        crate::for_each_api(|api| {
            let tables = crate::tables();
            assert_eq!(tables.operations.len(), tables.names.len(), "{api}");
            for (o, n) in tables.operations.iter().zip(tables.names) {
                assert!(!n.is_empty() && !o.id.is_empty(), "{api}");
                for p in o.params {
                    assert!(usize::from(p.schema) < tables.schemas.len(), "{api}");
                    if p.path {
                        assert!(o.path.contains(&format!("{{{}}}", p.name)), "{}", o.id);
                    }
                }
            }
        });
    }
}
