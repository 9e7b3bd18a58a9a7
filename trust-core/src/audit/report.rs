//! What an audit found, as data: the header, per-repository and key-store details,
//! the findings and their counts. The renderers turn a [`Report`] into text, JSON,
//! Markdown or SARIF.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::finding::{Finding, Severity};
use crate::keystore::KeyProtection;

/// Who audited, with what, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Header {
    /// `trust`.
    pub tool: String,
    /// The tool's version.
    pub version: String,
    /// The cryptographic module ([`trust_tuf::crypto::MODULE`]).
    pub crypto_module: String,
    /// FIPS mode was on.
    pub fips_mode: bool,
    /// FIPS mode and what decided it, e.g. `on (--fips)`.
    pub fips_source: String,
    /// The time the audit checked expiries against.
    pub time: DateTime<Utc>,
}

/// A root certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertReport {
    /// The subject's common name.
    pub common_name: Option<String>,
    /// The signature algorithm, e.g. `ecdsa-with-SHA256`.
    pub signature_algorithm: String,
    /// Start of validity.
    pub not_before: DateTime<Utc>,
    /// End of validity.
    pub not_after: DateTime<Utc>,
    /// Whole days from the audit time to the end of validity (negative when expired).
    pub days_left: i64,
}

/// One key of a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyReport {
    /// The TUF key ID.
    pub id: String,
    /// The `keytype` (`ecdsa-x509`, `ecdsa`, `ed25519`, `rsa`, ...).
    pub keytype: String,
    /// Algorithm and size (`ECDSA P-256`, `RSA-2048`, `Ed25519`); None when unreadable.
    pub algorithm: Option<String>,
    /// FIPS mode accepts the key.
    pub approved: bool,
    /// Why FIPS mode does not accept it (or why it cannot be read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// Held by the trust server (timestamp keys; snapshot keys not in the local store).
    pub server_managed: bool,
    /// The key's certificate, for `*-x509` keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertReport>,
}

/// One signature on a role's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureReport {
    /// The signing key's ID.
    pub keyid: String,
    /// The method (`ecdsa`, `eddsa`, `rsapss`, `rsapkcs1v15`).
    pub method: String,
    /// The key is one of the role's keys.
    pub role_key: bool,
    /// The signature verifies.
    pub verifies: bool,
    /// The signature verifies in FIPS mode (approved algorithms only).
    pub verifies_fips: bool,
    /// Why it does not verify (in FIPS mode, when it does otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The state of a role's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoleStatus {
    /// Verified.
    Verified,
    /// Declared (a delegation) but never published.
    NotPublished,
    /// Published but not trusted (expired or failed verification).
    NotTrusted,
}

/// One role of a repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleReport {
    /// `root`, `targets`, `snapshot`, `timestamp` or `targets/<name>`.
    pub role: String,
    /// The file's state.
    pub status: RoleStatus,
    /// Why it is not trusted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The file's version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// Its expiry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<DateTime<Utc>>,
    /// Whole days from the audit time to the expiry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_left: Option<i64>,
    /// Distinct keys that must sign.
    pub threshold: u64,
    /// The role's keys.
    pub keys: Vec<KeyReport>,
    /// The file's signatures.
    pub signatures: Vec<SignatureReport>,
    /// Distinct role keys with a valid signature.
    pub valid_signatures: usize,
    /// Distinct role keys with a signature valid in FIPS mode.
    pub fips_valid_signatures: usize,
    /// Hash algorithms the file uses to pin other files or targets.
    pub hashes: Vec<String>,
    /// Paths a delegation may sign (`""` = everything).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
}

/// One repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepoReport {
    /// The repository (GUN).
    pub repository: String,
    /// The trust server.
    pub server: String,
    /// Why it could not be audited (the roles are then empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Its roles: root, targets, snapshot, timestamp, then delegations in walk order.
    pub roles: Vec<RoleReport>,
    /// Warnings from the update (offline fallback, expired delegations).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// When the timestamp expires (as in its role's entry): the repository stops
    /// verifying then unless it is re-signed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp_expires: Option<DateTime<Utc>>,
    /// Whether a trust server re-signs the timestamp before it expires (a
    /// notary-server); `false` on the registry store and the file remote, where
    /// `trust timestamp refresh` must.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp_resigned_by_server: Option<bool>,
}

/// One key file of the local key store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyFileReport {
    /// The canonical key ID (the file name).
    pub id: String,
    /// The role from the file's header (or its place).
    pub role: String,
    /// The repository from the file's header, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gun: Option<String>,
    /// The file.
    pub path: PathBuf,
    /// How it is encrypted.
    pub protection: KeyProtection,
    /// The file's permission bits (Unix); serialized in octal, e.g. `"0600"`.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "octal")]
    pub mode: Option<u32>,
}

/// A file mode as `ls` and `chmod` write it: `0600`.
pub fn mode_string(mode: u32) -> String {
    format!("{:04o}", mode & 0o7777)
}

fn octal<S: serde::Serializer>(mode: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
    match mode {
        Some(m) => s.serialize_str(&mode_string(*m)),
        None => s.serialize_none(),
    }
}

/// The local key store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeystoreReport {
    /// `<trust dir>/private`.
    pub directory: PathBuf,
    /// Its key files, by ID.
    pub keys: Vec<KeyFileReport>,
    /// `.key` files that are not readable keys.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<PathBuf>,
    /// Keys on PKCS#11 tokens the trust directory records, by ID.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<TokenKeyReport>,
}

/// One key on a PKCS#11 token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenKeyReport {
    /// The canonical key ID.
    pub id: String,
    /// The key's role.
    pub role: String,
    /// The token URI (no PIN).
    pub uri: String,
    /// The record in the trust directory.
    pub path: PathBuf,
}

/// Findings by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Critical findings.
    pub critical: usize,
    /// High findings.
    pub high: usize,
    /// Medium findings.
    pub medium: usize,
    /// Low findings.
    pub low: usize,
    /// Informational findings.
    pub info: usize,
}

impl Summary {
    /// Counts `findings`.
    pub fn of(findings: &[Finding]) -> Summary {
        let mut s = Summary::default();
        for f in findings {
            *match f.severity {
                Severity::Critical => &mut s.critical,
                Severity::High => &mut s.high,
                Severity::Medium => &mut s.medium,
                Severity::Low => &mut s.low,
                Severity::Info => &mut s.info,
            } += 1;
        }
        s
    }

    /// All findings.
    pub fn total(&self) -> usize {
        self.critical + self.high + self.medium + self.low + self.info
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} critical, {} high, {} medium, {} low, {} info",
            self.critical, self.high, self.medium, self.low, self.info
        )
    }
}

/// A whole audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Who, with what, when.
    pub header: Header,
    /// The repositories audited, in the order given.
    pub repositories: Vec<RepoReport>,
    /// The local key store, when audited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keystore: Option<KeystoreReport>,
    /// Every finding, most severe first (in the order found within a severity).
    pub findings: Vec<Finding>,
    /// Counts by severity.
    pub summary: Summary,
}

impl Report {
    /// A report of `findings` (sorted here, most severe first).
    pub fn new(
        header: Header,
        repositories: Vec<RepoReport>,
        keystore: Option<KeystoreReport>,
        mut findings: Vec<Finding>,
    ) -> Report {
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let summary = Summary::of(&findings);
        Report { header, repositories, keystore, findings, summary }
    }

    /// The most severe finding's severity.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// True when a finding is at or above `threshold` (`--fail-on`).
    pub fn fails(&self, threshold: Severity) -> bool {
        self.max_severity().is_some_and(|s| s >= threshold)
    }
}
