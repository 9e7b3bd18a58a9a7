//! The TUF update workflow as an I/O-free state machine over bytes.
//!
//! A [`TrustedSet`] starts from a trusted root and accepts each further metadata
//! file only if it verifies against what is already trusted: root versions one by
//! one, then timestamp, snapshot (pinned by the timestamp's hashes), targets and
//! delegations (pinned by the snapshot's hashes). It does no I/O and reads no
//! clock: the caller passes the bytes and the time. Every accepted file keeps its
//! exact bytes, which is what the cache stores.
//!
//! ```
//! use trust_tuf::trusted::{Context, TrustedSet};
//! let ctx = Context::new("example.com/app", chrono::Utc::now());
//! // Not JSON: refused with an error naming the role.
//! let err = TrustedSet::from_trusted_root(b"nope".to_vec(), ctx).unwrap_err();
//! assert!(err.to_string().starts_with("root:"));
//! ```

mod limits;
mod root;
pub mod signatures;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;

pub use limits::Limits;

use crate::crypto::{CryptoProvider, default_provider};
use crate::pinning::Pin;
use crate::wire::{self, DelegatedRole, Envelope, FileMeta, Root, Snapshot, Targets, Timestamp};
use crate::{Error, Result};

/// A verified metadata file: its parsed `signed` value and the exact bytes received.
#[derive(Debug, Clone)]
pub struct Verified<T> {
    /// The parsed `signed` part.
    pub signed: T,
    /// The file's bytes exactly as received (hashes and the cache use these; a
    /// targets file's map points into them).
    pub raw: Arc<Vec<u8>>,
}

/// What every check needs: the repository, the time and the crypto provider.
#[derive(Debug, Clone)]
pub struct Context {
    /// The repository (GUN); root certificates must name it.
    pub gun: String,
    /// The time expiry is checked against.
    pub now: DateTime<Utc>,
    /// Signature verification.
    pub provider: &'static dyn CryptoProvider,
    /// Size and count limits.
    pub limits: Limits,
}

impl Context {
    /// A context with the default provider and limits.
    pub fn new(gun: impl Into<String>, now: DateTime<Utc>) -> Self {
        Context { gun: gun.into(), now, provider: default_provider(), limits: Limits::default() }
    }
}

/// The trusted metadata of one repository, built up one verified file at a time.
#[derive(Debug)]
pub struct TrustedSet {
    ctx: Context,
    root: Verified<Root>,
    timestamp: Option<Verified<Timestamp>>,
    snapshot: Option<Verified<Snapshot>>,
    targets: Option<Verified<Targets>>,
    delegations: HashMap<String, Verified<Targets>>,
    floors: HashMap<String, u64>,
    /// Delegations the snapshot lists whose signatures no longer meet their
    /// threshold, by the version a replacement must exceed.
    superseded: HashMap<String, u64>,
    /// The key IDs the signatures of each accepted targets file name, in file order.
    signature_key_ids: HashMap<String, Vec<String>>,
}

/// Parses a metadata file into its envelope and typed `signed` value. (serde_json
/// refuses nesting deeper than 128 levels, so hostile depth cannot exhaust the stack.)
fn parse<'a, T: DeserializeOwned>(role: &str, raw: &'a [u8]) -> Result<(Envelope<'a>, T)> {
    let envelope = Envelope::parse(raw).map_err(|e| malformed(role, raw, e))?;
    let signed = serde_json::from_str(envelope.signed.get()).map_err(|e| malformed(role, raw, e))?;
    Ok((envelope, signed))
}

/// The malformed-metadata error, saying so when the file is TUF 1.0 metadata (the
/// dialect is the file's own: see [`crate::tuf1::dialect`]), which `trust tuf` reads.
fn malformed(role: &str, raw: &[u8], e: impl std::fmt::Display) -> Error {
    match crate::tuf1::dialect::detect(raw) {
        Ok(crate::tuf1::Dialect::Tuf1) => Error::malformed(
            role,
            "this is TUF 1.0 metadata (lower-case _type, spec_version), not Notary v1's: read the repository with `trust tuf`",
        ),
        _ => Error::malformed(role, e),
    }
}

/// The key IDs `envelope`'s signatures name, in file order.
fn key_ids_of(envelope: &Envelope<'_>) -> Vec<String> {
    envelope.signatures.iter().map(|s| s.keyid.clone()).collect()
}

/// Parses a targets or delegation file whose targets map stays inside `raw`.
fn parse_targets<'a>(role: &str, raw: &'a Arc<Vec<u8>>) -> Result<(Envelope<'a>, Targets)> {
    let envelope = Envelope::parse(raw).map_err(|e| malformed(role, raw, e))?;
    let targets = Targets::parse_within(raw, envelope.signed.get()).map_err(|e| malformed(role, raw, e))?;
    Ok((envelope, targets))
}

impl TrustedSet {
    /// Starts from a root the client already trusts (its cache): the root must be
    /// well formed and signed by its own root keys; certificate expiry is not checked
    /// here (a stale root only has to lead to its successors).
    pub fn from_trusted_root(raw: Vec<u8>, ctx: Context) -> Result<Self> {
        let root = root::verify_initial(&raw, &ctx, &Pin::Tofu, false)?;
        Ok(Self::with_root(ctx, Verified { signed: root, raw: Arc::new(raw) }))
    }

    /// Starts from a root downloaded with no cached root: its certificates must be
    /// valid now, and the pin decides whether it may be trusted at all (a CA pin is
    /// handed in as the bundle's bytes: see [`Pin::with_ca`]).
    pub fn from_bootstrap_root(raw: Vec<u8>, ctx: Context, pin: &Pin<Vec<u8>>) -> Result<Self> {
        let root = root::verify_initial(&raw, &ctx, pin, true)?;
        Ok(Self::with_root(ctx, Verified { signed: root, raw: Arc::new(raw) }))
    }

    fn with_root(ctx: Context, root: Verified<Root>) -> Self {
        TrustedSet {
            ctx,
            root,
            timestamp: None,
            snapshot: None,
            targets: None,
            delegations: HashMap::new(),
            floors: HashMap::new(),
            superseded: HashMap::new(),
            signature_key_ids: HashMap::new(),
        }
    }

    /// Loads the cached copy of `role`, before the remote copy is handed in (python-tuf's
    /// order): once its signatures verify against the keys trusted for `role` now (root's
    /// keys for `timestamp`, `snapshot` and `targets`; the trusted parent's for a
    /// delegation), its `signed.version` becomes the lowest version the remote copy may
    /// have; anything lower is a rollback. Returns that version.
    ///
    /// Expiry and hashes are not checked: a cached copy only serves as the rollback floor.
    /// A copy that does not verify is an error and sets no floor (a damaged cache file
    /// cannot lock a repository out); a copy signed only by keys no longer listed for
    /// `role` (the keys were rotated) is [`Error::BelowThreshold`]: no floor, and nothing
    /// wrong with the cache. A root rotation clears the floors set so far.
    pub fn load_cached(&mut self, role: &str, raw: &[u8]) -> Result<u64> {
        let version = self.verify_cached_version(role, raw)?;
        self.floors.insert(role.to_owned(), version);
        Ok(version)
    }

    fn check_version(&self, role: &str, version: u64) -> Result<()> {
        match self.floors.get(role) {
            Some(&floor) if version < floor => Err(Error::verification(
                role,
                format!("version {version} is older than the trusted version {floor} (rollback)"),
            )),
            _ => Ok(()),
        }
    }

    fn check_expiry(&self, role: &str, expires: &wire::Expiry) -> Result<()> {
        if expires.is_expired(self.ctx.now) {
            return Err(Error::Expired { role: role.to_owned(), expires: expires.as_str().to_owned() });
        }
        Ok(())
    }

    /// Accepts root version N+1: signed by a threshold of the trusted root's root
    /// keys and by a threshold of its own, with valid certificates for the GUN.
    pub fn update_root(&mut self, raw: Vec<u8>) -> Result<()> {
        let next = root::verify_successor(&self.root.signed, &raw, &self.ctx, true)?;
        self.replace_root(next, raw);
        Ok(())
    }

    /// Accepts root version N+1 of a repository's history, as [`TrustedSet::update_root`]
    /// does, except that its certificates may have expired since it was superseded
    /// (they name the GUN and sign it all the same): for checking a chain of past
    /// versions that ends at a root trusted now (`trust export`).
    pub fn update_root_in_history(&mut self, raw: Vec<u8>) -> Result<()> {
        let next = root::verify_successor(&self.root.signed, &raw, &self.ctx, false)?;
        self.replace_root(next, raw);
        Ok(())
    }

    fn replace_root(&mut self, next: Root, raw: Vec<u8>) {
        self.root = Verified { signed: next, raw: Arc::new(raw) };
        // Keys may have changed: everything below root must be verified again.
        self.timestamp = None;
        self.snapshot = None;
        self.targets = None;
        self.delegations.clear();
        self.superseded.clear();
        // Rollback floors came from cached files verified under the old root's keys:
        // the caller sets them again from the cache under the new root. A cached file
        // signed by a key the new root no longer lists is no floor (TUF 5.3.11: after a
        // timestamp or snapshot key rotation the old files are dropped), which is how
        // clients follow a rotation to another server's keys or a move to another store.
        self.floors.clear();
    }

    /// Fails if the trusted root has expired.
    pub fn check_root_current(&self) -> Result<()> {
        self.check_expiry("root", &self.root.signed.expires)
    }

    /// Accepts a timestamp signed by the root's timestamp keys, not expired, not older
    /// than the floor.
    pub fn update_timestamp(&mut self, raw: Vec<u8>) -> Result<()> {
        const ROLE: &str = "timestamp";
        let (envelope, ts): (_, Timestamp) = parse(ROLE, &raw)?;
        self.check_signed_by_root(ROLE, &envelope)?;
        ts.check_structure().map_err(|e| Error::verification(ROLE, e))?;
        self.check_version(ROLE, ts.version)?;
        self.check_expiry(ROLE, &ts.expires)?;
        self.timestamp = Some(Verified { signed: ts, raw: Arc::new(raw) });
        self.snapshot = None;
        Ok(())
    }

    /// The snapshot the trusted timestamp vouches for.
    pub fn snapshot_pin(&self) -> Result<&FileMeta> {
        let ts = self.timestamp.as_ref().ok_or_else(|| Error::verification("snapshot", "no trusted timestamp"))?;
        ts.signed.snapshot_meta().ok_or_else(|| Error::verification("timestamp", "no snapshot meta"))
    }

    /// Accepts the snapshot whose length and hashes the trusted timestamp lists,
    /// signed by the root's snapshot keys.
    pub fn update_snapshot(&mut self, raw: Vec<u8>) -> Result<()> {
        const ROLE: &str = "snapshot";
        self.snapshot_pin()?.check(&raw).map_err(|e| Error::verification(ROLE, e))?;
        let (envelope, snapshot): (_, Snapshot) = parse(ROLE, &raw)?;
        self.check_signed_by_root(ROLE, &envelope)?;
        snapshot.check_structure().map_err(|e| Error::verification(ROLE, e))?;
        self.check_version(ROLE, snapshot.version)?;
        self.check_expiry(ROLE, &snapshot.expires)?;
        self.snapshot = Some(Verified { signed: snapshot, raw: Arc::new(raw) });
        self.targets = None;
        self.delegations.clear();
        self.superseded.clear();
        Ok(())
    }

    /// The snapshot's metadata for `role` (targets or a delegation).
    pub fn meta_for(&self, role: &str) -> Option<&FileMeta> {
        self.snapshot.as_ref()?.signed.meta.get(role)
    }

    /// True when the trusted root's bytes are the root the trusted snapshot lists.
    pub fn root_matches_snapshot(&self) -> bool {
        self.meta_for("root").is_some_and(|m| m.check(&self.root.raw).is_ok())
    }

    fn pinned_meta(&self, role: &str, raw: &[u8]) -> Result<()> {
        let meta = self
            .meta_for(role)
            .ok_or_else(|| Error::verification(role, "the trusted snapshot does not list this role"))?;
        meta.check(raw).map_err(|e| Error::verification(role, e))
    }

    /// Accepts targets.json as listed in the trusted snapshot and signed by the
    /// root's targets keys.
    pub fn update_targets(&mut self, raw: Vec<u8>) -> Result<()> {
        const ROLE: &str = "targets";
        self.pinned_meta(ROLE, &raw)?;
        let raw = Arc::new(raw);
        let (targets, key_ids) = {
            let (envelope, targets) = parse_targets(ROLE, &raw)?;
            self.check_signed_by_root(ROLE, &envelope)?;
            (targets, key_ids_of(&envelope))
        };
        targets.check_structure(ROLE).map_err(|e| Error::verification(ROLE, e))?;
        self.check_version(ROLE, targets.version)?;
        self.check_expiry(ROLE, &targets.expires)?;
        self.targets = Some(Verified { signed: targets, raw });
        self.delegations.clear();
        self.superseded.clear();
        self.signature_key_ids.clear();
        self.signature_key_ids.insert(ROLE.to_owned(), key_ids);
        Ok(())
    }

    /// The delegation entry for `role` in its (already trusted) parent.
    pub fn delegated_role(&self, role: &str) -> Option<&DelegatedRole> {
        let parent = wire::parent_role(role)?;
        self.targets_of(parent)?.delegation(role)
    }

    /// Accepts a delegation file: its parent must be trusted and delegate to it, the
    /// snapshot must list it, and a threshold of the keys the parent names must sign.
    ///
    /// A file the snapshot pins whose signatures by the listed keys fall short of the
    /// threshold, with none of them invalid, is [`Error::BelowThreshold`]: its owner
    /// removed the keys that signed it. Its version is kept
    /// ([`TrustedSet::superseded_version`]) so that a replacement is published above it.
    pub fn update_delegation(&mut self, role: &str, raw: Vec<u8>) -> Result<()> {
        self.pinned_meta(role, &raw)?;
        let raw = Arc::new(raw);
        let (targets, signed, key_ids) = {
            let (envelope, targets) = parse_targets(role, &raw)?;
            let signed = self.check_signed_by_parent(role, &envelope);
            (targets, signed, key_ids_of(&envelope))
        };
        if let Err(e) = signed {
            if e.is_below_threshold() {
                let floor = self.floors.get(role).copied().unwrap_or(0);
                self.superseded.insert(role.to_owned(), targets.version.max(floor));
            }
            return Err(e);
        }
        targets.check_structure(role).map_err(|e| Error::verification(role, e))?;
        self.check_version(role, targets.version)?;
        self.check_expiry(role, &targets.expires)?;
        self.delegations.insert(role.to_owned(), Verified { signed: targets, raw });
        self.signature_key_ids.insert(role.to_owned(), key_ids);
        Ok(())
    }

    /// The key IDs the signatures of the accepted targets file of `role` name, in
    /// file order, whether or not each counted (docker's "last signer" check counts
    /// them against the role's threshold).
    pub fn signature_key_ids(&self, role: &str) -> Option<&[String]> {
        self.signature_key_ids.get(role).map(Vec::as_slice)
    }

    /// The version of a delegation the snapshot lists but whose signatures no longer
    /// meet its threshold (see [`TrustedSet::update_delegation`]).
    pub fn superseded_version(&self, role: &str) -> Option<u64> {
        self.superseded.get(role).copied()
    }

    /// The `signed.version` of a cached copy of `role`, once its signatures verify
    /// against the keys trusted for `role` now (see [`TrustedSet::load_cached`]).
    fn verify_cached_version(&self, role: &str, raw: &[u8]) -> Result<u64> {
        #[derive(serde::Deserialize)]
        struct Versioned {
            version: u64,
        }
        let envelope = Envelope::parse(raw).map_err(|e| Error::malformed(role, e))?;
        if role.starts_with("targets/") {
            self.check_signed_by_parent(role, &envelope)?;
        } else {
            self.root_role_threshold(role, &envelope)?;
        }
        let signed: Versioned = serde_json::from_str(envelope.signed.get()).map_err(|e| Error::malformed(role, e))?;
        Ok(signed.version)
    }

    /// Checks that a threshold of the keys `role`'s trusted parent lists for it signed.
    fn check_signed_by_parent(&self, role: &str, envelope: &Envelope<'_>) -> Result<()> {
        if !wire::is_valid_role_name(role) || !role.starts_with("targets/") {
            return Err(Error::verification(role, "not a valid delegation role name"));
        }
        let parent_name = wire::parent_role(role).unwrap_or("targets");
        let parent = self
            .targets_of(parent_name)
            .ok_or_else(|| Error::verification(role, format!("its parent {parent_name} is not trusted")))?;
        let entry = parent
            .delegation(role)
            .ok_or_else(|| Error::verification(role, format!("{parent_name} does not delegate to it")))?;
        signatures::check_delegation_threshold(
            role,
            envelope.signed,
            &envelope.signatures,
            &parent.delegations.keys,
            &entry.keyids,
            entry.threshold,
            self.ctx.provider,
        )
    }

    fn check_signed_by_root(&self, role: &str, envelope: &Envelope<'_>) -> Result<()> {
        self.root_role_threshold(role, envelope).map_err(signatures::strict)
    }

    /// The threshold check of a top-level role against the root's keys; a shortfall
    /// with no rejected signature by a listed key is [`Error::BelowThreshold`].
    fn root_role_threshold(&self, role: &str, envelope: &Envelope<'_>) -> Result<()> {
        let root = &self.root.signed;
        let keys = root.role(role).ok_or_else(|| Error::verification(role, "root does not define this role"))?;
        signatures::check_delegation_threshold(
            role,
            envelope.signed,
            &envelope.signatures,
            &root.keys,
            &keys.keyids,
            keys.threshold,
            self.ctx.provider,
        )
    }

    /// The context.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// The trusted root.
    pub fn root(&self) -> &Verified<Root> {
        &self.root
    }

    /// The trusted timestamp.
    pub fn timestamp(&self) -> Option<&Verified<Timestamp>> {
        self.timestamp.as_ref()
    }

    /// The trusted snapshot.
    pub fn snapshot(&self) -> Option<&Verified<Snapshot>> {
        self.snapshot.as_ref()
    }

    /// The trusted targets.json.
    pub fn targets(&self) -> Option<&Verified<Targets>> {
        self.targets.as_ref()
    }

    /// A trusted delegation file.
    pub fn delegation(&self, role: &str) -> Option<&Verified<Targets>> {
        self.delegations.get(role)
    }

    /// The exact bytes of a trusted file (`root`, `timestamp`, `snapshot`, `targets`
    /// or a loaded delegation).
    pub fn raw(&self, role: &str) -> Option<&[u8]> {
        match role {
            "root" => Some(self.root.raw.as_slice()),
            "timestamp" => self.timestamp.as_ref().map(|v| v.raw.as_slice()),
            "snapshot" => self.snapshot.as_ref().map(|v| v.raw.as_slice()),
            "targets" => self.targets.as_ref().map(|v| v.raw.as_slice()),
            _ => self.delegations.get(role).map(|v| v.raw.as_slice()),
        }
    }

    /// The trusted targets data of `role`: `targets` or a loaded delegation.
    pub fn targets_of(&self, role: &str) -> Option<&Targets> {
        if role == "targets" {
            self.targets.as_ref().map(|t| &t.signed)
        } else {
            self.delegations.get(role).map(|t| &t.signed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::signer::sign_metadata as sign;
    use crate::crypto::signer::{KeyAlgorithm, PrivateKey};
    use crate::wire::PublicKey;
    use serde_json::{Value, json};

    const GUN: &str = "example.com/app";

    fn entry(key: &PublicKey) -> Value {
        serde_json::to_value(key).unwrap()
    }

    /// Root `version` with root certificate `root` and timestamp key `timestamp` (also
    /// listed for snapshot and targets), signed by `signers`.
    fn root(version: u64, root: &PublicKey, timestamp: &PublicKey, signers: &[(String, PrivateKey)]) -> Vec<u8> {
        let role = |k: &PublicKey| json!({"keyids": [k.tuf_id()], "threshold": 1});
        let signed = json!({
            "_type": "Root", "consistent_snapshot": false, "expires": "2099-01-01T00:00:00Z", "version": version,
            "keys": {root.tuf_id(): entry(root), timestamp.tuf_id(): entry(timestamp)},
            "roles": {"root": role(root), "targets": role(timestamp), "snapshot": role(timestamp), "timestamp": role(timestamp)},
        });
        sign("root", &signed, signers).unwrap()
    }

    fn timestamp(version: u64, key: &PrivateKey) -> Vec<u8> {
        let signed = json!({
            "_type": "Timestamp", "expires": "2099-01-01T00:00:00Z", "version": version,
            "meta": {"snapshot": serde_json::to_value(crate::wire::FileMeta::for_bytes(b"snapshot")).unwrap()},
        });
        sign("timestamp", &signed, &[(key.public_key().tuf_id(), key.try_clone().unwrap())]).unwrap()
    }

    #[test]
    fn a_rotated_timestamp_key_leaves_the_old_timestamp_no_rollback_floor() {
        let now = Utc::now();
        let root_key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let cert = crate::crypto::x509::make_root_certificate(&root_key, GUN, now, now + chrono::Duration::days(3650))
            .unwrap();
        let copy = |k: &PrivateKey| k.try_clone().unwrap();
        let (old_ts, new_ts) = (
            PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap(),
            PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap(),
        );
        let signers = [(cert.tuf_id(), copy(&root_key))];
        let v1 = root(1, &cert, &old_ts.public_key(), &signers);
        let v2 = root(2, &cert, &new_ts.public_key(), &signers);
        let mut set = TrustedSet::from_trusted_root(v1, Context::new(GUN, now)).unwrap();
        let cached = timestamp(5, &old_ts);
        assert_eq!(set.load_cached("timestamp", &cached).unwrap(), 5);
        let err = set.update_timestamp(timestamp(1, &old_ts)).unwrap_err();
        assert!(err.to_string().contains("rollback"), "{err}");

        set.update_root(v2).unwrap();
        let err = set.load_cached("timestamp", &cached).unwrap_err();
        assert!(err.is_below_threshold(), "the old key no longer counts, and the cache is not damaged: {err}");
        set.update_timestamp(timestamp(1, &new_ts)).unwrap();
    }

    #[test]
    fn deep_nesting_is_refused_not_recursed_into() {
        let deep = format!(r#"{{"signed":{{"x":{}1{}}},"signatures":[]}}"#, "[".repeat(100_000), "]".repeat(100_000));
        let err = TrustedSet::from_trusted_root(deep.into_bytes(), Context::new("g", Utc::now())).unwrap_err();
        assert!(err.to_string().starts_with("root: malformed metadata"), "{err}");
    }
}
