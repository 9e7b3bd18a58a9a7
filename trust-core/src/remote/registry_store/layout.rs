//! The registry store's manifest (docs/registry-store.md, "What is stored"): one OCI
//! image manifest whose layers are a repository's Notary v1 files, each named by its
//! `tuf.io/filename` annotation. Building and checking it does no I/O.

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::{Value, json};

use crate::registry::sha256_digest;
use crate::{Error, Result};
use trust_tuf::wire::is_valid_role_name;

/// The manifest's `artifactType`.
pub const ARTIFACT_TYPE: &str = "application/vnd.trust.notary-v1.repository";
/// Every file's media type (go-tuf-mirror's).
pub const METADATA_MEDIA_TYPE: &str = "application/vnd.tuf.metadata+json";
/// The annotation naming a layer's file (go-tuf-mirror's).
pub const FILENAME_ANNOTATION: &str = "tuf.io/filename";
/// The manifest annotation naming the repository the data is for.
pub const GUN_ANNOTATION: &str = "vnd.trust.gun";
/// The empty config blob of an artifact manifest, and its descriptor.
pub const EMPTY_CONFIG: &[u8] = b"{}";
const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Most layers a manifest may list (root versions and delegations included).
const MAX_LAYERS: usize = 10_000;

/// One file of the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// `sha256:<hex>` of its bytes.
    pub digest: String,
    /// Its length.
    pub size: u64,
    /// Its bytes, when the manifest carries them (the timestamp's) or the file was just
    /// added (to upload).
    pub data: Option<Vec<u8>>,
}

/// A repository's files as its manifest lists them, by file name (`timestamp.json`,
/// `root.json`, `2.root.json`, `targets/releases.json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    gun: String,
    files: BTreeMap<String, Layer>,
}

impl Layout {
    /// A repository with no files yet.
    pub fn empty(gun: &str) -> Self {
        Layout { gun: gun.to_owned(), files: BTreeMap::new() }
    }

    /// The file named `name`.
    pub fn file(&self, name: &str) -> Option<&Layer> {
        self.files.get(name)
    }

    /// Every file, by name.
    pub fn files(&self) -> impl Iterator<Item = (&String, &Layer)> {
        self.files.iter()
    }

    /// Checks the manifest `bytes` found under `gun`'s tag and reads its files. What
    /// `what` names (the tag) is in every error ([`Error::Verification`], exit 3).
    pub fn parse(gun: &str, what: &str, bytes: &[u8]) -> Result<Layout> {
        let bad = |why: String| Error::verification(what, why);
        let value: Value = serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
        if value["schemaVersion"] != 2 || value["mediaType"] != OCI_MANIFEST {
            return Err(bad("not an OCI image manifest".into()));
        }
        if value["artifactType"] != ARTIFACT_TYPE {
            return Err(bad(format!(
                "its artifactType is {}, not {ARTIFACT_TYPE}: the tag holds something other than trust data",
                value["artifactType"]
            )));
        }
        match value["annotations"][GUN_ANNOTATION].as_str() {
            Some(named) if named == gun => {}
            Some(named) => {
                return Err(bad(format!("it holds the trust data of {named}, not of {gun}: refused (mix-and-match)")));
            }
            None => return Err(bad(format!("it does not name its repository ({GUN_ANNOTATION})"))),
        }
        let layers = value["layers"].as_array().ok_or_else(|| bad("no layers".into()))?;
        if layers.len() > MAX_LAYERS {
            return Err(bad(format!("{} layers, more than {MAX_LAYERS}", layers.len())));
        }
        let mut files = BTreeMap::new();
        for layer in layers {
            if layer["mediaType"] != METADATA_MEDIA_TYPE {
                return Err(bad(format!("a layer of media type {}, not {METADATA_MEDIA_TYPE}", layer["mediaType"])));
            }
            let name = layer["annotations"][FILENAME_ANNOTATION]
                .as_str()
                .ok_or_else(|| bad(format!("a layer without {FILENAME_ANNOTATION}")))?;
            if !is_valid_file_name(name) {
                return Err(bad(format!("a layer named {name:?}, not a Notary v1 file name")));
            }
            let digest = layer["digest"].as_str().unwrap_or_default();
            if !digest.strip_prefix("sha256:").is_some_and(crate::remote::is_sha256_hex) {
                return Err(bad(format!("{name}: digest {digest:?} is not sha256:<64 hex digits>")));
            }
            let size = layer["size"].as_u64().ok_or_else(|| bad(format!("{name}: no size")))?;
            let data = match layer["data"].as_str() {
                None => None,
                Some(b64) => {
                    let raw = base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .map_err(|e| bad(format!("{name}: its data is not base64: {e}")))?;
                    if raw.len() as u64 != size || sha256_digest(&raw) != digest {
                        return Err(bad(format!("{name}: its embedded data is not the blob {digest} it names")));
                    }
                    Some(raw)
                }
            };
            if files.insert(name.to_owned(), Layer { digest: digest.to_owned(), size, data }).is_some() {
                return Err(bad(format!("{name} is listed twice")));
            }
        }
        Ok(Layout { gun: gun.to_owned(), files })
    }

    /// This layout with `uploads` (role → bytes, as an [`crate::publish::upload::Upload`]
    /// takes them) in place: `<role>.json` replaced, a root also kept as
    /// `<N>.root.json`, `history` roots (`<N>.root.json` of earlier versions) added, and
    /// delegation files that a new snapshot no longer lists dropped.
    pub fn with_uploads(&self, uploads: &[(String, Vec<u8>)], history: &[Vec<u8>]) -> Result<Layout> {
        let mut next = self.clone();
        for bytes in history {
            let version = signed_version("root", bytes)?;
            next.insert(format!("{version}.root.json"), bytes);
        }
        for (role, bytes) in uploads {
            if !is_valid_role_name(role) {
                return Err(Error::InvalidInput(format!("invalid role name {role:?}")));
            }
            next.insert(format!("{role}.json"), bytes);
            if role == "root" {
                let version = signed_version("root", bytes)?;
                next.insert(format!("{version}.root.json"), bytes);
            }
        }
        if let Some((_, snapshot)) = uploads.iter().find(|(role, _)| role == "snapshot") {
            let listed = snapshot_roles(snapshot)?;
            next.files.retain(|name, _| {
                let role = name.strip_suffix(".json").unwrap_or(name);
                !role.starts_with("targets/") || listed.iter().any(|l| l == role)
            });
        }
        Ok(next)
    }

    /// Adds or replaces `name`, keeping its bytes (to upload them).
    fn insert(&mut self, name: String, bytes: &[u8]) {
        let layer = Layer { digest: sha256_digest(bytes), size: bytes.len() as u64, data: Some(bytes.to_vec()) };
        self.files.insert(name, layer);
    }

    /// The manifest's bytes: the timestamp first (its bytes embedded), then `root.json`,
    /// root versions oldest first, `snapshot.json`, `targets.json` and the delegations by
    /// name. `created` is an RFC 3339 time.
    pub fn to_manifest(&self, created: &str) -> Vec<u8> {
        let mut names: Vec<&String> = self.files.keys().collect();
        names.sort_by_key(|name| order(name));
        let layers: Vec<Value> = names
            .into_iter()
            .map(|name| {
                let layer = &self.files[name];
                let mut d = json!({
                    "mediaType": METADATA_MEDIA_TYPE,
                    "digest": layer.digest,
                    "size": layer.size,
                    "annotations": {FILENAME_ANNOTATION: name},
                });
                if name == "timestamp.json"
                    && let Some(data) = &layer.data
                {
                    d["data"] = json!(base64::engine::general_purpose::STANDARD.encode(data));
                }
                d
            })
            .collect();
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": ARTIFACT_TYPE,
            "config": {
                "mediaType": EMPTY_MEDIA_TYPE,
                "digest": sha256_digest(EMPTY_CONFIG),
                "size": EMPTY_CONFIG.len(),
                "data": base64::engine::general_purpose::STANDARD.encode(EMPTY_CONFIG),
            },
            "layers": layers,
            "annotations": {GUN_ANNOTATION: self.gun, "org.opencontainers.image.created": created},
        });
        serde_json::to_vec(&manifest).unwrap_or_default()
    }
}

/// Where a file goes among the layers.
fn order(name: &str) -> (u8, u64, String) {
    match name {
        "timestamp.json" => (0, 0, String::new()),
        "root.json" => (1, 0, String::new()),
        "snapshot.json" => (3, 0, String::new()),
        "targets.json" => (4, 0, String::new()),
        _ => match root_version_of(name) {
            Some(v) => (2, v, String::new()),
            None => (5, 0, name.to_owned()),
        },
    }
}

/// `N` of `N.root.json`.
fn root_version_of(name: &str) -> Option<u64> {
    name.strip_suffix(".root.json").and_then(|n| n.parse().ok()).filter(|n| *n > 0)
}

/// A notary-server file name: `<role>.json` or `<N>.root.json`.
fn is_valid_file_name(name: &str) -> bool {
    root_version_of(name).is_some() || name.strip_suffix(".json").is_some_and(is_valid_role_name)
}

fn signed_version(role: &str, bytes: &[u8]) -> Result<u64> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| Error::malformed(role, e))?;
    value["signed"]["version"].as_u64().ok_or_else(|| Error::malformed(role, "no signed.version"))
}

fn snapshot_roles(bytes: &[u8]) -> Result<Vec<String>> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| Error::malformed("snapshot", e))?;
    Ok(value["signed"]["meta"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(role: &str, version: u64) -> Vec<u8> {
        format!(r#"{{"signed":{{"_type":"{role}","version":{version}}},"signatures":[]}}"#).into_bytes()
    }

    fn snapshot_listing(roles: &[&str]) -> Vec<u8> {
        let meta: serde_json::Map<String, Value> = roles.iter().map(|r| ((*r).to_owned(), json!({}))).collect();
        serde_json::to_vec(&json!({"signed": {"_type": "Snapshot", "version": 2, "meta": meta}, "signatures": []}))
            .unwrap()
    }

    #[test]
    fn round_trip_with_embedded_timestamp_and_root_history() {
        let uploads = vec![
            ("root".to_owned(), doc("Root", 2)),
            ("targets".to_owned(), doc("Targets", 1)),
            ("targets/releases".to_owned(), doc("Targets", 1)),
            ("snapshot".to_owned(), snapshot_listing(&["root", "targets", "targets/releases"])),
            ("timestamp".to_owned(), doc("Timestamp", 1)),
        ];
        let layout = Layout::empty("localhost:5000/a/b").with_uploads(&uploads, &[doc("Root", 1)]).unwrap();
        let bytes = layout.to_manifest("2026-12-02T00:00:00Z");
        let back = Layout::parse("localhost:5000/a/b", "tag", &bytes).unwrap();
        let names: Vec<&String> = back.files().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "1.root.json",
                "2.root.json",
                "root.json",
                "snapshot.json",
                "targets.json",
                "targets/releases.json",
                "timestamp.json"
            ]
        );
        assert_eq!(back.file("timestamp.json").unwrap().data.as_deref(), Some(&doc("Timestamp", 1)[..]));
        assert_eq!(back.file("root.json").unwrap().data, None, "only the timestamp is embedded");
        assert_eq!(back.file("2.root.json").unwrap().digest, sha256_digest(&doc("Root", 2)));
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        let order: Vec<&str> = v["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["annotations"][FILENAME_ANNOTATION].as_str().unwrap())
            .collect();
        assert_eq!(order[..3], ["timestamp.json", "root.json", "1.root.json"]);
        assert_eq!(v["config"]["digest"], sha256_digest(b"{}"));
    }

    #[test]
    fn a_new_snapshot_drops_delegations_it_no_longer_lists() {
        let first = vec![
            ("targets/a".to_owned(), doc("Targets", 1)),
            ("targets/b".to_owned(), doc("Targets", 1)),
            ("snapshot".to_owned(), snapshot_listing(&["targets/a", "targets/b"])),
        ];
        let layout = Layout::empty("g/x").with_uploads(&first, &[]).unwrap();
        let next = layout.with_uploads(&[("snapshot".to_owned(), snapshot_listing(&["targets/a"]))], &[]).unwrap();
        assert!(next.file("targets/a.json").is_some());
        assert!(next.file("targets/b.json").is_none());
        let only_timestamp = next.with_uploads(&[("timestamp".to_owned(), doc("Timestamp", 9))], &[]).unwrap();
        assert!(only_timestamp.file("targets/a.json").is_some(), "a timestamp alone keeps every file");
    }

    #[test]
    fn refusals() {
        let layout =
            Layout::empty("reg.example/a").with_uploads(&[("timestamp".into(), doc("Timestamp", 1))], &[]).unwrap();
        let good: Value = serde_json::from_slice(&layout.to_manifest("t")).unwrap();
        let check = |edit: &dyn Fn(&mut Value), gun: &str, needle: &str| {
            let mut v = good.clone();
            edit(&mut v);
            let e = Layout::parse(gun, "reg.example/a:tuf-notary-v1", &serde_json::to_vec(&v).unwrap()).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Verification);
            assert!(e.to_string().contains(needle), "{e}");
        };
        check(&|_| {}, "reg.example/other", "mix-and-match");
        check(&|v| v["artifactType"] = json!("application/x"), "reg.example/a", "artifactType");
        check(
            &|v| v["layers"][0]["annotations"][FILENAME_ANNOTATION] = json!("../x.json"),
            "reg.example/a",
            "file name",
        );
        check(&|v| v["layers"][0]["data"] = json!("e30="), "reg.example/a", "embedded data");
        check(&|v| v["layers"][0]["mediaType"] = json!("application/octet-stream"), "reg.example/a", "media type");
        check(&|v| v["layers"][0]["digest"] = json!("sha256:00"), "reg.example/a", "64 hex");
        assert!(Layout::parse("reg.example/a", "t", b"{").is_err());
    }
}
