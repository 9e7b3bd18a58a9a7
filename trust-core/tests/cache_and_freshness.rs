//! What the cache may and may not do: a damaged cached file is ignored (never a
//! rollback floor), a delegation its owner stopped signing holds no targets, the
//! server is asked on every update unless the caller opts into reuse, and cached
//! data answers for an unreachable server only with `offline_ok` and only when it came
//! from that same server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use trust_test_support::builders;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use builders::{Key, Repo, now, snapshot_dir, target_json};
use trust_core::client::{Client, ClientOptions};
use trust_core::remote::{self, Fetched, Remote, RemoteFile, RemoteOptions};
use trust_core::{Error, ErrorKind};

/// A real file remote that can be taken down, counts requests and declares a
/// `Cache-Control: max-age` lifetime as notary-server does.
struct Switchable {
    inner: Box<dyn Remote>,
    down: Arc<AtomicBool>,
    fetches: Arc<AtomicUsize>,
    declared_max_age: Option<Duration>,
}

impl Remote for Switchable {
    fn fetch(&self, gun: &str, file: &RemoteFile<'_>, max_len: u64) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.fetch_with_max_age(gun, file, max_len)?.map(|(bytes, _)| bytes))
    }

    fn fetch_with_max_age(&self, gun: &str, file: &RemoteFile<'_>, max_len: u64) -> Result<Option<Fetched>, Error> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            return Err(Error::Network { url: self.url().to_owned(), reason: "connection refused".into() });
        }
        Ok(self.inner.fetch(gun, file, max_len)?.map(|bytes| (bytes, self.declared_max_age)))
    }

    fn url(&self) -> &str {
        self.inner.url()
    }
}

struct Server {
    down: Arc<AtomicBool>,
    fetches: Arc<AtomicUsize>,
    declared_max_age: Option<Duration>,
}

impl Server {
    fn new(declared_max_age: Option<Duration>) -> Server {
        Server { down: Arc::default(), fetches: Arc::default(), declared_max_age }
    }

    fn client(&self, repo: &Repo, trust_dir: &Path, options: ClientOptions) -> Client {
        let remote = Switchable {
            inner: remote::open(&repo.url(), &RemoteOptions::default()).unwrap(),
            down: Arc::clone(&self.down),
            fetches: Arc::clone(&self.fetches),
            declared_max_age: self.declared_max_age,
        };
        Client::new(&repo.gun, Box::new(remote), trust_dir, ClientOptions { now: Some(now()), ..options }).unwrap()
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

/// `v1` released by a signer, `admin` in targets.
fn repo() -> Repo {
    let mut repo = Repo::new("example.com/cache/app");
    repo.targets.insert("admin".into(), target_json(b"admin manifest"));
    repo.add_delegation("targets/releases", &[""]).targets.insert("v1".into(), target_json(b"v1 manifest"));
    repo.publish();
    repo
}

fn hex(bytes: &[u8]) -> String {
    hex::encode(trust_core::crypto::backend::digest::digest(&trust_core::crypto::backend::digest::SHA256, bytes))
}

/// Verifies `tag`, returning its digest and the warnings.
fn verify(client: &Client, tag: &str) -> trust_core::Result<(String, Vec<String>)> {
    let mut repo = client.update()?;
    let digest = repo.release(tag)?.digest_hex();
    Ok((digest, repo.warnings().to_vec()))
}

fn cached(trust_dir: &Path, gun: &str, role: &str) -> std::path::PathBuf {
    trust_dir.join("tuf").join(gun).join("metadata").join(format!("{role}.json"))
}

fn bump_version_in_place(path: &Path, from: u64, to: u64) {
    let text = std::fs::read_to_string(path).unwrap();
    let damaged = text.replacen(&format!("\"version\":{from}"), &format!("\"version\":{to}"), 1);
    assert_ne!(text, damaged, "{} has no version {from}", path.display());
    std::fs::write(path, damaged).unwrap();
}

#[test]
fn a_damaged_cached_file_is_ignored_and_never_a_rollback_floor() {
    let repo = repo();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::new(None);
    let client = server.client(&repo, dir.path(), ClientOptions::default());
    verify(&client, "v1").unwrap();
    for role in ["targets", "timestamp", "snapshot", "targets/releases"] {
        let path = cached(dir.path(), &repo.gun, role);
        let good = std::fs::read(&path).unwrap();
        bump_version_in_place(&path, 1, 7);
        let (digest, warnings) = verify(&client, "v1").unwrap_or_else(|e| panic!("{role}: {e}"));
        assert_eq!(digest, hex(b"v1 manifest"), "{role}");
        let named = format!("{}.json", role);
        assert!(
            warnings.iter().any(|w| w.contains("ignoring the cached") && w.contains(&named)),
            "{role}: expected a warning naming {named}: {warnings:?}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), good, "{role}: the damaged copy is replaced by the verified one");
        let (_, warnings) = verify(&client, "v1").unwrap();
        assert!(warnings.is_empty(), "{role}: {warnings:?}");
    }
}

#[test]
fn a_verified_cached_version_still_stops_a_rollback() {
    let mut repo = repo();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::new(None);
    let client = server.client(&repo, dir.path(), ClientOptions::default());
    verify(&client, "v1").unwrap();
    let old = repo.build();
    repo.targets_version += 1;
    repo.bump();
    repo.publish();
    verify(&client, "v1").unwrap();
    // The server goes back to version 1 of targets (re-signed snapshot and timestamp).
    repo.targets_version -= 1;
    repo.overrides.insert("targets".into(), old["targets"].clone());
    repo.bump();
    repo.publish();
    let err = verify(&client, "v1").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Verification, "{err}");
    assert!(err.to_string().contains("targets: version 1 is older than the trusted version 2 (rollback)"), "{err}");
}

#[test]
fn a_delegation_whose_signing_keys_were_removed_holds_no_targets() {
    let mut repo = repo();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::new(None);
    let client = server.client(&repo, dir.path(), ClientOptions::default());
    assert_eq!(verify(&client, "v1").unwrap().0, hex(b"v1 manifest"));
    // The owner replaces the releases key in targets; the releases file on the
    // server is still the one the old key signed.
    let signed_by_old_key = repo.build()["targets/releases"].clone();
    repo.delegation("targets/releases").keys = vec![Key::ecdsa()];
    repo.overrides.insert("targets/releases".into(), signed_by_old_key);
    repo.targets_version += 1;
    repo.bump();
    repo.publish();

    let mut view = client.update().unwrap();
    let err = view.release("v1").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotSigned, "v1 was only in the skipped role: {err}");
    assert!(
        view.warnings().iter().any(|w| w.starts_with("targets/releases: signature threshold not met")
            && w.contains("treated as holding no targets")),
        "{:?}",
        view.warnings()
    );
    assert_eq!(view.release("admin").unwrap().digest_hex(), hex(b"admin manifest"));
    let info = view.trust_info(None).unwrap();
    assert_eq!(info.released.iter().map(|r| r.tag.as_str()).collect::<Vec<_>>(), ["admin"]);
    assert_eq!(view.trusted().superseded_version("targets/releases"), Some(1), "a replacement goes above it");
}

#[test]
fn every_update_asks_the_server_unless_reuse_is_opted_into() {
    let mut repo = repo();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::new(Some(Duration::from_secs(300)));
    let fresh = server.client(&repo, dir.path(), ClientOptions::default());
    verify(&fresh, "v1").unwrap();
    let asked = server.fetches();
    verify(&fresh, "v1").unwrap();
    assert!(server.fetches() > asked, "a warm update asks the server for its timestamp");

    // Revoked elsewhere: the next update sees it.
    repo.delegation("targets/releases").targets.clear();
    repo.delegation("targets/releases").version += 1;
    repo.bump();
    repo.publish();
    assert_eq!(verify(&fresh, "v1").unwrap_err().kind(), ErrorKind::NotSigned);

    // Re-signed; with an explicit max age, a fetched timestamp answers until then.
    repo.delegation("targets/releases").targets.insert("v1".into(), target_json(b"v1 again"));
    repo.delegation("targets/releases").version += 1;
    repo.bump();
    repo.publish();
    let reusing = server.client(
        &repo,
        dir.path(),
        ClientOptions { max_timestamp_age: Duration::from_secs(60), ..Default::default() },
    );
    assert_eq!(verify(&reusing, "v1").unwrap().0, hex(b"v1 again"));
    let asked = server.fetches();
    repo.delegation("targets/releases").targets.clear();
    repo.delegation("targets/releases").version += 1;
    repo.bump();
    repo.publish();
    assert_eq!(verify(&reusing, "v1").unwrap().0, hex(b"v1 again"), "the opted-in delay: no request made");
    assert_eq!(server.fetches(), asked);
    assert_eq!(verify(&fresh, "v1").unwrap_err().kind(), ErrorKind::NotSigned, "the default asks again");
}

/// The timestamp is asked for while the cached data is verified on the cached
/// timestamp: whatever the server answers, one request is made for it, and only the
/// server's answer decides.
#[test]
fn a_warm_update_asks_once_and_the_server_s_answer_decides() {
    let mut repo = repo();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::new(None);
    let client = server.client(&repo, dir.path(), ClientOptions::default());
    verify(&client, "v1").unwrap();
    let cached_files = snapshot_dir(dir.path());
    for _ in 0..3 {
        let asked = server.fetches();
        assert_eq!(verify(&client, "v1").unwrap().0, hex(b"v1 manifest"));
        assert_eq!(server.fetches(), asked + 1, "an unchanged repository: the timestamp request alone");
    }
    assert_eq!(snapshot_dir(dir.path()), cached_files, "an unchanged answer rewrites no cached file");

    // Re-signed elsewhere: the timestamp, the snapshot, targets (the builder signs
    // every file again, and ECDSA signatures differ each time) and the signer's role
    // are new: one request each, the timestamp's not made twice.
    repo.delegation("targets/releases").targets.insert("v1".into(), target_json(b"v1 re-signed"));
    repo.delegation("targets/releases").version += 1;
    repo.bump();
    repo.publish();
    let asked = server.fetches();
    assert_eq!(verify(&client, "v1").unwrap().0, hex(b"v1 re-signed"));
    assert_eq!(server.fetches(), asked + 4);

    // A new root: followed, although every cached file still verifies on its own.
    repo.rotate_root();
    repo.publish();
    assert_eq!(verify(&client, "v1").unwrap().0, hex(b"v1 re-signed"));
    let cached_root = std::fs::read(cached(dir.path(), &repo.gun, "root")).unwrap();
    assert_eq!(cached_root, std::fs::read(repo.tuf_dir().join("2.root.json")).unwrap());

    // The server down: the verified cache does not answer for it by default.
    server.down.store(true, Ordering::SeqCst);
    assert_eq!(verify(&client, "v1").unwrap_err().kind(), ErrorKind::Network);
}

#[test]
fn cached_data_answers_an_unreachable_server_only_when_opted_into() {
    let repo = repo();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::new(None);
    verify(&server.client(&repo, dir.path(), ClientOptions::default()), "v1").unwrap();
    let before = snapshot_dir(dir.path());
    server.down.store(true, Ordering::SeqCst);

    let err = verify(&server.client(&repo, dir.path(), ClientOptions::default()), "v1").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(err.to_string().contains("--offline-ok"), "says how to opt in: {err}");

    let offline = server.client(&repo, dir.path(), ClientOptions { offline_ok: true, ..Default::default() });
    let (digest, warnings) = verify(&offline, "v1").unwrap();
    assert_eq!(digest, hex(b"v1 manifest"));
    assert!(warnings.iter().any(|w| w.contains("could not reach the trust server")), "{warnings:?}");
    assert_eq!(snapshot_dir(dir.path()), before, "answering offline writes nothing");
}

#[test]
fn cached_data_from_another_server_only_guards_against_rollback() {
    let repo = repo();
    let dir = tempfile::tempdir().unwrap();
    let first = Server::new(Some(Duration::from_secs(300)));
    let reuse = ClientOptions { max_timestamp_age: Duration::from_secs(300), offline_ok: true, ..Default::default() };
    verify(&first.client(&repo, dir.path(), reuse.clone()), "v1").unwrap();

    // The same repository copied to another directory: another server URL.
    let copy = tempfile::tempdir().unwrap();
    copy_dir(repo.dir.path(), copy.path());
    let other_url = format!("file://{}", copy.path().display());
    let other = Server::new(Some(Duration::from_secs(300)));
    let client = |options: ClientOptions| {
        let remote = Switchable {
            inner: remote::open(&other_url, &RemoteOptions::default()).unwrap(),
            down: Arc::clone(&other.down),
            fetches: Arc::clone(&other.fetches),
            declared_max_age: other.declared_max_age,
        };
        Client::new(&repo.gun, Box::new(remote), dir.path(), ClientOptions { now: Some(now()), ..options }).unwrap()
    };
    other.down.store(true, Ordering::SeqCst);
    let err = verify(&client(reuse.clone()), "v1").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "a mistyped server fails closed: {err}");
    assert!(err.to_string().contains("came from"), "{err}");
    assert!(other.fetches() > 0, "the fresh timestamp of another server is not reused");

    other.down.store(false, Ordering::SeqCst);
    assert_eq!(verify(&client(reuse), "v1").unwrap().0, hex(b"v1 manifest"));
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
