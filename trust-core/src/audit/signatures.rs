//! Every signature on a role's file, checked one by one with and without FIPS mode's
//! restrictions (no I/O): which verify, and how many distinct role keys that makes.

use std::collections::BTreeMap;

use super::report::SignatureReport;
use trust_tuf::canonical;
use trust_tuf::crypto::{CryptoProvider, provider};
use trust_tuf::trusted::signatures::{Unusable, short, signing_key, tally};
use trust_tuf::wire::{Envelope, PublicKey};

/// The signatures of one file.
#[derive(Debug, Default)]
pub(super) struct Checked {
    /// One report per signature, in file order.
    pub(super) reports: Vec<SignatureReport>,
    /// Distinct role keys with a valid signature.
    pub(super) valid: usize,
    /// Distinct role keys with a signature valid in FIPS mode.
    pub(super) fips_valid: usize,
    /// Why role keys' signatures fail in FIPS mode (`key <id>: <reason>`).
    pub(super) fips_failures: Vec<String>,
}

/// Checks every signature of the metadata file `raw` against `keys`; those by keys
/// listed in `keyids` count toward the totals, once per key pair, counted by
/// verification's own rule ([`tally`]).
pub(super) fn check(raw: &[u8], keys: &BTreeMap<String, PublicKey>, keyids: &[String]) -> Result<Checked, String> {
    let envelope = Envelope::parse(raw).map_err(|e| format!("malformed metadata: {e}"))?;
    let message = canonical::canonicalize(envelope.signed.get().as_bytes()).map_err(|e| e.to_string())?;
    let (default, fips) = (provider(false), provider(true));
    let mut out = Checked::default();
    for sig in &envelope.signatures {
        let role_key = keyids.contains(&sig.keyid);
        let mut report = SignatureReport {
            keyid: sig.keyid.clone(),
            method: sig.method.clone(),
            role_key,
            verifies: false,
            verifies_fips: false,
            error: None,
        };
        let (key, _) = match signing_key(sig, keys) {
            Ok(found) => found,
            Err(problem) => {
                report.error = Some(match problem {
                    Unusable::UnknownKey => "signed by a key the metadata does not define".into(),
                    problem => format!("the key {problem}"),
                });
                out.reports.push(report);
                continue;
            }
        };
        let verify = |p: &dyn CryptoProvider| p.verify(key, &sig.method, &message, &sig.sig);
        match verify(default) {
            Ok(()) => report.verifies = true,
            Err(e) => report.error = Some(e.to_string()),
        }
        match verify(fips) {
            Ok(()) => report.verifies_fips = true,
            Err(e) => {
                if report.error.is_none() {
                    report.error = Some(format!("in FIPS mode: {e}"));
                }
                if role_key {
                    out.fips_failures.push(format!("key {}: {e}", short(&sig.keyid)));
                }
            }
        }
        if !role_key && report.error.is_none() {
            report.error = Some("not a key of this role (it does not count)".into());
        }
        out.reports.push(report);
    }
    out.valid = tally(&message, &envelope.signatures, keys, keyids, default).counted.len();
    out.fips_valid = tally(&message, &envelope.signatures, keys, keyids, fips).counted.len();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use trust_tuf::crypto::signer::{KeyAlgorithm, PrivateKey};
    use trust_tuf::wire::{Signature, write_envelope};

    fn signed_by(keys: &[&PrivateKey]) -> Vec<u8> {
        let body = br#"{"_type":"Targets","version":1}"#;
        let sigs: Vec<Signature> = keys
            .iter()
            .map(|k| {
                let (method, sig) = k.sign(body).unwrap();
                Signature { keyid: k.public_key().tuf_id(), method: method.into(), sig }
            })
            .collect();
        write_envelope(body, &sigs)
    }

    #[test]
    fn counts_with_and_without_fips() {
        let ec = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let ed = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
        let stranger = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let keys: BTreeMap<String, PublicKey> =
            [&ec, &ed, &stranger].iter().map(|k| (k.public_key().tuf_id(), k.public_key())).collect();
        let ids = vec![ec.public_key().tuf_id(), ed.public_key().tuf_id()];
        let raw = signed_by(&[&ec, &ed, &stranger, &ec]);
        let checked = check(&raw, &keys, &ids).unwrap();
        assert_eq!((checked.valid, checked.fips_valid), (2, 1));
        assert_eq!(checked.reports.len(), 4);
        let ed_report = &checked.reports[1];
        assert_eq!((ed_report.method.as_str(), ed_report.verifies, ed_report.verifies_fips), ("eddsa", true, false));
        assert!(ed_report.error.as_deref().unwrap().contains("Ed25519 key refused in FIPS mode"));
        assert_eq!(checked.fips_failures.len(), 1);
        assert!(!checked.reports[2].role_key && checked.reports[2].verifies);

        let mut tampered = raw.clone();
        let at = tampered.windows(1).position(|w| w == b"1").unwrap();
        tampered[at] = b'2';
        let checked = check(&tampered, &keys, &ids).unwrap();
        assert_eq!((checked.valid, checked.fips_valid), (0, 0));
        assert_eq!(checked.reports[0].error.as_deref(), Some("invalid signature"));
    }
}
