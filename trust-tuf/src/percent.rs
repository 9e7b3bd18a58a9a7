//! Percent-encoding (RFC 3986 §2.1), one function for every place that builds a URL
//! path or a URI from a name: each caller says which bytes it keeps as they are.

/// `text` with every byte `keep` refuses written as `%XX` (upper-case hex), and the
/// bytes it keeps written as they are. `keep` must accept only ASCII bytes.
pub fn encode(text: &str, keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if keep(b) && b.is_ascii() {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// RFC 3986's unreserved characters: ASCII letters, digits and `-._~`.
pub fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_what_is_not_kept_byte_by_byte() {
        assert_eq!(encode("a/b c~é", is_unreserved), "a%2Fb%20c~%C3%A9");
        assert_eq!(encode("a/b", |b| is_unreserved(b) || b == b'/'), "a/b");
        assert_eq!(encode("", is_unreserved), "");
    }
}
