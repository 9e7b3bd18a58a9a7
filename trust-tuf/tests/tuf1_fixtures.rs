//! The TUF 1.0 module against the repositories python-tuf 7 generated
//! (fixtures/tuf1, see its README): every file parses, every signature python-tuf
//! made verifies with the threshold its delegator gives, the attacks fail, and
//! delegation matching agrees with what python-tuf computed (`expected.json`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use trust_tuf::crypto::backend::digest;
use trust_tuf::crypto::{CryptoProvider, default_provider};
use trust_tuf::tuf1::{
    self, Delegations, Dialect, Metadata, Role, Root, Snapshot, Targets, Timestamp, naming, threshold,
};

/// The committed fixtures, or those `TUF1_FIXTURES` names: what `fixtures/tuf1/generate.sh
/// DIR` just wrote with the python-tuf on PyPI today (CI runs the tests on both).
fn case_dir(case: &str) -> PathBuf {
    match std::env::var_os("TUF1_FIXTURES") {
        Some(dir) => PathBuf::from(dir).join(case),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/tuf1").join(case),
    }
}

fn read(case: &str, file: &str) -> Vec<u8> {
    let path = case_dir(case).join("metadata").join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn expected(case: &str) -> Value {
    serde_json::from_slice(&std::fs::read(case_dir(case).join("expected.json")).unwrap()).unwrap()
}

fn parse<T: Role>(case: &str, file: &str) -> Metadata<T> {
    Metadata::parse(file, &read(case, file)).unwrap_or_else(|e| panic!("{case}/{file}: {e}"))
}

fn p() -> &'static dyn CryptoProvider {
    default_provider()
}

const CASES: [&str; 9] = [
    "basic",
    "basic-no-consistent",
    "key-types",
    "root-rotation",
    "delegations",
    "succinct",
    "faked-threshold",
    "unknown-scheme",
    "unknown-fields",
];

/// Parses one file by its name and returns (canonical signed, re-serialised signed).
fn parse_any(case: &str, file: &str) -> (Vec<u8>, Vec<u8>) {
    fn both<T: Role>(md: Metadata<T>) -> (Vec<u8>, Vec<u8>) {
        (md.canonical_signed().to_vec(), md.reserialize_signed().unwrap())
    }
    if file.ends_with("root.json") {
        both(parse::<Root>(case, file))
    } else if file == "timestamp.json" {
        both(parse::<Timestamp>(case, file))
    } else if file.ends_with("snapshot.json") {
        both(parse::<Snapshot>(case, file))
    } else {
        both(parse::<Targets>(case, file))
    }
}

#[test]
fn every_fixture_parses_and_round_trips_to_the_same_canonical_bytes() {
    let mut files = 0;
    for case in CASES {
        for entry in std::fs::read_dir(case_dir(case).join("metadata")).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            assert_eq!(tuf1::detect(&read(case, &name)).unwrap(), Dialect::Tuf1, "{case}/{name}");
            let (canonical, reserialized) = parse_any(case, &name);
            // Equal to the canonical form written from the parsed value (the fast paths
            // for canonical and indented input agree with the full re-write).
            let value: Value = serde_json::from_slice(&read(case, &name)).unwrap();
            assert_eq!(canonical, trust_tuf::canonical::to_vec(&value["signed"]).unwrap(), "{case}/{name}");
            assert_eq!(
                String::from_utf8(canonical).unwrap(),
                String::from_utf8(reserialized).unwrap(),
                "{case}/{name}"
            );
            files += 1;
        }
    }
    assert!(files > 40, "{files}");
}

/// Verifies the whole repository of `case` the way its metadata delegates:
/// root by itself, the other top-level roles by root, every delegated role (found
/// through snapshot) by its delegator. Returns the delegated targets by name.
fn verify_repository(case: &str, root_file: &str) -> (Metadata<Targets>, BTreeMap<String, Metadata<Targets>>) {
    let root: Metadata<Root> = parse(case, root_file);
    let r = &root.signed;
    r.verify_role("root", &root, p()).unwrap_or_else(|e| panic!("{case}: {e}"));
    let consistent = r.consistent_snapshot();
    let timestamp: Metadata<Timestamp> = parse(case, "timestamp.json");
    r.verify_role("timestamp", &timestamp, p()).unwrap();
    let snap_version = timestamp.signed.snapshot_meta().version;
    let snap_bytes = read(case, &naming::metadata_file_name("snapshot", snap_version, consistent));
    if let Some(hashes) = &timestamp.signed.snapshot_meta().hashes {
        check_hashes(&snap_bytes, hashes);
    }
    let snapshot: Metadata<Snapshot> = Metadata::parse("snapshot", &snap_bytes).unwrap();
    r.verify_role("snapshot", &snapshot, p()).unwrap();
    let load = |role: &str| -> Metadata<Targets> {
        let meta = snapshot.signed.role_meta(role).unwrap_or_else(|| panic!("{case}: snapshot lacks {role}"));
        let bytes = read(case, &naming::metadata_file_name(role, meta.version, consistent));
        if let Some(len) = meta.length {
            assert_eq!(bytes.len() as u64, len, "{case}/{role}");
        }
        if let Some(hashes) = &meta.hashes {
            check_hashes(&bytes, hashes);
        }
        let md: Metadata<Targets> = Metadata::parse(role, &bytes).unwrap();
        assert_eq!(md.version(), meta.version);
        md
    };
    let targets = load("targets");
    r.verify_role("targets", &targets, p()).unwrap();
    let mut delegated = BTreeMap::new();
    let mut queue: Vec<Delegations> = targets.signed.delegations.iter().cloned().collect();
    while let Some(d) = queue.pop() {
        for name in delegated_names(&d) {
            let md = load(&name);
            let keys = d.role_keys(&name).unwrap();
            threshold::verify(&name, &md, &d.keys, keys, p()).unwrap_or_else(|e| panic!("{case}: {e}"));
            queue.extend(md.signed.delegations.clone());
            delegated.insert(name, md);
        }
    }
    (targets, delegated)
}

fn delegated_names(d: &Delegations) -> Vec<String> {
    match (&d.roles, &d.succinct_roles) {
        (Some(roles), _) => roles.iter().map(|r| r.name.clone()).collect(),
        (None, Some(s)) => s.bin_names().collect(),
        (None, None) => vec![],
    }
}

fn check_hashes(bytes: &[u8], hashes: &BTreeMap<String, String>) {
    for (alg, want) in hashes {
        let alg = match alg.as_str() {
            "sha256" => &digest::SHA256,
            "sha512" => &digest::SHA512,
            other => panic!("unexpected hash {other}"),
        };
        assert_eq!(&hex::encode(digest::digest(alg, bytes)), want);
    }
}

/// The specification's preorder depth-first search (5.7.7) over verified metadata:
/// the role providing `path`, or None.
fn resolve(targets: &Metadata<Targets>, delegated: &BTreeMap<String, Metadata<Targets>>, path: &str) -> Option<String> {
    let mut stack = vec!["targets".to_owned()];
    let mut visited = std::collections::BTreeSet::new();
    while let Some(name) = stack.pop() {
        if !visited.insert(name.clone()) {
            continue;
        }
        let role = if name == "targets" { &targets.signed } else { &delegated.get(&name)?.signed };
        if role.target(path).unwrap().is_some() {
            return Some(name);
        }
        let Some(d) = &role.delegations else { continue };
        let mut children = vec![];
        for (child, terminating) in d.roles_for_target(path) {
            children.push(child);
            if terminating {
                stack.clear();
                break;
            }
        }
        stack.extend(children.into_iter().rev());
    }
    None
}

fn check_resolution(case: &str) {
    let (targets, delegated) = verify_repository(case, "root.json");
    let exp = expected(case);
    for (path, role) in exp["resolve"].as_object().unwrap() {
        assert_eq!(resolve(&targets, &delegated, path).as_deref(), role.as_str(), "{case}: {path}");
    }
}

#[test]
fn basic_repositories_verify_and_their_targets_match_the_files() {
    for (case, consistent) in [("basic", true), ("basic-no-consistent", false)] {
        let root: Metadata<Root> = parse(case, "root.json");
        assert_eq!(root.signed.consistent_snapshot(), consistent);
        assert_eq!(expected(case)["consistent_snapshot"], consistent);
        check_resolution(case);
        let (targets, _) = verify_repository(case, "1.root.json");
        let all = targets.signed.all_targets().unwrap();
        assert_eq!(all.len(), 2);
        for (path, file) in &all {
            assert!(file.custom().is_some(), "{path} has custom");
            assert_eq!(file.hashes.keys().collect::<Vec<_>>(), ["sha256", "sha512"]);
            let hashes: Vec<Option<&str>> =
                if consistent { file.hashes.values().map(|h| Some(h.as_str())).collect() } else { vec![None] };
            for hash in hashes {
                let on_disk = case_dir(case).join("targets").join(naming::target_file_name(path, hash));
                let bytes = std::fs::read(&on_disk).unwrap();
                assert_eq!(bytes.len() as u64, file.length);
                check_hashes(&bytes, &file.hashes);
            }
        }
        assert_eq!(targets.signed.target("hello.txt").unwrap().unwrap().custom().unwrap()["kind"], "greeting");
    }
}

#[test]
fn key_types_ecdsa_p256_p384_rsa_pss_and_ed25519_verify() {
    let root: Metadata<Root> = parse("key-types", "root.json");
    let exp = expected("key-types");
    for (id, want) in exp["keys"].as_object().unwrap() {
        let key = &root.signed.keys[id];
        assert_eq!(
            (key.keytype.as_str(), key.scheme.as_str()),
            (want["keytype"].as_str().unwrap(), want["scheme"].as_str().unwrap())
        );
    }
    let kinds: Vec<(&str, &str)> = root.signed.keys.values().map(|k| (k.keytype.as_str(), k.scheme.as_str())).collect();
    for kind in [
        ("ecdsa", "ecdsa-sha2-nistp256"),
        ("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256"),
        ("rsa", "rsassa-pss-sha256"),
        ("ed25519", "ed25519"),
    ] {
        assert!(kinds.contains(&kind), "{kind:?} in {kinds:?}");
    }
    assert_eq!(root.signed.verify_role("root", &root, p()).unwrap(), 3);
    // FIPS mode approves the three ECDSA root keys and refuses the ed25519 timestamp key.
    let fips = trust_tuf::crypto::provider(true);
    assert_eq!(root.signed.verify_role("root", &root, fips).unwrap(), 3);
    let timestamp: Metadata<Timestamp> = parse("key-types", "timestamp.json");
    assert!(root.signed.verify_role("timestamp", &timestamp, fips).is_err());
    check_resolution("key-types");
}

#[test]
fn root_rotation_each_version_is_signed_by_the_previous_and_itself() {
    let exp = expected("root-rotation");
    let roots: Vec<Metadata<Root>> = (1..=4).map(|v| parse("root-rotation", &format!("{v}.root.json"))).collect();
    for (md, want) in roots.iter().zip(exp["roots"].as_array().unwrap()) {
        assert_eq!(md.version(), want["version"].as_u64().unwrap());
        assert_eq!(md.signed.role("root").unwrap().threshold, want["threshold"].as_u64().unwrap());
    }
    assert_eq!(roots[0].signed.verify_role("root", &roots[0], p()).unwrap(), 1);
    for pair in roots.windows(2) {
        let (old, new) = (&pair[0], &pair[1]);
        old.signed
            .verify_role("root", new, p())
            .unwrap_or_else(|e| panic!("v{} by v{}: {e}", new.version(), old.version()));
        new.signed.verify_role("root", new, p()).unwrap();
    }
    // Version 4 is signed by keys root 1 no longer shares: it cannot skip the chain.
    assert!(roots[0].signed.verify_role("root", &roots[3], p()).is_err());
    // Version 2 raised the threshold to 2: root 2 signed only by its key A fails.
    let only_first = {
        let mut v: Value = serde_json::from_slice(&read("root-rotation", "2.root.json")).unwrap();
        v["signatures"].as_array_mut().unwrap().truncate(1);
        serde_json::to_vec(&v).unwrap()
    };
    let md: Metadata<Root> = Metadata::parse("root", &only_first).unwrap();
    assert!(roots[1].signed.verify_role("root", &md, p()).is_err());
    // The other roles are signed with the keys of root 4.
    let timestamp: Metadata<Timestamp> = parse("root-rotation", "timestamp.json");
    roots[3].signed.verify_role("timestamp", &timestamp, p()).unwrap();
    let (targets, delegated) = verify_repository("root-rotation", "4.root.json");
    assert_eq!(resolve(&targets, &delegated, "rotated.txt").as_deref(), Some("targets"));
}

#[test]
fn delegations_resolve_as_python_tuf_resolves_them() {
    check_resolution("delegations");
    let (targets, delegated) = verify_repository("delegations", "root.json");
    assert_eq!(delegated.len(), 6);
    let exp = expected("delegations");
    let mut parents = vec![&targets];
    parents.extend(delegated.values());
    let mut checked = 0;
    for parent in parents {
        for role in parent.signed.delegations.iter().flat_map(|d| d.roles.iter().flatten()) {
            for (path, want) in exp["matches"][&role.name].as_object().unwrap() {
                assert_eq!(role.is_delegated_path(path), want.as_bool().unwrap(), "{} for {path}", role.name);
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 6 * 12);
    let images = targets.signed.delegations.as_ref().unwrap().roles.as_ref().unwrap();
    assert!(images.iter().any(|r| r.name == "images" && r.terminating));
    assert!(images.iter().any(|r| r.name == "bins" && r.path_hash_prefixes.is_some()));
}

#[test]
fn succinct_bins_agree_with_python_tuf() {
    let (targets, delegated) = verify_repository("succinct", "root.json");
    let exp = expected("succinct");
    let succinct = targets.signed.delegations.as_ref().unwrap().succinct_roles.as_ref().unwrap();
    let bins: Vec<String> = succinct.bin_names().collect();
    assert_eq!(serde_json::to_value(&bins).unwrap(), exp["bins"]);
    assert_eq!(delegated.len(), bins.len());
    for (path, bin) in exp["bin_for"].as_object().unwrap() {
        assert_eq!(succinct.bin_for_target(path), bin.as_str().unwrap(), "{path}");
    }
    check_resolution("succinct");
}

#[test]
fn a_threshold_faked_with_one_key_under_two_ids_does_not_verify() {
    let exp = expected("faked-threshold");
    assert_eq!(exp["root_verifies"], false);
    let root: Metadata<Root> = parse("faked-threshold", "root.json");
    let role = root.signed.role("root").unwrap();
    assert_eq!(role.threshold, 2);
    assert!(role.keyids.contains(&exp["fake_keyid"].as_str().unwrap().to_owned()));
    let e = root.signed.verify_role("root", &root, p()).unwrap_err().to_string();
    assert!(e.contains("signed by 1 of the 2"), "{e}");
}

#[test]
fn unknown_schemes_are_ignored_and_not_counted() {
    let exp = expected("unknown-scheme");
    let root: Metadata<Root> = parse("unknown-scheme", "root.json");
    let role = root.signed.role("root").unwrap();
    let c = threshold::count(&root, &root.signed.keys, role, p());
    assert_eq!(c.valid as u64, exp["counted"].as_u64().unwrap());
    for id in exp["unknown_keyids"].as_array().unwrap() {
        let why = c.ignored.iter().find(|(k, _)| k == id.as_str().unwrap()).unwrap();
        assert!(why.1.contains("not supported"), "{why:?}");
    }
    assert_eq!(root.signed.verify_role("root", &root, p()).unwrap(), 2);
    // With a threshold of 3 the unknown keys would be needed: refused.
    let mut higher = role.clone();
    higher.threshold = 3;
    assert!(threshold::verify("root", &root, &root.signed.keys, &higher, p()).is_err());
}

#[test]
fn unknown_fields_are_kept_and_covered_by_the_signatures() {
    check_resolution("unknown-fields");
    let root: Metadata<Root> = parse("unknown-fields", "root.json");
    let text = root.signed.extra["x-root-extra"]["text"].as_str().unwrap();
    assert!(text.contains('"') && text.contains('\\') && text.contains('\n') && text.contains('é'));
    assert!(root.signed.keys.values().all(|k| k.extra.contains_key("x-key-owner")));
    assert!(root.signed.roles["targets"].extra.contains_key("x-role-note"));
    let (targets, delegated) = verify_repository("unknown-fields", "root.json");
    let t = &targets.signed;
    assert!(t.extra.contains_key("x-targets-extra"));
    assert_eq!(t.target("extra.txt").unwrap().unwrap().extra["x-target-extra"], 7);
    let d = t.delegations.as_ref().unwrap();
    assert!(d.extra.contains_key("x-delegations-extra"));
    assert!(d.roles.as_ref().unwrap()[0].keys.extra.contains_key("x-delegated-extra"));
    assert!(delegated.contains_key("child"));
    let snapshot: Metadata<Snapshot> = parse("unknown-fields", "1.snapshot.json");
    assert!(snapshot.signed.meta["targets.json"].extra.contains_key("x-meta-extra"));
    // Removing an unknown field breaks the signature: it is signed data.
    let mut v: Value = serde_json::from_slice(&read("unknown-fields", "root.json")).unwrap();
    v["signed"].as_object_mut().unwrap().remove("x-root-extra");
    let md: Metadata<Root> = Metadata::parse("root", &serde_json::to_vec(&v).unwrap()).unwrap();
    assert!(md.signed.verify_role("root", &md, p()).is_err());
}

/// Every string and integer leaf of `v`, as a JSON pointer.
fn leaves(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            m.iter().for_each(|(k, c)| leaves(c, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out))
        }
        Value::Array(a) => a.iter().enumerate().for_each(|(i, c)| leaves(c, format!("{at}/{i}"), out)),
        Value::String(_) | Value::Number(_) | Value::Bool(_) => out.push(at),
        Value::Null => {}
    }
}

fn tamper(v: &mut Value) {
    *v = match v {
        Value::String(s) => {
            let mut s = s.clone();
            let last = s.pop().map_or('x', |c| if c == 'a' { 'b' } else { 'a' });
            s.push(last);
            Value::String(s)
        }
        Value::Number(n) => Value::from(n.as_u64().map_or(1, |n| n ^ 1)),
        Value::Bool(b) => Value::Bool(!*b),
        _ => unreachable!(),
    }
}

#[test]
fn a_changed_value_anywhere_in_signed_fails_parsing_or_verification() {
    let root: Metadata<Root> = parse("basic", "root.json");
    for file in ["root.json", "timestamp.json", "1.snapshot.json", "1.targets.json"] {
        let original: Value = serde_json::from_slice(&read("basic", file)).unwrap();
        let mut pointers = vec![];
        leaves(&original["signed"], "/signed".into(), &mut pointers);
        assert!(pointers.len() > 5, "{file}");
        for ptr in pointers {
            let mut v = original.clone();
            tamper(v.pointer_mut(&ptr).unwrap());
            let bytes = serde_json::to_vec(&v).unwrap();
            let role = file.trim_start_matches("1.").trim_end_matches(".json");
            let verdict = match role {
                "root" => Metadata::<Root>::parse(role, &bytes).and_then(|m| root.signed.verify_role(role, &m, p())),
                "timestamp" => {
                    Metadata::<Timestamp>::parse(role, &bytes).and_then(|m| root.signed.verify_role(role, &m, p()))
                }
                "snapshot" => {
                    Metadata::<Snapshot>::parse(role, &bytes).and_then(|m| root.signed.verify_role(role, &m, p()))
                }
                _ => Metadata::<Targets>::parse(role, &bytes).and_then(|m| root.signed.verify_role(role, &m, p())),
            };
            assert!(verdict.is_err(), "{file}: changing {ptr} went unnoticed");
        }
    }
}

#[test]
fn spec_version_2_is_refused() {
    let text = String::from_utf8(read("basic", "root.json")).unwrap();
    let v2 = text.replace("\"spec_version\": \"1.0.31\"", "\"spec_version\": \"2.0\"");
    assert_ne!(v2, text);
    assert_eq!(tuf1::detect(v2.as_bytes()).unwrap(), Dialect::Tuf1);
    let e = Metadata::<Root>::parse("root", v2.as_bytes()).unwrap_err().to_string();
    assert!(e.contains("spec_version 2.0 is not supported"), "{e}");
}

#[test]
fn notary_metadata_is_recognised_as_notary() {
    let notary = br#"{"signed":{"_type":"Targets","delegations":{"keys":{},"roles":[]},"expires":"2036-01-01T00:00:00Z","targets":{},"version":1},"signatures":[]}"#;
    assert_eq!(tuf1::detect(notary).unwrap(), Dialect::NotaryV1);
    assert!(Metadata::<Targets>::parse("targets", notary).is_err());
}
