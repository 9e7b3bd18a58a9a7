//! Publishing: staged changes → new signed metadata → one upload.
//!
//! ```text
//! keystore ──► changelist (staged on disk) ──► draft (new metadata) ──► sign ──► upload ──► trusted set again
//! ```
//!
//! Changes are staged on disk before any network call ([`Changelist`]). A publish
//! starts from the server's newest verified state, applies every staged change to
//! the JSON values of the affected roles ([`Draft`]), bumps their versions, signs
//! them with the local keys and uploads them in one atomic update; the server signs
//! the new snapshot and timestamp (on a store with no server to sign them, the
//! publisher signs both: [`upload::Upload::publisher_signs`]; between publishes,
//! [`refresh_timestamp`] keeps the timestamp fresh). The staged changes are cleared
//! only after the server accepted them. When another signer published first (notary's `VERSION`
//! error), the publish starts again from the new state, a bounded number of times.

mod change;
mod changelist;
mod copy;
mod draft;
pub mod file_store;
mod init;
mod keys;
pub mod request;
mod roles;
mod rotate;
mod snapshot;
#[cfg(test)]
mod test_keys;
mod timestamp;
pub mod upload;

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

pub use change::{Action, Change, DelegationEdit, Kind};
pub use changelist::{Changelist, Staged};
pub use copy::{Copied, KeyUse, copy};
pub use draft::Draft;
pub use keys::StoreKeys;
pub use roles::{NO_SIGNABLE_ROLE, signable_roles};
pub use rotate::{KeyHolder, Rotation, default_holder, rotate_key};
pub use timestamp::{
    MAX_TIMESTAMP_LIFETIME_DAYS, Refreshed, TIMESTAMP_LIFETIME_DAYS, check_timestamp_lifetime,
    default_timestamp_lifetime, refresh_timestamp,
};

use crate::client::{Client, Repository};
use crate::{Error, ErrorKind, Result};
use trust_tuf::crypto::keyid::canonical_key_id;
use trust_tuf::crypto::signer::{PrivateKey, sign_metadata};
use trust_tuf::resolve::TargetsSource;
use trust_tuf::wire::{Envelope, Expiry, PublicKey};

/// How many times a publish starts again after losing a race to another signer.
pub const MAX_ATTEMPTS: u32 = 20;
/// The first back-off after a lost race, doubled each attempt up to [`BACKOFF_CAP_MS`]
/// (each wait is a random time between half and all of it).
const BACKOFF_BASE_MS: u64 = 25;
/// The longest back-off.
const BACKOFF_CAP_MS: u64 = 2_000;
/// Lifetime of signed targets and delegations (notary's default).
pub const TARGETS_LIFETIME_DAYS: i64 = 3 * 365;
/// Lifetime of a root (notary's default).
pub const ROOT_LIFETIME_DAYS: i64 = 10 * 365;
/// A root closer than this to its expiry is re-signed on publish, as notary does.
pub const ROOT_RESIGN_WITHIN_DAYS: i64 = 182;

/// The private keys a publisher may sign with.
pub trait KeySource {
    /// Canonical IDs of the private keys held (without decrypting anything).
    fn held_key_ids(&self) -> Result<Vec<String>>;
    /// The private key with canonical ID `id`, to sign `role` (may ask for a passphrase).
    fn private_key(&self, id: &str, role: &str) -> Result<PrivateKey>;
    /// The root key that initialises a new repository: an existing root key, or a new
    /// one, stored.
    fn root_key(&self) -> Result<PrivateKey>;
    /// Key files that could not be read (named when no usable key was found).
    fn unreadable_keys(&self) -> Vec<std::path::PathBuf> {
        Vec::new()
    }
    /// The targets key for a new repository `gun`: one already held for that
    /// repository (an earlier attempt that did not reach the server), else a new
    /// one, stored.
    fn targets_key(&self, gun: &str) -> Result<PrivateKey>;
    /// The key of `role` (`targets`, `snapshot`, `timestamp`) for a new repository
    /// `gun`: one already held for that role and repository (an earlier attempt that
    /// did not reach the store), else a new ECDSA P-256 key, stored (encrypted) before
    /// it is returned. Snapshot and timestamp keys are the publisher's only on a store
    /// with no server to sign them ([`upload::Upload::publisher_signs`]).
    fn role_key(&self, role: &str, gun: &str) -> Result<PrivateKey> {
        match role {
            "targets" => self.targets_key(gun),
            _ => Err(Error::Key(format!("this key source holds no {role} key for {gun} and cannot make one"))),
        }
    }
    /// A new ECDSA P-256 key for `role` of `gun`, stored (encrypted) before it is
    /// returned: what a key rotation signs with from then on.
    fn new_key(&self, role: &str, gun: &str) -> Result<PrivateKey> {
        let _ = gun;
        Err(Error::Key(format!("this key source cannot make a new {role} key")))
    }
    /// The keys this source made so far (`root key 1a2b3c4`), none by default.
    fn created_keys(&self) -> Vec<String> {
        Vec::new()
    }
    /// Removes the key files this source made (an operation that failed takes them
    /// back) and names them; the default made none. Keys it found are never touched.
    fn discard_created(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
}

/// What a publish did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The repository did not exist and was initialised.
    pub initialized: bool,
    /// Roles uploaded.
    pub roles: Vec<String>,
    /// Staged changes applied.
    pub changes: usize,
    /// Attempts it took (more than one after losing races to other signers).
    pub attempts: u32,
    /// Warnings (for example a refresh of the cache that failed after the upload).
    pub warnings: Vec<String>,
}

/// The `signed` value of a metadata file.
pub(crate) fn signed_value(role: &str, raw: &[u8]) -> Result<Value> {
    let envelope = Envelope::parse(raw).map_err(|e| Error::malformed(role, e))?;
    serde_json::from_str(envelope.signed.get()).map_err(|e| Error::malformed(role, e))
}

/// Signs `signed` (its canonical form) with each key, under the given key IDs.
pub(crate) fn sign(role: &str, signed: &Value, keys: &[(String, PrivateKey)]) -> Result<Vec<u8>> {
    Ok(sign_metadata(role, signed, keys)?)
}

/// The held private keys among `keys` (key ID as metadata lists it → public key),
/// matched by canonical ID.
pub(crate) fn signing_keys(
    source: &dyn KeySource,
    role: &str,
    keys: &[(String, PublicKey)],
) -> Result<Vec<(String, PrivateKey)>> {
    let held = source.held_key_ids()?;
    let mut out = Vec::new();
    for (keyid, public) in keys {
        let canonical = canonical_key_id(public)?;
        if held.contains(&canonical) {
            out.push((keyid.clone(), source.private_key(&canonical, role)?));
        }
    }
    Ok(out)
}

fn expiry_in(now: DateTime<Utc>, days: i64) -> Expiry {
    Expiry::from_time(now + chrono::Duration::days(days))
}

/// Ancestors of `role` from `targets` down, `role` included.
fn lineage(role: &str) -> Vec<String> {
    let mut out = vec![];
    let mut current = Some(role);
    while let Some(r) = current {
        out.push(r.to_owned());
        current = trust_tuf::wire::parent_role(r);
    }
    out.reverse();
    out
}

/// Loads into `draft` the verified files the staged changes touch (and their parents).
fn load_roles(repo: &mut Repository<'_>, draft: &mut Draft, staged: &[Staged]) -> Result<()> {
    for s in staged {
        let mut needed = lineage(&s.change.role);
        if s.change.kind == Kind::Delegation {
            needed.pop();
        }
        for role in needed {
            if draft.has(&role) {
                continue;
            }
            if repo.targets(&role)?.is_some()
                && let Some(raw) = repo.trusted().raw(&role)
            {
                draft.load(&role, signed_value(&role, raw)?);
            } else if let Some(version) = repo.trusted().superseded_version(&role) {
                // Its file is no longer signed by a listed key: start it again, empty,
                // above the version the server holds.
                draft.load(&role, draft::empty_targets_after(version));
            }
        }
    }
    Ok(())
}

/// Publishes every staged change of the client's repository with `keys`.
pub fn publish(client: &Client, keys: &dyn KeySource) -> Result<Outcome> {
    let changelist = Changelist::open(client.trust_dir(), client.gun())?;
    let _lock = changelist.lock()?;
    // Changes are staged under this lock: a group still incomplete now lost its writer.
    changelist.remove_incomplete()?;
    for attempt in 1..=MAX_ATTEMPTS {
        let staged = changelist.list()?;
        if staged.is_empty() {
            return Ok(Outcome { attempts: attempt, ..Outcome::default() });
        }
        match publish_once(client, keys, &staged) {
            Ok(mut outcome) => {
                changelist.clear(&staged)?;
                outcome.attempts = attempt;
                outcome.changes = staged.len();
                // The cache follows the server; a failure here does not undo the publish.
                if let Err(e) = client.update_from_server().and_then(|mut r| r.commit()) {
                    outcome.warnings.push(format!("published, but refreshing the local cache failed: {e}"));
                }
                return Ok(outcome);
            }
            Err(Error::Conflict(_)) if attempt < MAX_ATTEMPTS => backoff(attempt),
            Err(e) => return Err(e),
        }
    }
    Err(Error::Conflict(format!(
        "{}: other signers kept publishing first ({MAX_ATTEMPTS} attempts); the changes stay staged, run the command again",
        client.gun()
    )))
}

/// One attempt: build, sign and upload from the server's current state.
fn publish_once(client: &Client, keys: &dyn KeySource, staged: &[Staged]) -> Result<Outcome> {
    let now = client.now();
    let mut draft = Draft::default();
    let mut uploads: Vec<(String, Vec<u8>)> = Vec::new();
    let mut outcome = Outcome::default();
    let root: Value;
    let mut previous_snapshot = None;
    let mut previous_timestamp = None;
    match client.update_from_server() {
        Ok(mut repo) => {
            root = signed_value("root", repo.trusted().raw("root").unwrap_or_default())?;
            previous_snapshot = repo.trusted().raw("snapshot").map(|raw| signed_value("snapshot", raw)).transpose()?;
            previous_timestamp = repo.trusted().timestamp().map(|t| t.signed.version);
            load_roles(&mut repo, &mut draft, staged)?;
            if let Some(resigned) = init::resign_root_if_near_expiry(&root, keys, now)? {
                uploads.push(("root".into(), resigned));
            }
        }
        Err(e) if e.kind() == ErrorKind::NotSigned => {
            let fresh = init::new_repository(client, keys, now)?;
            root = fresh.root_signed;
            uploads.push(("root".into(), fresh.root_bytes));
            draft.load("targets", draft::empty_targets());
            draft.touch("targets");
            outcome.initialized = true;
        }
        Err(e) => return Err(client.explain_expiry(e)),
    }
    for s in staged {
        draft.apply(&s.change)?;
    }
    let targets_expiry = expiry_in(now, TARGETS_LIFETIME_DAYS);
    for role in draft.changed() {
        let role_keys =
            if role == "targets" { init::root_role_keys(&root, "targets")? } else { draft.delegation_keys(&role) };
        let signers = signing_keys(keys, &role, &role_keys)?;
        if signers.is_empty() {
            return Err(Error::Key(format!(
                "no signing key for {role} of {} in this trust directory; {}",
                client.gun(),
                if role == "targets" {
                    "only the repository's administrator (the holder of its targets key) can change it"
                } else {
                    "import the signer's private key with `trust key load`"
                }
            )));
        }
        let threshold = if role == "targets" {
            root["roles"]["targets"]["threshold"].as_u64()
        } else {
            draft.delegation_entry(&role).and_then(|entry| entry["threshold"].as_u64())
        };
        check_threshold(client.gun(), &role, threshold.unwrap_or(1), &role_keys, &signers)?;
        let signed = draft.finish(&role, &targets_expiry)?;
        uploads.push((role.clone(), sign(&role, &signed, &signers)?));
    }
    let deleted: Vec<String> = draft.deleted().cloned().collect();
    upload_with_snapshot(client, keys, &root, previous_snapshot.as_ref(), previous_timestamp, &mut uploads, &deleted)?;
    outcome.roles = uploads.iter().map(|(r, _)| r.clone()).collect();
    Ok(outcome)
}

/// Refuses to publish `role` signed by fewer distinct keys (`signers`, each key counted
/// once however many IDs it is listed under) than its `threshold`: no reader would
/// accept the file, and a store with no server to check it (a file or `oci://` store)
/// would take it, so that the role's tags, the ones signed before included, would
/// stop verifying. Names the keys of `role_keys` that are not held.
fn check_threshold(
    gun: &str,
    role: &str,
    threshold: u64,
    role_keys: &[(String, PublicKey)],
    signers: &[(String, PrivateKey)],
) -> Result<()> {
    let held =
        signers.iter().map(|(_, key)| canonical_key_id(&key.public_key())).collect::<Result<BTreeSet<_>, _>>()?;
    if held.len() as u64 >= threshold {
        return Ok(());
    }
    let mut missing = BTreeSet::new();
    for (_, public) in role_keys {
        let id = canonical_key_id(public)?;
        if !held.contains(&id) {
            missing.insert(id);
        }
    }
    Err(Error::Key(format!(
        "{role} of {gun} needs signatures from {threshold} distinct keys and this trust directory holds {} of them \
         (not held: {}); load the other signers' keys (`trust key load`), or collect their signatures with \
         `trust sign --partial` (then `trust sign --add-signature` by each of them, and `trust publish`)",
        held.len(),
        missing.into_iter().collect::<Vec<_>>().join(", ")
    )))
}

/// Adds to `uploads` the snapshot the client signs (when it holds the key) and, on a
/// store with no server to sign them, the timestamp, then uploads them in one update.
fn upload_with_snapshot(
    client: &Client,
    keys: &dyn KeySource,
    root: &Value,
    previous_snapshot: Option<&Value>,
    previous_timestamp: Option<u64>,
    uploads: &mut Vec<(String, Vec<u8>)>,
    deleted: &[String],
) -> Result<()> {
    let now = client.now();
    let store = upload::to(client.remote());
    let snapshot = snapshot::client_snapshot(root, previous_snapshot, uploads, deleted, keys, now)?;
    match snapshot {
        Some(bytes) if store.publisher_signs() => {
            let lifetime = default_timestamp_lifetime();
            let stamp = timestamp::client_timestamp(root, previous_timestamp, &bytes, keys, now, lifetime)?
                .ok_or_else(|| timestamp::publisher_key_missing(client.gun(), store.url(), "timestamp"))?;
            uploads.push(("snapshot".into(), bytes));
            uploads.push(("timestamp".into(), stamp));
        }
        Some(bytes) => uploads.push(("snapshot".into(), bytes)),
        None if store.publisher_signs() => {
            return Err(timestamp::publisher_key_missing(client.gun(), store.url(), "snapshot"));
        }
        None => {}
    }
    store.publish(client.gun(), uploads)
}

fn backoff(attempt: u32) {
    // Exponential with jitter, capped: 20 publishers racing for one tag (the registry
    // store) spread out within a few rounds instead of colliding again in lockstep.
    let mut b = [0u8; 2];
    let _ = trust_tuf::crypto::backend::rand::SecureRandom::fill(
        &trust_tuf::crypto::backend::rand::SystemRandom::new(),
        &mut b,
    );
    let cap = (BACKOFF_BASE_MS << attempt.saturating_sub(1).min(16)).min(BACKOFF_CAP_MS);
    let jitter = u64::from(u16::from_le_bytes(b)) % (cap / 2 + 1);
    std::thread::sleep(Duration::from_millis(cap / 2 + jitter));
}
