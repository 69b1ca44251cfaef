//! The spec's prose as users read it in generated docs.
//!
//! The merged document keeps, next to what the API does, notes on where a statement came
//! from ("(page hint and api-restrictions.md agree)", "(inventory A.3)", "(the page's
//! second example)"): they matter to the maintainers who check the spec against the docs,
//! and they live on in the document and its `x-decisions`. A user reading a method's docs
//! gains nothing from them, so every generator of user-facing docs passes prose through
//! [`for_users`].

/// `text` without its provenance notes, with runs of whitespace made single and rustdoc
/// fences neutralised (prose never becomes a doctest).
pub fn for_users(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('(') {
        let Some(close) = matching_close(&rest[open..]) else {
            break;
        };
        let inner = &rest[open + 1..open + close];
        out.push_str(&rest[..open]);
        if is_provenance(inner) {
            // Drop the note and the space before it.
            while out.ends_with(' ') {
                out.pop();
            }
        } else {
            out.push_str(&rest[open..=open + close]);
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out.replace("```", "'''")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" .", ".")
        .replace(" ,", ",")
        .replace(" ;", ";")
}

/// Offset of the `)` closing the `(` at offset 0.
fn matching_close(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn is_provenance(inner: &str) -> bool {
    const MARKS: [&str; 8] = [
        "page hint",
        "api-restrictions",
        "inventory",
        ".md",
        "the page",
        "on the page",
        "copied from",
        "the table lists",
    ];
    let lower = inner.to_ascii_lowercase();
    MARKS.iter().any(|m| lower.contains(m))
}

#[cfg(test)]
mod tests {
    use super::for_users;

    #[test]
    fn provenance_notes_are_dropped_and_the_rest_kept() {
        assert_eq!(
            for_users("Requires the Plus plan (page hint and api-restrictions.md agree)."),
            "Requires the Plus plan."
        );
        assert_eq!(
            for_users("Missing key (authentication.md); see (a) and (b)."),
            "Missing key; see (a) and (b)."
        );
        assert_eq!(
            for_users("Two targets (inventory A.3), f(x (nested)) stays"),
            "Two targets, f(x (nested)) stays"
        );
        assert_eq!(for_users("Unbalanced ( kept"), "Unbalanced ( kept");
        assert_eq!(for_users("a ```rust\nfence"), "a '''rust fence");
    }
}
