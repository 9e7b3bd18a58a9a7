//! The TUF 1.0 envelope `{"signatures":[{"keyid","sig"}],"signed":{…}}`, split so
//! signatures are checked over the canonical form of the `signed` bytes received.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::canonical;
use crate::{Error, Result};

use super::header::Header;

/// One signature: the signing key's ID and the signature bytes (hex on the wire).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The key ID, opaque, as the delegating metadata names the key.
    pub keyid: String,
    /// The decoded signature.
    pub sig: Vec<u8>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SignatureRepr {
    keyid: String,
    sig: String,
}

/// What every role's `signed` part is: a header, a type name and structure checks.
pub trait Role: serde::de::DeserializeOwned + Serialize {
    /// The `_type` value (`root`, `timestamp`, `snapshot`, `targets`).
    const TYPE: &'static str;

    /// The common fields.
    fn header(&self) -> &Header;

    /// Checks beyond what parsing checks (required entries, thresholds, exclusive
    /// fields). The header has been checked before this.
    fn check_structure(&self) -> Result<(), String>;
}

/// A parsed metadata file: its `signed` part typed, its signatures, and the
/// canonical bytes of the `signed` part as received, which signatures cover.
#[derive(Debug, Clone)]
pub struct Metadata<T> {
    /// The typed `signed` part; unknown fields are kept in its `extra` maps.
    pub signed: T,
    /// The signatures, in file order, each key ID once (a file naming one twice is
    /// malformed, as python-tuf holds).
    pub signatures: Vec<Signature>,
    canonical: Vec<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    #[serde(borrow)]
    signed: &'a RawValue,
    signatures: Vec<SignatureRepr>,
}

impl<T: Role> Metadata<T> {
    /// Parses a metadata file strictly. `role` names the role in errors (a delegated
    /// role's name for `targets` files). Unknown fields of the envelope itself are
    /// refused (they would be unsigned), and so are two signatures under one key ID;
    /// unknown fields inside `signed` are kept.
    pub fn parse(role: &str, bytes: &[u8]) -> Result<Self> {
        Self::parse_strict(role, bytes).map_err(|e| match super::dialect::detect(bytes) {
            Ok(super::Dialect::NotaryV1) => Error::malformed(
                role,
                "this is Notary v1 (Docker Content Trust) metadata, not TUF 1.0's: read it with `trust inspect` or `trust verify`",
            ),
            _ => e,
        })
    }

    fn parse_strict(role: &str, bytes: &[u8]) -> Result<Self> {
        let env: Envelope<'_> = serde_json::from_slice(bytes).map_err(|e| Error::malformed(role, e))?;
        let canonical = canonical_of(env.signed.get().as_bytes()).map_err(|e| Error::malformed(role, e))?;
        let signed: T = serde_json::from_str(env.signed.get()).map_err(|e| Error::malformed(role, e))?;
        signed.header().check(T::TYPE).map_err(|e| Error::malformed(role, e))?;
        signed.check_structure().map_err(|e| Error::malformed(role, e))?;
        let signatures = env
            .signatures
            .into_iter()
            .map(|s| {
                let sig = hex::decode(&s.sig)
                    .map_err(|_| Error::malformed(role, format!("signature by key {} is not hex", s.keyid)))?;
                Ok(Signature { keyid: s.keyid, sig })
            })
            .collect::<Result<Vec<Signature>>>()?;
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = signatures.iter().find(|s| !seen.insert(s.keyid.as_str())) {
            return Err(Error::malformed(role, format!("two signatures name key ID {}", dup.keyid)));
        }
        Ok(Metadata { signed, signatures, canonical })
    }

    /// The canonical JSON of the `signed` part as received: the bytes signatures cover.
    pub fn canonical_signed(&self) -> &[u8] {
        &self.canonical
    }

    /// The canonical JSON of the typed `signed` part written back. Equal to
    /// [`Metadata::canonical_signed`] for every file this module parses, unknown
    /// fields included (tests check it on the fixtures).
    pub fn reserialize_signed(&self) -> Result<Vec<u8>> {
        canonical::to_vec_from(&self.signed).map_err(|e| Error::malformed(T::TYPE, e))
    }

    /// The metadata version.
    pub fn version(&self) -> u64 {
        self.signed.header().version
    }
}

/// The canonical form of `raw`, the `signed` value as received (valid JSON: the
/// envelope parse checked it). Canonical bytes are taken as they are; bytes that
/// are canonical once the whitespace between tokens is dropped (how python-tuf
/// writes metadata: indented, keys sorted) take one more pass; anything else is
/// parsed and re-written by [`canonical::canonicalize`].
fn canonical_of(raw: &[u8]) -> Result<Vec<u8>, canonical::CanonicalError> {
    if canonical::is_canonical(raw) {
        return Ok(raw.to_vec());
    }
    let compact = canonical::strip_whitespace(raw);
    if canonical::is_canonical(&compact) {
        return Ok(compact);
    }
    Ok(match canonical::canonicalize(raw)? {
        Cow::Borrowed(b) => b.to_vec(),
        Cow::Owned(v) => v,
    })
}

/// Writes an envelope around canonical `signed` bytes, signatures hex-encoded (for
/// tests, benches and a future repository writer).
pub fn write_envelope(signed_canonical: &[u8], signatures: &[Signature]) -> Vec<u8> {
    let sigs: Vec<SignatureRepr> =
        signatures.iter().map(|s| SignatureRepr { keyid: s.keyid.clone(), sig: hex::encode(&s.sig) }).collect();
    let mut out = Vec::with_capacity(signed_canonical.len() + 32 + 160 * sigs.len());
    out.extend_from_slice(b"{\"signatures\":");
    out.extend_from_slice(&serde_json::to_vec(&sigs).unwrap_or_else(|_| b"[]".to_vec()));
    out.extend_from_slice(b",\"signed\":");
    out.extend_from_slice(signed_canonical);
    out.push(b'}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_between_tokens_only_is_dropped() {
        let raw = b"{ \"a b\" : [ 1 , \"x \\\" y\" ],\n \"c\":\t{}\r}";
        assert_eq!(canonical::strip_whitespace(raw), b"{\"a b\":[1,\"x \\\" y\"],\"c\":{}}");
        // Sorted and indented: the compact form; unsorted: re-written.
        assert_eq!(canonical_of(b"{\n \"a\": 1,\n \"b\": \"s p\"\n}").unwrap(), b"{\"a\":1,\"b\":\"s p\"}");
        assert_eq!(canonical_of(b"{\"b\": 1, \"a\": \"\\u00e9\"}").unwrap(), "{\"a\":\"\u{e9}\",\"b\":1}".as_bytes());
    }
}
