//! Trust pinning by CA (`trustpinning/trustpin.go` `caCheck`): the root key's leaf
//! certificate must chain to a pinned CA certificate.

use chrono::{DateTime, TimeDelta, Utc};

use super::Certificate;
use super::rules;
use crate::Error;
use crate::wire::PublicKey;

/// Longest chain searched (leaf, intermediates, CA).
const MAX_DEPTH: usize = 8;

fn fail(reason: impl Into<String>) -> Error {
    Error::verification("root", reason)
}

/// Certificates a chain may use, already checked against notary's rules at `now`.
struct Pool<'a> {
    roots: Vec<&'a Certificate>,
    intermediates: Vec<&'a Certificate>,
}

impl Pool<'_> {
    /// Depth-first search for a path from `cert` to a root. `below` counts the
    /// intermediates already between `cert` and the leaf, for path-length constraints.
    fn chains(&self, cert: &Certificate, below: usize, used: &mut Vec<usize>) -> bool {
        let fits = |ca: &Certificate| ca.max_path_len.is_none_or(|max| below <= max as usize);
        if self.roots.iter().any(|root| fits(root) && cert.signed_by(root)) {
            return true;
        }
        if used.len() + 2 >= MAX_DEPTH {
            return false;
        }
        for (i, int) in self.intermediates.iter().enumerate() {
            if used.contains(&i) || !fits(int) || !cert.signed_by(int) {
                continue;
            }
            used.push(i);
            if self.chains(int, below + 1, used) {
                return true;
            }
            used.pop();
        }
        false
    }
}

/// Trust pinning by CA: the root key's leaf (the first certificate of its PEM bundle,
/// which must not be a CA) must chain, through CA certificates from the same bundle,
/// to one of the certificates in `ca_pem`. Every signature on the path is checked;
/// every certificate on it must be valid at `now` and meet notary's rules (no SHA-1,
/// RSA ≥ 2048). Certificates of either bundle that break the rules are ignored, as
/// notary does; a leaf that is itself one of the pinned certificates is accepted, as
/// Go's `x509.Verify` does. Extended key usages are not checked.
///
/// A `ca_pem` that does not parse is [`Error::InvalidInput`]; every other failure is
/// [`Error::Verification`] for role `root`.
pub fn check_chains_to_ca(key: &PublicKey, ca_pem: &[u8], now: DateTime<Utc>) -> Result<(), Error> {
    if !key.keytype.is_x509() {
        return Err(fail(format!("root key type {} is not a certificate", key.keytype.as_str())));
    }
    let bundle = Certificate::parse_pem_bundle(&key.public)
        .map_err(|e| fail(format!("root certificate does not parse: {e}")))?;
    let cas =
        Certificate::parse_pem_bundle(ca_pem).map_err(|e| Error::InvalidInput(format!("pinned CA bundle: {e}")))?;

    let leaf = &bundle[0];
    if leaf.is_ca() {
        return Err(fail("root certificate is a CA certificate, expected a leaf certificate first"));
    }
    let strict = |cert: &&Certificate| rules::validate(cert, Some(now), TimeDelta::zero()).is_ok();
    rules::validate(leaf, Some(now), TimeDelta::zero()).map_err(|rule| fail(format!("root certificate {rule}")))?;

    let roots: Vec<&Certificate> = cas.iter().filter(strict).collect();
    if roots.is_empty() {
        return Err(fail("the pinned CA bundle holds no currently valid certificate"));
    }
    if roots.iter().any(|root| root.der() == leaf.der()) {
        return Ok(());
    }
    let intermediates = bundle[1..].iter().filter(|c| c.is_ca()).filter(strict).collect();
    let pool = Pool { roots, intermediates };
    if pool.chains(leaf, 0, &mut Vec::new()) {
        Ok(())
    } else {
        Err(fail("root certificate does not chain to a pinned CA certificate"))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_certs::{self, CertSpec};
    use super::*;
    use crate::wire::KeyType;

    fn bundle_key(pems: &[&str]) -> PublicKey {
        PublicKey::new(KeyType::EcdsaX509, pems.concat().into_bytes())
    }

    fn reason(result: Result<(), Error>) -> String {
        match result {
            Err(Error::Verification { role, reason }) if role == "root" => reason,
            other => panic!("expected a root verification error, got {other:?}"),
        }
    }

    #[test]
    fn leaf_signed_by_ca() {
        let ca = test_certs::make(&CertSpec::ca("Example Root CA"));
        let leaf = test_certs::issue(&CertSpec::leaf("example.com/app"), &ca);
        check_chains_to_ca(&bundle_key(&[&leaf.pem]), ca.pem.as_bytes(), Utc::now()).unwrap();

        // Another CA with the same name but a different key: the signature decides.
        let impostor = test_certs::make(&CertSpec::ca("Example Root CA"));
        let why = reason(check_chains_to_ca(&bundle_key(&[&leaf.pem]), impostor.pem.as_bytes(), Utc::now()));
        assert_eq!(why, "root certificate does not chain to a pinned CA certificate");

        // A bundle of several CAs works when one of them signed the leaf.
        let both = format!("{}{}", impostor.pem, ca.pem);
        check_chains_to_ca(&bundle_key(&[&leaf.pem]), both.as_bytes(), Utc::now()).unwrap();
    }

    #[test]
    fn through_an_intermediate_from_the_root_key_bundle() {
        let ca = test_certs::make(&CertSpec::ca("Example Root CA"));
        let int = test_certs::issue(&CertSpec::ca("Example Intermediate"), &ca);
        let leaf = test_certs::issue(&CertSpec::leaf("example.com/app"), &int);
        check_chains_to_ca(&bundle_key(&[&leaf.pem, &int.pem]), ca.pem.as_bytes(), Utc::now()).unwrap();
        // Without the intermediate there is no path.
        let why = reason(check_chains_to_ca(&bundle_key(&[&leaf.pem]), ca.pem.as_bytes(), Utc::now()));
        assert!(why.contains("does not chain"), "{why}");
    }

    #[test]
    fn self_signed_leaf_does_not_chain() {
        let ca = test_certs::make(&CertSpec::ca("Example Root CA"));
        let leaf = test_certs::make(&CertSpec::leaf("example.com/app"));
        let why = reason(check_chains_to_ca(&bundle_key(&[&leaf.pem]), ca.pem.as_bytes(), Utc::now()));
        assert!(why.contains("does not chain"), "{why}");
    }

    #[test]
    fn validity_is_checked_at_now() {
        let ca = test_certs::make(&CertSpec::ca("Example Root CA"));
        let leaf = test_certs::issue(&CertSpec::leaf("example.com/app"), &ca);
        let later = leaf.spec.not_after + TimeDelta::days(1);
        let why = reason(check_chains_to_ca(&bundle_key(&[&leaf.pem]), ca.pem.as_bytes(), later));
        assert!(why.starts_with("root certificate expired on"), "{why}");

        let mut old = CertSpec::ca("Old Root CA");
        old.not_before = Utc::now() - TimeDelta::days(30);
        old.not_after = Utc::now() - TimeDelta::days(1);
        let old_ca = test_certs::make(&old);
        let leaf = test_certs::issue(&CertSpec::leaf("example.com/app"), &old_ca);
        let why = reason(check_chains_to_ca(&bundle_key(&[&leaf.pem]), old_ca.pem.as_bytes(), Utc::now()));
        assert_eq!(why, "the pinned CA bundle holds no currently valid certificate");
    }

    #[test]
    fn leaf_that_is_a_ca_is_refused() {
        let ca = test_certs::make(&CertSpec::ca("Example Root CA"));
        let int = test_certs::issue(&CertSpec::ca("Example Intermediate"), &ca);
        let why = reason(check_chains_to_ca(&bundle_key(&[&int.pem]), ca.pem.as_bytes(), Utc::now()));
        assert!(why.contains("is a CA certificate"), "{why}");
    }

    #[test]
    fn unparsable_ca_bundle_is_invalid_input() {
        let leaf = test_certs::make(&CertSpec::leaf("example.com/app"));
        let err = check_chains_to_ca(&bundle_key(&[&leaf.pem]), b"nope", Utc::now()).unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    }
}
