//! Decisions the recorded vectors do not reach: image IDs, engine failures, services
//! in each policy choice, and policy reloads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use engine_hook::authz::AuthZRequest;
use engine_hook::decision::{Facts, Verdict, decide};
use engine_hook::engine::{ImageInfo, ImageInspector};
use engine_hook::log::{LogFilter, Logger};
use engine_hook::plugin::Hook;
use engine_hook::policy::Mode;

fn create(image: &str) -> AuthZRequest {
    AuthZRequest { method: Some("POST".into()), uri: Some("/v1.44/containers/create".into()), ..Default::default() }
        .with_body(serde_json::json!({ "Image": image }).to_string().as_bytes())
}

struct BrokenEngine;

impl ImageInspector for BrokenEngine {
    fn inspect(&self, _: &str) -> engine_hook::Result<Option<ImageInfo>> {
        Err(engine_hook::Error::Engine { socket: "/var/run/docker.sock".into(), message: "cannot connect".into() })
    }
}

#[test]
fn image_ids_and_engine_failures_are_denied() {
    let policy = common::policy();
    let verifier = common::FakeVerifier::new();
    let engine = common::FakeEngine::new();
    let facts = Facts { verifier: &verifier, engine: &engine };
    for id in ["09576356a5fc", "sha256:09576356a5fc5658dd46690c50d0125d4792c3319485f37c8fe57d3ac17a72b9"] {
        let d = decide(&create(id), &policy, facts);
        assert_eq!(d.verdict, Verdict::Deny, "{id}: {d:?}");
        assert!(d.reason.contains("image ID"), "{}", d.reason);
    }
    let d = decide(&create("localhost:5000/cap/app:v1"), &policy, Facts { verifier: &verifier, engine: &BrokenEngine });
    assert_eq!(d.verdict, Verdict::Deny);
    assert!(d.reason.contains("cannot look localhost:5000/cap/app:v1 up in the engine"), "{}", d.reason);
    let d = decide(
        &create("localhost:5000/cap/app:v1"),
        &policy.with_mode(Mode::Permissive),
        Facts { verifier: &verifier, engine: &BrokenEngine },
    );
    assert_eq!(d.verdict, Verdict::WouldDeny);
}

#[test]
fn services_follow_the_policy_choice() {
    let vector: serde_json::Value =
        serde_json::from_slice(&std::fs::read(common::data("service-create.json")).unwrap()).unwrap();
    let request: AuthZRequest = serde_json::from_value(vector["request"].clone()).unwrap();
    let verifier = common::FakeVerifier::new();
    let engine = common::FakeEngine::new();
    let facts = Facts { verifier: &verifier, engine: &engine };
    for (choice, verdict) in [("verify", Verdict::Allow), ("deny", Verdict::Deny), ("allow", Verdict::Allow)] {
        let mut v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(common::data("daemon.json")).unwrap()).unwrap();
        v["content-trust"]["operations"]["service"] = choice.into();
        let policy = engine_hook::policy::Policy::from_json(v.to_string().as_bytes()).unwrap();
        assert_eq!(decide(&request, &policy, facts).verdict, verdict, "{choice}");
    }
    // A rollback's image is not in the request: verify cannot pass it.
    let mut rollback = request.clone();
    rollback.uri = Some("/v1.41/services/abc/update?version=5&rollback=previous".into());
    let d = decide(&rollback, &common::policy(), facts);
    assert_eq!(d.verdict, Verdict::Deny);
    assert!(d.reason.contains("rollback"), "{}", d.reason);
}

#[test]
fn reload_keeps_the_old_policy_when_the_new_one_is_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.json");
    std::fs::copy(common::data("daemon.json"), &path).unwrap();
    let hook = Hook::new(
        engine_hook::policy::Policy::load(&path).unwrap(),
        Some(path.clone()),
        Box::new(common::FakeVerifier::new()),
        Duration::from_secs(60),
        Box::new(common::FakeEngine::new()),
        Logger::file(&dir.path().join("log"), LogFilter::All).unwrap(),
    );
    let pull = serde_json::to_vec(
        &serde_json::from_slice::<serde_json::Value>(&std::fs::read(common::data("pull-unsigned.json")).unwrap())
            .unwrap()["request"],
    )
    .unwrap();
    assert_eq!(hook.authorize(&pull).verdict, Verdict::Deny);

    std::fs::write(&path, r#"{"content-trust":{"mode":"lenient"}}"#).unwrap();
    let err = hook.reload().unwrap_err().to_string();
    assert!(err.contains("\"lenient\""), "{err}");
    assert_eq!(hook.policy().mode, Mode::Enforced);
    assert_eq!(hook.authorize(&pull).verdict, Verdict::Deny);

    std::fs::write(&path, r#"{"content-trust":{"mode":"permissive","scopes":{"localhost:5000/*":{"tofu":true}}}}"#)
        .unwrap();
    hook.reload().unwrap();
    assert_eq!(hook.policy().mode, Mode::Permissive);
    assert_eq!(hook.authorize(&pull).verdict, Verdict::WouldDeny);
}
