//! Opening a bundle: a directory, or an archive unpacked once into a private
//! temporary directory that is removed when the last handle is dropped.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::archive::{self, is_archive_path};
use super::manifest::{MANIFEST_FILE, MAX_MANIFEST_BYTES, Manifest, RepositoryEntry};
use crate::{Error, Result};

/// The most an archive may unpack to (headers included).
pub const MAX_UNPACKED_BYTES: u64 = 16 << 30;

/// An opened bundle: its parsed manifest and where its files are. Cheap to clone
/// (clones share the unpacked copy of an archive).
#[derive(Clone)]
pub struct Bundle {
    inner: Arc<Opened>,
}

struct Opened {
    /// The path the user named (a directory or an archive).
    source: PathBuf,
    /// The directory the files are read from.
    root: PathBuf,
    manifest: Manifest,
    /// The private copy of an archive's contents, removed on drop.
    _unpacked: Option<tempfile::TempDir>,
}

impl fmt::Debug for Bundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bundle").field("source", &self.inner.source).finish()
    }
}

impl Bundle {
    /// Opens the bundle at `path`: a directory, or a `.tar` / `.tar.gz` / `.tgz` file
    /// (any other file is tried as an archive too), and parses its manifest.
    pub fn open(path: &Path) -> Result<Bundle> {
        Bundle::open_with(path, &|_| true)
    }

    /// Opens the bundle at `path` to read only repository `gun`: an archive has only
    /// its manifest and that repository's files unpacked (the rest is read and
    /// checked, not written), so one lookup in a large archive costs little more
    /// than decompressing it.
    pub fn open_repository(path: &Path, gun: &str) -> Result<Bundle> {
        let tuf_dir = super::manifest::file_path(Path::new(""), gun, "");
        Bundle::open_with(path, &|rel: &Path| rel == Path::new(MANIFEST_FILE) || rel.starts_with(&tuf_dir))
    }

    fn open_with(path: &Path, keep: &dyn Fn(&Path) -> bool) -> Result<Bundle> {
        let meta = std::fs::metadata(path)
            .map_err(|e| Error::io(path, e).noted("name a bundle directory or archive that `trust export` wrote"))?;
        let (root, unpacked) = if meta.is_dir() {
            (path.to_owned(), None)
        } else {
            let tmp = tempfile::Builder::new()
                .prefix("trust-bundle-")
                .tempdir()
                .map_err(|e| Error::io(std::env::temp_dir(), e))?;
            let into = tmp.path().join("bundle");
            archive::unpack_only(path, &into, MAX_UNPACKED_BYTES, keep).map_err(|e| match e {
                Error::InvalidInput(m) if !is_archive_path(path) => {
                    Error::InvalidInput(format!("{m} (a bundle is a directory or a .tar, .tar.gz or .tgz file)"))
                }
                e => e,
            })?;
            (into, Some(tmp))
        };
        let manifest_path = root.join(MANIFEST_FILE);
        let bytes = read_manifest(&manifest_path).map_err(|e| match e {
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => Error::InvalidInput(format!(
                "{} is not a trust bundle (no {MANIFEST_FILE}); name a bundle that `trust export` wrote",
                path.display()
            )),
            e => e,
        })?;
        let manifest = Manifest::parse(&bytes).map_err(|e| e.noted(format!("in {}", path.display())))?;
        Ok(Bundle { inner: Arc::new(Opened { source: path.to_owned(), root, manifest, _unpacked: unpacked }) })
    }

    /// The path the bundle was opened from.
    pub fn source(&self) -> &Path {
        &self.inner.source
    }

    /// The directory its files are read from (the bundle itself, or an archive's
    /// unpacked copy).
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// The parsed manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.inner.manifest
    }

    /// The manifest entry of `gun`, or [`Error::RepositoryNotFound`] naming the bundle.
    pub fn repository(&self, gun: &str) -> Result<&RepositoryEntry> {
        self.inner.manifest.repositories.get(gun).ok_or_else(|| self.not_found(gun))
    }

    pub(crate) fn not_found(&self, gun: &str) -> Error {
        Error::RepositoryNotFound { gun: gun.to_owned(), server: format!("bundle {}", self.inner.source.display()) }
    }

    /// File `name` of `gun` as the manifest lists it, its bytes checked against the
    /// manifest's SHA-256 and length; `Ok(None)` when the manifest does not list it.
    /// More than `max_len` bytes is a size-limit error of the file's role.
    pub fn read(&self, gun: &str, name: &str, max_len: u64) -> Result<Option<Vec<u8>>> {
        let entry = self.repository(gun)?;
        let Some(file) = entry.files.get(name) else { return Ok(None) };
        let role = super::manifest::role_of(name);
        if file.length > max_len {
            return Err(crate::http::size_limit::too_large(role, max_len));
        }
        let path = super::manifest::file_path(&self.inner.root, gun, name);
        let handle = std::fs::File::open(&path).map_err(|e| {
            Error::verification(
                role,
                format!("bundle file {gun}/{name} is listed in the manifest but cannot be read ({e}): the bundle is incomplete; export it again"),
            )
        })?;
        // One byte past the manifest's length is enough to tell a longer file.
        let bytes = crate::http::size_limit::read_limited(handle, file.length.saturating_add(1), role, |e| {
            Error::io(&path, e)
        })?;
        file.check(gun, name, &bytes)?;
        Ok(Some(bytes))
    }
}

fn read_manifest(path: &Path) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    crate::http::size_limit::read_limited(file, MAX_MANIFEST_BYTES, MANIFEST_FILE, |e| Error::io(path, e))
        .map_err(|e| e.noted(format!("reading {}", path.display())))
}
