//! Tampered trust data served from the file remote. Each attack must fail with a
//! message naming the failure, and leave the cache exactly as it was.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use trust_test_support::builders;

use builders::{Key, Repo, expiry, now, sign, snapshot_dir, target_json};
use chrono::Duration;
use serde_json::json;
use trust_core::ErrorKind;
use trust_core::client::ClientOptions;

/// A repository with `v1` released through `targets/releases` (signer alice) and
/// `admin` in targets, already fetched once into a trust dir.
struct Setup {
    repo: Repo,
    trust_dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let mut repo = Repo::new("example.com/org/app");
        repo.targets.insert("admin".into(), target_json(b"admin manifest"));
        repo.add_delegation("targets/releases", &[""]).targets.insert("v1".into(), target_json(b"v1 manifest"));
        repo.publish();
        let trust_dir = tempfile::tempdir().unwrap();
        let setup = Setup { repo, trust_dir };
        setup.verify("v1").expect("the untampered repository verifies");
        setup
    }

    fn verify(&self, tag: &str) -> trust_core::Result<String> {
        let client = self.repo.client(self.trust_dir.path());
        let mut repo = client.update()?;
        Ok(repo.release(tag)?.digest_hex())
    }

    fn cache(&self) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
        snapshot_dir(self.trust_dir.path())
    }

    /// Publishes, verifies `tag`, and checks the failure and the cache.
    fn expect_failure(&mut self, tag: &str, kind: ErrorKind, needle: &str) {
        let before = self.cache();
        let err = self.verify(tag).expect_err("tampered data must not verify");
        assert_eq!(err.kind(), kind, "{err}");
        assert!(err.to_string().contains(needle), "expected {needle:?} in: {err}");
        assert_eq!(self.cache(), before, "the cache changed after a failed update");
    }
}

fn flip_last_sig_byte(file: &[u8]) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(file).unwrap();
    let sig = v["signatures"][0]["sig"].as_str().unwrap().to_owned();
    let mut raw = common_b64_decode(&sig);
    let last = raw.len() - 1;
    raw[last] ^= 1;
    v["signatures"][0]["sig"] = json!(builders::b64(&raw));
    serde_json::to_vec(&v).unwrap()
}

fn common_b64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

#[test]
fn bad_signature_on_targets() {
    let mut s = Setup::new();
    s.repo.targets_version += 1;
    s.repo.bump();
    let good = s.repo.build()["targets"].clone();
    s.repo.overrides.insert("targets".into(), flip_last_sig_byte(&good));
    s.repo.publish();
    s.expect_failure("v1", ErrorKind::Verification, "targets: signature threshold not met");
}

#[test]
fn bad_signature_on_a_delegation() {
    let mut s = Setup::new();
    s.repo.delegation("targets/releases").version += 1;
    s.repo.bump();
    let good = s.repo.build()["targets/releases"].clone();
    s.repo.overrides.insert("targets/releases".into(), flip_last_sig_byte(&good));
    s.repo.publish();
    s.expect_failure("v1", ErrorKind::Verification, "targets/releases: signature threshold not met");
}

#[test]
fn threshold_not_met() {
    let mut s = Setup::new();
    s.repo.targets_keys.push(Key::ecdsa());
    s.repo.targets_threshold = 2;
    s.repo.root_version += 1;
    s.repo.previous_root_keys.clear();
    s.repo.targets_version += 1;
    s.repo.bump();
    // Only the first targets key signs.
    let mut files = s.repo.build();
    let targets: serde_json::Value = serde_json::from_slice(&files["targets"]).unwrap();
    let only_one = sign(&targets["signed"], &[&s.repo.targets_keys[0]]);
    files.insert("targets".into(), only_one.clone());
    s.repo.overrides.insert("targets".into(), only_one);
    s.repo.publish();
    s.expect_failure("v1", ErrorKind::Verification, "1 valid signature(s) from distinct keys, 2 required");
}

#[test]
fn one_key_signing_twice_does_not_meet_a_threshold_of_two() {
    let mut s = Setup::new();
    s.repo.targets_keys.push(Key::ecdsa());
    s.repo.targets_threshold = 2;
    s.repo.root_version += 1;
    s.repo.targets_version += 1;
    s.repo.bump();
    let files = s.repo.build();
    let mut v: serde_json::Value = serde_json::from_slice(&files["targets"]).unwrap();
    let first = v["signatures"][0].clone();
    v["signatures"] = json!([first.clone(), first]);
    s.repo.overrides.insert("targets".into(), serde_json::to_vec(&v).unwrap());
    s.repo.publish();
    s.expect_failure("v1", ErrorKind::Verification, "1 valid signature(s) from distinct keys, 2 required");
}

#[test]
fn one_key_listed_as_certificate_and_as_bare_key_counts_once() {
    // The root role lists the same key twice: as its certificate and as the bare key.
    let mut s = Setup::new();
    let cert_key = &s.repo.root_keys[0];
    let bare = trust_core::wire::PublicKey::new(
        trust_core::wire::KeyType::Ecdsa,
        cert_key.private.public_key().public.clone(),
    );
    let mut root = s.repo.root_value();
    root["version"] = json!(2);
    root["keys"][bare.tuf_id()] = serde_json::to_value(&bare).unwrap();
    root["roles"]["root"]["keyids"].as_array_mut().unwrap().push(json!(bare.tuf_id()));
    root["roles"]["root"]["threshold"] = json!(2);
    let canonical = trust_core::canonical::to_vec(&root).unwrap();
    let sig = cert_key.sign(&canonical);
    let mut sig2 = sig.clone();
    sig2.keyid = bare.tuf_id();
    let bytes = trust_core::wire::write_envelope(&canonical, &[sig, sig2]);
    s.repo.root_history.push(bytes.clone());
    s.repo.overrides.insert("root".into(), bytes);
    s.repo.bump();
    s.repo.publish();
    s.expect_failure("v1", ErrorKind::Verification, "root");
}

#[test]
fn rollback_of_the_timestamp() {
    let mut s = Setup::new();
    let old = s.repo.build()["timestamp"].clone();
    s.repo.bump();
    s.repo.publish();
    s.verify("v1").unwrap();
    s.repo.overrides.insert("timestamp".into(), old);
    s.repo.publish();
    s.expect_failure("v1", ErrorKind::Verification, "timestamp: version 1 is older than the trusted version 2");
}

#[test]
fn rollback_of_the_snapshot() {
    let mut s = Setup::new();
    let old = s.repo.build()["snapshot"].clone();
    s.repo.bump();
    s.repo.publish();
    s.verify("v1").unwrap();
    s.repo.timestamp_version += 1;
    s.repo.overrides.insert("snapshot".into(), old);
    s.repo.publish();
    s.expect_failure("v1", ErrorKind::Verification, "snapshot: version 1 is older than the trusted version 2");
}

#[test]
fn rollback_of_targets() {
    let mut s = Setup::new();
    let old = s.repo.build()["targets"].clone();
    s.repo.targets_version += 1;
    s.repo.bump();
    s.repo.publish();
    s.verify("v1").unwrap();
    s.repo.bump();
    s.repo.overrides.insert("targets".into(), old);
    s.repo.publish();
    s.expect_failure("v1", ErrorKind::Verification, "targets: version 1 is older than the trusted version 2");
}

#[test]
fn rollback_of_a_delegation() {
    let mut s = Setup::new();
    let old = s.repo.build()["targets/releases"].clone();
    s.repo.delegation("targets/releases").version += 1;
    s.repo.delegation("targets/releases").targets.insert("v1".into(), target_json(b"v1 rebuilt"));
    s.repo.bump();
    s.repo.publish();
    s.verify("v1").unwrap();
    s.repo.bump();
    s.repo.overrides.insert("targets/releases".into(), old);
    s.repo.publish();
    s.expect_failure("v1", ErrorKind::Verification, "targets/releases: version 1 is older than the trusted version 2");
}

#[test]
fn expired_timestamp() {
    let mut s = Setup::new();
    s.repo.bump();
    s.repo.timestamp_expires = expiry(Duration::seconds(-1));
    s.repo.publish();
    s.expect_failure("v1", ErrorKind::Verification, "timestamp: metadata expired");
}

#[test]
fn snapshot_from_another_version_mix_and_match() {
    let mut s = Setup::new();
    let old_snapshot = s.repo.build()["snapshot"].clone();
    s.repo.targets.insert("v2".into(), target_json(b"v2"));
    s.repo.targets_version += 1;
    s.repo.bump();
    let files = s.repo.publish();
    // The timestamp pins the new snapshot; the server hands out the old one under its name.
    let pin = trust_core::wire::FileMeta::for_bytes(&files["snapshot"]).sha256_hex().unwrap();
    builders::write(&s.repo.tuf_dir().join(format!("snapshot.{pin}.json")), &old_snapshot);
    s.expect_failure("v1", ErrorKind::Verification, "snapshot: sha256 hash does not match");
}

#[test]
fn targets_hash_mismatch() {
    let mut s = Setup::new();
    s.repo.targets_version += 1;
    s.repo.bump();
    let files = s.repo.publish();
    // Same length, different bytes, served where the snapshot's hash points.
    let mut evil = files["targets"].clone();
    let pos = evil.iter().rposition(|&b| b == b'A').unwrap_or(evil.len() - 3);
    evil[pos] = if evil[pos] == b'A' { b'B' } else { b'A' };
    let pin = trust_core::wire::FileMeta::for_bytes(&files["targets"]).sha256_hex().unwrap();
    builders::write(&s.repo.tuf_dir().join(format!("targets.{pin}.json")), &evil);
    s.expect_failure("v1", ErrorKind::Verification, "targets: sha256 hash does not match");
}

#[test]
fn metadata_over_the_size_limit() {
    let mut s = Setup::new();
    s.repo.targets.insert(
        "big".into(),
        json!({"hashes": {"sha256": builders::b64(&[7; 32])}, "length": 1, "custom": "x".repeat(4096)}),
    );
    s.repo.targets_version += 1;
    s.repo.bump();
    s.repo.publish();
    let before = s.cache();
    let mut options = ClientOptions { now: Some(now()), ..ClientOptions::default() };
    options.limits.max_metadata_bytes = 4096;
    let err = s.repo.client_with(s.trust_dir.path(), options).update().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Verification);
    assert!(err.to_string().contains("size limit"), "{err}");
    assert_eq!(s.cache(), before);
}

#[test]
fn timestamp_over_the_size_limit() {
    let mut s = Setup::new();
    let padded = " ".repeat(2_000_000);
    let ts = s.repo.build()["timestamp"].clone();
    let mut big = ts.clone();
    big.pop();
    big.extend_from_slice(padded.as_bytes());
    big.push(b'}');
    s.repo.overrides.insert("timestamp".into(), big);
    s.repo.publish();
    s.expect_failure("v1", ErrorKind::Verification, "size limit");
}

#[test]
fn root_certificate_for_another_repository() {
    let mut repo = Repo::new("example.com/org/app");
    repo.root_keys = vec![Key::root("example.com/org/other", now() - Duration::days(1), now() + Duration::days(365))];
    repo.publish();
    let trust_dir = tempfile::tempdir().unwrap();
    let err = repo.client(trust_dir.path()).update().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Verification);
    assert!(err.to_string().contains("does not match"), "{err}");
    assert!(snapshot_dir(trust_dir.path()).is_empty());
}

#[test]
fn expired_root_certificate() {
    let mut repo = Repo::new("example.com/org/app");
    repo.root_keys = vec![Key::root("example.com/org/app", now() - Duration::days(400), now() - Duration::days(35))];
    repo.publish();
    let trust_dir = tempfile::tempdir().unwrap();
    let err = repo.client(trust_dir.path()).update().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Verification);
    assert!(err.to_string().contains("expired"), "{err}");
    assert!(snapshot_dir(trust_dir.path()).is_empty());
}

#[test]
fn delegation_signing_outside_its_paths() {
    let mut s = Setup::new();
    s.repo.delegation("targets/releases").paths = vec!["v1".into()];
    s.repo.delegation("targets/releases").targets.insert("v2".into(), target_json(b"v2 manifest"));
    s.repo.delegation("targets/releases").version += 1;
    s.repo.targets_version += 1;
    s.repo.bump();
    s.repo.publish();
    assert!(s.verify("v1").is_ok());
    s.expect_failure("v2", ErrorKind::Verification, "outside the paths delegated to it");
}

#[test]
fn delegation_cycle() {
    let mut s = Setup::new();
    // targets/releases delegates back to targets/releases (and to its own parent).
    s.repo.delegation("targets/releases").version += 1;
    s.repo.bump();
    let files = s.repo.build();
    let mut v: serde_json::Value = serde_json::from_slice(&files["targets/releases"]).unwrap();
    let key = s.repo.delegations[0].keys[0].id();
    v["signed"]["delegations"]["roles"] = json!([
        {"keyids": [key], "name": "targets/releases", "paths": [""], "threshold": 1},
        {"keyids": [key], "name": "targets", "paths": [""], "threshold": 1}
    ]);
    v["signed"]["delegations"]["keys"] = json!({key.clone(): s.repo.delegations[0].keys[0].json()});
    let resigned = sign(&v["signed"], &[&s.repo.delegations[0].keys[0]]);
    s.repo.overrides.insert("targets/releases".into(), resigned);
    s.repo.publish();
    s.expect_failure("v1", ErrorKind::Verification, "is not a valid child role of targets/releases");
}

#[test]
fn unknown_key_type() {
    let mut s = Setup::new();
    s.repo.targets_version += 1;
    s.repo.bump();
    let files = s.repo.build();
    let mut root: serde_json::Value = serde_json::from_slice(&files["root"]).unwrap();
    let tid = s.repo.targets_keys[0].id();
    // A root (v2) that names the targets key with an unknown type under a matching ID.
    let unknown = trust_core::wire::PublicKey::new(trust_core::wire::KeyType::Unknown("pgp".into()), vec![1, 2, 3]);
    let uid = unknown.tuf_id();
    root["signed"]["version"] = json!(2);
    root["signed"]["keys"][&uid] = serde_json::to_value(&unknown).unwrap();
    root["signed"]["roles"]["targets"]["keyids"] = json!([uid.clone()]);
    let _ = tid;
    let resigned = sign(&root["signed"], &[&s.repo.root_keys[0]]);
    s.repo.root_history.push(resigned.clone());
    s.repo.overrides.insert("root".into(), resigned);
    let mut targets: serde_json::Value = serde_json::from_slice(&files["targets"]).unwrap();
    targets["signatures"][0]["keyid"] = json!(uid);
    s.repo.overrides.insert("targets".into(), serde_json::to_vec(&targets).unwrap());
    s.repo.publish();
    s.expect_failure("v1", ErrorKind::Verification, "unsupported key type pgp");
}

#[test]
fn signature_method_that_does_not_fit_the_key() {
    let mut s = Setup::new();
    s.repo.targets_version += 1;
    s.repo.bump();
    let files = s.repo.build();
    let mut v: serde_json::Value = serde_json::from_slice(&files["targets"]).unwrap();
    v["signatures"][0]["method"] = json!("eddsa");
    s.repo.overrides.insert("targets".into(), serde_json::to_vec(&v).unwrap());
    s.repo.publish();
    s.expect_failure("v1", ErrorKind::Verification, "does not fit key type");
}

#[test]
fn unsigned_extra_envelope_fields_are_refused() {
    let mut s = Setup::new();
    s.repo.bump();
    let ts = s.repo.build()["timestamp"].clone();
    let mut v: serde_json::Value = serde_json::from_slice(&ts).unwrap();
    v["extra"] = json!("unsigned");
    s.repo.overrides.insert("timestamp".into(), serde_json::to_vec(&v).unwrap());
    s.repo.publish();
    s.expect_failure("v1", ErrorKind::Verification, "unknown field");
}
