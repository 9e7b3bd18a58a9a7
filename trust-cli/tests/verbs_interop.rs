//! notary's everyday verbs against the real peers (tests/peers): `trust key passwd`
//! leaves a key the `notary` CLI reads with the new passphrase, `trust key export`
//! writes what `notary key import` takes, `trust key remove` asks first (reading the
//! answer from standard input, as docker does), `trust status` lists what failed signs
//! staged and `trust reset` drops all of it or the changes chosen by number, `trust
//! delete --remote` deletes the repository on notary-server, and `echo y | trust
//! revoke` goes ahead where `echo n` exits 0.
//!
//! Every test needs the peers and is `#[ignore]`d; with `--include-ignored` and no
//! peers' environment, each test fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Stdio};

use trust_core::keystore::PASSPHRASE_VARS;
use trust_test_support::interop;
use trust_test_support::live::{Live, generate_key, staged_changes};
use trust_test_support::{Outcome, ok, tempdir};

const NEW_PASSPHRASE: &str = "a brand new passphrase";
const DIGEST: &str = "sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881";

/// Runs `cmd` with `input` on its standard input (a pipe, not a terminal).
fn run_with_input(cmd: &mut Command, input: &str) -> Outcome {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    Outcome {
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// The notary CLI on `dir` with every notary passphrase variable set to `passphrase`.
fn notary_with(live: &Live, dir: &Path, passphrase: &str, args: &[&str]) -> Outcome {
    let mut cmd = Command::new(&live.notary_bin);
    for name in PASSPHRASE_VARS {
        cmd.env_remove(name);
    }
    for name in PASSPHRASE_VARS.iter().filter(|n| n.starts_with("NOTARY_")) {
        cmd.env(name, passphrase);
    }
    trust_test_support::run(
        cmd.arg("-s").arg(&live.server).arg("-d").arg(dir).arg("--tlscacert").arg(&live.ca).args(args),
    )
}

fn key_id(key_file: &Path) -> String {
    key_file.file_stem().unwrap().to_str().unwrap().to_owned()
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn passwd_export_and_remove_leave_keys_notary_reads() {
    let live = Live::from_env();
    let tmp = tempdir();
    let dir = tmp.path().join("trust");
    let (_, key_file) = generate_key(&live, &dir, &tmp.path().join("pubs"), "dave");
    let id = key_id(&key_file);

    // passwd: the old passphrase from docker's variable, the new one from TRUST_NEW_PASSPHRASE.
    let mut passwd = live.trust_cmd(&dir, &["key", "passwd", &id[..10]]);
    passwd.env("TRUST_NEW_PASSPHRASE", NEW_PASSPHRASE);
    let changed = ok("trust key passwd", trust_test_support::run(&mut passwd));
    assert_eq!(changed.stdout, format!("Successfully updated passphrase for key ID: {id} (dave)\n"));
    assert_eq!(fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    // notary decrypts it with the new passphrase only (its own `key passwd` must unlock it).
    let old = notary_with(&live, &dir, &live.passphrase, &["key", "passwd", &id]);
    assert_ne!(old.code, 0, "the old passphrase must no longer work: {old:?}");
    ok("notary key passwd with the new passphrase", notary_with(&live, &dir, NEW_PASSPHRASE, &["key", "passwd", &id]));
    // A wrong old passphrase changes nothing.
    let before = fs::read(&key_file).unwrap();
    let mut wrong = live.trust_cmd(&dir, &["key", "passwd", &id]);
    wrong.env("TRUST_NEW_PASSPHRASE", "yet another passphrase");
    let refused = trust_test_support::run(&mut wrong);
    assert_eq!(refused.code, 5, "{refused:?}");
    assert_eq!(fs::read(&key_file).unwrap(), before);

    // export: encrypted, 0600; notary imports it, trust loads it.
    let exported = tmp.path().join("dave-export.pem");
    let out = live.trust_ok(&dir, &["key", "export", &id, "-o", exported.to_str().unwrap()]);
    assert_eq!(out.stdout, format!("Exported {id} (dave) to {}\n", exported.display()));
    assert_eq!(fs::metadata(&exported).unwrap().permissions().mode() & 0o777, 0o600);
    let text = fs::read_to_string(&exported).unwrap();
    assert!(text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"), "{text}");
    let notary_dir = tmp.path().join("notary");
    ok(
        "notary key import",
        notary_with(&live, &notary_dir, NEW_PASSPHRASE, &["key", "import", exported.to_str().unwrap()]),
    );
    let listed = ok("notary key list", notary_with(&live, &notary_dir, NEW_PASSPHRASE, &["key", "list"]));
    assert!(listed.stdout.lines().any(|l| l.contains(&id) && l.starts_with("dave")), "{listed:?}");
    let mut load =
        live.trust_cmd(&tmp.path().join("other"), &["key", "load", "--name", "dave", exported.to_str().unwrap()]);
    load.env("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", NEW_PASSPHRASE);
    ok("trust key load of the export", trust_test_support::run(&mut load));

    // remove: "n" on standard input keeps the key (exit 0), "y" removes it.
    let kept = run_with_input(&mut live.trust_cmd(&dir, &["key", "remove", &id]), "n\n");
    assert_eq!(kept.code, 0, "{kept:?}");
    assert!(kept.stdout.contains("Aborting action."), "{kept:?}");
    assert!(key_file.exists());
    let removed = run_with_input(&mut live.trust_cmd(&dir, &["key", "remove", &id]), "y\n");
    let removed = ok("trust key remove, answered y", removed);
    assert!(removed.stdout.contains(&format!("Deleted {id} (role dave)")), "{removed:?}");
    assert!(!key_file.exists());
    let listed = ok("notary key list", notary_with(&live, &dir, NEW_PASSPHRASE, &["key", "list"]));
    assert!(!listed.stdout.contains(&id), "{listed:?}");
    let gone = live.trust(&dir, &["key", "remove", "--yes", &id]);
    assert_eq!(gone.code, 5, "{gone:?}");
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn status_lists_what_failed_signs_staged_and_reset_drops_it() {
    let live = Live::from_env();
    let forwarder = interop::forwarder::Forwarder::to(&live.server);
    let tmp = tempdir();
    let dir = tmp.path().join("admin");
    let gun = live.gun(&live.fresh_name("status"));
    let sign = |tag: &str| {
        let image = format!("{gun}:{tag}");
        trust_test_support::run(&mut live.trust_cmd_at(
            &forwarder.url,
            &dir,
            &["sign", "--digest", DIGEST, "--size", "1234", &image],
        ))
    };
    ok("trust sign v1", sign("v1"));
    let clean = live.trust_ok(&dir, &["status", &gun]);
    assert_eq!(clean.stdout, format!("No staged changes for {gun}\n"));

    forwarder.take_down();
    for tag in ["v2", "v3"] {
        let failed = sign(tag);
        assert_eq!(failed.code, 4, "{failed:?}");
    }
    let status = live.trust_ok(&dir, &["status", &gun]);
    let rows: Vec<Vec<&str>> = status.stdout.lines().skip(3).map(|l| l.split_whitespace().collect()).collect();
    assert!(status.stdout.starts_with(&format!("Staged changes for {gun}:\n\n#   ACTION")), "{status:?}");
    assert_eq!(rows, [["0", "create", "targets", "target", "v2"], ["1", "create", "targets", "target", "v3"]]);
    // Without a repository: every repository with staged changes.
    assert_eq!(live.trust_ok(&dir, &["status"]).stdout, status.stdout);

    let reset = live.trust(&dir, &["reset", &gun]);
    assert_eq!(reset.code, 2, "--all or -n is required: {reset:?}");
    // -n as notary's: the numbers `trust status` shows; a bad one discards nothing.
    let bad = live.trust(&dir, &["reset", &gun, "-n", "0", "-n", "5"]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("no staged change #5") && bad.stderr.contains("nothing was discarded"), "{bad:?}");
    assert_eq!(live.trust_ok(&dir, &["status", &gun]).stdout, status.stdout);
    let one = live.trust_ok(&dir, &["reset", &gun, "-n", "0"]);
    assert_eq!(one.stdout, format!("Discarded 1 staged change(s) for {gun}\n"));
    let left = live.trust_ok(&dir, &["status", &gun]);
    let rows: Vec<Vec<&str>> = left.stdout.lines().skip(3).map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows, [["0", "create", "targets", "target", "v3"]], "{left:?}");
    let reset = live.trust_ok(&dir, &["reset", &gun, "--all"]);
    assert_eq!(reset.stdout, format!("Discarded 1 staged change(s) for {gun}\n"));
    assert!(staged_changes(&dir, &gun).is_empty());
    assert_eq!(live.trust_ok(&dir, &["status", &gun]).stdout, format!("No staged changes for {gun}\n"));
    assert!(live.trust_ok(&dir, &["status"]).stdout.starts_with("No staged changes in "));
    // Nothing of v2 or v3 is published by the next command.
    live.trust_ok(&dir, &["sign", "--digest", DIGEST, "--size", "1234", &format!("{gun}:v4")]);
    let tags: Vec<String> = live.notary_list(&gun).into_iter().map(|[name, ..]| name).collect();
    assert_eq!(tags, ["v1", "v4"]);
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn delete_remote_deletes_the_repository_on_notary_server() {
    let live = Live::from_env();
    let tmp = tempdir();
    let dir = tmp.path().join("admin");
    let gun = live.gun(&live.fresh_name("delete"));
    live.trust_ok(&dir, &["sign", "--digest", DIGEST, "--size", "1234", &format!("{gun}:v1")]);
    assert_eq!(live.notary_list(&gun).len(), 1);

    // Local only: the cache goes, the server keeps the repository.
    let local = live.trust_ok(&dir, &["delete", &gun]);
    assert_eq!(
        local.stdout,
        format!("Deleted the local trust data of {gun} ({})\n", dir.join("tuf").join(&gun).display())
    );
    assert!(!dir.join("tuf").join(&gun).exists());
    assert_eq!(live.notary_list(&gun).len(), 1);

    let remote = live.trust_ok(&dir, &["delete", "--remote", &gun]);
    assert_eq!(
        remote.stdout,
        format!("Deleted the trust data of {gun} on {}\nNo local trust data for {gun}\n", live.server)
    );
    let listed = live.notary(tmp.path().join("fresh").as_path(), &["list", &gun]);
    assert_ne!(listed.code, 0, "{listed:?}");
    // notary prints its fatal error on standard output.
    assert!(format!("{}{}", listed.stdout, listed.stderr).contains("does not have trust data"), "{listed:?}");
    // Private keys stay.
    assert!(!trust_test_support::live::private_keys(&dir).is_empty());
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn revoke_reads_the_answer_from_standard_input_as_docker_does() {
    let live = Live::from_env();
    let tmp = tempdir();
    let dir = tmp.path().join("admin");
    let gun = live.gun(&live.fresh_name("revoke-stdin"));
    for tag in ["v1", "v2"] {
        live.trust_ok(&dir, &["sign", "--digest", DIGEST, "--size", "1234", &format!("{gun}:{tag}")]);
    }
    let question = format!("Please confirm you would like to delete all signature data for {gun}? [y/N] ");
    let no = run_with_input(&mut live.trust_cmd(&dir, &["revoke", &gun]), "n\n");
    assert_eq!((no.code, no.stdout.as_str()), (0, format!("{question}\nAborting action.\n").as_str()), "{no:?}");
    let nothing = run_with_input(&mut live.trust_cmd(&dir, &["revoke", &gun]), "");
    assert_eq!(nothing.code, 0, "no answer is no: {nothing:?}");
    assert_eq!(live.notary_list(&gun).len(), 2);

    let yes = run_with_input(&mut live.trust_cmd(&dir, &["revoke", &gun]), "y\n");
    let yes = ok("echo y | trust revoke", yes);
    assert!(yes.stdout.starts_with(&question), "{yes:?}");
    assert!(live.notary_list(&gun).is_empty());
}
