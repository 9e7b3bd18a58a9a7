//! A repository's local trust data, as `notary status|reset|delete` handle it: the
//! staged changes (`<trust dir>/tuf/<gun>/changelist/`) listed or discarded, and the
//! whole of `<trust dir>/tuf/<gun>/` forgotten, optionally with the repository's trust
//! data on the server. Private keys are never touched.

use std::path::{Path, PathBuf};

use crate::publish::{Changelist, Staged};
use crate::settings::Settings;
use crate::{Error, Result};

/// The staged changes of one repository, oldest first.
#[derive(Debug, Clone)]
pub struct StagedChanges {
    /// The repository (GUN).
    pub gun: String,
    /// Its staged changes.
    pub changes: Vec<Staged>,
}

/// The GUN of `repository` (an image name; a tag or digest is ignored).
fn gun_of(repository: &str) -> Result<String> {
    Ok(super::parse(repository)?.gun())
}

/// The staged changes of `repository`, or of every repository in the trust directory
/// that has some (by GUN) when `None`.
pub fn status(settings: &Settings, repository: Option<&str>) -> Result<Vec<StagedChanges>> {
    let trust_dir = settings.trust_dir();
    let guns = match repository {
        Some(r) => vec![gun_of(r)?],
        None => staged_guns(&trust_dir.join("tuf"))?,
    };
    let mut out = Vec::new();
    for gun in guns {
        let changes = Changelist::open(&trust_dir, &gun)?.list()?;
        if repository.is_some() || !changes.is_empty() {
            out.push(StagedChanges { gun, changes });
        }
    }
    Ok(out)
}

/// Which staged changes [`reset`] discards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discard {
    /// Every one (`--all`).
    All,
    /// Those at these positions, as [`status`] lists them from 0 (`-n`).
    Numbers(std::collections::BTreeSet<usize>),
}

/// Discards staged changes of `repository` (under its publish lock), all or those
/// chosen: a bad number is an error and nothing is discarded. Returns how many were
/// discarded.
pub fn reset(settings: &Settings, repository: &str, which: &Discard) -> Result<usize> {
    let changelist = Changelist::open(&settings.trust_dir(), &gun_of(repository)?)?;
    let _lock = changelist.lock()?;
    changelist.remove_incomplete()?;
    let staged = changelist.list()?;
    match which {
        Discard::All => {
            changelist.clear(&staged)?;
            Ok(staged.len())
        }
        Discard::Numbers(numbers) => changelist.discard(&staged, numbers),
    }
}

/// What [`delete`] removed.
#[derive(Debug, Clone)]
pub struct Deleted {
    /// The repository (GUN).
    pub gun: String,
    /// The local directory removed (`None` when there was none).
    pub local: Option<PathBuf>,
    /// The server the trust data was deleted on, with `remote`.
    pub remote: Option<String>,
}

/// Forgets the local trust data of `repository` (`<trust dir>/tuf/<gun>/`: cached
/// metadata and staged changes; keys stay); with `remote`, first deletes its trust
/// data on the trust server (notary-server's `DELETE`, with the token access it asks
/// for, or the file remote's directory). When the server refuses, nothing local is
/// removed.
pub fn delete(settings: &Settings, repository: &str, remote: bool) -> Result<Deleted> {
    let reference = super::parse(repository)?;
    let gun = reference.gun();
    let dir = crate::client::cache::repository_dir(&settings.trust_dir(), &gun)?;
    let mut deleted_on = None;
    if remote {
        let server = settings.remote_for(&reference)?;
        crate::publish::upload::to(server.as_ref()).delete_repository(&gun)?;
        deleted_on = Some(server.url().to_owned());
    }
    let local = match std::fs::remove_dir_all(&dir) {
        Ok(()) => Some(dir),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(&dir, e)),
    };
    Ok(Deleted { gun, local, remote: deleted_on })
}

/// The GUNs under `tuf` whose directory holds a `changelist/`, sorted.
fn staged_guns(tuf: &Path) -> Result<Vec<String>> {
    let mut found = Vec::new();
    let mut stack = vec![(tuf.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(&dir, e)),
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.is_dir() || depth > 16 {
                continue;
            }
            if entry.file_name() == "changelist" && depth > 0 {
                if let Ok(gun) = dir.strip_prefix(tuf) {
                    found.push(gun.to_string_lossy().into_owned());
                }
            } else if entry.file_name() != "metadata" {
                stack.push((path, depth + 1));
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::publish::Change;

    #[test]
    fn status_lists_and_reset_discards() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings { trust_dir: Some(dir.path().to_owned()), ..Settings::default() };
        assert!(status(&settings, None).unwrap().is_empty());
        let none = status(&settings, Some("example.com/app")).unwrap();
        assert_eq!((none.len(), none[0].changes.len()), (1, 0));

        let changelist = Changelist::open(dir.path(), "example.com/app").unwrap();
        changelist
            .stage_group(&[Change::remove_target("targets", "v1"), Change::remove_target("targets", "v2")])
            .unwrap();
        let all = status(&settings, None).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].gun, "example.com/app");
        assert_eq!(all[0].changes.iter().map(|c| c.change.path.as_str()).collect::<Vec<_>>(), ["v1", "v2"]);

        assert_eq!(reset(&settings, "example.com/app:v1", &Discard::All).unwrap(), 2);
        assert!(status(&settings, None).unwrap().is_empty());

        let deleted = delete(&settings, "example.com/app", false).unwrap();
        assert!(deleted.local.is_some() && deleted.remote.is_none());
        assert!(!dir.path().join("tuf/example.com/app").exists());
        assert!(delete(&settings, "example.com/app", false).unwrap().local.is_none());
    }
}
