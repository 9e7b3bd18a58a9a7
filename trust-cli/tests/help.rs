//! What a new user reads and types first: `--help` of every command (global options
//! apart, required arguments shown as required), shell completions that load in bash,
//! zsh and fish, manual pages that render, docker's flags answered with what to do
//! instead, and `sign --digest` under several tags.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use trust_test_support::interop;

use std::path::Path;
use std::process::Command;

use interop::{Outcome, run, tempdir};

const PASSPHRASE: &str = "help-test-passphrase";
const DIGEST: &str = "sha256:7d865e959b2466918c9863afca942d0fb89d7c9ac0c99bafc3749504ded97730";

fn trust(args: &[&str]) -> Outcome {
    run(Command::new(env!("CARGO_BIN_EXE_trust"))
        .env_remove("TRUST_PINNING")
        .env_remove("DOCKER_CONTENT_TRUST_SERVER")
        .args(args))
}

/// Whether `program` runs here; on CI (CI=true) it must, as .ci/run installs it.
fn installed(program: &str) -> bool {
    let found = Command::new("sh").args(["-c", &format!("command -v {program}")]).output().unwrap().status.success();
    assert!(found || std::env::var("CI").as_deref() != Ok("true"), "{program} is not installed (.ci/run installs it)");
    if !found {
        eprintln!("skipped: {program} is not installed");
    }
    found
}

/// The commands with a manual page, as `trust man` names them: `["key", "generate"]` for
/// trust-key-generate.1.
fn pages(dir: &Path) -> Vec<(String, Vec<String>)> {
    let out = trust(&["man", "--out", dir.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{out:?}");
    let mut pages: Vec<(String, Vec<String>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .map(|name| {
            let words = name.strip_suffix(".1").unwrap().split('-').skip(1).map(str::to_owned).collect();
            (name, words)
        })
        .collect();
    pages.sort();
    pages
}

#[test]
fn every_command_has_a_manual_page_that_renders_without_warnings() {
    let dir = tempdir();
    let pages = pages(dir.path());
    let names: Vec<&str> = pages.iter().map(|(name, _)| name.as_str()).collect();
    for expected in ["trust.1", "trust-sign.1", "trust-key-generate.1", "trust-signer-add.1", "trust-completion.1"] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }
    assert!(
        !names.iter().any(|n| n.contains("man") || n.contains("complete.")),
        "hidden commands have no page: {names:?}"
    );
    if !installed("man") {
        return;
    }
    for (name, words) in &pages {
        let rendered =
            run(Command::new("man").args(["--warnings", "-l"]).arg(dir.path().join(name)).env("MANWIDTH", "80"));
        assert_eq!((rendered.code, rendered.stderr.as_str()), (0, ""), "man -l {name}");
        let title = std::iter::once("trust").chain(words.iter().map(String::as_str)).collect::<Vec<_>>().join("-");
        assert!(rendered.stdout.contains(&format!("NAME\n       {title} ")), "{name}: {}", rendered.stdout);
    }
    let sign = std::fs::read_to_string(dir.path().join("trust-sign.1")).unwrap();
    assert!(sign.contains("GLOBAL OPTIONS") && sign.contains("digest"), "{sign}");
}

#[test]
fn every_command_shows_the_global_options_apart_from_its_own() {
    let dir = tempdir();
    for (name, words) in pages(dir.path()) {
        let mut args: Vec<&str> = words.iter().map(String::as_str).collect();
        args.push("--help");
        let help = trust(&args);
        assert_eq!(help.code, 0, "{name}: {help:?}");
        let (own, global) = help.stdout.split_once("\nGlobal Options:\n").unwrap_or_else(|| panic!("{name}: {help:?}"));
        for flag in ["--server <URL>", "--trust-dir <DIR>", "--tlscacert <FILE>", "--timeout <SECONDS>", "--fips"] {
            assert!(global.contains(flag) && !own.contains(flag), "{name}: {flag} not apart:\n{}", help.stdout);
        }
        // Defaults and the environment variables read are said.
        assert!(global.contains("$DOCKER_CONTENT_TRUST_SERVER") && global.contains("[env: TRUST_TIMEOUT="), "{name}");
    }
}

#[test]
fn audit_help_shows_an_image_is_required_without_keystore() {
    let help = trust(&["audit", "--help"]);
    assert!(help.stdout.contains("Usage: trust audit [OPTIONS] <IMAGE>...\n"), "{help:?}");
    assert!(help.stdout.contains("--keystore [IMAGE]..."), "{help:?}");
    let none = trust(&["audit"]);
    assert_eq!(none.code, 2, "{none:?}");
    assert!(none.stderr.contains("<IMAGE>"), "{none:?}");
}

#[test]
fn docker_and_notary_flags_are_answered_with_what_to_do_instead() {
    for (args, says) in [
        (&["--config", "/tmp/x", "inspect", "a"][..], "set DOCKER_CONFIG=DIR"),
        (&["sign", "--config=/tmp/x", "a:v1"][..], "set DOCKER_CONFIG=DIR"),
        (&["-H", "unix:///run/docker.sock", "verify", "a:v1"][..], "reaching the Docker engine"),
        (&["inspect", "-s", "https://notary.example.com", "a"][..], "give --server URL"),
        (&["verify", "-d", "/tmp/trust", "a"][..], "give --trust-dir DIR"),
        (&["verify", "--disable-content-trust", "a"][..], "trust always verifies"),
    ] {
        let out = trust(args);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(out.stderr.contains(says), "{args:?}: {out:?}");
        assert!(out.stderr.contains("Usage: trust"), "{args:?}: {out:?}");
        assert!(!out.stderr.contains("-- --"), "{args:?}: {out:?}");
    }
    // Any other unknown flag: clap's message, without the tip to pass it as an image name.
    let out = trust(&["inspect", "--bogus", "a"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.starts_with("error: unexpected argument '--bogus' found\n"), "{out:?}");
    assert!(!out.stderr.contains("-- --bogus") && out.stderr.contains("Usage: trust inspect"), "{out:?}");
}

#[test]
fn one_digest_is_signed_under_several_tags_in_one_publish_per_repository() {
    let (store, dir) = (tempdir(), tempdir());
    let url = format!("file://{}", store.path().display());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trust"));
    for var in trust_core::keystore::PASSPHRASE_VARS {
        cmd.env(var, PASSPHRASE);
    }
    let (app, db) = ("localhost:5000/help/app", "localhost:5000/help/db");
    let out = run(cmd
        .env("TRUST_SERVER_PASSPHRASE", PASSPHRASE)
        .env_remove("TRUST_PINNING")
        .args(["--server", &url, "--trust-dir"])
        .arg(dir.path())
        .args(["sign", "--digest", DIGEST, "--size", "3"])
        .args([format!("{app}:v1"), format!("{app}:latest"), format!("{db}:v1")]));
    assert_eq!(out.code, 0, "{out:?}");
    for gun in [app, db] {
        let timestamp = store.path().join("v2").join(gun).join("_trust/tuf/timestamp.json");
        let version = serde_json::from_slice::<serde_json::Value>(&std::fs::read(timestamp).unwrap()).unwrap()["signed"]
            ["version"]
            .clone();
        assert_eq!(version, 1, "{gun}: one publish");
    }
    for image in [format!("{app}:v1"), format!("{app}:latest"), format!("{db}:v1")] {
        let verified = trust(&["--server", &url, "--trust-dir", dir.path().to_str().unwrap(), "verify", &image]);
        assert_eq!((verified.code, verified.stdout.trim()), (0, DIGEST), "{image}: {verified:?}");
    }
}

#[test]
fn completions_load_in_bash_zsh_and_fish() {
    let bin = Path::new(env!("CARGO_BIN_EXE_trust")).parent().unwrap().display().to_string();
    let path = format!("{bin}:{}", std::env::var("PATH").unwrap_or_default());
    let shell = |program: &str, script: &str| run(Command::new(program).args(["-c", script]).env("PATH", &path));
    let bash = shell("bash", "source <(trust completion bash) && complete -p trust");
    assert_eq!(bash.code, 0, "{bash:?}");
    assert!(bash.stdout.contains(" -F _trust ") && bash.stdout.trim_end().ends_with(" trust"), "{bash:?}");
    assert_eq!(bash.stderr, "");
    if installed("zsh") {
        let zsh = run(Command::new("zsh")
            .args(["-f", "-c", "autoload -Uz compinit && compinit -u -D && source <(trust completion zsh) && print -r -- $_comps[trust]"])
            .env("PATH", &path));
        assert_eq!((zsh.code, zsh.stdout.trim(), zsh.stderr.as_str()), (0, "_trust", ""), "{zsh:?}");
    }
    if installed("fish") {
        let fish = shell("fish", "trust completion fish | source; complete -C 'trust si'");
        assert_eq!(fish.code, 0, "{fish:?}");
        let words: Vec<&str> = fish.stdout.lines().map(|l| l.split('\t').next().unwrap()).collect();
        assert!(words.contains(&"sign") && words.contains(&"signer") && words.len() == 2, "{fish:?}");
        assert_eq!(fish.stderr, "");
    }
}

#[test]
fn docker_plugin_completion_answers_in_cobras_protocol() {
    // As the Docker CLI asks a plugin: `docker-trust __complete trust <words…> <current>`.
    let out = trust(&["__complete", "trust", "sign", "--dig"]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].starts_with("--digest\tSign this manifest digest"), "{out:?}");
    assert!(lines[1].starts_with("--digests\t"), "{out:?}");
    assert_eq!(lines[2..], [":4"], "{out:?}");
    let out = trust(&["__complete", "trust", "verify", "--output", ""]);
    assert!(out.stdout.starts_with("text\t") && out.stdout.ends_with("\n:4\n"), "{out:?}");
}
