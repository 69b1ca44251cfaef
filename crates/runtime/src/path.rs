//! A path parameter as one percent-encoded path segment, as both clients write it: the
//! generated Rust builders (through [`crate::http::encode_path`]) and the npm packages' one
//! request path (used by generated and shared code; not a public interface).

use percent_encoding::{AsciiSet, CONTROLS, PercentEncode, utf8_percent_encode};

/// The path percent-encode set of the URL standard
/// (<https://url.spec.whatwg.org/#path-percent-encode-set>), with `/` and `%`: a parameter is
/// one path segment, whatever it holds.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%');

/// `segment` percent-encoded as one path segment (an iterator of `&str` pieces, and
/// `Display`).
pub fn segment(segment: &str) -> PercentEncode<'_> {
    utf8_percent_encode(segment, SEGMENT)
}

#[cfg(test)]
mod tests {
    use super::segment;

    #[test]
    fn a_path_parameter_is_one_encoded_segment() {
        let encoded = |s: &str| segment(s).to_string();
        assert_eq!(encoded("plain-ID_1.2~"), "plain-ID_1.2~");
        assert_eq!(
            encoded("a/b c%d?e#f\"g<h>i`j{k}l"),
            "a%2Fb%20c%25d%3Fe%23f%22g%3Ch%3Ei%60j%7Bk%7Dl"
        );
        assert_eq!(encoded("é\u{7f}\n"), "%C3%A9%7F%0A");
        assert_eq!(encoded(""), "");
    }
}
