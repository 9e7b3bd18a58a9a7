//! The TUF 1.0 trusted set (`trust_tuf::tuf1::trusted::TrustedSet`) and the
//! delegation search fed arbitrary bytes for each role, starting from the trusted root
//! of a repository python-tuf made (`fixtures/tuf1/`).
//!
//! Input: one selector byte (which fixture repository), then parts separated by
//! `\n--8<--\n`, each `<role>\n<bytes>`: `root`, `timestamp`, `snapshot`, `targets`,
//! a delegated role's name, or `search` (the bytes are a target path to look up).
//! Parts are applied in order; the seeds give the fixture's own files in update order.
//!
//! Oracle:
//! 1. every file any role's parser accepts writes back to the canonical bytes its
//!    signatures were checked over (`reserialize_signed` = `canonical_signed`): what is
//!    verified is what is read;
//! 2. every file the set accepts for a role has the `signed` content of the
//!    fixture's own file for that role (nobody can forge the fixture's signatures, so
//!    anything else accepted is an unchecked signature, a role confusion or a parser
//!    differential); root versions must be the fixture's, in order;
//! 3. a search that finds a target finds it in the fixture's own metadata, and the
//!    search never asks for more roles than the limit allows.

#![no_main]

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use trust_fuzz::{first_line, split_parts};
use trust_tuf::crypto::default_provider;
use trust_tuf::tuf1::search::{DelegationSearch, Step};
use trust_tuf::tuf1::trusted::TrustedSet;
use trust_tuf::tuf1::{Metadata, Root, Snapshot, Targets, Timestamp};

macro_rules! md {
    ($case:literal, $file:literal) => {
        include_bytes!(concat!("../../fixtures/tuf1/", $case, "/metadata/", $file))
    };
}

/// One repository: its `N.root.json` files, then every other role's file.
struct Fixture {
    roots: &'static [&'static [u8]],
    files: &'static [(&'static str, &'static [u8])],
}

const FIXTURES: [Fixture; 3] = [
    Fixture {
        roots: &[md!("basic", "1.root.json")],
        files: &[
            ("timestamp", md!("basic", "timestamp.json")),
            ("snapshot", md!("basic", "1.snapshot.json")),
            ("targets", md!("basic", "1.targets.json")),
        ],
    },
    Fixture {
        roots: &[md!("delegations", "1.root.json")],
        files: &[
            ("timestamp", md!("delegations", "timestamp.json")),
            ("snapshot", md!("delegations", "1.snapshot.json")),
            ("targets", md!("delegations", "1.targets.json")),
            ("docs", md!("delegations", "1.docs.json")),
            ("docs-inner", md!("delegations", "1.docs-inner.json")),
            ("docs-deepest", md!("delegations", "1.docs-deepest.json")),
            ("bins", md!("delegations", "1.bins.json")),
            ("images", md!("delegations", "1.images.json")),
            ("images-late", md!("delegations", "1.images-late.json")),
        ],
    },
    Fixture {
        roots: &[
            md!("root-rotation", "1.root.json"),
            md!("root-rotation", "2.root.json"),
            md!("root-rotation", "3.root.json"),
            md!("root-rotation", "4.root.json"),
        ],
        files: &[
            ("timestamp", md!("root-rotation", "timestamp.json")),
            ("snapshot", md!("root-rotation", "1.snapshot.json")),
            ("targets", md!("root-rotation", "1.targets.json")),
        ],
    },
];

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z").unwrap().with_timezone(&Utc)
}

/// Oracle 1 for one parser, returning the canonical `signed` bytes when it parses.
fn round_trips<T: trust_tuf::tuf1::Role>(role: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    let md = Metadata::<T>::parse(role, bytes).ok()?;
    let again = md.reserialize_signed().expect("a parsed file writes back");
    assert_eq!(again, md.canonical_signed(), "{role}: what is read is not what was verified");
    Some(md.canonical_signed().to_vec())
}

fn canonical_of(role: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    match role {
        "root" => round_trips::<Root>(role, bytes),
        "timestamp" => round_trips::<Timestamp>(role, bytes),
        "snapshot" => round_trips::<Snapshot>(role, bytes),
        _ => round_trips::<Targets>(role, bytes),
    }
}

fn delegator_of<'a>(set: &TrustedSet, role: &str, fixture: &'a Fixture) -> &'a str {
    // Any trusted role that delegates to `role`, `targets` first.
    for (name, _) in fixture.files.iter().filter(|(n, _)| !matches!(*n, "timestamp" | "snapshot")) {
        let delegates = set
            .targets(name)
            .and_then(|t| t.signed.signed.delegations.as_ref())
            .is_some_and(|d| d.role_keys(role).is_some());
        if delegates {
            return name;
        }
    }
    "targets"
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let fixture = &FIXTURES[selector as usize % FIXTURES.len()];
    let mut set = TrustedSet::new(fixture.roots[0].to_vec(), now(), default_provider()).unwrap();
    for part in split_parts(rest) {
        let (role, bytes) = first_line(part);
        let Ok(role) = std::str::from_utf8(role) else { continue };
        if role == "search" {
            let Ok(path) = std::str::from_utf8(bytes) else { continue };
            let mut search = DelegationSearch::new(path, 4);
            for _ in 0..64 {
                match search.next(&set) {
                    Step::Found { role, .. } => {
                        let original = fixture.files.iter().find(|(n, _)| *n == role).unwrap().1;
                        let md = Metadata::<Targets>::parse(&role, original).unwrap();
                        assert!(
                            md.signed.target(path).unwrap().is_some(),
                            "{path} found in {role}, which does not list it"
                        );
                        break;
                    }
                    Step::NotFound { .. } | Step::Malformed { .. } => break,
                    Step::Load { role, delegator } => {
                        let Some((_, file)) = fixture.files.iter().find(|(n, _)| *n == role) else { break };
                        let ok = if set.targets(&role).is_some() {
                            set.trust_via(&role, &delegator).is_ok()
                        } else {
                            set.update_targets(&role, &delegator, file.to_vec()).is_ok()
                        };
                        if !ok {
                            break;
                        }
                    }
                }
            }
            continue;
        }
        let canonical = canonical_of(role, bytes);
        let accepted = match role {
            "root" => set.update_root(bytes.to_vec()).is_ok(),
            "timestamp" => set
                .update_timestamp(bytes.to_vec())
                .is_ok_and(|u| u == trust_tuf::tuf1::trusted::TimestampUpdate::Accepted),
            "snapshot" => set.update_snapshot(bytes.to_vec(), false).is_ok(),
            _ => {
                let delegator = if role == "targets" { "root" } else { delegator_of(&set, role, fixture) };
                set.update_targets(role, delegator, bytes.to_vec()).is_ok()
            }
        };
        if !accepted {
            continue;
        }
        let canonical = canonical.expect("an accepted file parses");
        let original: &[u8] = if role == "root" {
            let version = set.root().signed.version() as usize;
            fixture.roots.get(version - 1).expect("a root version the fixture does not have")
        } else {
            fixture.files.iter().find(|(n, _)| *n == role).map(|(_, b)| *b).expect("a role the fixture does not have")
        };
        assert_eq!(
            canonical,
            canonical_of(role, original).unwrap(),
            "{role}: accepted content the repository did not sign"
        );
    }
});
