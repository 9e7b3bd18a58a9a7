//! The one crate that does the cryptographic work, re-exported so that every hash,
//! random number, key derivation and signature in trust-core (and the crates on it)
//! goes through this module: ring by default; with the `fips` feature, aws-lc-rs on
//! the validated AWS-LC FIPS 3.0 module, whose modules mirror ring's.

#[cfg(feature = "fips")]
pub use aws_lc_rs::{digest, error, pbkdf2, rand, signature};
#[cfg(not(feature = "fips"))]
pub use ring::{digest, error, pbkdf2, rand, signature};

#[cfg(not(any(feature = "fips", feature = "ring")))]
compile_error!("trust-core needs a crypto backend: enable the `ring` (default) or the `fips` feature");
