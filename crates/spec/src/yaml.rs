//! YAML text to `serde_json::Value`, the one in-memory form every later step works on.
//!
//! The docs write status codes as bare integers (`200:`); JSON object keys are strings, so
//! scalar keys are turned into their text. Anything JSON cannot hold is an error, not a guess.

use crate::error::Problem;
use serde_json::{Map, Number, Value};
use serde_yaml_ng::Value as Yaml;
use std::path::Path;

/// Parses `text` (the content of `file`) into JSON.
pub fn parse(file: &Path, text: &str) -> Result<Value, Problem> {
    let yaml: Yaml = serde_yaml_ng::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line());
        Problem::new(
            file,
            format!("invalid YAML: {}", strip_location(&e.to_string())),
        )
        .line(line)
    })?;
    to_json(yaml).map_err(|msg| Problem::new(file, msg))
}

/// serde_yaml_ng appends " at line X column Y" to its messages; the line is reported apart.
fn strip_location(msg: &str) -> &str {
    msg.find(" at line ").map_or(msg, |i| &msg[..i])
}

fn to_json(yaml: Yaml) -> Result<Value, String> {
    Ok(match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => number(&n)?,
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => {
            Value::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Yaml::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match k {
                    Yaml::String(s) => s,
                    Yaml::Number(n) => n.to_string(),
                    Yaml::Bool(b) => b.to_string(),
                    other => {
                        return Err(format!("a mapping key must be a scalar, found {other:?}"));
                    }
                };
                if out.insert(key.clone(), to_json(v)?).is_some() {
                    return Err(format!("duplicate key `{key}`"));
                }
            }
            Value::Object(out)
        }
        Yaml::Tagged(tagged) => to_json(tagged.value)?,
    })
}

fn number(n: &serde_yaml_ng::Number) -> Result<Value, String> {
    if let Some(i) = n.as_i64() {
        Ok(Value::Number(i.into()))
    } else if let Some(u) = n.as_u64() {
        Ok(Value::Number(u.into()))
    } else {
        let f = n.as_f64().unwrap_or(f64::NAN);
        Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| format!("number {n} has no JSON form"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_status_keys_become_strings() {
        let v = parse(
            Path::new("x.yaml"),
            "responses:\n  200:\n    description: ok\n",
        )
        .unwrap();
        assert_eq!(v["responses"]["200"]["description"], "ok");
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let err = parse(Path::new("v2/a.yaml"), "a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert_eq!(err.file, Path::new("v2/a.yaml"));
        assert!(err.line.is_some(), "{err}");
        assert!(err.message.starts_with("invalid YAML"), "{err}");
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        let err = parse(Path::new("d.yaml"), "a: 1\na: 2\n").unwrap_err();
        assert!(err.message.contains("duplicate"), "{err}");
    }
}
