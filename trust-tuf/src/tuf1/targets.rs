//! `targets` metadata (top-level and delegated): target files and delegations,
//! including TAP 15 succinct delegations.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::envelope::Role;
use super::fields::{HeaderFields, fill, need, other};
use super::header::Header;
use super::key::Key;
use super::matching;
use super::roles::RoleKeys;
use crate::wire::TargetMap;

/// Checks a `hashes` map: at least one entry, every value hex.
pub(super) fn check_hashes(hashes: &BTreeMap<String, String>) -> Result<(), String> {
    if hashes.is_empty() {
        return Err("hashes is empty".into());
    }
    // A byte check, not a decode: a 100,000-target file has 200,000 hashes to check.
    let is_hex = |v: &str| !v.is_empty() && v.len().is_multiple_of(2) && v.bytes().all(|b| b.is_ascii_hexdigit());
    match hashes.iter().find(|(_, v)| !is_hex(v)) {
        Some((alg, _)) => Err(format!("the {alg} hash is not hex")),
        None => Ok(()),
    }
}

/// A target file: its length, hashes (hex) and, under `custom` or other fields,
/// whatever the repository attaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetFile {
    /// Length in bytes.
    pub length: u64,
    /// Hashes by algorithm name (`sha256`, `sha512`), hex.
    pub hashes: BTreeMap<String, String>,
    /// `custom` and any other field the specification does not define.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl TargetFile {
    /// The `custom` value, when present.
    pub fn custom(&self) -> Option<&Value> {
        self.extra.get("custom")
    }
}

/// A delegation by name: who may sign it and which target paths it may hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegatedRole {
    /// The delegated role's name.
    pub name: String,
    /// Its keys and threshold.
    #[serde(flatten)]
    pub keys: RoleKeys,
    /// Whether the search stops at this role once its paths match.
    pub terminating: bool,
    /// Shell-style path patterns (see [`matching::path_matches`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<Vec<String>>,
    /// Prefixes of the hex SHA-256 of target paths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_hash_prefixes: Option<Vec<String>>,
}

impl DelegatedRole {
    /// Whether this role is trusted for `target` (its `paths` or its
    /// `path_hash_prefixes` match).
    pub fn is_delegated_path(&self, target: &str) -> bool {
        if let Some(patterns) = &self.paths {
            return patterns.iter().any(|p| matching::path_matches(p, target));
        }
        if let Some(prefixes) = &self.path_hash_prefixes {
            let digest = matching::path_hash_hex(target);
            return prefixes.iter().any(|p| digest.starts_with(p.as_str()));
        }
        false
    }
}

/// TAP 15 succinct delegation: `2^bit_length` bins `{name_prefix}-{n}` sharing one
/// set of keys; a target belongs to the bin numbered by the first `bit_length` bits
/// of the SHA-256 of its path. Bins are always terminating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuccinctRoles {
    /// Keys and threshold of every bin. Its `extra` holds the fields the
    /// specification does not define.
    #[serde(flatten)]
    pub keys: RoleKeys,
    /// Bits of the path hash that number the bin, 1 to 32.
    pub bit_length: u32,
    /// The bin names' prefix.
    pub name_prefix: String,
}

impl SuccinctRoles {
    /// How many hex digits bin numbers have: ceil(bit_length / 4).
    pub fn suffix_width(&self) -> usize {
        self.bit_length.div_ceil(4) as usize
    }

    /// The name of bin `n`.
    pub fn bin_name(&self, n: u32) -> String {
        format!("{}-{:0width$x}", self.name_prefix, n, width = self.suffix_width())
    }

    /// The bin `target` belongs to.
    pub fn bin_for_target(&self, target: &str) -> String {
        self.bin_name(matching::succinct_bin(target, self.bit_length))
    }

    /// Every bin name, in order.
    pub fn bin_names(&self) -> impl Iterator<Item = String> + '_ {
        (0..=self.last_bin()).map(|n| self.bin_name(n))
    }

    /// Whether `name` is one of the bins.
    pub fn is_bin(&self, name: &str) -> bool {
        let Some(suffix) = name.strip_prefix(&self.name_prefix).and_then(|s| s.strip_prefix('-')) else {
            return false;
        };
        suffix.len() == self.suffix_width()
            && suffix.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && u32::from_str_radix(suffix, 16).is_ok_and(|n| n <= self.last_bin())
    }

    fn last_bin(&self) -> u32 {
        if self.bit_length >= 32 { u32::MAX } else { (1u32 << self.bit_length) - 1 }
    }
}

/// `delegations`: the keys of delegated roles, and either the roles in priority
/// order or a succinct delegation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delegations {
    /// Keys by their (opaque) ID.
    pub keys: BTreeMap<String, Key>,
    /// The delegated roles, in the order the search visits them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<DelegatedRole>>,
    /// A TAP 15 succinct delegation, instead of `roles`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub succinct_roles: Option<SuccinctRoles>,
    /// Fields the specification does not define.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Delegations {
    /// The delegated roles trusted for `target`, in the order the specification's
    /// search visits them (for succinct delegations, the one bin, terminating).
    /// Names are owned because succinct bin names are computed.
    pub fn roles_for_target(&self, target: &str) -> Vec<(String, bool)> {
        if let Some(succinct) = &self.succinct_roles {
            return vec![(succinct.bin_for_target(target), true)];
        }
        self.roles
            .iter()
            .flatten()
            .filter(|r| r.is_delegated_path(target))
            .map(|r| (r.name.clone(), r.terminating))
            .collect()
    }

    /// The keys and threshold this delegation gives role `name`, if it delegates to it.
    pub fn role_keys(&self, name: &str) -> Option<&RoleKeys> {
        if let Some(succinct) = &self.succinct_roles {
            return succinct.is_bin(name).then_some(&succinct.keys);
        }
        self.roles.iter().flatten().find(|r| r.name == name).map(|r| &r.keys)
    }

    fn check(&self) -> Result<(), String> {
        match (&self.roles, &self.succinct_roles) {
            (Some(roles), None) => {
                let mut names = BTreeSet::new();
                for role in roles {
                    if !names.insert(role.name.as_str()) {
                        return Err(format!("delegated role {:?} is listed twice", role.name));
                    }
                    role.keys.check(&role.name)?;
                    if role.paths.is_some() == role.path_hash_prefixes.is_some() {
                        return Err(format!(
                            "delegated role {:?} must have exactly one of paths and path_hash_prefixes",
                            role.name
                        ));
                    }
                }
                Ok(())
            }
            (None, Some(s)) => {
                if !(1..=32).contains(&s.bit_length) {
                    return Err(format!("succinct_roles bit_length {} is not between 1 and 32", s.bit_length));
                }
                s.keys.check(&s.name_prefix)
            }
            _ => Err("delegations must have exactly one of roles and succinct_roles".into()),
        }
    }
}

/// `targets` metadata, top-level or delegated.
///
/// Parsed by hand rather than with serde's `flatten`, which would buffer the whole
/// (possibly 100,000-entry) `targets` map before parsing it; the same rules hold:
/// required fields, no duplicates, every other field kept in `extra`. The `targets`
/// map itself stays JSON text until a target is looked up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Targets {
    /// `_type`, `spec_version`, `version`, `expires`.
    #[serde(flatten)]
    pub header: Header,
    /// Target files by path, kept as the JSON text received and decoded per lookup
    /// ([`Targets::target`]): a 100,000-target file is never decoded whole.
    pub targets: TargetMap<TargetFile>,
    /// Delegations, when the role delegates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delegations: Option<Delegations>,
    /// Fields the specification does not define.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl<'de> Deserialize<'de> for TargetFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TargetFile;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a target file")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TargetFile, A::Error> {
                let (mut length, mut hashes, mut extra) = (None, None, BTreeMap::new());
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "length" => fill(&mut length, &key, map.next_value()?)?,
                        "hashes" => fill(&mut hashes, &key, map.next_value()?)?,
                        _ => other(&mut extra, key, map.next_value()?)?,
                    }
                }
                Ok(TargetFile { length: need(length, "length")?, hashes: need(hashes, "hashes")?, extra })
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for Targets {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Targets;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("targets metadata")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Targets, A::Error> {
                let mut header = HeaderFields::default();
                let (mut targets, mut delegations, mut extra) = (None, None, BTreeMap::new());
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "targets" => fill(&mut targets, &key, map.next_value()?)?,
                        "delegations" => fill(&mut delegations, &key, map.next_value::<Option<Delegations>>()?)?,
                        _ if HeaderFields::is_header(&key) => header.read(&key, &mut map)?,
                        _ => other(&mut extra, key, map.next_value()?)?,
                    }
                }
                Ok(Targets {
                    header: header.finish()?,
                    targets: need(targets, "targets")?,
                    delegations: delegations.flatten(),
                    extra,
                })
            }
        }
        d.deserialize_map(V)
    }
}

impl Role for Targets {
    const TYPE: &'static str = "targets";

    fn header(&self) -> &Header {
        &self.header
    }

    fn check_structure(&self) -> Result<(), String> {
        if self.targets.json_text().first() != Some(&b'{') {
            return Err("targets is not a JSON object".into());
        }
        self.delegations.as_ref().map_or(Ok(()), Delegations::check)
    }
}

impl Targets {
    /// The entry for target `path`, decoded and checked (a length, at least one hex
    /// hash) now: an entry is only judged when it is looked up, so one malformed entry
    /// makes that target fail, not the other 99,999.
    pub fn target(&self, path: &str) -> Result<Option<TargetFile>, String> {
        let Some(file) = self.targets.get(path).map_err(|e| format!("target {path:?}: {e}"))? else {
            return Ok(None);
        };
        check_hashes(&file.hashes).map_err(|e| format!("target {path:?}: {e}"))?;
        Ok(Some(file))
    }

    /// Every target entry, in file order, decoded and checked.
    pub fn all_targets(&self) -> Result<Vec<(String, TargetFile)>, String> {
        let entries = self.targets.entries().map_err(|e| format!("targets: {e}"))?;
        for (path, file) in &entries {
            check_hashes(&file.hashes).map_err(|e| format!("target {path:?}: {e}"))?;
        }
        Ok(entries)
    }
}
