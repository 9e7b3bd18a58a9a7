//! `trust audit`: what a repository's verified trust data and the local key store use,
//! measured against FIPS 186-5, SP 800-131A r2 and SP 800-132, as findings with a
//! severity, a stable rule ID and a reference.
//!
//! A repository is verified without FIPS mode's restrictions (so that one which FIPS
//! mode would refuse can still be audited), then every role's keys and signatures are
//! checked again with approved algorithms only: roles that would not verify in FIPS
//! mode are findings (`TRUST-FIPS-ROLE`), not errors. In FIPS mode, non-approved
//! algorithms are high; outside it they are low, and still reported.
//!
//! - [`Audit`] gathers a [`Report`]: repositories ([`Audit::repository`], which loads
//!   every delegation through the client), repositories that could not be audited,
//!   and the key store ([`Audit::keystore`], headers only: nothing is decrypted).
//! - [`rules`] lists every rule; [`crate::output::audit`] writes a report as text, JSON, Markdown or
//!   SARIF 2.1.0.
//!
//! ```
//! use std::collections::HashSet;
//! use trust_core::audit::{Audit, AuditOptions, Severity, rules};
//! use trust_core::client::{Client, ClientOptions};
//! use trust_core::fips::FipsMode;
//! use trust_core::remote::{self, RemoteOptions};
//!
//! // A repository made by docker: notary-server signs its snapshot and timestamp with Ed25519.
//! let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/docker-signers/remote");
//! let remote = remote::open(&format!("file://{fixture}"), &RemoteOptions::default())?;
//! let now = chrono::DateTime::parse_from_rfc3339("2026-11-23T00:55:37Z").unwrap().to_utc();
//! let trust_dir = tempfile::tempdir().unwrap();
//! let options = ClientOptions { now: Some(now), ..ClientOptions::default() };
//! let client = Client::new("localhost:5000/interop/docker-signers", remote, trust_dir.path(), options)?;
//! let mut repo = client.update()?;
//!
//! let fips = FipsMode { enabled: true, ..FipsMode::default() };
//! let mut audit = Audit::new(AuditOptions::new(fips, now, HashSet::new()));
//! audit.repository(&mut repo);
//! let report = audit.finish();
//! let timestamp = report.findings.iter().find(|f| f.id == rules::FIPS_ROLE).unwrap();
//! assert_eq!(timestamp.severity, Severity::High);
//! assert!(report.fails(Severity::High));
//! # Ok::<(), trust_core::Error>(())
//! ```

mod collect;
mod finding;
mod keyfiles;
pub(crate) mod report;
mod repository;
pub mod rules;
mod signatures;

use std::collections::HashSet;

use chrono::{DateTime, Utc};

pub use finding::{Finding, Location, Severity};
pub use keyfiles::MIGRATE;
pub use report::{
    CertReport, Header, KeyFileReport, KeyReport, KeystoreReport, RepoReport, Report, RoleReport, RoleStatus,
    SignatureReport, Summary, mode_string,
};

use crate::client::Repository;
use crate::fips::FipsMode;
use crate::keystore::KeyStore;
use crate::{Error, ErrorKind, Result};

/// Expiries closer than this many days are findings.
pub const EXPIRY_WARNING_DAYS: i64 = 30;
/// A timestamp no server re-signs (registry store, file remote) closer than this many
/// days to its expiry is a finding: the scheduled `trust timestamp refresh` did not run.
pub const TIMESTAMP_WARNING_DAYS: i64 = 3;

/// How to audit.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// FIPS mode and what decided it: findings about non-approved algorithms are
    /// high in FIPS mode, low outside it.
    pub fips: FipsMode,
    /// The time expiries are measured from.
    pub now: DateTime<Utc>,
    /// Expiries closer than this many days are findings ([`EXPIRY_WARNING_DAYS`]).
    pub expiry_warning_days: i64,
    /// Canonical IDs of the keys in the local key store: a snapshot key not among
    /// them is taken to be held by the trust server.
    pub local_keys: HashSet<String>,
}

impl AuditOptions {
    /// Options with the default expiry warning.
    pub fn new(fips: FipsMode, now: DateTime<Utc>, local_keys: HashSet<String>) -> Self {
        AuditOptions { fips, now, expiry_warning_days: EXPIRY_WARNING_DAYS, local_keys }
    }
}

/// An audit in progress.
#[derive(Debug)]
pub struct Audit {
    options: AuditOptions,
    repositories: Vec<RepoReport>,
    keystore: Option<KeystoreReport>,
    findings: Vec<Finding>,
}

impl Audit {
    /// Starts an audit; FIPS mode and the crypto module are the first findings.
    pub fn new(options: AuditOptions) -> Audit {
        let mut findings = Vec::new();
        let fips = options.fips.enabled;
        if !fips {
            let message = format!("FIPS mode is {}: algorithms FIPS mode refuses are reported as low", options.fips);
            findings.push(Finding::new(rules::FIPS_MODE, Severity::Info, Location::Host, "FIPS mode".into(), message));
        }
        let (severity, message) = if fips && !trust_tuf::crypto::VALIDATED {
            (
                Severity::Medium,
                format!("FIPS mode restricts algorithms, but {} does the cryptography", trust_tuf::crypto::MODULE),
            )
        } else {
            (Severity::Info, format!("the cryptographic module is {}", trust_tuf::crypto::MODULE))
        };
        findings.push(Finding::new(rules::FIPS_MODULE, severity, Location::Host, "crypto module".into(), message));
        Audit { options, repositories: Vec::new(), keystore: None, findings }
    }

    fn settings(&self) -> repository::Settings {
        repository::Settings {
            now: self.options.now,
            fips: self.options.fips.enabled,
            warn_days: self.options.expiry_warning_days,
        }
    }

    /// Audits an updated repository: loads every delegation through `repo` (fetching
    /// and verifying them as a lookup would), then checks every role. Delegations
    /// that fail to load are findings, not errors.
    pub fn repository(&mut self, repo: &mut Repository<'_>) {
        let (delegations, mut warnings) = collect::delegations(repo);
        warnings.splice(0..0, repo.warnings().iter().cloned());
        let server = repo.server().to_owned();
        let input = repository::Input {
            set: repo.trusted(),
            server: &server,
            delegations: &delegations,
            local_keys: &self.options.local_keys,
            warnings,
            resigns_timestamps: repo.store_resigns_timestamps(),
        };
        let (report, findings) = repository::analyze(input, self.settings());
        self.repositories.push(report);
        self.findings.extend(findings);
    }

    /// Records a repository that could not be audited (no trust data, a failed
    /// verification, an unreachable server): a critical finding for a verification
    /// failure, high otherwise.
    pub fn failed_repository(&mut self, gun: &str, server: &str, error: &Error) {
        let severity = if error.kind() == ErrorKind::Verification { Severity::Critical } else { Severity::High };
        let location = Location::repository(gun, None, None);
        self.findings.push(Finding::new(rules::REPO_ERROR, severity, location, gun.to_owned(), error.to_string()));
        self.repositories.push(RepoReport {
            repository: gun.to_owned(),
            server: server.to_owned(),
            error: Some(error.to_string()),
            roles: Vec::new(),
            warnings: Vec::new(),
            timestamp_expires: None,
            timestamp_resigned_by_server: None,
        });
    }

    /// Audits the key files of `store`: encryption parameters from their headers (no
    /// passphrase is asked for), permissions, unreadable files.
    pub fn keystore(&mut self, store: &KeyStore) -> Result<()> {
        let report = collect::keystore(store)?;
        self.findings.extend(keyfiles::findings(&report, self.options.fips.enabled));
        self.keystore = Some(report);
        Ok(())
    }

    /// The report.
    pub fn finish(self) -> Report {
        let header = Header {
            tool: "trust".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            crypto_module: trust_tuf::crypto::MODULE.into(),
            fips_mode: self.options.fips.enabled,
            fips_source: self.options.fips.to_string(),
            time: self.options.now,
        };
        Report::new(header, self.repositories, self.keystore, self.findings)
    }
}
