//! # What is verified
//!
//! Every update runs the TUF workflow over the exact bytes received, in
//! [`TrustedSet`](crate::trusted::TrustedSet), a state machine with no I/O and no
//! clock of its own:
//!
//! - root: a self-signed X.509 certificate whose CN is the repository (or a
//!   `prefix*` wildcard), inside its validity window, not SHA-1 signed; rotation
//!   through `N.root.json`, each version signed by the previous root's threshold
//!   and its own (bounded walk);
//! - timestamp → snapshot (by its sha256 and sha512 and exact length) → targets
//!   and delegations (by the snapshot's hashes and lengths), each signed by a
//!   threshold of *distinct* keys (a key listed twice, or as a certificate and as a
//!   bare key, counts once), the signature method bound to the key type;
//! - expiry of every role (an expired delegation is skipped with a warning, as
//!   notary does); no version lower than the cached one (rollback): the cached copy
//!   of a role is handed to the set first
//!   ([`TrustedSet::load_cached`](crate::trusted::TrustedSet::load_cached)) and the
//!   remote copy after, as python-tuf's trusted metadata set does;
//! - a size limit on every download (root 512 KiB, timestamp 1 MiB, others the
//!   length the parent declares, at most 128 MiB), a deadline per request (120 s,
//!   body included) and a rate floor (1 KiB/s past 10 s) against slow retrieval
//!   (the limits are [`Limits`](crate::trusted::Limits); trust-core's remotes enforce
//!   the deadline and the rate);
//! - delegations resolved lazily per lookup, in notary's order, with child paths
//!   restricted to the parent's (`paths` prefixes and `path_hash_prefixes`),
//!   `terminating` roles, bounded depth, and refusal of roles that are not direct
//!   children of their delegator ([`resolve`](crate::resolve));
//! - signatures are checked over the canonical form of the received `signed`
//!   value ([`canonical`](crate::canonical)); when the received bytes are already
//!   canonical (notary always writes them so) they are used as they are.
//!
//! # TUF 1.0 repositories
//!
//! Metadata in the TUF 1.0 specification's dialect ([`tuf1`](crate::tuf1), told apart
//! from Notary v1's by the file itself) goes through the specification's client
//! workflow, section 5, in [`tuf1::trusted::TrustedSet`](crate::tuf1::trusted::TrustedSet),
//! whose documentation maps each step of the specification to the method that performs
//! it: the root chain (at most 256 versions in one update, each signed by the previous
//! root's threshold and its own, versions consecutive), the freeze checks (final root,
//! timestamp, snapshot, each targets role), rollback of the timestamp, the snapshot
//! version it lists, the snapshot's entries and each targets role, mix-and-match
//! (each file's version as its parent lists it), the fast-forward recovery after a
//! timestamp or snapshot key rotation, lengths and hashes (every listed hash must be one
//! this crate computes and must match), and the delegation search
//! ([`tuf1::search`](crate::tuf1::search)): preorder, depth first, at most 32 roles,
//! each role once, a role reached through a second delegator checked against that
//! delegator's keys. The Notary-only rules above (certificate roots, the GUN in the
//! certificate, notary's delegation names) do not apply to it.
