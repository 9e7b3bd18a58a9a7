//! Signatures for one delegation file collected on several machines (k-of-n): what
//! a signing request must be before another signer adds a signature to it, or it
//! is published. The caller passes the request's parts and the verified current
//! state of the repository; nothing here reads a file or the network.
//!
//! A request is refused as [`Refusal::Stale`] when the role or the snapshot moved on
//! since it was built, and as [`Refusal::Altered`] when its signed part is not the
//! current file with the one tag it names set to the target it names, or when any
//! signature in it is not a valid signature by a key of the role over that part.
//! Each key counts once toward the threshold, by canonical ID, as every reader
//! counts it ([`crate::trusted::signatures::tally`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::canonical;
use crate::crypto::CryptoProvider;
use crate::crypto::keyid::canonical_key_id;
use crate::trusted::signatures::{short, tally};
use crate::wire::{DelegatedRole, Expiry, FileMeta, PublicKey, Signature};

/// What a request was built on: the version and SHA-256 (hex) of the role's file
/// (version 0 and no digest for a role with no file yet) and of the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Basis {
    /// The role file's version.
    pub role_version: u64,
    /// The role file's SHA-256, hex; None when it has no file.
    pub role_sha256: Option<String>,
    /// The snapshot's version.
    pub snapshot_version: u64,
    /// The snapshot's SHA-256, hex.
    pub snapshot_sha256: String,
}

/// A signing request's parts, as read from it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The delegation role (`targets/releases`).
    pub role: &'a str,
    /// The tag it signs.
    pub tag: &'a str,
    /// The target it says the tag gets.
    pub target: &'a FileMeta,
    /// What it says the tag pointed to before (None: a new tag).
    pub previous: Option<&'a FileMeta>,
    /// What it says it was built on.
    pub basis: &'a Basis,
    /// The canonical bytes of the new file's `signed` part.
    pub signed: &'a [u8],
    /// The signatures collected so far.
    pub signatures: &'a [Signature],
}

/// The verified state of the repository now.
#[derive(Debug, Clone, Copy)]
pub struct Current<'a> {
    /// The role's entry in its parent: keys and threshold.
    pub delegation: &'a DelegatedRole,
    /// The parent's delegation keys.
    pub keys: &'a BTreeMap<String, PublicKey>,
    /// The `signed` value of the role's current file, None when it has none.
    pub role: Option<&'a Value>,
    /// What the current state is.
    pub basis: &'a Basis,
}

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The role or the snapshot moved on since the request was built.
    Stale(String),
    /// The request is not what it says, or a signature in it is not valid.
    Altered(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Stale(why) | Refusal::Altered(why) => f.write_str(why),
        }
    }
}

/// A request that passed [`review`]: who signed it and who has not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// The canonical IDs of the role's keys with a valid signature, each once.
    pub signed_by: BTreeSet<String>,
    /// The canonical IDs of the role's keys that have not signed.
    pub missing: BTreeSet<String>,
    /// The role's threshold.
    pub threshold: u64,
}

impl Review {
    /// How many more keys must sign.
    pub fn needed(&self) -> u64 {
        self.threshold.saturating_sub(self.signed_by.len() as u64)
    }
}

/// Checks `request` against `current`; see the module documentation.
pub fn review(request: &Request<'_>, current: &Current<'_>, provider: &dyn CryptoProvider) -> Result<Review, Refusal> {
    let role = request.role;
    if request.basis != current.basis {
        return Err(Refusal::Stale(format!(
            "the request was built on version {} of {role} and version {} of the snapshot; they are now at \
             versions {} and {}: make a new request with trust sign --partial",
            request.basis.role_version,
            request.basis.snapshot_version,
            current.basis.role_version,
            current.basis.snapshot_version
        )));
    }
    let altered = |why: String| Refusal::Altered(format!("the request for {role} was altered: {why}"));
    if !canonical::is_canonical(request.signed) {
        return Err(altered("its signed part is not canonical JSON".into()));
    }
    let new: Value =
        serde_json::from_slice(request.signed).map_err(|e| altered(format!("its signed part is not JSON: {e}")))?;
    let expires = new["expires"].as_str().filter(|e| Expiry::parse(e).is_some());
    let Some(expires) = expires else { return Err(altered("its signed part has no valid expiry".into())) };
    let mut expected = current.role.cloned().unwrap_or_else(
        || json!({"_type": "Targets", "delegations": {"keys": {}, "roles": []}, "expires": "", "targets": {}}),
    );
    let before: Option<FileMeta> =
        expected["targets"].get(request.tag).and_then(|m| serde_json::from_value(m.clone()).ok());
    if before.as_ref() != request.previous {
        return Err(altered(format!("the digest it names as {}'s previous one is not the current one", request.tag)));
    }
    let target = serde_json::to_value(request.target).map_err(|e| altered(e.to_string()))?;
    if !expected["targets"].is_object() {
        expected["targets"] = json!({});
    }
    expected["targets"][request.tag] = target;
    expected["version"] = json!(current.basis.role_version + 1);
    expected["expires"] = json!(expires);
    if new != expected {
        return Err(altered(format!(
            "its signed part is not the current {role} with {} set to the target the request names",
            request.tag
        )));
    }
    let keyids = &current.delegation.keyids;
    if let Some(stranger) = request.signatures.iter().find(|s| !keyids.contains(&s.keyid)) {
        return Err(altered(format!("a signature is by key {}, which is not a key of {role}", short(&stranger.keyid))));
    }
    let counted = tally(request.signed, request.signatures, current.keys, keyids, provider);
    if !counted.failures.is_empty() {
        return Err(altered(format!("a signature does not verify: {}", counted.failures.join("; "))));
    }
    let all: BTreeSet<String> =
        keyids.iter().filter_map(|id| current.keys.get(id)).filter_map(|key| canonical_key_id(key).ok()).collect();
    let missing = all.into_iter().filter(|id| !counted.counted.contains(id)).collect();
    Ok(Review { signed_by: counted.counted.into_iter().collect(), missing, threshold: current.delegation.threshold })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::default_provider;
    use crate::crypto::signer::{KeyAlgorithm, PrivateKey};

    struct Case {
        keys: Vec<PrivateKey>,
        delegation: DelegatedRole,
        key_map: BTreeMap<String, PublicKey>,
        current: Value,
        basis: Basis,
        signed: Vec<u8>,
        target: FileMeta,
        previous: FileMeta,
    }

    /// A 2-of-2 `targets/releases` at version 3 holding `v1` → `old`, and the new
    /// file that points `v1` to `new`.
    fn case() -> Case {
        let keys = vec![
            PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap(),
            PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap(),
        ];
        let key_map: BTreeMap<String, PublicKey> =
            keys.iter().map(|k| (k.public_key().tuf_id(), k.public_key())).collect();
        let delegation = DelegatedRole {
            name: "targets/releases".into(),
            keyids: key_map.keys().cloned().collect(),
            threshold: 2,
            paths: vec![String::new()],
            path_hash_prefixes: vec![],
            terminating: false,
        };
        let previous = FileMeta::for_bytes(b"old");
        let target = FileMeta::for_bytes(b"new");
        let current = json!({"_type": "Targets", "delegations": {"keys": {}, "roles": []},
            "expires": "2029-01-01T00:00:00Z", "targets": {"v1": previous, "v0": FileMeta::for_bytes(b"v0")}, "version": 3});
        let mut new = current.clone();
        new["targets"]["v1"] = serde_json::to_value(&target).unwrap();
        new["version"] = json!(4);
        new["expires"] = json!("2030-01-01T00:00:00Z");
        let basis = Basis {
            role_version: 3,
            role_sha256: Some("aa".into()),
            snapshot_version: 9,
            snapshot_sha256: "bb".into(),
        };
        Case { keys, delegation, key_map, current, basis, signed: canonical::to_vec(&new).unwrap(), target, previous }
    }

    fn sign(key: &PrivateKey, bytes: &[u8]) -> Signature {
        let (method, sig) = key.sign(bytes).unwrap();
        Signature { keyid: key.public_key().tuf_id(), method: method.to_owned(), sig }
    }

    fn check(c: &Case, signed: &[u8], signatures: &[Signature], basis: &Basis) -> Result<Review, Refusal> {
        let request = Request {
            role: "targets/releases",
            tag: "v1",
            target: &c.target,
            previous: Some(&c.previous),
            basis,
            signed,
            signatures,
        };
        let current = Current { delegation: &c.delegation, keys: &c.key_map, role: Some(&c.current), basis: &c.basis };
        review(&request, &current, default_provider())
    }

    #[test]
    fn counts_each_key_once_and_names_the_missing_ones() {
        let c = case();
        let first = sign(&c.keys[0], &c.signed);
        let review = check(&c, &c.signed, &[first.clone(), first], &c.basis).unwrap();
        assert_eq!(review.signed_by.len(), 1, "one key signing twice counts once");
        assert_eq!(review.needed(), 1);
        let second = canonical_key_id(&c.keys[1].public_key()).unwrap();
        assert_eq!(review.missing, BTreeSet::from([second]));
        let both = [sign(&c.keys[0], &c.signed), sign(&c.keys[1], &c.signed)];
        let review = check(&c, &c.signed, &both, &c.basis).unwrap();
        assert_eq!((review.needed(), review.missing.len()), (0, 0));
    }

    #[test]
    fn a_changed_byte_or_a_swapped_signature_is_refused() {
        let c = case();
        let mut changed = c.signed.clone();
        let at = changed.iter().position(|&b| b == b'4').unwrap(); // one byte of the signed part
        changed[at] = b'5';
        let sig = sign(&c.keys[0], &changed);
        assert!(matches!(check(&c, &changed, &[sig], &c.basis), Err(Refusal::Altered(_))));
        // Valid JSON, other content, re-signed: still not the current file plus the tag.
        let mut other: Value = serde_json::from_slice(&c.signed).unwrap();
        other["targets"].as_object_mut().unwrap().remove("v0");
        let other = canonical::to_vec(&other).unwrap();
        let err = check(&c, &other, &[sign(&c.keys[0], &other)], &c.basis).unwrap_err();
        assert!(err.to_string().contains("is not the current targets/releases with v1 set"), "{err}");
        // A signature over other bytes, under a role key's ID.
        let swapped = sign(&c.keys[1], b"something else");
        let err = check(&c, &c.signed, &[sign(&c.keys[0], &c.signed), swapped], &c.basis).unwrap_err();
        assert!(err.to_string().contains("a signature does not verify"), "{err}");
        // A signature by a key outside the role.
        let stranger = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let err = check(&c, &c.signed, &[sign(&stranger, &c.signed)], &c.basis).unwrap_err();
        assert!(err.to_string().contains("which is not a key of targets/releases"), "{err}");
        // Not canonical (a space added), though the same JSON value.
        let mut spaced = b" ".to_vec();
        spaced.extend_from_slice(&c.signed);
        assert!(matches!(check(&c, &spaced, &[], &c.basis), Err(Refusal::Altered(_))));
    }

    #[test]
    fn a_request_built_on_an_older_state_is_stale() {
        let c = case();
        let old = Basis { snapshot_version: 8, ..c.basis.clone() };
        let err = check(&c, &c.signed, &[sign(&c.keys[0], &c.signed)], &old).unwrap_err();
        assert!(matches!(err, Refusal::Stale(_)));
        assert!(err.to_string().contains("make a new request with trust sign --partial"), "{err}");
    }

    #[test]
    fn the_previous_digest_must_be_the_current_one() {
        let c = case();
        let request = Request {
            role: "targets/releases",
            tag: "v1",
            target: &c.target,
            previous: None,
            basis: &c.basis,
            signed: &c.signed,
            signatures: &[],
        };
        let current = Current { delegation: &c.delegation, keys: &c.key_map, role: Some(&c.current), basis: &c.basis };
        let err = review(&request, &current, default_provider()).unwrap_err();
        assert!(err.to_string().contains("previous one is not the current one"), "{err}");
    }
}
