//! Helpers shared by the fuzz targets: how a structured input is split, and the
//! independent checks (oracles) that judge what trust-core accepted. The oracles do
//! not call the code under test: they canonicalise, decode and verify on their own,
//! with serde_json, ring and x509-parser directly.

use std::collections::BTreeSet;

use base64::Engine as _;
use serde_json::Value;

/// Separates the parts of a structured input (`tuf_update`). Compact JSON never holds
/// a newline, so the real metadata the seeds are made of never contains it.
pub const SEPARATOR: &[u8] = b"\n--8<--\n";

/// Splits `data` at every [`SEPARATOR`], keeping empty parts.
pub fn split_parts(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while let Some(at) = rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
        parts.push(&rest[..at]);
        rest = &rest[at + SEPARATOR.len()..];
    }
    parts.push(rest);
    parts
}

/// Splits off the first line (without its `\n`): `(line, rest)`; the whole input is
/// the line when there is no newline.
pub fn first_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[]),
    }
}

/// Canonical JSON written from scratch (not with trust-core's writer): keys sorted
/// by their UTF-8 bytes, no whitespace, only `"` and `\` escaped, integers only.
/// `None` for a float.
pub fn independent_canonical(value: &Value) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    write_canonical(value, &mut out)?;
    Some(out)
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) -> Option<()> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.extend_from_slice(i.to_string().as_bytes());
            } else {
                out.extend_from_slice(n.as_u64()?.to_string().as_bytes());
            }
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            out.push(b'{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                write_canonical(&map[key], out)?;
            }
            out.push(b'}');
        }
    }
    Some(())
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in s.as_bytes() {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// A public key as metadata lists it (`keytype`, base64 `keyval.public`).
#[derive(Debug, Clone)]
pub struct OracleKey {
    /// `ecdsa`, `ecdsa-x509`, `ed25519`, …
    pub keytype: String,
    /// The decoded `public` bytes.
    pub public: Vec<u8>,
}

/// The raw key material a signature is checked with (an EC point or an Ed25519 key)
/// and whether it is ECDSA P-256 (`true`) or Ed25519 (`false`). Other key types and
/// curves are not checked by the oracle (the fixtures hold none).
fn key_material(key: &OracleKey) -> Option<(Vec<u8>, bool)> {
    use x509_parser::prelude::FromDer;
    const P256: &str = "1.2.840.10045.3.1.7";
    let from_spki = |spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>| -> Option<(Vec<u8>, bool)> {
        let curve = spki.algorithm.parameters.as_ref()?.as_oid().ok()?;
        (curve.to_id_string() == P256).then(|| (spki.subject_public_key.data.to_vec(), true))
    };
    match key.keytype.as_str() {
        "ecdsa" => {
            let (rest, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(&key.public).ok()?;
            if !rest.is_empty() {
                return None;
            }
            from_spki(&spki)
        }
        "ecdsa-x509" => {
            let (_, pem) = x509_parser::pem::parse_x509_pem(&key.public).ok()?;
            let cert = pem.parse_x509().ok()?;
            from_spki(cert.public_key())
        }
        "ed25519" => (key.public.len() == 32).then(|| (key.public.clone(), false)),
        _ => None,
    }
}

/// Verifies one notary signature with ring directly.
fn verify(key: &OracleKey, method: &str, message: &[u8], sig: &[u8]) -> Option<Vec<u8>> {
    use ring::signature::{ECDSA_P256_SHA256_FIXED, ED25519, UnparsedPublicKey};
    let (material, is_ecdsa) = key_material(key)?;
    let method = method.to_ascii_lowercase();
    let ok = if is_ecdsa {
        method == "ecdsa" && UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &material).verify(message, sig).is_ok()
    } else {
        (method == "eddsa" || method == "ed25519")
            && UnparsedPublicKey::new(&ED25519, &material).verify(message, sig).is_ok()
    };
    ok.then_some(material)
}

/// How many distinct keys among `keyids` (looked up in `keys`) produced a valid
/// signature over the canonical form of `file`'s `signed` value, checked
/// independently of trust-core. `None` when `file` is not an envelope at all.
pub fn independent_signers(file: &[u8], keys: &dyn Fn(&str) -> Option<OracleKey>, keyids: &[String]) -> Option<usize> {
    let envelope: Value = serde_json::from_slice(file).ok()?;
    let message = independent_canonical(envelope.get("signed")?)?;
    let mut signers: BTreeSet<Vec<u8>> = BTreeSet::new();
    for sig in envelope.get("signatures")?.as_array()? {
        let (Some(keyid), Some(method), Some(b64)) =
            (sig["keyid"].as_str(), sig["method"].as_str(), sig["sig"].as_str())
        else {
            continue;
        };
        if !keyids.iter().any(|id| id == keyid) {
            continue;
        }
        let (Some(key), Ok(bytes)) = (keys(keyid), base64::engine::general_purpose::STANDARD.decode(b64)) else {
            continue;
        };
        if let Some(material) = verify(&key, method, &message, &bytes) {
            signers.insert(material);
        }
    }
    Some(signers.len())
}

/// The `signed` value of an envelope, parsed with serde_json alone.
pub fn signed_value(file: &[u8]) -> Option<Value> {
    let mut envelope: Value = serde_json::from_slice(file).ok()?;
    Some(envelope.get_mut("signed")?.take())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits() {
        assert_eq!(split_parts(b"a\n--8<--\nb\n--8<--\n"), vec![&b"a"[..], b"b", b""]);
        assert_eq!(first_line(b"x\ny\nz"), (&b"x"[..], &b"y\nz"[..]));
    }

    #[test]
    fn canonical() {
        let v: Value = serde_json::from_str(r#"{"b":[1,"\"\\<"],"a":null,"é":true,"Z":-3}"#).unwrap();
        let want = r#"{"Z":-3,"a":null,"b":[1,"\"\\<"],"é":true}"#;
        assert_eq!(independent_canonical(&v).unwrap(), want.as_bytes());
    }
}
