//! notary's rules for the certificate of a root key (`trustpinning/certs.go`).

use chrono::{DateTime, Utc};

use super::Certificate;
use super::rules::{self, NOT_BEFORE_LEEWAY};
use crate::Error;
use crate::der::KeyAlg;
use crate::wire::{KeyType, PublicKey};

fn fail(reason: impl Into<String>) -> Error {
    Error::verification("root", reason)
}

/// notary's `MatchCNToGun`: equal, or a CN ending in `*` whose prefix starts the GUN.
fn cn_matches(cn: &str, gun: &str) -> bool {
    match cn.strip_suffix('*') {
        // Go trims every trailing `*` (strings.TrimRight).
        Some(_) => gun.starts_with(cn.trim_end_matches('*')),
        None => cn == gun,
    }
}

/// notary's leaf rules for a root key (`trustpinning/certs.go`): the key is
/// `ecdsa-x509`/`rsa-x509`, its PEM parses, the first certificate is the bundle's only
/// non-CA (leaf) certificate and holds a key of the declared type; CN == `gun`, or CN
/// ends in `*` and `gun` starts with CN minus the `*`; NotBefore ≤ NotAfter; not signed
/// with SHA-1; RSA ≥ 2048 bits; and when `check_expiry`, `now` ≤ NotAfter and
/// NotBefore ≤ `now` + 1 day (notary's leeway for clock skew).
///
/// Errors are [`Error::Verification`] with role `root` and a reason naming the rule,
/// e.g. `root certificate CN "x" does not match repository "y"`,
/// `root certificate expired on 2020-01-01T00:00:00Z`.
pub fn check_root_certificate(key: &PublicKey, gun: &str, now: DateTime<Utc>, check_expiry: bool) -> Result<(), Error> {
    let wanted: fn(KeyAlg) -> bool = match key.keytype {
        KeyType::EcdsaX509 => |alg| matches!(alg, KeyAlg::EcP256 | KeyAlg::EcP384 | KeyAlg::EcOther),
        KeyType::RsaX509 => |alg| alg == KeyAlg::Rsa,
        _ => {
            return Err(fail(format!(
                "root key type {} is not a certificate (ecdsa-x509 or rsa-x509)",
                key.keytype.as_str()
            )));
        }
    };
    let certs = Certificate::parse_pem_bundle(&key.public)
        .map_err(|e| fail(format!("root certificate does not parse: {e}")))?;
    let leaf = &certs[0];
    if leaf.is_ca() {
        return Err(fail("root certificate is a CA certificate, expected a leaf certificate first"));
    }
    let leaves = certs.iter().filter(|c| !c.is_ca()).count();
    if leaves != 1 {
        return Err(fail(format!("root certificate bundle holds {leaves} leaf certificates, expected 1")));
    }
    if !wanted(rules::key_alg(leaf)) {
        return Err(fail(format!("root certificate does not hold the key its type {} declares", key.keytype.as_str())));
    }
    match leaf.common_name() {
        Some(cn) if cn_matches(cn, gun) => {}
        Some(cn) => {
            return Err(fail(format!("root certificate CN {cn:?} does not match repository {gun:?}")));
        }
        None => {
            return Err(fail(format!("root certificate has no CN, expected {gun:?}")));
        }
    }
    let now = check_expiry.then_some(now);
    rules::validate(leaf, now, NOT_BEFORE_LEEWAY).map_err(|rule| fail(format!("root certificate {rule}")))
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::super::test_certs::{self, CertSpec};
    use super::*;
    use crate::Error;

    fn now() -> DateTime<Utc> {
        Utc::now()
    }

    fn reason(result: Result<(), Error>) -> String {
        match result {
            Err(Error::Verification { role, reason }) => {
                assert_eq!(role, "root");
                reason
            }
            other => panic!("expected a root verification error, got {other:?}"),
        }
    }

    fn key_for(spec: CertSpec) -> PublicKey {
        PublicKey::new(KeyType::EcdsaX509, test_certs::make(&spec).pem.into_bytes())
    }

    #[test]
    fn cn_matching() {
        assert!(cn_matches("docker.io/library/alpine", "docker.io/library/alpine"));
        assert!(!cn_matches("docker.io/library/alpine", "docker.io/library/alpine2"));
        assert!(cn_matches("docker.io/library/*", "docker.io/library/alpine"));
        assert!(cn_matches("docker.io/*", "docker.io/library/alpine"));
        assert!(!cn_matches("quay.io/*", "docker.io/library/alpine"));
        assert!(cn_matches("*", "anything"));
        assert!(!cn_matches("docker.io/library/alpine*x", "docker.io/library/alpine"));
    }

    #[test]
    fn accepts_a_notary_style_root() {
        let key = key_for(CertSpec::leaf("example.com/app"));
        check_root_certificate(&key, "example.com/app", now(), true).unwrap();
    }

    #[test]
    fn cn_mismatch() {
        let key = key_for(CertSpec::leaf("example.com/other"));
        let why = reason(check_root_certificate(&key, "example.com/app", now(), true));
        assert_eq!(why, r#"root certificate CN "example.com/other" does not match repository "example.com/app""#);
    }

    #[test]
    fn wildcard_cn() {
        let key = key_for(CertSpec::leaf("example.com/*"));
        check_root_certificate(&key, "example.com/app", now(), true).unwrap();
        let why = reason(check_root_certificate(&key, "other.com/app", now(), true));
        assert!(why.contains("does not match"), "{why}");
    }

    #[test]
    fn expired() {
        let mut spec = CertSpec::leaf("example.com/app");
        spec.not_before = now() - TimeDelta::days(400);
        spec.not_after = now() - TimeDelta::days(10);
        let key = key_for(spec.clone());
        let why = reason(check_root_certificate(&key, "example.com/app", now(), true));
        let expected_date = rules::rfc3339(spec.not_after);
        assert_eq!(why, format!("root certificate expired on {expected_date}"));
        // Old roots are checked without expiry.
        check_root_certificate(&key, "example.com/app", now(), false).unwrap();
    }

    #[test]
    fn not_yet_valid() {
        let mut spec = CertSpec::leaf("example.com/app");
        spec.not_before = now() + TimeDelta::days(3);
        spec.not_after = now() + TimeDelta::days(400);
        let key = key_for(spec);
        let why = reason(check_root_certificate(&key, "example.com/app", now(), true));
        assert!(why.starts_with("root certificate is not valid before "), "{why}");

        // Within notary's one-day leeway.
        let mut spec = CertSpec::leaf("example.com/app");
        spec.not_before = now() + TimeDelta::hours(12);
        check_root_certificate(&key_for(spec), "example.com/app", now(), true).unwrap();
    }

    #[test]
    fn inverted_validity_window() {
        let mut spec = CertSpec::leaf("example.com/app");
        spec.not_before = now() + TimeDelta::days(10);
        spec.not_after = now() - TimeDelta::days(10);
        let why = reason(check_root_certificate(&key_for(spec), "example.com/app", now(), false));
        assert!(why.contains("invalid validity window"), "{why}");
    }

    #[test]
    fn ca_certificate_as_leaf() {
        let mut spec = CertSpec::leaf("example.com/app");
        spec.ca = true;
        let why = reason(check_root_certificate(&key_for(spec), "example.com/app", now(), true));
        assert!(why.contains("is a CA certificate"), "{why}");
    }

    #[test]
    fn two_leaves_in_bundle() {
        let a = test_certs::make(&CertSpec::leaf("example.com/app")).pem;
        let b = test_certs::make(&CertSpec::leaf("example.com/app")).pem;
        let key = PublicKey::new(KeyType::EcdsaX509, format!("{a}{b}").into_bytes());
        let why = reason(check_root_certificate(&key, "example.com/app", now(), true));
        assert!(why.contains("holds 2 leaf certificates"), "{why}");
    }

    #[test]
    fn sha1_signed() {
        // openssl req -x509 -sha1 with a P-256 key, CN=example.com/sha1, CA:FALSE.
        let pem = include_str!("../testdata/sha1.crt");
        let key = PublicKey::new(KeyType::EcdsaX509, pem.as_bytes().to_vec());
        let why = reason(check_root_certificate(&key, "example.com/sha1", now(), false));
        assert_eq!(why, "root certificate is signed with SHA-1");
    }

    #[test]
    fn rsa_certificates() {
        let pem = include_str!("../testdata/rsa2048.crt");
        let key = PublicKey::new(KeyType::RsaX509, pem.as_bytes().to_vec());
        check_root_certificate(&key, "example.com/rsa", now(), true).unwrap();

        let pem = include_str!("../testdata/rsa1024.crt");
        let key = PublicKey::new(KeyType::RsaX509, pem.as_bytes().to_vec());
        let why = reason(check_root_certificate(&key, "example.com/rsa1024", now(), true));
        assert_eq!(why, "root certificate has a 1024-bit RSA key, at least 2048 bits are required");
    }

    #[test]
    fn declared_type_must_match_certificate() {
        let pem = include_str!("../testdata/rsa2048.crt");
        let key = PublicKey::new(KeyType::EcdsaX509, pem.as_bytes().to_vec());
        let why = reason(check_root_certificate(&key, "example.com/rsa", now(), true));
        assert!(why.contains("does not hold the key"), "{why}");
    }

    #[test]
    fn non_x509_root_key() {
        let key = crate::crypto::signer::PrivateKey::generate(crate::crypto::signer::KeyAlgorithm::EcdsaP256)
            .unwrap()
            .public_key();
        let why = reason(check_root_certificate(&key, "example.com/app", now(), true));
        assert_eq!(why, "root key type ecdsa is not a certificate (ecdsa-x509 or rsa-x509)");

        let garbage = PublicKey::new(KeyType::EcdsaX509, b"not a certificate".to_vec());
        let why = reason(check_root_certificate(&garbage, "example.com/app", now(), true));
        assert!(why.starts_with("root certificate does not parse"), "{why}");
    }

    #[test]
    fn notary_fixture_root_certificate() {
        let key = crate::crypto::test_fixtures::notary03_root_key();
        let gun = "docker.com/notary0.3/tst";
        let during = DateTime::parse_from_rfc3339("2020-01-01T00:00:00Z").unwrap().with_timezone(&Utc);
        check_root_certificate(&key, gun, during, true).unwrap();
        // Issued 2016-07-27 for ten years.
        let after = DateTime::parse_from_rfc3339("2026-08-01T00:00:00Z").unwrap().with_timezone(&Utc);
        let why = reason(check_root_certificate(&key, gun, after, true));
        assert!(why.starts_with("root certificate expired on 2026-07-25T"), "{why}");
        check_root_certificate(&key, gun, after, false).unwrap();
        let why = reason(check_root_certificate(&key, "docker.com/notary0.3/other", during, true));
        assert!(why.contains("does not match"), "{why}");
    }
}
