//! The server side of the file remote ([`crate::remote::FileRemote`]): what
//! notary-server does on an upload, done in the directory itself, so a repository can
//! be published with no server.
//!
//! An update is taken under an exclusive lock on the repository's directory:
//! uploaded roles must be newer than the stored ones (else [`Error::Conflict`], as
//! notary's `VERSION` error), root may advance by one version, then the directory
//! signs a new snapshot (over root, targets and every delegation file present) and a
//! new timestamp with its own keys. Every file is written atomically, with a copy
//! named by its sha256 (and `<N>.root.json` for roots) so readers that started
//! before the update still find what their timestamp pins.
//!
//! `trust timestamp refresh` has the directory re-sign only its timestamp, over the
//! stored snapshot ([`FileStore::refresh_timestamp`]): no server re-signs it before
//! it expires.
//!
//! The snapshot and timestamp keys live in `<dir>/_server/<gun>/`, outside what a
//! static web server would publish, as encrypted key files (notary's format) under
//! the server passphrase.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::atomic_file::{self, Access};
use crate::keystore::{KeyEncryption, KeyFile, encode_private_key_with};
use crate::publish::upload::Upload;
use crate::publish::{TARGETS_LIFETIME_DAYS, default_timestamp_lifetime, sign};
use crate::remote::{FileRemote, Remote};
use crate::{Error, Result};
use trust_tuf::crypto::signer::{KeyAlgorithm, PrivateKey};
use trust_tuf::reference::check_gun;
use trust_tuf::wire::{Envelope, Expiry, FileMeta, PublicKey};

/// A file remote's directory, as a store that takes updates.
#[derive(Debug)]
pub struct FileStore<'a> {
    remote: &'a FileRemote,
}

impl<'a> FileStore<'a> {
    /// Uploads into the directory `remote` reads from.
    pub fn new(remote: &'a FileRemote) -> Self {
        FileStore { remote }
    }

    /// `<dir>/_server/<gun>/`, where the directory keeps its keys for `gun`.
    fn keys_dir(&self, gun: &str) -> Result<PathBuf> {
        check_gun(gun)?;
        let mut keys = self.remote.root().join("_server");
        keys.extend(gun.split('/'));
        Ok(keys)
    }

    /// Whether the directory already holds its snapshot key for `gun` (made by the
    /// first publish); reads only, creates nothing.
    pub fn has_server_keys(&self, gun: &str) -> Result<bool> {
        Ok(read_optional(&self.keys_dir(gun)?.join("snapshot.key"))?.is_some())
    }

    /// Whether `passphrase` decrypts the directory's snapshot key for `gun` (false
    /// when there is none); reads only.
    pub fn server_passphrase_opens(&self, gun: &str, passphrase: &str) -> Result<bool> {
        let Some(text) = read_optional(&self.keys_dir(gun)?.join("snapshot.key"))? else { return Ok(false) };
        Ok(KeyFile::parse(&text)?.decrypt(passphrase).is_ok())
    }

    /// The server-side view of `gun`, under the repository's update lock.
    fn server(&self, gun: &str) -> Result<(Repository<'_>, File)> {
        let keys = self.keys_dir(gun)?;
        let root = self.remote.root();
        std::fs::create_dir_all(&keys).map_err(|e| Error::io(&keys, e))?;
        let lock = atomic_file::lock(&keys.join("update.lock"))?;
        let mut tuf = root.join("v2");
        tuf.extend(gun.split('/'));
        tuf.push("_trust");
        tuf.push("tuf");
        Ok((Repository::new(tuf, keys, self.remote.server_passphrase(), self.remote.fips()), lock))
    }

    /// Re-signs the timestamp of `gun` over the stored snapshot, one version up, valid
    /// `lifetime` from now, under the repository's update lock. Returns the new
    /// version and expiry. A repository with no snapshot here is
    /// [`Error::RepositoryNotFound`].
    pub fn refresh_timestamp(&self, gun: &str, lifetime: chrono::Duration) -> Result<(u64, DateTime<Utc>)> {
        let (repo, _lock) = self.server(gun)?;
        let not_found = || Error::RepositoryNotFound { gun: gun.to_owned(), server: self.remote.url().to_owned() };
        let root = read_optional(&repo.file("root"))?.ok_or_else(not_found)?;
        let snapshot = read_optional(&repo.file("snapshot"))?.ok_or_else(not_found)?;
        repo.sign_timestamp(&signed("root", &root)?, &snapshot, lifetime)
    }
}

impl Upload for FileStore<'_> {
    fn publish(&self, gun: &str, files: &[(String, Vec<u8>)]) -> Result<()> {
        let (repo, _lock) = self.server(gun)?;
        repo.update(files)
    }

    fn server_key(&self, gun: &str, role: &str) -> Result<PublicKey> {
        if !matches!(role, "snapshot" | "timestamp") {
            return Err(Error::InvalidInput(format!(
                "the file remote manages only snapshot and timestamp keys, not {role}"
            )));
        }
        let (repo, _lock) = self.server(gun)?;
        repo.public_key(role)
    }

    fn rotate_server_key(&self, _gun: &str, role: &str) -> Result<PublicKey> {
        Err(Error::InvalidInput(format!(
            "the file remote {} signs {role} with its one key per repository and cannot rotate it",
            self.remote.url()
        )))
    }

    fn stores_root_history(&self) -> bool {
        true
    }

    fn store_root_history(&self, gun: &str, roots: &[Vec<u8>]) -> Result<()> {
        let (repo, _lock) = self.server(gun)?;
        repo.store_root_history(roots)
    }

    fn delete_repository(&self, gun: &str) -> Result<()> {
        let (repository, _lock) = self.server(gun)?;
        let trust = repository.tuf.parent().map(Path::to_path_buf).unwrap_or_default();
        remove_dir_if_present(&trust)?;
        // The directory's own keys go too, lock file and all (the lock is held open).
        remove_dir_if_present(&repository.keys)
    }

    fn url(&self) -> &str {
        self.remote.url()
    }
}

/// The server-side state of one repository in a file remote.
struct Repository<'a> {
    tuf: PathBuf,
    keys: PathBuf,
    passphrase: Option<&'a Zeroizing<String>>,
    fips: bool,
}

/// Removes `dir` and everything in it; a missing `dir` is no error.
fn remove_dir_if_present(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(dir, e)),
    }
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// The `signed` value of a stored or uploaded file.
fn signed(role: &str, bytes: &[u8]) -> Result<Value> {
    let envelope = Envelope::parse(bytes).map_err(|e| Error::malformed(role, e))?;
    serde_json::from_str(envelope.signed.get()).map_err(|e| Error::malformed(role, e))
}

fn version(value: &Value) -> u64 {
    value["version"].as_u64().unwrap_or(0)
}

impl<'a> Repository<'a> {
    fn new(tuf: PathBuf, keys: PathBuf, passphrase: Option<&'a Zeroizing<String>>, fips: bool) -> Self {
        Repository { tuf, keys, passphrase, fips }
    }

    fn file(&self, role: &str) -> PathBuf {
        let mut path = self.tuf.clone();
        path.extend(format!("{role}.json").split('/'));
        path
    }

    fn passphrase(&self) -> Result<&Zeroizing<String>> {
        self.passphrase.ok_or_else(|| {
            Error::Key(
                "the file remote signs snapshot and timestamp with its own keys, which need a passphrase: \
                 set TRUST_SERVER_PASSPHRASE (or DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE)"
                    .into(),
            )
        })
    }

    /// The key of `role` (`snapshot` or `timestamp`), created on first use: Ed25519, as
    /// notary-server's local signer makes them, or in FIPS mode ECDSA P-256 in a key
    /// file with SP 800-132 parameters.
    fn key(&self, role: &str) -> Result<PrivateKey> {
        let path = self.keys.join(format!("{role}.key"));
        if let Some(text) = read_optional(&path)? {
            return KeyFile::parse(&text)?.decrypt(self.passphrase()?);
        }
        let (algorithm, encryption) = if self.fips {
            (KeyAlgorithm::EcdsaP256, KeyEncryption::Fips)
        } else {
            (KeyAlgorithm::Ed25519, KeyEncryption::Notary)
        };
        let key = PrivateKey::generate(algorithm)?;
        let text = encode_private_key_with(&key, role, None, self.passphrase()?, encryption)?;
        atomic_file::write(&path, text.as_bytes(), Access::Private, true)?;
        Ok(key)
    }

    /// Stores an update and signs a new snapshot and timestamp.
    fn update(&self, files: &[(String, Vec<u8>)]) -> Result<()> {
        let uploaded: BTreeMap<&str, &Vec<u8>> = files.iter().map(|(r, b)| (r.as_str(), b)).collect();
        let stored_root = read_optional(&self.file("root"))?;
        let root_bytes = match (uploaded.get("root"), &stored_root) {
            (Some(bytes), _) => (*bytes).clone(),
            (None, Some(bytes)) => bytes.clone(),
            (None, None) => {
                return Err(Error::InvalidInput("no pre-existing root and no root provided in update".into()));
            }
        };
        let root = signed("root", &root_bytes)?;
        for (role, bytes) in &uploaded {
            if !trust_tuf::wire::is_valid_role_name(role) || matches!(*role, "snapshot" | "timestamp") {
                return Err(Error::InvalidInput(format!("the file remote does not take uploads of role {role:?}")));
            }
            let new_version = version(&signed(role, bytes)?);
            if let Some(old) = read_optional(&self.file(role))? {
                let old_version = version(&signed(role, &old)?);
                let ok = if *role == "root" {
                    new_version == old_version || new_version == old_version + 1
                } else {
                    new_version > old_version
                };
                if !ok {
                    return Err(Error::Conflict(format!(
                        "{role}: version {new_version} is not newer than the stored version {old_version}"
                    )));
                }
            }
        }
        for (role, bytes) in &uploaded {
            self.store(role, bytes)?;
            if *role == "root" {
                atomic_file::write(
                    &self.tuf.join(format!("{}.root.json", version(&root))),
                    bytes,
                    Access::Shared,
                    true,
                )?;
            }
        }
        self.sign_snapshot_and_timestamp(&root)
    }

    /// Stores earlier root versions (`<N>.root.json` and the by-hash copy) of a
    /// repository that has no root here yet; the next update publishes the current one.
    fn store_root_history(&self, roots: &[Vec<u8>]) -> Result<()> {
        if read_optional(&self.file("root"))?.is_some() {
            return Err(Error::InvalidInput(
                "the file remote already holds this repository; earlier root versions go only into an empty one".into(),
            ));
        }
        let mut previous = None;
        for bytes in roots {
            let v = version(&signed("root", bytes)?);
            if previous.is_some_and(|p| v != p + 1) {
                return Err(Error::InvalidInput(format!(
                    "root versions must follow one another: version {v} after {}",
                    previous.unwrap_or_default()
                )));
            }
            previous = Some(v);
        }
        for bytes in roots {
            let hash = FileMeta::for_bytes(bytes).sha256_hex().unwrap_or_default();
            atomic_file::write(&self.tuf.join(format!("root.{hash}.json")), bytes, Access::Shared, true)?;
            let v = version(&signed("root", bytes)?);
            atomic_file::write(&self.tuf.join(format!("{v}.root.json")), bytes, Access::Shared, true)?;
        }
        Ok(())
    }

    fn store(&self, role: &str, bytes: &[u8]) -> Result<()> {
        let hash = FileMeta::for_bytes(bytes).sha256_hex().unwrap_or_default();
        let mut by_hash = self.tuf.clone();
        by_hash.extend(format!("{role}.{hash}.json").split('/'));
        atomic_file::write(&by_hash, bytes, Access::Shared, true)?;
        atomic_file::write(&self.file(role), bytes, Access::Shared, true)
    }

    /// Signs snapshot (over every role file present) and timestamp, checking the keys
    /// are the ones the root names.
    fn sign_snapshot_and_timestamp(&self, root: &Value) -> Result<()> {
        let now = Utc::now();
        let mut meta = serde_json::Map::new();
        for role in self.roles_present()? {
            if let Some(bytes) = read_optional(&self.file(&role))? {
                meta.insert(
                    role,
                    serde_json::to_value(FileMeta::for_bytes(&bytes)).map_err(|e| Error::malformed("snapshot", e))?,
                );
            }
        }
        let old_snapshot = read_optional(&self.file("snapshot"))?.map(|b| signed("snapshot", &b)).transpose()?;
        let snapshot = json!({
            "_type": "Snapshot",
            "expires": Expiry::from_time(now + chrono::Duration::days(TARGETS_LIFETIME_DAYS)).as_str(),
            "meta": meta,
            "version": old_snapshot.as_ref().map_or(0, version) + 1,
        });
        let snapshot_bytes = sign("snapshot", &snapshot, &[self.role_key(root, "snapshot")?])?;
        self.store("snapshot", &snapshot_bytes)?;
        self.sign_timestamp(root, &snapshot_bytes, default_timestamp_lifetime()).map(drop)
    }

    /// Signs and stores a timestamp over `snapshot_bytes`, one version above the stored
    /// one, valid `lifetime` from now; returns its version and expiry.
    fn sign_timestamp(
        &self,
        root: &Value,
        snapshot_bytes: &[u8],
        lifetime: chrono::Duration,
    ) -> Result<(u64, DateTime<Utc>)> {
        let old_timestamp = read_optional(&self.file("timestamp"))?.map(|b| signed("timestamp", &b)).transpose()?;
        let expires = Expiry::from_time(Utc::now() + lifetime);
        let next = old_timestamp.as_ref().map_or(0, version) + 1;
        let timestamp = json!({
            "_type": "Timestamp",
            "expires": expires.as_str(),
            "meta": {"snapshot": serde_json::to_value(FileMeta::for_bytes(snapshot_bytes)).map_err(|e| Error::malformed("timestamp", e))?},
            "version": next,
        });
        let timestamp_bytes = sign("timestamp", &timestamp, &[self.role_key(root, "timestamp")?])?;
        self.store("timestamp", &timestamp_bytes)?;
        Ok((next, expires.at()))
    }

    /// The directory's key for `role`, with the key ID the root lists for it.
    fn role_key(&self, root: &Value, role: &str) -> Result<(String, PrivateKey)> {
        let key = self.key(role)?;
        let id = key.public_key().tuf_id();
        let listed = root["roles"][role]["keyids"].as_array().is_some_and(|ids| ids.iter().any(|i| i == &json!(id)));
        if !listed {
            return Err(Error::InvalidInput(format!(
                "the root does not list this directory's {role} key; initialise the repository against this file remote"
            )));
        }
        Ok((id, key))
    }

    /// `root`, `targets` and every delegation file in the directory.
    fn roles_present(&self) -> Result<Vec<String>> {
        let mut roles = vec!["root".to_owned(), "targets".to_owned()];
        let mut stack = vec![(self.tuf.join("targets"), "targets".to_owned())];
        while let Some((dir, prefix)) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                let path = entry.path();
                let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else { continue };
                if path.is_dir() {
                    stack.push((path, format!("{prefix}/{name}")));
                } else if let Some(stem) = name.strip_suffix(".json").filter(|s| !s.contains('.')) {
                    roles.push(format!("{prefix}/{stem}"));
                }
            }
        }
        roles.sort();
        Ok(roles)
    }

    /// The public key of `role`.
    fn public_key(&self, role: &str) -> Result<PublicKey> {
        Ok(self.key(role)?.public_key())
    }
}
