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
        match self.first("targets", Some(gun))? {
            Some(key) => Ok(key),
            None => self.create("targets", Some(gun)),
        }
    }

    fn new_key(&self, role: &str, gun: &str) -> Result<PrivateKey> {
        // Root keys are not tied to a repository (notary writes no gun header for them).
        self.create(role, (role != "root").then_some(gun))
    }
}
