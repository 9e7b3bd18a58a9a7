//! The trusted metadata of a TUF 1.0 repository, built up one verified file at a time
//! by the specification's client workflow (section 5), with no I/O and no clock: the
//! updater hands in bytes (its local copies first, then the repository's) and the time.
//!
//! It follows the same shape as Notary v1's [`crate::trusted::TrustedSet`] and keeps
//! the same [`Verified`] values (parsed metadata with the exact bytes received, which
//! is what the updater stores); the steps are the specification's, which differ from
//! Notary's in their version rules:
//!
//! | step (section 5) | method |
//! |---|---|
//! | 5.2 load the trusted root | [`TrustedSet::new`] (signed by its own keys; may be expired) |
//! | 5.3.3–5.3.6 root N+1: signed by N's and by its own threshold, version N+1 | [`TrustedSet::update_root`] |
//! | 5.3.10 freeze: the final root has not expired | [`TrustedSet::update_timestamp`] (first check) |
//! | 5.3.11 fast-forward recovery: when a new root changes the timestamp or snapshot keys, the stored timestamp and snapshot are deleted | [`TrustedSet::timestamp_or_snapshot_keys_rotated`] (the updater deletes them); a stored copy is verified like a download, so one signed by removed keys is no rollback reference either |
//! | 5.4.2 timestamp signed by root's timestamp keys | [`TrustedSet::update_timestamp`] |
//! | 5.4.3 timestamp and its snapshot version not lower than the trusted copy's (an equal version keeps the trusted copy) | [`TrustedSet::update_timestamp`] |
//! | 5.4.4 timestamp not expired | [`TrustedSet::update_timestamp`] (checked after it is trusted, so an expired local copy still guards against rollback) |
//! | 5.5.2 snapshot's length and hashes as timestamp lists | [`TrustedSet::update_snapshot`] |
//! | 5.5.3 snapshot signed by root's snapshot keys | [`TrustedSet::update_snapshot`] |
//! | 5.5.4 snapshot version as timestamp lists (mix-and-match) | [`TrustedSet::update_snapshot`] |
//! | 5.5.5 no targets file listed by the trusted snapshot dropped or rolled back | [`TrustedSet::update_snapshot`] |
//! | 5.5.6 snapshot not expired | [`TrustedSet::update_snapshot`] |
//! | 5.6.2 targets (and 5.6.7.2 each delegated role): length and hashes as snapshot lists | [`TrustedSet::update_targets`] |
//! | 5.6.3 signed by the delegator's keys for the role | [`TrustedSet::update_targets`] |
//! | 5.6.4 version as snapshot lists | [`TrustedSet::update_targets`] |
//! | 5.6.5 not expired | [`TrustedSet::update_targets`] |
//! | 5.6.7 preorder depth-first delegation search, at most `max_delegations` roles | [`super::search::DelegationSearch`] |
//! | 5.7 target length and hashes | [`super::hashes`] |
//!
//! ```
//! use trust_tuf::tuf1::trusted::TrustedSet;
//! let now = chrono::DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z").unwrap().to_utc();
//! let err = TrustedSet::new(b"{}".to_vec(), now, trust_tuf::crypto::default_provider()).unwrap_err();
//! assert!(err.to_string().starts_with("root: malformed metadata"), "{err}");
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::crypto::CryptoProvider;
use crate::trusted::Verified;
use crate::{Error, Result};

use super::envelope::{Metadata, Role};
use super::hashes;
use super::roles::{MetaFile, Root, Snapshot, Timestamp};
use super::targets::Targets;
use super::threshold;

/// What [`TrustedSet::update_timestamp`] did with a timestamp that verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampUpdate {
    /// It is the trusted timestamp now: store it.
    Accepted,
    /// It has the trusted timestamp's version: the trusted copy is kept (and nothing
    /// is stored).
    Unchanged,
}

/// The trusted metadata of one TUF 1.0 repository.
#[derive(Debug)]
pub struct TrustedSet {
    now: DateTime<Utc>,
    provider: &'static dyn CryptoProvider,
    root: Verified<Metadata<Root>>,
    timestamp: Option<Verified<Metadata<Timestamp>>>,
    snapshot: Option<Verified<Metadata<Snapshot>>>,
    /// `targets` and every delegated role loaded so far, by role name.
    targets: HashMap<String, Verified<Metadata<Targets>>>,
    /// The delegators whose keys each loaded role's signatures met: a role reached
    /// through another delegator is checked again against that one's keys.
    trusted_via: HashMap<String, Vec<String>>,
    /// Whether a root accepted by this set changed the timestamp or snapshot keys.
    rotated: bool,
}

fn verified<T>(signed: Metadata<T>, raw: Vec<u8>) -> Verified<Metadata<T>> {
    Verified { signed, raw: Arc::new(raw) }
}

/// The key material (by key ID, sorted) root lists for top-level role `role`.
fn role_keys_of<'a>(root: &'a Root, role: &str) -> Vec<(&'a str, Option<&'a super::Key>)> {
    let mut keys: Vec<_> = root
        .role(role)
        .map(|r| r.keyids.iter().map(|id| (id.as_str(), root.keys.get(id))).collect())
        .unwrap_or_default();
    keys.sort_unstable_by_key(|(id, _)| *id);
    keys
}

fn expired(role: &str, md: &impl Role) -> Error {
    Error::Expired { role: role.to_owned(), expires: md.header().expires.as_str().to_owned() }
}

fn pinned(role: &str, meta: &MetaFile, raw: &[u8]) -> Result<()> {
    hashes::check(raw, meta.length, meta.hashes.as_ref())
        .map_err(|e| Error::verification(role, format!("does not match what its parent metadata lists: {e}")))
}

impl TrustedSet {
    /// Starts from the root the client trusts (5.2): well formed and signed by a
    /// threshold of its own root keys. Its expiry is checked only once no newer root
    /// is available (see [`TrustedSet::update_timestamp`]).
    pub fn new(raw: Vec<u8>, now: DateTime<Utc>, provider: &'static dyn CryptoProvider) -> Result<Self> {
        let root = Metadata::<Root>::parse("root", &raw)?;
        root.signed.verify_role("root", &root, provider)?;
        Ok(TrustedSet {
            now,
            provider,
            root: verified(root, raw),
            timestamp: None,
            snapshot: None,
            targets: HashMap::new(),
            trusted_via: HashMap::new(),
            rotated: false,
        })
    }

    /// Accepts root version N+1 (5.3.3–5.3.6): signed by a threshold of the trusted
    /// root's root keys and by a threshold of its own, with version N+1. Only before a
    /// timestamp is trusted.
    pub fn update_root(&mut self, raw: Vec<u8>) -> Result<()> {
        if self.timestamp.is_some() {
            return Err(Error::InvalidInput("root cannot change once a timestamp is trusted".into()));
        }
        let next = Metadata::<Root>::parse("root", &raw)?;
        self.root.signed.signed.verify_role("root", &next, self.provider)?;
        let expected = self.root.signed.version() + 1;
        if next.version() != expected {
            return Err(Error::verification(
                "root",
                format!("the file for version {expected} holds version {}", next.version()),
            ));
        }
        next.signed.verify_role("root", &next, self.provider)?;
        let old = &self.root.signed.signed;
        self.rotated |= ["timestamp", "snapshot"].iter().any(|r| role_keys_of(old, r) != role_keys_of(&next.signed, r));
        self.root = verified(next, raw);
        Ok(())
    }

    /// Whether a root this set accepted changed the keys of the timestamp or snapshot
    /// role (5.3.11): the stored timestamp and snapshot must then be deleted, not used
    /// as rollback references, so that the repository can recover from a fast-forward
    /// attack (a timestamp or snapshot signed with a stolen key at a huge version) by
    /// rotating those keys. A stored copy signed by the removed keys would fail to
    /// verify anyway; this covers the copy that still verifies (the timestamp, when
    /// only the snapshot keys changed).
    pub fn timestamp_or_snapshot_keys_rotated(&self) -> bool {
        self.rotated
    }

    /// Accepts a timestamp (5.3.10, 5.4): the final root must not have expired (freeze);
    /// the timestamp must be signed by root's timestamp keys, and neither its version nor
    /// the snapshot version it lists may be lower than the trusted timestamp's
    /// (rollback). The same version as the trusted one keeps the trusted one
    /// ([`TimestampUpdate::Unchanged`]). A timestamp that passes becomes trusted
    /// before its expiry is checked, so that an expired copy from the local cache still
    /// guards against rollback; an expired one is then an error.
    ///
    /// A local copy signed by keys root no longer lists fails here and so leaves no
    /// rollback reference: that is the fast-forward recovery after a timestamp key
    /// rotation (5.3.11).
    pub fn update_timestamp(&mut self, raw: Vec<u8>) -> Result<TimestampUpdate> {
        const ROLE: &str = "timestamp";
        if self.snapshot.is_some() {
            return Err(Error::InvalidInput("timestamp cannot change once a snapshot is trusted".into()));
        }
        if self.root.signed.signed.header.expires.is_expired(self.now) {
            return Err(expired("root", &self.root.signed.signed));
        }
        let new = Metadata::<Timestamp>::parse(ROLE, &raw)?;
        self.root.signed.signed.verify_role(ROLE, &new, self.provider)?;
        if let Some(old) = &self.timestamp {
            let (old_v, new_v) = (old.signed.version(), new.version());
            if new_v < old_v {
                return Err(Error::verification(
                    ROLE,
                    format!("version {new_v} is older than the trusted version {old_v} (rollback)"),
                ));
            }
            if new_v == old_v {
                return Ok(TimestampUpdate::Unchanged);
            }
            let (old_s, new_s) = (old.signed.signed.snapshot_meta().version, new.signed.snapshot_meta().version);
            if new_s < old_s {
                return Err(Error::verification(
                    ROLE,
                    format!("lists snapshot version {new_s}, older than the trusted {old_s} (rollback)"),
                ));
            }
        }
        self.timestamp = Some(verified(new, raw));
        self.check_final_timestamp()?;
        Ok(TimestampUpdate::Accepted)
    }

    fn check_final_timestamp(&self) -> Result<&Metadata<Timestamp>> {
        let ts =
            &self.timestamp.as_ref().ok_or_else(|| Error::verification("snapshot", "no trusted timestamp"))?.signed;
        if ts.signed.header.expires.is_expired(self.now) {
            return Err(expired("timestamp", &ts.signed));
        }
        Ok(ts)
    }

    /// Accepts a snapshot (5.5). `local` says the bytes are the client's own stored
    /// copy, whose length and hashes the timestamp need not match (it only has to
    /// verify to serve as the rollback reference, or as the final snapshot when its
    /// version is the one the timestamp lists). A download must match the timestamp's
    /// length and hashes. Either must be signed by root's snapshot keys, and must list
    /// every targets file the trusted snapshot lists at no lower version. A snapshot that
    /// passes becomes trusted; then its version must be the one the timestamp lists
    /// (mix-and-match) and it must not have expired.
    pub fn update_snapshot(&mut self, raw: Vec<u8>, local: bool) -> Result<()> {
        const ROLE: &str = "snapshot";
        if !self.targets.is_empty() {
            return Err(Error::InvalidInput("snapshot cannot change once targets are trusted".into()));
        }
        let meta = self.check_final_timestamp()?.signed.snapshot_meta();
        if !local {
            pinned(ROLE, meta, &raw)?;
        }
        let new = Metadata::<Snapshot>::parse(ROLE, &raw)?;
        self.root.signed.signed.verify_role(ROLE, &new, self.provider)?;
        if let Some(old) = &self.snapshot {
            for (name, old_meta) in &old.signed.signed.meta {
                let new_meta = new.signed.meta.get(name).ok_or_else(|| {
                    Error::verification(ROLE, format!("no longer lists {name}, which the trusted snapshot lists"))
                })?;
                if new_meta.version < old_meta.version {
                    return Err(Error::verification(
                        ROLE,
                        format!(
                            "lists {name} at version {}, older than the trusted {} (rollback)",
                            new_meta.version, old_meta.version
                        ),
                    ));
                }
            }
        }
        self.snapshot = Some(verified(new, raw));
        self.check_final_snapshot()?;
        Ok(())
    }

    fn check_final_snapshot(&self) -> Result<&Metadata<Snapshot>> {
        let ts = self.check_final_timestamp()?;
        let snapshot =
            &self.snapshot.as_ref().ok_or_else(|| Error::verification("targets", "no trusted snapshot"))?.signed;
        if snapshot.signed.header.expires.is_expired(self.now) {
            return Err(expired("snapshot", &snapshot.signed));
        }
        let listed = ts.signed.snapshot_meta().version;
        if snapshot.version() != listed {
            return Err(Error::verification(
                "snapshot",
                format!("version {} is not the version {listed} the timestamp lists", snapshot.version()),
            ));
        }
        Ok(snapshot)
    }

    /// The snapshot's entry for targets role `role`, once the snapshot is final.
    pub fn snapshot_meta(&self, role: &str) -> Result<&MetaFile> {
        self.check_final_snapshot()?
            .signed
            .role_meta(role)
            .ok_or_else(|| Error::verification(role, "the trusted snapshot does not list this role"))
    }

    /// Accepts `targets` (delegator `root`) or a delegated role (delegator: the trusted
    /// targets role that delegates to it) (5.6, 5.6.7.2): its length and hashes as the
    /// snapshot lists, signed by a threshold of the keys the delegator gives the role,
    /// the version the snapshot lists, not expired. The same checks hold for a local
    /// copy. Returns the accepted metadata.
    pub fn update_targets(&mut self, role: &str, delegator: &str, raw: Vec<u8>) -> Result<&Metadata<Targets>> {
        let meta = self.snapshot_meta(role)?;
        pinned(role, meta, &raw)?;
        let listed = meta.version;
        let new = Metadata::<Targets>::parse(role, &raw)?;
        self.check_signed_by(role, delegator, &new)?;
        if new.version() != listed {
            return Err(Error::verification(
                role,
                format!("version {} is not the version {listed} the snapshot lists", new.version()),
            ));
        }
        if new.signed.header.expires.is_expired(self.now) {
            return Err(expired(role, &new.signed));
        }
        self.trusted_via.insert(role.to_owned(), vec![delegator.to_owned()]);
        let entry = self.targets.entry(role.to_owned()).insert_entry(verified(new, raw));
        Ok(&entry.into_mut().signed)
    }

    /// Checks that a threshold of the keys `delegator` gives `role` signed `md`.
    fn check_signed_by(&self, role: &str, delegator: &str, md: &Metadata<Targets>) -> Result<()> {
        if delegator == "root" {
            if role != "targets" {
                return Err(Error::verification(role, "root delegates only to targets"));
            }
            self.root.signed.signed.verify_role(role, md, self.provider)?;
            return Ok(());
        }
        let parent = self
            .targets
            .get(delegator)
            .ok_or_else(|| Error::verification(role, format!("its delegator {delegator} is not trusted")))?;
        let delegations = parent
            .signed
            .signed
            .delegations
            .as_ref()
            .ok_or_else(|| Error::verification(role, format!("{delegator} delegates to no role")))?;
        let keys = delegations
            .role_keys(role)
            .ok_or_else(|| Error::verification(role, format!("{delegator} does not delegate to it")))?;
        threshold::verify(role, md, &delegations.keys, keys, self.provider)?;
        Ok(())
    }

    /// Whether loaded role `role` was checked against `delegator`'s keys for it.
    pub fn is_trusted_via(&self, role: &str, delegator: &str) -> bool {
        self.trusted_via.get(role).is_some_and(|via| via.iter().any(|d| d == delegator))
    }

    /// Checks the loaded role `role` against the keys `delegator` gives it, when the
    /// search reaches it through a delegator other than the one it was loaded under (a
    /// role two delegators name draws no authority from the first one's keys).
    pub fn trust_via(&mut self, role: &str, delegator: &str) -> Result<()> {
        if self.is_trusted_via(role, delegator) {
            return Ok(());
        }
        let md = self.targets.get(role).ok_or_else(|| Error::verification(role, "not loaded"))?;
        self.check_signed_by(role, delegator, &md.signed)?;
        self.trusted_via.entry(role.to_owned()).or_default().push(delegator.to_owned());
        Ok(())
    }

    /// The trusted root.
    pub fn root(&self) -> &Verified<Metadata<Root>> {
        &self.root
    }

    /// The trusted timestamp.
    pub fn timestamp(&self) -> Option<&Verified<Metadata<Timestamp>>> {
        self.timestamp.as_ref()
    }

    /// The trusted snapshot.
    pub fn snapshot(&self) -> Option<&Verified<Metadata<Snapshot>>> {
        self.snapshot.as_ref()
    }

    /// Trusted `targets` or delegated role `role`, once loaded.
    pub fn targets(&self, role: &str) -> Option<&Verified<Metadata<Targets>>> {
        self.targets.get(role)
    }

    /// Whether the repository publishes with consistent snapshots (the trusted root's
    /// `consistent_snapshot`).
    pub fn consistent_snapshot(&self) -> bool {
        self.root.signed.signed.consistent_snapshot()
    }

    /// The time every expiry is checked against.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }
}
