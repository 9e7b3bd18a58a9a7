//! Fields this client does not know are signed data like any other: they verify,
//! reach the cache byte for byte, and survive a parse and re-sign as JSON values.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use trust_test_support::builders;

use builders::{Repo, sign, snapshot_dir, target_json};
use serde_json::json;

#[test]
fn unknown_signed_fields_verify_and_are_cached_exactly() {
    let mut repo = Repo::new("example.com/org/app");
    repo.targets.insert("v1".into(), target_json(b"v1"));
    let files = repo.build();
    let mut signed: serde_json::Value = serde_json::from_slice(&files["targets"]).unwrap();
    let mut signed = signed["signed"].take();
    signed["x-future-field"] = json!({"note": "kept", "list": [1, 2, 3]});
    signed["targets"]["v1"]["custom"] = json!({"platform": "linux/amd64"});
    let resigned = sign(&signed, &[&repo.targets_keys[0]]);
    repo.overrides.insert("targets".into(), resigned.clone());
    repo.publish();

    let trust_dir = tempfile::tempdir().unwrap();
    let client = repo.client(trust_dir.path());
    let mut view = client.update().unwrap();
    let v1 = view.release("v1").unwrap();
    assert_eq!(v1.meta.custom.as_ref().map(|c| c.get()), Some(r#"{"platform":"linux/amd64"}"#));
    let cached = snapshot_dir(trust_dir.path());
    let path = std::path::Path::new("tuf/example.com/org/app/metadata/targets.json");
    assert!(cached[path] == resigned, "the cache holds the exact bytes received");
}

#[test]
fn a_parse_and_re_sign_keeps_unknown_fields() {
    let original = br#"{"_type":"Targets","delegations":{"keys":{},"roles":[]},"expires":"2030-01-01T00:00:00Z","targets":{"v1":{"custom":{"a":1},"hashes":{"sha256":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},"length":1}},"version":1,"x-extra":[true,null]}"#;
    let mut value: serde_json::Value = serde_json::from_slice(original).unwrap();
    assert_eq!(trust_core::canonical::to_vec(&value).unwrap(), original);
    value["version"] = json!(2);
    let rewritten = trust_core::canonical::to_vec(&value).unwrap();
    let text = String::from_utf8(rewritten).unwrap();
    assert!(text.contains(r#""x-extra":[true,null]"#) && text.contains(r#""custom":{"a":1}"#), "{text}");
}
