//! The top-level roles other than targets: root, timestamp and snapshot, and the
//! `meta` entries timestamp and snapshot pin other files with.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::envelope::Role;
use super::header::Header;
use super::key::Key;

/// The four top-level roles root names keys for.
pub const TOP_LEVEL_ROLES: [&str; 4] = ["root", "timestamp", "snapshot", "targets"];

/// A role's keys and threshold, as root (or a delegation) gives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleKeys {
    /// The IDs of the keys that may sign, indexes into the delegator's `keys`.
    pub keyids: Vec<String>,
    /// How many distinct keys must sign, at least 1.
    pub threshold: u64,
    /// Fields the specification does not define.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl RoleKeys {
    pub(super) fn check(&self, role: &str) -> Result<(), String> {
        if self.threshold == 0 {
            return Err(format!("{role}: threshold must be at least 1"));
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(dup) = self.keyids.iter().find(|k| !seen.insert(k.as_str())) {
            return Err(format!("{role}: key ID {dup} is listed twice"));
        }
        Ok(())
    }
}

/// `root`: the keys of every top-level role and whether the repository uses
/// consistent snapshots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Root {
    /// `_type`, `spec_version`, `version`, `expires`.
    #[serde(flatten)]
    pub header: Header,
    /// Whether snapshot, targets and target files are published under versioned and
    /// hash-prefixed names. Absent means false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consistent_snapshot: Option<bool>,
    /// Keys by their (opaque) ID.
    pub keys: BTreeMap<String, Key>,
    /// Keys and threshold of each top-level role.
    pub roles: BTreeMap<String, RoleKeys>,
    /// Fields the specification does not define.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Root {
    /// The keys and threshold root gives `role`.
    pub fn role(&self, role: &str) -> Option<&RoleKeys> {
        self.roles.get(role)
    }

    /// `consistent_snapshot`, false when absent.
    pub fn consistent_snapshot(&self) -> bool {
        self.consistent_snapshot.unwrap_or(false)
    }
}

impl Role for Root {
    const TYPE: &'static str = "root";

    fn header(&self) -> &Header {
        &self.header
    }

    fn check_structure(&self) -> Result<(), String> {
        for name in TOP_LEVEL_ROLES {
            self.roles.get(name).ok_or_else(|| format!("roles has no {name} role"))?.check(name)?;
        }
        if let Some(other) = self.roles.keys().find(|r| !TOP_LEVEL_ROLES.contains(&r.as_str())) {
            return Err(format!("roles names {other:?}, which is not a top-level role"));
        }
        Ok(())
    }
}

/// An entry of `meta`: the version of a metadata file and, optionally, its length
/// and hashes (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetaFile {
    /// The file's version.
    pub version: u64,
    /// The file's length in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
    /// Hashes by algorithm name, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashes: Option<BTreeMap<String, String>>,
    /// Fields the specification does not define.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl MetaFile {
    fn check(&self, name: &str) -> Result<(), String> {
        if self.version == 0 {
            return Err(format!("meta {name}: version must be at least 1"));
        }
        if let Some(hashes) = &self.hashes {
            super::targets::check_hashes(hashes).map_err(|e| format!("meta {name}: {e}"))?;
        }
        Ok(())
    }
}

/// `timestamp`: pins the current snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timestamp {
    /// `_type`, `spec_version`, `version`, `expires`.
    #[serde(flatten)]
    pub header: Header,
    /// Exactly one entry, `snapshot.json`.
    pub meta: BTreeMap<String, MetaFile>,
    /// Fields the specification does not define.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Timestamp {
    /// The `snapshot.json` entry (present in every parsed timestamp).
    pub fn snapshot_meta(&self) -> &MetaFile {
        &self.meta["snapshot.json"]
    }
}

impl Role for Timestamp {
    const TYPE: &'static str = "timestamp";

    fn header(&self) -> &Header {
        &self.header
    }

    fn check_structure(&self) -> Result<(), String> {
        match self.meta.get("snapshot.json") {
            Some(m) if self.meta.len() == 1 => m.check("snapshot.json"),
            _ => Err("meta must hold exactly one entry, snapshot.json".into()),
        }
    }
}

/// `snapshot`: pins the version (and optionally length and hashes) of targets and
/// every delegated targets role, keyed `<role>.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// `_type`, `spec_version`, `version`, `expires`.
    #[serde(flatten)]
    pub header: Header,
    /// Entries by file name, `targets.json` among them.
    pub meta: BTreeMap<String, MetaFile>,
    /// Fields the specification does not define.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Snapshot {
    /// The entry for targets role `role` (`targets`, or a delegated role's name).
    pub fn role_meta(&self, role: &str) -> Option<&MetaFile> {
        self.meta.get(&format!("{role}.json"))
    }
}

impl Role for Snapshot {
    const TYPE: &'static str = "snapshot";

    fn header(&self) -> &Header {
        &self.header
    }

    fn check_structure(&self) -> Result<(), String> {
        if !self.meta.contains_key("targets.json") {
            return Err("meta has no targets.json entry".into());
        }
        self.meta.iter().try_for_each(|(name, m)| m.check(name))
    }
}
