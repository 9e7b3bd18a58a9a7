//! `trust audit` over trust data and key files made by the real notary and docker
//! CLIs (fixtures/, verified at their capture time), over repositories made here with
//! delegations that expired, do not verify or were never published, and the SARIF
//! output against the OASIS SARIF 2.1.0 schema.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use trust_test_support::builders;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use trust_core::audit::{Audit, AuditOptions, Finding, Report, RoleStatus, Severity, rules};
use trust_core::client::{Client, ClientOptions};
use trust_core::crypto::x509::Certificate;
use trust_core::fips::{FipsMode, Source};
use trust_core::keystore::{KeyProtection, KeyStore, Prf};
use trust_core::output::audit::{Format, render};
use trust_core::remote::{self, RemoteOptions};
use trust_core::wire::FileMeta;

fn case_dir(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(case)
}

fn case_json(case: &str) -> Value {
    serde_json::from_slice(&std::fs::read(case_dir(case).join("case.json")).unwrap()).unwrap()
}

fn verify_at(case: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(case_json(case)["verify_at"].as_str().unwrap()).unwrap().to_utc()
}

fn fips(enabled: bool) -> FipsMode {
    let source = if enabled { Source::Explicit } else { Source::Default };
    FipsMode { enabled, source, ignored: vec![] }
}

/// The fixture's private keys in a fresh trust directory, mode 0600.
fn trust_dir_of(case: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let private = dir.path().join("private");
    std::fs::create_dir(&private).unwrap();
    for entry in std::fs::read_dir(case_dir(case).join("trust-dir/private")).unwrap() {
        let path = entry.unwrap().path();
        let to = private.join(path.file_name().unwrap());
        std::fs::copy(&path, &to).unwrap();
        set_mode(&to, 0o600);
    }
    dir
}

fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

/// Audits fixture `case` (verified at its capture time) with the fixture's key store.
fn audit_case(case: &str, fips_mode: bool) -> Report {
    let gun = case_json(case)["gun"].as_str().unwrap().to_owned();
    let now = verify_at(case);
    let trust_dir = trust_dir_of(case);
    let store = KeyStore::open(trust_dir.path()).unwrap();
    let local: HashSet<String> = store.list().unwrap().into_iter().map(|k| k.id).collect();
    let url = format!("file://{}", case_dir(case).join("remote").display());
    let remote = remote::open(&url, &RemoteOptions::default()).unwrap();
    let options = ClientOptions { now: Some(now), ..ClientOptions::default() };
    let client = Client::new(&gun, remote, trust_dir.path(), options).unwrap();
    let mut repo = client.update().unwrap();
    let mut audit = Audit::new(AuditOptions::new(fips(fips_mode), now, local));
    audit.repository(&mut repo);
    audit.keystore(&store).unwrap();
    audit.finish()
}

fn with_id<'a>(report: &'a Report, id: &str) -> Vec<&'a Finding> {
    report.findings.iter().filter(|f| f.id == id).collect()
}

/// (rule, severity, subject) of every finding, for comparing whole reports.
fn summary(report: &Report) -> Vec<(String, Severity, String)> {
    let mut out: Vec<_> = report.findings.iter().map(|f| (f.id.to_owned(), f.severity, f.subject.clone())).collect();
    out.sort();
    out
}

fn short(id: &str) -> &str {
    &id[..12]
}

fn role_key(case: &str, role: &str) -> String {
    let root: Value = serde_json::from_slice(
        &std::fs::read(
            case_dir(case)
                .join("remote/v2")
                .join(case_json(case)["gun"].as_str().unwrap())
                .join("_trust/tuf/root.json"),
        )
        .unwrap(),
    )
    .unwrap();
    root["signed"]["roles"][role]["keyids"][0].as_str().unwrap().to_owned()
}

#[test]
fn docker_made_repository_in_fips_mode() {
    let report = audit_case("docker-signers", true);
    let gun = "localhost:5000/interop/docker-signers";
    assert!(report.header.fips_mode);
    assert_eq!(report.header.fips_source, "on (--fips)");

    // notary-server signs the snapshot (docker leaves it to the server) and the
    // timestamp with Ed25519 keys: in FIPS mode neither role verifies.
    for role in ["snapshot", "timestamp"] {
        let key = role_key("docker-signers", role);
        let alg: Vec<_> = with_id(&report, rules::FIPS_ALG)
            .into_iter()
            .filter(|f| f.subject == format!("{gun} role {role} key {}", short(&key)))
            .collect();
        assert_eq!(alg.len(), 1, "{role}: {:#?}", report.findings);
        assert_eq!(alg[0].severity, Severity::High);
        assert_eq!(alg[0].message, "Ed25519 key, held by the trust server: Ed25519 is not accepted in FIPS mode");
        assert!(alg[0].reference.starts_with("FIPS 186-5 §7"), "{}", alg[0].reference);
        assert!(alg[0].fix.as_deref().unwrap().contains(&format!("notary key rotate {gun} {role} -r")));
        let server: Vec<_> =
            with_id(&report, rules::SERVER_KEY).into_iter().filter(|f| f.subject.contains(&key[..12])).collect();
        assert_eq!(server.len(), 1, "{role} key is server-managed");
    }
    let fails: Vec<String> = with_id(&report, rules::FIPS_ROLE).iter().map(|f| f.subject.clone()).collect();
    assert_eq!(fails, [format!("{gun} role snapshot"), format!("{gun} role timestamp")]);
    let timestamp_fail = with_id(&report, rules::FIPS_ROLE)[1];
    assert!(
        timestamp_fail.message.starts_with(
            "timestamp would not verify in FIPS mode: 0 of 1 required signature(s) by approved keys (key "
        ),
        "{}",
        timestamp_fail.message
    );

    // Everything the client signed is ECDSA P-256 and verifies in FIPS mode.
    let repo = &report.repositories[0];
    let roles: Vec<&str> = repo.roles.iter().map(|r| r.role.as_str()).collect();
    assert_eq!(roles, ["root", "targets", "snapshot", "timestamp", "targets/alice", "targets/releases", "targets/bob"]);
    for role in &repo.roles {
        assert_eq!(role.status, RoleStatus::Verified);
        let ed25519 = matches!(role.role.as_str(), "snapshot" | "timestamp");
        assert_eq!(role.fips_valid_signatures, if ed25519 { 0 } else { role.valid_signatures }, "{}", role.role);
        assert!(role.valid_signatures as u64 >= role.threshold);
        for key in &role.keys {
            let expected = if ed25519 { "Ed25519" } else { "ECDSA P-256" };
            assert_eq!(key.algorithm.as_deref(), Some(expected), "{} {}", role.role, key.id);
            assert_eq!(key.approved, !ed25519);
        }
        let methods: HashSet<&str> = role.signatures.iter().map(|s| s.method.as_str()).collect();
        assert_eq!(methods, HashSet::from([if ed25519 { "eddsa" } else { "ecdsa" }]), "{}", role.role);
    }
    let releases = repo.roles.iter().find(|r| r.role == "targets/releases").unwrap();
    assert_eq!((releases.valid_signatures, releases.fips_valid_signatures, releases.threshold), (2, 2, 1));
    assert_eq!(releases.paths, [""]);

    // The root certificate: notary's 10 years, from the certificate itself.
    let root = &repo.roles[0];
    let cert = root.keys[0].certificate.as_ref().unwrap();
    let crt = std::fs::read_dir(case_dir("docker-signers").join("keys"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "crt"))
        .unwrap();
    let parsed = &Certificate::parse_pem_bundle(&std::fs::read(crt).unwrap()).unwrap()[0];
    assert_eq!(cert.not_after, parsed.not_after());
    assert_eq!(cert.days_left, (parsed.not_after() - verify_at("docker-signers")).num_days());
    assert_eq!((cert.days_left, cert.signature_algorithm.as_str()), (3649, "ecdsa-with-SHA256"));
    assert_eq!(cert.common_name.as_deref(), Some(gun));
    let validity = with_id(&report, rules::CERT_EXPIRY);
    assert_eq!(validity.len(), 1);
    assert_eq!(validity[0].severity, Severity::Info);
    assert!(validity[0].message.ends_with(": 3649 days left"), "{}", validity[0].message);
    assert_eq!(with_id(&report, rules::THRESHOLD)[0].severity, Severity::Info);

    // Expiries: served from a directory, which no server re-signs, the timestamp's 13
    // days left are no finding yet (its last 3 days would be); the rest is years away.
    assert_eq!(with_id(&report, rules::EXPIRY).len(), 0);
    let timestamp = repo.roles.iter().find(|r| r.role == "timestamp").unwrap();
    let expires =
        DateTime::parse_from_rfc3339(case_json("docker-signers")["timestamp_expires"].as_str().unwrap()).unwrap();
    assert_eq!(timestamp.expires, Some(expires.to_utc()));
    assert_eq!((repo.timestamp_expires, repo.timestamp_resigned_by_server), (Some(expires.to_utc()), Some(false)));
    assert_eq!(timestamp.days_left, Some(13));
    assert_eq!(timestamp.hashes, ["sha256", "sha512"]);
    assert_eq!(repo.roles[1].hashes, ["sha256"]);

    // docker's key files: notary's PBES2 with an 8-byte salt, each an SP 800-132 finding.
    let store = report.keystore.as_ref().unwrap();
    assert_eq!(store.keys.len(), 4);
    let roles: Vec<&str> = store.keys.iter().map(|k| k.role.as_str()).collect();
    assert_eq!(roles, ["root", "targets", "bob", "alice"]);
    for key in &store.keys {
        let notary =
            KeyProtection::Pbes2 { prf: Prf::HmacSha1, iterations: 2048, salt_len: 8, cipher: "AES-256-CBC".into() };
        assert_eq!(key.protection, notary, "{}", key.id);
        assert_eq!(key.mode, if cfg!(unix) { Some(0o600) } else { None });
    }
    let salts = with_id(&report, rules::KEYFILE_SALT);
    assert_eq!(salts.len(), 4);
    for f in &salts {
        assert_eq!(
            (f.severity, f.reference.as_str(), f.fix.as_deref()),
            (Severity::High, "SP 800-132 §5.1", Some("trust key migrate"))
        );
        assert!(f.message.contains("the salt is 64 bits"), "{}", f.message);
    }
    assert!(with_id(&report, rules::KEYFILE_PERMS).is_empty());

    assert_eq!(report.summary.critical, 0);
    assert_eq!(report.summary.high, 8, "{:#?}", summary(&report));
    assert_eq!(report.max_severity(), Some(Severity::High));
    assert!(report.fails(Severity::High) && !report.fails(Severity::Critical));
    assert_eq!(report.findings[0].severity, Severity::High, "most severe first");
}

#[test]
fn fips_mode_refuses_what_the_audit_still_reports() {
    let case = "docker-signers";
    let gun = case_json(case)["gun"].as_str().unwrap().to_owned();
    let trust_dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", case_dir(case).join("remote").display());
    let remote = remote::open(&url, &RemoteOptions::default()).unwrap();
    let options = ClientOptions { now: Some(verify_at(case)), fips: true, ..ClientOptions::default() };
    let err = Client::new(&gun, remote, trust_dir.path(), options).unwrap().update().unwrap_err();
    assert!(err.to_string().starts_with("timestamp: signature threshold not met"), "{err}");
    let report = audit_case(case, true);
    let timestamp = with_id(&report, rules::FIPS_ROLE).into_iter().find(|f| f.subject.ends_with("timestamp")).unwrap();
    assert!(timestamp.message.contains("Ed25519 key refused in FIPS mode"), "{}", timestamp.message);
}

#[test]
fn outside_fips_mode_the_same_findings_are_low() {
    let strict = audit_case("docker-signers", true);
    let relaxed = audit_case("docker-signers", false);
    let fips_rules = [rules::FIPS_ALG, rules::FIPS_ROLE, rules::KEYFILE_SALT];
    for (id, severity, subject) in summary(&relaxed) {
        if fips_rules.contains(&id.as_str()) {
            assert_eq!(severity, Severity::Low, "{id} {subject}");
        }
    }
    let without_host = |r: &Report| -> Vec<(String, String)> {
        summary(r).into_iter().filter(|(id, ..)| !id.starts_with("TRUST-FIPS-MOD")).map(|(id, _, s)| (id, s)).collect()
    };
    assert_eq!(without_host(&strict), without_host(&relaxed));
    let mode = with_id(&relaxed, rules::FIPS_MODE);
    assert_eq!(mode.len(), 1);
    assert!(mode[0].message.starts_with("FIPS mode is off (no TRUST_FIPS"), "{}", mode[0].message);
    assert!(mode[0].message.ends_with("): algorithms FIPS mode refuses are reported as low"));
    assert_eq!(mode[0].reference, "DISA STIG V-235777 (Docker Enterprise: FIPS mode)");
    assert!(!relaxed.fails(Severity::Medium) && relaxed.fails(Severity::Low));
}

#[test]
fn notary_made_repository_keeps_its_snapshot_key() {
    // `notary init` keeps the snapshot key (ECDSA) on the client; only the timestamp
    // key is the server's (Ed25519).
    let report = audit_case("notary-plain", true);
    let gun = "localhost:5000/interop/notary-plain";
    let subjects: Vec<&str> = with_id(&report, rules::FIPS_ALG).iter().map(|f| f.subject.as_str()).collect();
    let ts = role_key("notary-plain", "timestamp");
    assert_eq!(subjects, [format!("{gun} role timestamp key {}", short(&ts))]);
    let repo = &report.repositories[0];
    let snapshot = repo.roles.iter().find(|r| r.role == "snapshot").unwrap();
    assert!(!snapshot.keys[0].server_managed);
    assert_eq!(snapshot.keys[0].algorithm.as_deref(), Some("ECDSA P-256"));
    assert_eq!(snapshot.fips_valid_signatures, 1);
    let held: Vec<&str> = with_id(&report, rules::SERVER_KEY).iter().map(|f| f.subject.as_str()).collect();
    assert_eq!(held, [format!("{gun} role timestamp key {}", short(&ts))]);
    assert_eq!(with_id(&report, rules::KEYFILE_SALT).len(), 3);
    assert_eq!(report.repositories[0].roles.len(), 4, "no delegations");
}

#[test]
fn rotated_repository_audits_its_newest_root() {
    let report = audit_case("rotated", false);
    let root = &report.repositories[0].roles[0];
    assert_eq!((root.role.as_str(), root.version), ("root", Some(3)));
    assert_eq!(root.keys.len(), 1, "only the new root key is a root key of version 3");
    assert_eq!(root.keys[0].id, role_key("rotated", "root"));
    assert_eq!(with_id(&report, rules::CERT_EXPIRY).len(), 1);
    assert!(with_id(&report, rules::SIG_INVALID).is_empty());
    assert_eq!(with_id(&report, rules::KEYFILE_SALT).len(), 4, "both root keys, targets and snapshot");
}

#[test]
fn key_store_permissions_and_plain_keys() {
    let trust_dir = trust_dir_of("docker-signers");
    let private = trust_dir.path().join("private");
    let root_key = private.join("8aae49442f468f90224c8d079239ebdd0d08385318e45d31919a780306a035a5.key");
    set_mode(&root_key, 0o644);
    let key =
        trust_core::crypto::signer::PrivateKey::generate(trust_core::crypto::signer::KeyAlgorithm::EcdsaP256).unwrap();
    let plain = trust_core::keystore::encode_private_key(&key, "ci", None, "").unwrap();
    let id = trust_core::crypto::keyid::canonical_key_id(&key.public_key()).unwrap();
    std::fs::write(private.join(format!("{id}.key")), plain.as_bytes()).unwrap();
    set_mode(&private.join(format!("{id}.key")), 0o600);
    std::fs::write(private.join("damaged.key"), "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n").unwrap();

    let store = KeyStore::open(trust_dir.path()).unwrap();
    let mut audit = Audit::new(AuditOptions::new(fips(false), Utc::now(), HashSet::new()));
    audit.keystore(&store).unwrap();
    let report = audit.finish();
    let unencrypted = with_id(&report, rules::KEYFILE_UNENCRYPTED);
    assert_eq!(unencrypted.len(), 1);
    assert_eq!(
        (unencrypted[0].severity, unencrypted[0].subject.clone()),
        (Severity::High, format!("key file {} (role ci)", short(&id)))
    );
    let unreadable = with_id(&report, rules::KEYFILE_UNREADABLE);
    assert_eq!(unreadable.len(), 1);
    assert!(unreadable[0].subject.ends_with("damaged.key"));
    if cfg!(unix) {
        let perms = with_id(&report, rules::KEYFILE_PERMS);
        assert_eq!(perms.len(), 1);
        assert_eq!(perms[0].message, "mode 0644 lets group or others reach the private key (0600 expected)");
        assert_eq!(perms[0].fix.as_deref(), Some(format!("chmod 600 {}", root_key.display()).as_str()));
    }
    assert_eq!(with_id(&report, rules::KEYFILE_SALT).len(), 4);
    assert!(report.repositories.is_empty());
}

/// A repository whose `targets/ghost` delegation is declared but not in the snapshot,
/// whose `targets/stale` expired, and whose `targets/forged` does not verify.
fn troubled_repo() -> builders::Repo {
    let mut repo = builders::Repo::new("registry.example.com/team/app");
    repo.add_delegation("targets/releases", &[""]);
    repo.add_delegation("targets/ghost", &["ghost/"]);
    repo.add_delegation("targets/stale", &[""]).expires = builders::expiry(Duration::days(-1));
    repo.add_delegation("targets/forged", &[""]);
    repo.delegation("targets/releases").expires = builders::expiry(Duration::days(10));
    let mut files = repo.build();
    // Another key signs targets/forged.
    let forger = builders::Key::ecdsa();
    let forged: Value = serde_json::from_slice(&files["targets/forged"]).unwrap();
    let mut envelope: Value = serde_json::from_slice(&builders::sign(&forged["signed"], &[&forger])).unwrap();
    envelope["signatures"][0]["keyid"] = json!(repo.delegation("targets/forged").keys[0].id());
    files.insert("targets/forged".into(), serde_json::to_vec(&envelope).unwrap());
    // Keep every file's bytes (ECDSA signatures differ on each build), and list all
    // but targets/ghost in the snapshot.
    let mut meta = serde_json::Map::new();
    for (role, bytes) in &files {
        if !matches!(role.as_str(), "snapshot" | "timestamp" | "targets/ghost") {
            repo.overrides.insert(role.clone(), bytes.clone());
            meta.insert(role.clone(), serde_json::to_value(FileMeta::for_bytes(bytes)).unwrap());
        }
    }
    let snapshot =
        json!({"_type": "Snapshot", "expires": repo.snapshot_expires, "meta": meta, "version": repo.snapshot_version});
    let signed = builders::sign(&snapshot, &[&repo.snapshot_key]);
    repo.overrides.insert("snapshot".into(), signed);
    repo.publish();
    repo
}

#[test]
fn delegations_that_cannot_be_trusted_are_findings() {
    let repo = troubled_repo();
    let trust_dir = tempfile::tempdir().unwrap();
    let client = repo.client(trust_dir.path());
    let mut updated = client.update().unwrap();
    let mut audit = Audit::new(AuditOptions::new(fips(false), builders::now(), HashSet::new()));
    audit.repository(&mut updated);
    let report = audit.finish();
    let roles: Vec<(&str, &RoleStatus)> =
        report.repositories[0].roles.iter().skip(4).map(|r| (r.role.as_str(), &r.status)).collect();
    assert_eq!(
        roles,
        [
            ("targets/releases", &RoleStatus::Verified),
            ("targets/ghost", &RoleStatus::NotPublished),
            ("targets/stale", &RoleStatus::NotTrusted),
            ("targets/forged", &RoleStatus::NotTrusted),
        ]
    );
    let missing = with_id(&report, rules::DELEGATION_MISSING);
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].severity, Severity::Info);
    assert!(missing[0].message.contains("paths [\"ghost/\"]"), "{}", missing[0].message);
    let invalid = with_id(&report, rules::DELEGATION_INVALID);
    assert_eq!(invalid.len(), 2);
    assert!(invalid[0].message.contains("targets/stale expired at"), "{}", invalid[0].message);
    assert!(invalid[1].message.contains("signature threshold not met"), "{}", invalid[1].message);
    assert!(invalid.iter().all(|f| f.severity == Severity::High));
    // targets/releases expires in 10 days and is the client's to re-sign.
    let expiry: Vec<_> =
        with_id(&report, rules::EXPIRY).into_iter().filter(|f| f.subject.ends_with("releases")).collect();
    assert_eq!(expiry.len(), 1);
    assert_eq!(expiry[0].severity, Severity::Medium);
    assert!(expiry[0].message.contains("(10 days left, under 30 days)"), "{}", expiry[0].message);
}

#[test]
fn unreachable_repositories_are_reported() {
    let mut audit = Audit::new(AuditOptions::new(fips(true), Utc::now(), HashSet::new()));
    let error = trust_core::Error::verification("timestamp", "metadata expired");
    audit.failed_repository("example.com/app", "https://notary.example.com", &error);
    let report = audit.finish();
    let f = &report.findings[0];
    assert_eq!((f.id, f.severity), (rules::REPO_ERROR, Severity::Critical));
    assert_eq!(report.repositories[0].error.as_deref(), Some("timestamp: metadata expired"));
}

fn sarif_validator() -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_slice(&std::fs::read(case_dir("sarif").join("sarif-schema-2.1.0.json")).unwrap()).unwrap();
    jsonschema::options().should_validate_formats(true).build(&schema).unwrap()
}

fn assert_valid_sarif(validator: &jsonschema::Validator, text: &str) {
    let log: Value = serde_json::from_str(text).unwrap();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let validator = sarif_validator();
    // The schema does catch mistakes.
    let broken = json!({"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [{"level": "fatal"}]}]});
    assert!(validator.iter_errors(&broken).count() >= 2);
    for (case, fips_mode) in [("docker-signers", true), ("notary-plain", false), ("rotated", true), ("empty", false)] {
        let report = audit_case(case, fips_mode);
        let text = render(&report, Format::Sarif);
        assert_valid_sarif(&validator, &text);
        let log: Value = serde_json::from_str(&text).unwrap();
        let results = log["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), report.findings.len());
        let salt = results.iter().find(|r| r["ruleId"] == rules::KEYFILE_SALT).unwrap();
        let uri = salt["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
        assert!(uri.starts_with("file:///") && uri.ends_with(".key"), "{uri}");
        let level = if fips_mode { "error" } else { "note" };
        assert_eq!(salt["level"], level);
    }
    let repo = troubled_repo();
    let trust_dir = tempfile::tempdir().unwrap();
    let client = repo.client(trust_dir.path());
    let mut updated = client.update().unwrap();
    let mut audit = Audit::new(AuditOptions::new(fips(true), builders::now(), HashSet::new()));
    audit.repository(&mut updated);
    audit.failed_repository("example.com/gone", "file:///nowhere", &trust_core::Error::InvalidInput("x".into()));
    assert_valid_sarif(&validator, &render(&audit.finish(), Format::Sarif));
}

#[test]
fn other_formats_render_fixture_reports() {
    let report = audit_case("docker-signers", true);
    let json: Value = serde_json::from_str(&render(&report, Format::Json)).unwrap();
    assert_eq!(json["summary"]["high"], 8);
    assert_eq!(json["repositories"][0]["roles"][3]["keys"][0]["algorithm"], "Ed25519");
    assert_eq!(json["keystore"]["keys"][0]["protection"]["salt_len"], 8);
    let md = render(&report, Format::Markdown);
    assert!(md.contains("| `timestamp` | 1 | 1 (0 in FIPS mode) |"), "{md}");
    let text = render(&report, Format::Text);
    assert!(text.contains("\nsnapshot           cc034387bcba"), "{text}");
}

/// In FIPS mode the audit says whether a validated module does the cryptography:
/// ring in the default build is a medium finding, AWS-LC FIPS in the fips build is
/// information only.
#[test]
fn the_crypto_module_finding_depends_on_the_build() {
    let report = Audit::new(AuditOptions::new(fips(true), Utc::now(), HashSet::new())).finish();
    let module = with_id(&report, rules::FIPS_MODULE);
    assert_eq!(module.len(), 1);
    let message = &module[0].message;
    if cfg!(feature = "fips") {
        assert_eq!(module[0].severity, Severity::Info);
        assert!(message.contains("AWS-LC FIPS 3.0") && message.contains("#5314"), "{message}");
    } else {
        assert_eq!(module[0].severity, Severity::Medium);
        assert!(message.contains("ring") && message.contains("not a FIPS 140-3 validated module"), "{message}");
    }
}
