//! `manifest.json`: where a bundle came from, when, and the SHA-256 and length of every
//! file it holds, per repository.
//!
//! ```json
//! {
//!   "format": "trust-bundle",
//!   "version": 1,
//!   "server": "https://notary.docker.io",
//!   "exported_at": "2026-12-02T15:00:00Z",
//!   "repositories": {
//!     "docker.io/library/alpine": {
//!       "exported_at": "2026-12-02T15:00:00Z",
//!       "root_version": 2,
//!       "root_key_ids": ["5d1f…"],
//!       "files": { "1.root.json": {"sha256": "…", "length": 2417}, "root.json": {…}, … }
//!     }
//!   }
//! }
//! ```
//!
//! `exported_at` of a repository is when its trust data was fetched and verified (a
//! resumed export keeps the time of the run that fetched it); the bundle's own is when
//! the last run finished. `root_key_ids` are the key IDs of the current root's `root`
//! role: a reader pins the repository's root to them unless the user's own trust
//! pinning names the repository.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};
use trust_tuf::reference::check_gun;
use trust_tuf::wire::is_valid_role_name;

/// The manifest's file name at the top of a bundle.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The `format` every manifest names.
pub const FORMAT: &str = "trust-bundle";
/// The manifest version this build writes and reads.
pub const VERSION: u64 = 1;
/// The largest manifest a reader accepts (100,000 repositories of 100 files fit).
pub const MAX_MANIFEST_BYTES: u64 = 1 << 30;

/// A bundle's manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The manifest version, [`VERSION`].
    pub version: u64,
    /// The trust server the data came from, e.g. `https://notary.docker.io`.
    pub server: String,
    /// When the export that last wrote the bundle finished.
    pub exported_at: DateTime<Utc>,
    /// The exported repositories by GUN.
    pub repositories: BTreeMap<String, RepositoryEntry>,
}

/// One repository in a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositoryEntry {
    /// When this repository's trust data was fetched and verified.
    pub exported_at: DateTime<Utc>,
    /// The current root's version (the bundle holds `1.root.json` … this one).
    pub root_version: u64,
    /// The key IDs of the current root's `root` role: the repository's root pin.
    pub root_key_ids: Vec<String>,
    /// Every file of the repository, by its name under `v2/<gun>/_trust/tuf/`.
    pub files: BTreeMap<String, FileEntry>,
}

/// The SHA-256 and length of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// 64 lowercase hex digits.
    pub sha256: String,
    /// In bytes.
    pub length: u64,
}

impl FileEntry {
    /// The entry describing `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        let digest = trust_tuf::crypto::backend::digest::digest(&trust_tuf::crypto::backend::digest::SHA256, bytes);
        FileEntry { sha256: hex::encode(digest), length: bytes.len() as u64 }
    }

    /// Checks that `bytes`, the bundle's file `name` of `gun`, are what this entry
    /// describes; a [`Error::Verification`] naming the file when they are not.
    pub fn check(&self, gun: &str, name: &str, bytes: &[u8]) -> Result<()> {
        let actual = FileEntry::of(bytes);
        if actual.length != self.length {
            return Err(Error::verification(
                role_of(name),
                format!(
                    "bundle file {gun}/{name} is {} bytes, the manifest says {}: the bundle is damaged; export it again",
                    actual.length, self.length
                ),
            ));
        }
        if actual.sha256 != self.sha256 {
            return Err(Error::verification(
                role_of(name),
                format!(
                    "bundle file {gun}/{name} has sha256 {}, the manifest says {}: the bundle is damaged or was altered; export it again",
                    actual.sha256, self.sha256
                ),
            ));
        }
        Ok(())
    }
}

impl Manifest {
    /// An empty manifest for an export from `server` at `exported_at`.
    pub fn new(server: &str, exported_at: DateTime<Utc>) -> Self {
        Manifest {
            format: FORMAT.to_owned(),
            version: VERSION,
            server: server.to_owned(),
            exported_at,
            repositories: BTreeMap::new(),
        }
    }

    /// Parses and checks a manifest: its format and version, every GUN and file name
    /// (so that no name can reach outside the bundle) and every hash.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        #[derive(Deserialize)]
        struct Header {
            format: Option<String>,
            version: Option<u64>,
        }
        let header: Header = serde_json::from_slice(bytes).map_err(|e| invalid(format!("it is not JSON ({e})")))?;
        if header.format.as_deref() != Some(FORMAT) {
            return Err(invalid(format!("its format is {:?}, not {FORMAT:?}", header.format.unwrap_or_default())));
        }
        match header.version {
            Some(VERSION) => {}
            Some(v) => {
                return Err(invalid(format!(
                    "its version is {v}, and this trust reads version {VERSION} only; use the trust release that wrote it, or a newer one"
                )));
            }
            None => return Err(invalid("it has no version")),
        }
        let manifest: Manifest = serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
        for (gun, repo) in &manifest.repositories {
            check_gun(gun).map_err(|e| invalid(format!("repository {gun:?}: {e}")))?;
            for (name, entry) in &repo.files {
                check_file_name(name).map_err(|why| invalid(format!("{gun}: file {name:?}: {why}")))?;
                let hex_ok =
                    entry.sha256.len() == 64 && entry.sha256.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
                if !hex_ok {
                    return Err(invalid(format!(
                        "{gun}/{name}: sha256 {:?} is not 64 lowercase hex digits",
                        entry.sha256
                    )));
                }
            }
        }
        Ok(manifest)
    }

    /// The manifest as written: pretty JSON, keys sorted, newline-terminated.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}

pub use crate::remote::file_path;

/// Checks a bundle file name: `<role>.json` or `<N>.root.json`, a valid role name.
pub fn check_file_name(name: &str) -> std::result::Result<(), String> {
    let stem = name.strip_suffix(".json").ok_or("it does not end in .json")?;
    let role = match stem.split_once('.') {
        Some((version, "root")) if !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit()) => "root",
        Some(_) => return Err("it is neither <role>.json nor <N>.root.json".into()),
        None => stem,
    };
    if is_valid_role_name(role) { Ok(()) } else { Err(format!("{role:?} is not a role name")) }
}

/// The role a bundle file name belongs to (`root` for `3.root.json`).
pub fn role_of(name: &str) -> &str {
    let stem = name.strip_suffix(".json").unwrap_or(name);
    match stem.split_once('.') {
        Some((_, role)) => role,
        None => stem,
    }
}

fn invalid(why: impl std::fmt::Display) -> Error {
    Error::InvalidInput(format!("invalid bundle manifest: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        let at = DateTime::parse_from_rfc3339("2026-12-02T15:00:00Z").unwrap().to_utc();
        let mut m = Manifest::new("https://localhost:4443", at);
        let mut files = BTreeMap::new();
        files.insert("1.root.json".to_owned(), FileEntry::of(b"root"));
        files.insert("targets/releases.json".to_owned(), FileEntry::of(b"releases"));
        m.repositories.insert(
            "localhost:5000/app".into(),
            RepositoryEntry { exported_at: at, root_version: 1, root_key_ids: vec!["ab".into()], files },
        );
        m
    }

    #[test]
    fn round_trips() {
        let m = sample();
        assert_eq!(Manifest::parse(&m.to_bytes()).unwrap(), m);
    }

    #[test]
    fn unknown_version_names_it() {
        let text = String::from_utf8(sample().to_bytes()).unwrap().replace("\"version\": 1", "\"version\": 2");
        let e = Manifest::parse(text.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("version is 2") && e.contains("version 1 only"), "{e}");
    }

    #[test]
    fn names_outside_the_bundle_are_refused() {
        for bad in ["../x.json", "targets/../../x.json", "root", "x.json", "a.root.json", "targets/.json"] {
            let mut m = sample();
            let entry = FileEntry::of(b"x");
            m.repositories.get_mut("localhost:5000/app").unwrap().files.insert(bad.into(), entry);
            assert!(Manifest::parse(&m.to_bytes()).is_err(), "{bad} accepted");
        }
        let mut m = sample();
        let repo = m.repositories.remove("localhost:5000/app").unwrap();
        m.repositories.insert("../etc".into(), repo);
        assert!(Manifest::parse(&m.to_bytes()).is_err());
    }

    #[test]
    fn a_changed_byte_is_named() {
        let entry = FileEntry::of(b"targets");
        let e = entry.check("g", "targets.json", b"targetz").unwrap_err().to_string();
        assert!(e.contains("g/targets.json") && e.contains("sha256"), "{e}");
        assert!(
            entry
                .check("g", "targets.json", b"target")
                .unwrap_err()
                .to_string()
                .contains("6 bytes, the manifest says 7")
        );
        entry.check("g", "targets.json", b"targets").unwrap();
    }

    #[test]
    fn roles_of_names() {
        assert_eq!(role_of("3.root.json"), "root");
        assert_eq!(role_of("targets/releases.json"), "targets/releases");
        assert_eq!(role_of("snapshot.json"), "snapshot");
    }
}
