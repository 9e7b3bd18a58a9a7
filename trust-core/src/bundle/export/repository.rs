//! Fetching and verifying one repository for a bundle: the online client's update,
//! every delegation the snapshot lists, and every root version.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::chain::check_root_chain;
use crate::bundle::manifest::{FileEntry, RepositoryEntry};
use crate::client::{Client, Repository};
use crate::remote::RemoteFile;
use crate::{Error, Result};
use trust_tuf::resolve::TargetsSource;
use trust_tuf::trusted::Limits;
use trust_tuf::wire::{self, FileMeta};

/// One repository's verified trust data, ready to be written.
#[derive(Debug)]
pub(crate) struct Fetched {
    /// The manifest entry.
    pub entry: RepositoryEntry,
    /// Every file's bytes by its name under `_trust/tuf/`.
    pub files: BTreeMap<String, Vec<u8>>,
    /// How many roles the files hold (timestamp, snapshot, targets, root, delegations).
    pub roles: usize,
    /// The distinct target names signed in the trusted roles.
    pub tags: usize,
    /// What the client warned about (expired or superseded delegations).
    pub warnings: Vec<String>,
}

/// Verifies `client`'s repository as an online update does (the server's current
/// timestamp, the user's cached root and pinning as the anchor), then fetches what a
/// verifier needs besides: every delegation the snapshot lists and every root version.
/// The user's cache is updated with what verified, as after any online lookup.
pub(crate) fn fetch(client: &Client, exported_at: DateTime<Utc>) -> Result<Fetched> {
    let mut repo = client.update_from_server()?;
    let mut files = BTreeMap::new();
    for role in ["timestamp", "snapshot", "targets"] {
        let raw = repo.trusted().raw(role).ok_or_else(|| Error::verification(role, "not trusted after the update"))?;
        files.insert(format!("{role}.json"), raw.to_vec());
    }
    let mut tags = BTreeSet::new();
    add_names(&mut tags, "targets", repo.trusted().targets_of("targets"))?;
    for role in delegations_by_depth(&repo) {
        let raw = delegation_bytes(client, &mut repo, &role)?;
        add_names(&mut tags, &role, repo.trusted().targets_of(&role))?;
        files.insert(format!("{role}.json"), raw);
    }
    let current = repo.trusted().root();
    let current_raw = current.raw.to_vec();
    let root_version = current.signed.version;
    let root_key_ids = current.signed.role("root").map(|r| r.keyids.clone()).unwrap_or_default();
    let roots = root_versions(client, root_version, repo.limits())?;
    check_root_chain(&roots, &current_raw, repo.trusted().context().clone())?;
    for (n, raw) in roots.into_iter().enumerate() {
        files.insert(format!("{}.root.json", n + 1), raw);
    }
    files.insert("root.json".to_owned(), current_raw);
    repo.commit()?;
    let roles = files.keys().filter(|name| !name.ends_with(".root.json")).count();
    let entry = RepositoryEntry {
        exported_at,
        root_version,
        root_key_ids,
        files: files.iter().map(|(name, bytes)| (name.clone(), FileEntry::of(bytes))).collect(),
    };
    Ok(Fetched { entry, files, roles, tags: tags.len(), warnings: repo.warnings().to_vec() })
}

/// The delegations the trusted snapshot lists, parents before their children.
fn delegations_by_depth(repo: &Repository<'_>) -> Vec<String> {
    let mut roles: Vec<String> = repo
        .trusted()
        .snapshot()
        .map(|s| s.signed.meta.keys().filter(|r| r.starts_with("targets/")).cloned().collect())
        .unwrap_or_default();
    roles.sort_by(|a, b| a.matches('/').count().cmp(&b.matches('/').count()).then_with(|| a.cmp(b)));
    roles
}

/// The bytes of delegation `role`, verified through the client when its parent
/// trusts it. A delegation the client skips (expired, or signed by fewer of its
/// listed keys than its threshold: notary and docker treat it as holding no targets)
/// and one no trusted parent delegates to (a verifier never reaches it) are kept as
/// the server sent them, checked against the snapshot's length and hashes; any other
/// failure fails the repository.
fn delegation_bytes(client: &Client, repo: &mut Repository<'_>, role: &str) -> Result<Vec<u8>> {
    let reachable = wire::parent_role(role).is_some_and(|parent| repo.trusted().targets_of(parent).is_some())
        && repo.trusted().delegated_role(role).is_some();
    if reachable {
        repo.targets(role)?;
        if let Some(raw) = repo.trusted().raw(role) {
            return Ok(raw.to_vec());
        }
    }
    let meta = repo
        .trusted()
        .meta_for(role)
        .cloned()
        .ok_or_else(|| Error::verification("snapshot", format!("no meta for {role}")))?;
    fetch_pinned(client, role, &meta)
}

/// `role`'s file as the snapshot pins it, fetched by hash and checked against the pin.
fn fetch_pinned(client: &Client, role: &str, meta: &FileMeta) -> Result<Vec<u8>> {
    let sha256_hex = meta.sha256_hex().ok_or_else(|| Error::verification(role, "no sha256 hash to fetch by"))?;
    let file = RemoteFile::ByHash { role, sha256_hex: &sha256_hex };
    let raw = client.remote().fetch(client.gun(), &file, meta.length)?.ok_or_else(|| {
        Error::verification(role, format!("{} does not serve the file the trusted snapshot lists", client.server()))
    })?;
    meta.check(&raw).map_err(|e| Error::verification(role, e))?;
    Ok(raw)
}

/// Root versions 1 … `current`, fetched by version.
fn root_versions(client: &Client, current: u64, limits: Limits) -> Result<Vec<Vec<u8>>> {
    if current > limits.max_root_rotations + 1 {
        return Err(Error::verification(
            "root",
            format!("root version {current}: more than {} root versions to fetch", limits.max_root_rotations + 1),
        ));
    }
    (1..=current)
        .map(|version| {
            let file = RemoteFile::ByVersion { role: "root", version };
            client.remote().fetch(client.gun(), &file, limits.max_root_bytes)?.ok_or_else(|| {
                Error::verification(
                    "root",
                    format!("{} does not serve root version {version} ({version}.root.json)", client.server()),
                )
            })
        })
        .collect()
}

/// Adds the target names `role` signs (when trusted) to `names`.
fn add_names(names: &mut BTreeSet<String>, role: &str, targets: Option<&wire::Targets>) -> Result<()> {
    if let Some(targets) = targets {
        let entries = targets.targets.entries().map_err(|e| Error::malformed(role, e))?;
        names.extend(entries.into_iter().map(|(name, _)| name));
    }
    Ok(())
}
