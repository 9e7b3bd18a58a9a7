//! The one crate that does the cryptographic work, re-exported so that every hash,
//! random number, key derivation and signature in trust-core (and the crates on it)
//! goes through this module: ring today. A FIPS build swaps in aws-lc-rs, whose
//! modules mirror ring's, here and nowhere else.

pub use ring::{digest, error, pbkdf2, rand, signature};
