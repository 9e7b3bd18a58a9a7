//! `trust key rotate` and `trust copy` on file remotes (no peers): a rotated root
//! and targets key are followed by a client that cached the old root; a copy
//! between two directories carries every root version and the original targets
//! bytes, and a copy that would need a missing key writes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use trust_test_support::interop;

use std::path::Path;
use std::process::Command;

use interop::{Outcome, run, tempdir};

const GUN: &str = "localhost:5000/rotate-file/app";
const PASSPHRASE: &str = "rotate-file-passphrase";
const DIGEST: &str = "sha256:7d865e959b2466918c9863afca942d0fb89d7c9ac0c99bafc3749504ded97730";

/// `trust --server SERVER --trust-dir DIR ARGS` with every passphrase set.
fn trust(server: &str, trust_dir: &Path, args: &[&str]) -> Outcome {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trust"));
    for var in trust_core::keystore::PASSPHRASE_VARS {
        cmd.env(var, PASSPHRASE);
    }
    cmd.env("TRUST_SERVER_PASSPHRASE", PASSPHRASE)
        .env_remove("TRUST_PINNING")
        .env_remove("DOCKER_CONTENT_TRUST_SERVER");
    run(cmd.args(["--server", server, "--trust-dir"]).arg(trust_dir).args(args))
}

fn ok(what: &str, out: Outcome) -> Outcome {
    assert_eq!(out.code, 0, "{what}: {out:?}");
    out
}

fn file_url(dir: &Path) -> String {
    format!("file://{}", dir.display())
}

fn tuf(store: &Path) -> std::path::PathBuf {
    store.join("v2").join(GUN).join("_trust/tuf")
}

fn root_version(store: &Path) -> u64 {
    let root: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tuf(store).join("root.json")).unwrap()).unwrap();
    root["signed"]["version"].as_u64().unwrap()
}

/// A repository on a new file remote, v1 signed by the admin; returns (store, admin's trust dir).
fn repository() -> (tempfile::TempDir, tempfile::TempDir) {
    let (store, admin) = (tempdir(), tempdir());
    ok(
        "sign v1",
        trust(
            &file_url(store.path()),
            admin.path(),
            &["sign", "--digest", DIGEST, "--size", "3", &format!("{GUN}:v1")],
        ),
    );
    (store, admin)
}

#[test]
fn root_and_targets_rotate_on_a_file_remote_and_a_cached_client_follows() {
    let (store, admin) = repository();
    let url = file_url(store.path());
    let reader = tempdir();
    ok("verify before", trust(&url, reader.path(), &["verify", &format!("{GUN}:v1")]));
    for (n, role) in [(2, "root"), (3, "targets")] {
        let out = ok(role, trust(&url, admin.path(), &["key", "rotate", role, GUN]));
        assert!(out.stdout.contains(&format!("new root version: {n}")), "{out:?}");
        assert_eq!(root_version(store.path()), n);
        let verified = ok("verify after", trust(&url, reader.path(), &["verify", &format!("{GUN}:v1")]));
        assert_eq!(verified.stdout.trim(), DIGEST);
    }
    ok(
        "sign v2 after the rotations",
        trust(&url, admin.path(), &["sign", "--digest", DIGEST, "--size", "3", &format!("{GUN}:v2")]),
    );
    assert_eq!(ok("verify v2", trust(&url, reader.path(), &["verify", &format!("{GUN}:v2")])).stdout.trim(), DIGEST);
    // The file remote signs snapshot and timestamp with its own keys only.
    for args in [["key", "rotate", "snapshot", GUN, "--local"], ["key", "rotate", "timestamp", GUN, "--local"]] {
        let out = trust(&url, admin.path(), &args);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(out.stderr.contains("takes none signed by the client"), "{out:?}");
    }
    let out = trust(&url, admin.path(), &["key", "rotate", "timestamp", GUN]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("cannot rotate it"), "{out:?}");
    assert_eq!(root_version(store.path()), 3, "nothing published by the refused rotations");
}

#[test]
fn a_copy_between_file_remotes_carries_every_root_version() {
    let (from, admin) = repository();
    ok("rotate root", trust(&file_url(from.path()), admin.path(), &["key", "rotate", "root", GUN]));
    let to = tempdir();
    let copy = ["copy", GUN, "--from", &file_url(from.path()), "--to", &file_url(to.path())];
    let out = ok("copy", trust(&file_url(from.path()), admin.path(), &copy));
    assert!(out.stdout.contains("root versions 1…2 verified and stored"), "{out:?}");
    assert!(out.stdout.contains("new root version: 3"), "{out:?}");
    for name in ["1.root.json", "2.root.json", "3.root.json"] {
        assert!(tuf(to.path()).join(name).is_file(), "{name}");
    }
    assert_eq!(
        std::fs::read(tuf(to.path()).join("targets.json")).unwrap(),
        std::fs::read(tuf(from.path()).join("targets.json")).unwrap()
    );
    // A client that trusted root 1 follows the chain at the destination.
    let reader = tempdir();
    let stale = reader.path().join("tuf").join(GUN).join("metadata");
    std::fs::create_dir_all(&stale).unwrap();
    std::fs::copy(tuf(from.path()).join("1.root.json"), stale.join("root.json")).unwrap();
    let verified =
        ok("verify at the destination", trust(&file_url(to.path()), reader.path(), &["verify", &format!("{GUN}:v1")]));
    assert_eq!(verified.stdout.trim(), DIGEST);
    // A second copy into the same store is refused.
    let again = trust(&file_url(from.path()), admin.path(), &copy);
    assert_eq!(again.code, 2, "{again:?}");
    assert!(again.stderr.contains("already has trust data"), "{again:?}");
}

#[test]
fn a_copy_without_the_root_key_writes_nothing() {
    let (from, _admin) = repository();
    let to = tempdir();
    let stranger = tempdir();
    let out = trust(
        &file_url(from.path()),
        stranger.path(),
        &["copy", GUN, "--from", &file_url(from.path()), "--to", &file_url(to.path())],
    );
    assert_eq!(out.code, 5, "{out:?}");
    assert!(out.stderr.contains("(role root), which is not in this trust directory"), "{out:?}");
    assert!(!to.path().join("v2").exists(), "no trust data at the destination");
}

#[test]
fn a_copy_from_an_exported_archive_bundle_moves_the_repository() {
    let (from, admin) = repository();
    ok("rotate root", trust(&file_url(from.path()), admin.path(), &["key", "rotate", "root", GUN]));
    let work = tempdir();
    let bundle = work.path().join("bundle.tar.gz");
    ok("export", trust(&file_url(from.path()), admin.path(), &["export", GUN, "--output", bundle.to_str().unwrap()]));
    // The old store is gone; only the archive is left.
    drop(from);
    let to = tempdir();
    let copy = ["copy", GUN, "--from", bundle.to_str().unwrap(), "--to", &file_url(to.path())];
    let out = ok("copy from the bundle", trust(&file_url(to.path()), admin.path(), &copy));
    assert!(out.stderr.contains("frozen trust data from bundle"), "{out:?}");
    assert!(out.stdout.contains("root versions 1…2 verified and stored"), "{out:?}");
    for name in ["1.root.json", "2.root.json", "3.root.json"] {
        assert!(tuf(to.path()).join(name).is_file(), "{name}");
    }
    let fresh = tempdir();
    let verified =
        ok("verify at the destination", trust(&file_url(to.path()), fresh.path(), &["verify", &format!("{GUN}:v1")]));
    assert_eq!(verified.stdout.trim(), DIGEST);
    // --frozen names a bundle's export time: with a store as SOURCE it is a usage error.
    let to2 = tempdir();
    let frozen_url = trust(
        &file_url(to.path()),
        admin.path(),
        &["copy", GUN, "--from", &file_url(to.path()), "--to", &file_url(to2.path()), "--frozen"],
    );
    assert_eq!(frozen_url.code, 2, "{frozen_url:?}");
}
