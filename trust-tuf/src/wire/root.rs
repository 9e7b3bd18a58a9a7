//! `root.json`: the keys and thresholds of the four top-level roles.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Expiry, PublicKey};

/// Key IDs and threshold of one role.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct RoleKeys {
    /// The role's key IDs.
    pub keyids: Vec<String>,
    /// How many distinct keys must sign.
    pub threshold: u64,
}

/// The `signed` part of `root.json`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Root {
    /// Always `"Root"`.
    #[serde(rename = "_type")]
    pub type_: String,
    /// Always false from notary clients.
    #[serde(default)]
    pub consistent_snapshot: bool,
    /// Expiry.
    pub expires: Expiry,
    /// Every key any role refers to (old root keys may linger after rotation).
    pub keys: BTreeMap<String, PublicKey>,
    /// `root`, `targets`, `snapshot`, `timestamp`.
    pub roles: BTreeMap<String, RoleKeys>,
    /// Version, ≥ 1.
    pub version: u64,
}

impl Root {
    /// The keys and threshold of a top-level role.
    pub fn role(&self, name: &str) -> Option<&RoleKeys> {
        self.roles.get(name)
    }

    /// Checks notary's structural rules: the type, all four roles present, thresholds
    /// ≥ 1 and every listed key ID defined.
    pub fn check_structure(&self) -> Result<(), String> {
        if self.type_ != "Root" {
            return Err(format!("_type is {:?}, expected \"Root\"", self.type_));
        }
        if self.version < 1 {
            return Err("version must be at least 1".into());
        }
        for name in super::BASE_ROLES {
            let role = self.roles.get(name).ok_or_else(|| format!("root does not define the {name} role"))?;
            if role.threshold < 1 {
                return Err(format!("the {name} role has threshold 0"));
            }
            if let Some(missing) = role.keyids.iter().find(|id| !self.keys.contains_key(*id)) {
                return Err(format!("the {name} role lists key {missing} that root does not define"));
            }
        }
        Ok(())
    }
}
