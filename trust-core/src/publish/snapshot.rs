//! A snapshot the client signs: when the root's snapshot key is held locally (a
//! repository initialised by notary, or after `trust key rotate snapshot --local`),
//! notary-server cannot sign one and every update carries it.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::init::root_role_keys;
use super::{KeySource, TARGETS_LIFETIME_DAYS, expiry_in, sign, signing_keys};
use crate::{Error, Result};
use trust_tuf::wire::FileMeta;

/// The next snapshot, signed with the held snapshot keys `root` lists, or `None`
/// when none is held (the server signs it). It is `previous` (the verified
/// snapshot's `signed` value) with the meta of every uploaded role replaced, the
/// `deleted` roles dropped, the version one higher and a new three-year expiry.
pub(crate) fn client_snapshot(
    root: &Value,
    previous: Option<&Value>,
    uploads: &[(String, Vec<u8>)],
    deleted: &[String],
    keys: &dyn KeySource,
    now: DateTime<Utc>,
) -> Result<Option<Vec<u8>>> {
    let signers = signing_keys(keys, "snapshot", &root_role_keys(root, "snapshot")?)?;
    if signers.is_empty() {
        return Ok(None);
    }
    let mut meta: Map<String, Value> = previous.and_then(|p| p["meta"].as_object()).cloned().unwrap_or_default();
    for (role, bytes) in uploads {
        if matches!(role.as_str(), "snapshot" | "timestamp") {
            continue;
        }
        let entry = serde_json::to_value(FileMeta::for_bytes(bytes)).map_err(|e| Error::malformed("snapshot", e))?;
        meta.insert(role.clone(), entry);
    }
    for role in deleted {
        meta.remove(role);
    }
    let version = previous.and_then(|p| p["version"].as_u64()).unwrap_or(0) + 1;
    let snapshot = json!({
        "_type": "Snapshot",
        "expires": expiry_in(now, TARGETS_LIFETIME_DAYS).as_str(),
        "meta": meta,
        "version": version,
    });
    sign("snapshot", &snapshot, &signers).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::test_keys::OneKey;
    use trust_tuf::crypto::signer::{KeyAlgorithm, PrivateKey};

    fn root_with_snapshot_key(key: &PrivateKey) -> Value {
        let public = key.public_key();
        json!({"keys": {public.tuf_id(): serde_json::to_value(&public).unwrap()},
               "roles": {"snapshot": {"keyids": [public.tuf_id()], "threshold": 1}}})
    }

    #[test]
    fn replaces_uploaded_meta_and_drops_deleted_roles() {
        let key = OneKey(PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap());
        let root = root_with_snapshot_key(&key.0);
        let previous = json!({"version": 7, "meta": {
            "root": FileMeta::for_bytes(b"root"), "targets": FileMeta::for_bytes(b"old"),
            "targets/a": FileMeta::for_bytes(b"a"), "targets/gone": FileMeta::for_bytes(b"g")}});
        let uploads = vec![("targets".to_owned(), b"new".to_vec())];
        let bytes =
            client_snapshot(&root, Some(&previous), &uploads, &["targets/gone".into()], &key, Utc::now()).unwrap();
        let signed = crate::publish::signed_value("snapshot", &bytes.expect("signed")).unwrap();
        assert_eq!(signed["version"], 8);
        assert_eq!(signed["meta"]["targets"], serde_json::to_value(FileMeta::for_bytes(b"new")).unwrap());
        assert_eq!(signed["meta"]["root"], previous["meta"]["root"], "roles not uploaded keep their meta");
        assert!(signed["meta"].get("targets/gone").is_none());
        assert!(signed["meta"].get("targets/a").is_some());
    }

    #[test]
    fn without_the_snapshot_key_the_server_signs() {
        let listed = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let other = OneKey(PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap());
        let root = root_with_snapshot_key(&listed);
        assert!(client_snapshot(&root, None, &[], &[], &other, Utc::now()).unwrap().is_none());
    }
}
