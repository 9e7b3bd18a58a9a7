//! Cryptography: signature verification, key IDs, certificates and signing keys.
//!
//! - [`CryptoProvider`] is the one interface every signature check goes through;
//!   [`default_provider`] runs on [`backend`]: ring by default, aws-lc-rs on the
//!   validated AWS-LC FIPS 3.0 module in the `fips` build, with no change to callers.
//! - [`keyid`] computes canonical key IDs (the ID of the key pair behind a certificate).
//! - [`x509`] parses certificate bundles, applies notary's root-certificate rules and
//!   trust pinning by CA, and makes root certificates as notary does.
//! - [`signer`] holds private keys and signs the way notary does.
//!
//! # Notary's signature formats
//!
//! | method | key types | algorithm | signature bytes |
//! |---|---|---|---|
//! | `ecdsa` | `ecdsa`, `ecdsa-x509` | ECDSA over SHA-256 (also on P-384) | raw `r‖s`, never DER |
//! | `rsapss` | `rsa`, `rsa-x509` | RSASSA-PSS SHA-256, MGF1-SHA-256, salt 32 | modulus size |
//! | `rsapkcs1v15` | `rsa`, `rsa-x509` | PKCS#1 v1.5 SHA-256 (verify only) | modulus size |
//! | `eddsa`, `ed25519` | `ed25519` | Ed25519 | 64 |
//!
//! A method is only accepted with the key types of its row (NCC 2015 CS-DRNT15-1).
//!
//! # Why ring (and aws-lc-rs for FIPS)
//!
//! The default build runs on ring, which trust-tuf already needs for hashing and which rustls
//! and rcgen use as well. The pure-Rust `p256` crate verifies ECDSA about five times
//! slower, and a Notary client verifies many ECDSA signatures (every role, every
//! delegation, on every update), so it is not used. ring has no P-384-with-SHA-256
//! verifier for fixed-size signatures, so those are converted to ASN.1 first; ring
//! cannot sign P-384 over SHA-256 or generate RSA keys, so neither is offered.
//!
//! ring is not a validated module. The `fips` build (`--no-default-features --features
//! fips`) puts every hash, signature, key derivation, random number, key-file cipher
//! and TLS connection on aws-lc-rs below 1.18, which links AWS-LC FIPS 3.0 (FIPS 140-3
//! certificate #5314); ring, ed25519-dalek, p256 and RustCrypto's ciphers are not in
//! that build (`scripts/fips-build.sh` checks). Its one loss: legacy PEM key files
//! (`Proc-Type: 4,ENCRYPTED`, notary 0.1) derive their key with MD5 and are refused.

pub mod aes_cbc;
pub mod algorithm;
pub mod keyid;
pub mod public_pem;
pub mod signer;
pub mod x509;

mod approved;
pub mod backend;
mod backend_provider;
mod provider;

#[cfg(test)]
mod test_fixtures;

pub use provider::{CryptoProvider, MODULE, VALIDATED, VerifyError, default_provider, module_status, provider};
