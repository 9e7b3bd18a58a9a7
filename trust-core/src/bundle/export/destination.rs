//! Where a bundle goes: a directory, or one archive when the name ends in `.tar`,
//! `.tar.gz` or `.tgz`. Checked before any network work; replaced atomically.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::bundle::manifest::{MANIFEST_FILE, MAX_MANIFEST_BYTES, Manifest};
use crate::{Error, Result};

/// What `--output` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleKind {
    /// A directory.
    Directory,
    /// One `.tar`, `.tar.gz` or `.tgz` file.
    Archive,
}

impl BundleKind {
    /// The kind a bundle path names, by its extension.
    pub fn of(path: &Path) -> BundleKind {
        if crate::bundle::archive::is_archive_path(path) { BundleKind::Archive } else { BundleKind::Directory }
    }
}

/// The checked output of an export.
#[derive(Debug, Clone)]
pub(crate) struct Destination {
    pub path: PathBuf,
    pub kind: BundleKind,
}

/// What to do when the bundle's directory cannot be written.
pub(crate) fn cannot_write_hint(output: &Path) -> String {
    format!(
        "cannot write the bundle {}: its directory must exist and be writable; nothing was written",
        output.display()
    )
}

fn refuse(path: &Path, kind: io::ErrorKind, what: &str) -> Error {
    Error::io(path, io::Error::new(kind, what.to_owned()))
        .noted("choose another --output, or remove what is there; nothing was written")
}

impl Destination {
    /// Checks `path` as an export's output: what is there must be of its kind (an
    /// existing directory must be a bundle or empty, so that replacing it loses
    /// nothing else).
    pub(crate) fn check(path: &Path) -> Result<Destination> {
        if path.as_os_str().is_empty() || path.file_name().is_none() {
            return Err(Error::InvalidInput(format!(
                "--output {}: name a bundle directory or archive file",
                path.display()
            )));
        }
        let kind = BundleKind::of(path);
        let dest = Destination { path: path.to_owned(), kind };
        match (fs::symlink_metadata(path), kind) {
            (Err(e), _) if e.kind() == io::ErrorKind::NotFound => {}
            (Err(e), _) => return Err(Error::io(path, e).noted(cannot_write_hint(path))),
            (Ok(m), BundleKind::Archive) if m.is_dir() => {
                return Err(refuse(
                    path,
                    io::ErrorKind::IsADirectory,
                    "is a directory, and the name asks for an archive file",
                ));
            }
            (Ok(_), BundleKind::Archive) => {}
            (Ok(m), BundleKind::Directory) if !m.is_dir() => {
                return Err(refuse(
                    path,
                    io::ErrorKind::NotADirectory,
                    "is not a directory (a bundle directory is needed; name an archive .tar, .tar.gz or .tgz)",
                ));
            }
            (Ok(_), BundleKind::Directory) => {
                let empty = fs::read_dir(path).map_err(|e| Error::io(path, e))?.next().is_none();
                if !empty && dest.previous_manifest().is_err() {
                    return Err(refuse(
                        path,
                        io::ErrorKind::AlreadyExists,
                        "exists and is not a trust bundle (no valid manifest.json), so it is not replaced",
                    ));
                }
            }
        }
        Ok(dest)
    }

    /// The manifest of the bundle directory already at the output.
    fn previous_manifest(&self) -> Result<Manifest> {
        let path = self.path.join(MANIFEST_FILE);
        let file = fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
        let bytes =
            crate::http::size_limit::read_limited(file, MAX_MANIFEST_BYTES, "manifest", |e| Error::io(&path, e))?;
        Manifest::parse(&bytes)
    }

    /// The complete bundle directory already at the output, when there is one.
    pub(crate) fn previous_directory(&self) -> Option<(PathBuf, Manifest)> {
        if self.kind != BundleKind::Directory {
            return None;
        }
        self.previous_manifest().ok().map(|m| (self.path.clone(), m))
    }

    /// Puts the assembled bundle directory `assembled` in place of the output:
    /// renamed in (an existing bundle directory is swapped out in the same step and
    /// `assembled` then holds it), or packed into the archive. A reader sees the old
    /// bundle or the new one.
    pub(crate) fn commit(&self, assembled: &Path) -> Result<()> {
        match self.kind {
            BundleKind::Archive => crate::bundle::archive::pack(assembled, &self.path),
            BundleKind::Directory => {
                if self.path.is_dir() {
                    crate::bundle::swap::exchange(assembled, &self.path)?;
                } else {
                    fs::rename(assembled, &self.path).map_err(|e| Error::io(&self.path, e))?;
                }
                crate::bundle::swap::sync_dir(&crate::bundle::archive::parent_of(&self.path))
            }
        }
    }
}
