//! Canonical key IDs (notary `tuf/utils/x509.go` `CanonicalKeyID`).
//!
//! A key's TUF ID ([`PublicKey::tuf_id`]) hashes its JSON form, so for certificate keys
//! it changes with the certificate. The canonical ID names the key pair instead: it is
//! what private key files are called, what `docker trust inspect` lists as signers and
//! what Docker EE pins as root keys.

use super::x509::Certificate;
use crate::Error;
use crate::wire::{KeyType, PublicKey};

/// Canonical key ID: for `ecdsa-x509`/`rsa-x509`, the TUF ID of the equivalent
/// `ecdsa`/`rsa` key made from the first certificate's SubjectPublicKeyInfo DER;
/// otherwise `key.tuf_id()`.
pub fn canonical_key_id(key: &PublicKey) -> Result<String, Error> {
    let plain = match key.keytype {
        KeyType::EcdsaX509 => KeyType::Ecdsa,
        KeyType::RsaX509 => KeyType::Rsa,
        _ => return Ok(key.tuf_id()),
    };
    let cert = Certificate::parse_first(&key.public)?;
    Ok(PublicKey::new(plain, cert.spki_der().to_vec()).tuf_id())
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, Utc};

    use super::*;
    use crate::crypto::signer::{KeyAlgorithm, PrivateKey};
    use crate::crypto::x509::make_root_certificate;

    #[test]
    fn generated_certificate() {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let now = Utc::now();
        let cert_key = make_root_certificate(&key, "example.com/app", now, now + TimeDelta::days(3650)).unwrap();
        let canonical = canonical_key_id(&cert_key).unwrap();
        assert_ne!(canonical, cert_key.tuf_id());
        // The SPKI in the certificate is the private key's public key as notary writes it.
        assert_eq!(canonical, key.public_key().tuf_id());
        let cert = Certificate::parse_first(&cert_key.public).unwrap();
        assert_eq!(canonical, PublicKey::new(KeyType::Ecdsa, cert.spki_der().to_vec()).tuf_id());
        assert_eq!(canonical.len(), 64);
    }

    #[test]
    fn plain_keys_use_the_tuf_id() {
        let key = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap().public_key();
        assert_eq!(canonical_key_id(&key).unwrap(), key.tuf_id());
        let unknown = PublicKey::new(KeyType::Unknown("foo".into()), vec![1, 2, 3]);
        assert_eq!(canonical_key_id(&unknown).unwrap(), unknown.tuf_id());
    }

    #[test]
    fn notary_fixture_root_key() {
        let key = crate::crypto::test_fixtures::notary03_root_key();
        assert_eq!(key.tuf_id(), "354e203ba09dbe17807b6a9d191bff887167c06d121e738d849446a9c76c2866");
        let canonical = canonical_key_id(&key).unwrap();
        assert_ne!(canonical, key.tuf_id());
        // notary names the root's private key file by this ID (notary fixture
        // private/root_keys/f4eaf871….key, client/backwards_compatibility_test.go).
        assert_eq!(canonical, "f4eaf871a74aa3b3a0ff95cef2455a1e4d461639f5625418e76756fc5c948690");
    }

    #[test]
    fn notary_fixture_rsa_delegation_key() {
        let bytes = crate::crypto::test_fixtures::notary03("targets.json");
        let env = crate::wire::Envelope::parse(&bytes).unwrap();
        let targets: crate::wire::Targets = serde_json::from_str(env.signed.get()).unwrap();
        let key = &targets.delegations.keys["68243a1f948be7841403f65fc8f24d5eda9050c337e727e2eacc3d3cb5227d73"];
        assert_eq!(key.keytype, KeyType::RsaX509);
        // The delegation's private key file is private/tuf_keys/fa842f66….key.
        assert_eq!(canonical_key_id(key).unwrap(), "fa842f66cac2dc898677a8660789dcff0e3b0b93b73f8952491f6493199936d3");
    }

    #[test]
    fn broken_certificate_is_an_error() {
        let key = PublicKey::new(
            KeyType::RsaX509,
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_vec(),
        );
        assert!(canonical_key_id(&key).is_err());
    }
}
