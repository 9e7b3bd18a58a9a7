//! # trust-tuf
//!
//! Everything a Notary v1 (Docker Content Trust) or TUF 1.0 client *decides*, with no I/O: the
//! layer under `trust-core`, which fetches, caches, stores keys and talks to people.
//!
//! | module | holds |
//! |---|---|
//! | [`canonical`] | canonical JSON, the bytes that are signed |
//! | [`cosign`] | k-of-n signing: what a signing request collected across machines must be to be signed or published |
//! | [`wire`] | the metadata files' types, parsed strictly and written back byte for byte |
//! | [`der`] | the one DER reader and writer (key files, public keys, signatures) |
//! | [`crypto`] | the provider every signature check goes through, key IDs, root-certificate rules, signing keys |
//! | [`tuf1`] | the TUF 1.0 specification's metadata: parsing, thresholds, delegation matching, file names |
//! | [`trusted`] | the TUF state machine: cached copies first, remote copies after, each verified against what is trusted |
//! | [`resolve`] | delegations and docker's tag semantics over verified data |
//! | [`reference`](mod@reference) | docker image references and the GUN check |
//! | [`percent`] | percent-encoding names into URL paths and URIs |
//! | [`pinning`] | trust pinning rules (the CA bundle is handed in as bytes) |
//! | [`error`] | the error of every decision, and the kinds errors fall into |
//! | [`manual`] | what is verified, and the threat model |
//!
//! ## What it may not do
//!
//! No network, no filesystem, no clock, no keyring, no terminal: the caller passes the
//! bytes, the time and the pinned CA. Its dependencies are crypto (ring, or aws-lc-rs
//! in the `fips` build), parsers (serde, x509-parser, base64, hex) and chrono without
//! its clock; `scripts/check-layers.sh` (run by CI) fails when `cargo tree -p
//! trust-tuf -e normal` lists a crate that does I/O. Randomness for signing and key
//! generation comes from the crypto provider.
//!
//! ## Features
//!
//! - `ring` (default): crypto on ring, not a validated module.
//! - `fips`: crypto on aws-lc-rs, the validated AWS-LC FIPS 3.0 module; build with
//!   `--no-default-features --features fips`.

pub mod canonical;
pub mod cosign;
pub mod crypto;
pub mod der;
pub mod error;
pub mod manual;
pub mod percent;
pub mod pinning;
pub mod reference;
pub mod resolve;
pub mod trusted;
pub mod tuf1;
pub mod wire;

pub use error::{Error, ErrorKind, Result};
