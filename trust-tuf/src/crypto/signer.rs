//! Private keys that sign: in memory (ring, or aws-lc-rs in the `fips` build), or held
//! elsewhere behind an [`ExternalSigner`] (a hardware token: trust-core's PKCS#11 keys).

use std::sync::Arc;

use crate::crypto::backend::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};
use crate::crypto::backend::{self, rand::SystemRandom};
use zeroize::Zeroizing;

use crate::Error;
use crate::der::{self, KeyAlg};
use crate::wire::{KeyType, PublicKey, Signature, write_envelope};

/// What can be generated (ring cannot generate RSA keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// ECDSA on P-256: notary's default for every role.
    EcdsaP256,
    /// Ed25519: what notary-server's local signer uses for timestamp/snapshot.
    Ed25519,
}

/// A key whose private half is held outside this process (a PKCS#11 token, for
/// example): it signs a digest and says what its public key is. trust-tuf does no I/O,
/// so the implementation (opening a session, logging in) lives with the caller; this
/// trait is all trust-tuf knows of it.
///
/// Only ECDSA P-256 is asked of an external signer: trust-tuf hashes the message with
/// SHA-256 itself and hands over the 32-byte digest; the signer answers with the raw
/// `r‖s` signature (64 bytes), the form notary writes for method `ecdsa` (and the form
/// PKCS#11's `CKM_ECDSA` returns). [`PrivateKey::sign`] checks each signature against
/// [`public_key`](Self::public_key) before using it.
pub trait ExternalSigner: Send + Sync {
    /// The public key, in notary's form: `ecdsa` with the SubjectPublicKeyInfo DER of a
    /// P-256 key.
    fn public_key(&self) -> &PublicKey;
    /// Signs `digest`, a SHA-256 digest, with ECDSA P-256: raw `r‖s`, 64 bytes.
    fn sign_sha256_digest(&self, digest: &[u8; 32]) -> Result<Vec<u8>, Error>;
    /// Where the key lives, for messages and `Debug` (a token URI without its PIN); it
    /// must hold no secret.
    fn location(&self) -> String;
}

/// The key pair behind a [`PrivateKey`].
enum Pair {
    EcdsaP256(EcdsaKeyPair),
    /// Loaded for its public key only: notary signs P-384 over SHA-256, which ring
    /// cannot.
    EcdsaP384,
    Ed25519(Ed25519KeyPair),
    Rsa(RsaKeyPair),
    /// ECDSA P-256 held by an [`ExternalSigner`]; shared by the copies
    /// [`PrivateKey::try_clone`] makes.
    External(Arc<dyn ExternalSigner>),
}

/// A private signing key. The PKCS#8 DER it was made from is zeroized on drop; ring's
/// own copy of the key material is outside this crate's control. `Debug` shows the
/// algorithm and the public key ID only (and, for an external key, where it lives).
pub struct PrivateKey {
    pkcs8: Zeroizing<Vec<u8>>,
    pair: Pair,
    public: PublicKey,
}

fn key_error(what: &str) -> Error {
    Error::Key(format!("invalid private key: {what}"))
}

impl PrivateKey {
    /// A new random key.
    pub fn generate(alg: KeyAlgorithm) -> Result<Self, Error> {
        let rng = SystemRandom::new();
        let doc = match alg {
            KeyAlgorithm::EcdsaP256 => EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng),
            KeyAlgorithm::Ed25519 => Ed25519KeyPair::generate_pkcs8(&rng),
        }
        .map_err(|_| Error::Key("key generation failed".into()))?;
        let der = Zeroizing::new(doc.as_ref().to_vec());
        Self::from_pkcs8_der(&der)
    }

    /// Reads a standard, unencrypted PKCS#8 (v1 or v2) DER key: ECDSA P-256 or P-384,
    /// Ed25519 (RFC 8410) or RSA (at least 2048 bits).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, Error> {
        let rejected = |e: crate::crypto::backend::error::KeyRejected| key_error(&e.to_string());
        let alg = der::pkcs8_algorithm(der).ok_or_else(|| key_error("not PKCS#8 DER"))?;
        let (pair, public) = match alg {
            KeyAlg::EcP256 | KeyAlg::EcP384 => {
                let signing = if alg == KeyAlg::EcP256 {
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING
                } else {
                    &signature::ECDSA_P384_SHA384_FIXED_SIGNING
                };
                let pair = backend::ecdsa_key_pair_from_pkcs8(signing, der).map_err(rejected)?;
                let spki = der::write_spki(alg, pair.public_key().as_ref());
                let public = PublicKey::new(KeyType::Ecdsa, spki.ok_or_else(|| key_error("ECDSA"))?);
                (if alg == KeyAlg::EcP256 { Pair::EcdsaP256(pair) } else { Pair::EcdsaP384 }, public)
            }
            KeyAlg::Ed25519 => {
                let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(rejected)?;
                let public = PublicKey::new(KeyType::Ed25519, pair.public_key().as_ref().to_vec());
                (Pair::Ed25519(pair), public)
            }
            KeyAlg::Rsa => {
                let pair = RsaKeyPair::from_pkcs8(der).map_err(rejected)?;
                if backend::rsa_modulus_len(&pair) < 256 {
                    return Err(key_error("RSA keys must have at least 2048 bits"));
                }
                let spki = der::write_spki(alg, pair.public_key().as_ref());
                (Pair::Rsa(pair), PublicKey::new(KeyType::Rsa, spki.ok_or_else(|| key_error("RSA"))?))
            }
            KeyAlg::EcOther => {
                return Err(key_error("unsupported elliptic curve (only P-256 and P-384)"));
            }
            KeyAlg::Other => return Err(key_error("unsupported key algorithm")),
        };
        Ok(PrivateKey { pkcs8: Zeroizing::new(der.to_vec()), pair, public })
    }

    /// A key held by `signer` (ECDSA P-256 only: see [`ExternalSigner`]).
    pub fn external(signer: Box<dyn ExternalSigner>) -> Result<Self, Error> {
        let public = signer.public_key().clone();
        let p256 = public.keytype == KeyType::Ecdsa
            && der::parse_spki(&public.public).is_some_and(|spki| spki.alg == KeyAlg::EcP256);
        if !p256 {
            return Err(Error::Key(format!(
                "the key at {} is not an ECDSA P-256 key (the only kind a token key may be)",
                signer.location()
            )));
        }
        Ok(PrivateKey { pkcs8: Zeroizing::new(Vec::new()), pair: Pair::External(Arc::from(signer)), public })
    }

    /// The PKCS#8 DER of this key; an error for an external key, whose private half
    /// never leaves where it is held.
    pub fn pkcs8_der(&self) -> Result<&[u8], Error> {
        match &self.pair {
            Pair::External(signer) => Err(Error::Key(format!(
                "the private key {} lives at {} and cannot be exported or written to a file",
                self.public.tuf_id(),
                signer.location()
            ))),
            _ => Ok(&self.pkcs8),
        }
    }

    /// Where an external key lives ([`ExternalSigner::location`]); None for a key in
    /// memory.
    pub fn external_location(&self) -> Option<String> {
        match &self.pair {
            Pair::External(signer) => Some(signer.location()),
            _ => None,
        }
    }

    /// Another handle on the same key: a copy of the key material for a key in memory,
    /// the same signer for an external key.
    pub fn try_clone(&self) -> Result<Self, Error> {
        match &self.pair {
            Pair::External(signer) => Ok(PrivateKey {
                pkcs8: Zeroizing::new(Vec::new()),
                pair: Pair::External(signer.clone()),
                public: self.public.clone(),
            }),
            _ => Self::from_pkcs8_der(&self.pkcs8),
        }
    }

    /// The external signer behind this key, if it is one (for rcgen's remote key pair).
    pub(crate) fn external_signer(&self) -> Option<Arc<dyn ExternalSigner>> {
        match &self.pair {
            Pair::External(signer) => Some(signer.clone()),
            _ => None,
        }
    }

    /// The public key in notary's form: ecdsa/rsa = SPKI DER, ed25519 = raw 32 bytes.
    pub fn public_key(&self) -> PublicKey {
        self.public.clone()
    }

    /// True for ECDSA P-256 keys (the only kind root certificates are made with).
    pub(crate) fn is_ecdsa_p256(&self) -> bool {
        matches!(self.pair, Pair::EcdsaP256(_) | Pair::External(_))
    }

    fn algorithm_name(&self) -> &'static str {
        match self.pair {
            Pair::EcdsaP256(_) => "ecdsa-p256",
            Pair::EcdsaP384 => "ecdsa-p384",
            Pair::Ed25519(_) => "ed25519",
            Pair::Rsa(_) => "rsa",
            Pair::External(_) => "ecdsa-p256 (external)",
        }
    }

    /// Signs `msg` as notary does: ECDSA P-256 over SHA-256, raw `r‖s`, method
    /// `ecdsa`; RSASSA-PSS SHA-256 with salt 32, method `rsapss`; Ed25519, method
    /// `eddsa`. Returns (method, signature bytes). P-384 keys cannot sign: notary signs
    /// them over SHA-256, which ring does not offer.
    pub fn sign(&self, msg: &[u8]) -> Result<(&'static str, Vec<u8>), Error> {
        let rng = SystemRandom::new();
        let failed = |_| Error::Key("signing failed".into());
        match &self.pair {
            Pair::EcdsaP256(pair) => Ok(("ecdsa", pair.sign(&rng, msg).map_err(failed)?.as_ref().to_vec())),
            Pair::EcdsaP384 => Err(Error::Key(
                "signing with ECDSA P-384 keys is not supported (notary signs them over SHA-256)".into(),
            )),
            Pair::Ed25519(pair) => Ok(("eddsa", pair.sign(msg).as_ref().to_vec())),
            Pair::Rsa(pair) => {
                let mut sig = vec![0; backend::rsa_modulus_len(pair)];
                pair.sign(&signature::RSA_PSS_SHA256, &rng, msg, &mut sig).map_err(failed)?;
                Ok(("rsapss", sig))
            }
            Pair::External(signer) => {
                let digest = backend::digest::digest(&backend::digest::SHA256, msg);
                let mut sha256 = [0u8; 32];
                sha256.copy_from_slice(digest.as_ref());
                let sig = signer.sign_sha256_digest(&sha256)?;
                // A token that answers in another form (DER, or for another key) is
                // caught here, not by every verifier later.
                crate::crypto::default_provider().verify(&self.public, "ecdsa", msg, &sig).map_err(|e| {
                    Error::Key(format!(
                        "the signature from {} does not verify ({e}): is it the key that was registered?",
                        signer.location()
                    ))
                })?;
                Ok(("ecdsa", sig))
            }
        }
    }
}

/// A metadata file: `signed` (in its canonical form) signed by each key, under the
/// given key IDs, as notary writes it.
pub fn sign_metadata(role: &str, signed: &serde_json::Value, keys: &[(String, PrivateKey)]) -> Result<Vec<u8>, Error> {
    let canonical = crate::canonical::to_vec(signed).map_err(|e| Error::malformed(role, e))?;
    let mut signatures = Vec::with_capacity(keys.len());
    for (keyid, key) in keys {
        let (method, sig) = key.sign(&canonical)?;
        signatures.push(Signature { keyid: keyid.clone(), method: method.to_owned(), sig });
    }
    Ok(write_envelope(&canonical, &signatures))
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = f.debug_struct("PrivateKey");
        out.field("algorithm", &self.algorithm_name()).field("public_key_id", &self.public.tuf_id());
        if let Some(location) = self.external_location() {
            out.field("location", &location);
        }
        out.finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::default_provider;

    const RSA_2048: &[u8] = include_bytes!("testdata/rsa2048.pk8.der");
    const P384: &[u8] = include_bytes!("testdata/p384.pk8.der");

    #[test]
    fn round_trip_per_algorithm() {
        let msg = b"{\"signed\":\"canonical bytes\"}";
        let keys = [
            PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap(),
            PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap(),
            PrivateKey::from_pkcs8_der(RSA_2048).unwrap(),
        ];
        for (key, (keytype, method, len)) in
            keys.iter().zip([("ecdsa", "ecdsa", 64), ("ed25519", "eddsa", 64), ("rsa", "rsapss", 256)])
        {
            let public = key.public_key();
            assert_eq!(public.keytype.as_str(), keytype);
            let (m, sig) = key.sign(msg).unwrap();
            assert_eq!((m, sig.len()), (method, len));
            default_provider().verify(&public, m, msg, &sig).unwrap();
            let err = default_provider().verify(&public, m, b"other message", &sig).unwrap_err();
            assert_eq!(err.to_string(), "invalid signature");
        }
    }

    #[test]
    fn pkcs8_round_trip_and_public_forms() {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let again = PrivateKey::from_pkcs8_der(key.pkcs8_der().unwrap()).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        let spki = key.public_key().public;
        assert_eq!(spki.len(), 91);
        assert_eq!(spki[..2], [0x30, 0x59]);

        let ed = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
        assert_eq!(ed.public_key().public.len(), 32);

        let rsa = PrivateKey::from_pkcs8_der(RSA_2048).unwrap();
        let public = rsa.public_key();
        let parsed = der::parse_spki(&public.public).unwrap();
        assert_eq!(parsed.alg, KeyAlg::Rsa);
        assert_eq!(der::rsa_modulus_bits(parsed.key), Some(2048));
    }

    #[test]
    fn ed25519_pkcs8_v1_accepted() {
        // RFC 8410 section 10.3 private key (v1, no public key) and its section 10.1 public key.
        let v1 = hex::decode(
            "302e020100300506032b657004220420d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842",
        )
        .unwrap();
        let key = PrivateKey::from_pkcs8_der(&v1).unwrap();
        assert_eq!(
            hex::encode(key.public_key().public),
            "19bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1"
        );
        let (_, sig) = key.sign(b"m").unwrap();
        default_provider().verify(&key.public_key(), "ed25519", b"m", &sig).unwrap();
    }

    #[test]
    fn p384_loads_but_cannot_sign() {
        let key = PrivateKey::from_pkcs8_der(P384).unwrap();
        let public = key.public_key();
        let parsed = der::parse_spki(&public.public).unwrap();
        assert_eq!(parsed.alg, KeyAlg::EcP384);
        assert!(matches!(key.sign(b"m"), Err(Error::Key(_))));
    }

    #[test]
    fn refuses_garbage() {
        assert!(matches!(PrivateKey::from_pkcs8_der(b"\x30\x03\x02\x01\x00"), Err(Error::Key(_))));
        assert!(matches!(PrivateKey::from_pkcs8_der(&[]), Err(Error::Key(_))));
        let mut broken = RSA_2048.to_vec();
        broken[200] ^= 0xff;
        assert!(PrivateKey::from_pkcs8_der(&broken).is_err());
    }

    /// An external signer for tests: ring cannot sign a digest, so it is told the
    /// message, checks that the digest it is handed is that message's, and signs the
    /// message (the same signature over the same digest).
    struct Fake {
        key: PrivateKey,
        public: PublicKey,
        message: Vec<u8>,
        der_signatures: bool,
    }

    impl ExternalSigner for Fake {
        fn public_key(&self) -> &PublicKey {
            &self.public
        }
        fn sign_sha256_digest(&self, digest: &[u8; 32]) -> Result<Vec<u8>, Error> {
            let expected = backend::digest::digest(&backend::digest::SHA256, &self.message);
            assert_eq!(digest.as_slice(), expected.as_ref(), "the digest is SHA-256 of the message");
            let (_, raw) = self.key.sign(&self.message)?;
            Ok(if self.der_signatures { der::ecdsa_raw_to_asn1(&raw) } else { raw })
        }
        fn location(&self) -> String {
            "pkcs11:token=test;object=fake".into()
        }
    }

    fn fake(message: &[u8], der_signatures: bool) -> (PrivateKey, PublicKey) {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let public = key.public_key();
        let external = PrivateKey::external(Box::new(Fake {
            key,
            public: public.clone(),
            message: message.to_vec(),
            der_signatures,
        }))
        .unwrap();
        (external, public)
    }

    #[test]
    fn external_keys_sign_as_notary_and_never_export() {
        let msg = b"{\"signed\":{}}";
        let (key, public) = fake(msg, false);
        assert_eq!(key.public_key(), public);
        assert!(key.is_ecdsa_p256());
        let (method, sig) = key.sign(msg).unwrap();
        assert_eq!((method, sig.len()), ("ecdsa", 64));
        default_provider().verify(&public, method, msg, &sig).unwrap();
        let copy = key.try_clone().unwrap();
        assert_eq!(copy.external_location().as_deref(), Some("pkcs11:token=test;object=fake"));
        let err = key.pkcs8_der().unwrap_err().to_string();
        assert!(err.contains("lives at pkcs11:token=test;object=fake") && err.contains("cannot be exported"), "{err}");
        assert!(format!("{key:?}").contains("pkcs11:token=test;object=fake"));

        // A signature in another form is refused before anyone sees it.
        let (der_key, _) = fake(msg, true);
        let err = der_key.sign(msg).unwrap_err().to_string();
        assert!(err.contains("does not verify"), "{err}");

        // Only ECDSA P-256.
        let ed = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
        let public = ed.public_key();
        let err = PrivateKey::external(Box::new(Fake { key: ed, public, message: Vec::new(), der_signatures: false }))
            .unwrap_err();
        assert!(err.to_string().contains("not an ECDSA P-256 key"), "{err}");
    }

    #[test]
    fn debug_hides_key_material() {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let text = format!("{key:?}");
        assert!(text.contains("ecdsa-p256") && text.contains(&key.public_key().tuf_id()), "{text}");
        let hex_der = hex::encode(key.pkcs8_der().unwrap());
        assert!(!text.contains(&hex_der[hex_der.len() - 40..]));
        assert!(!text.contains("pkcs8"));
    }
}
