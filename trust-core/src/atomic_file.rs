//! Writing a file so that readers see the old bytes or the new ones, never a mix, and
//! a crash leaves no half-written file: a temporary file in the same directory is
//! written and fsynced, renamed into place, then the directory is fsynced.
//!
//! A process killed while writing (SIGKILL, a power cut) cannot remove its temporary
//! file. So each one is named `.tmp-<pid>-<random>` and locked by its writer, and the
//! first write of a process into a directory removes the temporary files there whose
//! writer is gone: its process no longer runs (Linux: no `/proc/<pid>`) and nobody
//! holds the file's lock.

use std::collections::HashSet;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// An exclusive lock on the lock file `path` (created, empty, if missing), for
/// writers that take turns; held until the returned file is dropped.
pub fn lock(path: &Path) -> Result<fs::File> {
    let file =
        fs::OpenOptions::new().create(true).truncate(false).write(true).open(path).map_err(|e| Error::io(path, e))?;
    file.lock().map_err(|e| Error::io(path, e))?;
    Ok(file)
}

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
    let staged = stage(path, bytes, access)?;
    let dir = staged.dir.clone();
    staged.persist(replace)?;
    sync_dir(&dir)
}

/// Replaces several files, each atomically as [`write()`] does, with fewer fsyncs:
/// every file is written and fsynced beside its destination first, then each is
/// renamed into place in the order given, then each directory is fsynced once (not
/// once per file). An error before the renames leaves every destination as it was;
/// one during them leaves the files before it replaced, as writing them one by one
/// would.
pub fn write_each(files: &[(PathBuf, &[u8])], access: Access) -> Result<()> {
    let staged = files.iter().map(|(path, bytes)| stage(path, bytes, access)).collect::<Result<Vec<_>>>()?;
    let mut dirs: Vec<PathBuf> = Vec::new();
    for file in staged {
        if !dirs.contains(&file.dir) {
            dirs.push(file.dir.clone());
        }
        file.persist(true)?;
    }
    dirs.iter().try_for_each(|dir| sync_dir(dir))
}

/// A file written and fsynced beside its destination, not yet in place.
struct Staged {
    tmp: tempfile::NamedTempFile,
    path: PathBuf,
    dir: PathBuf,
}

impl Staged {
    /// Renames the file into place (over an existing one only with `replace`).
    fn persist(self, replace: bool) -> Result<()> {
        let Staged { tmp, path, .. } = self;
        if replace {
            tmp.persist(&path).map_err(|e| Error::io(&path, e.error))?;
        } else {
            tmp.persist_noclobber(&path).map_err(|e| Error::io(&path, e.error))?;
        }
        Ok(())
    }
}

/// Writes `bytes` to a temporary file in `path`'s directory (created when missing)
/// and fsyncs it.
fn stage(path: &Path, bytes: &[u8], access: Access) -> Result<Staged> {
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
    sweep_once(&dir);
    let prefix = format!("{TEMP_PREFIX}{}-", std::process::id());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix);
    #[cfg(unix)]
    if access == Access::Private {
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
    }
    let mut tmp = builder.tempfile_in(&dir).map_err(|e| Error::io(&dir, e))?;
    // Held until the file is closed: tells a sweeping process this writer is alive.
    tmp.as_file().lock().map_err(|e| Error::io(tmp.path(), e))?;
    tmp.write_all(bytes).and_then(|()| tmp.as_file().sync_all()).map_err(|e| Error::io(tmp.path(), e))?;
    Ok(Staged { tmp, path: path.to_owned(), dir })
}

/// How temporary files' names start.
const TEMP_PREFIX: &str = ".tmp-";

/// Most directories remembered as swept.
const MAX_SWEPT: usize = 16_384;

/// Removes, once per process and directory, the temporary files in `dir` that
/// killed writers left behind. Best effort: a file that cannot be removed stays.
fn sweep_once(dir: &Path) {
    static SWEPT: std::sync::Mutex<Option<HashSet<PathBuf>>> = std::sync::Mutex::new(None);
    {
        let Ok(mut swept) = SWEPT.lock() else { return };
        let swept = swept.get_or_insert_with(HashSet::new);
        if swept.contains(dir) {
            return;
        }
        // A long-lived process (the engine hook) writes into ever more directories:
        // past the bound they are forgotten, and a directory is swept again (harmless).
        if swept.len() >= MAX_SWEPT {
            swept.clear();
        }
        swept.insert(dir.to_owned());
    }
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(writer_pid) else { continue };
        if pid != std::process::id() && !process_runs(pid) && unlocked(&entry.path()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The writer's process ID in a temporary file's name (`.tmp-<pid>-<random>`).
fn writer_pid(name: &str) -> Option<u32> {
    name.strip_prefix(TEMP_PREFIX)?.split_once('-')?.0.parse().ok()
}

/// Whether process `pid` runs. Without `/proc` nothing can be told from the ID, and
/// only the lock decides.
fn process_runs(pid: u32) -> bool {
    let proc = Path::new("/proc");
    proc.join("self").exists() && proc.join(pid.to_string()).exists()
}

/// True when nobody holds `path`'s lock (its writer is gone, even one in another PID
/// namespace sharing the directory).
fn unlocked(path: &Path) -> bool {
    fs::File::open(path).is_ok_and(|f| f.try_lock().is_ok())
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
    fn several_files_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("m/a.json"), dir.path().join("m/sub/b.json"));
        write(&a, b"old a", Access::Private, true).unwrap();
        write_each(&[(a.clone(), b"new a"), (b.clone(), b"new b")], Access::Private).unwrap();
        assert_eq!(fs::read(&a).unwrap(), b"new a");
        assert_eq!(fs::read(&b).unwrap(), b"new b");
        let names: Vec<_> = fs::read_dir(dir.path().join("m")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "no temporary file is left behind: {names:?}");

        // A file that cannot be staged (its directory is a file): nothing is replaced.
        let blocked = dir.path().join("m/a.json/c.json");
        assert!(write_each(&[(a.clone(), b"newer a"), (blocked, b"c")], Access::Private).is_err());
        assert_eq!(fs::read(&a).unwrap(), b"new a");
        let names: Vec<_> = fs::read_dir(dir.path().join("m")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "no temporary file is left behind: {names:?}");
    }

    #[test]
    fn temporary_files_of_writers_that_are_gone_are_removed_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        // No process has ID u32::MAX - 1 (Linux PIDs stop at 2^22).
        let dead = dir.path().join(format!("{TEMP_PREFIX}{}-abc123", u32::MAX - 1));
        let held = dir.path().join(format!("{TEMP_PREFIX}{}-def456", u32::MAX - 2));
        let mine = dir.path().join(format!("{TEMP_PREFIX}{}-ghi789", std::process::id()));
        let other = dir.path().join(".tmp-unknown");
        for f in [&dead, &held, &mine, &other] {
            fs::write(f, b"partial").unwrap();
        }
        let lock = fs::File::open(&held).unwrap();
        lock.lock().unwrap(); // a live writer in another PID namespace
        write(&dir.path().join("file"), b"new", Access::Private, true).unwrap();
        let mut names: Vec<_> =
            fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        let mut want: Vec<String> = [&held, &mine, &other]
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap().to_owned())
            .chain(["file".to_owned()])
            .collect();
        want.sort();
        assert_eq!(names, want);
        drop(lock);
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
