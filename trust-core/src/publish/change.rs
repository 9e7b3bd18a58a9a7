//! One staged change, in notary's change-file format (trust reads notary's change
//! files, and stages its own groups as arrays of these; see the `changelist` module):
//! `{"action":"create","role":"targets","type":"target","path":"v1","data":"<base64>"}`.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};
use trust_tuf::wire::{FileMeta, PublicKey};

/// What a change does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Add a target, or create/extend a delegation.
    Create,
    /// Change a delegation (remove keys or paths).
    Update,
    /// Remove a target, or delete a delegation.
    Delete,
}

/// What kind of thing a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A target (a tag) in a targets role.
    Target,
    /// A delegated role.
    Delegation,
}

/// A delegation edit (notary's `TufDelegation`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DelegationEdit {
    /// Threshold to set (0 keeps the current one, or 1 for a new role).
    #[serde(rename = "threshold", default)]
    pub threshold: u64,
    /// Keys to add.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_keys: Vec<PublicKey>,
    /// Canonical IDs of keys to remove.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove_keys: Vec<String>,
    /// Paths to add.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_paths: Vec<String>,
    /// Paths to remove.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove_paths: Vec<String>,
    /// Remove every path first.
    #[serde(rename = "clear_paths", default, skip_serializing_if = "std::ops::Not::not")]
    pub clear_paths: bool,
}

/// A staged change to one role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// What it does.
    pub action: Action,
    /// The role it changes (for a delegation change: the delegated role itself).
    pub role: String,
    /// What it is about.
    #[serde(rename = "type")]
    pub kind: Kind,
    /// The target name, for target changes.
    #[serde(default)]
    pub path: String,
    /// The content: a [`FileMeta`] or a [`DelegationEdit`] as JSON.
    #[serde(with = "b64_bytes", default)]
    pub data: Vec<u8>,
}

mod b64_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = Option::<String>::deserialize(d)?.unwrap_or_default();
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

fn json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

impl Change {
    /// Sign `tag` as `meta` into `role`.
    pub fn add_target(role: &str, tag: &str, meta: &FileMeta) -> Self {
        Change { action: Action::Create, role: role.into(), kind: Kind::Target, path: tag.into(), data: json(meta) }
    }

    /// Remove `tag` from `role`.
    pub fn remove_target(role: &str, tag: &str) -> Self {
        Change { action: Action::Delete, role: role.into(), kind: Kind::Target, path: tag.into(), data: vec![] }
    }

    /// Create `role` (threshold 1) or add keys and paths to it (its threshold kept).
    pub fn add_delegation(role: &str, keys: Vec<PublicKey>, paths: Vec<String>) -> Self {
        let edit = DelegationEdit { add_keys: keys, add_paths: paths, ..DelegationEdit::default() };
        Change::delegation(Action::Create, role, &edit)
    }

    /// Remove keys (by canonical ID) from `role`.
    pub fn remove_delegation_keys(role: &str, canonical_ids: Vec<String>) -> Self {
        let edit = DelegationEdit { remove_keys: canonical_ids, ..DelegationEdit::default() };
        Change::delegation(Action::Update, role, &edit)
    }

    /// Set the threshold of the existing delegation `role`: how many of its keys must
    /// sign its file (at least 1, at most its number of keys; checked when applied).
    pub fn set_threshold(role: &str, threshold: u64) -> Self {
        let edit = DelegationEdit { threshold, ..DelegationEdit::default() };
        Change::delegation(Action::Update, role, &edit)
    }

    fn delegation(action: Action, role: &str, edit: &DelegationEdit) -> Self {
        Change { action, role: role.into(), kind: Kind::Delegation, path: String::new(), data: json(edit) }
    }

    /// Delete the delegation `role`.
    pub fn delete_delegation(role: &str) -> Self {
        Change { action: Action::Delete, role: role.into(), kind: Kind::Delegation, path: String::new(), data: vec![] }
    }

    /// The target metadata of a target creation.
    pub fn file_meta(&self) -> Result<FileMeta> {
        serde_json::from_slice(&self.data)
            .map_err(|e| Error::InvalidInput(format!("staged change for {}: {e}", self.path)))
    }

    /// The edit of a delegation change.
    pub fn delegation_edit(&self) -> Result<DelegationEdit> {
        if self.data.is_empty() {
            return Ok(DelegationEdit::default());
        }
        serde_json::from_slice(&self.data)
            .map_err(|e| Error::InvalidInput(format!("staged change for {}: {e}", self.role)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_change_is_notarys_format() {
        let meta = FileMeta::for_bytes(b"m");
        let change = Change::add_target("targets/releases", "v1", &meta);
        let text = serde_json::to_string(&change).unwrap();
        assert!(
            text.starts_with(r#"{"action":"create","role":"targets/releases","type":"target","path":"v1","data":""#),
            "{text}"
        );
        let back: Change = serde_json::from_str(&text).unwrap();
        assert_eq!(back.file_meta().unwrap(), meta);
    }

    #[test]
    fn reads_a_notary_delegation_change() {
        let text = r#"{"action":"create","role":"targets/alice","type":"delegation","path":"","data":"eyJ0aHJlc2hvbGQiOjEsImFkZF9wYXRocyI6WyIiXX0="}"#;
        let change: Change = serde_json::from_str(text).unwrap();
        let edit = change.delegation_edit().unwrap();
        assert_eq!((edit.threshold, edit.add_paths), (1, vec![String::new()]));
    }
}
