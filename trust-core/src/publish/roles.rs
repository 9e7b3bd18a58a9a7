//! Which roles the local keys sign a tag into, as docker decides it
//! (`GetSignableRoles` in docker/cli).

use crate::client::Repository;
use crate::{Error, Result};
use trust_tuf::crypto::keyid::canonical_key_id;
use trust_tuf::resolve::TargetsSource;

/// docker's message when delegations exist and none of them can be signed.
pub const NO_SIGNABLE_ROLE: &str = "no valid signing keys for delegation roles";

/// The roles to sign (or unsign) `tag` into with the keys `held` (canonical IDs of
/// every private key in the trust directory), as docker chooses them:
///
/// - a repository without delegations: `targets`;
/// - otherwise every delegation directly under `targets` (`targets/releases`
///   included) whose paths admit the tag and that lists one of the held keys,
///   matched by canonical key ID as notary translates them;
/// - none of those: a key error starting with [`NO_SIGNABLE_ROLE`]. Docker does not
///   fall back to `targets` for the holder of the targets key, and neither does this.
///
/// The roles come in the order `targets` lists its delegations.
pub fn signable_roles(repo: &mut Repository<'_>, held: &[String], tag: &str) -> Result<Vec<String>> {
    let gun = repo.gun().to_owned();
    let targets = repo.targets("targets")?.ok_or_else(|| Error::verification("targets", "not loaded"))?;
    let delegations = &targets.delegations;
    if delegations.roles.is_empty() {
        return Ok(vec!["targets".into()]);
    }
    let holds =
        |id: &str| delegations.keys.get(id).and_then(|k| canonical_key_id(k).ok()).is_some_and(|c| held.contains(&c));
    // docker checks the role's `paths` only (notary's CheckPaths); path hash
    // prefixes do not make a role signable.
    let admits = |paths: &[String]| paths.iter().any(|p| tag.starts_with(p.as_str()));
    let candidates: Vec<_> = delegations
        .roles
        .iter()
        .filter(|r| trust_tuf::wire::parent_role(&r.name) == Some("targets") && admits(&r.paths))
        .collect();
    let roles: Vec<String> =
        candidates.iter().filter(|r| r.keyids.iter().any(|id| holds(id))).map(|r| r.name.clone()).collect();
    if !roles.is_empty() {
        return Ok(roles);
    }
    let names: Vec<&str> = candidates.iter().map(|r| r.name.as_str()).collect();
    Err(Error::Key(format!(
        "{NO_SIGNABLE_ROLE}\n{gun} has delegations, and none of this trust directory's private keys is a key of \
         one directly under targets whose paths admit {tag} (such roles: {}); add this trust directory's key as a \
         signer with `trust signer add`, or import a signer's private key with `trust key load`",
        if names.is_empty() { "none".to_owned() } else { names.join(", ") }
    )))
}
