//! `trust timestamp refresh` on file remotes (no peers): the directory re-signs only
//! its timestamp, over the same snapshot, with the lifetime asked for; an expired
//! timestamp is refreshed too; `inspect --pretty` and `audit` show when the timestamp
//! expires; lifetimes are checked before anything is read. Time is moved with
//! `faketime`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use trust_test_support::interop;

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Utc};
use interop::{Outcome, run, tempdir};
use serde_json::Value;

const GUN: &str = "localhost:5000/timestamp-file/app";
const PASSPHRASE: &str = "timestamp-file-passphrase";
const DIGEST: &str = "sha256:7d865e959b2466918c9863afca942d0fb89d7c9ac0c99bafc3749504ded97730";

/// `trust --server SERVER --trust-dir DIR ARGS` with every passphrase set, its clock
/// moved by `offset` (a faketime offset such as `+20d`) when given.
fn trust_at(offset: Option<&str>, server: &str, trust_dir: &Path, args: &[&str]) -> Outcome {
    let mut cmd = match offset {
        Some(offset) => {
            let mut cmd = Command::new("faketime");
            cmd.arg("-f").arg(offset).arg(env!("CARGO_BIN_EXE_trust"));
            cmd
        }
        None => Command::new(env!("CARGO_BIN_EXE_trust")),
    };
    for var in trust_core::keystore::PASSPHRASE_VARS {
        cmd.env(var, PASSPHRASE);
    }
    cmd.env("TRUST_SERVER_PASSPHRASE", PASSPHRASE)
        .env("TRUST_FIPS", "0")
        .env_remove("TRUST_PINNING")
        .env_remove("DOCKER_CONTENT_TRUST_SERVER");
    run(cmd.args(["--server", server, "--trust-dir"]).arg(trust_dir).args(args))
}

fn trust(server: &str, trust_dir: &Path, args: &[&str]) -> Outcome {
    trust_at(None, server, trust_dir, args)
}

fn ok(what: &str, out: Outcome) -> Outcome {
    assert_eq!(out.code, 0, "{what}: {out:?}");
    out
}

fn file_url(dir: &Path) -> String {
    format!("file://{}", dir.display())
}

fn tuf(store: &Path) -> PathBuf {
    store.join("v2").join(GUN).join("_trust/tuf")
}

/// The `signed` part of a stored role file.
fn stored(store: &Path, role: &str) -> Value {
    let file: Value = serde_json::from_slice(&std::fs::read(tuf(store).join(format!("{role}.json"))).unwrap()).unwrap();
    file["signed"].clone()
}

fn expiry(signed: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(signed["expires"].as_str().unwrap()).unwrap().to_utc()
}

/// An expiry as the CLI prints it: RFC 3339 UTC, whole seconds.
fn printed(signed: &Value) -> String {
    expiry(signed).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A repository on a new file remote, v1 signed by the admin; returns (store, admin's trust dir).
fn repository() -> (tempfile::TempDir, tempfile::TempDir) {
    let (store, admin) = (tempdir(), tempdir());
    let image = format!("{GUN}:v1");
    ok("sign v1", trust(&file_url(store.path()), admin.path(), &["sign", "--digest", DIGEST, "--size", "3", &image]));
    (store, admin)
}

#[test]
fn refresh_resigns_only_the_timestamp_over_the_same_snapshot() {
    let (store, admin) = repository();
    let url = file_url(store.path());
    let snapshot = std::fs::read(tuf(store.path()).join("snapshot.json")).unwrap();
    let before = stored(store.path(), "timestamp");
    let started = Utc::now();
    let out = ok("refresh", trust(&url, admin.path(), &["timestamp", "refresh", "--lifetime", "36h", GUN]));
    let after = stored(store.path(), "timestamp");
    assert_eq!(after["version"].as_u64(), before["version"].as_u64().map(|v| v + 1));
    let expires = printed(&after);
    assert_eq!(
        out.stdout,
        format!("Refreshed the timestamp of {GUN}: version {}, expires {expires}\n", after["version"])
    );
    assert_eq!(out.stderr, "");
    let lifetime = expiry(&after) - started;
    assert!(
        lifetime > chrono::Duration::hours(35)
            && lifetime <= chrono::Duration::hours(36) + chrono::Duration::minutes(1),
        "{lifetime}"
    );
    assert_eq!(std::fs::read(tuf(store.path()).join("snapshot.json")).unwrap(), snapshot, "the snapshot is untouched");
    assert_eq!(after["meta"]["snapshot"], before["meta"]["snapshot"]);
    // Readers new and cached accept it.
    for reader in [tempdir().path().to_owned(), admin.path().to_owned()] {
        let verified = ok("verify", trust(&url, &reader, &["verify", &format!("{GUN}:v1")]));
        assert_eq!(verified.stdout.trim(), DIGEST);
    }
    // The default lifetime is 14 days.
    ok("refresh again", trust(&url, admin.path(), &["timestamp", "refresh", GUN]));
    let days = (expiry(&stored(store.path(), "timestamp")) - Utc::now()).num_hours();
    assert!((335..=336).contains(&days), "{days} hours");
}

#[test]
fn an_expired_timestamp_is_refreshed_and_verifies_again() {
    let (store, admin) = repository();
    let url = file_url(store.path());
    let reader = tempdir();
    let later = Some("+20d");
    let expired = trust_at(later, &url, reader.path(), &["verify", &format!("{GUN}:v1")]);
    assert_eq!(expired.code, 3, "{expired:?}");
    assert!(expired.stderr.contains("timestamp: metadata expired"), "{expired:?}");
    assert!(expired.stderr.contains(&format!("must re-sign it with `trust timestamp refresh {GUN}`")), "{expired:?}");
    let sign = trust_at(later, &url, admin.path(), &["sign", "--digest", DIGEST, "--size", "3", &format!("{GUN}:v2")]);
    assert_eq!(sign.code, 3, "a publish starts from verified state: {sign:?}");
    assert!(sign.stderr.contains("trust timestamp refresh"), "{sign:?}");
    let out = trust_at(later, &url, admin.path(), &["timestamp", "refresh", GUN]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.starts_with(&format!("Refreshed the timestamp of {GUN}: version 2, expires ")), "{out:?}");
    let verified = ok("verify", trust_at(later, &url, reader.path(), &["verify", &format!("{GUN}:v1")]));
    assert_eq!(verified.stdout.trim(), DIGEST);
    // Publishing works again.
    ok("sign", trust_at(later, &url, admin.path(), &["sign", "--digest", DIGEST, "--size", "3", &format!("{GUN}:v2")]));
    let v2 = ok("verify v2", trust_at(later, &url, reader.path(), &["verify", &format!("{GUN}:v2")]));
    assert_eq!(v2.stdout.trim(), DIGEST);
}

#[test]
fn inspect_and_audit_show_when_the_timestamp_expires() {
    let (store, admin) = repository();
    let url = file_url(store.path());
    ok("refresh", trust(&url, admin.path(), &["timestamp", "refresh", "--lifetime", "2h", GUN]));
    let timestamp = stored(store.path(), "timestamp");
    let expires = printed(&timestamp);
    let pretty = ok("inspect", trust(&url, admin.path(), &["inspect", "--pretty", GUN]));
    let lines: Vec<&str> = pretty.stdout.lines().collect();
    assert!(lines[lines.len() - 1].starts_with("  Root Key:\t"), "stdout stays docker's: {pretty:?}");
    assert!(
        pretty.stderr.contains(&format!("Timestamp Expires:\t{expires} for {GUN}")),
        "the expiry is on stderr: {pretty:?}"
    );
    assert!(pretty.stderr.contains("trust timestamp refresh"), "{pretty:?}");
    let json = ok("inspect json", trust(&url, admin.path(), &["inspect", GUN]));
    assert!(!json.stdout.contains("Expires"), "the JSON stays docker's: {json:?}");

    let audit = trust(&url, admin.path(), &["audit", "--format", "json", "--fail-on", "none", GUN]);
    assert_eq!(audit.code, 0, "{audit:?}");
    let report: Value = serde_json::from_str(&audit.stdout).unwrap();
    let repo = &report["repositories"][0];
    assert_eq!(
        DateTime::parse_from_rfc3339(repo["timestamp_expires"].as_str().unwrap()).unwrap().to_utc(),
        expiry(&timestamp)
    );
    assert_eq!(repo["timestamp_resigned_by_server"], false);
    let findings = report["findings"].as_array().unwrap();
    let expiry = findings
        .iter()
        .find(|f| f["id"] == "TRUST-EXPIRY" && f["subject"] == format!("{GUN} role timestamp"))
        .unwrap_or_else(|| panic!("no timestamp expiry finding: {findings:?}"));
    assert_eq!(expiry["severity"], "medium");
    assert!(expiry["fix"].as_str().unwrap().contains(&format!("trust timestamp refresh {GUN}")), "{expiry}");

    // 14 days left: no finding.
    ok("refresh", trust(&url, admin.path(), &["timestamp", "refresh", GUN]));
    let audit = trust(&url, admin.path(), &["audit", "--format", "json", "--fail-on", "none", GUN]);
    let report: Value = serde_json::from_str(&audit.stdout).unwrap();
    assert!(!report["findings"].as_array().unwrap().iter().any(|f| f["id"] == "TRUST-EXPIRY"), "{}", audit.stdout);
}

#[test]
fn lifetimes_are_checked_before_anything_is_read() {
    let store = tempdir();
    let dir = tempdir();
    let url = file_url(store.path());
    for (lifetime, says) in [
        ("60m", "must exceed 1 hour"),
        ("1h", "must exceed 1 hour"),
        ("366d", "at most 365d"),
        ("2w", "invalid lifetime \"2w\""),
        ("14", "invalid lifetime \"14\""),
    ] {
        let out = trust(&url, dir.path(), &["timestamp", "refresh", "--lifetime", lifetime, GUN]);
        assert_eq!(out.code, 2, "{lifetime}: {out:?}");
        assert!(out.stderr.contains(says), "{lifetime}: {out:?}");
        assert_eq!(out.stdout, "");
    }
}

#[test]
fn a_notary_server_refreshes_its_own_timestamps() {
    let dir = tempdir();
    // Refused before anything is fetched: nothing listens on this port.
    let out = trust("https://127.0.0.1:9", dir.path(), &["timestamp", "refresh", GUN]);
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "{GUN}: notary-server signs its own timestamps (it re-signs them before they expire); nothing to refresh\n\
             failed to refresh the timestamp of: {GUN}\n"
        )
    );
}

#[test]
fn several_images_are_each_tried_and_the_worst_code_wins() {
    let (store, admin) = repository();
    let url = file_url(store.path());
    let missing = "localhost:5000/timestamp-file/none";
    let out = trust(&url, admin.path(), &["timestamp", "refresh", missing, GUN, "not a reference"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stdout.starts_with(&format!("Refreshed the timestamp of {GUN}: version 2, expires ")), "{out:?}");
    assert_eq!(out.stdout.lines().count(), 1);
    assert!(out.stderr.contains(&format!("{missing}: ")), "{out:?}");
    assert!(out.stderr.contains("not a reference: "), "{out:?}");
    assert!(
        out.stderr.ends_with(&format!("failed to refresh the timestamp of: {missing}, not a reference\n")),
        "{out:?}"
    );
    let only_missing = trust(&url, admin.path(), &["timestamp", "refresh", missing]);
    assert_eq!(only_missing.code, 1, "no trust data: {only_missing:?}");
}
