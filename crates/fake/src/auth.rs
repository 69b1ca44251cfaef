//! Authentication as the real API does it: v2 `Authorization: Bearer <key>`, v1 the
//! `{id, key, type}` of the JSON envelope.

use crate::spec::Operation;
use hyper::HeaderMap;
use hyper::header::AUTHORIZATION;
use serde_json::Value;

pub(crate) const MISSING_HEADER: &str = "Missing Authorization header.";
pub(crate) const INVALID_KEY: &str = "Invalid API key.";
pub(crate) const INVALID_COMMUNITY_ID: &str = "INVALID COMMUNITY ID";
pub(crate) const INVALID_API_KEY: &str = "INVALID API KEY";
pub(crate) const INVALID_REQUEST_TYPE: &str = "INVALID REQUEST TYPE";

/// The v2 bearer check; `Err` holds the problem's `detail`.
pub(crate) fn bearer(headers: &HeaderMap, api_key: &str) -> Result<(), &'static str> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Err(MISSING_HEADER);
    };
    let value = value.to_str().map_err(|_| INVALID_KEY)?.trim();
    let (scheme, token) = value.split_once(' ').ok_or(INVALID_KEY)?;
    if scheme.eq_ignore_ascii_case("bearer") && token.trim() == api_key {
        Ok(())
    } else {
        Err(INVALID_KEY)
    }
}

/// The v1 envelope check, in the real API's order: community id, key, request type.
/// `Err` holds the plain-text reply.
pub(crate) fn envelope(
    body: &Value,
    op: &Operation,
    community_id: &str,
    api_key: &str,
) -> Result<(), &'static str> {
    let field = |name: &str| body.get(name).and_then(Value::as_str);
    if field("id") != Some(community_id) {
        return Err(INVALID_COMMUNITY_ID);
    }
    if field("key") != Some(api_key) {
        return Err(INVALID_API_KEY);
    }
    match field("type") {
        Some(t) if op.v1_types.iter().any(|allowed| allowed == t) => Ok(()),
        _ => Err(INVALID_REQUEST_TYPE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    #[test]
    fn bearer_forms() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h, "k"), Err(MISSING_HEADER));
        h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer k"));
        assert_eq!(bearer(&h, "k"), Ok(()));
        h.insert(AUTHORIZATION, HeaderValue::from_static("bearer k"));
        assert_eq!(bearer(&h, "k"), Ok(()));
        h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(bearer(&h, "k"), Err(INVALID_KEY));
        h.insert(AUTHORIZATION, HeaderValue::from_static("k"));
        assert_eq!(bearer(&h, "k"), Err(INVALID_KEY));
    }
}
