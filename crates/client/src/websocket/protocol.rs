//! SignalR's JSON hub protocol (dotnet/aspnetcore `HubProtocol.md`), the part the websocket
//! API uses: the handshake, records ended by `0x1E`, invocation (1), completion (3), ping
//! (6) and close (7). Plain functions, no I/O.

use serde_json::{Value, json};

/// Ends every message.
pub(crate) const RS: char = '\u{1e}';

/// The handshake request: JSON protocol, version 1.
pub(crate) fn handshake() -> String {
    format!("{{\"protocol\":\"json\",\"version\":1}}{RS}")
}

/// A ping.
pub(crate) fn ping() -> String {
    format!("{{\"type\":6}}{RS}")
}

/// A close message.
pub(crate) fn close() -> String {
    format!("{{\"type\":7}}{RS}")
}

/// An invocation that expects a completion.
pub(crate) fn invocation(id: u64, target: &str, arguments: &[Value]) -> String {
    let message = json!({
        "type": 1,
        "invocationId": id.to_string(),
        "target": target,
        "arguments": arguments,
    });
    format!("{message}{RS}")
}

/// The records of one text frame (the separator stripped, empty ones dropped).
pub(crate) fn records(frame: &str) -> impl Iterator<Item = &str> {
    frame.split(RS).filter(|r| !r.trim().is_empty())
}

/// A message from the hub.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Incoming {
    /// A call of a client method (`pushEvent`) with its arguments.
    Invocation {
        target: String,
        arguments: Vec<Value>,
    },
    /// The answer to one of our invocations.
    Completion {
        id: String,
        outcome: Result<Value, String>,
    },
    Ping,
    /// The hub closes the connection, with its reason.
    Close {
        error: Option<String>,
    },
    /// A type this client does not use (stream items and the like): ignored.
    Other(u64),
}

/// Decodes one record; the error says what is wrong with it.
pub(crate) fn parse(record: &str) -> Result<Incoming, String> {
    let value: Value = serde_json::from_str(record)
        .map_err(|e| format!("a hub message is not valid JSON ({e})"))?;
    let obj = value
        .as_object()
        .ok_or_else(|| "a hub message is not a JSON object".to_owned())?;
    let ty = obj
        .get("type")
        .and_then(Value::as_u64)
        .ok_or_else(|| "a hub message has no numeric \"type\"".to_owned())?;
    let string = |name: &str| obj.get(name).and_then(Value::as_str).map(str::to_owned);
    Ok(match ty {
        1 => Incoming::Invocation {
            target: string("target")
                .ok_or_else(|| "an invocation (type 1) has no \"target\"".to_owned())?,
            arguments: match obj.get("arguments") {
                Some(Value::Array(a)) => a.clone(),
                None => Vec::new(),
                Some(_) => {
                    return Err("an invocation's \"arguments\" is not an array".to_owned());
                }
            },
        },
        3 => {
            let id = string("invocationId")
                .ok_or_else(|| "a completion (type 3) has no \"invocationId\"".to_owned())?;
            let outcome = match string("error") {
                Some(error) => Err(error),
                None => Ok(obj.get("result").cloned().unwrap_or(Value::Null)),
            };
            Incoming::Completion { id, outcome }
        }
        6 => Incoming::Ping,
        7 => Incoming::Close {
            error: string("error"),
        },
        other => Incoming::Other(other),
    })
}

/// The handshake answer: `{}` or `{"error": ...}`.
pub(crate) fn handshake_reply(record: &str) -> Result<(), String> {
    let value: Value = serde_json::from_str(record)
        .map_err(|e| format!("the handshake answer is not valid JSON ({e})"))?;
    match value.get("error") {
        None | Some(Value::Null) if value.is_object() => Ok(()),
        Some(Value::String(e)) => Err(e.clone()),
        _ => Err(format!("unexpected handshake answer {value}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames() {
        assert_eq!(handshake(), "{\"protocol\":\"json\",\"version\":1}\u{1e}");
        let inv = invocation(3, "unitLocation", &[json!([])]);
        assert!(inv.ends_with(RS));
        let v: Value = serde_json::from_str(inv.trim_end_matches(RS)).unwrap();
        assert_eq!(
            v,
            json!({"type": 1, "invocationId": "3", "target": "unitLocation", "arguments": [[]]})
        );
        let got: Vec<&str> = records("{\"type\":6}\u{1e}{}\u{1e}").collect();
        assert_eq!(got, ["{\"type\":6}", "{}"]);
    }

    #[test]
    fn parses_each_type() {
        assert_eq!(
            parse(r#"{"type":1,"target":"pushEvent","arguments":[{"a":1}]}"#).unwrap(),
            Incoming::Invocation {
                target: "pushEvent".into(),
                arguments: vec![json!({"a": 1})]
            }
        );
        assert_eq!(
            parse(r#"{"type":3,"invocationId":"1","result":{"success":true}}"#).unwrap(),
            Incoming::Completion {
                id: "1".into(),
                outcome: Ok(json!({"success": true}))
            }
        );
        assert_eq!(
            parse(r#"{"type":3,"invocationId":"2","error":"nope"}"#).unwrap(),
            Incoming::Completion {
                id: "2".into(),
                outcome: Err("nope".into())
            }
        );
        assert_eq!(parse(r#"{"type":6}"#).unwrap(), Incoming::Ping);
        assert_eq!(
            parse(r#"{"type":7,"error":"bye"}"#).unwrap(),
            Incoming::Close {
                error: Some("bye".into())
            }
        );
        assert_eq!(parse(r#"{"type":2}"#).unwrap(), Incoming::Other(2));
    }

    #[test]
    fn malformed_messages_say_what() {
        assert!(parse("{").unwrap_err().contains("not valid JSON"));
        assert!(parse("[]").unwrap_err().contains("not a JSON object"));
        assert!(parse(r#"{"type":"1"}"#).unwrap_err().contains("numeric"));
        assert!(parse(r#"{"type":1}"#).unwrap_err().contains("target"));
        assert!(
            parse(r#"{"type":1,"target":"x","arguments":5}"#)
                .unwrap_err()
                .contains("not an array")
        );
        assert!(parse(r#"{"type":3}"#).unwrap_err().contains("invocationId"));
        assert!(handshake_reply("{}").is_ok());
        assert_eq!(
            handshake_reply(r#"{"error":"no"}"#).unwrap_err(),
            "no".to_owned()
        );
        assert!(handshake_reply("[]").is_err());
    }
}
