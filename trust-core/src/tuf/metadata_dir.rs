//! The client's metadata directory: the metadata it trusts, one file per role under
//! its plain name (`root.json`, `timestamp.json`, `snapshot.json`, `targets.json`, a
//! delegated role's name percent-encoded, as python-tuf stores them). Only bytes the
//! trusted set accepted are written, each atomically.

use std::io::Read;
use std::path::{Path, PathBuf};

use trust_tuf::tuf1::naming::stored_file_name;

use crate::atomic_file::{self, Access};
use crate::{Error, Result};

/// A metadata directory.
#[derive(Debug, Clone)]
pub(crate) struct MetadataDir {
    path: PathBuf,
}

impl MetadataDir {
    pub(crate) fn new(path: &Path) -> Self {
        MetadataDir { path: path.to_owned() }
    }

    /// The file of `role`.
    pub(crate) fn file(&self, role: &str) -> PathBuf {
        self.path.join(stored_file_name(role))
    }

    /// The stored copy of `role`, at most `max_len` bytes (a larger file is treated as
    /// absent: it cannot be a copy the client accepted). `None` when there is none.
    pub(crate) fn load(&self, role: &str, max_len: u64) -> Result<Option<Vec<u8>>> {
        let path = self.file(role);
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let mut bytes = Vec::new();
        file.take(max_len.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| Error::io(&path, e))?;
        Ok((bytes.len() as u64 <= max_len).then_some(bytes))
    }

    /// Deletes the stored copy of `role`, if any.
    pub(crate) fn remove(&self, role: &str) -> Result<()> {
        let path = self.file(role);
        match std::fs::remove_file(&path) {
            Ok(()) => {
                log::debug!("removed {}", path.display());
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&path, e)),
        }
    }

    /// Stores `bytes` as the trusted copy of `role`, atomically.
    pub(crate) fn persist(&self, role: &str, bytes: &[u8]) -> Result<()> {
        log::debug!("storing {} ({} bytes)", self.file(role).display(), bytes.len());
        atomic_file::write(&self.file(role), bytes, Access::Shared, true)
    }
}
