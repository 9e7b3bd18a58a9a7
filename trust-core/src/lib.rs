//! # trust-core
//!
//! A verified Notary v1 (Docker Content Trust) TUF client core.
//!
//! The decisions (canonical JSON, wire types, crypto, the TUF state machine, docker's
//! tag semantics, references, pinning rules) are in the I/O-free `trust-tuf` crate,
//! re-exported here at their old paths; this crate does the I/O around them.
//!
//! Data flows one way: bytes from a [`remote`] are verified once by the I/O-free
//! [`trusted`] state machine, only verified bytes reach the [`client::cache`], and everything
//! downstream ([`resolve`], the CLI, the engine hook) works on verified values.
//!
//! ```text
//! remote bytes ──► trusted (verify, no I/O) ──► cache (verified bytes only, atomic)
//!                        │
//!                        ▼
//!                 resolve (docker semantics: releases ▸ targets, signers, "Repo Admin")
//! ```
//!
//! The [`client`] module is the one place that drives I/O for reading: it asks the
//! remote for bytes, feeds them to the trusted set and persists what was accepted.
//!
//! Reading and publishing are apart: a [`remote`] only fetches, and signed updates go
//! to the store behind it through [`publish::upload`]. What every HTTP request shares
//! (TLS roots, token auth, credentials, download limits, error bodies) is [`http`],
//! used by [`remote`] and [`registry`] alike; what the front ends print is [`output`].
//! `scripts/module-graph.py` checks that no top-level module imports one that imports it.
//!
//! Each workflow exists once, and every front end (the CLI, the engine hook, the C
//! and Python bindings) calls it and only parses, formats or translates:
//!
//! | workflow | where |
//! |---|---|
//! | verify a reference | [`client::Repository::verify`] (and [`client::Reader::verify`]) → [`client::Verified`] |
//! | inspect | [`client::Reader::inspect`], printed by [`output::inspect`] |
//! | answer from the cache as of its expiry | [`client::Client::offline`] |
//! | sign, revoke | [`signing::sign`], [`signing::revoke`] |
//! | add, remove a signer | [`workflow::signer_add`], [`workflow::signer_remove`] |
//! | pull a signed tag, sign a local image (through the Docker Engine, [`engine`]) | [`workflow::pull`], [`workflow::sign_local`] |
//! | all of them behind one handle (bindings) | [`workflow::Images`] |

pub mod atomic_file;
pub mod audit;
pub mod bundle;
pub mod client;
pub mod config;
pub mod digest_list;
pub mod engine;
pub mod error;
pub mod exit_code;
mod file_remote_passphrase;
pub mod fips;
pub mod http;
pub mod keystore;
pub mod output;
pub mod plugin_socket;
pub mod progress;
pub mod publish;
pub mod registry;
pub mod registry_location;
pub mod remote;
pub mod retired;
pub mod session;
pub mod settings;
pub mod signing;
pub mod tuf;
pub mod workflow;

pub use error::{Error, ErrorKind, Result};

// What decides, with no I/O, lives in trust-tuf; these are its modules at the paths
// they had here.
/// The I/O-free layer itself, for front ends that name its types (its [`trust_tuf::Error`]).
pub use trust_tuf;
pub use trust_tuf::{canonical, crypto, percent, pinning, reference, resolve, trusted, wire};

pub use exit_code::ExitCode;
