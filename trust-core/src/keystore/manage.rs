//! Changing, removing and exporting stored keys, as `notary key passwd|remove|export`
//! do: a new passphrase rewrites the file atomically (mode 0600) in the encryption it
//! had, so docker and notary still read a key that was not migrated; an export is the
//! stored encrypted blocks with notary's `path` header, which `notary key import` and
//! `trust key load` read. Nothing is ever exported unencrypted.

use super::encryption::KeyEncryption;
use super::keyfile::{KeyFile, encode_private_key_with};
use super::passphrase::{MIN_PASSPHRASE_LEN, PassphraseSource};
use super::pem;
use super::pkcs11::TokenRecord;
use super::store::{KeyStore, StoredKey, one_by_prefix, read_key_file};
use crate::atomic_file::Access;
use crate::{Error, Result};

/// A key [`KeyStore::find_removable`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemovableKey {
    /// A key file (the private key goes with it).
    File(StoredKey),
    /// The record of a key on a PKCS#11 token.
    Token(TokenRecord),
}

impl RemovableKey {
    /// The key's canonical ID.
    pub fn id(&self) -> &str {
        match self {
            RemovableKey::File(k) => &k.id,
            RemovableKey::Token(r) => &r.id,
        }
    }

    /// The key's role.
    pub fn role(&self) -> &str {
        match self {
            RemovableKey::File(k) => &k.role,
            RemovableKey::Token(r) => &r.role,
        }
    }
}

impl KeyStore {
    /// Re-encrypts the key `id` (a full ID or a unique prefix) under a new passphrase:
    /// the old one from `old` (alias = the file's role), the new one from `new`
    /// (asked as for a new key: at least 8 characters). Role and GUN headers are kept;
    /// a file with SP 800-132 parameters keeps them, any other is written as notary
    /// writes keys (so docker and notary read it). The file is replaced atomically;
    /// on any failure it is unchanged. `old` is told the new passphrase (the keyring,
    /// when enabled, then holds it). Returns the key.
    pub fn change_passphrase(
        &self,
        id: &str,
        old: &dyn PassphraseSource,
        new: &dyn PassphraseSource,
    ) -> Result<StoredKey> {
        let stored = self.lookup(id)?;
        let bytes = read_key_file(&stored.path)?;
        let file = KeyFile::parse(&bytes).map_err(|e| in_file(&stored, e))?;
        let key = file.unlock(&stored.role, &stored.id, old).map_err(|e| in_file(&stored, e))?;
        let passphrase = new.get(&stored.role, &stored.id, true, 0)?;
        if passphrase.chars().count() < MIN_PASSPHRASE_LEN {
            return Err(Error::Key(format!(
                "the new passphrase is too short: use at least {MIN_PASSPHRASE_LEN} characters"
            )));
        }
        let scheme = if file.protection().meets_sp800_132() { KeyEncryption::Fips } else { KeyEncryption::Notary };
        let text = encode_private_key_with(&key, &stored.role, file.gun(), &passphrase, scheme)?;
        crate::atomic_file::write(&stored.path, text.as_bytes(), Access::Private, true)?;
        old.remember(&stored.role, &stored.id, &passphrase);
        Ok(stored)
    }

    /// The key `id` (a full ID, or a prefix naming one key: an ambiguous prefix is
    /// refused) among the key files and the records of keys on PKCS#11 tokens, for
    /// [`KeyStore::remove_key`].
    pub fn find_removable(&self, id: &str) -> Result<RemovableKey> {
        if id.is_empty() {
            return Err(Error::InvalidInput("no key ID given".into()));
        }
        let keys: Vec<RemovableKey> = self
            .list()?
            .into_iter()
            .map(RemovableKey::File)
            .chain(self.tokens()?.into_iter().map(RemovableKey::Token))
            .collect();
        match one_by_prefix(keys, id, RemovableKey::id) {
            Ok(key) => Ok(key),
            Err(0) => Err(Error::Key(format!(
                "no key {id} in {} (key files) or {} (keys on tokens)",
                self.private_dir().display(),
                TokenRecord::dir(self.trust_dir()).display()
            ))),
            Err(n) => Err(Error::Key(format!("{n} keys start with {id}; give more of the ID"))),
        }
    }

    /// Removes what [`KeyStore::find_removable`] found: the key file, or the token
    /// record (the key on the token is left alone: remove it with the token's tools).
    pub fn remove_key(&self, key: &RemovableKey) -> Result<()> {
        match key {
            RemovableKey::File(stored) => std::fs::remove_file(&stored.path).map_err(|e| Error::io(&stored.path, e)),
            RemovableKey::Token(record) => match TokenRecord::remove(self.trust_dir(), &record.id)? {
                true => Ok(()),
                false => Err(Error::Key(format!("the record of token key {} is already gone", record.id))),
            },
        }
    }

    /// Removes the key `id` (a full ID, or a prefix naming one key: an ambiguous prefix
    /// is refused) from the store, whatever layout holds it. Returns what was removed.
    pub fn delete(&self, id: &str) -> Result<StoredKey> {
        let stored = self.lookup(id)?;
        std::fs::remove_file(&stored.path).map_err(|e| Error::io(&stored.path, e))?;
        Ok(stored)
    }

    /// The keys `ids` (full IDs or unique prefixes) as one PEM text, each block as it
    /// is stored (encrypted) with notary's `path` header (the key ID) added, as
    /// `notary key export` writes them. A key stored unencrypted is refused: an export
    /// is never unencrypted (set a passphrase with `trust key passwd` first).
    pub fn export(&self, ids: &[String]) -> Result<(Vec<StoredKey>, zeroize::Zeroizing<String>)> {
        if ids.is_empty() {
            return Err(Error::InvalidInput("no key ID given".into()));
        }
        let mut text = zeroize::Zeroizing::new(String::new());
        let mut keys: Vec<StoredKey> = Vec::new();
        for id in ids {
            let stored = self.lookup(id)?;
            if keys.iter().any(|k| k.id == stored.id) {
                continue;
            }
            let bytes = read_key_file(&stored.path)?;
            let file = KeyFile::parse(&bytes).map_err(|e| in_file(&stored, e))?;
            if !file.is_encrypted() {
                return Err(Error::Key(format!(
                    "key {} is stored unencrypted ({}); it is never exported so: give it a passphrase with `trust key passwd {}` first",
                    stored.id,
                    stored.path.display(),
                    stored.id
                )));
            }
            let block = file.block();
            let mut headers: Vec<(&str, &str)> =
                block.headers.iter().filter(|(k, _)| k != "path").map(|(k, v)| (k.as_str(), v.as_str())).collect();
            headers.push(("path", stored.id.as_str()));
            if !headers.iter().any(|(k, _)| *k == "role") && !stored.role.is_empty() {
                headers.push(("role", stored.role.as_str()));
            }
            text.push_str(&pem::encode(&block.label, &headers, &block.contents));
            keys.push(stored);
        }
        Ok((keys, text))
    }
}

fn in_file(stored: &StoredKey, e: Error) -> Error {
    match e {
        Error::Key(msg) => Error::Key(format!("{}: {msg}", stored.path.display())),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::keystore::ConstantPassphrase;
    use trust_tuf::crypto::signer::{KeyAlgorithm, PrivateKey};

    const OLD: &str = "the old passphrase";
    const NEW: &str = "the new passphrase";

    #[test]
    fn passwd_keeps_the_format_and_changes_only_the_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::open(dir.path()).unwrap();
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let id = store.add(&key, "targets", Some("example.com/app"), &ConstantPassphrase::new(OLD)).unwrap();
        store.change_passphrase(&id[..8], &ConstantPassphrase::new(OLD), &ConstantPassphrase::new(NEW)).unwrap();
        let (again, stored) = store.get(&id, &ConstantPassphrase::new(NEW)).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        assert_eq!(stored.gun.as_deref(), Some("example.com/app"));
        assert!(store.get(&id, &ConstantPassphrase::new(OLD)).is_err());
        let file = KeyFile::parse(&std::fs::read(&stored.path).unwrap()).unwrap();
        assert!(!file.protection().meets_sp800_132(), "still notary's parameters");

        // A wrong old passphrase or a short new one changes nothing.
        let before = std::fs::read(&stored.path).unwrap();
        assert!(store.change_passphrase(&id, &ConstantPassphrase::new(OLD), &ConstantPassphrase::new(NEW)).is_err());
        let short = store.change_passphrase(&id, &ConstantPassphrase::new(NEW), &ConstantPassphrase::new("short"));
        assert_eq!(short.unwrap_err().kind(), crate::ErrorKind::Key);
        assert_eq!(std::fs::read(&stored.path).unwrap(), before);
    }

    #[test]
    fn export_is_encrypted_and_loadable_and_remove_refuses_ambiguity() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::open(dir.path()).unwrap();
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let id = store.add(&key, "alice", None, &ConstantPassphrase::new(OLD)).unwrap();
        let (keys, text) = store.export(std::slice::from_ref(&id)).unwrap();
        assert_eq!(keys[0].id, id);
        assert!(text.starts_with(&format!("-----BEGIN ENCRYPTED PRIVATE KEY-----\npath: {id}\nrole: alice\n\n")));
        let file = KeyFile::parse(text.as_bytes()).unwrap();
        assert_eq!(file.decrypt(OLD).unwrap().public_key(), key.public_key());

        let plain = store
            .add(&PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap(), "bob", None, &ConstantPassphrase::new(""))
            .unwrap();
        assert_eq!(store.export(std::slice::from_ref(&plain)).unwrap_err().kind(), crate::ErrorKind::Key);

        assert!(store.delete("").is_err());
        let removed = store.delete(&id).unwrap();
        assert!(!removed.path.exists());
        assert_eq!(store.lookup(&id).unwrap_err().kind(), crate::ErrorKind::Key);
    }

    #[test]
    fn an_ambiguous_prefix_removes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::open(dir.path()).unwrap();
        // 17 keys: two share a first hex digit.
        let ids: Vec<String> = (0..17)
            .map(|_| {
                let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
                store.add(&key, "alice", None, &ConstantPassphrase::new("")).unwrap()
            })
            .collect();
        let shared = ids.iter().find(|a| ids.iter().filter(|b| b[..1] == a[..1]).count() > 1).unwrap();
        let err = store.delete(&shared[..1]).unwrap_err().to_string();
        assert!(err.contains("give more of the ID"), "{err}");
        assert_eq!(store.list().unwrap().len(), 17);
    }
}
