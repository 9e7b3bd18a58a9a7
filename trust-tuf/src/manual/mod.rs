//! The manual: what a client built on this crate verifies, and against whom.
//!
//! Prose, kept next to the code it describes so that its links are checked by
//! `cargo doc` (as rustls keeps its manual). Read it with `cargo doc --open -p
//! trust-tuf`, module `manual`.
//!
//! - [`what_is_verified`]: every check an update runs over the bytes it received.
//! - [`threat_model`]: the attacks those checks are there for, and where each is tested.

pub mod threat_model;
pub mod what_is_verified;
