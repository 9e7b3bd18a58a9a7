//! Uploads to the registry store (docs/registry-store.md, "What a writer does"):
//! blobs first (idempotent), then the tag, checked before and read back after.
//!
//! A registry has no compare-and-swap on tags: the tag must still name the manifest
//! the update started from just before the `PUT`, and must name the new manifest
//! when read back a moment after. Either check failing is [`Error::Conflict`], and the
//! publish starts again from the new state with the staged changes kept.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::Upload;
use crate::registry::{RegistryClient, RepositoryRef, sha256_digest};
use crate::remote::Remote;
use crate::remote::registry_store::{Current, EMPTY_CONFIG, Layout, RegistryRemote};
use crate::{Error, Result};
use trust_tuf::wire::PublicKey;

/// The least and most the read-back waits after the `PUT`.
const MIN_SETTLE: Duration = Duration::from_millis(20);
const MAX_SETTLE: Duration = Duration::from_secs(1);

/// The registry store, as a store that takes updates.
#[derive(Debug)]
pub struct RegistryUpload<'a> {
    remote: &'a RegistryRemote,
}

impl<'a> RegistryUpload<'a> {
    /// Uploads to the registry `remote` reads from.
    pub fn new(remote: &'a RegistryRemote) -> Self {
        RegistryUpload { remote }
    }

    /// Writes `gun`'s files with `uploads` in place (and `history` roots added), from the
    /// state the update started from.
    fn update(&self, gun: &str, uploads: &[(String, Vec<u8>)], history: &[Vec<u8>]) -> Result<()> {
        let (repo, tag) = self.remote.repository(gun)?;
        let registry = self.remote.registry();
        let started = self.remote.started_from(gun)?;
        let base = started.as_ref().map_or_else(|| Layout::empty(gun), |c| c.layout.clone());
        let next = base.with_uploads(uploads, history)?;
        // 1. Blobs: invisible until the tag names them. The tagged manifest's blobs
        // (its config included) are in the repository already.
        if started.is_none() {
            upload_blob(registry, &repo, EMPTY_CONFIG)?;
        }
        let stored: HashSet<&str> = base.files().map(|(_, old)| old.digest.as_str()).collect();
        for (_, layer) in next.files() {
            if let (false, Some(bytes)) = (stored.contains(layer.digest.as_str()), &layer.data) {
                upload_blob(registry, &repo, bytes)?;
            }
        }
        let manifest = next.to_manifest(&Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        let at = format!("{}/{}:{tag}", repo.domain, repo.path);
        // 2. The tag must still name what the update started from.
        let began = Instant::now();
        let now = registry.tag_digest(&repo, &tag)?;
        let expected = started.as_ref().map(|c| c.digest.clone());
        if now != expected {
            self.remote.forget(gun);
            return Err(Error::Conflict(format!(
                "{at} moved while this update was prepared (another publisher got there first)"
            )));
        }
        // 3. Move it.
        let written = registry.put_manifest(&repo, &tag, &manifest)?;
        // 4. Read it back after a moment: a PUT that raced this one shows here.
        std::thread::sleep((began.elapsed() * 4).clamp(MIN_SETTLE, MAX_SETTLE));
        let back = registry.tag_digest(&repo, &tag)?;
        if back.as_deref() != Some(written.as_str()) {
            self.remote.forget(gun);
            return Err(Error::Conflict(format!(
                "{at} was overwritten by another publisher just after this update moved it"
            )));
        }
        self.remote.remember(gun, Some(Arc::new(Current { digest: written, layout: next })));
        Ok(())
    }
}

/// Uploads `bytes` unless `repo` has that blob.
fn upload_blob(registry: &RegistryClient, repo: &RepositoryRef, bytes: &[u8]) -> Result<()> {
    if !registry.has_blob(repo, &sha256_digest(bytes))? {
        registry.put_blob(repo, bytes)?;
    }
    Ok(())
}

impl Upload for RegistryUpload<'_> {
    fn publish(&self, gun: &str, files: &[(String, Vec<u8>)]) -> Result<()> {
        let history = self.remote.staged_root_history(gun);
        self.update(gun, files, &history)?;
        self.remote.stage_root_history(gun, Vec::new());
        Ok(())
    }

    fn server_key(&self, _gun: &str, role: &str) -> Result<PublicKey> {
        Err(no_server_keys(self.remote.url(), role))
    }

    fn rotate_server_key(&self, _gun: &str, role: &str) -> Result<PublicKey> {
        Err(no_server_keys(self.remote.url(), role))
    }

    fn accepts_client_signed(&self, role: &str) -> bool {
        matches!(role, "snapshot" | "timestamp")
    }

    fn publisher_signs(&self) -> bool {
        true
    }

    fn stores_root_history(&self) -> bool {
        true
    }

    fn store_root_history(&self, gun: &str, roots: &[Vec<u8>]) -> Result<()> {
        // Kept with the next update's files: the tag moves once.
        self.remote.stage_root_history(gun, roots.to_vec());
        Ok(())
    }

    fn url(&self) -> &str {
        self.remote.url()
    }
}

fn no_server_keys(url: &str, role: &str) -> Error {
    Error::InvalidInput(format!(
        "{url} is a registry: there is no server holding a {role} key; the publisher holds the snapshot and timestamp keys (in the trust directory) and signs them"
    ))
}
