//! Checking a certificate's signature with the crypto backend (ring, or aws-lc-rs in
//! the `fips` build), the algorithms x509-parser's `verify` feature accepts, so CA
//! chains verify on the same module as everything else.

use x509_parser::certificate::X509Certificate;
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo};

use crate::crypto::backend::signature::{self, UnparsedPublicKey, VerificationAlgorithm};

const SHA1_WITH_RSA: &str = "1.2.840.113549.1.1.5";
const SHA1_WITH_RSA_OIW: &str = "1.3.14.3.2.29";
const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";
const SHA384_WITH_RSA: &str = "1.2.840.113549.1.1.12";
const SHA512_WITH_RSA: &str = "1.2.840.113549.1.1.13";
const ECDSA_WITH_SHA256: &str = "1.2.840.10045.4.3.2";
const ECDSA_WITH_SHA384: &str = "1.2.840.10045.4.3.3";
const ED25519: &str = "1.3.101.112";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";

/// Whether `cert`'s signature verifies with `issuer_key` (`None`: its own key).
pub(super) fn verify_certificate(cert: &X509Certificate<'_>, issuer_key: Option<&SubjectPublicKeyInfo<'_>>) -> bool {
    let spki = issuer_key.unwrap_or_else(|| cert.public_key());
    let Some(algorithm) = algorithm(&cert.signature_algorithm, spki) else {
        return false;
    };
    UnparsedPublicKey::new(algorithm, &spki.subject_public_key.data)
        .verify(cert.tbs_certificate.as_ref(), &cert.signature_value.data)
        .is_ok()
}

/// The verification algorithm for a signature algorithm and the signer's key.
fn algorithm(
    signed_with: &AlgorithmIdentifier<'_>,
    spki: &SubjectPublicKeyInfo<'_>,
) -> Option<&'static dyn VerificationAlgorithm> {
    let curve = || {
        if spki.algorithm.algorithm.to_id_string() != EC_PUBLIC_KEY {
            return None;
        }
        spki.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok()).map(|oid| oid.to_id_string())
    };
    Some(match signed_with.algorithm.to_id_string().as_str() {
        SHA1_WITH_RSA | SHA1_WITH_RSA_OIW => &signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
        SHA256_WITH_RSA => &signature::RSA_PKCS1_2048_8192_SHA256,
        SHA384_WITH_RSA => &signature::RSA_PKCS1_2048_8192_SHA384,
        SHA512_WITH_RSA => &signature::RSA_PKCS1_2048_8192_SHA512,
        ECDSA_WITH_SHA256 => match curve()?.as_str() {
            P256 => &signature::ECDSA_P256_SHA256_ASN1,
            P384 => &signature::ECDSA_P384_SHA256_ASN1,
            _ => return None,
        },
        ECDSA_WITH_SHA384 => match curve()?.as_str() {
            P256 => &signature::ECDSA_P256_SHA384_ASN1,
            P384 => &signature::ECDSA_P384_SHA384_ASN1,
            _ => return None,
        },
        ED25519 => &signature::ED25519,
        _ => return None,
    })
}
