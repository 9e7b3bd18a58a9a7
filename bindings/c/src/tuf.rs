//! The handle behind `trust_tuf_updater *`: trust-core's TUF 1.0 [`Updater`] for one
//! repository, and the calls the C functions make, in safe Rust.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use trust_core::tuf::{TargetInfo, Updater, UpdaterConfig};

use crate::error::{Failure, TrustStatus};

/// Stores `root` (the bytes of a TUF 1.0 `root.json`) as the trusted root of a new
/// client in `metadata_dir`, as [`trust_core::tuf::init`] does.
pub fn init(metadata_dir: &str, root: &[u8]) -> Result<(), Failure> {
    if metadata_dir.is_empty() {
        return Err(Failure::invalid("metadata_dir is empty"));
    }
    Ok(trust_core::tuf::init(Path::new(metadata_dir), root)?)
}

/// A TUF 1.0 client for one repository. Calls on one handle are serialised (the
/// updater's trusted set changes as it refreshes and searches), so the handle may be
/// shared between threads; it must not be freed while a call on it is running.
#[derive(Debug)]
pub struct TufUpdater {
    updater: Mutex<Updater>,
}

/// A target file as trusted metadata lists it, for C: the strings the caller frees
/// with `trust_tuf_target_free`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The target path.
    pub path: String,
    /// The role that lists it.
    pub role: String,
    /// Its length in bytes.
    pub length: u64,
    /// Its hashes, a JSON object: algorithm to hex.
    pub hashes_json: String,
    /// Its `custom` value as JSON, when it has one.
    pub custom_json: Option<String>,
}

impl Target {
    fn of(info: &TargetInfo) -> Self {
        // Display of a JSON value is its compact JSON text.
        let hashes = info
            .file
            .hashes
            .iter()
            .map(|(algorithm, hex)| (algorithm.clone(), serde_json::Value::String(hex.clone())))
            .collect::<serde_json::Map<_, _>>();
        Target {
            path: info.path.clone(),
            role: info.role.clone(),
            length: info.file.length,
            hashes_json: serde_json::Value::Object(hashes).to_string(),
            custom_json: info.file.custom().map(ToString::to_string),
        }
    }
}

/// `path`'s "no role lists it", as the C API reports it.
fn not_listed(path: &str) -> Failure {
    Failure::new(TrustStatus::TRUST_ERR_NOT_SIGNED, format!("{path}: no role trusted for this target path lists it"))
}

impl TufUpdater {
    /// An updater that trusts the `root.json` in `metadata_dir` and fetches metadata
    /// under `metadata_url`; target files, when asked for, under `target_base_url` into
    /// `target_dir`. Nothing is contacted yet.
    pub fn new(
        metadata_dir: &str,
        metadata_url: &str,
        target_base_url: Option<&str>,
        target_dir: Option<&str>,
    ) -> Result<Self, Failure> {
        for (name, value) in [
            ("metadata_dir", Some(metadata_dir)),
            ("metadata_url", Some(metadata_url)),
            ("target_base_url", target_base_url),
            ("target_dir", target_dir),
        ] {
            if value == Some("") {
                return Err(Failure::invalid(format!("{name} is empty")));
            }
        }
        let target_dir = target_dir.map(PathBuf::from);
        let updater = Updater::new(
            Path::new(metadata_dir),
            metadata_url,
            target_dir.as_deref(),
            target_base_url,
            UpdaterConfig::default(),
        )?;
        Ok(TufUpdater { updater: Mutex::new(updater) })
    }

    fn with<T>(&self, call: impl FnOnce(&mut Updater) -> Result<T, Failure>) -> Result<T, Failure> {
        // A call that panicked left the trusted set as it was between two steps,
        // each of which is checked: the next call may go on from it.
        let mut updater = self.updater.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        call(&mut updater)
    }

    /// Updates the top-level metadata: root, timestamp, snapshot, targets.
    pub fn refresh(&self) -> Result<(), Failure> {
        self.with(|u| Ok(u.refresh()?))
    }

    /// The target `path` as the delegation search finds it (refreshing first when this
    /// updater has not); `TRUST_ERR_NOT_SIGNED` when no role lists it.
    pub fn get_target(&self, path: &str) -> Result<Target, Failure> {
        self.with(|u| u.get_target_info(path)?.map(|info| Target::of(&info)).ok_or_else(|| not_listed(path)))
    }

    /// Where target `path` is stored in the target directory: found by the delegation
    /// search, then the stored copy when its length and hashes match, else downloaded.
    pub fn download(&self, path: &str) -> Result<PathBuf, Failure> {
        self.with(|u| u.fetch_target(path)?.map(|(stored, _)| stored).ok_or_else(|| not_listed(path)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASIC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/tuf1/basic");

    #[test]
    fn init_stores_a_root_and_refuses_what_is_not_one() {
        let dir = tempfile::tempdir().unwrap();
        let md = dir.path().join("md");
        let root = std::fs::read(format!("{BASIC}/metadata/root.json")).unwrap();
        init(md.to_str().unwrap(), &root).unwrap();
        assert_eq!(std::fs::read(md.join("root.json")).unwrap(), root);
        let err = init(dir.path().join("other").to_str().unwrap(), b"{}").unwrap_err();
        assert_eq!(err.status, TrustStatus::TRUST_ERR_VERIFICATION, "{}", err.message);
        assert!(!dir.path().join("other/root.json").exists());
        assert_eq!(init("", &root).unwrap_err().status, TrustStatus::TRUST_ERR_INVALID_ARGUMENT);
    }

    #[test]
    fn an_updater_needs_a_trusted_root_and_a_url() {
        let dir = tempfile::tempdir().unwrap();
        let md = dir.path().to_str().unwrap();
        let err = TufUpdater::new(md, "http://127.0.0.1:9/metadata", None, None).unwrap_err();
        assert_eq!(err.status, TrustStatus::TRUST_ERR_INVALID_ARGUMENT, "{}", err.message);
        init(md, &std::fs::read(format!("{BASIC}/metadata/root.json")).unwrap()).unwrap();
        let err = TufUpdater::new(md, "", None, None).unwrap_err();
        assert_eq!(err.message, "metadata_url is empty");
        let err = TufUpdater::new(md, "not a url", None, None).unwrap_err();
        assert_eq!(err.status, TrustStatus::TRUST_ERR_INVALID_ARGUMENT, "{}", err.message);
        let u = TufUpdater::new(md, "http://127.0.0.1:9/metadata", None, None).unwrap();
        let err = u.refresh().unwrap_err();
        assert_eq!(err.status, TrustStatus::TRUST_ERR_NETWORK, "{}", err.message);
        let err = u.get_target("hello.txt").unwrap_err();
        assert_eq!(err.status, TrustStatus::TRUST_ERR_NETWORK, "{}", err.message);
    }

    #[test]
    fn targets_are_described_in_json() {
        let mut file: trust_core::trust_tuf::tuf1::TargetFile =
            serde_json::from_str(r#"{"length": 3, "hashes": {"sha256": "ab", "sha512": "cd"}, "custom": {"k": [1]}}"#)
                .unwrap();
        let info = TargetInfo { path: "a/b".into(), role: "targets".into(), file: file.clone() };
        let t = Target::of(&info);
        assert_eq!(t.hashes_json, r#"{"sha256":"ab","sha512":"cd"}"#);
        assert_eq!(t.custom_json.as_deref(), Some(r#"{"k":[1]}"#));
        assert_eq!((t.path.as_str(), t.role.as_str(), t.length), ("a/b", "targets", 3));
        file.extra.clear();
        assert_eq!(Target::of(&TargetInfo { file, ..info }).custom_json, None);
    }
}
