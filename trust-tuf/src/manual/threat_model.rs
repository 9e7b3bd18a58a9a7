//! # Threat model
//!
//! Trust data comes from a server and a network that may be hostile: they can send
//! any bytes, old bytes, or too many bytes, slowly. What the client trusts is the
//! root it already has (its cache), or for a repository it has never seen, the
//! first root it is sent, checked against a pin when one is configured
//! ([`pinning`](crate::pinning): trust on first use otherwise, like docker). Each
//! check of [`what_is_verified`](super::what_is_verified) answers one of these:
//!
//! | attack | what stops it |
//! |---|---|
//! | a bad signature, a threshold not met, one key's signature repeated | threshold of distinct keys over the canonical bytes |
//! | rollback of any role | the cached version is the floor |
//! | an expired timestamp (freeze) | expiry of every role |
//! | a mix-and-match snapshot, a hash mismatch | snapshot and targets pinned by hashes and exact lengths |
//! | files over the limit (endless data) | a size limit on every download |
//! | a root certificate for another repository, or expired | root certificate rules |
//! | a release outside its delegated paths, a delegation cycle | delegation resolution with restricted paths and bounded walks |
//! | an unknown key type, a signature method that does not fit the key | the method bound to the key type |
//! | unsigned envelope fields | an envelope holds `signed` and `signatures` and nothing else ([`Envelope`](crate::wire::Envelope)) |
//!
//! `trust-core/tests/attacks.rs` serves tampered trust data for each of these
//! (bad signature, threshold not met, one key's signature repeated, rollback of
//! every role, expired timestamp, mix-and-match snapshot, hash mismatch, files
//! over the limit, a root certificate for another repository or expired, a
//! release outside its delegated paths, a delegation cycle, an unknown key type, a
//! signature method that does not fit the key, unsigned envelope fields) and
//! checks the error and that the cache did not change.
