//! TUF 1.0 section 5.3.1: one refresh fetches at most `max_root_rotations` new root
//! versions, and what it stored is the last one it accepted. Runs the updater over
//! python-tuf's root-rotation repository (roots 1 to 4) read from disk by `file://`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use trust_core::tuf::{Updater, UpdaterConfig, init};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/tuf1/root-rotation/metadata")
}

fn stored_root_version(dir: &Path) -> u64 {
    let root: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("root.json")).unwrap()).unwrap();
    root["signed"]["version"].as_u64().unwrap()
}

/// A client that trusts root 1 refreshes with at most `max` root rotations and
/// returns the root version it then trusts and stored.
fn refresh_with(max: Option<u64>) -> (u64, u64) {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path(), &std::fs::read(repository().join("1.root.json")).unwrap()).unwrap();
    let mut config = UpdaterConfig::default();
    if let Some(max) = max {
        config.max_root_rotations = max;
    }
    let url = format!("file://{}", repository().canonicalize().unwrap().display());
    let mut updater = Updater::new(dir.path(), &url, None, None, config).unwrap();
    updater.refresh().unwrap();
    (updater.trusted().root().signed.version(), stored_root_version(dir.path()))
}

#[test]
fn a_refresh_follows_every_root_version_by_default() {
    assert_eq!(refresh_with(None), (4, 4));
}

#[test]
fn a_refresh_stops_after_the_maximum_number_of_root_rotations() {
    // Roots 2 and 3 are fetched and stored; root 4 is left for the next refresh.
    assert_eq!(refresh_with(Some(2)), (3, 3));
    assert_eq!(refresh_with(Some(1)), (2, 2));
}
