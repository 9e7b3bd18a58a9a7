//! The staging directory beside a bundle being exported, `<BUNDLE>.partial/`: each
//! finished repository is written there atomically (its files and its manifest
//! entry, in one directory renamed into place), so an interrupted export loses
//! nothing it finished and the next run with the same output picks it up. The final
//! bundle is assembled from it, and it is removed once the bundle is in place.
//!
//! ```text
//! <BUNDLE>.partial/lock                 held by the running export
//! <BUNDLE>.partial/<sha256(gun)>/       one finished repository:
//!     entry.json                        {"gun", "server", "entry": RepositoryEntry}
//!     1.root.json, targets/releases.json, …
//! ```
//!
//! Staged files are not fsynced one by one (at 100 repositories of 10 files that
//! alone took seconds): a run that picks up a staged repository checks every file
//! against the entry's SHA-256 and length, so one a crash left short is exported
//! again. The assembled bundle is flushed to disk once, before it is put in place.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::destination::cannot_write_hint;
use crate::bundle::manifest::{MANIFEST_FILE, Manifest, RepositoryEntry, check_file_name, file_path};
use crate::bundle::swap::flush_to_disk;
use crate::{Error, Result};

/// Marks the temporary directories of a run; a later run removes those it finds.
const TEMP_MARK: &str = ".tmp-";
const LOCK_FILE: &str = "lock";
const ENTRY_FILE: &str = "entry.json";

/// A finished repository's record in the staging directory.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Staged {
    /// The repository.
    pub gun: String,
    /// The trust server it was exported from.
    pub server: String,
    /// Its manifest entry.
    pub entry: RepositoryEntry,
}

/// An open, locked staging directory.
#[derive(Debug)]
pub(crate) struct Staging {
    dir: PathBuf,
    _lock: File,
}

/// `<output>.partial`.
pub(crate) fn staging_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    output.with_file_name(name)
}

impl Staging {
    /// Opens (creating it if missing) the staging directory of `output`, locks it
    /// against a second export to the same output, and removes what a killed run
    /// left half-written.
    pub(crate) fn open(output: &Path) -> Result<Staging> {
        let dir = staging_path(output);
        match fs::create_dir(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => {}
            Err(e) => return Err(Error::io(&dir, e).noted(cannot_write_hint(output))),
        }
        let lock_path = dir.join(LOCK_FILE);
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(&lock_path, e).noted(cannot_write_hint(output)))?;
        if lock.try_lock().is_err() {
            return Err(Error::InvalidInput(format!(
                "another trust export is writing {} (it holds {}); wait for it to finish",
                output.display(),
                lock_path.display()
            )));
        }
        let staging = Staging { dir, _lock: lock };
        staging.sweep()?;
        Ok(staging)
    }

    /// The staging directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Removes temporary directories of killed runs (this run holds the lock, so no
    /// other writer is alive).
    fn sweep(&self) -> Result<()> {
        for entry in fs::read_dir(&self.dir).map_err(|e| Error::io(&self.dir, e))? {
            let entry = entry.map_err(|e| Error::io(&self.dir, e))?;
            if entry.file_name().to_string_lossy().contains(TEMP_MARK) {
                remove_any(&entry.path())?;
            }
        }
        Ok(())
    }

    fn repo_dir(&self, gun: &str) -> PathBuf {
        let digest =
            trust_tuf::crypto::backend::digest::digest(&trust_tuf::crypto::backend::digest::SHA256, gun.as_bytes());
        self.dir.join(hex::encode(digest))
    }

    /// The finished record of `gun`, when an earlier run staged it. A record that
    /// does not parse or names another repository is ignored (the repository is
    /// exported again).
    pub(crate) fn load(&self, gun: &str) -> Result<Option<Staged>> {
        let path = self.repo_dir(gun).join(ENTRY_FILE);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let staged: Option<Staged> = serde_json::from_slice(&bytes).ok();
        Ok(staged.filter(|s| s.gun == gun && s.entry.files.keys().all(|name| check_file_name(name).is_ok())))
    }

    /// Where a staged file of `gun` is.
    pub(crate) fn file(&self, gun: &str, name: &str) -> PathBuf {
        let mut path = self.repo_dir(gun);
        path.extend(name.split('/'));
        path
    }

    /// Writes a finished repository: its files and record into a temporary
    /// directory, renamed into place (replacing an older record of it).
    pub(crate) fn store(&self, staged: &Staged, files: &BTreeMap<String, Vec<u8>>) -> Result<()> {
        let target = self.repo_dir(&staged.gun);
        let tmp = temp_sibling(&target);
        let written = (|| {
            fs::create_dir(&tmp).map_err(|e| Error::io(&tmp, e))?;
            for (name, bytes) in files {
                check_file_name(name).map_err(|why| Error::InvalidInput(format!("file {name:?}: {why}")))?;
                let mut path = tmp.clone();
                path.extend(name.split('/'));
                write_new(&path, bytes)?;
            }
            let record = serde_json::to_vec_pretty(staged).map_err(|e| Error::InvalidInput(e.to_string()))?;
            write_new(&tmp.join(ENTRY_FILE), &record)?;
            if target.exists() {
                remove_any(&target)?;
            }
            fs::rename(&tmp, &target).map_err(|e| Error::io(&target, e))
        })();
        if written.is_err() {
            let _ = remove_any(&tmp);
        }
        written
    }

    /// Builds the bundle `manifest` describes in a temporary directory inside the
    /// staging directory, and returns its path. The files are hard links (so the
    /// originals stay until the bundle is in place): to the staged files, or for the
    /// repositories in `from_previous`, to those of the bundle directory named there.
    pub(crate) fn assemble(&self, manifest: &Manifest, from_previous: &HashMap<String, PathBuf>) -> Result<PathBuf> {
        let out = self.dir.join(format!("bundle{TEMP_MARK}{}", std::process::id()));
        if out.exists() {
            remove_any(&out)?;
        }
        fs::create_dir(&out).map_err(|e| Error::io(&out, e))?;
        for (gun, entry) in &manifest.repositories {
            for name in entry.files.keys() {
                let from = match from_previous.get(gun) {
                    Some(previous) => file_path(previous, gun, name),
                    None => self.file(gun, name),
                };
                let to = file_path(&out, gun, name);
                if let Some(parent) = to.parent() {
                    fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
                }
                if fs::hard_link(&from, &to).is_err() {
                    fs::copy(&from, &to).map_err(|e| Error::io(&from, e))?;
                }
            }
        }
        write_new(&out.join(MANIFEST_FILE), &manifest.to_bytes())?;
        flush_to_disk(&out)?;
        Ok(out)
    }

    /// True when no finished repository is staged.
    pub(crate) fn is_empty(&self) -> Result<bool> {
        for entry in fs::read_dir(&self.dir).map_err(|e| Error::io(&self.dir, e))? {
            let entry = entry.map_err(|e| Error::io(&self.dir, e))?;
            if entry.path().join(ENTRY_FILE).is_file() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Removes the staging directory (once the bundle is in place).
    pub(crate) fn remove(self) -> Result<()> {
        remove_any(&self.dir)
    }

    /// After a failure: removes the staging directory when it holds no finished
    /// repository; otherwise keeps it for the next run and says so.
    pub(crate) fn close_after_failure(self) -> Option<String> {
        match self.is_empty() {
            Ok(true) => {
                let _ = remove_any(&self.dir);
                None
            }
            _ => {
                let _ = self.sweep();
                Some(format!(
                    "the repositories finished so far are kept in {}; run the same export again to continue",
                    self.dir.display()
                ))
            }
        }
    }
}

/// `<path>.tmp-<pid>`.
fn temp_sibling(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!("{TEMP_MARK}{}", std::process::id()));
    path.with_file_name(name)
}

/// Writes `path`, creating its parent directories.
fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let mut file = File::create(path).map_err(|e| Error::io(path, e))?;
    file.write_all(bytes).map_err(|e| Error::io(path, e))
}

/// Removes a file or a directory tree; a missing one is no error.
pub(crate) fn remove_any(path: &Path) -> Result<()> {
    let removed = match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    };
    removed.map_err(|e| Error::io(path, e))
}
