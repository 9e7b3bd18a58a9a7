//! The containerd verifier: containerd's argv and stdin, through the library with a
//! fake verifier and through the binary as containerd runs it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use engine_hook::containerd::{self, DESCRIPTOR_MEDIA_TYPE};
use engine_hook::decision::Verdict;

const SIGNED: &str = "sha256:d36113966ff3c1a9dcdc2bcf6ed399c0cc77aba21426361bf27f653747fb55c7";

fn descriptor(digest: &str) -> String {
    format!(r#"{{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"{digest}","size":527}}"#)
}

fn args(name: &str, digest: &str) -> Vec<String> {
    ["-name", name, "-digest", digest, "-stdin-media-type", DESCRIPTOR_MEDIA_TYPE].map(String::from).to_vec()
}

#[test]
fn decisions_with_a_fake_verifier() {
    let policy = common::policy();
    let verifier = common::FakeVerifier::new();
    let decide = |name: &str, digest: &str, stdin: &str| {
        let a = containerd::parse_args(&args(name, digest)).unwrap();
        containerd::decide(&a, &mut stdin.as_bytes(), &policy, &verifier)
    };
    let d = decide("localhost:5000/cap/app:v1", SIGNED, &descriptor(SIGNED));
    assert_eq!(d.verdict, Verdict::Allow, "{d:?}");
    assert_eq!(containerd::verdict_output(&d).1, 0);

    // The tag is signed for another digest than the one containerd resolved.
    let other = format!("sha256:{}", "9".repeat(64));
    let d = decide("localhost:5000/cap/app:v1", &other, &descriptor(&other));
    assert_eq!(d.verdict, Verdict::Deny);
    assert!(d.reason.contains("is signed for sha256:d361"), "{}", d.reason);

    // stdin describes something else.
    let d = decide("localhost:5000/cap/app:v1", SIGNED, &descriptor(&other));
    assert_eq!(d.verdict, Verdict::Deny);
    assert!(d.reason.contains("descriptor on stdin"), "{}", d.reason);
    let (text, code) = containerd::verdict_output(&d);
    assert!(text.starts_with("deny: ") && code == 1);

    let d = decide("localhost:5000/cap/unsigned:v1", SIGNED, &descriptor(SIGNED));
    assert_eq!(d.verdict, Verdict::Deny);

    // Permissive: allowed, marked.
    let permissive = policy.with_mode(engine_hook::policy::Mode::Permissive);
    let a = containerd::parse_args(&args("localhost:5000/cap/unsigned:v1", SIGNED)).unwrap();
    let d = containerd::decide(&a, &mut descriptor(SIGNED).as_bytes(), &permissive, &verifier);
    assert_eq!(d.verdict, Verdict::WouldDeny);
    assert_eq!(containerd::verdict_output(&d).1, 0);
}

/// Runs the binary as `program` (a symlink name) with `argv`, `stdin` and a policy.
fn run(
    program: &std::path::Path,
    argv: &[String],
    stdin: &str,
    env: &[(&str, &std::path::Path)],
) -> (i32, String, String) {
    let mut cmd = Command::new(program);
    cmd.args(argv).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.env_remove("TRUST_ENGINE_HOOK_POLICY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_binary_as_containerd_runs_it() {
    let dir = tempfile::tempdir().unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_trust-engine-hook"));
    // Installed as containerd expects: any name in bin_dir, called with no subcommand.
    let bin_dir = dir.path().join("image-verifier/bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let linked = bin_dir.join("trust-verifier");
    std::os::unix::fs::symlink(bin, &linked).unwrap();

    let enforced = dir.path().join("policy.json");
    std::fs::write(&enforced, r#"{"content-trust":{"mode":"enforced","scopes":{"a.io/*":{"tofu":true}}}}"#).unwrap();
    let disabled = dir.path().join("disabled.json");
    std::fs::write(&disabled, r#"{"content-trust":{"mode":"disabled"}}"#).unwrap();
    let trust_dir = dir.path().join("trust");
    let env = [("TRUST_ENGINE_HOOK_TRUST_DIR", trust_dir.as_path())];

    // docker.io/library/alpine is pinned by nothing in this policy: denied, no network.
    let (code, stdout, stderr) = run(
        &linked,
        &args("docker.io/library/alpine:3.19", SIGNED),
        &descriptor(SIGNED),
        &[("TRUST_ENGINE_HOOK_POLICY", enforced.as_path()), env[0]],
    );
    assert_eq!(code, 1, "{stdout} {stderr}");
    assert!(stdout.starts_with("deny: docker.io/library/alpine is not pinned"), "{stdout}");
    let line: serde_json::Value = serde_json::from_str(stderr.lines().last().unwrap()).unwrap();
    assert_eq!(line["verdict"], "deny");
    assert_eq!(line["request"], format!("containerd verify -name docker.io/library/alpine:3.19 -digest {SIGNED}"));

    let (code, stdout, _) = run(
        &linked,
        &args("docker.io/library/alpine:3.19", SIGNED),
        &descriptor(SIGNED),
        &[("TRUST_ENGINE_HOOK_POLICY", disabled.as_path())],
    );
    assert_eq!((code, stdout.trim()), (0, "allow: content trust is disabled"));

    // The explicit subcommand with --policy, and the stdin check.
    let mut argv = vec!["containerd-verifier".to_string(), "--policy".into(), enforced.display().to_string()];
    argv.extend(args("a.io/x:1", SIGNED));
    let (code, stdout, _) = run(bin, &argv, &descriptor(&format!("sha256:{}", "0".repeat(64))), &env);
    assert_eq!(code, 1);
    assert!(stdout.contains("descriptor on stdin"), "{stdout}");

    // A flag containerd does not send: refused (exit 2), so the pull is blocked.
    let mut odd = args("a.io/x:1", SIGNED);
    odd.push("-colour".into());
    odd.push("blue".into());
    let (code, stdout, _) = run(&linked, &odd, "", &[("TRUST_ENGINE_HOOK_POLICY", disabled.as_path())]);
    assert_eq!(code, 2);
    assert!(stdout.contains("not defined: -colour"), "{stdout}");

    // No policy file: blocked.
    let (code, stdout, _) = run(
        &linked,
        &args("a.io/x:1", SIGNED),
        "",
        &[("TRUST_ENGINE_HOOK_POLICY", dir.path().join("none.json").as_path())],
    );
    assert_eq!(code, 2);
    assert!(stdout.starts_with("deny: invalid policy"), "{stdout}");
}
