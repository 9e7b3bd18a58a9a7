//! Which roles `trust sign` and `trust revoke` use, as docker's `GetSignableRoles`
//! chooses them: `targets` without delegations; otherwise each role directly under
//! `targets` whose paths admit the tag and that lists a held key (by canonical ID);
//! none: docker's error, with no fallback to `targets` for its key holder.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use trust_test_support::builders;

use builders::{Key, Repo, now};
use chrono::Duration;
use trust_core::crypto::keyid::canonical_key_id;
use trust_core::publish::{NO_SIGNABLE_ROLE, signable_roles};
use trust_core::{Error, ErrorKind};

const GUN: &str = "registry.example.com/team/app";

/// The canonical IDs of `keys`' private keys, as the key store names them.
fn held(keys: &[&Key]) -> Vec<String> {
    keys.iter().map(|k| canonical_key_id(&k.private.public_key()).unwrap()).collect()
}

/// The roles for `tag` with `held`, sorted, read by a client with nothing cached.
fn roles(repo: &Repo, held: &[String], tag: &str) -> Result<Vec<String>, Error> {
    let dir = tempfile::tempdir().unwrap();
    let client = repo.client(dir.path());
    let mut view = client.update().unwrap();
    let mut roles = signable_roles(&mut view, held, tag)?;
    roles.sort();
    Ok(roles)
}

fn assert_no_role(result: Result<Vec<String>, Error>, what: &str) {
    let err = result.expect_err(what);
    assert_eq!(err.kind(), ErrorKind::Key, "{what}: {err}");
    assert!(err.to_string().starts_with(NO_SIGNABLE_ROLE), "{what}: {err}");
}

#[test]
fn without_delegations_the_tag_goes_into_targets_whatever_the_keys() {
    let mut repo = Repo::new(GUN);
    repo.publish();
    assert_eq!(roles(&repo, &[], "v1").unwrap(), ["targets"]);
    let admin = held(&[&repo.targets_keys[0]]);
    assert_eq!(roles(&repo, &admin, "v1").unwrap(), ["targets"]);
}

#[test]
fn with_delegations_only_direct_children_that_admit_the_tag_and_list_a_held_key() {
    let mut repo = Repo::new(GUN);
    repo.add_delegation("targets/releases", &[""]);
    // alice's key is published as a certificate: listed under another ID than its
    // canonical one, which is what the key store holds.
    repo.add_delegation("targets/alice", &["v"]).keys =
        vec![Key::root("alice", now() - Duration::days(1), now() + Duration::days(365))];
    repo.add_delegation("targets/bob", &["x"]);
    repo.add_delegation("targets/alice/ci", &[""]);
    repo.publish();
    let key = |name: &str| repo.delegations.iter().find(|d| d.name == name).unwrap().keys.first().unwrap();
    let (releases, alice, bob, ci) =
        (key("targets/releases"), key("targets/alice"), key("targets/bob"), key("targets/alice/ci"));
    assert_ne!(alice.id(), held(&[alice])[0], "the certificate's ID is not the canonical one");

    assert_eq!(roles(&repo, &held(&[alice]), "v1").unwrap(), ["targets/alice"]);
    assert_eq!(roles(&repo, &held(&[releases, bob]), "x1").unwrap(), ["targets/bob", "targets/releases"]);
    assert_eq!(roles(&repo, &held(&[releases, bob]), "v1").unwrap(), ["targets/releases"]);
    assert_eq!(
        roles(&repo, &held(&[releases, alice, bob, ci]), "v1").unwrap(),
        ["targets/alice", "targets/releases"],
        "a nested delegation is never signed into"
    );
    assert_no_role(roles(&repo, &held(&[alice]), "x1"), "alice's paths do not admit x1");
    assert_no_role(roles(&repo, &held(&[ci]), "v1"), "only a nested delegation's key");
    assert_no_role(roles(&repo, &[alice.id()], "v1"), "the listed (not canonical) ID is not a held key");
    let admin = held(&[&repo.targets_keys[0], &repo.root_keys[0]]);
    assert_no_role(roles(&repo, &admin, "v1"), "the targets key holder does not fall back to targets");
}
