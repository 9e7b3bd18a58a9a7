//! The `trust` binary against repositories served from a directory (the file
//! remote), signed moments ago: outputs, exit codes and messages a user relies on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use trust_test_support::builders;
use trust_test_support::outcome;

use std::path::Path;
use std::process::Command;

use builders::{Repo, snapshot_dir, target_json};
use outcome::{Outcome, run};

fn trust(repo: &Repo, trust_dir: &Path, args: &[&str]) -> Outcome {
    trust_at(&repo.url(), trust_dir, args)
}

/// `trust --server SERVER --trust-dir DIR ARGS`, with no pinning or server from the
/// environment.
fn trust_at(server: &str, trust_dir: &Path, args: &[&str]) -> Outcome {
    run(Command::new(env!("CARGO_BIN_EXE_trust"))
        .env_remove("TRUST_PINNING")
        .env_remove("DOCKER_CONTENT_TRUST_SERVER")
        .args(["--server", server, "--trust-dir"])
        .arg(trust_dir)
        .args(args))
}

const GUN: &str = "registry.example.com/team/app";

fn sha256_hex(bytes: &[u8]) -> String {
    trust_core::crypto::backend::digest::digest(&trust_core::crypto::backend::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// v1 and v2 released and signed by alice; `admin` only in targets.
fn signed_repo() -> Repo {
    let mut repo = Repo::live(GUN);
    repo.targets.insert("admin".into(), target_json(b"admin"));
    for role in ["targets/releases", "targets/alice"] {
        let d = repo.add_delegation(role, &[""]);
        d.targets.insert("v1".into(), target_json(b"v1"));
        d.targets.insert("v2".into(), target_json(b"v2"));
    }
    repo.publish();
    repo
}

#[test]
fn verify_prints_the_signed_digest() {
    let repo = signed_repo();
    let dir = tempfile::tempdir().unwrap();
    let run = trust(&repo, dir.path(), &["verify", &format!("{GUN}:v1")]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, format!("sha256:{}\n", sha256_hex(b"v1")).as_str(), "")
    );
    let run = trust(&repo, dir.path(), &["verify", "--output", "json", &format!("{GUN}:admin")]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["role"], "targets");
    assert_eq!(json["signers"], serde_json::json!(["Repo Admin"]));
    assert_eq!(json["size"], 5);
}

#[test]
fn verify_checks_digest_references() {
    let repo = signed_repo();
    let dir = tempfile::tempdir().unwrap();
    let v2 = format!("sha256:{}", sha256_hex(b"v2"));
    let by_digest = trust(&repo, dir.path(), &["verify", &format!("{GUN}@{v2}")]);
    assert_eq!((by_digest.code, by_digest.stdout.trim()), (0, v2.as_str()));
    let mismatch = trust(&repo, dir.path(), &["verify", &format!("{GUN}:v1@{v2}")]);
    assert_eq!(mismatch.code, 3, "{}", mismatch.stderr);
    assert!(mismatch.stderr.contains("the signed digest of v1 is"), "{}", mismatch.stderr);
    let unknown = format!("sha256:{}", sha256_hex(b"never signed"));
    let unsigned = trust(&repo, dir.path(), &["verify", &format!("{GUN}@{unknown}")]);
    assert_eq!(unsigned.code, 1);
    assert!(unsigned.stderr.contains(&format!("no signed tag of {GUN} points to {unknown}")), "{}", unsigned.stderr);
}

#[test]
fn an_unsigned_tag_exits_1_and_says_where_to_look() {
    let repo = signed_repo();
    let dir = tempfile::tempdir().unwrap();
    let run = trust(&repo, dir.path(), &["verify", &format!("{GUN}:v3")]);
    assert_eq!((run.code, run.stdout.as_str()), (1, ""));
    assert!(run.stderr.contains(&format!("no signed trust data for {GUN}:v3")), "{}", run.stderr);
    assert!(run.stderr.contains("trust inspect"), "{}", run.stderr);
}

#[test]
fn a_tag_only_a_signer_holds_is_not_a_release() {
    let mut repo = signed_repo();
    repo.delegation("targets/alice").targets.insert("wip".into(), target_json(b"wip"));
    repo.delegation("targets/alice").version += 1;
    repo.bump();
    repo.publish();
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(trust(&repo, dir.path(), &["verify", &format!("{GUN}:wip")]).code, 1);
}

#[test]
fn inspect_pretty_shows_signers_and_admin_keys() {
    let repo = signed_repo();
    let dir = tempfile::tempdir().unwrap();
    let run = trust(&repo, dir.path(), &["inspect", "--pretty", GUN]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let alice = trust_core::crypto::keyid::canonical_key_id(&repo.delegations[1].keys[0].public).unwrap();
    let expected_rows = [
        format!("admin        {}   (Repo Admin)", sha256_hex(b"admin")),
        format!("v1           {}   alice", sha256_hex(b"v1")),
        format!("alice     {}", &alice[..12]),
        format!("  Root Key:\t{}", repo.root_keys[0].id()),
        format!("  Repository Key:\t{}", repo.targets_keys[0].id()),
    ];
    for row in expected_rows {
        assert!(run.stdout.lines().any(|l| l == row), "missing {row:?} in\n{}", run.stdout);
    }
}

#[test]
fn tampered_trust_data_exits_3_and_leaves_the_cache_alone() {
    let mut repo = signed_repo();
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(trust(&repo, dir.path(), &["verify", &format!("{GUN}:v1")]).code, 0);
    let before = snapshot_dir(dir.path());
    // A compromised server re-signs snapshot and timestamp over a forged releases file.
    repo.delegation("targets/releases").targets.insert("v1".into(), target_json(b"evil"));
    repo.delegation("targets/releases").version += 1;
    let forged = repo.build()["targets/releases"].clone();
    let v: serde_json::Value = serde_json::from_slice(&forged).unwrap();
    let signed = trust_core::canonical::to_vec(&v["signed"]).unwrap();
    // Signed with the targets key, under the ID of the key releases lists.
    let mut wrong_key = repo.targets_keys[0].sign(&signed);
    wrong_key.keyid = repo.delegation("targets/releases").keys[0].id();
    repo.overrides.insert("targets/releases".into(), trust_core::wire::write_envelope(&signed, &[wrong_key]));
    repo.bump();
    repo.publish();
    let run = trust(&repo, dir.path(), &["--max-age", "0", "verify", &format!("{GUN}:v1")]);
    assert_eq!((run.code, run.stdout.as_str()), (3, ""), "{}", run.stderr);
    assert!(run.stderr.contains("targets/releases: signature threshold not met"), "{}", run.stderr);
    assert!(snapshot_dir(dir.path()) == before, "the cache changed");
}

#[test]
fn a_missing_repository_prints_what_docker_prints() {
    let repo = signed_repo();
    let dir = tempfile::tempdir().unwrap();
    let missing = "registry.example.com/team/other";
    let json = trust(&repo, dir.path(), &["inspect", missing]);
    assert_eq!((json.code, json.stdout.as_str()), (1, "[]\n"));
    assert_eq!(json.stderr, format!("No signatures or cannot access {missing}\n"));
    let pretty = trust(&repo, dir.path(), &["inspect", "--pretty", missing]);
    assert_eq!((pretty.code, pretty.stdout.as_str(), pretty.stderr.as_str()), (1, "", json.stderr.as_str()));
}

#[test]
fn usage_errors_exit_2() {
    let repo = signed_repo();
    let dir = tempfile::tempdir().unwrap();
    let run = trust(&repo, dir.path(), &["verify", "Registry.Example.com/UPPER/case"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("must be lowercase"), "{}", run.stderr);
    assert_eq!(trust(&repo, dir.path(), &["verify"]).code, 2);
    let bad_server = Command::new(env!("CARGO_BIN_EXE_trust"))
        .args(["--server", "ftp://example.com", "verify", "a/b:c"])
        .output()
        .unwrap();
    assert_eq!(bad_server.status.code(), Some(2));
}

/// Snapshot, timestamp and a `targets/releases` signer: ECDSA, or Ed25519 for the signer.
fn repo_with_ed25519_signer() -> Repo {
    let mut repo = Repo::live(GUN);
    repo.snapshot_key = builders::Key::ecdsa();
    repo.timestamp_key = builders::Key::ecdsa();
    let d = repo.add_delegation("targets/releases", &[""]);
    d.keys = vec![builders::Key::ed25519()];
    d.targets.insert("v1".into(), target_json(b"v1"));
    repo.publish();
    repo
}

#[test]
fn fips_mode_refuses_an_ed25519_signer_that_passes_outside_it() {
    let repo = repo_with_ed25519_signer();
    let key_id = repo.delegations[0].keys[0].id();
    let dir = tempfile::tempdir().unwrap();
    let run = trust(&repo, dir.path(), &["verify", &format!("{GUN}:v1")]);
    assert_eq!((run.code, run.stdout.trim()), (0, format!("sha256:{}", sha256_hex(b"v1")).as_str()), "{}", run.stderr);

    for fips in [&["--fips"][..], &[]] {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_trust"));
        cmd.args(["--server", &repo.url(), "--trust-dir"]).arg(dir.path()).args(fips);
        if fips.is_empty() {
            cmd.env("TRUST_FIPS", "1");
        }
        let out = cmd.args(["verify", &format!("{GUN}:v1")]).output().unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        for needle in ["targets/releases", &key_id[..12], "Ed25519 key refused in FIPS mode"] {
            assert!(stderr.contains(needle), "{needle:?} missing from: {stderr}");
        }
    }
}

#[test]
fn version_says_whether_fips_mode_is_on_and_why() {
    let run = |args: &[&str], var: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_trust"));
        cmd.env_remove("TRUST_FIPS").env_remove("DOCKER_FIPS");
        if let Some(v) = var {
            cmd.env("DOCKER_FIPS", v);
        }
        String::from_utf8(cmd.args(args).output().unwrap().stdout).unwrap()
    };
    assert!(run(&["version"], Some("1")).contains("FIPS mode: on (DOCKER_FIPS=1)"));
    assert!(run(&["version"], Some("0")).contains("FIPS mode: off (DOCKER_FIPS=0)"));
    assert!(run(&["--fips", "version"], Some("0")).contains("FIPS mode: on (--fips)"));
    assert!(run(&["version"], None).contains("crypto module: "));
}

#[test]
fn fips_mode_signs_with_approved_algorithms_and_sp_800_132_key_files() {
    let remote = tempfile::tempdir().unwrap();
    let trust_dir = tempfile::tempdir().unwrap();
    let server = format!("file://{}", remote.path().display());
    let run = |fips: bool, args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_trust"));
        for var in trust_core::keystore::PASSPHRASE_VARS {
            cmd.env(var, "fips-test-passphrase");
        }
        cmd.env("TRUST_FIPS", if fips { "1" } else { "0" });
        let out = cmd.args(["--server", &server, "--trust-dir"]).arg(trust_dir.path()).args(args).output().unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
    };
    let digest = format!("sha256:{}", sha256_hex(b"fips"));
    let (code, _, stderr) = run(true, &["sign", "--digest", &digest, "--size", "4", &format!("{GUN}:v1")]);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stdout, stderr) = run(true, &["verify", &format!("{GUN}:v1")]);
    assert_eq!((code, stdout.trim()), (Some(0), digest.as_str()), "{stderr}");
    // Every key file, the client's and the file remote's own, has SP 800-132 parameters.
    let mut key_files = Vec::new();
    for dir in [trust_dir.path().join("private"), remote.path().join("_server").join(GUN)] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "key") {
                key_files.push(path);
            }
        }
    }
    assert!(key_files.len() >= 4, "{key_files:?}");
    for path in &key_files {
        let file = trust_core::keystore::KeyFile::parse(&std::fs::read(path).unwrap()).unwrap();
        assert!(file.protection().meets_sp800_132(), "{}: {}", path.display(), file.protection());
    }
    // Ed25519 keys are refused at generation in FIPS mode.
    let (code, _, stderr) = run(true, &["key", "generate", "--algorithm", "ed25519", "--dir", "/tmp", "edkey"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("Ed25519 keys are not accepted in FIPS mode"), "{stderr}");
}

#[test]
fn plain_http_servers_are_refused_except_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let run_at = |server: &str| trust_at(server, dir.path(), &["verify", &format!("{GUN}:v1")]);
    for remote in ["http://notary.example.com", "http://10.0.0.1:4443"] {
        let out = run_at(remote);
        assert_eq!(out.code, 2, "{remote}: {out:?}");
        assert!(out.stderr.contains("valid https URL required"), "{remote}: {out:?}");
    }
    // Loopback: accepted and asked (nothing listens on port 9, so it cannot be reached).
    for local in ["http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9"] {
        let out = run_at(local);
        assert_eq!(out.code, 4, "{local}: {out:?}");
        assert!(out.stderr.contains(local.trim_end_matches('/')), "names the server: {out:?}");
    }
    assert!(!dir.path().join("tuf").exists(), "nothing cached");
}

#[test]
fn a_relative_file_url_says_file_urls_need_an_absolute_path() {
    let dir = tempfile::tempdir().unwrap();
    let relative = trust_at("file://relative/dir", &dir.path().join("trust"), &["verify", &format!("{GUN}:v1")]);
    assert_eq!(relative.code, 2, "{relative:?}");
    assert!(relative.stderr.contains("file URLs need an absolute path, got file://relative/dir"), "{relative:?}");
    assert!(relative.stderr.contains("file:///ABSOLUTE/DIR"), "{relative:?}");
}
