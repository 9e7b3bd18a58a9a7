//! `-D/--debug` (and `TRUST_DEBUG`, and docker's `-D`/`--log-level debug` through the
//! plugin) against the real peers: the settings in effect and each request with its
//! status on standard error, standard output byte for byte what it is without it, and
//! no secret (passphrase, registry password, docker's stored credentials) anywhere in
//! what it prints.
//!
//! The peer-backed tests are `#[ignore]`d; with `--include-ignored` and no peers'
//! environment, each fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};

use trust_core::keystore::PASSPHRASE_VARS;
use trust_test_support::live::Live;
use trust_test_support::plugin::{DOCKER_28, docker, install_plugin, signed_repository};
use trust_test_support::registry_api::RegistryApi;
use trust_test_support::{Outcome, ok, run, tempdir, trust_bin};

/// `trust inspect GUN` with a fresh trust dir, `debug` as `-D`, `TRUST_DEBUG` or neither.
fn inspect(live: &Live, gun: &str, flag: bool, env: Option<&str>) -> Outcome {
    let dir = tempdir();
    let args: &[&str] = if flag { &["-D", "inspect", gun] } else { &["inspect", gun] };
    let mut cmd = live.trust_cmd(dir.path(), args);
    cmd.env_remove("TRUST_DEBUG");
    if let Some(value) = env {
        cmd.env("TRUST_DEBUG", value);
    }
    ok("trust inspect", run(&mut cmd))
}

/// The `debug: +<ms>ms ` lines of `stderr`, each checked for the prefix.
fn debug_lines(stderr: &str) -> Vec<&str> {
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("debug: ")).collect();
    for line in &lines {
        let rest = line.strip_prefix("debug: +").unwrap_or_else(|| panic!("no elapsed time: {line:?}"));
        let (ms, message) = rest.split_once("ms ").unwrap_or_else(|| panic!("no `ms `: {line:?}"));
        assert!(ms.parse::<u64>().is_ok() && !message.is_empty(), "{line:?}");
    }
    lines
}

/// Asserts `out` shows the settings line and the timestamp request of `gun` on `server`.
fn assert_shows_settings_and_timestamp(what: &str, out: &Outcome, server: &str, gun: &str) {
    let lines = debug_lines(&out.stderr);
    assert!(
        lines.iter().any(|l| l.contains(&format!("settings: server {server} (--server)")) && l.contains("trust dir ")),
        "{what}: no settings line: {out:?}"
    );
    let timestamp = format!("GET {server}/v2/{gun}/_trust/tuf/timestamp.json -> 200, ");
    assert!(lines.iter().any(|l| l.contains(&timestamp) && l.ends_with(" ms")), "{what}: no {timestamp:?}: {out:?}");
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn debug_flag_and_env_show_settings_and_requests_and_leave_stdout_alone() {
    let live = Live::from_env();
    let gun = signed_repository(&live, "debug");
    let plain = inspect(&live, &gun, false, None);
    assert!(debug_lines(&plain.stderr).is_empty(), "no debug output without -D: {plain:?}");
    assert!(plain.stdout.contains("v1"), "{plain:?}");
    for (what, flag, env) in [("-D", true, None), ("TRUST_DEBUG=1", false, Some("1"))] {
        let debug = inspect(&live, &gun, flag, env);
        assert_eq!(debug.stdout, plain.stdout, "{what}: stdout unchanged");
        assert_shows_settings_and_timestamp(what, &debug, &live.server, &gun);
    }
    let off = inspect(&live, &gun, false, Some("0"));
    assert!(debug_lines(&off.stderr).is_empty(), "TRUST_DEBUG=0: {off:?}");
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn debug_shows_cache_decisions_and_the_delegations_walked() {
    let live = Live::from_env();
    // Made by docker trust signer add (tests/peers): delegations under targets.
    let gun = format!("{}/interop/docker-signers", live.registry);
    let dir = tempdir();
    let inspect = |what: &str| {
        let mut cmd = live.trust_cmd(dir.path(), &["-D", "--max-age", "300", "inspect", &gun]);
        let out = ok(what, run(cmd.env_remove("TRUST_DEBUG")));
        let lines: Vec<String> = debug_lines(&out.stderr).iter().map(|l| l.to_string()).collect();
        (out, lines)
    };
    let has = |lines: &[String], needle: &str| lines.iter().any(|l| l.contains(needle));
    let timestamp = format!("/v2/{gun}/_trust/tuf/timestamp.json -> 200, ");

    let (first, lines) = inspect("first inspect");
    assert!(has(&lines, &format!("{gun}: timestamp: none cached: asking the server")), "{first:?}");
    assert!(has(&lines, &timestamp), "{first:?}");
    assert!(has(&lines, &format!("{gun}: snapshot fetched by hash ")), "{first:?}");
    assert!(has(&lines, &format!("{gun}: walking delegation targets/releases")), "{first:?}");

    let (second, lines) = inspect("second inspect");
    assert_eq!(second.stdout, first.stdout);
    assert!(has(&lines, &format!("{gun}: timestamp: reused from the cache")), "{second:?}");
    assert!(has(&lines, &format!("{gun}: snapshot taken from the cache")), "{second:?}");
    assert!(has(&lines, &format!("{gun}: targets/releases taken from the cache")), "{second:?}");
    assert!(!has(&lines, &timestamp), "the timestamp is not asked for: {second:?}");
}

#[test]
#[ignore = "needs the real peers with the registry with auth: run .ci/run, or tests/peers/start.sh and source its env"]
fn no_secret_is_printed_while_signing_into_the_registry_with_auth() {
    let live = Live::from_env();
    let auth = live.auth_registry().clone();
    let name = live.fresh_name("debug-auth");
    RegistryApi::with_auth(&auth).push_image(&name, &["v1"]);
    let image = format!("{}/{name}:v1", auth.host);
    let dir = tempdir();
    let mut cmd = Command::new(trust_bin());
    for name in PASSPHRASE_VARS {
        cmd.env(name, &live.passphrase);
    }
    cmd.env_remove("DOCKER_CONTENT_TRUST_SERVER")
        .env_remove("TRUST_PINNING")
        .env("DOCKER_CONFIG", &auth.docker_config)
        .stdin(Stdio::null())
        .args(["-D", "--server", "oci://", "--trust-dir"])
        .arg(dir.path())
        .args(["sign", &image]);
    let out = ok("trust -D sign into the registry with auth", run(&mut cmd));
    let lines = debug_lines(&out.stderr);
    let host = &auth.host;
    assert!(lines.iter().any(|l| l.contains(&format!("https://{host}/v2/")) && l.contains(" -> 2")), "{out:?}");
    assert!(lines.iter().any(|l| l.contains("passphrase for the root key") && l.contains("from $")), "{out:?}");
    let basic = "Basic challenge: answered with the username and password of docker's credentials";
    assert!(lines.iter().any(|l| l.contains(basic)), "{out:?}");
    assert!(lines.iter().any(|l| l.contains("(root) written to ") && l.ends_with(".key")), "{out:?}");
    assert!(lines.iter().any(|l| l.contains("(targets) loaded from ") && l.ends_with(".key")), "{out:?}");
    let stored = std::fs::read_to_string(auth.docker_config.join("config.json")).unwrap();
    let stored: serde_json::Value = serde_json::from_str(&stored).unwrap();
    let basic = stored["auths"][host]["auth"].as_str().unwrap().to_owned();
    for secret in [live.passphrase.as_str(), auth.password.as_str(), basic.as_str()] {
        assert!(!out.stderr.contains(secret) && !out.stdout.contains(secret), "a secret was printed: {out:?}");
    }
    assert!(!out.stderr.contains("PRIVATE KEY") && !out.stderr.contains("Authorization:"), "{out:?}");
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn docker_s_debug_options_turn_debug_on_in_the_plugin() {
    let live = Live::from_env();
    let gun = signed_repository(&live, "debug-plugin");
    let config = tempdir();
    live.docker_config(config.path());
    install_plugin(config.path());
    let plain = ok("docker dct inspect", docker(&live, DOCKER_28, config.path(), &["dct", "inspect", &gun]));
    assert!(debug_lines(&plain.stderr).is_empty(), "{plain:?}");
    for globals in [&["-D"][..], &["--log-level", "debug"][..]] {
        let args: Vec<&str> = globals.iter().copied().chain(["dct", "inspect", &gun]).collect();
        let out = ok(&format!("docker {globals:?} dct inspect"), docker(&live, DOCKER_28, config.path(), &args));
        assert_eq!(out.stdout, plain.stdout, "{globals:?}");
        let lines = debug_lines(&out.stderr);
        let timestamp = format!("/v2/{gun}/_trust/tuf/timestamp.json -> 200, ");
        assert!(lines.iter().any(|l| l.contains("settings: server ")), "{globals:?}: {out:?}");
        assert!(lines.iter().any(|l| l.contains(&timestamp)), "{globals:?}: {out:?}");
    }
}
