//! PEM blocks with headers, read and written the way Go's `encoding/pem` does.
//!
//! Writing: `-----BEGIN <label>-----`, then the headers (`Proc-Type` first, the rest
//! sorted by name, one `name: value` per line) and a blank line if there are any, the
//! base64 body in lines of 64 characters, and `-----END <label>-----`.
//!
//! Reading is tolerant: text around blocks is skipped, line endings may be CRLF, the
//! body may be wrapped at any width and padding may be missing.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use zeroize::Zeroizing;

/// Standard base64 that accepts a body with or without padding.
const TOLERANT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// One PEM block. The decoded contents are zeroized on drop.
pub(super) struct Block {
    /// The label, e.g. `ENCRYPTED PRIVATE KEY`.
    pub(super) label: String,
    /// The headers in file order.
    pub(super) headers: Vec<(String, String)>,
    /// The decoded body.
    pub(super) contents: Zeroizing<Vec<u8>>,
}

impl Block {
    /// The value of header `name` (case-sensitive, as Go reads it).
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Why a text could not be read as PEM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PemError {
    /// No `-----BEGIN …-----` line at all.
    NoBlock,
    /// A block of this label has no matching END line (a truncated file).
    Unterminated(String),
    /// The body of a block of this label is not base64.
    BadBase64(String),
}

/// `label` of a `-----BEGIN label-----` line, if `line` is one.
fn begin_label(line: &str) -> Option<&str> {
    line.trim_end().strip_prefix("-----BEGIN ")?.strip_suffix("-----")
}

/// Every PEM block in `text`, in order.
pub(super) fn parse_all(text: &[u8]) -> Result<Vec<Block>, PemError> {
    // Key files are ASCII; anything else cannot be PEM, but a stray non-UTF-8 byte
    // outside the blocks should not hide them.
    let text = String::from_utf8_lossy(text);
    let text = Zeroizing::new(text.into_owned());
    let mut lines = text.lines();
    let mut blocks = Vec::new();
    while let Some(line) = lines.next() {
        let Some(label) = begin_label(line) else { continue };
        let label = label.to_owned();
        let end = format!("-----END {label}-----");
        let mut headers = Vec::new();
        let mut body = Zeroizing::new(String::with_capacity(text.len()));
        let mut in_headers = true;
        let mut terminated = false;
        for line in lines.by_ref() {
            let line = line.trim_end();
            if line == end {
                terminated = true;
                break;
            }
            if in_headers {
                if let Some((name, value)) = line.split_once(':') {
                    headers.push((name.trim().to_owned(), value.trim().to_owned()));
                    continue;
                }
                in_headers = false;
            }
            body.extend(line.chars().filter(|c| !c.is_ascii_whitespace()));
        }
        if !terminated {
            return Err(PemError::Unterminated(label));
        }
        let mut contents = Zeroizing::new(vec![0u8; body.len() / 4 * 3 + 3]);
        let n =
            TOLERANT.decode_slice(body.as_bytes(), &mut contents).map_err(|_| PemError::BadBase64(label.clone()))?;
        contents.truncate(n);
        blocks.push(Block { label, headers, contents });
    }
    if blocks.is_empty() { Err(PemError::NoBlock) } else { Ok(blocks) }
}

/// A PEM block as Go's `pem.EncodeToMemory` writes it. `headers` are written
/// `Proc-Type` first, then sorted by name; empty values are written as they are.
pub(super) fn encode(label: &str, headers: &[(&str, &str)], contents: &[u8]) -> Zeroizing<String> {
    let mut sorted: Vec<&(&str, &str)> = headers.iter().collect();
    sorted.sort_by_key(|(name, _)| (*name != "Proc-Type", *name));
    let b64 = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(contents));
    let header_len: usize = headers.iter().map(|(k, v)| k.len() + v.len() + 3).sum();
    let mut out = Zeroizing::new(String::with_capacity(2 * label.len() + 32 + header_len + b64.len() * 65 / 64 + 2));
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for (name, value) in &sorted {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(value);
        out.push('\n');
    }
    if !sorted.is_empty() {
        out.push('\n');
    }
    for chunk in b64.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_layout() {
        let text = encode("ENCRYPTED PRIVATE KEY", &[("role", "targets"), ("gun", "example.com/app")], &[7u8; 60]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "-----BEGIN ENCRYPTED PRIVATE KEY-----");
        assert_eq!(lines[1], "gun: example.com/app");
        assert_eq!(lines[2], "role: targets");
        assert_eq!(lines[3], "");
        assert_eq!(lines[4].len(), 64);
        assert_eq!(lines[5].len(), 80 - 64);
        assert_eq!(lines[6], "-----END ENCRYPTED PRIVATE KEY-----");
        assert!(text.ends_with("-----\n"));

        let plain = encode("PUBLIC KEY", &[], &[1, 2, 3]);
        assert_eq!(&*plain, "-----BEGIN PUBLIC KEY-----\nAQID\n-----END PUBLIC KEY-----\n");

        let legacy =
            encode("EC PRIVATE KEY", &[("role", "root"), ("DEK-Info", "x"), ("Proc-Type", "4,ENCRYPTED")], &[1]);
        assert!(legacy.contains("-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: x\nrole: root\n\nAQ==\n"), "{}", *legacy);
    }

    #[test]
    fn reads_what_it_writes_and_what_others_write() {
        let text = encode("PRIVATE KEY", &[("role", "alice")], &[0xab; 100]);
        let blocks = parse_all(text.as_bytes()).unwrap();
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].label, "PRIVATE KEY");
        assert_eq!(blocks[0].header("role"), Some("alice"));
        assert_eq!(blocks[0].header("gun"), None);
        assert_eq!(*blocks[0].contents, vec![0xab; 100]);

        let crlf = "junk\r\n-----BEGIN EC PARAMETERS-----\r\nBggqhkjOPQMBBw==\r\n-----END EC PARAMETERS-----\r\n\
                    -----BEGIN EC PRIVATE KEY-----\r\nAQID\r\nBA\r\n-----END EC PRIVATE KEY-----\r\n";
        let blocks = parse_all(crlf.as_bytes()).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[1].label, "EC PRIVATE KEY");
        assert_eq!(*blocks[1].contents, vec![1, 2, 3, 4]);
    }

    #[test]
    fn errors() {
        assert_eq!(parse_all(b"hello").err(), Some(PemError::NoBlock));
        assert_eq!(
            parse_all(b"-----BEGIN PRIVATE KEY-----\nAQID\n").err(),
            Some(PemError::Unterminated("PRIVATE KEY".into()))
        );
        assert_eq!(
            parse_all(b"-----BEGIN PRIVATE KEY-----\nA!ID\n-----END PRIVATE KEY-----\n").err(),
            Some(PemError::BadBase64("PRIVATE KEY".into()))
        );
    }
}
