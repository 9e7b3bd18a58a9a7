//! TUF 1.0 public keys as python-tuf, securesystemslib and go-tuf write them, and
//! how each maps onto the crate's crypto provider.
//!
//! | keytype | scheme | `keyval.public` | signature |
//! |---|---|---|---|
//! | `ed25519` | `ed25519` | hex, 32 bytes | 64 bytes |
//! | `ecdsa`, or legacy `ecdsa-sha2-nistp256` | `ecdsa-sha2-nistp256` | PEM SubjectPublicKeyInfo, or hex (DER SPKI or uncompressed point) | DER `ECDSA-Sig-Value` |
//! | `ecdsa`, or legacy `ecdsa-sha2-nistp384` | `ecdsa-sha2-nistp384` (SHA-384) | the same, P-384 (uncompressed point: 97 bytes) | DER `ECDSA-Sig-Value` |
//! | `rsa` | `rsassa-pss-sha256` | PEM SubjectPublicKeyInfo | modulus size |
//!
//! Every other pair (for example `rsa-pkcs1v15-sha256`, `ecdsa-sha2-nistp521`, or a
//! keytype this module does not know) is parsed and kept but never verifies, so it
//! never counts towards a threshold: [`Key::verifier`] says why. The curve must be
//! the scheme's.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::crypto::CryptoProvider;
use crate::der::{self, KeyAlg};
use crate::wire::{KeyType, PublicKey};

/// `keyval`: the public key text and any other fields, kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyVal {
    /// The public key, encoded as the key type defines.
    pub public: String,
    /// Fields other than `public`.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A public key of root or delegation metadata. Its ID is the one the metadata
/// gives it, never recomputed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    /// The key type, as written.
    pub keytype: String,
    /// The signature scheme, as written.
    pub scheme: String,
    /// The key value.
    pub keyval: KeyVal,
    /// Fields the specification does not define (e.g. `x-tuf-on-ci-keyowner`).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// How to verify with a key: the key as the crypto provider takes it and the
/// provider's signature method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    /// The key in the provider's form; also the key's identity for thresholds (two
    /// key IDs with equal `public` are one key).
    pub public: PublicKey,
    method: Method,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Ed25519,
    /// ECDSA over SHA-256 on P-256, DER signatures.
    EcdsaP256,
    /// ECDSA over SHA-384 on P-384, DER signatures.
    EcdsaP384,
    RsaPssSha256,
}

impl Key {
    /// The verifier for this key, or why it cannot verify (unknown or unsupported
    /// keytype/scheme pair, malformed public key).
    pub fn verifier(&self) -> Result<Verifier, String> {
        let kt = self.keytype.as_str();
        let scheme = self.scheme.as_str();
        match (kt, scheme) {
            ("ed25519", "ed25519") => {
                let raw = hex::decode(&self.keyval.public).map_err(|_| "ed25519 public key is not hex".to_owned())?;
                if raw.len() != 32 {
                    return Err(format!("ed25519 public key is {} bytes, expected 32", raw.len()));
                }
                Ok(Verifier { public: PublicKey::new(KeyType::Ed25519, raw), method: Method::Ed25519 })
            }
            ("ecdsa" | "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256")
            | ("ecdsa" | "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384") => {
                let (curve, method) = if scheme.ends_with("256") {
                    (KeyAlg::EcP256, Method::EcdsaP256)
                } else {
                    (KeyAlg::EcP384, Method::EcdsaP384)
                };
                let spki = ecdsa_spki(&self.keyval.public)?;
                match der::parse_spki(&spki).map(|s| s.alg) {
                    Some(alg) if alg == curve => Ok(Verifier { public: PublicKey::new(KeyType::Ecdsa, spki), method }),
                    _ => Err(format!("{scheme} key is not on the scheme's curve")),
                }
            }
            ("rsa", "rsassa-pss-sha256") => {
                let spki = pem_spki(&self.keyval.public).ok_or("rsa public key is not a PEM PUBLIC KEY")?;
                match der::parse_spki(&spki).map(|s| s.alg) {
                    Some(KeyAlg::Rsa) => {
                        Ok(Verifier { public: PublicKey::new(KeyType::Rsa, spki), method: Method::RsaPssSha256 })
                    }
                    _ => Err("rsa public key is not an RSA SubjectPublicKeyInfo".into()),
                }
            }
            _ => Err(format!("keytype {kt:?} with scheme {scheme:?} is not supported")),
        }
    }
}

impl Verifier {
    /// Verifies `sig` (as decoded from the metadata's hex) over `msg` with the
    /// crate's crypto `provider`. ECDSA's DER signature is converted to the
    /// provider's fixed-size form first (a DER that is not strictly one
    /// `SEQUENCE { INTEGER r, INTEGER s }` fails).
    pub fn verify(&self, provider: &dyn CryptoProvider, msg: &[u8], sig: &[u8]) -> Result<(), String> {
        let result = match self.method {
            Method::Ed25519 => provider.verify(&self.public, "ed25519", msg, sig),
            Method::RsaPssSha256 => provider.verify(&self.public, "rsapss", msg, sig),
            Method::EcdsaP256 => {
                let raw = ecdsa_der_to_raw(sig, 32).ok_or("ECDSA signature is not a DER ECDSA-Sig-Value")?;
                provider.verify(&self.public, "ecdsa", msg, &raw)
            }
            Method::EcdsaP384 => provider.verify_ecdsa_p384_sha384(&self.public, msg, sig),
        };
        result.map_err(|e| e.to_string())
    }
}

/// An ECDSA public key as securesystemslib (PEM) or other writers (hex DER SPKI, hex
/// uncompressed P-256 point) give it, as DER SPKI.
fn ecdsa_spki(public: &str) -> Result<Vec<u8>, String> {
    if let Some(spki) = pem_spki(public) {
        return Ok(spki);
    }
    let raw = hex::decode(public.trim()).map_err(|_| "ecdsa public key is neither PEM nor hex".to_owned())?;
    match (raw.first(), raw.len()) {
        (Some(0x30), _) => Ok(raw),
        (Some(0x04), 65) => der::write_spki(KeyAlg::EcP256, &raw).ok_or_else(|| "bad ecdsa point".to_owned()),
        (Some(0x04), 97) => der::write_spki(KeyAlg::EcP384, &raw).ok_or_else(|| "bad ecdsa point".to_owned()),
        _ => Err("ecdsa hex public key is neither a SubjectPublicKeyInfo nor an uncompressed P-256/P-384 point".into()),
    }
}

/// The DER of the one `PUBLIC KEY` PEM block of `text`.
fn pem_spki(text: &str) -> Option<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN PUBLIC KEY-----";
    const END: &str = "-----END PUBLIC KEY-----";
    let start = text.find(BEGIN)? + BEGIN.len();
    let end = start + text[start..].find(END)?;
    let body: String = text[start..end].chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// `r‖s`, each left-padded to `width` bytes, of a strict DER `ECDSA-Sig-Value`.
fn ecdsa_der_to_raw(sig: &[u8], width: usize) -> Option<Vec<u8>> {
    let mut outer = der::Reader::strict(sig);
    let body = outer.read(der::SEQUENCE)?;
    if !outer.is_empty() {
        return None;
    }
    let mut r = der::Reader::strict(body);
    let mut out = Vec::with_capacity(2 * width);
    for _ in 0..2 {
        let int = r.read(der::INTEGER)?;
        // Positive, minimal: a leading zero only before a high bit.
        let digits = match int {
            [0, rest @ ..] if rest.first().is_some_and(|b| b & 0x80 != 0) => rest,
            [first, ..] if first & 0x80 == 0 && *first != 0 => int,
            _ => return None,
        };
        if digits.len() > width {
            return None;
        }
        out.resize(out.len() + width - digits.len(), 0);
        out.extend_from_slice(digits);
    }
    r.is_empty().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(keytype: &str, scheme: &str, public: &str) -> Key {
        Key {
            keytype: keytype.into(),
            scheme: scheme.into(),
            keyval: KeyVal { public: public.into(), extra: BTreeMap::new() },
            extra: BTreeMap::new(),
        }
    }

    #[test]
    fn der_signatures_convert_to_fixed_width() {
        // r = 0x01, s = 0x80 (needs a leading zero in DER).
        let der = [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80];
        let raw = ecdsa_der_to_raw(&der, 32).unwrap();
        assert_eq!(raw.len(), 64);
        assert_eq!((raw[31], raw[63]), (1, 0x80));
        // Non-minimal, negative, trailing bytes, too long: refused.
        assert!(ecdsa_der_to_raw(&[0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01], 32).is_none());
        assert!(ecdsa_der_to_raw(&[0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01], 32).is_none());
        assert!(ecdsa_der_to_raw(&[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00], 32).is_none());
        assert!(ecdsa_der_to_raw(&[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01], 0).is_none());
    }

    #[test]
    fn unsupported_pairs_are_kept_but_do_not_verify() {
        let ed = "ab".repeat(32);
        assert!(key("ed25519", "ed25519", &ed).verifier().is_ok());
        assert!(key("ed25519", "x-unknown", &ed).verifier().unwrap_err().contains("not supported"));
        assert!(key("ecdsa", "ecdsa-sha2-nistp521", "x").verifier().unwrap_err().contains("not supported"));
        assert!(
            key("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "x").verifier().unwrap_err().contains("not supported")
        );
        assert!(key("rsa", "rsa-pkcs1v15-sha256", "x").verifier().unwrap_err().contains("not supported"));
        assert!(key("ed25519", "ed25519", "abcd").verifier().unwrap_err().contains("32"));
        assert!(key("ecdsa", "ecdsa-sha2-nistp256", "zz").verifier().is_err());
    }

    #[test]
    fn ecdsa_hex_point_and_pem_are_the_same_key() {
        use crate::crypto::signer::{KeyAlgorithm, PrivateKey};
        let spki = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap().public_key().public;
        let point = der::parse_spki(&spki).unwrap().key.to_vec();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&spki);
        let pem = format!("-----BEGIN PUBLIC KEY-----\n{b64}\n-----END PUBLIC KEY-----\n");
        let a = key("ecdsa", "ecdsa-sha2-nistp256", &pem).verifier().unwrap();
        let b = key("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", &hex::encode(point)).verifier().unwrap();
        let c = key("ecdsa", "ecdsa-sha2-nistp256", &hex::encode(&spki)).verifier().unwrap();
        assert_eq!(a.public, b.public);
        assert_eq!(a.public, c.public);
        // A P-256 key under the P-384 scheme is refused.
        assert!(key("ecdsa", "ecdsa-sha2-nistp384", &pem).verifier().unwrap_err().contains("curve"));
    }
}
