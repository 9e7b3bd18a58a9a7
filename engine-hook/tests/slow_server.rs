//! The hook against a trust server that drip-feeds its answers (a slow-retrieval
//! attack), through trust-cli's fault-injecting proxy in front of the real
//! notary-server (`tests/peers/`): the containerd verifier denies within the hook's
//! own deadline (fail closed) and its decision line says why; once the drip is gone
//! the same pull is allowed.
//!
//! Every test is `#[ignore]`d; with `--include-ignored` and without the peers'
//! environment (`source STATE/env`), each one fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use trust_test_support::fault_proxy;
mod support;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fault_proxy::{Fault, FaultProxy};
use serde_json::json;
use support::{Peers, Repo, ok};

/// A hang guard far above every deadline here: proves the hook did not hang.
const HANG_GUARD: Duration = Duration::from_secs(60);
const DIGEST: &str = "sha256:4a30ca24e5e9b6f1c9d7c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3d2";

/// Runs the hook as containerd runs a verifier, with `extra` flags; returns the exit
/// code, stdout, the decision log and the wall-clock time.
fn containerd_verify(
    policy: &std::path::Path,
    dir: &std::path::Path,
    peers: &Peers,
    name: &str,
    extra: &[&str],
) -> (i32, String, String, Duration) {
    let log = dir.join("decisions.log");
    let _ = std::fs::remove_file(&log);
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_trust-engine-hook"))
        .args(["-name", name, "-digest", DIGEST, "-stdin-media-type", "application/vnd.oci.descriptor.v1+json"])
        .arg("--policy")
        .arg(policy)
        .arg("--trust-dir")
        .arg(dir.join("hook"))
        .arg("--tlscacert")
        .arg(&peers.ca)
        .arg("--log")
        .arg(&log)
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let descriptor = json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": DIGEST, "size": 1234});
    child.stdin.take().unwrap().write_all(descriptor.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let took = started.elapsed();
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    (out.status.code().unwrap(), String::from_utf8_lossy(&out.stdout).into_owned(), log, took)
}

#[test]
#[ignore = "needs the real peers: tests/peers/start.sh STATE and source STATE/env"]
fn a_drip_fed_trust_server_is_denied_within_the_hooks_deadline_and_the_reason_is_logged() {
    let peers = Peers::from_env();
    let repo = Repo::new(&peers, "net-faults-drip");
    let name = format!("{}:v1", repo.gun);
    ok("trust sign --digest", peers.trust(repo.trust_dir(), &["sign", "--digest", DIGEST, "--size", "1234", &name]));
    let proxy = FaultProxy::start_tls(&peers.server, &peers.ca);
    let tmp = tempfile::tempdir().unwrap();
    let policy = tmp.path().join("policy.json");
    let scopes = json!({ repo.gun.clone(): {"tofu": true, "server": proxy.url()} });
    let body = json!({"content-trust": {"mode": "enforced", "scopes": scopes, "operations": {}}});
    std::fs::write(&policy, body.to_string()).unwrap();
    proxy.arm(Fault::Drip(Duration::from_secs(1)), "timestamp.json");

    // No per-request limit can stop this drip: only the whole-verification deadline.
    let unlimited = ["--timeout", "300", "--min-rate", "0", "--deadline", "3"];
    let (code, stdout, log, took) = containerd_verify(&policy, tmp.path(), &peers, &name, &unlimited);
    eprintln!("the hook denied a drip-fed verification after {:.1} s (--deadline 3)", took.as_secs_f64());
    assert_eq!(code, 1, "denied: {stdout} {log}");
    assert!(stdout.starts_with("deny"), "{stdout}");
    assert!(took < HANG_GUARD, "{took:?}");
    assert!(log.contains("3 s deadline (--deadline)"), "the decision line says why: {log}");

    // The hook's defaults (10 s per request, the rate floor, 9 s per verification).
    let (code, stdout, log, took) = containerd_verify(&policy, tmp.path(), &peers, &name, &[]);
    eprintln!("the hook denied a drip-fed verification after {:.1} s (defaults)", took.as_secs_f64());
    assert_eq!(code, 1, "denied: {stdout} {log}");
    assert!(took < HANG_GUARD, "{took:?}");
    assert!(log.contains("deadline"), "the decision line says why: {log}");

    proxy.disarm();
    let (code, stdout, log, _) = containerd_verify(&policy, tmp.path(), &peers, &name, &[]);
    assert_eq!(code, 0, "allowed once the drip is gone: {stdout} {log}");
}
