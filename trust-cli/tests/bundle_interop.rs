//! Bundles of repositories published to the real notary-server (tests/peers):
//! `trust inspect --bundle` prints what `docker trust inspect` prints from the
//! server, byte for byte, with no server configured; `trust bundle update` accepts a
//! newer bundle whose root rotated (by `notary key rotate`) and refuses an older one,
//! one whose root does not chain, and one with a role rolled back, leaving the
//! installed bundle byte for byte as it was.
//!
//! Every test needs the peers and is `#[ignore]`d; with `--include-ignored` and no
//! peers' environment, each test fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use trust_test_support::bundle;
use trust_test_support::interop;
use trust_test_support::live;

use std::path::{Path, PathBuf};
use std::process::Command;

use bundle::{Builder, captured_at, case_field, fixture_remote};
use chrono::Utc;
use interop::{Mode, Outcome, UNREACHABLE_SERVER, tempdir};
use live::{Live, ok, snapshot};
use trust_core::remote::{self, Remote, RemoteOptions};

/// A repository name under this file's prefix that no other run uses.
fn fresh_name(case: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("frozen-{case}-{}-{nanos}", std::process::id())
}

/// The live notary-server as a remote, to copy what it serves into a bundle.
fn server(live: &Live) -> Box<dyn Remote> {
    let mut opts = RemoteOptions::new(tempdir().keep());
    opts.ca_file = Some(live.ca.clone());
    opts.registry = Some(live.registry.clone());
    remote::open(&live.server, &opts).unwrap()
}

/// A bundle of what the server serves now for `guns`, in `dir`.
fn export(live: &Live, guns: &[&str], dir: &Path) -> Builder {
    let at = Utc::now();
    let mut b = Builder::new(dir, &live.server, at);
    let remote = server(live);
    for gun in guns {
        b.add(remote.as_ref(), gun, at);
    }
    b
}

/// `trust ARGS` with no trust server reachable and an empty trust directory.
fn offline_trust(trust_dir: &Path, args: &[&str]) -> Outcome {
    interop::run(
        Command::new(env!("CARGO_BIN_EXE_trust"))
            .env_remove("TRUST_PINNING")
            .env_remove("TRUST_BUNDLE")
            .env_remove("TRUST_FROZEN")
            .env("DOCKER_CONTENT_TRUST_SERVER", UNREACHABLE_SERVER)
            .arg("--trust-dir")
            .arg(trust_dir)
            .args(args),
    )
}

/// A repository signed by `trust` with tags `tags`; returns (gun, admin trust dir).
fn signed_repo(live: &Live, tmp: &Path, case: &str, tags: &[&str]) -> (String, PathBuf) {
    let name = fresh_name(case);
    let gun = live.gun(&name);
    let admin = tmp.join(format!("admin-{case}"));
    live.push_manifest(&name, tags);
    for tag in tags {
        live.trust_ok(&admin, &["sign", &format!("{gun}:{tag}")]);
    }
    (gun, admin)
}

#[test]
#[ignore = "needs the peers (tests/peers); CI runs it with --include-ignored"]
fn inspect_from_a_bundle_is_docker_trust_inspect_from_the_server() {
    let live = Live::from_env();
    let tmp = tempdir();
    let (gun, _) = signed_repo(&live, tmp.path(), "inspect", &["v1", "v2"]);
    let dir = export(&live, &[&gun], &tmp.path().join("bundle")).finish();
    let archive = tmp.path().join("bundle.tgz");
    trust_core::bundle::archive::pack(&dir, &archive).unwrap();
    for mode in [Mode::Json, Mode::Pretty] {
        let config = tempdir();
        let docker = ok("docker trust inspect", live.docker_trust(config.path(), &mode.inspect_args(&gun)));
        for b in [&dir, &archive] {
            let mut args = vec!["inspect", "--bundle", b.to_str().unwrap()];
            args.extend(mode.inspect_args(&gun).into_iter().skip(1));
            let ours = offline_trust(&tmp.path().join("trust"), &args);
            assert_eq!(ours.code, 0, "{}", ours.stderr);
            assert_eq!(ours.stdout, docker.stdout, "{mode:?} from {}", b.display());
            assert!(ours.stderr.contains(&format!("exported from {}", live.server)), "{}", ours.stderr);
        }
    }
    assert!(!tmp.path().join("trust/tuf").exists(), "nothing cached");
}

#[test]
#[ignore = "needs the peers (tests/peers); CI runs it with --include-ignored"]
fn bundle_update_takes_a_newer_chained_bundle_and_refuses_the_rest() {
    let live = Live::from_env();
    let tmp = tempdir();
    let (gun, admin) = signed_repo(&live, tmp.path(), "update", &["v1", "v2"]);
    let old = export(&live, &[&gun], &tmp.path().join("old"));
    // Kept: a repository only the installed bundle holds.
    let kept = case_field("docker-signers", "gun");
    let mut old = old;
    old.add(fixture_remote("docker-signers").as_ref(), &kept, captured_at("docker-signers"));
    let old_dir = old.finish();

    // Newer: v3 signed, a role rolled forward without a root change.
    live.push_manifest(gun.strip_prefix(&format!("{}/", live.registry)).unwrap(), &["v3"]);
    live.trust_ok(&admin, &["sign", &format!("{gun}:v3")]);
    let same_root = export(&live, &[&gun], &tmp.path().join("same-root")).finish();
    // Newer still: the root rotated by notary, and a repository added.
    rotate_root(&live, &admin, &gun);
    let mut rotated = export(&live, &[&gun], &tmp.path().join("rotated"));
    let added = case_field("rotated", "gun");
    rotated.add(fixture_remote("rotated").as_ref(), &added, captured_at("rotated"));
    let rotated_dir = rotated.finish();
    let rotated_tgz = rotated.pack(&tmp.path().join("rotated.tar.gz"));
    let root_version = |dir: &Path| {
        let m = trust_core::bundle::Manifest::parse(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
        m.repositories[&gun].root_version
    };
    assert_eq!(root_version(&rotated_dir), root_version(&old_dir) + 1, "notary rotated the root");

    let update = |installed: &Path, new: &Path| {
        let args = ["bundle", "update", "--frozen", installed.to_str().unwrap(), new.to_str().unwrap()];
        offline_trust(&tmp.path().join("trust"), &args)
    };
    let refused = |installed: &Path, new: &Path, want: &[&str]| {
        let before = snapshot(installed.parent().unwrap());
        let out = update(installed, new);
        assert_eq!(out.code, 3, "{out:?}");
        for w in want {
            assert!(out.stderr.contains(w), "want {w:?}: {}", out.stderr);
        }
        assert_eq!(snapshot(installed.parent().unwrap()), before, "the installed bundle is unchanged");
    };

    // A directory bundle, updated in place: the rotated root chains from the old.
    let installed = tmp.path().join("site/installed");
    copy_tree(&old_dir, &installed);
    let out = update(&installed, &rotated_dir);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains(&format!("updated {gun} (root version 1 -> 2)")), "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!("added {added}")) && out.stdout.contains(&format!("kept {kept}")),
        "{}",
        out.stdout
    );
    let now = trust_core::bundle::Bundle::open(&installed).unwrap();
    assert_eq!(now.manifest().repositories[&gun], rotated.manifest.repositories[&gun]);
    assert!(now.manifest().repositories.contains_key(&kept) && now.manifest().repositories.contains_key(&added));
    let names: Vec<_> = std::fs::read_dir(tmp.path().join("site")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["installed"], "no temporary directory is left");
    // The updated bundle verifies.
    let v3 = offline_trust(
        &tmp.path().join("trust"),
        &["verify", "--bundle", installed.to_str().unwrap(), &format!("{gun}:v3")],
    );
    assert_eq!(v3.code, 0, "{v3:?}");

    // Older than installed: the root went back.
    refused(&installed, &old_dir, &[&gun, "root version 1, the installed one has version 2"]);
    // Same root, older roles: a rollback of the timestamp, snapshot and targets.
    let site2 = tmp.path().join("site2/installed");
    copy_tree(&same_root, &site2);
    refused(&site2, &old_dir, &[&gun, "that is a rollback"]);

    // An archive keeps its form.
    let archive = tmp.path().join("site3/installed.tar.gz");
    std::fs::create_dir_all(archive.parent().unwrap()).unwrap();
    trust_core::bundle::archive::pack(&old_dir, &archive).unwrap();
    let out = update(&archive, &rotated_tgz);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(&std::fs::read(&archive).unwrap()[..2], [0x1f, 0x8b]);
    assert_eq!(trust_core::bundle::Bundle::open(&archive).unwrap().manifest().repositories[&gun].root_version, 2);

    // A root that does not chain: the repository deleted and made again from
    // new keys.
    ok("notary delete", live.notary(&admin, &["delete", &gun, "--remote"]));
    let other = tmp.path().join("admin-again");
    live.trust_ok(&other, &["sign", &format!("{gun}:v1")]);
    let unrelated = export(&live, &[&gun], &tmp.path().join("unrelated")).finish();
    let site4 = tmp.path().join("site4/installed");
    copy_tree(&old_dir, &site4);
    refused(&site4, &unrelated, &[&gun, "root", "does not chain"]);
}

/// `notary key rotate GUN root` (answering its confirmation) and `notary publish`.
fn rotate_root(live: &Live, trust_dir: &Path, gun: &str) {
    use std::io::Write as _;
    let mut cmd = Command::new(std::env::var("NOTARY_BIN").unwrap());
    for role in ["ROOT", "TARGETS", "SNAPSHOT", "DELEGATION"] {
        cmd.env(format!("NOTARY_{role}_PASSPHRASE"), &live.passphrase);
    }
    cmd.arg("-s").arg(&live.server).arg("-d").arg(trust_dir).arg("--tlscacert").arg(&live.ca);
    cmd.args(["key", "rotate", gun, "root"]).stdin(std::process::Stdio::piped());
    cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"yes\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "notary key rotate: {}", String::from_utf8_lossy(&out.stderr));
    ok("notary publish", live.notary(trust_dir, &["publish", gun]));
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
