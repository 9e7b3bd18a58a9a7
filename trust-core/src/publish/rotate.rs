//! Key rotation (`trust key rotate ROLE REPOSITORY`), as notary's `key rotate`: a new
//! key for a top-level role, listed by the next root version, which the current root
//! keys sign (and, for a root rotation, the new root key too, so that clients holding
//! the old root accept the new one). Whatever the new key must sign is re-signed in the
//! same update: targets after a targets rotation, the snapshot whenever it is local.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::init::root_role_keys;
use super::{
    Changelist, KeySource, ROOT_LIFETIME_DAYS, TARGETS_LIFETIME_DAYS, expiry_in, sign, signed_value, signing_keys,
    snapshot,
};
use crate::client::Client;
use crate::{Error, Result};
use trust_tuf::crypto::keyid::canonical_key_id;
use trust_tuf::crypto::signer::PrivateKey;
use trust_tuf::crypto::x509::make_root_certificate;
use trust_tuf::wire::PublicKey;

/// Where a rotated role's new key lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyHolder {
    /// In the trust directory, encrypted; the client signs with it.
    Local,
    /// On the trust server, which signs with it (`snapshot`, `timestamp`).
    Server,
}

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The rotated role.
    pub role: String,
    /// The key IDs the previous root listed for the role.
    pub old_key_ids: Vec<String>,
    /// The key ID the new root lists for it (for root, the certificate's).
    pub new_key_id: String,
    /// The canonical ID of the new key (its key file's name when local).
    pub new_canonical_id: String,
    /// Where the new key lives.
    pub holder: KeyHolder,
    /// The version of the new root.
    pub root_version: u64,
    /// Roles uploaded.
    pub uploaded: Vec<String>,
    /// Warnings (a refresh of the cache that failed after the upload).
    pub warnings: Vec<String>,
}

/// The holder a role is rotated to when none is asked for: root and targets are
/// local; a snapshot stays local as notary makes it; a timestamp is always the
/// server's.
pub fn default_holder(role: &str) -> KeyHolder {
    if role == "timestamp" { KeyHolder::Server } else { KeyHolder::Local }
}

/// Refuses rotations no store can carry, before anything is made or sent.
fn check_rotation(client: &Client, role: &str, holder: KeyHolder) -> Result<()> {
    let url = client.server();
    if super::upload::to(client.remote()).publisher_signs() {
        return Err(Error::InvalidInput(format!(
            "{url} is the registry store, where the publisher signs every snapshot and timestamp: `trust key rotate` \
             does not re-sign them there yet; copy the repository with its keys rotated from a notary-server instead \
             (trust copy), or rotate before moving it"
        )));
    }
    match (role, holder) {
        ("root" | "targets", KeyHolder::Server) => {
            Err(Error::InvalidInput(format!("the {role} key is always local; rotate it without --server-managed")))
        }
        ("root" | "targets", KeyHolder::Local) | ("snapshot" | "timestamp", KeyHolder::Server) => Ok(()),
        ("snapshot" | "timestamp", KeyHolder::Local)
            if super::upload::to(client.remote()).accepts_client_signed(role) =>
        {
            Ok(())
        }
        ("snapshot" | "timestamp", KeyHolder::Local) => Err(Error::InvalidInput(format!(
            "{url} signs every {role} itself and takes none signed by the client (notary-server ignores an uploaded \
             timestamp; the file remote signs both with its own keys): rotate it with --server-managed"
        ))),
        _ => Err(Error::InvalidInput(format!(
            "cannot rotate {role:?}: the roles are root, targets, snapshot and timestamp (a signer's keys change \
             with `trust signer add` and `trust signer remove`)"
        ))),
    }
}

/// Rotates the key of `role` of the client's repository to a new key held by
/// `holder`, publishing root version N+1 (and what it requires) in one update, then
/// refreshes the cache from the server (which verifies the new chain).
pub fn rotate_key(client: &Client, keys: &dyn KeySource, role: &str, holder: KeyHolder) -> Result<Rotation> {
    check_rotation(client, role, holder)?;
    let gun = client.gun();
    let changelist = Changelist::open(client.trust_dir(), gun)?;
    let _lock = changelist.lock()?;
    let now = client.now();
    let repo = client.update_from_server()?;
    let trusted = repo.trusted();
    let root = signed_value("root", trusted.raw("root").unwrap_or_default())?;
    let targets = trusted.raw("targets").map(|raw| signed_value("targets", raw)).transpose()?;
    let previous_snapshot = trusted.raw("snapshot").map(|raw| signed_value("snapshot", raw)).transpose()?;
    drop(repo);

    let root_keys = root_role_keys(&root, "root")?;
    let mut signers = signing_keys(keys, "root", &root_keys)?;
    if signers.is_empty() {
        return Err(missing_root_key(gun, role, &root_keys));
    }
    let old_key_ids: Vec<String> = root_role_keys(&root, role)?.into_iter().map(|(id, _)| id).collect();
    check_threshold(&root, role)?;
    let (public, private) = new_key(client, keys, role, holder, now)?;
    let new_key_id = public.tuf_id();
    let new_canonical_id = canonical_key_id(&public)?;
    let next = next_root(&root, role, &public, &old_key_ids, now)?;
    if role == "root"
        && let Some(key) = &private
    {
        signers.push((new_key_id.clone(), key.try_clone()?));
    }
    let mut uploads = vec![("root".to_owned(), sign("root", &next, &signers)?)];
    if role == "targets" {
        let (Some(mut value), Some(key)) = (targets, private) else {
            return Err(Error::verification("targets", "the repository has no targets to re-sign"));
        };
        value["version"] = json!(value["version"].as_u64().unwrap_or(0) + 1);
        value["expires"] = json!(expiry_in(now, TARGETS_LIFETIME_DAYS).as_str());
        uploads.push(("targets".into(), sign("targets", &value, &[(new_key_id.clone(), key)])?));
    }
    if let Some(bytes) = snapshot::client_snapshot(&next, previous_snapshot.as_ref(), &uploads, &[], keys, now)? {
        uploads.push(("snapshot".into(), bytes));
    }
    super::upload::to(client.remote())
        .publish(gun, &uploads)
        .map_err(|e| e.noted(format!("the {role} key of {gun} was not rotated")))?;
    let mut warnings = Vec::new();
    if let Err(e) = client.update_from_server().and_then(|mut r| r.commit()) {
        warnings.push(format!("rotated, but verifying the new trust data from the server failed: {e}"));
    }
    Ok(Rotation {
        role: role.to_owned(),
        old_key_ids,
        new_key_id,
        new_canonical_id,
        holder,
        root_version: next["version"].as_u64().unwrap_or(0),
        uploaded: uploads.into_iter().map(|(r, _)| r).collect(),
        warnings,
    })
}

fn missing_root_key(gun: &str, role: &str, root_keys: &[(String, PublicKey)]) -> Error {
    Error::Key(format!(
        "no root key of {gun} in this trust directory (its root lists {}): rotating {role} needs a new root version \
         signed by it; import that root key with `trust key load --name root FILE` first",
        canonical_ids(root_keys).join(", ")
    ))
}

/// The canonical IDs (key file names) of `keys`.
pub(crate) fn canonical_ids(keys: &[(String, PublicKey)]) -> Vec<String> {
    keys.iter().map(|(id, key)| canonical_key_id(key).unwrap_or_else(|_| id.clone())).collect()
}

/// The new key of `role`: its public form as the root lists it, and the private key
/// when local (stored encrypted before the root names it).
fn new_key(
    client: &Client,
    keys: &dyn KeySource,
    role: &str,
    holder: KeyHolder,
    now: DateTime<Utc>,
) -> Result<(PublicKey, Option<PrivateKey>)> {
    match holder {
        KeyHolder::Server => Ok((super::upload::to(client.remote()).rotate_server_key(client.gun(), role)?, None)),
        KeyHolder::Local => {
            let key = keys.new_key(role, client.gun())?;
            let public = if role == "root" {
                make_root_certificate(&key, client.gun(), now, expiry_in(now, ROOT_LIFETIME_DAYS).at())?
            } else {
                key.public_key()
            };
            Ok((public, Some(key)))
        }
    }
}

/// Refuses to rotate a role that needs several signatures to one key.
fn check_threshold(root: &Value, role: &str) -> Result<()> {
    let threshold = root["roles"][role]["threshold"].as_u64().unwrap_or(1).max(1);
    if threshold > 1 {
        return Err(Error::InvalidInput(format!(
            "the {role} role needs {threshold} signatures; rotating it to one key would lock it out"
        )));
    }
    Ok(())
}

/// `root` with `role` listing only `public`, one version higher and valid ten more
/// years. Replaced keys no role lists any more are dropped, except old root keys,
/// which notary keeps in `keys`.
pub(crate) fn next_root(
    root: &Value,
    role: &str,
    public: &PublicKey,
    old_key_ids: &[String],
    now: DateTime<Utc>,
) -> Result<Value> {
    let mut next = root.clone();
    replace_role_key(&mut next, role, public, old_key_ids)?;
    bump_root(&mut next, root, now);
    Ok(next)
}

/// `next` (a copy of `root`) one version above `root`, valid ten more years.
pub(crate) fn bump_root(next: &mut Value, root: &Value, now: DateTime<Utc>) {
    next["version"] = json!(root["version"].as_u64().unwrap_or(0) + 1);
    next["expires"] = json!(expiry_in(now, ROOT_LIFETIME_DAYS).as_str());
}

/// Makes `role` of `root` list only `public` (threshold 1), dropping the replaced
/// `old_key_ids` no role lists any more (old root keys stay, as notary keeps them).
pub(crate) fn replace_role_key(root: &mut Value, role: &str, public: &PublicKey, old_key_ids: &[String]) -> Result<()> {
    check_threshold(root, role)?;
    let id = public.tuf_id();
    let key = serde_json::to_value(public).map_err(|e| Error::malformed("root", e))?;
    let keys = root["keys"].as_object_mut().ok_or_else(|| Error::malformed("root", "keys is not an object"))?;
    keys.insert(id.clone(), key);
    root["roles"][role] = json!({"keyids": [id], "threshold": 1});
    if role != "root" {
        let used: Vec<Value> = root["roles"]
            .as_object()
            .map(|roles| roles.values().flat_map(|r| r["keyids"].as_array().cloned().unwrap_or_default()).collect())
            .unwrap_or_default();
        if let Some(keys) = root["keys"].as_object_mut() {
            keys.retain(|k, _| !old_key_ids.contains(k) || used.contains(&json!(k)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use trust_tuf::crypto::signer::KeyAlgorithm;

    fn key() -> PublicKey {
        PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap().public_key()
    }

    fn root(keys: &[(&str, &PublicKey)]) -> Value {
        let mut all = serde_json::Map::new();
        let mut roles = serde_json::Map::new();
        for (role, k) in keys {
            all.insert(k.tuf_id(), serde_json::to_value(k).unwrap());
            roles.insert((*role).to_owned(), json!({"keyids": [k.tuf_id()], "threshold": 1}));
        }
        json!({"_type": "Root", "keys": all, "roles": roles, "version": 3, "expires": "2030-01-01T00:00:00Z"})
    }

    #[test]
    fn the_role_lists_the_new_key_and_the_replaced_one_is_dropped() {
        let (r, t, s, n) = (key(), key(), key(), key());
        let old = root(&[("root", &r), ("targets", &t), ("snapshot", &s), ("timestamp", &s)]);
        let next = next_root(&old, "targets", &n, &[t.tuf_id()], Utc::now()).unwrap();
        assert_eq!(next["version"], 4);
        assert_eq!(next["roles"]["targets"]["keyids"], json!([n.tuf_id()]));
        assert!(next["keys"].get(t.tuf_id()).is_none(), "the old targets key is gone");
        // A key another role still lists stays.
        let next = next_root(&old, "snapshot", &n, &[s.tuf_id()], Utc::now()).unwrap();
        assert!(next["keys"].get(s.tuf_id()).is_some(), "timestamp still lists it");
        assert_eq!(next["roles"]["timestamp"], old["roles"]["timestamp"]);
    }

    #[test]
    fn an_old_root_key_stays_listed_in_keys() {
        let (r, n) = (key(), key());
        let old = root(&[("root", &r)]);
        let next = next_root(&old, "root", &n, &[r.tuf_id()], Utc::now()).unwrap();
        assert_eq!(next["roles"]["root"]["keyids"], json!([n.tuf_id()]));
        assert!(next["keys"].get(r.tuf_id()).is_some());
    }

    #[test]
    fn a_role_with_a_higher_threshold_is_not_rotated_to_one_key() {
        let (r, n) = (key(), key());
        let mut old = root(&[("root", &r)]);
        old["roles"]["root"]["threshold"] = json!(2);
        assert!(next_root(&old, "root", &n, &[r.tuf_id()], Utc::now()).is_err());
    }
}
