//! Unit tests of the TUF 1.0 module on metadata made with the crate's own signer.

use serde_json::{Value, json};

use super::*;
use crate::canonical;
use crate::crypto::default_provider;
use crate::crypto::signer::{KeyAlgorithm, PrivateKey};

pub(super) struct TestKey {
    pub(super) id: String,
    pub(super) private: PrivateKey,
}

pub(super) fn ed25519(id: &str) -> TestKey {
    TestKey { id: id.into(), private: PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap() }
}

pub(super) fn key_json(k: &TestKey) -> Value {
    json!({"keytype":"ed25519","scheme":"ed25519","keyval":{"public":hex::encode(&k.private.public_key().public)}})
}

fn root_json(keys: &[&TestKey], root_ids: &[&str], threshold: u64) -> Value {
    let keymap: serde_json::Map<String, Value> = keys.iter().map(|k| (k.id.clone(), key_json(k))).collect();
    let role = json!({"keyids": root_ids, "threshold": threshold});
    json!({
        "_type": "root", "spec_version": "1.0.31", "version": 1, "expires": "2036-01-01T00:00:00Z",
        "consistent_snapshot": false, "keys": keymap,
        "roles": {"root": role, "timestamp": role, "snapshot": role, "targets": role}
    })
}

/// An envelope around `signed`, signed by each `(key, keyid)`.
pub(super) fn envelope(signed: &Value, signers: &[(&TestKey, &str)]) -> Vec<u8> {
    let bytes = canonical::to_vec(signed).unwrap();
    let sigs: Vec<Signature> = signers
        .iter()
        .map(|(k, id)| Signature { keyid: (*id).to_owned(), sig: k.private.sign(&bytes).unwrap().1 })
        .collect();
    write_envelope(&bytes, &sigs)
}

fn parse_root(bytes: &[u8]) -> Metadata<Root> {
    Metadata::parse("root", bytes).unwrap()
}

#[test]
fn threshold_counts_distinct_keys_once() {
    let (a, b) = (ed25519("a"), ed25519("b"));
    let signed = root_json(&[&a, &b], &["a", "b"], 2);
    let p = default_provider();
    let both = parse_root(&envelope(&signed, &[(&a, "a"), (&b, "b")]));
    assert_eq!(both.signed.verify_role("root", &both, p).unwrap(), 2);
    // One key ID twice in the signatures: the file is malformed (python-tuf refuses
    // it too), so it can never count twice.
    let e = Metadata::<Root>::parse("root", &envelope(&signed, &[(&a, "a"), (&a, "a")])).unwrap_err().to_string();
    assert!(e.contains("two signatures name key ID a"), "{e}");
    // Two key IDs naming the same key material count once.
    let mut same = root_json(&[&a, &b], &["a", "a2"], 2);
    same["keys"]["a2"] = key_json(&a);
    let faked = parse_root(&envelope(&same, &[(&a, "a"), (&a, "a2")]));
    assert!(faked.signed.verify_role("root", &faked, p).is_err());
    // A key the role does not list does not count, even though root has it.
    let unlisted = root_json(&[&a, &b], &["a"], 1);
    let by_b = parse_root(&envelope(&unlisted, &[(&b, "b")]));
    let c = threshold::count(&by_b, &by_b.signed.keys, by_b.signed.role("root").unwrap(), p);
    assert_eq!(c.valid, 0);
    assert_eq!(c.ignored[0].1, "the role does not list this key");
}

#[test]
fn a_flipped_byte_anywhere_in_signed_fails() {
    let a = ed25519("a");
    let signed = root_json(&[&a], &["a"], 1);
    let good = envelope(&signed, &[(&a, "a")]);
    let md = parse_root(&good);
    assert!(md.signed.verify_role("root", &md, default_provider()).is_ok());
    let text = String::from_utf8(good).unwrap();
    // Change the expiry year: still parses, no longer verifies.
    let tampered = text.replace("2036-01-01", "2037-01-01");
    let md = parse_root(tampered.as_bytes());
    assert!(md.signed.verify_role("root", &md, default_provider()).is_err());
}

#[test]
fn strict_parsing() {
    let a = ed25519("a");
    let mut signed = root_json(&[&a], &["a"], 1);
    let parse = |v: &Value| Metadata::<Root>::parse("root", &envelope(v, &[(&a, "a")])).map(|_| ());
    assert!(parse(&signed).is_ok());
    signed["spec_version"] = json!("2.0");
    let e = parse(&signed).unwrap_err().to_string();
    assert!(e.contains("spec_version 2.0 is not supported"), "{e}");
    signed["spec_version"] = json!("1.0");
    signed["_type"] = json!("Root");
    assert!(parse(&signed).unwrap_err().to_string().contains("_type"));
    signed["_type"] = json!("root");
    signed["version"] = json!(0);
    assert!(parse(&signed).is_err());
    signed["version"] = json!(1);
    signed["roles"]["root"]["threshold"] = json!(0);
    assert!(parse(&signed).unwrap_err().to_string().contains("threshold"));
    signed["roles"]["root"]["threshold"] = json!(1);
    signed["roles"].as_object_mut().unwrap().remove("snapshot");
    assert!(parse(&signed).unwrap_err().to_string().contains("snapshot"));
    // A Targets file is not a Root.
    let t = json!({"_type":"targets","spec_version":"1.0","version":1,"expires":"2036-01-01T00:00:00Z","targets":{}});
    let bytes = envelope(&t, &[]);
    assert!(Metadata::<Root>::parse("root", &bytes).is_err());
    assert!(Metadata::<Targets>::parse("targets", &bytes).is_ok());
    // Unsigned fields next to `signed` are refused; so are non-hex signatures.
    let ok = String::from_utf8(envelope(&t, &[])).unwrap();
    let extra = ok.replacen('{', r#"{"x-unsigned":1,"#, 1);
    assert!(Metadata::<Targets>::parse("targets", extra.as_bytes()).is_err());
    let nonhex = ok.replace(r#""signatures":[]"#, r#""signatures":[{"keyid":"a","sig":"zz"}]"#);
    assert!(Metadata::<Targets>::parse("targets", nonhex.as_bytes()).unwrap_err().to_string().contains("hex"));
}

#[test]
fn delegation_structure_is_checked() {
    let base =
        json!({"_type":"targets","spec_version":"1.0","version":1,"expires":"2036-01-01T00:00:00Z","targets":{}});
    let with = |delegations: Value| {
        let mut t = base.clone();
        t["delegations"] = delegations;
        Metadata::<Targets>::parse("targets", &envelope(&t, &[])).map(|_| ())
    };
    let role = |extra: Value| {
        let mut r = json!({"name":"r","keyids":[],"threshold":1,"terminating":false});
        r.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        r
    };
    assert!(with(json!({"keys":{},"roles":[role(json!({"paths":["*"]}))]})).is_ok());
    assert!(with(json!({"keys":{},"roles":[role(json!({"paths":["*"],"path_hash_prefixes":["a"]}))]})).is_err());
    assert!(with(json!({"keys":{},"roles":[role(json!({}))]})).is_err());
    let r = role(json!({"paths":["*"]}));
    assert!(with(json!({"keys":{},"roles":[r.clone(), r]})).is_err());
    let succinct = json!({"keyids":[],"threshold":1,"bit_length":3,"name_prefix":"bin"});
    assert!(with(json!({"keys":{},"succinct_roles":succinct})).is_ok());
    assert!(with(json!({"keys":{},"roles":[],"succinct_roles":succinct})).is_err());
    let mut bad = succinct.clone();
    bad["bit_length"] = json!(33);
    assert!(with(json!({"keys":{},"succinct_roles":bad})).is_err());
}

#[test]
fn succinct_bin_names() {
    let s = SuccinctRoles {
        keys: RoleKeys { keyids: vec![], threshold: 1, extra: Default::default() },
        bit_length: 5,
        name_prefix: "bin".into(),
    };
    let names: Vec<String> = s.bin_names().collect();
    assert_eq!((names.len(), names[0].as_str(), names[31].as_str()), (32, "bin-00", "bin-1f"));
    assert!(s.is_bin("bin-1f") && !s.is_bin("bin-20") && !s.is_bin("bin-1F") && !s.is_bin("bin-0"));
    let d = Delegations { keys: Default::default(), roles: None, succinct_roles: Some(s), extra: Default::default() };
    let (bin, terminating) = d.roles_for_target("x").pop().unwrap();
    assert!(terminating && d.role_keys(&bin).is_some());
    assert!(d.role_keys("other").is_none());
}

#[test]
fn targets_fields_are_required_once_and_others_kept() {
    let parse = |text: &str| {
        let bytes = format!(r#"{{"signatures":[],"signed":{text}}}"#);
        Metadata::<Targets>::parse("targets", bytes.as_bytes())
    };
    let head = r#""_type":"targets","spec_version":"1.0","version":1,"expires":"2036-01-01T00:00:00Z""#;
    let file = r#"{"length":1,"hashes":{"sha256":"00"},"custom":{"a":1},"x":2}"#;
    let ok = parse(&format!(r#"{{{head},"targets":{{"f":{file}}},"x-extra":[1]}}"#)).unwrap();
    let f = ok.signed.target("f").unwrap().unwrap();
    assert_eq!(f.custom().unwrap()["a"], 1);
    assert_eq!(f.extra["x"], 2);
    assert_eq!(ok.signed.extra["x-extra"], json!([1]));
    assert_eq!(ok.reserialize_signed().unwrap(), ok.canonical_signed());
    for bad in [
        format!(r#"{{{head},"targets":{{}},"targets":{{}}}}"#),
        format!(r#"{{{head},"version":2,"targets":{{}}}}"#),
        format!(r#"{{{head},"targets":{{}},"x":1,"x":1}}"#),
        format!(r#"{{{head}}}"#),
        format!(r#"{{{head},"targets":[]}}"#),
        r#"{"_type":"targets","version":1,"expires":"2036-01-01T00:00:00Z","targets":{}}"#.to_owned(),
    ] {
        assert!(parse(&bad).is_err(), "{bad}");
    }
    // A target's entry is judged when it is looked up: that target fails, not the file.
    for bad in [r#"{"length":1}"#, r#"{"length":1,"hashes":{}}"#, r#"{"length":-1,"hashes":{"sha256":"00"}}"#] {
        let md = parse(&format!(r#"{{{head},"targets":{{"f":{bad},"g":{file}}}}}"#)).unwrap();
        assert!(md.signed.target("f").is_err(), "{bad}");
        assert!(md.signed.target("g").unwrap().is_some(), "{bad}");
        assert!(md.signed.all_targets().is_err(), "{bad}");
    }
}

#[test]
fn a_delegation_threshold_cannot_be_faked_with_one_key() {
    let a = ed25519("a");
    let delegations = json!({
        "keys": {"a": key_json(&a), "a2": key_json(&a)},
        "roles": [{"name":"child","keyids":["a","a2"],"threshold":2,"terminating":false,"paths":["*"]}]
    });
    let parent = json!({"_type":"targets","spec_version":"1.0","version":1,"expires":"2036-01-01T00:00:00Z",
        "targets":{},"delegations":delegations});
    let parent: Metadata<Targets> = Metadata::parse("targets", &envelope(&parent, &[])).unwrap();
    let d = parent.signed.delegations.as_ref().unwrap();
    let child =
        json!({"_type":"targets","spec_version":"1.0","version":1,"expires":"2036-01-01T00:00:00Z","targets":{}});
    let child: Metadata<Targets> = Metadata::parse("child", &envelope(&child, &[(&a, "a"), (&a, "a2")])).unwrap();
    let keys = d.role_keys("child").unwrap();
    let e = threshold::verify("child", &child, &d.keys, keys, default_provider()).unwrap_err().to_string();
    assert!(e.starts_with("child: signed by 1 of the 2"), "{e}");
}

#[test]
fn duplicate_keys_never_disagree_with_the_signed_bytes() {
    // The signed bytes are canonicalised with the last of duplicate keys winning; a
    // typed parse must then refuse the file or read that same last value, or an
    // attacker could prepend a field (a later expiry, a higher version) to signed data.
    let a = ed25519("a");
    let signed = root_json(&[&a], &["a"], 1);
    let good = String::from_utf8(envelope(&signed, &[(&a, "a")])).unwrap();
    for (field, injected) in [
        ("\"_type\":\"root\"", "\"version\":99,"),
        ("\"_type\":\"root\"", "\"expires\":\"2099-01-01T00:00:00Z\","),
        ("\"_type\":\"root\"", "\"consistent_snapshot\":true,"),
        ("\"_type\":\"root\"", "\"spec_version\":\"1.9\","),
        ("\"keyids\"", "\"threshold\":9,"),
        ("\"keytype\"", "\"scheme\":\"x\","),
    ] {
        let bad = good.replacen(field, &format!("{injected}{field}"), 1);
        assert_ne!(bad, good);
        if let Ok(md) = Metadata::<Root>::parse("root", bad.as_bytes()) {
            let as_signed: Root = serde_json::from_slice(md.canonical_signed()).unwrap();
            assert_eq!(md.signed, as_signed, "{injected} was read as the first value");
        }
    }
}
