//! The implementation of [`CryptoProvider`] on [`crate::crypto::backend`]: ring in the
//! default build, aws-lc-rs on the AWS-LC FIPS module in the `fips` build.

use std::borrow::Cow;

use crate::crypto::backend::signature::{self, UnparsedPublicKey, VerificationAlgorithm};

use super::provider::{CryptoProvider, VerifyError};
use super::x509::Certificate;
use crate::der::{self, KeyAlg};
use crate::wire::{KeyType, PublicKey};

/// The provider on the build's backend (stateless).
#[derive(Debug)]
pub(super) struct BackendProvider;

/// The one instance [`super::default_provider`] hands out.
pub(super) static BACKEND: BackendProvider = BackendProvider;

/// The backend's name: the provider's code is the same on ring and on aws-lc-rs.
#[cfg(not(feature = "fips"))]
pub(super) const BACKEND_NAME: &str = "ring";
/// The backend's name: the provider's code is the same on ring and on aws-lc-rs.
#[cfg(feature = "fips")]
pub(super) const BACKEND_NAME: &str = "aws-lc-rs (FIPS)";

/// Key families a method can belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Ecdsa,
    Rsa,
    Ed25519,
}

/// Signature schemes notary verifies.
#[derive(Debug, Clone, Copy)]
enum Scheme {
    Ecdsa,
    RsaPss,
    RsaPkcs1,
    Ed25519,
}

impl Scheme {
    fn parse(method: &str) -> Option<Self> {
        Some(match method {
            "ecdsa" => Scheme::Ecdsa,
            "rsapss" => Scheme::RsaPss,
            "rsapkcs1v15" => Scheme::RsaPkcs1,
            "eddsa" | "ed25519" => Scheme::Ed25519,
            _ => return None,
        })
    }

    fn family(self) -> Family {
        match self {
            Scheme::Ecdsa => Family::Ecdsa,
            Scheme::RsaPss | Scheme::RsaPkcs1 => Family::Rsa,
            Scheme::Ed25519 => Family::Ed25519,
        }
    }
}

fn family(keytype: &KeyType) -> Option<Family> {
    match keytype {
        KeyType::Ecdsa | KeyType::EcdsaX509 => Some(Family::Ecdsa),
        KeyType::Rsa | KeyType::RsaX509 => Some(Family::Rsa),
        KeyType::Ed25519 => Some(Family::Ed25519),
        KeyType::Unknown(_) => None,
    }
}

fn malformed(key: &PublicKey, reason: &'static str) -> VerifyError {
    VerifyError::MalformedKey { keytype: key.keytype.as_str().to_owned(), reason }
}

/// The SubjectPublicKeyInfo DER of an ecdsa/rsa key, or of the first certificate of
/// an x509 key.
fn spki_der(key: &PublicKey) -> Result<Cow<'_, [u8]>, VerifyError> {
    if !key.keytype.is_x509() {
        return Ok(Cow::Borrowed(&key.public));
    }
    let cert = Certificate::parse_first(&key.public).map_err(|_| malformed(key, "the certificate does not parse"))?;
    Ok(Cow::Owned(cert.spki_der().to_vec()))
}

fn check(alg: &'static dyn VerificationAlgorithm, key: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
    UnparsedPublicKey::new(alg, key).verify(msg, sig).map_err(|_| VerifyError::InvalidSignature)
}

fn verify_ecdsa(key: &PublicKey, msg: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
    let spki_der = spki_der(key)?;
    let spki = der::parse_spki(&spki_der).ok_or_else(|| malformed(key, "not a SubjectPublicKeyInfo"))?;
    let field_bytes = match spki.alg {
        KeyAlg::EcP256 => 32,
        KeyAlg::EcP384 => 48,
        KeyAlg::EcOther => {
            return Err(VerifyError::UnsupportedCurve { keytype: key.keytype.as_str().to_owned() });
        }
        _ => return Err(malformed(key, "not an ECDSA key")),
    };
    if sig.len() != 2 * field_bytes {
        return Err(VerifyError::SignatureLength { actual: sig.len(), expected: 2 * field_bytes });
    }
    if spki.alg == KeyAlg::EcP256 {
        check(&signature::ECDSA_P256_SHA256_FIXED, spki.key, msg, sig)
    } else {
        // ring has P-384 with SHA-256 only in its ASN.1 form.
        check(&signature::ECDSA_P384_SHA256_ASN1, spki.key, msg, &der::ecdsa_raw_to_asn1(sig))
    }
}

fn verify_rsa(key: &PublicKey, pss: bool, msg: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
    let spki_der = spki_der(key)?;
    let spki = der::parse_spki(&spki_der).ok_or_else(|| malformed(key, "not a SubjectPublicKeyInfo"))?;
    if spki.alg != KeyAlg::Rsa {
        return Err(malformed(key, "not an RSA key"));
    }
    let bits = der::rsa_modulus_bits(spki.key).ok_or_else(|| malformed(key, "not a PKCS#1 RSAPublicKey"))?;
    // notary (Go) verifies RSA of any size; ring verifies PSS from 2048 bits and
    // PKCS#1 v1.5 from 1024. FIPS mode refuses less than 2048 before this.
    let smallest = if pss { 2048 } else { 1024 };
    if !(smallest..=8192).contains(&bits) {
        return Err(VerifyError::RsaKeySize { bits });
    }
    let expected = bits.div_ceil(8);
    if sig.len() != expected {
        return Err(VerifyError::SignatureLength { actual: sig.len(), expected });
    }
    let alg: &'static dyn VerificationAlgorithm = if pss {
        &signature::RSA_PSS_2048_8192_SHA256
    } else {
        &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY
    };
    check(alg, spki.key, msg, sig)
}

fn verify_ed25519(key: &PublicKey, msg: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
    if key.public.len() != 32 {
        return Err(malformed(key, "not 32 bytes"));
    }
    if sig.len() != 64 {
        return Err(VerifyError::SignatureLength { actual: sig.len(), expected: 64 });
    }
    check(&signature::ED25519, &key.public, msg, sig)
}

impl CryptoProvider for BackendProvider {
    fn verify(&self, key: &PublicKey, method: &str, msg: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
        let key_family =
            family(&key.keytype).ok_or_else(|| VerifyError::UnsupportedKeyType(key.keytype.as_str().to_owned()))?;
        let scheme = Scheme::parse(method).ok_or_else(|| VerifyError::UnsupportedMethod(method.to_owned()))?;
        if scheme.family() != key_family {
            return Err(VerifyError::MethodMismatch {
                method: method.to_owned(),
                keytype: key.keytype.as_str().to_owned(),
            });
        }
        match scheme {
            Scheme::Ecdsa => verify_ecdsa(key, msg, sig),
            Scheme::RsaPss => verify_rsa(key, true, msg, sig),
            Scheme::RsaPkcs1 => verify_rsa(key, false, msg, sig),
            Scheme::Ed25519 => verify_ed25519(key, msg, sig),
        }
    }

    fn verify_ecdsa_p384_sha384(&self, key: &PublicKey, msg: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
        if key.keytype != KeyType::Ecdsa {
            return Err(VerifyError::MethodMismatch {
                method: "ecdsa-sha2-nistp384".into(),
                keytype: key.keytype.as_str().to_owned(),
            });
        }
        let spki = der::parse_spki(&key.public).ok_or_else(|| malformed(key, "not a SubjectPublicKeyInfo"))?;
        if spki.alg != KeyAlg::EcP384 {
            return Err(malformed(key, "not a P-384 key"));
        }
        check(&signature::ECDSA_P384_SHA384_ASN1, spki.key, msg, sig)
    }

    fn name(&self) -> &'static str {
        BACKEND_NAME
    }
}

#[cfg(test)]
mod tests {
    use crate::crypto::backend::rand::SystemRandom;
    use crate::crypto::backend::signature::EcdsaKeyPair;

    use super::*;
    use crate::canonical::canonicalize;
    use crate::crypto::default_provider;
    use crate::crypto::signer::{KeyAlgorithm, PrivateKey};
    use crate::crypto::test_fixtures::{notary03, notary03_root};
    use crate::wire::{Envelope, Targets};

    fn provider() -> &'static dyn CryptoProvider {
        default_provider()
    }

    #[test]
    fn name() {
        assert_eq!(provider().name(), BACKEND_NAME);
    }

    #[test]
    fn method_must_fit_key_type() {
        let ec = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let (_, sig) = ec.sign(b"m").unwrap();
        let err = provider().verify(&ec.public_key(), "rsapss", b"m", &sig).unwrap_err();
        assert_eq!(err.to_string(), "method rsapss does not fit key type ecdsa");
        let err = provider().verify(&ec.public_key(), "eddsa", b"m", &sig).unwrap_err();
        assert_eq!(err.to_string(), "method eddsa does not fit key type ecdsa");

        let ed = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
        let (_, sig) = ed.sign(b"m").unwrap();
        let err = provider().verify(&ed.public_key(), "ecdsa", b"m", &sig).unwrap_err();
        assert!(matches!(err, VerifyError::MethodMismatch { .. }), "{err}");

        let rsa = PrivateKey::from_pkcs8_der(include_bytes!("testdata/rsa2048.pk8.der")).unwrap();
        let (_, sig) = rsa.sign(b"m").unwrap();
        let err = provider().verify(&rsa.public_key(), "ecdsa", b"m", &sig).unwrap_err();
        assert_eq!(err.to_string(), "method ecdsa does not fit key type rsa");
    }

    #[test]
    fn unknown_key_types_and_methods() {
        let key = PublicKey::new(KeyType::Unknown("foo".into()), vec![0; 32]);
        let err = provider().verify(&key, "ecdsa", b"m", &[0; 64]).unwrap_err();
        assert_eq!(err.to_string(), "unsupported key type foo");
        let ec = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap().public_key();
        let err = provider().verify(&ec, "pycrypto-pkcs#1 pss", b"m", &[0; 64]).unwrap_err();
        assert_eq!(err.to_string(), "unsupported signature method pycrypto-pkcs#1 pss");
    }

    #[test]
    fn der_ecdsa_signature_refused() {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair =
            crate::crypto::backend::ecdsa_key_pair_from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, doc.as_ref())
                .unwrap();
        let key = PrivateKey::from_pkcs8_der(doc.as_ref()).unwrap().public_key();
        let der_sig = pair.sign(&rng, b"m").unwrap();
        let err = provider().verify(&key, "ecdsa", b"m", der_sig.as_ref()).unwrap_err();
        assert_eq!(err, VerifyError::SignatureLength { actual: der_sig.as_ref().len(), expected: 64 });
        // A DER signature padded to exactly 64 bytes is still not r‖s.
        let mut padded = der_sig.as_ref().to_vec();
        padded.resize(64, 0);
        assert_eq!(provider().verify(&key, "ecdsa", b"m", &padded), Err(VerifyError::InvalidSignature));
    }

    #[test]
    fn p384_certificate_verifies_sha256_raw_signature() {
        // openssl: P-384 self-signed certificate; `openssl dgst -sha256 -sign`, converted to r‖s.
        let pem = include_bytes!("testdata/p384.crt");
        let key = PublicKey::new(KeyType::EcdsaX509, pem.to_vec());
        let msg = include_bytes!("testdata/p384-msg.txt");
        let sig = hex::decode(include_str!("testdata/p384-msg.sig").trim()).unwrap();
        assert_eq!(sig.len(), 96);
        provider().verify(&key, "ecdsa", msg, &sig).unwrap();
        assert_eq!(provider().verify(&key, "ecdsa", b"other", &sig), Err(VerifyError::InvalidSignature));
        let err = provider().verify(&key, "ecdsa", msg, &sig[..64]).unwrap_err();
        assert_eq!(err.to_string(), "signature is 64 bytes, expected 96");
        let mut bad = sig.clone();
        bad[95] ^= 1;
        assert_eq!(provider().verify(&key, "ecdsa", msg, &bad), Err(VerifyError::InvalidSignature));
    }

    #[test]
    fn rsa_pkcs1v15_verifies() {
        let der = include_bytes!("testdata/rsa2048.pk8.der");
        let pair = signature::RsaKeyPair::from_pkcs8(der).unwrap();
        let mut sig = vec![0; crate::crypto::backend::rsa_modulus_len(&pair)];
        pair.sign(&signature::RSA_PKCS1_SHA256, &SystemRandom::new(), b"m", &mut sig).unwrap();
        let key = PrivateKey::from_pkcs8_der(der).unwrap().public_key();
        provider().verify(&key, "rsapkcs1v15", b"m", &sig).unwrap();
        // A PKCS#1 v1.5 signature is not a PSS signature.
        assert_eq!(provider().verify(&key, "rsapss", b"m", &sig), Err(VerifyError::InvalidSignature));
        let err = provider().verify(&key, "rsapss", b"m", &sig[1..]).unwrap_err();
        assert_eq!(err.to_string(), "signature is 255 bytes, expected 256");
    }

    #[test]
    fn rsa_x509_uses_the_certificate_key() {
        let rsa = PrivateKey::from_pkcs8_der(include_bytes!("testdata/rsa2048.pk8.der")).unwrap();
        let cert = PublicKey::new(KeyType::RsaX509, include_bytes!("testdata/rsa2048.crt").to_vec());
        let (method, sig) = rsa.sign(b"m").unwrap();
        provider().verify(&cert, method, b"m", &sig).unwrap();
    }

    #[test]
    fn small_rsa_keys_verify_pkcs1_only_outside_fips_mode() {
        let key = PublicKey::new(KeyType::Rsa, include_bytes!("testdata/rsa1024.spki.der").to_vec());
        let err = provider().verify(&key, "rsapss", b"m", &[0; 128]).unwrap_err();
        assert_eq!(err, VerifyError::RsaKeySize { bits: 1024 });
        let cert = PublicKey::new(KeyType::RsaX509, include_bytes!("testdata/rsa1024-legacy.crt").to_vec());
        let msg = include_bytes!("testdata/rsa1024-legacy-msg.txt");
        let sig = include_bytes!("testdata/rsa1024-legacy-msg.sig");
        provider().verify(&cert, "rsapkcs1v15", msg, sig).unwrap();
        assert_eq!(provider().verify(&cert, "rsapkcs1v15", b"other", sig), Err(VerifyError::InvalidSignature));
        let fips = crate::crypto::provider(true).verify(&cert, "rsapkcs1v15", msg, sig).unwrap_err();
        assert_eq!(
            fips.to_string(),
            "RSA-1024 key refused in FIPS mode: RSA keys shorter than 2048 bits are not approved (SP 800-131A r2)"
        );
    }

    #[test]
    fn fips_mode_refuses_ed25519_and_keeps_ecdsa() {
        let rng = SystemRandom::new();
        let pkcs8 = crate::crypto::backend::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let pair = crate::crypto::backend::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let key = PublicKey::new(
            KeyType::Ed25519,
            crate::crypto::backend::signature::KeyPair::public_key(&pair).as_ref().to_vec(),
        );
        let sig = pair.sign(b"m");
        provider().verify(&key, "eddsa", b"m", sig.as_ref()).unwrap();
        let err = crate::crypto::provider(true).verify(&key, "eddsa", b"m", sig.as_ref()).unwrap_err();
        assert_eq!(err.to_string(), "Ed25519 key refused in FIPS mode: Ed25519 is not accepted in FIPS mode");
        let fixture = PublicKey::new(KeyType::EcdsaX509, include_bytes!("testdata/p384.crt").to_vec());
        let p384_sig = hex::decode(include_str!("testdata/p384-msg.sig").trim()).unwrap();
        crate::crypto::provider(true)
            .verify(&fixture, "ecdsa", include_bytes!("testdata/p384-msg.txt"), &p384_sig)
            .unwrap();
    }

    #[test]
    fn malformed_keys() {
        let err =
            provider().verify(&PublicKey::new(KeyType::Ecdsa, vec![1, 2, 3]), "ecdsa", b"m", &[0; 64]).unwrap_err();
        assert_eq!(err.to_string(), "malformed ecdsa public key: not a SubjectPublicKeyInfo");
        let err =
            provider().verify(&PublicKey::new(KeyType::Ed25519, vec![0; 31]), "eddsa", b"m", &[0; 64]).unwrap_err();
        assert_eq!(err.to_string(), "malformed ed25519 public key: not 32 bytes");
        let ed = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap().public_key();
        let err = provider().verify(&ed, "eddsa", b"m", &[0; 63]).unwrap_err();
        assert_eq!(err.to_string(), "signature is 63 bytes, expected 64");
        // An rsa key that holds an EC key.
        let ec = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap().public_key();
        let err = provider().verify(&PublicKey::new(KeyType::Rsa, ec.public), "rsapss", b"m", &[0; 256]).unwrap_err();
        assert_eq!(err.to_string(), "malformed rsa public key: not an RSA key");
        let err = provider()
            .verify(&PublicKey::new(KeyType::EcdsaX509, b"junk".to_vec()), "ecdsa", b"m", &[0; 64])
            .unwrap_err();
        assert_eq!(err.to_string(), "malformed ecdsa-x509 public key: the certificate does not parse");
    }

    /// Verifies every signature of a real notary 0.3 metadata file with the keys in `keys`.
    fn verify_fixture(name: &str, keys: &std::collections::BTreeMap<String, PublicKey>) -> usize {
        let bytes = notary03(name);
        let env = Envelope::parse(&bytes).unwrap();
        let msg = canonicalize(env.signed.get().as_bytes()).unwrap();
        assert!(!env.signatures.is_empty());
        for sig in &env.signatures {
            let key = &keys[&sig.keyid];
            assert_eq!(key.tuf_id(), sig.keyid);
            provider().verify(key, &sig.method, &msg, &sig.sig).unwrap();
            let mut tampered = msg.to_vec();
            tampered[20] ^= 1;
            assert_eq!(provider().verify(key, &sig.method, &tampered, &sig.sig), Err(VerifyError::InvalidSignature));
        }
        env.signatures.len()
    }

    #[test]
    fn notary_fixture_root_signature() {
        let root = notary03_root();
        let targets_id = "041b64dab281324ef2b62fd2d04f4758269e120ff063b7bc78709272821a0a02";
        let targets_key = &root.keys[targets_id];
        assert_eq!(targets_key.keytype, KeyType::Ecdsa);
        assert_eq!(targets_key.tuf_id(), targets_id);
        assert_eq!(root.roles["targets"].keyids, [targets_id]);
        for (id, key) in &root.keys {
            assert_eq!(&key.tuf_id(), id);
        }
        // root.json is signed by its ecdsa-x509 root certificate.
        assert_eq!(root.keys[&root.roles["root"].keyids[0]].keytype, KeyType::EcdsaX509);
        assert_eq!(verify_fixture("root.json", &root.keys), 1);
    }

    #[test]
    fn notary_fixture_targets_and_rsa_delegation() {
        let root = notary03_root();
        // targets.json: ecdsa key 041b64da…
        assert_eq!(verify_fixture("targets.json", &root.keys), 1);
        // targets/releases.json: the rsa-x509 delegation key (method rsapss).
        let bytes = notary03("targets.json");
        let env = Envelope::parse(&bytes).unwrap();
        let targets: Targets = serde_json::from_str(env.signed.get()).unwrap();
        let delegations = targets.delegations;
        assert!(delegations.keys.values().all(|k| k.keytype == KeyType::RsaX509));
        assert_eq!(verify_fixture("targets/releases.json", &delegations.keys), 1);
    }
}
