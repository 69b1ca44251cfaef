//! Checks a caller's value against a schema row, in JavaScript's terms: the first problem
//! found, named by its path (`body.data[0].status`), with what was expected and what was
//! given. Nothing here panics, whatever the value.

use crate::table::{self, Extra, Schema};
use serde_json::Value;

/// Why a value does not fit: where, and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    pub path: String,
    pub problem: String,
}

impl Invalid {
    fn at(path: &str, problem: String) -> Self {
        Self {
            path: path.to_string(),
            problem,
        }
    }
}

/// JavaScript's word for what a JSON value is.
pub(crate) fn js_kind(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) => {
            let mut shown: String = s.chars().take(40).collect();
            if shown.len() < s.len() {
                shown.push('…');
            }
            format!("a string ({shown:?})")
        }
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn wrong(path: &str, expected: &str, v: &Value) -> Invalid {
    Invalid::at(path, format!("expected {expected}, got {}", js_kind(v)))
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn bounds(
    path: &str,
    n: f64,
    v: &Value,
    min: Option<i64>,
    max: Option<i64>,
) -> Result<(), Invalid> {
    if let Some(min) = min
        && n < min as f64
    {
        return Err(wrong(path, &format!("a number >= {min}"), v));
    }
    if let Some(max) = max
        && n > max as f64
    {
        return Err(wrong(path, &format!("a number <= {max}"), v));
    }
    Ok(())
}

/// Checks `value` at `path` against schema `index`.
pub(crate) fn check(index: u16, value: &Value, path: &mut String) -> Result<(), Invalid> {
    let Some(schema) = crate::tables().schemas.get(usize::from(index)) else {
        return Ok(());
    };
    match schema {
        Schema::Any => Ok(()),
        Schema::Nullable(inner) => match value {
            Value::Null => Ok(()),
            v => check(*inner, v, path),
        },
        Schema::Bool => match value {
            Value::Bool(_) => Ok(()),
            v => Err(wrong(path, "a boolean", v)),
        },
        Schema::Str {
            uuid,
            values,
            min,
            max,
        } => {
            let values = table::values(*values);
            let Value::String(s) = value else {
                return Err(wrong(path, "a string", value));
            };
            if !values.is_empty() && !values.contains(&s.as_str()) {
                let list = values
                    .iter()
                    .map(|v| format!("{v:?}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(wrong(path, &format!("one of {list}"), value));
            }
            if *uuid && !is_uuid(s) {
                return Err(wrong(
                    path,
                    "a UUID (like \"00000000-0000-0000-0000-000000000000\")",
                    value,
                ));
            }
            let chars = s.chars().count() as u64;
            let (min, max) = (min.map(u64::from), max.map(u64::from));
            if let Some(min) = min
                && chars < min
            {
                return Err(wrong(
                    path,
                    &format!("a string of at least {min} characters"),
                    value,
                ));
            }
            if let Some(max) = max
                && chars > max
            {
                return Err(wrong(
                    path,
                    &format!("a string of at most {max} characters"),
                    value,
                ));
            }
            Ok(())
        }
        Schema::Int { min, max } => {
            let Value::Number(n) = value else {
                return Err(wrong(path, "an integer", value));
            };
            let i = match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => i as f64,
                (None, Some(u), _) => u as f64,
                // `JSON.stringify` writes 2 ** 60 as 1152921504606847000: integral, but past
                // what a JS number holds exactly; past 2 ** 63 no i64 holds it.
                (None, None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.2e18 => f,
                _ => return Err(wrong(path, "an integer", value)),
            };
            bounds(path, i, value, *min, *max)
        }
        Schema::Num { min, max } => match value.as_f64() {
            Some(n) => bounds(path, n, value, *min, *max),
            None => Err(wrong(path, "a number", value)),
        },
        Schema::Array { items, min, max } => {
            let Value::Array(list) = value else {
                return Err(wrong(path, "an array", value));
            };
            let len = list.len() as u64;
            if let Some(min) = min.map(u64::from)
                && len < min
            {
                return Err(Invalid::at(
                    path,
                    format!("expected at least {min} items, got {len}"),
                ));
            }
            if let Some(max) = max.map(u64::from)
                && len > max
            {
                return Err(Invalid::at(
                    path,
                    format!("expected at most {max} items, got {len}"),
                ));
            }
            for (i, item) in list.iter().enumerate() {
                let at = path.len();
                path.push_str(&format!("[{i}]"));
                check(*items, item, path)?;
                path.truncate(at);
            }
            Ok(())
        }
        Schema::Object { fields, extra } => {
            let Value::Object(map) = value else {
                return Err(wrong(path, "an object", value));
            };
            let fields = table::fields(*fields);
            for f in fields {
                match map.get(f.name()) {
                    None if f.required => {
                        return Err(Invalid::at(&join(path, f.name()), "is required".into()));
                    }
                    // An optional field may be null: the Rust client reads that as absent.
                    None | Some(Value::Null) if !f.required => {}
                    None => {}
                    Some(v) => {
                        let at = path.len();
                        push_key(path, f.name());
                        check(f.schema, v, path)?;
                        path.truncate(at);
                    }
                }
            }
            for (name, v) in map {
                if fields.iter().any(|f| f.name() == name) {
                    continue;
                }
                match extra {
                    Extra::Any => {}
                    Extra::Deny => {
                        return Err(Invalid::at(
                            &join(path, name),
                            "is not a field of this object".into(),
                        ));
                    }
                    Extra::Each(s) => {
                        let at = path.len();
                        push_key(path, name);
                        check(*s, v, path)?;
                        path.truncate(at);
                    }
                }
            }
            Ok(())
        }
        Schema::OneOf(options) => {
            let options = table::list(*options);
            let mut first = None;
            for o in options.iter() {
                let mut p = path.clone();
                match check(*o, value, &mut p) {
                    Ok(()) => return Ok(()),
                    Err(e) => {
                        first.get_or_insert(e);
                    }
                }
            }
            match first {
                Some(e) if options.len() == 1 => Err(e),
                Some(e) => Err(Invalid::at(
                    path,
                    format!(
                        "matches none of the {} accepted shapes (first: `{}` {})",
                        options.len(),
                        e.path,
                        e.problem
                    ),
                )),
                None => Ok(()),
            }
        }
        Schema::AllOf(parts) => {
            for p in table::list(*parts) {
                check(*p, value, path)?;
            }
            Ok(())
        }
    }
}

fn is_ident(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// Appends `.name` (or `["name"]` for a key that is no identifier) to `path`.
pub(crate) fn push_key(path: &mut String, name: &str) {
    if is_ident(name) {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(name);
    } else {
        path.push_str(&format!("[{name:?}]"));
    }
}

fn join(path: &str, name: &str) -> String {
    let mut p = path.to_string();
    push_key(&mut p, name);
    p
}
