//! Private keys that sign, backed by ring.

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

/// The ring key pair behind a [`PrivateKey`].
enum Pair {
    EcdsaP256(EcdsaKeyPair),
    /// Loaded for its public key only: notary signs P-384 over SHA-256, which ring
    /// cannot.
    EcdsaP384,
    Ed25519(Ed25519KeyPair),
    Rsa(RsaKeyPair),
}

/// A private signing key. The PKCS#8 DER it was made from is zeroized on drop; ring's
/// own copy of the key material is outside this crate's control. `Debug` shows the
/// algorithm and the public key ID only.
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

    /// The PKCS#8 DER of this key.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The public key in notary's form: ecdsa/rsa = SPKI DER, ed25519 = raw 32 bytes.
    pub fn public_key(&self) -> PublicKey {
        self.public.clone()
    }

    /// True for ECDSA P-256 keys (the only kind root certificates are made with).
    pub(crate) fn is_ecdsa_p256(&self) -> bool {
        matches!(self.pair, Pair::EcdsaP256(_))
    }

    fn algorithm_name(&self) -> &'static str {
        match self.pair {
            Pair::EcdsaP256(_) => "ecdsa-p256",
            Pair::EcdsaP384 => "ecdsa-p384",
            Pair::Ed25519(_) => "ed25519",
            Pair::Rsa(_) => "rsa",
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
        f.debug_struct("PrivateKey")
            .field("algorithm", &self.algorithm_name())
            .field("public_key_id", &self.public.tuf_id())
            .finish_non_exhaustive()
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
        let again = PrivateKey::from_pkcs8_der(key.pkcs8_der()).unwrap();
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

    #[test]
    fn debug_hides_key_material() {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let text = format!("{key:?}");
        assert!(text.contains("ecdsa-p256") && text.contains(&key.public_key().tuf_id()), "{text}");
        let hex_der = hex::encode(key.pkcs8_der());
        assert!(!text.contains(&hex_der[hex_der.len() - 40..]));
        assert!(!text.contains("pkcs8"));
    }
}
