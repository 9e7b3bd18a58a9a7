//! A policy scope that verifies from a trust-data bundle (`"bundle"`, `"frozen"`):
//! a signed image is allowed and an unsigned or tampered one denied with no trust
//! server configured or reachable; `check-policy` opens the bundle. The bundle is
//! built from the real-tool fixture `docker-signers`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use trust_test_support::bundle;

use std::path::Path;
use std::time::Duration;

use bundle::{captured_at, case_field, fixture_bundle};
use engine_hook::decision::{Verdict, decide_pull};
use engine_hook::policy::Policy;
use engine_hook::verify::{TrustVerifier, VerifierConfig};
use trust_core::reference::Reference;

const CASE: &str = "docker-signers";

fn verifier(trust_dir: &Path, now: chrono::DateTime<chrono::Utc>) -> TrustVerifier {
    TrustVerifier::new(VerifierConfig {
        trust_dir: trust_dir.to_owned(),
        timeout: Duration::from_secs(5),
        deadline: Duration::from_secs(30),
        now: Some(now),
        ..VerifierConfig::default()
    })
}

/// A policy file whose only scope verifies `localhost:5000/interop/*` from `bundle`.
fn policy_file(dir: &Path, bundle: &Path, frozen: bool, signers: &str) -> std::path::PathBuf {
    let policy = serde_json::json!({"content-trust": {
        "mode": "enforced",
        "scopes": {"localhost:5000/interop/*": {
            "bundle": bundle, "frozen": frozen, "signers": serde_json::from_str::<serde_json::Value>(signers).unwrap()}},
    }});
    let path = dir.join("daemon.json");
    std::fs::write(&path, policy.to_string()).unwrap();
    path
}

fn pull(policy: &Policy, v: &TrustVerifier, image: &str) -> engine_hook::decision::Decision {
    decide_pull(&Reference::parse(image).unwrap(), policy, v)
}

#[test]
fn a_bundle_scope_allows_signed_and_denies_unsigned_or_tampered_images_offline() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_bundle(CASE, &tmp.path().join("bundle"));
    let image = case_field(CASE, "image");
    let day_after = captured_at(CASE) + chrono::Duration::days(1);
    let policy = Policy::load(&policy_file(tmp.path(), &dir, false, r#"["alice","bob"]"#)).unwrap();
    let v = verifier(&tmp.path().join("hook"), day_after);

    let signed = pull(&policy, &v, &format!("{image}:v2"));
    assert_eq!(signed.verdict, Verdict::Allow, "{signed:?}");
    assert_eq!(
        signed.digest.as_deref(),
        Some("sha256:ec99c3769225180d33e744effbb7a3ec78271ac69a7c9deb4b73a850ae2c7b2a")
    );
    let by_one_signer = pull(&policy, &v, &format!("{image}:v1"));
    assert_eq!(by_one_signer.verdict, Verdict::Deny, "v1 is signed by alice only: {by_one_signer:?}");
    let unsigned = pull(&policy, &v, &format!("{image}:nope"));
    assert_eq!(unsigned.verdict, Verdict::Deny, "{unsigned:?}");
    // Nothing of the bundle went to the hook's cache.
    assert!(!tmp.path().join("hook").exists() || std::fs::read_dir(tmp.path().join("hook")).unwrap().next().is_none());

    // Months later: expired unless the scope is frozen.
    let later = captured_at(CASE) + chrono::Duration::days(200);
    let v_later = verifier(&tmp.path().join("hook"), later);
    let expired = pull(&policy, &v_later, &format!("{image}:v2"));
    assert_eq!(expired.verdict, Verdict::Deny, "{expired:?}");
    assert!(expired.reason.contains("expired") && expired.reason.contains("--frozen"), "{}", expired.reason);
    let frozen = Policy::load(&policy_file(tmp.path(), &dir, true, r#"["alice","bob"]"#)).unwrap();
    assert_eq!(pull(&frozen, &v_later, &format!("{image}:v2")).verdict, Verdict::Allow);

    // A file changed after the policy was loaded: denied (fails closed).
    let gun = case_field(CASE, "gun");
    let path = trust_core::bundle::manifest::file_path(&dir, &gun, "targets/bob.json");
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 2;
    bytes[last] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let tampered = pull(&policy, &verifier(&tmp.path().join("hook2"), day_after), &format!("{image}:v2"));
    assert_eq!(tampered.verdict, Verdict::Deny, "{tampered:?}");
    assert!(tampered.reason.contains("targets/bob.json"), "{}", tampered.reason);
}

#[test]
fn check_policy_opens_the_bundle() {
    let bin = env!("CARGO_BIN_EXE_trust-engine-hook");
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_bundle(CASE, &tmp.path().join("bundle"));
    let good = policy_file(tmp.path(), &dir, false, "[]");
    let ok = std::process::Command::new(bin).arg("check-policy").arg(&good).output().unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    let summary = String::from_utf8_lossy(&ok.stdout);
    assert!(summary.contains(&format!("bundle {} (no server); expiry as of now", dir.display())), "{summary}");
    std::fs::remove_file(dir.join("manifest.json")).unwrap();
    let out = std::process::Command::new(bin).arg("check-policy").arg(&good).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bundle") && stderr.contains("no manifest.json"), "{stderr}");
}
