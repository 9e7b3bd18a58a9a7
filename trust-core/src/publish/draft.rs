//! New metadata: verified metadata plus staged changes, edited as JSON values of
//! `signed`, so fields this client does not know survive the re-sign.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::change::{Action, Change, Kind};
use crate::{Error, Result};
use trust_tuf::crypto::keyid::canonical_key_id;
use trust_tuf::wire::{self, Expiry, PublicKey};

/// The `signed` values of a repository's targets roles, being edited.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    files: BTreeMap<String, Value>,
    changed: BTreeSet<String>,
    deleted: BTreeSet<String>,
}

/// An empty targets file (version 0: the first signed version is 1).
pub fn empty_targets() -> Value {
    json!({"_type": "Targets", "delegations": {"keys": {}, "roles": []}, "expires": "", "targets": {}, "version": 0})
}

/// An empty targets file that replaces version `version` of a role.
pub fn empty_targets_after(version: u64) -> Value {
    let mut value = empty_targets();
    value["version"] = json!(version);
    value
}

fn invalid(role: &str, reason: impl std::fmt::Display) -> Error {
    Error::InvalidInput(format!("{role}: {reason}"))
}

fn object<'a>(value: &'a mut Value, field: &str, role: &str) -> Result<&'a mut Map<String, Value>> {
    if value.get(field).is_none_or(Value::is_null) {
        value[field] = json!({});
    }
    value[field].as_object_mut().ok_or_else(|| invalid(role, format!("{field} is not an object")))
}

fn push_unique(list: &mut Vec<Value>, item: Value) {
    if !list.contains(&item) {
        list.push(item);
    }
}

impl Draft {
    /// Adds the verified `signed` value of `role` (`targets` or a delegation).
    pub fn load(&mut self, role: &str, signed: Value) {
        self.files.insert(role.to_owned(), signed);
    }

    /// Marks `role` as changed (a new repository's empty targets must be published).
    pub fn touch(&mut self, role: &str) {
        self.changed.insert(role.to_owned());
    }

    /// True when `role`'s file is loaded or created.
    pub fn has(&self, role: &str) -> bool {
        self.files.contains_key(role)
    }

    /// The `signed` value of `role`.
    pub fn get(&self, role: &str) -> Option<&Value> {
        self.files.get(role)
    }

    /// Roles whose files changed, parents before children.
    pub fn changed(&self) -> Vec<String> {
        self.changed.iter().filter(|r| !self.deleted.contains(*r)).cloned().collect()
    }

    /// Delegations deleted by the changes.
    pub fn deleted(&self) -> impl Iterator<Item = &String> {
        self.deleted.iter()
    }

    /// The delegation entry for `role` in its parent, if declared.
    pub fn delegation_entry(&self, role: &str) -> Option<&Value> {
        let parent = self.files.get(wire::parent_role(role)?)?;
        parent["delegations"]["roles"].as_array()?.iter().find(|r| r["name"] == role)
    }

    /// Key IDs and keys of `role` (a delegation), as its parent declares them.
    pub fn delegation_keys(&self, role: &str) -> Vec<(String, PublicKey)> {
        let Some(parent) = wire::parent_role(role).and_then(|p| self.files.get(p)) else { return vec![] };
        let Some(entry) = self.delegation_entry(role) else { return vec![] };
        let ids = entry["keyids"].as_array().cloned().unwrap_or_default();
        ids.iter()
            .filter_map(|id| {
                let id = id.as_str()?;
                let key = serde_json::from_value(parent["delegations"]["keys"].get(id)?.clone()).ok()?;
                Some((id.to_owned(), key))
            })
            .collect()
    }

    /// Applies one staged change.
    pub fn apply(&mut self, change: &Change) -> Result<()> {
        let role = change.role.as_str();
        if !wire::is_valid_role_name(role) || (role != "targets" && !role.starts_with("targets/")) {
            return Err(invalid(role, "not a targets role"));
        }
        match change.kind {
            Kind::Target => self.apply_target(change),
            Kind::Delegation => self.apply_delegation(change),
        }
    }

    fn target_file(&mut self, role: &str) -> Result<&mut Value> {
        if role != "targets" && self.delegation_entry(role).is_none() {
            return Err(invalid(role, "this role does not exist in the repository; add the signer first"));
        }
        if !self.files.contains_key(role) {
            self.files.insert(role.to_owned(), empty_targets());
        }
        self.changed.insert(role.to_owned());
        self.deleted.remove(role);
        self.files.get_mut(role).ok_or_else(|| invalid(role, "not loaded"))
    }

    fn apply_target(&mut self, change: &Change) -> Result<()> {
        let role = change.role.as_str();
        if change.path.is_empty() {
            return Err(invalid(role, "a target change without a target name"));
        }
        match change.action {
            Action::Create => {
                let meta = serde_json::to_value(change.file_meta()?).map_err(|e| invalid(role, e))?;
                let file = self.target_file(role)?;
                object(file, "targets", role)?.insert(change.path.clone(), meta);
            }
            Action::Delete => {
                if !self.files.contains_key(role) && role != "targets" && self.delegation_entry(role).is_none() {
                    return Ok(());
                }
                let file = self.target_file(role)?;
                object(file, "targets", role)?.remove(&change.path);
            }
            Action::Update => return Err(invalid(role, "targets can be created or deleted, not updated")),
        }
        Ok(())
    }

    fn apply_delegation(&mut self, change: &Change) -> Result<()> {
        let role = change.role.as_str();
        let parent = wire::parent_role(role).ok_or_else(|| invalid(role, "not a delegation"))?.to_owned();
        if !self.files.contains_key(&parent) {
            return Err(invalid(role, format!("its parent {parent} has no trust data yet")));
        }
        let edit = change.delegation_edit()?;
        let parent_file = self.files.get_mut(&parent).ok_or_else(|| invalid(&parent, "not loaded"))?;
        let delegations = object(parent_file, "delegations", &parent)?;
        if !delegations.get("roles").is_some_and(Value::is_array) {
            delegations.insert("roles".into(), json!([]));
        }
        if !delegations.get("keys").is_some_and(Value::is_object) {
            delegations.insert("keys".into(), json!({}));
        }
        let keys = delegations.get("keys").cloned().unwrap_or_default();
        let roles =
            delegations.get_mut("roles").and_then(Value::as_array_mut).ok_or_else(|| invalid(&parent, "roles"))?;
        let position = roles.iter().position(|r| r["name"] == role);
        match change.action {
            Action::Create | Action::Update => {
                let index = match position {
                    Some(i) => i,
                    None if change.action == Action::Create => {
                        roles.push(json!({"keyids": [], "name": role, "paths": [], "threshold": 1}));
                        roles.len() - 1
                    }
                    None => return Err(invalid(role, "no such delegation")),
                };
                let entry = &mut roles[index];
                let mut keyids = entry["keyids"].as_array().cloned().unwrap_or_default();
                let mut added = Map::new();
                for key in &edit.add_keys {
                    let id = key.tuf_id();
                    push_unique(&mut keyids, json!(id));
                    added.insert(id, serde_json::to_value(key).map_err(|e| invalid(role, e))?);
                }
                if !edit.remove_keys.is_empty() {
                    keyids.retain(|id| {
                        let key = id.as_str().and_then(|id| keys.get(id).or_else(|| added.get(id)));
                        let canonical = key
                            .and_then(|k| serde_json::from_value::<PublicKey>(k.clone()).ok())
                            .and_then(|k| canonical_key_id(&k).ok());
                        !canonical.is_some_and(|c| edit.remove_keys.contains(&c))
                    });
                }
                entry["keyids"] = Value::Array(keyids);
                let mut paths =
                    if edit.clear_paths { vec![] } else { entry["paths"].as_array().cloned().unwrap_or_default() };
                for p in &edit.add_paths {
                    push_unique(&mut paths, json!(p));
                }
                paths.retain(|p| !edit.remove_paths.iter().any(|r| p == r));
                entry["paths"] = Value::Array(paths);
                if edit.threshold > 0 {
                    entry["threshold"] = json!(edit.threshold);
                }
                check_threshold(role, entry, &keys, &added)?;
                let keys_obj = object(parent_file_mut(&mut self.files, &parent)?, "delegations", &parent)?;
                let keys_map =
                    keys_obj.get_mut("keys").and_then(Value::as_object_mut).ok_or_else(|| invalid(&parent, "keys"))?;
                keys_map.extend(added);
            }
            Action::Delete => {
                if let Some(i) = position {
                    roles.remove(i);
                }
                self.files.remove(role);
                self.deleted.insert(role.to_owned());
            }
        }
        prune_unused_keys(parent_file_mut(&mut self.files, &parent)?);
        self.changed.insert(parent);
        Ok(())
    }

    /// The finished `signed` value of `role`: version + 1 and a new expiry.
    pub fn finish(&mut self, role: &str, expires: &Expiry) -> Result<Value> {
        let file = self.files.get_mut(role).ok_or_else(|| invalid(role, "not loaded"))?;
        let version = file["version"].as_u64().unwrap_or(0);
        file["version"] = json!(version + 1);
        file["expires"] = json!(expires.as_str());
        Ok(file.clone())
    }
}

/// Refuses a delegation entry whose threshold is below 1 or above the number of its
/// distinct keys (by canonical ID, as readers count them): no file of it could verify.
/// A role with no keys left is let be, as docker leaves it when its last signer goes.
fn check_threshold(role: &str, entry: &Value, keys: &Value, added: &Map<String, Value>) -> Result<()> {
    let threshold = entry["threshold"].as_u64().unwrap_or(0);
    let distinct: BTreeSet<String> = entry["keyids"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .map(|id| {
            keys.get(id)
                .or_else(|| added.get(id))
                .and_then(|k| serde_json::from_value::<PublicKey>(k.clone()).ok())
                .and_then(|k| canonical_key_id(&k).ok())
                .unwrap_or_else(|| id.to_owned())
        })
        .collect();
    if threshold < 1 {
        return Err(invalid(role, "a threshold must be at least 1"));
    }
    // A role left with no keys (its last signer removed) signs nothing, whatever its threshold.
    if !distinct.is_empty() && threshold > distinct.len() as u64 {
        return Err(invalid(
            role,
            format!(
                "a threshold of {threshold} needs at least {threshold} keys, and the role has {}; add signers first \
                 (trust signer add), or set a lower threshold",
                distinct.len()
            ),
        ));
    }
    Ok(())
}

fn parent_file_mut<'a>(files: &'a mut BTreeMap<String, Value>, parent: &str) -> Result<&'a mut Value> {
    files.get_mut(parent).ok_or_else(|| invalid(parent, "not loaded"))
}

/// Drops delegation keys no role lists any more (notary does the same).
fn prune_unused_keys(file: &mut Value) {
    let used: BTreeSet<String> = file["delegations"]["roles"]
        .as_array()
        .map(|roles| roles.iter().flat_map(|r| r["keyids"].as_array().cloned().unwrap_or_default()))
        .into_iter()
        .flatten()
        .filter_map(|id| id.as_str().map(str::to_owned))
        .collect();
    if let Some(keys) = file["delegations"]["keys"].as_object_mut() {
        keys.retain(|id, _| used.contains(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trust_tuf::crypto::signer::{KeyAlgorithm, PrivateKey};
    use trust_tuf::wire::FileMeta;

    fn key() -> PublicKey {
        PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap().public_key()
    }

    fn draft() -> Draft {
        let mut d = Draft::default();
        let mut targets = empty_targets();
        targets["version"] = json!(3);
        targets["x-unknown"] = json!("kept");
        d.load("targets", targets);
        d
    }

    #[test]
    fn adds_a_docker_signer_and_signs_a_tag_into_it() {
        let mut d = draft();
        let alice = key();
        for role in ["targets/alice", "targets/releases"] {
            d.apply(&Change::add_delegation(role, vec![alice.clone()], vec![String::new()])).unwrap();
        }
        d.apply(&Change::add_target("targets/releases", "v1", &FileMeta::for_bytes(b"m"))).unwrap();
        assert_eq!(d.changed(), ["targets", "targets/releases"]);
        let t = d.get("targets").unwrap();
        assert_eq!(t["delegations"]["roles"][0]["name"], "targets/alice");
        assert_eq!(t["delegations"]["roles"][1]["paths"], json!([""]));
        assert_eq!(t["delegations"]["keys"].as_object().unwrap().len(), 1, "one key, listed once");
        assert_eq!(t["x-unknown"], "kept");
        let exp = Expiry::parse("2030-01-01T00:00:00Z").unwrap();
        assert_eq!(d.finish("targets", &exp).unwrap()["version"], 4);
        assert_eq!(d.finish("targets/releases", &exp).unwrap()["version"], 1);
    }

    #[test]
    fn a_target_for_an_undeclared_role_is_refused() {
        let mut d = draft();
        let err = d.apply(&Change::add_target("targets/bob", "v1", &FileMeta::for_bytes(b"m"))).unwrap_err();
        assert!(err.to_string().contains("add the signer first"), "{err}");
    }

    #[test]
    fn removing_a_signer_drops_its_keys_and_role() {
        let mut d = draft();
        let (alice, bob) = (key(), key());
        for (role, k) in
            [("targets/alice", &alice), ("targets/bob", &bob), ("targets/releases", &alice), ("targets/releases", &bob)]
        {
            d.apply(&Change::add_delegation(role, vec![k.clone()], vec![String::new()])).unwrap();
        }
        let alice_id = canonical_key_id(&alice).unwrap();
        d.apply(&Change::remove_delegation_keys("targets/releases", vec![alice_id.clone()])).unwrap();
        d.apply(&Change::delete_delegation("targets/alice")).unwrap();
        let t = d.get("targets").unwrap();
        let names: Vec<&str> =
            t["delegations"]["roles"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["targets/bob", "targets/releases"]);
        assert_eq!(t["delegations"]["roles"][1]["keyids"], json!([bob.tuf_id()]));
        assert!(t["delegations"]["keys"].get(&alice_id).is_none(), "alice's key is pruned");
        assert_eq!(d.deleted().collect::<Vec<_>>(), ["targets/alice"]);
    }

    #[test]
    fn a_threshold_is_kept_when_keys_are_added_and_must_fit_the_keys() {
        let mut d = draft();
        let (alice, bob, carol) = (key(), key(), key());
        for k in [&alice, &bob] {
            d.apply(&Change::add_delegation("targets/releases", vec![k.clone()], vec![String::new()])).unwrap();
        }
        let threshold = |d: &Draft| d.delegation_entry("targets/releases").unwrap()["threshold"].clone();
        assert_eq!(threshold(&d), 1, "a new role starts at 1");
        d.apply(&Change::set_threshold("targets/releases", 2)).unwrap();
        assert_eq!(threshold(&d), 2);
        d.apply(&Change::add_delegation("targets/releases", vec![carol], vec![String::new()])).unwrap();
        assert_eq!(threshold(&d), 2, "adding a signer keeps the threshold");
        let removed =
            d.apply(&Change::remove_delegation_keys("targets/releases", vec![canonical_key_id(&bob).unwrap()]));
        assert!(removed.is_ok(), "2 of the 2 keys left");
        let mut before = d.clone();
        let err = d.apply(&Change::set_threshold("targets/releases", 3)).unwrap_err();
        assert!(err.to_string().contains("a threshold of 3 needs at least 3 keys, and the role has 2"), "{err}");
        let err = before
            .apply(&Change::remove_delegation_keys("targets/releases", vec![canonical_key_id(&alice).unwrap()]))
            .unwrap_err();
        assert!(err.to_string().contains("a threshold of 2 needs at least 2 keys, and the role has 1"), "{err}");
        // The same key given twice is listed, and counted, once.
        let mut one = draft();
        one.apply(&Change::add_delegation("targets/releases", vec![alice.clone(), alice.clone()], vec![String::new()]))
            .unwrap();
        assert!(one.apply(&Change::set_threshold("targets/releases", 2)).is_err());
        let err = d.apply(&Change::set_threshold("targets/nobody", 1)).unwrap_err();
        assert!(err.to_string().contains("no such delegation"), "{err}");
    }

    #[test]
    fn removing_a_tag() {
        let mut d = draft();
        d.apply(&Change::add_target("targets", "v1", &FileMeta::for_bytes(b"m"))).unwrap();
        d.apply(&Change::remove_target("targets", "v1")).unwrap();
        assert_eq!(d.get("targets").unwrap()["targets"], json!({}));
    }
}
