//! What a public key is (algorithm, curve or modulus size) and whether FIPS mode
//! approves it, for verification in FIPS mode and for audits.
//!
//! FIPS mode approves ECDSA on P-256 and P-384 with SHA-256 (FIPS 186-5), RSA with a
//! modulus of at least 2048 bits, PSS or PKCS#1 v1.5 with SHA-256 (FIPS 186-5,
//! SP 800-131A r2). Ed25519 is not accepted in FIPS mode: FIPS 186-5 added EdDSA, but
//! an algorithm is approved for a module only when its validation lists it, and this
//! project does not rely on EdDSA being listed for the module it links (notary never
//! signs with Ed25519 in the first place; notary-server's own keys are ECDSA).

use std::fmt;

use super::provider::VerifyError;
use super::x509::Certificate;
use crate::der::{self, KeyAlg};
use crate::wire::{KeyType, PublicKey};

/// A public key's algorithm and strength.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// ECDSA on NIST P-256.
    EcdsaP256,
    /// ECDSA on NIST P-384.
    EcdsaP384,
    /// ECDSA on another curve (never verified).
    EcdsaOther,
    /// RSA with a modulus of this many bits.
    Rsa {
        /// The modulus size.
        bits: usize,
    },
    /// Ed25519.
    Ed25519,
}

fn malformed(key: &PublicKey, reason: &'static str) -> VerifyError {
    VerifyError::MalformedKey { keytype: key.keytype.as_str().to_owned(), reason }
}

impl KeyAlgorithm {
    /// The algorithm of `key` (for x509 key types, of its first certificate's key).
    pub fn of(key: &PublicKey) -> Result<KeyAlgorithm, VerifyError> {
        if key.keytype == KeyType::Ed25519 {
            return Ok(KeyAlgorithm::Ed25519);
        }
        if let KeyType::Unknown(t) = &key.keytype {
            return Err(VerifyError::UnsupportedKeyType(t.clone()));
        }
        let spki_der = if key.keytype.is_x509() {
            let cert =
                Certificate::parse_first(&key.public).map_err(|_| malformed(key, "the certificate does not parse"))?;
            cert.spki_der().to_vec()
        } else {
            key.public.clone()
        };
        let spki = der::parse_spki(&spki_der).ok_or_else(|| malformed(key, "not a SubjectPublicKeyInfo"))?;
        Ok(match spki.alg {
            KeyAlg::EcP256 => KeyAlgorithm::EcdsaP256,
            KeyAlg::EcP384 => KeyAlgorithm::EcdsaP384,
            KeyAlg::EcOther => KeyAlgorithm::EcdsaOther,
            KeyAlg::Rsa => KeyAlgorithm::Rsa {
                bits: der::rsa_modulus_bits(spki.key).ok_or_else(|| malformed(key, "not a PKCS#1 RSAPublicKey"))?,
            },
            _ => return Err(malformed(key, "not an ECDSA or RSA key")),
        })
    }

    /// Why FIPS mode does not approve this key, or None when it does.
    pub fn fips_refusal(self) -> Option<&'static str> {
        match self {
            KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 => None,
            KeyAlgorithm::Rsa { bits } if bits >= 2048 => None,
            KeyAlgorithm::Rsa { .. } => Some("RSA keys shorter than 2048 bits are not approved (SP 800-131A r2)"),
            KeyAlgorithm::EcdsaOther => Some("only the P-256 and P-384 curves are accepted"),
            KeyAlgorithm::Ed25519 => Some("Ed25519 is not accepted in FIPS mode"),
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyAlgorithm::EcdsaP256 => f.write_str("ECDSA P-256"),
            KeyAlgorithm::EcdsaP384 => f.write_str("ECDSA P-384"),
            KeyAlgorithm::EcdsaOther => f.write_str("ECDSA (other curve)"),
            KeyAlgorithm::Rsa { bits } => write!(f, "RSA-{bits}"),
            KeyAlgorithm::Ed25519 => f.write_str("Ed25519"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strengths_and_fips_approval() {
        let rsa1024 = PublicKey::new(KeyType::RsaX509, include_bytes!("testdata/rsa1024.crt").to_vec());
        let alg = KeyAlgorithm::of(&rsa1024).unwrap();
        assert_eq!((alg, alg.to_string()), (KeyAlgorithm::Rsa { bits: 1024 }, "RSA-1024".to_owned()));
        assert!(alg.fips_refusal().unwrap().contains("2048"));
        assert_eq!(KeyAlgorithm::of(&PublicKey::new(KeyType::Ed25519, vec![0; 32])), Ok(KeyAlgorithm::Ed25519));
        assert!(KeyAlgorithm::Ed25519.fips_refusal().is_some());
        assert_eq!(KeyAlgorithm::EcdsaP256.fips_refusal(), None);
        assert_eq!(KeyAlgorithm::Rsa { bits: 2048 }.fips_refusal(), None);
    }
}
