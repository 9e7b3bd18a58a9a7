//! Canonical JSON exactly as Notary (docker/go `MarshalCanonical`) and OLPC write it.
//!
//! Rules: object keys sorted bytewise (UTF-8), no whitespace, in strings only `"`
//! and `\` are escaped and every other character is written raw, numbers are
//! integers only.
//!
//! Two entry points:
//! - [`write()`] streams a [`serde_json::Value`] into any [`std::io::Write`] (no
//!   intermediate buffer), used when signing and when re-canonicalising;
//! - [`canonicalize`] turns the bytes of a received `signed` value into the bytes a
//!   signature must cover. When the received bytes are already canonical (the normal
//!   case: notary embeds them verbatim) they are returned as they are after one
//!   allocation-free validating pass; otherwise they are parsed and re-written.
//!
//! ```
//! let v: serde_json::Value = serde_json::from_str(r#"{"b":1,"a":["x\"y",true,null]}"#).unwrap();
//! assert_eq!(trust_tuf::canonical::to_vec(&v).unwrap(), br#"{"a":["x\"y",true,null],"b":1}"#);
//! ```

use std::borrow::Cow;
use std::io::{self, Write};

use serde_json::Value;

/// Deepest nesting of arrays and objects accepted in metadata. Notary metadata is
/// at most six levels deep; anything far deeper is refused rather than recursed into.
pub const MAX_DEPTH: usize = 64;

/// The object key serde_json (with its `raw_value` feature, which trust-tuf uses)
/// treats as a marker: `{"$serde_json::private::RawValue": "<json>"}` deserialises to
/// the value `<json>` instead of an object. Received JSON holding it would mean one
/// thing to the bytes that were signed and another to every typed parse, so it is
/// refused wherever received bytes are canonicalised (found by fuzzing).
pub const RESERVED_KEY: &str = "$serde_json::private::RawValue";

/// Why a value cannot be written as canonical JSON.
#[derive(Debug, thiserror::Error)]
pub enum CanonicalError {
    /// A number that is not an integer (canonical JSON has no floats).
    #[error("canonical JSON allows integers only, found {0}")]
    NotInteger(String),
    /// Nesting deeper than [`MAX_DEPTH`].
    #[error("JSON nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// An object key serde_json reserves (see [`RESERVED_KEY`]).
    #[error("object key {RESERVED_KEY:?} is reserved and refused")]
    ReservedKey,
    /// The bytes are not JSON.
    #[error("invalid JSON: {0}")]
    Parse(#[from] serde_json::Error),
    /// The writer failed.
    #[error("write failed: {0}")]
    Io(#[from] io::Error),
}

/// Streams `value` as canonical JSON into `out`.
pub fn write<W: Write>(value: &Value, out: &mut W) -> Result<(), CanonicalError> {
    write_value(value, out, 0)
}

/// `value` as canonical JSON bytes.
pub fn to_vec(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::with_capacity(256);
    write(value, &mut out)?;
    Ok(out)
}

/// Any serialisable value as canonical JSON bytes.
pub fn to_vec_from<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    to_vec(&serde_json::to_value(value)?)
}

/// The canonical form of received JSON bytes: borrowed when `raw` is already
/// canonical, re-written otherwise.
pub fn canonicalize(raw: &[u8]) -> Result<Cow<'_, [u8]>, CanonicalError> {
    if is_canonical(raw) {
        return Ok(Cow::Borrowed(raw));
    }
    check_depth(raw)?;
    let Literal(value) = serde_json::from_slice(raw)?;
    Ok(Cow::Owned(to_vec(&value)?))
}

/// A JSON value exactly as written: objects stay objects whatever their keys (unlike
/// `serde_json::Value`, see [`RESERVED_KEY`]), and the reserved key is an error.
struct Literal(Value);

impl<'de> serde::Deserialize<'de> for Literal {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LiteralVisitor).map(Literal)
    }
}

struct LiteralVisitor;

impl<'de> serde::de::Visitor<'de> for LiteralVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Literal(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == RESERVED_KEY {
                return Err(serde::de::Error::custom(CanonicalError::ReservedKey));
            }
            let Literal(item) = map.next_value()?;
            object.insert(key, item);
        }
        Ok(Value::Object(object))
    }
}

/// `depth` counts the arrays and objects around `value`; one more is refused when it
/// would nest deeper than [`MAX_DEPTH`] (the limit [`check_depth`] and
/// [`is_canonical`] apply, so the fast and the slow path agree).
fn write_value<W: Write>(value: &Value, out: &mut W, depth: usize) -> Result<(), CanonicalError> {
    if matches!(value, Value::Array(_) | Value::Object(_)) && depth >= MAX_DEPTH {
        return Err(CanonicalError::TooDeep);
    }
    match value {
        Value::Null => out.write_all(b"null")?,
        Value::Bool(true) => out.write_all(b"true")?,
        Value::Bool(false) => out.write_all(b"false")?,
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                write!(out, "{i}")?;
            } else if let Some(u) = n.as_u64() {
                write!(out, "{u}")?;
            } else {
                return Err(CanonicalError::NotInteger(n.to_string()));
            }
        }
        Value::String(s) => write_string(s, out)?,
        Value::Array(items) => {
            out.write_all(b"[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write_value(item, out, depth + 1)?;
            }
            out.write_all(b"]")?;
        }
        Value::Object(map) => {
            // serde_json's Map (without `preserve_order`) is a BTreeMap<String, _>:
            // iteration is in bytewise UTF-8 order, which is Go's string order.
            out.write_all(b"{")?;
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write_string(key, out)?;
                out.write_all(b":")?;
                write_value(item, out, depth + 1)?;
            }
            out.write_all(b"}")?;
        }
    }
    Ok(())
}

fn write_string<W: Write>(s: &str, out: &mut W) -> io::Result<()> {
    out.write_all(b"\"")?;
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'"' || b == b'\\' {
            out.write_all(&bytes[start..i])?;
            out.write_all(&[b'\\', b])?;
            start = i + 1;
        }
    }
    out.write_all(&bytes[start..])?;
    out.write_all(b"\"")
}

/// Follows a byte scan of JSON text in and out of strings.
#[derive(Default)]
struct StringScan {
    in_string: bool,
    escaped: bool,
}

impl StringScan {
    /// Feeds the next byte: true when it belongs to a string, its quotes included.
    fn in_string(&mut self, b: u8) -> bool {
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
            }
            return true;
        }
        self.in_string = b == b'"';
        self.in_string
    }
}

/// Refuses JSON nested deeper than [`MAX_DEPTH`] before a recursive parser sees it.
pub fn check_depth(raw: &[u8]) -> Result<(), CanonicalError> {
    let mut depth = 0usize;
    let mut scan = StringScan::default();
    for &b in raw {
        if scan.in_string(b) {
            continue;
        }
        match b {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(CanonicalError::TooDeep);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Valid JSON `raw` without the whitespace between tokens. In valid JSON no two
/// value tokens are adjacent, so dropping it changes no value; indented metadata
/// with sorted keys (as python-tuf writes it) becomes canonical this way.
pub fn strip_whitespace(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut scan = StringScan::default();
    for &b in raw {
        if scan.in_string(b) || !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            out.push(b);
        }
    }
    out
}

/// True when `raw` is exactly what [`write()`] would produce for the value it parses to:
/// one value, no whitespace, keys strictly ascending, strings valid UTF-8 with no
/// control characters and no escapes but `\"` and `\\`, integers in shortest form
/// that fit an `i64`/`u64`. Runs in one pass without allocating.
pub fn is_canonical(raw: &[u8]) -> bool {
    let mut scanner = Scanner { raw, pos: 0 };
    scanner.value(0) && scanner.pos == raw.len()
}

struct Scanner<'a> {
    raw: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.raw.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn literal(&mut self, word: &[u8]) -> bool {
        if self.raw[self.pos..].starts_with(word) {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    /// `depth` counts the arrays and objects around the value, as in `write_value`.
    fn value(&mut self, depth: usize) -> bool {
        match self.peek() {
            Some(b'{' | b'[') if depth >= MAX_DEPTH => false,
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().is_some(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.integer(),
            _ => false,
        }
    }

    fn object(&mut self, depth: usize) -> bool {
        self.pos += 1;
        if self.eat(b'}') {
            return true;
        }
        let mut previous: Option<&'a [u8]> = None;
        loop {
            let Some(key) = self.string() else {
                return false;
            };
            // Raw key bytes equal the decoded key except for `\"`/`\\` escapes, which
            // sort differently once decoded; keys with escapes take the slow path.
            if key.contains(&b'\\') || key == RESERVED_KEY.as_bytes() {
                return false;
            }
            if previous.is_some_and(|p| p >= key) {
                return false;
            }
            previous = Some(key);
            if !self.eat(b':') || !self.value(depth + 1) {
                return false;
            }
            if self.eat(b'}') {
                return true;
            }
            if !self.eat(b',') {
                return false;
            }
        }
    }

    fn array(&mut self, depth: usize) -> bool {
        self.pos += 1;
        if self.eat(b']') {
            return true;
        }
        loop {
            if !self.value(depth + 1) {
                return false;
            }
            if self.eat(b']') {
                return true;
            }
            if !self.eat(b',') {
                return false;
            }
        }
    }

    /// Scans a string and returns its raw contents (between the quotes).
    fn string(&mut self) -> Option<&'a [u8]> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.pos;
        loop {
            let b = self.peek()?;
            match b {
                b'"' => {
                    let contents = &self.raw[start..self.pos];
                    self.pos += 1;
                    std::str::from_utf8(contents).ok()?;
                    return Some(contents);
                }
                b'\\' => match self.raw.get(self.pos + 1) {
                    Some(b'"' | b'\\') => self.pos += 2,
                    _ => return None,
                },
                0x00..=0x1f => return None,
                _ => self.pos += 1,
            }
        }
    }

    fn integer(&mut self) -> bool {
        let start = self.pos;
        let negative = self.eat(b'-');
        let digits_start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        let digits = &self.raw[digits_start..self.pos];
        if digits.is_empty() || (digits.len() > 1 && digits[0] == b'0') {
            return false;
        }
        if negative && digits == b"0" {
            return false;
        }
        if matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            return false;
        }
        // Stay well inside i64 so the parsed value is exact.
        self.pos - start <= 18
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        let v: Value = serde_json::from_str(s).unwrap();
        String::from_utf8(to_vec(&v).unwrap()).unwrap()
    }

    #[test]
    fn sorts_keys_bytewise_and_drops_whitespace() {
        assert_eq!(
            canon(r#"{ "b" : 1, "a" : {"z":[], "B": null, "é": 2} }"#),
            r#"{"a":{"B":null,"z":[],"é":2},"b":1}"#
        );
    }

    #[test]
    fn escapes_only_quote_and_backslash() {
        assert_eq!(canon(r#"["a\"b\\c<>&\u00e9\n"]"#), "[\"a\\\"b\\\\c<>&é\n\"]");
    }

    #[test]
    fn refuses_floats() {
        let v: Value = serde_json::from_str("[1.5]").unwrap();
        assert!(matches!(to_vec(&v), Err(CanonicalError::NotInteger(_))));
    }

    #[test]
    fn negative_and_large_integers_are_exact() {
        assert_eq!(canon("[-7,0,18446744073709551615]"), "[-7,0,18446744073709551615]");
    }

    #[test]
    fn canonical_bytes_are_recognised() {
        for s in [r#"{"a":1,"b":[true,false,null,"x\"y"]}"#, "{}", "[]", r#""é""#, "-12"] {
            assert!(is_canonical(s.as_bytes()), "{s}");
            assert_eq!(canon(s), s);
        }
    }

    #[test]
    fn non_canonical_bytes_are_rewritten() {
        for s in [
            r#"{"b":1,"a":2}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a": 1}"#,
            r#"["\u003c"]"#,
            r#"["\n"]"#,
            "[1.0]",
            "[01]",
            "[-0]",
            "[1e3]",
            r#"{"a\"":1,"a":2}"#,
        ] {
            assert!(!is_canonical(s.as_bytes()), "{s}");
        }
        assert_eq!(canonicalize(br#"["\u003c&"]"#).unwrap().as_ref(), br#"["<&"]"#);
        assert_eq!(canonicalize(br#"{"b":1,"a":2}"#).unwrap().as_ref(), br#"{"a":2,"b":1}"#);
    }

    /// serde_json would read `{"$serde_json::private::RawValue": "[1]"}` as `[1]`: the
    /// key is refused in every spelling, on the fast and the slow path, at any depth.
    #[test]
    fn serde_json_reserved_key_is_refused() {
        for raw in [
            r#"{"$serde_json::private::RawValue":"[1]"}"#.as_bytes(),
            br#"{"a":{"$serde_json::private::RawValue":"1"}}"#,
            br#"{ "$serde_json::private::RawValue" : "1" }"#,
            br#"[{"$serde_json::private::RawValue":"1"}]"#,
        ] {
            assert!(!is_canonical(raw), "{}", String::from_utf8_lossy(raw));
            let err = canonicalize(raw).unwrap_err();
            assert!(err.to_string().contains("is reserved and refused"), "{err}");
        }
        // The same text as a value (not a key) is an ordinary string.
        assert!(is_canonical(br#"{"a":"$serde_json::private::RawValue"}"#));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
        assert!(matches!(canonicalize(deep.as_bytes()), Err(CanonicalError::TooDeep)));
    }

    #[test]
    fn hostile_depth_is_an_error_not_a_stack_overflow() {
        let deep = "[".repeat(100_000);
        assert!(!is_canonical(deep.as_bytes()));
        let err = canonicalize(deep.as_bytes()).unwrap_err();
        assert_eq!(err.to_string(), format!("JSON nested deeper than {MAX_DEPTH} levels"));
        let closed = deep.clone() + &"]".repeat(100_000);
        assert!(matches!(canonicalize(closed.as_bytes()), Err(CanonicalError::TooDeep)));
    }

    /// The fast path (`is_canonical`), the depth check before parsing and the writer
    /// draw the line at the same depth: exactly `MAX_DEPTH` nested arrays or objects.
    #[test]
    fn every_path_has_the_same_depth_limit() {
        let nested = |n: usize, inner: &str| format!("{}{inner}{}", "[".repeat(n), "]".repeat(n));
        let at_limit = nested(MAX_DEPTH, "1");
        let over = nested(MAX_DEPTH + 1, "1");
        assert!(is_canonical(at_limit.as_bytes()));
        assert!(check_depth(at_limit.as_bytes()).is_ok());
        assert_eq!(canonicalize(at_limit.as_bytes()).unwrap().as_ref(), at_limit.as_bytes());
        let spaced = nested(MAX_DEPTH, " 1 ");
        assert_eq!(canonicalize(spaced.as_bytes()).unwrap().as_ref(), at_limit.as_bytes());
        let value: Value = serde_json::from_str(&at_limit).unwrap();
        assert_eq!(to_vec(&value).unwrap(), at_limit.as_bytes());

        assert!(!is_canonical(over.as_bytes()));
        assert!(matches!(check_depth(over.as_bytes()), Err(CanonicalError::TooDeep)));
        assert!(matches!(canonicalize(over.as_bytes()), Err(CanonicalError::TooDeep)));
        let empty_over = nested(MAX_DEPTH + 1, "");
        assert!(!is_canonical(empty_over.as_bytes()), "a 65th empty array was accepted by the fast path");
        assert!(matches!(canonicalize(empty_over.as_bytes()), Err(CanonicalError::TooDeep)));
        let value: Value = serde_json::from_str(&empty_over).unwrap();
        assert!(matches!(to_vec(&value), Err(CanonicalError::TooDeep)));
    }

    #[test]
    fn fast_path_agrees_with_rewrite() {
        let samples = [
            r#"{"_type":"Targets","delegations":{"keys":{},"roles":[]},"expires":"2029-11-21T23:50:50.073825537Z","targets":{"v1":{"hashes":{"sha256":"3/mSHCJg9dkVKfesm6fjm2wul2nO/K2BfyD3SR7e+NU="},"length":528}},"version":1}"#,
        ];
        for s in samples {
            assert!(is_canonical(s.as_bytes()));
            assert_eq!(canon(s), s);
        }
    }
}
