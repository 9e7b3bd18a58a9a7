//! `trust inspect|verify --bundle` over bundles built from the real-tool fixtures:
//! the same output as `docker trust inspect` took from the server, no trust server,
//! nothing cached, frozen verification, and bad bundles refused with clear errors.
//! Time is set with `faketime`, so that the fixtures' 14-day timestamps are fresh or
//! expired as each test needs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use trust_test_support::bundle;
use trust_test_support::outcome;

use std::path::Path;
use std::process::Command;

use bundle::{Builder, captured_at, case_field, fixture_bundle, fixtures};
use outcome::{Outcome, run};

/// A day after the fixtures were captured: every role is fresh.
const FRESH: &str = "2026-11-24 00:00:00";
/// Months after the fixtures' timestamps expired.
const LATER: &str = "2027-06-01 00:00:00";

/// `trust ARGS` with its clock at `at` (UTC), an empty trust directory and no
/// trust server configured.
fn trust_at(at: &str, trust_dir: &Path, args: &[&str]) -> Outcome {
    run(Command::new("faketime")
        .env("TZ", "UTC")
        .env_remove("TRUST_PINNING")
        .env_remove("TRUST_BUNDLE")
        .env_remove("TRUST_FROZEN")
        .env_remove("DOCKER_CONTENT_TRUST_SERVER")
        .env("DOCKER_CONFIG", trust_dir.join("docker-config"))
        .arg(at)
        .arg(env!("CARGO_BIN_EXE_trust"))
        .arg("--trust-dir")
        .arg(trust_dir.join("trust"))
        .args(args))
}

fn image(case: &str) -> String {
    case_field(case, "image")
}

#[test]
fn inspect_from_a_bundle_is_what_docker_printed_from_the_server() {
    for case in ["docker-signers", "rotated"] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = fixture_bundle(case, &tmp.path().join("bundle"));
        let archive = tmp.path().join("bundle.tar.gz");
        archive_of(&dir, &archive);
        let plain = Builder::new(&tmp.path().join("again"), "https://localhost:4443", captured_at(case))
            .add(bundle::fixture_remote(case).as_ref(), &case_field(case, "gun"), captured_at(case))
            .pack(&tmp.path().join("bundle.tar"));
        for path in [&dir, &archive, &plain] {
            let b = path.to_str().unwrap();
            let json = trust_at(FRESH, tmp.path(), &["inspect", "--bundle", b, &image(case)]);
            assert_eq!(json.code, 0, "{case}: {}", json.stderr);
            let want = std::fs::read_to_string(fixtures().join(case).join("docker-inspect.json")).unwrap();
            assert_eq!(json.stdout, want, "{case} from {b}");
            let pretty = trust_at(FRESH, tmp.path(), &["inspect", "--pretty", "--bundle", b, &image(case)]);
            let want = std::fs::read_to_string(fixtures().join(case).join("docker-inspect-pretty.txt")).unwrap();
            assert_eq!(pretty.stdout, want, "{case} from {b}");
            // One line on stderr: where the answer comes from, and as of when.
            let line = json.stderr.trim_end();
            assert!(!line.contains('\n'), "{line}");
            assert!(line.starts_with(&format!("frozen trust data from bundle {b}")), "{line}");
            assert!(line.contains("exported from https://localhost:4443 at ") && line.contains("as of now"), "{line}");
        }
        // Nothing of the bundle reached the trust directory's cache.
        assert!(!tmp.path().join("trust/tuf").exists(), "{case}: the bundle leaked into the TUF cache");
    }
}

fn archive_of(dir: &Path, dest: &Path) {
    trust_core::bundle::archive::pack(dir, dest).unwrap();
}

#[test]
fn verify_from_a_bundle_prints_the_signed_digest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_bundle("docker-signers", &tmp.path().join("bundle"));
    let b = dir.to_str().unwrap();
    let out = trust_at(FRESH, tmp.path(), &["verify", "--bundle", b, &format!("{}:v1", image("docker-signers"))]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "sha256:8d7c2d1d57f574f54312eea4e080dd773a4ebacabfa90cfcc94c76836b5cc33e\n");
    assert!(out.stderr.contains("frozen trust data from bundle"), "{}", out.stderr);
    let unsigned =
        trust_at(FRESH, tmp.path(), &["verify", "--bundle", b, &format!("{}:nope", image("docker-signers"))]);
    assert_eq!(unsigned.code, 1, "{}", unsigned.stderr);
    let elsewhere = trust_at(FRESH, tmp.path(), &["verify", "--bundle", b, "localhost:5000/not/in-bundle:v1"]);
    assert_eq!(elsewhere.code, 1, "{}", elsewhere.stderr);
    assert!(elsewhere.stderr.contains(&format!("bundle {b}")), "{}", elsewhere.stderr);
}

#[test]
fn an_expired_bundle_verifies_only_when_frozen() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_bundle("docker-signers", &tmp.path().join("bundle"));
    let b = dir.to_str().unwrap();
    let tag = format!("{}:v1", image("docker-signers"));
    let at = captured_at("docker-signers").to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let expired = trust_at(LATER, tmp.path(), &["verify", "--bundle", b, &tag]);
    assert_eq!(expired.code, 3, "{}", expired.stderr);
    assert!(expired.stderr.contains("timestamp") && expired.stderr.contains("expired"), "{}", expired.stderr);
    assert!(
        expired.stderr.contains(&format!("the bundle was exported at {at}: to verify as of then, pass --frozen")),
        "{}",
        expired.stderr
    );
    assert_eq!(expired.stdout, "");
    let frozen = trust_at(LATER, tmp.path(), &["verify", "--bundle", b, "--frozen", &tag]);
    assert_eq!(frozen.code, 0, "{}", frozen.stderr);
    assert_eq!(frozen.stdout, "sha256:8d7c2d1d57f574f54312eea4e080dd773a4ebacabfa90cfcc94c76836b5cc33e\n");
    assert!(frozen.stderr.contains(&format!("expiry checked as of the export ({at}, --frozen)")), "{}", frozen.stderr);
    // The environment says the same.
    let by_env = run(Command::new("faketime")
        .env("TZ", "UTC")
        .env("TRUST_BUNDLE", b)
        .env("TRUST_FROZEN", "1")
        .env_remove("DOCKER_CONTENT_TRUST_SERVER")
        .arg(LATER)
        .arg(env!("CARGO_BIN_EXE_trust"))
        .arg("--trust-dir")
        .arg(tmp.path().join("trust"))
        .args(["inspect", &image("docker-signers")]));
    assert_eq!(by_env.code, 0, "{}", by_env.stderr);
}

#[test]
fn a_bundle_file_that_does_not_match_the_manifest_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_bundle("docker-signers", &tmp.path().join("bundle"));
    let gun = case_field("docker-signers", "gun");
    let path = trust_core::bundle::manifest::file_path(&dir, &gun, "targets/releases.json");
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.iter().position(|&b| b == b'"').unwrap();
    bytes[at + 1] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let out = trust_at(
        FRESH,
        tmp.path(),
        &["verify", "--bundle", dir.to_str().unwrap(), &format!("{}:v1", image("docker-signers"))],
    );
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains(&format!("bundle file {gun}/targets/releases.json has sha256")), "{}", out.stderr);
    assert!(out.stderr.contains("export it again"), "{}", out.stderr);
}

#[test]
fn bad_bundles_are_named_with_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_bundle("docker-signers", &tmp.path().join("bundle"));
    let img = image("docker-signers");
    let check = |bundle: &Path, want: &str| {
        let out = trust_at(FRESH, tmp.path(), &["inspect", "--bundle", bundle.to_str().unwrap(), &img]);
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(out.stderr.contains(want), "want {want:?}: {}", out.stderr);
    };
    // A truncated archive.
    let whole = tmp.path().join("whole.tar");
    archive_of(&dir, &whole);
    let bytes = std::fs::read(&whole).unwrap();
    let cut = tmp.path().join("cut.tar");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    check(&cut, "cut.tar is truncated or not a tar archive");
    // A manifest of a version this build does not read.
    let manifest = dir.join("manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace("\"version\": 1", "\"version\": 9")).unwrap();
    check(&dir, "its version is 9");
    // No manifest at all (a bare file remote).
    std::fs::remove_file(&manifest).unwrap();
    check(&dir, "is not a trust bundle (no manifest.json)");
    // --bundle names where trust data comes from; so does --server.
    let both = trust_at(FRESH, tmp.path(), &["inspect", "--server", "https://localhost:4443", "--bundle", "x", &img]);
    assert_eq!(both.code, 2, "{}", both.stderr);
}

#[test]
fn the_users_trust_pinning_wins_over_the_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let case = "docker-signers";
    let gun = case_field(case, "gun");
    let at = captured_at(case);
    // A manifest pinning keys that did not sign the root: refused.
    let mut builder = Builder::new(&tmp.path().join("bundle"), "https://localhost:4443", at);
    builder.add(bundle::fixture_remote(case).as_ref(), &gun, at);
    builder.manifest.repositories.get_mut(&gun).unwrap().root_key_ids = vec!["00".repeat(32)];
    let dir = builder.finish();
    let b = dir.to_str().unwrap();
    let out = trust_at(FRESH, tmp.path(), &["inspect", "--bundle", b, &image(case)]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    // The user's own pin for the repository (the real root key) is used instead.
    let root = std::fs::read(trust_core::bundle::manifest::file_path(&dir, &gun, "root.json")).unwrap();
    let root: serde_json::Value = serde_json::from_slice(&root).unwrap();
    let pinning = tmp.path().join("pinning.json");
    let pin = serde_json::json!({"certs": {gun.clone(): root["signed"]["roles"]["root"]["keyids"]}});
    std::fs::write(&pinning, pin.to_string()).unwrap();
    let out = trust_at(
        FRESH,
        tmp.path(),
        &["--trust-pinning", pinning.to_str().unwrap(), "inspect", "--bundle", b, &image(case)],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn an_archive_gnu_tar_made_of_a_bundle_reads_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_bundle("docker-signers", &tmp.path().join("bundle"));
    let want = std::fs::read_to_string(fixtures().join("docker-signers").join("docker-inspect.json")).unwrap();
    for (name, flags) in [("gnu.tar.gz", "-czf"), ("gnu.tar", "-cf")] {
        let archive = tmp.path().join(name);
        let made = run(Command::new("tar").arg(flags).arg(&archive).arg("-C").arg(&dir).arg("."));
        assert_eq!(made.code, 0, "{made:?}");
        let out =
            trust_at(FRESH, tmp.path(), &["inspect", "--bundle", archive.to_str().unwrap(), &image("docker-signers")]);
        assert_eq!(out.code, 0, "{name}: {}", out.stderr);
        assert_eq!(out.stdout, want, "{name}");
    }
}

#[test]
fn bundle_update_checks_expiry_as_verify_does() {
    let tmp = tempfile::tempdir().unwrap();
    let installed = fixture_bundle("docker-signers", &tmp.path().join("site/installed"));
    let new = fixture_bundle("docker-signers", &tmp.path().join("new"));
    let gun = case_field("docker-signers", "gun");
    let (i, n) = (installed.to_str().unwrap(), new.to_str().unwrap());
    let before = std::fs::read(installed.join("manifest.json")).unwrap();
    let expired = trust_at(LATER, tmp.path(), &["bundle", "update", i, n]);
    assert_eq!(expired.code, 3, "{expired:?}");
    assert!(expired.stderr.contains(&format!("{gun} in {n} does not verify")), "{}", expired.stderr);
    assert!(expired.stderr.contains("pass --frozen"), "{}", expired.stderr);
    assert_eq!(std::fs::read(installed.join("manifest.json")).unwrap(), before);
    let frozen = trust_at(LATER, tmp.path(), &["bundle", "update", "--frozen", i, n]);
    assert_eq!(frozen.code, 0, "{frozen:?}");
    assert!(frozen.stdout.contains(&format!("updated {gun} (root version 1 -> 1)")), "{}", frozen.stdout);
    let names: Vec<_> = std::fs::read_dir(tmp.path().join("site")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["installed"], "no temporary directory is left");
    let missing = trust_at(FRESH, tmp.path(), &["bundle", "update", i, tmp.path().join("none").to_str().unwrap()]);
    assert_eq!(missing.code, 6, "{missing:?}");
}
