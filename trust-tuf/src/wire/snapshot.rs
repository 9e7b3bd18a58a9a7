//! `snapshot.json`: lengths and hashes of root, targets and every delegation file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Expiry, FileMeta};

/// The `signed` part of `snapshot.json`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Snapshot {
    /// Always `"Snapshot"`.
    #[serde(rename = "_type")]
    pub type_: String,
    /// Expiry.
    pub expires: Expiry,
    /// Role name → file metadata.
    pub meta: BTreeMap<String, FileMeta>,
    /// Version, ≥ 1.
    pub version: u64,
}

impl Snapshot {
    /// Checks the type, version and that `root` and `targets` carry a sha256.
    pub fn check_structure(&self) -> Result<(), String> {
        if self.type_ != "Snapshot" {
            return Err(format!("_type is {:?}, expected \"Snapshot\"", self.type_));
        }
        if self.version < 1 {
            return Err("version must be at least 1".into());
        }
        for role in ["root", "targets"] {
            match self.meta.get(role) {
                Some(m) if m.hashes.sha256.is_some() => {}
                _ => return Err(format!("snapshot has no sha256 for {role}")),
            }
        }
        Ok(())
    }
}
