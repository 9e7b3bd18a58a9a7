//! `trust` as a Docker CLI plugin and `trust pull` / `trust sign --local` against the
//! real peers (tests/peers): the binary linked as `docker-dct` answers docker's
//! metadata request; the real docker CLIs (28.2, whose built-in `trust` shadows a
//! plugin of that name, and Debian's 20.10) run it with `--config DIR` and global
//! options before its name, with the output of `trust` itself; `trust pull` through
//! the private dockerd pulls and tags only a signed digest; `trust sign --local` pushes
//! the engine's image and signs what the push reports.
//!
//! The peer-backed tests are `#[ignore]`d; with `--include-ignored` and no peers'
//! environment, each fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use trust_test_support::live::Live;
use trust_test_support::plugin::{DOCKER_20, DOCKER_28, docker, install_plugin, signed_repository};
use trust_test_support::{Outcome, env::var, ok, run, tempdir, trust_bin};

#[test]
fn metadata_answers_docker_plugin_manager() {
    let dir = tempdir();
    let plugin = install_plugin(dir.path());
    let out = ok("metadata", run(Command::new(&plugin).arg("docker-cli-plugin-metadata")));
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["SchemaVersion"], "0.1.0");
    assert_eq!(json["Version"], env!("CARGO_PKG_VERSION"));
    for field in ["Vendor", "ShortDescription", "URL"] {
        assert!(json[field].as_str().is_some_and(|s| !s.is_empty()), "{field} in {json}");
    }
}

#[test]
fn unknown_docker_global_before_the_name_is_a_usage_error() {
    let dir = tempdir();
    let plugin = install_plugin(dir.path());
    let out = run(Command::new(&plugin).args(["--bogus", "dct", "version"]));
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--bogus"), "{out:?}");
}

#[test]
#[ignore = "needs the docker CLI 28 of the peers' machine (/usr/local/bin/docker): run .ci/run"]
fn docker_28_completes_the_plugin_through_its_complete_protocol() {
    let dir = tempdir();
    install_plugin(dir.path());
    std::fs::write(dir.path().join("config.json"), "{}").unwrap();
    let complete = |args: &[&str]| {
        let out = run(Command::new(DOCKER_28).env("DOCKER_CONFIG", dir.path()).arg("__complete").args(args));
        ok("docker __complete", out)
    };
    // docker lists the plugin among its commands, with its description.
    let top = complete(&[""]);
    assert!(top.stdout.lines().any(|l| l.starts_with("dct\t")), "{top:?}");
    // and hands `docker __complete dct …` to the plugin, which answers in cobra's
    // protocol: one candidate a line (name, tab, description), then `:<directive>`.
    let verbs = complete(&["dct", ""]);
    let names: Vec<&str> = verbs.stdout.lines().filter_map(|l| l.split('\t').next()).collect();
    for verb in ["inspect", "sign", "revoke", "key", "signer", "pull"] {
        assert!(names.contains(&verb), "{verb} missing: {verbs:?}");
    }
    assert!(verbs.stdout.lines().last().is_some_and(|l| l.starts_with(':')), "{verbs:?}");
    let keys = complete(&["dct", "key", "pa"]);
    let names: Vec<&str> = keys.stdout.lines().filter_map(|l| l.split('\t').next()).collect();
    assert!(names.contains(&"passwd") && !names.contains(&"generate"), "{keys:?}");
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn docker_clis_run_the_plugin_as_trust() {
    let live = Live::from_env();
    let gun = signed_repository(&live, "plugin");
    let engine = var("TRUST_TEST_DOCKER_HOST");
    for bin in [DOCKER_28, DOCKER_20] {
        let config = tempdir();
        live.docker_config(config.path());
        install_plugin(config.path());
        let trust_dir = config.path().join("trust");
        let expected = ok(
            "trust inspect",
            run(Command::new(trust_bin())
                .env_remove("DOCKER_CONFIG")
                .arg("--server")
                .arg(&live.server)
                .arg("--trust-dir")
                .arg(&trust_dir)
                .arg("--tlscacert")
                .arg(&live.ca)
                .args(["inspect", "--pretty", &gun])),
        );
        let through =
            ok(&format!("{bin} dct inspect"), docker(&live, bin, config.path(), &["dct", "inspect", "--pretty", &gun]));
        assert_eq!(through.stdout, expected.stdout, "{bin}");
        assert!(through.stdout.contains("v1"), "{through:?}");
        // --config DIR is where the plugin keeps its trust data.
        assert!(trust_dir.join("tuf").exists(), "{bin}: no {}", trust_dir.display());

        let with_globals = ok(
            &format!("{bin} with globals"),
            docker(
                &live,
                bin,
                config.path(),
                &["-D", "-H", &engine, "--log-level=info", "dct", "inspect", "--pretty", &gun],
            ),
        );
        assert_eq!(with_globals.stdout, expected.stdout, "{bin}");

        let info = ok(&format!("{bin} info"), docker(&live, bin, config.path(), &["-H", &engine, "info"]));
        let client = info.stdout.split("Server:").next().unwrap();
        assert!(client.contains("dct: Sign and verify"), "{bin}: {info:?}");
        assert!(!client.contains("Error") && !client.contains("WARNING"), "{bin}: {info:?}");
        assert!(!info.stderr.contains("dct"), "{bin}: {info:?}");
    }
}

/// `trust ARGS` against the private engine, with `config` as DOCKER_CONFIG.
fn trust_engine(live: &Live, trust_dir: &Path, config: &Path, args: &[&str]) -> Outcome {
    run(live
        .trust_cmd(trust_dir, args)
        .env("DOCKER_HOST", var("TRUST_TEST_DOCKER_HOST"))
        .env("DOCKER_CONFIG", live.docker_config(config)))
}

/// The digests the engine knows `image` by, or None when it has no such image.
fn repo_digests(live: &Live, config: &Path, image: &str) -> Option<Vec<String>> {
    let out = live.engine(config, false, &["image", "inspect", "--format", "{{json .RepoDigests}}", image]);
    out.ok().then(|| serde_json::from_str(out.stdout.trim()).unwrap())
}

fn rmi(live: &Live, config: &Path, image: &str) {
    live.engine(config, false, &["rmi", "-f", image]);
}

/// One engine test's peers, directories and image `registry/NAME:v1`, built in the
/// engine and pushed (unsigned).
struct EngineCase {
    live: Live,
    config: tempfile::TempDir,
    trust_dir: tempfile::TempDir,
    name: String,
    gun: String,
    image: String,
    pushed: trust_test_support::live::Manifest,
}

impl EngineCase {
    fn new(case: &str) -> Self {
        let live = Live::from_env();
        let name = live.fresh_name(case);
        let gun = live.gun(&name);
        let pushed = live.build_and_push(&format!("{name}:v1"));
        EngineCase { image: format!("{gun}:v1"), config: tempdir(), trust_dir: tempdir(), live, name, gun, pushed }
    }

    /// `trust ARGS` against the engine.
    fn trust(&self, args: &[&str]) -> Outcome {
        trust_engine(&self.live, self.trust_dir.path(), self.config.path(), args)
    }

    fn digests(&self, image: &str) -> Option<Vec<String>> {
        repo_digests(&self.live, self.config.path(), image)
    }
}

#[test]
#[ignore = "needs the real peers and the private dockerd: run .ci/run, or start tests/peers/start.sh, dockerd.sh and source the env"]
fn pull_takes_the_signed_digest_even_after_the_tag_moved() {
    let c = EngineCase::new("pull");
    let (signed, gun, image) = (&c.pushed, &c.gun, &c.image);
    c.live
        .trust_ok(c.trust_dir.path(), &["sign", "--digest", &signed.digest, "--size", &signed.size.to_string(), image]);
    // The registry's tag moves to another image after signing.
    let moved = c.live.build_and_push(&format!("{}:v1", c.name));
    assert_ne!(moved.digest, signed.digest);
    rmi(&c.live, c.config.path(), image);
    assert_eq!(c.digests(image), None);

    let out = ok("trust pull", c.trust(&["pull", image]));
    assert!(out.stdout.contains(&format!("Pull (1 of 1): {image}@{}", signed.digest)), "{out:?}");
    assert!(out.stdout.contains(&format!("Tagging {gun}@{} as {image}", signed.digest)), "{out:?}");
    let digests = c.digests(image).expect("the image is tagged");
    assert!(digests.contains(&format!("{gun}@{}", signed.digest)), "{digests:?}");
    assert!(!digests.contains(&format!("{gun}@{}", moved.digest)), "{digests:?}");
}

#[test]
#[ignore = "needs the real peers and the private dockerd: run .ci/run, or start tests/peers/start.sh, dockerd.sh and source the env"]
fn pull_refuses_an_unsigned_tag_and_pulls_nothing() {
    let c = EngineCase::new("pull-unsigned");
    rmi(&c.live, c.config.path(), &c.image);

    let out = c.trust(&["pull", &c.image]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(!out.stdout.contains("Pull (1 of 1)"), "{out:?}");
    assert_eq!(c.digests(&c.image), None);
    assert_eq!(c.digests(&format!("{}@{}", c.gun, c.pushed.digest)), None);
}

#[test]
#[ignore = "needs the real peers and the private dockerd: run .ci/run, or start tests/peers/start.sh, dockerd.sh and source the env"]
fn sign_local_pushes_and_signs_the_pushed_digest() {
    // The image is in the engine (and was pushed once, unsigned).
    let c = EngineCase::new("sign-local");
    let image = &c.image;

    let out = ok("trust sign --local", c.trust(&["sign", "--local", image]));
    assert!(out.stdout.contains(&format!("Signing and pushing trust data for local image {image}")), "{out:?}");
    assert!(out.stdout.contains(&format!("Successfully signed {image}")), "{out:?}");
    let verifier = tempdir();
    let verified = c.live.trust_ok(verifier.path(), &["verify", image]);
    assert_eq!(verified.stdout.trim(), c.pushed.digest);

    let out = c.trust(&["sign", "--local", &format!("{}:not-local", c.gun)]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("No such image"), "{out:?}");
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn pull_without_an_engine_names_the_endpoint() {
    let live = Live::from_env();
    let gun = signed_repository(&live, "pull-no-engine");
    let trust_dir = tempdir();
    let out =
        run(live.trust_cmd(trust_dir.path(), &["pull", &format!("{gun}:v1")]).env("DOCKER_HOST", "tcp://127.0.0.1:1"));
    assert_eq!(out.code, 4, "{out:?}");
    assert!(out.stderr.contains("Docker engine tcp://127.0.0.1:1: cannot reach it"), "{out:?}");
    assert!(out.stderr.contains("-H/DOCKER_HOST"), "{out:?}");
}

#[test]
fn plugin_stops_when_docker_closes_its_socket() {
    use std::os::linux::net::SocketAddrExt as _;
    use std::os::unix::net::{SocketAddr, UnixListener};

    let dir = tempdir();
    let plugin = install_plugin(dir.path());
    let name = format!("trust_plugin_test_{}", std::process::id());
    let listener = UnixListener::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes()).unwrap()).unwrap();
    // `revoke` of a whole repository waits for its confirmation on standard input,
    // which stays open.
    let mut child = Command::new(&plugin)
        .env("DOCKER_CLI_PLUGIN_SOCKET", format!("@{name}"))
        .env("DOCKER_CONFIG", dir.path())
        .args(["dct", "--server", "file:///nonexistent-trust-server", "revoke", "example.com/app"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let (connection, _) = listener.accept().unwrap();
    drop(connection);
    let status = child.wait().unwrap();
    drop(stdin);
    assert_eq!(status.code(), Some(130));
}
