//! Putting a new bundle directory in place of an installed one in one step, so a
//! reader sees the old bundle or the new one, never neither; and making what was
//! written durable first.

use std::fs;
#[cfg(target_os = "linux")]
use std::io;
use std::path::Path;

use crate::{Error, Result};

/// Swaps directories `a` and `b` in one step (Linux `renameat2(RENAME_EXCHANGE)`);
/// afterwards `a` holds what `b` held.
#[cfg(target_os = "linux")]
pub(crate) fn exchange(a: &Path, b: &Path) -> Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(|e| Error::io(b, io::Error::from(e)))
}

/// Elsewhere: `b` moved aside, `a` into its place, the old `b` to `a`.
#[cfg(not(target_os = "linux"))]
pub(crate) fn exchange(a: &Path, b: &Path) -> Result<()> {
    let aside = a.with_extension("old");
    fs::rename(b, &aside).map_err(|e| Error::io(b, e))?;
    fs::rename(a, b).map_err(|e| Error::io(b, e))?;
    fs::rename(&aside, a).map_err(|e| Error::io(a, e))
}

/// Fsyncs directory `dir` (its entries' renames become durable).
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| Error::io(dir, e))
}

/// Flushes everything written below `dir` to disk: one `syncfs` of its file system
/// (Linux), else an fsync of every file and directory.
#[cfg(target_os = "linux")]
pub(crate) fn flush_to_disk(dir: &Path) -> Result<()> {
    let d = fs::File::open(dir).map_err(|e| Error::io(dir, e))?;
    rustix::fs::syncfs(&d).map_err(|e| Error::io(dir, std::io::Error::from(e)))
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn flush_to_disk(dir: &Path) -> Result<()> {
    for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if path.is_dir() {
            flush_to_disk(&path)?;
        } else {
            fs::File::open(&path).and_then(|f| f.sync_all()).map_err(|e| Error::io(&path, e))?;
        }
    }
    sync_dir(dir)
}
