//! notary's per-certificate rules (`tuf/utils/x509.go` `ValidateCertificate`), shared
//! by the root-certificate check and trust pinning by CA.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

use super::Certificate;
use crate::der::{self, KeyAlg};

/// Notary accepts a root certificate whose NotBefore is up to a day in the future
/// (clock skew between the signer and the reader).
pub(super) const NOT_BEFORE_LEEWAY: TimeDelta = TimeDelta::days(1);

/// RFC 3339 in UTC with a `Z`, to the second.
pub(super) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The weak hash a signature algorithm uses, if any.
pub(super) fn weak_hash(signature_oid: &str) -> Option<&'static str> {
    match signature_oid {
        // sha1WithRSAEncryption, sha1WithRSASignature (OIW), dsa-with-sha1, ecdsa-with-SHA1
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" | "1.2.840.10040.4.3" | "1.2.840.10045.4.1" => Some("SHA-1"),
        "1.2.840.113549.1.1.4" => Some("MD5"),
        "1.2.840.113549.1.1.2" => Some("MD2"),
        _ => None,
    }
}

/// The key algorithm of the certificate's public key.
pub(super) fn key_alg(cert: &Certificate) -> KeyAlg {
    der::parse_spki(cert.spki_der()).map_or(KeyAlg::Other, |spki| spki.alg)
}

/// The rules every certificate notary trusts must meet: a sane validity window, no
/// SHA-1 (or MD5/MD2) signature, RSA keys of at least 2048 bits and, when `now` is
/// given, being valid at `now` (NotBefore may be up to `leeway` after `now`).
/// The error names the broken rule, without saying which certificate.
pub(super) fn validate(cert: &Certificate, now: Option<DateTime<Utc>>, leeway: TimeDelta) -> Result<(), String> {
    if cert.not_before() > cert.not_after() {
        return Err(format!(
            "has an invalid validity window: NotBefore {} is after NotAfter {}",
            rfc3339(cert.not_before()),
            rfc3339(cert.not_after())
        ));
    }
    if let Some(hash) = weak_hash(&cert.signature_oid) {
        return Err(format!("is signed with {hash}"));
    }
    if key_alg(cert) == KeyAlg::Rsa {
        let bits = der::parse_spki(cert.spki_der())
            .and_then(|spki| der::rsa_modulus_bits(spki.key))
            .ok_or_else(|| "has a malformed RSA public key".to_owned())?;
        if bits < 2048 {
            return Err(format!("has a {bits}-bit RSA key, at least 2048 bits are required"));
        }
    }
    if let Some(now) = now {
        if now > cert.not_after() {
            return Err(format!("expired on {}", rfc3339(cert.not_after())));
        }
        if cert.not_before() > now + leeway {
            return Err(format!("is not valid before {}", rfc3339(cert.not_before())));
        }
    }
    Ok(())
}
