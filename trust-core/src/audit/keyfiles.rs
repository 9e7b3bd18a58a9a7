//! Findings about the local key store (no I/O): how each key file is encrypted,
//! against SP 800-132, and who may read it.

use super::finding::{Finding, Location, Severity};
use super::report::{KeystoreReport, mode_string};
use super::rules;
use crate::keystore::KeyProtection;

/// The command that re-wraps a key file with stronger parameters.
pub const MIGRATE: &str = "trust key migrate";
/// SP 800-132 §5.1: at least 128 bits of salt.
const MIN_SALT_BYTES: usize = 16;
/// SP 800-132 §5.2: at least 1,000 iterations.
const MIN_ITERATIONS: u64 = 1000;

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// The findings about `store`'s key files.
pub(super) fn findings(store: &KeystoreReport, fips: bool) -> Vec<Finding> {
    let mut out = Vec::new();
    let weak = if fips { Severity::High } else { Severity::Medium };
    for key in &store.keys {
        let at = Location::File { path: key.path.clone() };
        let mut subject =
            format!("key file {} (role {}", short(&key.id), if key.role.is_empty() { "?" } else { &key.role });
        if let Some(gun) = &key.gun {
            subject.push_str(&format!(", {gun}"));
        }
        subject.push(')');
        let finding = |id, severity, message: String| Finding::new(id, severity, at.clone(), subject.clone(), message);
        match &key.protection {
            KeyProtection::Pbes2 { salt_len, iterations, .. } => {
                if *salt_len < MIN_SALT_BYTES {
                    let message = format!(
                        "{}: the salt is {} bits, SP 800-132 requires at least 128",
                        key.protection,
                        salt_len * 8
                    );
                    out.push(finding(rules::KEYFILE_SALT, Severity::conformance(fips), message).fix(MIGRATE));
                }
                if *iterations < MIN_ITERATIONS {
                    let message =
                        format!("{}: fewer than the {MIN_ITERATIONS} iterations SP 800-132 recommends", key.protection);
                    out.push(finding(rules::KEYFILE_KDF, weak, message).fix(MIGRATE));
                }
            }
            KeyProtection::LegacyPem { .. } | KeyProtection::Unsupported { .. } => {
                let message = format!("{}: not an approved password-based key derivation", key.protection);
                out.push(finding(rules::KEYFILE_SCHEME, weak, message).fix(MIGRATE));
            }
            KeyProtection::Unencrypted => {
                let message = "the private key is not encrypted: anyone who can read the file can sign".to_owned();
                out.push(finding(rules::KEYFILE_UNENCRYPTED, Severity::High, message).fix(MIGRATE));
            }
        }
        if let Some(mode) = key.mode.filter(|m| m & 0o077 != 0) {
            let message =
                format!("mode {} lets group or others reach the private key (0600 expected)", mode_string(mode));
            let fix = format!("chmod 600 {}", key.path.display());
            out.push(finding(rules::KEYFILE_PERMS, Severity::Medium, message).fix(fix));
        }
    }
    for path in &store.unreadable {
        let message = "a .key file that is not a readable private key (damaged, truncated, or not a key)".to_owned();
        let subject = format!("key file {}", path.display());
        let at = Location::File { path: path.clone() };
        out.push(Finding::new(rules::KEYFILE_UNREADABLE, Severity::Low, at, subject, message));
    }
    for token in &store.tokens {
        let message = format!(
            "the private key is on the PKCS#11 token {} and never leaves it; signing runs in that module, whose \
             FIPS 140-3 validation (if any) is its vendor's, not this build's",
            token.uri
        );
        let subject = format!("token key {} (role {})", short(&token.id), token.role);
        let at = Location::File { path: token.path.clone() };
        out.push(Finding::new(rules::KEY_TOKEN, Severity::Info, at, subject, message));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::report::KeyFileReport;
    use crate::keystore::Prf;

    fn store(protection: KeyProtection, mode: u32) -> KeystoreReport {
        KeystoreReport {
            directory: "/t/private".into(),
            keys: vec![KeyFileReport {
                id: "8aae49442f468f90224c".into(),
                role: "root".into(),
                gun: None,
                path: "/t/private/8aae49442f468f90224c.key".into(),
                protection,
                mode: Some(mode),
            }],
            unreadable: vec![],
            tokens: vec![],
        }
    }

    fn notary() -> KeyProtection {
        KeyProtection::Pbes2 { prf: Prf::HmacSha1, iterations: 2048, salt_len: 8, cipher: "AES-256-CBC".into() }
    }

    #[test]
    fn notary_key_files_have_a_short_salt() {
        let found = findings(&store(notary(), 0o600), true);
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert_eq!((f.id, f.severity, f.reference.as_str()), (rules::KEYFILE_SALT, Severity::High, "SP 800-132 §5.1"));
        assert_eq!(f.subject, "key file 8aae49442f46 (role root)");
        assert_eq!(
            f.message,
            "PBES2: PBKDF2-HMAC-SHA1, 2048 iterations, 8-byte salt, AES-256-CBC: the salt is 64 bits, SP 800-132 \
             requires at least 128"
        );
        assert_eq!(f.fix.as_deref(), Some("trust key migrate"));
        assert_eq!(findings(&store(notary(), 0o600), false)[0].severity, Severity::Low);
    }

    #[test]
    fn strong_parameters_pass_and_the_rest_is_flagged() {
        let strong = KeyProtection::Pbes2 {
            prf: Prf::HmacSha256,
            iterations: 600_000,
            salt_len: 16,
            cipher: "AES-256-CBC".into(),
        };
        assert!(findings(&store(strong, 0o600), true).is_empty());
        let ids = |p, mode| findings(&store(p, mode), false).iter().map(|f| (f.id, f.severity)).collect::<Vec<_>>();
        assert_eq!(
            ids(KeyProtection::Unencrypted, 0o644),
            [(rules::KEYFILE_UNENCRYPTED, Severity::High), (rules::KEYFILE_PERMS, Severity::Medium)]
        );
        assert_eq!(
            ids(KeyProtection::LegacyPem { cipher: "AES-256-CBC".into() }, 0o600),
            [(rules::KEYFILE_SCHEME, Severity::Medium)]
        );
        let few =
            KeyProtection::Pbes2 { prf: Prf::HmacSha1, iterations: 100, salt_len: 16, cipher: "AES-128-CBC".into() };
        assert_eq!(ids(few, 0o600), [(rules::KEYFILE_KDF, Severity::Medium)]);
    }
}
