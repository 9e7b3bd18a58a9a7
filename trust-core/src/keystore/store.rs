//! The private key directory, `<trust dir>/private/`, laid out as notary and docker lay
//! it out: one `<canonical key ID>.key` per key (mode 0600, directory 0700), role and
//! GUN in the PEM headers. Notary's older layouts, `private/root_keys/` and
//! `private/tuf_keys/<gun>/` (with `<id>_<role>.key` names before notary 0.4), are
//! read too, never written.

use std::fs;
use std::path::{Component, Path, PathBuf};

use super::encryption::KeyEncryption;
use super::inspect::KeyProtection;
use super::keyfile::{KeyFile, encode_private_key_with};
use super::passphrase::PassphraseSource;
use super::pkcs11::{Pkcs11Uri, TokenRecord};
use crate::atomic_file::Access;
use crate::{Error, Result};
use trust_tuf::crypto::keyid::canonical_key_id;
use trust_tuf::crypto::signer::PrivateKey;
use trust_tuf::wire::PublicKey;

/// Key files larger than this are not key files.
const MAX_KEY_FILE: u64 = 1 << 20;
/// How deep `private/` is searched (legacy GUNs have a few path components).
const MAX_DEPTH: usize = 16;

/// A key file found in the store. Finding one decrypts nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// The canonical key ID (the file name without `.key`).
    pub id: String,
    /// The role from the PEM `role` header (`root`, `targets`, `snapshot`, or a signer
    /// or delegation name); empty if the file names none.
    pub role: String,
    /// The GUN from the PEM `gun` header (notary writes one only for `targets` and
    /// `snapshot` keys) or from a legacy `tuf_keys/<gun>/` path.
    pub gun: Option<String>,
    /// The file.
    pub path: PathBuf,
    /// True for notary's pre-0.4 layouts (`root_keys/`, `tuf_keys/`).
    pub legacy: bool,
}

/// The private keys under `<trust dir>/private/`.
#[derive(Debug, Clone)]
pub struct KeyStore {
    private_dir: PathBuf,
    encryption: KeyEncryption,
}

/// A passphrase source that keeps the passphrase that worked.
struct CapturePassphrase<'a> {
    inner: &'a dyn PassphraseSource,
    worked: std::cell::RefCell<Option<zeroize::Zeroizing<String>>>,
}

impl PassphraseSource for CapturePassphrase<'_> {
    fn get(&self, alias: &str, key_id: &str, create_new: bool, attempt: u32) -> Result<zeroize::Zeroizing<String>> {
        self.inner.get(alias, key_id, create_new, attempt)
    }

    fn remember(&self, alias: &str, key_id: &str, passphrase: &str) {
        *self.worked.borrow_mut() = Some(zeroize::Zeroizing::new(passphrase.to_owned()));
        self.inner.remember(alias, key_id, passphrase);
    }
}

/// Roles whose keys belong to one repository: the only ones that keep a `gun` header
/// (notary clears it for root, delegations and signer names).
fn keeps_gun(role: &str) -> bool {
    matches!(role, "targets" | "snapshot" | "timestamp")
}

impl KeyStore {
    /// The store of `trust_dir` (`$DOCKER_CONFIG/trust`, `~/.notary`, ...). Nothing is
    /// created until a key is added.
    pub fn open(trust_dir: &Path) -> Result<KeyStore> {
        if trust_dir.as_os_str().is_empty() {
            return Err(Error::InvalidInput("the trust directory is empty".into()));
        }
        Ok(KeyStore { private_dir: trust_dir.join("private"), encryption: KeyEncryption::Notary })
    }

    /// The same store, writing new key files with `encryption` (FIPS mode:
    /// [`KeyEncryption::Fips`]).
    pub fn with_encryption(mut self, encryption: KeyEncryption) -> KeyStore {
        self.encryption = encryption;
        self
    }

    /// `<trust dir>/private`.
    pub fn private_dir(&self) -> &Path {
        &self.private_dir
    }

    /// Every key file in the store, sorted by ID. Files that are not private keys are
    /// skipped, as notary skips them. A key in both the current and a legacy layout is
    /// listed once, from the current layout.
    pub fn list(&self) -> Result<Vec<StoredKey>> {
        let mut found = Vec::new();
        match fs::metadata(&self.private_dir) {
            Ok(m) if m.is_dir() => self.walk(&self.private_dir, 0, &mut found)?,
            Ok(_) => return Err(Error::InvalidInput(format!("{} is not a directory", self.private_dir.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&self.private_dir, e)),
        }
        found.sort_by(|a: &StoredKey, b| (&a.id, a.legacy, &a.path).cmp(&(&b.id, b.legacy, &b.path)));
        found.dedup_by(|later, first| later.id == first.id);
        Ok(found)
    }

    /// `.key` files in the store that cannot be read as keys (damaged, truncated,
    /// or not keys at all): [`KeyStore::list`] skips them, so a command that found no
    /// usable key can name them.
    pub fn unreadable(&self) -> Result<Vec<std::path::PathBuf>> {
        let listed: std::collections::HashSet<std::path::PathBuf> = self.list()?.into_iter().map(|k| k.path).collect();
        let mut out = Vec::new();
        let mut stack = vec![self.private_dir.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = fs::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "key") && !listed.contains(&path) {
                    out.push(path);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    fn walk(&self, dir: &Path, depth: usize, found: &mut Vec<StoredKey>) -> Result<()> {
        let entries = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            let path = entry.path();
            let Ok(meta) = fs::metadata(&path) else { continue };
            if meta.is_dir() {
                if depth < MAX_DEPTH {
                    self.walk(&path, depth + 1, found)?;
                }
            } else if meta.is_file()
                && path.extension().is_some_and(|e| e == "key")
                && meta.len() <= MAX_KEY_FILE
                && let Some(key) = self.describe(&path)
            {
                found.push(key);
            }
        }
        Ok(())
    }

    /// What `path` holds, from its name, place and PEM headers.
    fn describe(&self, path: &Path) -> Option<StoredKey> {
        let bytes = zeroize::Zeroizing::new(fs::read(path).ok()?);
        let file = KeyFile::parse(&bytes).ok()?;
        let stem = path.file_stem()?.to_str()?;
        let relative = path.strip_prefix(&self.private_dir).ok()?;
        let parts: Vec<&str> = relative
            .parent()
            .map(|p| {
                p.components().filter_map(|c| if let Component::Normal(s) = c { s.to_str() } else { None }).collect()
            })
            .unwrap_or_default();
        let legacy = matches!(parts.first(), Some(&"root_keys") | Some(&"tuf_keys"));
        // notary 0.1-0.3 named files `<id>_<role>.key`.
        let (id, name_role) = match stem.split_once('_') {
            Some((id, role)) if legacy => (id, Some(role)),
            _ => (stem, None),
        };
        let role = file.role().or(name_role).unwrap_or(if parts.first() == Some(&"root_keys") { "root" } else { "" });
        let gun = file.gun().map(str::to_owned).or_else(|| match parts.split_first() {
            Some((&"tuf_keys", gun)) if !gun.is_empty() => Some(gun.join("/")),
            _ => None,
        });
        Some(StoredKey { id: id.to_owned(), role: role.to_owned(), gun, path: path.to_owned(), legacy })
    }

    /// The keys whose role is `role`.
    pub fn find(&self, role: &str) -> Result<Vec<StoredKey>> {
        Ok(self.list()?.into_iter().filter(|k| k.role == role).collect())
    }

    /// The stored key `id` (a full ID, or a prefix that names one key).
    pub fn lookup(&self, id: &str) -> Result<StoredKey> {
        if id.is_empty() {
            return Err(Error::InvalidInput("no key ID given".into()));
        }
        match one_by_prefix(self.list()?, id, |k| &k.id) {
            Ok(key) => Ok(key),
            Err(0) => match self.tokens()?.into_iter().find(|r| r.id.starts_with(id)) {
                Some(record) => Err(Error::Key(format!(
                    "key {} is on the PKCS#11 token {}, not in a file: its private key never leaves the token, so \
                     it cannot be exported, re-encrypted or migrated (`trust key remove` takes its record away)",
                    record.id, record.uri
                ))),
                None => Err(Error::Key(format!("no private key {id} in {}", self.private_dir.display()))),
            },
            Err(n) => Err(Error::Key(format!(
                "{n} private keys in {} start with {id}; give more of the ID",
                self.private_dir.display()
            ))),
        }
    }

    /// The private key `id` (see [`lookup`](Self::lookup)), decrypted with passphrases
    /// from `source` (alias = the file's role). A key whose public key does not have
    /// the ID its file is named by is refused.
    pub fn get(&self, id: &str, source: &dyn PassphraseSource) -> Result<(PrivateKey, StoredKey)> {
        let stored = match self.lookup(id) {
            Ok(stored) => stored,
            Err(not_found) => {
                // A damaged file is not listed; say what is wrong with it rather than
                // that there is no key.
                let path = self.private_dir.join(format!("{id}.key"));
                if id.chars().all(|c| c.is_ascii_hexdigit()) && path.is_file() {
                    KeyFile::parse(&read_key_file(&path)?).map_err(|e| in_file(&path, e))?;
                }
                return Err(not_found);
            }
        };
        let bytes = read_key_file(&stored.path)?;
        let file = KeyFile::parse(&bytes).map_err(|e| in_file(&stored.path, e))?;
        let key = file.unlock(&stored.role, &stored.id, source).map_err(|e| in_file(&stored.path, e))?;
        let actual = canonical_key_id(&key.public_key())?;
        if actual != stored.id && !stored.legacy {
            return Err(Error::Key(format!(
                "{}: the file holds key {actual}, not {}; the key store is damaged",
                stored.path.display(),
                stored.id
            )));
        }
        log::debug!("key {} ({}) loaded from {}", stored.id, stored.role, stored.path.display());
        Ok((key, stored))
    }

    /// The public key of `id` (this decrypts the key: notary keeps no public key
    /// beside it).
    pub fn public_key(&self, id: &str, source: &dyn PassphraseSource) -> Result<PublicKey> {
        Ok(self.get(id, source)?.0.public_key())
    }

    /// Stores `key` for `role` as `private/<canonical id>.key`, encrypted with the
    /// passphrase `source` gives for a new key (alias = `role`), and returns the ID.
    /// The `gun` header is written only for `targets`, `snapshot` and `timestamp` keys,
    /// as notary does. The file is written atomically with mode 0600 in a 0700
    /// directory; an existing file for the same key is replaced.
    pub fn add(
        &self,
        key: &PrivateKey,
        role: &str,
        gun: Option<&str>,
        source: &dyn PassphraseSource,
    ) -> Result<String> {
        if role.is_empty() {
            return Err(Error::InvalidInput("a key needs a role".into()));
        }
        let id = canonical_key_id(&key.public_key())?;
        let gun = gun.filter(|_| keeps_gun(role));
        let passphrase = source.get(role, &id, true, 0)?;
        let text = encode_private_key_with(key, role, gun, &passphrase, self.encryption)?;
        let path = self.private_dir.join(format!("{id}.key"));
        crate::atomic_file::write(&path, text.as_bytes(), Access::Private, true)?;
        source.remember(role, &id, &passphrase);
        log::debug!("new key {id} ({role}) written to {}", path.display());
        Ok(id)
    }

    /// Rewrites the key file of `id` with SP 800-132 parameters
    /// ([`KeyEncryption::Fips`]), keeping its passphrase (an unencrypted key gets a new
    /// one from `source`), role and GUN. The file is replaced atomically (mode 0600).
    /// Returns the protection before, or None when the file already met the
    /// parameters and was left alone. docker and notary cannot read migrated files.
    pub fn migrate(&self, id: &str, source: &dyn PassphraseSource) -> Result<Option<KeyProtection>> {
        let stored = self.lookup(id)?;
        let bytes = read_key_file(&stored.path)?;
        let file = KeyFile::parse(&bytes).map_err(|e| in_file(&stored.path, e))?;
        let before = file.protection();
        if before.meets_sp800_132() {
            return Ok(None);
        }
        let capture = CapturePassphrase { inner: source, worked: std::cell::RefCell::new(None) };
        let key = file.unlock(&stored.role, &stored.id, &capture).map_err(|e| in_file(&stored.path, e))?;
        let passphrase = match capture.worked.into_inner() {
            Some(p) => p,
            None => source.get(&stored.role, &stored.id, true, 0)?,
        };
        let text = encode_private_key_with(&key, &stored.role, file.gun(), &passphrase, KeyEncryption::Fips)?;
        crate::atomic_file::write(&stored.path, text.as_bytes(), Access::Private, true)?;
        Ok(Some(before))
    }

    /// The trust directory this store is in (the parent of `private/`).
    pub fn trust_dir(&self) -> &Path {
        self.private_dir.parent().unwrap_or(Path::new("."))
    }

    /// The keys on PKCS#11 tokens that this trust directory records, sorted by ID.
    pub fn tokens(&self) -> Result<Vec<TokenRecord>> {
        TokenRecord::list(self.trust_dir())
    }

    /// Records that `key`, held on the token at `uri`, is the key of `role` (no key
    /// material and no PIN is written: `pkcs11/<id>.json`, atomically, mode 0600).
    /// Returns the key's canonical ID.
    pub fn add_token(&self, key: &PrivateKey, uri: &Pkcs11Uri, role: &str) -> Result<String> {
        if role.is_empty() {
            return Err(Error::InvalidInput("a key needs a role".into()));
        }
        let public = key.public_key();
        let id = canonical_key_id(&public)?;
        TokenRecord::new(&id, role, uri, &public).write(self.trust_dir())?;
        log::debug!("token key {id} ({role}) recorded at {uri}");
        Ok(id)
    }

    /// The token key `id` (a full ID), opened on its token with the PIN from `source`,
    /// or None when no token key has that ID. A token whose key is not the recorded one
    /// is refused.
    pub fn get_token(&self, id: &str, source: &dyn PassphraseSource) -> Result<Option<(PrivateKey, TokenRecord)>> {
        let Some(record) = TokenRecord::load(self.trust_dir(), id)? else { return Ok(None) };
        let uri = record.uri()?;
        let key = super::pkcs11::open(&uri, source)?;
        if key.public_key() != record.public()? {
            return Err(Error::Key(format!(
                "the key at {uri} is not the key {id} this trust directory recorded (another token, or the key was replaced)"
            )));
        }
        Ok(Some((key, record)))
    }

    /// Removes the key file of `id` (exact ID, current layout only), or its token
    /// record (the key on the token is left alone).
    pub fn remove(&self, id: &str) -> Result<()> {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(Error::InvalidInput(format!("{id:?} is not a key ID")));
        }
        if TokenRecord::remove(self.trust_dir(), id)? {
            return Ok(());
        }
        let path = self.private_dir.join(format!("{id}.key"));
        fs::remove_file(&path).map_err(|e| Error::io(&path, e))
    }
}

/// The item of `items` whose ID (`id_of`) is `id`, else the only one whose ID starts
/// with `id`; otherwise how many start with it (0, or more than one).
pub(super) fn one_by_prefix<T>(items: Vec<T>, id: &str, id_of: impl Fn(&T) -> &str) -> Result<T, usize> {
    let mut matches: Vec<T> = items.into_iter().filter(|k| id_of(k).starts_with(id)).collect();
    if let Some(exact) = matches.iter().position(|k| id_of(k) == id) {
        return Ok(matches.swap_remove(exact));
    }
    match matches.len() {
        1 => Ok(matches.remove(0)),
        n => Err(n),
    }
}

fn in_file(path: &Path, e: Error) -> Error {
    match e {
        Error::Key(msg) => Error::Key(format!("{}: {msg}", path.display())),
        other => other,
    }
}

/// Reads a key file (at most 1 MiB) into a buffer that is zeroized on drop.
pub fn read_key_file(path: &Path) -> Result<zeroize::Zeroizing<Vec<u8>>> {
    let meta = fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.len() > MAX_KEY_FILE {
        return Err(Error::Key(format!("{}: too large for a key file", path.display())));
    }
    let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(meta.len() as usize + 1));
    let mut file = fs::File::open(path).map_err(|e| Error::io(path, e))?;
    std::io::Read::read_to_end(&mut file, &mut bytes).map_err(|e| Error::io(path, e))?;
    Ok(bytes)
}
