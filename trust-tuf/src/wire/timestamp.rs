//! `timestamp.json`: the length and hashes of the current snapshot.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Expiry, FileMeta};

/// The `signed` part of `timestamp.json`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Timestamp {
    /// Always `"Timestamp"`.
    #[serde(rename = "_type")]
    pub type_: String,
    /// Expiry.
    pub expires: Expiry,
    /// `snapshot` → file metadata.
    pub meta: BTreeMap<String, FileMeta>,
    /// Version, ≥ 1.
    pub version: u64,
}

impl Timestamp {
    /// The snapshot's metadata.
    pub fn snapshot_meta(&self) -> Option<&FileMeta> {
        self.meta.get("snapshot")
    }

    /// Checks the type, version and that the snapshot carries a sha256.
    pub fn check_structure(&self) -> Result<(), String> {
        if self.type_ != "Timestamp" {
            return Err(format!("_type is {:?}, expected \"Timestamp\"", self.type_));
        }
        if self.version < 1 {
            return Err("version must be at least 1".into());
        }
        match self.snapshot_meta() {
            Some(m) if m.hashes.sha256.is_some() => Ok(()),
            _ => Err("timestamp has no sha256 for snapshot".into()),
        }
    }
}
