//! X.509 root certificates and public key files: PEM bundles
//! (`Certificate::parse_pem_bundle`), notary's root-certificate rules
//! (`check_root_certificate`), trust pinning by CA (`check_chains_to_ca`), canonical
//! key IDs, signer public key files (`public_pem::parse`), and the DER
//! SubjectPublicKeyInfo reader behind signature verification.
//!
//! Input: one flags byte, then the bytes. No panic; and:
//! - a public key file that parses holds a key that verification can take without
//!   panicking, and whose canonical key ID is stable;
//! - a root certificate accepted for a GUN names that GUN (its CN matches);
//! - a root certificate accepted with expiry checks is also accepted without them.

#![no_main]

use chrono::{DateTime, TimeDelta, Utc};
use libfuzzer_sys::fuzz_target;
use trust_tuf::crypto::default_provider;
use trust_tuf::crypto::keyid::canonical_key_id;
use trust_tuf::crypto::public_pem;
use trust_tuf::crypto::x509::{Certificate, check_chains_to_ca, check_root_certificate};
use trust_tuf::wire::{KeyType, PublicKey};

/// The fixtures' capture time: their certificates are valid then.
fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T00:55:37Z").unwrap().with_timezone(&Utc)
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, data)) = data.split_first() else {
        return;
    };
    let now = now() + TimeDelta::days(i64::from(flags >> 4) * 365 - 4 * 365);

    // Signer public key files.
    if let Ok(key) = public_pem::parse(data) {
        let id = canonical_key_id(&key);
        assert_eq!(id.as_ref().ok(), canonical_key_id(&key).as_ref().ok(), "canonical key ID is not stable");
        for method in ["ecdsa", "rsapss", "rsapkcs1v15", "eddsa"] {
            let _ = default_provider().verify(&key, method, b"message", &[0u8; 64]);
        }
    }

    // The bytes as a DER public key of each type (what metadata carries), through
    // the verifier's SubjectPublicKeyInfo reader.
    let keytype = match flags & 0x07 {
        0 => KeyType::Ecdsa,
        1 => KeyType::Rsa,
        2 => KeyType::Ed25519,
        3 => KeyType::RsaX509,
        _ => KeyType::EcdsaX509,
    };
    let key = PublicKey::new(keytype, data.to_vec());
    let method = if flags & 0x08 == 0 { "ecdsa" } else { "rsapss" };
    let _ = default_provider().verify(&key, method, b"message", &[1u8; 64]);
    let _ = canonical_key_id(&key);

    // Certificates.
    let Ok(certs) = Certificate::parse_pem_bundle(data) else {
        return;
    };
    for cert in &certs {
        let _ = (cert.common_name(), cert.not_before(), cert.not_after(), cert.is_ca(), cert.spki_der(), cert.der());
    }
    let gun = certs[0].common_name().unwrap_or("localhost:5000/interop/docker-signers").to_owned();
    for keytype in [KeyType::EcdsaX509, KeyType::RsaX509] {
        let key = PublicKey::new(keytype, data.to_vec());
        let strict = check_root_certificate(&key, &gun, now, true);
        let lenient = check_root_certificate(&key, &gun, now, false);
        if strict.is_ok() {
            assert!(lenient.is_ok(), "accepted with expiry checks but refused without");
        }
        if lenient.is_ok() {
            let cn = certs[0].common_name().expect("accepted a root certificate without a CN");
            let prefix = cn.trim_end_matches('*');
            assert!(cn == gun || (cn.ends_with('*') && gun.starts_with(prefix)), "CN {cn:?} accepted for {gun:?}");
            // The canonical key ID of an accepted root key is the TUF ID of its SPKI.
            let id = canonical_key_id(&key).expect("accepted root key has no canonical ID");
            let plain = if key.keytype == KeyType::EcdsaX509 { KeyType::Ecdsa } else { KeyType::Rsa };
            assert_eq!(id, PublicKey::new(plain, certs[0].spki_der().to_vec()).tuf_id());
            // A different GUN is refused unless the CN is a wildcard.
            if !cn.ends_with('*') {
                assert!(check_root_certificate(&key, &format!("{gun}x"), now, false).is_err());
            }
        }
        // The bundle as its own CA pin.
        let _ = check_chains_to_ca(&key, data, now);
    }
});
