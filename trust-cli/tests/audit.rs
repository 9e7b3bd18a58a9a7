//! `trust audit` as a pipeline runs it: formats, `--fail-on` and exit codes, the key
//! store, repositories that cannot be audited, and SARIF valid against its schema.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use trust_test_support::builders;
use trust_test_support::outcome;

use std::path::{Path, PathBuf};
use std::process::Command;

use builders::Repo;
use outcome::{Outcome, run};
use serde_json::Value;

const GUN: &str = "registry.example.com/team/app";

/// `trust --server <repo> --trust-dir <dir> audit ARGS`, FIPS mode off unless `--fips`.
fn audit(server: &str, trust_dir: &Path, args: &[&str]) -> Outcome {
    run(Command::new(env!("CARGO_BIN_EXE_trust"))
        .env_remove("TRUST_PINNING")
        .env_remove("DOCKER_CONTENT_TRUST_SERVER")
        .env("TRUST_FIPS", "0")
        .args(["--server", server, "--trust-dir"])
        .arg(trust_dir)
        .arg("audit")
        .args(args))
}

/// A repository signed now: ECDSA root and targets, Ed25519 snapshot and timestamp
/// (as the file remote's own server keys), and a `targets/releases` delegation.
fn repo() -> Repo {
    let mut repo = Repo::live(GUN);
    let d = repo.add_delegation("targets/releases", &[""]);
    d.targets.insert("v1".into(), builders::target_json(b"v1"));
    repo.publish();
    repo
}

fn fixture_private_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/docker-signers/trust-dir/private")
}

/// A trust directory holding docker's key files (mode 0600).
fn docker_keys() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let private = dir.path().join("private");
    std::fs::create_dir(&private).unwrap();
    for entry in std::fs::read_dir(fixture_private_dir()).unwrap() {
        let from = entry.unwrap().path();
        let to = private.join(from.file_name().unwrap());
        std::fs::copy(&from, &to).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
    dir
}

#[test]
fn fips_findings_gate_a_pipeline_in_fips_mode_only() {
    let repo = repo();
    let dir = tempfile::tempdir().unwrap();
    let relaxed = audit(&repo.url(), dir.path(), &[GUN]);
    assert_eq!(relaxed.code, 0, "{}{}", relaxed.stdout, relaxed.stderr);
    assert!(relaxed.stdout.contains("\nFIPS mode: off (TRUST_FIPS=0)\n"), "{}", relaxed.stdout);
    assert!(relaxed.stdout.contains("LOW      TRUST-FIPS-ALG  registry.example.com/team/app role timestamp key "));
    // No expiry finding for the 14-day timestamp: no server re-signs it on a file remote,
    // and only its last 3 days are findings.
    assert!(relaxed.stdout.ends_with("\nSummary: 0 critical, 0 high, 0 medium, 4 low, 6 info\n"), "{}", relaxed.stdout);

    let strict = audit(&repo.url(), dir.path(), &["--fips", GUN]);
    assert_eq!(strict.code, 7, "{}{}", strict.stdout, strict.stderr);
    assert!(strict.stdout.contains("\nFIPS mode: on (--fips)\n"));
    assert!(strict.stdout.contains("HIGH     TRUST-FIPS-ROLE  registry.example.com/team/app role timestamp\n"));
    assert_eq!(strict.stderr, "trust audit: 4 finding(s) at or above high (--fail-on high)\n");

    let lenient = audit(&repo.url(), dir.path(), &["--fips", "--fail-on", "critical", GUN]);
    assert_eq!((lenient.code, lenient.stderr.as_str()), (0, ""));
    let never = audit(&repo.url(), dir.path(), &["--fips", "--fail-on", "none", GUN]);
    assert_eq!(never.code, 0);
    let picky = audit(&repo.url(), dir.path(), &["--fail-on", "low", GUN]);
    assert_eq!(picky.code, 7);
    assert_eq!(picky.stderr, "trust audit: 4 finding(s) at or above low (--fail-on low)\n");
    // The audit writes nothing to the cache.
    assert!(!dir.path().join("tuf").join(GUN).join("metadata/timestamp.json").exists());
}

#[test]
fn every_format() {
    let repo = repo();
    let dir = tempfile::tempdir().unwrap();
    let json = audit(&repo.url(), dir.path(), &["--fips", "--format", "json", &format!("{GUN}:v1")]);
    assert_eq!(json.code, 7);
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["header"]["fips_mode"], true);
    assert_eq!(report["repositories"][0]["repository"], GUN);
    let roles: Vec<&str> =
        report["repositories"][0]["roles"].as_array().unwrap().iter().map(|r| r["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["root", "targets", "snapshot", "timestamp", "targets/releases"]);
    assert_eq!(report["summary"]["high"], 4);

    let md = audit(&repo.url(), dir.path(), &["--format", "markdown", GUN]);
    assert_eq!(md.code, 0);
    assert!(md.stdout.starts_with("# trust audit\n"));
    assert!(md.stdout.contains(&format!("\n## Repository `{GUN}`\n")));

    let sarif = audit(&repo.url(), dir.path(), &["--fips", "--format", "sarif", GUN]);
    assert_eq!(sarif.code, 7);
    assert_valid_sarif(&sarif.stdout);
    let log: Value = serde_json::from_str(&sarif.stdout).unwrap();
    let levels: Vec<&str> =
        log["runs"][0]["results"].as_array().unwrap().iter().map(|r| r["level"].as_str().unwrap()).collect();
    assert_eq!(levels.iter().filter(|l| **l == "error").count(), 4);
}

fn assert_valid_sarif(text: &str) {
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/sarif/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_slice(&std::fs::read(schema_path).unwrap()).unwrap();
    let validator = jsonschema::options().should_validate_formats(true).build(&schema).unwrap();
    let log: Value = serde_json::from_str(text).unwrap();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn key_store_only() {
    let keys = docker_keys();
    let relaxed = audit("file:///nonexistent", keys.path(), &["--keystore"]);
    assert_eq!(relaxed.code, 0, "{}", relaxed.stderr);
    assert_eq!(relaxed.stdout.matches("PBES2: PBKDF2-HMAC-SHA1, 2048 iterations, 8-byte salt, AES-256-CBC").count(), 8);
    assert_eq!(relaxed.stdout.matches("LOW      TRUST-KEYFILE-SALT  key file ").count(), 4);
    assert!(relaxed.stdout.contains("         reference: SP 800-132 §5.1\n         fix: trust key migrate\n"));

    let strict = audit("file:///nonexistent", keys.path(), &["--fips", "--keystore", "--format", "sarif"]);
    assert_eq!(strict.code, 7);
    assert_valid_sarif(&strict.stdout);
    let log: Value = serde_json::from_str(&strict.stdout).unwrap();
    let salt: Vec<&Value> =
        log["runs"][0]["results"].as_array().unwrap().iter().filter(|r| r["ruleId"] == "TRUST-KEYFILE-SALT").collect();
    assert_eq!(salt.len(), 4);
    assert!(salt.iter().all(|r| r["level"] == "error"));
    let uri = salt[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
    assert!(uri.starts_with("file:///") && uri.ends_with(".key"), "{uri}");
}

#[test]
fn repositories_that_cannot_be_audited_keep_their_exit_codes() {
    let repo = repo();
    let dir = tempfile::tempdir().unwrap();
    let missing = audit(&repo.url(), dir.path(), &["--format", "json", "registry.example.com/team/other", GUN]);
    assert_eq!(missing.code, 1, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("registry.example.com/team/other: remote trust data does not exist"),
        "{}",
        missing.stderr
    );
    let report: Value = serde_json::from_str(&missing.stdout).unwrap();
    assert_eq!(report["repositories"][0]["error"].as_str().map(|e| e.contains("does not exist")), Some(true));
    assert_eq!(report["repositories"][1]["roles"].as_array().unwrap().len(), 5, "the other repository is audited");
    assert_eq!(report["findings"][0]["id"], "TRUST-REPO-ERROR");

    let mut expired = Repo::live(GUN);
    expired.timestamp_expires = "2020-01-01T00:00:00Z".into();
    expired.publish();
    let run = audit(&expired.url(), tempfile::tempdir().unwrap().path(), &[GUN]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("failed verification: timestamp: metadata expired"), "{}", run.stderr);
    assert!(run.stdout.contains("CRITICAL TRUST-REPO-ERROR  registry.example.com/team/app\n"), "{}", run.stdout);

    let usage = audit(&repo.url(), dir.path(), &[]);
    assert_eq!(usage.code, 2, "an image or --keystore is required");
    let bad = audit(&repo.url(), dir.path(), &["--fail-on", "severe", GUN]);
    assert_eq!(bad.code, 2);
}

#[test]
fn help_documents_exit_code_7() {
    let out = Command::new(env!("CARGO_BIN_EXE_trust")).arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("  7  trust audit: a finding at or above --fail-on (default: high)"), "{help}");
    assert!(help.contains("  audit "), "{help}");
}

/// `trust --trust-dir <dir> key migrate ARGS` with the fixtures' passphrase for every role.
fn migrate(trust_dir: &Path, passphrase: &str, args: &[&str]) -> Outcome {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trust"));
    for var in trust_core::keystore::PASSPHRASE_VARS {
        cmd.env(var, passphrase);
    }
    run(cmd.env("TRUST_FIPS", "0").arg("--trust-dir").arg(trust_dir).args(["key", "migrate"]).args(args))
}

#[test]
fn key_migrate_rewrites_docker_key_files_to_sp_800_132_and_keeps_them_usable() {
    let dir = docker_keys();
    let before = audit("file:///nonexistent", dir.path(), &["--keystore", "--format", "json", "--fail-on", "none"]);
    assert!(before.stdout.contains("TRUST-KEYFILE-SALT"), "{}", before.stdout);

    // A wrong passphrase: exit 5, nothing rewritten.
    let originals: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir.path().join("private"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect();
    let wrong = migrate(dir.path(), "not-the-passphrase", &[]);
    assert_eq!(wrong.code, 5, "{}", wrong.stderr);
    assert!(!wrong.stderr.contains("not-the-passphrase"));
    for (path, bytes) in &originals {
        assert_eq!(&std::fs::read(path).unwrap(), bytes, "{} changed", path.display());
    }

    let run = migrate(dir.path(), "trust-test-passphrase", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.matches("Migrated ").count(), originals.len(), "{}", run.stdout);
    assert!(run.stdout.contains("PBKDF2-HMAC-SHA1, 2048 iterations, 8-byte salt"), "{}", run.stdout);
    assert!(run.stdout.contains("docker and notary cannot read migrated key files"));

    let after = audit("file:///nonexistent", dir.path(), &["--keystore", "--format", "json", "--fail-on", "none"]);
    assert!(!after.stdout.contains("TRUST-KEYFILE-SALT"), "{}", after.stdout);
    for (path, original) in &originals {
        let migrated = trust_core::keystore::KeyFile::parse(&std::fs::read(path).unwrap()).unwrap();
        assert!(migrated.protection().meets_sp800_132(), "{}", migrated.protection());
        let old = trust_core::keystore::KeyFile::parse(original).unwrap();
        assert_eq!((migrated.role(), migrated.gun()), (old.role(), old.gun()));
        let key = migrated.decrypt("trust-test-passphrase").unwrap();
        assert_eq!(key.public_key(), old.decrypt("trust-test-passphrase").unwrap().public_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
    // Again: nothing left to do.
    let again = migrate(dir.path(), "trust-test-passphrase", &[]);
    assert_eq!(again.stdout.matches("Unchanged ").count(), originals.len(), "{}", again.stdout);
}
