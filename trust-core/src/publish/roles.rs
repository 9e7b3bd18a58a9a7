//! Which roles the local keys sign a tag into, as docker decides it.

use crate::client::Repository;
use crate::crypto::keyid::canonical_key_id;
use crate::resolve::TargetsSource;
use crate::{Error, Result};

/// The roles to sign `tag` into with the keys `held` (canonical IDs): every
/// delegation directly under `targets` whose paths allow the tag and that lists a
/// held key (`targets/releases` and `targets/<signer>` for a docker signer); or
/// `targets` itself for the holder of the targets key when no delegation is
/// signable (a repository without signers, or its administrator).
pub fn signable_roles(repo: &mut Repository<'_>, held: &[String], tag: &str) -> Result<Vec<String>> {
    let gun = repo.gun().to_owned();
    let targets = repo.targets("targets")?.ok_or_else(|| Error::verification("targets", "not loaded"))?;
    let digest = crate::resolve::name_hash(tag);
    let holds = |id: &str| {
        targets.delegations.keys.get(id).and_then(|k| canonical_key_id(k).ok()).is_some_and(|c| held.contains(&c))
    };
    let roles: Vec<String> = targets
        .delegations
        .roles
        .iter()
        .filter(|r| r.allows(tag, &digest) && r.keyids.iter().any(|id| holds(id)))
        .map(|r| r.name.clone())
        .collect();
    if !roles.is_empty() {
        return Ok(roles);
    }
    let root = &repo.trusted().root().signed;
    let admin = root.role("targets").is_some_and(|r| {
        r.keyids
            .iter()
            .any(|id| root.keys.get(id).and_then(|k| canonical_key_id(k).ok()).is_some_and(|c| held.contains(&c)))
    });
    if admin {
        return Ok(vec!["targets".into()]);
    }
    Err(Error::Key(format!(
        "no valid signing keys for {gun}: none of this trust directory's keys belongs to a signer of {tag} \
         or to the repository's administrator (add a signer with `trust signer add`, or import its key with `trust key load`)"
    )))
}
