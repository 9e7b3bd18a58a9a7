//! Findings about one repository's verified trust data (no I/O): keys and their
//! algorithms per role, root certificates, every signature with and without FIPS
//! mode, thresholds, expiries, hash algorithms, server-managed keys and delegations.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::finding::{Finding, Location, Severity};
use super::report::{CertReport, KeyReport, RepoReport, RoleReport, RoleStatus};
use super::rules;
use super::signatures;
use trust_tuf::crypto::algorithm::KeyAlgorithm;
use trust_tuf::crypto::x509::Certificate;
use trust_tuf::trusted::TrustedSet;
use trust_tuf::wire::{self, Envelope, Expiry, PublicKey};

/// A delegation found while walking the repository, and what became of its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Delegation {
    /// The role name, `targets/<name>`.
    pub(super) name: String,
    /// Its file's state.
    pub(super) state: DelegationState,
}

/// What became of a delegation's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DelegationState {
    /// Verified and loaded.
    Loaded,
    /// The snapshot does not list it: never published.
    NotPublished,
    /// Published but not trusted; why.
    NotTrusted(String),
}

/// Everything the analysis looks at.
pub(super) struct Input<'a> {
    /// The verified metadata (top-level roles, and the delegations that loaded).
    pub(super) set: &'a TrustedSet,
    /// The trust server.
    pub(super) server: &'a str,
    /// Every delegation reached, in walk order.
    pub(super) delegations: &'a [Delegation],
    /// Canonical IDs of the keys in the local key store.
    pub(super) local_keys: &'a HashSet<String>,
    /// Warnings from the update.
    pub(super) warnings: Vec<String>,
    /// Whether a trust server re-signs the timestamp before it expires (a
    /// notary-server); not on the registry store or the file remote, where only a
    /// publish or `trust timestamp refresh` does.
    pub(super) resigns_timestamps: bool,
}

/// Settings of the analysis.
#[derive(Debug, Clone, Copy)]
pub(super) struct Settings {
    pub(super) now: DateTime<Utc>,
    pub(super) fips: bool,
    pub(super) warn_days: i64,
}

/// One role's file, when it was verified.
struct RoleFile<'a> {
    raw: &'a [u8],
    version: u64,
    expires: &'a Expiry,
}

/// One role to analyse.
struct RoleInput<'a> {
    name: &'a str,
    keys: &'a BTreeMap<String, PublicKey>,
    keyids: &'a [String],
    threshold: u64,
    file: Option<RoleFile<'a>>,
    server_managed: bool,
    /// A server re-signs it before it expires.
    resigned: bool,
    status: RoleStatus,
    problem: Option<String>,
    paths: &'a [String],
}

struct Analyzer<'a> {
    gun: &'a str,
    settings: Settings,
    findings: Vec<Finding>,
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

fn days_until(at: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (at - now).num_days()
}

/// Where a non-approved algorithm is disallowed or not assumed.
fn algorithm_reference(alg: KeyAlgorithm) -> &'static str {
    match alg {
        KeyAlgorithm::Ed25519 => "FIPS 186-5 §7; FIPS 140-3 (EdDSA must be listed in the module's validation)",
        KeyAlgorithm::Rsa { .. } => "SP 800-131A r2 §3; FIPS 186-5 §5",
        _ => "FIPS 186-5 §6; SP 800-186",
    }
}

/// The hash algorithms used by a metadata file's `meta` (timestamp, snapshot) or
/// `targets` (targets, delegations) entries, and how many entries have neither
/// sha256 nor sha512.
fn hash_algorithms(raw: &[u8]) -> (BTreeSet<String>, usize) {
    #[derive(Deserialize)]
    struct Pinned {
        #[serde(default)]
        hashes: BTreeMap<String, IgnoredAny>,
    }
    #[derive(Deserialize)]
    struct Pins {
        #[serde(default)]
        meta: BTreeMap<String, Pinned>,
        #[serde(default)]
        targets: BTreeMap<String, Pinned>,
    }
    let pins = Envelope::parse(raw).ok().and_then(|e| serde_json::from_str::<Pins>(e.signed.get()).ok());
    let mut algorithms = BTreeSet::new();
    let mut unpinned = 0;
    for entry in pins.iter().flat_map(|p| p.meta.values().chain(p.targets.values())) {
        algorithms.extend(entry.hashes.keys().cloned());
        if !entry.hashes.contains_key("sha256") && !entry.hashes.contains_key("sha512") {
            unpinned += 1;
        }
    }
    (algorithms, unpinned)
}

impl Analyzer<'_> {
    fn at(&self, role: &str, key: Option<&str>) -> Location {
        Location::repository(self.gun, Some(role), key)
    }

    fn push(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    fn certificate(&mut self, role: &str, id: &str, key: &PublicKey) -> Option<CertReport> {
        let cert = Certificate::parse_pem_bundle(&key.public).ok()?.into_iter().next()?;
        let days_left = days_until(cert.not_after(), self.settings.now);
        let report = CertReport {
            common_name: cert.common_name().map(str::to_owned),
            signature_algorithm: cert.signature_algorithm(),
            not_before: cert.not_before(),
            not_after: cert.not_after(),
            days_left,
        };
        let subject = format!("{} role {role} certificate {}", self.gun, short(id));
        let severity = match days_left {
            d if cert.not_after() <= self.settings.now || d < 0 => Severity::Critical,
            d if d < 30 => Severity::High,
            d if d < 180 => Severity::Medium,
            _ => Severity::Info,
        };
        let validity = format!("{} to {}", report.not_before.format("%Y-%m-%d"), report.not_after.format("%Y-%m-%d"));
        let message = if severity == Severity::Critical {
            format!("expired on {} (valid {validity}); rotate the root key", report.not_after.format("%Y-%m-%d"))
        } else {
            format!("{}, valid {validity}: {days_left} days left", report.signature_algorithm)
        };
        let mut finding = Finding::new(rules::CERT_EXPIRY, severity, self.at(role, Some(id)), subject.clone(), message);
        if severity > Severity::Info {
            finding = finding.fix(format!("notary key rotate {} root", self.gun));
        }
        self.push(finding);
        if let Some(hash) = cert.weak_signature_hash() {
            let message = format!("signed with {} ({hash}), disallowed for signatures", report.signature_algorithm);
            let severity = Severity::conformance(self.settings.fips);
            self.push(Finding::new(rules::CERT_SIGALG, severity, self.at(role, Some(id)), subject, message));
        }
        Some(report)
    }

    fn key(&mut self, role: &str, id: &str, key: &PublicKey, server_managed: bool) -> KeyReport {
        let subject = format!("{} role {role} key {}", self.gun, short(id));
        let mut report = KeyReport {
            id: id.to_owned(),
            keytype: key.keytype.as_str().to_owned(),
            algorithm: None,
            approved: false,
            refusal: None,
            server_managed,
            certificate: None,
        };
        match KeyAlgorithm::of(key) {
            Ok(alg) => {
                report.algorithm = Some(alg.to_string());
                report.approved = alg.fips_refusal().is_none();
                if let Some(reason) = alg.fips_refusal() {
                    report.refusal = Some(reason.to_owned());
                    let held = if server_managed { ", held by the trust server" } else { "" };
                    let message = format!("{alg} key{held}: {reason}");
                    let fix = if server_managed {
                        format!(
                            "have the trust server sign with ECDSA (notary-signer, key_algorithm ecdsa), then \
                             notary key rotate {} {role} -r",
                            self.gun
                        )
                    } else {
                        "rotate it to an ECDSA P-256 key".to_owned()
                    };
                    let severity = Severity::conformance(self.settings.fips);
                    self.push(
                        Finding::new(rules::FIPS_ALG, severity, self.at(role, Some(id)), subject.clone(), message)
                            .reference(algorithm_reference(alg))
                            .fix(fix),
                    );
                }
            }
            Err(e) => {
                report.refusal = Some(e.to_string());
                let message = format!("{} key cannot be used: {e}", key.keytype.as_str());
                self.push(Finding::new(
                    rules::KEY_UNKNOWN,
                    Severity::Medium,
                    self.at(role, Some(id)),
                    subject.clone(),
                    message,
                ));
            }
        }
        if server_managed {
            let alg = report.algorithm.as_deref().unwrap_or(key.keytype.as_str());
            let message = format!("the {role} key ({alg}) is held by the trust server, which signs {role} itself");
            self.push(Finding::new(rules::SERVER_KEY, Severity::Info, self.at(role, Some(id)), subject, message));
        }
        if key.keytype.is_x509() {
            report.certificate = self.certificate(role, id, key);
        }
        report
    }

    fn role(&mut self, input: RoleInput<'_>) -> RoleReport {
        let role = input.name;
        let keys: Vec<KeyReport> = input
            .keyids
            .iter()
            .filter_map(|id| input.keys.get(id).map(|key| (id, key)))
            .map(|(id, key)| self.key(role, id, key, input.server_managed))
            .collect();
        let mut report = RoleReport {
            role: role.to_owned(),
            status: input.status,
            problem: input.problem,
            version: None,
            expires: None,
            days_left: None,
            threshold: input.threshold,
            keys,
            signatures: Vec::new(),
            valid_signatures: 0,
            fips_valid_signatures: 0,
            hashes: Vec::new(),
            paths: input.paths.to_vec(),
        };
        if role == "root" && input.threshold == 1 {
            let message = "threshold 1: one root key can sign a new root alone (a policy note, not a FIPS failure)";
            let subject = format!("{} role root", self.gun);
            self.push(Finding::new(rules::THRESHOLD, Severity::Info, self.at(role, None), subject, message.into()));
        }
        let Some(file) = input.file else {
            return report;
        };
        report.version = Some(file.version);
        report.expires = Some(file.expires.at());
        self.signatures(&mut report, file.raw, input.keys, input.keyids);
        self.expiry(&mut report, file.expires, input.resigned);
        self.hashes(&mut report, file.raw);
        report
    }

    fn signatures(
        &mut self,
        report: &mut RoleReport,
        raw: &[u8],
        keys: &BTreeMap<String, PublicKey>,
        keyids: &[String],
    ) {
        let role = report.role.clone();
        let subject = format!("{} role {role}", self.gun);
        let checked = match signatures::check(raw, keys, keyids) {
            Ok(checked) => checked,
            Err(e) => {
                let message = format!("the signatures could not be checked: {e}");
                self.push(Finding::new(rules::SIG_INVALID, Severity::Medium, self.at(&role, None), subject, message));
                return;
            }
        };
        for sig in checked.reports.iter().filter(|s| s.role_key && !s.verifies) {
            let message = format!(
                "the {} signature by key {} does not verify: {}",
                sig.method,
                short(&sig.keyid),
                sig.error.as_deref().unwrap_or("invalid")
            );
            let at = self.at(&role, Some(&sig.keyid));
            self.push(Finding::new(rules::SIG_INVALID, Severity::Medium, at, subject.clone(), message));
        }
        if (checked.fips_valid as u64) < report.threshold {
            let mut message = format!(
                "{role} would not verify in FIPS mode: {} of {} required signature(s) by approved keys",
                checked.fips_valid, report.threshold
            );
            if !checked.fips_failures.is_empty() {
                message.push_str(&format!(" ({})", checked.fips_failures.join("; ")));
            }
            let severity = Severity::conformance(self.settings.fips);
            self.push(
                Finding::new(rules::FIPS_ROLE, severity, self.at(&role, None), subject, message)
                    .fix("sign the role with approved keys (ECDSA P-256/P-384, RSA ≥ 2048) and rotate the others"),
            );
        }
        report.valid_signatures = checked.valid;
        report.fips_valid_signatures = checked.fips_valid;
        report.signatures = checked.reports;
    }

    fn expiry(&mut self, report: &mut RoleReport, expires: &Expiry, resigned: bool) {
        let role = report.role.clone();
        let left = expires.at() - self.settings.now;
        let days_left = left.num_days();
        report.days_left = Some(days_left);
        // A timestamp no server re-signs lives 14 days: only its last days are news.
        let refreshed_by_publisher = role == "timestamp" && !resigned;
        let warn = if refreshed_by_publisher {
            left >= chrono::Duration::days(super::TIMESTAMP_WARNING_DAYS)
        } else {
            days_left >= self.settings.warn_days
        };
        if warn {
            return;
        }
        let (severity, note) = if expires.is_expired(self.settings.now) {
            (Severity::Critical, "expired".to_owned())
        } else if refreshed_by_publisher {
            let hours = left.num_hours();
            (
                Severity::Medium,
                format!("{hours} hours left, under {} days; no server re-signs it", super::TIMESTAMP_WARNING_DAYS),
            )
        } else if resigned {
            (Severity::Info, format!("{days_left} days left; the trust server re-signs it"))
        } else {
            (Severity::Medium, format!("{days_left} days left, under {} days", self.settings.warn_days))
        };
        let message = format!("expires {} ({note})", expires.at().format("%Y-%m-%d %H:%M:%S UTC"));
        let subject = format!("{} role {role}", self.gun);
        let mut finding = Finding::new(rules::EXPIRY, severity, self.at(&role, None), subject, message);
        if severity > Severity::Info {
            finding = finding.fix(if role == "root" {
                format!("re-sign the root with its key: notary key rotate {} root, or a trust publish", self.gun)
            } else if refreshed_by_publisher {
                format!(
                    "trust timestamp refresh {} (from a scheduled job, well within the timestamp's lifetime)",
                    self.gun
                )
            } else {
                format!("publish a new version of {role} (trust sign, notary publish)")
            });
        }
        self.push(finding);
    }

    fn hashes(&mut self, report: &mut RoleReport, raw: &[u8]) {
        let role = report.role.clone();
        let (algorithms, unpinned) = hash_algorithms(raw);
        let others: Vec<&str> =
            algorithms.iter().map(String::as_str).filter(|a| !matches!(*a, "sha256" | "sha512")).collect();
        let subject = format!("{} role {role}", self.gun);
        if unpinned > 0 {
            let message = format!("{unpinned} entr(ies) have neither a sha256 nor a sha512 hash and cannot be checked");
            self.push(Finding::new(rules::HASH, Severity::High, self.at(&role, None), subject.clone(), message));
        }
        if !others.is_empty() {
            let message =
                format!("hash algorithms other than sha256/sha512 are listed and ignored: {}", others.join(", "));
            self.push(Finding::new(rules::HASH, Severity::Info, self.at(&role, None), subject, message));
        }
        report.hashes = algorithms.into_iter().collect();
    }
}

/// Analyses one repository.
pub(super) fn analyze(input: Input<'_>, settings: Settings) -> (RepoReport, Vec<Finding>) {
    let set = input.set;
    let gun = set.context().gun.clone();
    let mut a = Analyzer { gun: &gun, settings, findings: Vec::new() };
    let root = &set.root().signed;
    let mut roles = Vec::new();
    for name in ["root", "targets", "snapshot", "timestamp"] {
        let Some(role_keys) = root.role(name) else { continue };
        let file = match name {
            "root" => Some(RoleFile { raw: &set.root().raw, version: root.version, expires: &root.expires }),
            "targets" => {
                set.targets().map(|t| RoleFile { raw: &t.raw, version: t.signed.version, expires: &t.signed.expires })
            }
            "snapshot" => {
                set.snapshot().map(|s| RoleFile { raw: &s.raw, version: s.signed.version, expires: &s.signed.expires })
            }
            _ => {
                set.timestamp().map(|t| RoleFile { raw: &t.raw, version: t.signed.version, expires: &t.signed.expires })
            }
        };
        // notary-server always holds the timestamp key, and the snapshot key when the
        // client does not (docker's repositories); the file remote's directory holds
        // both; on the registry store the publishers hold both.
        let not_local = role_keys.keyids.iter().all(|id| !input.local_keys.contains(id.as_str()));
        let server_managed = (name == "timestamp" && input.resigns_timestamps)
            || (matches!(name, "snapshot" | "timestamp") && not_local);
        let resigned = if name == "timestamp" { input.resigns_timestamps } else { server_managed };
        roles.push(a.role(RoleInput {
            name,
            keys: &root.keys,
            keyids: &role_keys.keyids,
            threshold: role_keys.threshold,
            file,
            server_managed,
            resigned,
            status: RoleStatus::Verified,
            problem: None,
            paths: &[],
        }));
    }
    for delegation in input.delegations {
        let name = delegation.name.as_str();
        let Some(parent) = wire::parent_role(name).and_then(|p| set.targets_of(p)) else { continue };
        let Some(entry) = parent.delegation(name) else { continue };
        let subject = format!("{gun} role {name}");
        let (status, problem, file) = match &delegation.state {
            DelegationState::Loaded => {
                let file = set.delegation(name).map(|d| RoleFile {
                    raw: &d.raw,
                    version: d.signed.version,
                    expires: &d.signed.expires,
                });
                (RoleStatus::Verified, None, file)
            }
            DelegationState::NotPublished => {
                let message = format!(
                    "declared by {} with {} key(s) and paths {:?}, but never published: it signs nothing",
                    wire::parent_role(name).unwrap_or("targets"),
                    entry.keyids.len(),
                    entry.paths
                );
                a.push(Finding::new(rules::DELEGATION_MISSING, Severity::Info, a.at(name, None), subject, message));
                (RoleStatus::NotPublished, None, None)
            }
            DelegationState::NotTrusted(why) => {
                let message = format!("not trusted, its signatures are ignored: {why}");
                let finding =
                    Finding::new(rules::DELEGATION_INVALID, Severity::High, a.at(name, None), subject, message)
                        .fix(format!("re-sign {name} with its signer's key (trust sign)"));
                a.push(finding);
                (RoleStatus::NotTrusted, Some(why.clone()), None)
            }
        };
        roles.push(a.role(RoleInput {
            name,
            keys: &parent.delegations.keys,
            keyids: &entry.keyids,
            threshold: entry.threshold,
            file,
            server_managed: false,
            resigned: false,
            status,
            problem,
            paths: &entry.paths,
        }));
    }
    let report = RepoReport {
        repository: gun.clone(),
        server: input.server.to_owned(),
        error: None,
        roles,
        warnings: input.warnings,
        timestamp_expires: set.timestamp().map(|t| t.signed.expires.at()),
        timestamp_resigned_by_server: set.timestamp().map(|_| input.resigns_timestamps),
    };
    (report, a.findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_the_standard_that_refuses_the_algorithm() {
        assert!(algorithm_reference(KeyAlgorithm::Ed25519).starts_with("FIPS 186-5 §7"));
        assert!(algorithm_reference(KeyAlgorithm::Rsa { bits: 1024 }).starts_with("SP 800-131A r2 §3"));
        assert!(algorithm_reference(KeyAlgorithm::EcdsaOther).contains("SP 800-186"));
    }

    #[test]
    fn hash_algorithms_of_meta_and_targets() {
        let raw =
            br#"{"signed":{"meta":{"snapshot":{"hashes":{"sha256":"x","sha512":"y"},"length":1}}},"signatures":[]}"#;
        let (algs, unpinned) = hash_algorithms(raw);
        assert_eq!((algs.into_iter().collect::<Vec<_>>(), unpinned), (vec!["sha256".into(), "sha512".into()], 0));
        let raw = br#"{"signed":{"targets":{"v1":{"hashes":{"md5":"x"},"length":1},"v2":{"hashes":{"sha256":"x"},"length":1}}},"signatures":[]}"#;
        let (algs, unpinned) = hash_algorithms(raw);
        assert_eq!((algs.into_iter().collect::<Vec<String>>(), unpinned), (vec!["md5".into(), "sha256".into()], 1));
        assert_eq!(hash_algorithms(b"nope"), (BTreeSet::new(), 0));
    }
}
