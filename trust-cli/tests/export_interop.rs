//! `trust export` against the real peers (tests/peers): the repositories the real
//! docker and notary CLIs made (rotated roots, several delegations, one with no
//! tags), a missing one, verification with the server down, resuming, and bad
//! output paths.
//!
//! The peer tests are `#[ignore]`d; with `--include-ignored` and no peers'
//! environment, each fails. The bad-input tests need no peers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use trust_test_support::interop;
use trust_test_support::live;

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use interop::forwarder::Forwarder;
use interop::{Mode, Outcome, Peers, UNREACHABLE_SERVER, assert_same_stdout, root_version, tempdir, trust};
use trust_core::bundle::Manifest;
use trust_core::bundle::manifest::file_path;

/// `trust inspect --bundle BUNDLE ARGS…` (`args[0]` is `inspect`), with a fresh trust directory, no server and
/// nothing to reach one with; it must say that the answer is frozen trust data.
fn inspect_offline(bundle: &Path, args: &[&str]) -> Outcome {
    let dir = tempdir();
    let out = interop::run(
        Command::new(env!("CARGO_BIN_EXE_trust"))
            .env_remove("TRUST_PINNING")
            .env_remove("DOCKER_CONTENT_TRUST_SERVER")
            .env("HTTPS_PROXY", "http://127.0.0.1:9")
            .arg("--trust-dir")
            .arg(dir.path())
            .arg(args[0])
            .arg("--bundle")
            .arg(bundle)
            .args(&args[1..]),
    );
    assert!(out.stderr.contains("frozen trust data from bundle"), "{args:?}: {}", out.stderr);
    // Nothing of the bundle reached the trust directory's cache.
    assert!(!dir.path().join("tuf").exists());
    out
}

fn manifest(bundle: &Path) -> Manifest {
    Manifest::parse(&fs::read(bundle.join("manifest.json")).unwrap()).unwrap()
}

/// `trust export` with `stdin` as its standard input.
fn export_with_stdin(server: &str, ca: &Path, trust_dir: &Path, args: &[&str], stdin: &str) -> Outcome {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trust"))
        .env_remove("TRUST_PINNING")
        .args(["--server", server, "--tlscacert"])
        .arg(ca)
        .arg("--trust-dir")
        .arg(trust_dir)
        .arg("export")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    Outcome {
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        code: out.status.code().unwrap(),
    }
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn the_peer_repositories_export_and_verify_with_the_server_down() {
    let peers = Peers::from_env();
    let forwarder = Forwarder::to(&peers.server);
    let (work, trust_dir) = (tempdir(), tempdir());
    let bundle = work.path().join("bundle");
    let missing = peers.repo("missing");
    // The list on standard input, with comments and blank lines, the missing one in it.
    let mut list = String::from("# every repository the peers made\n\n");
    for repo in peers.repos() {
        list.push_str(&format!("  {}\n", repo.image));
    }
    let out = export_with_stdin(
        &forwarder.url,
        &peers.ca,
        trust_dir.path(),
        &["--from-file", "-", "--output", bundle.to_str().unwrap()],
        &list,
    );
    assert_eq!(out.code, 8, "one repository is missing: exit 8 {out:?}");
    assert!(out.stderr.contains(&format!("{}: FAILED: remote trust data does not exist", missing.gun)), "{out:?}");
    let existing: Vec<_> = peers.existing_repos().collect();
    assert!(out.stdout.starts_with(&format!("{} exported, 0 kept, 1 failed: ", existing.len())), "{out:?}");

    let m = manifest(&bundle);
    assert_eq!(m.server, forwarder.url);
    assert!(!m.repositories.contains_key(&missing.gun), "{:?}", m.repositories.keys());
    assert!(!bundle.join("v2").join(&missing.gun).exists());
    assert!(!work.path().join("bundle.partial").exists(), "the staging directory is removed");
    for repo in &existing {
        let entry = m.repositories.get(&repo.gun).unwrap_or_else(|| panic!("{} not in the bundle", repo.gun));
        let current = peers.server_metadata(&repo.gun, "root");
        let version = root_version(&current);
        assert_eq!(entry.root_version, version, "{}", repo.case);
        assert_eq!(fs::read(file_path(&bundle, &repo.gun, "root.json")).unwrap(), current, "{}", repo.case);
        for v in 1..=version {
            let name = format!("{v}.root.json");
            let bytes = fs::read(file_path(&bundle, &repo.gun, &name)).unwrap();
            assert_eq!(bytes, peers.server_metadata(&repo.gun, &format!("{v}.root")), "{} {name}", repo.case);
            entry.files[&name].check(&repo.gun, &name, &bytes).unwrap();
        }
        for role in repo.delegations() {
            let name = format!("{role}.json");
            let bytes = fs::read(file_path(&bundle, &repo.gun, &name)).unwrap();
            entry.files[&name].check(&repo.gun, &name, &bytes).unwrap();
        }
    }
    assert!(m.repositories["localhost:5000/interop/rotated"].root_version >= 2, "the rotated case has root versions");

    // What docker shows from the server now, before it goes away.
    let mut before = Vec::new();
    for repo in &existing {
        for mode in Mode::ALL {
            let config = tempdir();
            peers.docker_config(config.path());
            before.push((
                *repo,
                mode,
                peers.docker_trust(&peers.server, config.path(), &mode.inspect_args(&repo.image)),
            ));
        }
    }
    // A second run on the complete bundle keeps every repository (one timestamp
    // request each) and still reports the missing one.
    let again = trust(
        &forwarder.url,
        &peers.ca,
        trust_dir.path(),
        &["export", "--output", bundle.to_str().unwrap(), &existing[0].image, &missing.image],
    );
    assert_eq!(again.code, 8, "{again:?}");
    assert!(again.stdout.starts_with("0 exported, 1 kept, 1 failed: "), "{again:?}");
    assert!(again.stderr.contains("not in this export's list"), "the dropped repositories are named: {again:?}");
    let full = trust(
        &forwarder.url,
        &peers.ca,
        trust_dir.path(),
        &["export", "--output", bundle.to_str().unwrap(), "--from-file", "/dev/stdin"],
    );
    assert_eq!(full.code, 2, "an empty list (stdin closed) is a usage error: {full:?}");
    let args: Vec<&str> = existing.iter().map(|r| r.image.as_str()).collect();
    let restore = trust(
        &forwarder.url,
        &peers.ca,
        trust_dir.path(),
        &[&["export", "-o", bundle.to_str().unwrap()][..], &args].concat(),
    );
    assert_eq!(restore.code, 0, "{restore:?}");
    assert!(restore.stdout.starts_with(&format!("{} exported, 1 kept, 0 failed", existing.len() - 1)), "{restore:?}");

    forwarder.take_down();
    let down = trust(&forwarder.url, &peers.ca, tempdir().path(), &["inspect", &existing[0].image]);
    assert_eq!(down.code, 4, "the server is down: {down:?}");
    for (repo, mode, docker) in &before {
        let ours = inspect_offline(&bundle, &mode.inspect_args(&repo.image));
        assert_same_stdout(&format!("{} {mode:?} from the bundle", repo.case), *mode, &ours, docker);
    }
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn a_delegation_signed_only_by_a_removed_signer_is_kept_as_the_server_sent_it() {
    let live = live::Live::from_env();
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let gun = live.gun(&format!("export-interop/superseded-{}-{nanos}", std::process::id()));
    let work = tempdir();
    let (admin, alice) = (work.path().join("admin"), work.path().join("alice"));
    let (public, _) = live::generate_key(&live, &alice, &work.path().join("pubs"), "alice");
    live.trust_ok(&admin, &["signer", "add", "--key", public.to_str().unwrap(), "alice", &gun]);
    let digest = format!("sha256:{}", "ab".repeat(32));
    live.trust_ok(&alice, &["sign", "--digest", &digest, "--size", "1234", &format!("{gun}:v1")]);
    live.trust_ok(&admin, &["signer", "remove", "-f", "alice", &gun]);
    // targets/releases is now signed only by a key no role lists: below its threshold.

    let bundle = work.path().join("bundle");
    let out = live.trust(&work.path().join("exporter"), &["export", "-o", bundle.to_str().unwrap(), &gun]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("warning: ") && out.stderr.contains("targets/releases"), "{out:?}");
    let releases = fs::read(file_path(&bundle, &gun, "targets/releases.json")).unwrap();
    let url = format!("{}/v2/{gun}/_trust/tuf/targets/releases.json", live.server);
    let on_server = interop::run_ok_bytes(Command::new("curl").args(["-fsS", "--cacert"]).arg(&live.ca).arg(url));
    assert_eq!(releases, on_server, "kept as the server sent it");
    for mode in Mode::ALL {
        let config = tempdir();
        let docker = live.docker_trust(config.path(), &mode.inspect_args(&gun));
        let ours = inspect_offline(&bundle, &mode.inspect_args(&gun));
        assert_same_stdout(&format!("superseded releases from the bundle, {mode:?}"), mode, &ours, &docker);
    }
}

/// Copies directory `from` to `to`.
fn copy_dir(from: &Path, to: &Path) {
    let status = Command::new("cp").arg("-a").arg(from).arg(to).status().unwrap();
    assert!(status.success());
}

/// Waits (up to a minute) until `count()` reaches `n`; the export runs meanwhile.
fn wait_for(what: &str, n: usize, count: impl Fn() -> usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while count() < n {
        assert!(Instant::now() < deadline, "{what}: {} of {n} after a minute", count());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Finished repositories in the staging directory: those renamed into place (a
/// name of 64 hex digits). A temporary directory of a run still writing one holds
/// `entry.json` before its rename, and a kill then leaves it for the next run to
/// sweep, so it does not count.
fn staged(partial: &Path) -> usize {
    let finished = |e: &fs::DirEntry| {
        let name = e.file_name().to_string_lossy().into_owned();
        name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()) && e.path().join("entry.json").is_file()
    };
    fs::read_dir(partial).map_or(0, |d| d.flatten().filter(finished).count())
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn a_killed_export_resumes_without_fetching_the_finished_repositories_again() {
    let peers = Peers::from_env();
    let (work, trust_dir) = (tempdir(), tempdir());
    let cases = ["notary-plain", "docker-signers", "rotated"];
    let images: Vec<&str> = cases.iter().map(|c| peers.repo(c).image.as_str()).collect();
    // The source: the peers' repositories copied off the server into a directory
    // served as a file remote, where one repository's timestamp is a FIFO that
    // blocks whoever opens it: that repository never finishes until restored.
    let first = work.path().join("first");
    let out = peers.trust(trust_dir.path(), &[&["export", "-o", first.to_str().unwrap()][..], &images].concat());
    assert_eq!(out.code, 0, "{out:?}");
    let source = work.path().join("source");
    copy_dir(&first, &source);
    let blocked = peers.repo("docker-signers");
    let blocked_ts = file_path(&source, &blocked.gun, "timestamp.json");
    fs::remove_file(&blocked_ts).unwrap();
    assert!(Command::new("mkfifo").arg(&blocked_ts).status().unwrap().success());

    let url = format!("file://{}", source.display());
    let bundle = work.path().join("resumed.tar.gz");
    let partial = work.path().join("resumed.tar.gz.partial");
    let resume_dir = tempdir();
    let export = |extra: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_trust"));
        cmd.env_remove("TRUST_PINNING").args(["--server", &url, "--trust-dir"]).arg(resume_dir.path());
        cmd.args(["export", "--parallel", "3", "-o", bundle.to_str().unwrap()]).args(&images).args(extra);
        cmd
    };
    let mut child = export(&[]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    wait_for("repositories staged", 2, || staged(&partial));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!bundle.exists(), "a killed export writes no bundle");
    assert_eq!(staged(&partial), 2, "the finished repositories are kept");

    // Restore the blocked repository, and take every file but the timestamp away
    // from the finished ones: were they fetched again, they would fail.
    fs::remove_file(&blocked_ts).unwrap();
    fs::copy(file_path(&first, &blocked.gun, "timestamp.json"), &blocked_ts).unwrap();
    for case in ["notary-plain", "rotated"] {
        let gun = &peers.repo(case).gun;
        for name in manifest(&first).repositories[gun].files.keys().filter(|n| *n != "timestamp.json") {
            fs::remove_file(file_path(&source, gun, name)).unwrap();
        }
    }
    let resumed = interop::run(&mut export(&[]));
    assert_eq!(resumed.code, 0, "{resumed:?}");
    assert!(resumed.stdout.starts_with("1 exported, 2 kept, 0 failed: "), "{resumed:?}");
    assert!(!partial.exists(), "the staging directory is removed once the bundle is in place");

    // The archive holds what the first export fetched from the server, file for file.
    let unpacked = work.path().join("unpacked");
    trust_core::bundle::archive::unpack(&bundle, &unpacked, 1 << 30).unwrap();
    let (want, got) = (manifest(&first), manifest(&unpacked));
    for gun in want.repositories.keys() {
        assert_eq!(got.repositories[gun].files, want.repositories[gun].files, "{gun}");
        for name in want.repositories[gun].files.keys() {
            assert_eq!(
                fs::read(file_path(&unpacked, gun, name)).unwrap(),
                fs::read(file_path(&first, gun, name)).unwrap()
            );
        }
    }
    // A second run on the current bundle keeps all three.
    let again = interop::run(&mut export(&[]));
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.stdout.starts_with("0 exported, 3 kept, 0 failed: "), "{again:?}");
}

/// `trust export` of a repository to `output`, against a server that cannot be
/// reached: an output problem must be found before any network work (exit 6, not 4).
fn export_to(output: &Path) -> Outcome {
    let dir = tempdir();
    trust(
        UNREACHABLE_SERVER,
        Path::new(ANY_CA),
        dir.path(),
        &["export", "-o", output.to_str().unwrap(), "localhost:5000/export-bad/app"],
    )
}

/// A CA certificate file (any: nothing is reached).
const ANY_CA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../trust-tuf/src/crypto/testdata/p384.crt");

/// Every path below `dir`, for "nothing was written".
fn listing(dir: &Path) -> Vec<PathBuf> {
    let mut all = vec![];
    for entry in fs::read_dir(dir).unwrap().flatten() {
        all.push(entry.path());
        if entry.path().is_dir() {
            all.extend(listing(&entry.path()));
        }
    }
    all.sort();
    all
}

#[test]
fn an_output_that_cannot_be_written_fails_first_and_writes_nothing() {
    let work = tempdir();
    let file = work.path().join("a-file");
    fs::write(&file, "keep me").unwrap();
    let not_a_bundle = work.path().join("photos");
    fs::create_dir(&not_a_bundle).unwrap();
    fs::write(not_a_bundle.join("cat.jpg"), "meow").unwrap();
    let archive_dir = work.path().join("dir.tar.gz");
    fs::create_dir(&archive_dir).unwrap();
    let before = listing(work.path());
    for (output, says) in [
        (file.join("bundle"), "its directory must exist and be writable"),
        (work.path().join("no-such-dir/bundle"), "its directory must exist and be writable"),
        (file.clone(), "is not a directory"),
        (not_a_bundle.clone(), "is not a trust bundle"),
        (archive_dir.clone(), "is a directory"),
    ] {
        let out = export_to(&output);
        assert_eq!(out.code, 6, "{}: {out:?}", output.display());
        assert!(
            out.stderr.contains(says) && out.stderr.contains(output.to_str().unwrap()),
            "{}: {out:?}",
            output.display()
        );
        assert!(out.stderr.contains("nothing was written"), "{out:?}");
        assert_eq!(listing(work.path()), before, "{}: something was written", output.display());
    }
    assert_eq!(fs::read_to_string(&file).unwrap(), "keep me");
}

#[test]
fn when_every_repository_fails_nothing_is_written_and_the_first_failure_sets_the_code() {
    let work = tempdir();
    let output = work.path().join("bundle.tgz");
    let out = export_to(&output);
    assert_eq!(out.code, 4, "the server cannot be reached: the network code {out:?}");
    assert!(out.stderr.contains("[1/1] localhost:5000/export-bad/app: FAILED: "), "{out:?}");
    assert!(out.stderr.contains("every repository failed; nothing was written"), "{out:?}");
    assert!(out.stdout.starts_with("0 exported, 0 kept, 1 failed: no bundle written"), "{out:?}");
    assert_eq!(listing(work.path()), Vec::<PathBuf>::new(), "no bundle and no staging directory");
}

#[test]
fn an_empty_repository_list_is_a_usage_error() {
    let work = tempdir();
    let list = work.path().join("list");
    fs::write(&list, "# nothing yet\n\n   \n").unwrap();
    let output = work.path().join("bundle");
    for args in [
        vec!["export", "-o", output.to_str().unwrap()],
        vec!["export", "-o", output.to_str().unwrap(), "--from-file", list.to_str().unwrap()],
    ] {
        let out = trust(UNREACHABLE_SERVER, Path::new("/nonexistent-ca.crt"), work.path(), &args);
        assert_eq!(out.code, 2, "{out:?}");
        assert!(out.stderr.contains("no repositories to export"), "{out:?}");
    }
    let missing_list = trust(
        UNREACHABLE_SERVER,
        Path::new("/nonexistent-ca.crt"),
        work.path(),
        &["export", "-o", output.to_str().unwrap(), "--from-file", "/nonexistent/list"],
    );
    assert_eq!(missing_list.code, 6, "{missing_list:?}");
    assert!(missing_list.stderr.contains("cannot read the repository list /nonexistent/list"), "{missing_list:?}");
    assert_eq!(listing(work.path()), vec![list], "nothing was written");
}
