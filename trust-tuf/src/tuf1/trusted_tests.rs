//! Unit tests of the TUF 1.0 trusted set and delegation search: every section-5 check
//! on metadata made with the crate's own signer (the updater's end-to-end tests, on
//! repositories python-tuf made, are trust-cli's `tuf_client`).

use serde_json::{Value, json};

use super::search::{DelegationSearch, Step};
use super::tests::{TestKey, ed25519, envelope, key_json};
use super::trusted::{TimestampUpdate, TrustedSet};
use crate::crypto::backend::digest;
use crate::crypto::default_provider;

const FAR: &str = "2036-01-01T00:00:00Z";
const PAST: &str = "2020-01-01T00:00:00Z";

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z").unwrap().to_utc()
}

/// One key per top-level role.
struct Keys {
    root: TestKey,
    timestamp: TestKey,
    snapshot: TestKey,
    targets: TestKey,
}

fn keys() -> Keys {
    Keys { root: ed25519("r"), timestamp: ed25519("t"), snapshot: ed25519("s"), targets: ed25519("g") }
}

fn role(k: &TestKey) -> Value {
    json!({"keyids": [k.id], "threshold": 1})
}

fn root(version: u64, expires: &str, k: &Keys, signers: &[&TestKey]) -> Vec<u8> {
    let signed = json!({
        "_type": "root", "spec_version": "1.0.31", "version": version, "expires": expires,
        "consistent_snapshot": true,
        "keys": {k.root.id.clone(): key_json(&k.root), k.timestamp.id.clone(): key_json(&k.timestamp),
                 k.snapshot.id.clone(): key_json(&k.snapshot), k.targets.id.clone(): key_json(&k.targets)},
        "roles": {"root": role(&k.root), "timestamp": role(&k.timestamp), "snapshot": role(&k.snapshot),
                  "targets": role(&k.targets)},
    });
    let signers: Vec<(&TestKey, &str)> = signers.iter().map(|s| (*s, s.id.as_str())).collect();
    envelope(&signed, &signers)
}

fn meta(version: u64, bytes: Option<&[u8]>) -> Value {
    match bytes {
        None => json!({"version": version}),
        Some(b) => json!({"version": version, "length": b.len(),
                          "hashes": {"sha256": hex::encode(digest::digest(&digest::SHA256, b))}}),
    }
}

fn timestamp(version: u64, expires: &str, snapshot: Value, key: &TestKey) -> Vec<u8> {
    let signed = json!({"_type": "timestamp", "spec_version": "1.0.31", "version": version, "expires": expires,
                        "meta": {"snapshot.json": snapshot}});
    envelope(&signed, &[(key, &key.id)])
}

fn snapshot(version: u64, expires: &str, entries: &[(&str, Value)], key: &TestKey) -> Vec<u8> {
    let meta: serde_json::Map<String, Value> = entries.iter().map(|(n, m)| (format!("{n}.json"), m.clone())).collect();
    let signed =
        json!({"_type": "snapshot", "spec_version": "1.0.31", "version": version, "expires": expires, "meta": meta});
    envelope(&signed, &[(key, &key.id)])
}

fn targets(version: u64, expires: &str, files: Value, delegations: Option<Value>, key: &TestKey) -> Vec<u8> {
    let mut signed =
        json!({"_type": "targets", "spec_version": "1.0.31", "version": version, "expires": expires, "targets": files});
    if let Some(d) = delegations {
        signed["delegations"] = d;
    }
    envelope(&signed, &[(key, &key.id)])
}

fn file(bytes: &[u8]) -> Value {
    json!({"length": bytes.len(), "hashes": {"sha256": hex::encode(digest::digest(&digest::SHA256, bytes))}})
}

fn set(k: &Keys) -> TrustedSet {
    TrustedSet::new(root(1, FAR, k, &[&k.root]), now(), default_provider()).unwrap()
}

/// A set with timestamp v`ts`, snapshot v`snap` (listing targets v1) and targets v1.
fn loaded(k: &Keys, ts: u64, snap: u64) -> TrustedSet {
    let mut s = set(k);
    let t = targets(1, FAR, json!({"a.txt": file(b"a")}), None, &k.targets);
    let sn = snapshot(snap, FAR, &[("targets", meta(1, Some(&t)))], &k.snapshot);
    s.update_timestamp(timestamp(ts, FAR, meta(snap, Some(&sn)), &k.timestamp)).unwrap();
    s.update_snapshot(sn, false).unwrap();
    s.update_targets("targets", "root", t).unwrap();
    s
}

fn err(r: Result<impl std::fmt::Debug, crate::Error>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn the_trusted_root_must_sign_itself_but_may_have_expired() {
    let k = keys();
    assert!(TrustedSet::new(root(1, PAST, &k, &[&k.root]), now(), default_provider()).is_ok());
    let e = err(TrustedSet::new(root(1, FAR, &k, &[&k.timestamp]), now(), default_provider()));
    assert!(e.contains("signed by 0 of the 1"), "{e}");
}

#[test]
fn root_updates_need_the_old_and_the_new_keys_and_the_next_version() {
    let k = keys();
    let new = Keys { root: ed25519("r2"), ..keys() };
    let mut s = set(&k);
    assert!(err(s.update_root(root(2, FAR, &new, &[&new.root]))).contains("signed by 0"), "old keys needed");
    assert!(err(s.update_root(root(2, FAR, &new, &[&k.root]))).contains("signed by 0"), "new keys needed");
    let e = err(s.update_root(root(3, FAR, &new, &[&k.root, &new.root])));
    assert!(e.contains("the file for version 2 holds version 3"), "{e}");
    s.update_root(root(2, PAST, &new, &[&k.root, &new.root])).unwrap();
    // An intermediate root may have expired; the final one may not (freeze).
    let e = err(s.update_timestamp(timestamp(1, FAR, meta(1, None), &new.timestamp)));
    assert!(e.starts_with("root: metadata expired"), "{e}");
    s.update_root(root(3, FAR, &new, &[&new.root])).unwrap();
    assert_eq!(s.root().signed.version(), 3);
    s.update_timestamp(timestamp(1, FAR, meta(1, None), &new.timestamp)).unwrap();
}

#[test]
fn timestamp_rollback_equal_version_and_freeze() {
    let k = keys();
    let mut s = set(&k);
    assert_eq!(s.update_timestamp(timestamp(3, FAR, meta(5, None), &k.timestamp)).unwrap(), TimestampUpdate::Accepted);
    assert!(err(s.update_timestamp(timestamp(2, FAR, meta(5, None), &k.timestamp))).contains("rollback"));
    assert!(err(s.update_timestamp(timestamp(4, FAR, meta(4, None), &k.timestamp))).contains("snapshot version 4"));
    assert_eq!(s.update_timestamp(timestamp(3, FAR, meta(9, None), &k.timestamp)).unwrap(), TimestampUpdate::Unchanged);
    assert_eq!(s.timestamp().unwrap().signed.signed.snapshot_meta().version, 5, "the trusted copy is kept");
    // An expired timestamp is refused, but it is the rollback reference from then on.
    let mut s = set(&k);
    assert!(
        err(s.update_timestamp(timestamp(7, PAST, meta(1, None), &k.timestamp)))
            .starts_with("timestamp: metadata expired")
    );
    assert!(err(s.update_timestamp(timestamp(6, FAR, meta(1, None), &k.timestamp))).contains("rollback"));
    s.update_timestamp(timestamp(8, FAR, meta(1, None), &k.timestamp)).unwrap();
}

#[test]
fn a_rotated_timestamp_key_leaves_the_old_copy_no_rollback_reference() {
    let k = keys();
    let same_root = TestKey { id: k.root.id.clone(), private: k.root.private.try_clone().unwrap() };
    let new = Keys { timestamp: ed25519("t2"), root: same_root, ..keys() };
    let mut s = set(&k);
    s.update_root(root(2, FAR, &k, &[&k.root])).unwrap();
    assert!(!s.timestamp_or_snapshot_keys_rotated(), "the same keys: no rotation");
    s.update_root(root(3, FAR, &new, &[&k.root])).unwrap();
    assert!(s.timestamp_or_snapshot_keys_rotated(), "5.3.11: the updater deletes the stored timestamp and snapshot");
    // The stored timestamp v9, signed by the old key, no longer verifies...
    assert!(err(s.update_timestamp(timestamp(9, FAR, meta(9, None), &k.timestamp))).contains("signed by 0"));
    // ...so the new key's v1 is accepted (fast-forward recovery).
    s.update_timestamp(timestamp(1, FAR, meta(1, None), &new.timestamp)).unwrap();
}

#[test]
fn snapshot_pins_mix_and_match_rollback_and_freeze() {
    let k = keys();
    let good = snapshot(2, FAR, &[("targets", meta(1, None))], &k.snapshot);
    let mut s = set(&k);
    s.update_timestamp(timestamp(1, FAR, meta(2, Some(&good)), &k.timestamp)).unwrap();
    let other = snapshot(2, FAR, &[("targets", meta(2, None)), ("role1", meta(1, None))], &k.snapshot);
    assert!(err(s.update_snapshot(other.clone(), false)).contains("does not match what its parent metadata lists"));
    // A stored copy need not match the timestamp's hashes: it verifies and is the reference.
    s.update_snapshot(other, true).unwrap();
    let rolled = snapshot(2, FAR, &[("targets", meta(1, None)), ("role1", meta(1, None))], &k.snapshot);
    assert!(err(s.update_snapshot(rolled, true)).contains("targets.json at version 1, older than the trusted 2"));
    let dropped = snapshot(2, FAR, &[("targets", meta(2, None))], &k.snapshot);
    assert!(err(s.update_snapshot(dropped, true)).contains("no longer lists role1.json"));

    let mut s = set(&k);
    let v3 = snapshot(3, FAR, &[("targets", meta(1, None))], &k.snapshot);
    s.update_timestamp(timestamp(1, FAR, meta(2, None), &k.timestamp)).unwrap();
    assert!(err(s.update_snapshot(v3, false)).contains("version 3 is not the version 2 the timestamp lists"));
    let mut s = set(&k);
    s.update_timestamp(timestamp(1, FAR, meta(1, None), &k.timestamp)).unwrap();
    let expired = snapshot(1, PAST, &[("targets", meta(1, None))], &k.snapshot);
    assert!(err(s.update_snapshot(expired, false)).starts_with("snapshot: metadata expired"));
    let by_wrong_key = snapshot(1, FAR, &[("targets", meta(1, None))], &k.timestamp);
    assert!(err(s.update_snapshot(by_wrong_key, false)).contains("signed by 0"));
}

#[test]
fn targets_pins_version_signature_and_freeze() {
    let k = keys();
    let t = targets(2, FAR, json!({}), None, &k.targets);
    let mk = |listed: Value| {
        let mut s = set(&k);
        let sn = snapshot(1, FAR, &[("targets", listed)], &k.snapshot);
        s.update_timestamp(timestamp(1, FAR, meta(1, None), &k.timestamp)).unwrap();
        s.update_snapshot(sn, false).unwrap();
        s
    };
    assert!(err(mk(meta(2, Some(b"x"))).update_targets("targets", "root", t.clone())).contains("does not match"));
    assert!(err(mk(meta(3, None)).update_targets("targets", "root", t.clone())).contains("not the version 3"));
    let by_snapshot_key = targets(2, FAR, json!({}), None, &k.snapshot);
    assert!(err(mk(meta(2, None)).update_targets("targets", "root", by_snapshot_key)).contains("signed by 0"));
    let expired = targets(2, PAST, json!({}), None, &k.targets);
    assert!(err(mk(meta(2, None)).update_targets("targets", "root", expired)).starts_with("targets: metadata expired"));
    mk(meta(2, Some(&t))).update_targets("targets", "root", t).unwrap();
}

/// A set with `top` as its targets and a snapshot listing it and every file of `files`
/// at version 1.
fn with_delegations(k: &Keys, files: &std::collections::HashMap<&str, Vec<u8>>, top: Vec<u8>) -> TrustedSet {
    let mut entries: Vec<(&str, Value)> = files.keys().map(|n| (*n, meta(1, None))).collect();
    entries.push(("targets", meta(1, None)));
    let mut s = set(k);
    s.update_timestamp(timestamp(1, FAR, meta(1, None), &k.timestamp)).unwrap();
    s.update_snapshot(snapshot(1, FAR, &entries, &k.snapshot), false).unwrap();
    s.update_targets("targets", "root", top).unwrap();
    s
}

fn delegation(name: &str, key: &TestKey, paths: &[&str], terminating: bool) -> Value {
    json!({"name": name, "keyids": [key.id], "threshold": 1, "terminating": terminating, "paths": paths})
}

/// Runs a search to the end, loading each role it asks for from `files`; returns the
/// roles loaded in order and the answer.
fn search(
    s: &mut TrustedSet,
    files: &std::collections::HashMap<&str, Vec<u8>>,
    target: &str,
    max: usize,
) -> (Vec<String>, Option<String>) {
    let mut loaded = Vec::new();
    let mut search = DelegationSearch::new(target, max);
    loop {
        let (role, delegator) = match search.next(s) {
            Step::Found { role, .. } => return (loaded, Some(role)),
            Step::NotFound { .. } => return (loaded, None),
            Step::Malformed { role, reason } => panic!("{role}: {reason}"),
            Step::Load { role, delegator } => (role, delegator),
        };
        loaded.push(role.clone());
        if s.targets(&role).is_some() {
            if s.trust_via(&role, &delegator).is_err() {
                return (loaded, None);
            }
            continue;
        }
        s.update_targets(&role, &delegator, files[role.as_str()].clone()).unwrap();
    }
}

#[test]
fn the_search_is_preorder_depth_first_stops_at_terminating_roles_and_cycles() {
    let k = keys();
    let d = ed25519("d");
    let deleg = |roles: Vec<Value>| Some(json!({"keys": {d.id.clone(): key_json(&d)}, "roles": roles}));
    // targets → a (non-terminating) → a1 ; targets → b (terminating for x/*) → b1 ;
    // targets → c (`*`, which matches no path with a `/`). b1 delegates back to a (a cycle).
    let files: std::collections::HashMap<&str, Vec<u8>> = [
        ("a", targets(1, FAR, json!({}), deleg(vec![delegation("a1", &d, &["*", "x/*"], false)]), &d)),
        ("a1", targets(1, FAR, json!({}), None, &d)),
        ("b", targets(1, FAR, json!({}), deleg(vec![delegation("b1", &d, &["x/*"], false)]), &d)),
        ("b1", targets(1, FAR, json!({"x/found": file(b"f")}), deleg(vec![delegation("a", &d, &["x/*"], false)]), &d)),
        ("c", targets(1, FAR, json!({"x/found": file(b"f")}), None, &d)),
    ]
    .into();
    let top = targets(
        1,
        FAR,
        json!({}),
        deleg(vec![
            delegation("a", &d, &["*", "x/*"], false),
            delegation("b", &d, &["x/*"], true),
            delegation("c", &d, &["*"], false),
        ]),
        &k.targets,
    );
    let mut s = with_delegations(&k, &files, top);
    // a and a1 first (depth first), then b, whose terminating match cuts c off; b1 has it.
    assert_eq!(
        search(&mut s, &files, "x/found", 32),
        (vec!["a".into(), "a1".into(), "b".into(), "b1".into()], Some("b1".into()))
    );
    // Not found under x/: b1 delegates back to a, already visited: the cycle ends there.
    assert_eq!(search(&mut s, &files, "x/none", 32), (vec![], None));
    // Not under x/: a and a1 (trusted already), then c, as b does not match.
    assert_eq!(search(&mut s, &files, "y", 32), (vec!["c".into()], None));
    // A limit of 1 role besides targets: only a is visited.
    let mut fresh = DelegationSearch::new("x/found", 1);
    let mut visited = 0;
    loop {
        match fresh.next(&s) {
            Step::NotFound { limit_reached } => {
                assert!(limit_reached);
                break;
            }
            Step::Found { role, .. } | Step::Malformed { role, .. } => panic!("found in {role} past the limit"),
            Step::Load { .. } => visited += 1,
        }
        assert!(visited < 5);
    }
}

#[test]
fn a_role_two_delegators_name_is_checked_against_each() {
    let k = keys();
    let (pa, pb, ra, rb) = (ed25519("pa"), ed25519("pb"), ed25519("ra"), ed25519("rb"));
    let deleg = |signer: &TestKey, roles: Vec<Value>| {
        Some(json!({"keys": {signer.id.clone(): key_json(signer)}, "roles": roles}))
    };
    let release = targets(1, FAR, json!({"a/x": file(b"a"), "b/x": file(b"b")}), None, &ra);
    let files: std::collections::HashMap<&str, Vec<u8>> = [
        ("pa", targets(1, FAR, json!({}), deleg(&ra, vec![delegation("release", &ra, &["a/*"], false)]), &pa)),
        ("pb", targets(1, FAR, json!({}), deleg(&rb, vec![delegation("release", &rb, &["b/*"], false)]), &pb)),
        ("release", release),
    ]
    .into();
    let mut keys_json = serde_json::Map::new();
    keys_json.insert(pa.id.clone(), key_json(&pa));
    keys_json.insert(pb.id.clone(), key_json(&pb));
    let top = targets(
        1,
        FAR,
        json!({}),
        Some(
            json!({"keys": keys_json, "roles": [delegation("pa", &pa, &["a/*"], false), delegation("pb", &pb, &["b/*"], false)]}),
        ),
        &k.targets,
    );
    let mut s = with_delegations(&k, &files, top);
    assert_eq!(search(&mut s, &files, "a/x", 32).1.as_deref(), Some("release"));
    // Through pb, release (signed by pa's key for it) carries no authority.
    assert_eq!(search(&mut s, &files, "b/x", 32), (vec!["pb".into(), "release".into()], None));
}

#[test]
fn each_step_only_in_order() {
    let k = keys();
    let mut s = loaded(&k, 1, 1);
    assert!(err(s.update_root(root(2, FAR, &k, &[&k.root]))).contains("once a timestamp is trusted"));
    let sn = snapshot(1, FAR, &[("targets", meta(1, None))], &k.snapshot);
    assert!(err(s.update_snapshot(sn, true)).contains("once targets are trusted"));
    assert!(err(s.update_targets("other", "root", Vec::new())).contains("does not list this role"));
    let mut fresh = set(&k);
    let sn = snapshot(1, FAR, &[("targets", meta(1, None))], &k.snapshot);
    assert!(err(fresh.update_snapshot(sn, false)).contains("no trusted timestamp"));
}

#[test]
fn each_dialect_names_the_other_when_handed_its_files() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures");
    let notary_root = std::fs::read(format!("{fixtures}/notary0.3/root.json")).unwrap();
    let tuf_root = std::fs::read(format!("{fixtures}/tuf1/basic/metadata/root.json")).unwrap();
    let e = err(TrustedSet::new(notary_root, now(), default_provider()));
    assert!(e.contains("this is Notary v1") && e.contains("trust verify"), "{e}");
    let ctx = crate::trusted::Context::new("example.com/app", now());
    let e = err(crate::trusted::TrustedSet::from_trusted_root(tuf_root, ctx));
    assert!(e.contains("this is TUF 1.0 metadata") && e.contains("trust tuf"), "{e}");
}
