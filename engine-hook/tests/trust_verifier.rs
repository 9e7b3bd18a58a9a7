//! Verification through trust-core, over a repository made by the real docker and
//! notary tools (`fixtures/docker-signers`), verified at its capture time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use engine_hook::decision::{Verdict, decide_pull};
use engine_hook::policy::Policy;
use engine_hook::verify::{Query, TrustVerifier, Verifier, VerifierConfig};
use trust_core::ErrorKind;
use trust_core::pinning::Pin;
use trust_core::reference::Reference;

const GUN: &str = "localhost:5000/interop/docker-signers";
/// The root certificate's TUF ID (`cert-ids`) and the root key's canonical ID (`root-keys`).
const ROOT_CERT_ID: &str = "1c43d5265ff34b36fc298399bca7852591349b931902be837b901a1ed2a7515c";
const ROOT_KEY_ID: &str = "8aae49442f468f90224c8d079239ebdd0d08385318e45d31919a780306a035a5";
const V1: &str = "8d7c2d1d57f574f54312eea4e080dd773a4ebacabfa90cfcc94c76836b5cc33e";
const V2: &str = "ec99c3769225180d33e744effbb7a3ec78271ac69a7c9deb4b73a850ae2c7b2a";

fn fixture_server() -> String {
    format!("file://{}/../fixtures/docker-signers/remote", env!("CARGO_MANIFEST_DIR"))
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn verifier(trust_dir: &Path, now: &str) -> TrustVerifier {
    TrustVerifier::new(VerifierConfig {
        trust_dir: trust_dir.to_owned(),
        ca_file: None,
        timeout: Duration::from_secs(5),
        min_rate: None,
        deadline: Duration::from_secs(30),
        max_timestamp_age: Duration::from_secs(60),
        now: Some(at(now)),
    })
}

fn query(reference: &str, server: &str, pin: Pin, allow_expired: bool) -> Query {
    Query {
        reference: Reference::parse(reference).unwrap(),
        server: Some(server.into()),
        pin,
        allow_expired,
        bundle: None,
    }
}

#[test]
fn tags_digests_signers_and_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let v = verifier(dir.path(), "2026-11-23T00:55:37Z");
    let server = fixture_server();
    let pinned = Pin::Certs(vec![ROOT_CERT_ID.into()]);

    let got = v.verify(&query(&format!("{GUN}:v2"), &server, pinned.clone(), false)).unwrap();
    assert_eq!(got.releases.len(), 1);
    assert_eq!(got.releases[0].digest_hex, V2);
    assert_eq!(got.releases[0].signers, ["alice", "bob"]);
    assert_eq!(got.expires, Some(at("2026-12-07T00:55:35.577980794Z")), "the timestamp expires first");
    assert!(!got.offline);

    let by_digest = v.verify(&query(&format!("{GUN}@sha256:{V1}"), &server, pinned.clone(), false)).unwrap();
    assert_eq!(by_digest.releases.iter().map(|r| r.tag.as_str()).collect::<Vec<_>>(), ["v1"]);
    assert_eq!(by_digest.releases[0].signers, ["alice"]);

    let v10 = v.verify(&query(&format!("{GUN}:v10"), &server, pinned.clone(), false)).unwrap();
    assert!(v10.releases[0].signers.is_empty(), "released by the repository keys only");

    let unsigned = v.verify(&query(&format!("{GUN}:nope"), &server, pinned.clone(), false)).unwrap_err();
    assert_eq!(unsigned.kind, ErrorKind::NotSigned);
    let digest = v.verify(&query(&format!("{GUN}@sha256:{}", "0".repeat(64)), &server, pinned, false)).unwrap_err();
    assert_eq!(digest.kind, ErrorKind::NotSigned);
}

#[test]
fn pins_by_certificate_id_root_key_id_or_nothing() {
    let server = fixture_server();
    for (pin, ok) in [
        (Pin::Certs(vec![ROOT_CERT_ID.into()]), true),
        (Pin::Certs(vec![ROOT_KEY_ID.into()]), true),
        (Pin::Tofu, true),
        (Pin::Certs(vec!["ab".repeat(32)]), false),
        (Pin::Refuse, false),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let v = verifier(dir.path(), "2026-11-23T00:55:37Z");
        let result = v.verify(&query(&format!("{GUN}:v1"), &server, pin.clone(), false));
        assert_eq!(result.is_ok(), ok, "{pin:?}: {result:?}");
        if let Err(f) = result {
            assert_eq!(f.kind, ErrorKind::Verification, "{pin:?}: {f:?}");
        }
    }
}

#[test]
fn the_policy_end_to_end_with_real_trust_data() {
    let dir = tempfile::tempdir().unwrap();
    let v = verifier(dir.path(), "2026-11-23T00:55:37Z");
    let policy = Policy::from_json(
        format!(
            r#"{{"content-trust":{{"mode":"enforced",
                 "trust-pinning":{{"root-keys":{{"localhost:5000/interop/*":["{ROOT_KEY_ID}"]}}}},
                 "scopes":{{"localhost:5000/interop/*":{{"signers":["alice","bob"],"threshold":2,"server":"{}"}}}}}}}}"#,
            fixture_server()
        )
        .as_bytes(),
    )
    .unwrap();
    let v2 = decide_pull(&Reference::parse(&format!("{GUN}:v2")).unwrap(), &policy, &v);
    assert_eq!(v2.verdict, Verdict::Allow, "{v2:?}");
    assert_eq!(v2.digest, Some(format!("sha256:{V2}")));
    let v1 = decide_pull(&Reference::parse(&format!("{GUN}:v1")).unwrap(), &policy, &v);
    assert_eq!(v1.verdict, Verdict::Deny, "{v1:?}");
    assert!(
        v1.reason.contains("signed by alice, but scope localhost:5000/interop/* requires 2 of: alice, bob"),
        "{}",
        v1.reason
    );
}

/// Copies what verification cached into another server's trust data directory.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target: PathBuf = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn expired_cached_data_only_when_allowed_and_the_server_is_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let pin = Pin::Certs(vec![ROOT_CERT_ID.into()]);
    let online = verifier(dir.path(), "2026-11-23T00:55:37Z");
    online.verify(&query(&format!("{GUN}:v2"), &fixture_server(), pin.clone(), false)).unwrap();

    // The same cache, under a server that refuses connections, a year later.
    let unreachable = "https://127.0.0.1:1";
    let later = verifier(dir.path(), "2027-11-23T00:00:00Z");
    let copied = later.trust_data_dir(unreachable, &pin);
    copy_dir(&online.trust_data_dir(&fixture_server(), &pin), &copied);

    // Cached data records the server it came from; another server's answers nothing.
    let from_elsewhere = later.verify(&query(&format!("{GUN}:v2"), unreachable, pin.clone(), true)).unwrap_err();
    assert_eq!(from_elsewhere.kind, ErrorKind::Network, "{from_elsewhere:?}");
    assert!(from_elsewhere.message.contains("came from"), "{from_elsewhere:?}");
    // As if it had been fetched from the now unreachable server.
    let record = copied.join("tuf").join(GUN).join("timestamp-freshness.json");
    let mut origin: serde_json::Value = serde_json::from_slice(&std::fs::read(&record).unwrap()).unwrap();
    origin["server"] = serde_json::json!(unreachable);
    std::fs::write(&record, serde_json::to_vec(&origin).unwrap()).unwrap();

    let refused = later.verify(&query(&format!("{GUN}:v2"), unreachable, pin.clone(), false)).unwrap_err();
    assert_ne!(refused.kind, ErrorKind::NotSigned, "{refused:?}");
    let allowed = later.verify(&query(&format!("{GUN}:v2"), unreachable, pin.clone(), true)).unwrap();
    assert!(allowed.offline);
    assert_eq!(allowed.releases[0].digest_hex, V2);
    assert_eq!(allowed.releases[0].signers, ["alice", "bob"]);
    // Signatures still count: a tag that is not signed stays unsigned.
    assert!(later.verify(&query(&format!("{GUN}:nope"), unreachable, pin, true)).is_err());
}
