//! The audit's I/O: loading every delegation of a repository through its client, and
//! reading the key store's files (headers and permissions; nothing is decrypted).

use std::collections::{HashSet, VecDeque};
use std::path::Path;

use super::report::{KeyFileReport, KeystoreReport, TokenKeyReport};
use super::repository::{Delegation, DelegationState};
use crate::Result;
use crate::client::Repository;
use crate::keystore::{KeyFile, KeyStore, read_key_file};
use trust_tuf::resolve::TargetsSource;
use trust_tuf::wire;

/// Every delegation below `targets`, breadth first in listed order, each loaded
/// (fetched and verified) when the snapshot lists it. Unlike a tag lookup, paths do
/// not limit the walk: every declared role is audited. Returns the delegations and
/// warnings about roles left out.
pub(super) fn delegations(repo: &mut Repository<'_>) -> (Vec<Delegation>, Vec<String>) {
    let limits = repo.limits();
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut queue = VecDeque::from(["targets".to_owned()]);
    while let Some(parent) = queue.pop_front() {
        let children: Vec<String> = match repo.trusted().targets_of(&parent) {
            Some(t) => t.delegations.roles.iter().map(|r| r.name.clone()).collect(),
            None => continue,
        };
        for name in children {
            if !seen.insert(name.clone()) || wire::parent_role(&name) != Some(parent.as_str()) {
                continue;
            }
            if out.len() >= limits.max_delegations_visited {
                warnings.push(format!(
                    "more than {} delegations: {name} and the rest were not audited",
                    limits.max_delegations_visited
                ));
                return (out, warnings);
            }
            let depth = name.matches('/').count();
            let state = if repo.trusted().meta_for(&name).is_none() {
                DelegationState::NotPublished
            } else {
                match repo.targets(&name) {
                    Ok(Some(_)) => DelegationState::Loaded,
                    Ok(None) => {
                        let why = repo
                            .warnings()
                            .iter()
                            .find(|w| w.starts_with(&format!("{name} ")))
                            .cloned()
                            .unwrap_or_else(|| "expired".to_owned());
                        DelegationState::NotTrusted(why)
                    }
                    Err(e) => DelegationState::NotTrusted(e.to_string()),
                }
            };
            if state == DelegationState::Loaded && depth < limits.max_delegation_depth {
                queue.push_back(name.clone());
            }
            out.push(Delegation { name, state });
        }
    }
    (out, warnings)
}

/// The permission bits of `path` (Unix only).
fn file_mode(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(path).ok().map(|m| m.permissions().mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// What the key store holds: every key file's role, repository, encryption and mode.
pub(super) fn keystore(store: &KeyStore) -> Result<KeystoreReport> {
    let mut keys = Vec::new();
    for stored in store.list()? {
        let bytes = read_key_file(&stored.path)?;
        let protection = KeyFile::parse(&bytes)?.protection();
        keys.push(KeyFileReport {
            mode: file_mode(&stored.path),
            id: stored.id,
            role: stored.role,
            gun: stored.gun,
            path: stored.path,
            protection,
        });
    }
    let tokens = store
        .tokens()?
        .into_iter()
        .map(|t| TokenKeyReport { path: t.path(store.trust_dir()), id: t.id, role: t.role, uri: t.uri })
        .collect();
    Ok(KeystoreReport { directory: store.private_dir().to_owned(), keys, unreadable: store.unreadable()?, tokens })
}
