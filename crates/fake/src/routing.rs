//! Method + path to operation. Templates are matched segment by segment; where several
//! templates match, the one with a literal segment earliest wins
//! (`POST .../dispatch-calls/close` over `.../dispatch-calls/{callId}`).

use crate::spec::{FakeApi, Operation, operations};
use hyper::Method;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Literal(String),
    Param(String),
}

/// A matched operation and its path parameters (percent-decoded), by name.
#[derive(Debug)]
pub(crate) struct Route {
    pub op: &'static Operation,
    pub path_params: Vec<(String, String)>,
}

pub(crate) fn parse_template(template: &str) -> Vec<Segment> {
    template
        .trim_start_matches('/')
        .split('/')
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => Segment::Param(name.to_owned()),
                None => Segment::Literal(s.to_owned()),
            },
        )
        .collect()
}

/// The operation answering `method path`, if any.
pub(crate) fn route(api: FakeApi, method: &Method, path: &str) -> Option<Route> {
    let parts: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    let mut best: Option<(&'static Operation, Vec<bool>)> = None;
    for op in operations(api).iter().filter(|op| op.method == *method) {
        if !matches(&op.segments, &parts) {
            continue;
        }
        let rank: Vec<bool> = op
            .segments
            .iter()
            .map(|s| matches!(s, Segment::Literal(_)))
            .collect();
        if best.as_ref().is_none_or(|(_, r)| rank > *r) {
            best = Some((op, rank));
        }
    }
    let (op, _) = best?;
    let path_params = op
        .segments
        .iter()
        .zip(&parts)
        .filter_map(|(seg, part)| match seg {
            Segment::Param(name) => Some((name.clone(), percent_decode(part))),
            Segment::Literal(_) => None,
        })
        .collect();
    Some(Route { op, path_params })
}

fn matches(segments: &[Segment], parts: &[&str]) -> bool {
    segments.len() == parts.len()
        && segments.iter().zip(parts).all(|(seg, part)| match seg {
            Segment::Literal(lit) => lit == part,
            Segment::Param(_) => !part.is_empty(),
        })
}

/// `%XX` decoding (invalid escapes are kept as written); `+` is decoded only when
/// `plus_is_space` (query strings).
pub(crate) fn decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if plus_is_space && b == b'+' { b' ' } else { b });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn percent_decode(s: &str) -> String {
    decode(s, false)
}

/// `a=1&b=x+y` to decoded pairs.
pub(crate) fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k, true), decode(v, true))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_beats_template() {
        let r = route(
            FakeApi::Cad,
            &Method::POST,
            "/v2/emergency/servers/1/dispatch-calls/close",
        )
        .unwrap();
        assert_eq!(r.op.id, "closeDispatchCalls");
        let r = route(
            FakeApi::Cad,
            &Method::PATCH,
            "/v2/emergency/servers/1/dispatch-calls/77",
        )
        .unwrap();
        assert_eq!(r.op.id, "updateDispatchCall");
        assert_eq!(
            r.path_params,
            [
                ("serverId".to_owned(), "1".to_owned()),
                ("callId".to_owned(), "77".to_owned())
            ]
        );
        assert!(route(FakeApi::Cad, &Method::GET, "/v2/nope").is_none());
        assert!(route(FakeApi::Cad, &Method::GET, "/v2/general/info/").is_none());
    }

    #[test]
    fn decoding() {
        assert_eq!(decode("a%20b+c%zz%4", true), "a b c%zz%4");
        assert_eq!(decode("a+b%2Fc", false), "a+b/c");
        assert_eq!(
            query_pairs("x=1&y=a+b&&z"),
            [
                ("x".into(), "1".into()),
                ("y".into(), "a b".into()),
                ("z".into(), String::new())
            ]
        );
    }
}
