//! [`RegistryRemote`]: a [`Remote`] over the registry store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::layout::Layout;
use crate::Result;
use crate::registry::{RegistryClient, RegistryOptions, RepositoryRef};
use crate::registry_location::Location;
use crate::remote::{Remote, RemoteFile, RemoteOptions, Store};

/// A repository's manifest as last read: the state an update started from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    /// `sha256:<hex>` of the manifest.
    pub digest: String,
    /// Its files.
    pub layout: Layout,
}

/// Reads trust data from a registry (`oci://` or `oci://HOST[:PORT]/PATH`).
///
/// The manifest is read again whenever the client asks for the current timestamp or
/// root (the start of every update; a first contact's root and the timestamp after it
/// come from one read), and kept for the rest of that update; files a hash pins are
/// read as blobs of that digest.
pub struct RegistryRemote {
    url: String,
    location: Location,
    registry: RegistryClient,
    /// Per GUN: the manifest last read (`None`: the tag does not exist).
    read: Mutex<HashMap<String, Option<Arc<Current>>>>,
    /// GUNs whose manifest was just read for a first contact's `root.json`: the
    /// timestamp the same update asks for next comes from that read.
    bootstrapped: Mutex<std::collections::HashSet<String>>,
    /// Per GUN: earlier root versions to store with the next update (`trust copy`).
    history: Mutex<HashMap<String, Vec<Vec<u8>>>>,
}

impl std::fmt::Debug for RegistryRemote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryRemote").field("url", &self.url).finish_non_exhaustive()
    }
}

impl RegistryRemote {
    /// The store `url` names (`oci://…`), reached as `opts` say (its CA file, docker
    /// configuration, limits and user agent; loopback registries are insecure, as docker
    /// treats them).
    pub fn new(url: &str, opts: &RemoteOptions) -> Result<Self> {
        let location = Location::parse(url)?;
        let registry = RegistryClient::new(RegistryOptions {
            docker_config: opts.docker_config.clone(),
            insecure_registries: Vec::new(),
            limits: opts.limits,
            user_agent: opts.user_agent.clone(),
            ca_file: opts.ca_file.clone(),
        });
        let url = crate::registry_location::canonical_url(url)?;
        Ok(RegistryRemote {
            url,
            location,
            registry,
            read: Mutex::new(HashMap::new()),
            history: Mutex::new(HashMap::new()),
            bootstrapped: Mutex::new(std::collections::HashSet::new()),
        })
    }

    /// The registry client (for uploads).
    pub(crate) fn registry(&self) -> &RegistryClient {
        &self.registry
    }

    /// The repository and tag that hold `gun`'s trust data.
    pub fn repository(&self, gun: &str) -> Result<(RepositoryRef, String)> {
        trust_tuf::reference::check_gun(gun)?;
        self.location.of(gun)
    }

    /// The manifest this remote last read for `gun` (the state the running update
    /// started from), reading it now if it never did. `None`: no trust data yet.
    pub fn started_from(&self, gun: &str) -> Result<Option<Arc<Current>>> {
        if let Some(read) = self.lock().get(gun) {
            return Ok(read.clone());
        }
        self.refresh(gun)
    }

    /// Records `current` as what `gun`'s tag now names (after an upload).
    pub(crate) fn remember(&self, gun: &str, current: Option<Arc<Current>>) {
        self.lock().insert(gun.to_owned(), current);
    }

    /// Forgets what was read of `gun`: the next request reads the tag again.
    pub(crate) fn forget(&self, gun: &str) {
        self.lock().remove(gun);
    }

    /// Earlier root versions (`<N>.root.json`) to store with `gun`'s next update.
    pub(crate) fn stage_root_history(&self, gun: &str, roots: Vec<Vec<u8>>) {
        self.history.lock().unwrap_or_else(|p| p.into_inner()).insert(gun.to_owned(), roots);
    }

    /// What [`RegistryRemote::stage_root_history`] staged for `gun`.
    pub(crate) fn staged_root_history(&self, gun: &str) -> Vec<Vec<u8>> {
        self.history.lock().unwrap_or_else(|p| p.into_inner()).get(gun).cloned().unwrap_or_default()
    }

    /// Reads `gun`'s manifest now.
    fn refresh(&self, gun: &str) -> Result<Option<Arc<Current>>> {
        let (repo, tag) = self.repository(gun)?;
        let what = format!("{}/{}:{tag} (the trust data of {gun})", repo.domain, repo.path);
        let current = match self.registry.tagged_manifest(&repo, &tag)? {
            None => None,
            Some((digest, bytes)) => Some(Arc::new(Current { digest, layout: Layout::parse(gun, &what, &bytes)? })),
        };
        self.remember(gun, current.clone());
        Ok(current)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Option<Arc<Current>>>> {
        self.read.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The bytes of `name` in `current`: embedded, or the blob of its digest.
    fn file_bytes(
        &self,
        gun: &str,
        current: &Current,
        name: &str,
        role: &str,
        max_len: u64,
    ) -> Result<Option<Vec<u8>>> {
        let Some(layer) = current.layout.file(name) else { return Ok(None) };
        if layer.size > max_len {
            return Err(crate::http::size_limit::too_large(role, max_len));
        }
        if let Some(data) = &layer.data {
            return Ok(Some(data.clone()));
        }
        let (repo, _) = self.repository(gun)?;
        self.registry.blob(&repo, &layer.digest, max_len, role)
    }
}

impl Remote for RegistryRemote {
    fn fetch(&self, gun: &str, file: &RemoteFile<'_>, max_len: u64) -> Result<Option<Vec<u8>>> {
        let name = file.name()?;
        let role = file.role();
        match file {
            RemoteFile::ByHash { sha256_hex, .. } => {
                let (repo, _) = self.repository(gun)?;
                self.registry.blob(&repo, &format!("sha256:{sha256_hex}"), max_len, role)
            }
            RemoteFile::Current("root") => {
                let read = self.refresh(gun)?;
                self.bootstrapped.lock().unwrap_or_else(|p| p.into_inner()).insert(gun.to_owned());
                match read {
                    Some(current) => self.file_bytes(gun, &current, &name, role, max_len),
                    None => Ok(None),
                }
            }
            RemoteFile::Current("timestamp") => {
                // Fresh: read now, unless this update's first contact read it a moment ago.
                let just_read = self.bootstrapped.lock().unwrap_or_else(|p| p.into_inner()).remove(gun);
                let current = if just_read { self.started_from(gun)? } else { self.refresh(gun)? };
                match current {
                    Some(current) => self.file_bytes(gun, &current, &name, role, max_len),
                    None => Ok(None),
                }
            }
            RemoteFile::Current(_) => match self.started_from(gun)? {
                Some(current) => self.file_bytes(gun, &current, &name, role, max_len),
                None => Ok(None),
            },
            RemoteFile::ByVersion { .. } => {
                let remembered = self.lock().get(gun).cloned();
                if let Some(Some(current)) = &remembered
                    && current.layout.file(&name).is_some()
                {
                    return self.file_bytes(gun, current, &name, role, max_len);
                }
                // Not in what this update read (or nothing read yet): read the tag again once.
                match self.refresh(gun)? {
                    Some(current) => self.file_bytes(gun, &current, &name, role, max_len),
                    None => Ok(None),
                }
            }
        }
    }

    fn store(&self) -> Store<'_> {
        Store::Registry(self)
    }

    fn url(&self) -> &str {
        &self.url
    }
}
