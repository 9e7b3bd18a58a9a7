//! `<trust dir>/pkcs11/<key ID>.json`: which token holds a key. No secret is kept.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::uri::Pkcs11Uri;
use crate::atomic_file::Access;
use crate::{Error, Result};
use trust_tuf::wire::{KeyType, PublicKey};

/// A key on a token, as the trust directory records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// The canonical key ID (the file name without `.json`).
    #[serde(skip)]
    pub id: String,
    /// The key's role (its name: `alice`, `root`, ...).
    pub role: String,
    /// The token URI (RFC 7512, no PIN).
    pub uri: String,
    /// The public key, SubjectPublicKeyInfo DER in base64: checked against the token's
    /// each time the key is used.
    pub public_key: String,
}

impl TokenRecord {
    /// The directory of the records of `trust_dir`.
    pub fn dir(trust_dir: &Path) -> PathBuf {
        trust_dir.join("pkcs11")
    }

    /// The record's file under `trust_dir`.
    pub fn path(&self, trust_dir: &Path) -> PathBuf {
        Self::path_of(trust_dir, &self.id)
    }

    /// The file of the record of key `id` under `trust_dir`.
    fn path_of(trust_dir: &Path, id: &str) -> PathBuf {
        Self::dir(trust_dir).join(format!("{id}.json"))
    }

    /// The parsed URI.
    pub fn uri(&self) -> Result<Pkcs11Uri> {
        Pkcs11Uri::parse(&self.uri)
    }

    /// The recorded public key.
    pub fn public(&self) -> Result<PublicKey> {
        let der = STANDARD
            .decode(&self.public_key)
            .map_err(|_| Error::Key(format!("the token key record {} is damaged", self.id)))?;
        Ok(PublicKey::new(KeyType::Ecdsa, der))
    }

    /// A record for the key `id` (public key `public`) at `uri`.
    pub fn new(id: &str, role: &str, uri: &Pkcs11Uri, public: &PublicKey) -> TokenRecord {
        TokenRecord {
            id: id.to_owned(),
            role: role.to_owned(),
            uri: uri.to_string(),
            public_key: STANDARD.encode(&public.public),
        }
    }

    /// Writes the record under `trust_dir` (atomically, mode 0600).
    pub fn write(&self, trust_dir: &Path) -> Result<()> {
        let path = self.path(trust_dir);
        let text = serde_json::to_vec_pretty(self).map_err(|e| Error::InvalidInput(e.to_string()))?;
        crate::atomic_file::write(&path, &text, Access::Private, true)
    }

    /// Every record under `trust_dir`, sorted by ID; unreadable files are skipped.
    pub fn list(trust_dir: &Path) -> Result<Vec<TokenRecord>> {
        let dir = Self::dir(trust_dir);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(&dir, e)),
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(id) =
                path.file_stem().and_then(|s| s.to_str()).filter(|_| path.extension().is_some_and(|e| e == "json"))
            else {
                continue;
            };
            let Ok(bytes) = std::fs::read(&path) else { continue };
            out.extend(Self::parse(id, &bytes));
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// The record of key `id` (a full ID), when `trust_dir` holds one that parses (as
    /// [`TokenRecord::list`] would list it), reading only that file.
    pub fn load(trust_dir: &Path, id: &str) -> Result<Option<TokenRecord>> {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let path = Self::path_of(trust_dir, id);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&path, e)),
        };
        Ok(Self::parse(id, &bytes))
    }

    /// The record of key `id` in the file bytes `bytes`; none when they do not parse.
    fn parse(id: &str, bytes: &[u8]) -> Option<TokenRecord> {
        let mut record = serde_json::from_slice::<TokenRecord>(bytes).ok()?;
        record.id = id.to_owned();
        Some(record)
    }

    /// Removes the record of `id`, if there is one; true when one was removed.
    pub fn remove(trust_dir: &Path, id: &str) -> Result<bool> {
        let path = Self::path_of(trust_dir, id);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io(&path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::crypto::keyid::canonical_key_id;
    use crate::crypto::signer::{KeyAlgorithm, PrivateKey};

    #[test]
    fn one_record_is_read_by_its_id_as_the_listing_reads_it() {
        let tmp = tempfile::tempdir().unwrap();
        let public = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap().public_key();
        let id = canonical_key_id(&public).unwrap();
        let uri = Pkcs11Uri::parse("pkcs11:token=ci;object=alice?module-path=/usr/lib/softhsm/libsofthsm2.so").unwrap();
        assert_eq!(TokenRecord::load(tmp.path(), &id).unwrap(), None, "no record yet");
        TokenRecord::new(&id, "alice", &uri, &public).write(tmp.path()).unwrap();
        let loaded = TokenRecord::load(tmp.path(), &id).unwrap().unwrap();
        assert_eq!(vec![loaded.clone()], TokenRecord::list(tmp.path()).unwrap());
        assert_eq!((loaded.role.as_str(), loaded.public().unwrap()), ("alice", public));
        // Not an ID (no path outside pkcs11/), and a damaged record: none, as listing skips it.
        assert_eq!(TokenRecord::load(tmp.path(), "../pkcs11/x").unwrap(), None);
        std::fs::write(TokenRecord::path_of(tmp.path(), &id), b"{").unwrap();
        assert_eq!(TokenRecord::load(tmp.path(), &id).unwrap(), None);
        assert!(TokenRecord::list(tmp.path()).unwrap().is_empty());
    }
}
