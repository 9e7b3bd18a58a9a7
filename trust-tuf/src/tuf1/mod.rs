//! The TUF 1.0 specification's metadata: the second dialect of this crate, next to
//! Notary v1's ([`crate::wire`]). Parsing, signature thresholds, delegation
//! matching and file naming, with no I/O; the updater (section 5 of the
//! specification) drives these.
//!
//! - [`dialect::detect`] tells the two dialects apart from a file's own content.
//! - [`Metadata::parse`] splits the envelope, keeps the canonical form of the
//!   `signed` bytes received (what signatures cover, via [`crate::canonical`]),
//!   parses [`Root`], [`Timestamp`], [`Snapshot`] or [`Targets`] strictly and checks
//!   `_type`, `spec_version` (1.x only) and the structure. Fields the specification
//!   does not define are kept in `extra` maps, so they are covered by the signatures
//!   and written back unchanged.
//! - [`threshold::verify`] counts distinct keys whose signatures verify with the
//!   crate's [`CryptoProvider`](crate::crypto::CryptoProvider); [`Root::verify_role`]
//!   applies root's keys to a top-level role, [`Delegations::role_keys`] gives a
//!   delegated role's.
//! - [`matching`] and [`Delegations::roles_for_target`] decide which delegated role
//!   is trusted for a target path (`paths`, `path_hash_prefixes`, TAP 15
//!   `succinct_roles`).
//! - [`naming`] gives repository file names, with and without consistent snapshots.
//! - [`trusted::TrustedSet`] is the specification's client workflow (section 5) over
//!   these types: root chain, freeze, rollback, mix-and-match, fast-forward recovery,
//!   length and hash pins; [`search::DelegationSearch`] is its delegation search and
//!   [`hashes`] checks metadata and target files against their pins. Both hold
//!   [`crate::trusted::Verified`] values as Notary v1's state machine does; the
//!   Notary-only rules (certificate roots, the GUN in the certificate, notary's
//!   version floors from the cache) do not apply here. `trust_core::tuf` drives them
//!   over HTTP and a metadata directory.
//!
//! Key IDs are used as the metadata gives them, never recomputed (the specification
//! treats them as opaque). Keys whose type or scheme is not supported (see [`key`])
//! are parsed and kept but never count.
//!
//! ```
//! use trust_tuf::tuf1::{self, Dialect, Metadata, Root};
//! let file = br#"{"signatures":[],"signed":{"_type":"root","spec_version":"1.0.31",
//!   "version":1,"expires":"2036-01-01T00:00:00Z","consistent_snapshot":true,"keys":{},
//!   "roles":{"root":{"keyids":[],"threshold":1},"timestamp":{"keyids":[],"threshold":1},
//!   "snapshot":{"keyids":[],"threshold":1},"targets":{"keyids":[],"threshold":1}}}}"#;
//! assert_eq!(tuf1::dialect::detect(file).unwrap(), Dialect::Tuf1);
//! let root = Metadata::<Root>::parse("root", file).unwrap();
//! assert!(root.signed.consistent_snapshot());
//! // Unsigned: the threshold of 1 is not met.
//! let provider = trust_tuf::crypto::default_provider();
//! assert!(root.signed.verify_role("root", &root, provider).is_err());
//! ```

pub mod dialect;
pub mod envelope;
mod fields;
pub mod hashes;
pub mod header;
pub mod key;
pub mod matching;
pub mod naming;
pub mod roles;
pub mod search;
pub mod targets;
pub mod threshold;
pub mod trusted;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod trusted_tests;

pub use dialect::{Dialect, detect};
pub use envelope::{Metadata, Role, Signature, write_envelope};
pub use header::{Expires, Header, SPEC_VERSION};
pub use key::{Key, KeyVal, Verifier};
pub use roles::{MetaFile, RoleKeys, Root, Snapshot, Timestamp};
pub use targets::{DelegatedRole, Delegations, SuccinctRoles, TargetFile, Targets};
