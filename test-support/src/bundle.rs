//! Building test bundles: a manifest computed over the files a remote serves (the
//! real-tool fixtures' file remotes, or a live notary-server), written the way a
//! bundle is laid out. One builder for every test that needs a bundle.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use trust_core::bundle::{FileEntry, Manifest, RepositoryEntry, archive, manifest::file_path};
use trust_core::remote::{self, Remote, RemoteFile, RemoteOptions};

/// The fixtures directory of the repository (the crate using this file may be one
/// or two levels below the workspace).
pub fn fixtures() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir.ancestors().map(|d| d.join("fixtures")).find(|f| f.join("README.md").is_file()).expect("fixtures/")
}

/// A fixture case's file remote, `file:///…/fixtures/<case>/remote`.
pub fn fixture_remote(case: &str) -> Box<dyn Remote> {
    let url = format!("file://{}", fixtures().join(case).join("remote").canonicalize().unwrap().display());
    remote::open(&url, &RemoteOptions::new(std::env::temp_dir())).unwrap()
}

/// A fixture case's `case.json` field `field` (a string).
pub fn case_field(case: &str, field: &str) -> String {
    let text = std::fs::read(fixtures().join(case).join("case.json")).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&text).unwrap();
    json[field].as_str().unwrap_or_else(|| panic!("{case}: no {field}")).to_owned()
}

/// A fixture case's capture time (`verify_at`).
pub fn captured_at(case: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&case_field(case, "verify_at")).unwrap().to_utc()
}

/// A bundle being built in a directory.
pub struct Builder {
    /// The bundle directory.
    pub dir: PathBuf,
    /// The manifest written by [`Builder::finish`].
    pub manifest: Manifest,
}

impl Builder {
    /// An empty bundle at `dir` (created) exported from `server` at `at`.
    pub fn new(dir: &Path, server: &str, at: DateTime<Utc>) -> Builder {
        std::fs::create_dir_all(dir).unwrap();
        Builder { dir: dir.to_owned(), manifest: Manifest::new(server, at) }
    }

    /// Adds `gun` with every file `remote` serves for it: each root version, the
    /// current root, timestamp, snapshot and every role the snapshot lists.
    pub fn add(&mut self, remote: &dyn Remote, gun: &str, at: DateTime<Utc>) -> &mut Builder {
        let get = |file: RemoteFile<'_>| remote.fetch(gun, &file, 1 << 24).unwrap();
        let root = get(RemoteFile::Current("root")).expect("the remote has the repository");
        let signed = |raw: &[u8]| serde_json::from_slice::<serde_json::Value>(raw).unwrap()["signed"].clone();
        let root_signed = signed(&root);
        let version = root_signed["version"].as_u64().unwrap();
        let key_ids = root_signed["roles"]["root"]["keyids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_owned())
            .collect();
        let mut files = vec![("root.json".to_owned(), root)];
        for v in 1..=version {
            let raw = get(RemoteFile::ByVersion { role: "root", version: v }).expect("every root version");
            files.push((format!("{v}.root.json"), raw));
        }
        let snapshot = get(RemoteFile::Current("snapshot")).unwrap();
        let roles: Vec<String> = signed(&snapshot)["meta"].as_object().unwrap().keys().cloned().collect();
        files.push(("timestamp.json".into(), get(RemoteFile::Current("timestamp")).unwrap()));
        for role in roles.iter().filter(|r| *r != "root") {
            if let Some(raw) = get(RemoteFile::Current(role)) {
                files.push((format!("{role}.json"), raw));
            }
        }
        files.push(("snapshot.json".into(), snapshot));
        self.put(gun, at, version, key_ids, files)
    }

    /// Adds (or replaces) `gun` with exactly `files`.
    pub fn put(
        &mut self,
        gun: &str,
        at: DateTime<Utc>,
        root_version: u64,
        root_key_ids: Vec<String>,
        files: Vec<(String, Vec<u8>)>,
    ) -> &mut Builder {
        let mut entries = BTreeMap::new();
        for (name, bytes) in files {
            let path = file_path(&self.dir, gun, &name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
            entries.insert(name, FileEntry::of(&bytes));
        }
        let entry = RepositoryEntry { exported_at: at, root_version, root_key_ids, files: entries };
        self.manifest.repositories.insert(gun.to_owned(), entry);
        self
    }

    /// Writes the manifest; returns the bundle directory.
    pub fn finish(&self) -> PathBuf {
        std::fs::write(self.dir.join("manifest.json"), self.manifest.to_bytes()).unwrap();
        self.dir.clone()
    }

    /// Writes the manifest and packs the bundle into `dest` (`.tar` / `.tar.gz`).
    pub fn pack(&self, dest: &Path) -> PathBuf {
        archive::pack(&self.finish(), dest).unwrap();
        dest.to_owned()
    }
}

/// A bundle of one fixture case, exported at its capture time, in `dir`.
pub fn fixture_bundle(case: &str, dir: &Path) -> PathBuf {
    let at = captured_at(case);
    let gun = case_field(case, "gun");
    Builder::new(dir, "https://localhost:4443", at).add(fixture_remote(case).as_ref(), &gun, at).finish()
}
