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
    check_delegation_threshold(role, signed, signatures, keys, keyids, threshold, provider).map_err(strict)
}

/// A [`Error::BelowThreshold`] as the verification failure it is for a role that
/// must verify (every top-level role).
pub(crate) fn strict(e: Error) -> Error {
    match e {
        Error::BelowThreshold { role, reason } => Error::Verification { role, reason },
        e => e,
    }
}

/// [`check_threshold`] for a delegation: a shortfall with no signature by a listed key
/// rejected (the keys that signed are no longer listed, or too few signed) is
/// [`Error::BelowThreshold`], which readers treat as a delegation holding no targets;
/// a rejected signature stays a verification failure.
pub(crate) fn check_delegation_threshold(
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
    let Tally { counted, failures } = tally(&message, signatures, keys, keyids, provider);
    if (counted.len() as u64) < threshold {
        let mut reason = format!(
            "signature threshold not met: {} valid signature(s) from distinct keys, {threshold} required",
            counted.len()
        );
        if failures.is_empty() {
            // Nothing a listed key signed was rejected: the file is signed by keys the
            // role no longer lists (or by too few of them).
            return Err(Error::BelowThreshold { role: role.to_owned(), reason });
        }
        reason.push_str(" (");
        reason.push_str(&failures.join("; "));
        reason.push(')');
        return Err(Error::verification(role, reason));
    }
    Ok(())
}

/// How the signatures of one file count toward a role's threshold.
#[derive(Debug, Default)]
pub struct Tally {
    /// The canonical IDs of the distinct key pairs with a valid signature.
    pub counted: HashSet<String>,
    /// Why role keys' signatures did not count (`key <id>: <reason>`), in file order.
    pub failures: Vec<String>,
}

/// Counts the signatures over `message` (the canonical `signed` bytes) by keys among
/// `keyids`, once per key pair, verified by `provider`: the one counting rule, used by
/// every threshold check and by the audit.
///
/// Signatures from keys outside the role are skipped, as are those by a key the
/// metadata does not define; a key defined under another ID or unparsable, and a
/// signature that fails to verify, is a failure. A key pair already counted is not
/// checked again.
pub fn tally(
    message: &[u8],
    signatures: &[Signature],
    keys: &BTreeMap<String, PublicKey>,
    keyids: &[String],
    provider: &dyn CryptoProvider,
) -> Tally {
    let mut out = Tally::default();
    for sig in signatures {
        if !keyids.iter().any(|id| id == &sig.keyid) {
            continue;
        }
        let (key, identity) = match signing_key(sig, keys) {
            Ok(found) => found,
            Err(Unusable::UnknownKey) => continue,
            Err(problem) => {
                out.failures.push(format!("key {} {problem}", short(&sig.keyid)));
                continue;
            }
        };
        if out.counted.contains(&identity) {
            continue;
        }
        match provider.verify(key, &sig.method, message, &sig.sig) {
            Ok(()) => {
                out.counted.insert(identity);
            }
            Err(e) => out.failures.push(format!("key {}: {e}", short(&sig.keyid))),
        }
    }
    out
}

/// Why a signature cannot count, found before its bytes are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    /// The metadata defines no key with the signature's key ID.
    UnknownKey,
    /// The key defined under that ID has another ID.
    IdMismatch,
    /// The key cannot be parsed, so it has no canonical identity.
    Unparsable,
}

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unusable::UnknownKey => "is not defined by the metadata",
            Unusable::IdMismatch => "does not match its ID",
            Unusable::Unparsable => "cannot be parsed",
        })
    }
}

/// The key behind `sig` and the identity it counts under: the metadata must define
/// the key under exactly its own TUF ID, and the identity is the canonical key ID,
/// so a certificate and the bare key inside it, or one key listed twice, count once.
/// The rule [`tally`] and the audit's per-signature report share.
pub fn signing_key<'k>(
    sig: &Signature,
    keys: &'k BTreeMap<String, PublicKey>,
) -> std::result::Result<(&'k PublicKey, String), Unusable> {
    let key = keys.get(&sig.keyid).ok_or(Unusable::UnknownKey)?;
    if key.tuf_id() != sig.keyid {
        return Err(Unusable::IdMismatch);
    }
    let identity = canonical_key_id(key).map_err(|_| Unusable::Unparsable)?;
    Ok((key, identity))
}

/// The first 12 characters of a key ID, as messages show it.
pub fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, Utc};

    use super::*;
    use crate::crypto::signer::{KeyAlgorithm, PrivateKey};
    use crate::crypto::x509::make_root_certificate;

    fn signature_by(keyid: &str) -> Signature {
        Signature { keyid: keyid.into(), method: "ecdsa".into(), sig: vec![0; 64] }
    }

    #[test]
    fn a_certificate_and_its_bare_key_count_as_one_identity() {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let now = Utc::now();
        let cert = make_root_certificate(&key, "example.com/app", now, now + TimeDelta::days(30)).unwrap();
        let bare = key.public_key();
        let keys: BTreeMap<String, PublicKey> = [&cert, &bare].iter().map(|k| (k.tuf_id(), (*k).clone())).collect();
        let (_, from_cert) = signing_key(&signature_by(&cert.tuf_id()), &keys).unwrap();
        let (_, from_bare) = signing_key(&signature_by(&bare.tuf_id()), &keys).unwrap();
        assert_ne!(cert.tuf_id(), bare.tuf_id());
        assert_eq!(from_cert, from_bare);
    }

    #[test]
    fn unknown_and_mislabelled_keys_are_unusable() {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap().public_key();
        let other = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap().public_key();
        // `other` is listed under `key`'s ID: a signature naming that ID cannot count.
        let keys: BTreeMap<String, PublicKey> = [(key.tuf_id(), other.clone())].into_iter().collect();
        let unknown = signing_key(&signature_by(&other.tuf_id()), &keys).map(|_| ());
        assert_eq!(unknown, Err(Unusable::UnknownKey));
        let mislabelled = signing_key(&signature_by(&key.tuf_id()), &keys).map(|_| ());
        assert_eq!(mislabelled, Err(Unusable::IdMismatch));
        assert_eq!(Unusable::IdMismatch.to_string(), "does not match its ID");
    }
}
