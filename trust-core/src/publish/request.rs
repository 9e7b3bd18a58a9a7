//! k-of-n signing across machines: a signing request carries one delegation file's
//! new `signed` bytes and the signatures collected so far, from `trust sign
//! --partial` through `trust sign --add-signature` on each signer's machine to
//! `trust publish`. Every step checks the request against the server's current,
//! verified trust data ([`trust_tuf::cosign::review`] decides).
//!
//! The file (JSON, written atomically):
//!
//! ```text
//! {"format": "trust-signing-request/1",
//!  "gun": "registry.example.com/team/app", "server": "https://notary.example.com",
//!  "role": "targets/releases", "tag": "v1",
//!  "target": {"hashes": {"sha256": "<base64>"}, "length": 528},   (what the tag gets)
//!  "previous": null | {"hashes": …, "length": …},                 (what it pointed to)
//!  "built_on": {"role_version": 3, "role_sha256": "<hex>" | null,
//!               "snapshot_version": 9, "snapshot_sha256": "<hex>"},
//!  "signed": {…},          (the new file's signed part, canonical JSON, byte for byte)
//!  "signatures": [{"keyid": "…", "method": "ecdsa", "sig": "<base64>"}]}
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use super::{
    Change, Draft, KeySource, Outcome, Staged, TARGETS_LIFETIME_DAYS, expiry_in, load_roles, signed_value,
    signing_keys, upload_with_snapshot,
};
use crate::client::{Client, Repository};
use crate::{Error, Result};
use trust_tuf::cosign::{self, Basis, Refusal, Review};
use trust_tuf::crypto::default_provider;
use trust_tuf::crypto::keyid::canonical_key_id;
use trust_tuf::resolve::TargetsSource;
use trust_tuf::wire::{DelegatedRole, FileMeta, PublicKey, Signature, parent_role, write_envelope};

/// The `format` of the requests this version writes and reads.
pub const FORMAT: &str = "trust-signing-request/1";

/// A signing request (see the module documentation for the file).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningRequest {
    /// [`FORMAT`].
    pub format: String,
    /// The repository.
    pub gun: String,
    /// The trust server it was built from and is published to.
    pub server: String,
    /// The delegation role whose file it signs.
    pub role: String,
    /// The tag it signs.
    pub tag: String,
    /// What the tag gets.
    pub target: FileMeta,
    /// What the tag pointed to in the role when the request was built (None: a new tag).
    pub previous: Option<FileMeta>,
    /// The state it was built on.
    pub built_on: Basis,
    /// The new file's `signed` part, canonical JSON.
    pub signed: Box<RawValue>,
    /// The signatures collected so far.
    pub signatures: Vec<Signature>,
}

impl SigningRequest {
    /// Parses a request file's bytes.
    pub fn parse(bytes: &[u8], source: &str) -> Result<SigningRequest> {
        let request: SigningRequest = serde_json::from_slice(bytes)
            .map_err(|e| Error::InvalidInput(format!("{source}: not a signing request: {e}")))?;
        if request.format != FORMAT {
            return Err(Error::InvalidInput(format!(
                "{source}: a signing request of format {:?}; this trust reads {FORMAT}",
                request.format
            )));
        }
        Ok(request)
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut bytes =
            serde_json::to_vec_pretty(self).map_err(|e| Error::InvalidInput(format!("signing request: {e}")))?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

/// A request checked against the server's current trust data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// Who signed and who has not.
    pub review: Review,
    /// The names of the signers (`alice`) whose roles list each key, by canonical ID.
    pub names: BTreeMap<String, Vec<String>>,
}

impl Checked {
    /// `<key id> (alice, bob)` for each key that has not signed.
    pub fn missing(&self) -> Vec<String> {
        self.review
            .missing
            .iter()
            .map(|id| match self.names.get(id) {
                Some(names) if !names.is_empty() => format!("{id} ({})", names.join(", ")),
                _ => id.clone(),
            })
            .collect()
    }
}

/// The role's state now: its entry and keys in the parent, its current `signed`
/// value and what a request must have been built on.
struct State {
    delegation: DelegatedRole,
    keys: BTreeMap<String, PublicKey>,
    current: Option<Value>,
    basis: Basis,
    names: BTreeMap<String, Vec<String>>,
}

fn state(repo: &mut Repository<'_>, role: &str) -> Result<State> {
    let gun = repo.gun().to_owned();
    let parent = parent_role(role).ok_or_else(|| {
        Error::InvalidInput(format!("{role} is not a delegation: sign into targets/releases or targets/NAME"))
    })?;
    repo.targets(parent)?;
    let delegation = repo.trusted().delegated_role(role).cloned().ok_or_else(|| {
        Error::InvalidInput(format!("{gun} has no delegation {role}: add its signers first with trust signer add"))
    })?;
    let keys = repo.trusted().targets_of(parent).map(|t| t.delegations.keys.clone()).unwrap_or_default();
    let loaded = repo.targets(role)?.is_some();
    let raw = if loaded { repo.trusted().raw(role).map(<[u8]>::to_vec) } else { None };
    let current = raw.as_deref().map(|raw| signed_value(role, raw)).transpose()?;
    let role_version = match &current {
        Some(value) => value["version"].as_u64().unwrap_or(0),
        None => repo.trusted().superseded_version(role).unwrap_or(0),
    };
    let snapshot = repo.trusted().raw("snapshot").unwrap_or_default();
    let basis = Basis {
        role_version,
        role_sha256: raw.as_deref().and_then(|raw| FileMeta::for_bytes(raw).sha256_hex()),
        snapshot_version: repo.trusted().snapshot().map_or(0, |s| s.signed.version),
        snapshot_sha256: FileMeta::for_bytes(snapshot).sha256_hex().unwrap_or_default(),
    };
    let mut names: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for signer in repo.trust_info(None)?.signers {
        let name = signer.role.strip_prefix("targets/").unwrap_or(&signer.role).to_owned();
        for id in signer.key_ids {
            names.entry(id).or_default().push(name.clone());
        }
    }
    Ok(State { delegation, keys, current, basis, names })
}

/// The role's keys as (key ID, key).
fn role_keys(state: &State) -> Vec<(String, PublicKey)> {
    state.delegation.keyids.iter().filter_map(|id| Some((id.clone(), state.keys.get(id)?.clone()))).collect()
}

/// Builds the request that signs `tag` as `meta` into `role`, signed with the held
/// keys of the role, from the server's current state. Nothing is published.
pub fn build(client: &Client, keys: &dyn KeySource, role: &str, tag: &str, meta: &FileMeta) -> Result<SigningRequest> {
    let mut repo = client.update_from_server().map_err(|e| client.explain_expiry(e))?;
    let state = state(&mut repo, role)?;
    if !state.delegation.paths.iter().any(|p| tag.starts_with(p.as_str())) {
        return Err(Error::InvalidInput(format!("{role} may not sign {tag}: its paths do not admit it")));
    }
    let signers = signing_keys(keys, role, &role_keys(&state))?;
    if signers.is_empty() {
        return Err(Error::Key(format!(
            "none of this trust directory's keys is a key of {role} of {}; import a signer's private key with trust key load",
            client.gun()
        )));
    }
    let change = Change::add_target(role, tag, meta);
    let mut draft = Draft::default();
    load_roles(&mut repo, &mut draft, &[Staged { path: Default::default(), change: change.clone() }])?;
    draft.apply(&change)?;
    let signed = draft.finish(role, &expiry_in(client.now(), TARGETS_LIFETIME_DAYS))?;
    let canonical = trust_tuf::canonical::to_vec(&signed).map_err(|e| Error::malformed(role, e))?;
    let mut signatures = Vec::new();
    for (keyid, key) in &signers {
        let (method, sig) = key.sign(&canonical)?;
        signatures.push(Signature { keyid: keyid.clone(), method: method.to_owned(), sig });
    }
    let previous =
        state.current.as_ref().and_then(|c| c["targets"].get(tag)).and_then(|m| serde_json::from_value(m.clone()).ok());
    let text = String::from_utf8(canonical).map_err(|e| Error::malformed(role, e))?;
    Ok(SigningRequest {
        format: FORMAT.to_owned(),
        gun: client.gun().to_owned(),
        server: client.server().to_owned(),
        role: role.to_owned(),
        tag: tag.to_owned(),
        target: meta.clone(),
        previous,
        built_on: state.basis,
        signed: RawValue::from_string(text).map_err(|e| Error::malformed(role, e))?,
        signatures,
    })
}

fn refused(role: &str, refusal: Refusal) -> Error {
    match refusal {
        Refusal::Stale(why) => Error::Conflict(format!("{role}: {why}")),
        Refusal::Altered(why) => Error::verification(role, why),
    }
}

fn check_with(request: &SigningRequest, state: &State) -> Result<Checked> {
    let parts = cosign::Request {
        role: &request.role,
        tag: &request.tag,
        target: &request.target,
        previous: request.previous.as_ref(),
        basis: &request.built_on,
        signed: request.signed.get().as_bytes(),
        signatures: &request.signatures,
    };
    let current = cosign::Current {
        delegation: &state.delegation,
        keys: &state.keys,
        role: state.current.as_ref(),
        basis: &state.basis,
    };
    let review = cosign::review(&parts, &current, default_provider()).map_err(|r| refused(&request.role, r))?;
    Ok(Checked { review, names: state.names.clone() })
}

fn open<'c>(client: &'c Client, request: &SigningRequest) -> Result<(Repository<'c>, State)> {
    if client.gun() != request.gun {
        return Err(Error::InvalidInput(format!("the request is for {}, not {}", request.gun, client.gun())));
    }
    let mut repo = client.update_from_server().map_err(|e| client.explain_expiry(e))?;
    let state = state(&mut repo, &request.role)?;
    Ok((repo, state))
}

/// Checks `request` against the server's current trust data.
pub fn check(client: &Client, request: &SigningRequest) -> Result<Checked> {
    let (_repo, state) = open(client, request)?;
    check_with(request, &state)
}

/// Adds the signatures of the held keys of the role that have not signed yet,
/// once the request checks out.
pub fn add_signature(client: &Client, keys: &dyn KeySource, request: &mut SigningRequest) -> Result<Checked> {
    let (_repo, state) = open(client, request)?;
    let checked = check_with(request, &state)?;
    let held = signing_keys(keys, &request.role, &role_keys(&state))?;
    if held.is_empty() {
        return Err(Error::Key(format!(
            "none of this trust directory's keys is a key of {}; import the signer's private key with trust key load",
            request.role
        )));
    }
    let mut added = 0;
    for (keyid, key) in &held {
        let canonical = canonical_key_id(&key.public_key())?;
        if checked.review.signed_by.contains(&canonical) {
            continue;
        }
        let (method, sig) = key.sign(request.signed.get().as_bytes())?;
        request.signatures.push(Signature { keyid: keyid.clone(), method: method.to_owned(), sig });
        added += 1;
    }
    if added == 0 {
        return Err(Error::InvalidInput(format!(
            "this trust directory's keys of {} already signed the request (each key counts once); still needed: {} more, from {}",
            request.role,
            checked.review.needed(),
            checked.missing().join(", ")
        )));
    }
    check_with(request, &state)
}

/// Publishes the request's file once a threshold of the role's keys signed it.
pub fn publish(client: &Client, keys: &dyn KeySource, request: &SigningRequest) -> Result<Outcome> {
    let (repo, state) = open(client, request)?;
    let checked = check_with(request, &state)?;
    if checked.review.needed() > 0 {
        return Err(Error::InvalidInput(format!(
            "{} needs {} signature(s) from distinct keys and the request has {}: {} more needed, from {}; \
             each of them runs trust sign --add-signature on the request",
            request.role,
            checked.review.threshold,
            checked.review.signed_by.len(),
            checked.review.needed(),
            checked.missing().join(", ")
        )));
    }
    let mut signatures: Vec<Signature> = Vec::new();
    for s in &request.signatures {
        if !signatures.iter().any(|k| k.keyid == s.keyid) {
            signatures.push(s.clone());
        }
    }
    let root = signed_value("root", repo.trusted().raw("root").unwrap_or_default())?;
    let previous_snapshot = repo.trusted().raw("snapshot").map(|raw| signed_value("snapshot", raw)).transpose()?;
    let previous_timestamp = repo.trusted().timestamp().map(|t| t.signed.version);
    drop(repo);
    let mut uploads = vec![(request.role.clone(), write_envelope(request.signed.get().as_bytes(), &signatures))];
    let stale = "another update was published first: make a new request with trust sign --partial";
    match upload_with_snapshot(client, keys, &root, previous_snapshot.as_ref(), previous_timestamp, &mut uploads, &[]) {
        Err(Error::Conflict(why)) => return Err(Error::Conflict(format!("{why}: {stale}"))),
        Err(e) => return Err(e),
        Ok(()) => {}
    }
    let mut outcome =
        Outcome { roles: uploads.into_iter().map(|(r, _)| r).collect(), attempts: 1, ..Outcome::default() };
    if let Err(e) = client.update_from_server().and_then(|mut r| r.commit()) {
        outcome.warnings.push(format!("published, but refreshing the local cache failed: {e}"));
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> SigningRequest {
        SigningRequest {
            format: FORMAT.to_owned(),
            gun: "example.com/app".into(),
            server: "https://notary.example.com".into(),
            role: "targets/releases".into(),
            tag: "v1".into(),
            target: FileMeta::for_bytes(b"manifest"),
            previous: None,
            built_on: Basis { role_version: 0, role_sha256: None, snapshot_version: 2, snapshot_sha256: "ab".into() },
            signed: RawValue::from_string(r#"{"_type":"Targets","version":1}"#.into()).unwrap(),
            signatures: vec![],
        }
    }

    #[test]
    fn a_request_round_trips_with_its_signed_part_byte_for_byte() {
        let bytes = request().to_bytes().unwrap();
        let back = SigningRequest::parse(&bytes, "r.json").unwrap();
        assert_eq!(back.signed.get(), r#"{"_type":"Targets","version":1}"#);
        assert_eq!(back.built_on, request().built_on);
    }

    #[test]
    fn other_formats_and_unknown_fields_are_refused() {
        let mut other = request();
        other.format = "trust-signing-request/2".into();
        let err = SigningRequest::parse(&other.to_bytes().unwrap(), "r.json").unwrap_err();
        assert!(err.to_string().contains("this trust reads trust-signing-request/1"), "{err}");
        let mut value: Value = serde_json::from_slice(&request().to_bytes().unwrap()).unwrap();
        value["extra"] = Value::Bool(true);
        let err = SigningRequest::parse(&serde_json::to_vec(&value).unwrap(), "r.json").unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
    }
}
