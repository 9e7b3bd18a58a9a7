//! A new repository's root, and root re-signing near expiry.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::{KeySource, ROOT_LIFETIME_DAYS, ROOT_RESIGN_WITHIN_DAYS, expiry_in, sign, signing_keys};
use crate::client::Client;
use crate::{Error, Result};
use trust_tuf::crypto::x509::make_root_certificate;
use trust_tuf::wire::{Expiry, PublicKey};

/// A new repository's signed root.
pub(super) struct NewRepository {
    pub root_signed: Value,
    pub root_bytes: Vec<u8>,
}

/// Initialises a repository as docker does: the root key (an existing one, or new)
/// published as a self-signed certificate for the GUN valid 10 years, a local
/// targets key, and the server's snapshot and timestamp keys; on a store with no
/// server to sign them ([`super::upload::Upload::publisher_signs`]), snapshot and
/// timestamp keys of the publisher's own, next to the targets key (the ones an earlier
/// attempt created, when it did not reach the store).
pub(super) fn new_repository(client: &Client, keys: &dyn KeySource, now: DateTime<Utc>) -> Result<NewRepository> {
    let gun = client.gun();
    let root_key = keys.root_key()?;
    let expires = expiry_in(now, ROOT_LIFETIME_DAYS);
    let certificate = make_root_certificate(&root_key, gun, now, expires.at())?;
    let targets = keys.role_key("targets", gun)?.public_key();
    let store = super::upload::to(client.remote());
    let key_of = |role: &str| {
        if store.publisher_signs() {
            keys.role_key(role, gun).map(|k| k.public_key())
        } else {
            store.server_key(gun, role)
        }
    };
    let snapshot = key_of("snapshot")?;
    let timestamp = key_of("timestamp")?;
    let mut all = Map::new();
    let mut role = |key: &PublicKey| -> Result<Value> {
        all.insert(key.tuf_id(), serde_json::to_value(key).map_err(|e| Error::malformed("root", e))?);
        Ok(json!({"keyids": [key.tuf_id()], "threshold": 1}))
    };
    let roles = json!({
        "root": role(&certificate)?,
        "snapshot": role(&snapshot)?,
        "targets": role(&targets)?,
        "timestamp": role(&timestamp)?,
    });
    let root_signed = json!({
        "_type": "Root",
        "consistent_snapshot": false,
        "expires": expires.as_str(),
        "keys": all,
        "roles": roles,
        "version": 1,
    });
    let root_bytes = sign("root", &root_signed, &[(certificate.tuf_id(), root_key)])?;
    Ok(NewRepository { root_signed, root_bytes })
}

/// The key IDs and keys of a top-level role, as `root` lists them.
pub(super) fn root_role_keys(root: &Value, role: &str) -> Result<Vec<(String, PublicKey)>> {
    let ids = root["roles"][role]["keyids"].as_array().cloned().unwrap_or_default();
    ids.iter()
        .filter_map(Value::as_str)
        .map(|id| {
            let key = root["keys"].get(id).cloned().ok_or_else(|| Error::malformed("root", format!("no key {id}")))?;
            Ok((id.to_owned(), serde_json::from_value(key).map_err(|e| Error::malformed("root", e))?))
        })
        .collect()
}

/// A new version of `root`, valid 10 more years, when it expires within six months
/// and a root key is held (notary re-signs at the same point). `None` otherwise.
pub(super) fn resign_root_if_near_expiry(
    root: &Value,
    keys: &dyn KeySource,
    now: DateTime<Utc>,
) -> Result<Option<Vec<u8>>> {
    let expires = root["expires"].as_str().and_then(Expiry::parse);
    if expires.is_some_and(|e| e.at() - now > chrono::Duration::days(ROOT_RESIGN_WITHIN_DAYS)) {
        return Ok(None);
    }
    let signers = signing_keys(keys, "root", &root_role_keys(root, "root")?)?;
    if signers.is_empty() {
        return Ok(None);
    }
    let mut next = root.clone();
    next["version"] = json!(root["version"].as_u64().unwrap_or(0) + 1);
    next["expires"] = json!(expiry_in(now, ROOT_LIFETIME_DAYS).as_str());
    sign("root", &next, &signers).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::test_keys::OneKey;
    use trust_tuf::crypto::signer::{KeyAlgorithm, PrivateKey};

    fn root_expiring_in(days: i64, key: &PrivateKey, now: DateTime<Utc>) -> Value {
        let cert = make_root_certificate(
            key,
            "example.com/app",
            now - chrono::Duration::days(1),
            now + chrono::Duration::days(3650),
        )
        .unwrap();
        json!({
            "_type": "Root", "consistent_snapshot": false,
            "expires": expiry_in(now, days).as_str(),
            "keys": {cert.tuf_id(): serde_json::to_value(&cert).unwrap()},
            "roles": {"root": {"keyids": [cert.tuf_id()], "threshold": 1}},
            "version": 4,
        })
    }

    #[test]
    fn a_root_near_expiry_is_resigned_for_ten_years() {
        let now = Utc::now();
        let keys = OneKey(PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap());
        let root = root_expiring_in(30, &keys.0, now);
        let bytes = resign_root_if_near_expiry(&root, &keys, now).unwrap().expect("re-signed");
        let next = crate::publish::signed_value("root", &bytes).unwrap();
        assert_eq!(next["version"], 5);
        let expires = Expiry::parse(next["expires"].as_str().unwrap()).unwrap();
        assert!(expires.at() - now > chrono::Duration::days(3640));
        assert!(resign_root_if_near_expiry(&root_expiring_in(400, &keys.0, now), &keys, now).unwrap().is_none());
    }

    #[test]
    fn without_a_root_key_nothing_is_resigned() {
        let now = Utc::now();
        let signer = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let other = OneKey(PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap());
        assert!(resign_root_if_near_expiry(&root_expiring_in(30, &signer, now), &other, now).unwrap().is_none());
    }
}
