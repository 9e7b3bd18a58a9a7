//! A Notary-format repository built in tests: real keys, real signatures, served
//! from a directory in the file remote's layout, with hooks to tamper with it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use trust_core::client::{Client, ClientOptions};
use trust_core::crypto::signer::{KeyAlgorithm, PrivateKey};
use trust_core::crypto::x509::make_root_certificate;
use trust_core::publish::KeySource;
use trust_core::remote::{self, RemoteOptions};
use trust_core::wire::{FileMeta, PublicKey, Signature, write_envelope};

pub use crate::snapshot::snapshot_dir;

/// Standard base64 of `bytes`.
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The tests' fixed time, 2026-11-23T12:00:00Z.
pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z").unwrap().with_timezone(&Utc)
}

/// An `expires` value `from_now` after [`now`].
pub fn expiry(from_now: Duration) -> String {
    expiry_at(now(), from_now)
}

fn expiry_at(at: DateTime<Utc>, from_now: Duration) -> String {
    (at + from_now).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A signing key with the ID metadata uses for it.
pub struct Key {
    /// The private key.
    pub private: PrivateKey,
    /// The public key as metadata lists it.
    pub public: PublicKey,
}

impl Key {
    /// A new ECDSA P-256 key.
    pub fn ecdsa() -> Self {
        let private = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let public = private.public_key();
        Key { private, public }
    }

    /// A new Ed25519 key.
    pub fn ed25519() -> Self {
        let private = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
        let public = private.public_key();
        Key { private, public }
    }

    /// A root key: an ECDSA key published as a self-signed certificate for `cn`.
    pub fn root(cn: &str, not_before: DateTime<Utc>, not_after: DateTime<Utc>) -> Self {
        let private = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let public = make_root_certificate(&private, cn, not_before, not_after).unwrap();
        Key { private, public }
    }

    /// The key ID metadata uses for it.
    pub fn id(&self) -> String {
        self.public.tuf_id()
    }

    /// The public key as JSON.
    pub fn json(&self) -> Value {
        serde_json::to_value(&self.public).unwrap()
    }

    /// A signature of `msg` by this key.
    pub fn sign(&self, msg: &[u8]) -> Signature {
        let (method, sig) = self.private.sign(msg).unwrap();
        Signature { keyid: self.id(), method: method.into(), sig }
    }
}

/// Signs `signed` (canonical form) with `keys` into a Notary envelope.
pub fn sign(signed: &Value, keys: &[&Key]) -> Vec<u8> {
    let canonical = trust_core::canonical::to_vec(signed).unwrap();
    let sigs: Vec<Signature> = keys.iter().map(|k| k.sign(&canonical)).collect();
    write_envelope(&canonical, &sigs)
}

fn meta_json(bytes: &[u8]) -> Value {
    serde_json::to_value(FileMeta::for_bytes(bytes)).unwrap()
}

/// A target as docker signs it: the tag → sha256 and length of a manifest.
pub fn target_json(manifest: &[u8]) -> Value {
    let digest = trust_core::crypto::backend::digest::digest(&trust_core::crypto::backend::digest::SHA256, manifest);
    json!({"hashes": {"sha256": b64(digest.as_ref())}, "length": manifest.len()})
}

/// A delegated targets role of a [`Repo`].
pub struct Delegation {
    /// The role name (`targets/releases`).
    pub name: String,
    /// Its keys.
    pub keys: Vec<Key>,
    /// Its signature threshold.
    pub threshold: u64,
    /// The path patterns it is trusted for.
    pub paths: Vec<String>,
    /// Its targets, by name.
    pub targets: BTreeMap<String, Value>,
    /// Its version.
    pub version: u64,
    /// Its `expires`.
    pub expires: String,
    /// Roles it delegates to.
    pub children: Vec<String>,
}

/// A repository and how to build its files.
pub struct Repo {
    /// The repository (GUN).
    pub gun: String,
    /// The root keys.
    pub root_keys: Vec<Key>,
    /// The root threshold.
    pub root_threshold: u64,
    /// The targets keys.
    pub targets_keys: Vec<Key>,
    /// The targets threshold.
    pub targets_threshold: u64,
    /// The snapshot key.
    pub snapshot_key: Key,
    /// The timestamp key.
    pub timestamp_key: Key,
    /// The root version.
    pub root_version: u64,
    /// The targets version.
    pub targets_version: u64,
    /// The snapshot version.
    pub snapshot_version: u64,
    /// The timestamp version.
    pub timestamp_version: u64,
    /// The root's `expires`.
    pub root_expires: String,
    /// The targets' `expires`.
    pub targets_expires: String,
    /// The snapshot's `expires`.
    pub snapshot_expires: String,
    /// The timestamp's `expires`.
    pub timestamp_expires: String,
    /// The top-level targets, by name.
    pub targets: BTreeMap<String, Value>,
    /// The delegated roles.
    pub delegations: Vec<Delegation>,
    /// Bytes served for a role instead of what would be built.
    pub overrides: BTreeMap<String, Vec<u8>>,
    /// Extra keys that also sign the next root (the previous root keys, on rotation).
    pub previous_root_keys: Vec<Key>,
    /// Every root version published so far (index 0 = version 1).
    pub root_history: Vec<Vec<u8>>,
    /// Where the files are served from.
    pub dir: tempfile::TempDir,
}

impl Repo {
    /// A repository valid at the tests' fixed time, [`now`].
    pub fn new(gun: &str) -> Self {
        Repo::at(gun, now())
    }

    /// A repository valid now, by the clock (for tests of the CLI, which verifies
    /// against the clock).
    pub fn live(gun: &str) -> Self {
        Repo::at(gun, Utc::now())
    }

    fn at(gun: &str, now: DateTime<Utc>) -> Self {
        Repo {
            gun: gun.into(),
            root_keys: vec![Key::root(gun, now - Duration::days(1), now + Duration::days(3650))],
            root_threshold: 1,
            targets_keys: vec![Key::ecdsa()],
            targets_threshold: 1,
            snapshot_key: Key::ed25519(),
            timestamp_key: Key::ed25519(),
            root_version: 1,
            targets_version: 1,
            snapshot_version: 1,
            timestamp_version: 1,
            root_expires: expiry_at(now, Duration::days(3650)),
            targets_expires: expiry_at(now, Duration::days(1095)),
            snapshot_expires: expiry_at(now, Duration::days(1095)),
            timestamp_expires: expiry_at(now, Duration::days(14)),
            targets: BTreeMap::new(),
            delegations: vec![],
            overrides: BTreeMap::new(),
            previous_root_keys: vec![],
            root_history: vec![],
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The file remote's URL, `file://<dir>`.
    pub fn url(&self) -> String {
        format!("file://{}", self.dir.path().display())
    }

    /// Where the role files are written.
    pub fn tuf_dir(&self) -> PathBuf {
        self.dir.path().join("v2").join(&self.gun).join("_trust/tuf")
    }

    /// Adds a docker-style signer: `targets/<name>` (and the same key on `targets/releases`).
    pub fn add_delegation(&mut self, name: &str, paths: &[&str]) -> &mut Delegation {
        self.delegations.push(Delegation {
            name: name.into(),
            keys: vec![Key::ecdsa()],
            threshold: 1,
            paths: paths.iter().map(|p| p.to_string()).collect(),
            targets: BTreeMap::new(),
            version: 1,
            expires: expiry(Duration::days(1095)),
            children: vec![],
        });
        self.delegations.last_mut().unwrap()
    }

    /// The delegation `name` (which must exist).
    pub fn delegation(&mut self, name: &str) -> &mut Delegation {
        self.delegations.iter_mut().find(|d| d.name == name).unwrap()
    }

    /// The signed part of the root.
    pub fn root_value(&self) -> Value {
        let mut keys = serde_json::Map::new();
        for k in self.root_keys.iter().chain(&self.previous_root_keys).chain(&self.targets_keys) {
            keys.insert(k.id(), k.json());
        }
        keys.insert(self.snapshot_key.id(), self.snapshot_key.json());
        keys.insert(self.timestamp_key.id(), self.timestamp_key.json());
        let ids = |ks: &[Key]| ks.iter().map(Key::id).collect::<Vec<_>>();
        json!({
            "_type": "Root", "consistent_snapshot": false, "expires": self.root_expires, "keys": keys,
            "roles": {
                "root": {"keyids": ids(&self.root_keys), "threshold": self.root_threshold},
                "targets": {"keyids": ids(&self.targets_keys), "threshold": self.targets_threshold},
                "snapshot": {"keyids": [self.snapshot_key.id()], "threshold": 1},
                "timestamp": {"keyids": [self.timestamp_key.id()], "threshold": 1},
            },
            "version": self.root_version,
        })
    }

    fn delegations_json(&self, parent: &str) -> Value {
        let mut keys = serde_json::Map::new();
        let mut roles = vec![];
        for d in self.delegations.iter().filter(|d| trust_core::wire::parent_role(&d.name) == Some(parent)) {
            for k in &d.keys {
                keys.insert(k.id(), k.json());
            }
            roles.push(json!({"keyids": d.keys.iter().map(Key::id).collect::<Vec<_>>(), "name": d.name, "paths": d.paths, "threshold": d.threshold}));
        }
        json!({"keys": keys, "roles": roles})
    }

    /// Builds every file: delegations, targets, root, snapshot, timestamp.
    pub fn build(&self) -> BTreeMap<String, Vec<u8>> {
        let mut files = BTreeMap::new();
        let put = |files: &mut BTreeMap<String, Vec<u8>>, role: &str, bytes: Vec<u8>| {
            let bytes = self.overrides.get(role).cloned().unwrap_or(bytes);
            files.insert(role.to_owned(), bytes);
        };
        for d in &self.delegations {
            let signed = json!({"_type": "Targets", "delegations": self.delegations_json(&d.name), "expires": d.expires, "targets": d.targets, "version": d.version});
            put(&mut files, &d.name, sign(&signed, &d.keys.iter().collect::<Vec<_>>()));
        }
        let signed = json!({"_type": "Targets", "delegations": self.delegations_json("targets"), "expires": self.targets_expires, "targets": self.targets, "version": self.targets_version});
        put(&mut files, "targets", sign(&signed, &self.targets_keys.iter().collect::<Vec<_>>()));
        // A root version, once published, keeps its bytes (ECDSA signatures differ each time).
        let root = match self.root_history.get(self.root_version as usize - 1) {
            Some(published) => published.clone(),
            None => {
                let signers: Vec<&Key> = self.root_keys.iter().chain(&self.previous_root_keys).collect();
                sign(&self.root_value(), &signers)
            }
        };
        put(&mut files, "root", root);
        let mut meta = serde_json::Map::new();
        for (role, bytes) in &files {
            meta.insert(role.clone(), meta_json(bytes));
        }
        let signed = json!({"_type": "Snapshot", "expires": self.snapshot_expires, "meta": meta, "version": self.snapshot_version});
        put(&mut files, "snapshot", sign(&signed, &[&self.snapshot_key]));
        let signed = json!({"_type": "Timestamp", "expires": self.timestamp_expires, "meta": {"snapshot": meta_json(&files["snapshot"])}, "version": self.timestamp_version});
        put(&mut files, "timestamp", sign(&signed, &[&self.timestamp_key]));
        files
    }

    /// Writes the files where the file remote serves them, with every root version
    /// as `<N>.root.json`.
    pub fn publish(&mut self) -> BTreeMap<String, Vec<u8>> {
        let files = self.build();
        let dir = self.tuf_dir();
        if dir.exists() {
            std::fs::remove_dir_all(&dir).unwrap();
        }
        for (role, bytes) in &files {
            write(&dir.join(format!("{role}.json")), bytes);
        }
        let root = &files["root"];
        if self.root_history.last() != Some(root) && !self.overrides.contains_key("root") {
            if self.root_history.len() < self.root_version as usize {
                self.root_history.push(root.clone());
            } else {
                *self.root_history.last_mut().unwrap() = root.clone();
            }
        }
        for (i, bytes) in self.root_history.iter().enumerate() {
            write(&dir.join(format!("{}.root.json", i + 1)), bytes);
        }
        files
    }

    /// Bumps snapshot and timestamp versions (a new server-side publish).
    pub fn bump(&mut self) {
        self.snapshot_version += 1;
        self.timestamp_version += 1;
    }

    /// Rotates the root key: version+1, signed by the old and the new key.
    pub fn rotate_root(&mut self) {
        let new = Key::root(&self.gun, now() - Duration::days(1), now() + Duration::days(3650));
        let old = std::mem::replace(&mut self.root_keys, vec![new]);
        self.previous_root_keys = old;
        self.root_version += 1;
        self.bump();
    }

    /// A client of this repository at [`now`].
    pub fn client(&self, trust_dir: &Path) -> Client {
        self.client_with(trust_dir, ClientOptions { now: Some(now()), ..ClientOptions::default() })
    }

    /// A client of this repository with `options`.
    pub fn client_with(&self, trust_dir: &Path, options: ClientOptions) -> Client {
        let remote = remote::open(&self.url(), &RemoteOptions::default()).unwrap();
        Client::new(&self.gun, remote, trust_dir, options).unwrap()
    }
}

/// Signing keys held in memory, by canonical ID (a [`KeySource`] for tests).
#[derive(Default)]
pub struct MemoryKeys {
    keys: std::sync::Mutex<std::collections::HashMap<String, PrivateKey>>,
}

impl MemoryKeys {
    /// Holds `key`; returns its canonical ID.
    pub fn add(&self, key: &PrivateKey) -> String {
        let id = trust_core::crypto::keyid::canonical_key_id(&key.public_key()).unwrap();
        self.keys.lock().unwrap().insert(id.clone(), key.try_clone().unwrap());
        id
    }

    /// A new ECDSA key, held.
    pub fn generate(&self) -> PrivateKey {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        self.add(&key);
        key
    }
}

impl KeySource for MemoryKeys {
    fn held_key_ids(&self) -> trust_core::Result<Vec<String>> {
        Ok(self.keys.lock().unwrap().keys().cloned().collect())
    }
    fn private_key(&self, id: &str, _role: &str) -> trust_core::Result<PrivateKey> {
        let keys = self.keys.lock().unwrap();
        Ok(keys.get(id).ok_or_else(|| trust_core::Error::Key(format!("no key {id}")))?.try_clone()?)
    }
    fn root_key(&self) -> trust_core::Result<PrivateKey> {
        Ok(self.generate())
    }
    fn targets_key(&self, _gun: &str) -> trust_core::Result<PrivateKey> {
        Ok(self.generate())
    }
}

/// Writes `bytes` to `path`, creating its directory.
pub fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}
