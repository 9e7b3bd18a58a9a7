//! The engine hook's policy file (`engine_hook::policy::Policy::from_json`): a
//! `daemon.json` or its `content-trust` section.
//!
//! No panic on any input, and every policy that is accepted keeps its promises:
//! every operation has a choice, thresholds are between 1 and the number of signers,
//! pinned IDs are 64 lowercase hex digits, enforcement has some pinning or TOFU, and
//! each exact scope pattern selects itself.

#![no_main]

use engine_hook::policy::{Choice, Mode, Operation, Policy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(policy) = Policy::from_json(data) else {
        return;
    };
    for op in Operation::ALL {
        let choice = policy.operation(op);
        assert!(choice != Choice::Verify || op == Operation::Service, "{op} may not be verified");
        assert_eq!(Operation::from_key(op.key()), Some(op));
    }
    for ids in policy.root_keys.values().chain(policy.cert_ids.values()) {
        assert!(!ids.is_empty());
        for id in ids {
            assert!(id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')), "{id:?}");
        }
    }
    assert!(policy.cert_ids.keys().all(|p| !p.ends_with('*')), "a wildcard cert-ids pattern");
    for (pattern, scope) in &policy.scopes {
        assert!(!pattern.is_empty());
        assert!(!pattern.strip_suffix('*').unwrap_or(pattern).contains('*'), "{pattern:?}: `*` inside");
        if scope.signers.is_empty() {
            assert_eq!(scope.threshold, 0);
        } else {
            assert!((1..=scope.signers.len()).contains(&scope.threshold), "threshold {}", scope.threshold);
        }
        let chosen = policy.scope_for(pattern.trim_end_matches('*'));
        if !pattern.ends_with('*') {
            assert_eq!(chosen.pattern, Some(pattern.as_str()), "an exact pattern does not select itself");
        } else {
            assert!(chosen.pattern.is_some(), "a wildcard does not match its own prefix");
        }
    }
    if policy.mode != Mode::Disabled {
        let pinned = policy.official_library_images || !policy.root_keys.is_empty() || !policy.cert_ids.is_empty();
        assert!(pinned || policy.scopes.values().any(|s| s.tofu), "enforcement without pinning or TOFU");
    }
    let _ = policy.scope_for("docker.io/library/alpine");
    let _ = policy.with_mode(Mode::Permissive);
});
