//! The signer workflow, as `docker trust signer add|remove` define it: a signer
//! `<name>` is the delegation role `targets/<name>` plus the same keys on
//! `targets/releases`. The CLI, the C and the Python bindings call these. (Here, not in
//! [`crate::publish`], which the session and settings it opens build on.)

use crate::keystore::is_valid_key_name;
use crate::publish::{Change, Outcome};
use crate::session::Session;
use crate::settings::Settings;
use crate::{Error, ErrorKind, Result};
use trust_tuf::reference::Reference;
use trust_tuf::resolve::RELEASES_ROLE;
use trust_tuf::wire::PublicKey;

/// Checks a signer name as docker does: lowercase alphanumerics, then `-` or `_`
/// too (a key name), and not `releases`.
pub fn check_signer_name(name: &str) -> Result<()> {
    if !is_valid_key_name(name) {
        return Err(Error::InvalidInput(format!(
            "signer name \"{name}\" must start with lowercase alphanumeric characters and can include \"-\" or \"_\" after the first character"
        )));
    }
    if name == "releases" {
        return Err(Error::InvalidInput("releases is a reserved keyword, use a different signer name".into()));
    }
    Ok(())
}

/// Refuses to remove `releases`, which is no signer (docker's check; any other name
/// is looked up).
pub fn check_removable_signer(name: &str) -> Result<()> {
    if format!("targets/{name}") == RELEASES_ROLE {
        return Err(Error::InvalidInput("releases is a reserved keyword and cannot be removed".into()));
    }
    Ok(())
}

/// Adds the signer `name` with `keys` to the repository of `image`, initialising the
/// repository when it has no trust data yet (which needs the root passphrase), and
/// publishes. Both delegations are staged as one group: a kill between the two leaves
/// neither to publish.
pub fn signer_add(settings: &Settings, image: &str, name: &str, keys: &[PublicKey]) -> Result<Outcome> {
    signer_add_with(settings, image, name, keys, None)
}

/// A signing threshold to set with [`signer_add_with`]: how many distinct keys of
/// `role` must sign its file before any reader (trust, docker, notary) accepts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Threshold {
    /// `targets/releases` or the signer's own `targets/<name>`.
    pub role: String,
    /// At least 1, at most the role's number of keys.
    pub count: u64,
}

/// The role a threshold is set on: `releases` (the default) or the signer `name`
/// itself, with or without `targets/`.
pub fn threshold_role(name: &str, given: Option<&str>) -> Result<String> {
    let own = format!("targets/{name}");
    match given.map(|g| g.strip_prefix("targets/").unwrap_or(g)) {
        None | Some("releases") => Ok(RELEASES_ROLE.to_owned()),
        Some(g) if g == name => Ok(own),
        Some(g) => Err(Error::InvalidInput(format!(
            "a threshold is set on targets/releases or on the signer's own role {own}, not on targets/{g}"
        ))),
    }
}

/// [`signer_add`], then sets `threshold` (when given) in the same publish. With a
/// threshold, `keys` may be empty: only the threshold changes. A threshold below 1,
/// or above the number of the role's keys once these are added, is refused before
/// anything is published.
pub fn signer_add_with(
    settings: &Settings,
    image: &str,
    name: &str,
    keys: &[PublicKey],
    threshold: Option<&Threshold>,
) -> Result<Outcome> {
    check_signer_name(name)?;
    if keys.is_empty() && threshold.is_none() {
        return Err(Error::InvalidInput(format!("signer {name}: at least one public key is needed")));
    }
    if let Some(t) = threshold
        && t.count < 1
    {
        return Err(Error::InvalidInput(format!("{}: a threshold must be at least 1", t.role)));
    }
    let session = Session::open(settings, &Reference::parse(image)?)?;
    let role = format!("targets/{name}");
    let mut changes = Vec::new();
    if !keys.is_empty() {
        changes.extend(
            [role.as_str(), RELEASES_ROLE].map(|r| Change::add_delegation(r, keys.to_vec(), vec![String::new()])),
        );
    }
    if let Some(t) = threshold {
        changes.push(Change::set_threshold(&t.role, t.count));
    }
    session.stage_all(&changes)?;
    session.publish()
}

/// Removes the signer `name` from the repository of `image`: its keys leave
/// `targets/releases` and `targets/<name>` is deleted. When the signer's keys are the
/// ones whose signatures make `targets/releases` meet its threshold (docker's "last
/// signer" case, which would make the repository unpullable), `confirm` is asked
/// docker's question first; `Ok(None)` when it says no. `Ok(Some(outcome))` once
/// published.
pub fn signer_remove<E: From<Error>>(
    settings: &Settings,
    image: &str,
    name: &str,
    confirm: &mut dyn FnMut(&str) -> std::result::Result<bool, E>,
) -> std::result::Result<Option<Outcome>, E> {
    check_removable_signer(name)?;
    let role = format!("targets/{name}");
    let not_found = || Error::SignerNotFound { signer: name.to_owned(), repository: image.to_owned() };
    let reference = Reference::parse(image).map_err(Error::from)?;
    let session = Session::open(settings, &reference)?;
    let mut view = session.current().map_err(|e| match e.kind() {
        ErrorKind::NotSigned => not_found(),
        _ => e,
    })?;
    let info = view.trust_info(None)?;
    let signer = info.signers.iter().find(|s| s.role == role).ok_or_else(not_found)?;
    let threshold = view.trusted().delegated_role(RELEASES_ROLE).map_or(1, |r| r.threshold);
    let last = view
        .trusted()
        .signature_key_ids(RELEASES_ROLE)
        .is_some_and(|signed_by| is_last_releases_signer(signed_by, &signer.key_ids, threshold));
    if last {
        let question = format!(
            "The signer \"{name}\" signed the last released version of {image}. Removing this signer will make {image} unpullable. Are you sure you want to continue?"
        );
        if !confirm(&question)? {
            return Ok(None);
        }
    }
    session.stage_all(&[
        Change::remove_delegation_keys(RELEASES_ROLE, signer.key_ids.clone()),
        Change::delete_delegation(&role),
    ])?;
    Ok(Some(session.publish()?))
}

/// True when, without `keys` (canonical IDs), the signatures of the releases role's
/// verified file (`signed_by`, the key IDs they name) would no longer meet its
/// threshold (docker's "last signer" check).
fn is_last_releases_signer(signed_by: &[String], keys: &[String], threshold: u64) -> bool {
    let remaining = signed_by.iter().filter(|id| !keys.contains(id)).count() as u64;
    remaining < threshold
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_signer_is_the_one_whose_removal_breaks_the_threshold() {
        let ids = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let signed_by = ids(&["a", "b"]);
        assert!(!is_last_releases_signer(&signed_by, &ids(&["b"]), 1));
        assert!(is_last_releases_signer(&signed_by, &ids(&["b"]), 2));
        assert!(is_last_releases_signer(&signed_by, &ids(&["a", "b"]), 1));
        assert!(!is_last_releases_signer(&signed_by, &ids(&["c"]), 2));
    }

    #[test]
    fn thresholds_go_on_releases_or_the_signers_own_role() {
        assert_eq!(threshold_role("bob", None).unwrap(), RELEASES_ROLE);
        assert_eq!(threshold_role("bob", Some("releases")).unwrap(), RELEASES_ROLE);
        assert_eq!(threshold_role("bob", Some("targets/bob")).unwrap(), "targets/bob");
        assert_eq!(threshold_role("bob", Some("bob")).unwrap(), "targets/bob");
        let err = threshold_role("bob", Some("alice")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn signer_names_as_docker() {
        for ok in ["alice", "a1", "0x", "a-b_c"] {
            assert!(check_signer_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Alice", "-a", "_a", "a.b", "a/b", "releases"] {
            assert_eq!(check_signer_name(bad).map_err(|e| e.kind()), Err(ErrorKind::InvalidInput), "{bad}");
        }
    }
}
