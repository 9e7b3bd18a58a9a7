//! Changes staged on disk before any network call, notary's layout:
//! `<trust dir>/tuf/<gun>/changelist/<20-digit unix nanos>_<random>.change`.
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
        crate::reference::check_gun(gun)?;
        Ok(Changelist { dir: trust_dir.join("tuf").join(gun).join("changelist") })
    }

    /// Stages `change`, atomically, and returns its file.
    pub fn stage(&self, change: &Change) -> Result<PathBuf> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let mut random = [0u8; 8];
        crate::crypto::backend::rand::SecureRandom::fill(
            &crate::crypto::backend::rand::SystemRandom::new(),
            &mut random,
        )
        .map_err(|_| Error::InvalidInput("no randomness for a change file name".into()))?;
        let path = self.dir.join(format!("{nanos:020}_{}.change", hex::encode(random)));
        let bytes = serde_json::to_vec(change).map_err(|e| Error::InvalidInput(e.to_string()))?;
        crate::atomic_file::write(&path, &bytes, crate::atomic_file::Access::Private, true)?;
        Ok(path)
    }

    /// Every staged change, oldest first. A file that cannot be read is an error
    /// that names it (nothing is dropped silently).
    pub fn list(&self) -> Result<Vec<Staged>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
            Err(e) => return Err(Error::io(&self.dir, e)),
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "change"))
            .collect();
        paths.sort();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::FileMeta;

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
    fn an_unreadable_change_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let cl = Changelist::open(dir.path(), "example.com/app").unwrap();
        std::fs::create_dir_all(cl.dir()).unwrap();
        std::fs::write(cl.dir().join("00000000000000000001_x.change"), b"{not json").unwrap();
        let err = cl.list().unwrap_err().to_string();
        assert!(err.contains("00000000000000000001_x.change") && err.contains("remove it"), "{err}");
    }
}
