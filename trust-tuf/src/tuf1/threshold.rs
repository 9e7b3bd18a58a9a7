//! Signature thresholds: which signatures count for a role.

use std::collections::{BTreeMap, HashSet};

use crate::crypto::CryptoProvider;
use crate::{Error, Result};

use super::envelope::{Metadata, Role};
use super::key::Key;
use super::roles::{RoleKeys, Root};

/// How the signatures of one file counted against a role's keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Count {
    /// Distinct keys (by key material) whose signature verified.
    pub valid: usize,
    /// Signatures ignored, with why (not listed, no such key, unsupported scheme,
    /// invalid, same key again).
    pub ignored: Vec<(String, String)>,
}

/// Counts the signatures of `md` that verify under `role_keys`, looking keys up in
/// `keys` (the delegator's key map). A signature counts only when its key ID is one
/// the role lists, the key is in `keys` and supported, and the signature verifies
/// over the canonical `signed` bytes with `provider`. Each distinct key counts once:
/// a key ID repeated in `signatures`, or two key IDs naming the same key material,
/// add nothing.
pub fn count<T: Role>(
    md: &Metadata<T>,
    keys: &BTreeMap<String, Key>,
    role_keys: &RoleKeys,
    provider: &dyn CryptoProvider,
) -> Count {
    let mut counted = HashSet::new();
    let mut seen_ids = HashSet::new();
    let mut out = Count::default();
    let msg = md.canonical_signed();
    for sig in &md.signatures {
        let mut ignore = |why: String| out.ignored.push((sig.keyid.clone(), why));
        if !role_keys.keyids.contains(&sig.keyid) {
            ignore("the role does not list this key".into());
            continue;
        }
        let Some(key) = keys.get(&sig.keyid) else {
            ignore("no such key".into());
            continue;
        };
        let verifier = match key.verifier() {
            Ok(v) => v,
            Err(e) => {
                ignore(e);
                continue;
            }
        };
        if counted.contains(&verifier.public) {
            ignore("the same key signed already".into());
            continue;
        }
        if !seen_ids.insert(sig.keyid.as_str()) {
            // A repeated key ID whose earlier signature failed: one key, one chance.
            ignore("key ID repeated".into());
            continue;
        }
        match verifier.verify(provider, msg, &sig.sig) {
            Ok(()) => {
                counted.insert(verifier.public);
                out.valid += 1;
            }
            Err(e) => ignore(e),
        }
    }
    out
}

/// Verifies that `md`, the metadata of `role`, is signed by at least
/// `role_keys.threshold` distinct keys (see [`count`]). The error names the role, the
/// threshold and how many keys signed.
pub fn verify<T: Role>(
    role: &str,
    md: &Metadata<T>,
    keys: &BTreeMap<String, Key>,
    role_keys: &RoleKeys,
    provider: &dyn CryptoProvider,
) -> Result<usize> {
    let c = count(md, keys, role_keys, provider);
    if (c.valid as u64) < role_keys.threshold {
        return Err(Error::verification(
            role,
            format!(
                "signed by {} of the {} distinct keys needed (threshold {}); the repository's metadata is not trustworthy",
                c.valid, role_keys.threshold, role_keys.threshold
            ),
        ));
    }
    Ok(c.valid)
}

impl Root {
    /// Verifies top-level metadata `md` of `role` (`root`, `timestamp`, `snapshot`,
    /// `targets`) against this root's keys and threshold for the role. A new root
    /// must pass this twice: with the trusted root, and with itself.
    pub fn verify_role<T: Role>(&self, role: &str, md: &Metadata<T>, provider: &dyn CryptoProvider) -> Result<usize> {
        let role_keys = self.role(role).ok_or_else(|| Error::verification(role, "root names no such role"))?;
        verify(role, md, &self.keys, role_keys, provider)
    }
}
