//! The community API key: a secret that never shows in `Debug` output, errors, URLs or logs.

use std::fmt;

/// A community API key. It is a secret: it never appears in `Debug` output, errors or
/// URLs; v2 sends it only in the `Authorization` header, marked sensitive. Two keys
/// compare in constant time (for a given length).
#[derive(Clone, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key itself, for code that must put it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the key is empty or only whitespace.
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }

    /// Compares with `other` in time that depends only on the lengths, not on where the
    /// bytes first differ.
    pub fn matches(&self, other: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), other.as_bytes());
        let mut diff = (a.len() ^ b.len()) as u64;
        for i in 0..a.len().max(b.len()) {
            let x = a.get(i).copied().unwrap_or(0);
            let y = b.get(i).copied().unwrap_or(0);
            diff |= u64::from(x ^ y);
        }
        std::hint::black_box(diff) == 0
    }
}

impl PartialEq for ApiKey {
    fn eq(&self, other: &Self) -> bool {
        self.matches(&other.0)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::ApiKey;

    #[test]
    fn keys_compare_whole() {
        let k = ApiKey::new("abc123");
        assert!(k.matches("abc123"));
        assert!(!k.matches("abc12"));
        assert!(!k.matches("abc1234"));
        assert!(!k.matches("abd123"));
        assert!(!k.matches(""));
        assert_eq!(k, ApiKey::new("abc123"));
        assert_ne!(k, ApiKey::new("xbc123"));
        assert_eq!(format!("{k:?}"), "ApiKey(<redacted>)");
    }
}
