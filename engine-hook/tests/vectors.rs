//! Recorded AuthZ requests (`tests/data/*.json` with a `request`) through the decision,
//! with a fake verifier and engine, in every mode.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use engine_hook::authz::AuthZRequest;
use engine_hook::decision::{Decision, Facts, Verdict, decide};
use engine_hook::policy::Mode;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Expect {
    operation: String,
    verdict: String,
    image: Option<String>,
    digest: Option<String>,
    signers: Option<Vec<String>>,
    reason_contains: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Vector {
    description: String,
    source: String,
    request: AuthZRequest,
    expect: Expect,
}

fn vectors() -> Vec<(String, Vector)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(common::data("")).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        if value.get("request").is_none() {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let vector: Vector = serde_json::from_value(value).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!vector.description.is_empty() && !vector.source.is_empty(), "{name}");
        out.push((name, vector));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 20, "only {} vectors", out.len());
    out
}

fn run(vector: &Vector, mode: Mode, verifier: &common::FakeVerifier) -> Decision {
    let policy = common::policy().with_mode(mode);
    let engine = common::FakeEngine::new();
    decide(&vector.request, &policy, Facts { verifier, engine: &engine })
}

#[test]
fn enforced_mode_decides_as_recorded() {
    for (name, v) in vectors() {
        let verifier = common::FakeVerifier::new();
        let d = run(&v, Mode::Enforced, &verifier);
        let e = &v.expect;
        assert_eq!(d.verdict.as_str(), e.verdict, "{name}: {d:?}");
        assert_eq!(d.operation, e.operation, "{name}: {d:?}");
        if let Some(image) = &e.image {
            assert_eq!(d.image.as_ref(), Some(image), "{name}: {d:?}");
        }
        if let Some(digest) = &e.digest {
            assert_eq!(d.digest.as_ref(), Some(digest), "{name}: {d:?}");
        }
        if let Some(signers) = &e.signers {
            assert_eq!(&d.signers, signers, "{name}: {d:?}");
        }
        if let Some(part) = &e.reason_contains {
            assert!(d.reason.contains(part.as_str()), "{name}: reason {:?} lacks {part:?}", d.reason);
        }
        let reply = d.response();
        assert_eq!(reply.allow, e.verdict == "allow", "{name}");
        if !reply.allow {
            assert!(reply.msg.starts_with("content trust: ") && reply.msg.contains(&d.reason), "{name}: {reply:?}");
        }
    }
}

#[test]
fn permissive_mode_allows_and_marks_would_deny() {
    for (name, v) in vectors() {
        let verifier = common::FakeVerifier::new();
        let d = run(&v, Mode::Permissive, &verifier);
        let expected = if v.expect.verdict == "deny" { Verdict::WouldDeny } else { Verdict::Allow };
        assert_eq!(d.verdict, expected, "{name}: {d:?}");
        assert!(d.response().allow, "{name}");
        assert_eq!(d.operation, v.expect.operation, "{name}");
    }
}

#[test]
fn disabled_mode_allows_everything_without_verifying() {
    for (name, v) in vectors() {
        let verifier = common::FakeVerifier::new();
        let d = run(&v, Mode::Disabled, &verifier);
        assert_eq!(d.verdict, Verdict::Allow, "{name}");
        assert!(verifier.queries().is_empty(), "{name}");
    }
}

#[test]
fn pulls_ask_the_scope_server_with_the_scope_pin() {
    let (_, v) = vectors().into_iter().find(|(n, _)| n == "pull-by-tag.json").unwrap();
    let verifier = common::FakeVerifier::new();
    run(&v, Mode::Enforced, &verifier);
    let q = &verifier.queries()[0];
    assert_eq!(q.reference.to_string(), "localhost:5000/cap/app:v1");
    assert_eq!(q.server.as_deref(), Some("https://localhost:4443"));
    assert_eq!(q.pin, trust_core::pinning::Pin::Tofu);
}
