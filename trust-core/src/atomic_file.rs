//! Writing a file so that readers see the old bytes or the new ones, never a mix, and
//! a crash leaves no half-written file: a temporary file in the same directory is
//! written and fsynced, renamed into place, then the directory is fsynced.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// Who may read what is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The owner only: directories created 0700, the file 0600 from its first byte
    /// (keys, the cache, staged changes).
    Private,
    /// Missing directories created as the process's umask allows (what a file remote
    /// publishes). The file itself is 0600 either way, the temporary file's mode.
    Shared,
}

/// Writes `bytes` to `path` atomically, creating missing directories. With `replace`
/// false an existing file is an error and is left as it was.
pub fn write(path: &Path, bytes: &[u8], access: Access, replace: bool) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        if access == Access::Private {
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        }
        builder.create(&dir).map_err(|e| Error::io(&dir, e))?;
    }
    let mut builder = tempfile::Builder::new();
    builder.prefix(".tmp-");
    #[cfg(unix)]
    if access == Access::Private {
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
    }
    let mut tmp = builder.tempfile_in(&dir).map_err(|e| Error::io(&dir, e))?;
    tmp.write_all(bytes).and_then(|()| tmp.as_file().sync_all()).map_err(|e| Error::io(tmp.path(), e))?;
    if replace {
        tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| Error::io(path, e.error))?;
    }
    sync_dir(&dir)
}

/// Makes a rename in `dir` durable.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<()> {
    fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| Error::io(dir, e))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn no_clobber_and_modes() {
        use std::os::unix::fs::PermissionsExt as _;

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/file");
        write(&path, b"one", Access::Private, false).unwrap();
        let err = write(&path, b"two", Access::Private, false).unwrap_err();
        assert!(
            matches!(&err, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists),
            "{err}"
        );
        assert_eq!(fs::read(&path).unwrap(), b"one");
        write(&path, b"three", Access::Private, true).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"three");
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::metadata(dir.path().join("a")).unwrap().permissions().mode() & 0o777, 0o700);
        let names: Vec<_> = fs::read_dir(dir.path().join("a/b")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["file"], "no temporary file is left behind");
    }

    #[test]
    #[cfg(unix)]
    fn shared_directories_keep_the_umask() {
        use std::os::unix::fs::PermissionsExt as _;

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v2/x.json");
        write(&path, b"{}", Access::Shared, true).unwrap();
        assert_ne!(fs::metadata(dir.path().join("v2")).unwrap().permissions().mode() & 0o777, 0o700);
    }
}
