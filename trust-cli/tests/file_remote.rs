//! What a new user meets on a file remote (`--server file:///DIR`, no peers):
//! the file remote's passphrase is asked for before anything is done (on a
//! terminal) or named when missing (without one), and nothing is left behind when
//! the operation fails; a directory that does not exist is said to be missing,
//! not read as a repository with no trust data; `trust copy` of several
//! repositories shows progress on a terminal and none when piped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use trust_test_support::terminal::{on_a_terminal, typing};
use trust_test_support::{Outcome, ok, run, tempdir};

const GUN: &str = "localhost:5000/file-remote/app";
const DIGEST: &str = "sha256:7d865e959b2466918c9863afca942d0fb89d7c9ac0c99bafc3749504ded97730";
const ROOT_PASS: &str = "root-passphrase";
const TARGETS_PASS: &str = "targets-passphrase";
const SERVER_PASS: &str = "server-passphrase";

/// `trust --server SERVER --trust-dir DIR ARGS` with the root and targets
/// passphrases set and the file remote's passphrase not set.
fn trust_cmd(server: &str, trust_dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trust"));
    for var in trust_core::keystore::PASSPHRASE_VARS.iter().chain(&trust_core::keystore::SERVER_PASSPHRASE_VARS) {
        cmd.env_remove(var);
    }
    cmd.env("DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", ROOT_PASS)
        .env("NOTARY_TARGETS_PASSPHRASE", TARGETS_PASS)
        .env("NOTARY_DELEGATION_PASSPHRASE", TARGETS_PASS)
        .env("TRUST_FIPS", "0")
        .env_remove("TRUST_PINNING")
        .env_remove("TRUST_QUIET")
        .env_remove("DOCKER_CONTENT_TRUST_SERVER");
    cmd.args(["--server", server, "--trust-dir"]).arg(trust_dir).args(args);
    cmd
}

/// [`trust_cmd`] with the file remote's passphrase in `TRUST_SERVER_PASSPHRASE`.
fn with_server_pass(server: &str, trust_dir: &Path, args: &[&str]) -> Command {
    let mut cmd = trust_cmd(server, trust_dir, args);
    cmd.env("TRUST_SERVER_PASSPHRASE", SERVER_PASS);
    cmd
}

fn url(dir: &Path) -> String {
    format!("file://{}", dir.display())
}

/// The key files in a trust directory.
fn key_files(trust_dir: &Path) -> BTreeSet<String> {
    let Ok(entries) = std::fs::read_dir(trust_dir.join("private")) else { return BTreeSet::new() };
    entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).filter(|n| n.ends_with(".key")).collect()
}

/// Every path under `dir` (empty when it does not exist).
fn tree(dir: &Path) -> BTreeSet<PathBuf> {
    let mut found = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path.clone());
            }
            found.insert(path);
        }
    }
    found
}

/// A trust directory holding the signer key `alice`; returns it and alice's public key file.
fn with_alice(tmp: &Path) -> (PathBuf, PathBuf) {
    let trust_dir = tmp.join("trust");
    let mut cmd = trust_cmd("file:///unused", &trust_dir, &["key", "generate", "alice"]);
    ok("key generate", run(cmd.current_dir(tmp)));
    (trust_dir, tmp.join("alice.pub"))
}

fn sign_v1(server: &str, trust_dir: &Path) -> Command {
    trust_cmd(server, trust_dir, &["sign", "--digest", DIGEST, "--size", "3", &format!("{GUN}:v1")])
}

#[test]
fn without_a_terminal_or_the_variable_nothing_is_done_and_the_variable_is_named() {
    let tmp = tempdir();
    let (trust_dir, alice) = with_alice(tmp.path());
    let store = tmp.path().join("store");
    // The directory already holds another repository (and its keys).
    let other = ["sign", "--digest", DIGEST, "--size", "3", "localhost:5000/file-remote/other:v1"];
    ok("sign other", run(&mut with_server_pass(&url(&store), &tmp.path().join("other-trust"), &other)));
    let (before, files) = (key_files(&trust_dir), tree(&store));
    let add = ["signer", "add", "--key", alice.to_str().unwrap(), "alice", GUN];
    for (what, mut cmd) in
        [("signer add", trust_cmd(&url(&store), &trust_dir, &add)), ("sign", sign_v1(&url(&store), &trust_dir))]
    {
        let out = run(&mut cmd);
        assert_eq!(out.code, 5, "{what}: {out:?}");
        assert!(out.stderr.contains("set TRUST_SERVER_PASSPHRASE"), "{what}: {}", out.stderr);
        assert!(!out.stderr.contains("not kept"), "{what}: nothing was begun: {}", out.stderr);
        assert_eq!(key_files(&trust_dir), before, "{what}: no key made");
        assert_eq!(tree(&store), files, "{what}: the file remote directory is not touched");
    }
}

#[test]
fn with_the_variable_signer_add_initialises_the_repository() {
    let tmp = tempdir();
    let (trust_dir, alice) = with_alice(tmp.path());
    let store = tmp.path().join("new/store");
    let add = ["signer", "add", "--key", alice.to_str().unwrap(), "alice", GUN];
    let out = ok("signer add", run(&mut with_server_pass(&url(&store), &trust_dir, &add)));
    assert!(out.stdout.contains(&format!("Successfully added signer: alice to {GUN}")), "{out:?}");
    assert_eq!(key_files(&trust_dir).len(), 3, "alice, root and targets");
    assert!(store.join("_server").join(GUN).join("snapshot.key").exists());
}

#[test]
fn on_a_terminal_the_file_remote_passphrase_is_asked_first_twice_then_once() {
    let tmp = tempdir();
    let trust_dir = tmp.path().join("trust");
    let store = tmp.path().join("store");
    let typed = format!("{SERVER_PASS}\n{SERVER_PASS}\n");
    let out = typing(&sign_v1(&url(&store), &trust_dir), typed.as_bytes());
    assert_eq!(out.code, 0, "{out:?}");
    let prompt = "Enter passphrase for the file remote's snapshot and timestamp keys:";
    assert_eq!(out.stdout.matches(prompt).count(), 1, "{}", out.stdout);
    assert!(out.stdout.contains("Repeat passphrase for the file remote's snapshot and timestamp keys:"));
    assert!(out.stdout.contains(&format!("Successfully signed {GUN}:v1")), "{}", out.stdout);

    // The keys exist now: asked once, and a wrong answer is asked again.
    let v2 = format!("{GUN}:v2");
    let cmd = trust_cmd(&url(&store), &trust_dir, &["sign", "--digest", DIGEST, "--size", "3", &v2]);
    let out = typing(&cmd, format!("wrong passphrase\n{SERVER_PASS}\n").as_bytes());
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout.matches(prompt).count(), 2, "{}", out.stdout);
    assert!(out.stdout.contains("Passphrase incorrect. Please retry."), "{}", out.stdout);
    assert!(!out.stdout.contains("Repeat passphrase for the file remote"), "{}", out.stdout);
    assert!(out.stdout.contains(&format!("Successfully signed {v2}")), "{}", out.stdout);
}

#[test]
fn a_publish_that_fails_after_making_keys_removes_them_and_says_so() {
    let tmp = tempdir();
    let (trust_dir, alice) = with_alice(tmp.path());
    let store = tmp.path().join("store");
    std::fs::create_dir_all(&store).unwrap();
    // Where the trust data goes is a file: the upload fails once the keys are made.
    std::fs::write(store.join("v2"), b"not a directory").unwrap();
    let before = key_files(&trust_dir);
    let add = ["signer", "add", "--key", alice.to_str().unwrap(), "alice", GUN];
    let mut sign = sign_v1(&url(&store), &trust_dir);
    sign.env("TRUST_SERVER_PASSPHRASE", SERVER_PASS);
    for (what, mut cmd) in [("signer add", with_server_pass(&url(&store), &trust_dir, &add)), ("sign", sign)] {
        let out = run(&mut cmd);
        assert_eq!(out.code, 6, "{what}: {out:?}");
        assert!(
            out.stderr.contains("nothing was published and this operation's changes were not kept: the keys it made were removed (root key "),
            "{what}: {}",
            out.stderr
        );
        assert!(out.stderr.contains(", targets key "), "{what}: {}", out.stderr);
        assert_eq!(key_files(&trust_dir), before, "{what}: the new keys are gone, alice's stays");
        let status = ok("status", run(&mut trust_cmd(&url(&store), &trust_dir, &["status", GUN])));
        assert!(status.stdout.starts_with("No staged changes"), "{what}: nothing stays staged: {status:?}");
    }
}

/// `out` says the directory `dir` does not exist, with exit code 2.
fn says_missing(what: &str, out: &Outcome, dir: &Path) {
    assert_eq!(out.code, 2, "{what}: {out:?}");
    let said = format!("the file remote directory {} does not exist: check --server", dir.display());
    assert!(out.stderr.contains(&said) || out.stdout.contains(&said), "{what}: {out:?}");
    assert!(!out.stderr.contains("does not have trust data"), "{what}: {out:?}");
}

#[test]
fn a_missing_directory_is_said_to_be_missing_and_a_first_publish_makes_it() {
    let tmp = tempdir();
    let trust_dir = tmp.path().join("trust");
    let missing = tmp.path().join("typo");
    let server = url(&missing);
    let image = format!("{GUN}:v1");
    let bundle = tmp.path().join("out.tar");
    let reads: [&[&str]; 4] =
        [&["inspect", GUN], &["verify", &image], &["export", GUN, "-o", bundle.to_str().unwrap()], &["audit", GUN]];
    for args in reads {
        says_missing(args[0], &run(&mut with_server_pass(&server, &trust_dir, args)), &missing);
    }
    let to = url(&tmp.path().join("elsewhere"));
    let copy = ["copy", GUN, "--from", &server, "--to", &to];
    says_missing("copy", &run(&mut with_server_pass(&server, &trust_dir, &copy)), &missing);
    assert!(!missing.exists() && !tmp.path().join("elsewhere").exists());

    // A directory that exists but lacks the repository: no trust data, as before.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = run(&mut with_server_pass(&url(&empty), &trust_dir, &["verify", &image]));
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("does not have trust data"), "{out:?}");

    // The first publish makes the directory.
    let mut sign = sign_v1(&server, &trust_dir);
    ok("first sign", run(sign.env("TRUST_SERVER_PASSPHRASE", SERVER_PASS)));
    ok("verify", run(&mut with_server_pass(&server, &trust_dir, &["verify", &image])));
}

#[test]
fn copying_several_repositories_shows_progress_on_a_terminal_and_none_when_piped() {
    let tmp = tempdir();
    let trust_dir = tmp.path().join("trust");
    let source = url(&tmp.path().join("source"));
    let guns: Vec<String> = (0..5).map(|i| format!("localhost:5000/file-remote/app{i}")).collect();
    for gun in &guns {
        let image = format!("{gun}:v1");
        ok(
            "sign",
            run(&mut with_server_pass(&source, &trust_dir, &["sign", "--digest", DIGEST, "--size", "3", &image])),
        );
    }
    // Each copy from its own trust directory with the same keys (a copy's cache
    // follows its destination).
    let copy = |dest: &str| {
        let own = tmp.path().join(format!("trust-{}", dest.rsplit('/').next().unwrap()));
        std::fs::create_dir_all(own.join("private")).unwrap();
        for key in key_files(&trust_dir) {
            std::fs::copy(trust_dir.join("private").join(&key), own.join("private").join(&key)).unwrap();
        }
        let mut args = vec!["copy"];
        args.extend(guns.iter().map(String::as_str));
        args.extend(["--from", &source, "--to", dest]);
        with_server_pass(&source, &own, &args)
    };

    let piped_dest = url(&tmp.path().join("piped"));
    let piped = ok("copy piped", run(&mut copy(&piped_dest)));
    assert_eq!(piped.stderr, "", "nothing but the reports when piped");
    assert_eq!(piped.stdout.matches("Copied localhost:5000/file-remote/app").count(), guns.len(), "{piped:?}");
    assert!(!piped.stdout.contains("Copying"), "{piped:?}");

    let shown = on_a_terminal(&copy(&url(&tmp.path().join("terminal"))));
    assert_eq!(shown.code, 0, "{shown:?}");
    assert!(shown.stdout.contains("Copying 5/5 repositories"), "{}", shown.stdout);
    assert!(shown.stdout.contains("\r\x1b[2K"), "the line is redrawn: {}", shown.stdout);
    let last = format!("Copied 5 of 5 repositories to {} in ", url(&tmp.path().join("terminal")));
    assert!(shown.stdout.contains(&last), "{}", shown.stdout);
    for gun in &guns {
        assert!(shown.stdout.contains(&format!("Copied {gun} from {source}")), "{}", shown.stdout);
    }

    let quiet_dest = url(&tmp.path().join("quiet"));
    let mut quiet = copy(&quiet_dest);
    quiet.arg("--quiet");
    let quiet = on_a_terminal(&quiet);
    assert_eq!(quiet.code, 0, "{quiet:?}");
    assert!(!quiet.stdout.contains("Copying") && !quiet.stdout.contains("Copied 5 of 5"), "{}", quiet.stdout);
}

#[test]
fn a_release_short_of_its_threshold_is_refused_before_anything_is_published() {
    // A file store has no server to check thresholds: trust must, or alice's
    // targets/releases signed by her key alone would replace the valid one and take
    // every release (v1 included) away from every reader.
    let tmp = tempdir();
    let (alice_dir, alice) = with_alice(tmp.path());
    let store = url(&tmp.path().join("store"));
    let bob_dir = tmp.path().join("bob");
    std::fs::create_dir(&bob_dir).unwrap();
    ok(
        "bob's key generate",
        run(trust_cmd(&store, &bob_dir.join("trust"), &["key", "generate", "bob"]).current_dir(&bob_dir)),
    );
    let bob = bob_dir.join("bob.pub");
    let alice_arg = alice.to_str().unwrap();
    ok(
        "signer add alice",
        run(&mut with_server_pass(&store, &alice_dir, &["signer", "add", "--key", alice_arg, "alice", GUN])),
    );
    ok(
        "sign v1",
        run(&mut with_server_pass(
            &store,
            &alice_dir,
            &["sign", "--digest", DIGEST, "--size", "3", &format!("{GUN}:v1")],
        )),
    );
    // bob becomes a second key of targets/releases, which then needs both.
    let add = ["signer", "add", "--threshold", "2", "--key", bob.to_str().unwrap(), "bob", GUN];
    ok("signer add bob --threshold 2", run(&mut with_server_pass(&store, &alice_dir, &add)));
    let releases = tmp.path().join("store/v2").join(GUN).join("_trust/tuf/targets/releases.json");
    let before = std::fs::read(&releases).unwrap();
    let files_before = tree(&tmp.path().join("store"));

    let refused = run(&mut with_server_pass(
        &store,
        &alice_dir,
        &["sign", "--digest", DIGEST, "--size", "3", &format!("{GUN}:v2")],
    ));
    assert_eq!(refused.code, 5, "{refused:?}");
    assert!(
        refused.stderr.contains(&format!(
            "targets/releases of {GUN} needs signatures from 2 distinct keys and this trust directory holds 1 of them"
        )),
        "{refused:?}"
    );
    assert!(refused.stderr.contains("trust sign --partial"), "{refused:?}");
    assert!(refused.stderr.contains("nothing was published and this operation's changes were not kept"), "{refused:?}");
    assert_eq!(std::fs::read(&releases).unwrap(), before, "targets/releases left as it was");
    assert_eq!(tree(&tmp.path().join("store")), files_before, "nothing written to the store");
    let status = ok("status", run(&mut trust_cmd(&store, &alice_dir, &["status", GUN])));
    assert!(status.stdout.starts_with("No staged changes"), "{status:?}");
}
