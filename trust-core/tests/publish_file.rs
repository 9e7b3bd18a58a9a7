//! Publishing with no server: the file remote takes the upload and signs snapshot
//! and timestamp with its own keys, as notary-server does.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use trust_test_support::builders;

use std::sync::Arc;

use builders::{MemoryKeys, snapshot_dir};
use trust_core::ErrorKind;
use trust_core::client::{Client, ClientOptions};
use trust_core::keystore::Zeroizing;
use trust_core::publish::{self, Change, Changelist};
use trust_core::remote::{self, RemoteOptions};
use trust_core::wire::FileMeta;

const GUN: &str = "registry.example.com/team/app";

struct Site {
    remote: tempfile::TempDir,
}

impl Site {
    fn new() -> Site {
        Site { remote: tempfile::tempdir().unwrap() }
    }

    fn client(&self, trust_dir: &std::path::Path, passphrase: Option<&str>) -> Client {
        let mut opts = RemoteOptions::new(trust_dir.join("docker-config"));
        opts.file_server_passphrase = passphrase.map(|p| Zeroizing::new(p.to_owned()));
        let remote = remote::open(&format!("file://{}", self.remote.path().display()), &opts).unwrap();
        Client::new(GUN, remote, trust_dir, ClientOptions::default()).unwrap()
    }
}

fn stage(client: &Client, change: Change) {
    Changelist::open(client.trust_dir(), client.gun()).unwrap().stage(&change).unwrap();
}

const SERVER_PASSPHRASE: &str = "server passphrase";

/// A repository with signer alice, as `trust signer add` makes it.
fn with_alice(site: &Site, dir: &std::path::Path, keys: &MemoryKeys) -> Client {
    let alice = keys.generate();
    let c = site.client(dir, Some(SERVER_PASSPHRASE));
    for role in ["targets/alice", "targets/releases"] {
        stage(&c, Change::add_delegation(role, vec![alice.public_key()], vec![String::new()]));
    }
    assert!(publish::publish(&c, keys).unwrap().initialized);
    c
}

#[test]
fn sign_verify_and_revoke_with_no_server() {
    let site = Site::new();
    let dir = tempfile::tempdir().unwrap();
    let keys = MemoryKeys::default();
    let c = with_alice(&site, dir.path(), &keys);
    let meta = FileMeta::for_bytes(b"manifest");
    for role in ["targets/releases", "targets/alice"] {
        stage(&c, Change::add_target(role, "v1", &meta));
    }
    let outcome = publish::publish(&c, &keys).unwrap();
    assert_eq!(outcome.roles, ["targets/alice", "targets/releases"]);

    // A reader with nothing cached, and no passphrase: reading needs none.
    let reader_dir = tempfile::tempdir().unwrap();
    let reader = site.client(reader_dir.path(), None);
    let mut view = reader.update().unwrap();
    assert_eq!(view.release("v1").unwrap().meta, meta);
    assert_eq!(view.trust_info(None).unwrap().released[0].signers, ["alice"]);

    stage(&c, Change::remove_target("targets/releases", "v1"));
    stage(&c, Change::remove_target("targets/alice", "v1"));
    publish::publish(&c, &keys).unwrap();
    let fresh_reader = site.client(reader_dir.path(), None);
    let mut view = fresh_reader.update_from_server().unwrap();
    assert_eq!(view.release("v1").unwrap_err().kind(), ErrorKind::NotSigned);
}

#[test]
fn removing_a_signer_removes_its_role_and_keys() {
    let site = Site::new();
    let dir = tempfile::tempdir().unwrap();
    let keys = MemoryKeys::default();
    let c = with_alice(&site, dir.path(), &keys);
    let info = c.update().unwrap().trust_info(None).unwrap();
    let alice = info.signers.iter().find(|s| s.role == "targets/alice").unwrap().key_ids.clone();
    stage(&c, Change::remove_delegation_keys("targets/releases", alice));
    stage(&c, Change::delete_delegation("targets/alice"));
    publish::publish(&c, &keys).unwrap();
    let info = site.client(tempfile::tempdir().unwrap().path(), None).update().unwrap().trust_info(None).unwrap();
    assert!(info.signers.iter().all(|s| s.role != "targets/alice"), "{:?}", info.signers);
}

#[test]
fn concurrent_publishers_all_land() {
    let site = Arc::new(Site::new());
    let keys = Arc::new(MemoryKeys::default());
    let admin_dir = tempfile::tempdir().unwrap();
    let admin = site.client(admin_dir.path(), Some(SERVER_PASSPHRASE));
    stage(&admin, Change::add_target("targets", "base", &FileMeta::for_bytes(b"base")));
    publish::publish(&admin, keys.as_ref()).unwrap();
    let threads: Vec<_> = (0..8u8)
        .map(|i| {
            let (site, keys) = (site.clone(), keys.clone());
            std::thread::spawn(move || {
                let dir = tempfile::tempdir().unwrap();
                let c = site.client(dir.path(), Some(SERVER_PASSPHRASE));
                stage(&c, Change::add_target("targets", &format!("t{i}"), &FileMeta::for_bytes(&[i])));
                publish::publish(&c, keys.as_ref()).unwrap().attempts
            })
        })
        .collect();
    let attempts: Vec<u32> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let mut view = admin.update_from_server().unwrap();
    for i in 0..8u8 {
        assert_eq!(view.release(&format!("t{i}")).unwrap().meta, FileMeta::for_bytes(&[i]), "{attempts:?}");
    }
}

#[test]
fn without_the_server_passphrase_nothing_is_published_and_the_change_stays() {
    let site = Site::new();
    let dir = tempfile::tempdir().unwrap();
    let keys = MemoryKeys::default();
    let c = site.client(dir.path(), None);
    stage(&c, Change::add_target("targets", "v1", &FileMeta::for_bytes(b"m")));
    let err = publish::publish(&c, &keys).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Key, "{err}");
    assert!(err.to_string().contains("TRUST_SERVER_PASSPHRASE"), "{err}");
    assert_eq!(Changelist::open(dir.path(), GUN).unwrap().list().unwrap().len(), 1);
    assert!(snapshot_dir(&site.remote.path().join("v2")).is_empty(), "nothing published");
    // With the passphrase the staged change goes out.
    let c = site.client(dir.path(), Some(SERVER_PASSPHRASE));
    assert!(publish::publish(&c, &keys).unwrap().initialized);
    assert!(Changelist::open(dir.path(), GUN).unwrap().list().unwrap().is_empty());
}

#[test]
fn a_signer_without_the_targets_key_cannot_change_targets() {
    let site = Site::new();
    let admin_dir = tempfile::tempdir().unwrap();
    let admin_keys = MemoryKeys::default();
    with_alice(&site, admin_dir.path(), &admin_keys);
    let other = MemoryKeys::default();
    let dir = tempfile::tempdir().unwrap();
    let c = site.client(dir.path(), Some(SERVER_PASSPHRASE));
    stage(&c, Change::add_target("targets", "v9", &FileMeta::for_bytes(b"x")));
    let err = publish::publish(&c, &other).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Key, "{err}");
    assert!(err.to_string().contains("no signing key for targets"), "{err}");
}
