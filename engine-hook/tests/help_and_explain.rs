//! What a new user sees first: `containerd-verifier --help` prints its usage (and
//! the verifier still speaks containerd's protocol), and `explain` says each reason
//! once and calls a certificate failure a TLS/certificate failure.
//!
//! The `explain` tests need the real peers (tests/peers) and are `#[ignore]`d.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

use trust_test_support::live::Live;

const BIN: &str = env!("CARGO_BIN_EXE_trust-engine-hook");

fn hook(args: &[&str]) -> Output {
    Command::new(BIN).args(args).env_remove("TRUST_ENGINE_HOOK_POLICY").output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn containerd_verifier_help_prints_its_usage() {
    for flag in ["--help", "-help", "-h"] {
        let out = hook(&["containerd-verifier", flag]);
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{flag}: {stdout} {}", text(&out.stderr));
        assert!(stdout.starts_with("Usage: trust-engine-hook containerd-verifier -name REF -digest"), "{stdout}");
        for part in ["-stdin-media-type", "-policy FILE", "-trust-dir DIR", "Exit 0 allows the pull"] {
            assert!(stdout.contains(part), "{part} missing from {flag}'s help:\n{stdout}");
        }
        assert!(!stdout.lines().any(|l| l.starts_with("deny:")), "help is not a decision: {stdout}");
    }
}

#[test]
fn containerd_verifier_still_speaks_containerds_protocol() {
    let dir = tempfile::tempdir().unwrap();
    let disabled = dir.path().join("disabled.json");
    std::fs::write(&disabled, r#"{"content-trust":{"mode":"disabled"}}"#).unwrap();
    let digest = format!("sha256:{}", "a".repeat(64));
    let policy = disabled.to_str().unwrap();
    let out = hook(&["containerd-verifier", "-name", "a.io/x:1", "-digest", &digest, "--policy", policy]);
    assert_eq!((out.status.code(), text(&out.stdout).trim()), (Some(0), "allow: content trust is disabled"));
    // A flag missing its value is still refused, so the pull is blocked.
    let out = hook(&["containerd-verifier", "-name"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stdout).trim(), "deny: flag needs an argument: -name");
}

/// `explain IMAGE` with a TOFU policy for the registry's repositories on `server`.
fn explain(live: &Live, server: &str, ca: Option<&std::path::Path>, image: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    let scope = format!("{}/*", live.registry);
    let body =
        serde_json::json!({"content-trust": {"mode": "enforced", "scopes": {scope: {"tofu": true, "server": server}}}});
    std::fs::write(&policy, body.to_string()).unwrap();
    let trust_dir = dir.path().join("trust");
    let mut args = vec!["explain", "--policy", policy.to_str().unwrap(), "--trust-dir", trust_dir.to_str().unwrap()];
    if let Some(ca) = ca {
        args.extend(["--tlscacert", ca.to_str().unwrap()]);
    }
    args.push(image);
    let out = hook(&args);
    let stdout = text(&out.stdout);
    let reason = stdout.lines().find_map(|l| l.strip_prefix("reason:")).unwrap_or_else(|| panic!("{stdout}"));
    (out.status.code().unwrap(), reason.trim().to_owned())
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn explain_calls_an_untrusted_certificate_a_tls_failure() {
    let live = Live::from_env();
    let image = format!("{}/explain/tls:1", live.registry);
    let (code, reason) = explain(&live, &live.server, None, &image);
    assert_eq!(code, 1, "{reason}");
    assert!(reason.contains("TLS/certificate failure"), "{reason}");
    assert!(!reason.contains("could not be reached"), "the server was reached: {reason}");
    assert!(reason.contains("--tlscacert"), "says how to trust the CA: {reason}");
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn explain_says_an_unsigned_repositorys_reason_once() {
    let live = Live::from_env();
    let gun = live.gun(&live.fresh_name("explain-unsigned"));
    let (code, reason) = explain(&live, &live.server, Some(&live.ca), &format!("{gun}:1"));
    assert_eq!(code, 1, "{reason}");
    assert_eq!(reason, format!("remote trust data does not exist for {gun} on {}", live.server));
    assert_eq!(reason.matches(&gun).count(), 1, "{reason}");
}
