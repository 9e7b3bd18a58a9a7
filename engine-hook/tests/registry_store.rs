//! The hook on the registry store (`"server": "oci://"`, docs/registry-store.md): trust
//! data signed by our `trust` CLI into each image's own repository on the test
//! registry (`tests/peers/`, distribution 2.8), no notary-server involved.
//!
//! - As the authorization plugin of a private dockerd 20.10 (`support::Stack`): the
//!   signed tag pulls, an unsigned tag of the same repository is refused, and once
//!   `trust revoke --server oci://` has removed the tag it is refused at once
//!   (`--cache-ttl 0`).
//! - As containerd's image verifier (the binary, as containerd runs it): the signed
//!   digest is allowed, an unsigned digest and an unsigned tag are denied.
//!
//! Every test is `#[ignore]`d; with `--include-ignored` and without the peers'
//! environment (`source STATE/env`), each one fails. Every test uses repositories of
//! its own.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use support::{HookConfig, Peers, Repo, Stack, ok};

/// The registry store in each image's own repository.
const OCI: &str = "oci://";

/// A policy trusting every repository of the test registry on first use, with its
/// trust data in the registry store.
fn oci_policy(peers: &Peers) -> Value {
    json!({"content-trust": {
        "mode": "enforced",
        "scopes": {format!("{}/*", peers.registry): {"tofu": true, "server": OCI}},
    }})
}

/// Asserts `text` contains every needle.
fn assert_mentions(what: &str, text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "{what}: expected {needle:?} in {text:?}");
    }
}

/// Asserts the registry holds `repo`'s trust data (its own repository, tag
/// `tuf-notary-v1`) and `trust inspect` there lists exactly `tags`.
fn assert_signed_in_registry(peers: &Peers, repo: &Repo, tags: &[&str]) {
    let inspect = ok("trust inspect --server oci://", repo.trust(peers, &["inspect", &repo.gun]));
    let parsed: Value = serde_json::from_str(&inspect.stdout).unwrap_or_else(|e| panic!("{e}: {inspect:?}"));
    let mut listed: Vec<&str> =
        parsed[0]["SignedTags"].as_array().unwrap().iter().map(|t| t["SignedTag"].as_str().unwrap()).collect();
    listed.sort_unstable();
    let mut want = tags.to_vec();
    want.sort_unstable();
    assert_eq!(listed, want, "signed tags of {} in the registry store", repo.gun);
}

#[test]
#[ignore = "needs root, the real peers and their engine: run .ci/run, or tests/peers/start.sh + dockerd.sh start, and source the env"]
fn through_dockerd_signed_tags_in_the_registry_store_pull_and_unsigned_or_revoked_ones_are_refused() {
    let peers = Peers::from_env();
    let repo = Repo::on(&peers, "oci-pull", OCI);
    let v1 = repo.push_signed(&peers, "v1");
    repo.push_signed(&peers, "keep"); // the repository keeps a signed tag after the revoke
    let v2 = repo.push(&peers, "v2");
    assert_signed_in_registry(&peers, &repo, &["keep", "v1"]);
    let stack = Stack::start(&peers, HookConfig { policy: oci_policy(&peers), cache_ttl: 0 });

    // The signed tag pulls, by the signed digest.
    let pulled = stack.docker_ok(&["pull", &repo.tagged("v1")]);
    assert_mentions("docker pull of the signed tag", &pulled.stdout, &[&format!("Digest: {v1}")]);
    assert_eq!(stack.repo_digests(&repo.tagged("v1")), Some(vec![repo.at(&v1)]));
    let logged = stack.last_decision("pull", &repo.tagged("v1"));
    assert_eq!((&logged["verdict"], &logged["digest"]), (&json!("allow"), &json!(v1)), "{logged}");
    assert_eq!(logged["signers"], json!(["Repo Admin"]), "{logged}");

    // An unsigned tag of the same repository: refused, and the reason names it.
    let reason = stack.docker_denied(&["pull", &repo.tagged("v2")]);
    assert_mentions("unsigned tag", &reason, &[&repo.tagged("v2"), "no signed trust data"]);
    let reason = stack.docker_denied(&["pull", &repo.at(&v2)]);
    assert_mentions("unsigned digest", &reason, &[&repo.gun, &v2]);
    assert_eq!(stack.repo_digests(&repo.tagged("v2")), None, "v2 was pulled although refused");

    // Revoked in the registry store: refused on the next pull (no cache).
    stack.rmi(&[&repo.tagged("v1")]);
    repo.revoke(&peers, "v1");
    assert_signed_in_registry(&peers, &repo, &["keep"]);
    let reason = stack.docker_denied(&["pull", &repo.tagged("v1")]);
    assert_mentions("revoked tag", &reason, &[&repo.tagged("v1"), "no signed trust data"]);
    assert_eq!(stack.last_decision("pull", &repo.tagged("v1"))["cached"], false);
    assert_eq!(stack.repo_digests(&repo.tagged("v1")), None, "v1 was pulled after its revocation");
    stack.docker_ok(&["pull", &repo.tagged("keep")]);
}

/// Runs the hook's binary as containerd runs a verifier (`-name`, `-digest`, the
/// descriptor on stdin); returns the exit code, stdout and the decision line.
fn containerd_verify(dir: &Path, policy: &Path, name: &str, digest: &str) -> (i32, String, Value) {
    let log = dir.join("decisions.log");
    let _ = std::fs::remove_file(&log);
    let mut child = Command::new(env!("CARGO_BIN_EXE_trust-engine-hook"))
        .args(["-name", name, "-digest", digest, "-stdin-media-type", "application/vnd.oci.descriptor.v1+json"])
        .arg("--policy")
        .arg(policy)
        .arg("--trust-dir")
        .arg(dir.join("hook-trust"))
        .arg("--log")
        .arg(&log)
        .env_remove("DOCKER_CONTENT_TRUST_SERVER")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let descriptor =
        json!({"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "digest": digest, "size": 527});
    child.stdin.take().unwrap().write_all(descriptor.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let line = text
        .lines()
        .last()
        .unwrap_or_else(|| panic!("no decision logged for {name}: {stdout} {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), stdout, serde_json::from_str(line).unwrap())
}

#[test]
#[ignore = "needs the real peers: tests/peers/start.sh STATE and source STATE/env"]
fn as_containerds_verifier_a_digest_signed_in_the_registry_store_is_allowed_and_an_unsigned_one_denied() {
    let peers = Peers::from_env();
    let repo = Repo::on(&peers, "oci-containerd", OCI);
    let v1 = repo.push_signed(&peers, "v1");
    let v2 = repo.push(&peers, "v2");
    assert_signed_in_registry(&peers, &repo, &["v1"]);
    let tmp = tempfile::tempdir().unwrap();
    let policy = tmp.path().join("policy.json");
    std::fs::write(&policy, oci_policy(&peers).to_string()).unwrap();

    let (code, stdout, line) = containerd_verify(tmp.path(), &policy, &repo.tagged("v1"), &v1);
    assert_eq!(code, 0, "the signed digest: {stdout} {line}");
    assert!(stdout.starts_with("allow: "), "{stdout}");
    assert_eq!((&line["verdict"], &line["digest"]), (&json!("allow"), &json!(v1)), "{line}");
    assert_eq!(line["scope"], format!("{}/*", peers.registry), "{line}");

    // The signed tag resolved to a digest nobody signed (the tag moved on the registry).
    let (code, stdout, line) = containerd_verify(tmp.path(), &policy, &repo.tagged("v1"), &v2);
    assert_eq!(code, 1, "an unsigned digest: {stdout} {line}");
    assert_mentions("an unsigned digest", &stdout, &["deny: ", &repo.tagged("v1"), &format!("is signed for {v1}")]);
    assert_eq!(line["verdict"], "deny", "{line}");

    // An unsigned tag of the same repository.
    let (code, stdout, line) = containerd_verify(tmp.path(), &policy, &repo.tagged("v2"), &v2);
    assert_eq!(code, 1, "an unsigned tag: {stdout} {line}");
    assert_mentions("an unsigned tag", &stdout, &["deny: ", &repo.tagged("v2"), "no signed trust data"]);
    assert_eq!(line["verdict"], "deny", "{line}");
}
