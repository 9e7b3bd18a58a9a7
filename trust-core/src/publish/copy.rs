//! Moving a repository to another store (`trust copy REPOSITORY --from SOURCE --to
//! DEST`): its trust data, verified from SOURCE as any read verifies it, published
//! to DEST as it is. Targets and delegations keep their bytes and signatures (they
//! never named the store); only what DEST requires is signed again: a new root
//! version listing DEST's snapshot and timestamp keys when the current root lists
//! others (signed by the root key), and the snapshot when its key is local.
//!
//! Everything that could stop the move (a missing key, a store that cannot take the
//! repository's earlier roots) is found before anything is uploaded.

use serde_json::Value;

use super::init::root_role_keys;
use super::rotate::{bump_root, canonical_ids, replace_role_key};
use super::{KeySource, sign, signed_value, signing_keys, snapshot};
use crate::client::Client;
use crate::remote::RemoteFile;
use crate::{Error, Result};
use trust_tuf::crypto::keyid::canonical_key_id;
use trust_tuf::resolve::TargetsSource;
use trust_tuf::trusted::TrustedSet;
use trust_tuf::wire::PublicKey;

/// A key the move needed, and what for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUse {
    /// The role it signs.
    pub role: String,
    /// Its key ID: the canonical ID (key file name) of a local key, the ID the root
    /// lists for a server's.
    pub key_id: String,
    /// What it was used for.
    pub purpose: String,
}

/// What a copy did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Copied {
    /// The root version SOURCE serves.
    pub source_root_version: u64,
    /// The earlier root versions SOURCE serves, verified as a chain to the current one.
    pub history_verified: Vec<u64>,
    /// Root versions stored on DEST before the current one (`<N>.root.json`).
    pub history_stored: Vec<u64>,
    /// The new root version, when DEST's keys needed one.
    pub new_root_version: Option<u64>,
    /// Roles uploaded, in order.
    pub roles: Vec<String>,
    /// The keys the move needed.
    pub keys: Vec<KeyUse>,
    /// Roles left behind, and other warnings.
    pub warnings: Vec<String>,
}

/// What SOURCE serves, verified.
struct SourceState {
    root_raw: Vec<u8>,
    root: Value,
    history: Vec<Vec<u8>>,
    snapshot: Option<Value>,
    files: Vec<(String, Vec<u8>)>,
    /// Delegations the snapshot lists that did not verify.
    left_out: Vec<String>,
    /// Delegations carried.
    delegations: Vec<String>,
    warnings: Vec<String>,
}

/// Copies the repository of `source` to the store of `dest` (a client for the same
/// repository), signing with `keys` what DEST requires. DEST must hold nothing for
/// the repository. Afterwards the trust directory's cache follows DEST (its
/// timestamp and snapshot versions start over there).
pub fn copy(source: &Client, dest: &Client, keys: &dyn KeySource) -> Result<Copied> {
    let gun = source.gun();
    if dest.gun() != gun {
        return Err(Error::InvalidInput(format!("cannot copy {gun} into another repository ({})", dest.gun())));
    }
    if source.server() == dest.server() {
        return Err(Error::InvalidInput(format!("SOURCE and DEST are the same store ({})", source.server())));
    }
    let max_root = dest.context().limits.max_root_bytes;
    if dest.remote().fetch(gun, &RemoteFile::Current("root"), max_root)?.is_some() {
        return Err(Error::InvalidInput(format!(
            "{} already has trust data for {gun}; copy only into a store that has none",
            dest.server()
        )));
    }
    let state = read_source(source)?;
    let n = state.root["version"].as_u64().unwrap_or(0);
    let first = n + 1 - state.history.len() as u64;
    let mut out = Copied {
        source_root_version: n,
        history_verified: (first..=n).collect(),
        warnings: state.warnings.clone(),
        ..Copied::default()
    };
    let store = super::upload::to(dest.remote());
    let stores_history = store.stores_root_history();
    if !stores_history && n >= 2 {
        return Err(Error::InvalidInput(format!(
            "{gun} is at root version {n}, and {} takes a new repository's first root only as version 1 or 2 and \
             signs a snapshot for each root it takes, so versions 2…{n} (which list {}'s keys) cannot be stored \
             there and clients holding them could not follow the chain; copy it to a file remote (file:///DIR) instead",
            dest.server(),
            source.server()
        )));
    }
    let (root_bytes, next) = plan_root(source, dest, keys, &state, &mut out)?;

    // Nothing was uploaded before this point.
    if stores_history {
        store.store_root_history(gun, &state.history)?;
        out.history_stored = out.history_verified.clone();
    }
    let mut uploads = vec![("root".to_owned(), root_bytes)];
    uploads.extend(state.files.iter().cloned());
    if store.accepts_client_signed("snapshot")
        && let Some(bytes) =
            snapshot::client_snapshot(&next, state.snapshot.as_ref(), &uploads, &state.left_out, keys, dest.now())?
    {
        uploads.push(("snapshot".into(), bytes));
    }
    if store.publisher_signs() {
        let snapshot = uploads.iter().find(|(role, _)| role == "snapshot").map(|(_, b)| b.clone());
        let snapshot = snapshot.ok_or_else(|| super::timestamp::publisher_key_missing(gun, store.url(), "snapshot"))?;
        let lifetime = super::timestamp::default_timestamp_lifetime();
        let stamp = super::timestamp::client_timestamp(&next, None, &snapshot, keys, dest.now(), lifetime)?
            .ok_or_else(|| super::timestamp::publisher_key_missing(gun, store.url(), "timestamp"))?;
        uploads.push(("timestamp".into(), stamp));
    }
    store.publish(gun, &uploads)?;
    out.roles = uploads.into_iter().map(|(r, _)| r).collect();

    // The cache follows DEST, verified from the trusted root like any read.
    let verify = || -> Result<()> {
        let mut repo = dest.update_from_server()?;
        for role in &state.delegations {
            repo.targets(role)?;
        }
        repo.commit()
    };
    verify()
        .map_err(|e| e.noted(format!("{gun} was copied to {}, but verifying what it serves failed", dest.server())))?;
    Ok(out)
}

/// The verified trust data of SOURCE: root 1…N as a chain, and every file the
/// snapshot lists (delegations that do not verify are left out and named).
fn read_source(source: &Client) -> Result<SourceState> {
    let mut repo = source.update_from_server()?;
    let listed: Vec<String> = repo
        .trusted()
        .snapshot()
        .map(|s| s.signed.meta.keys().filter(|r| r.starts_with("targets/")).cloned().collect())
        .unwrap_or_default();
    let mut delegations = listed;
    delegations.sort_by_key(|r| (r.matches('/').count(), r.clone()));
    for role in &delegations {
        repo.targets(role)?;
    }
    let trusted = repo.trusted();
    let root_raw = trusted.raw("root").unwrap_or_default().to_vec();
    let root = signed_value("root", &root_raw)?;
    let snapshot = trusted.raw("snapshot").map(|raw| signed_value("snapshot", raw)).transpose()?;
    let mut files = vec![(
        "targets".to_owned(),
        trusted.raw("targets").ok_or_else(|| Error::verification("targets", "not loaded"))?.to_vec(),
    )];
    let mut left_out = Vec::new();
    let mut carried = Vec::new();
    for role in delegations {
        match trusted.raw(&role) {
            Some(raw) => {
                files.push((role.clone(), raw.to_vec()));
                carried.push(role);
            }
            None => left_out.push(role),
        }
    }
    let mut warnings: Vec<String> = left_out
        .iter()
        .map(|r| {
            format!("{r} is listed by the snapshot but did not verify, and was not carried (DEST would refuse it)")
        })
        .collect();
    warnings.extend(repo.warnings().iter().cloned());
    let history = root_history(source, &root_raw, root["version"].as_u64().unwrap_or(1))?;
    repo.commit()?;
    Ok(SourceState { root_raw, root, history, snapshot, files, left_out, delegations: carried, warnings })
}

/// The root versions the client's remote serves, from the oldest of an unbroken run
/// up to N, checked as a chain (each signed by its predecessor's root keys and its
/// own) that ends at `trusted`. A store that received the repository by a copy
/// serves only the versions from the one it first took.
fn root_history(client: &Client, trusted: &[u8], version: u64) -> Result<Vec<Vec<u8>>> {
    let ctx = client.context();
    let mut roots = vec![trusted.to_vec()];
    for v in (1..version).rev() {
        if roots.len() as u64 > ctx.limits.max_root_rotations {
            return Err(Error::verification(
                "root",
                format!("more than {} root versions", ctx.limits.max_root_rotations),
            ));
        }
        let file = RemoteFile::ByVersion { role: "root", version: v };
        match client.remote().fetch(client.gun(), &file, ctx.limits.max_root_bytes)? {
            Some(raw) => roots.push(raw),
            None => break,
        }
    }
    roots.reverse();
    let mut set = TrustedSet::from_trusted_root(roots[0].clone(), ctx)?;
    for raw in &roots[1..] {
        set.update_root(raw.clone())?;
    }
    if set.raw("root") != Some(trusted) {
        return Err(Error::verification("root", "the root versions the server serves do not lead to the trusted root"));
    }
    Ok(roots)
}

/// The root to publish on DEST, and its `signed` value: the current one when it lists
/// DEST's keys, else the next version listing them, signed by the root key.
fn plan_root(
    source: &Client,
    dest: &Client,
    keys: &dyn KeySource,
    state: &SourceState,
    out: &mut Copied,
) -> Result<(Vec<u8>, Value)> {
    let gun = source.gun();
    let root = &state.root;
    let held = keys.held_key_ids()?;
    let holds = |listed: &[(String, PublicKey)]| {
        listed.iter().any(|(_, k)| canonical_key_id(k).is_ok_and(|c| held.contains(&c)))
    };
    let store = super::upload::to(dest.remote());
    let mut next = root.clone();
    let mut replaced = Vec::new();
    for role in ["snapshot", "timestamp"] {
        let current = root_role_keys(root, role)?;
        if role == "snapshot" && store.accepts_client_signed(role) && holds(&current) {
            for id in canonical_ids(&current) {
                out.keys.push(KeyUse {
                    role: role.into(),
                    key_id: id,
                    purpose: "signs the snapshot (local key)".into(),
                });
            }
            continue;
        }
        if store.publisher_signs() && holds(&current) {
            for id in canonical_ids(&current) {
                out.keys.push(KeyUse {
                    role: role.into(),
                    key_id: id,
                    purpose: format!("signs the {role} (local key)"),
                });
            }
            continue;
        }
        let key = if store.publisher_signs() {
            // No server to sign: the publisher's own key for the role.
            keys.role_key(role, gun)?.public_key()
        } else {
            store.server_key(gun, role)?
        };
        let id = key.tuf_id();
        if current.len() == 1 && current[0].0 == id {
            out.keys.push(KeyUse {
                role: role.into(),
                key_id: id,
                purpose: format!("{}'s, already listed", dest.server()),
            });
            continue;
        }
        let old: Vec<String> = current.into_iter().map(|(id, _)| id).collect();
        replace_role_key(&mut next, role, &key, &old)?;
        out.keys.push(KeyUse {
            role: role.into(),
            key_id: id,
            purpose: format!("{}'s, listed by the new root", dest.server()),
        });
        replaced.push(role);
    }
    if replaced.is_empty() {
        return Ok((state.root_raw.clone(), next));
    }
    let root_keys = root_role_keys(root, "root")?;
    if !holds(&root_keys) {
        return Err(Error::Key(format!(
            "{} signs {} of {gun} with its own keys, which root version {} does not list; the new root version \
             listing them must be signed by the root key {} (role root), which is not in this trust directory: \
             import it with `trust key load --name root FILE` (nothing was copied)",
            dest.server(),
            replaced.join(" and "),
            root["version"],
            canonical_ids(&root_keys).join(", ")
        )));
    }
    bump_root(&mut next, root, dest.now());
    let signers = signing_keys(keys, "root", &root_keys)?;
    let signing: Vec<(String, PublicKey)> =
        root_keys.into_iter().filter(|(id, _)| signers.iter().any(|(s, _)| s == id)).collect();
    for id in canonical_ids(&signing) {
        out.keys.push(KeyUse { role: "root".into(), key_id: id, purpose: "signs the new root".into() });
    }
    out.new_root_version = next["version"].as_u64();
    Ok((sign("root", &next, &signers)?, next))
}
