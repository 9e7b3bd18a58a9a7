//! The specification's delegation search (5.6.7): preorder, depth first, from
//! `targets`, visiting at most a fixed number of roles, each role at most once (so a
//! cycle ends), and no role after a terminating delegation whose paths match.
//!
//! The search decides and does no I/O: [`DelegationSearch::next`] either answers or
//! names the role whose metadata it needs next; the updater loads that role into the
//! [`TrustedSet`] (from its local copy or the repository) and calls again. Roles are
//! therefore loaded lazily, only those the search reaches for this target.
//!
//! ```
//! use trust_tuf::tuf1::search::{DelegationSearch, Step};
//! let now = chrono::DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z").unwrap().to_utc();
//! let mut search = DelegationSearch::new("app/v1.tar.gz", 32);
//! // Nothing is trusted yet: the search asks for targets first, delegated by root.
//! # let root = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/tuf1/basic/metadata/root.json")).unwrap();
//! # let set = trust_tuf::tuf1::trusted::TrustedSet::new(root, now, trust_tuf::crypto::default_provider()).unwrap();
//! match search.next(&set) {
//!     Step::Load { role, delegator } => assert_eq!((role.as_str(), delegator.as_str()), ("targets", "root")),
//!     other => panic!("{other:?}"),
//! }
//! ```

use std::collections::HashSet;

use super::targets::TargetFile;
use super::trusted::TrustedSet;

/// The default most roles one search visits (python-tuf's `max_delegations`).
pub const MAX_DELEGATIONS: usize = 32;

/// What the search needs or found.
#[derive(Debug)]
pub enum Step {
    /// Load `role`, as delegated by `delegator` (`root` for `targets`), into the
    /// trusted set, or, when it is loaded already under another delegator, check it
    /// against this one's keys ([`TrustedSet::trust_via`]); then call
    /// [`DelegationSearch::next`] again.
    Load {
        /// The role to load.
        role: String,
        /// The role that delegates to it, whose keys verify it.
        delegator: String,
    },
    /// The first role in search order that lists the target, and its entry.
    Found {
        /// The role that lists it.
        role: String,
        /// Its length, hashes and custom fields.
        file: TargetFile,
    },
    /// The role that lists the target lists it in a malformed entry.
    Malformed {
        /// The role.
        role: String,
        /// What is wrong with the entry.
        reason: String,
    },
    /// No role the search may visit lists the target.
    NotFound {
        /// True when roles were left unvisited because the search reached its limit.
        limit_reached: bool,
    },
}

/// One target's search, resumable across role loads.
#[derive(Debug, Clone)]
pub struct DelegationSearch {
    target: String,
    max_delegations: usize,
    /// (role, delegator) pairs, the next at the end.
    to_visit: Vec<(String, String)>,
    visited: HashSet<String>,
}

impl DelegationSearch {
    /// A search for target path `target` that visits at most `max_delegations` roles
    /// besides `targets`.
    pub fn new(target: &str, max_delegations: usize) -> Self {
        DelegationSearch {
            target: target.to_owned(),
            max_delegations,
            to_visit: vec![("targets".to_owned(), "root".to_owned())],
            visited: HashSet::new(),
        }
    }

    /// The next step. After a [`Step::Load`], the caller loads the role and calls again;
    /// if it cannot, the search (and the target's lookup) fails with the caller's error.
    pub fn next(&mut self, set: &TrustedSet) -> Step {
        while self.visited.len() <= self.max_delegations {
            let Some((role, delegator)) = self.to_visit.last().cloned() else {
                return Step::NotFound { limit_reached: false };
            };
            if self.visited.contains(&role) {
                self.to_visit.pop();
                continue;
            }
            let Some(targets) = set.targets(&role).filter(|_| set.is_trusted_via(&role, &delegator)) else {
                return Step::Load { role, delegator };
            };
            self.to_visit.pop();
            let targets = &targets.signed.signed;
            match targets.target(&self.target) {
                Ok(Some(file)) => return Step::Found { role, file },
                Ok(None) => {}
                Err(reason) => return Step::Malformed { role, reason },
            }
            self.visited.insert(role.clone());
            if let Some(delegations) = &targets.delegations {
                let mut children = Vec::new();
                for (child, terminating) in delegations.roles_for_target(&self.target) {
                    children.push((child, role.clone()));
                    if terminating {
                        self.to_visit.clear();
                        break;
                    }
                }
                self.to_visit.extend(children.into_iter().rev());
            }
        }
        Step::NotFound { limit_reached: !self.to_visit.is_empty() }
    }
}
