//! `targets.json` and delegation files (`targets/<name>.json`).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use serde_json::value::RawValue;

use super::{Expiry, PublicKey, TargetMap};

/// A delegated role: who may sign which target names.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct DelegatedRole {
    /// Full role name, e.g. `targets/releases`.
    pub name: String,
    /// Key IDs (into the parent's `delegations.keys`).
    pub keyids: Vec<String>,
    /// How many distinct keys must sign.
    pub threshold: u64,
    /// Target-name prefixes the role may sign (`""` = everything). Notary's rule:
    /// string prefixes, not globs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Hex prefixes of the SHA-256 of target names the role may sign.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path_hash_prefixes: Vec<String>,
    /// When true, a search that reaches this role stops here.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub terminating: bool,
}

impl DelegatedRole {
    /// True when this role may sign `target` (given the SHA-256 of the target name).
    pub fn allows(&self, target: &str, target_hash: &[u8; 32]) -> bool {
        self.paths.iter().any(|p| target.starts_with(p.as_str()))
            || self.path_hash_prefixes.iter().any(|p| hex_prefix_matches(p, target_hash))
    }
}

/// Compares a hex prefix with a digest without allocating.
pub(crate) fn hex_prefix_matches(prefix: &str, digest: &[u8; 32]) -> bool {
    let prefix = prefix.as_bytes();
    if prefix.len() > 64 {
        return false;
    }
    prefix.iter().enumerate().all(|(i, &c)| {
        let byte = digest[i / 2];
        let nibble = if i % 2 == 0 { byte >> 4 } else { byte & 0x0f };
        match c {
            b'0'..=b'9' => c - b'0' == nibble,
            b'a'..=b'f' => c - b'a' + 10 == nibble,
            b'A'..=b'F' => c - b'A' + 10 == nibble,
            _ => false,
        }
    })
}

/// `{"keys":{…},"roles":[…]}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Delegations {
    /// Keys of the delegated roles.
    #[serde(default)]
    pub keys: BTreeMap<String, PublicKey>,
    /// The delegated roles, in order of precedence.
    #[serde(default)]
    pub roles: Vec<DelegatedRole>,
}

/// The `signed` part of a targets or delegation file.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Targets {
    /// Always `"Targets"` (delegations too).
    #[serde(rename = "_type")]
    pub type_: String,
    /// Delegations to child roles.
    #[serde(default)]
    pub delegations: Delegations,
    /// Expiry.
    pub expires: Expiry,
    /// Target name (a docker tag) → file metadata, decoded per lookup.
    #[serde(default)]
    pub targets: TargetMap,
    /// Version, ≥ 1.
    pub version: u64,
}

impl Targets {
    /// Checks notary's structural rules for a file of role `role`: type, version,
    /// every delegation a valid direct child of `role` with its keys defined.
    pub fn check_structure(&self, role: &str) -> Result<(), String> {
        if self.type_ != "Targets" {
            return Err(format!("_type is {:?}, expected \"Targets\"", self.type_));
        }
        if self.version < 1 {
            return Err("version must be at least 1".into());
        }
        for child in &self.delegations.roles {
            if !super::is_valid_role_name(&child.name) || super::parent_role(&child.name) != Some(role) {
                return Err(format!("delegation {:?} is not a valid child role of {role}", child.name));
            }
            if child.threshold < 1 {
                return Err(format!("delegation {} has threshold 0", child.name));
            }
            if let Some(missing) = child.keyids.iter().find(|id| !self.delegations.keys.contains_key(*id)) {
                return Err(format!("delegation {} lists key {missing} that is not defined", child.name));
            }
        }
        Ok(())
    }

    /// Parses the `signed` text of a targets file that lies inside `source` (the whole
    /// file), sharing `source` for the targets map instead of copying it.
    pub fn parse_within(source: &Arc<Vec<u8>>, signed: &str) -> serde_json::Result<Targets> {
        #[derive(Deserialize)]
        struct Repr<'a> {
            #[serde(rename = "_type")]
            type_: String,
            #[serde(default)]
            delegations: Delegations,
            expires: Expiry,
            #[serde(borrow)]
            targets: Option<&'a RawValue>,
            version: u64,
        }
        let r: Repr<'_> = serde_json::from_str(signed)?;
        let targets = match r.targets {
            Some(raw) if raw.get().starts_with('{') => TargetMap::within(source, raw),
            Some(_) => return Err(serde::de::Error::custom("targets is not a JSON object")),
            None => TargetMap::default(),
        };
        Ok(Targets { type_: r.type_, delegations: r.delegations, expires: r.expires, targets, version: r.version })
    }

    /// The delegated role named `name`, if this file delegates to it.
    pub fn delegation(&self, name: &str) -> Option<&DelegatedRole> {
        self.delegations.roles.iter().find(|r| r.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(paths: &[&str], prefixes: &[&str]) -> DelegatedRole {
        DelegatedRole {
            name: "targets/x".into(),
            keyids: vec![],
            threshold: 1,
            paths: paths.iter().map(|s| s.to_string()).collect(),
            path_hash_prefixes: prefixes.iter().map(|s| s.to_string()).collect(),
            terminating: false,
        }
    }

    #[test]
    fn path_prefixes_as_notary() {
        let h = [0u8; 32];
        assert!(role(&[""], &[]).allows("anything", &h));
        assert!(role(&["v1"], &[]).allows("v1.2", &h));
        assert!(!role(&["v1"], &[]).allows("v2", &h));
        assert!(!role(&[], &[]).allows("v1", &h));
    }

    #[test]
    fn path_hash_prefixes() {
        let mut h = [0u8; 32];
        h[0] = 0xab;
        h[1] = 0xc0;
        assert!(role(&[], &["abc"]).allows("t", &h));
        assert!(role(&[], &["ABC0"]).allows("t", &h));
        assert!(!role(&[], &["abd"]).allows("t", &h));
        assert!(!role(&[], &["zz"]).allows("t", &h));
    }
}
