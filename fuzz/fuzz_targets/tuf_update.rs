//! The TUF state machine (`trust_tuf::trusted::TrustedSet`) fed arbitrary bytes for
//! each role, starting from a real trusted root captured from notary-server.
//!
//! Input: one selector byte (which fixture repository: its root is trusted, its
//! capture time is "now"), then parts separated by `\n--8<--\n`. Each part is
//! `<role>\n<bytes>`: `root`, `timestamp`, `snapshot`, `targets`, `targets/<name>`, or
//! `bootstrap` (first part only: trust that root on first use instead of the
//! fixture's). Parts are applied in the order given; the seeds give them in update
//! order, and libFuzzer's cross-over splices roles between seeds.
//!
//! Oracle, for every update the set accepts:
//! 1. the bytes it keeps for the role are the bytes it was given;
//! 2. a threshold of the keys trusted for that role before the update signed the
//!    canonical form of `signed`, checked independently (our own canonical JSON,
//!    ring and x509-parser; not trust-core's code);
//! 3. what it accepted is what the repository really published: the `signed` value
//!    (and trust-core's typed view of it) equals that of the fixture file of that role,
//!    and hash-pinned files (snapshot, targets, delegations) are byte-identical.
//!
//! Nobody can forge the fixtures' signatures, so anything else that is accepted is a
//! bug: an unchecked signature, a role confusion or a parser differential.

#![no_main]

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use trust_tuf::pinning::Pin;
use trust_tuf::trusted::{Context, TrustedSet};
use trust_tuf::wire::{self, Envelope, Root, Snapshot, Targets, Timestamp};
use trust_fuzz::{OracleKey, first_line, independent_signers, signed_value, split_parts};

macro_rules! tuf {
    ($case:literal, $file:literal) => {
        include_bytes!(concat!(
            "../../fixtures/",
            $case,
            "/remote/v2/localhost:5000/interop/",
            $case,
            "/_trust/tuf/",
            $file
        ))
    };
}

/// One captured repository.
struct Fixture {
    gun: &'static str,
    case_json: &'static str,
    /// `1.root.json`, `2.root.json`, …
    roots: &'static [&'static [u8]],
    /// Every other file, by role.
    files: &'static [(&'static str, &'static [u8])],
}

const FIXTURES: [Fixture; 4] = [
    Fixture {
        gun: "localhost:5000/interop/docker-signers",
        case_json: include_str!("../../fixtures/docker-signers/case.json"),
        roots: &[tuf!("docker-signers", "1.root.json")],
        files: &[
            ("timestamp", tuf!("docker-signers", "timestamp.json")),
            ("snapshot", tuf!("docker-signers", "snapshot.json")),
            ("targets", tuf!("docker-signers", "targets.json")),
            ("targets/releases", tuf!("docker-signers", "targets/releases.json")),
            ("targets/alice", tuf!("docker-signers", "targets/alice.json")),
            ("targets/bob", tuf!("docker-signers", "targets/bob.json")),
        ],
    },
    Fixture {
        gun: "localhost:5000/interop/rotated",
        case_json: include_str!("../../fixtures/rotated/case.json"),
        roots: &[tuf!("rotated", "1.root.json"), tuf!("rotated", "2.root.json"), tuf!("rotated", "3.root.json")],
        files: &[
            ("timestamp", tuf!("rotated", "timestamp.json")),
            ("snapshot", tuf!("rotated", "snapshot.json")),
            ("targets", tuf!("rotated", "targets.json")),
        ],
    },
    Fixture {
        gun: "localhost:5000/interop/notary-plain",
        case_json: include_str!("../../fixtures/notary-plain/case.json"),
        roots: &[tuf!("notary-plain", "1.root.json")],
        files: &[
            ("timestamp", tuf!("notary-plain", "timestamp.json")),
            ("snapshot", tuf!("notary-plain", "snapshot.json")),
            ("targets", tuf!("notary-plain", "targets.json")),
        ],
    },
    Fixture {
        gun: "localhost:5000/interop/empty",
        case_json: include_str!("../../fixtures/empty/case.json"),
        roots: &[tuf!("empty", "1.root.json")],
        files: &[
            ("timestamp", tuf!("empty", "timestamp.json")),
            ("snapshot", tuf!("empty", "snapshot.json")),
            ("targets", tuf!("empty", "targets.json")),
        ],
    },
];

/// The capture time of each fixture (its `case.json` `verify_at`).
static NOW: LazyLock<Vec<DateTime<Utc>>> = LazyLock::new(|| {
    FIXTURES
        .iter()
        .map(|f| {
            let case: Value = serde_json::from_str(f.case_json).unwrap();
            DateTime::parse_from_rfc3339(case["verify_at"].as_str().unwrap()).unwrap().with_timezone(&Utc)
        })
        .collect()
});

fn fixture_file(fixture: &Fixture, role: &str) -> Option<&'static [u8]> {
    fixture.files.iter().find(|(r, _)| *r == role).map(|(_, bytes)| *bytes)
}

fn typed<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> T {
    let envelope = Envelope::parse(bytes).unwrap();
    serde_json::from_str(envelope.signed.get()).unwrap()
}

fn as_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

/// The keys trusted to sign `role` right now, as the oracle sees them.
struct Trusted {
    keys: Vec<(String, OracleKey)>,
    keyids: Vec<String>,
    threshold: u64,
}

fn oracle_key(key: &wire::PublicKey) -> OracleKey {
    OracleKey { keytype: key.keytype.as_str().to_owned(), public: key.public.clone() }
}

fn trusted_for(set: &TrustedSet, role: &str) -> Option<Trusted> {
    if role.starts_with("targets/") {
        let entry = set.delegated_role(role)?;
        let parent = set.targets_of(wire::parent_role(role)?)?;
        let keys = parent.delegations.keys.iter().map(|(id, k)| (id.clone(), oracle_key(k))).collect();
        return Some(Trusted { keys, keyids: entry.keyids.clone(), threshold: entry.threshold });
    }
    let root = &set.root().signed;
    let role_keys = root.roles.get(role)?;
    let keys = root.keys.iter().map(|(id, k)| (id.clone(), oracle_key(k))).collect();
    Some(Trusted { keys, keyids: role_keys.keyids.clone(), threshold: role_keys.threshold })
}

/// Oracle 2: a threshold of `trusted` signed `bytes`.
fn assert_signed(role: &str, bytes: &[u8], trusted: &Trusted) {
    assert!(trusted.threshold >= 1, "{role}: accepted with threshold 0");
    let lookup = |id: &str| trusted.keys.iter().find(|(k, _)| k == id).map(|(_, key)| key.clone());
    let signers = independent_signers(bytes, &lookup, &trusted.keyids)
        .unwrap_or_else(|| panic!("{role}: accepted bytes that are not a signed envelope"));
    assert!(
        signers as u64 >= trusted.threshold,
        "{role}: accepted with {signers} independently valid signature(s), {} required",
        trusted.threshold
    );
}

/// Oracle 3 for a root: it is one of the repository's published root versions.
fn assert_published_root(fixture: &Fixture, bytes: &[u8], accepted: &Root) {
    let published = fixture
        .roots
        .iter()
        .find(|r| typed::<Root>(r).version == accepted.version)
        .unwrap_or_else(|| panic!("root version {} was never published", accepted.version));
    assert_eq!(signed_value(bytes), signed_value(published), "root: signed value differs from the published one");
    assert_eq!(as_value(accepted), as_value(&typed::<Root>(published)), "root: typed view differs");
}

fn apply(set: &mut TrustedSet, fixture: &Fixture, role: &str, bytes: &[u8]) {
    let before = trusted_for(set, role);
    let accepted = match role {
        "root" => set.update_root(bytes.to_vec()).is_ok(),
        "timestamp" => set.update_timestamp(bytes.to_vec()).is_ok(),
        "snapshot" => set.update_snapshot(bytes.to_vec()).is_ok(),
        "targets" => set.update_targets(bytes.to_vec()).is_ok(),
        _ => set.update_delegation(role, bytes.to_vec()).is_ok(),
    };
    if !accepted {
        return;
    }
    // Oracle 1.
    assert_eq!(set.raw(role), Some(bytes), "{role}: the set keeps other bytes than it accepted");
    // Oracle 2.
    let before = before.unwrap_or_else(|| panic!("{role}: accepted although no keys were trusted for it"));
    assert_signed(role, bytes, &before);
    // Oracle 3.
    match role {
        "root" => assert_published_root(fixture, bytes, &set.root().signed),
        "timestamp" => {
            let published = fixture_file(fixture, role).unwrap();
            assert_eq!(signed_value(bytes), signed_value(published), "timestamp: signed value differs");
            let accepted = &set.timestamp().unwrap().signed;
            assert_eq!(as_value(accepted), as_value(&typed::<Timestamp>(published)), "timestamp: typed view differs");
        }
        _ => {
            let published = fixture_file(fixture, role).unwrap_or_else(|| panic!("{role} was never published"));
            assert_eq!(bytes, published, "{role}: hash-pinned file differs from the published one");
            if role == "snapshot" {
                let accepted = &set.snapshot().unwrap().signed;
                assert_eq!(as_value(accepted), as_value(&typed::<Snapshot>(published)));
            } else {
                let accepted = set.targets_of(role).unwrap();
                let published: Targets = typed(published);
                assert_eq!(as_value(accepted), as_value(&published), "{role}: typed view differs");
                assert_eq!(accepted.targets.entries().unwrap(), published.targets.entries().unwrap());
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let index = usize::from(selector) % FIXTURES.len();
    let fixture = &FIXTURES[index];
    let ctx = Context::new(fixture.gun, NOW[index]);
    let mut parts = split_parts(rest).into_iter().take(16).map(first_line).peekable();

    let mut set = match parts.peek() {
        Some((b"bootstrap", bytes)) => {
            let bytes = bytes.to_vec();
            parts.next();
            let Ok(set) = TrustedSet::from_bootstrap_root(bytes.clone(), ctx, &Pin::Tofu) else {
                return;
            };
            // A first root must be signed by a threshold of its own root keys.
            let own = trusted_for(&set, "root").unwrap();
            assert_signed("bootstrap root", &bytes, &own);
            assert_published_root(fixture, &bytes, &set.root().signed);
            set
        }
        _ => TrustedSet::from_trusted_root(fixture.roots[0].to_vec(), ctx).unwrap(),
    };

    for (role, bytes) in parts {
        let Ok(role) = std::str::from_utf8(role) else {
            continue;
        };
        if role.is_empty() {
            continue;
        }
        apply(&mut set, fixture, role, bytes);
    }

    // Queries on whatever was accepted must not panic.
    let _ = set.check_root_current();
    let _ = set.snapshot_pin();
    let _ = set.root_matches_snapshot();
    if let Some(targets) = set.targets() {
        let _ = targets.signed.targets.entries();
    }
});
