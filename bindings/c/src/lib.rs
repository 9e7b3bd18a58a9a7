//! # libtrust
//!
//! C bindings to trust-core: verify, inspect, sign and revoke container images
//! with Docker Content Trust (Notary v1), with the `trust` CLI's settings,
//! semantics and exit codes. The C API is `include/trust.h`, generated from this
//! crate by cbindgen.
//!
//! - [`error`]: the return codes and the thread-local last error message;
//! - [`guard`]: runs each call, catching panics, recording the last error;
//! - [`client`]: the handle and its calls, in safe Rust;
//! - [`tuf`]: the TUF 1.0 updater handle and its calls, in safe Rust;
//! - [`ffi`]: the `extern "C"` functions, the one module with unsafe code.

pub mod client;
pub mod error;
pub mod ffi;
pub mod guard;
pub mod tuf;

#[cfg(test)]
use trust_test_support::bundle;
