//! # trust-test-support
//!
//! What the workspace's tests share, so that no test crate copies another's helpers
//! or includes its files:
//!
//! - [`mod@env`]: the peers' environment (`tests/peers/`, `STATE/env`): one reader of
//!   the `TRUST_TEST_*` variables ([`env::var`], [`env::PeersEnv`], [`env::AuthRegistry`]);
//! - [`outcome`]: running a command and reading its outcome ([`Outcome`], [`run`]);
//! - [`snapshot`]: every file under a directory, to compare before and after;
//! - [`builders`]: Notary repositories with real keys and signatures, served from a
//!   directory in the file remote's layout, and in-memory signing keys;
//! - [`bundle`]: bundles built from the fixtures' or a peer's files;
//! - [`interop`]: the interop manifest `repos.json` and comparing inspect outputs
//!   with docker's; [`live`]: `trust`, `notary` and `docker trust` against the
//!   peers, images pushed to the registry; [`plugin`]: `trust` as a Docker CLI
//!   plugin run by the real docker CLIs;
//! - [`registry_api`]: the OCI distribution API (manifests by tag, blobs by digest,
//!   optional Basic auth and CA), to read or tamper with what a registry stores;
//! - [`fault_proxy`] and [`forwarder`]: a fault-injecting proxy (which can also hold
//!   one request at a chosen step) and a TCP forwarder in front of a real peer;
//! - [`static_server`]: a directory served over plain HTTP that a test can switch,
//!   with every request path logged (the TUF 1.0 client scenarios).
//!
//! Not published; a dev-dependency of every test crate.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed step fails the test

pub mod builders;
pub mod bundle;
pub mod env;
pub mod fault_proxy;
pub mod forwarder;
pub mod interop;
pub mod live;
pub mod outcome;
pub mod plugin;
pub mod registry_api;
pub mod snapshot;
pub mod softhsm;
pub mod static_server;
pub mod terminal;

pub use env::tempdir;
pub use outcome::{Outcome, ok, run, run_ok_bytes};

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The `trust` binary of the build that runs the test: `trust` in the directory
/// above the test executable's `deps/` (where cargo puts `CARGO_BIN_EXE_trust`
/// for trust-cli's own tests). Fails the test when it is not there.
pub fn trust_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let bin = profile_dir().join("trust");
        assert!(bin.is_file(), "{} is missing: build trust-cli first", bin.display());
        bin
    })
}

/// The cargo profile directory (`target/debug`) the running test executable was
/// built into.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let dir = exe.parent().expect("the test executable is in a directory");
    if dir.file_name().is_some_and(|n| n == "deps") { dir.parent().unwrap_or(dir) } else { dir }.to_owned()
}

/// The workspace root (the directory above this crate's).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("test-support is in the workspace").to_owned()
}
