//! A small hand-made report for the renderers' tests.

use chrono::{DateTime, Utc};

use crate::audit::report::{CertReport, KeyFileReport, KeyReport, KeystoreReport, RepoReport, RoleReport, RoleStatus};
use crate::audit::{Finding, Header, Location, Report, Severity, SignatureReport, rules};
use crate::keystore::{KeyProtection, Prf};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).map(|t| t.to_utc()).unwrap_or_default()
}

const GUN: &str = "registry.example.com/team/app";
const TS_KEY: &str = "4782558980f4cbbfa203ba722bb3753ca2e823fef71a46924adbccfd8af95ed7";
const ROOT_KEY: &str = "1c43d5265ff34b36fc298399bca7852591349b931902be837b901a1ed2a7515c";

fn role(name: &str, key: KeyReport, method: &str, fips_ok: bool) -> RoleReport {
    RoleReport {
        role: name.into(),
        status: RoleStatus::Verified,
        problem: None,
        version: Some(2),
        expires: Some(at("2036-11-20T00:55:35Z")),
        days_left: Some(3649),
        threshold: 1,
        signatures: vec![SignatureReport {
            keyid: key.id.clone(),
            method: method.into(),
            role_key: true,
            verifies: true,
            verifies_fips: fips_ok,
            error: None,
        }],
        keys: vec![key],
        valid_signatures: 1,
        fips_valid_signatures: usize::from(fips_ok),
        hashes: if name == "timestamp" { vec!["sha256".into(), "sha512".into()] } else { vec![] },
        paths: vec![],
    }
}

/// A FIPS-mode report: one repository whose timestamp key is Ed25519, a key store
/// with one notary key file of mode 0644 (`a|b` in its path, for escaping).
pub(crate) fn report() -> Report {
    let root_key = KeyReport {
        id: ROOT_KEY.into(),
        keytype: "ecdsa-x509".into(),
        algorithm: Some("ECDSA P-256".into()),
        approved: true,
        refusal: None,
        server_managed: false,
        certificate: Some(CertReport {
            common_name: Some(GUN.into()),
            signature_algorithm: "ecdsa-with-SHA256".into(),
            not_before: at("2026-11-23T00:55:35Z"),
            not_after: at("2036-11-23T00:55:35Z"),
            days_left: 3650,
        }),
    };
    let ts_key = KeyReport {
        id: TS_KEY.into(),
        keytype: "ed25519".into(),
        algorithm: Some("Ed25519".into()),
        approved: false,
        refusal: Some("Ed25519 is not accepted in FIPS mode".into()),
        server_managed: true,
        certificate: None,
    };
    let repo = RepoReport {
        repository: GUN.into(),
        server: "https://notary.example.com".into(),
        error: None,
        roles: vec![role("root", root_key, "ecdsa", true), role("timestamp", ts_key, "eddsa", false)],
        warnings: vec![],
        timestamp_expires: None,
        timestamp_resigned_by_server: None,
    };
    let key_path = "/home/ci/.docker/trust/private/a|b 8aae49442f46.key";
    let keystore = KeystoreReport {
        directory: "/home/ci/.docker/trust/private".into(),
        keys: vec![KeyFileReport {
            id: "8aae49442f468f90224c8d079239ebdd0d08385318e45d31919a780306a035a5".into(),
            role: "root".into(),
            gun: None,
            path: key_path.into(),
            protection: KeyProtection::Pbes2 {
                prf: Prf::HmacSha1,
                iterations: 2048,
                salt_len: 8,
                cipher: "AES-256-CBC".into(),
            },
            mode: Some(0o644),
        }],
        unreadable: vec![],
        tokens: vec![],
    };
    let findings = vec![
        Finding::new(
            rules::THRESHOLD,
            Severity::Info,
            Location::repository(GUN, Some("root"), None),
            format!("{GUN} role root"),
            "threshold 1: one root key can sign a new root alone".into(),
        ),
        Finding::new(
            rules::FIPS_ALG,
            Severity::High,
            Location::repository(GUN, Some("timestamp"), Some(TS_KEY)),
            format!("{GUN} role timestamp key 4782558980f4"),
            "Ed25519 key, held by the trust server: Ed25519 is not accepted in FIPS mode".into(),
        )
        .reference("FIPS 186-5 §7")
        .fix("notary key rotate registry.example.com/team/app timestamp -r"),
        Finding::new(
            rules::KEYFILE_SALT,
            Severity::High,
            Location::File { path: key_path.into() },
            "key file 8aae49442f46 (role root)".into(),
            "the salt is 64 bits, SP 800-132 requires at least 128".into(),
        )
        .fix("trust key migrate"),
        Finding::new(
            rules::KEYFILE_PERMS,
            Severity::Medium,
            Location::File { path: key_path.into() },
            "key file 8aae49442f46 (role root)".into(),
            "mode 0644 lets group or others reach the private key (0600 expected)".into(),
        ),
        Finding::new(
            rules::FIPS_MODULE,
            Severity::Medium,
            Location::Host,
            "crypto module".into(),
            "ring | not validated".into(),
        ),
    ];
    let header = Header {
        tool: "trust".into(),
        version: "0.1.0".into(),
        crypto_module: "ring 0.17 (not a FIPS 140-3 validated module)".into(),
        fips_mode: true,
        fips_source: "on (--fips)".into(),
        time: at("2026-11-23T00:55:37Z"),
    };
    Report::new(header, vec![repo], Some(keystore), findings)
}
