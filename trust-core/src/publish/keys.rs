//! The keystore as a [`KeySource`]: keys found by canonical ID in
//! `<trust dir>/private/`, decrypted with the passphrase source when used.

use std::sync::Mutex;

use super::KeySource;
use crate::Result;
use crate::keystore::{KeyStore, PassphraseSource};
use trust_tuf::crypto::signer::{KeyAlgorithm, PrivateKey};

/// Signing keys from a trust directory's keystore.
pub struct StoreKeys {
    store: KeyStore,
    passphrases: Box<dyn PassphraseSource>,
    /// The keys this source made, `(id, role)`, for [`KeySource::discard_created`].
    created: Mutex<Vec<(String, String)>>,
}

impl std::fmt::Debug for StoreKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreKeys").finish_non_exhaustive()
    }
}

impl StoreKeys {
    /// Keys from `store`, unlocked with `passphrases`.
    pub fn new(store: KeyStore, passphrases: Box<dyn PassphraseSource>) -> Self {
        StoreKeys { store, passphrases, created: Mutex::new(Vec::new()) }
    }

    /// The first key by ID with `role` (and `gun`, when given), as notary picks one.
    fn first(&self, role: &str, gun: Option<&str>) -> Result<Option<PrivateKey>> {
        let mut keys = self.store.find(role)?;
        keys.retain(|k| gun.is_none_or(|g| k.gun.as_deref() == Some(g)));
        let mut ids: Vec<String> = keys.into_iter().map(|k| k.id).collect();
        // Token keys are not tied to a repository.
        if gun.is_none() {
            ids.extend(self.store.tokens()?.into_iter().filter(|t| t.role == role).map(|t| t.id));
        }
        ids.sort();
        match ids.first() {
            Some(id) => Ok(Some(self.private_key(id, role)?)),
            None => Ok(None),
        }
    }

    fn create(&self, role: &str, gun: Option<&str>) -> Result<PrivateKey> {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256)?;
        let id = self.store.add(&key, role, gun, self.passphrases.as_ref())?;
        if let Ok(mut created) = self.created.lock() {
            created.push((id, role.to_owned()));
        }
        Ok(key)
    }
}

impl KeySource for StoreKeys {
    fn held_key_ids(&self) -> Result<Vec<String>> {
        let mut ids: Vec<String> = self.store.list()?.into_iter().map(|k| k.id).collect();
        ids.extend(self.store.tokens()?.into_iter().map(|t| t.id));
        Ok(ids)
    }

    fn unreadable_keys(&self) -> Vec<std::path::PathBuf> {
        self.store.unreadable().unwrap_or_default()
    }

    fn private_key(&self, id: &str, _role: &str) -> Result<PrivateKey> {
        if let Some((key, _)) = self.store.get_token(id, self.passphrases.as_ref())? {
            return Ok(key);
        }
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

    fn created_keys(&self) -> Vec<String> {
        self.created.lock().map(|c| c.iter().map(|(id, role)| describe(role, id)).collect()).unwrap_or_default()
    }

    fn discard_created(&self) -> Result<Vec<String>> {
        let Ok(mut created) = self.created.lock() else { return Ok(Vec::new()) };
        let mut removed = Vec::new();
        while let Some((id, role)) = created.pop() {
            if let Err(e) = self.store.remove(&id) {
                created.push((id, role));
                return Err(e);
            }
            removed.insert(0, describe(&role, &id));
        }
        Ok(removed)
    }
}

/// `root key 1a2b3c4`: how messages name a key.
fn describe(role: &str, id: &str) -> String {
    format!("{role} key {}", id.chars().take(7).collect::<String>())
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
        assert_eq!(keys.created_keys().len(), 4, "two snapshot keys, a timestamp and a targets key");
    }

    #[test]
    fn the_keys_made_are_discarded_and_no_others() {
        let dir = tempfile::tempdir().unwrap();
        let open =
            || StoreKeys::new(KeyStore::open(dir.path()).unwrap(), Box::new(ConstantPassphrase::new("pass-word")));
        let before = open();
        let kept = before.root_key().unwrap().public_key();
        let keys = open();
        assert_eq!(keys.root_key().unwrap().public_key(), kept, "the existing root key is used, not made");
        let targets = canonical(&keys.targets_key("r.example/app").unwrap());
        assert_eq!(keys.discard_created().unwrap(), [format!("targets key {}", &targets[..7])]);
        let left: Vec<String> = keys.store.list().unwrap().into_iter().map(|k| k.id).collect();
        assert_eq!(left, [canonical_public(&kept)]);
        assert!(keys.discard_created().unwrap().is_empty());
    }

    fn canonical(key: &PrivateKey) -> String {
        canonical_public(&key.public_key())
    }

    fn canonical_public(key: &trust_tuf::wire::PublicKey) -> String {
        trust_tuf::crypto::keyid::canonical_key_id(key).unwrap()
    }
}
