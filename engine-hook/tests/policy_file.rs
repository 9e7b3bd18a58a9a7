//! The policy file: a Docker EE-style daemon.json, validation messages, scope
//! precedence, pins, and `check-policy`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use engine_hook::decision::{Verdict, decide_pull};
use engine_hook::pinning::{OFFICIAL_LIBRARY_ROOT_KEYS, pin_for};
use engine_hook::policy::{Choice, Mode, Operation, Policy};
use trust_core::pinning::Pin;
use trust_core::reference::Reference;

fn edit(f: impl FnOnce(&mut serde_json::Value)) -> Result<Policy, String> {
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(common::data("daemon.json")).unwrap()).unwrap();
    f(&mut v);
    Policy::from_json(v.to_string().as_bytes())
}

#[test]
fn ee_daemon_json_with_other_settings() {
    let p = common::policy();
    assert_eq!(p.mode, Mode::Enforced);
    assert!(p.official_library_images);
    assert!(!p.allow_expired_cached_trust_data);
    assert_eq!(p.root_keys["dtr.example.com/*"].len(), 1);
    assert_eq!(p.cert_ids["dtr.example.com/payments/api"].len(), 1);
    assert_eq!(p.scopes.len(), 3);
    assert_eq!(p.operation(Operation::Service), Choice::Verify);
    assert_eq!(p.operation(Operation::Load), Choice::Deny);
    // The one warning: official images no longer verify (their certificates expired and
    // notary.docker.io was retired).
    let [warning] = p.warnings.as_slice() else { panic!("{:?}", p.warnings) };
    assert!(warning.starts_with("trust-pinning.official-library-images") && warning.contains("2026-12-08"));
}

#[test]
fn scope_precedence_exact_then_longest_prefix() {
    let p = edit(|v| {
        v["content-trust"]["scopes"]["localhost:5000/cap/app"] = serde_json::json!({"signers": ["bob"], "tofu": true});
    })
    .unwrap();
    let pattern = |gun: &str| p.scope_for(gun).pattern.map(str::to_owned);
    assert_eq!(pattern("localhost:5000/cap/app").as_deref(), Some("localhost:5000/cap/app"));
    assert_eq!(pattern("localhost:5000/cap/app2").as_deref(), Some("localhost:5000/cap/*"));
    assert_eq!(pattern("localhost:5000/other/app").as_deref(), Some("localhost:5000/*"));
    assert_eq!(pattern("docker.io/library/alpine"), None);

    // The exact scope's signers decide: app:v1 is signed by alice only.
    let verifier = common::FakeVerifier::new();
    let d = decide_pull(&Reference::parse("localhost:5000/cap/app:v1").unwrap(), &p, &verifier);
    assert_eq!(d.verdict, Verdict::Deny, "{d:?}");
    assert!(d.reason.contains("requires 1 of: bob"), "{}", d.reason);
    assert_eq!(d.scope.as_deref(), Some("localhost:5000/cap/app"));
}

#[test]
fn signer_thresholds() {
    let p = common::policy();
    let verifier = common::FakeVerifier::new();
    let pull = |r: &str| decide_pull(&Reference::parse(r).unwrap(), &p, &verifier);
    let v1 = pull("dtr.example.com/payments/api:v1");
    assert_eq!(v1.verdict, Verdict::Deny);
    assert!(v1.reason.contains("requires 2 of: alice, bob"), "{}", v1.reason);
    let v2 = pull("dtr.example.com/payments/api:v2");
    assert_eq!(v2.verdict, Verdict::Allow, "{v2:?}");
    assert_eq!(v2.signers, ["alice", "bob"]);
    // Without signer requirements, a release by the repository's own keys is enough.
    let other = pull("localhost:5000/other/app:v1");
    assert_eq!(other.verdict, Verdict::Allow, "{other:?}");
    assert_eq!(other.signers, ["Repo Admin"]);
    // A digest: some release pointing to it must satisfy the scope.
    let by_digest = pull(&format!("dtr.example.com/payments/api@sha256:{}", "4".repeat(64)));
    assert_eq!(by_digest.verdict, Verdict::Allow, "{by_digest:?}");
    // Tag and digest must agree.
    let mismatch = pull(&format!("localhost:5000/cap/app:v1@sha256:{}", "1".repeat(64)));
    assert_eq!(mismatch.verdict, Verdict::Deny);
    assert!(mismatch.reason.contains("is signed for sha256:d361"), "{}", mismatch.reason);
}

#[test]
fn pins_per_repository() {
    let p = common::policy();
    let pin = |gun: &str| pin_for(&p, gun, p.scope_for(gun));
    assert_eq!(
        pin("dtr.example.com/payments/api").pin,
        Pin::Certs(vec!["9430d6e31e3b3e240957a1b62bbc2d436aafa33726d0fcb50addbf7e2dfa2168".into()])
    );
    assert_eq!(
        pin("dtr.example.com/payments/web").pin,
        Pin::Certs(vec!["0b6101527b2ac766702e4b40aa2391805b70e5031c04714c748f914e89014403".into()])
    );
    assert_eq!(pin("docker.io/library/alpine").pin, Pin::Certs(OFFICIAL_LIBRARY_ROOT_KEYS.map(String::from).to_vec()));
    assert_eq!(pin("localhost:5000/cap/app").pin, Pin::Tofu);
    assert_eq!(pin("docker.io/someone/app").pin, Pin::Refuse);

    // Refused repositories are denied without asking the trust server.
    let verifier = common::FakeVerifier::new();
    let d = decide_pull(&Reference::parse("docker.io/someone/app:1").unwrap(), &p, &verifier);
    assert_eq!(d.verdict, Verdict::Deny);
    assert!(d.reason.contains("not pinned"), "{}", d.reason);
    assert!(verifier.queries().is_empty());
}

#[test]
fn validation_messages_name_the_setting() {
    let err = edit(|v| v["content-trust"]["mode"] = "on".into()).unwrap_err();
    assert!(err.contains("content-trust.mode: \"on\""), "{err}");
    let err =
        edit(|v| v["content-trust"]["trust-pinning"]["cert-ids"]["a.io/*"] = serde_json::json!(["00"])).unwrap_err();
    assert!(err.contains("cert-ids take exact repository names"), "{err}");
    let err = edit(|v| v["content-trust"]["scopes"]["a.io/*"] = serde_json::json!({"signer": ["x"]})).unwrap_err();
    assert!(err.contains("unknown field `signer`"), "{err}");
    let err = edit(|v| {
        let ct = &mut v["content-trust"];
        ct["trust-pinning"] = serde_json::json!({});
        ct["scopes"] = serde_json::json!({"a.io/*": {"signers": ["x"]}});
    })
    .unwrap_err();
    assert!(err.contains("no trust pinning"), "{err}");
    // A scope with TOFU is pinning enough (EE's rule, extended).
    assert!(edit(|v| v["content-trust"]["trust-pinning"] = serde_json::json!({})).is_ok());
    let warned = edit(|v| v["content-trust"]["scopes"]["library/*"] = serde_json::json!({"tofu": true})).unwrap();
    assert!(warned.warnings.iter().any(|w| w.contains("registry host")), "{:?}", warned.warnings);
}

#[test]
fn check_policy_command() {
    let bin = env!("CARGO_BIN_EXE_trust-engine-hook");
    let ok = std::process::Command::new(bin).arg("check-policy").arg(common::data("daemon.json")).output().unwrap();
    assert_eq!(ok.status.code(), Some(0));
    let text = String::from_utf8_lossy(&ok.stdout);
    for part in [
        "valid",
        "mode: enforced",
        "official-library-images",
        "\"dtr.example.com/payments/*\": signed by 2 of: alice, bob",
        "service: verify",
        "load: deny",
    ] {
        assert!(text.contains(part), "{part} missing from:\n{text}");
    }
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"content-trust":{"mode":"enforced"}}"#).unwrap();
    let out = std::process::Command::new(bin).arg("check-policy").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no trust pinning"));
}

#[test]
fn check_policy_accepts_registry_store_servers() {
    let bin = env!("CARGO_BIN_EXE_trust-engine-hook");
    let dir = tempfile::tempdir().unwrap();
    let check = |name: &str, policy: serde_json::Value| {
        let path = dir.path().join(name);
        std::fs::write(&path, policy.to_string()).unwrap();
        std::process::Command::new(bin).arg("check-policy").arg(&path).output().unwrap()
    };
    let good = check(
        "oci.json",
        serde_json::json!({"content-trust": {"mode": "enforced", "scopes": {
            "localhost:5000/own/*": {"tofu": true, "server": "oci://"},
            "localhost:5000/shared/*": {"tofu": true, "server": "oci://localhost:5000/trust-data/"},
        }}}),
    );
    let text = String::from_utf8_lossy(&good.stdout);
    assert_eq!(good.status.code(), Some(0), "{text} {}", String::from_utf8_lossy(&good.stderr));
    for part in [
        "valid",
        "\"localhost:5000/own/*\": any release (targets/releases or targets); server oci://; TOFU on",
        "\"localhost:5000/shared/*\": any release (targets/releases or targets); server oci://localhost:5000/trust-data; TOFU on",
    ] {
        assert!(text.contains(part), "{part} missing from:\n{text}");
    }
    let bad = check(
        "bad-oci.json",
        serde_json::json!({"content-trust": {"mode": "enforced", "scopes": {
            "localhost:5000/*": {"tofu": true, "server": "oci://trust"},
        }}}),
    );
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("content-trust.scopes[\"localhost:5000/*\"].server: ")
            && err.contains("got oci://trust: name the trust repository too"),
        "{err}"
    );
}
