//! Timestamps where no server signs them: the one a publisher signs on every publish
//! to a store whose publishers hold the snapshot and timestamp keys (the registry
//! store, [`super::upload::Upload::publisher_signs`]), and `trust timestamp refresh`,
//! which re-signs only the timestamp, over the current snapshot, before it expires.
//!
//! A refresh starts from the store's newest verified state. A timestamp that has
//! already expired (the scheduled refresh did not run) is verified as of one second
//! before its expiry, so that it can still be refreshed; every other check is the
//! same, and the cached timestamp's version stays the floor, so a store cannot hand
//! this client an older state to re-sign than one it has seen.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::init::root_role_keys;
use super::{KeySource, MAX_ATTEMPTS, backoff, sign, signed_value, signing_keys, upload};
use crate::client::{Client, Repository};
use crate::remote::Store;
use crate::{Error, Result};
use trust_tuf::wire::{Expiry, FileMeta};

/// Days a timestamp stays valid unless told otherwise (notary-server's default).
pub const TIMESTAMP_LIFETIME_DAYS: i64 = 14;
/// The longest lifetime a refreshed timestamp may have.
pub const MAX_TIMESTAMP_LIFETIME_DAYS: i64 = 365;

/// The default lifetime of a timestamp: [`TIMESTAMP_LIFETIME_DAYS`].
pub fn default_timestamp_lifetime() -> chrono::Duration {
    chrono::Duration::days(TIMESTAMP_LIFETIME_DAYS)
}

/// Checks a timestamp lifetime: more than one hour (a shorter one would expire before
/// most schedules run again) and at most [`MAX_TIMESTAMP_LIFETIME_DAYS`] (a long-lived
/// timestamp lets a store replay a revoked state for as long).
pub fn check_timestamp_lifetime(lifetime: chrono::Duration) -> Result<()> {
    if lifetime <= chrono::Duration::hours(1) {
        return Err(Error::InvalidInput(format!(
            "a timestamp lifetime must exceed 1 hour, not {} minutes; pass e.g. 14d, 36h or 90m",
            lifetime.num_minutes()
        )));
    }
    if lifetime > chrono::Duration::days(MAX_TIMESTAMP_LIFETIME_DAYS) {
        return Err(Error::InvalidInput(format!(
            "a timestamp lifetime must be at most {MAX_TIMESTAMP_LIFETIME_DAYS}d, not {} days: a store could replay \
             a revoked state for as long",
            lifetime.num_days()
        )));
    }
    Ok(())
}

/// The next timestamp, signed with the held timestamp keys `root` lists, or `None`
/// when none is held: version `previous_version + 1` (1 for a new repository), the
/// meta of `snapshot` (the new snapshot's bytes), expiring `lifetime` after `now`.
pub(crate) fn client_timestamp(
    root: &Value,
    previous_version: Option<u64>,
    snapshot: &[u8],
    keys: &dyn KeySource,
    now: DateTime<Utc>,
    lifetime: chrono::Duration,
) -> Result<Option<Vec<u8>>> {
    let signers = signing_keys(keys, "timestamp", &root_role_keys(root, "timestamp")?)?;
    if signers.is_empty() {
        return Ok(None);
    }
    let meta = serde_json::to_value(FileMeta::for_bytes(snapshot)).map_err(|e| Error::malformed("timestamp", e))?;
    let timestamp = json!({
        "_type": "Timestamp",
        "expires": Expiry::from_time(now + lifetime).as_str(),
        "meta": {"snapshot": meta},
        "version": previous_version.unwrap_or(0) + 1,
    });
    sign("timestamp", &timestamp, &signers).map(Some)
}

/// The error for a publisher without the `role` key (`snapshot`, `timestamp`) of a
/// repository on a store with no server to sign it.
pub(crate) fn publisher_key_missing(gun: &str, store: &str, role: &str) -> Error {
    Error::Key(format!(
        "no {role} key for {gun} in this trust directory: the registry store {store} has no server to sign the \
         {role}, so everyone who publishes into the repository needs its snapshot and timestamp keys; copy those \
         key files from whoever created the repository and import them with `trust key load`"
    ))
}

/// What a refresh did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refreshed {
    /// The new timestamp's version.
    pub version: u64,
    /// When it expires.
    pub expires: DateTime<Utc>,
    /// Attempts it took (more than one after losing races to other publishers).
    pub attempts: u32,
    /// Warnings (a refresh of the local cache that failed after the upload).
    pub warnings: Vec<String>,
}

/// The store's newest verified state, as far as a refresh needs it.
struct Current {
    root: Value,
    timestamp_version: u64,
    snapshot: Vec<u8>,
}

impl Current {
    fn of(repo: &Repository<'_>) -> Result<Current> {
        let set = repo.trusted();
        let timestamp = set.timestamp().ok_or_else(|| Error::verification("timestamp", "no trusted timestamp"))?;
        let snapshot = set.raw("snapshot").ok_or_else(|| Error::verification("snapshot", "no trusted snapshot"))?;
        Ok(Current {
            root: signed_value("root", set.raw("root").unwrap_or_default())?,
            timestamp_version: timestamp.signed.version,
            snapshot: snapshot.to_vec(),
        })
    }
}

/// The store's newest verified state; a timestamp that expired is verified as of one
/// second before its expiry (see the module documentation).
fn current(client: &mut Client) -> Result<Current> {
    match client.update_from_server().and_then(|repo| Current::of(&repo)) {
        Err(Error::Expired { role, expires }) if role == "timestamp" => {
            let at = Expiry::parse(&expires)
                .ok_or_else(|| Error::malformed("timestamp", format!("unreadable expiry {expires:?}")))?
                .at()
                - chrono::Duration::seconds(1);
            let clock = client.set_time(Some(at));
            let state = client.update_from_server().and_then(|repo| Current::of(&repo));
            client.set_time(clock);
            state
        }
        other => other,
    }
}

/// Re-signs the timestamp of the client's repository over its current snapshot,
/// valid `lifetime` from now ([`check_timestamp_lifetime`]), and uploads only that:
///
/// - a store whose publishers sign ([`upload::Upload::publisher_signs`]): signed with
///   the held timestamp key, version one above the verified one, starting again from
///   the new state when another publisher got there first (as a publish does);
/// - the file remote: the directory re-signs its own timestamp
///   ([`super::file_store::FileStore::refresh_timestamp`]);
/// - a notary-server re-signs its timestamps itself: [`Error::InvalidInput`].
pub fn refresh_timestamp(client: &mut Client, keys: &dyn KeySource, lifetime: chrono::Duration) -> Result<Refreshed> {
    check_timestamp_lifetime(lifetime)?;
    let (version, expires, attempts) = match client.remote().store() {
        Store::Notary(_) => {
            return Err(Error::InvalidInput(
                "notary-server signs its own timestamps (it re-signs them before they expire); nothing to refresh"
                    .into(),
            ));
        }
        Store::File(_) => {
            current(client)?;
            refresh_in_directory(client, lifetime)?
        }
        _ => refresh_signed(client, keys, lifetime)?,
    };
    let mut warnings = Vec::new();
    if let Err(e) = client.update_from_server().and_then(|mut repo| repo.commit()) {
        warnings.push(format!("refreshed, but refreshing the local cache failed: {e}"));
    }
    Ok(Refreshed { version, expires, attempts, warnings })
}

/// A refresh by the file remote's directory, which signs its own timestamps.
fn refresh_in_directory(client: &Client, lifetime: chrono::Duration) -> Result<(u64, DateTime<Utc>, u32)> {
    match client.remote().store() {
        Store::File(dir) => {
            let (version, expires) =
                super::file_store::FileStore::new(dir).refresh_timestamp(client.gun(), lifetime)?;
            Ok((version, expires, 1))
        }
        _ => Err(Error::InvalidInput(format!("{} is not a file remote", client.server()))),
    }
}

/// A refresh on a store whose publishers sign: (version, expiry, attempts).
fn refresh_signed(
    client: &mut Client,
    keys: &dyn KeySource,
    lifetime: chrono::Duration,
) -> Result<(u64, DateTime<Utc>, u32)> {
    let gun = client.gun().to_owned();
    {
        let store = upload::to(client.remote());
        if !store.publisher_signs() {
            return Err(Error::InvalidInput(format!(
                "{} takes no updates and signs no timestamps: nothing to refresh",
                store.url()
            )));
        }
    }
    for attempt in 1..=MAX_ATTEMPTS {
        let state = current(client)?;
        let now = client.now();
        let store = upload::to(client.remote());
        let bytes = client_timestamp(&state.root, Some(state.timestamp_version), &state.snapshot, keys, now, lifetime)?
            .ok_or_else(|| publisher_key_missing(&gun, store.url(), "timestamp"))?;
        match store.publish(&gun, &[("timestamp".to_owned(), bytes)]) {
            Ok(()) => {
                let expires = Expiry::from_time(now + lifetime).at();
                return Ok((state.timestamp_version + 1, expires, attempt));
            }
            Err(Error::Conflict(_)) if attempt < MAX_ATTEMPTS => backoff(attempt),
            Err(e) => return Err(e),
        }
    }
    Err(Error::Conflict(format!(
        "{gun}: other publishers kept publishing first ({MAX_ATTEMPTS} attempts); run the command again"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::test_keys::OneKey;
    use trust_tuf::crypto::signer::{KeyAlgorithm, PrivateKey};

    fn root_with_timestamp_key(key: &PrivateKey) -> Value {
        let public = key.public_key();
        json!({"keys": {public.tuf_id(): serde_json::to_value(&public).unwrap()},
               "roles": {"timestamp": {"keyids": [public.tuf_id()], "threshold": 1}}})
    }

    #[test]
    fn pins_the_new_snapshot_one_version_up_for_the_lifetime() {
        let key = OneKey(PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap());
        let root = root_with_timestamp_key(&key.0);
        let now = DateTime::parse_from_rfc3339("2026-12-02T21:00:00Z").unwrap().to_utc();
        let bytes = client_timestamp(&root, Some(41), b"new snapshot", &key, now, default_timestamp_lifetime())
            .unwrap()
            .expect("signed");
        let signed = signed_value("timestamp", &bytes).unwrap();
        assert_eq!(signed["_type"], "Timestamp");
        assert_eq!(signed["version"], 42);
        assert_eq!(signed["expires"], "2026-12-16T21:00:00Z");
        assert_eq!(signed["meta"], json!({"snapshot": FileMeta::for_bytes(b"new snapshot")}));
        let envelope = trust_tuf::wire::Envelope::parse(&bytes).unwrap();
        assert_eq!(envelope.signatures.len(), 1);
        assert_eq!(envelope.signatures[0].keyid, key.0.public_key().tuf_id());
        let first = client_timestamp(&root, None, b"s", &key, now, chrono::Duration::hours(36)).unwrap().unwrap();
        let first = signed_value("timestamp", &first).unwrap();
        assert_eq!((first["version"].as_u64(), first["expires"].as_str()), (Some(1), Some("2026-12-04T09:00:00Z")));
    }

    #[test]
    fn without_the_timestamp_key_nothing_is_signed() {
        let listed = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let other = OneKey(PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap());
        let root = root_with_timestamp_key(&listed);
        assert!(
            client_timestamp(&root, Some(1), b"s", &other, Utc::now(), default_timestamp_lifetime()).unwrap().is_none()
        );
        let message = publisher_key_missing("r.example/app", "oci://r.example", "timestamp").to_string();
        assert!(
            message.contains("r.example/app") && message.contains("timestamp") && message.contains("trust key load")
        );
    }

    #[test]
    fn lifetimes_must_exceed_an_hour_and_stay_within_a_year() {
        assert!(check_timestamp_lifetime(chrono::Duration::minutes(61)).is_ok());
        assert!(check_timestamp_lifetime(chrono::Duration::days(365)).is_ok());
        for bad in [chrono::Duration::hours(1), chrono::Duration::minutes(5), chrono::Duration::days(366)] {
            let e = check_timestamp_lifetime(bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput, "{e}");
        }
    }
}
