//! A bundle as a [`Remote`]: it serves only the files its manifest lists for a
//! repository, each checked against the manifest's SHA-256 and length before it is
//! handed out, and never publishes.

use super::open::Bundle;
use crate::Result;
use crate::remote::{Remote, RemoteFile, Store};

/// The files of one bundle, served the way a notary-server serves them.
#[derive(Debug, Clone)]
pub struct BundleRemote {
    bundle: Bundle,
    url: String,
}

impl BundleRemote {
    /// A remote over `bundle`.
    pub fn new(bundle: Bundle) -> Self {
        let url = format!("bundle {}", bundle.source().display());
        BundleRemote { bundle, url }
    }
}

impl Remote for BundleRemote {
    fn fetch(&self, gun: &str, file: &RemoteFile<'_>, max_len: u64) -> Result<Option<Vec<u8>>> {
        // Validates the role name (and hash) as for any remote.
        let requested = file.name()?;
        let role = file.role();
        let name = match file {
            RemoteFile::Current(_) => requested,
            RemoteFile::ByVersion { role: "root", version } => format!("{version}.root.json"),
            // A bundle holds only numbered roots besides the current files.
            RemoteFile::ByVersion { .. } => return Ok(None),
            // A bundle holds one version of each role: the current one, served when
            // it is the one asked for (the manifest records its hash).
            RemoteFile::ByHash { sha256_hex, .. } => {
                let current = format!("{role}.json");
                let entry = self.bundle.repository(gun)?;
                match entry.files.get(&current) {
                    Some(f) if f.sha256 == *sha256_hex => current,
                    _ => return Ok(None),
                }
            }
        };
        self.bundle.read(gun, &name, max_len)
    }

    fn store(&self) -> Store<'_> {
        Store::ReadOnly {
            reason: Some(format!("{} is frozen trust data and takes no updates; publish to a trust server", self.url)),
        }
    }

    fn url(&self) -> &str {
        &self.url
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::test_support::fixture_bundle;

    const GUN: &str = "localhost:5000/interop/docker-signers";

    fn remote(dir: &std::path::Path) -> BundleRemote {
        BundleRemote::new(Bundle::open(&fixture_bundle("docker-signers", &dir.join("b"))).unwrap())
    }

    #[test]
    fn serves_listed_files_by_name_hash_and_root_version() {
        let tmp = tempfile::tempdir().unwrap();
        let r = remote(tmp.path());
        let current = r.fetch(GUN, &RemoteFile::Current("snapshot"), 1 << 20).unwrap().unwrap();
        let hex = crate::bundle::FileEntry::of(&current).sha256;
        let by_hash = r.fetch(GUN, &RemoteFile::ByHash { role: "snapshot", sha256_hex: &hex }, 1 << 20).unwrap();
        assert_eq!(by_hash.as_deref(), Some(&current[..]));
        let other = "0".repeat(64);
        assert_eq!(r.fetch(GUN, &RemoteFile::ByHash { role: "snapshot", sha256_hex: &other }, 1 << 20).unwrap(), None);
        assert!(r.fetch(GUN, &RemoteFile::ByVersion { role: "root", version: 1 }, 1 << 20).unwrap().is_some());
        assert_eq!(r.fetch(GUN, &RemoteFile::ByVersion { role: "root", version: 2 }, 1 << 20).unwrap(), None);
        assert_eq!(r.fetch(GUN, &RemoteFile::ByVersion { role: "targets", version: 1 }, 1 << 20).unwrap(), None);
        let e = r.fetch(GUN, &RemoteFile::Current("snapshot"), 10).unwrap_err().to_string();
        assert!(e.contains("size limit"), "{e}");
    }

    #[test]
    fn files_the_manifest_does_not_list_are_not_served() {
        let tmp = tempfile::tempdir().unwrap();
        let r = remote(tmp.path());
        let extra = crate::bundle::manifest::file_path(&tmp.path().join("b"), GUN, "targets/mallory.json");
        std::fs::write(&extra, b"{}").unwrap();
        assert_eq!(r.fetch(GUN, &RemoteFile::Current("targets/mallory"), 1 << 20).unwrap(), None);
        let e = r.fetch("localhost:5000/other", &RemoteFile::Current("root"), 1 << 20).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::NotSigned);
        assert!(e.to_string().contains("bundle "), "{e}");
        assert!(matches!(r.store(), Store::ReadOnly { reason: Some(why) } if why.contains("takes no updates")));
    }

    #[test]
    fn a_listed_file_changed_on_disk_is_a_verification_error_naming_it() {
        let tmp = tempfile::tempdir().unwrap();
        let r = remote(tmp.path());
        let path = crate::bundle::manifest::file_path(&tmp.path().join("b"), GUN, "timestamp.json");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.push(b' ');
        std::fs::write(&path, &bytes).unwrap();
        let e = r.fetch(GUN, &RemoteFile::Current("timestamp"), 1 << 20).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Verification);
        assert!(e.to_string().contains(&format!("bundle file {GUN}/timestamp.json is")), "{e}");
        std::fs::remove_file(&path).unwrap();
        let e = r.fetch(GUN, &RemoteFile::Current("timestamp"), 1 << 20).unwrap_err().to_string();
        assert!(e.contains("listed in the manifest but cannot be read"), "{e}");
    }
}
