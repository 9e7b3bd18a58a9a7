//! Threshold signature checks over the canonical form of received bytes.

use std::collections::{BTreeMap, HashSet};

use serde_json::value::RawValue;

use crate::canonical;
use crate::crypto::{CryptoProvider, keyid::canonical_key_id};
use crate::wire::{PublicKey, Signature};
use crate::{Error, Result};

/// Checks that at least `threshold` distinct keys among `keyids` produced valid
/// signatures over the canonical form of `signed`.
///
/// Keys are counted once each: by their canonical ID, so a certificate and the bare
/// key inside it, or one key listed twice, cannot fake a threshold. Signatures from
/// keys outside the role, with an ID that does not match its key, with a method that
/// does not fit the key type, or that fail to verify are skipped.
pub(crate) fn check_threshold(
    role: &str,
    signed: &RawValue,
    signatures: &[Signature],
    keys: &BTreeMap<String, PublicKey>,
    keyids: &[String],
    threshold: u64,
    provider: &dyn CryptoProvider,
) -> Result<()> {
    if signatures.is_empty() {
        return Err(Error::verification(role, "metadata has no signatures"));
    }
    if threshold < 1 {
        return Err(Error::verification(role, "threshold must be at least 1"));
    }
    let message = canonical::canonicalize(signed.get().as_bytes()).map_err(|e| Error::malformed(role, e))?;
    let mut counted: HashSet<String> = HashSet::new();
    let mut failures: Vec<String> = Vec::new();
    for sig in signatures {
        if !keyids.iter().any(|id| id == &sig.keyid) {
            continue;
        }
        let Some(key) = keys.get(&sig.keyid) else {
            continue;
        };
        if key.tuf_id() != sig.keyid {
            failures.push(format!("key {} does not match its ID", short(&sig.keyid)));
            continue;
        }
        let Ok(identity) = canonical_key_id(key) else {
            failures.push(format!("key {} cannot be parsed", short(&sig.keyid)));
            continue;
        };
        if counted.contains(&identity) {
            continue;
        }
        match provider.verify(key, &sig.method, &message, &sig.sig) {
            Ok(()) => {
                counted.insert(identity);
            }
            Err(e) => failures.push(format!("key {}: {e}", short(&sig.keyid))),
        }
    }
    if (counted.len() as u64) < threshold {
        let mut reason = format!(
            "signature threshold not met: {} valid signature(s) from distinct keys, {threshold} required",
            counted.len()
        );
        if !failures.is_empty() {
            reason.push_str(" (");
            reason.push_str(&failures.join("; "));
            reason.push(')');
        }
        return Err(Error::verification(role, reason));
    }
    Ok(())
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}
