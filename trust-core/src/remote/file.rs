//! A directory remote, `file:///abs/dir`: a directory holding what a notary-server serves,
//! laid out like the server's URL paths, `<dir>/v2/<gun>/_trust/tuf/<name>`. A static file
//! server over `<dir>` therefore answers GETs the way notary-server does.
//!
//! This side only reads; what the directory does on an upload (check versions, sign
//! snapshot and timestamp with its own keys) is [`crate::publish::file_store`].

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use super::{Remote, RemoteFile, Store};
use crate::Error;
use crate::http::size_limit::{read_limited, too_large};
use trust_tuf::reference::check_gun;

/// Metadata served from a local directory.
#[derive(Debug, Clone)]
pub struct FileRemote {
    url: String,
    root: PathBuf,
    server_passphrase: Option<zeroize::Zeroizing<String>>,
    fips: bool,
}

impl FileRemote {
    /// The directory remote at `url`, which must be `file:///<absolute path>`.
    pub fn new(url: &str) -> Result<Self, Error> {
        let root = reqwest::Url::parse(url)
            .ok()
            .filter(|u| u.scheme() == "file")
            .and_then(|u| u.to_file_path().ok())
            .ok_or_else(|| Error::InvalidInput(format!("invalid file URL {url}: use file:///absolute/dir")))?;
        Ok(FileRemote { url: url.trim_end_matches('/').to_owned(), root, server_passphrase: None, fips: false })
    }

    /// The same remote, making its snapshot and timestamp keys for FIPS mode (ECDSA
    /// P-256, key files with SP 800-132 parameters) instead of Ed25519.
    pub fn with_fips(mut self, fips: bool) -> Self {
        self.fips = fips;
        self
    }

    /// The same remote, with the passphrase of its own snapshot and timestamp keys,
    /// which publishing to it needs ([`crate::publish::file_store`]).
    pub fn with_server_passphrase(mut self, passphrase: Option<zeroize::Zeroizing<String>>) -> Self {
        self.server_passphrase = passphrase;
        self
    }

    /// The directory, `<root>` of `<root>/v2/<gun>/_trust/tuf/`.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// The passphrase of the directory's own snapshot and timestamp keys, if given.
    pub(crate) fn server_passphrase(&self) -> Option<&zeroize::Zeroizing<String>> {
        self.server_passphrase.as_ref()
    }

    /// Whether the directory's snapshot and timestamp keys are made for FIPS mode.
    pub(crate) fn fips(&self) -> bool {
        self.fips
    }

    /// The error for a directory that does not exist (a mistyped `--server`), or None
    /// when it exists (or cannot be examined: reads then say what failed).
    pub(crate) fn missing_directory(&self) -> Option<Error> {
        match std::fs::metadata(&self.root) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Some(Error::InvalidInput(format!(
                "the file remote directory {} does not exist: check --server or DOCKER_CONTENT_TRUST_SERVER (or copy's --from) for {}",
                self.root.display(),
                self.url
            ))),
            Ok(meta) if !meta.is_dir() => Some(Error::InvalidInput(format!(
                "the file remote {} is not a directory: check --server or DOCKER_CONTENT_TRUST_SERVER",
                self.root.display()
            ))),
            _ => None,
        }
    }

    /// `<root>/v2/<gun>/_trust/tuf/<name>`, `name` possibly containing `/`.
    fn path(&self, gun: &str, name: &str) -> PathBuf {
        file_path(&self.root, gun, name)
    }
}

impl Remote for FileRemote {
    fn fetch(&self, gun: &str, file: &RemoteFile<'_>, max_len: u64) -> Result<Option<Vec<u8>>, Error> {
        check_gun(gun)?;
        let role = file.role();
        let found = read_file(&self.path(gun, &file.name()?), max_len, role)?;
        let RemoteFile::ByHash { sha256_hex, .. } = file else {
            return Ok(found);
        };
        if found.is_some() {
            return Ok(found);
        }
        // A directory written by hand may hold only the current file: serve it when it is
        // the requested version.
        let current = read_file(&self.path(gun, &RemoteFile::Current(role).name()?), max_len, role)?;
        Ok(current.filter(|bytes| {
            hex::encode(trust_tuf::crypto::backend::digest::digest(&trust_tuf::crypto::backend::digest::SHA256, bytes))
                == *sha256_hex
        }))
    }

    fn store(&self) -> Store<'_> {
        Store::File(self)
    }

    fn url(&self) -> &str {
        &self.url
    }
}

/// Where file `name` of `gun` lives under a file remote (or bundle) directory `root`:
/// `<root>/v2/<gun>/_trust/tuf/<name>`.
pub fn file_path(root: &Path, gun: &str, name: &str) -> PathBuf {
    let mut path = root.join("v2");
    path.extend(gun.split('/'));
    path.push("_trust");
    path.push("tuf");
    path.extend(name.split('/'));
    path
}

/// The file's bytes, `None` if it does not exist, a size-limit error if it is larger
/// than `max_len` (checked before reading, and again while reading).
fn read_file(path: &Path, max_len: u64, role: &str) -> Result<Option<Vec<u8>>, Error> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => {
            return Ok(None);
        }
        Err(e) => return Err(Error::io(path, e)),
    };
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Ok(None);
    }
    if meta.len() > max_len {
        return Err(too_large(role, max_len));
    }
    read_limited(file, max_len, role, |e| Error::io(path, e)).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    const GUN: &str = "localhost:5000/test/app";

    struct Fixture {
        _tmp: tempfile::TempDir,
        tuf: PathBuf,
        remote: FileRemote,
    }

    fn fixture() -> Fixture {
        let tmp = match tempfile::tempdir() {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        let tuf = tmp.path().join("v2").join(GUN).join("_trust/tuf");
        let url = format!("file://{}", tmp.path().display());
        let remote = match FileRemote::new(&url) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        Fixture { _tmp: tmp, tuf, remote }
    }

    fn put(path: &Path, bytes: &[u8]) {
        let ok = path.parent().map(std::fs::create_dir_all).transpose().and_then(|_| std::fs::write(path, bytes));
        assert!(ok.is_ok(), "{}", path.display());
    }

    fn sha(bytes: &[u8]) -> String {
        hex::encode(trust_tuf::crypto::backend::digest::digest(&trust_tuf::crypto::backend::digest::SHA256, bytes))
    }

    #[test]
    fn current_and_missing() -> Result<(), Error> {
        let f = fixture();
        put(&f.tuf.join("timestamp.json"), b"ts");
        put(&f.tuf.join("targets/releases.json"), b"rel");
        let get = |file| f.remote.fetch(GUN, &file, 1024);
        assert_eq!(get(RemoteFile::Current("timestamp"))?.as_deref(), Some(&b"ts"[..]));
        assert_eq!(get(RemoteFile::Current("targets/releases"))?.as_deref(), Some(&b"rel"[..]));
        assert_eq!(get(RemoteFile::Current("root"))?, None);
        assert_eq!(f.remote.fetch("other/gun", &RemoteFile::Current("timestamp"), 10)?, None);
        Ok(())
    }

    #[test]
    fn by_hash_with_fallback_to_current() -> Result<(), Error> {
        let f = fixture();
        let (old, new) = (&b"root v1"[..], &b"root v2"[..]);
        put(&f.tuf.join(format!("root.{}.json", sha(old))), old);
        put(&f.tuf.join("root.json"), new);
        let by_hash = |h: &str| f.remote.fetch(GUN, &RemoteFile::ByHash { role: "root", sha256_hex: h }, 1024);
        assert_eq!(by_hash(&sha(old))?.as_deref(), Some(old));
        assert_eq!(by_hash(&sha(new))?.as_deref(), Some(new), "falls back to the current file");
        assert_eq!(by_hash(&sha(b"something else"))?, None, "current file has another hash");

        let rel = &b"releases"[..];
        put(&f.tuf.join("targets/releases.json"), rel);
        let file = RemoteFile::ByHash { role: "targets/releases", sha256_hex: &sha(rel) };
        assert_eq!(f.remote.fetch(GUN, &file, 1024)?.as_deref(), Some(rel));
        Ok(())
    }

    #[test]
    fn by_version() -> Result<(), Error> {
        let f = fixture();
        put(&f.tuf.join("2.root.json"), b"two");
        put(&f.tuf.join("root.json"), b"three");
        let v = |n| f.remote.fetch(GUN, &RemoteFile::ByVersion { role: "root", version: n }, 1024);
        assert_eq!(v(2)?.as_deref(), Some(&b"two"[..]));
        assert_eq!(v(3)?, None, "no fallback for versions");
        Ok(())
    }

    #[test]
    fn size_limit() -> Result<(), Error> {
        let f = fixture();
        put(&f.tuf.join("snapshot.json"), &[b'x'; 100]);
        let get = |max| f.remote.fetch(GUN, &RemoteFile::Current("snapshot"), max);
        assert_eq!(get(100)?.map(|b| b.len()), Some(100));
        let e = get(99).err();
        assert_eq!(e.as_ref().map(|e| e.kind()), Some(ErrorKind::Verification));
        assert_eq!(e.map(|e| e.to_string()).as_deref(), Some("snapshot: download exceeds the 99-byte size limit"));
        // The by-hash fallback honours the limit too.
        let file = RemoteFile::ByHash { role: "snapshot", sha256_hex: &sha(&[b'x'; 100]) };
        assert!(f.remote.fetch(GUN, &file, 50).is_err());
        Ok(())
    }

    #[test]
    fn bad_input() {
        let f = fixture();
        let kind = |gun: &str, file: RemoteFile<'_>| f.remote.fetch(gun, &file, 10).err().map(|e| e.kind());
        assert_eq!(kind("../../etc", RemoteFile::Current("root")), Some(ErrorKind::InvalidInput));
        assert_eq!(kind(GUN, RemoteFile::Current("../root")), Some(ErrorKind::InvalidInput));
        assert!(
            FileRemote::new("file:///srv/x/").is_ok_and(|r| r.root == Path::new("/srv/x") && r.url == "file:///srv/x")
        );
        assert!(FileRemote::new("https://x").is_err());
    }
}
