//! The local TUF cache, in docker's layout: `<trust dir>/tuf/<gun>/metadata/<role>.json`,
//! with delegations in sub-directories (`targets/releases.json`).
//!
//! Only the client writes here, and only bytes the trusted state machine accepted. Writes
//! are atomic (temporary file in the same directory, fsync, rename), directories are
//! created `0700` and files `0600`.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::Error;
use crate::atomic_file::{self, Access};
use trust_tuf::reference::check_gun;
use trust_tuf::wire::is_valid_role_name;

/// Largest cached file [`Cache::load`] reads (notary's `MaxDownloadSize`, 100 MiB).
pub const MAX_CACHED_FILE: u64 = 100 << 20;

/// The cached metadata of one repository (GUN).
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

/// `<trust_dir>/tuf/<gun>/`: a repository's cached metadata and staged changes. Checks
/// the GUN (no path traversal).
pub(crate) fn repository_dir(trust_dir: &Path, gun: &str) -> Result<PathBuf, Error> {
    check_gun(gun)?;
    let mut dir = trust_dir.join("tuf");
    dir.extend(gun.split('/'));
    Ok(dir)
}

impl Cache {
    /// The cache of `gun` under `trust_dir`. Checks the GUN (no path traversal); creates
    /// nothing until [`Cache::store`].
    pub fn open(trust_dir: &Path, gun: &str) -> Result<Self, Error> {
        Ok(Cache { dir: repository_dir(trust_dir, gun)?.join("metadata") })
    }

    /// The cached bytes of `role`, or `None` if there are none. Refuses files over
    /// [`MAX_CACHED_FILE`].
    pub fn load(&self, role: &str) -> Result<Option<Vec<u8>>, Error> {
        let path = self.path(role)?;
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(path, e)),
        };
        let too_big =
            || Error::verification(role, format!("cached file exceeds the {MAX_CACHED_FILE}-byte size limit"));
        let len = file.metadata().map_err(|e| Error::io(&path, e))?.len();
        if len > MAX_CACHED_FILE {
            return Err(too_big());
        }
        // Sized by the file (one read, not a series of growing ones); the limit still
        // holds if it grows meanwhile.
        let mut bytes = Vec::with_capacity(len as usize + 1);
        file.take(MAX_CACHED_FILE + 1).read_to_end(&mut bytes).map_err(|e| Error::io(&path, e))?;
        if bytes.len() as u64 > MAX_CACHED_FILE {
            return Err(too_big());
        }
        Ok(Some(bytes))
    }

    /// True when a cached file of `role` exists (its bytes are not read or checked).
    pub fn holds(&self, role: &str) -> bool {
        self.path(role).is_ok_and(|path| path.is_file())
    }

    /// Replaces the cached bytes of `role` atomically: a temporary file in the same
    /// directory is written, fsynced and renamed over the old one, then the directory is
    /// fsynced. Only the client calls this, with bytes the trusted state machine accepted.
    pub fn store(&self, role: &str, bytes: &[u8]) -> Result<(), Error> {
        atomic_file::write(&self.path(role)?, bytes, Access::Private, true)
    }

    /// Replaces the cached bytes of several roles, each atomically as [`Cache::store`]
    /// does, with one fsync per directory instead of one per file
    /// ([`atomic_file::write_each`]): a first contact writes four files at once.
    pub fn store_each(&self, files: &[(&str, &[u8])]) -> Result<(), Error> {
        let files =
            files.iter().map(|(role, bytes)| Ok((self.path(role)?, *bytes))).collect::<Result<Vec<_>, Error>>()?;
        atomic_file::write_each(&files, Access::Private)
    }

    /// Deletes the cached bytes of `role`; nothing to delete is not an error.
    pub fn remove(&self, role: &str) -> Result<(), Error> {
        let path = self.path(role)?;
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::io(path, e)),
            _ => Ok(()),
        }
    }

    /// The metadata directory, `<trust dir>/tuf/<gun>/metadata`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `<dir>/<role>.json`, delegation roles as sub-directories.
    fn path(&self, role: &str) -> Result<PathBuf, Error> {
        if !is_valid_role_name(role) {
            return Err(Error::InvalidInput(format!("invalid role name {role:?}")));
        }
        let mut path = self.dir.clone();
        path.extend(role.split('/'));
        path.set_extension("json");
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn cache(trust: &Path, gun: &str) -> Cache {
        match Cache::open(trust, gun) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        }
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()))
            .into_iter()
            .flatten()
            .collect();
        v.sort();
        v
    }

    #[test]
    fn layout_and_round_trip() -> Result<(), Error> {
        let tmp = tempfile::tempdir().map_err(|e| Error::io("tmp", e))?;
        let c = cache(tmp.path(), "localhost:5000/test/app");
        assert_eq!(c.dir(), tmp.path().join("tuf/localhost:5000/test/app/metadata"));
        assert!(!tmp.path().join("tuf").exists(), "open must not create directories");
        assert_eq!(c.load("root")?, None);

        c.store("root", b"v1")?;
        c.store("root", b"version two")?;
        assert_eq!(c.load("root")?.as_deref(), Some(&b"version two"[..]));
        assert_eq!(fs::read(c.dir().join("root.json")).ok().as_deref(), Some(&b"version two"[..]));
        assert_eq!(names(c.dir()), ["root.json"], "no temporary file may be left behind");

        c.remove("root")?;
        assert_eq!(c.load("root")?, None);
        c.remove("root")?;
        Ok(())
    }

    #[test]
    fn delegations_live_in_sub_directories() -> Result<(), Error> {
        let tmp = tempfile::tempdir().map_err(|e| Error::io("tmp", e))?;
        let c = cache(tmp.path(), "docker.io/library/alpine");
        c.store("targets/releases", b"rel")?;
        c.store("targets/team/bob", b"bob")?;
        assert!(c.dir().join("targets/releases.json").is_file());
        assert!(c.dir().join("targets/team/bob.json").is_file());
        assert_eq!(c.load("targets/team/bob")?.as_deref(), Some(&b"bob"[..]));
        assert_eq!(names(&c.dir().join("targets")), ["releases.json", "team"]);
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn private_modes() -> Result<(), Error> {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().map_err(|e| Error::io("tmp", e))?;
        let trust = tmp.path().join("trust");
        let c = cache(&trust, "example.com/a");
        c.store("targets/releases", b"x")?;
        let mode = |p: &Path| fs::metadata(p).map(|m| m.permissions().mode() & 0o777).ok();
        assert_eq!(mode(&c.dir().join("targets/releases.json")), Some(0o600));
        for dir in [
            trust.clone(),
            trust.join("tuf"),
            trust.join("tuf/example.com"),
            trust.join("tuf/example.com/a"),
            c.dir().to_path_buf(),
            c.dir().join("targets"),
        ] {
            assert_eq!(mode(&dir), Some(0o700), "{}", dir.display());
        }
        Ok(())
    }

    #[test]
    fn invalid_roles_and_guns_are_refused() {
        let tmp = std::env::temp_dir();
        let c = cache(&tmp, "example.com/a");
        for role in ["../root", "targets/../../x", "Root", "targets/", "", "/root", "targets/a.b"] {
            assert_eq!(c.store(role, b"x").err().map(|e| e.kind()), Some(ErrorKind::InvalidInput));
            assert_eq!(c.load(role).err().map(|e| e.kind()), Some(ErrorKind::InvalidInput));
            assert_eq!(c.remove(role).err().map(|e| e.kind()), Some(ErrorKind::InvalidInput));
        }
        for gun in ["../x", "/abs", "a//b", "a/./b", ""] {
            assert_eq!(Cache::open(&tmp, gun).err().map(|e| e.kind()), Some(ErrorKind::InvalidInput));
        }
    }

    #[test]
    fn oversized_cache_files_are_refused() -> Result<(), Error> {
        let tmp = tempfile::tempdir().map_err(|e| Error::io("tmp", e))?;
        let c = cache(tmp.path(), "example.com/a");
        c.store("timestamp", b"{}")?;
        let f = File::options().write(true).open(c.dir().join("timestamp.json")).map_err(|e| Error::io("ts", e))?;
        f.set_len(MAX_CACHED_FILE + 1).map_err(|e| Error::io("ts", e))?;
        let e = c.load("timestamp").err();
        assert_eq!(e.as_ref().map(|e| e.kind()), Some(ErrorKind::Verification));
        assert!(e.map(|e| e.to_string()).unwrap_or_default().contains("size limit"));
        Ok(())
    }
}
