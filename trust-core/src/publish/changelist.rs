//! Changes staged on disk before any network call, notary's layout:
//! `<trust dir>/tuf/<gun>/changelist/<20-digit unix nanos>_<random>-<i>of<n>.change`,
//! one change per file; the `n` changes of one operation form a group that is
//! published whole or not at all.
//! A publish clears exactly the files it applied, and only after the server
//! accepted them; a failed publish leaves them for the next command.

use std::path::{Path, PathBuf};

use super::change::Change;
use crate::{Error, Result};

/// The staged changes of one repository.
#[derive(Debug, Clone)]
pub struct Changelist {
    dir: PathBuf,
}

/// A change and the file that holds it.
#[derive(Debug, Clone)]
pub struct Staged {
    /// The change file.
    pub path: PathBuf,
    /// The change.
    pub change: Change,
}

impl Changelist {
    /// The changelist of `gun` under `trust_dir`.
    pub fn open(trust_dir: &Path, gun: &str) -> Result<Self> {
        trust_tuf::reference::check_gun(gun)?;
        Ok(Changelist { dir: trust_dir.join("tuf").join(gun).join("changelist") })
    }

    /// Stages `change`, atomically, and returns its file.
    pub fn stage(&self, change: &Change) -> Result<PathBuf> {
        let mut paths = self.stage_group(std::slice::from_ref(change))?;
        paths.pop().ok_or_else(|| Error::InvalidInput("no change to stage".into()))
    }

    /// Stages `changes` as one group, all or none: each is written atomically, under
    /// the publish lock, into a file named after the group
    /// (`<nanos>_<random>-<i>of<n>.change`, a name notary reads too). A group a killed
    /// writer left incomplete is never published ([`Changelist::list`] skips it and
    /// the next publish removes it); a write that fails takes back the group's files.
    pub fn stage_group(&self, changes: &[Change]) -> Result<Vec<PathBuf>> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let mut random = [0u8; 8];
        trust_tuf::crypto::backend::rand::SecureRandom::fill(
            &trust_tuf::crypto::backend::rand::SystemRandom::new(),
            &mut random,
        )
        .map_err(|_| Error::InvalidInput("no randomness for a change file name".into()))?;
        let group = format!("{nanos:020}_{}", hex::encode(random));
        let n = changes.len();
        let _lock = self.lock()?;
        let mut written = Vec::with_capacity(n);
        for (i, change) in changes.iter().enumerate() {
            let path = self.dir.join(format!("{group}-{:08}of{n:08}.change", i + 1));
            let result = serde_json::to_vec(change)
                .map_err(|e| Error::InvalidInput(e.to_string()))
                .and_then(|bytes| crate::atomic_file::write(&path, &bytes, crate::atomic_file::Access::Private, true));
            if let Err(e) = result {
                for p in written {
                    let _ = std::fs::remove_file(p);
                }
                return Err(e);
            }
            written.push(path);
        }
        Ok(written)
    }

    /// Takes the repository's publish lock (`tuf/<gun>/publish.lock`): publishers and
    /// stagers sharing a trust directory take turns (processes on other machines are
    /// handled by the server's versions). Held until the file is dropped.
    pub fn lock(&self) -> Result<std::fs::File> {
        let dir = self.dir.parent().ok_or_else(|| Error::InvalidInput("changelist has no parent".into()))?;
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        crate::atomic_file::lock(&dir.join("publish.lock"))
    }

    /// Removes the files of groups a killed writer left incomplete. Call it holding
    /// the publish lock (a complete group is staged under it, so an incomplete one
    /// seen then has no live writer). Returns how many files were removed.
    pub fn remove_incomplete(&self) -> Result<usize> {
        let (_, incomplete) = self.scan()?;
        for path in &incomplete {
            match std::fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(path, e)),
            }
        }
        Ok(incomplete.len())
    }

    /// The change files, sorted: those of complete groups (and ungrouped files, as
    /// notary and older versions name them), and those of incomplete groups.
    fn scan(&self) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((vec![], vec![])),
            Err(e) => return Err(Error::io(&self.dir, e)),
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "change"))
            .collect();
        paths.sort();
        let mut members: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for p in &paths {
            if let Some((group, _, _)) = group_of(p) {
                *members.entry(group).or_default() += 1;
            }
        }
        Ok(paths.into_iter().partition(|p| match group_of(p) {
            Some((group, _, n)) => members.get(&group) == Some(&n),
            None => true,
        }))
    }
    /// Every staged change, oldest first, except those of incomplete groups (see
    /// [`Changelist::stage_group`]). A file that cannot be read is an error that
    /// names it (nothing is dropped silently).
    pub fn list(&self) -> Result<Vec<Staged>> {
        let (paths, _) = self.scan()?;
        paths
            .into_iter()
            .map(|path| {
                let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
                let change = serde_json::from_slice(&bytes).map_err(|e| {
                    Error::InvalidInput(format!("staged change {} cannot be read ({e}); remove it", path.display()))
                })?;
                Ok(Staged { path, change })
            })
            .collect()
    }

    /// Removes the given staged changes (after the server accepted them).
    pub fn clear(&self, staged: &[Staged]) -> Result<()> {
        for s in staged {
            match std::fs::remove_file(&s.path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&s.path, e)),
            }
        }
        Ok(())
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// A grouped change file's group, index and group size
/// (`<group>-<i>of<n>.change`); None for an ungrouped name.
fn group_of(path: &Path) -> Option<(String, usize, usize)> {
    let stem = path.file_stem()?.to_str()?;
    let (group, position) = stem.rsplit_once('-')?;
    let (i, n) = position.split_once("of")?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(i) || !digits(n) {
        return None;
    }
    Some((group.to_owned(), i.parse().ok()?, n.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use trust_tuf::wire::FileMeta;

    #[test]
    fn stages_in_order_and_clears_only_what_was_applied() {
        let dir = tempfile::tempdir().unwrap();
        let cl = Changelist::open(dir.path(), "example.com/app").unwrap();
        assert!(cl.list().unwrap().is_empty());
        let a = Change::add_target("targets", "v1", &FileMeta::for_bytes(b"1"));
        let b = Change::remove_target("targets", "v0");
        cl.stage(&a).unwrap();
        cl.stage(&b).unwrap();
        let staged = cl.list().unwrap();
        assert_eq!(staged.iter().map(|s| s.change.clone()).collect::<Vec<_>>(), vec![a, b.clone()]);
        cl.clear(&staged[..1]).unwrap();
        let rest = cl.list().unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].change, b);
    }

    #[test]
    fn an_incomplete_group_is_not_listed_and_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let cl = Changelist::open(dir.path(), "example.com/app").unwrap();
        let a = Change::add_target("targets/releases", "v1", &FileMeta::for_bytes(b"1"));
        let b = Change::add_target("targets/alice", "v1", &FileMeta::for_bytes(b"1"));
        let c = Change::add_target("targets", "v2", &FileMeta::for_bytes(b"2"));
        let torn = cl.stage_group(&[a.clone(), b.clone()]).unwrap();
        let whole = cl.stage_group(&[a.clone(), b.clone()]).unwrap();
        cl.stage(&c).unwrap();
        // notary's own names (no group) are listed as they are.
        std::fs::write(
            cl.dir().join("99999999999999999999_0b3c4d5e-aaaa-bbbb-cccc-0123456789ab.change"),
            serde_json::to_vec(&c).unwrap(),
        )
        .unwrap();
        std::fs::remove_file(&torn[1]).unwrap(); // killed before its second file
        let listed: Vec<Change> = cl.list().unwrap().into_iter().map(|s| s.change).collect();
        assert_eq!(listed, vec![a, b, c.clone(), c]);
        assert_eq!(cl.remove_incomplete().unwrap(), 1);
        assert!(!torn[0].exists() && whole.iter().all(|p| p.exists()));
        assert_eq!(cl.list().unwrap().len(), 4);
    }

    #[test]
    fn an_unreadable_change_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let cl = Changelist::open(dir.path(), "example.com/app").unwrap();
        std::fs::create_dir_all(cl.dir()).unwrap();
        std::fs::write(cl.dir().join("00000000000000000001_x.change"), b"{not json").unwrap();
        let err = cl.list().unwrap_err().to_string();
        assert!(err.contains("00000000000000000001_x.change") && err.contains("remove it"), "{err}");
    }
}
