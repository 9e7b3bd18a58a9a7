//! # engine-hook
//!
//! `trust-engine-hook`: Docker Content Trust enforced by the engine, for Docker CE (an
//! authorization plugin) and containerd ≥ 2.0 (a `bindir` image verifier), with the
//! policy format of Docker EE's `content-trust` section and trust-core's verification.
//!
//! ```text
//! dockerd ──AuthZReq──► server ─► plugin::Hook ─► request::classify ─► decision::decide ─► reply + log line
//!                                                                     │            │
//!                                        cache::CachingVerifier ◄─────┘            └─► engine (RepoDigests)
//!                                                  │
//!                                     verify::TrustVerifier (trust-core, per scope server and pin)
//! ```
//!
//! The decision ([`decision::decide`]) is a function of the request, the [`policy::Policy`]
//! and what a [`verify::Verifier`] and an [`engine::ImageInspector`] answer; tests
//! drive it with fakes. The hook fails closed: a request it cannot read, or a
//! verification that fails, is denied in enforced mode.

pub mod authz;
pub mod cache;
pub mod containerd;
pub mod decision;
pub mod engine;
pub mod error;
pub mod http;
pub mod log;
pub mod pattern;
pub mod pinning;
pub mod plugin;
pub mod policy;
pub mod report;
pub mod request;
pub mod server;
pub mod verify;

pub use error::{Error, Result};
