//! # trust-core
//!
//! A verified Notary v1 (Docker Content Trust) TUF client core.
//!
//! Data flows one way: bytes from a [`remote`] are verified once by the I/O-free
//! [`trusted`] state machine, only verified bytes reach the [`cache`], and everything
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

pub mod atomic_file;
pub mod audit;
pub mod cache;
pub mod canonical;
pub mod client;
pub mod config;
pub mod crypto;
mod der;
pub mod error;
pub mod fips;
pub mod freshness;
pub mod images;
pub mod inspect;
pub mod keystore;
pub mod pinning;
pub mod publish;
pub mod reference;
pub mod registry;
pub mod remote;
pub mod resolve;
pub mod session;
pub mod settings;
pub mod signing;
mod tabwriter;
pub mod transfer;
pub mod trusted;
pub mod wire;

pub use error::{Error, ErrorKind, Result};
