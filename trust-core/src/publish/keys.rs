//! The keystore as a [`KeySource`]: keys found by canonical ID in
//! `<trust dir>/private/`, decrypted with the passphrase source when used.

use super::KeySource;
use crate::Result;
use crate::keystore::{KeyStore, PassphraseSource};
use trust_tuf::crypto::signer::{KeyAlgorithm, PrivateKey};

/// Signing keys from a trust directory's keystore.
pub struct StoreKeys {
    store: KeyStore,
    passphrases: Box<dyn PassphraseSource>,
}

impl std::fmt::Debug for StoreKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreKeys").finish_non_exhaustive()
    }
}

impl StoreKeys {
    /// Keys from `store`, unlocked with `passphrases`.
    pub fn new(store: KeyStore, passphrases: Box<dyn PassphraseSource>) -> Self {
        StoreKeys { store, passphrases }
    }

    /// The first key by ID with `role` (and `gun`, when given), as notary picks one.
    fn first(&self, role: &str, gun: Option<&str>) -> Result<Option<PrivateKey>> {
        let mut keys = self.store.find(role)?;
        keys.retain(|k| gun.is_none_or(|g| k.gun.as_deref() == Some(g)));
        keys.sort_by(|a, b| a.id.cmp(&b.id));
        match keys.first() {
            Some(k) => Ok(Some(self.store.get(&k.id, self.passphrases.as_ref())?.0)),
            None => Ok(None),
        }
    }

    fn create(&self, role: &str, gun: Option<&str>) -> Result<PrivateKey> {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256)?;
        self.store.add(&key, role, gun, self.passphrases.as_ref())?;
        Ok(key)
    }
}

impl KeySource for StoreKeys {
    fn held_key_ids(&self) -> Result<Vec<String>> {
        Ok(self.store.list()?.into_iter().map(|k| k.id).collect())
    }

    fn unreadable_keys(&self) -> Vec<std::path::PathBuf> {
        self.store.unreadable().unwrap_or_default()
    }

    fn private_key(&self, id: &str, _role: &str) -> Result<PrivateKey> {
        Ok(self.store.get(id, self.passphrases.as_ref())?.0)
    }

    fn root_key(&self) -> Result<PrivateKey> {
        match self.first("root", None)? {
            Some(key) => Ok(key),
            None => self.create("root", None),
        }
    }

    fn targets_key(&self, gun: &str) -> Result<PrivateKey> {
        self.role_key("targets", gun)
    }

    fn role_key(&self, role: &str, gun: &str) -> Result<PrivateKey> {
        match self.first(role, Some(gun))? {
            Some(key) => Ok(key),
            None => self.create(role, Some(gun)),
        }
    }

    fn new_key(&self, role: &str, gun: &str) -> Result<PrivateKey> {
        // Root keys are not tied to a repository (notary writes no gun header for them).
        self.create(role, (role != "root").then_some(gun))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keystore::ConstantPassphrase;

    #[test]
    fn a_role_key_is_made_once_per_role_and_repository_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let keys =
            StoreKeys::new(KeyStore::open(dir.path()).unwrap(), Box::new(ConstantPassphrase::new("role-key-pass")));
        let public = |role: &str, gun: &str| keys.role_key(role, gun).unwrap().public_key();
        let snapshot = public("snapshot", "r.example/app");
        assert_eq!(public("snapshot", "r.example/app"), snapshot, "a retry reuses the key made before");
        assert_ne!(public("timestamp", "r.example/app"), snapshot);
        assert_ne!(public("snapshot", "r.example/other"), snapshot);
        assert_eq!(keys.targets_key("r.example/app").unwrap().public_key(), public("targets", "r.example/app"));
        let stored = keys.store.find("snapshot").unwrap();
        assert_eq!(stored.len(), 2);
        assert!(stored.iter().all(|k| k.gun.is_some()));
    }
}
